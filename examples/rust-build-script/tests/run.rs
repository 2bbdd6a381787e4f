//! The example on the real kernel: the filter build.rs compiled is installed
//! by main and decides its calls as policy.moat says.

#![cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]

use std::os::unix::process::ExitStatusExt;
use std::process::Command;

/// SIGSYS on x86_64 and aarch64 (the filter's `kill` action).
const SIGSYS: i32 = 31;

const EXE: &str = env!("CARGO_BIN_EXE_moat-example-build-script");

fn seccomp_unavailable(stderr: &str) -> bool {
    if stderr.contains("cannot install") {
        assert!(
            std::env::var("MOAT_REQUIRE_SECCOMP").as_deref() != Ok("1"),
            "the example could not install its filter: {stderr}"
        );
        println!("SKIPPED: seccomp unavailable: {stderr}");
        return true;
    }
    false
}

#[test]
fn runs_under_its_filter() {
    let out = Command::new(EXE).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if seccomp_unavailable(&stderr) {
        return;
    }
    assert!(out.status.success(), "{}: {stdout}{stderr}", out.status);
    assert!(stdout.starts_with("filter installed: "), "{stdout}");
    assert!(
        stdout.contains("open /etc/hostname: permission denied"),
        "openat must get the policy's EACCES:\n{stdout}"
    );
    assert!(stdout.contains("(getpid is allowed)"), "{stdout}");
}

#[test]
fn starting_a_program_kills_it() {
    let out = Command::new(EXE).arg("spawn").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if seccomp_unavailable(&stderr) {
        return;
    }
    assert!(stdout.contains("starting /bin/true"), "{stdout}");
    assert!(!stdout.contains("unreachable"), "{stdout}");
    assert_eq!(
        out.status.signal(),
        Some(SIGSYS),
        "expected death by SIGSYS, got {}",
        out.status
    );
}
