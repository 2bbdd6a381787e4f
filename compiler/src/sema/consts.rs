//! Constant folding, per architecture. Values are kept as `i128` within
//! [-2^63, 2^64): a negative value is what `-1` means, a large positive one
//! what `0xffff_ffff_ffff_ffff` means; both are the same 64-bit pattern,
//! but only the negative one fits a 32-bit argument as `0xffffffff`.

use super::scope::Resolved;
use super::{Cx, DefId, ModuleId};
use crate::arch::Arch;
use crate::diagnostics::{codes, suggest, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::{self, BinOp, ExprKind, UnOp};

pub(crate) const MIN: i128 = -(1i128 << 63);
pub(crate) const LIMIT: i128 = 1i128 << 64;

/// The 64-bit pattern of a value.
pub(crate) fn bits(v: i128) -> u64 {
    v as u64
}

/// Reads a table value: patterns with the top bit set are negative numbers
/// (AT_FDCWD is -100, not 2^64-100).
pub(crate) fn from_table(v: u64) -> i128 {
    i128::from(v as i64)
}

impl Cx {
    /// Value of a constant expression on one architecture; errors are
    /// reported and give `Err`.
    pub(crate) fn eval_const(
        &mut self,
        from: ModuleId,
        e: &ast::Expr,
        arch: Arch,
    ) -> Result<i128, ()> {
        match &e.kind {
            ExprKind::Int(v) => Ok(i128::from(*v)),
            ExprKind::Null => Ok(0),
            ExprKind::Paren(inner) => self.eval_const(from, inner, arch),
            ExprKind::Name(path) => self.const_by_path(from, path, arch),
            ExprKind::Unary(op, inner) => {
                let v = self.eval_const(from, inner, arch)?;
                match op {
                    UnOp::Neg => self.check_range(-v, e.span),
                    UnOp::BitNot => Ok(i128::from(!bits(v))),
                    UnOp::Not => {
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
                }
            }
            ExprKind::Binary(op, l, r) => {
                let a = self.eval_const(from, l, arch);
                let b = self.eval_const(from, r, arch);
                let (a, b) = (a?, b?);
                let v = match op {
                    BinOp::BitOr => i128::from(bits(a) | bits(b)),
                    BinOp::BitAnd => i128::from(bits(a) & bits(b)),
                    BinOp::BitXor => i128::from(bits(a) ^ bits(b)),
                    BinOp::Shl | BinOp::Shr => {
                        if !(0..64).contains(&b) {
                            self.report(
                                Diagnostic::new(
                                    codes::CONST_OVERFLOW,
                                    r.span,
                                    format!("shift by {b} is outside 0..=63"),
                                )
                                .with_label("shift amount")
                                .with_help("values are 64-bit"),
                            );
                            return Err(());
                        }
                        if *op == BinOp::Shl {
                            i128::from(bits(a) << b)
                        } else {
                            i128::from(bits(a) >> b)
                        }
                    }
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a.checked_mul(b).unwrap_or(i128::MAX),
                    _ => {
                        self.report(
                            Diagnostic::new(
                                codes::NOT_A_CONDITION,
                                e.span,
                                "a condition cannot be used as a number",
                            )
                            .with_label("this is a condition")
                            .with_help("constants and action data are numbers"),
                        );
                        return Err(());
                    }
                };
                self.check_range(v, e.span)
            }
            ExprKind::InList(..) | ExprKind::InRange { .. } => {
                self.report(
                    Diagnostic::new(
                        codes::NOT_A_CONDITION,
                        e.span,
                        "a condition cannot be used as a number",
                    )
                    .with_label("this is a condition")
                    .with_help("constants and action data are numbers"),
                );
                Err(())
            }
            ExprKind::Error => Err(()),
        }
    }

    fn check_range(&mut self, v: i128, span: Span) -> Result<i128, ()> {
        if (MIN..LIMIT).contains(&v) {
            Ok(v)
        } else {
            self.report(
                Diagnostic::new(
                    codes::CONST_OVERFLOW,
                    span,
                    "this value does not fit in 64 bits",
                )
                .with_label("overflows")
                .with_help("values range from -2^63 to 2^64-1"),
            );
            Err(())
        }
    }

    /// A named constant: a `const` item in scope, else the prelude (the
    /// reference tables' constants, then errno names).
    pub(crate) fn const_by_path(
        &mut self,
        from: ModuleId,
        path: &ast::Path,
        arch: Arch,
    ) -> Result<i128, ()> {
        match self.lookup(from, path) {
            Some(Resolved::Item(def)) => {
                if matches!(self.item(def).kind, ast::ItemKind::Const(_)) {
                    return self.const_item_value(def, arch, path.span);
                }
                let word = super::load::kind_word(&self.item(def).kind);
                self.report(
                    Diagnostic::new(
                        codes::WRONG_ITEM_KIND,
                        path.span,
                        format!("`{}` is a {word}, not a constant", path.text()),
                    )
                    .with_label(format!("a {word}"))
                    .with_help("only constants and numbers have values"),
                );
                return Err(());
            }
            Some(Resolved::Module(_)) => {
                self.report(
                    Diagnostic::new(
                        codes::WRONG_ITEM_KIND,
                        path.span,
                        format!("`{}` is a module, not a constant", path.text()),
                    )
                    .with_label("a module"),
                );
                return Err(());
            }
            None => {}
        }
        if path.is_single() {
            let name = &path.segments[0].name;
            if let Some(v) = prelude_value(name, arch) {
                return Ok(v);
            }
            let defined_on: Vec<Arch> = Arch::ALL
                .iter()
                .copied()
                .filter(|a| prelude_value(name, *a).is_some())
                .collect();
            if !defined_on.is_empty() {
                self.report(
                    Diagnostic::new(
                        codes::UNKNOWN_CONSTANT,
                        path.span,
                        format!("`{name}` is not defined on {}", arch.name()),
                    )
                    .with_label(format!("undefined on {}", arch.name()))
                    .with_help(format!(
                        "it exists on {}; put the rule in an `on {}` block",
                        super::arch_list(&defined_on),
                        defined_on[0].name()
                    )),
                );
                return Err(());
            }
        }
        let mut cands = self.visible_names(from, Some("constant"));
        cands.extend(
            crate::arch::all_constants()
                .iter()
                .map(|c| c.name.to_string()),
        );
        cands.extend(crate::arch::all_errno_names().iter().map(|s| s.to_string()));
        let help = self.path_help(from, path, &["constant"], &cands);
        let d = Diagnostic::new(
            codes::UNKNOWN_CONSTANT,
            path.span,
            format!("unknown constant `{}`", path.text()),
        )
        .with_label(if path.is_single() {
            "no constant of this name"
        } else {
            "not found"
        })
        .with_help_opt(help);
        self.report(d);
        Err(())
    }

    pub(crate) fn const_item_value(
        &mut self,
        def: DefId,
        arch: Arch,
        use_span: Span,
    ) -> Result<i128, ()> {
        if let Some(v) = self.const_cache.get(&(def, arch)) {
            return v.ok_or(());
        }
        if !self.const_in_progress.insert(def) {
            let name = self.item(def).name().cloned().expect("a const has a name");
            self.report(
                Diagnostic::new(
                    codes::CONST_CYCLE,
                    name.span,
                    format!("constant `{}` is defined in terms of itself", name.name),
                )
                .with_label("defined here")
                .with_secondary(
                    use_span,
                    "used here while its value is still being computed",
                )
                .with_help("give it a value that does not refer back to it"),
            );
            return Err(());
        }
        if self.const_in_progress.len() > super::MAX_CHAIN {
            self.const_in_progress.remove(&def);
            let span = self.item(def).name().map_or(use_span, |n| n.span);
            self.report_too_deep(span, "constants defined through other constants");
            return Err(());
        }
        let ast::ItemKind::Const(c) = self.item(def).kind.clone() else {
            self.const_in_progress.remove(&def);
            return Err(());
        };
        let v = match &c.value {
            ast::ConstValue::Expr(e) => self.eval_const(def.module, e, arch),
            ast::ConstValue::MatchArch { arms, span, .. } => {
                let arm = arms
                    .iter()
                    .find(|a| {
                        a.arches
                            .iter()
                            .any(|n| Arch::from_name(&n.name) == Some(arch))
                    })
                    .or_else(|| arms.iter().find(|a| a.wildcard.is_some()));
                match arm {
                    Some(a) => self.eval_const(def.module, &a.value, arch),
                    None => {
                        self.report(
                            Diagnostic::new(
                                codes::NO_ARCH_ARM,
                                *span,
                                format!("`match arch` has no arm for {}", arch.name()),
                            )
                            .with_label(format!("{} is not covered", arch.name()))
                            .with_secondary(use_span, format!("used here for {}", arch.name()))
                            .with_help("add an arm for it, or a `_ => …` arm"),
                        );
                        Err(())
                    }
                }
            }
        };
        self.const_in_progress.remove(&def);
        self.const_cache.insert((def, arch), v.ok());
        self.const_journal.push((def, arch));
        v
    }

    /// Checks every `const` item of a module once, on every architecture
    /// it can be evaluated for: arch-specific arms and prelude names decide
    /// per architecture, so errors that hold for every architecture are
    /// the ones reported here; the rest surface where the constant is used.
    pub(crate) fn check_consts(&mut self, module: ModuleId) {
        let items: Vec<(u32, ast::Const)> = self
            .module(module)
            .ast
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| match &it.kind {
                ast::ItemKind::Const(c) => Some((i as u32, c.clone())),
                _ => None,
            })
            .collect();
        for (item, c) in items {
            let def = DefId { module, item };
            if Arch::ALL
                .iter()
                .any(|a| prelude_value(&c.name.name, *a).is_some())
            {
                self.report(
                    Diagnostic::new(
                        codes::SHADOWS_PRELUDE,
                        c.name.span,
                        format!(
                            "`{}` shadows the prelude constant of the same name",
                            c.name.name
                        ),
                    )
                    .with_label("shadows a built-in constant")
                    .with_help("rename it, unless replacing the kernel's value is intended"),
                );
            }
            if let ast::ConstValue::MatchArch {
                scrutinee, arms, ..
            } = &c.value
            {
                if scrutinee.name != "arch" {
                    self.report(
                        Diagnostic::new(
                            codes::SYNTAX,
                            scrutinee.span,
                            format!("`match` takes `arch`, not `{}`", scrutinee.name),
                        )
                        .with_label("expected `arch`")
                        .with_help("a constant can depend only on the target architecture"),
                    );
                }
                for arm in arms {
                    for n in &arm.arches {
                        if Arch::from_name(&n.name).is_none() {
                            self.report_unknown_arch(n);
                        }
                    }
                }
                // Each arm is checked on an architecture it covers.
                for arm in arms {
                    let arch = arm
                        .arches
                        .iter()
                        .find_map(|n| Arch::from_name(&n.name))
                        .unwrap_or(Arch::X86_64);
                    let _ = self.eval_const(module, &arm.value, arch);
                }
                continue;
            }
            // A constant whose value fails on every architecture is wrong
            // in itself; one that fails on some is reported where used.
            let ok_somewhere = Arch::ALL.iter().any(|&a| {
                if let Some(v) = self.const_cache.get(&(def, a)) {
                    return v.is_some();
                }
                // Leave no trace: neither reports nor cached values of the
                // constants this one reaches (a cached failure would hide
                // the report that follows).
                let mark = (self.diags.len(), self.const_journal.len());
                let ok = self.const_item_value(def, a, c.name.span).is_ok();
                // A chain too deep fails the same way on every
                // architecture: keep its report and cached failures, so the
                // constants along the chain do not redo the walk.
                if self.diags[mark.0..]
                    .iter()
                    .any(|d| d.code == codes::TOO_DEEP)
                {
                    return false;
                }
                let dropped: Vec<Diagnostic> = self.diags.drain(mark.0..).collect();
                for d in dropped {
                    self.reported.remove(&(d.code, d.primary.span));
                }
                let added: Vec<(DefId, Arch)> = self.const_journal.drain(mark.1..).collect();
                for k in added {
                    self.const_cache.remove(&k);
                }
                ok
            });
            if !ok_somewhere {
                let _ = self.const_item_value(def, Arch::X86_64, c.name.span);
            }
        }
    }

    pub(crate) fn report_unknown_arch(&mut self, n: &ast::Ident) {
        let names: Vec<&str> = Arch::ALL.iter().map(|a| a.name()).chain(["x86"]).collect();
        // Other tools' names for the same ABIs (Go, Debian, Docker, uname).
        let other = match n.name.to_ascii_lowercase().as_str() {
            "amd64" | "x64" | "x86-64" => Some("x86_64"),
            "arm64" | "aarch64_be" => Some("aarch64"),
            "i686" | "i586" | "i486" | "ia32" | "386" => Some("i386"),
            "armhf" | "armel" | "armv7" | "armv7l" | "arm32" => Some("arm"),
            "riscv" | "rv64" | "riscv64gc" => Some("riscv64"),
            "ppc64" | "ppc64el" | "powerpc64le" | "powerpc64" => Some("ppc64le"),
            "s390" | "systemz" => Some("s390x"),
            _ => None,
        };
        let d = Diagnostic::new(
            codes::UNKNOWN_ARCH,
            n.span,
            format!("unknown architecture `{}`", n.name),
        )
        .with_label("not an architecture moat knows");
        let d = match other.or_else(|| suggest(&n.name, names.iter().copied())) {
            Some(s) if other.is_some() => d.with_help(format!("moat calls it `{s}`")),
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!(
                "the architectures are {} (`x86` is i386)",
                Arch::ALL
                    .iter()
                    .map(|a| format!("`{}`", a.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        self.report(d);
    }
}

/// A prelude name on one architecture: a constant of the reference tables,
/// else an errno name.
pub(crate) fn prelude_value(name: &str, arch: Arch) -> Option<i128> {
    if let Some(v) = arch.constant(name) {
        return Some(from_table(v));
    }
    arch.errno(name).map(i128::from)
}
