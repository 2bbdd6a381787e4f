//! Unit tests for `emu` on hand-assembled programs.

use super::*;
use crate::bpf::*;
use proptest::prelude::*;

// ---- a tiny assembler ------------------------------------------------------

fn ld(k: u32) -> Insn {
    Insn::stmt(BPF_LD | BPF_W | BPF_ABS, k)
}
fn ld_imm(k: u32) -> Insn {
    Insn::stmt(BPF_LD | BPF_IMM, k)
}
fn ldx_imm(k: u32) -> Insn {
    Insn::stmt(BPF_LDX | BPF_IMM, k)
}
fn ld_len() -> Insn {
    Insn::stmt(BPF_LD | BPF_W | BPF_LEN, 0)
}
fn ldx_len() -> Insn {
    Insn::stmt(BPF_LDX | BPF_W | BPF_LEN, 0)
}
fn ld_mem(k: u32) -> Insn {
    Insn::stmt(BPF_LD | BPF_MEM, k)
}
fn ldx_mem(k: u32) -> Insn {
    Insn::stmt(BPF_LDX | BPF_MEM, k)
}
fn st(k: u32) -> Insn {
    Insn::stmt(BPF_ST, k)
}
fn stx(k: u32) -> Insn {
    Insn::stmt(BPF_STX, k)
}
fn alu_k(op: u16, k: u32) -> Insn {
    Insn::stmt(BPF_ALU | op | BPF_K, k)
}
fn alu_x(op: u16) -> Insn {
    Insn::stmt(BPF_ALU | op | BPF_X, 0)
}
fn neg() -> Insn {
    Insn::stmt(BPF_ALU | BPF_NEG, 0)
}
fn ja(k: u32) -> Insn {
    Insn::stmt(BPF_JMP | BPF_JA, k)
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
fn tax() -> Insn {
    Insn::stmt(BPF_MISC | BPF_TAX, 0)
}
fn txa() -> Insn {
    Insn::stmt(BPF_MISC | BPF_TXA, 0)
}

const X86_64: u32 = 0xc000_003e;
const I386: u32 = 0x4000_0003;
const ERRNO: u32 = SECCOMP_RET_ERRNO;

fn data() -> SeccompData {
    SeccompData {
        nr: 0x1122_3344,
        arch: X86_64,
        instruction_pointer: 0x0102_0304_0506_0708,
        args: [
            0xa0a1_a2a3_a4a5_a6a7,
            0xb0b1_b2b3_b4b5_b6b7,
            0xc0c1_c2c3_c4c5_c6c7,
            0xd0d1_d2d3_d4d5_d6d7,
            0xe0e1_e2e3_e4e5_e6e7,
            0xf0f1_f2f3_f4f5_f6f7,
        ],
    }
}

fn run_le(prog: &[Insn]) -> Outcome {
    validate(prog).unwrap_or_else(|e| panic!("test program invalid: {e}\n{}", disasm(prog)));
    run(prog, &data(), Endian::Little).unwrap()
}

fn ret_of(prog: &[Insn]) -> u32 {
    run_le(prog).ret
}

// ---- ALU -------------------------------------------------------------------

/// (op, A, operand, expected A)
const ALU_CASES: &[(u16, u32, u32, u32)] = &[
    (BPF_ADD, 5, 7, 12),
    (BPF_ADD, 0xffff_ffff, 2, 1),
    (BPF_SUB, 7, 5, 2),
    (BPF_SUB, 1, 2, 0xffff_ffff),
    (BPF_MUL, 6, 7, 42),
    (BPF_MUL, 0x1_0000, 0x1_0000, 0),
    (BPF_MUL, 0x8000_0001, 2, 2),
    (BPF_DIV, 7, 2, 3),
    (BPF_DIV, 0xffff_ffff, 0x10, 0x0fff_ffff),
    (BPF_DIV, 3, 7, 0),
    (BPF_AND, 0xf0f0, 0xff00, 0xf000),
    (BPF_OR, 0xf0f0, 0xff00, 0xfff0),
    (BPF_XOR, 0xf0f0, 0xff00, 0x0ff0),
    (BPF_LSH, 1, 31, 0x8000_0000),
    (BPF_LSH, 0x8000_0001, 1, 2),
    (BPF_LSH, 0xabcd, 0, 0xabcd),
    (BPF_RSH, 0x8000_0000, 31, 1),
    (BPF_RSH, 0xf0, 4, 0xf),
];

#[test]
fn alu_with_constant() {
    for &(op, a, k, want) in ALU_CASES {
        let prog = [ld_imm(a), alu_k(op, k), ret_a()];
        assert_eq!(ret_of(&prog), want, "op {op:#x} {a:#x} #{k:#x}");
        assert_eq!(run_le(&prog).executed, 3);
    }
}

#[test]
fn alu_with_x() {
    for &(op, a, x, want) in ALU_CASES {
        let prog = [ld_imm(a), ldx_imm(x), alu_x(op), ret_a()];
        assert_eq!(ret_of(&prog), want, "op {op:#x} {a:#x} x={x:#x}");
        assert_eq!(run_le(&prog).executed, 4);
    }
}

#[test]
fn neg_wraps() {
    assert_eq!(ret_of(&[ld_imm(1), neg(), ret_a()]), 0xffff_ffff);
    assert_eq!(ret_of(&[ld_imm(0), neg(), ret_a()]), 0);
    assert_eq!(ret_of(&[ld_imm(0x8000_0000), neg(), ret_a()]), 0x8000_0000);
}

#[test]
fn shift_by_x_uses_low_five_bits() {
    // The kernel's eBPF 32-bit shifts mask the count with 31.
    let cases = [
        (BPF_LSH, 1, 32, 1),
        (BPF_LSH, 1, 33, 2),
        (BPF_LSH, 1, 63, 0x8000_0000),
        (BPF_LSH, 3, 0xffff_ffe1, 6),
        (BPF_RSH, 0x8000_0000, 32, 0x8000_0000),
        (BPF_RSH, 0x8000_0000, 35, 0x1000_0000),
    ];
    for (op, a, x, want) in cases {
        let prog = [ld_imm(a), ldx_imm(x), alu_x(op), ret_a()];
        assert_eq!(ret_of(&prog), want, "op {op:#x} {a:#x} x={x}");
    }
}

#[test]
fn division_by_x_zero_returns_zero() {
    let prog = [ld_imm(10), ldx_imm(0), alu_x(BPF_DIV), ret(ERRNO | 5)];
    let out = run_le(&prog);
    assert_eq!(out.ret, 0, "classic BPF: dividing by zero returns 0");
    assert_eq!(out.executed, 3, "the div ends the program");
}

// ---- jumps -----------------------------------------------------------------

/// (op, A, operand, taken?)
const JMP_CASES: &[(u16, u32, u32, bool)] = &[
    (BPF_JEQ, 5, 5, true),
    (BPF_JEQ, 5, 6, false),
    (BPF_JGT, 6, 5, true),
    (BPF_JGT, 5, 5, false),
    (BPF_JGT, 0x8000_0000, 1, true), // unsigned
    (BPF_JGE, 5, 5, true),
    (BPF_JGE, 4, 5, false),
    (BPF_JGE, 1, 0xffff_ffff, false),
    (BPF_JSET, 0x11, 0x10, true),
    (BPF_JSET, 0x11, 0x0e, false),
    (BPF_JSET, 0, 0, false),
];

#[test]
fn conditional_jumps_with_constant() {
    for &(op, a, k, taken) in JMP_CASES {
        let prog = [ld_imm(a), jk(op, k, 1, 0), ret(1), ret(2)];
        let out = run_le(&prog);
        assert_eq!(out.ret, if taken { 2 } else { 1 }, "{op:#x} {a:#x} #{k:#x}");
        assert_eq!(out.executed, 3);
    }
}

#[test]
fn conditional_jumps_with_x() {
    for &(op, a, x, taken) in JMP_CASES {
        let prog = [ld_imm(a), ldx_imm(x), jx(op, 0, 1), ret(1), ret(2)];
        let out = run_le(&prog);
        assert_eq!(
            out.ret,
            if taken { 1 } else { 2 },
            "{op:#x} {a:#x} x={x:#x}"
        );
        assert_eq!(out.executed, 4);
    }
}

#[test]
fn jumps_are_relative_to_the_next_instruction() {
    // jt 2 from pc 1 lands on 4, jf 1 on 3.
    let prog = [ld_imm(7), jk(BPF_JEQ, 7, 2, 1), ret(1), ret(2), ret(3)];
    assert_eq!(ret_of(&prog), 3);
    let (out, path) = run_traced(&prog, &data(), Endian::Little).unwrap();
    assert_eq!(path, vec![0, 1, 4]);
    assert_eq!(out.executed, 3);
    let prog = [ld_imm(8), jk(BPF_JEQ, 7, 2, 1), ret(1), ret(2), ret(3)];
    assert_eq!(ret_of(&prog), 2);
}

#[test]
fn ja_skips() {
    let prog = [ja(2), ret(1), ret(2), ret(3)];
    let out = run_le(&prog);
    assert_eq!((out.ret, out.executed), (3, 2));
    let prog = [ja(0), ret(1)];
    assert_eq!(ret_of(&prog), 1);
}

// ---- loads, memory, misc, ret ----------------------------------------------

#[test]
fn loads_from_seccomp_data_little_endian() {
    let d = data();
    let want = [
        (0, d.nr),
        (4, d.arch),
        (8, 0x0506_0708),
        (12, 0x0102_0304),
        (16, 0xa4a5_a6a7),
        (20, 0xa0a1_a2a3),
        (24, 0xb4b5_b6b7),
        (60, 0xf0f1_f2f3),
    ];
    for (k, v) in want {
        assert_eq!(ret_of(&[ld(k), ret_a()]), v, "ld [{k}]");
    }
}

#[test]
fn loads_from_seccomp_data_big_endian() {
    let d = data();
    let want = [
        (0, d.nr),
        (4, d.arch),
        (8, 0x0102_0304),
        (12, 0x0506_0708),
        (16, 0xa0a1_a2a3),
        (20, 0xa4a5_a6a7),
        (56, 0xf0f1_f2f3),
        (60, 0xf4f5_f6f7),
    ];
    for (k, v) in want {
        let out = run(&[ld(k), ret_a()], &d, Endian::Big).unwrap();
        assert_eq!(out.ret, v, "ld [{k}] big-endian");
    }
}

#[test]
fn immediate_and_length_loads() {
    assert_eq!(ret_of(&[ld_imm(0xdead_beef), ret_a()]), 0xdead_beef);
    assert_eq!(ret_of(&[ldx_imm(77), txa(), ret_a()]), 77);
    assert_eq!(ret_of(&[ld_len(), ret_a()]), 64);
    assert_eq!(ret_of(&[ldx_len(), txa(), ret_a()]), 64);
}

#[test]
fn scratch_memory() {
    let prog = [
        ld_imm(11),
        st(0),
        ldx_imm(22),
        stx(15),
        ld_imm(0),
        ldx_imm(0),
        ld_mem(15), // A = 22
        ldx_mem(0), // X = 11
        alu_x(BPF_SUB),
        ret_a(),
    ];
    assert_eq!(ret_of(&prog), 11);
    // A store overwrites.
    let prog = [
        ld_imm(1),
        st(3),
        ld_imm(2),
        st(3),
        ld_imm(0),
        ld_mem(3),
        ret_a(),
    ];
    assert_eq!(ret_of(&prog), 2);
}

#[test]
fn tax_and_txa() {
    assert_eq!(ret_of(&[ld_imm(5), tax(), ld_imm(0), txa(), ret_a()]), 5);
    assert_eq!(
        ret_of(&[ld_imm(5), tax(), alu_x(BPF_ADD), ret_a()]),
        10,
        "tax copies A into X"
    );
}

#[test]
fn ret_k_and_ret_a() {
    assert_eq!(ret_of(&[ret(SECCOMP_RET_ALLOW)]), SECCOMP_RET_ALLOW);
    assert_eq!(run_le(&[ret(SECCOMP_RET_ALLOW)]).executed, 1);
    assert_eq!(ret_of(&[ld_imm(ERRNO | 3), ret_a()]), ERRNO | 3);
    assert_eq!(ret_of(&[ret_a()]), 0, "A starts at 0");
    assert_eq!(ret_of(&[txa(), ret_a()]), 0, "X starts at 0");
}

// ---- run on invalid input --------------------------------------------------

#[test]
fn run_reports_malformed_programs() {
    let d = data();
    let r = |p: &[Insn]| run(p, &d, Endian::Little);
    assert_eq!(r(&[]), Err(RunError::Empty));
    assert_eq!(r(&[ld_imm(1)]), Err(RunError::FellOffEnd { pc: 0 }));
    assert_eq!(
        r(&[ld_imm(1), ja(5), ret(0)]),
        Err(RunError::JumpOutOfRange { pc: 1, target: 7 })
    );
    assert_eq!(
        r(&[jk(BPF_JEQ, 1, 0, 9), ret(0)]),
        Err(RunError::JumpOutOfRange { pc: 0, target: 10 })
    );
    assert_eq!(
        r(&[ja(u32::MAX), ret(0)]),
        Err(RunError::JumpOutOfRange {
            pc: 0,
            target: u64::from(u32::MAX) + 1
        })
    );
    assert_eq!(
        r(&[alu_k(BPF_MOD, 3), ret(0)]),
        Err(RunError::Invalid {
            pc: 0,
            reason: Reason::NotAllowedInSeccomp(BPF_ALU | BPF_MOD | BPF_K)
        })
    );
    assert_eq!(
        r(&[ld_mem(2), ret_a()]),
        Err(RunError::UninitializedMemory { pc: 0, slot: 2 })
    );
    assert_eq!(
        r(&[alu_k(BPF_DIV, 0), ret(0)]),
        Err(RunError::Invalid {
            pc: 0,
            reason: Reason::DivByZero
        })
    );
    // A bad instruction that is never reached does not matter to run.
    assert_eq!(r(&[ret(9), Insn::stmt(0xffff, 0)]).unwrap().ret, 9);
}

// ---- validate --------------------------------------------------------------

fn reason(prog: &[Insn]) -> (Option<usize>, Reason) {
    let e = validate(prog).expect_err("program should be rejected");
    (e.pc, e.reason)
}

#[test]
fn validate_length() {
    assert_eq!(reason(&[]), (None, Reason::Empty));
    let long = vec![ret(0); BPF_MAXINSNS + 1];
    assert_eq!(reason(&long), (None, Reason::TooLong(4097)));
    let max = vec![ret(0); BPF_MAXINSNS];
    assert_eq!(validate(&max), Ok(()));
    assert_eq!(validate(&[ret(0)]), Ok(()));
}

#[test]
fn validate_unknown_opcodes() {
    for code in [
        BPF_RET | BPF_X,           // ret x
        BPF_LDX | BPF_W | BPF_ABS, // what seccomp rewrites ld [k] into
        BPF_ALU | BPF_NEG | BPF_X, // neg has no X form
        BPF_JMP | BPF_JA | BPF_X,  // ja has no X form
        BPF_ALU | 0xb0 | BPF_K,    // eBPF mov
        BPF_JMP | 0x50 | BPF_K,    // eBPF jne
        BPF_LD | BPF_H | BPF_IMM,  // only word-sized imm
        BPF_MISC | 0x08,           //
        0x100 | BPF_RET,           // high bits set
        0xffff,
    ] {
        let prog = [ld_imm(0), Insn::stmt(code, 0), ret(0)];
        assert_eq!(
            reason(&prog),
            (Some(1), Reason::UnknownOpcode(code)),
            "{code:#x}"
        );
    }
}

#[test]
fn validate_classic_opcodes_seccomp_refuses() {
    for code in [
        BPF_LD | BPF_H | BPF_ABS,
        BPF_LD | BPF_B | BPF_ABS,
        BPF_LD | BPF_W | BPF_IND,
        BPF_LD | BPF_H | BPF_IND,
        BPF_LD | BPF_B | BPF_IND,
        BPF_LDX | BPF_B | BPF_MSH,
        BPF_ALU | BPF_MOD | BPF_K,
        BPF_ALU | BPF_MOD | BPF_X,
    ] {
        let prog = [Insn::stmt(code, 4), ret(0)];
        assert_eq!(
            reason(&prog),
            (Some(0), Reason::NotAllowedInSeccomp(code)),
            "{code:#x}"
        );
    }
}

#[test]
fn validate_load_offsets() {
    for k in (0..64).step_by(4) {
        assert_eq!(validate(&[ld(k), ret_a()]), Ok(()), "ld [{k}]");
    }
    for k in [1, 2, 3, 62, 64, 68, 0xffff_f000, 0xffff_f004, u32::MAX] {
        assert_eq!(reason(&[ld(k), ret_a()]), (Some(0), Reason::LoadOffset(k)));
    }
}

#[test]
fn validate_constant_division_and_shifts() {
    assert_eq!(
        reason(&[alu_k(BPF_DIV, 0), ret_a()]),
        (Some(0), Reason::DivByZero)
    );
    assert_eq!(validate(&[alu_k(BPF_DIV, 1), ret_a()]), Ok(()));
    assert_eq!(validate(&[alu_x(BPF_DIV), ret_a()]), Ok(()));
    for op in [BPF_LSH, BPF_RSH] {
        assert_eq!(validate(&[alu_k(op, 31), ret_a()]), Ok(()));
        assert_eq!(
            reason(&[alu_k(op, 32), ret_a()]),
            (Some(0), Reason::ShiftTooLarge(32))
        );
        assert_eq!(validate(&[alu_x(op), ret_a()]), Ok(()));
    }
}

#[test]
fn validate_scratch_indices() {
    for mk in [st, stx] {
        assert_eq!(validate(&[mk(15), ret_a()]), Ok(()));
        assert_eq!(reason(&[mk(16), ret_a()]), (Some(0), Reason::MemIndex(16)));
    }
    for mk in [ld_mem, ldx_mem] {
        assert_eq!(
            reason(&[st(0), mk(16), ret_a()]),
            (Some(1), Reason::MemIndex(16))
        );
    }
}

#[test]
fn validate_jump_ranges() {
    // ja to the last instruction is fine; one further is not.
    assert_eq!(validate(&[ja(1), ret(1), ret(2)]), Ok(()));
    assert_eq!(
        reason(&[ja(2), ret(1), ret(2)]),
        (Some(0), Reason::JumpOutOfRange { target: 3, len: 3 })
    );
    assert_eq!(
        reason(&[ja(u32::MAX), ret(1)]),
        (
            Some(0),
            Reason::JumpOutOfRange {
                target: 1 << 32,
                len: 2
            }
        )
    );
    assert_eq!(validate(&[jk(BPF_JEQ, 0, 1, 0), ret(1), ret(2)]), Ok(()));
    assert_eq!(
        reason(&[jk(BPF_JEQ, 0, 2, 0), ret(1), ret(2)]),
        (Some(0), Reason::JumpOutOfRange { target: 3, len: 3 })
    );
    assert_eq!(
        reason(&[jx(BPF_JSET, 0, 2), ret(1), ret(2)]),
        (Some(0), Reason::JumpOutOfRange { target: 3, len: 3 })
    );
}

#[test]
fn validate_final_ret() {
    assert_eq!(reason(&[ret(0), ld_imm(0)]), (Some(1), Reason::NoFinalRet));
    assert_eq!(
        reason(&[ret(0), ja(0)]),
        (Some(1), Reason::JumpOutOfRange { target: 2, len: 2 }),
        "the jump check comes first, like the kernel's"
    );
    assert_eq!(validate(&[ld_imm(0), ret_a()]), Ok(()));
}

#[test]
fn validate_memory_written_before_read() {
    assert_eq!(
        reason(&[ld_mem(0), ret_a()]),
        (Some(0), Reason::ReadBeforeWrite(0))
    );
    assert_eq!(
        reason(&[st(1), ldx_mem(0), ret_a()]),
        (Some(1), Reason::ReadBeforeWrite(0))
    );
    assert_eq!(validate(&[st(0), ld_mem(0), ret_a()]), Ok(()));
    assert_eq!(validate(&[stx(7), ldx_mem(7), ret_a()]), Ok(()));

    // Written on one branch only: rejected.
    let one_branch = [ld(0), jk(BPF_JEQ, 1, 0, 1), st(0), ld_mem(0), ret_a()];
    assert_eq!(reason(&one_branch), (Some(3), Reason::ReadBeforeWrite(0)));
    // Written on both branches: accepted.
    let both = [
        ld(0),
        jk(BPF_JEQ, 1, 0, 2),
        st(0),
        ja(1),
        st(0),
        ld_mem(0),
        ret_a(),
    ];
    assert_eq!(validate(&both), Ok(()));
    // Code after a ret inherits the state before the ret (kernel quirk):
    // every path to insn 4 wrote M[0], yet the kernel rejects.
    let after_ret = [
        jk(BPF_JEQ, 1, 2, 0),
        st(0),
        ja(1),
        ret(1),
        ld_mem(0),
        ret_a(),
    ];
    assert_eq!(reason(&after_ret), (Some(4), Reason::ReadBeforeWrite(0)));
    // ...while with the write before the branch it is fine.
    let before = [st(0), jk(BPF_JEQ, 1, 1, 0), ret(1), ld_mem(0), ret_a()];
    assert_eq!(validate(&before), Ok(()));
}

#[test]
fn validate_accepts_every_allowed_opcode() {
    let prog = [
        ld(4),
        jk(BPF_JEQ, X86_64, 1, 0),
        ret(SECCOMP_RET_KILL_PROCESS),
        ld(0),
        ld_len(),
        ldx_len(),
        ld_imm(1),
        ldx_imm(2),
        st(0),
        stx(1),
        ld_mem(0),
        ldx_mem(1),
        alu_k(BPF_ADD, 1),
        alu_x(BPF_ADD),
        alu_k(BPF_SUB, 1),
        alu_x(BPF_SUB),
        alu_k(BPF_MUL, 1),
        alu_x(BPF_MUL),
        alu_k(BPF_DIV, 1),
        alu_x(BPF_DIV),
        alu_k(BPF_AND, 1),
        alu_x(BPF_AND),
        alu_k(BPF_OR, 1),
        alu_x(BPF_OR),
        alu_k(BPF_XOR, 1),
        alu_x(BPF_XOR),
        alu_k(BPF_LSH, 1),
        alu_x(BPF_LSH),
        alu_k(BPF_RSH, 1),
        alu_x(BPF_RSH),
        neg(),
        tax(),
        txa(),
        jk(BPF_JEQ, 0, 0, 0),
        jx(BPF_JEQ, 0, 0),
        jk(BPF_JGT, 0, 0, 0),
        jx(BPF_JGT, 0, 0),
        jk(BPF_JGE, 0, 0, 0),
        jx(BPF_JGE, 0, 0),
        jk(BPF_JSET, 0, 0, 0),
        jx(BPF_JSET, 0, 0),
        ja(0),
        ret(SECCOMP_RET_ALLOW),
        ret_a(),
    ];
    assert_eq!(validate(&prog), Ok(()));
}

#[test]
fn validation_errors_display_index_and_reason() {
    let e = validate(&[ld(2), ret_a()]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "instruction 0: ld [2]: seccomp loads must read an aligned 32-bit word inside \
         the 64-byte seccomp_data (offset a multiple of 4, below 64)"
    );
    let e = validate(&[Insn::stmt(BPF_ALU | BPF_MOD | BPF_K, 3), ret_a()]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "instruction 0: opcode 0x0094 (mod) is classic BPF but not allowed in a seccomp filter"
    );
    let e = validate(&[]).unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
}

// ---- const_action ----------------------------------------------------------

/// x86_64 only: allow 39 (getpid) and 0x127 unconditionally, check write's
/// (1) first argument, ERRNO(1) otherwise; kill other arches.
fn policy() -> Vec<Insn> {
    vec![
        /* 0 */ ld(4),
        /* 1 */ jk(BPF_JEQ, X86_64, 1, 0),
        /* 2 */ ret(SECCOMP_RET_KILL_PROCESS),
        /* 3 */ ld(0),
        /* 4 */ jk(BPF_JEQ, 39, 3, 0),
        /* 5 */ jk(BPF_JEQ, 0x127, 2, 0),
        /* 6 */ jk(BPF_JEQ, 1, 2, 0),
        /* 7 */ ret(ERRNO | 1),
        /* 8 */ ret(SECCOMP_RET_ALLOW),
        /* 9 */ ld(16),
        /* 10 */ jk(BPF_JEQ, 2, 0, 1),
        /* 11 */ ret(SECCOMP_RET_ALLOW),
        /* 12 */ ret(ERRNO | 9),
    ]
}

#[test]
fn const_allow_decided_by_arch_and_nr() {
    let p = policy();
    validate(&p).unwrap();
    assert!(is_const_allow(&p, X86_64, 39));
    assert!(is_const_allow(&p, X86_64, 0x127));
    assert_eq!(const_action(&p, X86_64, 40), Some(ERRNO | 1));
    assert!(!is_const_allow(&p, X86_64, 40));
    assert_eq!(const_action(&p, I386, 39), Some(SECCOMP_RET_KILL_PROCESS));
    assert_eq!(cacheable_allows(&p, X86_64, 0..1000), vec![39, 0x127],);
}

#[test]
fn const_allow_refuses_argument_loads() {
    let p = policy();
    // write(2, ...) is allowed at run time, but only after loading args[0].
    assert_eq!(const_action(&p, X86_64, 1), None);
    assert!(!is_const_allow(&p, X86_64, 1));
    let mut d = data();
    d.nr = 1;
    d.args[0] = 2;
    assert_eq!(run(&p, &d, Endian::Little).unwrap().ret, SECCOMP_RET_ALLOW);
    // Loading the instruction pointer is just as bad.
    assert_eq!(
        const_action(&[ld(8), ret(SECCOMP_RET_ALLOW)], X86_64, 0),
        None
    );
}

#[test]
fn const_allow_for_another_arch_only() {
    let p = [
        ld(4),
        jk(BPF_JEQ, I386, 0, 3),
        ld(0),
        jk(BPF_JEQ, 20, 0, 1),
        ret(SECCOMP_RET_ALLOW),
        ret(ERRNO | 1),
    ];
    validate(&p).unwrap();
    assert!(is_const_allow(&p, I386, 20));
    assert!(!is_const_allow(&p, X86_64, 20));
    assert_eq!(const_action(&p, X86_64, 20), Some(ERRNO | 1));
}

#[test]
fn const_allow_follows_jset_and_and() {
    // x32 guard with jset, then an `and #k` that folds numbers together.
    let p = [
        ld(0),
        jk(BPF_JSET, 0x4000_0000, 0, 1),
        ret(SECCOMP_RET_KILL_PROCESS),
        alu_k(BPF_AND, 0xff),
        jk(BPF_JGE, 0x10, 0, 1),
        ret(SECCOMP_RET_ALLOW),
        jk(BPF_JGT, 0x0e, 1, 0),
        ret(SECCOMP_RET_ALLOW),
        ret(ERRNO | 2),
    ];
    validate(&p).unwrap();
    assert_eq!(
        const_action(&p, X86_64, 0x4000_0001),
        Some(SECCOMP_RET_KILL_PROCESS)
    );
    assert!(is_const_allow(&p, X86_64, 0x10));
    assert!(
        is_const_allow(&p, X86_64, 0x110),
        "and #0xff folds 0x110 to 0x10"
    );
    assert!(is_const_allow(&p, X86_64, 0x0e));
    assert_eq!(const_action(&p, X86_64, 0x0f), Some(ERRNO | 2));
    assert_eq!(
        cacheable_allows(&p, X86_64, 0..0x20),
        (0..0x0f).chain(0x10..0x20).collect::<Vec<_>>()
    );
}

#[test]
fn const_allow_gives_up_on_unsupported_instructions() {
    let allow = ret(SECCOMP_RET_ALLOW);
    let cases: Vec<Vec<Insn>> = vec![
        vec![ld(0), alu_x(BPF_AND), allow],   // and x
        vec![ld(0), alu_k(BPF_OR, 1), allow], // or k
        vec![ld(0), neg(), allow],
        vec![ld_len(), allow], // before seccomp's rewrite into ld #64
        vec![ld_imm(1), allow],
        vec![ldx_imm(1), allow],
        vec![ld(0), tax(), allow],
        vec![ld(0), st(0), allow],
        vec![ld(0), jx(BPF_JEQ, 0, 0), allow],
        vec![ld_imm(SECCOMP_RET_ALLOW), ret_a()],
        vec![ld(0)], // runs off the end
    ];
    for p in cases {
        assert_eq!(const_action(&p, X86_64, 0), None, "{}", disasm(&p));
    }
    // The same instructions off the path do not matter.
    let p = [ld(0), jk(BPF_JEQ, 1, 1, 0), allow, ld(16), ret_a()];
    assert!(is_const_allow(&p, X86_64, 0));
    assert_eq!(const_action(&p, X86_64, 1), None);
}

#[test]
fn const_allow_needs_exactly_ret_allow() {
    assert!(is_const_allow(&[ret(SECCOMP_RET_ALLOW)], X86_64, 0));
    assert!(!is_const_allow(&[ret(SECCOMP_RET_ALLOW | 1)], X86_64, 0));
    assert!(!is_const_allow(&[ret(SECCOMP_RET_LOG)], X86_64, 0));
    assert_eq!(
        const_action(&[ret(SECCOMP_RET_LOG)], X86_64, 0),
        Some(SECCOMP_RET_LOG)
    );
    assert_eq!(const_action(&[], X86_64, 0), None);
}

// ---- disassembler and blobs ------------------------------------------------

#[test]
fn disasm_single_instructions() {
    let cases = [
        (ld(4), 0, "ld   [4]                         ; arch"),
        (ld(0), 0, "ld   [0]                         ; nr"),
        (ld(20), 0, "ld   [20]                        ; args[0]+4"),
        (
            jk(BPF_JEQ, X86_64, 1, 9),
            1,
            "jeq  #0xc000003e  jt 3  jf 11    ; AUDIT_ARCH_X86_64",
        ),
        (jk(BPF_JGE, 59, 0, 0), 5, "jge  #59          jt 6  jf 6"),
        (jx(BPF_JSET, 1, 2), 0, "jset x            jt 2  jf 3"),
        (ja(3), 10, "ja   14"),
        (ret(SECCOMP_RET_ALLOW), 0, "ret  ALLOW"),
        (ret(ERRNO | 1), 0, "ret  ERRNO(1)"),
        (ret(SECCOMP_RET_TRAP | 0x42), 0, "ret  TRAP(66)"),
        (ret(SECCOMP_RET_KILL_PROCESS), 0, "ret  KILL_PROCESS"),
        (ret(0), 0, "ret  KILL_THREAD"),
        (ret(SECCOMP_RET_LOG), 0, "ret  LOG"),
        (ret(SECCOMP_RET_USER_NOTIF), 0, "ret  USER_NOTIF"),
        (ret(SECCOMP_RET_TRACE | 7), 0, "ret  TRACE(7)"),
        (ret(SECCOMP_RET_ALLOW | 1), 0, "ret  ALLOW|0x1"),
        (ret(0x1234_0000), 0, "ret  0x12340000"),
        (ret_a(), 0, "ret  a"),
        (ld_imm(5000), 0, "ld   #0x1388"),
        (ldx_imm(7), 0, "ldx  #7"),
        (ld_len(), 0, "ld   len"),
        (ldx_len(), 0, "ldx  len"),
        (ld_mem(3), 0, "ld   M[3]"),
        (ldx_mem(3), 0, "ldx  M[3]"),
        (st(3), 0, "st   M[3]"),
        (stx(3), 0, "stx  M[3]"),
        (alu_k(BPF_AND, 0xff), 0, "and  #255"),
        (alu_x(BPF_LSH), 0, "lsh  x"),
        (neg(), 0, "neg"),
        (tax(), 0, "tax"),
        (txa(), 0, "txa"),
        (Insn::stmt(BPF_LD | BPF_H | BPF_ABS, 12), 0, "ldh  [12]"),
        (
            Insn::stmt(BPF_LDX | BPF_B | BPF_MSH, 14),
            0,
            "ldxb 4*([14]&0xf)",
        ),
        (
            Insn::jump(0xffff, 1, 2, 3),
            0,
            ".insn code=0xffff jt=2 jf=3 k=0x1    ; not a classic BPF opcode",
        ),
    ];
    for (insn, pc, want) in cases {
        assert_eq!(disasm_insn(&insn, pc), want);
    }
}

#[test]
fn disasm_program_listing() {
    let p = [
        ld(4),
        jk(BPF_JEQ, X86_64, 0, 1),
        ret(SECCOMP_RET_ALLOW),
        ret(0),
    ];
    let want = [
        "   0: 0020 00 00 00000004  ld   [4]                         ; arch",
        "   1: 0015 00 01 c000003e  jeq  #0xc000003e  jt 2  jf 3     ; AUDIT_ARCH_X86_64",
        "   2: 0006 00 00 7fff0000  ret  ALLOW",
        "   3: 0006 00 00 00000000  ret  KILL_THREAD",
        "",
    ]
    .join("\n");
    assert_eq!(disasm(&p), want);
    assert!(disasm::disasm_endian(&[ld(16), ld(20)], Endian::Big).contains("args[0] hi"));
    assert!(disasm::disasm_endian(&[ld(16), ld(20)], Endian::Little).contains("args[0] lo"));
}

#[test]
fn blob_round_trip_and_layout() {
    let p = policy();
    for e in [Endian::Little, Endian::Big] {
        let bytes = encode_blob(&p, e);
        assert_eq!(bytes.len(), p.len() * 8);
        assert_eq!(decode_blob(&bytes, e).unwrap(), p);
    }
    let j = jk(BPF_JEQ, X86_64, 1, 2);
    assert_eq!(
        encode_blob(&[j], Endian::Little),
        [0x15, 0x00, 0x01, 0x02, 0x3e, 0x00, 0x00, 0xc0]
    );
    assert_eq!(
        encode_blob(&[j], Endian::Big),
        [0x00, 0x15, 0x01, 0x02, 0xc0, 0x00, 0x00, 0x3e]
    );
    assert_eq!(decode_blob(&[], Endian::Little), Ok(vec![]));
    assert!(decode_blob(&[0; 12], Endian::Little)
        .unwrap_err()
        .contains("12 bytes"));
}

// ---- properties ------------------------------------------------------------

fn any_insn() -> impl Strategy<Value = Insn> {
    let code = prop_oneof![
        4 => proptest::sample::select(ALLOWED_CODES.to_vec()),
        1 => any::<u16>(),
        1 => 0u16..0x100,
    ];
    let k = prop_oneof![
        3 => 0u32..70,
        1 => any::<u32>(),
        1 => proptest::sample::select(vec![
            SECCOMP_RET_ALLOW, ERRNO | 1, X86_64, 0x4000_0000, u32::MAX
        ]),
    ];
    (code, 0u8..6, 0u8..6, k).prop_map(|(code, jt, jf, k)| Insn { code, jt, jf, k })
}

/// Every opcode `seccomp_check_filter` allows.
const ALLOWED_CODES: [u16; 41] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0c, 0x14, 0x15, 0x16, 0x1c, 0x1d, 0x20, 0x24,
    0x25, 0x2c, 0x2d, 0x34, 0x35, 0x3c, 0x3d, 0x44, 0x45, 0x4c, 0x4d, 0x54, 0x5c, 0x60, 0x61, 0x64,
    0x6c, 0x74, 0x7c, 0x80, 0x81, 0x84, 0x87, 0xa4, 0xac,
];

