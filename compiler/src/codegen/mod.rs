//! Code generation: an `ir::Policy` becomes one cBPF program. `layout`
//! decides the shape (arch dispatch, a binary search over syscall-number
//! ranges, argument sub-programs), `assemble` resolves jumps; the emitters
//! turn the program into files.

mod assemble;
pub mod c;
pub mod dot;
mod layout;
pub mod listing;

pub use assemble::AssembleError;

use crate::arch::Arch;
use crate::bpf::{Endian, Insn};

/// A finished seccomp program with the notes that explain it.
#[derive(Clone, Debug)]
pub struct Program {
    pub insns: Vec<Insn>,
    /// One note per instruction (empty where nothing is worth saying): the
    /// syscalls a search leaf decides, the test an argument block makes.
    pub notes: Vec<String>,
    pub endian: Endian,
    pub arches: Vec<Arch>,
    /// SECCOMP_FILTER_FLAG_* to load it with.
    pub flags: u32,
}

/// Builds the program for a lowered policy. Every architecture in it must
/// share one byte order.
pub fn generate(policy: &crate::ir::Policy) -> Result<Program, AssembleError> {
    let endian = policy
        .arches
        .first()
        .map(|a| a.arch.endian())
        .unwrap_or(Endian::Little);
    let blocks = layout::layout(policy, endian);
    let (insns, notes) = assemble::assemble(&blocks)?;
    Ok(Program {
        insns,
        notes,
        endian,
        arches: policy.arches.iter().map(|a| a.arch).collect(),
        flags: policy.flags,
    })
}

impl Program {
    /// The raw `struct sock_filter` array in the target's byte order.
    pub fn to_blob(&self) -> Vec<u8> {
        crate::emu::encode_blob(&self.insns, self.endian)
    }
}

/// Standard base64 (RFC 4648, with padding), for crun's
/// `run.oci.seccomp_bpf_data` annotation.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (i, o) in cases {
            assert_eq!(super::base64(i.as_bytes()), o);
        }
    }
}
