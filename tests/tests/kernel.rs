//! Compiled moat policies on the real kernel.
//!
//! Each scenario compiles a policy with the library, forks a child that
//! sets `PR_SET_NO_NEW_PRIVS`, installs a `SIGSYS` handler (`SA_SIGINFO`)
//! and the filter (`seccomp(SECCOMP_SET_MODE_FILTER, program.flags, …)`),
//! then makes real system calls. The child reports through a shared
//! anonymous mapping (no system call needed, so a policy that denies
//! `write` cannot hide a result), and the parent reads the report and the
//! wait status. Every call is checked twice: against the outcome written
//! here by hand, and against what `moat::emu` predicts for the same
//! `seccomp_data` on the same program.
//!
//! Covered: allow, log, errno (including errno(0)), trap (`si_errno`,
//! `si_syscall`, `si_arch`, `si_code`), trace without a tracer (ENOSYS),
//! kill and kill_thread (death by SIGSYS), nr = -1, unknown numbers, i386
//! calls through `int 0x80` and x32-numbered calls against an x86_64-only
//! filter (bad_arch, as errno and as the default kill), x32 calls against
//! an x86_64+x32 filter, 16/32/64-bit argument widths with garbage in the
//! ignored bits, signed 32- and 64-bit comparisons, and every profile of
//! `examples/` and `stdlib/` loading as an x86_64 filter.
//!
//! Linux x86-64 only. Where seccomp cannot be used the tests print a
//! `SKIPPED` line and pass, unless `MOAT_REQUIRE_SECCOMP=1`.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use moat::arch::Arch;
use moat::bpf::SeccompData;
use moat::codegen::Program;
use moat::sema::{analyze_path, analyze_source, Act, Options};
use moat::syntax::ast::ActionKind;
use moat_tests::check::errors;
use moat_tests::policy::{gen_policy, resolve_arg, GAct, GenConfig, GenRule, SplitMix, Tape};
use moat_tests::{moat_files, repo};
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const AUDIT_ARCH_I386: u32 = 0x4000_0003;
const X32_BIT: i64 = 0x4000_0000;
/// `si_code` of a seccomp SIGSYS (SYS_SECCOMP).
const SYS_SECCOMP: i32 = 1;

// ---- the child ------------------------------------------------------------------

#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct SockFilter {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

const MAX_CALLS: usize = 64;

/// One call's result as the child saw it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct CallReport {
    returned: u32,
    ret: i64,
    errno: i32,
    trapped: u32,
    si_errno: i32,
    si_code: i32,
    si_syscall: i32,
    si_arch: u32,
}

/// The shared page between parent and child.
#[repr(C)]
struct Report {
    installed: u32,
    install_ret: i64,
    install_errno: i32,
    calls: [CallReport; MAX_CALLS],
}

/// A system call the child makes.
#[derive(Clone, Copy, Debug)]
enum Call {
    /// `syscall(nr, args…)` through the x86-64 `syscall` instruction.
    Sys(i64, [u64; 6]),
    /// An i386 call through `int 0x80` with ebx, ecx, edx, esi, edi, ebp.
    Int80(u32, [u32; 6]),
}

impl Call {
    /// The `seccomp_data` the kernel builds for this call.
    fn data(&self) -> SeccompData {
        match *self {
            Call::Sys(nr, args) => SeccompData {
                nr: nr as u32,
                arch: AUDIT_ARCH_X86_64,
                instruction_pointer: 0,
                args,
            },
            Call::Int80(nr, a) => SeccompData {
                nr,
                arch: AUDIT_ARCH_I386,
                instruction_pointer: 0,
                args: a.map(u64::from),
            },
        }
    }
}

static REPORT: AtomicPtr<Report> = AtomicPtr::new(std::ptr::null_mut());
static CURRENT: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_sigsys(_sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers;
    // for SIGSYS the union holds `_sigsys { void *call_addr; int syscall;
    // unsigned int arch; }` at offset 16 on x86-64. REPORT points at the
    // shared mapping, CURRENT is below MAX_CALLS.
    unsafe {
        let base = info.cast::<u8>();
        let r = &mut (*REPORT.load(Ordering::Relaxed)).calls[CURRENT.load(Ordering::Relaxed)];
        std::ptr::write_volatile(&mut r.si_errno, (*info).si_errno);
        std::ptr::write_volatile(&mut r.si_code, (*info).si_code);
        std::ptr::write_volatile(&mut r.si_syscall, *base.add(24).cast::<i32>());
        std::ptr::write_volatile(&mut r.si_arch, *base.add(28).cast::<u32>());
        std::ptr::write_volatile(&mut r.trapped, 1);
    }
}

