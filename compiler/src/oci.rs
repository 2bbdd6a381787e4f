//! OCI runtime-spec `linux.seccomp` JSON export.
//!
//! runc and crun hand each `syscalls` entry to libseccomp as one rule whose
//! argument conditions are ANDed; entries are ORed. moat lowers each
//! syscall's decision diagram path by path: the paths are disjoint, so no
//! two entries for one syscall can both match and libseccomp's rule
//! precedence never comes into play. Every word test becomes masked
//! equalities (a `>=` on a word becomes one entry per prefix, a `!=` one
//! per bit), and the tests on one argument merge into one `MASKED_EQ`,
//! which compares exactly the bits the policy compares — never the upper
//! half of a 32-bit argument. What JSON cannot carry is refused with a
//! diagnostic, never approximated.

use crate::arch::Arch;
use crate::diagnostics::{codes, Diagnostic};
use crate::ir::{self, Policy};
use crate::logic::{Half, NodeId, NodeView, Op};
use crate::sema::{Act, CheckedProfile};
use crate::syntax::ast::ActionKind;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Entries beyond this are refused: the JSON would be unreadable and slow
/// for the runtime to compile.
const MAX_ENTRIES: usize = 4096;

/// One rule: per argument slot a (mask, value) over the 64-bit register.
type ArgConds = BTreeMap<u8, (u64, u64)>;

