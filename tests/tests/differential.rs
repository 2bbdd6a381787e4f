//! moat against libseccomp.
//!
//! Random policies inside libseccomp's model are built twice: as moat
//! source (compiled by moat) and as libseccomp rules (`seccomp_init`,
//! `seccomp_rule_add_array`, `seccomp_export_bpf`, in both of libseccomp's
//! layouts: the default if-chain and the binary tree, CTL_OPTIMIZE = 2).
//! Both programs run in `moat::emu` and must decide, on every input of
//! `moat_tests::check::Inputs` (every syscall number, the x32/-1 edges,
//! foreign arches, argument boundaries), the same as `ir::reference` and
//! the independent semantics of `moat_tests::policy`.
//!
//! libseccomp is loaded at run time with `dlopen("libseccomp.so.2")`, so
//! neither moat nor this crate needs the C library to build; without it
//! the tests print `SKIPPED` (or fail with `MOAT_REQUIRE_LIBSECCOMP=1`).
//! CI installs `libseccomp-dev` (.ci/run).
//!
//! # Where the two models agree (what the generator produces)
//!
//! * **x86_64 filters with argument rules.** libseccomp compares the full
//!   64-bit register, unsigned, for every argument; moat compares by the
//!   kernel type (low 16/32 bits for narrow types, signed orderings for
//!   signed types). The two agree exactly on unsigned 64-bit arguments
//!   (`size_t`, `unsigned long`) and on pointers compared with 0, so rules
//!   compare only those. [`libseccomp_compares_narrow_arguments_on_64_bits`]
//!   shows the difference on a 32-bit argument.
//! * **One comparison per argument in a rule.** libseccomp's man page
//!   allows only one comparison per argument in a rule (libseccomp#118).
//! * **Overlapping rules of one syscall share their action.** libseccomp
//!   does not specify what happens when rules with different actions match
//!   the same call (libseccomp#225, #148: rule order is not kept); moat
//!   takes the strongest. So a syscall gets either several rules with one
//!   action (their union), or rules with different actions that cannot
//!   match together because each compares one selector argument for
//!   equality with its own value.
//! * **Masked equality with a value inside its mask.** libseccomp
//!   compares `arg & mask` with `datum & mask` (its man page: "the masked
//!   datum value"); moat's `x & M == V` with bits of V outside M never
//!   holds.
//! * **Rule actions differ from the default action** (libseccomp refuses
//!   them with EACCES); trap carries no data (SCMP_ACT_TRAP); errno data
//!   are numbers.
//! * **Multi-arch filters (x86_64, x86, x32)** have unconditional rules
//!   only (argument widths differ per ABI), over syscalls whose number in
//!   libseccomp 2.5.4's tables equals moat's on every target (moat's tables
//!   are newer), and not the socket/IPC calls that libseccomp also matches
//!   through x86's `socketcall`/`ipc` multiplexers (moat does not look
//!   through them; it warns instead).

use moat::arch::{Arch, ArgRole, ArgType, Slots, Syscall};
use moat::bpf::{Endian, Insn, SeccompData};
use moat::sema::{analyze_source, Act, Options};
use moat::syntax::ast::ActionKind;
use moat_tests::check::{act_of, build, errors, show, Budget, Inputs};
use moat_tests::policy::{
    ArgRef, CmpOp, Errno, GAct, GPred, GenPolicy, GenProfile, GenRule, Num, SplitMix, Tape,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::ffi::{c_char, c_int, c_uint, c_void, CString};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

// ---- libseccomp through dlopen -------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct ScmpArgCmp {
    arg: c_uint,
    op: c_uint,
    datum_a: u64,
    datum_b: u64,
}

const SCMP_CMP_NE: c_uint = 1;
const SCMP_CMP_LT: c_uint = 2;
const SCMP_CMP_LE: c_uint = 3;
const SCMP_CMP_EQ: c_uint = 4;
const SCMP_CMP_GE: c_uint = 5;
const SCMP_CMP_GT: c_uint = 6;
const SCMP_CMP_MASKED_EQ: c_uint = 7;
const SCMP_FLTATR_ACT_BADARCH: c_int = 2;
const SCMP_FLTATR_CTL_OPTIMIZE: c_int = 8;
const SCMP_ARCH_X86_64: u32 = 0xc000_003e;
const SCMP_ARCH_X86: u32 = 0x4000_0003;
const SCMP_ARCH_X32: u32 = 0x4000_003e;
/// `__NR_SCMP_ERROR`.
const NR_SCMP_ERROR: c_int = -1;

type Ctx = *mut c_void;

