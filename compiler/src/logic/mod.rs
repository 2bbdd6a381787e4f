//! Exact boolean and decision machinery over seccomp argument words.
//!
//! seccomp hands a filter six 64-bit argument registers, but classic BPF
//! loads 32-bit words, so a filter really sees twelve independent 32-bit
//! [`Word`]s. Everything here is phrased over *atoms*, single word tests
//! that one `ld`/`and`/`jeq`/`jge`/`jset` sequence can decide:
//!
//! * `Op::Eq`: `(w & mask) == k`
//! * `Op::Ge`: `(w & mask) >= k` (unsigned, as cBPF compares)
//!
//! The layers, bottom up:
//!
//! * [`solve`] decides one word exactly: is there an `x: u32` meeting a set
//!   of (possibly negated) atoms? Words are independent, so a conjunction of
//!   atoms over many words is feasible iff each word's part is.
//! * [`lower`](lower::lower) turns a typed argument comparison (16/32/64 bits,
//!   signed or not, one register or a split pair) into a [`Pred`] over atoms.
//! * [`Dd`] is a hash-consed, ordered, multi-terminal decision diagram over
//!   atoms, with path-sensitive pruning, exact reachability and witnesses
//!   (concrete argument words that reach a given leaf).
//!
//! Byte offsets and endianness belong to codegen; nothing here knows them.
//!
//! # Decisions worth knowing
//!
//! * **16-bit arguments** compare through mask `0xffff`; their orderings
//!   are `Ge` atoms with that mask (`ld`, `and 0xffff`, `jge`), not
//!   expansions into masked-equality prefixes. The word solver is exact for
//!   any mask, so this costs nothing in precision.
//! * **Normal forms** (see [`Atom::normalize`]) make equivalent single tests
//!   identical: constant atoms fold, single-bit tests are always stated as
//!   `(w & b) == b`, the sign-bit test `w >= 0x8000_0000` is `w & 0x8000_0000
//!   == 0x8000_0000` (a `jset`), and `Ge`'s `k` is the least reachable value.
//! * **Budgets**: the solver and the path searches count their work and
//!   answer `Unknown` (never a guess) when it runs out; see [`Budget`]. On
//!   realistic policies this does not happen; `prune` and
//!   `reachable_leaves` degrade soundly (keep / include the undecided part).
//! * **Leaves**: [`Dd::FALSE`] and [`Dd::TRUE`] (`u32::MAX - 1`, `u32::MAX`)
//!   are reserved for boolean diagrams; callers number their own leaves
//!   below them.

mod boundary;
mod dd;
mod fxhash;
mod lower;
pub mod solve;

#[cfg(test)]
mod tests;

pub use boundary::Boundaries;
pub use dd::{Budget, Dd, NodeId, NodeView, Pred, Witness};
pub use lower::{arg_value, arg_value_signed, lower, ArgShape, Cmp};

use std::fmt;

/// Which 32-bit half of a 64-bit argument register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Half {
    Lo,
    Hi,
}

/// One of the twelve 32-bit words a filter can load: half `half` of
/// argument register `slot` (0..6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Word {
    pub slot: u8,
    pub half: Half,
}

impl Word {
    /// Number of distinct words.
    pub const COUNT: usize = 12;

    pub const fn lo(slot: u8) -> Word {
        Word {
            slot,
            half: Half::Lo,
        }
    }

    pub const fn hi(slot: u8) -> Word {
        Word {
            slot,
            half: Half::Hi,
        }
    }

    /// Dense index in `0..12`: `2 * slot + half`. Agrees with the order.
    pub fn index(self) -> usize {
        assert!(self.slot < 6, "argument slot {} out of range", self.slot);
        self.slot as usize * 2 + self.half as usize
    }

    pub fn from_index(i: usize) -> Word {
        assert!(i < Word::COUNT);
        let half = if i % 2 == 0 { Half::Lo } else { Half::Hi };
        Word {
            slot: (i / 2) as u8,
            half,
        }
    }

    /// All twelve words, in order.
    pub fn all() -> impl Iterator<Item = Word> {
        (0..Word::COUNT).map(Word::from_index)
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = match self.half {
            Half::Lo => "lo",
            Half::Hi => "hi",
        };
        write!(f, "arg{}.{}", self.slot, h)
    }
}

/// Concrete values of the twelve words: `[slot][Lo = 0 / Hi = 1]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Words(pub [[u32; 2]; 6]);

impl Words {
    pub fn from_args(args: &[u64; 6]) -> Words {
        let mut w = [[0u32; 2]; 6];
        for (slot, &a) in args.iter().enumerate() {
            w[slot] = [a as u32, (a >> 32) as u32];
        }
        Words(w)
    }

    pub fn to_args(&self) -> [u64; 6] {
        let mut a = [0u64; 6];
        for (slot, w) in self.0.iter().enumerate() {
            a[slot] = u64::from(w[0]) | (u64::from(w[1]) << 32);
        }
        a
    }

