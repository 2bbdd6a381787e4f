//! The kernel's acceptance rules for a seccomp filter.
//!
//! `seccomp(SECCOMP_SET_MODE_FILTER)` hands the program to
//! `bpf_prog_create_from_user`, which checks, in this order:
//!
//! 1. the length is 1..=4096 (`bpf_check_basics_ok`);
//! 2. every instruction is a known classic opcode, constant divisors are not
//!    0, constant shifts are < 32, scratch indices are < 16, `ja` and both
//!    branches of conditional jumps land inside the program
//!    (`bpf_check_classic`);
//! 3. the last instruction is `ret #k` or `ret a`;
//! 4. no scratch cell is read before it is written (`check_load_and_stores`,
//!    a forward dataflow pass; see [`check_memory`] for its one quirk);
//! 5. seccomp's whitelist (`seccomp_check_filter`): only `ld [k]` with `k`
//!    4-aligned and `< 64` among the data loads, `ld len`/`ldx len`, and the
//!    ALU / jump / ret / misc / imm / mem / st / stx opcodes without `mod`.
//!
//! Every failure is `EINVAL`. [`validate`] folds the opcode checks of 2 and 5
//! into one per-instruction pass; the set of accepted programs is the same.

use std::fmt;

use super::{decode, is_ret, Op};
use crate::bpf::{Insn, BPF_MAXINSNS, BPF_MEMWORDS};

/// Why the kernel would refuse a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// No instructions at all.
    Empty,
    /// More than 4096 instructions (the value is the length).
    TooLong(usize),
    /// Not a classic BPF opcode.
    UnknownOpcode(u16),
    /// A classic BPF opcode that seccomp filters may not use (packet loads
    /// of halfwords/bytes, indirect loads, `ldxb msh`, `mod`).
    NotAllowedInSeccomp(u16),
    /// `ld [k]` with `k` not a multiple of 4 or not below 64.
    LoadOffset(u32),
    /// `div #0`.
    DivByZero,
    /// `lsh #k` / `rsh #k` with `k >= 32`.
    ShiftTooLarge(u32),
    /// A scratch-memory index (`ld M[k]`, `st M[k]`, ...) of 16 or more.
    MemIndex(u32),
    /// A jump whose target (absolute index) is not inside the program.
    JumpOutOfRange { target: u64, len: usize },
    /// The last instruction is not a `ret`.
    NoFinalRet,
    /// Scratch cell `M[k]` may be read before any write on some path.
    ReadBeforeWrite(u32),
}

/// A program the kernel would refuse, with the instruction that makes it so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ValidationError {
    /// Index of the offending instruction; `None` for length errors.
    pub pc: Option<usize>,
    pub reason: Reason,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Reason::Empty => write!(
                f,
                "the program is empty; the kernel needs 1 to {BPF_MAXINSNS} instructions"
            ),
            Reason::TooLong(n) => write!(
                f,
                "the program has {n} instructions; the kernel accepts at most {BPF_MAXINSNS}"
            ),
            Reason::UnknownOpcode(c) => {
                write!(f, "opcode {c:#06x} is not a classic BPF instruction")
            }
            Reason::NotAllowedInSeccomp(c) => write!(
                f,
                "opcode {c:#06x} ({}) is classic BPF but not allowed in a seccomp filter",
                super::disasm::mnemonic(c)
            ),
            Reason::LoadOffset(k) => write!(
                f,
                "ld [{k}]: seccomp loads must read an aligned 32-bit word inside the \
                 64-byte seccomp_data (offset a multiple of 4, below 64)"
            ),
            Reason::DivByZero => write!(f, "division by the constant 0"),
            Reason::ShiftTooLarge(k) => {
                write!(
                    f,
                    "shift by the constant {k}; constant shifts must be below 32"
                )
            }
            Reason::MemIndex(k) => write!(
                f,
                "scratch memory index {k} is out of range (M[0] to M[{}])",
                BPF_MEMWORDS - 1
            ),
            Reason::JumpOutOfRange { target, len } => write!(
                f,
                "jump target {target} is outside the program (last instruction is {})",
                len.saturating_sub(1)
            ),
            Reason::NoFinalRet => write!(f, "the last instruction must be a ret"),
            Reason::ReadBeforeWrite(k) => write!(
                f,
                "M[{k}] may be read before it is written (the kernel's \
                 check_load_and_stores rejects this)"
            ),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pc {
            Some(pc) => write!(f, "instruction {pc}: {}", self.reason),
            None => write!(f, "{}", self.reason),
        }
    }
}

