//! Per-architecture facts: syscall numbers and argument layouts, errno values
//! and the prelude's named constants, for every target moat supports.
//!
//! The tables live in [`generated`](self) (checked in, produced by
//! `compiler/tools/gen_arch.py` from the reference data in `shared/data`);
//! this module is the hand-written API over them.
//!
//! # Arguments
//!
//! A [`Syscall`] lists its arguments as [`Arg`]s. Every register slot
//! `0..nslots` is covered by exactly one *declared* argument
//! ([`ArgRole::Param`], [`ArgRole::Part`] or [`ArgRole::Padding`], always
//! [`Slots::One`]). On top of those, an [`ArgRole::Combined`] argument names a
//! 64-bit value that is not a single declared parameter:
//!
//! * on i386 and arm, a `loff_t`/`u64` the kernel assembles from two 32-bit
//!   slots ([`Slots::Pair`]; `pread64`'s `pos`, `fallocate`'s `offset` and
//!   `len`, `fanotify_mark`'s `mask`, `_llseek`'s `offset`, …). The halves stay
//!   reachable under their own kernel names (`poslo`, `pos_hi`, …) as 32-bit
//!   [`ArgRole::Part`]s. arm's alignment slot `__pad` is an
//!   [`ArgRole::Padding`] argument: it has a name and a slot (so `argN` keeps a
//!   type there) but the kernel ignores it; sema should not let a rule depend
//!   on it.
//! * on 64-bit ABIs, `preadv`/`pwritev`/`preadv2`/`pwritev2` declare
//!   `pos_l`/`pos_h` and the kernel uses `pos = pos_l` (`pos_from_hilo()`
//!   shifts `pos_h` out); `pos` is the one-slot 64-bit view, so a rule on
//!   `pos` means the same on every target.
//!
//! Argument names follow meaning, not position: a name is any name the kernel
//! definition, `include/linux/syscalls.h` or the man pages use for that
//! argument on any of the targets (`clone`'s `flags` is slot 0 on x86_64 and
//! slot 1 on s390x). The first name is the kernel definition's on that
//! architecture. Names of the form `argN` (prctl's kernel names `arg2`…`arg5`
//! sit in slots 1…4) would clash with the language's positional `argN` and are
//! listed in [`Arg::reserved_names`] instead of [`Arg::names`].
//!
//! # Widths
//!
//! [`ArgType::Int`] gives the width the kernel truncates the register to for
//! the *declared* parameter type: `int` and friends 32, `umode_t` and the 16-bit
//! `old_uid_t`/`old_gid_t` 16, `long`/`size_t`/`off_t` the register width (64
//! on the 64-bit ABIs including x32, 32 on i386 and arm), `compat_*` types 32,
//! `loff_t`/`u64` 64 (split over two slots on i386 and arm). A few kernel
//! entries declare `unsigned long` for a value they later narrow (for example
//! `mmap`'s `fd`); the tables keep the declared type.
//!
//! # Constants
//!
//! [`Arch::constant`] returns the value as the C compiler computed it for that
//! ABI, negative values as 64-bit two's complement: `AT_FDCWD` (an `int`, -100)
//! is `0xffff_ffff_ffff_ff9c` on every target. Sema narrows a constant to the
//! width of the argument it is compared with (`0xffff_ff9c` in a 32-bit slot).

mod generated;

use std::fmt;

use crate::bpf::Endian;
use generated::constants::CONSTANTS;
use generated::errno::{ERRNOS, ERRNO_NAMES};
use generated::syscalls;

/// A target ABI. The order is the index into [`ConstantInfo::values`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    X86_64,
    X32,
    I386,
    Aarch64,
    Arm,
    Riscv64,
    Ppc64le,
    S390x,
}

/// Syscall names accepted by [`Arch::syscall`] besides the table's own:
///
/// | arch | alias | table name |
/// | --- | --- | --- |
/// | arm | `sync_file_range2` (the kernel's name for 341) | `arm_sync_file_range` (libseccomp's) |
pub const SYSCALL_ALIASES: &[(Arch, &str, &str)] =
    &[(Arch::Arm, "sync_file_range2", "arm_sync_file_range")];

impl Arch {
    /// The architecture of a Rust target, from the `target_arch`,
    /// `target_pointer_width` and `target_endian` values (in a build script:
    /// `CARGO_CFG_TARGET_ARCH`, `CARGO_CFG_TARGET_POINTER_WIDTH`,
    /// `CARGO_CFG_TARGET_ENDIAN`), when moat has tables for it.
    pub fn from_rust_target(arch: &str, pointer_width: &str, endian: &str) -> Option<Arch> {
        match (arch, pointer_width, endian) {
            ("x86_64", "32", _) => Some(Arch::X32),
            ("x86_64", _, _) => Some(Arch::X86_64),
            ("x86", _, _) => Some(Arch::I386),
            ("aarch64", "64", "little") => Some(Arch::Aarch64),
            ("arm", _, "little") => Some(Arch::Arm),
            ("riscv64", _, _) => Some(Arch::Riscv64),
            ("powerpc64", _, "little") => Some(Arch::Ppc64le),
            ("s390x", _, _) => Some(Arch::S390x),
            _ => None,
        }
    }

