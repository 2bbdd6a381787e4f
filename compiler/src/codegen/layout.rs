//! The program's shape: `ld arch` and one `jeq` per audit architecture;
//! per architecture `ld nr` and a binary search (`jge`) over ranges of
//! syscall numbers with one outcome each; then the argument decision
//! diagrams, one block per node; then one `ret` per action. Everything on
//! the way to an unconditional outcome uses only `ld [0]`, `ld [4]`, `jeq`,
//! `jge` and `ret`, so the kernel can cache unconditional allows.
//! Blocks are numbered so that every jump goes forward.

use crate::arch::Arch;
use crate::bpf::*;
use crate::ir::{ArchPolicy, Policy};
use crate::logic::{Half, NodeId, NodeView, Op, Word};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct Label(pub usize);

#[derive(Clone, Debug)]
pub(super) enum Exit {
    Ja(Label),
    Cond {
        code: u16,
        k: u32,
        jt: Label,
        jf: Label,
    },
}

#[derive(Clone, Debug, Default)]
pub(super) struct Block {
    /// Straight-line instructions (the last may be a `ret`).
    pub insns: Vec<(Insn, String)>,
    pub exit: Option<Exit>,
    pub exit_note: String,
}

/// Where a search step leads before labels are known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Search(usize),
    Node(NodeId),
}

struct SearchBlock {
    load_nr: bool,
    /// `jge k`: taken to `hi`, else `lo`; or an unconditional jump.
    step: Step,
    note: String,
}

enum Step {
    Ge { k: u32, hi: Target, lo: Target },
    Go(Target),
}

/// One range of syscall numbers [lo, hi] with one outcome.
#[derive(Clone, Copy, Debug)]
struct Range {
    lo: u32,
    hi: u32,
    node: NodeId,
}

