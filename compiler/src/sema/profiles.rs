//! Profiles: settings with inheritance, rules expanded per architecture
//! through `include` and `on`, and the `extends` chain as layers.

use super::scope::SyscallRef;
use super::types::PredCx;
use super::{arch_list, kind_takes_data, Act, Cx, DefId, ModuleId};
use crate::arch::Arch;
use crate::bpf;
use crate::diagnostics::{codes, suggest, Diagnostic};
use crate::logic::Pred;
use crate::source::Span;
use crate::syntax::ast::{self, ActionKind, StmtKind};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct Settings {
    pub targets: Vec<Arch>,
    pub default: BTreeMap<Arch, Act>,
    /// For numbers the syscall table does not name.
    pub unknown: BTreeMap<Arch, Act>,
    /// For architectures outside `targets`.
    pub bad_arch: Act,
    /// SECCOMP_FILTER_FLAG_* to pass to seccomp(2), implied ones included.
    pub flags: u32,
}

/// A rule as it applies on each architecture.
#[derive(Clone, Debug)]
pub struct RuleInfo {
    /// The whole statement.
    pub span: Span,
    pub action_span: Span,
    /// Written in the profile itself (not spliced in by `include`).
    pub direct: bool,
    /// The rule has an `if` (which may still fold to a constant).
    pub conditional: bool,
    pub per_arch: BTreeMap<Arch, ArchRule>,
}

#[derive(Clone, Debug)]
pub struct ArchRule {
    pub action: Act,
    /// (syscall name, number, condition); `Pred::True` for no `if`.
    pub syscalls: Vec<(&'static str, u32, Pred)>,
}

#[derive(Clone, Debug)]
pub struct Layer {
    pub profile: DefId,
    pub name: String,
    pub rules: Vec<RuleInfo>,
}

#[derive(Clone, Debug)]
pub struct CheckedProfile {
    pub def: DefId,
    pub name: String,
    pub name_span: Span,
    pub doc: Option<String>,
    pub settings: Settings,
    /// The profile's own rules first, then its base's, and so on.
    pub layers: Vec<Layer>,
}

/// Settings as written in one profile, before inheritance.
#[derive(Default, Clone)]
struct Written {
    targets: Option<(Vec<ast::Ident>, Span)>,
    default: Option<ast::Action>,
    unknown: Option<ast::Action>,
    bad_arch: Option<ast::Action>,
    flags: Option<Vec<ast::Ident>>,
}

impl Cx {
    pub(crate) fn check_profile(&mut self, def: DefId) -> Option<CheckedProfile> {
        if let Some(done) = self.profile_cache.get(&def) {
            return done.clone();
        }
        let mut chain = vec![def];
        // A base that does not resolve ends the chain early; the profile's
        // own rules are still checked, but nothing is said about settings
        // the missing base may have had.
        let mut chain_broken = false;
        // The extends chain, root last.
        loop {
            let cur = *chain.last().expect("non-empty");
            let file = self.module(cur.module).ast.clone();
            let ast::ItemKind::Profile(p) = &file.items[cur.item as usize].kind else {
                return None;
            };
            let Some(base_path) = &p.extends else { break };
            let Some(base) = self.resolve_profile(cur.module, base_path, false, "`extends`") else {
                chain_broken = true;
                break;
            };
            if let Some(pos) = chain.iter().position(|d| *d == base) {
                self.report_extends_cycle(&chain[pos..]);
                self.profile_cache.insert(def, None);
                return None;
            }
            chain.push(base);
        }
        // Settings with errors still give the rules something to be
        // checked against: one run reports everything.
        let mut settings = self.resolve_settings(&chain, chain_broken);
        let mut layers = Vec::new();
        for (i, &layer_def) in chain.iter().enumerate() {
            let file = self.module(layer_def.module).ast.clone();
            let ast::ItemKind::Profile(p) = &file.items[layer_def.item as usize].kind else {
                unreachable!()
            };
            let mut rules = Vec::new();
            let mut stack = vec![layer_def];
            self.expand_body(
                layer_def.module,
                &p.body,
                &settings.targets,
                &settings.targets,
                i == 0,
                &mut stack,
                &mut rules,
            );
            layers.push(Layer {
                profile: layer_def,
                name: p.name.name.clone(),
                rules,
            });
        }
        settings.flags |= implied_flags(&settings, &layers);
        let item = self.item(def);
        let ast::ItemKind::Profile(p) = &item.kind else {
            unreachable!()
        };
        let checked = CheckedProfile {
            def,
            name: p.name.name.clone(),
            name_span: p.name.span,
            doc: item.doc.clone(),
            settings,
            layers,
        };
        self.pending_lints.push(checked.clone());
        self.profile_cache.insert(def, Some(checked.clone()));
        Some(checked)
    }

