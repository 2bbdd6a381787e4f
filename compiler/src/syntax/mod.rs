//! Source text to syntax tree: the logos lexer, the lalrpop grammar, and a
//! wrapper that always returns a tree plus every syntax error it found.

pub mod ast;
pub mod lexer;

#[allow(clippy::all, clippy::pedantic, unused)]
mod grammar {
    include!(concat!(env!("OUT_DIR"), "/syntax/grammar.rs"));
}

use crate::diagnostics::{codes, Diagnostic};
use crate::source::{FileId, Span};
use ast::File;
use lalrpop_util::ParseError;
use lexer::Tok;

pub struct Parsed {
    pub file: File,
    pub diagnostics: Vec<Diagnostic>,
}

/// Errors the grammar's actions report while they recover in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserError {
    /// `=` where a comparison was meant; parsed as `==`.
    AssignForEq(Span),
    /// An expression nested deeper than `MAX_EXPR_DEPTH`.
    TooDeep(Span),
    /// `on` blocks nested deeper than `MAX_BLOCK_DEPTH`.
    BlocksTooDeep(Span),
}

/// How deep an expression may nest (parentheses, operators, `!`): far
/// beyond any real predicate, and shallow enough that the recursive passes
/// over expressions never exhaust a thread's stack.
pub const MAX_EXPR_DEPTH: u32 = 256;

/// How deep `on` blocks may nest.
pub const MAX_BLOCK_DEPTH: u32 = 32;

/// The depth sentinel of an expression cut off for being too deep: any
/// node above it is cut off too, without another report.
const CUT: u32 = u32::MAX;

/// How many `on` blocks nest in `kind` (itself included).
fn block_depth(kind: &ast::StmtKind) -> u32 {
    match kind {
        ast::StmtKind::On { body, .. } => {
            1 + body.iter().map(|s| block_depth(&s.kind)).max().unwrap_or(0)
        }
        _ => 0,
    }
}

/// Replaces `on` blocks nested too deeply by an error statement, reported
/// once at the outermost block (the inner ones are already bounded).
pub(crate) fn limit_blocks(
    kind: ast::StmtKind,
    span: Span,
    errors: &mut Vec<lalrpop_util::ErrorRecovery<usize, Tok, UserError>>,
) -> ast::StmtKind {
    if block_depth(&kind) <= MAX_BLOCK_DEPTH {
        return kind;
    }
    // Blocks around a cut-off one are cut off again every
    // MAX_BLOCK_DEPTH levels; one report says it.
    let reported = errors.iter().any(|e| {
        matches!(
            e.error,
            ParseError::User {
                error: UserError::BlocksTooDeep(_)
            }
        )
    });
    if !reported {
        errors.push(lalrpop_util::ErrorRecovery {
            error: ParseError::User {
                error: UserError::BlocksTooDeep(Span::new(
                    span.file,
                    span.start as usize,
                    span.start as usize + 2,
                )),
            },
            dropped_tokens: Vec::new(),
        });
    }
    ast::StmtKind::Error
}

/// Replaces an expression that nests too deeply by an `Error` node (its
/// subtree is at most `MAX_EXPR_DEPTH` deep, so dropping it is safe), and
/// reports it once, where the limit is first crossed.
pub(crate) fn limit_depth(
    e: ast::Expr,
    errors: &mut Vec<lalrpop_util::ErrorRecovery<usize, Tok, UserError>>,
) -> ast::Expr {
    if e.depth <= MAX_EXPR_DEPTH {
        return e;
    }
    if e.depth != CUT {
        errors.push(lalrpop_util::ErrorRecovery {
            error: ParseError::User {
                error: UserError::TooDeep(e.span),
            },
            dropped_tokens: Vec::new(),
        });
    }
    ast::Expr {
        kind: ast::ExprKind::Error,
        span: e.span,
        depth: CUT,
    }
}