pub(super) fn layout(
    policy: &Policy,
    endian: Endian,
    weights: Option<&super::Weights>,
) -> Vec<Block> {
    // Architectures by audit value, in the profile's order.
    let mut groups: Vec<(u32, Vec<&ArchPolicy>)> = Vec::new();
    for ap in &policy.arches {
        let audit = ap.arch.audit_arch();
        match groups.iter_mut().find(|(a, _)| *a == audit) {
            Some((_, v)) => v.push(ap),
            None => groups.push((audit, vec![ap])),
        }
    }

    let mut search: Vec<SearchBlock> = Vec::new();
    let mut group_entry = Vec::new();
    for (_, members) in &groups {
        let ranges = ranges_for(policy, members);
        let weight = range_weights(&ranges, members, weights);
        let entry = search.len();
        group_entry.push(entry);
        build_search(&ranges, &weight, &mut search, members);
    }

    // Every diagram node reachable from a search outcome, parents first
    // (a node's children were created before it, so higher ids come first).
    let mut nodes: BTreeSet<NodeId> = BTreeSet::new();
    let mut stack: Vec<NodeId> = search
        .iter()
        .flat_map(|s| match s.step {
            Step::Ge { hi, lo, .. } => vec![hi, lo],
            Step::Go(t) => vec![t],
        })
        .filter_map(|t| match t {
            Target::Node(n) => Some(n),
            Target::Search(_) => None,
        })
        .collect();
    stack.push(policy.bad_arch_node);
    while let Some(n) = stack.pop() {
        if !nodes.insert(n) {
            continue;
        }
        if let NodeView::Test { hi, lo, .. } = policy.dd.node(n) {
            stack.push(hi);
            stack.push(lo);
        }
    }
    let tests: Vec<NodeId> = nodes
        .iter()
        .rev()
        .copied()
        .filter(|n| matches!(policy.dd.node(*n), NodeView::Test { .. }))
        .collect();
    // Leaves ordered by action, so listings read in a stable order.
    let mut leaves: Vec<NodeId> = nodes
        .iter()
        .copied()
        .filter(|n| matches!(policy.dd.node(*n), NodeView::Leaf(_)))
        .collect();
    leaves.sort_by_key(|n| match policy.dd.node(*n) {
        NodeView::Leaf(id) => (policy.actions[id as usize], id),
        NodeView::Test { .. } => unreachable!(),
    });

    // Numbering: dispatch, search, tests, leaves.
    let dispatch_len = groups.len();
    let search_base = dispatch_len;
    let test_base = search_base + search.len();
    let leaf_base = test_base + tests.len();
    let mut node_label: BTreeMap<NodeId, Label> = BTreeMap::new();
    for (i, n) in tests.iter().enumerate() {
        node_label.insert(*n, Label(test_base + i));
    }
    for (i, n) in leaves.iter().enumerate() {
        node_label.insert(*n, Label(leaf_base + i));
    }
    let resolve = |t: Target| -> Label {
        match t {
            Target::Search(i) => Label(search_base + i),
            Target::Node(n) => node_label[&n],
        }
    };

    let mut blocks = Vec::new();
    // Architecture dispatch.
    for (gi, (audit, members)) in groups.iter().enumerate() {
        let mut b = Block::default();
        if gi == 0 {
            b.insns.push((
                Insn::stmt(BPF_LD | BPF_W | BPF_ABS, OFF_ARCH),
                String::new(),
            ));
        }
        let jf = if gi + 1 < groups.len() {
            Label(gi + 1)
        } else {
            node_label[&policy.bad_arch_node]
        };
        b.exit = Some(Exit::Cond {
            code: BPF_JMP | BPF_JEQ | BPF_K,
            k: *audit,
            jt: Label(search_base + group_entry[gi]),
            jf,
        });
        let names: Vec<&str> = members.iter().map(|m| m.arch.name()).collect();
        b.exit_note = format!("arch == {}", names.join("/"));
        blocks.push(b);
    }
    // Syscall-number search.
    for s in &search {
        let mut b = Block::default();
        if s.load_nr {
            b.insns
                .push((Insn::stmt(BPF_LD | BPF_W | BPF_ABS, OFF_NR), String::new()));
        }
        b.exit = Some(match s.step {
            Step::Ge { k, hi, lo } => Exit::Cond {
                code: BPF_JMP | BPF_JGE | BPF_K,
                k,
                jt: resolve(hi),
                jf: resolve(lo),
            },
            Step::Go(t) => Exit::Ja(resolve(t)),
        });
        b.exit_note = s.note.clone();
        blocks.push(b);
    }
    // Argument tests. A block may skip its load when every way into it
    // comes from a test of the same word that left the accumulator
    // unmasked (`jeq`/`jge`/`jset` do not change it; `and` does).
    let mut leaves_word: BTreeMap<NodeId, Option<Word>> = BTreeMap::new();
    let mut preds: BTreeMap<NodeId, Vec<Option<Word>>> = BTreeMap::new();
    for s in &search {
        let targets = match s.step {
            Step::Ge { hi, lo, .. } => vec![hi, lo],
            Step::Go(t) => vec![t],
        };
        for t in targets {
            if let Target::Node(n) = t {
                preds.entry(n).or_default().push(None);
            }
        }
    }
    for n in &tests {
        let NodeView::Test { atom, hi, lo } = policy.dd.node(*n) else {
            unreachable!()
        };
        let keeps_word = atom.mask == u32::MAX || jset_form(atom.op, atom.mask, atom.k).is_some();
        let after = keeps_word.then_some(atom.word);
        leaves_word.insert(*n, after);
        for child in [hi, lo] {
            preds.entry(child).or_default().push(after);
        }
    }
    for n in &tests {
        let NodeView::Test { atom, hi, lo } = policy.dd.node(*n) else {
            unreachable!()
        };
        let mut b = Block::default();
        let loaded = preds
            .get(n)
            .is_some_and(|p| !p.is_empty() && p.iter().all(|w| *w == Some(atom.word)));
        if !loaded {
            b.insns.push((
                Insn::stmt(BPF_LD | BPF_W | BPF_ABS, word_offset(atom.word, endian)),
                word_name(atom.word),
            ));
        }
        let note = describe_atom(atom.word, atom.mask, atom.op, atom.k);
        b.exit = Some(match jset_form(atom.op, atom.mask, atom.k) {
            // (w & m) == 0: jset m with the branches swapped.
            Some(false) => Exit::Cond {
                code: BPF_JMP | BPF_JSET | BPF_K,
                k: atom.mask,
                jt: node_label[&lo],
                jf: node_label[&hi],
            },
            // (w & b) == b for a single bit b: jset b.
            Some(true) => Exit::Cond {
                code: BPF_JMP | BPF_JSET | BPF_K,
                k: atom.mask,
                jt: node_label[&hi],
                jf: node_label[&lo],
            },
            None => {
                if atom.mask != u32::MAX {
                    b.insns.push((
                        Insn::stmt(BPF_ALU | BPF_AND | BPF_K, atom.mask),
                        String::new(),
                    ));
                }
                let code = match atom.op {
                    Op::Eq => BPF_JMP | BPF_JEQ | BPF_K,
                    Op::Ge => BPF_JMP | BPF_JGE | BPF_K,
                };
                Exit::Cond {
                    code,
                    k: atom.k,
                    jt: node_label[&hi],
                    jf: node_label[&lo],
                }
            }
        });
        b.exit_note = note;
        blocks.push(b);
    }
    // Returns.
    for n in &leaves {
        let NodeView::Leaf(id) = policy.dd.node(*n) else {
            unreachable!()
        };
        let act = policy.actions[id as usize];
        let mut b = Block::default();
        b.insns.push((
            Insn::stmt(BPF_RET | BPF_K, act.ret()),
            act.describe(policy.arches.first().map(|a| a.arch)),
        ));
        blocks.push(b);
    }
    blocks
}

