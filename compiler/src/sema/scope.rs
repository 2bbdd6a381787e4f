//! Name resolution: paths to items and modules, syscall names and groups.

use super::{BindingTarget, Cx, DefId, ModuleId};
use crate::arch::Arch;
use crate::diagnostics::{codes, suggest, Diagnostic};
use crate::syntax::ast;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
    Item(DefId),
    Module(ModuleId),
}

/// One entry of a rule's syscall list after resolution.
#[derive(Clone, Debug)]
pub(crate) enum SyscallRef {
    Syscall(String),
    Group(DefId),
}

impl Cx {
    /// Looks a path up without reporting anything.
    pub(crate) fn lookup(&mut self, from: ModuleId, path: &ast::Path) -> Option<Resolved> {
        let segs = &path.segments;
        let first = &segs[0].name;
        if segs.len() == 1 {
            if let Some(&item) = self.module(from).items.get(first) {
                return Some(Resolved::Item(DefId { module: from, item }));
            }
            return self.lookup_binding(from, first);
        }
        let mut module = if first == "std" && !self.module(from).imports.contains_key("std") {
            let name = &segs[1].name;
            let m = self.stdlib_module(name)?;
            if segs.len() == 2 {
                return Some(Resolved::Module(m));
            }
            return self.lookup_in(m, &segs[2..]);
        } else {
            match self.lookup_binding(from, first)? {
                Resolved::Module(m) => m,
                Resolved::Item(_) => return None,
            }
        };
        for (i, seg) in segs[1..].iter().enumerate() {
            let last = i + 2 == segs.len();
            if last {
                let item = *self.module(module).items.get(&seg.name)?;
                return Some(Resolved::Item(DefId { module, item }));
            }
            match self.module(module).imports.get(&seg.name)?.target {
                BindingTarget::Module(m) => module = m,
                BindingTarget::Item(_) => return None,
            }
        }
        None
    }

    fn lookup_in(&mut self, module: ModuleId, segs: &[ast::Ident]) -> Option<Resolved> {
        if segs.len() != 1 {
            return None;
        }
        let item = *self.module(module).items.get(&segs[0].name)?;
        Some(Resolved::Item(DefId { module, item }))
    }

    fn lookup_binding(&mut self, from: ModuleId, name: &str) -> Option<Resolved> {
        let b = self.module(from).imports.get(name)?.target;
        self.used_bindings.insert((from, name.to_string()));
        Some(match b {
            BindingTarget::Module(m) => Resolved::Module(m),
            BindingTarget::Item(d) => Resolved::Item(d),
        })
    }

    /// A stdlib module reached by an absolute `std::…` path, loaded on first use.
    fn stdlib_module(&mut self, name: &str) -> Option<ModuleId> {
        let origin = crate::source::Origin::Stdlib(name.to_string());
        if let Some(file) = self.sources.find(&origin) {
            return self.modules.iter().find(|m| m.file == file).map(|m| m.id);
        }
        let text = crate::stdlib::source(name)?;
        let root = crate::source::Origin::Memory;
        let _ = root;
        Some(self.load_stdlib_quiet(name, text))
    }

    /// Names visible in a module, for "did you mean".
    pub(crate) fn visible_names(&self, from: ModuleId, kind: Option<&str>) -> Vec<String> {
        let m = self.module(from);
        let mut out: Vec<String> = m
            .items
            .iter()
            .filter(|(_, &i)| {
                kind.is_none_or(|k| super::load::kind_word(&m.ast.items[i as usize].kind) == k)
            })
            .map(|(n, _)| n.clone())
            .collect();
        for (n, b) in &m.imports {
            let ok = match b.target {
                BindingTarget::Item(d) => {
                    kind.is_none_or(|k| super::load::kind_word(&self.item(d).kind) == k)
                }
                BindingTarget::Module(_) => kind.is_none(),
            };
            if ok {
                out.push(n.clone());
            }
        }
        out.sort();
        out
    }

