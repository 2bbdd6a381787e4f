//! Predicates over atoms and hash-consed multi-terminal decision diagrams.
//!
//! A [`Dd`] is an arena of nodes. A node is a leaf carrying a caller-chosen
//! `u32`, or a test of a normal [`Atom`] with a `hi` child (atom true) and
//! a `lo` child (atom false). Diagrams are *ordered*: along every path the
//! atoms strictly increase in [`Atom`]'s order (word, mask, op, k), and
//! *reduced*: no test has equal children and no two nodes are equal. Boolean
//! diagrams are the ones whose leaves are [`Dd::TRUE`] and [`Dd::FALSE`].
//!
//! Because atoms on one word are correlated (`w >= 10` implies `w >= 5`), a
//! reduced ordered diagram can still hold infeasible paths and tests whose
//! outcome a path already implies. [`Dd::prune`], [`Dd::reachable_leaves`]
//! and [`Dd::witness`] see through that with the exact word theory of
//! [`super::solve`].

use super::fxhash::{FxMap, FxSet};
use super::solve::{self, Solve, WordLit};
use super::{Atom, Lit, Op, Word, Words};

/// A boolean expression over atoms. Atoms need not be normal; [`Pred`]'s
/// smart constructors ([`Pred::atom`], [`Pred::all`], [`Pred::any`], `!`)
/// normalise and fold constants, the variants themselves do not.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pred {
    True,
    False,
    Atom(Atom),
    Not(Box<Pred>),
    And(Vec<Pred>),
    Or(Vec<Pred>),
}

impl Pred {
    pub fn eval(&self, w: &Words) -> bool {
        match self {
            Pred::True => true,
            Pred::False => false,
            Pred::Atom(a) => a.eval(w),
            Pred::Not(p) => !p.eval(w),
            Pred::And(ps) => ps.iter().all(|p| p.eval(w)),
            Pred::Or(ps) => ps.iter().any(|p| p.eval(w)),
        }
    }

    pub fn constant(b: bool) -> Pred {
        if b {
            Pred::True
        } else {
            Pred::False
        }
    }

    /// The atom, normalised: a constant, a normal atom, or its negation.
    pub fn atom(a: Atom) -> Pred {
        match a.normalize() {
            Lit::Const(b) => Pred::constant(b),
            Lit::Atom { atom, positive } => {
                if positive {
                    Pred::Atom(atom)
                } else {
                    Pred::Not(Box::new(Pred::Atom(atom)))
                }
            }
        }
    }

    /// `(w & mask) == k`, normalised.
    pub fn word_eq(word: Word, mask: u32, k: u32) -> Pred {
        Pred::atom(Atom::eq(word, mask, k))
    }

    /// `(w & mask) >= k` (unsigned), normalised.
    pub fn word_ge(word: Word, mask: u32, k: u32) -> Pred {
        Pred::atom(Atom::ge(word, mask, k))
    }

    /// Conjunction with constants folded and nested `And`s flattened.
    pub fn all(ps: impl IntoIterator<Item = Pred>) -> Pred {
        let mut out = Vec::new();
        for p in ps {
            match p {
                Pred::True => {}
                Pred::False => return Pred::False,
                Pred::And(qs) => out.extend(qs),
                p => out.push(p),
            }
        }
        match out.len() {
            0 => Pred::True,
            1 => out.pop().unwrap_or(Pred::True),
            _ => Pred::And(out),
        }
    }

    /// Disjunction with constants folded and nested `Or`s flattened.
    pub fn any(ps: impl IntoIterator<Item = Pred>) -> Pred {
        let mut out = Vec::new();
        for p in ps {
            match p {
                Pred::False => {}
                Pred::True => return Pred::True,
                Pred::Or(qs) => out.extend(qs),
                p => out.push(p),
            }
        }
        match out.len() {
            0 => Pred::False,
            1 => out.pop().unwrap_or(Pred::False),
            _ => Pred::Or(out),
        }
    }
}

