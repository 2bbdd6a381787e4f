//! The strace reader on recorded logs (`tests/trace/`, see its README).

use super::*;

macro_rules! log {
    ($name:literal) => {
        include_str!(concat!("../../../tests/trace/", $name))
    };
}

fn names(t: &Trace) -> BTreeSet<&str> {
    t.calls.iter().map(|c| c.name.as_str()).collect()
}

fn gen(t: &Trace) -> Generated {
    generate(
        t,
        &Options {
            name: "t".into(),
            source: "a test".into(),
        },
    )
    .unwrap()
}

/// The recorded probe program's calls, whatever the log's format.
const PROBE_CALLS: &[&str] = &[
    "execve",
    "socket",
    "socketpair",
    "ioctl",
    "prctl",
    "mprotect",
    "syscall_0x1f3",
    "clone3",
    "clone",
    "futex",
    "wait4",
    "kill",
    "restart_syscall",
    "exit",
    "exit_group",
];

#[test]
fn ls_log_reads_every_line() {
    let t = parse(log!("ls.log"), Arch::X86_64);
    assert!(t.skipped.is_empty(), "{:?}", t.skipped);
    // One call per line: the log has no signals, exits or split calls.
    assert_eq!(t.calls.len(), log!("ls.log").lines().count());
    let first = &t.calls[0];
    assert_eq!(first.name, "execve");
    assert_eq!(first.pid, 3235);
    assert_eq!(first.ret, Ret::Value("0".into()));
    assert_eq!(first.args.as_ref().unwrap()[0], "\"/bin/ls\"");
    assert_eq!(first.args.as_ref().unwrap()[1], "[\"/bin/ls\", \"/\"]");
    let access = t.calls.iter().find(|c| c.name == "access").unwrap();
    assert_eq!(access.ret, Ret::Error("ENOENT".into()));
    let last = t.calls.last().unwrap();
    assert_eq!(
        (last.name.as_str(), &last.ret),
        ("exit_group", &Ret::NoReturn)
    );
}

#[test]
fn unfinished_calls_are_joined_with_their_resumed_lines() {
    let t = parse(log!("probe.log"), Arch::X86_64);
    assert!(t.skipped.is_empty(), "{:?}", t.skipped);
    for n in PROBE_CALLS {
        assert!(names(&t).contains(n), "{n} missing");
    }
    // `futex(… <unfinished ...>` then `<... futex resumed>) = 0`: one call.
    let futex: Vec<&Call> = t
        .calls
        .iter()
        .filter(|c| c.name == "futex" && c.pid == 3823)
        .collect();
    assert_eq!(futex.len(), 1);
    assert_eq!(futex[0].ret, Ret::Value("0".into()));
    assert_eq!(futex[0].args.as_ref().unwrap().len(), 5);
    // `clock_nanosleep(…, {…},  <unfinished ...>` + `<... resumed>NULL)`.
    let sleep = t
        .calls
        .iter()
        .find(|c| c.name == "clock_nanosleep" && c.pid == 3823)
        .unwrap();
    assert_eq!(sleep.args.as_ref().unwrap().len(), 4);
    assert_eq!(sleep.args.as_ref().unwrap()[3], "NULL");
    // Interrupted, then resumed by the kernel.
    let child_sleep = t
        .calls
        .iter()
        .find(|c| c.name == "clock_nanosleep" && c.pid == 3825)
        .unwrap();
    assert_eq!(child_sleep.ret, Ret::Error("ERESTART_RESTARTBLOCK".into()));
    assert_eq!(
        t.calls
            .iter()
            .filter(|c| c.name == "restart_syscall")
            .count(),
        2
    );
    let unknown = t.calls.iter().find(|c| c.name == "syscall_0x1f3").unwrap();
    assert_eq!(unknown.ret, Ret::Error("ENOSYS".into()));
}