/// `int 0x80` with eax = nr and the six argument registers; returns eax
/// sign-extended.
unsafe fn int80(nr: u32, a: [u32; 6]) -> i64 {
    let ret: u64;
    // SAFETY: an i386 system call; the kernel preserves every register
    // but eax and (on the int 0x80 path) r8–r11. rbx and rbp cannot be
    // operands, so they are swapped in and restored around the call.
    unsafe {
        std::arch::asm!(
            "xchg rbx, {a0}",
            "push rbp",
            "mov ebp, {a5:e}",
            "int 0x80",
            "pop rbp",
            "xchg rbx, {a0}",
            a0 = inout(reg) u64::from(a[0]) => _,
            a5 = in(reg) u64::from(a[5]),
            inlateout("rax") u64::from(nr) => ret,
            in("rcx") u64::from(a[1]),
            in("rdx") u64::from(a[2]),
            in("rsi") u64::from(a[3]),
            in("rdi") u64::from(a[4]),
            out("r8") _, out("r9") _, out("r10") _, out("r11") _,
        );
    }
    i64::from(ret as u32 as i32)
}

unsafe fn last_errno() -> i32 {
    unsafe { *libc::__errno_location() }
}

unsafe fn no_core_dumps() {
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &zero);
    }
}

/// What the child did, as the parent sees it.
#[derive(Debug)]
struct ChildResult {
    installed: bool,
    install_ret: i64,
    install_errno: i32,
    calls: Vec<CallReport>,
    /// `Some(sig)` when the child died of a signal.
    signal: Option<i32>,
    exit_code: Option<i32>,
}

static KERNEL_CALLS: AtomicU64 = AtomicU64::new(0);

/// Forks; the child installs `filter` (unless `None`) and makes `calls`.
fn run_child(filter: Option<(&[SockFilter], u32)>, calls: &[Call]) -> ChildResult {
    assert!(calls.len() <= MAX_CALLS);
    let size = std::mem::size_of::<Report>();
    // SAFETY: FFI. Everything the child needs is allocated before fork;
    // the child makes only raw system calls and writes the shared page.
    unsafe {
        let page = libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(page, libc::MAP_FAILED);
        std::ptr::write_bytes(page.cast::<u8>(), 0, size);
        let report = page.cast::<Report>();
        let fprog = filter.map(|(f, _)| SockFprog {
            len: f.len() as u16,
            filter: f.as_ptr(),
        });
        let flags = filter.map_or(0, |(_, fl)| fl);
        let pid = libc::fork();
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            REPORT.store(report, Ordering::Relaxed);
            no_core_dumps();
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigsys as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
            libc::sigaction(libc::SIGSYS, &sa, std::ptr::null_mut());
            if let Some(fprog) = &fprog {
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                    (*report).install_errno = last_errno();
                    libc::_exit(3);
                }
                let r = libc::syscall(
                    libc::SYS_seccomp,
                    libc::c_ulong::from(libc::SECCOMP_SET_MODE_FILTER),
                    libc::c_ulong::from(flags),
                    fprog as *const SockFprog,
                );
                (*report).install_ret = r;
                if r < 0 {
                    (*report).install_errno = last_errno();
                    libc::_exit(3);
                }
            }
            std::ptr::write_volatile(&mut (*report).installed, 1);
            for (i, c) in calls.iter().enumerate() {
                CURRENT.store(i, Ordering::Relaxed);
                *libc::__errno_location() = 0;
                let (ret, errno) = match *c {
                    Call::Sys(nr, a) => {
                        let r = libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
                        (r, last_errno())
                    }
                    Call::Int80(nr, a) => {
                        let r = int80(nr, a);
                        if (-4095..0).contains(&r) {
                            (-1, -r as i32)
                        } else {
                            (r, 0)
                        }
                    }
                };
                let slot = &mut (*report).calls[i];
                std::ptr::write_volatile(&mut slot.ret, ret);
                std::ptr::write_volatile(&mut slot.errno, errno);
                std::ptr::write_volatile(&mut slot.returned, 1);
            }
            libc::syscall(libc::SYS_exit_group, 0);
            // The policy refused exit_group: die without a system call.
            std::arch::asm!("ud2");
            libc::_exit(0);
        }
        let mut status = 0;
        loop {
            let r = libc::waitpid(pid, &mut status, 0);
            if r == pid {
                break;
            }
            assert_eq!(
                std::io::Error::last_os_error().raw_os_error(),
                Some(libc::EINTR)
            );
        }
        let rep = &*report;
        let n_calls = rep
            .calls
            .iter()
            .take(calls.len())
            .filter(|c| c.returned != 0 || c.trapped != 0)
            .count();
        KERNEL_CALLS.fetch_add(n_calls as u64, Ordering::Relaxed);
        let out = ChildResult {
            installed: rep.installed != 0,
            install_ret: rep.install_ret,
            install_errno: rep.install_errno,
            calls: rep.calls[..calls.len()].to_vec(),
            signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
            exit_code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        };
        libc::munmap(page, size);
        out
    }
}

