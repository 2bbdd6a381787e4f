//! `emu` against the running Linux kernel.
//!
//! * **Execution.** Each program is installed in a forked child
//!   (`PR_SET_NO_NEW_PRIVS` + `seccomp(SECCOMP_SET_MODE_FILTER)`), which then
//!   calls `getppid` with chosen arguments. What the kernel did (return
//!   value, errno, SIGSYS handler with `si_errno`, death by SIGSYS) is
//!   compared with the action `emu::run` predicts for the same
//!   `seccomp_data`. To keep the child able to report, the program under
//!   test is prefixed with `ld [0]; jeq #getppid, 1, 0; ret ALLOW; txa`, so
//!   it only decides `getppid` and starts with A = X = 0; jumps are
//!   relative, so the body runs unchanged. `emu` runs the same whole program.
//!   Leaves return `ERRNO(n)` with a distinct `n`, so the errno names the
//!   leaf the kernel chose.
//! * **Acceptance.** A child tries to install a program; the kernel's verdict
//!   (success or `EINVAL`) is compared with `emu::validate`.
//!
//! Linux x86-64 only. Where seccomp cannot be used (no `CONFIG_SECCOMP`, a
//! container that forbids it) the tests print why and pass, unless
//! `MOAT_REQUIRE_SECCOMP=1` is set, which turns the skip into a failure.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::OnceLock;

use moat::bpf::*;
use moat::emu;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const PROBE_NR: u32 = libc::SYS_getppid as u32;
const ENOSYS: i32 = libc::ENOSYS;
const EINVAL: i32 = libc::EINVAL;
const MAX_ERRNO: u32 = 4095;

// ---- the child side ----------------------------------------------------------

/// `struct sock_fprog`.
#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

/// `struct sock_filter` as the kernel reads it on x86-64.
#[repr(C)]
#[derive(Clone, Copy)]
struct SockFilter {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

fn raw(prog: &[Insn]) -> Vec<SockFilter> {
    prog.iter()
        .map(|i| SockFilter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect()
}

/// The pipe the SIGSYS handler reports through.
static REPORT_FD: AtomicI32 = AtomicI32::new(-1);

const TAG_RETURNED: u8 = b'R';
const TAG_TRAPPED: u8 = b'T';
const TAG_SETUP_FAILED: u8 = b'E';

/// A fixed-size message: tag, i64, i32.
fn message(tag: u8, a: i64, b: i32) -> [u8; 13] {
    let mut m = [0u8; 13];
    m[0] = tag;
    m[1..9].copy_from_slice(&a.to_ne_bytes());
    m[9..13].copy_from_slice(&b.to_ne_bytes());
    m
}

/// Only async-signal-safe calls from here on: the child of a threaded parent.
unsafe fn child_write(fd: i32, m: &[u8; 13]) {
    unsafe {
        libc::write(fd, m.as_ptr().cast(), m.len());
    }
}

extern "C" fn on_sigsys(_sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    unsafe {
        let data = (*info).si_errno;
        child_write(
            REPORT_FD.load(Ordering::Relaxed),
            &message(TAG_TRAPPED, 0, data),
        );
        libc::_exit(0);
    }
}

unsafe fn last_errno() -> i32 {
    unsafe { *libc::__errno_location() }
}

/// No core files from children the filter kills.
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

unsafe fn install(fprog: &SockFprog) -> Result<(), i32> {
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(last_errno());
        }
        let r = libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0,
            fprog as *const SockFprog,
        );
        if r != 0 {
            return Err(last_errno());
        }
        Ok(())
    }
}

// ---- what the kernel did -----------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
enum Observed {
    /// The call returned this non-negative value.
    Returned(i64),
    /// The call returned -1 with this errno.
    Errno(i32),
    /// The SIGSYS handler ran with this `si_errno` (SECCOMP_RET_TRAP data).
    Trapped(i32),
    /// The child died of SIGSYS (a kill action).
    KilledBySigsys,
    /// Anything else: the test harness itself failed.
    Unexpected(String),
}