/// Parses one file. Never fails: syntax errors become diagnostics and
/// `Error` nodes in the tree.
pub fn parse(src: &str, file: FileId) -> Parsed {
    let lexed = lexer::lex(src, file);
    let mut diagnostics = lexed.diagnostics;
    // Positions the lexer already complained about; a parse error there
    // would only repeat it.
    let lex_error_at: Vec<usize> = lexed
        .tokens
        .iter()
        .filter(|t| matches!(t.1, Tok::Error | Tok::UnterminatedStr))
        .map(|t| t.0)
        .collect();
    // An unterminated block comment swallows the rest of the file; the
    // "unexpected end of file" that follows says nothing new.
    let comment_ate_eof = diagnostics
        .iter()
        .any(|d| d.code == codes::UNTERMINATED_COMMENT);
    let tokens = with_line_ends(src, &lexed.tokens);
    let mut recovered = Vec::new();
    let result = grammar::FileParser::new().parse(
        src,
        file,
        &mut recovered,
        tokens.iter().copied().map(Ok::<_, UserError>),
    );
    let mut items = match result {
        Ok(items) => items,
        Err(e) => {
            recovered.push(lalrpop_util::ErrorRecovery {
                error: e,
                dropped_tokens: Vec::new(),
            });
            Vec::new()
        }
    };
    let cx = ErrCx {
        src,
        file,
        tokens: &tokens,
        lex_error_at: &lex_error_at,
        comment_ate_eof,
    };
    for r in recovered {
        if let Some(d) = cx.diagnostic(r.error) {
            diagnostics.push(d);
        }
    }
    attach_docs(src, &mut items, &lexed.comments);
    Parsed {
        file: File {
            items,
            comments: lexed.comments,
        },
        diagnostics,
    }
}

/// Where the parser wrapper is, for placing line ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    /// A profile, mixin or `on` body: statements.
    Stmts,
    /// A `test` body: one expectation per line.
    Tests,
    /// `match arch { … }`, `use m::{…}`, or anything unexpected.
    Other,
}

/// Inserts `Newline` tokens where a line break ends a statement or a test
/// case. Newlines are not significant in moat, so a `Newline` goes only
/// where the grammar lets a statement end anyway and nothing valid could
/// continue it: inside a statement body, between a token that can end a
/// statement (a name, a number, `)`, `]`) and a name that starts the next
/// line (two names in a row never continue anything); inside a test body,
/// at every line break between cases and before the closing `}`. Error
/// recovery then resumes on the next line instead of skipping to the next
/// keyword.
fn with_line_ends(src: &str, tokens: &[(usize, Tok, usize)]) -> Vec<(usize, Tok, usize)> {
    let mut out = Vec::with_capacity(tokens.len() + tokens.len() / 4);
    // Open braces with what they hold, and the `(`/`[` depth inside each.
    let mut blocks: Vec<(Block, u32)> = Vec::new();
    let mut top_parens = 0u32;
    let mut pending_test = false;
    for (i, &(l, tok, r)) in tokens.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| tokens[j]);
        let block = blocks.last().map(|b| b.0);
        let depth = blocks.last().map_or(top_parens, |b| b.1);
        if let (Some((_, ptok, pend)), Some(block), 0) = (prev, block, depth) {
            let line_break = src.get(pend..l).is_some_and(|gap| gap.contains('\n'));
            let name = |t: Tok| t == Tok::Ident || t.is_keyword();
            let insert = match block {
                Block::Stmts => {
                    line_break
                        && matches!(ptok, Tok::Ident | Tok::Int | Tok::RParen | Tok::RBracket)
                        && tok == Tok::Ident
                }
                Block::Tests => {
                    (line_break && (name(ptok) || ptok == Tok::RParen) && name(tok))
                        || (tok == Tok::RBrace && !matches!(ptok, Tok::Semi | Tok::LBrace))
                }
                Block::Other => false,
            };
            if insert
                && out
                    .last()
                    .is_none_or(|t: &(usize, Tok, usize)| t.1 != Tok::Newline)
            {
                out.push((l, Tok::Newline, l));
            }
        }
        match tok {
            Tok::LBrace => {
                let pp = i.checked_sub(2).map(|j| tokens[j].1);
                let kind = if prev.is_some_and(|p| p.1 == Tok::ColonColon) || pp == Some(Tok::Match)
                {
                    Block::Other
                } else if block.is_none() && pending_test {
                    Block::Tests
                } else if block.is_none() || block == Some(Block::Stmts) {
                    Block::Stmts
                } else {
                    Block::Other
                };
                pending_test = false;
                blocks.push((kind, 0));
            }
            Tok::RBrace => {
                blocks.pop();
            }
            Tok::LParen | Tok::LBracket => match blocks.last_mut() {
                Some(b) => b.1 += 1,
                None => top_parens += 1,
            },
            Tok::RParen | Tok::RBracket => match blocks.last_mut() {
                Some(b) => b.1 = b.1.saturating_sub(1),
                None => top_parens = top_parens.saturating_sub(1),
            },
            Tok::Test if block.is_none() => {
                // `test` begins an item unless it is a name (`profile test`).
                pending_test = !prev.is_some_and(|p| {
                    matches!(
                        p.1,
                        Tok::Profile
                            | Tok::Mixin
                            | Tok::Group
                            | Tok::Const
                            | Tok::Extends
                            | Tok::ColonColon
                            | Tok::Use
                            | Tok::As
                    )
                });
            }
            Tok::Use | Tok::Const | Tok::Group | Tok::Mixin | Tok::Profile if block.is_none() => {
                pending_test = false;
            }
            _ => {}
        }
        out.push((l, tok, r));
    }
    out
}

