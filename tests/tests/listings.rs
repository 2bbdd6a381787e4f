//! Snapshots of the annotated listing of every example profile, so a
//! change in code generation shows up in review as a readable diff.

use moat::sema::{analyze_path, Options};
use std::path::Path;

#[test]
fn example_listings() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut files: Vec<_> = std::fs::read_dir(&examples)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "moat"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in files {
        let analysis = analyze_path(&f, &Options::default()).unwrap();
        assert!(!analysis.has_errors(), "{} has errors", f.display());
        for profile in &analysis.profiles {
            // One program per byte order, as `moat build --arch` would make.
            for big in [false, true] {
                let arches: Vec<_> = profile
                    .settings
                    .targets
                    .iter()
                    .copied()
                    .filter(|a| (a.endian() == moat::bpf::Endian::Big) == big)
                    .collect();
                if arches.is_empty() {
                    continue;
                }
                let program = moat::driver::compile(profile, &arches).unwrap();
                moat::emu::validate(&program.insns).unwrap();
                let listing = moat::codegen::listing::listing(&program, &profile.name);
                let name = format!(
                    "{}__{}{}",
                    f.file_stem().unwrap().to_string_lossy(),
                    profile.name,
                    if big { "__big_endian" } else { "" }
                );
                insta::with_settings!({
                    snapshot_path => Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/listings"),
                    prepend_module_to_snapshot => false,
                    omit_expression => true,
                }, {
                    insta::assert_snapshot!(name, listing);
                });
            }
        }
    }
}