    /// One report per extends cycle (each profile on it extends the next,
    /// the last the first), at the `extends` of the cycle's first profile
    /// in source order, with the other `extends` clauses labelled.
    fn report_extends_cycle(&mut self, cycle: &[DefId]) {
        let Some(start) = cycle
            .iter()
            .enumerate()
            .min_by_key(|(_, d)| **d)
            .map(|(i, _)| i)
        else {
            return;
        };
        let order: Vec<DefId> = cycle[start..]
            .iter()
            .chain(&cycle[..start])
            .copied()
            .collect();
        let mut key = order.clone();
        key.sort();
        if !self.reported_cycles.insert(key) {
            return;
        }
        let info: Vec<(String, Option<ast::Path>)> = order
            .iter()
            .map(|d| match &self.item(*d).kind {
                ast::ItemKind::Profile(p) => (p.name.name.clone(), p.extends.clone()),
                _ => (String::new(), None),
            })
            .collect();
        let mut names: Vec<String> = info.iter().map(|(n, _)| n.clone()).collect();
        names.push(names[0].clone());
        let Some(first) = info[0].1.clone() else {
            return;
        };
        let message = if order.len() == 1 {
            format!("profile `{}` extends itself", names[0])
        } else {
            format!(
                "profiles {} extend each other in a cycle",
                super::and_list(&names[..order.len()])
            )
        };
        let mut d = Diagnostic::new(codes::EXTENDS_CYCLE, first.span, message).with_label(format!(
            "`{}` extends `{}`",
            names[0],
            first.text()
        ));
        for (name, ext) in &info[1..] {
            if let Some(e) = ext {
                d = d.with_secondary(e.span, format!("`{name}` extends `{}`", e.text()));
            }
        }
        self.report(
            d.with_note(format!("cycle: {}", names.join(" → ")))
                .with_help("a profile's base cannot depend on the profile; remove one `extends`"),
        );
    }