type InitFn = unsafe extern "C" fn(u32) -> Ctx;
type ReleaseFn = unsafe extern "C" fn(Ctx);
type ArchFn = unsafe extern "C" fn(Ctx, u32) -> c_int;
type ArchNativeFn = unsafe extern "C" fn() -> u32;
type AttrSetFn = unsafe extern "C" fn(Ctx, c_int, u32) -> c_int;
type RuleAddArrayFn = unsafe extern "C" fn(Ctx, u32, c_int, c_uint, *const ScmpArgCmp) -> c_int;
type ExportFn = unsafe extern "C" fn(Ctx, c_int) -> c_int;
type ResolveArchFn = unsafe extern "C" fn(u32, *const c_char) -> c_int;
type ResolveFn = unsafe extern "C" fn(*const c_char) -> c_int;

struct Lib {
    init: InitFn,
    release: ReleaseFn,
    arch_add: ArchFn,
    arch_remove: ArchFn,
    arch_native: ArchNativeFn,
    attr_set: AttrSetFn,
    rule_add_array: RuleAddArrayFn,
    export_bpf: ExportFn,
    resolve_name_arch: ResolveArchFn,
    resolve_name: ResolveFn,
}

// SAFETY: the function pointers are plain C functions of a loaded library.
unsafe impl Sync for Lib {}
unsafe impl Send for Lib {}

fn lib() -> Option<&'static Lib> {
    static LIB: OnceLock<Option<Lib>> = OnceLock::new();
    LIB.get_or_init(|| {
        // SAFETY: dlopen/dlsym with NUL-terminated names; each symbol is
        // transmuted to the signature seccomp.h (2.5) declares for it.
        unsafe {
            let h = libc::dlopen(c"libseccomp.so.2".as_ptr(), libc::RTLD_NOW);
            if h.is_null() {
                return None;
            }
            macro_rules! sym {
                ($name:literal, $ty:ty) => {{
                    let p = libc::dlsym(h, $name.as_ptr());
                    if p.is_null() {
                        return None;
                    }
                    std::mem::transmute::<*mut c_void, $ty>(p)
                }};
            }
            Some(Lib {
                init: sym!(c"seccomp_init", InitFn),
                release: sym!(c"seccomp_release", ReleaseFn),
                arch_add: sym!(c"seccomp_arch_add", ArchFn),
                arch_remove: sym!(c"seccomp_arch_remove", ArchFn),
                arch_native: sym!(c"seccomp_arch_native", ArchNativeFn),
                attr_set: sym!(c"seccomp_attr_set", AttrSetFn),
                rule_add_array: sym!(c"seccomp_rule_add_array", RuleAddArrayFn),
                export_bpf: sym!(c"seccomp_export_bpf", ExportFn),
                resolve_name_arch: sym!(c"seccomp_syscall_resolve_name_arch", ResolveArchFn),
                resolve_name: sym!(c"seccomp_syscall_resolve_name", ResolveFn),
            })
        }
    })
    .as_ref()
}

fn available(test: &str) -> Option<&'static Lib> {
    let l = lib();
    if l.is_none() {
        if std::env::var("MOAT_REQUIRE_LIBSECCOMP").is_ok_and(|v| v == "1") {
            panic!("{test}: libseccomp.so.2 cannot be loaded");
        }
        println!(
            "SKIPPED {test}: libseccomp.so.2 cannot be loaded (apt-get install libseccomp-dev)"
        );
        eprintln!(
            "SKIPPED {test}: libseccomp.so.2 cannot be loaded (apt-get install libseccomp-dev)"
        );
    }
    l
}

fn audit_token(a: Arch) -> u32 {
    match a {
        Arch::X86_64 => SCMP_ARCH_X86_64,
        Arch::I386 => SCMP_ARCH_X86,
        Arch::X32 => SCMP_ARCH_X32,
        other => panic!("no libseccomp token for {other}"),
    }
}

/// libseccomp's number for `name` on `arch`, if it has one.
fn lib_nr(l: &Lib, arch: Arch, name: &str) -> Option<u32> {
    let c = CString::new(name).unwrap();
    // SAFETY: a NUL-terminated name.
    let n = unsafe { (l.resolve_name_arch)(audit_token(arch), c.as_ptr()) };
    (n >= 0).then_some(n as u32)
}

/// One libseccomp rule.
#[derive(Clone, Debug)]
struct LRule {
    action: GAct,
    syscall: &'static str,
    cmps: Vec<ScmpArgCmp>,
}

fn ret_of(a: &GAct) -> u32 {
    a.on(Arch::X86_64).ret()
}