pub fn export(profile: &CheckedProfile, arches: &[Arch]) -> Result<String, Vec<Diagnostic>> {
    let policy = ir::lower(profile, arches);
    let mut errors = Vec::new();
    let refuse = |msg: String, help: &str| {
        Diagnostic::new(codes::NOT_EXPRESSIBLE, profile.name_span, msg)
            .with_label("cannot be exported to OCI JSON")
            .with_help(help.to_string())
    };

    let defaults: Vec<Act> = policy.arches.iter().map(|a| a.default).collect();
    let default = defaults[0];
    if defaults.iter().any(|d| *d != default) {
        errors.push(refuse(
            "the default action differs between architectures".into(),
            "OCI JSON has one defaultAction; export one architecture at a time with --arch",
        ));
    }
    if let Some(ap) = policy.arches.iter().find(|a| a.unknown != a.default) {
        errors.push(refuse(
            format!(
                "`unknown {}` differs from the default action; OCI JSON applies defaultAction to every number it does not name",
                ap.unknown.describe(Some(ap.arch))
            ),
            "remove `unknown`, or emit `bpf`/`bpf-base64` for a runtime that loads raw filters",
        ));
    }
    if let Err(e) = action_json(default) {
        errors.push(refuse(
            format!("the default action {e}"),
            "use a different default, or emit bpf",
        ));
    }

    // name → per arch its entries.
    let mut per_name: BTreeMap<&'static str, Vec<(Arch, Vec<(Act, ArgConds)>)>> = BTreeMap::new();
    let mut total = 0usize;
    for ap in &policy.arches {
        for (&nr, &node) in &ap.syscalls {
            let name = ap.arch.syscall_by_nr(nr).map(|s| s.name).unwrap_or("?");
            let mut entries = Vec::new();
            paths(&policy, node, &mut Vec::new(), &mut |leaf, lits| {
                let act = policy.actions[leaf as usize];
                if act == ap.default {
                    return;
                }
                for conds in expand(lits) {
                    entries.push((act, conds));
                }
            });
            entries.sort();
            entries.dedup();
            total += entries.len();
            per_name.entry(name).or_default().push((ap.arch, entries));
        }
    }
    if total > MAX_ENTRIES {
        errors.push(refuse(
            format!("the policy needs {total} JSON rules (more than {MAX_ENTRIES})"),
            "ordering comparisons expand into one rule per bit prefix in JSON; simplify them or emit bpf",
        ));
    }
    // Group identical (action, conditions) across names.
    let mut groups: BTreeMap<(Act, Vec<(u8, u64, u64)>), Vec<&'static str>> = BTreeMap::new();
    for (name, per_arch) in &per_name {
        let first = &per_arch[0].1;
        if let Some((arch, _)) = per_arch.iter().find(|(_, e)| e != first) {
            errors.push(refuse(
                format!(
                    "`{name}` is decided differently on {} than on {}; OCI JSON rules name syscalls for every architecture at once",
                    arch.name(),
                    per_arch[0].0.name()
                ),
                "export one architecture at a time with --arch",
            ));
            continue;
        }
        for (act, conds) in first {
            let key: Vec<(u8, u64, u64)> = conds.iter().map(|(s, (m, v))| (*s, *m, *v)).collect();
            groups.entry((*act, key)).or_default().push(name);
        }
    }
    let mut syscalls = Vec::new();
    for ((act, conds), mut names) in groups {
        names.sort_unstable();
        let mut entry = match action_json(act) {
            Ok(v) => v,
            Err(e) => {
                errors.push(refuse(
                    format!("a rule's action {e}"),
                    "OCI JSON carries data only for errno and trace",
                ));
                continue;
            }
        };
        entry["names"] = json!(names);
        if !conds.is_empty() {
            entry["args"] = Value::Array(
                conds
                    .iter()
                    .map(|(slot, mask, value)| {
                        if *mask == u64::MAX {
                            json!({"index": slot, "value": value, "valueTwo": 0, "op": "SCMP_CMP_EQ"})
                        } else {
                            json!({"index": slot, "value": mask, "valueTwo": value, "op": "SCMP_CMP_MASKED_EQ"})
                        }
                    })
                    .collect(),
            );
        }
        syscalls.push(entry);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut top = json!({
        "defaultAction": action_json(default).expect("checked")["action"],
        "architectures": policy.arches.iter().map(|a| scmp_arch(a.arch)).collect::<Vec<_>>(),
        "syscalls": syscalls,
    });
    if default.kind == ActionKind::Errno {
        top["defaultErrnoRet"] = json!(default.data);
    }
    let flags = flag_names(policy.flags);
    if !flags.is_empty() {
        top["flags"] = json!(flags);
    }
    Ok(serde_json::to_string_pretty(&top).expect("json") + "\n")
}

/// Every path of a diagram: the leaf and the literals (atom, taken) on the way.
fn paths(
    policy: &Policy,
    node: NodeId,
    lits: &mut Vec<(crate::logic::Atom, bool)>,
    f: &mut dyn FnMut(u32, &[(crate::logic::Atom, bool)]),
) {
    match policy.dd.node(node) {
        NodeView::Leaf(id) => f(id, lits),
        NodeView::Test { atom, hi, lo } => {
            lits.push((atom, true));
            paths(policy, hi, lits, f);
            lits.pop();
            lits.push((atom, false));
            paths(policy, lo, lits, f);
            lits.pop();
        }
    }
}

/// The conjunction of literals as a disjunction of per-slot masked
/// equalities (inconsistent combinations dropped).
fn expand(lits: &[(crate::logic::Atom, bool)]) -> Vec<ArgConds> {
    let mut acc: Vec<ArgConds> = vec![BTreeMap::new()];
    for (atom, positive) in lits {
        let shift = if atom.word.half == Half::Hi { 32 } else { 0 };
        let alts: Vec<(u32, u32)> = match (atom.op, positive) {
            (Op::Eq, true) => vec![(atom.mask, atom.k)],
            (Op::Eq, false) => (0..32)
                .map(|i| 1u32 << i)
                .filter(|b| atom.mask & b != 0)
                .map(|b| (b, !atom.k & b))
                .collect(),
            (Op::Ge, true) => ge_patterns(atom.mask, atom.k),
            (Op::Ge, false) => lt_patterns(atom.mask, atom.k),
        };
        let mut next = Vec::new();
        for conds in &acc {
            for (m, v) in &alts {
                let (m, v) = (u64::from(*m) << shift, u64::from(*v) << shift);
                let mut c = conds.clone();
                let slot = c.entry(atom.word.slot).or_insert((0, 0));
                if (slot.0 & m) & (slot.1 ^ v) != 0 {
                    continue; // contradicts what this entry already fixes
                }
                *slot = (slot.0 | m, slot.1 | v);
                next.push(c);
            }
        }
        acc = next;
    }
    acc
}

/// x with (x & mask) >= k, as masked equalities on x.
fn ge_patterns(mask: u32, k: u32) -> Vec<(u32, u32)> {
    let (mut p, mut v, mut out) = (0u32, 0u32, Vec::new());
    for i in (0..32).rev() {
        let bit = 1u32 << i;
        let kb = k & bit;
        if mask & bit != 0 {
            if kb == 0 {
                out.push((p | bit, v | bit));
            }
            p |= bit;
            v |= kb;
        } else if kb != 0 {
            return out;
        }
    }
    out.push((p, v));
    out
}

/// x with (x & mask) < k.
fn lt_patterns(mask: u32, k: u32) -> Vec<(u32, u32)> {
    let (mut p, mut v, mut out) = (0u32, 0u32, Vec::new());
    for i in (0..32).rev() {
        let bit = 1u32 << i;
        let kb = k & bit;
        if mask & bit != 0 {
            if kb != 0 {
                out.push((p | bit, v));
            }
            p |= bit;
            v |= kb;
        } else if kb != 0 {
            out.push((p, v));
            return out;
        }
    }
    out
}

fn action_json(act: Act) -> Result<Value, String> {
    let name = match act.kind {
        ActionKind::Kill => "SCMP_ACT_KILL_PROCESS",
        ActionKind::KillThread => "SCMP_ACT_KILL_THREAD",
        ActionKind::Trap if act.data == 0 => "SCMP_ACT_TRAP",
        ActionKind::Trap => {
            return Err(format!(
                "`trap({})` carries data OCI JSON cannot express",
                act.data
            ))
        }
        ActionKind::Errno => return Ok(json!({"action": "SCMP_ACT_ERRNO", "errnoRet": act.data})),
        ActionKind::Notify => "SCMP_ACT_NOTIFY",
        ActionKind::Trace => return Ok(json!({"action": "SCMP_ACT_TRACE", "errnoRet": act.data})),
        ActionKind::Log => "SCMP_ACT_LOG",
        ActionKind::Allow => "SCMP_ACT_ALLOW",
    };
    Ok(json!({ "action": name }))
}

pub fn scmp_arch(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "SCMP_ARCH_X86_64",
        Arch::X32 => "SCMP_ARCH_X32",
        Arch::I386 => "SCMP_ARCH_X86",
        Arch::Aarch64 => "SCMP_ARCH_AARCH64",
        Arch::Arm => "SCMP_ARCH_ARM",
        Arch::Riscv64 => "SCMP_ARCH_RISCV64",
        Arch::Ppc64le => "SCMP_ARCH_PPC64LE",
        Arch::S390x => "SCMP_ARCH_S390X",
    }
}