    /// Settings of a chain (profile first, root last): each one inherited
    /// unless restated.
    fn resolve_settings(&mut self, chain: &[DefId], chain_broken: bool) -> Settings {
        let written: Vec<(DefId, Written)> = chain
            .iter()
            .map(|&d| (d, self.written_settings(d)))
            .collect();
        let first = |f: &dyn Fn(&Written) -> bool| -> Option<usize> {
            written.iter().position(|(_, w)| f(w))
        };
        let root = *chain.last().expect("non-empty");
        let root_name = self.item(root).name().cloned().expect("profile has a name");
        // A profile whose body has a syntax error may have lost the very
        // statement that was missing: do not claim it is missing.
        let root_broken = chain_broken
            || match &self.item(root).kind {
                ast::ItemKind::Profile(p) => p.body.iter().any(|s| s.kind == StmtKind::Error),
                _ => false,
            };
        let root_written = &written.last().expect("non-empty").1;
        if root_written.targets.is_none() && !root_broken {
            self.report(
                Diagnostic::new(
                    codes::MISSING_TARGETS,
                    root_name.span,
                    format!("profile `{}` does not say which architectures it covers", root_name.name),
                )
                .with_label("no `targets`")
                .with_help(if chain.len() > 1 {
                    "the root of an `extends` chain states `targets` (profiles that extend it may restate them), so the result never depends on the build host".to_string()
                } else {
                    "add `targets x86_64, aarch64` (or the architectures you ship); the result must not depend on the build host".to_string()
                }),
            );
        }
        if root_written.default.is_none() && !root_broken {
            self.report(
                Diagnostic::new(
                    codes::MISSING_DEFAULT,
                    root_name.span,
                    format!("profile `{}` has no default action", root_name.name),
                )
                .with_label("no `default`")
                .with_help(if chain.len() > 1 {
                    "the root of an `extends` chain states `default`; add `default errno(EPERM)` (or `kill`, `allow`, …) to it".to_string()
                } else {
                    "add `default errno(EPERM)` (or `kill`, `allow`, …): it decides every call no rule matches".to_string()
                }),
            );
        }

        let targets: Vec<Arch> = match first(&|w| w.targets.is_some()) {
            Some(i) => {
                let module = written[i].0.module;
                let _ = module;
                let (names, _) = written[i].1.targets.clone().expect("found");
                let mut v = Vec::new();
                for n in &names {
                    match Arch::from_name(&n.name) {
                        Some(a) if !v.contains(&a) => v.push(a),
                        Some(_) => {}
                        None => self.report_unknown_arch(n),
                    }
                }
                v
            }
            None => Vec::new(),
        };
        let default_at = first(&|w| w.default.is_some());
        let mut default = BTreeMap::new();
        let mut unknown = BTreeMap::new();
        if let Some(i) = default_at {
            let (d, w) = &written[i];
            let action = w.default.clone().expect("found");
            for &arch in &targets {
                match self.resolve_action(d.module, &action, arch) {
                    Ok(a) => {
                        default.insert(arch, a);
                    }
                    Err(()) => {
                        default.insert(arch, Act::KILL);
                    }
                }
            }
        }
        match first(&|w| w.unknown.is_some()) {
            Some(i) => {
                let (d, w) = &written[i];
                let action = w.unknown.clone().expect("found");
                for &arch in &targets {
                    match self.resolve_action(d.module, &action, arch) {
                        Ok(a) => {
                            unknown.insert(arch, a);
                        }
                        Err(()) => {
                            unknown.insert(arch, Act::KILL);
                        }
                    }
                }
            }
            None => unknown = default.clone(),
        }
        let bad_arch = match first(&|w| w.bad_arch.is_some()) {
            Some(i) => {
                let (d, w) = &written[i];
                let action = w.bad_arch.clone().expect("found");
                // The calling architecture is unknown to the filter; errno
                // names take their generic (x86_64) values.
                self.resolve_action(d.module, &action, Arch::X86_64)
                    .unwrap_or(Act::KILL)
            }
            None => Act::KILL,
        };
        let mut flags = 0u32;
        if let Some(i) = first(&|w| w.flags.is_some()) {
            for f in written[i].1.flags.clone().expect("found") {
                match f.name.as_str() {
                    "tsync" => flags |= bpf::SECCOMP_FILTER_FLAG_TSYNC,
                    "log" => flags |= bpf::SECCOMP_FILTER_FLAG_LOG,
                    "spec_allow" => flags |= bpf::SECCOMP_FILTER_FLAG_SPEC_ALLOW,
                    "wait_killable_recv" => flags |= bpf::SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
                    "new_listener" => flags |= bpf::SECCOMP_FILTER_FLAG_NEW_LISTENER,
                    "tsync_esrch" => flags |= bpf::SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
                    other => {
                        let names = [
                            "tsync",
                            "log",
                            "spec_allow",
                            "wait_killable_recv",
                            "new_listener",
                            "tsync_esrch",
                        ];
                        let d = Diagnostic::new(
                            codes::UNKNOWN_FLAG,
                            f.span,
                            format!("unknown filter flag `{other}`"),
                        )
                        .with_label("not a seccomp filter flag");
                        let d = match suggest(other, names) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None if other == "no_new_privs" => d.with_help(
                                "no_new_privs is set on the process (prctl PR_SET_NO_NEW_PRIVS) by whatever loads the filter, not passed as a filter flag",
                            ),
                            None => d.with_help(format!(
                                "the flags are {}",
                                names.map(|n| format!("`{n}`")).join(", ")
                            )),
                        };
                        self.report(d);
                    }
                }
            }
        }
        Settings {
            targets,
            default,
            unknown,
            bad_arch,
            flags,
        }
    }