/// A `///` comment documents the item that follows it directly, with only
/// whitespace or other `///` lines in between.
fn attach_docs(src: &str, items: &mut [ast::Item], comments: &[ast::Comment]) {
    for item in items {
        let mut end = item.span.start as usize;
        let mut lines = Vec::new();
        for c in comments.iter().rev() {
            if (c.span.end as usize) > end {
                continue;
            }
            if !c.doc || !src[c.span.end as usize..end].trim().is_empty() {
                break;
            }
            lines.push(
                c.text
                    .trim_start_matches("///")
                    .strip_prefix(' ')
                    .unwrap_or(c.text.trim_start_matches("///"))
                    .trim_end()
                    .to_string(),
            );
            end = c.span.start as usize;
        }
        if !lines.is_empty() {
            lines.reverse();
            item.doc = Some(lines.join("\n"));
        }
    }
}

/// What the error reporter needs to know about the file.
struct ErrCx<'a> {
    src: &'a str,
    file: FileId,
    /// The tokens as the parser saw them (with `Newline`s).
    tokens: &'a [(usize, Tok, usize)],
    lex_error_at: &'a [usize],
    comment_ate_eof: bool,
}

const ACTION_WORDS: [&str; 8] = [
    "allow",
    "log",
    "trace",
    "notify",
    "errno",
    "trap",
    "kill_thread",
    "kill",
];