    /// Resolves a path that must name a profile (or a mixin, when allowed).
    pub(crate) fn resolve_profile(
        &mut self,
        from: ModuleId,
        path: &ast::Path,
        allow_mixin: bool,
        role: &str,
    ) -> Option<DefId> {
        match self.lookup(from, path) {
            Some(Resolved::Item(def)) => {
                let kind = &self.item(def).kind;
                match kind {
                    ast::ItemKind::Profile(_) => Some(def),
                    ast::ItemKind::Mixin(_) if allow_mixin => Some(def),
                    other => {
                        let word = super::load::kind_word(other);
                        let wanted = if allow_mixin {
                            "a profile or a mixin"
                        } else {
                            "a profile"
                        };
                        let help = if matches!(other, ast::ItemKind::Mixin(_)) {
                            "a mixin cannot be extended or built; `include` it inside a profile instead".to_string()
                        } else {
                            format!("{role} takes {wanted}")
                        };
                        self.report(
                            Diagnostic::new(
                                codes::WRONG_ITEM_KIND,
                                path.span,
                                format!("`{}` is a {word}, not {wanted}", path.text()),
                            )
                            .with_label(format!("a {word}"))
                            .with_help(help),
                        );
                        None
                    }
                }
            }
            Some(Resolved::Module(_)) => {
                self.report(
                    Diagnostic::new(
                        codes::WRONG_ITEM_KIND,
                        path.span,
                        format!("`{}` is a module, not a profile", path.text()),
                    )
                    .with_label("a module")
                    .with_help(format!(
                        "name a profile inside it, as in `{}::default`",
                        path.text()
                    )),
                );
                None
            }
            None => {
                let mut cands = self.visible_names(from, Some("profile"));
                if allow_mixin {
                    cands.extend(self.visible_names(from, Some("mixin")));
                }
                let (module_hint, cands) = self.candidates_for_path(from, path, cands);
                let d = Diagnostic::new(
                    codes::UNKNOWN_PROFILE,
                    path.span,
                    format!("there is no profile `{}`", path.text()),
                )
                .with_label("not found");
                let d = match suggest(&path.last().name, cands.iter().map(String::as_str)) {
                    Some(s) => d.with_help(format!("did you mean `{}{s}`?", module_hint)),
                    None if path.segments.len() > 1 => d.with_help(format!(
                        "is `{}` imported with `use`?",
                        path.segments[0].name
                    )),
                    None => d,
                };
                self.report(d);
                None
            }
        }
    }

    /// For `a::b` the names inside module `a`, else the given candidates.
    fn candidates_for_path(
        &mut self,
        from: ModuleId,
        path: &ast::Path,
        local: Vec<String>,
    ) -> (String, Vec<String>) {
        if path.segments.len() >= 2 {
            let prefix = ast::Path {
                segments: path.segments[..path.segments.len() - 1].to_vec(),
                span: path.span,
            };
            if let Some(Resolved::Module(m)) = self.lookup(from, &prefix) {
                let names = self.module(m).items.keys().cloned().collect();
                return (format!("{}::", prefix.text()), names);
            }
        }
        (String::new(), local)
    }