// ---- availability --------------------------------------------------------------

fn raw_filter(program: &Program) -> Vec<SockFilter> {
    program
        .insns
        .iter()
        .map(|i| SockFilter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect()
}

/// `Ok` when filters can be installed and observed here.
fn seccomp_status() -> &'static Result<(), String> {
    static STATUS: OnceLock<Result<(), String>> = OnceLock::new();
    STATUS.get_or_init(|| {
        // ld [0]; jeq getppid → errno(42); allow
        let f = [
            SockFilter {
                code: 0x20,
                jt: 0,
                jf: 0,
                k: 0,
            },
            SockFilter {
                code: 0x15,
                jt: 0,
                jf: 1,
                k: libc::SYS_getppid as u32,
            },
            SockFilter {
                code: 0x06,
                jt: 0,
                jf: 0,
                k: 0x0005_002a,
            },
            SockFilter {
                code: 0x06,
                jt: 0,
                jf: 0,
                k: 0x7fff_0000,
            },
        ];
        let r = run_child(Some((&f, 0)), &[Call::Sys(libc::SYS_getppid, [0; 6])]);
        if !r.installed {
            return Err(format!(
                "seccomp(SECCOMP_SET_MODE_FILTER) failed with errno {}",
                r.install_errno
            ));
        }
        match r.calls[0] {
            CallReport {
                returned: 1,
                ret: -1,
                errno: 42,
                ..
            } => Ok(()),
            other => Err(format!(
                "a filter returning ERRNO(42) for getppid gave {other:?}"
            )),
        }
    })
}

fn available(test: &str) -> bool {
    match seccomp_status() {
        Ok(()) => true,
        Err(why) => {
            if std::env::var("MOAT_REQUIRE_SECCOMP").is_ok_and(|v| v == "1") {
                panic!("{test}: seccomp unavailable: {why}");
            }
            println!("SKIPPED {test}: seccomp filters are unavailable here: {why}");
            eprintln!("SKIPPED {test}: seccomp filters are unavailable here: {why}");
            false
        }
    }
}

/// Whether `int 0x80` reaches the kernel's i386 entry (IA32 emulation on).
fn int80_works() -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| {
        let r = run_child(
            None,
            &[Call::Int80(20, [0; 6]), Call::Sys(libc::SYS_getpid, [0; 6])],
        );
        r.calls[0].returned == 1 && r.calls[0].ret > 0 && r.calls[0].ret == r.calls[1].ret
    })
}

// ---- scenarios ------------------------------------------------------------------

fn compile(text: &str, arches: &[Arch]) -> Program {
    let analysis = analyze_source("kernel.moat", None, text, &Options::default());
    if let Some(e) = errors(&analysis) {
        panic!("{e}");
    }
    let profile = moat::driver::select_profile(&analysis, None).unwrap();
    moat::driver::compile(profile, arches).unwrap()
}

/// What a call should come to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Returned this value (`None`: any non-negative value).
    Ok(Option<i64>),
    Errno(i32),
    /// SIGSYS handler ran with this si_errno, for this syscall and arch.
    Trap(i32, i32, u32),
    /// The process died of SIGSYS here.
    Killed,
}

/// What the kernel does with the action `emu` computed for a call (no
/// tracer or listener attached).
fn predicted(act: Act, call: &Call) -> Expect {
    let d = call.data();
    match act.kind {
        ActionKind::Allow | ActionKind::Log => Expect::Ok(None),
        ActionKind::Errno if act.data == 0 => Expect::Ok(Some(0)),
        ActionKind::Errno => Expect::Errno(i32::from(act.data)),
        ActionKind::Trap => Expect::Trap(i32::from(act.data), d.nr as i32, d.arch),
        ActionKind::Trace | ActionKind::Notify => Expect::Errno(libc::ENOSYS),
        ActionKind::Kill | ActionKind::KillThread => Expect::Killed,
    }
}