    /// Top-level settings of one profile, with duplicates reported.
    fn written_settings(&mut self, def: DefId) -> Written {
        let file = self.module(def.module).ast.clone();
        let ast::ItemKind::Profile(p) = &file.items[def.item as usize].kind else {
            return Written::default();
        };
        let mut w = Written::default();
        let mut seen: BTreeMap<&'static str, Span> = BTreeMap::new();
        for s in &p.body {
            let word = match &s.kind {
                StmtKind::Targets(t) => {
                    w.targets.get_or_insert((t.clone(), s.span));
                    "targets"
                }
                StmtKind::Default(a) => {
                    w.default.get_or_insert(a.clone());
                    "default"
                }
                StmtKind::Unknown(a) => {
                    w.unknown.get_or_insert(a.clone());
                    "unknown"
                }
                StmtKind::BadArch(a) => {
                    w.bad_arch.get_or_insert(a.clone());
                    "bad_arch"
                }
                StmtKind::Flags(f) => {
                    w.flags.get_or_insert(f.clone());
                    "flags"
                }
                _ => continue,
            };
            if let Some(prev) = seen.get(word) {
                self.report(
                    Diagnostic::new(
                        codes::DUPLICATE_SETTING,
                        s.span,
                        format!("`{word}` is stated twice"),
                    )
                    .with_label("second statement")
                    .with_secondary(*prev, "first stated here")
                    .with_help("a profile states each setting once; the first one counts"),
                );
            } else {
                seen.insert(word, s.span);
            }
        }
        w
    }

    /// An action with its data resolved for one architecture.
    pub(crate) fn resolve_action(
        &mut self,
        module: ModuleId,
        a: &ast::Action,
        arch: Arch,
    ) -> Result<Act, ()> {
        let takes = kind_takes_data(a.kind);
        let data = match (&a.data, a.kind) {
            (None, ActionKind::Errno) => {
                self.report(
                    Diagnostic::new(
                        codes::ACTION_DATA_SHAPE,
                        a.span,
                        "`errno` needs the error to return",
                    )
                    .with_label("which errno?")
                    .with_help("write `errno(EPERM)`, `errno(ENOSYS)`, … or a number up to 4095"),
                );
                return Err(());
            }
            (None, _) => 0,
            (Some(e), _) if !takes => {
                self.report(
                    Diagnostic::new(
                        codes::ACTION_DATA_SHAPE,
                        e.span,
                        format!("`{}` takes no value", a.kind.keyword()),
                    )
                    .with_label("remove this")
                    .with_help("only `errno(E)`, `trap(N)` and `trace(N)` carry data"),
                );
                return Err(());
            }
            (Some(e), kind) => {
                // In `errno(…)` a bare name is a `const` in scope if there is
                // one (it shadows the prelude, with a warning where it is
                // defined), else the errno of that name on this
                // architecture, else a prelude constant.
                let errno_name = match (&e.kind, kind) {
                    (ast::ExprKind::Name(p), ActionKind::Errno)
                        if p.is_single() && self.lookup(module, p).is_none() =>
                    {
                        let n = &p.segments[0].name;
                        match arch.errno(n) {
                            Some(v) => Some(i128::from(v)),
                            None if arch.constant(n).is_some() => None,
                            None => {
                                let d = Diagnostic::new(
                                    codes::UNKNOWN_ERRNO,
                                    e.span,
                                    format!("unknown errno `{n}`"),
                                )
                                .with_label("not an errno name");
                                let d = match suggest(n, crate::arch::all_errno_names().iter().copied()) {
                                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                                    None => d.with_help("errno names are the kernel's, such as `EPERM`, `EACCES`, `ENOSYS`; a number up to 4095 works too"),
                                };
                                self.report(d);
                                return Err(());
                            }
                        }
                    }
                    _ => None,
                };
                let v = match errno_name {
                    Some(v) => v,
                    None => self.eval_const(module, e, arch)?,
                };
                let max = if kind == ActionKind::Errno {
                    4095
                } else {
                    65535
                };
                if !(0..=max).contains(&v) {
                    self.report(
                        Diagnostic::new(
                            codes::ACTION_DATA_RANGE,
                            e.span,
                            format!("`{}` takes 0..={max}, not {v}", kind.keyword()),
                        )
                        .with_label("out of range")
                        .with_help(if kind == ActionKind::Errno {
                            "the kernel returns errno values up to 4095 (MAX_ERRNO)".to_string()
                        } else {
                            "the value travels in the 16 data bits of the filter's return value"
                                .to_string()
                        }),
                    );
                    return Err(());
                }
                v as u16
            }
        };
        Ok(Act { kind: a.kind, data })
    }

