//! Document outline and folding ranges.

use crate::sema::Analysis;
use crate::source::{SourceFile, Span};
use crate::syntax::ast::{self, ItemKind, Stmt, StmtKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Import,
    Const,
    Group,
    Mixin,
    Profile,
    Test,
    Setting,
    Rule,
    OnBlock,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentSymbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    /// The whole construct.
    pub span: Span,
    /// The part to select: the name.
    pub selection: Span,
    pub children: Vec<DocumentSymbol>,
}

fn text(src: &str, span: Span) -> String {
    let t = src.get(span.range()).unwrap_or("");
    // One line, squeezed.
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The outline of the root file.
pub fn document_symbols(a: &Analysis) -> Vec<DocumentSymbol> {
    let m = a.module(a.root);
    let src = &a.sources.get(m.file).text;
    m.ast.items.iter().filter_map(|it| item(src, it)).collect()
}

fn item(src: &str, it: &ast::Item) -> Option<DocumentSymbol> {
    let doc = it
        .doc
        .as_ref()
        .and_then(|d| d.lines().next())
        .map(str::to_string);
    let sym = |name: String, kind, selection, children, detail: Option<String>| DocumentSymbol {
        name,
        detail: detail.or(doc.clone()),
        kind,
        span: it.span,
        selection,
        children,
    };
    Some(match &it.kind {
        ItemKind::Use(u) => {
            let sel = match u {
                ast::Use::Module { path, .. } => path.span,
                ast::Use::File { alias, .. } => alias.span,
            };
            sym(
                text(src, it.span),
                SymbolKind::Import,
                sel,
                Vec::new(),
                None,
            )
        }
        ItemKind::Const(c) => sym(
            c.name.name.clone(),
            SymbolKind::Const,
            c.name.span,
            Vec::new(),
            None,
        ),
        ItemKind::Group(g) => sym(
            g.name.name.clone(),
            SymbolKind::Group,
            g.name.span,
            Vec::new(),
            Some(format!("{} members", g.members.len())),
        ),
        ItemKind::Mixin(mx) => sym(
            mx.name.name.clone(),
            SymbolKind::Mixin,
            mx.name.span,
            stmts(src, &mx.body),
            None,
        ),
        ItemKind::Profile(p) => sym(
            p.name.name.clone(),
            SymbolKind::Profile,
            p.name.span,
            stmts(src, &p.body),
            p.extends.as_ref().map(|b| format!("extends {}", b.text())),
        ),
        ItemKind::Test(t) => sym(
            format!("test {}", t.profile.text()),
            SymbolKind::Test,
            t.profile.span,
            Vec::new(),
            Some(format!("{} cases", t.cases.len())),
        ),
        ItemKind::Error => return None,
    })
}

fn stmts(src: &str, body: &[Stmt]) -> Vec<DocumentSymbol> {
    body.iter()
        .filter_map(|s| {
            let (kind, children, sel) = match &s.kind {
                StmtKind::Rule(r) => (SymbolKind::Rule, Vec::new(), r.action.span),
                StmtKind::On { arches, body } => (
                    SymbolKind::OnBlock,
                    stmts(src, body),
                    arches.first().map(|a| a.span).unwrap_or(s.span),
                ),
                StmtKind::Error => return None,
                _ => (SymbolKind::Setting, Vec::new(), s.span),
            };
            let name = match &s.kind {
                StmtKind::On { arches, .. } => format!(
                    "on {}",
                    arches
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                _ => text(src, s.span),
            };
            Some(DocumentSymbol {
                name,
                detail: None,
                kind,
                span: s.span,
                selection: sel,
                children,
            })
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldKind {
    Region,
    Comment,
    Imports,
}

/// A foldable range of whole lines (0-based, `end_line` inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    pub start_line: u32,
    pub end_line: u32,
    pub kind: FoldKind,
}

/// Folding ranges of the root file: multi-line items and `on` blocks, runs
/// of comment lines, multi-line block comments, consecutive imports.
pub fn folding_ranges(a: &Analysis) -> Vec<Fold> {
    let m = a.module(a.root);
    let file = a.sources.get(m.file);
    let mut out = Vec::new();
    let line = |o: u32| file.line_of(o as usize) as u32;
    let push = |out: &mut Vec<Fold>, s: u32, e: u32, kind| {
        if e > s {
            out.push(Fold {
                start_line: s,
                end_line: e,
                kind,
            });
        }
    };
    let mut uses: Option<(u32, u32)> = None;
    for it in &m.ast.items {
        let (s, e) = (line(it.span.start), line(it.span.end.saturating_sub(1)));
        if let ItemKind::Use(_) = it.kind {
            uses = Some(match uses {
                Some((us, _)) => (us, e),
                None => (s, e),
            });
            continue;
        }
        if let Some((us, ue)) = uses.take() {
            push(&mut out, us, ue, FoldKind::Imports);
        }
        push(&mut out, s, e, FoldKind::Region);
        let body = match &it.kind {
            ItemKind::Profile(p) => Some(&p.body),
            ItemKind::Mixin(mx) => Some(&mx.body),
            _ => None,
        };
        if let Some(body) = body {
            on_blocks(file, body, &mut out);
        }
    }
    if let Some((us, ue)) = uses {
        push(&mut out, us, ue, FoldKind::Imports);
    }
    // Comments: a block comment over several lines, or a run of line
    // comments each on the line after the previous one.
    let mut run: Option<(u32, u32)> = None;
    for c in &m.ast.comments {
        let (s, e) = (line(c.span.start), line(c.span.end.saturating_sub(1)));
        let own_line = file.text[..c.span.start as usize]
            .rsplit('\n')
            .next()
            .is_some_and(|before| before.trim().is_empty());
        if c.text.starts_with("/*") {
            push(&mut out, s, e, FoldKind::Comment);
            continue;
        }
        if !own_line {
            continue;
        }
        run = match run {
            Some((rs, re)) if re + 1 == s => Some((rs, s)),
            Some((rs, re)) => {
                push(&mut out, rs, re, FoldKind::Comment);
                Some((s, s))
            }
            None => Some((s, s)),
        };
    }
    if let Some((rs, re)) = run {
        push(&mut out, rs, re, FoldKind::Comment);
    }
    out.sort_by_key(|f| (f.start_line, f.end_line));
    out.dedup();
    out
}

fn on_blocks(file: &SourceFile, body: &[Stmt], out: &mut Vec<Fold>) {
    for s in body {
        if let StmtKind::On { body, .. } = &s.kind {
            let (l0, l1) = (
                file.line_of(s.span.start as usize) as u32,
                file.line_of((s.span.end as usize).saturating_sub(1)) as u32,
            );
            if l1 > l0 {
                out.push(Fold {
                    start_line: l0,
                    end_line: l1,
                    kind: FoldKind::Region,
                });
            }
            on_blocks(file, body, out);
        }
    }
}