fn observed(c: &CallReport) -> Option<Expect> {
    if c.trapped != 0 {
        assert_eq!(c.si_code, SYS_SECCOMP, "SIGSYS not from seccomp: {c:?}");
        return Some(Expect::Trap(c.si_errno, c.si_syscall, c.si_arch));
    }
    if c.returned == 0 {
        return None;
    }
    Some(if c.ret == -1 {
        Expect::Errno(c.errno)
    } else {
        Expect::Ok(Some(c.ret))
    })
}

fn matches(expect: Expect, got: Expect) -> bool {
    match (expect, got) {
        (Expect::Ok(None), Expect::Ok(Some(v))) => v >= 0,
        (a, b) => a == b,
    }
}

/// Runs `calls` under `program`, one child after another: a call that
/// kills the child is observed as `Expect::Killed` and the next child goes
/// on with the call after it. `None` for a call means the kernel refused
/// the filter.
fn run_calls(name: &str, program: &Program, calls: &[Call]) -> Vec<Expect> {
    let filter = raw_filter(program);
    let mut out = Vec::new();
    while out.len() < calls.len() {
        let start = out.len();
        let r = run_child(Some((&filter, program.flags)), &calls[start..]);
        assert!(
            r.installed,
            "{name}: the kernel refused the filter: seccomp returned {} errno {}",
            r.install_ret, r.install_errno
        );
        let mut killed = false;
        for (i, call) in calls[start..].iter().enumerate() {
            match observed(&r.calls[i]) {
                Some(Expect::Trap(d, nr, arch)) if r.calls[i].returned == 0 => {
                    // Trapped, and the child died before the call returned:
                    // only possible if returning from the handler failed.
                    panic!("{name}: {call:x?} trapped ({d}, {nr}, {arch:#x}) and never returned: {r:?}");
                }
                Some(g) => out.push(g),
                None => {
                    assert_eq!(
                        r.signal,
                        Some(libc::SIGSYS),
                        "{name}: {call:x?} ended the child unexpectedly ({r:?})"
                    );
                    out.push(Expect::Killed);
                    killed = true;
                    break;
                }
            }
        }
        if !killed {
            assert_eq!(
                r.exit_code,
                Some(0),
                "{name}: child did not exit cleanly: {r:?}"
            );
        }
    }
    out
}

/// Runs `calls` under `program` and checks each call against `expect`
/// and against emu's prediction.
fn scenario(name: &str, program: &Program, calls: &[(Call, Expect)]) {
    let just: Vec<Call> = calls.iter().map(|(c, _)| *c).collect();
    let seen = run_calls(name, program, &just);
    for ((call, expect), got) in calls.iter().zip(seen) {
        let emu_act = moat_tests::check::act_of(program, &call.data()).unwrap();
        let predicted = predicted(emu_act, call);
        assert!(
            matches(*expect, got),
            "{name}: {call:x?}: expected {expect:?}, the kernel gave {got:?}"
        );
        assert!(
            matches(predicted, got),
            "{name}: {call:x?}: emu predicts {predicted:?} ({emu_act}), the kernel gave {got:?}"
        );
    }
}

fn sys(nr: i64, args: &[u64]) -> Call {
    let mut a = [0u64; 6];
    a[..args.len()].copy_from_slice(args);
    Call::Sys(nr, a)
}

const POLICY: &str = r#"
profile kernel_check {
    targets x86_64
    default errno(EPERM)
    bad_arch errno(ENOEXEC)
    unknown errno(EXFULL)

    allow exit_group, exit, rt_sigreturn, getppid
    log getgid
    trace(5) getuid
    errno(0) sync

    errno(EACCES) dup if fildes == 5                  // unsigned int: low half only
    errno(E2BIG) lseek if offset == 0x1_0000_0005     // off_t: both halves
    errno(ERANGE) lseek if offset < 0                 // off_t is signed
    errno(EDOM) getpgid if pid > 0                    // pid_t: signed, 32-bit
    errno(EMLINK) fchmod if mode == 0o777             // umode_t: low 16 bits
    errno(ENOTBLK) umask if mask & 0o22 == 0o22 && mask <= 0o777
    trap(77) getpgrp
    kill getsid
    kill_thread setsid
}
"#;