    /// Resolves one entry of a rule's or group's syscall list. In a group
    /// definition (`prefer_syscall`) a bare name that is a syscall means the
    /// syscall, which lets `group mount = [mount, …]` say what it means.
    /// In a rule, a name is ambiguous only if it is a syscall on one of
    /// `arches` (the architectures the rule applies to): `signal` names
    /// the group in a profile for x86_64 and aarch64, which lack the call.
    pub(crate) fn resolve_syscall_ref(
        &mut self,
        from: ModuleId,
        path: &ast::Path,
        prefer_syscall: bool,
        arches: &[Arch],
    ) -> Option<SyscallRef> {
        let name = &path.last().name;
        let on_arches = path.is_single() && arches.iter().any(|a| a.syscall(name).is_some());
        let is_syscall = path.is_single() && syscall_exists_anywhere(name);
        let group = match self.lookup(from, path) {
            Some(Resolved::Item(def)) if matches!(self.item(def).kind, ast::ItemKind::Group(_)) => {
                Some(def)
            }
            Some(Resolved::Item(def)) if !is_syscall => {
                let word = super::load::kind_word(&self.item(def).kind);
                self.report(
                    Diagnostic::new(
                        codes::WRONG_ITEM_KIND,
                        path.span,
                        format!("`{}` is a {word}, not a syscall or group", path.text()),
                    )
                    .with_label(format!("a {word}"))
                    .with_help("a rule lists syscalls and groups"),
                );
                return None;
            }
            _ => None,
        };
        match (is_syscall, group) {
            (true, Some(g)) if !prefer_syscall && on_arches => {
                let qualified = self.qualified_group_name(from, g);
                self.report(
                    Diagnostic::new(
                        codes::AMBIGUOUS_NAME,
                        path.span,
                        format!("`{name}` is both a syscall and a group"),
                    )
                    .with_label("ambiguous")
                    .with_help(format!(
                        "write `{qualified}` for the group; for the syscall alone, do not import the group by name"
                    )),
                );
                None
            }
            (true, Some(g)) if !prefer_syscall => Some(SyscallRef::Group(g)),
            (true, _) => Some(SyscallRef::Syscall(name.clone())),
            (false, Some(g)) => Some(SyscallRef::Group(g)),
            (false, None) => {
                let mut cands: Vec<String> = self.visible_names(from, Some("group"));
                cands.extend(all_syscall_names().map(str::to_string));
                let d = Diagnostic::new(
                    codes::UNKNOWN_SYSCALL,
                    path.span,
                    if path.is_single() {
                        format!("unknown syscall or group `{name}`")
                    } else {
                        format!("there is no group `{}`", path.text())
                    },
                )
                .with_label("not a syscall on any architecture, nor a group in scope");
                let d = match suggest(name, cands.iter().map(String::as_str)) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d,
                };
                self.report(d);
                None
            }
        }
    }

    fn qualified_group_name(&self, from: ModuleId, g: DefId) -> String {
        let module = self.module(g.module);
        let name = self
            .item(g)
            .name()
            .map(|n| n.name.clone())
            .unwrap_or_default();
        if g.module == from {
            return name;
        }
        let short = module
            .name
            .rsplit("::")
            .next()
            .unwrap_or(&module.name)
            .to_string();
        if module.name.starts_with("std::") {
            format!("{short}::{name}")
        } else {
            format!("{}::{name}", short)
        }
    }

    /// The syscalls a group stands for on one architecture, members that do
    /// not exist there left out. Cycles were reported by `check_groups`.
    pub(crate) fn group_members(
        &mut self,
        group: DefId,
        arch: Arch,
        out: &mut Vec<String>,
        seen: &mut Vec<DefId>,
    ) {
        if seen.contains(&group) {
            return;
        }
        seen.push(group);
        let ast::ItemKind::Group(g) = &self.item(group).kind else {
            return;
        };
        let members = g.members.clone();
        for m in &members {
            match self.resolve_syscall_ref_quiet(group.module, m) {
                Some(SyscallRef::Syscall(s)) => {
                    if arch.syscall(&s).is_some() && !out.contains(&s) {
                        out.push(s);
                    }
                }
                Some(SyscallRef::Group(inner)) => self.group_members(inner, arch, out, seen),
                None => {}
            }
        }
    }

    pub(crate) fn resolve_syscall_ref_quiet(
        &mut self,
        from: ModuleId,
        path: &ast::Path,
    ) -> Option<SyscallRef> {
        let name = &path.last().name;
        if path.is_single() && syscall_exists_anywhere(name) {
            return Some(SyscallRef::Syscall(name.clone()));
        }
        match self.lookup(from, path) {
            Some(Resolved::Item(def)) if matches!(self.item(def).kind, ast::ItemKind::Group(_)) => {
                Some(SyscallRef::Group(def))
            }
            _ => None,
        }
    }
}

pub(crate) fn syscall_exists_anywhere(name: &str) -> bool {
    Arch::ALL.iter().any(|a| a.syscall(name).is_some())
}

pub(crate) fn all_syscall_names() -> impl Iterator<Item = &'static str> {
    let mut names: Vec<&'static str> = Arch::ALL
        .iter()
        .flat_map(|a| a.syscalls().iter().map(|s| s.name))
        .collect();
    names.sort_unstable();
    names.dedup();
    names.into_iter()
}
