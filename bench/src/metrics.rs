//! Static figures of a filter blob, from moat's `emu` (interpreter and port
//! of the kernel's `seccomp_is_const_allow`): length, executed instructions
//! per syscall number, weighted by real syscall mixes, cacheable allows.

use moat::arch::Arch;
use moat::bpf::{Endian, Insn, SeccompData, SECCOMP_RET_ALLOW};
use moat::emu;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Clone, Copy, Debug, Default)]
pub struct Summary {
    pub min: usize,
    pub mean: f64,
    pub max: usize,
    pub count: usize,
    /// A number on which `max` is reached.
    pub max_nr: u32,
}

impl Summary {
    fn of(v: &[(u32, usize)]) -> Option<Summary> {
        if v.is_empty() {
            return None;
        }
        let (max_nr, max) = v
            .iter()
            .copied()
            .max_by_key(|&(nr, n)| (n, u32::MAX - nr))?;
        Some(Summary {
            min: v.iter().map(|x| x.1).min()?,
            mean: v.iter().map(|x| x.1).sum::<usize>() as f64 / v.len() as f64,
            max,
            count: v.len(),
            max_nr,
        })
    }
}

/// Paths of one architecture's syscall numbers, all arguments 0.
#[derive(Clone, Debug)]
pub struct ArchPaths {
    pub arch: Arch,
    /// Numbers evaluated: `bias + 0 ..= bias + last` (holes included, as the
    /// kernel's cache bitmap covers them and bpfemu's `stats` counts them).
    pub last: u32,
    pub allowed: Option<Summary>,
    pub denied: Option<Summary>,
    /// Numbers the program allows with all arguments 0.
    pub allow_results: usize,
    /// Of those, the ones the kernel caches.
    pub cacheable: usize,
    /// moat's unconditional allows of this arch (from the IR), and how many
    /// of them this blob lets the kernel cache.
    pub uncond: usize,
    pub uncond_cacheable: usize,
    /// Executed instructions per number.
    pub executed: BTreeMap<u32, usize>,
}

/// One weights file applied to the x86_64 paths.
#[derive(Clone, Debug)]
pub struct Weighted {
    pub file: String,
    pub calls: u64,
    /// Mean executed instructions per call.
    pub mean: f64,
    /// The same with calls the kernel serves from its cache counted as 0.
    pub uncached_mean: f64,
    pub uncached_calls: u64,
    pub unresolved: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct BlobMetrics {
    pub len: usize,
    pub arches: Vec<ArchPaths>,
    pub weighted: Vec<Weighted>,
}

impl BlobMetrics {
    pub fn arch(&self, a: Arch) -> Option<&ArchPaths> {
        self.arches.iter().find(|p| p.arch == a)
    }
}

/// A mix: `name count` lines, `#` comments.
#[derive(Clone, Debug)]
pub struct Mix {
    pub name: String,
    pub counts: Vec<(String, u64)>,
}

pub fn load_mixes(dirs: &[&Path]) -> Vec<Mix> {
    let mut out = Vec::new();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(d) else {
            continue;
        };
        let mut files: Vec<_> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            let counts = text
                .lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| {
                    let mut it = l.split_whitespace();
                    Some((it.next()?.to_string(), it.next()?.parse().ok()?))
                })
                .collect();
            out.push(Mix {
                name: f.file_stem().unwrap_or_default().to_string_lossy().into(),
                counts,
            });
        }
    }
    out
}

/// The numbers evaluated for an architecture: 0 up to its table's last.
pub fn nr_range(arch: Arch) -> (u32, u32) {
    let bias = arch.nr_bias();
    let last = arch
        .syscalls()
        .iter()
        .map(|s| s.nr.wrapping_sub(if s.nr >= bias { bias } else { 0 }))
        .max()
        .unwrap_or(0);
    (bias, last)
}

pub fn run(insns: &[Insn], arch: Arch, nr: u32, args: [u64; 6]) -> (u32, usize) {
    let data = SeccompData {
        nr,
        arch: arch.audit_arch(),
        instruction_pointer: 0,
        args,
    };
    match emu::run(insns, &data, Endian::Little) {
        Ok(o) => (o.ret, o.executed),
        Err(_) => (u32::MAX, usize::MAX),
    }
}

/// moat's unconditional allows per arch, from the IR.
pub fn unconditional_allows(
    profile: &moat::sema::CheckedProfile,
    arches: &[Arch],
) -> BTreeMap<Arch, BTreeSet<u32>> {
    let policy = moat::ir::lower(profile, arches);
    let mut out = BTreeMap::new();
    for ap in &policy.arches {
        let set = ap
            .syscalls
            .iter()
            .filter(|(_, &node)| {
                matches!(policy.dd.node(node), moat::logic::NodeView::Leaf(id)
                    if policy.actions[id as usize] == moat::sema::Act::ALLOW)
            })
            .map(|(&nr, _)| {
                if nr >= ap.arch.nr_bias() {
                    nr
                } else {
                    nr + ap.arch.nr_bias()
                }
            })
            .collect();
        out.insert(ap.arch, set);
    }
    out
}

