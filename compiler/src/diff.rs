//! Semantic differences between two policies: for each architecture both
//! cover, every syscall number whose decision changes, with the argument
//! region where it changes and a concrete example call. Exact: both
//! policies are lowered into one decision-diagram arena and compared with
//! the same solver the compiler uses.

use crate::arch::Arch;
use crate::ir::{self, Policy};
use crate::logic::{Dd, NodeId, NodeView, Op, Witness};
use crate::sema::{Act, CheckedProfile};
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub arch: Arch,
    /// The syscall, or `None` for numbers no table names.
    pub syscall: Option<&'static str>,
    pub nr: u32,
    pub a: Act,
    pub b: Act,
    /// Whether the change holds for every argument value.
    pub unconditional: bool,
    /// Argument registers of one call that shows the change.
    pub example: [u64; 6],
    /// The argument region, as conjunctions of word tests (at most a few).
    pub region: Vec<String>,
}

/// Architectures both policies cover, or those requested.
pub fn common_arches(a: &CheckedProfile, b: &CheckedProfile, requested: &[Arch]) -> Vec<Arch> {
    a.settings
        .targets
        .iter()
        .copied()
        .filter(|x| b.settings.targets.contains(x))
        .filter(|x| requested.is_empty() || requested.contains(x))
        .collect()
}

/// Every change of decision from `a` to `b`. `keep` filters which pairs of
/// actions count (all differences, or only "b allows what a denies").
pub fn diff_with(
    a: &CheckedProfile,
    b: &CheckedProfile,
    arches: &[Arch],
    keep: &dyn Fn(Act, Act) -> bool,
) -> Vec<Difference> {
    let mut policy = ir::lower(a, &[]);
    let mut out = Vec::new();
    for &arch in arches {
        let pa = ir::lower_arch(&mut policy, a, arch);
        let pb = ir::lower_arch(&mut policy, b, arch);
        // Unnamed numbers: `unknown` decides (nr = -1: `default`).
        if pa.unknown != pb.unknown && keep(pa.unknown, pb.unknown) {
            let nr = first_unnamed(arch);
            out.push(setting_diff(arch, nr, pa.unknown, pb.unknown));
        }
        if pa.default != pb.default && keep(pa.default, pb.default) {
            out.push(setting_diff(arch, u32::MAX, pa.default, pb.default));
        }
        for (&nr, &na) in &pa.syscalls {
            let nb = pb.syscalls[&nr];
            if na == nb {
                continue;
            }
            let syscall = arch.syscall_by_nr(nr).map(|s| s.name);
            let leaves_a = policy.dd.reachable_leaves(na);
            let leaves_b = policy.dd.reachable_leaves(nb);
            for &la in &leaves_a {
                for &lb in &leaves_b {
                    let (act_a, act_b) = (policy.actions[la as usize], policy.actions[lb as usize]);
                    if act_a == act_b || !keep(act_a, act_b) {
                        continue;
                    }
                    let ca = leads_to(&mut policy, na, la);
                    let cb = leads_to(&mut policy, nb, lb);
                    let both = policy.dd.and(ca, cb);
                    let both = policy.dd.prune(both);
                    let Witness::Found(words) = policy.dd.witness(both, Dd::TRUE) else {
                        continue;
                    };
                    let unconditional = matches!(policy.dd.node(both), NodeView::Leaf(_));
                    out.push(Difference {
                        arch,
                        syscall,
                        nr,
                        a: act_a,
                        b: act_b,
                        unconditional,
                        example: words.to_args(),
                        region: describe_region(&policy, both, arch, nr),
                    });
                }
            }
        }
    }
    out
}

/// All differences between two policies.
pub fn diff(a: &CheckedProfile, b: &CheckedProfile, arches: &[Arch]) -> Vec<Difference> {
    diff_with(a, b, arches, &|_, _| true)
}

/// Calls `policy` lets through (allow or log) that `base` does not: empty
/// when `policy` is no looser than `base`.
pub fn looser_than(
    policy: &CheckedProfile,
    base: &CheckedProfile,
    arches: &[Arch],
) -> Vec<Difference> {
    let lets_through = |a: Act| {
        matches!(
            a.kind,
            crate::syntax::ast::ActionKind::Allow | crate::syntax::ast::ActionKind::Log
        )
    };
    diff_with(base, policy, arches, &|in_base, in_policy| {
        lets_through(in_policy) && !lets_through(in_base)
    })
}

