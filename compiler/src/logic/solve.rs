//! The exact theory of one 32-bit word.
//!
//! A path through a decision diagram asserts or denies atoms; the twelve
//! words are independent, so the path is feasible iff each word's set of
//! literals is. This module decides one such set and, when it is
//! satisfiable, returns the *least* satisfying value.
//!
//! # Method
//!
//! Positive `Eq` literals merge into one forced-bit pattern `(M, V)` (or
//! contradict at once). Every other literal compares `x & mask` with a
//! constant, and such a comparison is decided by scanning `x` from the most
//! significant bit down: it stays undecided exactly while the bits of `x`
//! seen so far equal those of the constant under the mask, and is settled
//! (satisfied or violated) at the first differing mask bit. So a
//! depth-first search over the 32 bits, 0 before 1, carries only the set
//! of still-undecided literals; a search state is `(bit, undecided set)`,
//! and states that failed once are remembered. The first complete
//! assignment found is the least solution. The search is exact for any
//! masks, in `Ge` as well as `Eq`.
//!
//! Work is bounded: every state expansion costs the number of literals it
//! carries, and a search that exceeds its budget answers
//! [`Solve::Unknown`] instead of running away. With a handful of literals
//! per word (the normal case) a search costs a few hundred steps; the
//! number of distinct states per bit is small because a literal is
//! undecided only while `x` copies its constant's prefix.

use super::fxhash::FxSet;
use super::{Atom, Op};

/// One literal on a single word: `((x & mask) op k) == positive`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WordLit {
    pub mask: u32,
    pub op: Op,
    pub k: u32,
    pub positive: bool,
}

impl WordLit {
    pub fn new(atom: Atom, positive: bool) -> WordLit {
        WordLit {
            mask: atom.mask,
            op: atom.op,
            k: atom.k,
            positive,
        }
    }

    pub fn holds(&self, x: u32) -> bool {
        let m = x & self.mask;
        let t = match self.op {
            Op::Eq => m == self.k,
            Op::Ge => m >= self.k,
        };
        t == self.positive
    }
}

/// The outcome of [`solve_word`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Solve {
    /// The least value satisfying every literal.
    Sat(u32),
    Unsat,
    /// The work budget ran out before the question was decided.
    Unknown,
}

/// Default work budget of one [`solve_word`] call, in literal visits.
pub const DEFAULT_SOLVER_BUDGET: u64 = 1 << 18;

/// Decides whether some `x: u32` satisfies all `lits`, returning the least
/// such `x`. `budget` bounds the work (see the module docs).
pub fn solve_word(lits: &[WordLit], budget: u64) -> Solve {
    // Forced bits from positive Eq literals.
    let mut fm = 0u32;
    let mut fv = 0u32;
    for l in lits.iter().filter(|l| l.op == Op::Eq && l.positive) {
        if l.k & !l.mask != 0 {
            return Solve::Unsat;
        }
        let common = fm & l.mask;
        if fv & common != l.k & common {
            return Solve::Unsat;
        }
        fm |= l.mask;
        fv |= l.k;
    }

    // The rest become comparisons decided bit by bit.
    let mut cons: Vec<Con> = Vec::new();
    for l in lits {
        match (l.op, l.positive) {
            (Op::Eq, true) => {}
            (Op::Eq, false) => {
                if l.k & !l.mask != 0 {
                    continue; // (x & m) can never equal k: always different
                }
                let forced = l.mask & fm;
                if fv & forced != l.k & forced {
                    continue; // the forced bits already differ
                }
                let free = l.mask & !fm;
                if free == 0 {
                    return Solve::Unsat; // forced to equal
                }
                cons.push(Con {
                    mask: free,
                    k: l.k & free,
                    kind: Kind::Ne,
                });
            }
            (Op::Ge, true) => {
                if l.k != 0 {
                    cons.push(Con {
                        mask: l.mask,
                        k: l.k,
                        kind: Kind::Ge,
                    });
                }
            }
            (Op::Ge, false) => {
                if l.k == 0 {
                    return Solve::Unsat; // x & m < 0
                }
                cons.push(Con {
                    mask: l.mask,
                    k: l.k,
                    kind: Kind::Lt,
                });
            }
        }
    }
    cons.sort_unstable();
    cons.dedup();

    let mut s = Search {
        cons: &cons,
        fm,
        fv,
        failed: FxSet::default(),
        budget,
    };
    let live = Live::full(cons.len());
    match s.go(31, live, 0) {
        Ok(Some(x)) => {
            debug_assert!(lits.iter().all(|l| l.holds(x)));
            Solve::Sat(x)
        }
        Ok(None) => Solve::Unsat,
        Err(OutOfBudget) => Solve::Unknown,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// `(x & mask) >= k`
    Ge,
    /// `(x & mask) < k`
    Lt,
    /// `(x & mask) != k`
    Ne,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Con {
    mask: u32,
    k: u32,
    kind: Kind,
}

/// The set of undecided constraints, as a bitset over `cons`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Live(Vec<u64>);

impl Live {
    fn full(n: usize) -> Live {
        let mut v = vec![u64::MAX; n.div_ceil(64)];
        if n % 64 != 0 {
            if let Some(last) = v.last_mut() {
                *last = (1u64 << (n % 64)) - 1;
            }
        }
        Live(v)
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }

    fn remove(&mut self, i: usize) {
        self.0[i / 64] &= !(1u64 << (i % 64));
    }

    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(wi, &b)| {
            let mut b = b;
            std::iter::from_fn(move || {
                if b == 0 {
                    None
                } else {
                    let t = b.trailing_zeros() as usize;
                    b &= b - 1;
                    Some(wi * 64 + t)
                }
            })
        })
    }
}