#[test]
fn actions_widths_and_signedness_on_the_kernel() {
    if !available("actions_widths_and_signedness_on_the_kernel") {
        return;
    }
    let program = compile(POLICY, &[Arch::X86_64]);
    let ppid = i64::from(std::process::id());
    // SAFETY: plain getters.
    let gid = i64::from(unsafe { libc::getgid() });
    use libc::*;
    let e = Expect::Errno;
    let calls = vec![
        (sys(SYS_getppid, &[]), Expect::Ok(Some(ppid))),
        (sys(SYS_getppid, &[u64::MAX; 6]), Expect::Ok(Some(ppid))),
        (sys(SYS_getgid, &[]), Expect::Ok(Some(gid))),
        (sys(SYS_getuid, &[]), e(ENOSYS)),
        (sys(SYS_sync, &[]), Expect::Ok(Some(0))),
        (sys(SYS_getpid, &[]), e(EPERM)),
        // 32-bit unsigned: the upper half of the register is ignored.
        (sys(SYS_dup, &[5]), e(EACCES)),
        (sys(SYS_dup, &[0xdead_0000_0000_0005]), e(EACCES)),
        (sys(SYS_dup, &[0xffff_ffff_0000_0005]), e(EACCES)),
        (sys(SYS_dup, &[6]), e(EPERM)),
        (sys(SYS_dup, &[0x5_0000_0006]), e(EPERM)),
        // 64-bit: both halves count; signed.
        (sys(SYS_lseek, &[3, 0x1_0000_0005, 0]), e(E2BIG)),
        (sys(SYS_lseek, &[3, 5, 0]), e(EPERM)),
        (sys(SYS_lseek, &[3, 0x2_0000_0005, 0]), e(EPERM)),
        (
            sys(SYS_lseek, &[0xdead_0000_0003, 0x1_0000_0005, 0]),
            e(E2BIG),
        ),
        (sys(SYS_lseek, &[3, u64::MAX, 0]), e(ERANGE)),
        (sys(SYS_lseek, &[3, 0x8000_0000_0000_0000, 0]), e(ERANGE)),
        (sys(SYS_lseek, &[3, 0x8000_0000, 0]), e(EPERM)),
        (sys(SYS_lseek, &[3, 0xffff_ffff, 0]), e(EPERM)),
        // 32-bit signed: pid > 0 is false for -1, whatever the upper half.
        (sys(SYS_getpgid, &[1]), e(EDOM)),
        (sys(SYS_getpgid, &[0x7fff_ffff]), e(EDOM)),
        (sys(SYS_getpgid, &[u64::MAX]), e(EPERM)),
        (sys(SYS_getpgid, &[0xffff_ffff]), e(EPERM)),
        (sys(SYS_getpgid, &[0x8000_0000]), e(EPERM)),
        (sys(SYS_getpgid, &[0]), e(EPERM)),
        (sys(SYS_getpgid, &[0xdead_0000_0000_0001]), e(EDOM)),
        (sys(SYS_getpgid, &[0x1_0000_0000]), e(EPERM)),
        // 16-bit: only the low 16 bits.
        (sys(SYS_fchmod, &[999, 0o777]), e(EMLINK)),
        (sys(SYS_fchmod, &[999, 0xabcd_0000_01ff]), e(EMLINK)),
        (sys(SYS_fchmod, &[999, 0x1_01ff]), e(EMLINK)),
        (sys(SYS_fchmod, &[999, 0o776]), e(EPERM)),
        // Masked equality and a signed bound together.
        (sys(SYS_umask, &[0o22]), e(ENOTBLK)),
        (sys(SYS_umask, &[0o777]), e(ENOTBLK)),
        (sys(SYS_umask, &[0o1022]), e(EPERM)),
        (sys(SYS_umask, &[0o20]), e(EPERM)),
        // int is signed: -1 <= 0o777, and -1 has every bit of 0o22.
        (sys(SYS_umask, &[0xffff_ffff]), e(ENOTBLK)),
        (sys(SYS_umask, &[0x8000_0000]), e(EPERM)),
        (sys(SYS_umask, &[0x1_0000_0012]), e(ENOTBLK)),
        // The decision order's edges.
        (sys(-1, &[]), e(EPERM)),
        (sys(1000, &[]), e(EXFULL)),
        (sys(0x3fff_ffff, &[]), e(EXFULL)),
        (sys(X32_BIT | SYS_getpid, &[]), e(ENOEXEC)),
        (sys(X32_BIT | SYS_getppid, &[]), e(ENOEXEC)),
        (sys(X32_BIT | 0x200, &[]), e(ENOEXEC)),
        // Trap: SIGSYS with si_errno = 77; the handler returns and the
        // child goes on.
        (
            sys(SYS_getpgrp, &[]),
            Expect::Trap(77, SYS_getpgrp as i32, AUDIT_ARCH_X86_64),
        ),
        (sys(SYS_getppid, &[]), Expect::Ok(Some(ppid))),
        (sys(SYS_getsid, &[0]), Expect::Killed),
        (sys(SYS_setsid, &[]), Expect::Killed),
        (sys(SYS_getppid, &[]), Expect::Ok(Some(ppid))),
    ];
    scenario("kernel_check", &program, &calls);
    if int80_works() {
        scenario(
            "kernel_check (int 0x80)",
            &program,
            &[
                (Call::Int80(20, [0; 6]), e(ENOEXEC)),
                (Call::Int80(64, [0; 6]), e(ENOEXEC)),
                (sys(SYS_getppid, &[]), Expect::Ok(Some(ppid))),
            ],
        );
    } else {
        println!("SKIPPED int 0x80 cases: this kernel has no IA32 emulation");
    }
    eprintln!(
        "kernel: {} calls so far",
        KERNEL_CALLS.load(Ordering::Relaxed)
    );
}

