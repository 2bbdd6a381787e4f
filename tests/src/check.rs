//! Building programs from moat source and judging them on many inputs.
//!
//! [`build`] compiles a profile into one program per byte order (as `moat
//! build --arch` would), [`Inputs`] enumerates `seccomp_data` values that
//! cover every syscall number of every covered architecture, the decision
//! order's edges, foreign architectures and argument boundaries, and
//! [`judge`] runs the compiled program with `moat::emu` and compares it
//! with `moat::ir::reference` and, for generated policies, the independent
//! semantics of [`crate::policy::GenPolicy::decide`].

use crate::policy::{resolve_arg, ArgRef, ArgTy, GenPolicy, SplitMix};
use moat::arch::{Arch, Slots};
use moat::bpf::{Endian, SeccompData};
use moat::codegen::Program;
use moat::ir::Policy;
use moat::logic::{NodeView, Words};
use moat::sema::{Act, Analysis, CheckedProfile};
use std::collections::BTreeSet;

/// AUDIT_ARCH_X86_64, shared by x86_64 and x32.
pub const AUDIT_X86_64: u32 = 0xc000_003e;
pub const X32_BIT: u32 = 0x4000_0000;

/// Rendered errors of an analysis, or `None` when it has none.
pub fn errors(analysis: &Analysis) -> Option<String> {
    if !analysis.has_errors() {
        return None;
    }
    let errs: Vec<moat::diagnostics::Diagnostic> = analysis.errors().cloned().collect();
    Some(moat::diagnostics::render::render_all(
        &errs,
        &analysis.sources,
        false,
    ))
}

/// One compiled program with what it was compiled from.
pub struct Built {
    pub arches: Vec<Arch>,
    /// The profile with its targets narrowed to `arches`: what `moat build
    /// --arch …` means, and what the reference semantics is evaluated on.
    pub profile: CheckedProfile,
    pub program: Program,
    pub policy: Policy,
}

/// Compiles `profile` once per byte order among its targets.
pub fn build(profile: &CheckedProfile) -> Result<Vec<Built>, String> {
    let mut out = Vec::new();
    for endian in [Endian::Little, Endian::Big] {
        let arches: Vec<Arch> = profile
            .settings
            .targets
            .iter()
            .copied()
            .filter(|a| a.endian() == endian)
            .collect();
        if !arches.is_empty() {
            out.push(build_for(profile, &arches)?);
        }
    }
    Ok(out)
}

/// Compiles `profile` for some of its targets (all of one byte order), as
/// `moat build --arch A --arch B` does.
pub fn build_for(profile: &CheckedProfile, requested: &[Arch]) -> Result<Built, String> {
    build_weighted(profile, requested, None)
}

/// [`build_for`] with syscall frequencies shaping the search (`--weights`).
pub fn build_weighted(
    profile: &CheckedProfile,
    requested: &[Arch],
    weights: Option<&moat::codegen::Weights>,
) -> Result<Built, String> {
    let arches = moat::driver::build_arches(profile, requested)?;
    let endian = arches[0].endian();
    let program = moat::driver::compile_with(profile, &arches, weights)
        .map_err(|d| format!("{}: {}", d.code, d.message))?;
    moat::emu::validate(&program.insns).map_err(|e| {
        format!(
            "the kernel would refuse the program for {:?}: {e}\n{}",
            arches,
            moat::emu::disasm(&program.insns)
        )
    })?;
    if program.endian != endian {
        return Err(format!(
            "program for {arches:?} has byte order {:?}",
            program.endian
        ));
    }
    if program.arches != arches {
        return Err(format!(
            "program for {arches:?} says it covers {:?}",
            program.arches
        ));
    }
    let policy = moat::ir::lower(profile, &arches);
    let mut narrowed = profile.clone();
    narrowed.settings.targets = arches.clone();
    Ok(Built {
        arches,
        profile: narrowed,
        program,
        policy,
    })
}

/// How many argument vectors to try per syscall whose decision depends on
/// its arguments.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Cap on the decision diagram's own test vectors (sampled above it).
    pub dd_vectors: usize,
    /// Fully random vectors.
    pub random: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            dd_vectors: 300,
            random: 24,
        }
    }
}

/// Every input one program is judged on.
pub struct Inputs {
    pub data: Vec<SeccompData>,
}

fn data(arch: u32, nr: u32, args: [u64; 6]) -> SeccompData {
    SeccompData {
        nr,
        arch,
        instruction_pointer: 0x7f00_dead_beef,
        args,
    }
}

