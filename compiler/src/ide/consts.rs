//! Constant values for hover: the same folding rules as `sema::consts`
//! (64-bit values, prelude names per architecture, `match arch`), without
//! reporting; anything sema would reject folds to `None`.

use super::resolve::{self, Resolved};
use crate::arch::Arch;
use crate::sema::{Analysis, DefId, ModuleId};
use crate::syntax::ast::{BinOp, ConstValue, Expr, ExprKind, ItemKind, UnOp};

const MIN: i128 = -(1i128 << 63);
const LIMIT: i128 = 1i128 << 64;

fn bits(v: i128) -> u64 {
    v as u64
}

/// The value of constant item `def` on `arch`, as a 64-bit pattern.
pub(crate) fn item_value(a: &Analysis, def: DefId, arch: Arch) -> Option<u64> {
    item_value_depth(a, def, arch, 0).map(bits)
}

fn item_value_depth(a: &Analysis, def: DefId, arch: Arch, depth: u32) -> Option<i128> {
    if depth > 64 {
        return None;
    }
    let Some(ItemKind::Const(c)) = resolve::item_kind(a, def) else {
        return None;
    };
    match &c.value {
        ConstValue::Expr(e) => eval(a, def.module, e, arch, depth + 1),
        ConstValue::MatchArch { arms, .. } => {
            let arm = arms
                .iter()
                .find(|arm| {
                    arm.arches
                        .iter()
                        .any(|n| Arch::from_name(&n.name) == Some(arch))
                })
                .or_else(|| arms.iter().find(|arm| arm.wildcard.is_some()))?;
            eval(a, def.module, &arm.value, arch, depth + 1)
        }
    }
}

fn eval(a: &Analysis, from: ModuleId, e: &Expr, arch: Arch, depth: u32) -> Option<i128> {
    let v = match &e.kind {
        ExprKind::Int(v) => i128::from(*v),
        ExprKind::Null => 0,
        ExprKind::Paren(x) => eval(a, from, x, arch, depth)?,
        ExprKind::Name(path) => match resolve::lookup(a, from, &path.segments) {
            Some(Resolved::Item(d)) => item_value_depth(a, d, arch, depth + 1)?,
            Some(Resolved::Module(_)) => return None,
            None if path.segments.len() == 1 => {
                let name = &path.segments[0].name;
                match arch.constant(name) {
                    Some(v) => i128::from(v as i64),
                    None => i128::from(arch.errno(name)?),
                }
            }
            None => return None,
        },
        ExprKind::Unary(op, x) => {
            let v = eval(a, from, x, arch, depth)?;
            match op {
                UnOp::Neg => -v,
                UnOp::BitNot => i128::from(!bits(v)),
                UnOp::Not => return None,
            }
        }
        ExprKind::Binary(op, l, r) => {
            let (x, y) = (
                eval(a, from, l, arch, depth)?,
                eval(a, from, r, arch, depth)?,
            );
            match op {
                BinOp::BitOr => i128::from(bits(x) | bits(y)),
                BinOp::BitAnd => i128::from(bits(x) & bits(y)),
                BinOp::BitXor => i128::from(bits(x) ^ bits(y)),
                BinOp::Shl if (0..64).contains(&y) => i128::from(bits(x) << y),
                BinOp::Shr if (0..64).contains(&y) => i128::from(bits(x) >> y),
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x.checked_mul(y)?,
                _ => return None,
            }
        }
        _ => return None,
    };
    (MIN..LIMIT).contains(&v).then_some(v)
}

/// `0x1f (31)`; negative 64-bit patterns also as their signed value.
pub(crate) fn describe_value(v: u64) -> String {
    if v < 10 {
        format!("{v}")
    } else if (v as i64) < 0 && (v as i64) > -0x1_0000_0000 {
        format!("{:#x} ({})", v, v as i64)
    } else {
        format!("{v:#x} ({v})")
    }
}