/// Builds the libseccomp filter and exports its BPF; `Err` when libseccomp
/// refuses the policy (the case is then outside its model).
fn libseccomp_program(
    l: &Lib,
    arches: &[Arch],
    default: &GAct,
    bad_arch: &GAct,
    rules: &[LRule],
    tree: bool,
) -> Result<Vec<Insn>, String> {
    // SAFETY: FFI on a context we own; arrays outlive the calls.
    unsafe {
        let ctx = (l.init)(ret_of(default));
        if ctx.is_null() {
            return Err(format!("seccomp_init({}) failed", default.render()));
        }
        struct Guard<'a>(&'a Lib, Ctx);
        impl Drop for Guard<'_> {
            fn drop(&mut self) {
                // SAFETY: releasing the context we created.
                unsafe { (self.0.release)(self.1) }
            }
        }
        let _g = Guard(l, ctx);
        let check = |rc: c_int, what: &str| {
            if rc < 0 {
                Err(format!(
                    "{what}: {}",
                    std::io::Error::from_raw_os_error(-rc)
                ))
            } else {
                Ok(())
            }
        };
        check(
            (l.attr_set)(ctx, SCMP_FLTATR_ACT_BADARCH, ret_of(bad_arch)),
            "bad arch action",
        )?;
        if tree {
            check(
                (l.attr_set)(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2),
                "CTL_OPTIMIZE",
            )?;
        }
        let native = (l.arch_native)();
        for &a in arches {
            let t = audit_token(a);
            if t != native {
                check((l.arch_add)(ctx, t), "seccomp_arch_add")?;
            }
        }
        if !arches.iter().any(|&a| audit_token(a) == native) {
            check((l.arch_remove)(ctx, native), "seccomp_arch_remove")?;
        }
        for r in rules {
            let name = CString::new(r.syscall).unwrap();
            let nr = (l.resolve_name)(name.as_ptr());
            if nr == NR_SCMP_ERROR {
                return Err(format!("libseccomp does not know {}", r.syscall));
            }
            check(
                (l.rule_add_array)(
                    ctx,
                    ret_of(&r.action),
                    nr,
                    r.cmps.len() as c_uint,
                    r.cmps.as_ptr(),
                ),
                &format!(
                    "seccomp_rule_add({} {}, {:?})",
                    r.action.render(),
                    r.syscall,
                    r.cmps
                ),
            )?;
        }
        let fd = libc::memfd_create(c"moat-libseccomp".as_ptr(), 0);
        assert!(fd >= 0);
        let rc = (l.export_bpf)(ctx, fd);
        let mut bytes = Vec::new();
        if rc >= 0 {
            libc::lseek(fd, 0, libc::SEEK_SET);
            let mut buf = [0u8; 4096];
            loop {
                let n = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
                if n <= 0 {
                    break;
                }
                bytes.extend_from_slice(&buf[..n as usize]);
            }
        }
        libc::close(fd);
        check(rc, "seccomp_export_bpf")?;
        let prog = moat::emu::decode_blob(&bytes, Endian::Little)?;
        moat::emu::validate(&prog).map_err(|e| format!("libseccomp's program is invalid: {e}"))?;
        Ok(prog)
    }
}

// ---- the libseccomp-compatible generator ---------------------------------------

/// Arguments libseccomp and moat compare alike on x86_64: unsigned 64-bit
/// integers and pointers (compared with 0), each in its own slot.
fn wide_args(sc: &'static Syscall) -> Vec<(&'static moat::arch::Arg, u8)> {
    sc.args
        .iter()
        .filter(|a| matches!(a.role, ArgRole::Param | ArgRole::Part))
        .filter_map(|a| match (a.ty, a.slots) {
            (
                ArgType::Int {
                    bits: 64,
                    signed: false,
                },
                Slots::One(s),
            )
            | (ArgType::Pointer, Slots::One(s)) => Some((a, s)),
            _ => None,
        })
        .collect()
}

fn arg_ref(a: &'static moat::arch::Arg, slot: u8) -> ArgRef {
    match a.names.first() {
        Some(n) => ArgRef::Name(n),
        None => ArgRef::Slot(slot),
    }
}

fn value64(t: &mut Tape) -> u64 {
    const POOL: &[u64] = &[
        0,
        1,
        2,
        3,
        0x7f,
        0xff,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x1_0000_0000,
        0x1_0000_0001,
        0xffff_ffff_0000_0000,
        0x7fff_ffff_ffff_ffff,
        0x8000_0000_0000_0000,
        0xffff_ffff_ffff_fffe,
        u64::MAX,
    ];
    match t.below(5) {
        0 | 1 => *t.pick(POOL),
        2 => t.next_u64() % 64,
        3 => t.next_u64() as u32 as u64,
        _ => t.next_u64(),
    }
}

fn mask64(t: &mut Tape) -> u64 {
    match t.below(4) {
        0 => 1 << t.below(64),
        1 => *t.pick(&[
            0xff,
            0xffff_ffff,
            0xffff_ffff_0000_0000,
            0x8000_0000_0000_0000,
            0xf0f0,
            u64::MAX,
        ]),
        _ => t.next_u64() & t.next_u64(),
    }
}