impl ErrCx<'_> {
    fn diagnostic(&self, err: ParseError<usize, Tok, UserError>) -> Option<Diagnostic> {
        match err {
            ParseError::UnrecognizedToken {
                token: (l, tok, r),
                expected,
            } => {
                let (l, tok, r) = if tok == Tok::Newline {
                    // A line end the wrapper inserted: talk about what
                    // starts the next line.
                    match self.tokens.iter().find(|t| t.0 >= l && t.1 != Tok::Newline) {
                        Some(&t) => t,
                        None => return self.eof(self.src.len(), &expected),
                    }
                } else {
                    (l, tok, r)
                };
                if self.lex_error_at.contains(&l) {
                    return None;
                }
                let found = &self.src[l..r];
                let span = Span::new(self.file, l, r);
                let exp = Expected::new(&expected);
                if tok == Tok::Ident && exp.action {
                    let next = self.next_on_line(r);
                    let continues = next.is_some_and(|t| {
                        t.1 == Tok::Ident || t.1 == Tok::LParen || t.1.is_keyword()
                    });
                    if !exp.statement || continues || action_help(found).is_some() {
                        return Some(
                            Diagnostic::new(
                                codes::UNKNOWN_ACTION,
                                span,
                                format!("unknown action `{found}`"),
                            )
                            .with_label("not an action")
                            .with_help(action_help(found).unwrap_or_else(|| {
                                "the actions are `allow`, `log`, `trace`, `notify`, `errno(E)`, \
                                 `trap`, `kill_thread` and `kill`"
                                    .to_string()
                            })),
                        );
                    }
                }
                let what = match tok {
                    Tok::Ident | Tok::Int => format!("`{found}`"),
                    _ if tok.text().is_some() => format!("`{found}`"),
                    _ => tok.describe().to_string(),
                };
                let mut d = Diagnostic::new(codes::SYNTAX, span, format!("unexpected {what}"))
                    .with_label(match exp.describe() {
                        Some(e) => format!("expected {e}"),
                        None => "not expected here".to_string(),
                    });
                if let Some(help) = self.help(tok, found, &exp) {
                    d = d.with_help(help);
                }
                Some(d)
            }
            ParseError::UnrecognizedEof { location, expected } => self.eof(location, &expected),
            ParseError::InvalidToken { location } => {
                if self.lex_error_at.contains(&location) {
                    return None;
                }
                let end = (location + 1).min(self.src.len());
                Some(Diagnostic::new(
                    codes::SYNTAX,
                    Span::new(self.file, location, end),
                    "invalid token",
                ))
            }
            ParseError::ExtraToken { token: (l, _, r) } => Some(
                Diagnostic::new(
                    codes::SYNTAX,
                    Span::new(self.file, l, r),
                    "unexpected text after the end of the file's items",
                )
                .with_label("not expected here"),
            ),
            ParseError::User {
                error: UserError::TooDeep(span),
            } => Some(
                Diagnostic::new(
                    codes::TOO_DEEP,
                    Span::new(span.file, span.start as usize, span.start as usize + 1),
                    format!("this expression nests more than {MAX_EXPR_DEPTH} levels deep"),
                )
                .with_label("the limit is crossed here")
                .with_help("split it over several rules; a long chain of alternatives reads better as `x in [A, B, …]`"),
            ),
            ParseError::User {
                error: UserError::BlocksTooDeep(span),
            } => Some(
                Diagnostic::new(
                    codes::TOO_DEEP,
                    span,
                    format!("`on` blocks nest more than {MAX_BLOCK_DEPTH} levels deep"),
                )
                .with_label("the limit is crossed here")
                .with_help("an `on` block inside another only narrows its architectures: merge them"),
            ),
            ParseError::User {
                error: UserError::AssignForEq(span),
            } => Some(
                Diagnostic::new(codes::SYNTAX, span, "`=` is not a comparison")
                    .with_label("write `==`")
                    .with_help(
                        "moat compares with `==`; a single `=` only defines a `const` or a `group`",
                    ),
            ),
        }
    }

    fn eof(&self, location: usize, expected: &[String]) -> Option<Diagnostic> {
        if self.comment_ate_eof {
            return None;
        }
        let at = location.min(self.src.len());
        let exp = Expected::new(expected);
        let mut d = Diagnostic::new(
            codes::SYNTAX,
            Span::new(self.file, at, at),
            "unexpected end of file",
        )
        .with_label(match exp.describe() {
            Some(e) => format!("expected {e}"),
            None => "the file ends here".to_string(),
        });
        if let Some((open, l, r)) = self.innermost_unclosed() {
            let close = match open {
                Tok::LBrace => "}",
                Tok::LParen => ")",
                _ => "]",
            };
            d = d
                .with_secondary(
                    Span::new(self.file, l, r),
                    format!("this `{}` is never closed", &self.src[l..r]),
                )
                .with_help(format!("add the missing `{close}`"));
        }
        Some(d)
    }

    /// The innermost `{`, `(` or `[` still open at the end of the file.
    fn innermost_unclosed(&self) -> Option<(Tok, usize, usize)> {
        let mut stack: Vec<(Tok, usize, usize)> = Vec::new();
        for &(l, t, r) in self.tokens {
            let opener = match t {
                Tok::RBrace => Tok::LBrace,
                Tok::RParen => Tok::LParen,
                Tok::RBracket => Tok::LBracket,
                Tok::LBrace | Tok::LParen | Tok::LBracket => {
                    stack.push((t, l, r));
                    continue;
                }
                _ => continue,
            };
            // Pop up to the matching opener; a stray closer is ignored.
            if let Some(pos) = stack.iter().rposition(|o| o.0 == opener) {
                stack.truncate(pos);
            }
        }
        stack.pop()
    }

    /// The first token after byte `end` on the same line.
    fn next_on_line(&self, end: usize) -> Option<(usize, Tok, usize)> {
        let t = *self
            .tokens
            .iter()
            .find(|t| t.0 >= end && t.1 != Tok::Newline)?;
        (!self.src[end..t.0].contains('\n')).then_some(t)
    }

    fn help(&self, tok: Tok, found: &str, exp: &Expected) -> Option<String> {
        if tok == Tok::Ident {
            if exp.statement {
                if let Some(h) = action_help(found) {
                    return Some(h);
                }
                if crate::arch::Arch::ALL
                    .iter()
                    .any(|a| a.syscall(found).is_some())
                {
                    return Some(format!(
                        "`{found}` is a syscall: is a `,` missing before it, or the action in front of it?"
                    ));
                }
            }
            if exp.item {
                let items = ["use", "const", "group", "mixin", "profile", "test"];
                if let Some(s) = crate::diagnostics::suggest(found, items) {
                    return Some(format!("did you mean `{s}`?"));
                }
            }
        }
        if exp.has("=>") && exp.terms.len() == 1 {
            return Some("a test case reads `SYSCALL(ARGS) => ACTION`".into());
        }
        match tok {
            Tok::Colon if exp.has("::") => Some("paths are written with `::`".into()),
            Tok::Assign if exp.has("==") => Some("comparisons use `==`".into()),
            _ => None,
        }
    }
}

