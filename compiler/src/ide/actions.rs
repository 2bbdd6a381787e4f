//! Code actions: apply a diagnostic's "did you mean" suggestion; import a
//! standard-library group or module that a name needs.

use super::TextEdit;
use crate::diagnostics::{codes, Diagnostic};
use crate::sema::Analysis;
use crate::source::Span;
use crate::syntax::ast::{ItemKind, Use};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeAction {
    pub title: String,
    pub edits: Vec<TextEdit>,
    /// The diagnostic the action fixes.
    pub fixes: Option<Diagnostic>,
    pub preferred: bool,
}

/// The suggestion in a help text such as "did you mean `openat`?".
pub fn suggestion(help: &str) -> Option<&str> {
    let rest = &help[help.find("did you mean")?..];
    let start = rest.find('`')? + 1;
    let len = rest[start..].find('`')?;
    Some(&rest[start..start + len])
}

/// Code actions for diagnostics of the root file overlapping `start..end`.
pub fn code_actions(a: &Analysis, start: usize, end: usize) -> Vec<CodeAction> {
    let root = super::root_file(a);
    let text = &a.sources.get(root).text;
    let mut out = Vec::new();
    for d in &a.diagnostics {
        let span = d.span();
        if span.file != root || (span.end as usize) < start || (span.start as usize) > end {
            continue;
        }
        let current = text.get(span.range()).unwrap_or("");
        if let Some(s) = d.help.as_deref().and_then(suggestion) {
            // "did you mean `std::groups`?" at the segment `grops` replaces
            // the segment only.
            let replacement = if s.contains("::") && !current.contains("::") {
                s.rsplit("::").next().unwrap_or(s)
            } else {
                s
            };
            if !replacement.is_empty() && replacement != current {
                out.push(CodeAction {
                    title: format!("Replace `{current}` with `{replacement}`"),
                    edits: vec![TextEdit {
                        span,
                        new_text: replacement.to_string(),
                    }],
                    fixes: Some(d.clone()),
                    preferred: true,
                });
            }
        }
        if let Some(action) = missing_use(a, d, current) {
            out.push(action);
        }
    }
    out
}

/// `allow basic_io` without an import: `use std::groups::{basic_io}` (or
/// add it to an existing list); `extends docker::default` without an
/// import: `use std::docker`.
fn missing_use(a: &Analysis, d: &Diagnostic, current: &str) -> Option<CodeAction> {
    let root = super::root_file(a);
    let module = a.module(a.root);
    let text = &a.sources.get(root).text;
    if d.code == codes::UNKNOWN_SYSCALL && !current.contains("::") {
        let (mname, _) = crate::stdlib::MODULES
            .iter()
            .find(|(m, src)| *m == "groups" && stdlib_defines(src, current))?;
        // An existing `use std::groups::{…}` list grows by one name.
        for it in &module.ast.items {
            if let ItemKind::Use(Use::Module {
                path,
                names: Some(names),
            }) = &it.kind
            {
                if path.text() == format!("std::{mname}") {
                    let at = names
                        .last()
                        .map(|n| n.span.end)
                        .unwrap_or(path.span.end + 3);
                    let sep = if names.is_empty() { "" } else { ", " };
                    return Some(CodeAction {
                        title: format!("Import `{current}` from `std::{mname}`"),
                        edits: vec![TextEdit {
                            span: Span::new(root, at as usize, at as usize),
                            new_text: format!("{sep}{current}"),
                        }],
                        fixes: Some(d.clone()),
                        preferred: false,
                    });
                }
            }
        }
        return Some(CodeAction {
            title: format!("Add `use std::{mname}::{{{current}}}`"),
            edits: vec![insert_use(
                a,
                text,
                &format!("use std::{mname}::{{{current}}}"),
            )],
            fixes: Some(d.clone()),
            preferred: false,
        });
    }
    if d.code == codes::UNKNOWN_PROFILE {
        let first = current.split("::").next()?;
        if current.contains("::") && crate::stdlib::source(first).is_some() {
            return Some(CodeAction {
                title: format!("Add `use std::{first}`"),
                edits: vec![insert_use(a, text, &format!("use std::{first}"))],
                fixes: Some(d.clone()),
                preferred: false,
            });
        }
    }
    None
}

fn stdlib_defines(src: &str, name: &str) -> bool {
    crate::syntax::parse(src, crate::source::FileId(u32::MAX))
        .file
        .items
        .iter()
        .any(|it| it.name().is_some_and(|n| n.name == name))
}

/// An edit adding a `use` line after the last import, or before the first
/// item (above its doc comment).
fn insert_use(a: &Analysis, text: &str, line: &str) -> TextEdit {
    let root = super::root_file(a);
    let module = a.module(a.root);
    let last_use = module
        .ast
        .items
        .iter()
        .filter(|it| matches!(it.kind, ItemKind::Use(_)))
        .map(|it| it.span.end as usize)
        .max();
    if let Some(end) = last_use {
        let eol = text[end..]
            .find('\n')
            .map(|i| end + i)
            .unwrap_or(text.len());
        return TextEdit {
            span: Span::new(root, eol, eol),
            new_text: format!("\n{line}"),
        };
    }
    let mut at = module
        .ast
        .items
        .first()
        .map(|it| it.span.start as usize)
        .unwrap_or(0);
    // Above the first item's doc comment.
    for c in module.ast.comments.iter().rev() {
        if c.doc && (c.span.end as usize) <= at && text[c.span.end as usize..at].trim().is_empty() {
            at = c.span.start as usize;
        }
    }
    at = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    TextEdit {
        span: Span::new(root, at, at),
        new_text: format!("{line}\n\n"),
    }
}
