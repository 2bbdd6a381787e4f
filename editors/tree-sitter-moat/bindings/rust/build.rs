//! Compiles the generated parser and the block-comment scanner. Both are
//! checked in, so building needs a C compiler but not the tree-sitter CLI.

fn main() {
    let src = std::path::Path::new("src");
    let mut c = cc::Build::new();
    c.std("c11").include(src);
    // Generated code: its warnings are not ours to fix.
    c.warnings(false);
    for file in ["parser.c", "scanner.c"] {
        let path = src.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        c.file(path);
    }
    println!("cargo:rerun-if-changed=src/tree_sitter/parser.h");
    c.compile("tree-sitter-moat");
}