    /// The architecture this code was compiled for, when moat knows it.
    pub fn host() -> Option<Arch> {
        if cfg!(all(target_arch = "x86_64", target_pointer_width = "32")) {
            Some(Arch::X32)
        } else if cfg!(target_arch = "x86_64") {
            Some(Arch::X86_64)
        } else if cfg!(target_arch = "aarch64") {
            Some(Arch::Aarch64)
        } else if cfg!(target_arch = "riscv64") {
            Some(Arch::Riscv64)
        } else if cfg!(target_arch = "x86") {
            Some(Arch::I386)
        } else if cfg!(target_arch = "arm") {
            Some(Arch::Arm)
        } else if cfg!(target_arch = "s390x") {
            Some(Arch::S390x)
        } else if cfg!(all(target_arch = "powerpc64", target_endian = "little")) {
            Some(Arch::Ppc64le)
        } else {
            None
        }
    }

    pub const ALL: &'static [Arch] = &[
        Arch::X86_64,
        Arch::X32,
        Arch::I386,
        Arch::Aarch64,
        Arch::Arm,
        Arch::Riscv64,
        Arch::Ppc64le,
        Arch::S390x,
    ];

    /// Number of architectures (`Arch::ALL.len()`).
    pub const COUNT: usize = 8;

    /// Position in [`Arch::ALL`] (and in [`ConstantInfo::values`]).
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::X32 => "x32",
            Arch::I386 => "i386",
            Arch::Aarch64 => "aarch64",
            Arch::Arm => "arm",
            Arch::Riscv64 => "riscv64",
            Arch::Ppc64le => "ppc64le",
            Arch::S390x => "s390x",
        }
    }

    /// moat's names, plus the alias `x86` for i386.
    pub fn from_name(s: &str) -> Option<Arch> {
        if s == "x86" {
            return Some(Arch::I386);
        }
        Arch::ALL.iter().copied().find(|a| a.name() == s)
    }

    /// The libseccomp syscall table this ABI uses (`x86` for i386, `ppc64`
    /// for ppc64le).
    pub fn libseccomp_table(self) -> &'static str {
        match self {
            Arch::I386 => "x86",
            Arch::Ppc64le => "ppc64",
            a => a.name(),
        }
    }

    /// `AUDIT_ARCH_*` (include/uapi/linux/audit.h): what `seccomp_data.arch`
    /// holds. x32 shares `AUDIT_ARCH_X86_64` and is told apart by
    /// [`Arch::nr_bias`].
    pub fn audit_arch(self) -> u32 {
        const AUDIT_64BIT: u32 = 0x8000_0000;
        const AUDIT_LE: u32 = 0x4000_0000;
        match self {
            Arch::X86_64 | Arch::X32 => 62 | AUDIT_64BIT | AUDIT_LE, // EM_X86_64
            Arch::I386 => 3 | AUDIT_LE,                              // EM_386
            Arch::Aarch64 => 183 | AUDIT_64BIT | AUDIT_LE,           // EM_AARCH64
            Arch::Arm => 40 | AUDIT_LE,                              // EM_ARM
            Arch::Riscv64 => 243 | AUDIT_64BIT | AUDIT_LE,           // EM_RISCV
            Arch::Ppc64le => 21 | AUDIT_64BIT | AUDIT_LE,            // EM_PPC64
            Arch::S390x => 22 | AUDIT_64BIT,                         // EM_S390
        }
    }

    pub fn endian(self) -> Endian {
        match self {
            Arch::S390x => Endian::Big,
            _ => Endian::Little,
        }
    }

    /// Whether argument registers are 64-bit (x32: yes, it passes full
    /// x86_64 registers).
    pub fn is_64bit_regs(self) -> bool {
        !matches!(self, Arch::I386 | Arch::Arm)
    }

    /// Width of C `long` in this ABI's user space (x32: 32). Argument widths
    /// in the tables follow the kernel's registers instead (see the module
    /// documentation).
    pub fn long_bits(self) -> u32 {
        match self {
            Arch::X32 | Arch::I386 | Arch::Arm => 32,
            _ => 64,
        }
    }

    /// Added to every syscall number (`__X32_SYSCALL_BIT` for x32).
    pub fn nr_bias(self) -> u32 {
        match self {
            Arch::X32 => 0x4000_0000,
            _ => 0,
        }
    }

    fn tables(self) -> (&'static [Syscall], &'static [(u32, u16)]) {
        match self {
            Arch::X86_64 => (syscalls::X86_64, syscalls::X86_64_BY_NR),
            Arch::X32 => (syscalls::X32, syscalls::X32_BY_NR),
            Arch::I386 => (syscalls::I386, syscalls::I386_BY_NR),
            Arch::Aarch64 => (syscalls::AARCH64, syscalls::AARCH64_BY_NR),
            Arch::Arm => (syscalls::ARM, syscalls::ARM_BY_NR),
            Arch::Riscv64 => (syscalls::RISCV64, syscalls::RISCV64_BY_NR),
            Arch::Ppc64le => (syscalls::PPC64LE, syscalls::PPC64LE_BY_NR),
            Arch::S390x => (syscalls::S390X, syscalls::S390X_BY_NR),
        }
    }

    /// Every syscall libseccomp's table numbers on this ABI (including
    /// numbers whose kernel entry is `sys_ni_syscall`), sorted by name.
    pub fn syscalls(self) -> &'static [Syscall] {
        self.tables().0
    }

    /// Look a syscall up by its table name or an alias in [`SYSCALL_ALIASES`].
    pub fn syscall(self, name: &str) -> Option<&'static Syscall> {
        let table = self.syscalls();
        let find = |n: &str| {
            table
                .binary_search_by(|s| s.name.cmp(n))
                .ok()
                .map(|i| &table[i])
        };
        find(name).or_else(|| {
            SYSCALL_ALIASES
                .iter()
                .find(|&&(a, alias, _)| a == self && alias == name)
                .and_then(|&(_, _, real)| find(real))
        })
    }

    /// Look a syscall up by the number seccomp sees (x32: with the
    /// `0x4000_0000` bit; arm private calls: absolute, e.g. `0xf0005`).
    pub fn syscall_by_nr(self, nr: u32) -> Option<&'static Syscall> {
        let (table, by_nr) = self.tables();
        by_nr
            .binary_search_by_key(&nr, |&(n, _)| n)
            .ok()
            .map(|i| &table[usize::from(by_nr[i].1)])
    }

    /// The errno value of `name` on this ABI (asm-generic, or powerpc's for
    /// ppc64le, where only `EDEADLOCK` differs).
    pub fn errno(self, name: &str) -> Option<u32> {
        errno_info(name).map(|e| e.value(self))
    }

    /// A prelude constant's value on this ABI; `None` when the name is not
    /// defined there (or at all). Negative values are 64-bit two's complement.
    pub fn constant(self, name: &str) -> Option<u64> {
        constant_info(name).and_then(|c| c.value(self))
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One syscall on one architecture.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Syscall {
    /// libseccomp's name (the UAPI `__NR_` name, with libseccomp's spellings
    /// such as `arm_sync_file_range`).
    pub name: &'static str,
    /// The number seccomp sees on this architecture.
    pub nr: u32,
    /// The kernel entry point (`sys_openat`, `compat_sys_aarch32_pread64`,
    /// `sys_ni_syscall`, …); `""` when the table has none.
    pub kernel_name: &'static str,
    /// `false` when the kernel returns `-ENOSYS` (no entry, `sys_ni_syscall`).
    pub implemented: bool,
    /// Declared arguments, then [`ArgRole::Combined`] views; see the module
    /// documentation. Empty when not implemented.
    pub args: &'static [Arg],
    /// Register slots the call uses (`0..=6`).
    pub nslots: u8,
}

impl Syscall {
    /// The argument `name` refers to, by any of its names.
    pub fn arg(&self, name: &str) -> Option<&'static Arg> {
        self.args.iter().find(|a| a.accepts(name))
    }

    /// The declared argument in register slot `n` (what the language's
    /// positional `argN` means); `None` for `n >= nslots`.
    pub fn slot(&self, n: u8) -> Option<&'static Arg> {
        self.args
            .iter()
            .find(|a| a.role != ArgRole::Combined && a.slots == Slots::One(n))
    }

    /// The arguments as a caller thinks of them (for signatures on hover):
    /// declared parameters and combined 64-bit values, without halves and
    /// padding.
    pub fn logical_args(&self) -> impl Iterator<Item = &'static Arg> {
        self.args
            .iter()
            .filter(|a| matches!(a.role, ArgRole::Param | ArgRole::Combined))
    }
}

