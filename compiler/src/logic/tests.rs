//! Property tests: lowering against the reference semantics, diagrams
//! against predicates, and the searches against brute force.

use super::solve::{solve_word, Solve, WordLit, DEFAULT_SOLVER_BUDGET};
use super::*;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Failures are kept as unit tests here rather than as regression files
/// outside the module.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// Lowering

fn shape_strategy() -> impl Strategy<Value = ArgShape> {
    let narrow = (prop_oneof![Just(16u8), Just(32u8)], any::<bool>(), 0u8..6)
        .prop_map(|(b, s, slot)| ArgShape::narrow(b, s, slot));
    let wide = (any::<bool>(), 0u8..6).prop_map(|(s, slot)| ArgShape::wide(s, slot));
    let split =
        (any::<bool>(), 0u8..6, 1u8..6).prop_map(|(s, a, d)| ArgShape::split(s, a, (a + d) % 6));
    prop_oneof![narrow, wide, split]
}

/// Bounds around the values where comparisons change behaviour.
fn bound_strategy() -> impl Strategy<Value = i128> {
    let special: Vec<i128> = vec![
        0,
        1,
        -1,
        2,
        -2,
        0x7fff,
        0x8000,
        -0x8000,
        -0x8001,
        0xffff,
        0x1_0000,
        0x7fff_ffff,
        0x8000_0000,
        0x8000_0001,
        -0x8000_0000,
        -0x8000_0001,
        0xffff_ffff,
        0x1_0000_0000,
        0x1_0000_0001,
        0x7fff_ffff_ffff_ffff,
        1 << 63,
        -(1 << 63),
        -(1 << 63) - 1,
        (1 << 64) - 1,
        1 << 64,
        i128::MAX,
        i128::MIN,
    ];
    prop_oneof![
        4 => proptest::sample::select(special.clone()),
        2 => (proptest::sample::select(special), -3i128..=3).prop_map(|(b, d)| b.saturating_add(d)),
        1 => any::<i32>().prop_map(i128::from),
        1 => any::<u32>().prop_map(i128::from),
        1 => any::<i64>().prop_map(i128::from),
        1 => any::<u64>().prop_map(i128::from),
        1 => any::<i16>().prop_map(i128::from),
    ]
}

/// Bit patterns as a caller passes them: raw, sign-extended, random.
fn pattern_strategy() -> impl Strategy<Value = u64> {
    let special: Vec<u64> = vec![
        0,
        1,
        2,
        0xff,
        0x7fff,
        0x8000,
        0xffff,
        0x1_0000,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x1_0000_0000,
        0xffff_ffff_8000_0000,
        0xffff_ffff_ffff_8000,
        u64::MAX,
        1 << 63,
    ];
    prop_oneof![
        3 => proptest::sample::select(special),
        2 => any::<i32>().prop_map(|v| v as i64 as u64),
        1 => any::<i16>().prop_map(|v| v as i64 as u64),
        2 => any::<u64>(),
        1 => any::<u32>().prop_map(u64::from),
        1 => (0u32..64).prop_map(|b| 1u64 << b),
    ]
}

fn cmp_strategy() -> impl Strategy<Value = Cmp> {
    prop_oneof![
        pattern_strategy().prop_map(Cmp::Eq),
        pattern_strategy().prop_map(Cmp::Ne),
        (pattern_strategy(), pattern_strategy(), any::<bool>()).prop_map(|(mask, value, sub)| {
            // Mostly values inside the mask, sometimes not.
            let value = if sub { value & mask } else { value };
            Cmp::MaskedEq { mask, value }
        }),
        pattern_strategy().prop_map(Cmp::AnySet),
        bound_strategy().prop_map(Cmp::Lt),
        bound_strategy().prop_map(Cmp::Le),
        bound_strategy().prop_map(Cmp::Gt),
        bound_strategy().prop_map(Cmp::Ge),
        (bound_strategy(), bound_strategy()).prop_map(|(lo, hi)| Cmp::InRange { lo, hi }),
        (bound_strategy(), -2i128..40).prop_map(|(lo, d)| Cmp::InRange {
            lo,
            hi: lo.saturating_add(d)
        }),
    ]
}

/// Writes the argument value `v` into `w` per `shape`, leaving the bits the
/// filter must not look at as they were.
fn put_arg(shape: &ArgShape, w: &mut Words, v: u64) {
    match shape.bits {
        16 => {
            let old = w.get(shape.lo);
            w.set(shape.lo, (old & 0xffff_0000) | (v as u32 & 0xffff));
        }
        32 => w.set(shape.lo, v as u32),
        _ => {
            w.set(shape.lo, v as u32);
            w.set(shape.hi.expect("64-bit"), (v >> 32) as u32);
        }
    }
}