#[test]
fn every_output_format_gives_the_same_calls() {
    let base = parse(log!("probe.log"), Arch::X86_64);
    let mut ff = Parser::new(Arch::X86_64);
    for text in [
        log!("probe-ff.3922.log"),
        log!("probe-ff.3923.log"),
        log!("probe-ff.3924.log"),
    ] {
        ff.feed(text);
    }
    let ff = ff.finish();
    for (what, t) in [
        ("stderr", parse(log!("probe-stderr.log"), Arch::X86_64)),
        ("raw", parse(log!("probe-raw.log"), Arch::X86_64)),
        ("verbose", parse(log!("probe-verbose.log"), Arch::X86_64)),
        ("ff", ff),
    ] {
        assert!(t.skipped.is_empty(), "{what}: {:?}", t.skipped);
        assert_eq!(names(&t), names(&base), "{what}");
    }
}

#[test]
fn pid_columns_and_per_process_files_keep_processes_apart() {
    let t = parse(log!("probe-stderr.log"), Arch::X86_64);
    // strace leaves the pid column out while it traces one process; those
    // lines are the main process's.
    let pids: BTreeSet<u32> = t.calls.iter().map(|c| c.pid).collect();
    assert_eq!(pids, BTreeSet::from([3898, 3900, 3901]));
    let mut p = Parser::new(Arch::X86_64);
    p.feed(log!("probe-ff.3922.log"));
    p.feed(log!("probe-ff.3923.log"));
    let t = p.finish();
    let pids: BTreeSet<u32> = t.calls.iter().map(|c| c.pid).collect();
    assert_eq!(pids.len(), 2);
}

#[test]
fn interleaved_processes_resume_their_own_calls() {
    let t = parse(log!("sh-pipe.log"), Arch::X86_64);
    assert!(t.skipped.is_empty(), "{:?}", t.skipped);
    // `newfstatat(…, "/root/.cargo/bin/cat",  <unfinished ...>`, a line of
    // the child, then `<... newfstatat resumed>0x7ffe0e9841d0, 0) = -1 ENOENT`.
    let stat = t
        .calls
        .iter()
        .find(|c| c.name == "newfstatat" && c.pid == 3929 && c.line == 54)
        .unwrap();
    assert_eq!(stat.args.as_ref().unwrap().len(), 4);
    assert_eq!(stat.args.as_ref().unwrap()[2], "0x7ffe0e9841d0");
    assert_eq!(stat.ret, Ret::Error("ENOENT".into()));
    assert!(t.calls.iter().all(|c| c.args.is_some()));
    // `clone(… SIGCHLD <unfinished ...>` + `<... clone resumed>, child_tidptr=…) = 3931`
    let clone = t
        .calls
        .iter()
        .find(|c| c.name == "clone" && c.ret == Ret::Value("3931".into()))
        .unwrap();
    let args = clone.args.as_ref().unwrap();
    assert_eq!(args.len(), 3, "{args:?}");
    assert_eq!(
        args[1],
        "flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD"
    );
}

#[test]
fn personality_notes_switch_the_process_abi() {
    let t = parse(log!("compat.log"), Arch::X86_64);
    assert!(t.skipped.is_empty(), "{:?}", t.skipped);
    let arch_of = |name: &str, pid: u32| {
        t.calls
            .iter()
            .find(|c| c.name == name && c.pid == pid)
            .unwrap()
            .arch
    };
    assert_eq!(arch_of("execve", 5000), Arch::X86_64);
    assert_eq!(arch_of("mmap2", 5000), Arch::I386);
    // A child runs as its parent did until its own execve.
    assert_eq!(arch_of("execve", 5001), Arch::I386);
    assert_eq!(arch_of("arch_prctl", 5001), Arch::X32);
    let g = gen(&t);
    assert!(g.text.contains("targets x86_64, x32, i386"), "{}", g.text);
    assert!(g.text.contains("on i386 {"), "{}", g.text);
    assert!(g.text.contains("0x40000300 on x32"), "{}", g.text);
}

