//! Policy-level checks that need exact reasoning over predicates:
//! conflicting rules (an error: the policy would not say what happens),
//! rules that can never decide anything, conditions that are constant, and
//! socket filters that `socketcall` would bypass.

use super::profiles::CheckedProfile;
use super::{arch_list, Cx};
use crate::arch::Arch;
use crate::diagnostics::{codes, Diagnostic};
use crate::logic::{self, Pred};
use std::collections::{BTreeMap, BTreeSet};

/// Socket calls that `socketcall` multiplexes.
const SOCKET_CALLS: &[&str] = &[
    "socket",
    "bind",
    "connect",
    "listen",
    "accept",
    "accept4",
    "getsockname",
    "getpeername",
    "socketpair",
    "send",
    "recv",
    "sendto",
    "recvfrom",
    "shutdown",
    "setsockopt",
    "getsockopt",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
];

impl Cx {
    /// Lints every profile checked so far that has not been linted. The
    /// profiles are independent, so they are linted on all cores.
    pub(crate) fn lint_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending_lints);
        if pending.is_empty() {
            return;
        }
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(pending.len());
        let per_thread = pending.len().div_ceil(threads);
        let found: Vec<Vec<Diagnostic>> = if threads <= 1 {
            pending.iter().map(lint_profile).collect()
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = pending
                    .chunks(per_thread)
                    .map(|chunk| {
                        scope.spawn(move || chunk.iter().map(lint_profile).collect::<Vec<_>>())
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| match h.join() {
                        Ok(v) => v,
                        // A panic in a lint is re-raised here, as if it had
                        // happened on this thread.
                        Err(e) => std::panic::resume_unwind(e),
                    })
                    .collect()
            })
        };
        for d in found.into_iter().flatten() {
            self.report(d);
        }
    }
}

