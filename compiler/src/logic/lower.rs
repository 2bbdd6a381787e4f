//! Lowering typed argument comparisons to predicates over word atoms.
//!
//! An argument's value `v` is the low `bits` bits of what the kernel
//! passes: for 64 bits the lo word and the hi word (two halves of one
//! register, or the low words of two slots on 32-bit targets); for 16 and
//! 32 bits only the low bits of the lo word. The upper half of a register
//! holding a 32-bit argument is not guaranteed by the kernel and is never
//! read.
//!
//! * `Eq`, `Ne`, `MaskedEq`, `AnySet` compare bit patterns; the caller's
//!   patterns are truncated to `bits` (a sign-extended `-1` on a 32-bit
//!   argument is `0xffffffff`).
//! * Orderings and `InRange` compare `v` read as signed (two's complement
//!   of `bits`) or unsigned against `i128` bounds, which may lie outside
//!   the type's range (the comparison then folds to a constant). cBPF
//!   compares unsigned, so a signed range is split on the sign bit into at
//!   most two unsigned ranges of the bit pattern; a 64-bit unsigned range
//!   becomes lexicographic constraints over (hi, lo).
//!
//! 16-bit orderings use `Ge` atoms with mask `0xffff` (one `and`, one
//! `jge` in cBPF) rather than expanding into masked-equality prefixes; the
//! word solver is exact for any mask, so nothing downstream pays for it.

use super::{Pred, Word, Words};

/// Where and how an argument lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArgShape {
    /// 16, 32 or 64.
    pub bits: u8,
    pub signed: bool,
    /// The word holding the low 32 bits.
    pub lo: Word,
    /// The word holding the high 32 bits: `Some` exactly when `bits == 64`.
    pub hi: Option<Word>,
}

impl ArgShape {
    /// A 16- or 32-bit argument in register `slot`.
    pub fn narrow(bits: u8, signed: bool, slot: u8) -> ArgShape {
        let s = ArgShape {
            bits,
            signed,
            lo: Word::lo(slot),
            hi: None,
        };
        s.check();
        s
    }

    /// A 64-bit argument in one 64-bit register.
    pub fn wide(signed: bool, slot: u8) -> ArgShape {
        ArgShape {
            bits: 64,
            signed,
            lo: Word::lo(slot),
            hi: Some(Word::hi(slot)),
        }
    }

    /// A 64-bit argument split over the low words of two registers (32-bit
    /// targets: `pread64`'s `pos`, ...). Which slot holds which half is the
    /// caller's (per-target) knowledge.
    pub fn split(signed: bool, lo_slot: u8, hi_slot: u8) -> ArgShape {
        ArgShape {
            bits: 64,
            signed,
            lo: Word::lo(lo_slot),
            hi: Some(Word::lo(hi_slot)),
        }
    }

    fn check(&self) {
        match (self.bits, self.hi) {
            (16 | 32, None) | (64, Some(_)) => {}
            _ => panic!("invalid argument shape {self:?}"),
        }
        assert!(self.lo.slot < 6 && self.hi.is_none_or(|h| h.slot < 6 && h != self.lo));
    }

    /// All-ones in the low `bits` bits.
    pub fn value_mask(&self) -> u64 {
        if self.bits >= 64 {
            u64::MAX
        } else {
            (1u64 << self.bits) - 1
        }
    }

    /// The least value of the type.
    pub fn min(&self) -> i128 {
        if self.signed {
            -(1i128 << (self.bits - 1))
        } else {
            0
        }
    }

    /// The greatest value of the type.
    pub fn max(&self) -> i128 {
        if self.signed {
            (1i128 << (self.bits - 1)) - 1
        } else {
            (1i128 << self.bits) - 1
        }
    }

    /// The value a bit pattern denotes in this type.
    pub fn interpret(&self, pattern: u64) -> i128 {
        let v = pattern & self.value_mask();
        if self.signed && (v >> (self.bits - 1)) & 1 == 1 {
            i128::from(v) - (1i128 << self.bits)
        } else {
            i128::from(v)
        }
    }
}

/// A comparison of one argument with constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmp {
    Eq(u64),
    Ne(u64),
    /// `(v & mask) == value`
    MaskedEq {
        mask: u64,
        value: u64,
    },
    /// `(v & m) != 0`
    AnySet(u64),
    Lt(i128),
    Le(i128),
    Gt(i128),
    Ge(i128),
    /// `lo <= v <= hi`
    InRange {
        lo: i128,
        hi: i128,
    },
}

impl Cmp {
    /// The reference semantics: does the argument of `shape` holding the
    /// bit pattern `pattern` (truncated to the type) satisfy `self`?
    pub fn holds(&self, shape: &ArgShape, pattern: u64) -> bool {
        let t = shape.value_mask();
        let u = pattern & t;
        let s = shape.interpret(u);
        match *self {
            Cmp::Eq(p) => u == p & t,
            Cmp::Ne(p) => u != p & t,
            Cmp::MaskedEq { mask, value } => u & mask & t == value & t,
            Cmp::AnySet(m) => u & m & t != 0,
            Cmp::Lt(b) => s < b,
            Cmp::Le(b) => s <= b,
            Cmp::Gt(b) => s > b,
            Cmp::Ge(b) => s >= b,
            Cmp::InRange { lo, hi } => lo <= s && s <= hi,
        }
    }
}