/// Values near whatever `cmp` mentions.
fn probe_values(shape: &ArgShape, cmp: &Cmp) -> Vec<u64> {
    let mut out = vec![0, 1, u64::MAX, 0x7fff, 0x8000, 0x7fff_ffff, 0x8000_0000];
    out.push(1 << 63);
    out.push((1 << 63) - 1);
    let mut add_bound = |b: i128| {
        for d in -2i128..=2 {
            let x = b.saturating_add(d);
            // The pattern of x in the type, where it has one.
            out.push(x as u64);
            if shape.signed {
                out.push((x as i64 as u64) & shape.value_mask());
            }
        }
    };
    match *cmp {
        Cmp::Eq(p) | Cmp::Ne(p) | Cmp::AnySet(p) => {
            add_bound(i128::from(p));
            add_bound(shape.interpret(p));
            out.push(p ^ 1);
            out.push(p ^ (1 << 31));
            out.push(p ^ (1 << 32));
        }
        Cmp::MaskedEq { mask, value } => {
            out.extend([value, value | !mask, value ^ 1, mask, value ^ (1 << 15)]);
        }
        Cmp::Lt(b) | Cmp::Le(b) | Cmp::Gt(b) | Cmp::Ge(b) => add_bound(b),
        Cmp::InRange { lo, hi } => {
            add_bound(lo);
            add_bound(hi);
        }
    }
    out
}

/// The reference: the comparison computed on the argument's value.
fn reference(shape: &ArgShape, cmp: &Cmp, w: &Words) -> bool {
    let t = shape.value_mask();
    let u = arg_value(shape, w);
    let s = arg_value_signed(shape, w);
    assert_eq!(u & !t, 0);
    match *cmp {
        Cmp::Eq(p) => u == p & t,
        Cmp::Ne(p) => u != p & t,
        Cmp::MaskedEq { mask, value } => (u & mask) & t == value & t,
        Cmp::AnySet(m) => u & m != 0,
        Cmp::Lt(b) => s < b,
        Cmp::Le(b) => s <= b,
        Cmp::Gt(b) => s > b,
        Cmp::Ge(b) => s >= b,
        Cmp::InRange { lo, hi } => lo <= s && s <= hi,
    }
}

fn words_strategy() -> impl Strategy<Value = Words> {
    let word = prop_oneof![
        3 => any::<u32>(),
        1 => proptest::sample::select(boundary::GENERIC_VALUES.to_vec()),
    ];
    proptest::array::uniform6(proptest::array::uniform2(word)).prop_map(Words)
}

/// Garbage for the upper halves of narrow arguments: random, zero, or the
/// sign extension of the lower half.
#[derive(Clone, Copy, Debug)]
enum Garbage {
    Random,
    Zero,
    SignExtend,
}

fn garbage_strategy() -> impl Strategy<Value = Garbage> {
    prop_oneof![
        Just(Garbage::Random),
        Just(Garbage::Zero),
        Just(Garbage::SignExtend)
    ]
}

fn apply_garbage(shape: &ArgShape, w: &mut Words, g: Garbage, noise: u32) {
    if shape.bits == 64 {
        return;
    }
    let hi = Word::hi(shape.lo.slot);
    let lo = w.get(shape.lo);
    let neg = if shape.bits == 16 {
        lo & 0x8000 != 0
    } else {
        lo & 0x8000_0000 != 0
    };
    match g {
        Garbage::Random => w.set(hi, noise),
        Garbage::Zero => w.set(hi, 0),
        Garbage::SignExtend => {
            w.set(hi, if neg { u32::MAX } else { 0 });
            if shape.bits == 16 {
                let ext = if neg { 0xffff_0000 } else { 0 };
                w.set(shape.lo, (lo & 0xffff) | ext);
            }
        }
    }
}

fn check_lowering(shape: &ArgShape, cmp: &Cmp, p: &Pred, w: &Words) -> Result<(), TestCaseError> {
    let want = reference(shape, cmp, w);
    prop_assert_eq!(
        cmp.holds(shape, arg_value(shape, w)),
        want,
        "Cmp::holds disagrees with the reference"
    );
    prop_assert_eq!(
        p.eval(w),
        want,
        "{:?} on {:?}: value {:#x} ({}), lowered {:?}",
        cmp,
        shape,
        arg_value(shape, w),
        arg_value_signed(shape, w),
        p
    );
    Ok(())
}