/// A "did you mean" for a word written where an action goes.
fn action_help(found: &str) -> Option<String> {
    if matches!(
        found,
        "deny" | "block" | "reject" | "drop" | "forbid" | "disallow" | "fail" | "errno_eperm"
    ) {
        return Some(format!(
            "moat has no `{found}` action: use `errno(EPERM)`, `kill` or `trap`"
        ));
    }
    if matches!(found, "permit" | "accept" | "pass" | "ok") {
        return Some(format!(
            "moat has no `{found}` action: did you mean `allow`?"
        ));
    }
    if found.eq_ignore_ascii_case("SCMP_ACT_ALLOW") {
        return Some("did you mean `allow`?".into());
    }
    crate::diagnostics::suggest(found, ACTION_WORDS)
        .map(|s| format!("did you mean the action `{s}`?"))
}

/// lalrpop's list of expected terminals, classified. Keywords are names
/// too, so a list with `IDENT` also lists every keyword; those lists are
/// summarised ("a name", "an expression") rather than spelled out.
struct Expected {
    terms: Vec<String>,
    name: bool,
    expr: bool,
    item: bool,
    statement: bool,
    action: bool,
}

const OPERATORS: &[&str] = &[
    "==", "!=", "<", "<=", ">", ">=", "&", "|", "^", "<<", ">>", "+", "-", "*", "&&", "||", "in",
    "..", "..=", "=",
];

impl Expected {
    fn new(expected: &[String]) -> Expected {
        let terms: Vec<String> = expected
            .iter()
            .map(|e| e.trim_matches('"').to_string())
            .collect();
        let has = |s: &str| terms.iter().any(|e| e == s);
        let name = has("IDENT");
        Expected {
            name,
            expr: name && has("INT"),
            item: !name && has("profile") && has("use"),
            statement: !name && has("targets") && has("allow"),
            action: !name && has("allow") && has("errno"),
            terms,
        }
    }

    fn has(&self, s: &str) -> bool {
        self.terms.iter().any(|e| e == s)
    }

    fn describe(&self) -> Option<String> {
        let mut parts: Vec<String> = Vec::new();
        let mut punct: Vec<String> = Vec::new();
        let mut operator = false;
        for e in &self.terms {
            match e.as_str() {
                "IDENT" | "INT" | "STR" | "NL" | ";" | "BADSTR" | "BADCHAR" => continue,
                _ if is_word(e) => {
                    // Keywords: summarised below, except `if` after a rule's
                    // syscalls and a few that stand alone.
                    if !self.name && matches!(e.as_str(), "if" | "extends" | "as" | "in") {
                        if e == "in" {
                            operator = true;
                        } else {
                            punct.push(format!("`{e}`"));
                        }
                    }
                    continue;
                }
                _ if OPERATORS.contains(&e.as_str()) => {
                    if self.expr && matches!(e.as_str(), "-" | "!" | "~") {
                        continue;
                    }
                    operator = true;
                }
                "(" | "!" | "~" if self.expr => continue,
                _ => punct.push(format!("`{e}`")),
            }
        }
        // `::` continues almost every name; mention it only when nothing
        // else fits.
        if punct.len() > 1 {
            punct.retain(|p| p != "`::`");
        }
        parts.extend(punct);
        if operator && !self.expr {
            parts.push("an operator".into());
        }
        if self.expr {
            parts.push("an expression".into());
        } else if self.name {
            parts.push("a name".into());
        } else if self.item {
            parts.push("an item (`use`, `const`, `group`, `mixin`, `profile`, `test`)".into());
        } else if self.statement {
            parts.push("a statement (an action such as `allow`, or `targets`, `default`, `include`, `on`, …)".into());
        } else if self.action {
            parts.push("an action (`allow`, `errno(E)`, `kill`, …)".into());
        }
        if parts.is_empty() {
            return None;
        }
        if parts.len() > 6 {
            parts.truncate(6);
            parts.push("…".into());
        }
        Some(match parts.len() {
            1 => parts.pop().unwrap_or_default(),
            _ => {
                let last = parts.pop().unwrap_or_default();
                format!("{} or {}", parts.join(", "), last)
            }
        })
    }
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use ast::*;