/// One named argument of a syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Arg {
    /// Kernel definition name first, then other targets' definition names,
    /// `syscalls.h` names, then man-page names, deduplicated. May be empty
    /// (prctl's slots 1–4: see `reserved_names`).
    pub names: &'static [&'static str],
    /// The declared C type (`"unsigned int"`, `"const char *"`, `"loff_t"`).
    pub c_type: &'static str,
    pub ty: ArgType,
    pub slots: Slots,
    pub role: ArgRole,
    /// Kernel or man-page names of the form `argN` for this argument. They
    /// are not accepted as names, because `argN` is positional in moat;
    /// sema can point out that prctl's kernel `arg2` is `arg1`.
    pub reserved_names: &'static [&'static str],
}

impl Arg {
    /// The canonical name shown on hover, if the argument has one.
    pub fn name(&self) -> Option<&'static str> {
        self.names.first().copied()
    }

    pub fn accepts(&self, name: &str) -> bool {
        self.names.contains(&name)
    }
}

/// What kind of value an argument is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgType {
    /// An integer of `bits` (16, 32 or 64) bits; the kernel ignores the rest
    /// of the register.
    Int { bits: u8, signed: bool },
    /// An address: seccomp sees the pointer, not what it points to.
    Pointer,
}

impl ArgType {
    pub fn is_pointer(self) -> bool {
        self == ArgType::Pointer
    }
}