#[test]
fn allowed_codes_are_exactly_what_validate_accepts() {
    for code in 0..=u16::MAX {
        // k = 4 satisfies every per-instruction constraint.
        let ok = super::decode(&Insn::stmt(code, 4)).is_ok();
        assert_eq!(ok, ALLOWED_CODES.contains(&code), "{code:#x}");
    }
}

/// Turns arbitrary instructions over allowed opcodes into a program that
/// passes every check except, possibly, the scratch-memory one.
fn fix_up(mut prog: Vec<Insn>, last: Insn) -> Vec<Insn> {
    prog.push(last);
    let len = prog.len();
    let mut stored = 0u16;
    for (pc, insn) in prog.iter_mut().enumerate().take(len - 1) {
        let room = (len - pc - 1) as u32; // >= 1
        let k = insn.k;
        match insn.code {
            0x20 => insn.k = (k % 16) * 4,
            0x02 | 0x03 => {
                insn.k = k % 16;
                stored |= 1 << insn.k;
            }
            0x60 | 0x61 => {
                insn.k = k % 16;
                if stored & (1 << insn.k) == 0 {
                    insn.code = 0x02;
                    stored |= 1 << insn.k;
                }
            }
            0x34 if k == 0 => insn.k = 1,
            0x64 | 0x74 => insn.k = k % 32,
            0x05 => insn.k = k % room,
            c if c & 0x07 == 0x05 => {
                insn.jt = (u32::from(insn.jt) % room) as u8;
                insn.jf = (u32::from(insn.jf) % room) as u8;
            }
            _ => {}
        }
    }
    prog
}

