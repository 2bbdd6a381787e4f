//! A disassembler in the spirit of `bpf_dbg` and libseccomp's
//! `scmp_bpf_disasm`, and conversion of raw `struct sock_filter` arrays.
//!
//! Syntax (one instruction):
//!
//! ```text
//! ld   [4]                          ; arch
//! jeq  #0xc000003e  jt 3  jf 12     ; AUDIT_ARCH_X86_64
//! ld   [16]                         ; args[0] lo
//! and  #0xff
//! jset x            jt 9  jf 10
//! ja   17
//! ret  ERRNO(1)
//! ```
//!
//! Jump targets are absolute instruction indices. Constants below 4096 print
//! in decimal, larger ones in hex. `ret #k` prints the seccomp action by name
//! when it is one.

use crate::bpf::*;

use super::validate::target;
use super::{decode, CLASSIC_NOT_SECCOMP};

/// Whether `code` is one of classic BPF's opcodes (the kernel's
/// `chk_code_allowed` table), whether or not seccomp allows it.
fn is_classic(code: u16) -> bool {
    decode(&Insn::stmt(code, 4)).is_ok() || CLASSIC_NOT_SECCOMP.contains(&code)
}

/// The mnemonic of an opcode, or `"?"` for codes that are not classic BPF.
/// Covers opcodes seccomp refuses.
pub fn mnemonic(code: u16) -> &'static str {
    if !is_classic(code) {
        return "?";
    }
    let class = code & 0x07;
    match class {
        BPF_LD | BPF_LDX => {
            let x = class == BPF_LDX;
            match (code & 0xe0, code & 0x18, x) {
                (BPF_IMM, BPF_W, false) | (BPF_MEM, BPF_W, false) | (BPF_LEN, BPF_W, false) => "ld",
                (BPF_IMM, BPF_W, true) | (BPF_MEM, BPF_W, true) | (BPF_LEN, BPF_W, true) => "ldx",
                (BPF_ABS | BPF_IND, BPF_W, false) => "ld",
                (BPF_ABS | BPF_IND, BPF_H, false) => "ldh",
                (BPF_ABS | BPF_IND, BPF_B, false) => "ldb",
                (BPF_MSH, BPF_B, true) => "ldxb",
                _ => "?",
            }
        }
        BPF_ST if code == BPF_ST => "st",
        BPF_STX if code == BPF_STX => "stx",
        BPF_ALU => match code & 0xf0 {
            BPF_ADD => "add",
            BPF_SUB => "sub",
            BPF_MUL => "mul",
            BPF_DIV => "div",
            BPF_OR => "or",
            BPF_AND => "and",
            BPF_LSH => "lsh",
            BPF_RSH => "rsh",
            BPF_NEG => "neg",
            BPF_MOD => "mod",
            BPF_XOR => "xor",
            _ => "?",
        },
        BPF_JMP => match code & 0xf0 {
            BPF_JA => "ja",
            BPF_JEQ => "jeq",
            BPF_JGT => "jgt",
            BPF_JGE => "jge",
            BPF_JSET => "jset",
            _ => "?",
        },
        BPF_RET => "ret",
        BPF_MISC => match code & 0xf8 {
            BPF_TAX => "tax",
            BPF_TXA => "txa",
            _ => "?",
        },
        _ => "?",
    }
}

fn num(k: u32) -> String {
    if k < 4096 {
        k.to_string()
    } else {
        format!("{k:#x}")
    }
}

/// What a word of `seccomp_data` at offset `k` holds. Without a byte order
/// the halves of 64-bit fields are named by offset (`+0`, `+4`).
fn data_field(k: u32, endian: Option<Endian>) -> Option<String> {
    let half = |base: &str, upper: bool| {
        let name = match (endian, upper) {
            (None, false) => "+0",
            (None, true) => "+4",
            (Some(Endian::Little), false) | (Some(Endian::Big), true) => " lo",
            (Some(Endian::Little), true) | (Some(Endian::Big), false) => " hi",
        };
        format!("{base}{name}")
    };
    match k {
        OFF_NR => Some("nr".into()),
        OFF_ARCH => Some("arch".into()),
        8 | 12 => Some(half("instruction_pointer", k == 12)),
        16..=63 if k % 4 == 0 => {
            let i = (k - OFF_ARGS) / 8;
            Some(half(&format!("args[{i}]"), (k - OFF_ARGS) % 8 == 4))
        }
        _ => None,
    }
}

/// A name for a few well-known `AUDIT_ARCH_*` values, for comments only.
fn audit_arch(k: u32) -> Option<&'static str> {
    Some(match k {
        0xc000_003e => "AUDIT_ARCH_X86_64",
        0x4000_0003 => "AUDIT_ARCH_I386",
        0xc000_00b7 => "AUDIT_ARCH_AARCH64",
        0x4000_0028 => "AUDIT_ARCH_ARM",
        0xc000_00f3 => "AUDIT_ARCH_RISCV64",
        0xc000_0015 => "AUDIT_ARCH_PPC64LE",
        0x8000_0015 => "AUDIT_ARCH_PPC64",
        0x8000_0016 => "AUDIT_ARCH_S390X",
        0xc000_0102 => "AUDIT_ARCH_LOONGARCH64",
        _ => return None,
    })
}