fn setting_diff(arch: Arch, nr: u32, a: Act, b: Act) -> Difference {
    Difference {
        arch,
        syscall: None,
        nr,
        a,
        b,
        unconditional: true,
        example: [0; 6],
        region: Vec::new(),
    }
}

fn first_unnamed(arch: Arch) -> u32 {
    let mut nr = arch.nr_bias();
    while arch.syscall_by_nr(nr).is_some() {
        nr += 1;
    }
    nr
}

/// The boolean diagram "node reaches leaf".
fn leads_to(policy: &mut Policy, node: NodeId, leaf: u32) -> NodeId {
    fn go(dd: &mut Dd, n: NodeId, leaf: u32, memo: &mut HashMap<NodeId, NodeId>) -> NodeId {
        if let Some(&m) = memo.get(&n) {
            return m;
        }
        let r = match dd.node(n) {
            NodeView::Leaf(id) => {
                if id == leaf {
                    dd.tt()
                } else {
                    dd.ff()
                }
            }
            NodeView::Test { atom, hi, lo } => {
                let h = go(dd, hi, leaf, memo);
                let l = go(dd, lo, leaf, memo);
                dd.mk(atom, h, l)
            }
        };
        memo.insert(n, r);
        r
    }
    go(&mut policy.dd, node, leaf, &mut HashMap::new())
}

/// Up to four paths to TRUE, each as `arg… test && …`, with argument names
/// where the syscall's table gives them.
fn describe_region(policy: &Policy, n: NodeId, arch: Arch, nr: u32) -> Vec<String> {
    let sc = arch.syscall_by_nr(nr);
    let word_name = |slot: u8, hi: bool| -> String {
        let base = sc
            .and_then(|s| s.slot(slot))
            .and_then(|a| a.names.first().copied())
            .map(str::to_string)
            .unwrap_or_else(|| format!("arg{slot}"));
        if hi {
            format!("{base}.hi")
        } else {
            base
        }
    };
    let mut out = Vec::new();
    let mut path: Vec<String> = Vec::new();
    fn walk(
        policy: &Policy,
        n: NodeId,
        path: &mut Vec<String>,
        out: &mut Vec<String>,
        name: &dyn Fn(u8, bool) -> String,
    ) {
        if out.len() >= 4 {
            return;
        }
        match policy.dd.node(n) {
            NodeView::Leaf(id) => {
                if id == Dd::TRUE {
                    out.push(if path.is_empty() {
                        "any arguments".to_string()
                    } else {
                        path.join(" && ")
                    });
                }
            }
            NodeView::Test { atom, hi, lo } => {
                let w = name(atom.word.slot, atom.word.half == crate::logic::Half::Hi);
                let lhs = if atom.mask == u32::MAX {
                    w
                } else {
                    format!("{w} & {:#x}", atom.mask)
                };
                let (yes, no) = match atom.op {
                    Op::Eq => (
                        format!("{lhs} == {:#x}", atom.k),
                        format!("{lhs} != {:#x}", atom.k),
                    ),
                    Op::Ge => (
                        format!("{lhs} >= {:#x}", atom.k),
                        format!("{lhs} < {:#x}", atom.k),
                    ),
                };
                path.push(yes);
                walk(policy, hi, path, out, name);
                path.pop();
                path.push(no);
                walk(policy, lo, path, out, name);
                path.pop();
            }
        }
    }
    walk(policy, n, &mut path, &mut out, &word_name);
    out
}