#[test]
fn execve_learns_the_abi_of_the_new_program() {
    let lookup = |p: &str| (p == "/usr/bin/run32").then_some(Arch::I386);
    let text = "1  execve(\"/usr/bin/run32\", [\"run32\"], 0x7ffd /* 1 var */) = 0\n\
                1  mmap2(NULL, 8192, PROT_READ, MAP_PRIVATE, 3, 0) = 0xf7f5e000\n\
                2  execve(\"/usr/bin/missing\", [\"x\"], 0x7ffd /* 1 var */) = -1 ENOENT (No such file or directory)\n\
                2  read(0, \"\", 1) = 0\n";
    let mut p = Parser::new(Arch::X86_64).with_exec_arch(&lookup);
    p.feed(text);
    let t = p.finish();
    let archs: Vec<Arch> = t.calls.iter().map(|c| c.arch).collect();
    assert_eq!(
        archs,
        [Arch::X86_64, Arch::I386, Arch::X86_64, Arch::X86_64]
    );
}

#[test]
fn odd_line_shapes() {
    let t = parse(log!("constructs.log"), Arch::X86_64);
    // Only the line that is not strace output is skipped.
    assert_eq!(t.skipped.len(), 1, "{:?}", t.skipped);
    assert!(t.skipped[0].1.starts_with("this line"));
    let by = |n: &str| t.calls.iter().filter(|c| c.name == n).collect::<Vec<_>>();
    // -ttt, -i, -y and -T around a call.
    let open = by("openat");
    assert_eq!(open[0].ret, Ret::Value("3</etc/passwd>".into()));
    // Quotes, commas and parentheses inside a string.
    assert_eq!(open[1].args.as_ref().unwrap().len(), 3);
    assert_eq!(open[1].ret, Ret::Error("errno 2".into()));
    assert_eq!(by("read")[0].args.as_ref().unwrap()[0], "3</etc/passwd>");
    assert_eq!(by("fstat").len(), 1);
    assert_eq!(by("syscall_444")[0].ret, Ret::Error("ENOSYS".into()));
    // Detached in the middle of a call, a resumed call whose start is
    // not in the log, a call still unfinished at the end.
    assert_eq!(by("read")[1].ret, Ret::Unfinished);
    assert_eq!(by("nanosleep")[0].args, None);
    assert_eq!(by("futex")[0].ret, Ret::Unfinished);
    assert_eq!(
        by("restart_syscall")[0].ret,
        Ret::Error("ERESTART_RESTARTBLOCK".into())
    );
    let g = gen(&t);
    // syscall_444 is landlock_create_ruleset in moat's table.
    assert!(g.text.contains("landlock_create_ruleset"), "{}", g.text);
    // Verbose values show their names; a value with no name stays a number.
    assert!(g.text.contains("// socket domain: AF_INET"), "{}", g.text);
    assert!(
        g.text.contains("_IOC(_IOC_READ, 0x89, 0x13, 0x4), 0x8912"),
        "{}",
        g.text
    );
    // _IOC(…) is not a moat expression, so no condition is suggested.
    assert!(!g.text.contains("allow ioctl if"), "{}", g.text);
    // Raw 0x7 has PROT_EXEC (and PROT_WRITE); PROT_NONE is not noted.
    assert!(g.text.contains("// mmap with PROT_EXEC: 0x7"), "{}", g.text);
    assert!(g.text.contains("Writable and executable"), "{}", g.text);
    assert!(!g.text.contains("mprotect with"), "{}", g.text);
}

#[test]
fn crlf_line_ends() {
    let t = parse(log!("crlf.log"), Arch::X86_64);
    assert!(t.skipped.is_empty());
    assert_eq!(t.calls.len(), 2);
    assert_eq!(t.calls[1].ret, Ret::NoReturn);
}