impl std::ops::Not for Pred {
    type Output = Pred;
    /// Negation with constants and double negations folded.
    fn not(self) -> Pred {
        match self {
            Pred::True => Pred::False,
            Pred::False => Pred::True,
            Pred::Not(p) => *p,
            p => Pred::Not(Box::new(p)),
        }
    }
}

/// A node of a [`Dd`]. Only meaningful with the `Dd` that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

impl NodeId {
    /// Dense index into the arena, for side tables kept by callers.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a node is, for walks over a diagram (codegen, printing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeView {
    Leaf(u32),
    /// `hi` is taken when `atom` holds, `lo` when it does not.
    Test {
        atom: Atom,
        hi: NodeId,
        lo: NodeId,
    },
}

/// The outcome of [`Dd::witness`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Witness {
    /// These words reach the leaf.
    Found(Words),
    /// No input reaches the leaf.
    Infeasible,
    /// The work budget ran out first.
    Unknown,
}

/// Work bounds of the path searches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Bound on one word-theory decision ([`solve::solve_word`]).
    pub solver: u64,
    /// Bound on one whole search (`witness`, `reachable_leaves`, `prune`),
    /// counted in diagram node visits, 64 per solver call and one per
    /// literal checked on the fast paths.
    pub search: u64,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            solver: solve::DEFAULT_SOLVER_BUDGET,
            search: 1 << 24,
        }
    }
}

/// The diagram manager: node arena, unique table and operation caches.
#[derive(Clone, Debug)]
pub struct Dd {
    nodes: Vec<NodeView>,
    /// Bitset of the words tested anywhere below each node.
    support: Vec<u16>,
    unique: FxMap<NodeView, NodeId>,
    ite_cache: FxMap<(NodeId, NodeId, NodeId), NodeId>,
    budget: Budget,
}

impl Default for Dd {
    fn default() -> Dd {
        Dd::new()
    }
}

impl Dd {
    /// Leaf id of boolean false. Callers' leaf ids must stay below it.
    pub const FALSE: u32 = u32::MAX - 1;
    /// Leaf id of boolean true.
    pub const TRUE: u32 = u32::MAX;

    pub fn new() -> Dd {
        let mut dd = Dd {
            nodes: Vec::new(),
            support: Vec::new(),
            unique: FxMap::default(),
            ite_cache: FxMap::default(),
            budget: Budget::default(),
        };
        dd.intern(NodeView::Leaf(Dd::FALSE));
        dd.intern(NodeView::Leaf(Dd::TRUE));
        dd
    }

    pub fn budget(&self) -> Budget {
        self.budget
    }

    pub fn set_budget(&mut self, b: Budget) {
        self.budget = b;
    }

    /// Number of nodes in the arena (all diagrams together).
    pub fn arena_len(&self) -> usize {
        self.nodes.len()
    }

    fn intern(&mut self, v: NodeView) -> NodeId {
        if let Some(&n) = self.unique.get(&v) {
            return n;
        }
        let id = NodeId(u32::try_from(self.nodes.len()).expect("decision diagram too large"));
        let sup = match v {
            NodeView::Leaf(_) => 0,
            NodeView::Test { atom, hi, lo } => {
                (1u16 << atom.word.index()) | self.support[hi.index()] | self.support[lo.index()]
            }
        };
        self.nodes.push(v);
        self.support.push(sup);
        self.unique.insert(v, id);
        id
    }

    /// The leaf with caller id `id` (must not be [`Dd::FALSE`]/[`Dd::TRUE`]
    /// unless a boolean leaf is meant).
    pub fn leaf(&mut self, id: u32) -> NodeId {
        self.intern(NodeView::Leaf(id))
    }

    pub fn tt(&mut self) -> NodeId {
        self.leaf(Dd::TRUE)
    }

    pub fn ff(&mut self) -> NodeId {
        self.leaf(Dd::FALSE)
    }

    /// A test node. `atom` must be normal and smaller than every atom
    /// tested in `hi` and `lo`.
    pub fn mk(&mut self, atom: Atom, hi: NodeId, lo: NodeId) -> NodeId {
        debug_assert!(atom.is_normal(), "{atom:?} is not normal");
        debug_assert!(self.top(hi).is_none_or(|t| atom < t));
        debug_assert!(self.top(lo).is_none_or(|t| atom < t));
        if hi == lo {
            return hi;
        }
        self.intern(NodeView::Test { atom, hi, lo })
    }

