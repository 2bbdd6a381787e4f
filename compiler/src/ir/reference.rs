//! The reference semantics of language.md, evaluated directly on checked
//! profiles (no decision diagrams, no code): the judge for everything
//! `ir`, `opt` and `codegen` produce.

use crate::arch::Arch;
use crate::bpf::SeccompData;
use crate::logic::Words;
use crate::sema::{Act, CheckedProfile};

/// Which target architecture a call belongs to, or `None` for bad_arch.
pub fn classify(targets: &[Arch], audit_arch: u32, nr: u32) -> Option<Arch> {
    let candidates: Vec<Arch> = targets
        .iter()
        .copied()
        .filter(|a| a.audit_arch() == audit_arch)
        .collect();
    if candidates.is_empty() {
        return None;
    }
    // x86_64 and x32 share an audit arch; the x32 bit in nr tells them apart.
    let shares = |a: Arch| matches!(a, Arch::X86_64 | Arch::X32);
    if candidates.iter().any(|a| shares(*a)) && nr != u32::MAX {
        let want = if nr >= 0x4000_0000 {
            Arch::X32
        } else {
            Arch::X86_64
        };
        return candidates.into_iter().find(|a| *a == want);
    }
    if nr == u32::MAX {
        // A skipped call (tracers set nr to -1): the default of whichever
        // targeted architecture owns this audit value, x86_64 first.
        return candidates
            .iter()
            .copied()
            .find(|a| *a == Arch::X86_64)
            .or(candidates.first().copied());
    }
    candidates.first().copied()
}

/// The action the policy takes for one call.
pub fn decide(profile: &CheckedProfile, data: &SeccompData) -> Act {
    let s = &profile.settings;
    let Some(arch) = classify(&s.targets, data.arch, data.nr) else {
        return s.bad_arch;
    };
    if data.nr == u32::MAX {
        return s.default[&arch];
    }
    if arch.syscall_by_nr(data.nr).is_none() {
        return s.unknown[&arch];
    }
    let words = Words::from_args(&data.args);
    for layer in &profile.layers {
        let mut best: Option<Act> = None;
        for rule in &layer.rules {
            let Some(ar) = rule.per_arch.get(&arch) else {
                continue;
            };
            let hit = ar
                .syscalls
                .iter()
                .any(|(_, nr, pred)| *nr == data.nr && pred.eval(&words));
            if hit && best.is_none_or(|b| ar.action < b) {
                best = Some(ar.action);
            }
        }
        if let Some(b) = best {
            return b;
        }
    }
    s.default[&arch]
}

/// Which rule decides a call, for `moat explain`: (layer index, rule index)
/// or `None` when a setting decides.
pub fn deciding_rule(profile: &CheckedProfile, data: &SeccompData) -> Option<(usize, usize)> {
    let s = &profile.settings;
    let arch = classify(&s.targets, data.arch, data.nr)?;
    if data.nr == u32::MAX || arch.syscall_by_nr(data.nr).is_none() {
        return None;
    }
    let words = Words::from_args(&data.args);
    for (li, layer) in profile.layers.iter().enumerate() {
        let mut best: Option<(Act, usize)> = None;
        for (ri, rule) in layer.rules.iter().enumerate() {
            let Some(ar) = rule.per_arch.get(&arch) else {
                continue;
            };
            let hit = ar
                .syscalls
                .iter()
                .any(|(_, nr, pred)| *nr == data.nr && pred.eval(&words));
            if hit && best.is_none_or(|(b, _)| ar.action < b) {
                best = Some((ar.action, ri));
            }
        }
        if let Some((_, ri)) = best {
            return Some((li, ri));
        }
    }
    None
}
