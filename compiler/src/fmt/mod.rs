//! The formatter behind `moat fmt` and the language server's formatting.
//!
//! It re-emits the lexer's tokens with canonical spacing, taking line
//! structure from the syntax tree: every item, statement and test case
//! starts a line, block bodies are indented by four spaces, `;` is dropped,
//! and runs of test cases and trailing comments are aligned. Line breaks the
//! author put inside a statement (long lists, multi-line predicates) are
//! kept, with at most one blank line anywhere.
//!
//! Every comment is kept, verbatim except for trailing whitespace. Files
//! with syntax errors are not formatted. As a last guard, the result is
//! parsed again and must give the same tree (spans aside) and the same
//! comments, or formatting fails instead of changing the policy.

use crate::diagnostics::Diagnostic;
use crate::source::FileId;
use crate::syntax::ast::{self, Action, ConstValue, Expr, ExprKind, ItemKind, Stmt, StmtKind};
use crate::syntax::lexer::{self, Tok};
use crate::syntax::{self};
use std::collections::HashSet;

const INDENT: &str = "    ";

#[derive(Debug)]
pub enum FormatError {
    /// The text does not parse; these are the syntax errors.
    Syntax(Vec<Diagnostic>),
    /// The formatter would have changed the meaning or lost a comment (a
    /// bug in the formatter; the text is left as it is).
    Internal(String),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Syntax(d) => write!(
                f,
                "the file has {} syntax error{}; fix {} first",
                d.len(),
                if d.len() == 1 { "" } else { "s" },
                if d.len() == 1 { "it" } else { "them" }
            ),
            FormatError::Internal(m) => write!(f, "internal formatter error: {m}"),
        }
    }
}

/// Formats a whole file.
pub fn format(src: &str) -> Result<String, FormatError> {
    let parsed = syntax::parse(src, FileId(0));
    if !parsed.diagnostics.is_empty() {
        return Err(FormatError::Syntax(parsed.diagnostics));
    }
    let lexed = lexer::lex(src, FileId(0));
    let marks = Marks::collect(&parsed.file, &lexed.tokens);
    let out = Printer::new(src, &lexed, &marks).run();
    verify(&parsed.file, &out)?;
    Ok(out)
}

/// Same tree (spans aside), same comments: or an internal error.
fn verify(before: &ast::File, out: &str) -> Result<(), FormatError> {
    let after = syntax::parse(out, FileId(0));
    if !after.diagnostics.is_empty() {
        return Err(FormatError::Internal(format!(
            "the formatted text does not parse: {}",
            after.diagnostics[0].message
        )));
    }
    if shape(&before.items) != shape(&after.file.items) {
        return Err(FormatError::Internal(
            "the formatted text parses to a different tree".into(),
        ));
    }
    let texts = |f: &ast::File| -> Vec<String> {
        f.comments
            .iter()
            .map(|c| c.text.trim_end().to_string())
            .collect()
    };
    if texts(before) != texts(&after.file) {
        return Err(FormatError::Internal(
            "the formatted text lost or changed a comment".into(),
        ));
    }
    Ok(())
}

