//! `moat import`: other policy formats to moat source.
//!
//! The JSON formats (`json`) map rule for rule. minijail and Kafel policies
//! (`minijail`, `kafel`) are parsed into one model ([`Policy`]): for each
//! syscall an ordered list of rules, where the first whose condition holds
//! decides. [`render`] turns that into moat, where order does not matter:
//! see `docs/import.md` for the mapping and the choices it makes.

pub mod json;
pub mod kafel;
pub mod minijail;
mod render;

pub use render::render;

use crate::arch::Arch;
use crate::diagnostics::Diagnostic;
use crate::sema::Act;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::ActionKind;

/// The format of a policy text, told apart by content: `oci` (JSON),
/// `kafel` or `minijail`. Kafel is recognised by its words (`POLICY`,
/// `USE`, `#define`, `#include`, `DEFAULT`, an action followed by `{`),
/// minijail by `name: filter` lines and `@` directives.
pub fn detect(text: &str) -> &'static str {
    let t = text.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        return "oci";
    }
    let kafel_words = [
        "POLICY ",
        "USE ",
        "#define",
        "#include",
        "DEFAULT ",
        "ALLOW",
        "KILL",
        "ERRNO(",
        "DENY",
        "LOG {",
        "TRAP(",
        "TRACE(",
        "USER_NOTIF",
    ];
    let mut minijail = 0;
    let mut kafel = 0;
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty()
            || l.starts_with("//")
            || l.starts_with('#') && !l.starts_with("#define") && !l.starts_with("#include")
        {
            continue;
        }
        if l.starts_with('@') {
            minijail += 1;
        } else if kafel_words.iter().any(|w| l.starts_with(w)) {
            kafel += 1;
        } else if l.contains(':') {
            minijail += 1;
        }
    }
    if kafel > minijail {
        "kafel"
    } else {
        "minijail"
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Profile name in the output.
    pub name: String,
    /// The one architecture the policy is imported for.
    pub arch: Arch,
    /// minijail: which compiler's meaning (`None`: told by the syntax).
    pub minijail_dialect: Option<minijail::Dialect>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            name: "imported".into(),
            arch: Arch::X86_64,
            minijail_dialect: None,
        }
    }
}

/// An imported policy as moat source, with what it leaves out.
#[derive(Clone, Debug)]
pub struct Output {
    pub text: String,
    pub warnings: Vec<String>,
}

/// A comparison operator of the source formats; every comparison is
/// unsigned, as cBPF compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// One comparison on the register of `slot`: `(R & mask) op value`, over
/// the whole register when `wide`, else over its low 32 bits (Kafel
/// compares one word when neither side needs two).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Atom {
    pub slot: u8,
    pub mask: u64,
    pub op: Op,
    pub value: u64,
    pub wide: bool,
    /// The source's spelling of `value` or of `mask`, when it is a name
    /// moat knows with the same value (kept in the output).
    pub value_text: Option<String>,
    pub mask_text: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cond {
    True,
    False,
    Atom(Atom),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

/// One rule: for calls of `syscall` (moat's name) where `cond` holds, `act`
/// — unless an earlier rule for the same syscall decided first.
#[derive(Clone, Debug)]
pub struct Rule {
    pub syscall: &'static str,
    pub cond: Cond,
    pub act: Act,
    pub span: Span,
}

/// One statement of the source with the comments around it.
#[derive(Clone, Debug, Default)]
pub struct Statement {
    pub leading: Vec<String>,
    pub trailing: Option<String>,
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug)]
pub struct Policy {
    /// `minijail` or `Kafel`, for the header.
    pub format: &'static str,
    pub file_name: String,
    pub arch: Arch,
    pub default: Act,
    pub bad_arch: Act,
    pub statements: Vec<Statement>,
    pub tail_comments: Vec<String>,
    /// Lines for the header comment.
    pub notes: Vec<String>,
    /// `const` items to emit (Kafel `#define`s the output names).
    pub consts: Vec<(String, u64)>,
    pub warnings: Vec<String>,
}

/// Reads a file the policy includes into `sources`; a cycle or a missing
/// file is an error at `at`.
/// Reports the stray character at `at`, extending the previous report
/// when it ends right there: a run of stray characters is one error.
pub(crate) fn stray_char(errors: &mut Vec<Diagnostic>, at: Span, new: impl FnOnce() -> Diagnostic) {
    match errors.last_mut() {
        Some(d)
            if d.code == crate::diagnostics::codes::IMPORT_SYNTAX
                && d.primary.span.file == at.file
                && d.primary.span.end == at.start =>
        {
            d.primary.span.end = at.end;
        }
        _ => errors.push(new()),
    }
}

