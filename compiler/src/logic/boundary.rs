//! Boundary values and test vectors for probing a diagram (and the programs
//! compiled from it) at every edge its atoms mention.

use super::{Dd, NodeId, Op, Witness, Word, Words};
use std::collections::BTreeSet;

/// Interesting values for each of the twelve words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Boundaries {
    /// Sorted, deduplicated, indexed by [`Word::index`].
    pub per_word: [Vec<u32>; Word::COUNT],
}

/// Values worth trying on every word, tested or not: the extremes of each
/// width and both sides of each sign bit.
pub const GENERIC_VALUES: [u32; 10] = [
    0,
    1,
    0x7fff,
    0x8000,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
];

impl Boundaries {
    pub fn get(&self, w: Word) -> &[u32] {
        &self.per_word[w.index()]
    }

    /// For each base vector and each word, the base with that word set to
    /// each of its values (bases included), deduplicated, in a stable
    /// order.
    pub fn vectors(&self, bases: &[Words]) -> Vec<Words> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for base in bases {
            if seen.insert(*base) {
                out.push(*base);
            }
            for w in Word::all() {
                for &v in self.get(w) {
                    let mut x = *base;
                    x.set(w, v);
                    if seen.insert(x) {
                        out.push(x);
                    }
                }
            }
        }
        out
    }
}

pub(super) fn boundaries(dd: &Dd, n: NodeId) -> Boundaries {
    let mut sets: [BTreeSet<u32>; Word::COUNT] = Default::default();
    for s in sets.iter_mut() {
        s.extend(GENERIC_VALUES);
    }
    for a in dd.atoms(n) {
        let s = &mut sets[a.word.index()];
        let (m, k) = (a.mask, a.k);
        let outside = !m;
        let low = m & m.wrapping_neg();
        let high = if m == 0 {
            0
        } else {
            1 << (31 - m.leading_zeros())
        };
        let mut vs = vec![
            k,
            k.wrapping_sub(1),
            k.wrapping_add(1),
            k | outside,
            k ^ low,
            k ^ high,
            (k ^ low) | outside,
            m,
        ];
        if a.op == Op::Ge {
            // Just below k under the mask, with and without the bits the
            // mask ignores.
            let below = k.wrapping_sub(1) & m;
            vs.extend([below, below | outside, k.wrapping_add(1) & m]);
        }
        s.extend(vs);
    }
    Boundaries {
        per_word: sets.map(|s| s.into_iter().collect()),
    }
}

impl Dd {
    /// Test vectors for `n`: a witness of every reachable leaf, all-zero
    /// and all-ones words, and each of those varied one word at a time
    /// over [`Dd::boundary_values`]. Every reachable leaf is hit at least
    /// once (unless its witness search ran out of budget).
    pub fn test_vectors(&self, n: NodeId) -> Vec<Words> {
        let mut bases = vec![Words::default(), Words([[u32::MAX; 2]; 6])];
        for leaf in self.reachable_leaves(n) {
            if let Witness::Found(w) = self.witness(n, leaf) {
                bases.push(w);
            }
        }
        self.boundary_values(n).vectors(&bases)
    }
}