/// Values of one argument around a literal `k`: k-1, k, k+1, with garbage
/// or sign extension in the bits the type ignores, and high-half-only
/// differences for 64-bit types. Returns raw register contents per slot.
fn around(ty: &ArgTy, k: i128, rng: &mut SplitMix) -> Vec<Vec<(u8, u64)>> {
    let mut out = Vec::new();
    for d in [-1i128, 0, 1] {
        let v = (k + d) as u64;
        let mut regs: Vec<u64> = vec![v];
        if ty.bits < 64 {
            let low = v & ty.mask();
            regs.extend([
                low,
                low | 0xdead_beef_0000_0000,
                low | !ty.mask(),
                low as u32 as i32 as i64 as u64,
                (low as u16 as i16 as i64) as u64 | (rng.next_u64() << 32),
            ]);
            if ty.bits == 16 {
                regs.push(low | 0x5a_0000);
            }
        } else {
            regs.extend([
                v ^ (1 << 32),
                v ^ (1 << 63),
                v ^ 0xffff_ffff_0000_0000,
                v ^ 1,
            ]);
        }
        for r in regs {
            match ty.slots {
                Slots::One(s) => out.push(vec![(s, r)]),
                Slots::Pair { lo, hi } => {
                    out.push(vec![(lo, r & 0xffff_ffff), (hi, r >> 32)]);
                    out.push(vec![
                        (lo, (r & 0xffff_ffff) | 0xffff_ffff_0000_0000),
                        (hi, (r >> 32) | 0x1234_0000_0000),
                    ]);
                }
            }
        }
    }
    out
}

fn random_args(rng: &mut SplitMix) -> [u64; 6] {
    let mut a = [0u64; 6];
    for x in a.iter_mut() {
        *x = match rng.below(6) {
            0 => 0,
            1 => rng.below(16),
            2 => rng.next_u64() as u32 as u64,
            3 => rng.next_u64() as u32 as i32 as i64 as u64,
            4 => u64::MAX - rng.below(4),
            _ => rng.next_u64(),
        };
    }
    a
}

fn sample<T: Clone>(v: Vec<T>, cap: usize, rng: &mut SplitMix) -> Vec<T> {
    if v.len() <= cap {
        return v;
    }
    // Keep the first few (the diagram's own bases), sample the rest.
    let keep = cap / 4;
    let mut out: Vec<T> = v[..keep].to_vec();
    let rest = &v[keep..];
    for _ in keep..cap {
        out.push(rest[rng.below(rest.len() as u64) as usize].clone());
    }
    out
}

impl Inputs {
    /// Inputs for one program. `gen` adds argument values around the
    /// literals of a generated policy.
    pub fn new(
        built: &Built,
        gen: Option<&GenPolicy>,
        budget: Budget,
        rng: &mut SplitMix,
    ) -> Inputs {
        let mut out = Vec::new();
        let mut seen_audit = BTreeSet::new();
        let zero = [0u64; 6];
        let ones = [u64::MAX; 6];
        for ap in &built.policy.arches {
            let arch = ap.arch;
            let audit = arch.audit_arch();
            let table: Vec<u32> = arch.syscalls().iter().map(|s| s.nr).collect();
            // arm's private calls (0xf0000 + n) are numbered apart from
            // the rest; the gaps are enumerated below the main range.
            let max = table
                .iter()
                .copied()
                .filter(|&n| n < 0xf_0000)
                .max()
                .unwrap_or(0);
            let bias = arch.nr_bias();
            // Every number of the table, and every gap below its maximum
            // plus a margin (numbers the table does not name).
            let mut nrs: BTreeSet<u32> = (bias..=max + 16).collect();
            nrs.extend(table.iter().copied());
            // The decision order's edges.
            nrs.extend([
                u32::MAX,
                u32::MAX - 1,
                0x7fff_ffff,
                0x8000_0000,
                X32_BIT - 1,
                X32_BIT,
                X32_BIT | 1,
                0xf_0000,
                0xf_0001,
                0xf_0005,
                0xf_ffff,
            ]);
            for _ in 0..8 {
                nrs.insert(rng.next_u64() as u32);
            }
            if audit == AUDIT_X86_64 {
                // x32 numbering: the bit set on every x86_64 number (and
                // cleared on every x32 one).
                for sc in Arch::X86_64.syscalls() {
                    nrs.insert(sc.nr | X32_BIT);
                }
                for sc in Arch::X32.syscalls() {
                    nrs.insert(sc.nr & !X32_BIT);
                    nrs.insert(sc.nr);
                }
                nrs.extend(X32_BIT..=X32_BIT + 0x220);
            }
            if audit == Arch::Arm.audit_arch() {
                nrs.extend(0xf_0000..=0xf_0010);
            }
            let first_of_audit = seen_audit.insert(audit);
            for &nr in &nrs {
                // Shared audit values (x86_64 and x32) need their numbers
                // only once; the argument vectors below are per arch.
                if first_of_audit {
                    out.push(data(audit, nr, zero));
                    out.push(data(audit, nr, ones));
                }
            }
            for (&nr, &node) in &ap.syscalls {
                out.push(data(audit, nr, random_args(rng)));
                if matches!(built.policy.dd.node(node), NodeView::Leaf(_)) {
                    continue;
                }
                let vs: Vec<Words> =
                    sample(built.policy.dd.test_vectors(node), budget.dd_vectors, rng);
                out.extend(vs.iter().map(|w| data(audit, nr, w.to_args())));
                for _ in 0..budget.random {
                    out.push(data(audit, nr, random_args(rng)));
                }
                let Some(g) = gen else {
                    continue;
                };
                let Some(sc) = arch.syscall_by_nr(nr) else {
                    continue;
                };
                let lits = g.literals_for(sc.name);
                for (arg, k) in lits {
                    let ty = match resolve_arg(arch, sc, arg) {
                        Some(t) => t,
                        None => continue,
                    };
                    let _: ArgRef = arg;
                    let bases = [zero, random_args(rng)];
                    for set in around(&ty, k, rng) {
                        for base in bases {
                            let mut a = base;
                            for &(slot, v) in &set {
                                a[usize::from(slot)] = v;
                            }
                            out.push(data(audit, nr, a));
                        }
                    }
                }
            }
        }
        // Foreign architectures: every audit value moat knows that the
        // program does not cover, and some it does not know.
        let covered: BTreeSet<u32> = built.arches.iter().map(|a| a.audit_arch()).collect();
        let mut foreign: BTreeSet<u32> = Arch::ALL
            .iter()
            .map(|a| a.audit_arch())
            .filter(|a| !covered.contains(a))
            .collect();
        foreign.extend([
            0,
            u32::MAX,
            AUDIT_X86_64 & !0x8000_0000,
            AUDIT_X86_64 ^ 0x4000_0000,
            0x4000_0028 ^ 0x4000_0000,
            0x8000_0016 | 0x4000_0000,
            rng.next_u64() as u32,
        ]);
        foreign.retain(|a| !covered.contains(a));
        for &audit in &foreign {
            for nr in [0, 1, 2, 59, 63, 221, 0x4000_0001, 0xf_0005, u32::MAX] {
                out.push(data(audit, nr, zero));
                out.push(data(audit, nr, random_args(rng)));
            }
        }
        Inputs { data: out }
    }
}

