//! Semantic analysis: from parsed files to checked profiles.
//!
//! `load` reads the root file and everything it imports; `scope` resolves
//! names; `consts` folds constants per architecture; `types` turns each
//! predicate into exact word-level logic per (syscall, architecture);
//! `profiles` applies settings, `extends`, `include` and `on`; `lints`
//! finds conflicting and useless rules; `tests` resolves `test` blocks.

mod consts;
mod lints;
mod load;
mod profiles;
mod scope;
mod tests;
mod types;

pub use load::Options;
pub use profiles::{ArchRule, CheckedProfile, Layer, RuleInfo, Settings};
pub use tests::{CheckedCase, CheckedTest};

use crate::arch::Arch;
use crate::diagnostics::{self, Code, Diagnostic};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::{self, ActionKind};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleId(pub u32);

/// An item of a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DefId {
    pub module: ModuleId,
    pub item: u32,
}

/// A loaded module: a parsed file with its own names and imports.
#[derive(Debug)]
pub struct Module {
    pub id: ModuleId,
    pub file: FileId,
    /// `std::groups` for stdlib modules, the path as written otherwise.
    pub name: String,
    /// Shared so that passes can walk it while they change the context.
    pub ast: std::sync::Arc<ast::File>,
    /// Items by name (the first of duplicates).
    pub items: HashMap<String, u32>,
    pub imports: HashMap<String, Binding>,
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub target: BindingTarget,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingTarget {
    Module(ModuleId),
    Item(DefId),
}

/// A concrete seccomp action with its data resolved for one architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Act {
    /// Declared strongest first, so `Ord` is the kernel's precedence.
    pub kind: ActionKind,
    pub data: u16,
}

impl Act {
    pub const ALLOW: Act = Act {
        kind: ActionKind::Allow,
        data: 0,
    };
    pub const KILL: Act = Act {
        kind: ActionKind::Kill,
        data: 0,
    };

    /// The filter's return value.
    pub fn ret(self) -> u32 {
        use crate::bpf::*;
        let d = u32::from(self.data);
        match self.kind {
            ActionKind::Kill => SECCOMP_RET_KILL_PROCESS,
            ActionKind::KillThread => SECCOMP_RET_KILL_THREAD,
            ActionKind::Trap => SECCOMP_RET_TRAP | d,
            ActionKind::Errno => SECCOMP_RET_ERRNO | d,
            ActionKind::Notify => SECCOMP_RET_USER_NOTIF,
            ActionKind::Trace => SECCOMP_RET_TRACE | d,
            ActionKind::Log => SECCOMP_RET_LOG,
            ActionKind::Allow => SECCOMP_RET_ALLOW,
        }
    }

    /// The action a filter return value means, if it is one moat emits.
    pub fn from_ret(ret: u32) -> Option<Act> {
        use crate::bpf::*;
        let data = (ret & SECCOMP_RET_DATA) as u16;
        let (kind, data) = match ret & SECCOMP_RET_ACTION_FULL {
            SECCOMP_RET_KILL_PROCESS => (ActionKind::Kill, 0),
            SECCOMP_RET_KILL_THREAD => (ActionKind::KillThread, 0),
            SECCOMP_RET_TRAP => (ActionKind::Trap, data),
            SECCOMP_RET_ERRNO => (ActionKind::Errno, data),
            SECCOMP_RET_USER_NOTIF => (ActionKind::Notify, 0),
            SECCOMP_RET_TRACE => (ActionKind::Trace, data),
            SECCOMP_RET_LOG => (ActionKind::Log, 0),
            SECCOMP_RET_ALLOW => (ActionKind::Allow, 0),
            _ => return None,
        };
        if ret & SECCOMP_RET_DATA != 0 && !kind_takes_data(kind) {
            return None;
        }
        Some(Act { kind, data })
    }

    /// `errno(EPERM)` style, with the errno's name on that architecture.
    pub fn describe(self, arch: Option<Arch>) -> String {
        match self.kind {
            ActionKind::Errno => {
                let name = arch.and_then(|a| crate::arch::errno_name(a, u32::from(self.data)));
                match name {
                    Some(n) => format!("errno({n})"),
                    None => format!("errno({})", self.data),
                }
            }
            ActionKind::Trap | ActionKind::Trace if self.data != 0 => {
                format!("{}({})", self.kind.keyword(), self.data)
            }
            k => k.keyword().to_string(),
        }
    }
}

impl std::fmt::Display for Act {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe(None))
    }
}

pub(crate) fn kind_takes_data(kind: ActionKind) -> bool {
    matches!(
        kind,
        ActionKind::Errno | ActionKind::Trap | ActionKind::Trace
    )
}

/// Everything moat knows about a policy file after checking it.
pub struct Analysis {
    pub sources: SourceMap,
    pub modules: Vec<Module>,
    pub root: ModuleId,
    pub diagnostics: Vec<Diagnostic>,
    /// Checked profiles of the root module, in source order.
    pub profiles: Vec<CheckedProfile>,
    pub tests: Vec<CheckedTest>,
}

impl Analysis {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }
    pub fn module(&self, id: ModuleId) -> &Module {
        &self.modules[id.0 as usize]
    }
    pub fn item(&self, def: DefId) -> &ast::Item {
        &self.module(def.module).ast.items[def.item as usize]
    }
    pub fn profile(&self, name: &str) -> Option<&CheckedProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }
    /// Errors that concern one profile: those inside the files it draws on
    /// are all errors of the analysis, so a profile is buildable only when
    /// the whole analysis is free of errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

