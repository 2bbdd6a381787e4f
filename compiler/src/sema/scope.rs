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
                        let help = match other {
                            ast::ItemKind::Mixin(_) => "a mixin cannot be extended or built; `include` it inside a profile instead".to_string(),
                            ast::ItemKind::Group(_) => format!(
                                "{role} takes {wanted}; a group goes in a rule, as in `allow {}`",
                                path.text()
                            ),
                            _ => format!("{role} takes {wanted}"),
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
            Some(Resolved::Module(m)) => {
                let module = self.module(m);
                let mut profiles: Vec<&str> = module
                    .items
                    .iter()
                    .filter(|(_, &i)| {
                        matches!(module.ast.items[i as usize].kind, ast::ItemKind::Profile(_))
                    })
                    .map(|(n, _)| n.as_str())
                    .collect();
                profiles.sort_unstable();
                let help = match profiles.first() {
                    Some(p) => Some(format!(
                        "name a profile inside it, as in `{}::{p}`",
                        path.text()
                    )),
                    None => Some(format!("`{}` has no profiles", path.text())),
                };
                self.report(
                    Diagnostic::new(
                        codes::WRONG_ITEM_KIND,
                        path.span,
                        format!("`{}` is a module, not a profile", path.text()),
                    )
                    .with_label("a module")
                    .with_help_opt(help),
                );
                None
            }
            None => {
                let mut cands = self.visible_names(from, Some("profile"));
                let mut kinds = vec!["profile"];
                if allow_mixin {
                    cands.extend(self.visible_names(from, Some("mixin")));
                    kinds.push("mixin");
                }
                let help = self.path_help(from, path, &kinds, &cands).or_else(|| {
                    (path.is_single() && !cands.is_empty() && cands.len() <= 8).then(|| {
                        format!(
                            "the {} in scope {} {}",
                            if allow_mixin {
                                "profiles and mixins"
                            } else {
                                "profiles"
                            },
                            if cands.len() == 1 { "is" } else { "are" },
                            cands
                                .iter()
                                .map(|c| format!("`{c}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })
                });
                let d = Diagnostic::new(
                    codes::UNKNOWN_PROFILE,
                    path.span,
                    format!(
                        "there is no {} `{}`",
                        if allow_mixin {
                            "profile or mixin"
                        } else {
                            "profile"
                        },
                        path.text()
                    ),
                )
                .with_label("not found")
                .with_help_opt(help);
                self.report(d);
                None
            }
        }
    }

    /// A "did you mean" for a path that did not resolve: for `a::b` the
    /// items of module `a` of the wanted kinds (or, when `a` itself is
    /// unknown, a module alias close to `a`); for a bare name the
    /// `local` candidates.
    pub(crate) fn suggest_path(
        &mut self,
        from: ModuleId,
        path: &ast::Path,
        kinds: &[&str],
        local: &[String],
    ) -> Option<String> {
        let segs = &path.segments;
        if segs.len() == 1 {
            return suggest(&segs[0].name, local.iter().map(String::as_str)).map(str::to_string);
        }
        let prefix = ast::Path {
            segments: segs[..segs.len() - 1].to_vec(),
            span: path.span,
        };
        let last = &segs[segs.len() - 1].name;
        match self.lookup(from, &prefix) {
            Some(Resolved::Module(m)) => {
                let module = self.module(m);
                let names: Vec<String> = module
                    .items
                    .iter()
                    .filter(|(_, &i)| {
                        kinds.contains(&super::load::kind_word(&module.ast.items[i as usize].kind))
                    })
                    .map(|(n, _)| n.clone())
                    .collect();
                suggest(last, names.iter().map(String::as_str))
                    .map(|s| format!("{}::{s}", prefix.text()))
            }
            Some(Resolved::Item(_)) => None,
            None => {
                // `std::grops::mount`
                if segs.len() == 3 && segs[0].name == "std" {
                    return suggest(&segs[1].name, crate::stdlib::names())
                        .map(|m| format!("std::{m}::{last}"));
                }
                let m = self.module(from);
                let mut aliases: Vec<&str> = m
                    .imports
                    .iter()
                    .filter(|(_, b)| matches!(b.target, BindingTarget::Module(_)))
                    .map(|(n, _)| n.as_str())
                    .collect();
                aliases.sort_unstable();
                let alias = suggest(&segs[0].name, aliases)?;
                let rest: Vec<&str> = segs[1..].iter().map(|s| s.name.as_str()).collect();
                Some(format!("{alias}::{}", rest.join("::")))
            }
        }
    }

    /// Help for an unresolved path: a suggestion, or for `a::b` with an
    /// unknown `a`, a reminder that modules are imported with `use`.
    pub(crate) fn path_help(
        &mut self,
        from: ModuleId,
        path: &ast::Path,
        kinds: &[&str],
        local: &[String],
    ) -> Option<String> {
        if let Some(s) = self.suggest_path(from, path, kinds, local) {
            return Some(format!("did you mean `{s}`?"));
        }
        if path.segments.len() > 1 {
            let prefix = ast::Path {
                segments: path.segments[..path.segments.len() - 1].to_vec(),
                span: path.span,
            };
            if self.lookup(from, &prefix).is_none() {
                return Some(format!(
                    "`{}` is not a module here: import it with `use`",
                    prefix.text()
                ));
            }
        }
        None
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
                let help = match self.qualified_group_name(from, g) {
                    Some(q) => format!(
                        "for the group write `{q}`; for the syscall alone, drop `{name}` from the `use` list"
                    ),
                    None => format!(
                        "rename the group: a bare `{name}` in a rule cannot tell it from the syscall"
                    ),
                };
                self.report(
                    Diagnostic::new(
                        codes::AMBIGUOUS_NAME,
                        path.span,
                        format!("`{name}` is both a syscall and a group"),
                    )
                    .with_label("the syscall, or the imported group?")
                    .with_help(help),
                );
                None
            }
            (true, Some(g)) if !prefer_syscall => Some(SyscallRef::Group(g)),
            (true, _) => Some(SyscallRef::Syscall(name.clone())),
            (false, Some(g)) => Some(SyscallRef::Group(g)),
            (false, None) => {
                let mut cands: Vec<String> = self.visible_names(from, Some("group"));
                cands.extend(all_syscall_names().map(str::to_string));
                let help = self.path_help(from, path, &["group"], &cands);
                let d = Diagnostic::new(
                    codes::UNKNOWN_SYSCALL,
                    path.span,
                    if path.is_single() {
                        format!("unknown syscall or group `{name}`")
                    } else {
                        format!("there is no group `{}`", path.text())
                    },
                )
                .with_label(if path.is_single() {
                    "not a syscall on any architecture, nor a group in scope"
                } else {
                    "not found"
                })
                .with_help_opt(help);
                self.report(d);
                None
            }
        }
    }

    /// A path that reaches group `g` from `from` without the bare name:
    /// through a module alias `from` imports, else `std::…` for the
    /// standard library. `None` for a group of `from` itself.
    fn qualified_group_name(&self, from: ModuleId, g: DefId) -> Option<String> {
        let name = self.item(g).name()?.name.clone();
        if g.module == from {
            return None;
        }
        let mut aliases: Vec<&String> = self
            .module(from)
            .imports
            .iter()
            .filter(|(_, b)| b.target == BindingTarget::Module(g.module))
            .map(|(n, _)| n)
            .collect();
        aliases.sort();
        if let Some(alias) = aliases.first() {
            return Some(format!("{alias}::{name}"));
        }
        let module = &self.module(g.module).name;
        module
            .starts_with("std::")
            .then(|| format!("{module}::{name}"))
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
        if self.group_depth as usize >= super::MAX_CHAIN {
            let span = g.name.span;
            self.report_too_deep(span, "groups");
            return;
        }
        self.group_depth += 1;
        for m in &members {
            match self.resolve_syscall_ref_quiet(group.module, m) {
                Some(SyscallRef::Syscall(s)) if arch.syscall(&s).is_some() && !out.contains(&s) => {
                    out.push(s);
                }
                Some(SyscallRef::Group(inner)) => self.group_members(inner, arch, out, seen),
                _ => {}
            }
        }
        self.group_depth -= 1;
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
