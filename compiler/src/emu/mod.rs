//! `emu`: moat's own judge of seccomp cBPF programs.
//!
//! Four tools, all written from the kernel's documented behaviour and shared
//! with nothing but [`crate::bpf`] (the instruction type), so that they stay
//! independent of the code generator they check:
//!
//! * [`validate`] accepts exactly what `seccomp(SECCOMP_SET_MODE_FILTER)`
//!   accepts: the classic-BPF checks of `bpf_check_classic` (net/core/filter.c,
//!   including the scratch-memory dataflow check `check_load_and_stores`)
//!   followed by seccomp's own whitelist `seccomp_check_filter`
//!   (kernel/seccomp.c).
//! * [`run`] interprets a program on one `struct seccomp_data` with the
//!   semantics the kernel gives it after translating it to eBPF.
//! * [`const_action`] / [`is_const_allow`] follow the kernel's
//!   `seccomp_is_const_allow` (Linux >= 5.11), which decides which system
//!   calls the kernel may allow from its bitmap without running the filter.
//! * [`disasm()`] and friends print programs and convert raw
//!   `struct sock_filter` blobs.
//!
//! # Semantics that are easy to get wrong
//!
//! * **Loads** read a 32-bit word of the 64-byte `seccomp_data` in the
//!   target's own byte order (the kernel loads native words from its struct;
//!   there is no network-order conversion as for packets). Only `ld [k]` with
//!   `k % 4 == 0 && k < 64` exists; `ld len` and `ldx len` load the constant 64.
//! * **Shifts.** `lsh #k`/`rsh #k` with `k >= 32` are rejected at load time
//!   by `bpf_check_classic`. A shift by `X` uses only the low five bits of
//!   `X` (`A << (X & 31)`): classic shifts become eBPF 32-bit shifts, the
//!   kernel's eBPF interpreter masks the count with 31 (`SHT()` in
//!   kernel/bpf/core.c), and the x86-64 JIT emits 32-bit `shl`/`shr`
//!   (or `shlx`/`shrx`), whose hardware masks the count the same way. The
//!   kernel's comment there calls an oversized count's result
//!   "implementation-defined" for JITs, so a JIT for another architecture
//!   may differ. On x86-64, `tests/emu_kernel.rs` checks counts 32, 33, 43,
//!   63, 64 and 0xffffffff against the running kernel.
//! * **Division.** `div #0` is rejected at load time. `div x` with `X == 0`
//!   ends the filter with return value 0 (`SECCOMP_RET_KILL_THREAD`): the
//!   translation inserts "if X == 0 { A = 0; exit }" before every `div x`,
//!   preserving classic BPF's "division by zero returns 0" rule. `mod` is not
//!   allowed in seccomp filters at all.
//! * **Jumps** are relative to the next instruction and only go forward, so
//!   every run terminates after at most `prog.len()` instructions.

mod cache;
pub mod disasm;
mod run;
mod validate;

#[cfg(test)]
mod tests;

pub use cache::{cacheable_allows, const_action, is_const_allow};
pub use disasm::{action_name, decode_blob, disasm, disasm_endian, disasm_insn, encode_blob};
pub use run::{run, run_traced, Outcome, RunError};
pub use validate::{validate, Reason, ValidationError};

use crate::bpf::*;

/// The source operand of an ALU or jump instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Src {
    K(u32),
    X,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AluOp {
    Add,
    Sub,
    Mul,
    Div,
    And,
    Or,
    Xor,
    Lsh,
    Rsh,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JmpOp {
    Jeq,
    Jgt,
    Jge,
    Jset,
}

/// One instruction that a seccomp filter may contain, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// `ld [k]`: A = 32-bit word at offset k of `seccomp_data`.
    LdAbs(u32),
    /// `ld len`: A = sizeof(seccomp_data) = 64.
    LdLen,
    /// `ldx len`: X = 64.
    LdxLen,
    LdImm(u32),
    LdxImm(u32),
    LdMem(u32),
    LdxMem(u32),
    St(u32),
    Stx(u32),
    Alu(AluOp, Src),
    Neg,
    Ja(u32),
    Jmp(JmpOp, Src, u8, u8),
    RetK(u32),
    RetA,
    Tax,
    Txa,
}

/// Classic BPF opcodes the kernel's `bpf_check_classic` knows but
/// `seccomp_check_filter` refuses (packet loads, `ldxb msh`, `mod`).
pub(crate) const CLASSIC_NOT_SECCOMP: [u16; 8] = [
    BPF_LD | BPF_H | BPF_ABS,
    BPF_LD | BPF_B | BPF_ABS,
    BPF_LD | BPF_W | BPF_IND,
    BPF_LD | BPF_H | BPF_IND,
    BPF_LD | BPF_B | BPF_IND,
    BPF_LDX | BPF_B | BPF_MSH,
    BPF_ALU | BPF_MOD | BPF_K,
    BPF_ALU | BPF_MOD | BPF_X,
];