fn valid_prog() -> impl Strategy<Value = Vec<Insn>> {
    let body = proptest::collection::vec(
        (
            proptest::sample::select(ALLOWED_CODES.to_vec()),
            0u8..8,
            0u8..8,
            prop_oneof![3 => 0u32..70, 1 => any::<u32>()],
        )
            .prop_map(|(code, jt, jf, k)| Insn { code, jt, jf, k }),
        0..16,
    );
    let last = prop_oneof![
        Just(Insn::stmt(BPF_RET | BPF_A, 0)),
        any::<u32>().prop_map(|k| Insn::stmt(BPF_RET | BPF_K, k)),
        Just(Insn::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)),
    ];
    (body, last)
        .prop_map(|(body, last)| fix_up(body, last))
        .prop_filter("scratch memory read before write", |p| validate(p).is_ok())
}

fn any_data() -> impl Strategy<Value = SeccompData> {
    let w = || {
        prop_oneof![
            any::<u64>(),
            proptest::sample::select(vec![0u64, 1, 2, 39, 64, 0xffff_ffff, u64::MAX])
        ]
    };
    (
        any::<u32>(),
        any::<u32>(),
        w(),
        proptest::array::uniform6(w()),
    )
        .prop_map(|(nr, arch, ip, args)| SeccompData {
            nr: nr % 70,
            arch: if arch % 2 == 0 { X86_64 } else { arch },
            instruction_pointer: ip,
            args,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Nothing panics on arbitrary input, and a program that validates runs
    /// to a `ret` without errors, within its length.
    #[test]
    fn never_panics_and_valid_programs_run(
        prog in proptest::collection::vec(any_insn(), 0..12),
        d in any_data(),
        big in any::<bool>(),
    ) {
        let endian = if big { Endian::Big } else { Endian::Little };
        let valid = validate(&prog).is_ok();
        let result = run(&prog, &d, endian);
        let _ = const_action(&prog, d.arch, d.nr);
        let _ = disasm(&prog);
        if valid {
            let out = result.expect("a valid program runs");
            prop_assert!(out.executed >= 1 && out.executed <= prog.len());
        }
    }

    /// A valid program always runs to a `ret` within its length.
    #[test]
    fn valid_programs_run(prog in valid_prog(), d in any_data(), big in any::<bool>()) {
        let endian = if big { Endian::Big } else { Endian::Little };
        let out = run(&prog, &d, endian).expect("a valid program runs");
        prop_assert!(out.executed >= 1 && out.executed <= prog.len());
    }

    /// Whenever the constant-action emulation decides, a real run with any
    /// arguments and instruction pointer returns the same value.
    #[test]
    fn const_action_agrees_with_run(prog in valid_prog(), d in any_data()) {
        if let Some(k) = const_action(&prog, d.arch, d.nr) {
            let out = run(&prog, &d, Endian::Little).unwrap();
            prop_assert_eq!(out.ret, k);
        }
    }

    #[test]
    fn blobs_round_trip(prog in proptest::collection::vec(any_insn(), 0..20), big in any::<bool>()) {
        let endian = if big { Endian::Big } else { Endian::Little };
        prop_assert_eq!(decode_blob(&encode_blob(&prog, endian), endian).unwrap(), prog);
    }
}