    /// Expands statements into rules. `filter` is the set of architectures
    /// the statements apply to (narrowed by `on`), `targets` the profile's.
    #[allow(clippy::too_many_arguments)]
    fn expand_body(
        &mut self,
        module: ModuleId,
        body: &[ast::Stmt],
        filter: &[Arch],
        targets: &[Arch],
        direct: bool,
        stack: &mut Vec<DefId>,
        out: &mut Vec<RuleInfo>,
    ) {
        for stmt in body {
            match &stmt.kind {
                StmtKind::Rule(rule) => {
                    if let Some(r) = self.expand_rule(module, rule, stmt.span, filter, direct) {
                        out.push(r);
                    }
                }
                StmtKind::On { arches, body } => {
                    let mut narrowed = Vec::new();
                    for n in arches {
                        match Arch::from_name(&n.name) {
                            None => self.report_unknown_arch(n),
                            Some(a) if !targets.contains(&a) => {
                                if direct {
                                    self.report(
                                        Diagnostic::new(
                                            codes::ARCH_NOT_TARGETED,
                                            n.span,
                                            format!("{} is not among this profile's targets", a.name()),
                                        )
                                        .with_label("ignored")
                                        .with_help(format!("the targets are {}; add it to `targets` or remove it here", arch_list(targets))),
                                    );
                                }
                            }
                            Some(a) if !filter.contains(&a) => {
                                if direct {
                                    self.report(
                                        Diagnostic::new(
                                            codes::ARCH_NOT_TARGETED,
                                            n.span,
                                            format!("{} is outside the enclosing `on` block", a.name()),
                                        )
                                        .with_label("ignored")
                                        .with_help(format!("the enclosing block applies only to {}, so rules here never apply on {}", arch_list(filter), a.name())),
                                    );
                                }
                            }
                            Some(a) => {
                                if !narrowed.contains(&a) {
                                    narrowed.push(a);
                                }
                            }
                        }
                    }
                    self.expand_body(module, body, &narrowed, targets, direct, stack, out);
                }
                StmtKind::Include(path) => {
                    let Some(target) = self.resolve_profile(module, path, true, "`include`") else {
                        continue;
                    };
                    if let Some(pos) = stack.iter().position(|d| *d == target) {
                        let mut names: Vec<String> = stack[pos..]
                            .iter()
                            .map(|d| {
                                self.item(*d)
                                    .name()
                                    .map(|n| n.name.clone())
                                    .unwrap_or_default()
                            })
                            .collect();
                        names.push(path.text());
                        self.report(
                            Diagnostic::new(
                                codes::INCLUDE_CYCLE,
                                path.span,
                                format!("`{}` includes itself", path.text()),
                            )
                            .with_label("closes the cycle")
                            .with_note(format!("cycle: {}", names.join(" → ")))
                            .with_help(
                                "an included profile or mixin cannot include what includes it",
                            ),
                        );
                        continue;
                    }
                    let file = self.module(target.module).ast.clone();
                    let body = match &file.items[target.item as usize].kind {
                        ast::ItemKind::Profile(p) => &p.body,
                        ast::ItemKind::Mixin(m) => &m.body,
                        _ => continue,
                    };
                    if stack.len() >= super::MAX_CHAIN {
                        self.report_too_deep(path.span, "includes");
                        continue;
                    }
                    stack.push(target);
                    self.expand_body(target.module, body, filter, targets, false, stack, out);
                    stack.pop();
                }
                _ => {}
            }
        }
    }