/// What the kernel does with a filter result `ret` for `getppid`, with no
/// tracer and no notification listener attached (kernel/seccomp.c,
/// `__seccomp_filter`).
fn predict(ret: u32) -> Observed {
    let data = ret & SECCOMP_RET_DATA;
    match ret & SECCOMP_RET_ACTION_FULL {
        SECCOMP_RET_ERRNO if data == 0 => Observed::Returned(0),
        SECCOMP_RET_ERRNO => Observed::Errno(data.min(MAX_ERRNO) as i32),
        SECCOMP_RET_TRAP => Observed::Trapped(data as i32),
        SECCOMP_RET_TRACE | SECCOMP_RET_USER_NOTIF => Observed::Errno(ENOSYS),
        SECCOMP_RET_LOG | SECCOMP_RET_ALLOW => Observed::Returned(i64::from(std::process::id())),
        // KILL_PROCESS, KILL_THREAD (single-threaded: the process dies) and
        // every unknown action.
        _ => Observed::KilledBySigsys,
    }
}

fn wait(pid: libc::pid_t) -> libc::c_int {
    let mut status = 0;
    loop {
        // SAFETY: plain FFI call on our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            return status;
        }
        assert_eq!(
            std::io::Error::last_os_error().raw_os_error(),
            Some(libc::EINTR)
        );
    }
}

fn read_all(fd: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: reading into a stack buffer of the given size.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            out.extend_from_slice(&buf[..n as usize]);
        } else if n == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return out;
        }
    }
}

/// The probe prefix: only `getppid` reaches the body, and it starts with
/// A = X = 0 as a fresh filter does (`txa` copies the kernel's initial X).
fn wrap(body: &[Insn]) -> Vec<Insn> {
    let mut p = vec![
        Insn::stmt(BPF_LD | BPF_W | BPF_ABS, OFF_NR),
        Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, PROBE_NR, 1, 0),
        Insn::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        Insn::stmt(BPF_MISC | BPF_TXA, 0),
    ];
    p.extend_from_slice(body);
    p
}

/// Installs `wrap(body)` in a child and calls `getppid(args...)` there.
fn kernel_call(body: &[Insn], args: [u64; 6]) -> Observed {
    let filter = raw(&wrap(body));
    let fprog = SockFprog {
        len: filter.len() as u16,
        filter: filter.as_ptr(),
    };
    let mut fds = [0; 2];
    // SAFETY: FFI; the child below only makes async-signal-safe calls.
    unsafe {
        assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
        let pid = libc::fork();
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            libc::close(fds[0]);
            let fd = fds[1];
            REPORT_FD.store(fd, Ordering::Relaxed);
            no_core_dumps();
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigsys as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO;
            libc::sigaction(libc::SIGSYS, &sa, std::ptr::null_mut());
            if let Err(e) = install(&fprog) {
                child_write(fd, &message(TAG_SETUP_FAILED, 0, e));
                libc::_exit(3);
            }
            *libc::__errno_location() = 0;
            let r = libc::syscall(
                i64::from(PROBE_NR),
                args[0],
                args[1],
                args[2],
                args[3],
                args[4],
                args[5],
            );
            child_write(fd, &message(TAG_RETURNED, r, last_errno()));
            libc::_exit(0);
        }
        libc::close(fds[1]);
        let bytes = read_all(fds[0]);
        libc::close(fds[0]);
        let status = wait(pid);
        if bytes.len() == 13 {
            let a = i64::from_ne_bytes(bytes[1..9].try_into().unwrap());
            let b = i32::from_ne_bytes(bytes[9..13].try_into().unwrap());
            return match bytes[0] {
                TAG_RETURNED if a >= 0 => Observed::Returned(a),
                TAG_RETURNED if a == -1 => Observed::Errno(b),
                TAG_TRAPPED => Observed::Trapped(b),
                TAG_SETUP_FAILED => {
                    Observed::Unexpected(format!("installing the filter failed: errno {b}"))
                }
                _ => Observed::Unexpected(format!("odd report {bytes:?}")),
            };
        }
        if bytes.is_empty() && libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGSYS {
            return Observed::KilledBySigsys;
        }
        Observed::Unexpected(format!("report {bytes:?}, wait status {status:#x}"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Accepted,
    Rejected(i32),
}

/// Asks the kernel whether it accepts `prog` as a seccomp filter.
fn kernel_accepts(prog: &[Insn]) -> Verdict {
    let filter = raw(prog);
    let dangling = [SockFilter {
        code: 0,
        jt: 0,
        jf: 0,
        k: 0,
    }];
    let fprog = SockFprog {
        // Lengths above u16::MAX cannot be expressed; callers stay below.
        len: filter.len() as u16,
        filter: if filter.is_empty() {
            dangling.as_ptr()
        } else {
            filter.as_ptr()
        },
    };
    // SAFETY: FFI; the child only makes async-signal-safe calls.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            no_core_dumps();
            match install(&fprog) {
                Err(e) => {
                    libc::syscall(libc::SYS_exit_group, e);
                }
                Ok(()) => {
                    // The new filter decides exit_group too. If it refuses
                    // to let us exit, die without a system call.
                    libc::syscall(libc::SYS_exit_group, 0);
                    std::arch::asm!("ud2");
                }
            }
            libc::_exit(255);
        }
        let status = wait(pid);
        if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) != 0 {
            Verdict::Rejected(libc::WEXITSTATUS(status))
        } else {
            Verdict::Accepted
        }
    }
}

