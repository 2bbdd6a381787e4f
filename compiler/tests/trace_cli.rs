//! `moat trace` as a user runs it: trace a command, check the policy, run
//! the command under it. Needs strace; skips with a message without it.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn moat() -> Command {
    Command::new(env!("CARGO_BIN_EXE_moat"))
}

fn has_strace() -> bool {
    let found = moat::trace::find_strace().is_some();
    if !found {
        eprintln!("skipped: strace is not installed (the trace tests need it)");
    }
    found
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("moat-trace-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn trace_check_run_ls() {
    if !has_strace() {
        return;
    }
    let d = scratch("ls");
    let policy = d.join("ls.moat");
    let traced = moat()
        .args(["trace", "-o"])
        .arg(&policy)
        .args(["--", "/bin/ls", "/"])
        .output()
        .unwrap();
    ok(&traced, "moat trace");
    let checked = moat().arg("check").arg(&policy).output().unwrap();
    ok(&checked, "moat check");
    assert_eq!(text(&checked.stderr), "", "moat check is not silent");
    let ran = moat()
        .arg("run")
        .arg(&policy)
        .args(["--", "/bin/ls", "/"])
        .output()
        .unwrap();
    ok(&ran, "moat run");
    // The same command, the same output, traced or confined.
    assert_eq!(text(&ran.stdout), text(&traced.stdout));
    let built = moat()
        .arg("build")
        .arg(&policy)
        .arg("-o")
        .arg(d.join("ls.bpf"))
        .output()
        .unwrap();
    ok(&built, "moat build");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_commands_status_is_passed_on() {
    if !has_strace() {
        return;
    }
    let d = scratch("status");
    let policy = d.join("p.moat");
    let out = moat()
        .args(["trace", "-o"])
        .arg(&policy)
        .args(["--", "/bin/sh", "-c", "exit 3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    // The policy is still written: the run that failed is what it shows.
    assert!(std::fs::read_to_string(&policy)
        .unwrap()
        .contains("profile sh {"));
    assert!(text(&out.stderr).contains("exited with status 3"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn without_strace_the_error_says_what_to_do() {
    let out = moat()
        .env("PATH", "")
        .args(["trace", "--", "/bin/true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("strace, which is not installed"), "{err}");
    assert!(err.contains("help:") && err.contains("--from"), "{err}");
}

#[test]
fn from_a_log() {
    let logs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/trace");
    let out = moat()
        .args(["trace", "--from"])
        .arg(logs.join("probe.log"))
        .output()
        .unwrap();
    ok(&out, "moat trace --from");
    let policy = text(&out.stdout);
    assert!(policy.contains("profile probe {"), "{policy}");
    assert!(
        policy.contains("allow socket if domain in [AF_INET, AF_UNIX]"),
        "{policy}"
    );
    // The files of `strace -ff`, given together.
    let mut cmd = moat();
    cmd.args(["trace", "--name", "probe"]);
    for pid in [3922, 3923, 3924] {
        cmd.arg("--from")
            .arg(logs.join(format!("probe-ff.{pid}.log")));
    }
    let out = cmd.output().unwrap();
    ok(&out, "moat trace --from (ff)");
    assert!(text(&out.stdout).contains("allow clone3"));
}

#[test]
fn usage_errors() {
    let out = moat().arg("trace").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = moat()
        .args(["trace", "--from", "x.log", "--", "/bin/true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = moat()
        .args(["trace", "--from", "/nonexistent/x.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