/// Decodes one instruction and applies every check that needs only the
/// instruction itself (not its position): opcode whitelist, constant division
/// by zero, constant shift width, scratch index, load offset.
pub(crate) fn decode(insn: &Insn) -> Result<Op, Reason> {
    let k = insn.k;
    let alu = |op: AluOp, src: Src| Ok(Op::Alu(op, src));
    let jmp = |op: JmpOp, src: Src| Ok(Op::Jmp(op, src, insn.jt, insn.jf));
    let mem = |f: fn(u32) -> Op| {
        if k < BPF_MEMWORDS {
            Ok(f(k))
        } else {
            Err(Reason::MemIndex(k))
        }
    };
    const ALU: u16 = BPF_ALU;
    const JMP: u16 = BPF_JMP;
    match insn.code {
        c if c == BPF_LD | BPF_W | BPF_ABS => {
            if k >= SECCOMP_DATA_SIZE || k % 4 != 0 {
                Err(Reason::LoadOffset(k))
            } else {
                Ok(Op::LdAbs(k))
            }
        }
        c if c == BPF_LD | BPF_W | BPF_LEN => Ok(Op::LdLen),
        c if c == BPF_LDX | BPF_W | BPF_LEN => Ok(Op::LdxLen),
        c if c == BPF_LD | BPF_IMM => Ok(Op::LdImm(k)),
        c if c == BPF_LDX | BPF_IMM => Ok(Op::LdxImm(k)),
        c if c == BPF_LD | BPF_MEM => mem(Op::LdMem),
        c if c == BPF_LDX | BPF_MEM => mem(Op::LdxMem),
        c if c == BPF_ST => mem(Op::St),
        c if c == BPF_STX => mem(Op::Stx),

        c if c == ALU | BPF_ADD | BPF_K => alu(AluOp::Add, Src::K(k)),
        c if c == ALU | BPF_ADD | BPF_X => alu(AluOp::Add, Src::X),
        c if c == ALU | BPF_SUB | BPF_K => alu(AluOp::Sub, Src::K(k)),
        c if c == ALU | BPF_SUB | BPF_X => alu(AluOp::Sub, Src::X),
        c if c == ALU | BPF_MUL | BPF_K => alu(AluOp::Mul, Src::K(k)),
        c if c == ALU | BPF_MUL | BPF_X => alu(AluOp::Mul, Src::X),
        c if c == ALU | BPF_DIV | BPF_K => {
            if k == 0 {
                Err(Reason::DivByZero)
            } else {
                alu(AluOp::Div, Src::K(k))
            }
        }
        c if c == ALU | BPF_DIV | BPF_X => alu(AluOp::Div, Src::X),
        c if c == ALU | BPF_AND | BPF_K => alu(AluOp::And, Src::K(k)),
        c if c == ALU | BPF_AND | BPF_X => alu(AluOp::And, Src::X),
        c if c == ALU | BPF_OR | BPF_K => alu(AluOp::Or, Src::K(k)),
        c if c == ALU | BPF_OR | BPF_X => alu(AluOp::Or, Src::X),
        c if c == ALU | BPF_XOR | BPF_K => alu(AluOp::Xor, Src::K(k)),
        c if c == ALU | BPF_XOR | BPF_X => alu(AluOp::Xor, Src::X),
        c if c == ALU | BPF_LSH | BPF_K || c == ALU | BPF_RSH | BPF_K => {
            let op = if c & 0xf0 == BPF_LSH {
                AluOp::Lsh
            } else {
                AluOp::Rsh
            };
            if k >= 32 {
                Err(Reason::ShiftTooLarge(k))
            } else {
                alu(op, Src::K(k))
            }
        }
        c if c == ALU | BPF_LSH | BPF_X => alu(AluOp::Lsh, Src::X),
        c if c == ALU | BPF_RSH | BPF_X => alu(AluOp::Rsh, Src::X),
        c if c == ALU | BPF_NEG => Ok(Op::Neg),

        c if c == JMP | BPF_JA => Ok(Op::Ja(k)),
        c if c == JMP | BPF_JEQ | BPF_K => jmp(JmpOp::Jeq, Src::K(k)),
        c if c == JMP | BPF_JEQ | BPF_X => jmp(JmpOp::Jeq, Src::X),
        c if c == JMP | BPF_JGT | BPF_K => jmp(JmpOp::Jgt, Src::K(k)),
        c if c == JMP | BPF_JGT | BPF_X => jmp(JmpOp::Jgt, Src::X),
        c if c == JMP | BPF_JGE | BPF_K => jmp(JmpOp::Jge, Src::K(k)),
        c if c == JMP | BPF_JGE | BPF_X => jmp(JmpOp::Jge, Src::X),
        c if c == JMP | BPF_JSET | BPF_K => jmp(JmpOp::Jset, Src::K(k)),
        c if c == JMP | BPF_JSET | BPF_X => jmp(JmpOp::Jset, Src::X),

        c if c == BPF_RET | BPF_K => Ok(Op::RetK(k)),
        c if c == BPF_RET | BPF_A => Ok(Op::RetA),
        c if c == BPF_MISC | BPF_TAX => Ok(Op::Tax),
        c if c == BPF_MISC | BPF_TXA => Ok(Op::Txa),

        c if CLASSIC_NOT_SECCOMP.contains(&c) => {
            // The kernel checks these in bpf_check_classic before seccomp's
            // whitelist rejects them; the outcome is the same rejection.
            Err(Reason::NotAllowedInSeccomp(c))
        }
        c => Err(Reason::UnknownOpcode(c)),
    }
}

/// Whether `code` is a return instruction (`ret #k` or `ret a`).
pub(crate) fn is_ret(code: u16) -> bool {
    code == BPF_RET | BPF_K || code == BPF_RET | BPF_A
}