fn lib_act(t: &mut Tape, not: Option<&GAct>) -> GAct {
    loop {
        let a = match t.below(8) {
            0 => GAct::Allow,
            1 => GAct::Errno(Errno::Num(t.below(4096) as u16)),
            2 => GAct::Kill,
            3 => GAct::KillThread,
            4 => GAct::Trap(None),
            5 => GAct::Trace(Some(t.next_u64() as u16)),
            6 => GAct::Log,
            _ => GAct::Errno(Errno::Num(*t.pick(&[1u16, 13, 38]))),
        };
        if Some(&a) != not {
            return a;
        }
        // A zero tape would loop: take the next kind in order.
        if t.below(2) == 0 {
            return match a {
                GAct::Allow => GAct::Log,
                _ => GAct::Allow,
            };
        }
    }
}

/// One comparison on a wide argument: (libseccomp, moat).
fn gen_cmp(t: &mut Tape, a: &'static moat::arch::Arg, slot: u8) -> (ScmpArgCmp, GPred) {
    let arg = arg_ref(a, slot);
    let cmp = |op, x, y| ScmpArgCmp {
        arg: c_uint::from(slot),
        op,
        datum_a: x,
        datum_b: y,
    };
    if a.ty == ArgType::Pointer {
        let ne = t.flip(40);
        return (
            cmp(if ne { SCMP_CMP_NE } else { SCMP_CMP_EQ }, 0, 0),
            GPred::Null { arg, ne },
        );
    }
    let lit = |v: u64, t: &mut Tape| Num {
        v: i128::from(v),
        style: t.below(3) as u8,
        name: None,
    };
    let (op, sop) = *t.pick(&[
        (CmpOp::Eq, SCMP_CMP_EQ),
        (CmpOp::Ne, SCMP_CMP_NE),
        (CmpOp::Lt, SCMP_CMP_LT),
        (CmpOp::Le, SCMP_CMP_LE),
        (CmpOp::Gt, SCMP_CMP_GT),
        (CmpOp::Ge, SCMP_CMP_GE),
        (CmpOp::Eq, SCMP_CMP_MASKED_EQ),
    ]);
    if sop == SCMP_CMP_MASKED_EQ {
        let m = mask64(t);
        // libseccomp compares with the *masked* datum, moat with the value
        // as written (`x & 0xf0 == 0x1` never holds): keep values inside
        // their mask.
        let v = value64(t) & m;
        return (
            cmp(SCMP_CMP_MASKED_EQ, m, v),
            GPred::Masked {
                arg,
                mask: lit(m, t),
                value: lit(v, t),
                ne: false,
                mask_first: t.flip(20),
            },
        );
    }
    let v = value64(t);
    (
        cmp(sop, v, 0),
        GPred::Cmp {
            arg,
            op,
            lit: lit(v, t),
            lit_first: t.flip(15),
        },
    )
}

fn and_all(ps: Vec<GPred>) -> Option<GPred> {
    ps.into_iter()
        .reduce(|a, b| GPred::And(Box::new(a), Box::new(b)))
}

