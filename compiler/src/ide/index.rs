//! The span index: every name of one module's file, classified by what it
//! refers to. Hover, go to definition, references and semantic tokens are
//! lookups in this one list.

use super::resolve::{self, Resolved, SyscallRef};
use crate::arch::Arch;
use crate::sema::{Analysis, DefId, ModuleId};
use crate::source::Span;
use crate::syntax::ast::{
    self, Action, ActionKind, ConstValue, Expr, ExprKind, Ident, ItemKind, Stmt, StmtKind,
};

/// What a name in the source refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Symbol {
    /// A constant, group, mixin or profile.
    Item(DefId),
    Module(ModuleId),
    Syscall(String),
    /// An argument name (or `argN`) of the syscalls the rule or test names.
    Arg {
        name: String,
        syscalls: Vec<String>,
    },
    /// A constant of the prelude (reference tables).
    PreludeConst(String),
    Errno(String),
    Action(ActionKind),
    Arch(String),
    Flag(String),
    /// A name nothing defines (sema reports it).
    Unresolved(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub span: Span,
    pub symbol: Symbol,
    /// This is the defining occurrence (an item's own name).
    pub def: bool,
    /// The architectures in force here: the enclosing profile's targets
    /// (narrowed by `on` blocks), else every architecture.
    pub arches: Vec<Arch>,
}

/// Every classified name of `module`, in source order.
pub fn index(a: &Analysis, module: ModuleId) -> Vec<Occurrence> {
    let mut w = Walker {
        a,
        module,
        out: Vec::new(),
    };
    if let Some(m) = a.modules.get(module.0 as usize) {
        for (i, item) in m.ast.items.iter().enumerate() {
            w.item(i as u32, item);
        }
    }
    w.out.sort_by_key(|o| (o.span.start, o.span.end));
    w.out
}

/// The occurrence under `offset` (a cursor touching a name's end counts).
pub fn at(a: &Analysis, module: ModuleId, offset: usize) -> Option<Occurrence> {
    let all = index(a, module);
    let inside = all
        .iter()
        .find(|o| (o.span.start as usize) <= offset && offset < (o.span.end as usize));
    inside
        .or_else(|| all.iter().find(|o| o.span.end as usize == offset))
        .cloned()
}

struct Walker<'a> {
    a: &'a Analysis,
    module: ModuleId,
    out: Vec<Occurrence>,
}