/// The policy-level diagnostics of one checked profile.
pub(crate) fn lint_profile(p: &CheckedProfile) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut report = |d: Diagnostic| found.push(d);
    {
        let Some(own) = p.layers.first() else {
            return Vec::new();
        };
        let rules = &own.rules;

        // One diagram manager for every question about this profile: rules
        // repeat the same conditions across architectures and syscalls, and
        // hash-consing answers the repeats from its caches.
        let mut dd = logic::Dd::new();
        let mut node_of: BTreeMap<*const Pred, logic::NodeId> = BTreeMap::new();
        let mut node = |dd: &mut logic::Dd, p: &Pred| {
            *node_of
                .entry(p as *const Pred)
                .or_insert_with(|| dd.from_pred(p))
        };
        let satisfiable = |dd: &logic::Dd, n: logic::NodeId| dd.reaches(n, logic::Dd::TRUE);

        // Constant conditions. A rule that can never match is not also
        // reported as never deciding anything.
        let mut never_matches: BTreeSet<usize> = BTreeSet::new();
        for (i, r) in rules.iter().enumerate().filter(|(_, r)| r.direct) {
            if !r.conditional {
                continue;
            }
            let mut nodes: Vec<logic::NodeId> = r
                .per_arch
                .values()
                .flat_map(|a| a.syscalls.iter().map(|(_, _, p)| p))
                .map(|p| node(&mut dd, p))
                .collect();
            if nodes.is_empty() {
                continue;
            }
            nodes.sort_unstable();
            nodes.dedup();
            if nodes.iter().all(|&n| satisfiable(&dd, n) == Some(false)) {
                report(
                    Diagnostic::new(codes::ALWAYS_FALSE, r.span, "this rule's condition can never hold")
                        .with_label("never matches")
                        .with_help("no value of the arguments satisfies it: check the masks, the values and the argument's type (a bit the mask clears is never set; an unsigned argument is never negative)"),
                );
                never_matches.insert(i);
                continue;
            }
            let always = nodes.iter().all(|&n| {
                let neg = dd.not(n);
                satisfiable(&dd, neg) == Some(false)
            });
            if always {
                report(
                    Diagnostic::new(
                        codes::ALWAYS_TRUE,
                        r.span,
                        "this rule's condition always holds",
                    )
                    .with_label("the `if` does not restrict anything")
                    .with_help(
                        "every value of the arguments satisfies it (an unsigned argument is always `>= 0`): drop the condition, or fix it if it was meant to restrict the rule",
                    ),
                );
            }
        }

        // Per (arch, syscall), the rules that mention it.
        let mut by_call: BTreeMap<(Arch, u32), Vec<(usize, super::Act, &Pred, logic::NodeId)>> =
            BTreeMap::new();
        for (i, r) in rules.iter().enumerate() {
            for (arch, ar) in &r.per_arch {
                for (_, nr, pred) in &ar.syscalls {
                    let n = node(&mut dd, pred);
                    by_call
                        .entry((*arch, *nr))
                        .or_default()
                        .push((i, ar.action, pred, n));
                }
            }
        }

        // Same action, different data, overlapping conditions.
        let mut conflicts: BTreeSet<(usize, usize)> = BTreeSet::new();
        let mut conflict_where: BTreeMap<(usize, usize), (Arch, &'static str, Option<String>)> =
            BTreeMap::new();
        for ((arch, nr), entries) in &by_call {
            for (x, a) in entries.iter().enumerate() {
                for b in &entries[x + 1..] {
                    if a.0 == b.0 || a.1.kind != b.1.kind || a.1.data == b.1.data {
                        continue;
                    }
                    let key = (a.0.min(b.0), a.0.max(b.0));
                    if conflicts.contains(&key) {
                        continue;
                    }
                    let both = dd.and(a.3, b.3);
                    if satisfiable(&dd, both) != Some(false) {
                        conflicts.insert(key);
                        let sc = arch.syscall_by_nr(*nr);
                        let name = sc.map(|s| s.name).unwrap_or("?");
                        let both = Pred::And(vec![a.2.clone(), b.2.clone()]);
                        let example = sc.and_then(|sc| example_call(*arch, sc, &both));
                        conflict_where.insert(key, (*arch, name, example));
                    }
                }
            }
        }
        for (a, b) in &conflicts {
            let (arch, name, example) = conflict_where[&(*a, *b)].clone();
            let (ra, rb) = (&rules[*a], &rules[*b]);
            let act = |r: &super::RuleInfo| {
                r.per_arch
                    .get(&arch)
                    .map(|x| x.action.describe(Some(arch)))
                    .unwrap_or_default()
            };
            report(
                Diagnostic::new(
                    codes::CONFLICTING_RULES,
                    rb.span,
                    format!(
                        "`{}` and `{}` both match some `{name}` calls",
                        act(ra),
                        act(rb)
                    ),
                )
                .with_label(format!("this rule says {}", act(rb)))
                .with_secondary(ra.span, format!("this rule says {}", act(ra)))
                .with_note(match example {
                    Some(call) => format!("for example `{arch}: {call}` matches both"),
                    None => format!("for example on {}", arch.name()),
                })
                .with_help("make the conditions disjoint, or use one action for both"),
            );
        }

        // Rules that never decide anything.
        for (i, r) in rules.iter().enumerate() {
            if !r.direct || never_matches.contains(&i) {
                continue;
            }
            let mut any_entry = false;
            let mut effective = false;
            let mut coverer: Option<usize> = None;
            'outer: for (arch, ar) in &r.per_arch {
                for (_, nr, pred) in &ar.syscalls {
                    any_entry = true;
                    let own = node(&mut dd, pred);
                    let mut cover = dd.ff();
                    for (j, act, _, n) in by_call.get(&(*arch, *nr)).into_iter().flatten() {
                        if *j == i {
                            continue;
                        }
                        let stronger = act.kind < ar.action.kind;
                        let same_before = *act == ar.action && *j < i;
                        if stronger || same_before {
                            cover = dd.or(cover, *n);
                            coverer.get_or_insert(*j);
                        }
                    }
                    let uncovered = dd.not(cover);
                    let rest = dd.and(own, uncovered);
                    if satisfiable(&dd, rest) != Some(false) {
                        effective = true;
                        break 'outer;
                    }
                }
            }
            if any_entry && !effective {
                let mut d = Diagnostic::new(
                    codes::NEVER_EFFECTIVE,
                    r.span,
                    "this rule never decides anything",
                )
                .with_label("every call it matches is decided by another rule")
                .with_help("remove it, or narrow the rules that take its calls");
                if let Some(j) = coverer {
                    d = d.with_secondary(
                        rules[j].span,
                        "taken by this rule (same or stronger action)",
                    );
                }
                report(d);
            }
        }

        // Socket filters on architectures that multiplex through socketcall:
        // a problem only where socketcall itself can get through.
        let socketcall_open: BTreeSet<Arch> = p
            .settings
            .targets
            .iter()
            .copied()
            .filter(|&a| a.syscall("socketcall").is_some() && socketcall_can_pass(p, a))
            .collect();
        for r in rules.iter().filter(|r| r.direct) {
            let mut exposed: Vec<Arch> = Vec::new();
            let mut call = "";
            for (arch, ar) in &r.per_arch {
                if !socketcall_open.contains(arch) {
                    continue;
                }
                if let Some((n, _, _)) = ar
                    .syscalls
                    .iter()
                    .find(|(n, _, p)| SOCKET_CALLS.contains(n) && !matches!(p, Pred::True))
                {
                    call = n;
                    exposed.push(*arch);
                }
            }
            if !exposed.is_empty() {
                report(
                    Diagnostic::new(
                        codes::SOCKETCALL_BYPASS,
                        r.span,
                        format!("`{call}` arguments are filtered, but on {} the same call can go through `socketcall`", arch_list(&exposed)),
                    )
                    .with_label("can be bypassed")
                    .with_help("socketcall's arguments sit behind a pointer the filter cannot read, and nothing here stops it: add `errno(ENOSYS) socketcall` (libc then uses the direct calls), or a rule that says what socketcall gets"),
                );
            }
        }
    }
    found
}