#[test]
fn foreign_arch_calls_are_killed_by_default() {
    if !available("foreign_arch_calls_are_killed_by_default") {
        return;
    }
    let program = compile(
        "profile p {\n    targets x86_64\n    default allow\n}\n",
        &[Arch::X86_64],
    );
    let ppid = i64::from(std::process::id());
    scenario(
        "bad_arch kill (x32)",
        &program,
        &[
            (sys(libc::SYS_getppid, &[]), Expect::Ok(Some(ppid))),
            (sys(X32_BIT | libc::SYS_getppid, &[]), Expect::Killed),
        ],
    );
    if int80_works() {
        scenario(
            "bad_arch kill (int 0x80)",
            &program,
            &[
                (sys(libc::SYS_getppid, &[]), Expect::Ok(Some(ppid))),
                (Call::Int80(20, [0; 6]), Expect::Killed),
            ],
        );
    } else {
        println!("SKIPPED int 0x80 cases: this kernel has no IA32 emulation");
    }
}

#[test]
fn x32_and_i386_targets_are_told_apart() {
    if !available("x32_and_i386_targets_are_told_apart") {
        return;
    }
    let text = r#"
profile p {
    targets x86_64, x32, i386
    default allow
    bad_arch errno(ENOEXEC)
    on x32 { errno(EXDEV) getpid }
    on i386 { errno(ECHRNG) getpid }
    on i386 { errno(EBADE) dup if fildes == 7 }
    errno(EL2HLT) getppid
}
"#;
    let program = compile(text, &[Arch::X86_64, Arch::X32, Arch::I386]);
    let mut calls = vec![
        (sys(libc::SYS_getpid, &[]), Expect::Ok(None)),
        (
            sys(X32_BIT | libc::SYS_getpid, &[]),
            Expect::Errno(libc::EXDEV),
        ),
        (sys(libc::SYS_getppid, &[]), Expect::Errno(libc::EL2HLT)),
        (
            sys(X32_BIT | libc::SYS_getppid, &[]),
            Expect::Errno(libc::EL2HLT),
        ),
    ];
    if int80_works() {
        calls.push((Call::Int80(20, [0; 6]), Expect::Errno(libc::ECHRNG)));
        calls.push((Call::Int80(64, [0; 6]), Expect::Errno(libc::EL2HLT)));
        calls.push((
            Call::Int80(41, [7, 1, 2, 3, 4, 5]),
            Expect::Errno(libc::EBADE),
        ));
        calls.push((Call::Int80(41, [0, 7, 7, 7, 7, 7]), Expect::Ok(None)));
    }
    scenario("x86_64+x32+i386", &program, &calls);

    // Without x32 among the targets, x32 numbers are foreign.
    let text = r#"
profile p {
    targets x86_64, i386
    default allow
    bad_arch errno(ENOEXEC)
    errno(EXDEV) getpid
}
"#;
    let program = compile(text, &[Arch::X86_64, Arch::I386]);
    let mut calls = vec![
        (sys(libc::SYS_getpid, &[]), Expect::Errno(libc::EXDEV)),
        (
            sys(X32_BIT | libc::SYS_getpid, &[]),
            Expect::Errno(libc::ENOEXEC),
        ),
        (sys(X32_BIT | 0x200, &[]), Expect::Errno(libc::ENOEXEC)),
    ];
    if int80_works() {
        calls.push((Call::Int80(20, [0; 6]), Expect::Errno(libc::EXDEV)));
    }
    scenario("x86_64+i386", &program, &calls);
}