    fn expand_rule(
        &mut self,
        module: ModuleId,
        rule: &ast::Rule,
        span: Span,
        filter: &[Arch],
        direct: bool,
    ) -> Option<RuleInfo> {
        let mut refs = Vec::new();
        let mut failed = false;
        for p in &rule.syscalls {
            match self.resolve_syscall_ref(module, p, false, filter) {
                Some(r) => refs.push((p, r)),
                None => failed = true,
            }
        }
        if direct {
            for (p, r) in &refs {
                if let SyscallRef::Syscall(name) = r {
                    self.check_exists_on_targets(name, p.span, filter);
                }
            }
        }
        let mut per_arch = BTreeMap::new();
        for &arch in filter {
            let action = self.resolve_action(module, &rule.action, arch);
            let mut names: Vec<String> = Vec::new();
            for (_, r) in &refs {
                match r {
                    SyscallRef::Syscall(s) => {
                        if arch.syscall(s).is_some() && !names.contains(s) {
                            names.push(s.clone());
                        }
                    }
                    SyscallRef::Group(g) => {
                        let mut seen = Vec::new();
                        self.group_members(*g, arch, &mut names, &mut seen);
                    }
                }
            }
            let mut syscalls = Vec::new();
            for name in names {
                let sc = arch.syscall(&name).expect("filtered to existing syscalls");
                let pred = match &rule.pred {
                    None => Pred::True,
                    Some(e) => {
                        let pcx = PredCx {
                            module,
                            arch,
                            syscall: sc,
                        };
                        match self.type_pred(&pcx, e) {
                            Ok(p) => p,
                            Err(()) => {
                                failed = true;
                                continue;
                            }
                        }
                    }
                };
                syscalls.push((sc.name, sc.nr, pred));
            }
            match action {
                Ok(action) => {
                    per_arch.insert(arch, ArchRule { action, syscalls });
                }
                Err(()) => failed = true,
            }
        }
        if failed {
            return None;
        }
        Some(RuleInfo {
            span,
            action_span: rule.action.span,
            direct,
            conditional: rule.pred.is_some(),
            per_arch,
        })
    }