// ---- availability --------------------------------------------------------------

/// `Ok` when seccomp filters can be installed and observed here.
fn seccomp_status() -> &'static Result<(), String> {
    static STATUS: OnceLock<Result<(), String>> = OnceLock::new();
    STATUS.get_or_init(|| {
        // SAFETY: plain FFI call.
        let mode = unsafe { libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0) };
        if mode < 0 {
            return Err(format!(
                "prctl(PR_GET_SECCOMP) failed ({}): kernel without CONFIG_SECCOMP?",
                std::io::Error::last_os_error()
            ));
        }
        let probe = [Insn::stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 42)];
        match kernel_call(&probe, [0; 6]) {
            Observed::Errno(42) => Ok(()),
            other => Err(format!(
                "a filter returning ERRNO(42) for getppid was observed as {other:?} \
                 (seccomp mode of this process: {mode})"
            )),
        }
    })
}

/// Whether to run; prints the reason when not.
fn available(test: &str) -> bool {
    match seccomp_status() {
        Ok(()) => true,
        Err(why) => {
            if std::env::var_os("MOAT_REQUIRE_SECCOMP").is_some_and(|v| v == "1") {
                panic!("{test}: seccomp is required (MOAT_REQUIRE_SECCOMP=1) but {why}");
            }
            eprintln!("SKIPPED {test}: seccomp filters are unavailable here: {why}");
            false
        }
    }
}

// ---- comparison ---------------------------------------------------------------

fn data_for(args: [u64; 6]) -> SeccompData {
    SeccompData {
        nr: PROBE_NR,
        arch: AUDIT_ARCH_X86_64,
        instruction_pointer: 0, // never loaded by these programs
        args,
    }
}

/// Runs `body` in emu and in the kernel; returns what both agreed on, or a
/// description of the mismatch.
fn compare(body: &[Insn], args: [u64; 6]) -> Result<Observed, String> {
    let prog = wrap(body);
    emu::validate(&prog).map_err(|e| format!("program invalid: {e}"))?;
    let out =
        emu::run(&prog, &data_for(args), Endian::Little).map_err(|e| format!("emu failed: {e}"))?;
    let want = predict(out.ret);
    let got = kernel_call(body, args);
    if got == want {
        Ok(got)
    } else {
        Err(format!(
            "args {args:x?}: emu returned {} ({:#x}) so expected {want:?}; kernel: {got:?}\n{}",
            emu::action_name(out.ret),
            out.ret,
            emu::disasm(&prog)
        ))
    }
}

// ---- hand-assembled programs ---------------------------------------------------

fn ld(k: u32) -> Insn {
    Insn::stmt(BPF_LD | BPF_W | BPF_ABS, k)
}
fn ld_imm(k: u32) -> Insn {
    Insn::stmt(BPF_LD | BPF_IMM, k)
}
fn ldx_imm(k: u32) -> Insn {
    Insn::stmt(BPF_LDX | BPF_IMM, k)
}
fn alu_k(op: u16, k: u32) -> Insn {
    Insn::stmt(BPF_ALU | op | BPF_K, k)
}
fn alu_x(op: u16) -> Insn {
    Insn::stmt(BPF_ALU | op | BPF_X, 0)
}
fn jk(op: u16, k: u32, jt: u8, jf: u8) -> Insn {
    Insn::jump(BPF_JMP | op | BPF_K, k, jt, jf)
}
fn jx(op: u16, jt: u8, jf: u8) -> Insn {
    Insn::jump(BPF_JMP | op | BPF_X, 0, jt, jf)
}
fn ret(k: u32) -> Insn {
    Insn::stmt(BPF_RET | BPF_K, k)
}
fn ret_a() -> Insn {
    Insn::stmt(BPF_RET | BPF_A, 0)
}
fn errno(n: u32) -> Insn {
    ret(SECCOMP_RET_ERRNO | n)
}
/// `A = ERRNO(A & 0xfff)` then return it.
fn ret_a_as_errno() -> [Insn; 3] {
    [
        alu_k(BPF_AND, 0xfff),
        alu_k(BPF_OR, SECCOMP_RET_ERRNO),
        ret_a(),
    ]
}

