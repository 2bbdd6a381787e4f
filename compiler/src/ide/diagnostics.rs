//! Diagnostics as an editor shows them: those of one file, with help and
//! notes folded into the message, related spans, and a summary at the
//! `use` of an imported file that has errors of its own.

use crate::diagnostics::{codes, Diagnostic, Severity};
use crate::sema::{Analysis, BindingTarget};
use crate::source::{FileId, Span};
use crate::syntax::ast::{ItemKind, Use};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDiagnostic {
    pub span: Span,
    pub severity: Severity,
    pub code: &'static str,
    /// The message with the primary label, help and notes appended.
    pub message: String,
    /// Secondary labels (possibly in other files).
    pub related: Vec<(Span, String)>,
    /// The code is unused (editors fade it).
    pub unnecessary: bool,
}

/// The text an editor shows for one diagnostic.
pub fn message(d: &Diagnostic) -> String {
    let mut m = d.message.clone();
    if !d.primary.message.is_empty() && !m.contains(&d.primary.message) {
        m.push_str(&format!(" ({})", d.primary.message));
    }
    if let Some(h) = &d.help {
        m.push_str(&format!("\nhelp: {h}"));
    }
    for n in &d.notes {
        m.push_str(&format!("\nnote: {n}"));
    }
    m
}

fn convert(d: &Diagnostic, span: Span) -> FileDiagnostic {
    FileDiagnostic {
        span,
        severity: d.severity(),
        code: d.code.as_str(),
        message: message(d),
        related: d
            .secondary
            .iter()
            .map(|l| (l.span, l.message.clone()))
            .collect(),
        unnecessary: d.code == codes::UNUSED_IMPORT,
    }
}

/// Diagnostics to show in `file` (normally the root file): its own, and
/// for each file it imports directly that has errors, one error at the
/// import naming the first of them.
pub fn for_file(a: &Analysis, file: FileId) -> Vec<FileDiagnostic> {
    let mut out: Vec<FileDiagnostic> = a
        .diagnostics
        .iter()
        .filter(|d| d.span().file == file)
        .map(|d| convert(d, d.span()))
        .collect();
    let Some(me) = super::module_of_file(a, file) else {
        return out;
    };
    let module = a.module(me);
    for it in &module.ast.items {
        let ItemKind::Use(Use::File {
            path_span, alias, ..
        }) = &it.kind
        else {
            continue;
        };
        let Some(b) = module.imports.get(&alias.name) else {
            continue;
        };
        let BindingTarget::Module(target) = b.target else {
            continue;
        };
        let tfile = a.module(target).file;
        let errors: Vec<&Diagnostic> = a
            .diagnostics
            .iter()
            .filter(|d| d.span().file == tfile && d.is_error())
            .collect();
        if let Some(first) = errors.first() {
            let mut d = convert(first, *path_span);
            d.message = format!(
                "`{}` has {} error{}; the first: {}",
                a.sources.get(tfile).name,
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                message(first)
            );
            d.related.insert(0, (first.span(), "here".to_string()));
            out.push(d);
        }
    }
    out
}
