//! Typing predicates. A predicate is checked and lowered separately for
//! each (syscall, architecture) of its rule, because argument positions,
//! widths and constants differ between them; the result is exact
//! word-level logic (`logic::Pred`) that the IR and the lints share.

use super::{consts, Cx, ModuleId};
use crate::arch::{Arch, Arg, ArgRole, ArgType, Slots, Syscall};
use crate::diagnostics::{codes, suggest, Diagnostic};
use crate::logic::{self, ArgShape, Cmp, Half, Pred, Word};
use crate::source::Span;
use crate::syntax::ast::{self, BinOp, ExprKind, UnOp};

/// One argument as a predicate sees it on one architecture.
#[derive(Clone, Debug)]
pub(crate) struct ArgInfo {
    pub name: String,
    pub c_type: &'static str,
    pub shape: ArgShape,
    pub pointer: bool,
}

/// What a sub-expression stands for.
enum Term {
    Const(i128, Span),
    Arg {
        arg: ArgInfo,
        mask: Option<(u64, Span)>,
        span: Span,
    },
    Cond(Pred),
}

pub(crate) struct PredCx<'a> {
    pub module: ModuleId,
    pub arch: Arch,
    pub syscall: &'a Syscall,
}

impl Cx {
    /// Types `e` as a condition for one syscall on one architecture.
    pub(crate) fn type_pred(&mut self, pcx: &PredCx, e: &ast::Expr) -> Result<Pred, ()> {
        match &e.kind {
            ExprKind::Paren(inner) => self.type_pred(pcx, inner),
            ExprKind::Binary(BinOp::Or, l, r) => {
                let (a, b) = (self.type_pred(pcx, l), self.type_pred(pcx, r));
                Ok(Pred::Or(vec![a?, b?]))
            }
            ExprKind::Binary(BinOp::And, l, r) => {
                let (a, b) = (self.type_pred(pcx, l), self.type_pred(pcx, r));
                Ok(Pred::And(vec![a?, b?]))
            }
            ExprKind::Unary(UnOp::Not, inner) => match self.term(pcx, inner)? {
                Term::Cond(p) => Ok(Pred::Not(Box::new(p))),
                Term::Arg {
                    arg,
                    mask: Some((m, _)),
                    ..
                } => Ok(Pred::Not(Box::new(logic::lower(
                    &arg.shape,
                    &Cmp::AnySet(m),
                )))),
                Term::Arg { arg, .. } => {
                    self.report(
                        Diagnostic::new(
                            codes::NOT_ON_INTEGER,
                            e.span,
                            "`!` negates a condition, not an argument",
                        )
                        .with_label(format!("`{}` is a number", arg.name))
                        .with_help(format!("write `{} == 0`", arg.name)),
                    );
                    Err(())
                }
                Term::Const(..) => {
                    self.report(
                        Diagnostic::new(
                            codes::NOT_ON_INTEGER,
                            e.span,
                            "`!` negates a condition, not a number",
                        )
                        .with_label("applied to a number")
                        .with_help("for the bitwise complement write `~`"),
                    );
                    Err(())
                }
            },
            _ => match self.term(pcx, e)? {
                Term::Cond(p) => Ok(p),
                Term::Arg {
                    arg,
                    mask: Some((m, _)),
                    ..
                } => {
                    if arg.pointer {
                        return {
                            self.pointer_error(&arg, e.span);
                            Err(())
                        };
                    }
                    Ok(logic::lower(&arg.shape, &Cmp::AnySet(m)))
                }
                Term::Arg { arg, .. } => {
                    self.report(
                        Diagnostic::new(
                            codes::NOT_A_CONDITION,
                            e.span,
                            format!("`{}` is a number, not a condition", arg.name),
                        )
                        .with_label("needs a comparison")
                        .with_help(format!(
                            "write `{} != 0`, or test bits with `{} & MASK`",
                            arg.name, arg.name
                        )),
                    );
                    Err(())
                }
                Term::Const(v, _) => {
                    self.report(
                        Diagnostic::new(
                            codes::NOT_A_CONDITION,
                            e.span,
                            "a number is not a condition",
                        )
                        .with_label(format!("this is the number {v}"))
                        .with_help("compare an argument with it, as in `flags == …`"),
                    );
                    Err(())
                }
            },
        }
    }

