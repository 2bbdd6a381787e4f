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
    generate_with(policy, None)
}

/// Syscall frequencies (`name count` lines, as `strace -c` gives them):
/// the search puts frequent calls on shorter paths.
#[derive(Clone, Debug, Default)]
pub struct Weights(std::collections::BTreeMap<String, f64>);

impl Weights {
    /// Parses `name count` lines; `#` starts a comment.
    pub fn parse(text: &str) -> Result<Weights, String> {
        let mut map = std::collections::BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (Some(name), Some(count), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("line {}: expected `name count`", i + 1));
            };
            let count: f64 = count
                .parse()
                .map_err(|_| format!("line {}: `{count}` is not a number", i + 1))?;
            if !(count >= 0.0 && count.is_finite()) {
                return Err(format!("line {}: counts are non-negative", i + 1));
            }
            *map.entry(name.to_string()).or_insert(0.0) += count;
        }
        Ok(Weights(map))
    }

    pub fn count(&self, name: &str) -> f64 {
        self.0.get(name).copied().unwrap_or(0.0)
    }
}

/// Like `generate`, with call frequencies shaping the search.
pub fn generate_with(
    policy: &crate::ir::Policy,
    weights: Option<&Weights>,
) -> Result<Program, AssembleError> {
    let endian = policy
        .arches
        .first()
        .map(|a| a.arch.endian())
        .unwrap_or(Endian::Little);
    let blocks = layout::layout(policy, endian, weights);
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

#[cfg(test)]
mod layout_tests {
    use crate::bpf::SeccompData;
    use crate::sema::{analyze_source, Options};

    fn compile(src: &str) -> (crate::sema::CheckedProfile, super::Program) {
        let a = analyze_source("t.moat", None, src, &Options::default());
        assert!(!a.has_errors(), "{:#?}", a.errors().collect::<Vec<_>>());
        let p = a.profiles[0].clone();
        let arches = crate::driver::build_arches(&p, &[]).unwrap();
        let prog = crate::driver::compile(&p, &arches).unwrap();
        crate::emu::validate(&prog.insns).unwrap();
        (p, prog)
    }

    /// Far jumps need trampolines; the program must still decide exactly
    /// like the reference for every number and for matching and
    /// non-matching arguments.
    #[test]
    fn long_programs_resolve_far_jumps() {
        let mut src = String::from("profile p {\n targets x86_64, i386\n default errno(EPERM)\n");
        for (i, sc) in crate::arch::Arch::X86_64
            .syscalls()
            .iter()
            .enumerate()
            .take(200)
        {
            let int_arg0 = sc
                .slot(0)
                .is_some_and(|a| matches!(a.ty, crate::arch::ArgType::Int { .. }));
            let on_i386 = crate::arch::Arch::I386.syscall(sc.name).is_some_and(|s| {
                s.slot(0)
                    .is_some_and(|a| matches!(a.ty, crate::arch::ArgType::Int { .. }))
            });
            if !int_arg0 || !on_i386 {
                continue;
            }
            src.push_str(&format!(
                " errno({}) {} if arg0 == {}\n",
                i % 4000 + 1,
                sc.name,
                i * 7
            ));
        }
        src.push_str("}\n");
        let (p, prog) = compile(&src);
        assert!(prog.insns.len() > 600, "{} instructions", prog.insns.len());
        let has_ja = prog
            .insns
            .iter()
            .any(|i| i.code == crate::bpf::BPF_JMP | crate::bpf::BPF_JA);
        assert!(has_ja, "expected trampolines");
        for arch in [crate::arch::Arch::X86_64, crate::arch::Arch::I386] {
            for nr in (0..600u32).chain([u32::MAX, 0x4000_0000, 0x4000_0005]) {
                for a0 in [0u64, 7, 14, 21 * 7, 0x1_0000_0000 + 14] {
                    let d = SeccompData {
                        nr,
                        arch: arch.audit_arch(),
                        instruction_pointer: 0,
                        args: [a0, 0, 0, 0, 0, 0],
                    };
                    let got = crate::emu::run(&prog.insns, &d, prog.endian).unwrap().ret;
                    let want = crate::ir::reference::decide(&p, &d).ret();
                    assert_eq!(got, want, "{} nr {nr} a0 {a0:#x}", arch.name());
                }
            }
        }
    }

    #[test]
    fn unconditional_allows_stay_cacheable() {
        let (p, prog) = compile(
            "profile p { targets x86_64 default kill allow read, write, close; allow openat if flags == 0 }",
        );
        let s = crate::driver::stats(&p, &prog);
        assert_eq!(s[0].unconditional_allows, 3);
        assert_eq!(s[0].cacheable_allows, 3);
    }
}