impl Walker<'_> {
    fn push(&mut self, span: Span, symbol: Symbol, def: bool, arches: &[Arch]) {
        self.out.push(Occurrence {
            span,
            symbol,
            def,
            arches: arches.to_vec(),
        });
    }

    fn item(&mut self, idx: u32, item: &ast::Item) {
        let all = Arch::ALL;
        let me = DefId {
            module: self.module,
            item: idx,
        };
        match &item.kind {
            ItemKind::Use(u) => self.use_item(u),
            ItemKind::Const(c) => {
                self.push(c.name.span, Symbol::Item(me), true, all);
                match &c.value {
                    ConstValue::Expr(e) => self.expr(e, None, all),
                    ConstValue::MatchArch {
                        scrutinee, arms, ..
                    } => {
                        let _ = scrutinee;
                        for arm in arms {
                            for ar in &arm.arches {
                                self.arch_name(ar, all);
                            }
                            self.expr(&arm.value, None, all);
                        }
                    }
                }
            }
            ItemKind::Group(g) => {
                self.push(g.name.span, Symbol::Item(me), true, all);
                for m in &g.members {
                    self.syscall_path(m, true, all);
                }
            }
            ItemKind::Mixin(m) => {
                self.push(m.name.span, Symbol::Item(me), true, all);
                self.body(&m.body, all);
            }
            ItemKind::Profile(p) => {
                self.push(p.name.span, Symbol::Item(me), true, all);
                if let Some(base) = &p.extends {
                    self.item_path(base);
                }
                let targets = resolve::profile_targets(self.a, me);
                self.body(&p.body, &targets);
            }
            ItemKind::Test(t) => {
                let targets = match self.item_path(&t.profile) {
                    Some(Resolved::Item(d)) => resolve::profile_targets(self.a, d),
                    _ => all.to_vec(),
                };
                for case in &t.cases {
                    if case.syscall.name.is_empty() {
                        continue;
                    }
                    let arches: Vec<Arch> = match &case.arch {
                        Some(ar) => {
                            self.arch_name(ar, &targets);
                            Arch::from_name(&ar.name).into_iter().collect()
                        }
                        None => targets.clone(),
                    };
                    let sc = case.syscall.name.clone();
                    let symbol = if resolve::syscall_anywhere(&sc) {
                        Symbol::Syscall(sc.clone())
                    } else {
                        Symbol::Unresolved(sc.clone())
                    };
                    self.push(case.syscall.span, symbol, false, &arches);
                    let syscalls = vec![sc];
                    for arg in &case.args {
                        if let Some(n) = &arg.name {
                            self.push(
                                n.span,
                                Symbol::Arg {
                                    name: n.name.clone(),
                                    syscalls: syscalls.clone(),
                                },
                                false,
                                &arches,
                            );
                        }
                        self.expr(&arg.value, None, &arches);
                    }
                    self.action(&case.expect, &arches);
                }
            }
            ItemKind::Error => {}
        }
    }

    fn use_item(&mut self, u: &ast::Use) {
        let all = Arch::ALL;
        match u {
            ast::Use::Module { path, names } => {
                let segs = &path.segments;
                // `std` itself has no definition; each longer prefix may.
                for i in 1..segs.len() {
                    match resolve::lookup(self.a, self.module, &segs[..=i]) {
                        Some(Resolved::Module(m)) => {
                            self.push(segs[i].span, Symbol::Module(m), false, all)
                        }
                        Some(Resolved::Item(d)) => {
                            self.push(segs[i].span, Symbol::Item(d), false, all)
                        }
                        None => {}
                    }
                }
                if let Some(names) = names {
                    let target = resolve::lookup(self.a, self.module, segs);
                    for n in names {
                        let sym = match target {
                            Some(Resolved::Module(m)) => self
                                .a
                                .module(m)
                                .items
                                .get(&n.name)
                                .map(|&item| Symbol::Item(DefId { module: m, item })),
                            _ => None,
                        };
                        self.push(
                            n.span,
                            sym.unwrap_or_else(|| Symbol::Unresolved(n.name.clone())),
                            false,
                            all,
                        );
                    }
                }
            }
            ast::Use::File {
                path_span, alias, ..
            } => {
                if let Some(b) = self.a.module(self.module).imports.get(&alias.name) {
                    if let crate::sema::BindingTarget::Module(m) = b.target {
                        self.push(*path_span, Symbol::Module(m), false, all);
                        self.push(alias.span, Symbol::Module(m), false, all);
                    }
                }
            }
        }
    }

    /// A path naming a profile, mixin or module item; prefixes are modules.
    fn item_path(&mut self, path: &ast::Path) -> Option<Resolved> {
        let segs = &path.segments;
        for i in 0..segs.len().saturating_sub(1) {
            if let Some(Resolved::Module(m)) = resolve::lookup(self.a, self.module, &segs[..=i]) {
                self.push(segs[i].span, Symbol::Module(m), false, Arch::ALL);
            }
        }
        let r = resolve::lookup(self.a, self.module, segs);
        let last = segs.last()?;
        match r {
            Some(Resolved::Item(d)) => self.push(last.span, Symbol::Item(d), false, Arch::ALL),
            Some(Resolved::Module(m)) => self.push(last.span, Symbol::Module(m), false, Arch::ALL),
            None => self.push(last.span, Symbol::Unresolved(path.text()), false, Arch::ALL),
        }
        r
    }

    fn syscall_path(&mut self, path: &ast::Path, in_group: bool, arches: &[Arch]) {
        let segs = &path.segments;
        for i in 0..segs.len().saturating_sub(1) {
            if let Some(Resolved::Module(m)) = resolve::lookup(self.a, self.module, &segs[..=i]) {
                self.push(segs[i].span, Symbol::Module(m), false, arches);
            }
        }
        let Some(last) = segs.last() else { return };
        let sym = match resolve::syscall_ref(self.a, self.module, path, in_group) {
            Some(SyscallRef::Syscall(s)) => Symbol::Syscall(s),
            Some(SyscallRef::Group(d)) => Symbol::Item(d),
            None => Symbol::Unresolved(path.text()),
        };
        self.push(last.span, sym, false, arches);
    }

    fn arch_name(&mut self, n: &Ident, arches: &[Arch]) {
        self.push(n.span, Symbol::Arch(n.name.clone()), false, arches);
    }

    fn action(&mut self, act: &Action, arches: &[Arch]) {
        let kw = act.kind.keyword();
        let start = act.span.start as usize;
        let span = Span::new(act.span.file, start, start + kw.len());
        self.push(span, Symbol::Action(act.kind), false, arches);
        if let Some(data) = &act.data {
            self.expr(data, None, arches);
        }
    }

    fn body(&mut self, body: &[Stmt], arches: &[Arch]) {
        for s in body {
            self.stmt(s, arches);
        }
    }

    fn stmt(&mut self, s: &Stmt, arches: &[Arch]) {
        match &s.kind {
            StmtKind::Targets(names) => {
                for n in names {
                    self.arch_name(n, arches);
                }
            }
            StmtKind::Default(a) | StmtKind::BadArch(a) | StmtKind::Unknown(a) => {
                self.action(a, arches)
            }
            StmtKind::Flags(names) => {
                for n in names {
                    self.push(n.span, Symbol::Flag(n.name.clone()), false, arches);
                }
            }
            StmtKind::Rule(r) => {
                self.action(&r.action, arches);
                let mut syscalls = Vec::new();
                for p in &r.syscalls {
                    self.syscall_path(p, false, arches);
                    match resolve::syscall_ref(self.a, self.module, p, false) {
                        Some(SyscallRef::Syscall(s)) => syscalls.push(s),
                        Some(SyscallRef::Group(d)) => {
                            for m in resolve::group_members(self.a, d, None) {
                                if !syscalls.contains(&m) {
                                    syscalls.push(m);
                                }
                            }
                        }
                        None => {}
                    }
                }
                if let Some(pred) = &r.pred {
                    self.expr(pred, Some(&syscalls), arches);
                }
            }
            StmtKind::Include(p) => {
                self.item_path(p);
            }
            StmtKind::On { arches: on, body } => {
                for n in on {
                    self.arch_name(n, arches);
                }
                let narrowed: Vec<Arch> = on
                    .iter()
                    .filter_map(|n| Arch::from_name(&n.name))
                    .filter(|a| arches.contains(a))
                    .collect();
                let inner = if narrowed.is_empty() {
                    arches.to_vec()
                } else {
                    narrowed
                };
                self.body(body, &inner);
            }
            StmtKind::Error => {}
        }
    }

    /// `syscalls` is set inside a rule's predicate, where a name is an
    /// argument first.
    fn expr(&mut self, e: &Expr, syscalls: Option<&[String]>, arches: &[Arch]) {
        match &e.kind {
            ExprKind::Int(_) | ExprKind::Null | ExprKind::Error => {}
            ExprKind::Name(path) => self.value_name(path, syscalls, arches),
            ExprKind::Unary(_, x) | ExprKind::Paren(x) => self.expr(x, syscalls, arches),
            ExprKind::Binary(_, l, r) => {
                self.expr(l, syscalls, arches);
                self.expr(r, syscalls, arches);
            }
            ExprKind::InList(v, list) => {
                self.expr(v, syscalls, arches);
                for x in list {
                    self.expr(x, syscalls, arches);
                }
            }
            ExprKind::InRange { value, lo, hi, .. } => {
                self.expr(value, syscalls, arches);
                self.expr(lo, syscalls, arches);
                self.expr(hi, syscalls, arches);
            }
        }
    }

    fn value_name(&mut self, path: &ast::Path, syscalls: Option<&[String]>, arches: &[Arch]) {
        let Some(last) = path.segments.last() else {
            return;
        };
        if path.segments.len() == 1 {
            let name = &last.name;
            if let Some(scs) = syscalls {
                if is_arg_of(name, scs, arches) {
                    self.push(
                        last.span,
                        Symbol::Arg {
                            name: name.clone(),
                            syscalls: scs.to_vec(),
                        },
                        false,
                        arches,
                    );
                    return;
                }
            }
        }
        for i in 0..path.segments.len().saturating_sub(1) {
            if let Some(Resolved::Module(m)) =
                resolve::lookup(self.a, self.module, &path.segments[..=i])
            {
                self.push(path.segments[i].span, Symbol::Module(m), false, arches);
            }
        }
        let sym = match resolve::lookup(self.a, self.module, &path.segments) {
            Some(Resolved::Item(d)) => Symbol::Item(d),
            Some(Resolved::Module(m)) => Symbol::Module(m),
            None if path.segments.len() == 1 => prelude_symbol(&last.name),
            None => Symbol::Unresolved(path.text()),
        };
        self.push(last.span, sym, false, arches);
    }
}

/// A name as the prelude sees it: a reference-table constant, an errno, or
/// nothing.
pub(crate) fn prelude_symbol(name: &str) -> Symbol {
    if crate::arch::constant_info(name).is_some() {
        Symbol::PreludeConst(name.to_string())
    } else if crate::arch::errno_info(name).is_some() {
        Symbol::Errno(name.to_string())
    } else {
        Symbol::Unresolved(name.to_string())
    }
}

/// `argN`, or a name some of `syscalls` gives an argument on some of `arches`.
pub(crate) fn is_arg_of(name: &str, syscalls: &[String], arches: &[Arch]) -> bool {
    if positional(name).is_some() {
        return true;
    }
    syscalls.iter().any(|s| {
        arches
            .iter()
            .filter_map(|a| a.syscall(s))
            .any(|sc| sc.arg(name).is_some())
    })
}

/// `arg3` → 3.
pub(crate) fn positional(name: &str) -> Option<u8> {
    let n = name.strip_prefix("arg")?;
    if n.len() == 1 {
        let d = n.as_bytes()[0];
        if d.is_ascii_digit() && d < b'6' {
            return Some(d - b'0');
        }
    }
    None
}