fn pred_atoms(p: &Pred, out: &mut Vec<Atom>) {
    match p {
        Pred::True | Pred::False => {}
        Pred::Atom(a) => out.push(*a),
        Pred::Not(q) => pred_atoms(q, out),
        Pred::And(qs) | Pred::Or(qs) => qs.iter().for_each(|q| pred_atoms(q, out)),
    }
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn lowering_matches_reference_on_random_words(
        shape in shape_strategy(),
        cmp in cmp_strategy(),
        ws in proptest::collection::vec((words_strategy(), garbage_strategy()), 8),
    ) {
        let p = lower(&shape, &cmp);
        for (mut w, g) in ws {
            let noise = w.get(Word::hi(shape.lo.slot));
            apply_garbage(&shape, &mut w, g, noise);
            check_lowering(&shape, &cmp, &p, &w)?;
        }
    }

    #[test]
    fn lowering_matches_reference_at_boundaries(
        shape in shape_strategy(),
        cmp in cmp_strategy(),
        base in words_strategy(),
        g in garbage_strategy(),
        noise in any::<u32>(),
    ) {
        let p = lower(&shape, &cmp);
        let mut dd = Dd::new();
        let n = dd.from_pred(&p);
        let pruned = dd.prune(n);
        for v in probe_values(&shape, &cmp) {
            let mut w = base;
            put_arg(&shape, &mut w, v);
            apply_garbage(&shape, &mut w, g, noise);
            check_lowering(&shape, &cmp, &p, &w)?;
            let want = reference(&shape, &cmp, &w);
            prop_assert_eq!(dd.eval_bool(n, &w), want);
            prop_assert_eq!(dd.eval_bool(pruned, &w), want);
        }
    }

    /// Narrow arguments: the upper register half (and for 16 bits the upper
    /// half of the low word) never matters, and no atom reaches there.
    #[test]
    fn lowering_ignores_what_the_kernel_does_not_guarantee(
        shape in shape_strategy(),
        cmp in cmp_strategy(),
        w in words_strategy(),
        noise1 in any::<u32>(),
        noise2 in any::<u32>(),
    ) {
        let p = lower(&shape, &cmp);
        let mut atoms = Vec::new();
        pred_atoms(&p, &mut atoms);
        for a in &atoms {
            prop_assert!(a.is_normal());
            prop_assert!(a.word == shape.lo || Some(a.word) == shape.hi, "{:?} reads {:?}", shape, a);
            if shape.bits == 16 {
                prop_assert_eq!(a.mask & 0xffff_0000, 0, "16-bit atom {:?}", a);
            }
        }
        if shape.bits < 64 {
            let mut w2 = w;
            w2.set(Word::hi(shape.lo.slot), noise1);
            if shape.bits == 16 {
                w2.set(shape.lo, (w.get(shape.lo) & 0xffff) | (noise2 << 16));
            }
            prop_assert_eq!(p.eval(&w), p.eval(&w2));
        }
    }

}

proptest! {
    #![proptest_config(config(100))]

    /// Exhaustive over the value space for 16-bit arguments: every pattern.
    #[test]
    fn lowering_16_bit_exhaustive(signed in any::<bool>(), cmp in cmp_strategy(), hi_junk in any::<u32>()) {
        let shape = ArgShape::narrow(16, signed, 3);
        let p = lower(&shape, &cmp);
        let mut dd = Dd::new();
        let n = dd.from_pred(&p);
        for v in 0u32..0x1_0000 {
            let mut w = Words::default();
            w.set(shape.lo, v | (hi_junk << 16));
            w.set(Word::hi(3), hi_junk);
            let want = reference(&shape, &cmp, &w);
            prop_assert_eq!(p.eval(&w), want, "{:?} at {:#x}", cmp, v);
            prop_assert_eq!(dd.eval_bool(n, &w), want);
        }
    }
}

#[test]
fn lowering_examples() {
    let fd = ArgShape::narrow(32, true, 0);
    let size = ArgShape::wide(false, 2);
    let off = ArgShape::split(true, 3, 4);
    let mode = ArgShape::narrow(16, false, 1);
    let w = |a: [u64; 6]| Words::from_args(&a);

    // `fd == -1` matches 0xffffffff in the low word, whatever the high word.
    let p = lower(&fd, &Cmp::Eq(u64::MAX));
    assert!(p.eval(&w([0xffff_ffff, 0, 0, 0, 0, 0])));
    assert!(p.eval(&w([0x1234_5678_ffff_ffff, 0, 0, 0, 0, 0])));
    assert!(!p.eval(&w([0xffff_fffe, 0, 0, 0, 0, 0])));
    // `pid > 0` is false for -1 on a signed type.
    let p = lower(&fd, &Cmp::Gt(0));
    assert!(!p.eval(&w([0xffff_ffff, 0, 0, 0, 0, 0])));
    assert!(p.eval(&w([0xffff_ffff_0000_0001, 0, 0, 0, 0, 0])));
    // `fd <= 2` is false for 0xffffffff on an unsigned type.
    let p = lower(&ArgShape::narrow(32, false, 0), &Cmp::Le(2));
    assert!(!p.eval(&w([0xffff_ffff, 0, 0, 0, 0, 0])));
    assert!(p.eval(&w([0xffff_ffff_0000_0002, 0, 0, 0, 0, 0])));
    // A 64-bit unsigned range crosses the word boundary.
    let p = lower(
        &size,
        &Cmp::InRange {
            lo: 0xffff_fff0,
            hi: 0x1_0000_0010,
        },
    );
    for (v, want) in [
        (0xffff_ffefu64, false),
        (0xffff_fff0, true),
        (0xffff_ffff, true),
        (0x1_0000_0000, true),
        (0x1_0000_0010, true),
        (0x1_0000_0011, false),
        (0x2_ffff_fff0, false),
    ] {
        assert_eq!(p.eval(&w([0, 0, v, 0, 0, 0])), want, "{v:#x}");
    }
    // A signed 64-bit value over two slots (lo in 3, hi in 4).
    let p = lower(&off, &Cmp::Lt(0));
    assert!(p.eval(&w([0, 0, 0, 0, 0x8000_0000, 0])));
    assert!(!p.eval(&w([0, 0, 0, 0xffff_ffff, 0x7fff_ffff, 0])));
    assert!(!p.eval(&w([0, 0, 0, 0, 0xffff_ffff_0000_0000, 0])));
    // 16-bit: only the low 16 bits count.
    let p = lower(&mode, &Cmp::Le(0o777));
    assert!(p.eval(&w([0, 0xffff_0000 | 0o755, 0, 0, 0, 0])));
    assert!(!p.eval(&w([0, 0o1000, 0, 0, 0, 0])));
    // Out-of-range bounds fold to constants.
    assert_eq!(lower(&mode, &Cmp::Lt(0)), Pred::False);
    assert_eq!(lower(&mode, &Cmp::Ge(-5)), Pred::True);
    assert_eq!(lower(&fd, &Cmp::Le(1 << 40)), Pred::True);
    assert_eq!(lower(&fd, &Cmp::InRange { lo: 5, hi: 4 }), Pred::False);
    // Signed `x < 0` on 32 bits is one sign-bit test.
    assert_eq!(
        lower(&fd, &Cmp::Lt(0)),
        Pred::Atom(Atom::eq(Word::lo(0), 0x8000_0000, 0x8000_0000))
    );
    // Masked equality with value bits outside the mask never holds.
    assert_eq!(
        lower(
            &fd,
            &Cmp::MaskedEq {
                mask: 0xf0,
                value: 0x1
            }
        ),
        Pred::False
    );
}