/// The action a filter's return value stands for; `None` if it is not one
/// moat emits (a bug in itself).
pub fn act_of(program: &Program, d: &SeccompData) -> Result<Act, String> {
    let o = moat::emu::run(&program.insns, d, program.endian).map_err(|e| e.to_string())?;
    Act::from_ret(o.ret).ok_or_else(|| format!("odd return value {:#x}", o.ret))
}

/// Describes an input for failure messages.
pub fn show(d: &SeccompData) -> String {
    let arch = Arch::ALL
        .iter()
        .filter(|a| a.audit_arch() == d.arch)
        .map(|a| a.name())
        .collect::<Vec<_>>()
        .join("/");
    let name = Arch::ALL
        .iter()
        .filter(|a| a.audit_arch() == d.arch)
        .find_map(|a| a.syscall_by_nr(d.nr))
        .map(|s| s.name)
        .unwrap_or("?");
    format!(
        "arch {:#x} ({}), nr {:#x} ({name}), args [{}]",
        d.arch,
        if arch.is_empty() { "foreign" } else { &arch },
        d.nr,
        d.args
            .iter()
            .map(|a| format!("{a:#x}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Runs every input; returns the number of checks or the first mismatch.
pub fn judge(built: &Built, gen: Option<&GenPolicy>, inputs: &Inputs) -> Result<u64, String> {
    // A filter that can return USER_NOTIF must be loaded with a listener
    // (without one the kernel answers ENOSYS). moat also asks for one when a
    // notify rule applies to no covered call (a base rule on a syscall the
    // targets lack, a rule for a target left out with --arch): harmless,
    // so only the missing flag is an error.
    if let Some(g) = gen {
        let listener = built.program.flags & moat::bpf::SECCOMP_FILTER_FLAG_NEW_LISTENER != 0;
        if !listener && g.needs_listener(&built.arches) {
            return Err(format!(
                "the program for {:?} can return notify but its flags {:#x} ask for no listener",
                built.arches, built.program.flags,
            ));
        }
    }
    let mut n = 0u64;
    for d in &inputs.data {
        let got = act_of(&built.program, d)?;
        let reference = moat::ir::reference::decide(&built.profile, d);
        let oracle = gen.map(|g| g.decide(&built.arches, d));
        if got != reference || oracle.is_some_and(|o| o != got) {
            return Err(format!(
                "mismatch for {} on the program for {:?}:\n  program (emu): {got}\n  reference:     {reference}\n  independent:   {}",
                show(d),
                built.arches,
                oracle.map_or("-".to_string(), |o| o.to_string())
            ));
        }
        n += 1;
    }
    Ok(n)
}