    pub fn node(&self, n: NodeId) -> NodeView {
        self.nodes[n.index()]
    }

    fn top(&self, n: NodeId) -> Option<Atom> {
        match self.node(n) {
            NodeView::Leaf(_) => None,
            NodeView::Test { atom, .. } => Some(atom),
        }
    }

    /// The words tested anywhere in `n`.
    pub fn support(&self, n: NodeId) -> Vec<Word> {
        let s = self.support[n.index()];
        Word::all().filter(|w| s & (1 << w.index()) != 0).collect()
    }

    /// The boolean diagram of one atom (normalised first).
    pub fn atom(&mut self, a: Atom) -> NodeId {
        match a.normalize() {
            Lit::Const(true) => self.tt(),
            Lit::Const(false) => self.ff(),
            Lit::Atom { atom, positive } => {
                let (t, f) = (self.tt(), self.ff());
                if positive {
                    self.mk(atom, t, f)
                } else {
                    self.mk(atom, f, t)
                }
            }
        }
    }

    /// The boolean diagram of a predicate.
    pub fn from_pred(&mut self, p: &Pred) -> NodeId {
        match p {
            Pred::True => self.tt(),
            Pred::False => self.ff(),
            Pred::Atom(a) => self.atom(*a),
            Pred::Not(q) => {
                let q = self.from_pred(q);
                self.not(q)
            }
            Pred::And(qs) => {
                let ns: Vec<NodeId> = qs.iter().map(|q| self.from_pred(q)).collect();
                self.reduce(ns, true)
            }
            Pred::Or(qs) => {
                let ns: Vec<NodeId> = qs.iter().map(|q| self.from_pred(q)).collect();
                self.reduce(ns, false)
            }
        }
    }

    /// Conjunction (`and`) or disjunction of many diagrams, combined as a
    /// balanced tree: folding left costs quadratic time on long lists
    /// (`x in [...]` with hundreds of values), pairing costs n log n.
    fn reduce(&mut self, mut ns: Vec<NodeId>, and: bool) -> NodeId {
        if ns.is_empty() {
            return if and { self.tt() } else { self.ff() };
        }
        while ns.len() > 1 {
            let mut next = Vec::with_capacity(ns.len().div_ceil(2));
            for pair in ns.chunks(2) {
                next.push(match *pair {
                    [a, b] if and => self.and(a, b),
                    [a, b] => self.or(a, b),
                    [a] => a,
                    _ => unreachable!(),
                });
            }
            ns = next;
        }
        ns[0]
    }

    pub fn not(&mut self, a: NodeId) -> NodeId {
        let (t, f) = (self.tt(), self.ff());
        self.ite(a, f, t)
    }

    pub fn and(&mut self, a: NodeId, b: NodeId) -> NodeId {
        let f = self.ff();
        self.ite(a, b, f)
    }

    pub fn or(&mut self, a: NodeId, b: NodeId) -> NodeId {
        let t = self.tt();
        self.ite(a, t, b)
    }

    /// If-then-else: `cond` must be boolean; `then` and `els` may have any
    /// leaves. The result evaluates to `then` where `cond` is true and to
    /// `els` elsewhere.
    pub fn ite(&mut self, cond: NodeId, then: NodeId, els: NodeId) -> NodeId {
        match self.node(cond) {
            NodeView::Leaf(Dd::TRUE) => return then,
            NodeView::Leaf(Dd::FALSE) => return els,
            NodeView::Leaf(id) => panic!("ite: condition has non-boolean leaf {id}"),
            NodeView::Test { .. } => {}
        }
        if then == els {
            return then;
        }
        let t = self.tt();
        let f = self.ff();
        if then == t && els == f {
            return cond;
        }
        if let Some(&r) = self.ite_cache.get(&(cond, then, els)) {
            return r;
        }
        let top = [cond, then, els]
            .iter()
            .filter_map(|&n| self.top(n))
            .min()
            .expect("cond is a test");
        let (c1, c0) = self.cofactors(cond, top);
        let (t1, t0) = self.cofactors(then, top);
        let (e1, e0) = self.cofactors(els, top);
        let hi = self.ite(c1, t1, e1);
        let lo = self.ite(c0, t0, e0);
        let r = self.mk(top, hi, lo);
        self.ite_cache.insert((cond, then, els), r);
        r
    }