/// The seccomp return value `k` by name: `ALLOW`, `ERRNO(1)`, ...; values
/// that are not a known action with meaningful data print as hex with a note.
pub fn action_name(k: u32) -> String {
    let data = k & SECCOMP_RET_DATA;
    let with_data = |name: &str| format!("{name}({data})");
    let plain = |name: &str| {
        if data == 0 {
            name.to_string()
        } else {
            format!("{name}|{data:#x}")
        }
    };
    match k & SECCOMP_RET_ACTION_FULL {
        SECCOMP_RET_KILL_PROCESS => plain("KILL_PROCESS"),
        SECCOMP_RET_KILL_THREAD => plain("KILL_THREAD"),
        SECCOMP_RET_TRAP => with_data("TRAP"),
        SECCOMP_RET_ERRNO => with_data("ERRNO"),
        SECCOMP_RET_USER_NOTIF => plain("USER_NOTIF"),
        SECCOMP_RET_TRACE => with_data("TRACE"),
        SECCOMP_RET_LOG => plain("LOG"),
        SECCOMP_RET_ALLOW => plain("ALLOW"),
        _ => format!("{k:#010x}"),
    }
}

/// One instruction at index `pc` (needed for absolute jump targets).
pub fn disasm_insn(insn: &Insn, pc: usize) -> String {
    render(insn, pc, None)
}

/// A whole program, one line per instruction:
/// `index: code jt jf k  instruction ; comment`.
pub fn disasm(prog: &[Insn]) -> String {
    disasm_program(prog, None)
}

/// Like [`disasm`], naming the low and high halves of 64-bit fields for a
/// target of byte order `endian`.
pub fn disasm_endian(prog: &[Insn], endian: Endian) -> String {
    disasm_program(prog, Some(endian))
}

fn disasm_program(prog: &[Insn], endian: Option<Endian>) -> String {
    let width = prog.len().saturating_sub(1).to_string().len().max(4);
    let mut out = String::new();
    for (pc, insn) in prog.iter().enumerate() {
        out.push_str(&format!(
            "{pc:>width$}: {:04x} {:02x} {:02x} {:08x}  {}\n",
            insn.code,
            insn.jt,
            insn.jf,
            insn.k,
            render(insn, pc, endian)
        ));
    }
    out
}

fn render(insn: &Insn, pc: usize, endian: Option<Endian>) -> String {
    let (code, k) = (insn.code, insn.k);
    let m = mnemonic(code);
    if m == "?" {
        return format!(
            ".insn code={code:#06x} jt={} jf={} k={k:#x}    ; not a classic BPF opcode",
            insn.jt, insn.jf
        );
    }
    let mut comment: Option<String> = None;
    let operands = match code & 0x07 {
        BPF_LD | BPF_LDX => match code & 0xe0 {
            BPF_IMM => format!("#{}", num(k)),
            BPF_MEM => format!("M[{k}]"),
            BPF_LEN => "len".to_string(),
            BPF_ABS => {
                if code == BPF_LD | BPF_W | BPF_ABS {
                    comment = data_field(k, endian);
                }
                format!("[{k}]")
            }
            BPF_IND => format!("[x + {k}]"),
            _ => format!("4*([{k}]&0xf)"),
        },
        BPF_ST | BPF_STX => format!("M[{k}]"),
        BPF_ALU => match (code & 0xf0, code & 0x08) {
            (BPF_NEG, _) => String::new(),
            (_, BPF_X) => "x".to_string(),
            _ => format!("#{}", num(k)),
        },
        BPF_JMP => {
            let abs = |off: u32| target(pc, off);
            if code & 0xf0 == BPF_JA {
                abs(k).to_string()
            } else {
                let src = if code & 0x08 == BPF_X {
                    "x".to_string()
                } else {
                    if code & 0xf0 == BPF_JEQ {
                        comment = audit_arch(k).map(str::to_string);
                    }
                    format!("#{}", num(k))
                };
                format!(
                    "{src:<12} jt {}  jf {}",
                    abs(u32::from(insn.jt)),
                    abs(u32::from(insn.jf))
                )
            }
        }
        BPF_RET => match code & 0x18 {
            BPF_K => action_name(k),
            BPF_A => "a".to_string(),
            _ => "x".to_string(),
        },
        _ => String::new(), // tax, txa
    };
    let mut text = if operands.is_empty() {
        m.to_string()
    } else {
        format!("{m:<4} {operands}")
    };
    if let Some(c) = comment {
        text = format!("{text:<32} ; {c}");
    }
    text
}

/// Reads a raw array of `struct sock_filter` (u16 code, u8 jt, u8 jf, u32 k;
/// 8 bytes each) written in byte order `endian`.
pub fn decode_blob(bytes: &[u8], endian: Endian) -> Result<Vec<Insn>, String> {
    if bytes.len() % 8 != 0 {
        return Err(format!(
            "a sock_filter array is a multiple of 8 bytes long; this one has {} bytes",
            bytes.len()
        ));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| {
            let (code, k) = match endian {
                Endian::Little => (
                    u16::from_le_bytes([c[0], c[1]]),
                    u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                ),
                Endian::Big => (
                    u16::from_be_bytes([c[0], c[1]]),
                    u32::from_be_bytes([c[4], c[5], c[6], c[7]]),
                ),
            };
            Insn {
                code,
                jt: c[2],
                jf: c[3],
                k,
            }
        })
        .collect())
}

/// Writes `prog` as a raw `struct sock_filter` array in byte order `endian`.
pub fn encode_blob(prog: &[Insn], endian: Endian) -> Vec<u8> {
    let mut out = Vec::with_capacity(prog.len() * 8);
    for insn in prog {
        let (code, k) = match endian {
            Endian::Little => (insn.code.to_le_bytes(), insn.k.to_le_bytes()),
            Endian::Big => (insn.code.to_be_bytes(), insn.k.to_be_bytes()),
        };
        out.extend_from_slice(&code);
        out.push(insn.jt);
        out.push(insn.jf);
        out.extend_from_slice(&k);
    }
    out
}