/// Whether the profile leaves `socketcall` open on `arch` without saying
/// so. A rule for socketcall among the profile's own rules (any action)
/// is a decision, and counts as handling it. Otherwise the bases' rules
/// decide, layer by layer: an unconditional rule with any action but
/// `allow` or `log` stops it (every such action is stronger); an `allow`
/// or `log` rule for it, even a conditional one, lets it through
/// (conservatively); else the calls fall through to the next layer, and
/// to the default at the end.
fn socketcall_can_pass(p: &CheckedProfile, arch: Arch) -> bool {
    use crate::syntax::ast::ActionKind;
    let permissive = |a: super::Act| matches!(a.kind, ActionKind::Allow | ActionKind::Log);
    let mentions = |r: &super::RuleInfo| {
        r.per_arch
            .get(&arch)
            .is_some_and(|ar| ar.syscalls.iter().any(|(n, _, _)| *n == "socketcall"))
    };
    if p.layers
        .first()
        .is_some_and(|own| own.rules.iter().any(mentions))
    {
        return false;
    }
    for layer in &p.layers {
        let mut passes = false;
        for r in &layer.rules {
            let Some(ar) = r.per_arch.get(&arch) else {
                continue;
            };
            for (name, _, pred) in &ar.syscalls {
                if *name != "socketcall" {
                    continue;
                }
                if permissive(ar.action) {
                    passes = true;
                } else if matches!(pred, Pred::True) {
                    return false;
                }
            }
        }
        if passes {
            return true;
        }
    }
    p.settings.default.get(&arch).is_none_or(|a| permissive(*a))
}

/// A call that satisfies `p`, written as a test would write it: the C
/// arguments by position, trailing zeros left out.
fn example_call(arch: Arch, sc: &crate::arch::Syscall, p: &Pred) -> Option<String> {
    use crate::arch::{ArgType, Slots};
    let mut dd = logic::Dd::new();
    let n = dd.from_pred(p);
    let logic::Witness::Found(w) = dd.witness(n, logic::Dd::TRUE) else {
        return None;
    };
    let regs = w.to_args();
    let mut vals: Vec<String> = sc
        .logical_args()
        .map(|a| {
            let (raw, bits, signed) = match (a.slots, a.ty) {
                (Slots::Pair { lo, hi }, ArgType::Int { signed, .. }) => (
                    (regs[usize::from(lo)] & 0xffff_ffff) | (regs[usize::from(hi)] << 32),
                    64,
                    signed,
                ),
                (Slots::One(s), ArgType::Int { bits, signed }) => {
                    (regs[usize::from(s)], bits, signed)
                }
                (Slots::One(s) | Slots::Pair { lo: s, .. }, ArgType::Pointer) => (
                    regs[usize::from(s)],
                    if arch.is_64bit_regs() { 64 } else { 32 },
                    false,
                ),
            };
            let v = if bits >= 64 {
                raw
            } else {
                raw & ((1u64 << bits) - 1)
            };
            let negative = signed && bits <= 64 && (v >> (bits - 1)) & 1 == 1;
            if negative {
                let m = if bits >= 64 {
                    v
                } else {
                    v | !((1u64 << bits) - 1)
                };
                format!("{}", m as i64)
            } else if v > 0xff {
                format!("{v:#x}")
            } else {
                v.to_string()
            }
        })
        .collect();
    while vals.last().is_some_and(|v| v == "0") {
        vals.pop();
    }
    Some(format!("{}({})", sc.name, vals.join(", ")))
}