pub fn measure(
    insns: &[Insn],
    arches: &[Arch],
    uncond: &BTreeMap<Arch, BTreeSet<u32>>,
    mixes: &[Mix],
) -> BlobMetrics {
    let mut per = Vec::new();
    for &arch in arches {
        let (bias, last) = nr_range(arch);
        let mut allowed = Vec::new();
        let mut denied = Vec::new();
        let mut executed = BTreeMap::new();
        let mut allow_nrs = Vec::new();
        for n in 0..=last {
            let nr = bias + n;
            let (ret, ex) = run(insns, arch, nr, [0; 6]);
            executed.insert(nr, ex);
            if ret == SECCOMP_RET_ALLOW {
                allowed.push((nr, ex));
                allow_nrs.push(nr);
            } else {
                denied.push((nr, ex));
            }
        }
        let cacheable = if arch == Arch::X32 {
            0 // the kernel keeps no bitmap for x32 numbers
        } else {
            emu::cacheable_allows(insns, arch.audit_arch(), allow_nrs.iter().copied()).len()
        };
        let empty = BTreeSet::new();
        let u = uncond.get(&arch).unwrap_or(&empty);
        let uncond_cacheable = if arch == Arch::X32 {
            0
        } else {
            emu::cacheable_allows(insns, arch.audit_arch(), u.iter().copied()).len()
        };
        per.push(ArchPaths {
            arch,
            last,
            allowed: Summary::of(&allowed),
            denied: Summary::of(&denied),
            allow_results: allow_nrs.len(),
            cacheable,
            uncond: u.len(),
            uncond_cacheable,
            executed,
        });
    }
    let weighted = mixes.iter().map(|m| weigh(insns, m)).collect();
    BlobMetrics {
        len: insns.len(),
        arches: per,
        weighted,
    }
}

fn weigh(insns: &[Insn], mix: &Mix) -> Weighted {
    let mut calls = 0u64;
    let mut total = 0u64;
    let mut uncached_total = 0u64;
    let mut uncached_calls = 0u64;
    let mut unresolved = Vec::new();
    for (name, count) in &mix.counts {
        let Some(sc) = Arch::X86_64.syscall(name) else {
            unresolved.push(name.clone());
            continue;
        };
        let (_, ex) = run(insns, Arch::X86_64, sc.nr, [0; 6]);
        calls += count;
        total += count * ex as u64;
        if !emu::is_const_allow(insns, Arch::X86_64.audit_arch(), sc.nr) {
            uncached_total += count * ex as u64;
            uncached_calls += count;
        }
    }
    let d = calls.max(1) as f64;
    Weighted {
        file: mix.name.clone(),
        calls,
        mean: total as f64 / d,
        uncached_mean: uncached_total as f64 / d,
        uncached_calls,
        unresolved,
    }
}

/// The number of same-decision ranges R over x86_64's whole 32-bit number
/// space, from the IR: table numbers by decision-diagram node, the gap above
/// the table (`unknown`), the x32 half (`bad_arch`, or x32's decisions when x32
/// is built too) and nr = -1 (`default`).
pub fn decision_ranges(profile: &moat::sema::CheckedProfile, arches: &[Arch]) -> usize {
    let mut policy = moat::ir::lower(profile, arches);
    let bad = policy.bad_arch_node;
    let mut points: Vec<moat::logic::NodeId> = Vec::new();
    let push_arch = |policy: &moat::ir::Policy, arch: Arch, points: &mut Vec<_>| {
        let Some(ap) = policy.arch(arch) else {
            points.push(bad);
            return;
        };
        let bias = arch.nr_bias();
        let (_, last) = nr_range(arch);
        for n in 0..=last {
            let nr = n + bias;
            let node = ap
                .syscalls
                .get(&nr)
                .or_else(|| ap.syscalls.get(&n))
                .copied()
                .unwrap_or(ap.unknown_node);
            points.push(node);
        }
        points.push(ap.unknown_node);
    };
    push_arch(&policy, Arch::X86_64, &mut points);
    push_arch(&policy, Arch::X32, &mut points);
    let default = policy
        .arch(Arch::X86_64)
        .map(|a| a.default)
        .unwrap_or(moat::sema::Act::KILL);
    points.push(policy.leaf_of(default));
    points.dedup();
    points.len()
}

/// Runs of one number whose neighbours share an outcome (`… X, [n] Y, X …`):
/// a `jeq n` could punch them out of one merged range. Returns (R, such
/// singletons); R − 2·singletons + singletons outcomes remain to tell apart.
pub fn singleton_exceptions(profile: &moat::sema::CheckedProfile, arches: &[Arch]) -> usize {
    let policy = moat::ir::lower(profile, arches);
    let Some(ap) = policy.arch(Arch::X86_64) else {
        return 0;
    };
    let (_, last) = nr_range(Arch::X86_64);
    let mut runs: Vec<(moat::logic::NodeId, u32)> = Vec::new();
    for nr in 0..=last {
        let node = ap.syscalls.get(&nr).copied().unwrap_or(ap.unknown_node);
        match runs.last_mut() {
            Some((n, len)) if *n == node => *len += 1,
            _ => runs.push((node, 1)),
        }
    }
    runs.push((ap.unknown_node, 2));
    (1..runs.len().saturating_sub(1))
        .filter(|&i| runs[i].1 == 1 && runs[i - 1].0 == runs[i + 1].0)
        .count()
}