// ---------------------------------------------------------------------------
// Decision diagrams

/// Words used by the diagram tests.
const DW: [Word; 3] = [Word::lo(0), Word::hi(0), Word::lo(1)];

fn atom_strategy(words: &'static [Word]) -> impl Strategy<Value = Atom> {
    let masks: Vec<u32> = vec![
        u32::MAX,
        u32::MAX,
        0xffff,
        0xf,
        0x3,
        0x8,
        0x1,
        0xf0,
        0x8000_0000,
        0xff00_ff00,
    ];
    let ks: Vec<u32> = vec![
        0,
        1,
        2,
        3,
        5,
        8,
        10,
        15,
        0x7fff_ffff,
        0x8000_0000,
        u32::MAX,
        0x10,
    ];
    (
        proptest::sample::select(words.to_vec()),
        prop_oneof![3 => proptest::sample::select(masks), 1 => any::<u32>()],
        any::<bool>(),
        prop_oneof![3 => proptest::sample::select(ks), 1 => any::<u32>(), 2 => 0u32..20],
        any::<bool>(),
    )
        .prop_map(|(word, mask, ge, k, inside)| {
            let k = if inside { k & mask } else { k };
            if ge {
                Atom::ge(word, mask, k)
            } else {
                Atom::eq(word, mask, k)
            }
        })
}

/// Atoms whose truth depends only on `x & 0xf` and on whether `x >= 16`,
/// so words over 0..32 cover every case.
fn small_atom_strategy(words: &'static [Word]) -> impl Strategy<Value = Atom> {
    (
        proptest::sample::select(words.to_vec()),
        prop_oneof![1 => Just(u32::MAX), 3 => 0u32..16],
        any::<bool>(),
        0u32..16,
    )
        .prop_map(|(word, mask, ge, k)| {
            if ge {
                Atom::ge(word, mask, k)
            } else {
                Atom::eq(word, mask, k)
            }
        })
}

/// Atoms that only see `x & 0xf`.
fn tiny_atom_strategy(words: &'static [Word]) -> impl Strategy<Value = Atom> {
    (
        proptest::sample::select(words.to_vec()),
        0u32..16,
        any::<bool>(),
        0u32..16,
    )
        .prop_map(|(word, mask, ge, k)| {
            if ge {
                Atom::ge(word, mask, k)
            } else {
                Atom::eq(word, mask, k)
            }
        })
}

fn pred_strategy(atom: BoxedStrategy<Atom>) -> impl Strategy<Value = Pred> {
    let leaf = prop_oneof![
        1 => Just(Pred::True),
        1 => Just(Pred::False),
        12 => atom.prop_map(Pred::Atom),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|p| Pred::Not(Box::new(p))),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Pred::And),
            proptest::collection::vec(inner, 0..4).prop_map(Pred::Or),
        ]
    })
}

/// A multi-terminal diagram: `if p0 { 0 } else if p1 { 1 } ... else { n }`.
fn chain(dd: &mut Dd, ps: &[Pred]) -> NodeId {
    let mut acc = dd.leaf(ps.len() as u32);
    for (i, p) in ps.iter().enumerate().rev() {
        let c = dd.from_pred(p);
        let l = dd.leaf(i as u32);
        acc = dd.ite(c, l, acc);
    }
    acc
}

