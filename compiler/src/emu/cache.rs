//! The kernel's constant-action check (`seccomp_is_const_allow`, Linux >= 5.11).
//!
//! When a filter is attached, the kernel emulates it once for every syscall
//! number of the native (and compat) architecture, knowing only `nr` and
//! `arch`. If that emulation reaches `ret SECCOMP_RET_ALLOW` using nothing
//! but the instructions below, the syscall goes into a bitmap and later calls
//! skip the filter entirely:
//!
//! | instruction                       | emulation                        |
//! |-----------------------------------|----------------------------------|
//! | `ld [0]`, `ld [4]`                | A = nr, A = arch                 |
//! | `jeq`/`jgt`/`jge`/`jset #k`       | follow the branch                |
//! | `ja k`                            | follow the jump                  |
//! | `and #k` (only the `BPF_K` form)  | A &= k                           |
//! | `ret #k`                          | the result; cacheable iff `k == SECCOMP_RET_ALLOW` exactly |
//!
//! Anything else on the path gives up: loads of arguments or the instruction
//! pointer, `ld len`, immediates, scratch memory, every X-register form
//! (`and x`, `jeq x`, `tax`, ...), every other ALU op, `ret a`, and running
//! off the end. The kernel works on the program exactly as the user passed
//! it, before `seccomp_check_filter` rewrites `ld len` into an immediate.
//! Like the kernel, the emulation starts with A = 0.
//!
//! Not modelled here: the kernel's forced pass-through of `uretprobe` and
//! `uprobe` on x86-64, which the kernel checks before emulating the filter,
//! and the bitmap's limits (only `nr < NR_syscalls` of an architecture that
//! has a cache; x32 numbers are never cached). Those depend on the target,
//! not the program.

use super::validate::target;
use crate::bpf::*;

/// The action the kernel's constant-action emulation finds for `(arch, nr)`:
/// `Some(k)` when the path reaches `ret #k` through supported instructions
/// only, `None` when it meets anything the kernel does not emulate (or the
/// program is malformed). Only `Some(SECCOMP_RET_ALLOW)` is cached by the
/// kernel; other `Some` values are reported for diagnostics.
pub fn const_action(prog: &[Insn], arch: u32, nr: u32) -> Option<u32> {
    let mut a: u32 = 0;
    let mut pc = 0usize;
    while let Some(insn) = prog.get(pc) {
        let k = insn.k;
        let mut off = 0u32;
        match insn.code {
            c if c == BPF_LD | BPF_W | BPF_ABS => match k {
                OFF_NR => a = nr,
                OFF_ARCH => a = arch,
                _ => return None,
            },
            c if c == BPF_RET | BPF_K => return Some(k),
            c if c == BPF_JMP | BPF_JA => off = k,
            c if c == BPF_JMP | BPF_JEQ | BPF_K
                || c == BPF_JMP | BPF_JGT | BPF_K
                || c == BPF_JMP | BPF_JGE | BPF_K
                || c == BPF_JMP | BPF_JSET | BPF_K =>
            {
                let taken = match c & 0xf0 {
                    BPF_JEQ => a == k,
                    BPF_JGT => a > k,
                    BPF_JGE => a >= k,
                    _ => a & k != 0,
                };
                off = u32::from(if taken { insn.jt } else { insn.jf });
            }
            c if c == BPF_ALU | BPF_AND | BPF_K => a &= k,
            _ => return None,
        }
        pc = usize::try_from(target(pc, off)).ok()?;
    }
    None
}

/// Whether the kernel would put `(arch, nr)` in its always-allow bitmap for
/// this filter: [`const_action`] is exactly `SECCOMP_RET_ALLOW`.
pub fn is_const_allow(prog: &[Insn], arch: u32, nr: u32) -> bool {
    const_action(prog, arch, nr) == Some(SECCOMP_RET_ALLOW)
}

/// The numbers among `nrs` (in their order) that the kernel would cache as
/// always allowed for `arch`.
pub fn cacheable_allows(prog: &[Insn], arch: u32, nrs: impl IntoIterator<Item = u32>) -> Vec<u32> {
    nrs.into_iter()
        .filter(|&nr| is_const_allow(prog, arch, nr))
        .collect()
}
