//! The first-match model to moat text.
//!
//! Two things differ between the source formats and moat, and this module
//! bridges both exactly:
//!
//! * Order: the sources let the first matching rule of a syscall decide;
//!   in moat the strongest matching action wins. A rule therefore excludes
//!   the calls of every earlier rule of its syscall whose action is weaker
//!   (or the same kind with other data); earlier stronger rules win in moat
//!   anyway, so they need no exclusion.
//! * Types: the sources compare 64-bit registers without signedness; moat
//!   compares each argument in its kernel type. A register holds the
//!   argument as C passes it (sign-extended for signed types), so a
//!   register condition is the set of argument values whose register
//!   satisfies it, which is printed as conditions in the argument's type.

use super::{action_text, Atom, Cond, Op, Output, Policy};
use crate::arch::{Arch, ArgRole, ArgType, Syscall};
use crate::diagnostics::codes::IMPORT_NOT_EXPRESSIBLE;
use crate::diagnostics::Diagnostic;
use crate::sema::Act;
use std::collections::HashMap;
use std::fmt::Write;

/// Unsigned intervals, sorted, disjoint, inclusive.
type Set = Vec<(u64, u64)>;

fn ones(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

fn complement(s: &Set, max: u64) -> Set {
    let mut out = Vec::new();
    let mut next: Option<u64> = Some(0);
    for &(lo, hi) in s {
        if let Some(n) = next {
            if lo > n {
                out.push((n, lo - 1));
            }
        }
        next = hi.checked_add(1);
    }
    if let Some(n) = next {
        if n <= max {
            out.push((n, max));
        }
    }
    out
}

fn intersect(s: &Set, lo: u64, hi: u64) -> Set {
    s.iter()
        .filter(|&&(a, b)| b >= lo && a <= hi)
        .map(|&(a, b)| (a.max(lo), b.min(hi)))
        .collect()
}

fn merged(mut s: Set) -> Set {
    s.sort_unstable();
    let mut out: Set = Vec::new();
    for (lo, hi) in s {
        match out.last_mut() {
            Some(last) if last.1.checked_add(1).is_none_or(|n| n >= lo) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// A moat condition being built; negation is pushed into the atoms.
#[derive(Clone, Debug, PartialEq)]
enum Pred {
    Const(bool),
    Leaf(String),
    And(Vec<Pred>),
    Or(Vec<Pred>),
}

fn and(parts: Vec<Pred>) -> Pred {
    let mut out = Vec::new();
    for p in parts {
        match p {
            Pred::Const(true) => {}
            Pred::Const(false) => return Pred::Const(false),
            Pred::And(v) => out.extend(v),
            p => out.push(p),
        }
    }
    match out.len() {
        0 => Pred::Const(true),
        1 => out.pop().unwrap_or(Pred::Const(true)),
        _ => Pred::And(out),
    }
}

fn or(parts: Vec<Pred>) -> Pred {
    let mut out = Vec::new();
    for p in parts {
        match p {
            Pred::Const(false) => {}
            Pred::Const(true) => return Pred::Const(true),
            Pred::Or(v) => out.extend(v),
            p => out.push(p),
        }
    }
    match out.len() {
        0 => Pred::Const(false),
        1 => out.pop().unwrap_or(Pred::Const(false)),
        _ => Pred::Or(out),
    }
}

fn print(p: &Pred, outer: u8) -> String {
    let (prec, text) = match p {
        Pred::Const(b) => (3, if *b { "0 == 0" } else { "0 != 0" }.to_string()),
        Pred::Leaf(s) => (3, s.clone()),
        Pred::And(v) => (
            2,
            v.iter()
                .map(|q| print(q, 2))
                .collect::<Vec<_>>()
                .join(" && "),
        ),
        Pred::Or(v) => (
            1,
            v.iter()
                .map(|q| print(q, 1))
                .collect::<Vec<_>>()
                .join(" || "),
        ),
    };
    if prec < outer {
        format!("({text})")
    } else {
        text
    }
}

fn num(v: i128) -> String {
    if v.unsigned_abs() < 4096 {
        v.to_string()
    } else if v < 0 {
        format!("-{:#x}", v.unsigned_abs())
    } else {
        format!("{v:#x}")
    }
}

/// What one register slot is in moat's view.
struct ArgView {
    name: String,
    bits: u32,
    signed: bool,
    pointer: bool,
}

fn arg_view(sc: &Syscall, a: &Atom, arch: Arch) -> Result<ArgView, Diagnostic> {
    let Some(arg) = sc.slot(a.slot) else {
        return Err(Diagnostic::new(
            IMPORT_NOT_EXPRESSIBLE,
            a.span,
            format!("`{}` has no argument in slot {} on {arch}", sc.name, a.slot),
        )
        .with_label(format!("`{}` takes {} register slots", sc.name, sc.nslots))
        .with_help("the register holds whatever the caller left there; moat does not compare it"));
    };
    if arg.role == ArgRole::Padding {
        return Err(Diagnostic::new(
            IMPORT_NOT_EXPRESSIBLE,
            a.span,
            format!(
                "slot {} of `{}` is padding the kernel ignores",
                a.slot, sc.name
            ),
        ));
    }
    let regbits = if arch.is_64bit_regs() { 64 } else { 32 };
    let name = arg
        .name()
        .filter(|n| sc.arg(n).is_some_and(|x| x.slots == arg.slots))
        .map(str::to_string)
        .unwrap_or_else(|| format!("arg{}", a.slot));
    Ok(match arg.ty {
        ArgType::Int { bits, signed } => ArgView {
            name,
            bits: u32::from(bits).min(regbits),
            signed,
            pointer: false,
        },
        ArgType::Pointer => ArgView {
            name,
            bits: regbits,
            signed: false,
            pointer: true,
        },
    })
}

struct Ctx<'a> {
    arch: Arch,
    sc: &'a Syscall,
    errors: Vec<Diagnostic>,
    /// A whole-register comparison met a narrower argument.
    narrowed: bool,
}

impl Ctx<'_> {
    fn cond(&mut self, c: &Cond, neg: bool) -> Pred {
        if let Some(p) = self.one_argument(c, neg) {
            return p;
        }
        match c {
            Cond::True => Pred::Const(!neg),
            Cond::False => Pred::Const(neg),
            Cond::Atom(a) => self.atom(a, neg),
            Cond::Not(c) => self.cond(c, !neg),
            Cond::And(v) => {
                let parts = v.iter().map(|c| self.cond(c, neg)).collect();
                if neg {
                    or(parts)
                } else {
                    and(parts)
                }
            }
            Cond::Or(v) => {
                let parts = v.iter().map(|c| self.cond(c, neg)).collect();
                if neg {
                    and(parts)
                } else {
                    or(parts)
                }
            }
        }
    }

    /// A condition made of several unmasked comparisons of one argument
    /// reads best as one set of values (`option in 4..=16`).
    fn one_argument(&mut self, c: &Cond, neg: bool) -> Option<Pred> {
        fn atoms<'c>(c: &'c Cond, out: &mut Vec<&'c Atom>) {
            match c {
                Cond::Atom(a) => out.push(a),
                Cond::Not(c) => atoms(c, out),
                Cond::And(v) | Cond::Or(v) => v.iter().for_each(|c| atoms(c, out)),
                Cond::True | Cond::False => {}
            }
        }
        let mut found = Vec::new();
        atoms(c, &mut found);
        let first = found.first()?;
        if found.len() < 2 || found.iter().any(|a| a.slot != first.slot) {
            return None;
        }
        let (view, _) = self.value_set(first)?;
        let mw = ones(view.bits);
        fn eval(ctx: &Ctx, c: &Cond, mw: u64) -> Option<Set> {
            Some(match c {
                Cond::True => vec![(0, mw)],
                Cond::False => Vec::new(),
                Cond::Atom(a) => ctx.value_set(a)?.1,
                Cond::Not(c) => complement(&eval(ctx, c, mw)?, mw),
                Cond::Or(v) => {
                    let mut all = Vec::new();
                    for c in v {
                        all.extend(eval(ctx, c, mw)?);
                    }
                    merged(all)
                }
                Cond::And(v) => {
                    let mut all = Vec::new();
                    for c in v {
                        all.extend(complement(&eval(ctx, c, mw)?, mw));
                    }
                    complement(&merged(all), mw)
                }
            })
        }
        let set = eval(self, c, mw)?;
        let set = if neg { complement(&set, mw) } else { set };
        let names: Vec<(u64, &str)> = found
            .iter()
            .filter_map(|a| {
                a.value_text
                    .as_deref()
                    .filter(|_| a.value & !mw == 0)
                    .map(|t| (a.value, t))
            })
            .collect();
        let hint = if matches!(first.op, Op::Gt | Op::Le) {
            Op::Le
        } else {
            Op::Lt
        };
        Some(typed(
            &set,
            view.bits,
            view.signed,
            &view.name,
            hint,
            &names,
        ))
    }

    /// The argument values (bit patterns) for which an unmasked, integer
    /// comparison holds.
    fn value_set(&self, a: &Atom) -> Option<(ArgView, Set)> {
        let view = arg_view(self.sc, a, self.arch).ok()?;
        if view.pointer {
            return None;
        }
        let (halves, sets, m) = atom_sets(a, &view, self.arch, false);
        let mw = ones(view.bits);
        if m != mw {
            return None;
        }
        let p = merged(
            halves
                .iter()
                .zip(&sets)
                .flat_map(|(&((lo, hi), _), s)| intersect(s, lo, hi))
                .collect(),
        );
        Some((view, p))
    }

    fn atom(&mut self, a: &Atom, neg: bool) -> Pred {
        let view = match arg_view(self.sc, a, self.arch) {
            Ok(v) => v,
            Err(d) => {
                self.errors.push(d);
                return Pred::Const(false);
            }
        };
        let regbits = if self.arch.is_64bit_regs() { 64 } else { 32 };
        let w = view.bits;
        let mw = ones(w);
        if a.wide && w < regbits {
            self.narrowed = true;
        }
        let (halves, sets, m) = atom_sets(a, &view, self.arch, neg);
        let hint = match (a.op, neg) {
            (Op::Gt | Op::Le, false) | (Op::Lt | Op::Ge, true) => Op::Le,
            _ => Op::Lt,
        };
        let value_text: Vec<(u64, &str)> = a
            .value_text
            .as_deref()
            .filter(|_| a.value & !mw == 0)
            .map(|t| (a.value, t))
            .into_iter()
            .collect();
        if view.pointer {
            let p = merged(
                halves
                    .iter()
                    .zip(&sets)
                    .flat_map(|(&((lo, hi), _), s)| intersect(s, lo, hi))
                    .collect(),
            );
            return match p.as_slice() {
                [] => Pred::Const(false),
                [(0, x)] if *x == mw => Pred::Const(true),
                [(0, 0)] if m == mw => Pred::Leaf(format!("{} == null", view.name)),
                [(1, x)] if *x == mw && m == mw => Pred::Leaf(format!("{} != null", view.name)),
                _ => {
                    self.errors.push(
                        Diagnostic::new(
                            IMPORT_NOT_EXPRESSIBLE,
                            a.span,
                            format!(
                                "`{}` of `{}` is a pointer; moat compares pointers only with null",
                                view.name, self.sc.name
                            ),
                        )
                        .with_label("compares an address")
                        .with_help("the filter cannot read what the pointer points to; an address compared with a value is rarely what was meant"),
                    );
                    Pred::Const(false)
                }
            };
        }
        if m == mw {
            let p = merged(
                halves
                    .iter()
                    .zip(&sets)
                    .flat_map(|(&((lo, hi), _), s)| intersect(s, lo, hi))
                    .collect(),
            );
            return typed(&p, w, view.signed, &view.name, hint, &value_text);
        }
        let mask = match &a.mask_text {
            Some(t) if a.mask & mw == m && a.mask & !mw == 0 => t.clone(),
            _ => num(i128::from(m)),
        };
        let lhs = format!("{} & {mask}", view.name);
        let masked = |s: &Set| -> Pred {
            if s.as_slice() == [(1, mw)] {
                Pred::Leaf(lhs.clone())
            } else {
                typed(s, w, view.signed, &lhs, hint, &value_text)
            }
        };
        if sets.iter().all(|s| Some(s) == sets.first()) {
            return sets.first().map(&masked).unwrap_or(Pred::Const(false));
        }
        if let [s0, s1] = sets.as_slice() {
            let sign = 1u64 << (w - 1);
            if m & sign != 0 {
                // The masked value carries the sign: the halves are its own.
                let mut both = intersect(s0, 0, sign - 1);
                both.extend(intersect(s1, sign, mw));
                return masked(&merged(both));
            }
        }
        let signs = [format!("{} >= 0", view.name), format!("{} < 0", view.name)];
        or(sets
            .iter()
            .zip(signs)
            .map(|(s, sign)| and(vec![Pred::Leaf(sign), masked(s)]))
            .collect())
    }
}

/// For each half of the argument's values on which the register's upper
/// bits are constant (zero, or for negative signed values all ones): that
/// range of values, the upper bits, and the set of `value & m` for which
/// the atom holds (or fails, with `neg`); and `m`, the atom's mask within
/// the argument.
#[allow(clippy::type_complexity)]
fn atom_sets(
    a: &Atom,
    view: &ArgView,
    arch: Arch,
    neg: bool,
) -> (Vec<((u64, u64), u64)>, Vec<Set>, u64) {
    let regbits = if arch.is_64bit_regs() { 64 } else { 32 };
    let w = view.bits;
    let mw = ones(w);
    let reg = ones(regbits);
    let halves: Vec<((u64, u64), u64)> = if view.signed && w < regbits {
        let half = 1u64 << (w - 1);
        vec![((0, half - 1), 0), ((half, mw), reg & !mw)]
    } else {
        vec![((0, mw), 0)]
    };
    let word = if a.wide { u64::MAX } else { 0xffff_ffff };
    let me = a.mask & word & reg;
    let m = me & mw;
    let v = a.value & word & reg;
    let (vhi, vlo) = (v & !mw, v & mw);
    let mut sets: Vec<Set> = Vec::new();
    for &(_, upper) in &halves {
        let k = upper & me;
        let eq: Set = if k == vhi && vlo & !m == 0 {
            vec![(vlo, vlo)]
        } else {
            Vec::new()
        };
        let below = |inclusive: bool| -> Set {
            if k < vhi {
                vec![(0, mw)]
            } else if k > vhi {
                Vec::new()
            } else if inclusive {
                vec![(0, vlo)]
            } else if vlo == 0 {
                Vec::new()
            } else {
                vec![(0, vlo - 1)]
            }
        };
        let s = match a.op {
            Op::Eq => eq,
            Op::Ne => complement(&eq, mw),
            Op::Lt => below(false),
            Op::Le => below(true),
            Op::Gt => complement(&below(true), mw),
            Op::Ge => complement(&below(false), mw),
        };
        sets.push(if neg { complement(&s, mw) } else { s });
    }
    (halves, sets, m)
}

/// A set of argument bit patterns as conditions in the argument's type.
fn typed(set: &Set, w: u32, signed: bool, lhs: &str, hint: Op, names: &[(u64, &str)]) -> Pred {
    let mw = ones(w);
    let span = i128::from(mw) + 1;
    let half = span / 2;
    let mut t: Vec<(i128, i128)> = Vec::new();
    for &(lo, hi) in set {
        let (lo, hi) = (i128::from(lo), i128::from(hi));
        if !signed || hi < half {
            t.push((lo, hi));
        } else if lo >= half {
            t.push((lo - span, hi - span));
        } else {
            t.push((lo, half - 1));
            t.push((-half, hi - span));
        }
    }
    t.sort_unstable();
    let mut m: Vec<(i128, i128)> = Vec::new();
    for (lo, hi) in t {
        match m.last_mut() {
            Some(last) if last.1 + 1 >= lo => last.1 = last.1.max(hi),
            _ => m.push((lo, hi)),
        }
    }
    let (tmin, tmax) = if signed {
        (-half, half - 1)
    } else {
        (0, span - 1)
    };
    if m.is_empty() {
        return Pred::Const(false);
    }
    if m.as_slice() == [(tmin, tmax)] {
        return Pred::Const(true);
    }
    // Names stand for values the policy named, not for range bounds.
    let show = |v: i128| -> String {
        let bits = if v < 0 { v + span } else { v };
        names
            .iter()
            .find(|(pattern, _)| i128::from(*pattern) == bits)
            .map_or_else(|| num(v), |(_, text)| text.to_string())
    };
    let mut comp: Vec<(i128, i128)> = Vec::new();
    let mut next = tmin;
    for &(lo, hi) in &m {
        if lo > next {
            comp.push((next, lo - 1));
        }
        next = hi + 1;
    }
    if next <= tmax {
        comp.push((next, tmax));
    }
    let points = |v: &[(i128, i128)]| v.iter().all(|(a, b)| a == b);
    if points(&m) {
        if let [(v, _)] = m.as_slice() {
            return Pred::Leaf(format!("{lhs} == {}", show(*v)));
        }
        let list: Vec<String> = m.iter().map(|(v, _)| show(*v)).collect();
        return Pred::Leaf(format!("{lhs} in [{}]", list.join(", ")));
    }
    if points(&comp) && comp.len() <= 3 {
        return and(comp
            .iter()
            .map(|(v, _)| Pred::Leaf(format!("{lhs} != {}", show(*v))))
            .collect());
    }
    let le = hint == Op::Le;
    or(m.iter()
        .map(|&(lo, hi)| {
            Pred::Leaf(if lo == hi {
                format!("{lhs} == {}", show(lo))
            } else if lo == tmin && hi == -1 {
                format!("{lhs} < 0")
            } else if lo == 0 && hi == tmax && signed {
                format!("{lhs} >= 0")
            } else if lo == tmin && le {
                format!("{lhs} <= {}", num(hi))
            } else if lo == tmin {
                format!("{lhs} < {}", num(hi + 1))
            } else if hi == tmax && le {
                format!("{lhs} > {}", num(lo - 1))
            } else if hi == tmax {
                format!("{lhs} >= {}", num(lo))
            } else if le {
                format!("{lhs} in {}..={}", num(lo), num(hi))
            } else {
                format!("{lhs} in {}..{}", num(lo), num(hi + 1))
            })
        })
        .collect())
}

/// Whether two conditions can never hold together, by a cheap test: each
/// pair of their disjuncts has two equalities on one slot that disagree.
/// (It only spares the output exclusions that cannot matter.)
fn disjoint(a: &Cond, b: &Cond) -> bool {
    fn dnf(c: &Cond) -> Option<Vec<Vec<&Atom>>> {
        Some(match c {
            Cond::True => vec![Vec::new()],
            Cond::False => Vec::new(),
            Cond::Atom(a) => vec![vec![a]],
            Cond::Not(_) => return None,
            Cond::Or(v) => {
                let mut out = Vec::new();
                for c in v {
                    out.extend(dnf(c)?);
                }
                out
            }
            Cond::And(v) => {
                let mut out = vec![Vec::new()];
                for c in v {
                    let d = dnf(c)?;
                    let mut next = Vec::new();
                    for x in &out {
                        for y in &d {
                            let mut z: Vec<&Atom> = x.clone();
                            z.extend(y.iter().copied());
                            next.push(z);
                        }
                    }
                    if next.len() > 64 {
                        return None;
                    }
                    out = next;
                }
                out
            }
        })
    }
    let clash = |p: &Atom, q: &Atom| {
        let word = |a: &Atom| if a.wide { u64::MAX } else { 0xffff_ffff };
        let m = p.mask & q.mask & word(p) & word(q);
        p.op == Op::Eq && q.op == Op::Eq && p.slot == q.slot && p.value & m != q.value & m
    };
    let (Some(da), Some(db)) = (dnf(a), dnf(b)) else {
        return false;
    };
    da.iter().all(|x| {
        db.iter()
            .all(|y| x.iter().any(|p| y.iter().any(|q| clash(p, q))))
    })
}

/// One output line: a moat rule.
struct Line {
    action: String,
    names: Vec<&'static str>,
    pred: Option<String>,
    leading: Vec<String>,
    trailing: Option<String>,
}

/// The policy as moat source; errors for rules moat cannot state.
pub fn render(p: &Policy, name: &str) -> Result<Output, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut warnings = p.warnings.clone();
    let mut narrowed = false;
    let mut earlier: HashMap<&str, Vec<(&Cond, Act)>> = HashMap::new();
    let mut lines: Vec<Line> = Vec::new();
    for st in &p.statements {
        let mut out: Vec<Line> = Vec::new();
        for r in &st.rules {
            let prior = earlier.entry(r.syscall).or_default();
            if prior.iter().any(|(c, _)| **c == Cond::True) {
                warnings.push(format!(
                    "a rule for `{}` comes after one that takes every call; it never decides and is left out",
                    r.syscall
                ));
                continue;
            }
            let exclude: Vec<Cond> = prior
                .iter()
                .filter(|(c, a)| *a != r.act && a.kind >= r.act.kind && !disjoint(c, &r.cond))
                .map(|(c, _)| (*c).clone())
                .collect();
            prior.push((&r.cond, r.act));
            let Some(sc) = p.arch.syscall(r.syscall) else {
                continue;
            };
            let eff = Cond::And(vec![r.cond.clone(), Cond::Not(Box::new(Cond::Or(exclude)))]);
            let mut ctx = Ctx {
                arch: p.arch,
                sc,
                errors: Vec::new(),
                narrowed: false,
            };
            let pred = ctx.cond(&eff, false);
            narrowed |= ctx.narrowed;
            if !ctx.errors.is_empty() {
                errors.extend(ctx.errors);
                continue;
            }
            let pred = match pred {
                Pred::Const(false) => {
                    warnings.push(format!(
                        "a rule for `{}` never decides (earlier rules take every call it matches); left out",
                        r.syscall
                    ));
                    continue;
                }
                Pred::Const(true) => None,
                p => Some(print(&p, 0)),
            };
            let action = action_text(r.act, p.arch);
            match out
                .iter_mut()
                .find(|l| l.action == action && l.pred == pred)
            {
                Some(l) => {
                    if !l.names.contains(&sc.name) {
                        l.names.push(sc.name)
                    }
                }
                None => out.push(Line {
                    action,
                    names: vec![sc.name],
                    pred,
                    leading: Vec::new(),
                    trailing: None,
                }),
            }
        }
        match out.first_mut() {
            Some(first) => {
                first.leading = st.leading.clone();
                first.trailing = st.trailing.clone();
                lines.extend(out);
            }
            None => {
                // A statement that yields no rule keeps its comments.
                let mut c = st.leading.clone();
                c.extend(st.trailing.clone());
                if !c.is_empty() {
                    lines.push(Line {
                        action: String::new(),
                        names: Vec::new(),
                        pred: None,
                        leading: c,
                        trailing: None,
                    });
                }
            }
        }
    }
    if !errors.is_empty() {
        crate::diagnostics::sort_and_dedup(&mut errors);
        return Err(errors);
    }
    // Runs of plain rules with one action read best as one rule.
    let mut merged_lines: Vec<Line> = Vec::new();
    for l in lines {
        if let Some(prev) = merged_lines.last_mut() {
            if !l.names.is_empty()
                && l.pred.is_none()
                && l.leading.is_empty()
                && l.trailing.is_none()
                && prev.pred.is_none()
                && prev.trailing.is_none()
                && prev.action == l.action
            {
                for n in l.names {
                    if !prev.names.contains(&n) {
                        prev.names.push(n);
                    }
                }
                continue;
            }
        }
        merged_lines.push(l);
    }

    let mut text = String::new();
    let _ = writeln!(
        text,
        "// Imported by `moat import` from the {} policy `{}`, for {}.",
        p.format, p.file_name, p.arch
    );
    for n in &p.notes {
        let _ = writeln!(text, "// {n}");
    }
    if narrowed {
        let _ = writeln!(
            text,
            "// Conditions on arguments narrower than a register compare the bits the kernel reads;"
        );
        let _ = writeln!(
            text,
            "// {} compared the whole register, so a call with garbage in the unused upper bits that",
            p.format
        );
        let _ = writeln!(
            text,
            "// it refused is decided here by the argument's value."
        );
    }
    let _ = writeln!(text);
    for (n, v) in &p.consts {
        let _ = writeln!(text, "const {n} = {}", num(i128::from(*v)));
    }
    if !p.consts.is_empty() {
        let _ = writeln!(text);
    }
    let _ = writeln!(text, "profile {name} {{");
    let _ = writeln!(text, "    targets {}", p.arch);
    let _ = writeln!(text, "    default {}", action_text(p.default, p.arch));
    if p.bad_arch != Act::KILL {
        let _ = writeln!(text, "    bad_arch {}", action_text(p.bad_arch, p.arch));
    }
    for l in &merged_lines {
        for c in &l.leading {
            let _ = writeln!(text, "    {}", comment(c));
        }
        if l.names.is_empty() {
            continue;
        }
        let head = format!("    {} ", l.action);
        let mut rule = super::json::wrap(&head, &l.names);
        while rule.ends_with('\n') {
            rule.pop();
        }
        text.push_str(&rule);
        if let Some(pred) = &l.pred {
            let _ = write!(text, " if {pred}");
        }
        if let Some(t) = &l.trailing {
            let _ = write!(text, "   {}", comment(t));
        }
        text.push('\n');
    }
    for c in &p.tail_comments {
        let _ = writeln!(text, "    {}", comment(c));
    }
    let _ = writeln!(text, "}}");
    let mut seen = std::collections::BTreeSet::new();
    warnings.retain(|w| seen.insert(w.clone()));
    Ok(Output { text, warnings })
}

fn comment(c: &str) -> String {
    if c.is_empty() {
        "//".into()
    } else {
        format!("// {c}")
    }
}