/// A random x86_64 policy in libseccomp's model, as both.
fn gen_x86_64(t: &mut Tape, l: &Lib) -> (GAct, GAct, Vec<LRule>, GenPolicy) {
    let default = lib_act(t, None);
    let bad_arch = lib_act(t, None);
    // Syscalls libseccomp 2.5.4 knows (moat's table is newer).
    let table: Vec<&'static Syscall> = Arch::X86_64
        .syscalls()
        .iter()
        .filter(|s| lib_nr(l, Arch::X86_64, s.name) == Some(s.nr))
        .collect();
    let with_args: Vec<&'static Syscall> = table
        .iter()
        .copied()
        .filter(|s| !wide_args(s).is_empty())
        .collect();
    let mut rules = Vec::new();
    let mut used: Vec<&str> = Vec::new();
    for _ in 0..1 + t.below(6) {
        let sc: &'static Syscall = if t.flip(20) {
            table[t.below(table.len())]
        } else {
            with_args[t.below(with_args.len())]
        };
        if used.contains(&sc.name) {
            continue;
        }
        used.push(sc.name);
        let args = wide_args(sc);
        // Arguments a rule of this syscall already compares: libseccomp
        // 2.5.4 merges two rules that compare one argument wrongly (see
        // the libseccomp_2_5_4_* tests), so each gets its own.
        let mut used: Vec<u8> = Vec::new();
        let numeric: Vec<_> = args
            .iter()
            .copied()
            .filter(|(a, _)| a.ty != ArgType::Pointer)
            .collect();
        if !numeric.is_empty() && t.flip(35) {
            // Disjoint rules with their own actions: selector == v_i.
            let (sel, sel_slot) = numeric[t.below(numeric.len())];
            let mut values: Vec<u64> = Vec::new();
            for _ in 0..2 + t.below(3) {
                let v = value64(t);
                if values.contains(&v) {
                    continue;
                }
                values.push(v);
                let action = lib_act(t, Some(&default));
                let mut cmps = vec![ScmpArgCmp {
                    arg: c_uint::from(sel_slot),
                    op: SCMP_CMP_EQ,
                    datum_a: v,
                    datum_b: 0,
                }];
                let mut preds = vec![GPred::Cmp {
                    arg: arg_ref(sel, sel_slot),
                    op: CmpOp::Eq,
                    lit: Num::new(i128::from(v)),
                    lit_first: false,
                }];
                for &(a, s) in &args {
                    if s != sel_slot && !used.contains(&s) && t.flip(30) {
                        used.push(s);
                        let (c, p) = gen_cmp(t, a, s);
                        cmps.push(c);
                        preds.push(p);
                    }
                }
                rules.push((
                    LRule {
                        action,
                        syscall: sc.name,
                        cmps,
                    },
                    and_all(preds),
                ));
            }
        } else {
            // Rules of one action: their union.
            let action = lib_act(t, Some(&default));
            for _ in 0..1 + t.below(3) {
                let mut cmps = Vec::new();
                let mut preds = Vec::new();
                for &(a, s) in &args {
                    if !used.contains(&s) && t.flip(45) {
                        used.push(s);
                        let (c, p) = gen_cmp(t, a, s);
                        cmps.push(c);
                        preds.push(p);
                    }
                }
                rules.push((
                    LRule {
                        action: action.clone(),
                        syscall: sc.name,
                        cmps,
                    },
                    and_all(preds),
                ));
            }
        }
    }
    let g = GenPolicy {
        base: None,
        main: GenProfile {
            name: "p".into(),
            targets: Some(vec![Arch::X86_64]),
            default: Some(default.clone()),
            bad_arch: Some(bad_arch.clone()),
            rules: rules
                .iter()
                .map(|(r, p)| GenRule {
                    on: None,
                    action: r.action.clone(),
                    syscalls: vec![r.syscall],
                    pred: p.clone(),
                })
                .collect(),
            ..Default::default()
        },
    };
    (
        default,
        bad_arch,
        rules.into_iter().map(|(r, _)| r).collect(),
        g,
    )
}

/// Syscalls libseccomp also matches through x86's multiplexers.
const MULTIPLEXED: &[&str] = &[
    "socket",
    "bind",
    "connect",
    "listen",
    "accept",
    "accept4",
    "getsockname",
    "getpeername",
    "socketpair",
    "send",
    "sendto",
    "recv",
    "recvfrom",
    "shutdown",
    "setsockopt",
    "getsockopt",
    "sendmsg",
    "recvmsg",
    "recvmmsg",
    "sendmmsg",
    "semop",
    "semget",
    "semctl",
    "semtimedop",
    "msgsnd",
    "msgrcv",
    "msgget",
    "msgctl",
    "shmat",
    "shmdt",
    "shmget",
    "shmctl",
];

/// Names whose numbers libseccomp 2.5.4 and moat agree on for every arch
/// of `arches` (present on at least one).
fn agreed_names(l: &Lib, arches: &[Arch]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = arches
        .iter()
        .flat_map(|a| a.syscalls().iter().map(|s| s.name))
        .collect();
    names.sort_unstable();
    names.dedup();
    names.retain(|n| {
        !MULTIPLEXED.contains(n)
            && arches
                .iter()
                .all(|&a| a.syscall(n).map(|s| s.nr) == lib_nr(l, a, n))
    });
    names
}

/// A random multi-arch policy (x86_64/x86/x32) with unconditional rules.
fn gen_multi(t: &mut Tape, l: &Lib) -> (Vec<Arch>, GAct, GAct, Vec<LRule>, GenPolicy) {
    use Arch::*;
    let sets = [
        vec![X86_64, I386, X32],
        vec![X86_64, I386],
        vec![X86_64, X32],
        vec![I386],
        vec![X32],
        vec![I386, X32],
    ];
    let arches = t.pick(&sets).clone();
    let names = agreed_names(l, &arches);
    let default = lib_act(t, None);
    let bad_arch = lib_act(t, None);
    let mut rules: Vec<LRule> = Vec::new();
    for _ in 0..1 + t.below(40) {
        let n = names[t.below(names.len())];
        if rules.iter().any(|r| r.syscall == n) {
            continue;
        }
        rules.push(LRule {
            action: lib_act(t, Some(&default)),
            syscall: n,
            cmps: Vec::new(),
        });
    }
    let g = GenPolicy {
        base: None,
        main: GenProfile {
            name: "p".into(),
            targets: Some(arches.clone()),
            default: Some(default.clone()),
            bad_arch: Some(bad_arch.clone()),
            rules: rules
                .iter()
                .map(|r| GenRule {
                    on: None,
                    action: r.action.clone(),
                    syscalls: vec![r.syscall],
                    pred: None,
                })
                .collect(),
            ..Default::default()
        },
    };
    (arches, default, bad_arch, rules, g)
}

