//! "Same rules on both sides": runs moat's blob and libseccomp's on every
//! syscall number of every architecture of the set (plus the edges: the
//! x32 half, numbers past the tables, nr = -1, foreign architectures) and,
//! where any blob or moat's IR looks at arguments, on boundary argument
//! values taken from the constants the blobs compare with.
//!
//! Inputs whose 64-bit arguments have a non-zero upper half are counted
//! apart: there libseccomp 2.5 compares 64 bits of a 32-bit argument where
//! moat (and the kernel) reads 32 (docs/backend.md, "Known limits").

use crate::metrics::nr_range;
use moat::arch::Arch;
use moat::bpf::{Endian, Insn, SeccompData, BPF_JMP};
use moat::emu;
use std::collections::BTreeSet;

#[derive(Clone, Debug, Default)]
pub struct Agreement {
    pub inputs: usize,
    /// Disagreements with all upper halves zero: must be 0.
    pub real: usize,
    /// Disagreements only when some upper half is non-zero.
    pub upper_half: usize,
    /// Syscalls (arch:nr name) where the upper-half ones occur.
    pub upper_half_calls: BTreeSet<String>,
    pub examples: Vec<String>,
}

fn ret(insns: &[Insn], arch: u32, nr: u32, args: [u64; 6]) -> u32 {
    let d = SeccompData {
        nr,
        arch,
        instruction_pointer: 0,
        args,
    };
    emu::run(insns, &d, Endian::Little)
        .map(|o| o.ret)
        .unwrap_or(u32::MAX)
}

/// Constants the programs compare with, and their neighbours.
fn boundary_values(blobs: &[&[Insn]]) -> Vec<u32> {
    let mut v: BTreeSet<u32> = [0, 1, 2, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff]
        .into_iter()
        .collect();
    for b in blobs {
        for i in b.iter() {
            if i.code & 0x07 == BPF_JMP && i.code & 0xf0 != 0 {
                v.insert(i.k);
                v.insert(i.k.wrapping_add(1));
                v.insert(i.k.wrapping_sub(1));
                v.insert(!i.k);
            }
        }
    }
    v.into_iter().collect()
}

/// Constants compared right after an argument load (`ld [16..]`), for the
/// pairwise sweep.
fn arg_values(blobs: &[&[Insn]]) -> Vec<u32> {
    let mut v: BTreeSet<u32> = [0, 0xffff_ffff].into_iter().collect();
    for b in blobs {
        let mut arg = false;
        for i in b.iter() {
            if i.code == moat::bpf::BPF_LD | moat::bpf::BPF_W | moat::bpf::BPF_ABS {
                arg = i.k >= 16;
            } else if arg && i.code & 0x07 == BPF_JMP && i.code & 0xf0 != 0 {
                v.insert(i.k);
                v.insert(i.k.wrapping_add(1));
            }
        }
    }
    v.into_iter().collect()
}

/// Compares `a` (moat) with `b` (libseccomp); `conditional` holds the
/// (arch, nr) pairs moat's IR decides by arguments.
pub fn compare(
    a: &[Insn],
    b: &[Insn],
    arches: &[Arch],
    conditional: &BTreeSet<(Arch, u32)>,
) -> Agreement {
    let values = boundary_values(&[a, b]);
    let pair_values = arg_values(&[a, b]);
    let mut ag = Agreement::default();
    let check = |arch: Arch, audit: u32, nr: u32, args: [u64; 6], ag: &mut Agreement| {
        ag.inputs += 1;
        let (x, y) = (ret(a, audit, nr, args), ret(b, audit, nr, args));
        if x == y {
            return;
        }
        let upper = args.iter().any(|v| v >> 32 != 0);
        let name = Arch::X86_64
            .syscall_by_nr(nr)
            .filter(|_| arch == Arch::X86_64)
            .or_else(|| arch.syscall_by_nr(nr))
            .map(|s| s.name)
            .unwrap_or("?");
        if upper {
            ag.upper_half += 1;
            ag.upper_half_calls
                .insert(format!("{}:{name}", arch.name()));
        } else {
            ag.real += 1;
        }
        if ag.examples.len() < 8 && !upper {
            ag.examples.push(format!(
                "{} nr {nr:#x} ({name}) args {args:x?}: moat {} vs libseccomp {}",
                arch.name(),
                emu::action_name(x),
                emu::action_name(y)
            ));
        }
    };
    // Every ABI the kernel can present on x86_64, whether built or not.
    let probe = [Arch::X86_64, Arch::X32, Arch::I386];
    for arch in probe {
        let audit = arch.audit_arch();
        let (bias, last) = nr_range(arch);
        let mut nrs: Vec<u32> = (0..=last + 16).map(|n| n + bias).collect();
        nrs.extend([0xffff_fffe, 0xffff_ffff, bias + 1000]);
        if arch == Arch::X86_64 {
            nrs.push(0x3fff_ffff);
        }
        let wide = arch.is_64bit_regs();
        for nr in nrs {
            let built = arches.contains(&arch);
            let zeros = [0u64; 6];
            let ones = [if wide { u64::MAX } else { 0xffff_ffff }; 6];
            let mixed = [0x7e02_0000, 0xffff_ffff, 8, 0x20000, 3, 0x1000];
            check(arch, audit, nr, zeros, &mut ag);
            check(arch, audit, nr, ones, &mut ag);
            check(arch, audit, nr, mixed, &mut ag);
            let varies = [a, b].iter().any(|p| {
                let r0 = ret(p, audit, nr, zeros);
                r0 != ret(p, audit, nr, ones) || r0 != ret(p, audit, nr, mixed)
            });
            if !(built && (varies || conditional.contains(&(arch, nr)))) {
                continue;
            }
            // Pairs of arguments, for rules that test two of them.
            for i in 0..6 {
                for j in i + 1..6 {
                    for &v in &pair_values {
                        for &w in &pair_values {
                            let mut args = [0u64; 6];
                            args[i] = u64::from(v);
                            args[j] = u64::from(w);
                            check(arch, audit, nr, args, &mut ag);
                            if wide {
                                args[i] |= 0xffff_ffff_0000_0000;
                                check(arch, audit, nr, args, &mut ag);
                            }
                        }
                    }
                }
            }
            for i in 0..6 {
                for &v in &values {
                    let mut args = [0u64; 6];
                    args[i] = u64::from(v);
                    check(arch, audit, nr, args, &mut ag);
                    if wide {
                        args[i] |= 0xffff_ffff_0000_0000;
                        check(arch, audit, nr, args, &mut ag);
                        args[i] = (1u64 << 32) | u64::from(v);
                        check(arch, audit, nr, args, &mut ag);
                    }
                }
            }
        }
    }
    // A foreign architecture.
    for nr in [0, 1, 59, 0xffff_ffff] {
        check(
            Arch::Aarch64,
            Arch::Aarch64.audit_arch(),
            nr,
            [0; 6],
            &mut ag,
        );
    }
    ag
}

/// (arch, nr) pairs whose moat decision diagram tests arguments.
pub fn conditional(profile: &moat::sema::CheckedProfile, arches: &[Arch]) -> BTreeSet<(Arch, u32)> {
    let policy = moat::ir::lower(profile, arches);
    let mut out = BTreeSet::new();
    for ap in &policy.arches {
        for (&nr, &node) in &ap.syscalls {
            if !matches!(policy.dd.node(node), moat::logic::NodeView::Leaf(_)) {
                let nr = if nr >= ap.arch.nr_bias() {
                    nr
                } else {
                    nr + ap.arch.nr_bias()
                };
                out.insert((ap.arch, nr));
            }
        }
    }
    out
}