/// The ranges covering every 32-bit number for one audit architecture.
fn ranges_for(policy: &Policy, members: &[&ArchPolicy]) -> Vec<Range> {
    let find = |a: Arch| members.iter().copied().find(|m| m.arch == a);
    let mut points: Vec<Range> = Vec::new();
    let shared_x86 = members
        .iter()
        .any(|m| matches!(m.arch, Arch::X86_64 | Arch::X32));
    let push_arch = |ap: Option<&ArchPolicy>, lo: u32, hi: u32, points: &mut Vec<Range>| {
        // [lo, hi] belongs to `ap`, or to nobody (bad_arch).
        let Some(ap) = ap else {
            points.push(Range {
                lo,
                hi,
                node: policy.bad_arch_node,
            });
            return;
        };
        let mut next = lo;
        for (&nr, &node) in ap.syscalls.range(lo..=hi) {
            if nr > next {
                points.push(Range {
                    lo: next,
                    hi: nr - 1,
                    node: ap.unknown_node,
                });
            }
            points.push(Range {
                lo: nr,
                hi: nr,
                node,
            });
            next = nr.saturating_add(1);
            if nr == hi {
                return;
            }
        }
        if next <= hi {
            points.push(Range {
                lo: next,
                hi,
                node: ap.unknown_node,
            });
        }
    };
    if shared_x86 {
        let x64 = find(Arch::X86_64);
        let x32 = find(Arch::X32);
        push_arch(x64, 0, 0x3fff_ffff, &mut points);
        push_arch(x32, 0x4000_0000, 0xffff_fffe, &mut points);
        let skip = x64.or(x32).expect("a member").default_node;
        points.push(Range {
            lo: u32::MAX,
            hi: u32::MAX,
            node: skip,
        });
    } else {
        let ap = members[0];
        push_arch(Some(ap), 0, 0xffff_fffe, &mut points);
        points.push(Range {
            lo: u32::MAX,
            hi: u32::MAX,
            node: ap.default_node,
        });
    }
    // Neighbours with the same outcome become one range.
    let mut merged: Vec<Range> = Vec::new();
    for r in points {
        match merged.last_mut() {
            Some(last) if last.node == r.node && last.hi.wrapping_add(1) == r.lo => last.hi = r.hi,
            _ => merged.push(r),
        }
    }
    merged
}

/// The search over `ranges`, appended in preorder so every jump goes
/// forward. The tree minimises the expected number of comparisons, each
/// range weighted by how often its numbers are called (`weight`): an
/// optimal alphabetic tree, built with Knuth's O(n²) dynamic program.
fn build_search(
    ranges: &[Range],
    weight: &[f64],
    out: &mut Vec<SearchBlock>,
    members: &[&ArchPolicy],
) {
    let n = ranges.len();
    if n == 1 {
        // A single outcome for the whole architecture still needs a block
        // to jump to from the dispatch.
        out.push(SearchBlock {
            load_nr: true,
            step: Step::Go(Target::Node(ranges[0].node)),
            note: String::new(),
        });
        return;
    }
    let root = optimal_roots(weight);
    emit_search(ranges, &root, 0, n - 1, true, out, members);
}