    fn check_exists_on_targets(&mut self, name: &str, span: Span, arches: &[Arch]) {
        if arches.is_empty() {
            return;
        }
        let missing: Vec<Arch> = arches
            .iter()
            .copied()
            .filter(|a| a.syscall(name).is_none())
            .collect();
        if missing.is_empty() {
            return;
        }
        if missing.len() == arches.len() {
            let cands: Vec<&str> = arches
                .iter()
                .flat_map(|a| a.syscalls().iter().map(|s| s.name))
                .collect();
            let exists_on: Vec<Arch> = Arch::ALL
                .iter()
                .copied()
                .filter(|a| a.syscall(name).is_some())
                .collect();
            let d = Diagnostic::new(
                codes::SYSCALL_ON_NO_TARGET,
                span,
                format!("`{name}` does not exist on {}", arch_list(arches)),
            )
            .with_label("no such syscall on these targets")
            .with_note(format!("it exists on {}", arch_list(&exists_on)));
            let d = match (suggest(name, cands), replacement_hint(name, arches)) {
                (Some(s), _) => d.with_help(format!("did you mean `{s}`?")),
                (None, Some(h)) => d.with_help(h.split(';').next().unwrap_or(&h).to_string()),
                (None, None) => {
                    d.with_help("remove it, or add an architecture that has it to `targets`")
                }
            };
            self.report(d);
        } else {
            let replacement = replacement_hint(name, &missing);
            self.report(
                Diagnostic::new(
                    codes::SYSCALL_MISSING_ON_SOME,
                    span,
                    format!("`{name}` does not exist on {}", arch_list(&missing)),
                )
                .with_label("applies only where it exists")
                .with_help(replacement.unwrap_or_else(|| {
                    "the rule still applies on the other targets; put it in an `on` block to say so".to_string()
                })),
            );
        }
    }

