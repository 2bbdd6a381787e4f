//! The moat language server. The transport lands with the LSP issue; until
//! then this binary only says so, so that editor setups fail loudly.
fn main() {
    eprintln!("moat-lsp: the language server is not implemented yet");
    std::process::exit(2);
}