/// The tree's debug form with every span erased.
pub fn shape(items: &[ast::Item]) -> String {
    let dbg = format!("{items:?}");
    let mut out = String::with_capacity(dbg.len());
    let mut rest = dbg.as_str();
    while let Some(i) = rest.find("Span {") {
        out.push_str(&rest[..i]);
        out.push_str("Span");
        match rest[i..].find('}') {
            Some(j) => rest = &rest[i + j + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Token positions the syntax tree gives meaning to.
#[derive(Default)]
struct Marks {
    /// Starts of items, statements and test cases: each begins a line.
    starts: HashSet<usize>,
    /// `{` and `}` of profile, mixin, test and `on` bodies.
    block_open: HashSet<usize>,
    block_close: HashSet<usize>,
    /// `(` written against the word before it: action data, test calls.
    tight_paren: HashSet<usize>,
    /// Prefix operators.
    unary: HashSet<usize>,
    /// `=>` of test cases.
    case_arrow: HashSet<usize>,
}

impl Marks {
    fn collect(file: &ast::File, toks: &[(usize, Tok, usize)]) -> Marks {
        let mut m = Marks::default();
        // Tokens are sorted by position: search only the range.
        let range = |from: usize, to: usize| {
            let a = toks.partition_point(|t| t.0 < from);
            let b = toks.partition_point(|t| t.0 < to);
            toks.get(a..b.max(a)).unwrap_or(&[])
        };
        let find = |kind: Tok, from: usize, to: usize| {
            range(from, to).iter().find(|t| t.1 == kind).map(|t| t.0)
        };
        let rfind = |kind: Tok, from: usize, to: usize| {
            range(from, to)
                .iter()
                .rev()
                .find(|t| t.1 == kind)
                .map(|t| t.0)
        };
        let mut block = |m: &mut Marks, from: usize, to: usize| {
            if let (Some(o), Some(c)) = (find(Tok::LBrace, from, to), rfind(Tok::RBrace, from, to))
            {
                m.block_open.insert(o);
                m.block_close.insert(c);
            }
        };
        for it in &file.items {
            let (s, e) = (it.span.start as usize, it.span.end as usize);
            m.starts.insert(s);
            match &it.kind {
                ItemKind::Profile(p) => {
                    block(&mut m, s, e);
                    m.body(&p.body, &mut block, &find);
                }
                ItemKind::Mixin(x) => {
                    block(&mut m, s, e);
                    m.body(&x.body, &mut block, &find);
                }
                ItemKind::Test(t) => {
                    block(&mut m, s, e);
                    for c in &t.cases {
                        m.starts.insert(c.span.start as usize);
                        if let Some(p) = find(
                            Tok::LParen,
                            c.syscall.span.end as usize,
                            c.span.end as usize,
                        ) {
                            m.tight_paren.insert(p);
                        }
                        if let Some(a) = rfind(
                            Tok::FatArrow,
                            c.span.start as usize,
                            c.expect.span.start as usize,
                        ) {
                            m.case_arrow.insert(a);
                        }
                        for arg in &c.args {
                            m.expr(&arg.value);
                        }
                        m.action(&c.expect, &find);
                    }
                }
                ItemKind::Const(c) => match &c.value {
                    ConstValue::Expr(e) => m.expr(e),
                    ConstValue::MatchArch { arms, .. } => {
                        for a in arms {
                            m.expr(&a.value);
                        }
                    }
                },
                ItemKind::Use(_) | ItemKind::Group(_) | ItemKind::Error => {}
            }
        }
        m
    }

    fn body(
        &mut self,
        body: &[Stmt],
        block: &mut impl FnMut(&mut Marks, usize, usize),
        find: &impl Fn(Tok, usize, usize) -> Option<usize>,
    ) {
        for s in body {
            self.starts.insert(s.span.start as usize);
            match &s.kind {
                StmtKind::Default(a) | StmtKind::BadArch(a) | StmtKind::Unknown(a) => {
                    self.action(a, find)
                }
                StmtKind::Rule(r) => {
                    self.action(&r.action, find);
                    if let Some(p) = &r.pred {
                        self.expr(p);
                    }
                }
                StmtKind::On { body, .. } => {
                    block(self, s.span.start as usize, s.span.end as usize);
                    self.body(body, block, find);
                }
                _ => {}
            }
        }
    }

    fn action(&mut self, a: &Action, find: &impl Fn(Tok, usize, usize) -> Option<usize>) {
        if let Some(d) = &a.data {
            if let Some(p) = find(Tok::LParen, a.span.start as usize, a.span.end as usize) {
                self.tight_paren.insert(p);
            }
            self.expr(d);
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Unary(_, x) => {
                self.unary.insert(e.span.start as usize);
                self.expr(x);
            }
            ExprKind::Paren(x) => self.expr(x),
            ExprKind::Binary(_, l, r) => {
                self.expr(l);
                self.expr(r);
            }
            ExprKind::InList(v, l) => {
                self.expr(v);
                for x in l {
                    self.expr(x);
                }
            }
            ExprKind::InRange { value, lo, hi, .. } => {
                self.expr(value);
                self.expr(lo);
                self.expr(hi);
            }
            ExprKind::Int(_) | ExprKind::Null | ExprKind::Name(_) | ExprKind::Error => {}
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Tok(Tok),
    LineComment,
    BlockComment,
}

#[derive(Clone, Copy, Debug)]
struct Elem {
    start: usize,
    end: usize,
    kind: Kind,
}

#[derive(Default, Debug)]
struct Line {
    indent: usize,
    code: String,
    /// Byte index in `code` of the space before a test case's `=>`.
    arrow: Option<usize>,
    /// A trailing `//` comment.
    comment: Option<String>,
    /// An empty line.
    blank: bool,
}

struct Printer<'a> {
    src: &'a str,
    elems: Vec<Elem>,
    marks: &'a Marks,
    lines: Vec<Line>,
    depth: usize,
    /// Open `(`, `[` and inline `{`; an inline `{` remembers if it is tight.
    brackets: Vec<(Tok, bool)>,
}

impl<'a> Printer<'a> {
    fn new(src: &'a str, lexed: &lexer::Lexed, marks: &'a Marks) -> Printer<'a> {
        let mut elems: Vec<Elem> = lexed
            .tokens
            .iter()
            .filter(|t| t.1 != Tok::Semi)
            .map(|&(s, t, e)| Elem {
                start: s,
                end: e,
                kind: Kind::Tok(t),
            })
            .collect();
        for c in &lexed.comments {
            elems.push(Elem {
                start: c.span.start as usize,
                end: c.span.end as usize,
                kind: if c.text.starts_with("//") {
                    Kind::LineComment
                } else {
                    Kind::BlockComment
                },
            });
        }
        elems.sort_by_key(|e| e.start);
        Printer {
            src,
            elems,
            marks,
            lines: Vec::new(),
            depth: 0,
            brackets: Vec::new(),
        }
    }

    fn text(&self, e: &Elem) -> &'a str {
        let t = &self.src[e.start..e.end];
        match e.kind {
            Kind::LineComment | Kind::BlockComment => t.trim_end(),
            Kind::Tok(_) => t,
        }
    }

    fn is_block_close(&self, e: &Elem) -> bool {
        e.kind == Kind::Tok(Tok::RBrace) && self.marks.block_close.contains(&e.start)
    }

    fn is_block_open(&self, e: &Elem) -> bool {
        e.kind == Kind::Tok(Tok::LBrace) && self.marks.block_open.contains(&e.start)
    }

    /// Whether the next token after comment `i` begins a line at block
    /// level (a statement, a closing brace, or the end of the file).
    fn comment_at_block_level(&self, i: usize) -> bool {
        match self.elems[i + 1..]
            .iter()
            .find(|e| matches!(e.kind, Kind::Tok(_)))
        {
            None => true,
            Some(n) => self.marks.starts.contains(&n.start) || self.is_block_close(n),
        }
    }

    fn new_line(&mut self, indent: usize, blank: bool) {
        if blank && self.lines.last().is_some_and(|l| !l.blank) {
            self.lines.push(Line {
                blank: true,
                ..Line::default()
            });
        }
        self.lines.push(Line {
            indent,
            ..Line::default()
        });
    }

    fn continuation_indent(&self, e: &Elem) -> usize {
        let open = self.brackets.len();
        let closes = matches!(e.kind, Kind::Tok(Tok::RParen | Tok::RBracket | Tok::RBrace));
        if closes {
            self.depth + open.saturating_sub(1)
        } else {
            self.depth + open.max(1)
        }
    }

    fn run(mut self) -> String {
        let mut prev: Option<Elem> = None;
        for i in 0..self.elems.len() {
            let e = self.elems[i];
            let gap_newlines = match prev {
                Some(p) => self.src[p.end..e.start].matches('\n').count(),
                None => 0,
            };
            if self.is_block_close(&e) {
                self.depth = self.depth.saturating_sub(1);
            }
            let prev_open = prev.is_some_and(|p| self.is_block_open(&p));
            // `{}` for an empty body.
            if prev_open && self.is_block_close(&e) && gap_newlines < 2 {
                self.push_text("}");
                prev = Some(e);
                continue;
            }
            let forced = prev.is_some_and(|p| p.kind == Kind::LineComment)
                || prev_open
                || self.marks.starts.contains(&e.start)
                || self.is_block_close(&e);
            let is_comment = matches!(e.kind, Kind::LineComment | Kind::BlockComment);
            let trailing = is_comment
                && gap_newlines == 0
                && prev.is_some_and(|p| p.kind != Kind::LineComment && !self.is_block_close(&e));
            if prev.is_none() {
                let indent = self.depth;
                self.new_line(indent, false);
            } else if trailing && e.kind == Kind::LineComment {
                // After `{` or any token of the line: stays on that line.
                let text = self.text(&e).to_string();
                if let Some(l) = self.lines.last_mut() {
                    l.comment = Some(text);
                }
                prev = Some(e);
                continue;
            } else if trailing {
                self.push_text(" ");
            } else if forced || gap_newlines > 0 {
                let blank = gap_newlines >= 2 && !prev_open && !self.is_block_close(&e);
                let block_level = self.is_block_close(&e)
                    || self.marks.starts.contains(&e.start)
                    || (is_comment && self.comment_at_block_level(i));
                let indent = if block_level {
                    self.depth
                } else {
                    self.continuation_indent(&e)
                };
                self.new_line(indent, blank);
            } else if self.space_between(prev, &e) {
                self.push_text(" ");
            }
            self.emit(&e);
            prev = Some(e);
        }
        self.finish()
    }

    fn push_text(&mut self, s: &str) {
        if let Some(l) = self.lines.last_mut() {
            l.code.push_str(s);
        }
    }

    fn emit(&mut self, e: &Elem) {
        let text = self.text(e);
        if let Kind::Tok(t) = e.kind {
            if t == Tok::FatArrow && self.marks.case_arrow.contains(&e.start) {
                if let Some(l) = self.lines.last_mut() {
                    if !l.code.contains('\n') {
                        let at = l.code.trim_end().len();
                        l.arrow = Some(at);
                    }
                }
            }
        }
        self.push_text(text);
        match e.kind {
            Kind::Tok(Tok::LParen) | Kind::Tok(Tok::LBracket) => self.brackets.push((
                match e.kind {
                    Kind::Tok(t) => t,
                    _ => Tok::LParen,
                },
                false,
            )),
            Kind::Tok(Tok::LBrace) if self.is_block_open(e) => self.depth += 1,
            Kind::Tok(Tok::LBrace) => {
                let tight = self.prev_tok_before(e.start) == Some(Tok::ColonColon);
                self.brackets.push((Tok::LBrace, tight));
            }
            Kind::Tok(Tok::RParen | Tok::RBracket) => {
                self.brackets.pop();
            }
            Kind::Tok(Tok::RBrace) if !self.is_block_close(e) => {
                self.brackets.pop();
            }
            _ => {}
        }
    }

    fn prev_tok_before(&self, start: usize) -> Option<Tok> {
        let i = self.elems.partition_point(|x| x.start < start);
        self.elems
            .get(..i)?
            .iter()
            .rev()
            .find_map(|x| match x.kind {
                Kind::Tok(t) => Some(t),
                _ => None,
            })
    }

    /// Whether one space separates two elements on one line.
    fn space_between(&self, prev: Option<Elem>, e: &Elem) -> bool {
        let Some(p) = prev else { return false };
        if matches!(e.kind, Kind::Tok(Tok::Comma | Tok::RParen | Tok::RBracket)) {
            return false;
        }
        let (pk, ek) = match (p.kind, e.kind) {
            (Kind::Tok(a), Kind::Tok(b)) => (a, b),
            _ => return true,
        };
        if self.marks.unary.contains(&p.start) {
            return false;
        }
        match ek {
            Tok::Comma | Tok::RParen | Tok::RBracket | Tok::Colon | Tok::ColonColon => {
                return false
            }
            Tok::DotDot | Tok::DotDotEq => return false,
            Tok::LParen if self.marks.tight_paren.contains(&e.start) => return false,
            Tok::RBrace if !self.is_block_close(e) => {
                // `{a, b}` in `use`; `{ x86_64 => 1 }` in `match arch`.
                return !self
                    .brackets
                    .last()
                    .is_some_and(|b| b.0 == Tok::LBrace && b.1);
            }
            Tok::LBrace if pk == Tok::ColonColon => return false,
            _ => {}
        }
        match pk {
            Tok::LParen | Tok::LBracket | Tok::ColonColon | Tok::DotDot | Tok::DotDotEq => false,
            Tok::LBrace if !self.is_block_open(&p) => !self
                .brackets
                .last()
                .is_some_and(|b| b.0 == Tok::LBrace && b.1),
            _ => true,
        }
    }

    fn finish(mut self) -> String {
        align_arrows(&mut self.lines);
        align_comments(&mut self.lines);
        let mut out = String::new();
        // No blank lines at the start or the end.
        while self.lines.first().is_some_and(|l| l.blank) {
            self.lines.remove(0);
        }
        while self.lines.last().is_some_and(|l| l.blank) {
            self.lines.pop();
        }
        for l in &self.lines {
            if l.blank {
                out.push('\n');
                continue;
            }
            let mut line = INDENT.repeat(l.indent);
            line.push_str(&l.code);
            if let Some(c) = &l.comment {
                if !l.code.is_empty() {
                    line.push_str("  ");
                }
                line.push_str(c);
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

fn width(l: &Line) -> usize {
    l.indent * INDENT.len() + l.code.chars().count()
}

/// Consecutive single-line test cases put their `=>` in one column.
fn align_arrows(lines: &mut [Line]) {
    let mut i = 0;
    while i < lines.len() {
        if lines[i].arrow.is_none() {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < lines.len()
            && lines[j].arrow.is_some()
            && lines[j].indent == lines[i].indent
            && !lines[j].code.contains('\n')
        {
            j += 1;
        }
        let col = lines[i..j]
            .iter()
            .filter_map(|l| l.arrow.map(|a| l.code[..a].chars().count()))
            .max()
            .unwrap_or(0);
        for l in &mut lines[i..j] {
            if let Some(a) = l.arrow {
                let pad = col - l.code[..a].chars().count();
                l.code.insert_str(a, &" ".repeat(pad));
            }
        }
        i = j.max(i + 1);
    }
}

/// Trailing comments of consecutive lines of one indentation start in one
/// column, two spaces after the longest line's code.
fn align_comments(lines: &mut [Line]) {
    let has = |l: &Line| l.comment.is_some() && !l.code.is_empty() && !l.code.contains('\n');
    let mut i = 0;
    while i < lines.len() {
        if !has(&lines[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < lines.len() && has(&lines[j]) && lines[j].indent == lines[i].indent {
            j += 1;
        }
        let col = lines[i..j].iter().map(width).max().unwrap_or(0);
        for l in &mut lines[i..j] {
            let pad = col - width(l);
            l.code.push_str(&" ".repeat(pad));
        }
        i = j;
    }
}

#[cfg(test)]
mod tests;
