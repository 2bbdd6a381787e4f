//! The harness end to end on a tiny profile: moat's blob and libseccomp's
//! two layouts are built, measured and found to decide alike. No Python,
//! timing, hyperfine or kernel run, so it stays quick.

use moat_bench::subjects::{Reference, Subject};
use moat_bench::Config;
use std::time::Duration;

const TINY: &str = "\
profile tiny {
    targets x86_64, i386, x32
    default errno(EPERM)
    allow read, write, exit_group
    allow personality if persona == 0xffffffff
    errno(ENOSYS) clone3
}
";

#[test]
fn harness_runs_on_a_tiny_profile() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cfg = Config::standard(&root).expect("config");
    cfg.out = std::env::temp_dir().join(format!("moat-bench-smoke-{}", std::process::id()));
    cfg.subjects = vec![Subject {
        name: "tiny".into(),
        file: "tiny.moat".into(),
        path: None,
        text: TINY.into(),
        profile: "tiny".into(),
        reference: Reference::MoatOci,
        note: None,
    }];
    cfg.python = false;
    cfg.timing_budget = Duration::ZERO;
    let report = moat_bench::run(&cfg).expect("harness runs");
    assert_eq!(
        report.rows.len(),
        2,
        "one row per arch set: {:?}",
        report.notes
    );
    for row in &report.rows {
        assert_eq!(row.blobs.len(), 3);
        for ag in &row.agreement {
            assert_eq!(ag.real, 0, "{:?}", ag.examples);
            assert!(ag.inputs > 1000);
        }
        let moat = &row.blobs[0].3;
        let x86 = moat.arch(moat::arch::Arch::X86_64).expect("x86_64");
        // read, write, exit_group: unconditional and cacheable.
        assert_eq!(x86.uncond, 3);
        assert_eq!(x86.uncond_cacheable, 3);
        eprintln!(
            "tiny {:?}: lengths moat {} / libseccomp default {} / tree {}",
            row.arches, moat.len, row.blobs[1].3.len, row.blobs[2].3.len
        );
    }
    let md = report.markdown();
    assert!(md.contains("| tiny | x86_64 | moat |"), "{md}");
    let _ = std::fs::remove_dir_all(&cfg.out);
}