fn flag_names(flags: u32) -> Vec<&'static str> {
    use crate::bpf::*;
    [
        (SECCOMP_FILTER_FLAG_TSYNC, "SECCOMP_FILTER_FLAG_TSYNC"),
        (SECCOMP_FILTER_FLAG_LOG, "SECCOMP_FILTER_FLAG_LOG"),
        (
            SECCOMP_FILTER_FLAG_SPEC_ALLOW,
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        ),
        (
            SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
            "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
        ),
    ]
    .into_iter()
    .filter(|(f, _)| flags & f != 0)
    .map(|(_, n)| n)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(mask: u32, k: u32, pats: &[(u32, u32)], ge: bool) {
        // Exhaustive over the low 12 bits with random high parts.
        for x in (0..4096u32).chain([
            u32::MAX,
            0x8000_0000,
            0x7fff_ffff,
            k,
            k.wrapping_sub(1),
            k.wrapping_add(1),
        ]) {
            let want = if ge { x & mask >= k } else { x & mask < k };
            let got = pats.iter().any(|(m, v)| x & m == *v);
            assert_eq!(want, got, "mask {mask:#x} k {k:#x} x {x:#x} ge {ge}");
        }
    }

    #[test]
    fn ordering_patterns_are_exact() {
        for (mask, k) in [
            (u32::MAX, 0),
            (u32::MAX, 1),
            (u32::MAX, 0x80),
            (u32::MAX, 0xfff),
            (0xffff, 0x1234),
            (0xffff, 0),
            (u32::MAX, u32::MAX),
            (0xff0, 0x100),
            (u32::MAX, 0x8000_0000),
        ] {
            brute(mask, k, &ge_patterns(mask, k), true);
            brute(mask, k, &lt_patterns(mask, k), false);
        }
    }

    #[test]
    fn negated_equality_expands_per_bit() {
        let a = crate::logic::Atom {
            word: crate::logic::Word {
                slot: 1,
                half: Half::Lo,
            },
            mask: 0b1010,
            op: Op::Eq,
            k: 0b1000,
        };
        let e = expand(&[(a, false)]);
        assert_eq!(e.len(), 2);
        for x in 0..16u64 {
            let want = x & 0b1010 != 0b1000;
            let got = e
                .iter()
                .any(|c| c.get(&1).is_some_and(|(m, v)| x & m == *v));
            assert_eq!(want, got);
        }
    }
}