    fn term(&mut self, pcx: &PredCx, e: &ast::Expr) -> Result<Term, ()> {
        match &e.kind {
            ExprKind::Int(v) => Ok(Term::Const(i128::from(*v), e.span)),
            ExprKind::Null => Ok(Term::Const(0, e.span)),
            ExprKind::Paren(inner) => self.term(pcx, inner),
            ExprKind::Error => Err(()),
            ExprKind::Name(path) => {
                if path.is_single() {
                    if let Some(arg) = self.find_arg(pcx, &path.segments[0].name, e.span)? {
                        if let Some(found) = self.lookup(pcx.module, path) {
                            let def_span = match found {
                                super::scope::Resolved::Item(d) => {
                                    self.item(d).name().map(|n| n.span)
                                }
                                super::scope::Resolved::Module(_) => None,
                            };
                            let mut d = Diagnostic::new(
                                codes::SHADOWS_ARGUMENT,
                                e.span,
                                format!("`{}` names both an argument of {} and a constant", arg.name, pcx.syscall.name),
                            )
                            .with_label("taken as the argument")
                            .with_help("inside a predicate arguments come first; rename the constant to use it here");
                            if let Some(s) = def_span {
                                d = d.with_secondary(s, "the constant");
                            }
                            self.report(d);
                        }
                        return Ok(Term::Arg {
                            arg,
                            mask: None,
                            span: e.span,
                        });
                    }
                }
                match self.const_by_path(pcx.module, path, pcx.arch) {
                    Ok(v) => Ok(Term::Const(v, e.span)),
                    Err(()) => Err(()),
                }
            }
            ExprKind::Unary(UnOp::Not, _) | ExprKind::InList(..) | ExprKind::InRange { .. } => {
                self.type_cond(pcx, e).map(Term::Cond)
            }
            ExprKind::Binary(op, _, _)
                if matches!(op, BinOp::Or | BinOp::And) || op.is_comparison() =>
            {
                self.type_cond(pcx, e).map(Term::Cond)
            }
            ExprKind::Unary(op, inner) => match self.term(pcx, inner)? {
                Term::Const(..) => self
                    .eval_const(pcx.module, e, pcx.arch)
                    .map(|v| Term::Const(v, e.span)),
                Term::Arg { arg, .. } => {
                    self.arith_error(
                        &arg,
                        e.span,
                        match op {
                            UnOp::Neg => "-",
                            _ => "~",
                        },
                    );
                    Err(())
                }
                Term::Cond(_) => {
                    self.report(
                        Diagnostic::new(
                            codes::NOT_A_CONDITION,
                            e.span,
                            "a condition cannot be used as a number",
                        )
                        .with_label("this is a condition"),
                    );
                    Err(())
                }
            },
            ExprKind::Binary(op, l, r) => {
                let (a, b) = (self.term(pcx, l), self.term(pcx, r));
                let (a, b) = (a?, b?);
                match (a, b) {
                    (Term::Const(..), Term::Const(..)) => self
                        .eval_const(pcx.module, e, pcx.arch)
                        .map(|v| Term::Const(v, e.span)),
                    (
                        Term::Arg {
                            arg,
                            mask: None,
                            span,
                        },
                        Term::Const(m, mspan),
                    )
                    | (
                        Term::Const(m, mspan),
                        Term::Arg {
                            arg,
                            mask: None,
                            span,
                        },
                    ) if *op == BinOp::BitAnd => {
                        let _ = span;
                        let m = self.fit_pattern(&arg, m, mspan, pcx.arch, "mask")?;
                        Ok(Term::Arg {
                            arg,
                            mask: Some((m, mspan)),
                            span: e.span,
                        })
                    }
                    (Term::Arg { arg: a1, .. }, Term::Arg { arg: a2, .. }) => {
                        self.two_arguments_error(&a1, &a2, e.span);
                        Err(())
                    }
                    (Term::Arg { arg, .. }, _) | (_, Term::Arg { arg, .. }) => {
                        self.arith_error(&arg, e.span, op.symbol());
                        Err(())
                    }
                    _ => {
                        self.report(
                            Diagnostic::new(
                                codes::NOT_A_CONDITION,
                                e.span,
                                "a condition cannot be used as a number",
                            )
                            .with_label("this is a condition"),
                        );
                        Err(())
                    }
                }
            }
        }
    }