fn chain_eval(ps: &[Pred], w: &Words) -> u32 {
    ps.iter().position(|p| p.eval(w)).unwrap_or(ps.len()) as u32
}

fn all_small_words(words: &[Word], range: u32) -> Vec<Words> {
    let mut out = vec![Words::default()];
    for &word in words {
        let mut next = Vec::new();
        for w in &out {
            for v in 0..range {
                let mut x = *w;
                x.set(word, v);
                next.push(x);
            }
        }
        out = next;
    }
    out
}

/// Checks `n` against brute force over `domain` (which must cover every
/// behaviour of the atoms involved).
fn check_searches_exact(dd: &mut Dd, n: NodeId, domain: &[Words]) -> Result<(), TestCaseError> {
    let mut truth: Vec<u32> = domain.iter().map(|w| dd.eval(n, w)).collect();
    truth.sort_unstable();
    truth.dedup();
    prop_assert_eq!(&dd.reachable_leaves(n), &truth);
    for leaf in dd.structural_leaves(n) {
        match dd.witness(n, leaf) {
            Witness::Found(w) => {
                prop_assert_eq!(dd.eval(n, &w), leaf);
                prop_assert!(truth.contains(&leaf));
            }
            Witness::Infeasible => {
                prop_assert!(!truth.contains(&leaf), "leaf {} is reachable", leaf)
            }
            Witness::Unknown => prop_assert!(false, "budget ran out on a tiny diagram"),
        }
    }
    let p = dd.prune(n);
    prop_assert_eq!(
        dd.structural_leaves(p),
        truth.clone(),
        "pruned diagram keeps dead leaves"
    );
    for w in domain {
        prop_assert_eq!(dd.eval(p, w), dd.eval(n, w));
    }
    // Every path of a pruned diagram is feasible and takes a leaf.
    prop_assert_eq!(dd.reachable_leaves(p), dd.structural_leaves(p));
    prop_assert_eq!(dd.prune(p), p, "prune is idempotent");
    Ok(())
}

