//! Byte offsets and spans ↔ LSP positions and ranges, in the negotiated
//! encoding (UTF-8 when the client offers it, else UTF-16); diagnostics and
//! other `moat::ide` results → LSP types.

use moat::ide::diagnostics::FileDiagnostic;
use moat::sema::Analysis;
use moat::source::{LineCol, Origin, SourceFile, Span};
use tower_lsp_server::ls_types::{
    self as lsp, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Location,
    NumberOrString, Position, Range, Uri,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

pub fn offset(file: &SourceFile, pos: Position, enc: Encoding) -> usize {
    file.offset_of(
        LineCol {
            line: pos.line,
            col: pos.character,
        },
        enc == Encoding::Utf16,
    )
}

pub fn position(file: &SourceFile, offset: usize, enc: Encoding) -> Position {
    let lc = match enc {
        Encoding::Utf8 => file.line_col_utf8(offset),
        Encoding::Utf16 => file.line_col_utf16(offset),
    };
    Position::new(lc.line, lc.col)
}

pub fn range(file: &SourceFile, span: Span, enc: Encoding) -> Range {
    Range::new(
        position(file, span.start as usize, enc),
        position(file, span.end as usize, enc),
    )
}

/// The URI of a file of the analysis: the document's own for the root, a
/// `file://` URI for files on disk and for stdlib modules (written out).
pub fn uri_of(a: &Analysis, root_uri: &Uri, span: Span) -> Option<Uri> {
    if span.file == moat::ide::root_file(a) {
        return Some(root_uri.clone());
    }
    match &a.sources.get(span.file).origin {
        Origin::Path(p) => Uri::from_file_path(p),
        Origin::Stdlib(name) => Uri::from_file_path(crate::stdlib::path(name)?),
        Origin::Memory => None,
    }
}

pub fn location(a: &Analysis, root_uri: &Uri, span: Span, enc: Encoding) -> Option<Location> {
    let uri = uri_of(a, root_uri, span)?;
    Some(Location::new(
        uri,
        range(a.sources.get(span.file), span, enc),
    ))
}

pub fn diagnostic(
    a: &Analysis,
    root_uri: &Uri,
    d: &FileDiagnostic,
    enc: Encoding,
) -> lsp::Diagnostic {
    let file = a.sources.get(d.span.file);
    let related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|(span, message)| {
            Some(DiagnosticRelatedInformation {
                location: location(a, root_uri, *span, enc)?,
                message: if message.is_empty() {
                    "here".to_string()
                } else {
                    message.clone()
                },
            })
        })
        .collect();
    lsp::Diagnostic {
        range: range(file, d.span, enc),
        severity: Some(match d.severity {
            moat::diagnostics::Severity::Error => DiagnosticSeverity::ERROR,
            moat::diagnostics::Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("moat".to_string()),
        message: d.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: d.unnecessary.then(|| vec![DiagnosticTag::UNNECESSARY]),
        ..lsp::Diagnostic::default()
    }
}
