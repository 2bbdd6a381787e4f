//! std::docker::default and std::podman::default decide exactly like
//! libseccomp's compilation of the Debian JSON they port (instantiated as
//! dockerd / Podman would, for their default capabilities, and with each
//! capability mixin for its capability on x86_64), on every syscall number
//! of x86_64, i386 and x32 and on boundary argument
//! values. Inputs whose upper halves are non-zero are reported apart: there
//! libseccomp 2.5 compares 64 bits of 32-bit arguments (docs/backend.md).

use moat_bench::subjects::{self, Reference, Subject};
use moat_bench::Config;
use std::time::Duration;

fn check(subjects: Vec<Subject>) {
    check_on(subjects, None);
}

/// `arches`: one arch set instead of the standard ones (x86_64 and
/// x86_64+i386+x32), to keep the many mixin rows quick.
fn check_on(subjects: Vec<Subject>, arches: Option<Vec<moat::arch::Arch>>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cfg = Config::standard(&root).expect("config");
    if let Some(a) = arches {
        cfg.arch_sets = vec![a];
    }
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

/// Every capability mixin of both modules, each with its capability added
/// to the runtime's default set.
const DOCKER_MIXINS: &[&str] = &[
    "cap_dac_read_search",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_chroot",
    "cap_sys_module",
    "cap_sys_pacct",
    "cap_sys_ptrace",
    "cap_sys_rawio",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_sys_nice",
    "cap_syslog",
];
const PODMAN_MIXINS: &[&str] = &[
    "cap_audit_write",
    "cap_dac_read_search",
    "cap_sys_admin",
    "cap_sys_chroot",
    "cap_sys_module",
    "cap_sys_pacct",
    "cap_sys_ptrace",
    "cap_sys_rawio",
    "cap_sys_time",
    "cap_sys_tty_config",
];

fn with_mixin(module: &str, mixin: &str) -> Subject {
    let (json, defaults) = match module {
        "docker" => (subjects::DOCKER_JSON, moat_bench::lsc::DOCKER_DEFAULT_CAPS),
        _ => (subjects::PODMAN_JSON, moat_bench::lsc::PODMAN_DEFAULT_CAPS),
    };
    let cap: &'static str = Box::leak(mixin.to_ascii_uppercase().into_boxed_str());
    let caps: Vec<&'static str> = defaults.iter().copied().chain([cap]).collect();
    Subject {
        name: format!("{module}+{mixin}"),
        file: format!("{module}_{mixin}.moat"),
        path: None,
        text: format!("use std::{module}\nprofile p extends {module}::default {{ include {module}::{mixin} }}\n"),
        profile: "p".into(),
        reference: Reference::Json {
            path: json.into(),
            caps: Box::leak(caps.into_boxed_slice()),
        },
        note: None,
    }
}

#[test]
fn docker_mixins_match_libseccomp_with_their_capability() {
    if !installed(subjects::DOCKER_JSON) {
        return;
    }
    let subjects = DOCKER_MIXINS
        .iter()
        .map(|m| with_mixin("docker", m))
        .collect();
    check_on(subjects, Some(vec![moat::arch::Arch::X86_64]));
}

#[test]
fn podman_mixins_match_libseccomp_with_their_capability() {
    if !installed(subjects::PODMAN_JSON) {
        return;
    }
    let subjects = PODMAN_MIXINS
        .iter()
        .map(|m| with_mixin("podman", m))
        .collect();
    check_on(subjects, Some(vec![moat::arch::Arch::X86_64]));
}

#[test]
fn podman_default_matches_libseccomp() {
    if installed(subjects::PODMAN_JSON) {
        check(vec![subjects::podman()]);
    }
}