/// Enumerates every root-to-leaf path of `n` and checks, by brute force
/// over `domain`, that each path of a pruned diagram is taken by some input
/// and that no test on it is decided by the tests above.
fn check_paths_tight(dd: &Dd, n: NodeId, domain: &[Words]) -> Result<(), TestCaseError> {
    fn walk(
        dd: &Dd,
        n: NodeId,
        path: &mut Vec<(Atom, bool)>,
        domain: &[Words],
    ) -> Result<(), TestCaseError> {
        let on_path: Vec<&Words> = domain
            .iter()
            .filter(|w| path.iter().all(|(a, b)| a.eval(w) == *b))
            .collect();
        prop_assert!(!on_path.is_empty(), "infeasible path {:?}", path);
        if let NodeView::Test { atom, hi, lo } = dd.node(n) {
            prop_assert!(
                on_path.iter().any(|w| atom.eval(w)),
                "{:?} false under {:?}",
                atom,
                path
            );
            prop_assert!(
                on_path.iter().any(|w| !atom.eval(w)),
                "{:?} true under {:?}",
                atom,
                path
            );
            path.push((atom, true));
            walk(dd, hi, path, domain)?;
            path.pop();
            path.push((atom, false));
            walk(dd, lo, path, domain)?;
            path.pop();
        }
        Ok(())
    }
    walk(dd, n, &mut Vec::new(), domain)
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn from_pred_evaluates_like_pred(
        p in pred_strategy(atom_strategy(&DW).boxed()),
        ws in proptest::collection::vec(words_strategy(), 16),
    ) {
        let mut dd = Dd::new();
        let n = dd.from_pred(&p);
        let mut probes = ws;
        probes.extend(dd.test_vectors(n));
        for w in &probes {
            prop_assert_eq!(dd.eval_bool(n, w), p.eval(w));
        }
        let pr = dd.prune(n);
        for w in &probes {
            prop_assert_eq!(dd.eval_bool(pr, w), p.eval(w));
        }
        // Every leaf a probe reaches is reachable, and has a witness.
        let reach = dd.reachable_leaves(n);
        for w in &probes {
            prop_assert!(reach.contains(&dd.eval(n, w)));
        }
        for leaf in dd.structural_leaves(n) {
            match dd.witness(n, leaf) {
                Witness::Found(w) => prop_assert_eq!(dd.eval(n, &w), leaf),
                Witness::Infeasible => prop_assert!(!reach.contains(&leaf)),
                Witness::Unknown => prop_assert!(false, "budget ran out"),
            }
        }
    }

    #[test]
    fn boolean_laws(
        a in pred_strategy(atom_strategy(&DW).boxed()),
        b in pred_strategy(atom_strategy(&DW).boxed()),
        c in pred_strategy(atom_strategy(&DW).boxed()),
        ws in proptest::collection::vec(words_strategy(), 16),
    ) {
        let mut dd = Dd::new();
        let (x, y, z) = (dd.from_pred(&a), dd.from_pred(&b), dd.from_pred(&c));
        let (t, f) = (dd.tt(), dd.ff());
        // Canonical: equal functions of the atoms are the same node.
        let nx = dd.not(x);
        prop_assert_eq!(dd.not(nx), x);
        prop_assert_eq!(dd.and(x, y), dd.and(y, x));
        prop_assert_eq!(dd.or(x, y), dd.or(y, x));
        let ny = dd.not(y);
        let and_xy = dd.and(x, y);
        let lhs = dd.not(and_xy);
        let rhs = dd.or(nx, ny);
        prop_assert_eq!(lhs, rhs, "De Morgan");
        let yz = dd.and(y, z);
        let xy = dd.and(x, y);
        prop_assert_eq!(dd.and(x, yz), dd.and(xy, z));
        prop_assert_eq!(dd.and(x, nx), f);
        prop_assert_eq!(dd.or(x, nx), t);
        prop_assert_eq!(dd.ite(x, t, f), x);
        prop_assert_eq!(dd.ite(x, y, y), y);
        let i = dd.ite(x, y, z);
        let xy = dd.and(x, y);
        let nxz = dd.and(nx, z);
        prop_assert_eq!(i, dd.or(xy, nxz));
        let ap = Pred::all([a.clone(), b.clone()]);
        prop_assert_eq!(dd.from_pred(&ap), dd.and(x, y));
        let op = Pred::any([a.clone(), !b.clone()]);
        prop_assert_eq!(dd.from_pred(&op), dd.or(x, ny));
        for w in &ws {
            prop_assert_eq!(dd.eval_bool(i, w), if a.eval(w) { b.eval(w) } else { c.eval(w) });
        }
    }

    #[test]
    fn multi_terminal_ite(
        ps in proptest::collection::vec(pred_strategy(atom_strategy(&DW).boxed()), 1..5),
        ws in proptest::collection::vec(words_strategy(), 16),
    ) {
        let mut dd = Dd::new();
        let n = chain(&mut dd, &ps);
        let pr = dd.prune(n);
        let mut probes = ws;
        probes.extend(dd.test_vectors(n));
        for w in &probes {
            prop_assert_eq!(dd.eval(n, w), chain_eval(&ps, w));
            prop_assert_eq!(dd.eval(pr, w), chain_eval(&ps, w));
        }
        for leaf in dd.structural_leaves(n) {
            if let Witness::Found(w) = dd.witness(n, leaf) {
                prop_assert_eq!(dd.eval(n, &w), leaf);
                prop_assert_eq!(chain_eval(&ps, &w), leaf);
            }
        }
        prop_assert_eq!(dd.reachable_leaves(n), dd.reachable_leaves(pr));
    }

    /// On atoms that only see `x & 0xf` and `x >= 16`, words in 0..32 are
    /// every case there is: searches must agree with brute force exactly.
    #[test]
    fn searches_agree_with_brute_force(
        ps in proptest::collection::vec(pred_strategy(small_atom_strategy(&DW[..2]).boxed()), 1..5),
    ) {
        let mut dd = Dd::new();
        let n = chain(&mut dd, &ps);
        let domain = all_small_words(&DW[..2], 32);
        check_searches_exact(&mut dd, n, &domain)?;
        let p = dd.prune(n);
        check_paths_tight(&dd, p, &domain)?;
    }

    /// One word only, so paths pile many literals onto it.
    #[test]
    fn searches_agree_with_brute_force_one_word(
        ps in proptest::collection::vec(pred_strategy(small_atom_strategy(&DW[..1]).boxed()), 1..7),
    ) {
        let mut dd = Dd::new();
        let n = chain(&mut dd, &ps);
        let domain = all_small_words(&DW[..1], 32);
        check_searches_exact(&mut dd, n, &domain)?;
        let p = dd.prune(n);
        check_paths_tight(&dd, p, &domain)?;
    }

    /// Three words, masks inside 0xf only: words in 0..16 are exhaustive.
    #[test]
    fn searches_agree_with_brute_force_three_words(
        ps in proptest::collection::vec(pred_strategy(tiny_atom_strategy(&DW).boxed()), 1..4),
    ) {
        let mut dd = Dd::new();
        let n = chain(&mut dd, &ps);
        let domain = all_small_words(&DW, 16);
        check_searches_exact(&mut dd, n, &domain)?;
    }
}