    fn cofactors(&self, n: NodeId, top: Atom) -> (NodeId, NodeId) {
        match self.node(n) {
            NodeView::Test { atom, hi, lo } if atom == top => (hi, lo),
            _ => (n, n),
        }
    }

    /// The leaf reached by `w`.
    pub fn eval(&self, n: NodeId, w: &Words) -> u32 {
        let mut n = n;
        loop {
            match self.node(n) {
                NodeView::Leaf(id) => return id,
                NodeView::Test { atom, hi, lo } => n = if atom.eval(w) { hi } else { lo },
            }
        }
    }

    /// Evaluates a boolean diagram.
    pub fn eval_bool(&self, n: NodeId, w: &Words) -> bool {
        match self.eval(n, w) {
            Dd::TRUE => true,
            Dd::FALSE => false,
            id => panic!("eval_bool: non-boolean leaf {id}"),
        }
    }

    /// Number of distinct nodes (tests and leaves) in `n`.
    pub fn size(&self, n: NodeId) -> usize {
        let mut seen = FxSet::default();
        let mut stack = vec![n];
        while let Some(m) = stack.pop() {
            if seen.insert(m) {
                if let NodeView::Test { hi, lo, .. } = self.node(m) {
                    stack.push(hi);
                    stack.push(lo);
                }
            }
        }
        seen.len()
    }