// ---- the comparison -------------------------------------------------------------

static CHECKS: AtomicU64 = AtomicU64::new(0);
static SKIPPED_CASES: AtomicU64 = AtomicU64::new(0);
/// Why libseccomp refused cases (its error text, counted).
static REJECTIONS: std::sync::Mutex<std::collections::BTreeMap<String, u64>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

fn compare(
    l: &Lib,
    arches: &[Arch],
    default: &GAct,
    bad_arch: &GAct,
    rules: &[LRule],
    g: &GenPolicy,
    input_seed: u64,
) -> Result<(), TestCaseError> {
    let text = g.render();
    let fail = |what: String| {
        TestCaseError::fail(format!(
            "{what}\n--- moat policy ---\n{text}--- libseccomp rules ---\n{}",
            rules
                .iter()
                .map(|r| format!("{} {} {:?}", r.action.render(), r.syscall, r.cmps))
                .collect::<Vec<_>>()
                .join("\n")
        ))
    };
    let mut lib_progs = Vec::new();
    for tree in [false, true] {
        match libseccomp_program(l, arches, default, bad_arch, rules, tree) {
            Ok(p) => lib_progs.push((
                if tree {
                    "libseccomp tree"
                } else {
                    "libseccomp"
                },
                p,
            )),
            Err(e) => {
                // Outside libseccomp's model after all: not a moat case.
                SKIPPED_CASES.fetch_add(1, Ordering::Relaxed);
                let mut r = REJECTIONS.lock().unwrap();
                let key: String = e.split(':').next_back().unwrap_or("").trim().to_string();
                *r.entry(key).or_insert(0) += 1;
                return Err(TestCaseError::reject(e));
            }
        }
    }
    let analysis = analyze_source("gen.moat", None, &text, &Options::default());
    if let Some(e) = errors(&analysis) {
        return Err(fail(format!("the moat policy does not compile:\n{e}")));
    }
    let profile = moat::driver::select_profile(&analysis, Some("p")).map_err(&fail)?;
    let built = build(profile).map_err(&fail)?;
    assert_eq!(built.len(), 1);
    let b = &built[0];
    let mut rng = SplitMix(input_seed);
    let inputs = Inputs::new(b, Some(g), Budget::default(), &mut rng);
    let mut n = 0u64;
    for d in &inputs.data {
        let ours = act_of(&b.program, d).map_err(&fail)?;
        let reference = moat::ir::reference::decide(&b.profile, d);
        let oracle = g.decide(arches, d);
        for (name, p) in &lib_progs {
            let theirs = run_lib(p, d).map_err(&fail)?;
            if theirs != ours || ours != reference || ours != oracle {
                return Err(fail(format!(
                    "mismatch for {}:\n  moat:        {ours}\n  {name:<12} {theirs}\n  reference:   {reference}\n  independent: {oracle}",
                    show(d)
                )));
            }
            n += 1;
        }
    }
    CHECKS.fetch_add(n, Ordering::Relaxed);
    Ok(())
}

fn run_lib(p: &[Insn], d: &SeccompData) -> Result<Act, String> {
    let o = moat::emu::run(p, d, Endian::Little).map_err(|e| e.to_string())?;
    Act::from_ret(o.ret).ok_or_else(|| format!("libseccomp returned {:#x}", o.ret))
}