/// Example registers as a call: `openat(0xffffff9c, 0, 0x1)`.
pub fn format_call(d: &Difference) -> String {
    let name = d
        .syscall
        .map(str::to_string)
        .unwrap_or_else(|| format!("syscall {:#x}", d.nr));
    let nargs = d
        .syscall
        .and_then(|s| d.arch.syscall(s))
        .map(|s| usize::from(s.nslots.min(6)))
        .unwrap_or(0);
    let args: Vec<String> = d.example[..nargs]
        .iter()
        .map(|a| format!("{a:#x}"))
        .collect();
    format!("{name}({})", args.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::SeccompData;
    use crate::sema::{analyze_source, Options};
    use proptest::prelude::*;

    fn profile(src: &str) -> CheckedProfile {
        let a = analyze_source("t.moat", None, src, &Options::default());
        assert!(
            !a.has_errors(),
            "{src}\n{:#?}",
            a.errors().collect::<Vec<_>>()
        );
        a.profiles[0].clone()
    }

    const CONDS: &[&str] = &[
        "",
        " if fd == 1",
        " if fd < 3",
        " if fd != 2 && count > 10",
        " if count in 5..=9",
        " if fd & 0x4",
        " if count >= 0x8000_0000",
    ];
    const ACTIONS: &[&str] = &[
        "allow",
        "errno(EPERM)",
        "errno(EACCES)",
        "kill",
        "log",
        "trap",
    ];

    fn arb_rules() -> impl Strategy<Value = String> {
        proptest::collection::vec((0..ACTIONS.len(), 0..2usize, 0..CONDS.len()), 0..4).prop_map(
            |rs| {
                let mut used = std::collections::BTreeSet::new();
                rs.into_iter()
                    // One rule per (syscall, kind) keeps generated policies free of
                    // same-kind conflicts, which sema would reject.
                    .filter(|(a, s, _)| used.insert((*s, ACTIONS[*a].split('(').next().unwrap())))
                    .map(|(a, s, c)| {
                        format!("    {} {}{}\n", ACTIONS[a], ["read", "write"][s], CONDS[c])
                    })
                    .collect()
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// `diff A A` is empty, and every reported difference is real: the
        /// example call gets the two reported actions from the reference
        /// semantics.
        #[test]
        fn differences_are_real(ra in arb_rules(), rb in arb_rules(), da in 0..3usize, db in 0..3usize) {
            let defaults = ["errno(EPERM)", "allow", "kill"];
            let a = profile(&format!("profile a {{\n targets x86_64, i386\n default {}\n{ra}}}", defaults[da]));
            let b = profile(&format!("profile b {{\n targets x86_64, i386\n default {}\n{rb}}}", defaults[db]));
            prop_assert!(diff(&a, &a, &a.settings.targets).is_empty());
            for d in diff(&a, &b, &[Arch::X86_64, Arch::I386]) {
                let data = SeccompData { nr: d.nr, arch: d.arch.audit_arch(), instruction_pointer: 0, args: d.example };
                prop_assert_eq!(crate::ir::reference::decide(&a, &data), d.a);
                prop_assert_eq!(crate::ir::reference::decide(&b, &data), d.b);
            }
            // Nothing is missed: wherever the reference decisions differ on
            // sampled calls, a difference is reported for that number.
            let all = diff(&a, &b, &[Arch::X86_64, Arch::I386]);
            for arch in [Arch::X86_64, Arch::I386] {
                for name in ["read", "write", "close"] {
                    let nr = arch.syscall(name).unwrap().nr;
                    for fd in [0u64, 1, 2, 3, 4, 0xffff_ffff, 0x1_0000_0001] {
                        for count in [0u64, 5, 9, 10, 11, 0x8000_0000, 0xffff_ffff] {
                            let data = SeccompData { nr, arch: arch.audit_arch(), instruction_pointer: 0, args: [fd, 0, count, 0, 0, 0] };
                            if crate::ir::reference::decide(&a, &data) != crate::ir::reference::decide(&b, &data) {
                                prop_assert!(all.iter().any(|d| d.arch == arch && d.nr == nr), "{} {name} fd {fd:#x} count {count:#x} not reported", arch.name());
                            }
                        }
                    }
                }
            }
            for d in looser_than(&b, &a, &[Arch::X86_64]) {
                prop_assert!(matches!(d.b.kind, crate::syntax::ast::ActionKind::Allow | crate::syntax::ast::ActionKind::Log));
                prop_assert!(!matches!(d.a.kind, crate::syntax::ast::ActionKind::Allow | crate::syntax::ast::ActionKind::Log));
            }
        }
    }
}