/// `root[i][j]` = where the optimal tree over ranges i..=j splits (the
/// first range of its right side).
fn optimal_roots(weight: &[f64]) -> Vec<Vec<usize>> {
    let n = weight.len();
    let mut prefix = vec![0.0; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i] + weight[i];
    }
    let w = |i: usize, j: usize| prefix[j + 1] - prefix[i];
    let mut cost = vec![vec![0.0f64; n]; n];
    let mut root = vec![vec![0usize; n]; n];
    for len in 2..=n {
        for i in 0..=n - len {
            let j = i + len - 1;
            // Knuth: the best split lies between the neighbours' best splits.
            let (lo, hi) = if len == 2 {
                (i + 1, j)
            } else {
                (root[i][j - 1].max(i + 1), root[i + 1][j].min(j))
            };
            let mut best = (f64::INFINITY, lo);
            for k in lo..=hi.max(lo) {
                let c = cost[i][k - 1] + cost[k][j];
                // Ties go to the most balanced split, which keeps the
                // longest path short.
                let balance = (2 * k).abs_diff(i + j + 1);
                let better = c < best.0 - 1e-9
                    || ((c - best.0).abs() <= 1e-9 && balance < (2 * best.1).abs_diff(i + j + 1));
                if better {
                    best = (c, k);
                }
            }
            cost[i][j] = best.0 + w(i, j);
            root[i][j] = best.1;
        }
    }
    root
}

fn emit_search(
    ranges: &[Range],
    root: &[Vec<usize>],
    i: usize,
    j: usize,
    load_nr: bool,
    out: &mut Vec<SearchBlock>,
    members: &[&ArchPolicy],
) -> Target {
    if i == j {
        return Target::Node(ranges[i].node);
    }
    let k = root[i][j];
    let me = out.len();
    out.push(SearchBlock {
        load_nr,
        step: Step::Go(Target::Search(0)),
        note: range_note(ranges[k].lo, members),
    });
    let lo = emit_search(ranges, root, i, k - 1, false, out, members);
    let hi = emit_search(ranges, root, k, j, false, out, members);
    out[me].step = Step::Ge {
        k: ranges[k].lo,
        hi,
        lo,
    };
    Target::Search(me)
}

/// How often the numbers of a range are expected to be called. Without a
/// weights file every range weighs the same, which makes the optimal tree
/// the balanced one: every path then takes at most ⌈log2 R⌉ comparisons.
/// With one, a range weighs the calls of its syscalls (plus one each, so
/// nothing is pushed arbitrarily deep).
fn range_weights(
    ranges: &[Range],
    members: &[&ArchPolicy],
    weights: Option<&super::Weights>,
) -> Vec<f64> {
    let Some(ws) = weights else {
        return vec![1.0; ranges.len()];
    };
    ranges
        .iter()
        .map(|r| {
            let mut w = 0.01;
            for m in members {
                for (&nr, _) in m.syscalls.range(r.lo..=r.hi) {
                    let name = m.arch.syscall_by_nr(nr).map(|s| s.name).unwrap_or("");
                    w += 1.0 + ws.count(name);
                }
            }
            w
        })
        .collect()
}

fn range_note(k: u32, members: &[&ArchPolicy]) -> String {
    for m in members {
        if let Some(s) = m.arch.syscall_by_nr(k) {
            return format!("nr >= {k:#x} ({})", s.name);
        }
    }
    format!("nr >= {k:#x}")
}

/// Byte offset of an argument word in `struct seccomp_data`.
pub(super) fn word_offset(w: Word, endian: Endian) -> u32 {
    let base = OFF_ARGS + 8 * u32::from(w.slot);
    let high_first = endian == Endian::Big;
    match (w.half, high_first) {
        (Half::Lo, false) | (Half::Hi, true) => base,
        _ => base + 4,
    }
}

fn word_name(w: Word) -> String {
    format!(
        "arg{}.{}",
        w.slot,
        if w.half == Half::Lo { "lo" } else { "hi" }
    )
}

fn describe_atom(w: Word, mask: u32, op: Op, k: u32) -> String {
    let word = word_name(w);
    let lhs = if mask == u32::MAX {
        word
    } else {
        format!("{word} & {mask:#x}")
    };
    match op {
        Op::Eq => format!("{lhs} == {k:#x}"),
        Op::Ge => format!("{lhs} >= {k:#x}"),
    }
}

/// Whether a masked test is one `jset`: `Some(false)` for `(w & m) == 0`
/// (taken when it fails), `Some(true)` for a single bit `(w & b) == b`.
fn jset_form(op: Op, mask: u32, k: u32) -> Option<bool> {
    if op != Op::Eq || mask == u32::MAX {
        return None;
    }
    if k == 0 {
        return Some(false);
    }
    (mask.count_ones() == 1 && k == mask).then_some(true)
}