/// The argument's bit pattern as the filter can see it: the low `bits`
/// bits, zero-extended.
pub fn arg_value(shape: &ArgShape, w: &Words) -> u64 {
    shape.check();
    let lo = u64::from(w.get(shape.lo));
    let v = match shape.hi {
        Some(h) if shape.bits == 64 => lo | (u64::from(w.get(h)) << 32),
        _ => lo,
    };
    v & shape.value_mask()
}

/// The argument's value, read per its signedness.
pub fn arg_value_signed(shape: &ArgShape, w: &Words) -> i128 {
    shape.interpret(arg_value(shape, w))
}

/// The predicate over words that holds exactly when the argument satisfies
/// `cmp` (see the module docs for the semantics).
pub fn lower(shape: &ArgShape, cmp: &Cmp) -> Pred {
    shape.check();
    let t = shape.value_mask();
    match *cmp {
        Cmp::Eq(p) => masked_eq(shape, t, p & t),
        Cmp::Ne(p) => !masked_eq(shape, t, p & t),
        Cmp::MaskedEq { mask, value } => masked_eq(shape, mask & t, value & t),
        Cmp::AnySet(m) => !masked_eq(shape, m & t, 0),
        Cmp::Lt(b) => range(shape, shape.min(), b.saturating_sub(1)),
        Cmp::Le(b) => range(shape, shape.min(), b),
        Cmp::Gt(b) => range(shape, b.saturating_add(1), shape.max()),
        Cmp::Ge(b) => range(shape, b, shape.max()),
        Cmp::InRange { lo, hi } => range(shape, lo, hi),
    }
}

/// `(v & mask) == value` over the words of `shape`; both already truncated.
fn masked_eq(shape: &ArgShape, mask: u64, value: u64) -> Pred {
    match shape.hi {
        Some(h) => Pred::all([
            Pred::word_eq(h, (mask >> 32) as u32, (value >> 32) as u32),
            Pred::word_eq(shape.lo, mask as u32, value as u32),
        ]),
        None => Pred::word_eq(shape.lo, mask as u32, value as u32),
    }
}

/// `lo <= value <= hi` for the value read per the shape's signedness.
fn range(shape: &ArgShape, lo: i128, hi: i128) -> Pred {
    let lo = lo.max(shape.min());
    let hi = hi.min(shape.max());
    if lo > hi {
        return Pred::False;
    }
    if lo == shape.min() && hi == shape.max() {
        return Pred::True;
    }
    let wrap = 1i128 << shape.bits;
    let mut parts = Vec::new();
    if lo < 0 {
        // Negative values are the patterns [lo + 2^bits, hi' + 2^bits].
        let top = hi.min(-1);
        parts.push(((lo + wrap) as u64, (top + wrap) as u64));
    }
    if hi >= 0 {
        parts.push((lo.max(0) as u64, hi as u64));
    }
    Pred::any(parts.into_iter().map(|(a, b)| urange(shape, a, b)))
}

/// `a <= pattern <= b`, unsigned, `a <= b <= value_mask`.
fn urange(shape: &ArgShape, a: u64, b: u64) -> Pred {
    let t = shape.value_mask();
    debug_assert!(a <= b && b <= t);
    match shape.hi {
        None => word_range(shape.lo, t as u32, a as u32, b as u32),
        Some(h) => {
            let (ah, al) = ((a >> 32) as u32, a as u32);
            let (bh, bl) = ((b >> 32) as u32, b as u32);
            if ah == bh {
                Pred::all([
                    Pred::word_eq(h, u32::MAX, ah),
                    word_range(shape.lo, u32::MAX, al, bl),
                ])
            } else {
                Pred::all([ge64(h, shape.lo, ah, al), le64(h, shape.lo, bh, bl)])
            }
        }
    }
}

/// `a <= (w & mask) <= b` for `a <= b <= mask`, `mask` all-ones below
/// some bit.
fn word_range(w: Word, mask: u32, a: u32, b: u32) -> Pred {
    if a == b {
        return Pred::word_eq(w, mask, a);
    }
    let upper = if b == mask {
        Pred::True
    } else {
        !Pred::word_ge(w, mask, b + 1)
    };
    Pred::all([Pred::word_ge(w, mask, a), upper])
}

/// `(hi, lo) >= (ah, al)` lexicographically.
fn ge64(h: Word, l: Word, ah: u32, al: u32) -> Pred {
    if al == 0 {
        return Pred::word_ge(h, u32::MAX, ah);
    }
    let above = if ah == u32::MAX {
        Pred::False
    } else {
        Pred::word_ge(h, u32::MAX, ah + 1)
    };
    Pred::any([
        above,
        Pred::all([
            Pred::word_eq(h, u32::MAX, ah),
            Pred::word_ge(l, u32::MAX, al),
        ]),
    ])
}

/// `(hi, lo) <= (bh, bl)` lexicographically.
fn le64(h: Word, l: Word, bh: u32, bl: u32) -> Pred {
    if bl == u32::MAX {
        return if bh == u32::MAX {
            Pred::True
        } else {
            !Pred::word_ge(h, u32::MAX, bh + 1)
        };
    }
    let below = !Pred::word_ge(h, u32::MAX, bh);
    Pred::any([
        below,
        Pred::all([
            Pred::word_eq(h, u32::MAX, bh),
            !Pred::word_ge(l, u32::MAX, bl + 1),
        ]),
    ])
}
