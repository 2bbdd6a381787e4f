//! `moat run` on the real kernel: commands run under compiled filters.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use moat::run::{run, Outcome};
use moat::sema::{analyze_source, Options};

/// `moat run` waits for any child of the process (it follows the command's
/// own children too), so two runs in one process must not overlap.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn program(src: &str) -> (moat::sema::CheckedProfile, moat::codegen::Program) {
    let a = analyze_source("run.moat", None, src, &Options::default());
    assert!(!a.has_errors(), "{:#?}", a.errors().collect::<Vec<_>>());
    let p = a.profiles[0].clone();
    let prog = moat::driver::compile(&p, &p.settings.targets).unwrap();
    (p, prog)
}

fn argv(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn true_runs_under_an_allow_list() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (_, prog) = program(
        "use std::groups::{basic_io, memory, signal, file_read, process}
         profile p {
             targets x86_64
             default kill
             allow basic_io, memory, signal, file_read, process
             allow execve, brk, arch_prctl, access, newfstatat, fstat, prlimit64, getrandom, rseq,
                   set_tid_address, set_robust_list, futex, exit_group, uname, faccessat2
         }",
    );
    assert_eq!(
        run(&prog, &argv(&["/bin/true"]), false).unwrap(),
        Outcome::Exited(0)
    );
}

#[test]
fn denied_open_fails_with_the_policys_errno() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // The dynamic loader opens libraries with O_CLOEXEC; cat opens its
    // file without, so only cat's open is refused.
    let (_, prog) = program(
        "profile p { targets x86_64 default allow errno(EACCES) openat if flags & O_CLOEXEC == 0 }",
    );
    let script = "cat /etc/hostname 2>&1 >/dev/null | grep -q 'Permission denied'";
    // sh opens nothing without O_CLOEXEC before running the pipeline.
    let out = run(&prog, &argv(&["/bin/sh", "-c", script]), false).unwrap();
    assert_eq!(out, Outcome::Exited(0), "cat did not report EACCES");
    let out = run(&prog, &argv(&["/bin/cat", "/etc/hostname"]), false).unwrap();
    assert_eq!(out, Outcome::Exited(1));
}

#[test]
fn a_kill_is_reported_with_the_call() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (p, prog) = program("profile p { targets x86_64 default allow kill uname }");
    let out = run(&prog, &argv(&["/bin/uname"]), false).unwrap();
    let Outcome::Killed { call, .. } = &out else {
        panic!("{out:?}")
    };
    assert_eq!(
        call.nr,
        moat::arch::Arch::X86_64.syscall("uname").unwrap().nr
    );
    assert_eq!(out.status(), 128 + libc::SIGSYS);
    assert!(moat::ir::reference::deciding_rule(&p, call).is_some());
    // --complain lets the same command finish.
    assert_eq!(
        run(&prog, &argv(&["/bin/uname"]), true).unwrap(),
        Outcome::Exited(0)
    );
}

/// `--complain` notes every call the policy would refuse, whatever the
/// action, lets it run (uname prints), and notes nothing else.
#[test]
fn complain_notes_refused_calls_and_lets_them_run() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (p, prog) =
        program("profile p { targets x86_64 default allow kill uname errno(EACCES) getppid }");
    let script = "/bin/uname >/dev/null && /bin/uname -s | grep -q Linux";
    let (out, refused) =
        moat::run::run_noting(&prog, &argv(&["/bin/sh", "-c", script]), true).unwrap();
    assert_eq!(out, Outcome::Exited(0), "uname ran and printed");
    let uname = moat::arch::Arch::X86_64.syscall("uname").unwrap().nr;
    assert!(
        refused.iter().filter(|c| c.nr == uname).count() >= 2,
        "{refused:?}"
    );
    for call in &refused {
        let act = moat::ir::reference::decide(&p, call);
        assert_ne!(act.kind, moat::syntax::ast::ActionKind::Allow, "{call:?}");
    }
}