#[test]
fn prune_removes_implied_tests() {
    let w = Word::lo(0);
    let mut dd = Dd::new();
    let ge = |k| Pred::word_ge(w, u32::MAX, k);
    let odd = Pred::word_eq(w, 1, 1);
    // Under w == 12, the later test w >= 5 is known true.
    let p = Pred::all([Pred::word_eq(w, u32::MAX, 12), ge(5)]);
    let n = dd.from_pred(&p);
    assert_eq!(dd.size(n), 4);
    let want = dd.atom(Atom::eq(w, u32::MAX, 12));
    assert_eq!(dd.prune(n), want);
    // Under !(w >= 5), the later test w >= 10 is known false, so the
    // second disjunct is dead.
    let p = Pred::any([Pred::all([odd.clone(), ge(5)]), Pred::all([!ge(5), ge(10)])]);
    let n = dd.from_pred(&p);
    let want = dd.from_pred(&Pred::all([odd, ge(5)]));
    assert_ne!(n, want);
    assert_eq!(dd.prune(n), want);
    assert_eq!(dd.reachable_leaves(n), vec![Dd::FALSE, Dd::TRUE]);
    // Pruning is not semantic minimisation: a test whose branches agree
    // only on the feasible inputs stays (w == 12 is redundant here).
    let p = Pred::any([ge(10), Pred::all([!ge(10), Pred::word_eq(w, u32::MAX, 12)])]);
    let n = dd.from_pred(&p);
    let pr = dd.prune(n);
    let t = dd.tt();
    let g10 = dd.atom(Atom::ge(w, u32::MAX, 10));
    assert_eq!(
        dd.node(pr),
        NodeView::Test {
            atom: Atom::eq(w, u32::MAX, 12),
            hi: t,
            lo: g10
        }
    );

    // An impossible conjunction has no witness for true.
    let q = Pred::all([
        Pred::word_eq(w, 0xf, 3),
        Pred::word_ge(w, u32::MAX, 0xfffffff4),
    ]);
    let q = Pred::all([q, !Pred::word_eq(w, u32::MAX, 0xffff_fff3)]);
    let n = dd.from_pred(&q);
    assert_eq!(dd.witness(n, Dd::TRUE), Witness::Infeasible);
    assert_eq!(dd.reachable_leaves(n), vec![Dd::FALSE]);
    let f = dd.ff();
    assert_eq!(dd.prune(n), f);
}

#[test]
fn witness_spans_words_of_a_64_bit_range() {
    let shape = ArgShape::wide(true, 2);
    let mut dd = Dd::new();
    let p = lower(
        &shape,
        &Cmp::InRange {
            lo: -5,
            hi: 0x1_0000_0003,
        },
    );
    let np = Pred::all([
        p,
        lower(&shape, &Cmp::Ne(0)),
        lower(&shape, &Cmp::Ge(0x1_0000_0003)),
    ]);
    let n = dd.from_pred(&np);
    match dd.witness(n, Dd::TRUE) {
        Witness::Found(w) => assert_eq!(arg_value(&shape, &w), 0x1_0000_0003),
        other => panic!("{other:?}"),
    }
    let none = Pred::all([np, lower(&shape, &Cmp::Ne(0x1_0000_0003))]);
    let n = dd.from_pred(&none);
    assert_eq!(dd.witness(n, Dd::TRUE), Witness::Infeasible);
}

#[test]
fn budget_exhaustion_is_reported_not_guessed() {
    let w = Word::lo(0);
    let mut dd = Dd::new();
    // x in [100, 104) but none of its points: needs a real search.
    let mut parts = vec![
        Pred::word_ge(w, u32::MAX, 100),
        !Pred::word_ge(w, u32::MAX, 104),
    ];
    parts.extend((100..104).map(|v| !Pred::word_eq(w, u32::MAX, v)));
    let n = dd.from_pred(&Pred::all(parts));
    assert_eq!(dd.witness(n, Dd::TRUE), Witness::Infeasible);
    dd.set_budget(Budget {
        solver: 2,
        search: 1 << 20,
    });
    assert_eq!(dd.witness(n, Dd::TRUE), Witness::Unknown);
    // Undecided paths count as reachable, and prune keeps them.
    assert!(dd.reachable_leaves(n).contains(&Dd::TRUE));
    let pr = dd.prune(n);
    for v in [99, 100, 103, 104, 0xffff_ffff] {
        let ws = Words::from_args(&[v, 0, 0, 0, 0, 0]);
        assert_eq!(dd.eval(pr, &ws), dd.eval(n, &ws));
    }
    dd.set_budget(Budget::default());
    assert_eq!(dd.prune(n), dd.ff());
}

#[test]
fn boundaries_include_edges() {
    let w = Word::lo(1);
    let mut dd = Dd::new();
    let n = dd.from_pred(&Pred::word_ge(w, u32::MAX, 1000));
    let b = dd.boundary_values(n);
    for v in [999, 1000, 1001, 0, u32::MAX, 0x8000_0000] {
        assert!(b.get(w).contains(&v), "{v}");
    }
    let vs = dd.test_vectors(n);
    assert!(vs.iter().any(|x| dd.eval(n, x) == Dd::TRUE));
    assert!(vs.iter().any(|x| dd.eval(n, x) == Dd::FALSE));
}

// ---------------------------------------------------------------------------
// The word solver

fn word_lit_strategy() -> impl Strategy<Value = WordLit> {
    (
        prop_oneof![1 => Just(u32::MAX), 3 => 0u32..0x100],
        any::<bool>(),
        0u32..0x100,
        any::<bool>(),
    )
        .prop_map(|(mask, ge, k, positive)| WordLit {
            mask,
            op: if ge { Op::Ge } else { Op::Eq },
            k,
            positive,
        })
}