pub(crate) fn load_include(
    sources: &mut SourceMap,
    from: FileId,
    path: &str,
    at: Span,
    stack: &[FileId],
) -> Result<FileId, Diagnostic> {
    use crate::diagnostics::codes::IMPORT_INCLUDE;
    use crate::source::{Origin, SourceFile};
    let base = match &sources.get(from).origin {
        Origin::Path(p) => p.parent().map(|d| d.to_path_buf()).unwrap_or_default(),
        _ => std::path::PathBuf::new(),
    };
    let full = base.join(path);
    let canon = std::fs::canonicalize(&full).unwrap_or_else(|_| full.clone());
    for &f in stack {
        if let Origin::Path(p) = &sources.get(f).origin {
            if std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()) == canon {
                return Err(Diagnostic::new(
                    IMPORT_INCLUDE,
                    at,
                    format!("`{path}` includes itself"),
                )
                .with_label("include cycle"));
            }
        }
    }
    if stack.len() >= 10 {
        return Err(
            Diagnostic::new(IMPORT_INCLUDE, at, "includes nested too deeply")
                .with_help("minijail allows 10 levels"),
        );
    }
    // Named as the including file is named (as the user gave it), not by
    // the absolute path, so messages do not depend on where a tree lives.
    let name = match &sources.get(from).origin {
        Origin::Path(_) => {
            let parent = std::path::Path::new(&sources.get(from).name)
                .parent()
                .map(|p| p.to_path_buf())
                .unwrap_or_default();
            parent.join(path).display().to_string()
        }
        _ => path.to_string(),
    };
    let text = std::fs::read_to_string(&full).map_err(|e| {
        Diagnostic::new(
            IMPORT_INCLUDE,
            at,
            format!("cannot read included file `{name}`: {e}"),
        )
        .with_label("included here")
    })?;
    Ok(sources.add(SourceFile::new(name, Origin::Path(full), text)))
}

/// moat's spelling of an action.
pub fn action_text(act: Act, arch: Arch) -> String {
    let d = act.data;
    match act.kind {
        ActionKind::Kill => "kill".into(),
        ActionKind::KillThread => "kill_thread".into(),
        ActionKind::Trap if d == 0 => "trap".into(),
        ActionKind::Trap => format!("trap({d})"),
        ActionKind::Errno => match crate::arch::errno_name(arch, u32::from(d)) {
            Some(n) => format!("errno({n})"),
            None => format!("errno({d})"),
        },
        ActionKind::Notify => "notify".into(),
        ActionKind::Trace if d == 0 => "trace".into(),
        ActionKind::Trace => format!("trace({d})"),
        ActionKind::Log => "log".into(),
        ActionKind::Allow => "allow".into(),
    }
}

/// An action with data, checked against what moat can state (errno values
/// 0..=4095); `at` is where the source gives it.
pub(crate) fn act(kind: ActionKind, data: u64, at: Span) -> Result<Act, Diagnostic> {
    let limit = if kind == ActionKind::Errno {
        4095
    } else {
        65535
    };
    if data > limit {
        return Err(Diagnostic::new(
            crate::diagnostics::codes::IMPORT_NOT_EXPRESSIBLE,
            at,
            format!("action data {data} is out of range"),
        )
        .with_label(format!("moat takes 0..={limit} here"))
        .with_help("the kernel keeps 16 bits of data, and an errno above 4095 is not an error return to libc"));
    }
    Ok(Act {
        kind,
        data: data as u16,
    })
}

/// A "did you mean" for a syscall name on `arch`.
pub(crate) fn suggest_syscall(arch: Arch, name: &str) -> Option<String> {
    crate::diagnostics::suggest(name, arch.syscalls().iter().map(|s| s.name))
        .map(|s| format!("did you mean `{s}`?"))
}

/// The diagnostic for a syscall `arch`'s table does not name.
pub(crate) fn unknown_syscall(arch: Arch, name: &str, at: Span) -> Diagnostic {
    Diagnostic::new(
        crate::diagnostics::codes::IMPORT_UNKNOWN_SYSCALL,
        at,
        format!("unknown syscall `{name}` on {arch}"),
    )
    .with_label("not in moat's table for this architecture")
    .with_help_opt(suggest_syscall(arch, name))
}

/// A policy read without errors, or the errors.
fn strict((p, mut errors): (Policy, Vec<Diagnostic>)) -> Result<Policy, Vec<Diagnostic>> {
    if errors.is_empty() {
        return Ok(p);
    }
    Err(tidy(&mut errors))
}

/// Sorted, without duplicates, and at most 100: a file that is not a
/// policy at all should not bury the terminal.
fn tidy(errors: &mut Vec<Diagnostic>) -> Vec<Diagnostic> {
    crate::diagnostics::sort_and_dedup(errors);
    errors.truncate(100);
    std::mem::take(errors)
}

/// Renders what could be read, so that one run reports the errors of the
/// reading and of the translation together.
fn finish(p: &Policy, mut errors: Vec<Diagnostic>, name: &str) -> Result<Output, Vec<Diagnostic>> {
    match render(p, name) {
        Ok(out) if errors.is_empty() => Ok(out),
        Ok(_) => Err(tidy(&mut errors)),
        Err(more) => {
            errors.extend(more);
            Err(tidy(&mut errors))
        }
    }
}