    fn parse_ok(src: &str) -> File {
        let p = parse(src, FileId(0));
        assert!(p.diagnostics.is_empty(), "{:#?}", p.diagnostics);
        p.file
    }

    #[test]
    fn design_examples_parse() {
        for src in [
            include_str!("../../../examples/web-server.moat"),
            include_str!("../../../examples/docker-hardened.moat"),
        ] {
            let f = parse_ok(src);
            assert!(f.items.iter().all(|i| i.kind != ItemKind::Error));
        }
    }

    #[test]
    fn keywords_are_contextual() {
        let f = parse_ok(
            "profile p extends docker::default { targets x86_64 default allow allow kill if pid > 0 \
             flags tsync, log log unknown; errno(EPERM) default, on, test }",
        );
        let ItemKind::Profile(p) = &f.items[0].kind else {
            panic!()
        };
        assert_eq!(p.extends.as_ref().unwrap().text(), "docker::default");
        assert_eq!(p.body.len(), 6, "{:#?}", p.body);
        let StmtKind::Rule(r) = &p.body[2].kind else {
            panic!()
        };
        assert_eq!(r.syscalls[0].text(), "kill");
        let StmtKind::Flags(fl) = &p.body[3].kind else {
            panic!()
        };
        assert_eq!(fl.len(), 2);
    }

    #[test]
    fn precedence_is_rusts() {
        let f = parse_ok("const A = 1 | 2 & 3 == 3 || x in 1..=4 && !y");
        let ItemKind::Const(c) = &f.items[0].kind else {
            panic!()
        };
        let ConstValue::Expr(e) = &c.value else {
            panic!()
        };
        let ExprKind::Binary(BinOp::Or, l, r) = &e.kind else {
            panic!("{e:?}")
        };
        let ExprKind::Binary(BinOp::Eq, bl, _) = &l.kind else {
            panic!()
        };
        assert!(matches!(bl.kind, ExprKind::Binary(BinOp::BitOr, _, _)));
        assert!(matches!(r.kind, ExprKind::Binary(BinOp::And, _, _)));
    }

    #[test]
    fn docs_attach_to_the_next_item() {
        let f = parse_ok("/// one\n/// two\nprofile p { }\n// plain\nconst X = 1");
        assert_eq!(f.items[0].doc.as_deref(), Some("one\ntwo"));
        assert_eq!(f.items[1].doc, None);
    }

    #[test]
    fn every_statement_error_is_reported() {
        let p = parse(
            "profile p {\n allow read if fd == = 1\n allow write\n errno(EPERM open\n allow close\n}\nprofile q { allow ) }\nconst OK = 1",
            FileId(0),
        );
        assert_eq!(p.diagnostics.len(), 3, "{:#?}", p.diagnostics);
        assert_eq!(p.file.items.len(), 3);
        let ItemKind::Profile(prof) = &p.file.items[0].kind else {
            panic!()
        };
        assert!(prof
            .body
            .iter()
            .any(|s| matches!(&s.kind, StmtKind::Rule(r) if r.syscalls[0].text() == "close")));
    }

    #[test]
    fn unclosed_block_still_gives_a_tree() {
        let p = parse("const A = 1\nprofile p {\n allow read\n", FileId(0));
        assert_eq!(p.diagnostics.len(), 1, "{:#?}", p.diagnostics);
        assert!(!p.file.items.is_empty());
    }
}