    pub fn get(&self, w: Word) -> u32 {
        self.0[w.slot as usize][w.half as usize]
    }

    pub fn set(&mut self, w: Word, v: u32) {
        self.0[w.slot as usize][w.half as usize] = v;
    }

    /// The words as a dense array indexed by [`Word::index`].
    pub fn to_array(&self) -> [u32; Word::COUNT] {
        let mut a = [0u32; Word::COUNT];
        for (i, x) in a.iter_mut().enumerate() {
            *x = self.get(Word::from_index(i));
        }
        a
    }

    pub fn from_array(a: &[u32; Word::COUNT]) -> Words {
        let mut w = Words::default();
        for (i, &x) in a.iter().enumerate() {
            w.set(Word::from_index(i), x);
        }
        w
    }
}

/// The comparison an atom makes after masking. `Eq < Ge` in the atom order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// `(w & mask) == k`
    Eq,
    /// `(w & mask) >= k`, unsigned
    Ge,
}

/// A single word test. The derived order (word, mask, op, k) is the
/// variable order of [`Dd`].
///
/// Atoms inside a [`Dd`] are always in normal form (see
/// [`Atom::normalize`]); a [`Pred`] may hold any atom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom {
    pub word: Word,
    pub mask: u32,
    pub op: Op,
    pub k: u32,
}

/// An atom after normalisation: a constant, or a normal atom that is
/// either asserted (`positive`) or negated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lit {
    Const(bool),
    Atom { atom: Atom, positive: bool },
}

impl Atom {
    pub const fn eq(word: Word, mask: u32, k: u32) -> Atom {
        Atom {
            word,
            mask,
            op: Op::Eq,
            k,
        }
    }

    pub const fn ge(word: Word, mask: u32, k: u32) -> Atom {
        Atom {
            word,
            mask,
            op: Op::Ge,
            k,
        }
    }

    /// The test on a bare word value.
    pub fn test(&self, x: u32) -> bool {
        match self.op {
            Op::Eq => x & self.mask == self.k,
            Op::Ge => x & self.mask >= self.k,
        }
    }

    pub fn eval(&self, w: &Words) -> bool {
        self.test(w.get(self.word))
    }

    /// Brings an atom to normal form. Normal atoms are what a [`Dd`]
    /// tests; the rules keep equivalent tests identical so they share
    /// nodes:
    ///
    /// * `Eq` with bits of `k` outside `mask` is false; with `mask == 0`
    ///   true; with a single-bit mask it is always stated as `k == mask`
    ///   (so `(w & b) == 0` becomes the negation of `(w & b) == b`).
    /// * `Ge`'s `k` is raised to the least value `w & mask` can take that
    ///   is `>= k` (a submask of `mask`); none means false, `0` means
    ///   true; `k == mask` is `Eq(mask, mask)`; `k` equal to the top bit of
    ///   `mask` is the single-bit test `Eq(k, k)` (the sign-bit test that
    ///   signed comparisons need becomes a `jset`).
    ///
    /// Normal `Ge` atoms thus have `0 < k < mask`, `k` a submask of
    /// `mask`, and `k` not the top bit of `mask`. Non-full masks in `Ge`
    /// are allowed (16-bit orderings use `0xffff`); [`solve`] is exact for
    /// them.
    pub fn normalize(self) -> Lit {
        match self.op {
            Op::Eq => {
                if self.k & !self.mask != 0 {
                    Lit::Const(false)
                } else if self.mask == 0 {
                    Lit::Const(true)
                } else if self.mask.is_power_of_two() && self.k == 0 {
                    Lit::Atom {
                        atom: Atom::eq(self.word, self.mask, self.mask),
                        positive: false,
                    }
                } else {
                    Lit::Atom {
                        atom: self,
                        positive: true,
                    }
                }
            }
            Op::Ge => match least_submask_at_least(self.mask, self.k) {
                None => Lit::Const(false),
                Some(0) => Lit::Const(true),
                Some(k) if k == self.mask || k == top_bit(self.mask) => Lit::Atom {
                    atom: Atom::eq(self.word, k, k),
                    positive: true,
                }
                .renormalize(),
                Some(k) => Lit::Atom {
                    atom: Atom::ge(self.word, self.mask, k),
                    positive: true,
                },
            },
        }
    }

    /// Whether the atom is already in normal form.
    pub fn is_normal(&self) -> bool {
        self.normalize()
            == Lit::Atom {
                atom: *self,
                positive: true,
            }
    }
}

impl Lit {
    fn renormalize(self) -> Lit {
        match self {
            Lit::Atom { atom, positive } => match atom.normalize() {
                Lit::Const(b) => Lit::Const(b == positive),
                Lit::Atom { atom, positive: p } => Lit::Atom {
                    atom,
                    positive: p == positive,
                },
            },
            c => c,
        }
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            Op::Eq => "==",
            Op::Ge => ">=",
        };
        if self.mask == u32::MAX {
            write!(f, "{} {} {:#x}", self.word, op, self.k)
        } else {
            write!(f, "{} & {:#x} {} {:#x}", self.word, self.mask, op, self.k)
        }
    }
}

