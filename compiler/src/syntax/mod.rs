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
    let tokens = lexed.tokens.clone();
    let mut recovered = Vec::new();
    let result = grammar::FileParser::new().parse(
        src,
        file,
        &mut recovered,
        tokens.into_iter().map(Ok::<_, ()>),
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
    for r in recovered {
        if let Some(d) = syntax_diagnostic(src, file, r.error, &lex_error_at) {
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

fn syntax_diagnostic(
    src: &str,
    file: FileId,
    err: ParseError<usize, Tok, ()>,
    lex_error_at: &[usize],
) -> Option<Diagnostic> {
    match err {
        ParseError::UnrecognizedToken {
            token: (l, tok, r),
            expected,
        } => {
            if lex_error_at.contains(&l) {
                return None;
            }
            let found = &src[l..r];
            let what = match tok {
                Tok::Ident | Tok::Int => format!("`{found}`"),
                _ if tok.text().is_some() => format!("`{found}`"),
                _ => tok.describe().to_string(),
            };
            let expected = describe_expected(&expected);
            let mut d = Diagnostic::new(
                codes::SYNTAX,
                Span::new(file, l, r),
                format!("unexpected {what}"),
            )
            .with_label(match &expected {
                Some(e) => format!("expected {e}"),
                None => "not expected here".to_string(),
            });
            if let Some(help) = syntax_help(tok, found) {
                d = d.with_help(help);
            }
            Some(d)
        }
        ParseError::UnrecognizedEof { location, expected } => {
            let expected = describe_expected(&expected);
            let at = location.min(src.len());
            Some(
                Diagnostic::new(
                    codes::SYNTAX,
                    Span::new(file, at, at),
                    "unexpected end of file",
                )
                .with_label(match &expected {
                    Some(e) => format!("expected {e}"),
                    None => "the file ends here".to_string(),
                })
                .with_help("is a `}` or `]` missing?"),
            )
        }
        ParseError::InvalidToken { location } => {
            if lex_error_at.contains(&location) {
                return None;
            }
            Some(Diagnostic::new(
                codes::SYNTAX,
                Span::new(file, location, location + 1),
                "invalid token",
            ))
        }
        ParseError::ExtraToken { token: (l, _, r) } => Some(Diagnostic::new(
            codes::SYNTAX,
            Span::new(file, l, r),
            "unexpected text after the end of the file's items",
        )),
        ParseError::User { .. } => None,
    }
}

fn syntax_help(tok: Tok, found: &str) -> Option<String> {
    if tok == Tok::Ident {
        let actions = [
            "allow",
            "kill",
            "kill_thread",
            "trap",
            "errno",
            "notify",
            "trace",
            "log",
        ];
        if let Some(s) = crate::diagnostics::suggest(found, actions) {
            return Some(format!("did you mean the action `{s}`?"));
        }
        if matches!(found, "deny" | "block" | "reject") {
            return Some(format!(
                "moat has no `{found}` action: use `errno(EPERM)`, `kill` or `trap`"
            ));
        }
        let items = ["use", "const", "group", "mixin", "profile", "test"];
        if let Some(s) = crate::diagnostics::suggest(found, items) {
            return Some(format!("did you mean `{s}`?"));
        }
    }
    match tok {
        Tok::Assign => Some("comparisons use `==`".into()),
        Tok::Colon => Some("paths are written with `::`".into()),
        Tok::Int | Tok::Ident => None,
        _ => None,
    }
}

/// Turns lalrpop's list of expected terminals into words, collapsing the
/// long lists that keywords-as-names produce.
fn describe_expected(expected: &[String]) -> Option<String> {
    if expected.is_empty() {
        return None;
    }
    let clean: Vec<String> = expected
        .iter()
        .map(|e| e.trim_matches('"').to_string())
        .collect();
    let has = |s: &str| clean.iter().any(|e| e == s);
    let mut parts: Vec<String> = Vec::new();
    let name_like = has("IDENT");
    let statement_start = has("targets") && has("allow");
    let item_start = has("profile") && has("use");
    if item_start {
        parts.push("an item (`use`, `const`, `group`, `mixin`, `profile`, `test`)".into());
    } else if statement_start {
        parts.push(
            "a statement (an action such as `allow`, or `targets`, `default`, `include`, `on`, …)"
                .into(),
        );
        if has("}") {
            parts.push("`}`".into());
        }
    } else if name_like && has("INT") {
        parts.push("an expression".into());
    } else if name_like {
        parts.push("a name".into());
    }
    if !item_start && !statement_start {
        for e in &clean {
            if e == "IDENT" || e == "INT" || e == "STR" {
                continue;
            }
            if name_like && Tok::keyword_text_is(e) {
                continue;
            }
            if has("INT") && name_like && matches!(e.as_str(), "(" | "-" | "!" | "~" | "null") {
                continue;
            }
            parts.push(format!("`{e}`"));
        }
        if has("STR") && !name_like {
            parts.push("a string".into());
        }
    }
    if parts.is_empty() {
        return None;
    }
    if parts.len() > 6 {
        parts.truncate(6);
        parts.push("…".into());
    }
    Some(match parts.len() {
        1 => parts.pop().unwrap(),
        _ => {
            let last = parts.pop().unwrap();
            format!("{} or {}", parts.join(", "), last)
        }
    })
}

impl Tok {
    fn keyword_text_is(s: &str) -> bool {
        s.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !s.is_empty()
    }
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