/// Checks the file at `path` and everything it imports.
pub fn analyze_path(path: &std::path::Path, options: &Options) -> Result<Analysis, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(analyze_source(
        &path.display().to_string(),
        Some(path),
        &text,
        options,
    ))
}

/// Checks source text. `path` (when the text has one) anchors relative
/// imports; without it they are relative to the current directory.
pub fn analyze_source(
    name: &str,
    path: Option<&std::path::Path>,
    text: &str,
    options: &Options,
) -> Analysis {
    let mut cx = Cx::new(options.clone());
    let root = cx.load_root(name, path, text);
    cx.check_module_items(root);
    let mut profiles = Vec::new();
    let module = &cx.modules[root.0 as usize];
    let profile_items: Vec<u32> = module
        .ast
        .items
        .iter()
        .enumerate()
        .filter(|(_, it)| matches!(it.kind, ast::ItemKind::Profile(_)))
        .map(|(i, _)| i as u32)
        .collect();
    for item in profile_items {
        let def = DefId { module: root, item };
        if let Some(p) = cx.check_profile(def) {
            profiles.push(p);
        }
    }
    let tests = cx.check_tests(root, &profiles);
    cx.lint_pending();
    cx.check_unused_imports(root);
    let mut diagnostics = std::mem::take(&mut cx.diags);
    diagnostics::sort_and_dedup(&mut diagnostics);
    Analysis {
        sources: cx.sources,
        modules: cx.modules,
        root,
        diagnostics,
        profiles,
        tests,
    }
}

/// The analysis context shared by the sema passes.
pub(crate) struct Cx {
    pub options: Options,
    pub sources: SourceMap,
    pub modules: Vec<Module>,
    pub diags: Vec<Diagnostic>,
    reported: HashSet<(Code, Span)>,
    const_cache: HashMap<(DefId, Arch), Option<i128>>,
    /// Every key added to `const_cache`, in order, so a trial evaluation
    /// can be undone.
    const_journal: Vec<(DefId, Arch)>,
    const_in_progress: HashSet<DefId>,
    used_bindings: HashSet<(ModuleId, String)>,
    profile_cache: BTreeMap<DefId, Option<CheckedProfile>>,
    /// Profiles checked but not yet linted (see `lint_pending`).
    pending_lints: Vec<CheckedProfile>,
    /// Cycles already reported (their members, sorted), so a cycle of n
    /// items is reported once, not n times.
    reported_cycles: HashSet<Vec<DefId>>,
    /// Depth of the recursive walks over groups, so a chain of thousands
    /// of groups cannot exhaust the stack.
    group_depth: u32,
}

/// How deep imports, includes, groups and constants may chain. Far more
/// than any policy needs; it bounds the recursion of the passes that
/// follow them.
pub(crate) const MAX_CHAIN: usize = 100;

impl Cx {
    fn new(options: Options) -> Cx {
        Cx {
            options,
            sources: SourceMap::new(),
            modules: Vec::new(),
            diags: Vec::new(),
            reported: HashSet::new(),
            const_cache: HashMap::new(),
            const_journal: Vec::new(),
            const_in_progress: HashSet::new(),
            used_bindings: HashSet::new(),
            profile_cache: BTreeMap::new(),
            pending_lints: Vec::new(),
            reported_cycles: HashSet::new(),
            group_depth: 0,
        }
    }

    /// Reports a diagnostic once per (code, primary span): a rule checked
    /// for several profiles, syscalls or architectures says each thing once.
    pub fn report(&mut self, d: Diagnostic) {
        if self.reported.insert((d.code, d.primary.span)) {
            self.diags.push(d);
        }
    }

    pub fn module(&self, id: ModuleId) -> &Module {
        &self.modules[id.0 as usize]
    }

    pub fn item(&self, def: DefId) -> &ast::Item {
        &self.module(def.module).ast.items[def.item as usize]
    }

    /// E0006 for a chain of `what` deeper than `MAX_CHAIN`.
    pub(crate) fn report_too_deep(&mut self, span: Span, what: &str) {
        self.report(
            Diagnostic::new(
                diagnostics::codes::TOO_DEEP,
                span,
                format!("{what} nest more than {MAX_CHAIN} levels deep"),
            )
            .with_label("the limit is crossed here")
            .with_help("flatten the chain: moat stops following it here"),
        );
    }
}

impl Cx {
    /// W0009: a name a `use` of the root file binds that nothing looked
    /// up. Only said of an error-free analysis: rules an error kept from
    /// being checked may be the ones that use the import.
    fn check_unused_imports(&mut self, root: ModuleId) {
        if self.diags.iter().any(|d| d.is_error()) {
            return;
        }
        let mut unused: Vec<(String, Span)> = self
            .module(root)
            .imports
            .iter()
            .filter(|(name, _)| !self.used_bindings.contains(&(root, (*name).clone())))
            .map(|(name, b)| (name.clone(), b.span))
            .collect();
        unused.sort_by_key(|(_, span)| *span);
        for (name, span) in unused {
            self.report(
                Diagnostic::new(
                    diagnostics::codes::UNUSED_IMPORT,
                    span,
                    format!("`{name}` is imported but never used"),
                )
                .with_label("unused")
                .with_help("remove it from the `use`"),
            );
        }
    }
}

/// "`a`, `b` and `c`"
pub(crate) fn and_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

/// "x86_64, aarch64 and arm"
pub(crate) fn arch_list(arches: &[Arch]) -> String {
    let names: Vec<&str> = arches.iter().map(|a| a.name()).collect();
    match names.len() {
        0 => String::new(),
        1 => names[0].to_string(),
        n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}
