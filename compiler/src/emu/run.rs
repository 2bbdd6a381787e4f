//! The interpreter.

use std::fmt;

use super::validate::{target, Reason};
use super::{decode, AluOp, JmpOp, Op, Src};
use crate::bpf::{Endian, Insn, SeccompData, BPF_MEMWORDS, SECCOMP_DATA_SIZE};

/// The result of running a filter on one `seccomp_data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Outcome {
    /// The filter's return value (`SECCOMP_RET_*` action | data).
    pub ret: u32,
    /// Instructions executed, counting the final `ret` (or the `div x` that
    /// ended the filter by dividing by zero).
    pub executed: usize,
}

/// A program [`run`] cannot finish. None of these happen for a program that
/// passes [`super::validate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunError {
    /// The program has no instructions.
    Empty,
    /// The instruction at `pc` is one the kernel would have refused.
    Invalid { pc: usize, reason: Reason },
    /// The jump at `pc` goes to `target`, which is not an instruction.
    JumpOutOfRange { pc: usize, target: u64 },
    /// The last instruction, at `pc`, is not a `ret` and was executed.
    FellOffEnd { pc: usize },
    /// `M[slot]` was read at `pc` before anything was stored there.
    UninitializedMemory { pc: usize, slot: u32 },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RunError::Empty => write!(f, "the program is empty"),
            RunError::Invalid { pc, reason } => write!(f, "instruction {pc}: {reason}"),
            RunError::JumpOutOfRange { pc, target } => {
                write!(f, "instruction {pc}: jump to {target}, outside the program")
            }
            RunError::FellOffEnd { pc } => write!(
                f,
                "instruction {pc}: execution ran off the end of the program"
            ),
            RunError::UninitializedMemory { pc, slot } => {
                write!(f, "instruction {pc}: M[{slot}] read before it was written")
            }
        }
    }
}

impl std::error::Error for RunError {}

/// Runs `prog` on `data` as the kernel would on a target of byte order
/// `endian`. Meant for validated programs; on any other input it returns a
/// [`RunError`] instead of guessing, and it never panics.
pub fn run(prog: &[Insn], data: &SeccompData, endian: Endian) -> Result<Outcome, RunError> {
    exec(prog, data, endian, |_| {})
}

/// Like [`run`], and also returns the index of every executed instruction in
/// order (for coverage measurements and for explaining a decision).
pub fn run_traced(
    prog: &[Insn],
    data: &SeccompData,
    endian: Endian,
) -> Result<(Outcome, Vec<usize>), RunError> {
    let mut path = Vec::new();
    let outcome = exec(prog, data, endian, |pc| path.push(pc))?;
    Ok((outcome, path))
}

fn exec(
    prog: &[Insn],
    data: &SeccompData,
    endian: Endian,
    mut visit: impl FnMut(usize),
) -> Result<Outcome, RunError> {
    if prog.is_empty() {
        return Err(RunError::Empty);
    }
    let bytes = data.to_bytes(endian);
    let word = |k: u32| {
        let k = k as usize;
        let w = [bytes[k], bytes[k + 1], bytes[k + 2], bytes[k + 3]];
        match endian {
            Endian::Little => u32::from_le_bytes(w),
            Endian::Big => u32::from_be_bytes(w),
        }
    };
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut mem = [0u32; BPF_MEMWORDS as usize];
    let mut written: u16 = 0;
    let mut pc = 0usize;
    let mut executed = 0usize;
    loop {
        let Some(insn) = prog.get(pc) else {
            return Err(RunError::FellOffEnd { pc: pc - 1 });
        };
        executed += 1;
        visit(pc);
        let op = decode(insn).map_err(|reason| RunError::Invalid { pc, reason })?;
        let mut next = pc + 1;
        let mut jump = |off: u32| -> Result<(), RunError> {
            let t = target(pc, off);
            if t >= prog.len() as u64 {
                return Err(RunError::JumpOutOfRange { pc, target: t });
            }
            next = t as usize;
            Ok(())
        };
        // `decode` guarantees indices < 16 and offsets < 64, aligned.
        let load = |slot: u32| {
            if written & (1 << slot) == 0 {
                Err(RunError::UninitializedMemory { pc, slot })
            } else {
                Ok(mem[slot as usize])
            }
        };
        match op {
            Op::LdAbs(k) => a = word(k),
            Op::LdLen => a = SECCOMP_DATA_SIZE,
            Op::LdxLen => x = SECCOMP_DATA_SIZE,
            Op::LdImm(k) => a = k,
            Op::LdxImm(k) => x = k,
            Op::LdMem(k) => a = load(k)?,
            Op::LdxMem(k) => x = load(k)?,
            Op::St(k) => {
                mem[k as usize] = a;
                written |= 1 << k;
            }
            Op::Stx(k) => {
                mem[k as usize] = x;
                written |= 1 << k;
            }
            Op::Alu(op, src) => {
                let v = match src {
                    Src::K(k) => k,
                    Src::X => x,
                };
                a = match op {
                    AluOp::Add => a.wrapping_add(v),
                    AluOp::Sub => a.wrapping_sub(v),
                    AluOp::Mul => a.wrapping_mul(v),
                    AluOp::Div => match a.checked_div(v) {
                        Some(q) => q,
                        // Only reachable with `div x`: `div #0` fails decode.
                        None => return Ok(Outcome { ret: 0, executed }),
                    },
                    AluOp::And => a & v,
                    AluOp::Or => a | v,
                    AluOp::Xor => a ^ v,
                    // Constant counts are < 32 (decode); X counts use their
                    // low five bits, as the kernel's eBPF shifts do.
                    AluOp::Lsh => a << (v & 31),
                    AluOp::Rsh => a >> (v & 31),
                };
            }
            Op::Neg => a = a.wrapping_neg(),
            Op::Ja(k) => jump(k)?,
            Op::Jmp(op, src, jt, jf) => {
                let v = match src {
                    Src::K(k) => k,
                    Src::X => x,
                };
                let taken = match op {
                    JmpOp::Jeq => a == v,
                    JmpOp::Jgt => a > v,
                    JmpOp::Jge => a >= v,
                    JmpOp::Jset => a & v != 0,
                };
                jump(u32::from(if taken { jt } else { jf }))?;
            }
            Op::RetK(k) => return Ok(Outcome { ret: k, executed }),
            Op::RetA => return Ok(Outcome { ret: a, executed }),
            Op::Tax => x = a,
            Op::Txa => a = x,
        }
        pc = next;
    }
}
