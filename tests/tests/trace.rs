//! `moat trace`: generated policies for the recorded strace logs
//! (`tests/trace/`), and traces of real commands run again under the
//! policy they produced. The command-line tests are in
//! `compiler/tests/trace_cli.rs`.

use moat::arch::Arch;
use moat::trace::{generate, parse, Options, Parser, Trace};
use moat_tests::repo;

fn log(name: &str) -> String {
    std::fs::read_to_string(repo().join("tests/trace").join(name)).unwrap()
}

fn policy(t: &Trace, name: &str, source: &str) -> String {
    let g = generate(
        t,
        &Options {
            name: name.into(),
            source: source.into(),
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    g.text
}

/// What `moat check` says about a policy: nothing.
fn assert_checks(text: &str) {
    let a = moat::sema::analyze_source("t.moat", None, text, &Default::default());
    assert!(
        a.diagnostics.is_empty(),
        "{}\n{text}",
        moat::diagnostics::render::render_all(&a.diagnostics, &a.sources, false)
    );
    assert_eq!(moat::fmt::format(text).unwrap(), text, "not formatted");
}

#[test]
fn snapshot_ls() {
    let text = policy(&parse(&log("ls.log"), Arch::X86_64), "ls", "`ls /`");
    assert_checks(&text);
    insta::assert_snapshot!("trace-ls", text);
}

#[test]
fn snapshot_probe() {
    let text = policy(
        &parse(&log("probe.log"), Arch::X86_64),
        "probe",
        "the log `probe.log`",
    );
    assert_checks(&text);
    insta::assert_snapshot!("trace-probe", text);
}

#[test]
fn snapshot_compat() {
    let text = policy(
        &parse(&log("compat.log"), Arch::X86_64),
        "compat",
        "the log `compat.log`",
    );
    assert_checks(&text);
    insta::assert_snapshot!("trace-compat", text);
}

#[test]
fn every_recorded_log_gives_a_policy_that_checks() {
    let dir = repo().join("tests/trace");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".log"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    for n in &names {
        let t = parse(&log(n), Arch::X86_64);
        assert_checks(&policy(&t, "p", n));
    }
    // The per-process files of `strace -ff` together.
    let mut p = Parser::new(Arch::X86_64);
    for n in names.iter().filter(|n| n.starts_with("probe-ff.")) {
        p.feed(&log(n));
    }
    let ff = policy(&p.finish(), "probe", "the log `probe.log`");
    let whole = policy(
        &parse(&log("probe.log"), Arch::X86_64),
        "probe",
        "the log `probe.log`",
    );
    assert_eq!(ff, whole);
}

// ------------------------------------------------------------ real runs

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod real {
    use super::*;
    use moat::run::{run, Outcome};

    /// `moat run` waits for any child of this process, which would reap
    /// strace from under a concurrent trace: one command at a time.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn strace() -> Option<std::path::PathBuf> {
        let s = moat::trace::find_strace();
        if s.is_none() {
            eprintln!("skipped: strace is not installed (the trace tests need it)");
        }
        s
    }

    /// Traces `argv`, then runs it under the policy the trace gave.
    fn trace_then_run(argv: &[&str]) -> (String, Outcome) {
        let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let strace = strace().expect("checked by the caller");
        let rec = moat::trace::record(&strace, &argv).unwrap();
        assert_eq!(rec.status, 0, "the traced run failed");
        let lookup = |p: &str| moat::trace::exec_arch(std::path::Path::new(p));
        let mut p = Parser::new(Arch::X86_64).with_exec_arch(&lookup);
        p.feed(&rec.log);
        let t = p.finish();
        assert!(t.skipped.is_empty(), "{:?}", t.skipped);
        let text = policy(&t, "traced", &argv.join(" "));
        assert_checks(&text);
        let a = moat::sema::analyze_source("t.moat", None, &text, &Default::default());
        let prof = &a.profiles[0];
        let prog = moat::driver::compile(prof, &prof.settings.targets).unwrap();
        let out = run(&prog, &argv, false).unwrap();
        (text, out)
    }

    #[test]
    fn ls_runs_under_its_own_trace() {
        if strace().is_none() {
            return;
        }
        let (text, out) = trace_then_run(&["/bin/ls", "/"]);
        assert_eq!(out, Outcome::Exited(0), "{text}");
    }

    #[test]
    fn a_pipeline_of_processes_runs_under_its_own_trace() {
        if strace().is_none() {
            return;
        }
        // sh forks a child per command and waits: clone, pipes, execve of
        // other programs, wait4, all from the children as well.
        let (text, out) = trace_then_run(&[
            "/bin/sh",
            "-c",
            "echo hi | cat >/dev/null && ls / >/dev/null",
        ]);
        assert_eq!(out, Outcome::Exited(0), "{text}");
        assert!(text.contains("allow clone"), "{text}");
    }

    #[test]
    fn the_policy_is_tight() {
        if strace().is_none() {
            return;
        }
        // A call the traced run never made is refused: ls's policy kills
        // a program that calls uname.
        let (text, _) = trace_then_run(&["/bin/ls", "/"]);
        assert!(!text.contains("uname"), "{text}");
        let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let a = moat::sema::analyze_source("t.moat", None, &text, &Default::default());
        let prof = &a.profiles[0];
        let prog = moat::driver::compile(prof, &prof.settings.targets).unwrap();
        let out = run(&prog, &["/bin/uname".to_string()], false).unwrap();
        assert!(matches!(out, Outcome::Killed { .. }), "{out:?}");
    }
}
