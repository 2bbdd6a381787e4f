//! The lowered policy: for each target architecture, a total decision
//! function from (nr, args) to an action, with `extends` layering already
//! applied. `reference` evaluates checked profiles directly and is the
//! semantics every emitted program is compared against.

pub mod reference;

use crate::arch::Arch;
use crate::logic::{Dd, NodeId};
use crate::sema::{Act, CheckedProfile};
use std::collections::BTreeMap;

/// What one syscall number leads to on one architecture.
#[derive(Clone, Debug)]
pub struct ArchPolicy {
    pub arch: Arch,
    pub default: Act,
    pub unknown: Act,
    pub default_node: NodeId,
    pub unknown_node: NodeId,
    /// Every number the table names, with its decision diagram (leaves are
    /// indices into `Policy::actions`).
    pub syscalls: BTreeMap<u32, NodeId>,
}

/// A whole policy ready for code generation.
pub struct Policy {
    pub dd: Dd,
    /// Leaf id → action.
    pub actions: Vec<Act>,
    pub arches: Vec<ArchPolicy>,
    pub bad_arch: Act,
    pub bad_arch_node: NodeId,
    pub flags: u32,
}

impl Policy {
    pub fn leaf_of(&mut self, act: Act) -> NodeId {
        let id = match self.actions.iter().position(|a| *a == act) {
            Some(i) => i,
            None => {
                self.actions.push(act);
                self.actions.len() - 1
            }
        };
        self.dd.leaf(id as u32)
    }

    pub fn arch(&self, arch: Arch) -> Option<&ArchPolicy> {
        self.arches.iter().find(|a| a.arch == arch)
    }
}

/// Lowers a checked profile for the given architectures (a subset of its
/// targets, in the profile's order).
pub fn lower(profile: &CheckedProfile, arches: &[Arch]) -> Policy {
    let mut dd = Dd::new();
    let bad_arch_node = dd.leaf(0);
    let mut policy = Policy {
        dd,
        actions: vec![profile.settings.bad_arch],
        arches: Vec::new(),
        bad_arch: profile.settings.bad_arch,
        bad_arch_node,
        flags: implied_flags(profile),
    };
    for &arch in arches {
        let ap = lower_arch(&mut policy, profile, arch);
        policy.arches.push(ap);
    }
    policy
}

/// Lowers one architecture of a profile into `policy`'s diagram arena and
/// action table (shared, so two profiles lowered into one policy can be
/// compared node by node).
pub fn lower_arch(policy: &mut Policy, profile: &CheckedProfile, arch: Arch) -> ArchPolicy {
    let default = profile.settings.default[&arch];
    let unknown = profile.settings.unknown[&arch];
    // Every rule entry by syscall number, per layer (base last).
    let mut by_nr: BTreeMap<u32, Vec<Vec<(Act, &crate::logic::Pred)>>> = BTreeMap::new();
    for (li, layer) in profile.layers.iter().enumerate() {
        for rule in &layer.rules {
            let Some(ar) = rule.per_arch.get(&arch) else {
                continue;
            };
            for (_, nr, pred) in &ar.syscalls {
                let layers = by_nr
                    .entry(*nr)
                    .or_insert_with(|| vec![Vec::new(); profile.layers.len()]);
                layers[li].push((ar.action, pred));
            }
        }
    }
    let mut syscalls = BTreeMap::new();
    let default_leaf = policy.leaf_of(default);
    for sc in arch.syscalls() {
        // Start from the default and let each layer, base first, take
        // over where one of its rules matches; within a layer stronger
        // actions are applied last so they win.
        let mut node = default_leaf;
        let Some(layers) = by_nr.get_mut(&sc.nr) else {
            syscalls.insert(sc.nr, node);
            continue;
        };
        for matches in layers.iter_mut().rev() {
            if matches.is_empty() {
                continue;
            }
            // Weakest first; ties in kind resolved towards the lower
            // data value (only reachable when sema reported a conflict).
            matches.sort_by_key(|m| std::cmp::Reverse(m.0));
            let mut layer_node: Option<NodeId> = None;
            let below = node;
            for (act, pred) in matches.iter() {
                let cond = policy.dd.from_pred(pred);
                let leaf = policy.leaf_of(*act);
                let els = layer_node.unwrap_or(below);
                layer_node = Some(policy.dd.ite(cond, leaf, els));
            }
            node = layer_node.expect("non-empty");
        }
        // Paths no input can take would only cost instructions.
        let node = policy.dd.prune(node);
        syscalls.insert(sc.nr, node);
    }
    let default_node = policy.leaf_of(default);
    let unknown_node = policy.leaf_of(unknown);
    ArchPolicy {
        arch,
        default,
        unknown,
        default_node,
        unknown_node,
        syscalls,
    }
}

/// The profile's flags plus those the kernel requires with them: a filter
/// that returns USER_NOTIF needs a listener, and TSYNC together with a
/// listener needs TSYNC_ESRCH.
pub fn implied_flags(profile: &CheckedProfile) -> u32 {
    use crate::bpf::*;
    let mut flags = profile.settings.flags;
    let notifies = profile.layers.iter().flat_map(|l| &l.rules).any(|r| {
        r.per_arch
            .values()
            .any(|a| a.action.kind == crate::syntax::ast::ActionKind::Notify)
    }) || profile
        .settings
        .default
        .values()
        .chain(profile.settings.unknown.values())
        .chain(std::iter::once(&profile.settings.bad_arch))
        .any(|a| a.kind == crate::syntax::ast::ActionKind::Notify);
    if notifies {
        flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        if flags & SECCOMP_FILTER_FLAG_TSYNC != 0 {
            flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        }
    }
    flags
}
