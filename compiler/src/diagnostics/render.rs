//! Renders diagnostics for people, with ariadne. Spans are byte offsets, so
//! ariadne is told to index by byte (non-ASCII lines would otherwise shift
//! the carets).

use super::{Diagnostic, Severity};
use crate::source::FileId;
use crate::source::SourceMap;
use ariadne::{Config, FnCache, IndexType, Label, Report, ReportKind};

/// A file as ariadne sees it: shown by name, told apart by id (two
/// imported files may be written with the same relative path).
#[derive(Clone, Debug)]
struct Key {
    id: FileId,
    name: String,
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.id == other.id
    }
}
impl Eq for Key {}
impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.id.hash(h);
    }
}
impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// Renders one diagnostic; `color` is off for snapshots, files and pipes.
pub fn render(diag: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    render_all_inner(std::slice::from_ref(diag), sources, color)
}

/// Each file's text is turned into ariadne's line table once, when a
/// diagnostic first points into it (not once per diagnostic).
fn render_all_inner(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let mut cache = FnCache::new(|k: &Key| Ok::<String, String>(sources.get(k.id).text.clone()));
    let mut out = Vec::new();
    for diag in diags {
        render_one(diag, sources, color, &mut cache, &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn render_one(
    diag: &Diagnostic,
    sources: &SourceMap,
    color: bool,
    cache: &mut impl ariadne::Cache<Key>,
    out: &mut Vec<u8>,
) {
    let key = |id: FileId| Key {
        id,
        name: sources.get(id).name.clone(),
    };
    let primary = diag.primary.span;
    let kind = match diag.severity() {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let mut report = Report::build(kind, (key(primary.file), primary.range()))
        .with_config(
            Config::default()
                .with_color(color)
                .with_index_type(IndexType::Byte),
        )
        .with_code(diag.code)
        .with_message(&diag.message);
    let mut primary_label = Label::new((key(primary.file), primary.range())).with_order(0);
    if !diag.primary.message.is_empty() {
        primary_label = primary_label.with_message(&diag.primary.message);
    }
    report = report.with_label(primary_label);
    for (i, l) in diag.secondary.iter().enumerate() {
        report = report.with_label(
            Label::new((key(l.span.file), l.span.range()))
                .with_message(&l.message)
                .with_order(i as i32 + 1),
        );
    }
    if let Some(help) = &diag.help {
        report = report.with_help(help);
    }
    for note in &diag.notes {
        report = report.with_note(note);
    }
    report
        .finish()
        .write(cache, &mut *out)
        .expect("writing to a Vec cannot fail");
}

/// Renders all diagnostics in order, followed by a one-line summary.
pub fn render_all(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let mut out = render_all_inner(diags, sources, color);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if !diags.is_empty() {
        out.push_str(&format!(
            "{} error{}, {} warning{}\n",
            errors,
            if errors == 1 { "" } else { "s" },
            warnings,
            if warnings == 1 { "" } else { "s" }
        ));
    }
    out
}

/// The machine-readable form behind `moat check --format json`.
pub fn to_json(diags: &[Diagnostic], sources: &SourceMap) -> serde_json::Value {
    let label = |l: &super::Label| {
        let f = sources.get(l.span.file);
        let s = f.line_col_utf8(l.span.start as usize);
        let e = f.line_col_utf8(l.span.end as usize);
        serde_json::json!({
            "file": f.name,
            "start": l.span.start, "end": l.span.end,
            "line": s.line + 1, "column": s.col + 1,
            "end_line": e.line + 1, "end_column": e.col + 1,
            "message": l.message,
        })
    };
    serde_json::Value::Array(
        diags
            .iter()
            .map(|d| {
                serde_json::json!({
                    "code": d.code.as_str(),
                    "severity": d.severity(),
                    "message": d.message,
                    "primary": label(&d.primary),
                    "secondary": d.secondary.iter().map(label).collect::<Vec<_>>(),
                    "help": d.help,
                    "notes": d.notes,
                })
            })
            .collect(),
    )
}