/// A named program body and the argument vectors to call it with.
type Case = (&'static str, Vec<Insn>, Vec<[u64; 6]>);

fn hand_programs() -> Vec<Case> {
    let zero = vec![[0u64; 6]];
    let mut v: Vec<Case> = Vec::new();
    for (name, k) in [
        ("ret ALLOW", SECCOMP_RET_ALLOW),
        ("ret ALLOW|data", SECCOMP_RET_ALLOW | 5),
        ("ret LOG", SECCOMP_RET_LOG),
        ("ret TRAP", SECCOMP_RET_TRAP | 7),
        ("ret ERRNO(0)", SECCOMP_RET_ERRNO),
        ("ret ERRNO(1)", SECCOMP_RET_ERRNO | 1),
        ("ret ERRNO(capped)", SECCOMP_RET_ERRNO | 5000),
        ("ret TRACE", SECCOMP_RET_TRACE | 3),
        ("ret USER_NOTIF", SECCOMP_RET_USER_NOTIF),
        ("ret KILL_PROCESS", SECCOMP_RET_KILL_PROCESS),
        ("ret KILL_THREAD", SECCOMP_RET_KILL_THREAD),
        ("ret unknown action", 0x0001_0000),
        ("ret unknown high action", 0x9000_0000),
    ] {
        v.push((name, vec![ret(k)], zero.clone()));
    }
    // Shifts by X, including counts >= 32 (the kernel masks with 31).
    let counts: Vec<[u64; 6]> = [0u64, 1, 11, 31, 32, 33, 43, 63, 64, 0xffff_ffff]
        .iter()
        .map(|&c| [c, 0, 0, 0, 0, 0])
        .collect();
    // X = low word of args[0].
    let mut lsh = vec![
        ld(16),
        Insn::stmt(BPF_MISC | BPF_TAX, 0),
        ld_imm(1),
        alu_x(BPF_LSH),
    ];
    lsh.extend(ret_a_as_errno());
    v.push(("lsh x", lsh, counts.clone()));
    let mut rsh = vec![
        ld(16),
        Insn::stmt(BPF_MISC | BPF_TAX, 0),
        ld_imm(0x800),
        alu_x(BPF_RSH),
    ];
    rsh.extend(ret_a_as_errno());
    v.push(("rsh x", rsh, counts.clone()));
    // Division, including by X = 0 (the filter returns 0: KILL_THREAD).
    let mut div = vec![
        ld(16),
        Insn::stmt(BPF_MISC | BPF_TAX, 0),
        ld_imm(1000),
        alu_x(BPF_DIV),
    ];
    div.extend(ret_a_as_errno());
    v.push((
        "div x",
        div,
        [0u64, 1, 3, 7, 1000, 1001, 0xffff_ffff]
            .iter()
            .map(|&c| [c, 0, 0, 0, 0, 0])
            .collect(),
    ));
    // Arithmetic wrap-around.
    let mut wrap_around = vec![
        ld(16),
        alu_k(BPF_ADD, 0xffff_fff0),
        alu_k(BPF_MUL, 3),
        alu_k(BPF_SUB, 5),
        alu_k(BPF_XOR, 0x55),
        Insn::stmt(BPF_ALU | BPF_NEG, 0),
    ];
    wrap_around.extend(ret_a_as_errno());
    v.push((
        "wrap-around",
        wrap_around,
        [0u64, 1, 0x10, 0x11, 0xffff_ffff, 0x1234_5678]
            .iter()
            .map(|&c| [c, 0, 0, 0, 0, 0])
            .collect(),
    ));
    // ld len / ldx len are 64.
    let mut len = vec![Insn::stmt(BPF_LD | BPF_W | BPF_LEN, 0)];
    len.extend(ret_a_as_errno());
    v.push(("ld len", len, zero.clone()));
    let mut len = vec![
        Insn::stmt(BPF_LDX | BPF_W | BPF_LEN, 0),
        Insn::stmt(BPF_MISC | BPF_TXA, 0),
    ];
    len.extend(ret_a_as_errno());
    v.push(("ldx len", len, zero.clone()));
    // Native byte order: low word of a 64-bit argument at +0 on x86-64.
    let halves = vec![
        ld(16),
        jk(BPF_JEQ, 0x1111_2222, 0, 3),
        ld(20),
        jk(BPF_JEQ, 0x3333_4444, 0, 1),
        errno(101),
        errno(102),
        errno(103),
    ];
    v.push((
        "64-bit argument halves",
        halves,
        vec![
            [0x3333_4444_1111_2222, 0, 0, 0, 0, 0],
            [0x1111_2222_3333_4444, 0, 0, 0, 0, 0],
            [0x0000_0000_1111_2222, 0, 0, 0, 0, 0],
        ],
    ));
    // nr and arch words.
    let nr_arch = vec![
        ld(4),
        jk(BPF_JEQ, AUDIT_ARCH_X86_64, 0, 3),
        ld(0),
        jk(BPF_JEQ, PROBE_NR, 0, 1),
        errno(111),
        errno(112),
        errno(113),
    ];
    v.push(("nr and arch", nr_arch, zero.clone()));
    // Unsigned comparisons and jset, K and X forms, every argument.
    let mut cmp = Vec::new();
    for (i, op) in [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET]
        .into_iter()
        .enumerate()
    {
        let i = i as u32;
        cmp.extend([
            ld(16 + 8 * i),
            jk(op, 0x8000_0000, 0, 1),
            errno(120 + 2 * i),
            ldx_imm(0x8000_0000),
            ld(20 + 8 * i),
            jx(op, 0, 1),
            errno(121 + 2 * i),
        ]);
    }
    cmp.push(errno(130));
    let mut vals = Vec::new();
    for a in [0u64, 1, 0x7fff_ffff, 0x8000_0000, 0x8000_0001, 0xffff_ffff] {
        for j in 0..4 {
            let mut args = [0u64; 6];
            args[j] = a | (a << 32);
            vals.push(args);
        }
    }
    v.push(("unsigned compares", cmp, vals));
    // Scratch memory round trip.
    let mem = vec![
        ld(16),
        Insn::stmt(BPF_ST, 3),
        ld(24),
        Insn::stmt(BPF_MISC | BPF_TAX, 0),
        Insn::stmt(BPF_STX, 15),
        ld_imm(0),
        Insn::stmt(BPF_LD | BPF_MEM, 15),
        Insn::stmt(BPF_LDX | BPF_MEM, 3),
        alu_x(BPF_SUB),
        alu_k(BPF_AND, 0xfff),
        alu_k(BPF_OR, SECCOMP_RET_ERRNO),
        ret_a(),
    ];
    v.push((
        "scratch memory",
        mem,
        vec![
            [1, 10, 0, 0, 0, 0],
            [10, 1, 0, 0, 0, 0],
            [0x123, 0x456, 0, 0, 0, 0],
        ],
    ));
    v
}

#[test]
fn hand_programs_agree_with_kernel() {
    if !available("hand_programs_agree_with_kernel") {
        return;
    }
    let mut failures = Vec::new();
    let mut calls = 0;
    let programs = hand_programs();
    for (name, body, arg_sets) in &programs {
        for args in arg_sets {
            calls += 1;
            if let Err(e) = compare(body, *args) {
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    eprintln!(
        "compared {} hand-assembled programs in {calls} kernel calls",
        programs.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---- random programs ------------------------------------------------------------

/// Constants shared by jumps and argument words so comparisons hit both ways.
const POOL: [u32; 14] = [
    0,
    1,
    2,
    5,
    64,
    0xff,
    0x100,
    PROBE_NR,
    0x4000_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
    AUDIT_ARCH_X86_64,
];

fn pool_value() -> impl Strategy<Value = u32> {
    prop_oneof![4 => proptest::sample::select(POOL.to_vec()), 1 => any::<u32>()]
}

/// One random instruction (operands fixed up later).
fn random_insn() -> impl Strategy<Value = Vec<Insn>> {
    let alu_op = proptest::sample::select(vec![
        BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH,
    ]);
    let jmp_op = proptest::sample::select(vec![BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET]);
    // Loadable words: nr, arch and the arguments (the instruction pointer is
    // not known to the parent).
    let word = prop_oneof![Just(0u32), Just(4u32), (4u32..16).prop_map(|i| i * 4)];
    prop_oneof![
        4 => word.clone().prop_map(|k| vec![ld(k)]),
        // An argument test, the bread and butter of seccomp filters.
        8 => ((4u32..16).prop_map(|i| i * 4), jmp_op.clone(), pool_value(), any::<u8>(), any::<u8>())
            .prop_map(|(w, op, k, jt, jf)| vec![ld(w), jk(op, k, jt, jf)]),
        1 => pool_value().prop_map(|k| vec![ld_imm(k)]),
        1 => pool_value().prop_map(|k| vec![ldx_imm(k)]),
        1 => Just(vec![Insn::stmt(BPF_LD | BPF_W | BPF_LEN, 0)]),
        1 => Just(vec![Insn::stmt(BPF_LDX | BPF_W | BPF_LEN, 0)]),
        3 => (alu_op.clone(), pool_value()).prop_map(|(op, k)| vec![alu_k(op, k)]),
        2 => alu_op.prop_map(|op| vec![alu_x(op)]),
        1 => Just(vec![Insn::stmt(BPF_ALU | BPF_NEG, 0)]),
        1 => Just(vec![Insn::stmt(BPF_MISC | BPF_TAX, 0)]),
        1 => Just(vec![Insn::stmt(BPF_MISC | BPF_TXA, 0)]),
        1 => (0u32..16).prop_map(|k| vec![Insn::stmt(BPF_ST, k)]),
        1 => (0u32..16).prop_map(|k| vec![Insn::stmt(BPF_STX, k)]),
        1 => (0u32..16).prop_map(|k| vec![Insn::stmt(BPF_LD | BPF_MEM, k)]),
        1 => (0u32..16).prop_map(|k| vec![Insn::stmt(BPF_LDX | BPF_MEM, k)]),
        5 => (jmp_op.clone(), pool_value(), any::<u8>(), any::<u8>())
            .prop_map(|(op, k, jt, jf)| vec![jk(op, k, jt, jf)]),
        2 => (jmp_op, any::<u8>(), any::<u8>()).prop_map(|(op, jt, jf)| vec![jx(op, jt, jf)]),
        1 => any::<u32>().prop_map(|k| vec![Insn::stmt(BPF_JMP | BPF_JA, k)]),
        1 => Just(vec![errno(0)]), // a leaf, numbered later
        1 => Just(ret_a_as_errno().to_vec()),
        1 => proptest::sample::select(vec![
            SECCOMP_RET_ALLOW,
            SECCOMP_RET_TRAP | 9,
            SECCOMP_RET_KILL_PROCESS,
            SECCOMP_RET_TRACE,
        ])
        .prop_map(|k| vec![ret(k)]),
    ]
}

/// Makes a random instruction list a valid filter body: operands in range,
/// jumps inside, leaves `ERRNO(n)` with distinct `n`, a final leaf, and every
/// scratch read preceded in program order by a write (the rare programs that
/// still fail the kernel's memory check are filtered out).
fn assemble(pieces: Vec<Vec<Insn>>) -> Vec<Insn> {
    let mut prog: Vec<Insn> = pieces.into_iter().flatten().collect();
    prog.push(errno(0));
    let len = prog.len();
    let mut leaf = 200;
    let mut stored = 0u16;
    for (pc, insn) in prog.iter_mut().enumerate() {
        let room = (len - pc - 1) as u32;
        let k = insn.k;
        match insn.code {
            c if c == BPF_RET | BPF_K && k == SECCOMP_RET_ERRNO => {
                leaf += 1;
                insn.k = SECCOMP_RET_ERRNO | leaf;
            }
            c if c == BPF_ALU | BPF_DIV | BPF_K && k == 0 => insn.k = 7,
            c if c == BPF_ALU | BPF_LSH | BPF_K || c == BPF_ALU | BPF_RSH | BPF_K => {
                insn.k = k % 32
            }
            c if c == BPF_ST || c == BPF_STX => stored |= 1 << k,
            c if (c == BPF_LD | BPF_MEM || c == BPF_LDX | BPF_MEM) && stored & (1 << k) == 0 => {
                insn.code = BPF_ST;
                stored |= 1 << k;
            }
            c if c == BPF_JMP | BPF_JA => insn.k = if room == 0 { 0 } else { k % room },
            c if c & 0x07 == BPF_JMP => {
                // Short jumps mostly, so that bodies stay connected.
                let fit = |j: u8| (u32::from(j % 8) % room.max(1)) as u8;
                insn.jt = fit(insn.jt);
                insn.jf = fit(insn.jf);
            }
            _ => {}
        }
    }
    prog
}

fn random_program() -> impl Strategy<Value = Vec<Insn>> {
    proptest::collection::vec(random_insn(), 2..40)
        .prop_map(assemble)
        .prop_filter("kernel memory check", |p| emu::validate(&wrap(p)).is_ok())
}

/// Argument vectors built from the constants the program compares with
/// (and their neighbours), so that its branches go both ways.
fn random_args(body: &[Insn]) -> impl Strategy<Value = [u64; 6]> {
    let mut ks: Vec<u32> = POOL.to_vec();
    ks.extend(
        body.iter()
            .filter(|i| i.code & 0x07 == BPF_JMP || i.code & 0x07 == BPF_ALU)
            .map(|i| i.k),
    );
    let half = (proptest::sample::select(ks), 0u8..5).prop_map(|(k, d)| match d {
        0 => k.wrapping_sub(1),
        1 => k.wrapping_add(1),
        2 => !k,
        _ => k,
    });
    let word = (half.clone(), half, 0u8..4).prop_map(|(hi, lo, shape)| match shape {
        0 => u64::from(lo),
        1 => u64::from(hi) << 32 | u64::from(lo),
        2 => u64::from(lo) << 32 | u64::from(lo),
        _ => u64::from(hi) << 32,
    });
    proptest::array::uniform6(word)
}

const RANDOM_PROGRAMS: u32 = 300;
const CALLS_PER_PROGRAM: usize = 6;

#[test]
fn random_programs_agree_with_kernel() {
    if !available("random_programs_agree_with_kernel") {
        return;
    }
    let config = Config {
        cases: RANDOM_PROGRAMS,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let programs = AtomicUsize::new(0);
    let calls = AtomicUsize::new(0);
    // Programs whose calls did not all end the same way: the arguments mattered.
    let varied = AtomicUsize::new(0);
    let outcomes = std::sync::Mutex::new(std::collections::BTreeSet::new());
    let strategy = random_program().prop_flat_map(|body| {
        let args = proptest::collection::vec(random_args(&body), CALLS_PER_PROGRAM);
        (Just(body), args)
    });
    let result = runner.run(&strategy, |(body, arg_sets)| {
        programs.fetch_add(1, Ordering::Relaxed);
        let mut seen = Vec::new();
        for args in arg_sets {
            calls.fetch_add(1, Ordering::Relaxed);
            let got = compare(&body, args).map_err(TestCaseError::fail)?;
            if !seen.contains(&got) {
                seen.push(got.clone());
            }
            outcomes.lock().unwrap().insert(format!("{got:?}"));
        }
        if seen.len() > 1 {
            varied.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    eprintln!(
        "compared {} random programs in {} kernel calls; {} programs decided \
         differently for different arguments; {} distinct outcomes",
        programs.load(Ordering::Relaxed),
        calls.load(Ordering::Relaxed),
        varied.load(Ordering::Relaxed),
        outcomes.lock().unwrap().len()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

// ---- acceptance ---------------------------------------------------------------

fn check_acceptance(name: &str, prog: &[Insn]) -> Result<(), String> {
    let ours = emu::validate(prog);
    let kernel = kernel_accepts(prog);
    match (&ours, kernel) {
        (Ok(()), Verdict::Accepted) | (Err(_), Verdict::Rejected(EINVAL)) => Ok(()),
        _ => Err(format!(
            "{name}: validate says {ours:?}, kernel says {kernel:?}\n{}",
            emu::disasm(prog)
        )),
    }
}

/// Programs aimed at each acceptance rule, on both sides of it.
fn acceptance_corpus() -> Vec<(String, Vec<Insn>)> {
    let mut c: Vec<(String, Vec<Insn>)> = Vec::new();
    let r0 = ret(0);
    // Every 8-bit opcode with a harmless operand, then with edge operands.
    for code in 0..=0xffu16 {
        for k in [4u32, 0, 2, 16, 32, 64, 0xffff_f000] {
            c.push((
                format!("opcode {code:#04x} k={k:#x}"),
                vec![ld_imm(0), Insn::stmt(code, k), r0],
            ));
        }
    }
    for code in [0x100u16, 0x106, 0x8006, 0xffff] {
        c.push((format!("opcode {code:#x}"), vec![Insn::stmt(code, 0), r0]));
    }
    // Length.
    c.push(("empty".into(), vec![]));
    c.push(("4096 rets".into(), vec![r0; BPF_MAXINSNS]));
    c.push(("4097 rets".into(), vec![r0; BPF_MAXINSNS + 1]));
    // Jumps.
    for k in [0u32, 1, 2, 3, u32::MAX] {
        c.push((
            format!("ja {k}"),
            vec![Insn::stmt(BPF_JMP | BPF_JA, k), r0, r0],
        ));
    }
    for (jt, jf) in [(0, 0), (1, 1), (2, 0), (0, 2), (255, 0)] {
        c.push((
            format!("jeq jt {jt} jf {jf}"),
            vec![jk(BPF_JEQ, 0, jt, jf), r0, r0],
        ));
        c.push((
            format!("jset x jt {jt} jf {jf}"),
            vec![jx(BPF_JSET, jt, jf), r0, r0],
        ));
    }
    // Final instruction.
    c.push(("no final ret".into(), vec![r0, ld_imm(0)]));
    c.push(("final ret a".into(), vec![ld_imm(0), ret_a()]));
    c.push(("final ja".into(), vec![r0, Insn::stmt(BPF_JMP | BPF_JA, 0)]));
    // Scratch memory.
    let st = |k| Insn::stmt(BPF_ST, k);
    let ldm = |k| Insn::stmt(BPF_LD | BPF_MEM, k);
    c.push(("read before write".into(), vec![ldm(0), ret_a()]));
    c.push(("write then read".into(), vec![st(0), ldm(0), ret_a()]));
    c.push((
        "write on one branch".into(),
        vec![ld(0), jk(BPF_JEQ, 1, 0, 1), st(0), ldm(0), ret_a()],
    ));
    c.push((
        "write on both branches".into(),
        vec![
            ld(0),
            jk(BPF_JEQ, 1, 0, 2),
            st(0),
            Insn::stmt(BPF_JMP | BPF_JA, 1),
            st(0),
            ldm(0),
            ret_a(),
        ],
    ));
    c.push((
        "read after ret, state before the ret (kernel quirk)".into(),
        vec![
            jk(BPF_JEQ, 1, 2, 0),
            st(0),
            Insn::stmt(BPF_JMP | BPF_JA, 1),
            r0,
            ldm(0),
            ret_a(),
        ],
    ));
    c.push((
        "unreachable read after ret".into(),
        vec![st(0), r0, ldm(0), ret_a()],
    ));
    c.push((
        "unreachable unwritten read".into(),
        vec![r0, ldm(1), ret_a()],
    ));
    c
}

#[test]
fn kernel_accepts_what_validate_accepts() {
    if !available("kernel_accepts_what_validate_accepts") {
        return;
    }
    let corpus = acceptance_corpus();
    let failures: Vec<String> = corpus
        .iter()
        .filter_map(|(name, prog)| check_acceptance(name, prog).err())
        .collect();
    let accepted = corpus
        .iter()
        .filter(|(_, p)| emu::validate(p).is_ok())
        .count();
    eprintln!(
        "acceptance corpus: {} programs ({accepted} valid), compared with the kernel",
        corpus.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Random short programs, mostly over seccomp's opcodes, many invalid.
fn fuzz_program() -> impl Strategy<Value = Vec<Insn>> {
    let code = prop_oneof![
        6 => proptest::sample::select(vec![
            0x00u16, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0c, 0x14, 0x15, 0x16, 0x1c,
            0x1d, 0x20, 0x24, 0x25, 0x2c, 0x2d, 0x34, 0x35, 0x3c, 0x3d, 0x44, 0x45, 0x4c, 0x4d,
            0x54, 0x5c, 0x60, 0x61, 0x64, 0x6c, 0x74, 0x7c, 0x80, 0x81, 0x84, 0x87, 0xa4, 0xac,
        ]),
        1 => 0u16..0x100,
    ];
    let k = prop_oneof![
        4 => proptest::sample::select(vec![0u32, 1, 2, 3, 4, 8, 15, 16, 31, 32, 60, 63, 64]),
        1 => any::<u32>(),
    ];
    let insn = (code, 0u8..5, 0u8..5, k).prop_map(|(code, jt, jf, k)| Insn { code, jt, jf, k });
    (proptest::collection::vec(insn, 0..10), any::<bool>()).prop_map(|(mut p, end_in_ret)| {
        if end_in_ret {
            p.push(ret(0));
        }
        p
    })
}

const FUZZ_PROGRAMS: u32 = 500;

#[test]
fn kernel_acceptance_matches_validate_on_random_programs() {
    if !available("kernel_acceptance_matches_validate_on_random_programs") {
        return;
    }
    let config = Config {
        cases: FUZZ_PROGRAMS,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let valid = AtomicUsize::new(0);
    let result = runner.run(&fuzz_program(), |prog| {
        if emu::validate(&prog).is_ok() {
            valid.fetch_add(1, Ordering::Relaxed);
        }
        check_acceptance("random", &prog).map_err(TestCaseError::fail)
    });
    eprintln!(
        "acceptance fuzz: {FUZZ_PROGRAMS} random programs ({} valid), compared with the kernel",
        valid.load(Ordering::Relaxed)
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