fn top_bit(m: u32) -> u32 {
    if m == 0 {
        0
    } else {
        1 << (31 - m.leading_zeros())
    }
}

/// The least `s` with `s & !m == 0` and `s >= k`, if any.
fn least_submask_at_least(m: u32, k: u32) -> Option<u32> {
    let bad = k & !m;
    if bad == 0 {
        return Some(k);
    }
    // Bits of k above the highest bad bit can be kept; we must exceed k at a
    // position above it, as low as possible, where k has 0 and m has 1.
    let hb = 31 - bad.leading_zeros();
    let above = if hb == 31 { 0 } else { u32::MAX << (hb + 1) };
    let cand = m & !k & above;
    if cand == 0 {
        return None;
    }
    let j = cand.trailing_zeros();
    let keep = if j == 31 { 0 } else { u32::MAX << (j + 1) };
    Some((k & keep) | (1 << j))
}

/// Whether some argument words make `p` true: `Some(false)` when none can,
/// `None` when the search budget ran out before deciding.
pub fn satisfiable(p: &Pred) -> Option<bool> {
    match p {
        Pred::True => return Some(true),
        Pred::False => return Some(false),
        _ => {}
    }
    let mut dd = Dd::new();
    let n = dd.from_pred(p);
    match dd.witness(n, Dd::TRUE) {
        Witness::Found(_) => Some(true),
        Witness::Infeasible => Some(false),
        Witness::Unknown => None,
    }
}

#[cfg(test)]
mod atom_tests {
    use super::*;

    #[test]
    fn least_submask_matches_brute_force() {
        for m in 0u32..64 {
            for k in 0u32..80 {
                let want = (0u32..128).find(|&s| s & !m == 0 && s >= k);
                assert_eq!(least_submask_at_least(m, k), want, "m={m:#x} k={k:#x}");
            }
        }
        assert_eq!(least_submask_at_least(u32::MAX, u32::MAX), Some(u32::MAX));
        assert_eq!(least_submask_at_least(0x7fff_ffff, 0x8000_0000), None);
        assert_eq!(least_submask_at_least(0x8000_0001, 2), Some(0x8000_0000));
    }

    #[test]
    fn normalisation_preserves_meaning() {
        let w = Word::lo(0);
        let masks = [0u32, 1, 2, 3, 0x6, 0xf, 0x10, 0x1f, 0x19];
        for &mask in &masks {
            for k in 0u32..40 {
                for op in [Op::Eq, Op::Ge] {
                    let a = Atom {
                        word: w,
                        mask,
                        op,
                        k,
                    };
                    let n = a.normalize();
                    if let Lit::Atom { atom, .. } = n {
                        assert!(atom.is_normal(), "{a:?} -> {atom:?} not normal");
                    }
                    for x in 0u32..64 {
                        let got = match n {
                            Lit::Const(b) => b,
                            Lit::Atom { atom, positive } => atom.test(x) == positive,
                        };
                        assert_eq!(got, a.test(x), "{a:?} at {x}");
                    }
                }
            }
        }
    }

    #[test]
    fn sign_bit_and_extremes() {
        let w = Word::lo(1);
        assert_eq!(
            Atom::ge(w, u32::MAX, 0x8000_0000).normalize(),
            Lit::Atom {
                atom: Atom::eq(w, 0x8000_0000, 0x8000_0000),
                positive: true
            }
        );
        assert_eq!(
            Atom::ge(w, u32::MAX, u32::MAX).normalize(),
            Lit::Atom {
                atom: Atom::eq(w, u32::MAX, u32::MAX),
                positive: true
            }
        );
        assert_eq!(Atom::ge(w, u32::MAX, 0).normalize(), Lit::Const(true));
        assert_eq!(Atom::ge(w, 0xffff, 0x10000).normalize(), Lit::Const(false));
        assert_eq!(Atom::eq(w, 0xff, 0x100).normalize(), Lit::Const(false));
        assert_eq!(Atom::eq(w, 0, 0).normalize(), Lit::Const(true));
    }

    #[test]
    fn words_roundtrip() {
        let args = [1, u64::MAX, 0x1234_5678_9abc_def0, 0, 1 << 32, 7];
        let w = Words::from_args(&args);
        assert_eq!(w.to_args(), args);
        assert_eq!(w.get(Word::hi(2)), 0x1234_5678);
        assert_eq!(w.get(Word::lo(2)), 0x9abc_def0);
        assert_eq!(Words::from_array(&w.to_array()), w);
        for (i, word) in Word::all().enumerate() {
            assert_eq!(word.index(), i);
        }
    }
}