fn any_word_lit_strategy() -> impl Strategy<Value = WordLit> {
    let mask = prop_oneof![
        Just(u32::MAX),
        Just(0xffff),
        Just(0x8000_0000),
        any::<u32>(),
        (0u32..32).prop_map(|b| 1 << b),
    ];
    (
        mask,
        any::<bool>(),
        any::<u32>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(mask, ge, k, inside, positive)| WordLit {
            mask,
            op: if ge { Op::Ge } else { Op::Eq },
            k: if inside { k & mask } else { k },
            positive,
        })
}

proptest! {
    #![proptest_config(config(3000))]

    /// With masks inside 0xff (or full) and k < 0x100, x in 0..0x200 covers
    /// every behaviour, so the least solution is checkable by brute force.
    #[test]
    fn solver_least_solution_matches_brute_force(lits in proptest::collection::vec(word_lit_strategy(), 0..8)) {
        let want = (0u32..0x200).find(|&x| lits.iter().all(|l| l.holds(x)));
        let got = solve_word(&lits, DEFAULT_SOLVER_BUDGET);
        match want {
            Some(x) => prop_assert_eq!(got, Solve::Sat(x)),
            None => prop_assert_eq!(got, Solve::Unsat),
        }
    }

    /// Literals chosen to hold at a hidden `x0`: the solver must find a
    /// solution no greater than it.
    #[test]
    fn solver_finds_planted_solutions(
        x0 in any::<u32>(),
        raw in proptest::collection::vec(any_word_lit_strategy(), 0..12),
    ) {
        let lits: Vec<WordLit> = raw
            .into_iter()
            .map(|l| WordLit { positive: (WordLit { positive: true, ..l }).holds(x0), ..l })
            .collect();
        match solve_word(&lits, DEFAULT_SOLVER_BUDGET) {
            Solve::Sat(x) => {
                prop_assert!(x <= x0);
                prop_assert!(lits.iter().all(|l| l.holds(x)));
                // Least: nothing just below satisfies.
                if x > 0 {
                    let y = x - 1;
                    prop_assert!(!lits.iter().all(|l| l.holds(y)));
                }
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn solver_sat_answers_hold(lits in proptest::collection::vec(any_word_lit_strategy(), 0..10), probe in any::<u32>()) {
        match solve_word(&lits, DEFAULT_SOLVER_BUDGET) {
            Solve::Sat(x) => {
                prop_assert!(lits.iter().all(|l| l.holds(x)));
                if probe < x {
                    prop_assert!(!lits.iter().all(|l| l.holds(probe)));
                }
            }
            Solve::Unsat => prop_assert!(!lits.iter().all(|l| l.holds(probe))),
            Solve::Unknown => prop_assert!(false, "budget ran out"),
        }
    }
}

#[test]
fn long_membership_lists_stay_cheap() {
    // `request in [...]` with many values next to another argument: the
    // shape of a large ioctl allow list.
    let req = ArgShape::narrow(32, false, 1);
    let fd = ArgShape::narrow(32, true, 0);
    let vals: Vec<u64> = (0..1000u64).map(|i| 0x5400 + 3 * i).collect();
    let member = Pred::any(vals.iter().map(|&v| lower(&req, &Cmp::Eq(v))));
    let p = Pred::all([lower(&fd, &Cmp::Ge(0)), member.clone()]);
    let t0 = std::time::Instant::now();
    let mut dd = Dd::new();
    let n = dd.from_pred(&p);
    let m = dd.from_pred(&member);
    let not_m = dd.not(m);
    let t1 = t0.elapsed();
    // if member { fd >= 0 && member } else { !member }: the retests are
    // implied on every path.
    let both = dd.ite(m, n, not_m);
    let pr = dd.prune(both);
    let t2 = t0.elapsed();
    let fd0 = dd.from_pred(&lower(&fd, &Cmp::Ge(0)));
    let t = dd.tt();
    let want = dd.ite(m, fd0, t);
    assert_eq!(pr, want);
    assert_eq!(dd.reachable_leaves(both), vec![Dd::FALSE, Dd::TRUE]);
    let t3 = t0.elapsed();
    let Witness::Found(w) = dd.witness(n, Dd::TRUE) else {
        panic!("no witness")
    };
    assert_eq!(dd.eval(n, &w), Dd::TRUE);
    let Witness::Found(w) = dd.witness(pr, Dd::FALSE) else {
        panic!("no witness")
    };
    assert_eq!(dd.eval(pr, &w), Dd::FALSE);
    let t4 = t0.elapsed();
    eprintln!(
        "1000-value list: built {t1:?}, pruned {t2:?}, reach {t3:?}, witnesses {t4:?}; {} nodes",
        dd.size(pr)
    );
    // Generous: about 0.1 s in a debug build. Quadratic folding or
    // memo keys took seconds.
    assert!(t4 < std::time::Duration::from_secs(5), "{t4:?}");
}
