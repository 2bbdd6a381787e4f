//! Renders diagnostics for people, with ariadne. Spans are byte offsets, so
//! ariadne is told to index by byte (non-ASCII lines would otherwise shift
//! the carets).

use super::{Diagnostic, Severity};
use crate::source::SourceMap;
use ariadne::{Config, IndexType, Label, Report, ReportKind};

/// Renders one diagnostic; `color` is off for snapshots, files and pipes.
pub fn render(diag: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let name = |id: crate::source::FileId| sources.get(id).name.clone();
    let primary = diag.primary.span;
    let kind = match diag.severity() {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let mut report = Report::build(kind, (name(primary.file), primary.range()))
        .with_config(
            Config::default()
                .with_color(color)
                .with_index_type(IndexType::Byte),
        )
        .with_code(diag.code)
        .with_message(&diag.message);
    let mut primary_label = Label::new((name(primary.file), primary.range())).with_order(0);
    if !diag.primary.message.is_empty() {
        primary_label = primary_label.with_message(&diag.primary.message);
    }
    report = report.with_label(primary_label);
    for (i, l) in diag.secondary.iter().enumerate() {
        report = report.with_label(
            Label::new((name(l.span.file), l.span.range()))
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
    let cache = ariadne::sources(
        sources
            .files()
            .map(|(_, f)| (f.name.clone(), f.text.clone())),
    );
    let mut out = Vec::new();
    report
        .finish()
        .write(cache, &mut out)
        .expect("writing to a Vec cannot fail");
    String::from_utf8_lossy(&out).into_owned()
}

/// Renders all diagnostics in order, followed by a one-line summary.
pub fn render_all(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&render(d, sources, color));
    }
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