#[test]
fn raw_and_verbose_values_suggest_the_same_conditions() {
    let symbolic = gen(&parse(log!("probe.log"), Arch::X86_64)).text;
    let verbose = gen(&parse(log!("probe-verbose.log"), Arch::X86_64)).text;
    let raw = gen(&parse(log!("probe-raw.log"), Arch::X86_64)).text;
    let line = |text: &str, start: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no `{start}` in\n{text}"))
            .trim()
            .to_string()
    };
    let ioctl = "// To allow only these: allow ioctl";
    assert_eq!(
        line(&symbolic, ioctl),
        "// To allow only these: allow ioctl if request in [TCGETS, FIONREAD]"
    );
    assert_eq!(line(&verbose, ioctl), line(&symbolic, ioctl));
    assert_eq!(
        line(&raw, ioctl),
        "// To allow only these: allow ioctl if request in [0x5401, 0x541b]"
    );
    // strace's raw clone flags `0x1200000|17`: one value.
    assert_eq!(
        line(&raw, "// To allow only these: allow clone"),
        "// To allow only these: allow clone if flags == 0x1200000 | 0x11"
    );
    // The rules themselves do not depend on the format.
    let rules = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(rules(&raw), rules(&symbolic));
    assert_eq!(rules(&verbose), rules(&symbolic));
}

#[test]
fn whole_groups_are_named() {
    // Every implemented member of std::groups::memory and ::signal on
    // x86_64, plus a call outside both.
    let calls = [
        "brk",
        "madvise",
        "mincore",
        "mmap",
        "mprotect",
        "mremap",
        "munmap",
        "rt_sigaction",
        "rt_sigpending",
        "rt_sigprocmask",
        "rt_sigsuspend",
        "rt_sigtimedwait",
        "sigaltstack",
        "signalfd",
        "signalfd4",
        "getpid",
    ];
    let text: String = calls.iter().map(|c| format!("{c}(0) = 0\n")).collect();
    let g = gen(&parse(&text, Arch::X86_64));
    assert!(g.text.contains("use std::groups\n"), "{}", g.text);
    assert!(
        g.text.contains("allow groups::memory, groups::signal\n"),
        "{}",
        g.text
    );
    assert!(g.text.contains("    allow getpid\n"), "{}", g.text);
    // One member short: no group.
    let text = text.replace("mincore(0) = 0\n", "");
    let g = gen(&parse(&text, Arch::X86_64));
    assert!(!g.text.contains("groups::memory"), "{}", g.text);
    assert!(g.text.contains("mremap"), "{}", g.text);
}

#[test]
fn nothing_to_name_is_an_error() {
    let t = parse("garbage\n+++ exited with 0 +++\n", Arch::X86_64);
    assert!(generate(
        &t,
        &Options {
            name: "t".into(),
            source: String::new()
        }
    )
    .is_err());
    let g = gen(&parse("frobnicate(1) = 0\nread(0) = 0\n", Arch::X86_64));
    assert!(g.warnings[0].contains("`frobnicate`"), "{:?}", g.warnings);
}

#[test]
fn profile_names() {
    assert_eq!(profile_name("/usr/bin/ls"), "ls");
    assert_eq!(profile_name("python3.11"), "python3_11");
    assert_eq!(profile_name("7z"), "p_7z");
    assert_eq!(profile_name("--"), "traced");
}

#[test]
fn exec_arch_reads_elf_headers() {
    let me = std::env::current_exe().unwrap();
    let host = if cfg!(target_arch = "x86_64") {
        Some(Arch::X86_64)
    } else if cfg!(target_arch = "aarch64") {
        Some(Arch::Aarch64)
    } else {
        None
    };
    if host.is_some() {
        assert_eq!(exec_arch(&me), host);
    }
    assert_eq!(exec_arch(std::path::Path::new("/nonexistent")), None);
}