/// Where an argument's value sits in `seccomp_data.args[]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slots {
    One(u8),
    /// A 64-bit value split over two 32-bit register slots on a 32-bit ABI:
    /// `lo` holds bits 0–31, `hi` bits 32–63.
    Pair {
        lo: u8,
        hi: u8,
    },
}

impl Slots {
    pub fn contains(self, slot: u8) -> bool {
        match self {
            Slots::One(s) => s == slot,
            Slots::Pair { lo, hi } => lo == slot || hi == slot,
        }
    }
}

/// How an [`Arg`] relates to the declared parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgRole {
    /// A declared parameter in its own slot.
    Param,
    /// A 64-bit value that is not one declared parameter: a [`Slots::Pair`]
    /// of two [`ArgRole::Part`]s, or the one-slot 64-bit view of `pos_l` on
    /// 64-bit ABIs (`preadv`).
    Combined,
    /// A declared parameter that is one half of a [`ArgRole::Combined`] value.
    Part,
    /// A declared alignment slot the kernel ignores (arm `__pad`).
    Padding,
}

/// One errno name.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ErrnoInfo {
    pub name: &'static str,
    /// asm-generic value (every target except ppc64le).
    pub generic: u32,
    /// powerpc value (ppc64le).
    pub powerpc: u32,
    /// glibc's `strerror()` text for the generic value.
    pub description: &'static str,
}

impl ErrnoInfo {
    pub fn value(&self, arch: Arch) -> u32 {
        match arch {
            Arch::Ppc64le => self.powerpc,
            _ => self.generic,
        }
    }
}

/// Every errno name defined on some target, sorted by name.
pub fn all_errno_names() -> &'static [&'static str] {
    ERRNO_NAMES
}

/// Every errno, sorted by name.
pub fn all_errnos() -> &'static [ErrnoInfo] {
    ERRNOS
}

pub fn errno_info(name: &str) -> Option<&'static ErrnoInfo> {
    ERRNOS
        .binary_search_by(|e| e.name.cmp(name))
        .ok()
        .map(|i| &ERRNOS[i])
}

/// For example `"Operation not permitted"` for `EPERM`.
pub fn errno_description(name: &str) -> Option<&'static str> {
    errno_info(name).map(|e| e.description)
}

/// One prelude constant.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ConstantInfo {
    pub name: &'static str,
    /// Its group in the reference data (`"open_flags"`, `"clone_flags"`, …).
    pub group: &'static str,
    /// Value per [`Arch::index`]; `None` where the ABI does not define it.
    pub values: [Option<u64>; Arch::COUNT],
    /// A remark from the reference data where the value surprises
    /// (`O_LARGEFILE`, `AT_FDCWD`, `RLIM_INFINITY`, …), else `""`.
    pub note: &'static str,
}

impl ConstantInfo {
    pub fn value(&self, arch: Arch) -> Option<u64> {
        self.values[arch.index()]
    }
}

/// Every constant defined on some target, sorted by name.
pub fn all_constants() -> &'static [ConstantInfo] {
    CONSTANTS
}

pub fn constant_info(name: &str) -> Option<&'static ConstantInfo> {
    CONSTANTS
        .binary_search_by(|c| c.name.cmp(name))
        .ok()
        .map(|i| &CONSTANTS[i])
}

#[cfg(test)]
mod tests;

/// The errno name for a value on one architecture; aliases (`EWOULDBLOCK`,
/// `EDEADLOCK`) lose to the name the kernel's headers define first.
pub fn errno_name(arch: Arch, value: u32) -> Option<&'static str> {
    let mut found = all_errnos().iter().filter(|e| e.value(arch) == value);
    let first = found.next()?;
    let preferred = std::iter::once(first)
        .chain(found)
        .find(|e| !matches!(e.name, "EWOULDBLOCK" | "EDEADLOCK" | "ENOTSUP"))
        .unwrap_or(first);
    Some(preferred.name)
}