#[test]
fn every_example_and_stdlib_profile_loads_as_an_x86_64_filter() {
    if !available("every_example_and_stdlib_profile_loads_as_an_x86_64_filter") {
        return;
    }
    let mut files = Vec::new();
    moat_files(&repo().join("examples"), &mut files);
    moat_files(&repo().join("stdlib"), &mut files);
    files.sort();
    let mut loaded = 0;
    for f in &files {
        let analysis = analyze_path(f, &Options::default()).unwrap();
        if let Some(e) = errors(&analysis) {
            panic!("{}: {e}", f.display());
        }
        for profile in &analysis.profiles {
            let targets = &profile.settings.targets;
            // The x86_64-only program, and the whole little-endian one.
            let mut builds = Vec::new();
            if targets.contains(&Arch::X86_64) {
                builds.push(vec![Arch::X86_64]);
            }
            let little: Vec<Arch> = targets
                .iter()
                .copied()
                .filter(|a| a.endian() == moat::bpf::Endian::Little)
                .collect();
            if !little.is_empty() && little != [Arch::X86_64] {
                builds.push(little);
            }
            for arches in builds {
                let program = moat::driver::compile(profile, &arches).unwrap();
                let filter = raw_filter(&program);
                let r = run_child(Some((&filter, program.flags)), &[]);
                assert!(
                    r.installed && r.install_ret >= 0,
                    "{} profile {} for {arches:?} ({} insns, flags {:#x}): the kernel refused it with errno {}",
                    f.display(),
                    profile.name,
                    program.insns.len(),
                    program.flags,
                    r.install_errno
                );
                loaded += 1;
            }
        }
    }
    eprintln!("kernel: {loaded} example/stdlib programs loaded");
    assert!(loaded > 0);
}

// ---- random policies ------------------------------------------------------------

/// Syscalls a random policy may let through without harm to anything but
/// the child: no pointers, no signals, nothing that reaches other
/// processes or shared file offsets. Each returns small non-negative
/// values or a real errno below 1000 (not `personality`, whose old
/// persona can look like any errno).
const HARMLESS: &[&str] = &[
    "getppid",
    "getpid",
    "getpgid",
    "getsid",
    "dup",
    "close",
    "umask",
    "getpriority",
    "sched_getscheduler",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "ioprio_get",
    "getuid",
    "geteuid",
    "getgid",
    "sched_yield",
];

/// The filter's errno range in random policies; no syscall returns these
/// itself, so an errno here is the filter's.
const ERRNO_RANGE: (u16, u16) = (1000, 4095);

/// What the kernel did, up to what a random call can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// The syscall ran (allow or log), whatever it returned.
    Ran,
    FilterErrno(i32),
    /// ENOSYS: trace without a tracer (or an x32 call on a kernel without
    /// x32 that the filter let through).
    Enosys,
    Trap(i32),
    Killed,
}

fn kind_of(e: Expect, call: &Call) -> Kind {
    let (lo, hi) = ERRNO_RANGE;
    match e {
        Expect::Ok(_) => Kind::Ran,
        Expect::Errno(n) if (i32::from(lo)..=i32::from(hi)).contains(&n) => Kind::FilterErrno(n),
        Expect::Errno(libc::ENOSYS) => Kind::Enosys,
        Expect::Errno(_) => Kind::Ran,
        Expect::Trap(d, nr, arch) => {
            let data = call.data();
            assert_eq!(
                (nr as u32, arch),
                (data.nr, data.arch),
                "si_syscall/si_arch of {call:x?}"
            );
            Kind::Trap(d)
        }
        Expect::Killed => Kind::Killed,
    }
}

fn kind_predicted(act: Act) -> Kind {
    match act.kind {
        ActionKind::Allow | ActionKind::Log => Kind::Ran,
        ActionKind::Errno => Kind::FilterErrno(i32::from(act.data)),
        ActionKind::Trace | ActionKind::Notify => Kind::Enosys,
        ActionKind::Trap => Kind::Trap(i32::from(act.data)),
        ActionKind::Kill | ActionKind::KillThread => Kind::Killed,
    }
}