struct OutOfBudget;

struct Search<'a> {
    cons: &'a [Con],
    fm: u32,
    fv: u32,
    failed: FxSet<(i32, Live)>,
    budget: u64,
}

impl Search<'_> {
    /// Bits above `bit` are fixed in `x`; every constraint in `live` has
    /// matched its constant's prefix so far. Returns the least completion.
    fn go(&mut self, bit: i32, live: Live, x: u32) -> Result<Option<u32>, OutOfBudget> {
        if live.is_empty() {
            // Nothing left to satisfy: the remaining free bits stay 0.
            let low = if bit >= 31 {
                u32::MAX
            } else if bit < 0 {
                0
            } else {
                (1u32 << (bit + 1)) - 1
            };
            return Ok(Some(x | (self.fv & low)));
        }
        if bit < 0 {
            // All bits decided and x copies each live constant under its
            // mask: only `>=` holds with equality.
            let ok = live.iter().all(|i| self.cons[i].kind == Kind::Ge);
            return Ok(ok.then_some(x));
        }
        if self.failed.contains(&(bit, live.clone())) {
            return Ok(None);
        }
        let b = 1u32 << bit;
        let choices: &[u32] = if self.fm & b != 0 {
            if self.fv & b != 0 {
                &[1]
            } else {
                &[0]
            }
        } else {
            &[0, 1]
        };
        for &v in choices {
            let cost = live.iter().count() as u64 + 1;
            if cost > self.budget {
                return Err(OutOfBudget);
            }
            self.budget -= cost;
            let mut next = live.clone();
            let mut dead = false;
            for i in live.iter() {
                let c = self.cons[i];
                // The bit of `x & mask` here (0 outside the mask; `k` may
                // have bits there in a `Ge` that is not normal).
                let xb = if c.mask & b != 0 { v } else { 0 };
                let kb = u32::from(c.k & b != 0);
                if xb == kb {
                    continue;
                }
                // First difference under the mask: the comparison is settled.
                let greater = xb > kb;
                let satisfied = match c.kind {
                    Kind::Ge => greater,
                    Kind::Lt => !greater,
                    Kind::Ne => true,
                };
                if satisfied {
                    next.remove(i);
                } else {
                    dead = true;
                    break;
                }
            }
            if dead {
                continue;
            }
            if let Some(r) = self.go(bit - 1, next, x | (v << bit))? {
                return Ok(Some(r));
            }
        }
        self.failed.insert((bit, live));
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(mask: u32, k: u32) -> WordLit {
        WordLit {
            mask,
            op: Op::Eq,
            k,
            positive: true,
        }
    }
    fn ne(mask: u32, k: u32) -> WordLit {
        WordLit {
            positive: false,
            ..eq(mask, k)
        }
    }
    fn ge(mask: u32, k: u32) -> WordLit {
        WordLit {
            mask,
            op: Op::Ge,
            k,
            positive: true,
        }
    }
    fn lt(mask: u32, k: u32) -> WordLit {
        WordLit {
            positive: false,
            ..ge(mask, k)
        }
    }
    const F: u32 = u32::MAX;
    fn solve(l: &[WordLit]) -> Solve {
        solve_word(l, DEFAULT_SOLVER_BUDGET)
    }

    #[test]
    fn empty_set_is_zero() {
        assert_eq!(solve(&[]), Solve::Sat(0));
    }

    #[test]
    fn empty_interval() {
        assert_eq!(solve(&[ge(F, 10), lt(F, 10)]), Solve::Unsat);
        assert_eq!(solve(&[ge(F, 11), lt(F, 10)]), Solve::Unsat);
        assert_eq!(solve(&[ge(F, 9), lt(F, 10)]), Solve::Sat(9));
        assert_eq!(solve(&[lt(F, 0)]), Solve::Unsat);
        assert_eq!(solve(&[lt(0xffff, 0)]), Solve::Unsat);
    }

    #[test]
    fn contradictory_masks() {
        assert_eq!(solve(&[eq(0xf0, 0x10), eq(0x30, 0x20)]), Solve::Unsat);
        assert_eq!(solve(&[eq(0xf0, 0x10), eq(0x3c, 0x14)]), Solve::Sat(0x14));
        assert_eq!(solve(&[eq(0x3, 0x4)]), Solve::Unsat);
        // Forced bits make a negation impossible.
        assert_eq!(solve(&[eq(0xff, 0x12), ne(0x0f, 0x2)]), Solve::Unsat);
        // ...or vacuous.
        assert_eq!(solve(&[eq(0xff, 0x12), ne(0x0f, 0x3)]), Solve::Sat(0x12));
        // Forced bits against an interval.
        assert_eq!(
            solve(&[eq(0x8000_0000, 0), ge(F, 0x8000_0000)]),
            Solve::Unsat
        );
        assert_eq!(
            solve(&[eq(0xff, 0x7f), ge(F, 0x1000), lt(F, 0x1080)]),
            Solve::Sat(0x107f)
        );
        assert_eq!(
            solve(&[eq(0xff, 0x7f), ge(F, 0x1080), lt(F, 0x1100)]),
            Solve::Unsat
        );
    }

    #[test]
    fn negations_exhausting_free_bits() {
        // x & 3 takes none of its four values.
        let all4 = [ne(3, 0), ne(3, 1), ne(3, 2), ne(3, 3)];
        assert_eq!(solve(&all4), Solve::Unsat);
        assert_eq!(solve(&all4[..3]), Solve::Sat(3));
        // Only bits 4 and 0 are free; every combination excluded.
        let v = [
            eq(0xee, 0x22),
            ne(0x11, 0x00),
            ne(0x11, 0x01),
            ne(0x11, 0x10),
            ne(0x11, 0x11),
        ];
        assert_eq!(solve(&v), Solve::Unsat);
        // Interval of 4 points, each excluded.
        let mut v = vec![ge(F, 100), lt(F, 104)];
        v.extend((100..104).map(|p| ne(F, p)));
        assert_eq!(solve(&v), Solve::Unsat);
        v.pop();
        assert_eq!(solve(&v), Solve::Sat(103));
    }

    #[test]
    fn top_values() {
        assert_eq!(solve(&[ge(F, F)]), Solve::Sat(F));
        assert_eq!(solve(&[eq(F, F), ne(F, F)]), Solve::Unsat);
        assert_eq!(solve(&[ge(F, F), ne(F, F)]), Solve::Unsat);
        assert_eq!(solve(&[ge(F, F - 1), ne(F, F - 1)]), Solve::Sat(F));
        assert_eq!(solve(&[lt(F, F), ne(0x7fff_ffff, 0)]), Solve::Sat(1));
        assert_eq!(solve(&[ge(F, 0x8000_0000)]), Solve::Sat(0x8000_0000));
        assert_eq!(solve(&[ne(F, 0), lt(F, 1)]), Solve::Unsat);
    }

    #[test]
    fn masked_orderings() {
        // 16-bit view: (x & 0xffff) >= 0xfff0 and x < 0x10000.
        assert_eq!(
            solve(&[ge(0xffff, 0xfff0), lt(F, 0x1_0000)]),
            Solve::Sat(0xfff0)
        );
        // (x & 0xffff) < 5 with x >= 0x12345: next x with small low half.
        assert_eq!(
            solve(&[lt(0xffff, 5), ge(F, 0x12345)]),
            Solve::Sat(0x2_0000)
        );
        // Low half must be >= 0x8000, word below 0x8000: impossible.
        assert_eq!(solve(&[ge(0xffff, 0x8000), lt(F, 0x8000)]), Solve::Unsat);
        // Odd masks.
        assert_eq!(
            solve(&[ge(0b1010, 0b1000), lt(0b0110, 0b0010)]),
            Solve::Sat(0b1000)
        );
        assert_eq!(
            solve(&[ge(0b1010, 0b1010), lt(0b0110, 0b0010), ne(0b1000, 0b1000)]),
            Solve::Unsat
        );
    }

    #[test]
    fn ge_with_k_outside_the_mask() {
        // Not normal, but the solver takes any literal: (x & m) is 0 where
        // m is, so k's bits there still count.
        assert_eq!(solve(&[lt(0, 1)]), Solve::Sat(0));
        assert_eq!(solve(&[ge(0, 1)]), Solve::Unsat);
        assert_eq!(solve(&[lt(0xffff, 0x1_0000)]), Solve::Sat(0));
        assert_eq!(solve(&[ge(0xffff, 0x1_0000)]), Solve::Unsat);
        assert_eq!(solve(&[lt(32, 718_888_704)]), Solve::Sat(0));
        assert_eq!(solve(&[ge(0x30, 0x21)]), Solve::Sat(0x30));
    }

    #[test]
    fn budget_runs_out_without_wrong_answers() {
        let mut v = vec![ge(F, 100), lt(F, 104)];
        v.extend((100..104).map(|p| ne(F, p)));
        assert_eq!(solve_word(&v, 3), Solve::Unknown);
    }

    #[test]
    fn many_constraints_beyond_one_bitset_word() {
        // 200 excluded points inside [0, 200]: only 200 remains.
        let mut v = vec![lt(F, 201)];
        v.extend((0..200).map(|p| ne(F, p)));
        assert_eq!(solve(&v), Solve::Sat(200));
        v.push(ne(F, 200));
        assert_eq!(solve(&v), Solve::Unsat);
    }
}