    /// Structural checks of a module's items that do not depend on any one
    /// profile: constants, groups, where settings may appear.
    pub(crate) fn check_module_items(&mut self, module: ModuleId) {
        self.check_consts(module);
        let file = self.module(module).ast.clone();
        for (i, item) in file.items.iter().enumerate() {
            match &item.kind {
                ast::ItemKind::Group(g) => {
                    let def = DefId {
                        module,
                        item: i as u32,
                    };
                    for m in &g.members {
                        let Some(SyscallRef::Group(inner)) =
                            self.resolve_syscall_ref(module, m, true, Arch::ALL)
                        else {
                            continue;
                        };
                        let Some(path) = self.group_path(inner, def, &mut Vec::new()) else {
                            continue;
                        };
                        // path: inner … def; the cycle is def → inner → … → def.
                        let mut key: Vec<DefId> = path.clone();
                        key.sort();
                        if !self.reported_cycles.insert(key) {
                            continue;
                        }
                        let mut names = vec![g.name.name.clone()];
                        names.extend(path.iter().map(|d| {
                            self.item(*d)
                                .name()
                                .map(|n| n.name.clone())
                                .unwrap_or_default()
                        }));
                        let message = if inner == def {
                            format!("group `{}` contains itself", g.name.name)
                        } else {
                            format!(
                                "group `{}` contains itself through `{}`",
                                g.name.name,
                                m.text()
                            )
                        };
                        self.report(
                            Diagnostic::new(codes::GROUP_CYCLE, m.span, message)
                                .with_label(format!("`{}` leads back to `{}`", m.text(), g.name.name))
                                .with_note(format!("cycle: {}", names.join(" → ")))
                                .with_help("a group cannot contain itself, directly or through other groups"),
                        );
                    }
                }
                ast::ItemKind::Mixin(m) => {
                    self.check_settings_placement(&m.body, "a mixin");
                    self.resolve_names_in(module, &m.body);
                }
                ast::ItemKind::Profile(p) => {
                    for s in &p.body {
                        if let StmtKind::On { body, .. } = &s.kind {
                            self.check_settings_placement(body, "an `on` block");
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The groups from `from` to `target` (both included) along group
    /// membership, if `from` reaches `target`.
    fn group_path(
        &mut self,
        from: DefId,
        target: DefId,
        seen: &mut Vec<DefId>,
    ) -> Option<Vec<DefId>> {
        if from == target {
            return Some(vec![from]);
        }
        if seen.contains(&from) {
            return None;
        }
        seen.push(from);
        let file = self.module(from.module).ast.clone();
        let ast::ItemKind::Group(g) = &file.items[from.item as usize].kind else {
            return None;
        };
        if self.group_depth as usize >= super::MAX_CHAIN {
            return None;
        }
        self.group_depth += 1;
        let mut found = None;
        for m in &g.members {
            if let Some(SyscallRef::Group(inner)) = self.resolve_syscall_ref_quiet(from.module, m) {
                if let Some(mut rest) = self.group_path(inner, target, seen) {
                    rest.insert(0, from);
                    found = Some(rest);
                    break;
                }
            }
        }
        self.group_depth -= 1;
        found
    }

    fn check_settings_placement(&mut self, body: &[ast::Stmt], place: &str) {
        for s in body {
            let word = match &s.kind {
                StmtKind::Targets(_) => "targets",
                StmtKind::Default(_) => "default",
                StmtKind::Unknown(_) => "unknown",
                StmtKind::BadArch(_) => "bad_arch",
                StmtKind::Flags(_) => "flags",
                StmtKind::On { body, .. } => {
                    self.check_settings_placement(body, "an `on` block");
                    continue;
                }
                _ => continue,
            };
            self.report(
                Diagnostic::new(codes::SETTING_NOT_ALLOWED, s.span, format!("`{word}` cannot appear in {place}"))
                    .with_label("setting out of place")
                    .with_help("settings belong at the top of a profile; mixins and `on` blocks hold rules and includes"),
            );
        }
    }

    /// Name checks for rules that are not part of any checked profile yet
    /// (mixins): syscalls, groups and includes must resolve.
    fn resolve_names_in(&mut self, module: ModuleId, body: &[ast::Stmt]) {
        for s in body {
            match &s.kind {
                StmtKind::Rule(r) => {
                    for p in &r.syscalls {
                        let _ = self.resolve_syscall_ref(module, p, false, &[]);
                    }
                }
                StmtKind::Include(p) => {
                    let _ = self.resolve_profile(module, p, true, "`include`");
                }
                StmtKind::On { arches, body } => {
                    for n in arches {
                        if Arch::from_name(&n.name).is_none() {
                            self.report_unknown_arch(n);
                        }
                    }
                    self.resolve_names_in(module, body);
                }
                _ => {}
            }
        }
    }
}

/// Known replacements for calls that newer architectures dropped.
fn replacement_hint(name: &str, missing: &[Arch]) -> Option<String> {
    let alt = match name {
        "epoll_wait" => "epoll_pwait",
        "open" => "openat",
        "stat" | "lstat" => "newfstatat",
        "poll" => "ppoll",
        "select" => "pselect6",
        "fork" | "vfork" => "clone",
        "dup2" => "dup3",
        "pipe" => "pipe2",
        "access" => "faccessat",
        "unlink" => "unlinkat",
        "mkdir" => "mkdirat",
        "rename" => "renameat2",
        "readlink" => "readlinkat",
        "chmod" => "fchmodat",
        "getdents" => "getdents64",
        _ => return None,
    };
    Some(format!(
        "{} {} `{alt}` instead; the rule still applies on the other targets",
        arch_list(missing),
        if missing.len() == 1 { "has" } else { "have" }
    ))
}

/// Flags the kernel needs for what the policy does: a `notify` anywhere
/// needs a listener (SECCOMP_FILTER_FLAG_NEW_LISTENER), and a listener
/// with `tsync` needs TSYNC_ESRCH (seccomp(2) refuses TSYNC with a
/// listener otherwise).
fn implied_flags(settings: &Settings, layers: &[Layer]) -> u32 {
    let notify = |a: &Act| a.kind == ActionKind::Notify;
    let any_notify = settings.default.values().any(notify)
        || settings.unknown.values().any(notify)
        || notify(&settings.bad_arch)
        || layers
            .iter()
            .flat_map(|l| &l.rules)
            .flat_map(|r| r.per_arch.values())
            .any(|ar| notify(&ar.action));
    let mut flags = 0;
    if any_notify || settings.flags & bpf::SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 {
        flags |= bpf::SECCOMP_FILTER_FLAG_NEW_LISTENER;
        if settings.flags & bpf::SECCOMP_FILTER_FLAG_TSYNC != 0 {
            flags |= bpf::SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        }
    }
    flags
}