/// Calls worth making under a random policy: every harmless syscall it
/// names plus two it does not, on each call path (x86_64, x32 numbers,
/// int 0x80), with all-zero, random and around-the-literal arguments.
fn random_calls(g: &moat_tests::policy::GenPolicy, rng: &mut SplitMix, int80: bool) -> Vec<Call> {
    let mut names = g.syscall_names();
    names.retain(|n| HARMLESS.contains(n));
    for _ in 0..2 {
        names.push(HARMLESS[rng.below(HARMLESS.len() as u64) as usize]);
    }
    let mut calls = Vec::new();
    for name in names {
        for arch in [Arch::X86_64, Arch::X32, Arch::I386] {
            if arch == Arch::I386 && !int80 {
                continue;
            }
            let Some(sc) = arch.syscall(name) else {
                continue;
            };
            let mut argsets: Vec<[u64; 6]> = vec![[0; 6]];
            for _ in 0..2 {
                argsets.push(std::array::from_fn(|_| match rng.below(3) {
                    0 => rng.below(8),
                    1 => rng.next_u64() as u32 as u64,
                    _ => rng.next_u64(),
                }));
            }
            for (arg, k) in g.literals_for(name) {
                let Some(ty) = resolve_arg(arch, sc, arg) else {
                    continue;
                };
                for d in [-1i128, 0, 1] {
                    let v = (k + d) as u64;
                    let mut a = [0u64; 6];
                    match ty.slots {
                        moat::arch::Slots::One(s) => {
                            a[usize::from(s)] = v;
                            argsets.push(a);
                            // Garbage in the upper half of a narrow argument.
                            if ty.bits < 64 {
                                a[usize::from(s)] = (v & ty.mask()) | 0xdead_0000_0000_0000;
                                argsets.push(a);
                            }
                        }
                        moat::arch::Slots::Pair { lo, hi } => {
                            a[usize::from(lo)] = v & 0xffff_ffff;
                            a[usize::from(hi)] = v >> 32;
                            argsets.push(a);
                        }
                    }
                }
            }
            for args in argsets {
                calls.push(match arch {
                    Arch::I386 => Call::Int80(sc.nr, args.map(|x| x as u32)),
                    _ => Call::Sys(i64::from(sc.nr), args),
                });
            }
        }
    }
    // Bounded per policy, in a random order.
    for i in (1..calls.len()).rev() {
        calls.swap(i, rng.below(i as u64 + 1) as usize);
    }
    calls.truncate(MAX_CALLS);
    calls
}

/// Random policies over harmless syscalls, compiled and loaded: for every
/// call the kernel's outcome is the one `emu` predicts from the program,
/// which is the one the independent semantics gives.
#[test]
fn random_policies_on_the_kernel() {
    if !available("random_policies_on_the_kernel") {
        return;
    }
    let seed = std::env::var("MOAT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    let policies: usize = std::env::var("MOAT_KERNEL_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    use Arch::*;
    let cfg = GenConfig {
        target_sets: vec![
            vec![X86_64],
            vec![X86_64, X32],
            vec![X86_64, I386],
            vec![X86_64, X32, I386],
        ],
        pool: Some(HARMLESS.to_vec()),
        no_notify: true,
        errno_range: Some(ERRNO_RANGE),
        ..GenConfig::default()
    };
    let int80 = int80_works();
    let mut rng = SplitMix(seed);
    let before = KERNEL_CALLS.load(Ordering::Relaxed);
    for case in 0..policies {
        let tape: Vec<u64> = (0..400).map(|_| rng.next_u64()).collect();
        let mut g = gen_policy(&mut Tape::new(&tape), &cfg);
        // The child itself must be able to return from its SIGSYS handler
        // and exit.
        g.main.rules.push(GenRule {
            on: None,
            action: GAct::Allow,
            syscalls: vec!["exit_group", "rt_sigreturn"],
            pred: None,
        });
        let text = g.render();
        let ctx = format!("seed {seed}, policy {case}:\n{text}");
        let analysis = analyze_source("gen.moat", None, &text, &Options::default());
        if let Some(e) = errors(&analysis) {
            panic!("{ctx}\n{e}");
        }
        let profile = moat::driver::select_profile(&analysis, Some("p")).unwrap();
        let arches = profile.settings.targets.clone();
        let program = moat::driver::compile(profile, &arches).unwrap();
        let calls = random_calls(&g, &mut rng, int80);
        let seen = run_calls(&ctx, &program, &calls);
        for (call, got) in calls.iter().zip(seen) {
            let data = call.data();
            let emu_act = moat_tests::check::act_of(&program, &data).unwrap();
            let oracle = g.decide(&arches, &data);
            assert_eq!(
                emu_act, oracle,
                "{ctx}\n{call:x?}: emu and the independent semantics differ"
            );
            let want = kind_predicted(emu_act);
            let got = kind_of(got, call);
            let x32_without_kernel_support = matches!(call, Call::Sys(nr, _) if *nr >= X32_BIT)
                && want == Kind::Ran
                && got == Kind::Enosys;
            assert!(
                got == want || x32_without_kernel_support,
                "{ctx}\n{call:x?}: the kernel did {got:?}, emu predicts {want:?} ({emu_act})"
            );
        }
    }
    eprintln!(
        "kernel: {policies} random policies, {} calls (seed {seed})",
        KERNEL_CALLS.load(Ordering::Relaxed) - before
    );
}