    /// Leaves reachable along *any* path, feasible or not, sorted.
    pub fn structural_leaves(&self, n: NodeId) -> Vec<u32> {
        let mut seen = FxSet::default();
        let mut out = Vec::new();
        let mut stack = vec![n];
        while let Some(m) = stack.pop() {
            if seen.insert(m) {
                match self.node(m) {
                    NodeView::Leaf(id) => out.push(id),
                    NodeView::Test { hi, lo, .. } => {
                        stack.push(hi);
                        stack.push(lo);
                    }
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// Leaves that some input reaches, sorted. Exact unless the budget runs
    /// out, in which case undecided paths count as feasible (the answer is
    /// then a superset). Use [`Dd::witness`] where an undecided answer must
    /// be told apart.
    pub fn reachable_leaves(&self, n: NodeId) -> Vec<u32> {
        let mut s = PathSearch::new(self);
        let mut out = FxSet::default();
        let mut seen = FxSet::default();
        s.reach(n, &mut out, &mut seen);
        let mut v: Vec<u32> = out.into_iter().collect();
        v.sort_unstable();
        v
    }

    /// Whether some input reaches `leaf` from `n` (`None`: the search ran
    /// out of budget). Cheaper than [`witness`](Self::witness) when the
    /// words themselves are not needed.
    pub fn reaches(&self, n: NodeId, leaf: u32) -> Option<bool> {
        match self.node(n) {
            NodeView::Leaf(l) => return Some(l == leaf),
            // The root atom is tested under no assumptions, and a normal
            // atom both holds and fails for some word.
            NodeView::Test { hi, lo, .. } => {
                if [hi, lo]
                    .iter()
                    .any(|&c| self.node(c) == NodeView::Leaf(leaf))
                {
                    return Some(true);
                }
            }
        }
        match self.witness(n, leaf) {
            Witness::Found(_) => Some(true),
            Witness::Infeasible => Some(false),
            Witness::Unknown => None,
        }
    }

    /// Concrete words that reach `leaf` from `n`, if any. `Found` words
    /// always evaluate to `leaf`; among the inputs following the first
    /// feasible path (hi before lo), each word is the least value possible.
    pub fn witness(&self, n: NodeId, leaf: u32) -> Witness {
        let mut s = PathSearch::new(self);
        let mut hits = FxMap::default();
        let mut failed = FxSet::default();
        match s.find(n, leaf, &mut hits, &mut failed) {
            Some(w) => {
                debug_assert_eq!(self.eval(n, &w), leaf);
                Witness::Found(w)
            }
            None if s.uncertain => Witness::Unknown,
            None => Witness::Infeasible,
        }
    }

    /// Removes infeasible paths and tests whose outcome the path already
    /// decides (under `w >= 10`, a later `w >= 5` is true), path by path.
    /// The result evaluates like `n` on every input and, within budget,
    /// every path of it is feasible. Where the budget runs out, the rest is
    /// kept as it was (still equivalent, possibly not minimal).
    pub fn prune(&mut self, n: NodeId) -> NodeId {
        let mut memo = FxMap::default();
        let mut ctx = Ctx::new(self.budget);
        self.prune_rec(n, &mut ctx, &mut memo)
    }

    fn prune_rec(
        &mut self,
        n: NodeId,
        ctx: &mut Ctx,
        memo: &mut FxMap<(NodeId, CtxKey), NodeId>,
    ) -> NodeId {
        let NodeView::Test { atom, hi, lo } = self.node(n) else {
            return n;
        };
        if !ctx.spend(1) {
            return n;
        }
        let key = (n, ctx.key(self.support[n.index()]));
        if let Some(&r) = memo.get(&key) {
            return r;
        }
        let hi_r = match ctx.push(atom, true) {
            Feas::Unsat => None,
            _ => {
                let r = self.prune_rec(hi, ctx, memo);
                ctx.pop(atom.word);
                Some(r)
            }
        };
        let lo_r = match ctx.push(atom, false) {
            Feas::Unsat => None,
            _ => {
                let r = self.prune_rec(lo, ctx, memo);
                ctx.pop(atom.word);
                Some(r)
            }
        };
        let r = match (hi_r, lo_r) {
            (Some(h), Some(l)) => self.mk(atom, h, l),
            (Some(h), None) => h,
            (None, Some(l)) => l,
            // Only when the context itself was undecided and is in fact
            // empty: nothing reaches here, anything is right.
            (None, None) => n,
        };
        memo.insert(key, r);
        r
    }

    /// Interesting concrete values of every word for probing `n`: see
    /// [`super::Boundaries`].
    pub fn boundary_values(&self, n: NodeId) -> super::Boundaries {
        super::boundary::boundaries(self, n)
    }

    /// All test atoms in `n` (each once, in order).
    pub fn atoms(&self, n: NodeId) -> Vec<Atom> {
        let mut seen = FxSet::default();
        let mut out = Vec::new();
        let mut stack = vec![n];
        while let Some(m) = stack.pop() {
            if seen.insert(m) {
                if let NodeView::Test { atom, hi, lo } = self.node(m) {
                    out.push(atom);
                    stack.push(hi);
                    stack.push(lo);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Search work charged for one call of the word solver.
const SOLVER_CALL_COST: u64 = 64;

/// Feasibility of a word's literal set after a push.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Feas {
    Sat,
    Unsat,
    Unknown,
}

/// The key under which a context's facts about some words are memoised:
/// per word, the interned id of its literal sequence (0 when the word is
/// not in the node's support or has no literals). Along a path of an
/// ordered diagram a word's literals arrive in atom order, so equal sets
/// are equal sequences and get equal ids.
type CtxKey = [u32; Word::COUNT];

/// The literals asserted along the current path, per word, with a known
/// solution of each word's set (so most pushes need no search).
struct Ctx {
    lits: [Vec<WordLit>; Word::COUNT],
    /// Least solution of each word's literals; `None` if undecided.
    sol: [Option<u32>; Word::COUNT],
    /// Interned id of each word's literal sequence.
    ids: [u32; Word::COUNT],
    /// Literal-sequence trie: (parent id, literal) -> id; 0 is empty.
    trie: FxMap<(u32, WordLit), u32>,
    saved: Vec<(Option<u32>, u32)>,
    budget: Budget,
    spent: u64,
    /// Set when some answer was cut short by the budget.
    uncertain: bool,
}

impl Ctx {
    fn new(budget: Budget) -> Ctx {
        Ctx {
            lits: Default::default(),
            sol: [Some(0); Word::COUNT],
            ids: [0; Word::COUNT],
            trie: FxMap::default(),
            saved: Vec::new(),
            budget,
            spent: 0,
            uncertain: false,
        }
    }

    /// Charges `n` units of search work; false once the budget is gone.
    fn spend(&mut self, n: u64) -> bool {
        self.spent = self.spent.saturating_add(n);
        if self.spent > self.budget.search {
            self.uncertain = true;
            false
        } else {
            true
        }
    }

    /// Asserts `atom == positive` on top of the path. On `Unsat` nothing is
    /// pushed; otherwise the caller must `pop` the word later.
    fn push(&mut self, atom: Atom, positive: bool) -> Feas {
        let w = atom.word.index();
        let lit = WordLit::new(atom, positive);
        let prev = self.sol[w];
        let next = match prev {
            // The least solution so far still satisfies: still least.
            Some(x) if lit.holds(x) => Some(x),
            // `x == k` on the whole word: the only candidate is k.
            _ if positive && atom.op == Op::Eq && atom.mask == u32::MAX => {
                self.spend(self.lits[w].len() as u64);
                if self.lits[w].iter().all(|l| l.holds(atom.k)) {
                    Some(atom.k)
                } else {
                    return Feas::Unsat;
                }
            }
            _ => {
                self.lits[w].push(lit);
                let budget = self
                    .budget
                    .solver
                    .min(self.budget.search.saturating_sub(self.spent));
                let r = solve::solve_word(&self.lits[w], budget);
                self.lits[w].pop();
                self.spend(SOLVER_CALL_COST);
                match r {
                    Solve::Sat(x) => Some(x),
                    Solve::Unsat => return Feas::Unsat,
                    Solve::Unknown => {
                        self.uncertain = true;
                        None
                    }
                }
            }
        };
        self.lits[w].push(lit);
        self.saved.push((prev, self.ids[w]));
        let fresh = u32::try_from(self.trie.len() + 1).expect("too many contexts");
        self.ids[w] = *self.trie.entry((self.ids[w], lit)).or_insert(fresh);
        self.sol[w] = next;
        if next.is_some() {
            Feas::Sat
        } else {
            Feas::Unknown
        }
    }

    fn pop(&mut self, word: Word) {
        let w = word.index();
        self.lits[w].pop();
        let (sol, id) = self.saved.pop().expect("pop without push");
        self.sol[w] = sol;
        self.ids[w] = id;
    }

    /// The facts about the words in `support`.
    fn key(&self, support: u16) -> CtxKey {
        let mut k = [0u32; Word::COUNT];
        for (w, x) in k.iter_mut().enumerate() {
            if support & (1 << w) != 0 {
                *x = self.ids[w];
            }
        }
        k
    }

    fn words(&self) -> Option<Words> {
        let mut a = [0u32; Word::COUNT];
        for (x, s) in a.iter_mut().zip(self.sol.iter()) {
            *x = (*s)?;
        }
        Some(Words::from_array(&a))
    }
}

/// Read-only path searches (witness, reachability).
struct PathSearch<'a> {
    dd: &'a Dd,
    ctx: Ctx,
    uncertain: bool,
}

impl<'a> PathSearch<'a> {
    fn new(dd: &'a Dd) -> PathSearch<'a> {
        PathSearch {
            dd,
            ctx: Ctx::new(dd.budget),
            uncertain: false,
        }
    }

    /// Records every leaf reachable from `n` under the current path.
    fn reach(&mut self, n: NodeId, out: &mut FxSet<u32>, seen: &mut FxSet<(NodeId, CtxKey)>) {
        let view = self.dd.node(n);
        let NodeView::Test { atom, hi, lo } = view else {
            if let NodeView::Leaf(id) = view {
                out.insert(id);
            }
            return;
        };
        if !self.ctx.spend(1) {
            // Out of budget: count everything below as reachable.
            out.extend(self.dd.structural_leaves(n));
            return;
        }
        if !seen.insert((n, self.ctx.key(self.dd.support[n.index()]))) {
            return;
        }
        for (child, positive) in [(hi, true), (lo, false)] {
            if self.ctx.push(atom, positive) != Feas::Unsat {
                self.reach(child, out, seen);
                self.ctx.pop(atom.word);
            }
        }
    }

    /// Depth-first search for words reaching `leaf`. `hits` caches which
    /// nodes can reach `leaf` at all; `failed` holds (node, context) pairs
    /// proven not to reach it.
    fn find(
        &mut self,
        n: NodeId,
        leaf: u32,
        hits: &mut FxMap<NodeId, bool>,
        failed: &mut FxSet<(NodeId, CtxKey)>,
    ) -> Option<Words> {
        if !self.can_hit(n, leaf, hits) {
            return None;
        }
        let NodeView::Test { atom, hi, lo } = self.dd.node(n) else {
            // The leaf itself: every word's set is satisfiable.
            let w = self.ctx.words();
            if w.is_none() {
                self.uncertain = true;
            }
            return w;
        };
        if !self.ctx.spend(1) {
            self.uncertain = true;
            return None;
        }
        let key = (n, self.ctx.key(self.dd.support[n.index()]));
        if failed.contains(&key) {
            return None;
        }
        let before = self.uncertain || self.ctx.uncertain;
        self.uncertain = false;
        self.ctx.uncertain = false;
        for (child, positive) in [(hi, true), (lo, false)] {
            if self.ctx.push(atom, positive) != Feas::Unsat {
                let r = self.find(child, leaf, hits, failed);
                self.ctx.pop(atom.word);
                if r.is_some() {
                    return r;
                }
            }
        }
        let unsure = self.uncertain || self.ctx.uncertain;
        if !unsure {
            failed.insert(key);
        }
        self.uncertain = before || unsure;
        None
    }

    fn can_hit(&self, n: NodeId, leaf: u32, hits: &mut FxMap<NodeId, bool>) -> bool {
        if let Some(&b) = hits.get(&n) {
            return b;
        }
        let b = match self.dd.node(n) {
            NodeView::Leaf(id) => id == leaf,
            NodeView::Test { hi, lo, .. } => {
                self.can_hit(hi, leaf, hits) || self.can_hit(lo, leaf, hits)
            }
        };
        hits.insert(n, b);
        b
    }
}

#[cfg(test)]
mod ctx_tests {
    use super::*;
    use proptest::prelude::*;

    fn lit() -> impl Strategy<Value = (Atom, bool)> {
        (
            prop_oneof![Just(u32::MAX), 0u32..16],
            any::<bool>(),
            0u32..16,
            any::<bool>(),
        )
            .prop_map(|(mask, ge, k, positive)| {
                let w = Word::lo(2);
                let a = if ge {
                    Atom::ge(w, mask, k)
                } else {
                    Atom::eq(w, mask, k)
                };
                (a, positive)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Every push agrees with brute force over 0..32 (exhaustive for
        /// these atoms), keeps the least solution, and pop restores.
        #[test]
        fn pushes_agree_with_brute_force(lits in proptest::collection::vec(lit(), 1..10)) {
            let mut ctx = Ctx::new(Budget::default());
            let mut held: Vec<(Atom, bool)> = Vec::new();
            let w = Word::lo(2);
            for (a, pos) in lits {
                let before = (ctx.sol, ctx.ids, ctx.lits.clone());
                let mut all = held.clone();
                all.push((a, pos));
                let least = (0u32..32).find(|&x| all.iter().all(|(b, p)| b.test(x) == *p));
                match ctx.push(a, pos) {
                    Feas::Sat => {
                        prop_assert_eq!(ctx.sol[w.index()], least);
                        // Pop restores, push again to continue.
                        ctx.pop(w);
                        prop_assert_eq!((ctx.sol, ctx.ids, ctx.lits.clone()), before);
                        prop_assert_eq!(ctx.push(a, pos), Feas::Sat);
                        held.push((a, pos));
                    }
                    Feas::Unsat => prop_assert_eq!(least, None),
                    Feas::Unknown => prop_assert!(false, "budget"),
                }
            }
        }
    }
}