fn seed() -> u64 {
    std::env::var("MOAT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

fn cases(default: u32) -> u32 {
    std::env::var("MOAT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn runner(seed: u64, cases: u32) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8] = 0xd1;
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 300,
            // A failure is reported within a minute of shrinking, however slow.
            max_shrink_time: 60_000,
            max_global_rejects: cases * 4,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

fn finish<T: std::fmt::Debug>(seed: u64, r: Result<(), TestError<T>>) {
    match r {
        Ok(()) => {}
        Err(TestError::Fail(why, v)) => {
            panic!("seed {seed} (replay with MOAT_SEED={seed}): {why}\n(minimal input {v:?})")
        }
        Err(e) => panic!("seed {seed}: {e}"),
    }
}

#[test]
fn x86_64_argument_rules_agree_with_libseccomp() {
    let Some(l) = available("x86_64_argument_rules_agree_with_libseccomp") else {
        return;
    };
    let seed = seed();
    let start = Instant::now();
    let before = CHECKS.load(Ordering::Relaxed);
    let mut runner = runner(seed, cases(120));
    let r = runner.run(
        &(prop::collection::vec(any::<u64>(), 0..300), any::<u64>()),
        |(tape, input_seed)| {
            let (default, bad_arch, rules, g) = gen_x86_64(&mut Tape::new(&tape), l);
            compare(
                l,
                &[Arch::X86_64],
                &default,
                &bad_arch,
                &rules,
                &g,
                input_seed,
            )
        },
    );
    let n = CHECKS.load(Ordering::Relaxed) - before;
    eprintln!(
        "libseccomp x86_64: {n} checks in {:.1?}, {} cases outside libseccomp's model {:?} (seed {seed})",
        start.elapsed(),
        SKIPPED_CASES.load(Ordering::Relaxed),
        REJECTIONS.lock().unwrap()
    );
    finish(seed, r);
    assert!(n >= 100_000, "only {n} checks");
}

#[test]
fn multi_arch_dispatch_agrees_with_libseccomp() {
    let Some(l) = available("multi_arch_dispatch_agrees_with_libseccomp") else {
        return;
    };
    let seed = seed();
    let start = Instant::now();
    let before = CHECKS.load(Ordering::Relaxed);
    let mut runner = runner(seed ^ 0x77, cases(40));
    let r = runner.run(
        &(prop::collection::vec(any::<u64>(), 0..200), any::<u64>()),
        |(tape, input_seed)| {
            let (arches, default, bad_arch, rules, g) = gen_multi(&mut Tape::new(&tape), l);
            compare(l, &arches, &default, &bad_arch, &rules, &g, input_seed)
        },
    );
    let n = CHECKS.load(Ordering::Relaxed) - before;
    eprintln!(
        "libseccomp multi-arch: {n} checks in {:.1?} (seed {seed})",
        start.elapsed()
    );
    finish(seed, r);
}

/// How many names moat's and libseccomp 2.5.4's tables number differently
/// (informational: moat's tables come from a newer libseccomp).
#[test]
fn syscall_tables_mostly_agree_with_libseccomp() {
    let Some(l) = available("syscall_tables_mostly_agree_with_libseccomp") else {
        return;
    };
    for arch in [Arch::X86_64, Arch::I386, Arch::X32] {
        let mut differ = Vec::new();
        let mut unknown = 0;
        for sc in arch.syscalls() {
            match lib_nr(l, arch, sc.name) {
                Some(n) if n == sc.nr => {}
                Some(n) => differ.push(format!("{} moat {:#x} libseccomp {n:#x}", sc.name, sc.nr)),
                None => unknown += 1,
            }
        }
        eprintln!(
            "{arch}: {} syscalls, {unknown} unknown to libseccomp 2.5.4, {} numbered differently",
            arch.syscalls().len(),
            differ.len()
        );
        assert!(
            differ.is_empty(),
            "{arch}: numbered differently:\n{}",
            differ.join("\n")
        );
    }
}

/// The documented difference: libseccomp compares a 32-bit argument on all
/// 64 bits of the register, moat (like the kernel, which truncates it)
/// only on the low 32 (libseccomp#383).
#[test]
fn libseccomp_compares_narrow_arguments_on_64_bits() {
    let Some(l) = available("libseccomp_compares_narrow_arguments_on_64_bits") else {
        return;
    };
    let rule = LRule {
        action: GAct::Errno(Errno::Num(13)),
        syscall: "dup",
        cmps: vec![ScmpArgCmp {
            arg: 0,
            op: SCMP_CMP_EQ,
            datum_a: 5,
            datum_b: 0,
        }],
    };
    let lib = libseccomp_program(
        l,
        &[Arch::X86_64],
        &GAct::Allow,
        &GAct::Kill,
        &[rule],
        false,
    )
    .unwrap();
    let text =
        "profile p {\n    targets x86_64\n    default allow\n    errno(13) dup if fildes == 5\n}\n";
    let analysis = analyze_source("t.moat", None, text, &Options::default());
    let profile = moat::driver::select_profile(&analysis, None).unwrap();
    let ours = moat::driver::compile(profile, &[Arch::X86_64]).unwrap();
    let data = |a0: u64| SeccompData {
        nr: 32,
        arch: SCMP_ARCH_X86_64,
        instruction_pointer: 0,
        args: [a0, 0, 0, 0, 0, 0],
    };
    let errno13 = Act {
        kind: ActionKind::Errno,
        data: 13,
    };
    // Both match a clean 5.
    assert_eq!(run_lib(&lib, &data(5)).unwrap(), errno13);
    assert_eq!(act_of(&ours, &data(5)).unwrap(), errno13);
    // Garbage in the upper half (which the kernel ignores for an int):
    // moat still matches, libseccomp does not.
    let dirty = data(0xdead_beef_0000_0005);
    assert_eq!(act_of(&ours, &dirty).unwrap(), errno13);
    assert_eq!(run_lib(&lib, &dirty).unwrap(), Act::ALLOW);
}

/// Compiles `text` (one profile, x86_64) and decides one call.
fn moat_decides(text: &str, nr: u32, args: [u64; 6]) -> Act {
    let analysis = analyze_source("t.moat", None, text, &Options::default());
    if let Some(e) = errors(&analysis) {
        panic!("{e}");
    }
    let profile = moat::driver::select_profile(&analysis, None).unwrap();
    let program = moat::driver::compile(profile, &[Arch::X86_64]).unwrap();
    let d = SeccompData {
        nr,
        arch: SCMP_ARCH_X86_64,
        instruction_pointer: 0,
        args,
    };
    let ours = act_of(&program, &d).unwrap();
    assert_eq!(ours, moat::ir::reference::decide(profile, &d));
    ours
}

fn cmp(arg: c_uint, op: c_uint, a: u64, b: u64) -> ScmpArgCmp {
    ScmpArgCmp {
        arg,
        op,
        datum_a: a,
        datum_b: b,
    }
}

/// Why two rules of one syscall never compare the same argument here:
/// libseccomp 2.5.4 compiles `madvise(start < 0xc2008f29)` and
/// `madvise(start >= 0xe186d32c666956e2)` into a program whose second test
/// compares the *low* word (still in the accumulator after the first
/// rule's low-word test) with the second rule's high word, so
/// `start = 0xe66956e2` (in neither range) gets the rules' action.
#[test]
fn libseccomp_2_5_4_reuses_a_stale_accumulator() {
    let Some(l) = available("libseccomp_2_5_4_reuses_a_stale_accumulator") else {
        return;
    };
    let trace = GAct::Trace(Some(6760));
    let rules = [
        LRule {
            action: trace.clone(),
            syscall: "madvise",
            cmps: vec![cmp(0, SCMP_CMP_LT, 0xc200_8f29, 0)],
        },
        LRule {
            action: trace.clone(),
            syscall: "madvise",
            cmps: vec![cmp(0, SCMP_CMP_GE, 0xe186_d32c_6669_56e2, 0)],
        },
    ];
    let text = "profile p {\n    targets x86_64\n    default allow\n    trace(6760) madvise if start < 0xc2008f29\n    trace(6760) madvise if start >= 0xe186d32c666956e2\n}\n";
    let args = [0xe669_56e2, 0, 0, 0, 0, 0];
    assert_eq!(moat_decides(text, 28, args), Act::ALLOW);
    for tree in [false, true] {
        let lib = libseccomp_program(l, &[Arch::X86_64], &GAct::Allow, &GAct::Kill, &rules, tree)
            .unwrap();
        let d = SeccompData {
            nr: 28,
            arch: SCMP_ARCH_X86_64,
            instruction_pointer: 0,
            args,
        };
        eprintln!(
            "libseccomp ({}): madvise(0xe66956e2) => {} (right: allow)",
            if tree { "tree" } else { "default layout" },
            run_lib(&lib, &d).unwrap()
        );
    }
}

/// libseccomp 2.5.4 drops the middle rule of `move_pages(nodes == 0)`,
/// `move_pages(nr_pages > 0x73c45554 && nodes != 0)`,
/// `move_pages(pages == 0)` (its PFC export shows only the other two), so
/// a call with every argument all-ones, which the middle rule matches, gets
/// the default action.
#[test]
fn libseccomp_2_5_4_drops_a_rule() {
    let Some(l) = available("libseccomp_2_5_4_drops_a_rule") else {
        return;
    };
    let rules = [
        LRule {
            action: GAct::Trap(None),
            syscall: "move_pages",
            cmps: vec![cmp(3, SCMP_CMP_EQ, 0, 0)],
        },
        LRule {
            action: GAct::Trap(None),
            syscall: "move_pages",
            cmps: vec![
                cmp(1, SCMP_CMP_GT, 0x73c4_5554, 0),
                cmp(3, SCMP_CMP_NE, 0, 0),
            ],
        },
        LRule {
            action: GAct::Trap(None),
            syscall: "move_pages",
            cmps: vec![cmp(2, SCMP_CMP_EQ, 0, 0)],
        },
    ];
    let text = "profile p {\n    targets x86_64\n    default errno(13)\n    trap move_pages if nodes == null\n    trap move_pages if nr_pages > 0x73c45554 && nodes != null\n    trap move_pages if pages == null\n}\n";
    let args = [u64::MAX; 6];
    let trap = Act {
        kind: ActionKind::Trap,
        data: 0,
    };
    assert_eq!(moat_decides(text, 279, args), trap);
    let default = GAct::Errno(Errno::Num(13));
    let lib = libseccomp_program(l, &[Arch::X86_64], &default, &GAct::Kill, &rules, false).unwrap();
    let d = SeccompData {
        nr: 279,
        arch: SCMP_ARCH_X86_64,
        instruction_pointer: 0,
        args,
    };
    eprintln!(
        "libseccomp: move_pages(all ones) => {} (right: trap)",
        run_lib(&lib, &d).unwrap()
    );
}