impl std::error::Error for ValidationError {}

fn err(pc: usize, reason: Reason) -> ValidationError {
    ValidationError {
        pc: Some(pc),
        reason,
    }
}

/// Absolute target of a relative jump by `off` from `pc`.
pub(crate) fn target(pc: usize, off: u32) -> u64 {
    pc as u64 + 1 + u64::from(off)
}

/// Accepts exactly the programs `seccomp(SECCOMP_SET_MODE_FILTER)` accepts
/// (see the module documentation for the rules and their kernel origin).
pub fn validate(prog: &[Insn]) -> Result<(), ValidationError> {
    let len = prog.len();
    if len == 0 {
        return Err(ValidationError {
            pc: None,
            reason: Reason::Empty,
        });
    }
    if len > BPF_MAXINSNS {
        return Err(ValidationError {
            pc: None,
            reason: Reason::TooLong(len),
        });
    }
    for (pc, insn) in prog.iter().enumerate() {
        let op = decode(insn).map_err(|r| err(pc, r))?;
        let offsets: &[u32] = match op {
            Op::Ja(k) => &[k],
            Op::Jmp(_, _, jt, jf) => &[u32::from(jt), u32::from(jf)],
            _ => &[],
        };
        for &off in offsets {
            let target = target(pc, off);
            if target >= len as u64 {
                return Err(err(pc, Reason::JumpOutOfRange { target, len }));
            }
        }
    }
    if !is_ret(prog[len - 1].code) {
        return Err(err(len - 1, Reason::NoFinalRet));
    }
    check_memory(prog)
}

/// The kernel's scratch-memory check, reimplemented: one forward pass that
/// carries the set of cells written on every path (`valid`), and for each
/// instruction the intersection of the sets jumps bring to it (`at`).
///
/// Like the kernel, the state that reaches an instruction by falling through
/// is the state after the previous instruction even when that one is a
/// `ret`; a block that follows a `ret` and is reached only by jumps therefore
/// also sees the cells valid before that `ret`. This can reject programs in
/// which every real path writes before reading; the kernel rejects them too.
///
/// Expects a program that passed the other checks (indices and jump targets
/// in range); anything else is reported, never a panic.
fn check_memory(prog: &[Insn]) -> Result<(), ValidationError> {
    let mut at = vec![u16::MAX; prog.len()];
    let mut valid: u16 = 0;
    let bit = |k: u32| 1u16.checked_shl(k).unwrap_or(0);
    for (pc, insn) in prog.iter().enumerate() {
        valid &= at[pc];
        let Ok(op) = decode(insn) else { continue };
        let mut flow_to = |off: u32, valid: u16| -> Result<(), ValidationError> {
            let t = target(pc, off);
            match at.get_mut(t as usize) {
                Some(slot) if t < prog.len() as u64 => {
                    *slot &= valid;
                    Ok(())
                }
                _ => Err(err(
                    pc,
                    Reason::JumpOutOfRange {
                        target: t,
                        len: prog.len(),
                    },
                )),
            }
        };
        match op {
            Op::St(k) | Op::Stx(k) => valid |= bit(k),
            Op::LdMem(k) | Op::LdxMem(k) if valid & bit(k) == 0 => {
                return Err(err(pc, Reason::ReadBeforeWrite(k)));
            }
            Op::Ja(k) => {
                flow_to(k, valid)?;
                valid = u16::MAX;
            }
            Op::Jmp(_, _, jt, jf) => {
                flow_to(u32::from(jt), valid)?;
                flow_to(u32::from(jf), valid)?;
                valid = u16::MAX;
            }
            _ => {}
        }
    }
    Ok(())
}
