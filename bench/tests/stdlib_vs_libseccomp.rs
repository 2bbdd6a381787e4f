//! std::docker::default and std::podman::default decide exactly like
//! libseccomp's compilation of the Debian JSON they port (instantiated as
//! dockerd / Podman would, for their default capabilities, and for Docker
//! with CAP_SYS_PTRACE and CAP_SYS_ADMIN added through the mixins), on
//! every syscall number of x86_64, i386 and x32 and on boundary argument
//! values. Inputs whose upper halves are non-zero are reported apart: there
//! libseccomp 2.5 compares 64 bits of 32-bit arguments (docs/backend.md).

use moat_bench::subjects::{self, Reference, Subject};
use moat_bench::Config;
use std::time::Duration;

fn check(subjects: Vec<Subject>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cfg = Config::standard(&root).expect("config");
    cfg.out = std::env::temp_dir().join(format!("moat-stdlib-eq-{}", std::process::id()));
    cfg.subjects = subjects;
    cfg.python = false;
    cfg.timing_budget = Duration::ZERO;
    let report = moat_bench::run(&cfg).expect("harness runs");
    let mut checks = 0;
    for row in &report.rows {
        for ag in &row.agreement {
            assert_eq!(ag.real, 0, "{}: {:#?}", row.subject, ag.examples);
            checks += ag.inputs;
        }
    }
    println!(
        "{} rows, {checks} inputs compared, 0 disagreements",
        report.rows.len()
    );
    let _ = std::fs::remove_dir_all(&cfg.out);
}

fn installed(path: &str) -> bool {
    let ok = std::path::Path::new(path).exists();
    if !ok {
        println!("SKIPPED: {path} is not installed (.ci/run installs it)");
    }
    ok
}

#[test]
fn docker_default_matches_libseccomp() {
    if installed(subjects::DOCKER_JSON) {
        check(vec![subjects::docker("")]);
    }
}

#[test]
fn docker_mixins_match_libseccomp_with_their_capability() {
    if !installed(subjects::DOCKER_JSON) {
        return;
    }
    let with = |cap: &'static str, mixin: &str| {
        let caps: Vec<&'static str> = moat_bench::lsc::DOCKER_DEFAULT_CAPS
            .iter()
            .copied()
            .chain([cap])
            .collect();
        let mut s = subjects::docker(&format!(" include docker::{mixin} "));
        s.name = format!("docker+{mixin}");
        s.reference = Reference::Json {
            path: subjects::DOCKER_JSON.into(),
            caps: Box::leak(caps.into_boxed_slice()),
        };
        s
    };
    check(vec![
        with("CAP_SYS_PTRACE", "cap_sys_ptrace"),
        with("CAP_SYS_ADMIN", "cap_sys_admin"),
    ]);
}

#[test]
fn podman_default_matches_libseccomp() {
    if installed(subjects::PODMAN_JSON) {
        check(vec![subjects::podman()]);
    }
}