    /// Comparisons and membership tests.
    fn type_cond(&mut self, pcx: &PredCx, e: &ast::Expr) -> Result<Pred, ()> {
        match &e.kind {
            ExprKind::Binary(BinOp::Or | BinOp::And, ..) | ExprKind::Unary(UnOp::Not, _) => {
                self.type_pred(pcx, e)
            }
            ExprKind::Binary(op, l, r) if op.is_comparison() => {
                let (a, b) = (self.term(pcx, l), self.term(pcx, r));
                let (a, b) = (a?, b?);
                match (a, b) {
                    (Term::Const(x, _), Term::Const(y, _)) => Ok(if fold_cmp(*op, x, y) {
                        Pred::True
                    } else {
                        Pred::False
                    }),
                    (Term::Arg { arg, mask, .. }, Term::Const(v, vs)) => {
                        self.compare(pcx, &arg, mask, *op, v, vs, e.span)
                    }
                    (Term::Const(v, vs), Term::Arg { arg, mask, .. }) => {
                        self.compare(pcx, &arg, mask, flip(*op), v, vs, e.span)
                    }
                    (Term::Arg { arg: a1, .. }, Term::Arg { arg: a2, .. }) => {
                        self.two_arguments_error(&a1, &a2, e.span);
                        Err(())
                    }
                    _ => {
                        self.report(
                            Diagnostic::new(
                                codes::NOT_A_CONDITION,
                                e.span,
                                "conditions cannot be compared",
                            )
                            .with_label("a condition on one side")
                            .with_help("combine conditions with `&&` and `||`"),
                        );
                        Err(())
                    }
                }
            }
            ExprKind::InList(value, list) => {
                let v = self.term(pcx, value);
                let mut items = Vec::new();
                let mut failed = false;
                for item in list {
                    match self.eval_const(pcx.module, item, pcx.arch) {
                        Ok(x) => items.push((x, item.span)),
                        Err(()) => failed = true,
                    }
                }
                let v = v?;
                if failed {
                    return Err(());
                }
                match v {
                    Term::Const(x, _) => Ok(if items.iter().any(|(y, _)| *y == x) {
                        Pred::True
                    } else {
                        Pred::False
                    }),
                    Term::Arg { arg, mask, .. } => {
                        let mut alts = Vec::new();
                        for (x, span) in items {
                            alts.push(self.compare(pcx, &arg, mask, BinOp::Eq, x, span, e.span)?);
                        }
                        Ok(Pred::Or(alts))
                    }
                    Term::Cond(_) => {
                        self.report(
                            Diagnostic::new(
                                codes::NOT_A_CONDITION,
                                value.span,
                                "`in` takes an argument, not a condition",
                            )
                            .with_label("a condition"),
                        );
                        Err(())
                    }
                }
            }
            ExprKind::InRange {
                value,
                lo,
                hi,
                inclusive,
            } => {
                let v = self.term(pcx, value);
                let l = self.eval_const(pcx.module, lo, pcx.arch);
                let h = self.eval_const(pcx.module, hi, pcx.arch);
                let (v, l, h) = (v?, l?, h?);
                let hi_incl = if *inclusive { h } else { h - 1 };
                if l > hi_incl {
                    self.report(
                        Diagnostic::new(codes::EMPTY_RANGE, lo.span.to(hi.span), "this range is empty")
                            .with_label(format!("no value lies in {l}{}{h}", if *inclusive { "..=" } else { ".." }))
                            .with_help("a range is `low..high` (high excluded) or `low..=high`, with low first"),
                    );
                    return Err(());
                }
                match v {
                    Term::Const(x, _) => Ok(if (l..=hi_incl).contains(&x) {
                        Pred::True
                    } else {
                        Pred::False
                    }),
                    Term::Arg { arg, mask, .. } => {
                        if arg.pointer {
                            return {
                                self.pointer_error(&arg, e.span);
                                Err(())
                            };
                        }
                        let a = self.check_order_bound(pcx, &arg, l, lo.span);
                        let b = self.check_order_bound(pcx, &arg, hi_incl, hi.span);
                        a?;
                        b?;
                        Ok(match mask {
                            Some((m, _)) => masked_range(&arg.shape, m, l, hi_incl),
                            None => logic::lower(&arg.shape, &Cmp::InRange { lo: l, hi: hi_incl }),
                        })
                    }
                    Term::Cond(_) => {
                        self.report(
                            Diagnostic::new(
                                codes::NOT_A_CONDITION,
                                value.span,
                                "`in` takes an argument, not a condition",
                            )
                            .with_label("a condition"),
                        );
                        Err(())
                    }
                }
            }
            _ => self.type_pred(pcx, e),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn compare(
        &mut self,
        pcx: &PredCx,
        arg: &ArgInfo,
        mask: Option<(u64, Span)>,
        op: BinOp,
        v: i128,
        vspan: Span,
        span: Span,
    ) -> Result<Pred, ()> {
        if arg.pointer {
            let null_test = matches!(op, BinOp::Eq | BinOp::Ne) && v == 0 && mask.is_none();
            if !null_test {
                return {
                    self.pointer_error(arg, span);
                    Err(())
                };
            }
        }
        match op {
            BinOp::Eq | BinOp::Ne => {
                let pattern = self.fit_pattern(arg, v, vspan, pcx.arch, "value")?;
                let cmp = match mask {
                    Some((m, _)) => Cmp::MaskedEq {
                        mask: m,
                        value: pattern,
                    },
                    None => Cmp::Eq(pattern),
                };
                let p = logic::lower(&arg.shape, &cmp);
                Ok(if op == BinOp::Ne {
                    Pred::Not(Box::new(p))
                } else {
                    p
                })
            }
            _ => {
                self.check_order_bound(pcx, arg, v, vspan)?;
                if let Some((m, _)) = mask {
                    let (lo, hi) = match op {
                        BinOp::Lt => (arg.shape.min(), v - 1),
                        BinOp::Le => (arg.shape.min(), v),
                        BinOp::Gt => (v + 1, arg.shape.max()),
                        _ => (v, arg.shape.max()),
                    };
                    return Ok(masked_range(&arg.shape, m, lo, hi));
                }
                let cmp = match op {
                    BinOp::Lt => Cmp::Lt(v),
                    BinOp::Le => Cmp::Le(v),
                    BinOp::Gt => Cmp::Gt(v),
                    _ => Cmp::Ge(v),
                };
                Ok(logic::lower(&arg.shape, &cmp))
            }
        }
    }

    /// A literal compared as a bit pattern must fit the argument's width:
    /// −2^(w−1) ≤ v < 2^w. Returns the pattern.
    fn fit_pattern(
        &mut self,
        arg: &ArgInfo,
        v: i128,
        span: Span,
        arch: Arch,
        what: &str,
    ) -> Result<u64, ()> {
        let w = u32::from(arg.shape.bits);
        let lo = -(1i128 << (w - 1));
        let hi = 1i128 << w;
        if v < lo || v >= hi {
            self.report(
                Diagnostic::new(
                    codes::LITERAL_TOO_WIDE,
                    span,
                    format!("{what} {} does not fit the {w}-bit argument `{}` on {}", show(v), arg.name, arch.name()),
                )
                .with_label(format!("wider than `{}` ({w} bits) on {}", arg.c_type, arch.name()))
                .with_help(if w < 64 {
                    format!(
                        "the kernel compares only the low {w} bits of `{}`; values range from {} to {:#x}",
                        arg.name,
                        lo,
                        hi - 1
                    )
                } else {
                    "keep the rule off this architecture with an `on` block".to_string()
                }),
            );
            return Err(());
        }
        Ok(if w == 64 {
            v as u64
        } else {
            (v as u64) & ((1u64 << w) - 1)
        })
    }

    fn check_order_bound(
        &mut self,
        pcx: &PredCx,
        arg: &ArgInfo,
        v: i128,
        span: Span,
    ) -> Result<(), ()> {
        let w = u32::from(arg.shape.bits);
        let (lo, hi) = if arg.shape.signed {
            (-(1i128 << (w - 1)), (1i128 << (w - 1)) - 1)
        } else {
            (0, (1i128 << w) - 1)
        };
        if v < lo || v > hi {
            let kind = if arg.shape.signed {
                "signed"
            } else {
                "unsigned"
            };
            self.report(
                Diagnostic::new(
                    codes::ORDER_OUT_OF_RANGE,
                    span,
                    format!("{} is outside the range of `{}` on {}", show(v), arg.name, pcx.arch.name()),
                )
                .with_label(format!("`{}` is {kind} {w}-bit: {lo}..={hi}", arg.c_type))
                .with_help(if !arg.shape.signed && v < 0 {
                    format!("`{}` is unsigned, so it is never negative; compare with `==` to match the bit pattern", arg.name)
                } else {
                    "ordering comparisons follow the argument's type; compare with `==` to match a bit pattern".to_string()
                }),
            );
            return Err(());
        }
        Ok(())
    }

    fn pointer_error(&mut self, arg: &ArgInfo, span: Span) {
        self.report(
            Diagnostic::new(
                codes::POINTER_COMPARE,
                span,
                format!("`{}` is a pointer (`{}`): a seccomp filter sees only its address", arg.name, arg.c_type),
            )
            .with_label("compares a pointer")
            .with_help("the filter cannot read the memory it points to, so only `== null` and `!= null` are meaningful; for path or content rules use Landlock or an LSM"),
        );
    }

    fn two_arguments_error(&mut self, a1: &ArgInfo, a2: &ArgInfo, span: Span) {
        self.report(
            Diagnostic::new(
                codes::TWO_ARGUMENTS,
                span,
                format!("`{}` and `{}` are both arguments", a1.name, a2.name),
            )
            .with_label("two arguments in one comparison")
            .with_help("seccomp filters compare arguments with constants only"),
        );
    }

    fn arith_error(&mut self, arg: &ArgInfo, span: Span, op: &str) {
        self.report(
            Diagnostic::new(
                codes::ARG_IN_ARITHMETIC,
                span,
                format!("the argument `{}` cannot be used with `{op}`", arg.name),
            )
            .with_label("arithmetic on an argument")
            .with_help(
                "arguments can be masked with `&` and compared; arithmetic works on constants only",
            ),
        );
    }

    /// An argument by name (or `argN`) of one syscall on one architecture.
    /// `Ok(None)` means "not an argument name": the caller tries constants.
    fn find_arg(&mut self, pcx: &PredCx, name: &str, span: Span) -> Result<Option<ArgInfo>, ()> {
        let sc = pcx.syscall;
        let nslots = sc.nslots.min(6);
        if let Some(n) = positional_index(name) {
            // The kernel's own `argN` parameter names (prctl's `arg2`…
            // `arg5`) count from 1 after `option`; moat's count slots
            // from 0.
            let kernel_slot = sc
                .args
                .iter()
                .find(|a| a.reserved_names.contains(&name))
                .map(|a| match a.slots {
                    Slots::One(s) | Slots::Pair { lo: s, .. } => s,
                });
            if n >= u32::from(nslots) {
                let mut d = Diagnostic::new(
                    codes::ARG_INDEX_RANGE,
                    span,
                    format!(
                        "{} has {} argument slot{} on {}; `{name}` does not exist",
                        sc.name,
                        nslots,
                        if nslots == 1 { "" } else { "s" },
                        pcx.arch.name()
                    ),
                )
                .with_label("no such slot")
                .with_help(if nslots == 0 {
                    format!("{} takes no arguments", sc.name)
                } else {
                    format!(
                        "moat's slots are `arg0`…`arg{}`, counted from 0",
                        nslots - 1
                    )
                });
                if let Some(k) = kernel_slot {
                    d = d.with_note(format!(
                        "the kernel's parameter `{name}` of {} is slot {k}: write `arg{k}`",
                        sc.name
                    ));
                }
                self.report(d);
                return Err(());
            }
            let n = n as u8;
            if let Some(a) = sc.slot(n) {
                if a.role == ArgRole::Padding {
                    return {
                        self.padding_error(pcx, a, name, span);
                        Err(())
                    };
                }
            }
            self.warn_kernel_argn(sc, name, n, span);
            return Ok(Some(slot_arg(pcx.arch, sc, n)));
        }
        if let Some(a) = sc.arg(name) {
            if a.role == ArgRole::Padding {
                return {
                    self.padding_error(pcx, a, name, span);
                    Err(())
                };
            }
            return Ok(Some(arg_info(pcx.arch, name, a)));
        }
        self.unknown_arg(pcx, name, span)
    }

    /// W0010: `argN` written for a syscall whose kernel parameter called
    /// `argN` sits in another slot (prctl's `arg2` is slot 1).
    pub(crate) fn warn_kernel_argn(&mut self, sc: &Syscall, name: &str, n: u8, span: Span) {
        let kernel_slot = sc
            .args
            .iter()
            .find(|a| a.reserved_names.contains(&name))
            .map(|a| match a.slots {
                Slots::One(s) | Slots::Pair { lo: s, .. } => s,
            });
        if let Some(k) = kernel_slot.filter(|&k| k != n) {
            let here = sc
                .slot(n)
                .and_then(|a| a.reserved_names.first().copied().or(a.name()));
            {
                self.report(
                    Diagnostic::new(
                        codes::POSITIONAL_NOT_KERNEL_NAME,
                        span,
                        format!(
                            "`{name}` is slot {n} of {}, not the kernel's parameter `{name}`",
                            sc.name
                        ),
                    )
                    .with_label(match here {
                        Some(h) => format!("slot {n}, which the kernel calls `{h}`"),
                        None => format!("slot {n}"),
                    })
                    .with_help(format!(
                        "moat's `argN` counts register slots from 0, so the kernel's (and the man page's) `{name}` is `arg{k}` here"
                    )),
                );
            }
        }
    }

    fn unknown_arg(&mut self, pcx: &PredCx, name: &str, span: Span) -> Result<Option<ArgInfo>, ()> {
        let sc = pcx.syscall;
        // A name that is an argument of this syscall on another
        // architecture is an argument here too, misplaced.
        let elsewhere: Vec<Arch> = Arch::ALL
            .iter()
            .copied()
            .filter(|&a| a.syscall(sc.name).is_some_and(|s| s.arg(name).is_some()))
            .collect();
        let is_const = crate::sema::consts::prelude_value(name, pcx.arch).is_some()
            || self
                .lookup(
                    pcx.module,
                    &ast::Path {
                        segments: vec![ast::Ident {
                            name: name.to_string(),
                            span,
                        }],
                        span,
                    },
                )
                .is_some();
        if is_const {
            return Ok(None);
        }
        let looks_like_arg = !elsewhere.is_empty()
            || Arch::ALL
                .iter()
                .any(|&a| a.syscalls().iter().any(|s| s.arg(name).is_some()))
            || name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if looks_like_arg {
            let names: Vec<&str> = sc
                .args
                .iter()
                .filter(|a| a.role != ArgRole::Padding)
                .flat_map(|a| a.names.iter().copied())
                .collect();
            let d = Diagnostic::new(
                codes::UNKNOWN_ARGUMENT,
                span,
                if elsewhere.is_empty() {
                    format!("{} has no argument `{name}`", sc.name)
                } else {
                    format!(
                        "{} has no argument `{name}` on {}",
                        sc.name,
                        pcx.arch.name()
                    )
                },
            )
            .with_label("unknown argument");
            let listed: Vec<String> = sc
                .logical_args()
                .map(|a| match (a.name(), a.slots) {
                    (Some(n), _) => format!("`{n}`"),
                    (None, Slots::One(s) | Slots::Pair { lo: s, .. }) => format!("`arg{s}`"),
                })
                .collect();
            let d = match suggest(name, names.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None if listed.is_empty() => d.with_help(format!("{} takes no arguments", sc.name)),
                None => d.with_help(format!(
                    "its arguments{} are {}",
                    if elsewhere.is_empty() {
                        String::new()
                    } else {
                        format!(" on {}", pcx.arch.name())
                    },
                    listed.join(", ")
                )),
            };
            let d = if elsewhere.is_empty() {
                d
            } else {
                d.with_note(format!(
                    "`{name}` exists on {}; keep the rule there with an `on` block",
                    super::arch_list(&elsewhere)
                ))
            };
            self.report(d);
            return Err(());
        }
        Ok(None)
    }

    fn padding_error(&mut self, pcx: &PredCx, a: &Arg, name: &str, span: Span) {
        let slot = match a.slots {
            Slots::One(s) | Slots::Pair { lo: s, .. } => s,
        };
        let real = pcx
            .syscall
            .args
            .iter()
            .find(|x| x.role == ArgRole::Combined)
            .and_then(|x| x.name());
        self.report(
            Diagnostic::new(
                codes::PADDING_SLOT,
                span,
                format!(
                    "`{name}` is slot {slot} of {} on {}, an alignment pad the kernel ignores",
                    pcx.syscall.name,
                    pcx.arch.name()
                ),
            )
            .with_label("padding, not an argument")
            .with_help(match real {
                Some(r) => format!(
                    "the register holds whatever the caller left there, so a condition on it decides nothing reliably; the value is in `{r}`"
                ),
                None => "the register holds whatever the caller left there, so a condition on it decides nothing reliably".to_string(),
            }),
        );
    }
}

/// `argN` (digits without a leading zero) as a slot number; huge numbers
/// saturate so they are reported as out of range.
pub(crate) fn positional_index(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("arg")?;
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    Some(digits.parse::<u32>().unwrap_or(u32::MAX))
}

pub(crate) fn arg_info(arch: Arch, name: &str, a: &crate::arch::Arg) -> ArgInfo {
    let (bits, signed, pointer) = match a.ty {
        ArgType::Int { bits, signed } => (bits, signed, false),
        ArgType::Pointer => (if arch.is_64bit_regs() { 64 } else { 32 }, false, true),
    };
    let (lo, hi) = match a.slots {
        Slots::One(s) => (
            Word {
                slot: s,
                half: Half::Lo,
            },
            (bits == 64).then_some(Word {
                slot: s,
                half: Half::Hi,
            }),
        ),
        Slots::Pair { lo, hi } => (
            Word {
                slot: lo,
                half: Half::Lo,
            },
            Some(Word {
                slot: hi,
                half: Half::Lo,
            }),
        ),
    };
    ArgInfo {
        name: name.to_string(),
        c_type: a.c_type,
        shape: ArgShape {
            bits,
            signed,
            lo,
            hi,
        },
        pointer,
    }
}

/// `argN`: the type of slot N itself (one half of a split 64-bit value is
/// a 32-bit unsigned word).
pub(crate) fn slot_arg(arch: Arch, sc: &Syscall, n: u8) -> ArgInfo {
    let name = format!("arg{n}");
    if let Some(a) = sc.slot(n) {
        return arg_info(arch, &name, a);
    }
    ArgInfo {
        name,
        c_type: "u32",
        shape: ArgShape {
            bits: 32,
            signed: false,
            lo: Word {
                slot: n,
                half: Half::Lo,
            },
            hi: None,
        },
        pointer: false,
    }
}

/// `lo <= (x & mask) <= hi`, the masked value read with the argument's
/// width and signedness. `logic::lower` has no masked orderings, so this
/// builds them from word atoms the same way: a signed range splits on the
/// sign bit into unsigned ranges of the pattern, and a 64-bit range is
/// lexicographic over (hi word, lo word), each word under its part of the
/// mask.
pub(crate) fn masked_range(shape: &ArgShape, mask: u64, lo: i128, hi: i128) -> Pred {
    let t = shape.value_mask();
    let mask = mask & t;
    let lo = lo.max(shape.min());
    let hi = hi.min(shape.max());
    if lo > hi {
        return Pred::False;
    }
    let wrap = 1i128 << shape.bits;
    let mut parts = Vec::new();
    if lo < 0 {
        parts.push(((lo + wrap) as u64, (hi.min(-1) + wrap) as u64));
    }
    if hi >= 0 {
        parts.push((lo.max(0) as u64, hi as u64));
    }
    Pred::any(
        parts
            .into_iter()
            .map(|(a, b)| masked_urange(shape, mask, a, b)),
    )
}

/// `a <= (pattern & mask) <= b`, unsigned, `a <= b <= value_mask`.
fn masked_urange(shape: &ArgShape, mask: u64, a: u64, b: u64) -> Pred {
    let word_range = |w: Word, m: u32, a: u32, b: u32| {
        let upper = if b == u32::MAX {
            Pred::True
        } else {
            !Pred::word_ge(w, m, b + 1)
        };
        Pred::all([Pred::word_ge(w, m, a), upper])
    };
    match shape.hi {
        None => word_range(shape.lo, mask as u32, a as u32, b as u32),
        Some(h) => {
            let (mh, ml) = ((mask >> 32) as u32, mask as u32);
            let (ah, al) = ((a >> 32) as u32, a as u32);
            let (bh, bl) = ((b >> 32) as u32, b as u32);
            if ah == bh {
                return Pred::all([Pred::word_eq(h, mh, ah), word_range(shape.lo, ml, al, bl)]);
            }
            // (hi, lo) >= (ah, al)
            let ge = if al == 0 {
                Pred::word_ge(h, mh, ah)
            } else {
                Pred::any([
                    if ah == u32::MAX {
                        Pred::False
                    } else {
                        Pred::word_ge(h, mh, ah + 1)
                    },
                    Pred::all([Pred::word_eq(h, mh, ah), Pred::word_ge(shape.lo, ml, al)]),
                ])
            };
            // (hi, lo) <= (bh, bl)
            let le = if bl == u32::MAX {
                if bh == u32::MAX {
                    Pred::True
                } else {
                    !Pred::word_ge(h, mh, bh + 1)
                }
            } else {
                Pred::any([
                    !Pred::word_ge(h, mh, bh),
                    Pred::all([
                        Pred::word_eq(h, mh, bh),
                        !Pred::word_ge(shape.lo, ml, bl + 1),
                    ]),
                ])
            };
            Pred::all([ge, le])
        }
    }
}

fn fold_cmp(op: BinOp, x: i128, y: i128) -> bool {
    match op {
        BinOp::Eq => consts::bits(x) == consts::bits(y),
        BinOp::Ne => consts::bits(x) != consts::bits(y),
        BinOp::Lt => x < y,
        BinOp::Le => x <= y,
        BinOp::Gt => x > y,
        _ => x >= y,
    }
}

fn flip(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        o => o,
    }
}

fn show(v: i128) -> String {
    if v >= 0x10000 {
        format!("{v:#x}")
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::Words;

    /// A small deterministic generator (xorshift), so the test needs no
    /// dependencies and fails the same way every time.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        /// Values near the interesting edges as often as uniform ones.
        fn value(&mut self, bits: u8) -> u64 {
            let t = if bits == 64 {
                u64::MAX
            } else {
                (1u64 << bits) - 1
            };
            let r = self.next();
            let edge = [
                0,
                1,
                2,
                t,
                t - 1,
                t >> 1,
                (t >> 1) + 1,
                0xffff_ffff,
                0x1_0000_0000,
            ];
            (match r % 3 {
                0 => edge[(r >> 8) as usize % edge.len()],
                1 => r >> (r % 64),
                _ => self.next(),
            }) & t
        }
    }

    #[test]
    fn masked_ranges_match_the_reference() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let shapes = [
            ArgShape::narrow(16, false, 0),
            ArgShape::narrow(16, true, 1),
            ArgShape::narrow(32, false, 2),
            ArgShape::narrow(32, true, 3),
            ArgShape::wide(false, 4),
            ArgShape::wide(true, 5),
            ArgShape::split(true, 3, 4),
            ArgShape::split(false, 1, 0),
        ];
        for shape in shapes {
            for _ in 0..300 {
                let mask = rng.value(shape.bits);
                let a = shape.interpret(rng.value(shape.bits));
                let b = shape.interpret(rng.value(shape.bits));
                let (lo, hi) = (a.min(b), a.max(b));
                let p = masked_range(&shape, mask, lo, hi);
                for _ in 0..40 {
                    let v = rng.value(shape.bits);
                    let mut args = [0u64; 6];
                    for x in args.iter_mut() {
                        *x = rng.next();
                    }
                    // Place v where the shape reads it.
                    let mut w = Words::from_args(&args);
                    // Bits above a 16-bit argument are garbage the
                    // kernel truncates away.
                    let junk = if shape.bits == 16 {
                        (rng.next() as u32) << 16
                    } else {
                        0
                    };
                    w.set(shape.lo, v as u32 | junk);
                    if let Some(h) = shape.hi {
                        w.set(h, (v >> 32) as u32);
                    }
                    let got = p.eval(&w);
                    let masked = shape.interpret(v & mask);
                    assert_eq!(
                        got,
                        lo <= masked && masked <= hi,
                        "{shape:?} mask {mask:#x} range {lo}..={hi} value {v:#x}"
                    );
                }
            }
        }
    }
}
