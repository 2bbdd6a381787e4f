//! The lexer. Keywords are separate tokens so the LR grammar can see where a
//! statement begins, but the grammar accepts every keyword as a name too,
//! which is what makes them contextual (`allow kill`, `docker::default`).
//! Comments never reach the parser; they are collected for the formatter
//! and for doc comments.

use super::ast::Comment;
use crate::diagnostics::{codes, Diagnostic};
use crate::source::{FileId, Span};
use logos::Logos;

#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[logos(skip r"[ \t\r\n\f]+")]
pub enum Tok {
    #[token("use")]
    Use,
    #[token("const")]
    Const,
    #[token("group")]
    Group,
    #[token("mixin")]
    Mixin,
    #[token("profile")]
    Profile,
    #[token("test")]
    Test,
    #[token("targets")]
    Targets,
    #[token("default")]
    Default,
    #[token("bad_arch")]
    BadArch,
    #[token("unknown")]
    Unknown,
    #[token("flags")]
    Flags,
    #[token("include")]
    Include,
    #[token("on")]
    On,
    #[token("if")]
    If,
    #[token("extends")]
    Extends,
    #[token("match")]
    Match,
    #[token("as")]
    As,
    #[token("null")]
    Null,
    #[token("in")]
    In,
    #[token("allow")]
    Allow,
    #[token("kill")]
    Kill,
    #[token("kill_thread")]
    KillThread,
    #[token("trap")]
    Trap,
    #[token("errno")]
    Errno,
    #[token("notify")]
    Notify,
    #[token("trace")]
    Trace,
    #[token("log")]
    Log,

    #[regex("[A-Za-z_][A-Za-z0-9_]*")]
    Ident,
    /// Any run starting with a digit; its value is checked by `int_value`.
    #[regex("[0-9][A-Za-z0-9_]*")]
    Int,
    #[regex(r#""([^"\\\n]|\\.)*""#)]
    Str,
    #[regex(r#""([^"\\\n]|\\.)*"#)]
    UnterminatedStr,

    #[regex("//[^\n]*", allow_greedy = true)]
    LineComment,
    /// `# …` to the end of the line: a shell-style comment, reported and
    /// then skipped like a comment so the rest of the file parses.
    #[regex("#[^\n]*", allow_greedy = true)]
    HashComment,
    /// `'…'`: a string in the wrong quotes, reported and then parsed as a
    /// string.
    #[regex(r#"'([^'\\\n]|\\.)*'"#)]
    SingleQuoted,
    #[token("/*", block_comment)]
    BlockComment,

    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token("::")]
    ColonColon,
    #[token(":")]
    Colon,
    #[token("=>")]
    FatArrow,
    #[token("=")]
    Assign,
    #[token("==")]
    EqEq,
    #[token("!=")]
    Ne,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("!")]
    Bang,
    #[token("~")]
    Tilde,
    #[token("-")]
    Minus,
    #[token("+")]
    Plus,
    #[token("*")]
    Star,
    #[token("|")]
    Pipe,
    #[token("||")]
    OrOr,
    #[token("&")]
    Amp,
    #[token("&&")]
    AndAnd,
    #[token("^")]
    Caret,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("..")]
    DotDot,
    #[token("..=")]
    DotDotEq,

    /// Anything the lexer cannot make sense of; the parser's error recovery
    /// takes over from here.
    Error,

    /// Never produced by the lexer: the parser wrapper inserts it at line
    /// breaks where a statement or a test case ends (see `syntax::parse`),
    /// so error recovery can resume on the next line.
    Newline,
}

/// Nestable `/* … */`; an unterminated one runs to the end of the file and
/// is reported by `lex`.
fn block_comment(lex: &mut logos::Lexer<Tok>) -> bool {
    let rest = lex.remainder().as_bytes();
    let mut depth = 1usize;
    let mut i = 0;
    while i < rest.len() {
        if rest[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if rest[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                lex.bump(i);
                return true;
            }
        } else {
            i += 1;
        }
    }
    lex.bump(rest.len());
    true
}

impl Tok {
    /// What a person calls this token in an error message.
    pub fn describe(self) -> &'static str {
        use Tok::*;
        match self {
            Ident => "a name",
            Int => "a number",
            Str | UnterminatedStr => "a string",
            LineComment | BlockComment | HashComment => "a comment",
            SingleQuoted => "a string",
            Error => "an invalid character",
            Newline => "the end of the line",
            _ => self.text().unwrap_or("a token"),
        }
    }

    /// The fixed text of keyword and punctuation tokens.
    pub fn text(self) -> Option<&'static str> {
        use Tok::*;
        Some(match self {
            Use => "use",
            Const => "const",
            Group => "group",
            Mixin => "mixin",
            Profile => "profile",
            Test => "test",
            Targets => "targets",
            Default => "default",
            BadArch => "bad_arch",
            Unknown => "unknown",
            Flags => "flags",
            Include => "include",
            On => "on",
            If => "if",
            Extends => "extends",
            Match => "match",
            As => "as",
            Null => "null",
            In => "in",
            Allow => "allow",
            Kill => "kill",
            KillThread => "kill_thread",
            Trap => "trap",
            Errno => "errno",
            Notify => "notify",
            Trace => "trace",
            Log => "log",
            LBrace => "{",
            RBrace => "}",
            LParen => "(",
            RParen => ")",
            LBracket => "[",
            RBracket => "]",
            Comma => ",",
            Semi => ";",
            ColonColon => "::",
            Colon => ":",
            FatArrow => "=>",
            Assign => "=",
            EqEq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Bang => "!",
            Tilde => "~",
            Minus => "-",
            Plus => "+",
            Star => "*",
            Pipe => "|",
            OrOr => "||",
            Amp => "&",
            AndAnd => "&&",
            Caret => "^",
            Shl => "<<",
            Shr => ">>",
            DotDot => "..",
            DotDotEq => "..=",
            _ => return None,
        })
    }

    pub fn is_keyword(self) -> bool {
        self.text()
            .is_some_and(|t| t.chars().all(|c| c.is_ascii_alphabetic() || c == '_'))
    }
}

pub struct Lexed {
    pub tokens: Vec<(usize, Tok, usize)>,
    pub comments: Vec<Comment>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn lex(src: &str, file: FileId) -> Lexed {
    let mut tokens = Vec::new();
    let mut comments = Vec::new();
    let mut diagnostics = Vec::new();
    let mut lexer = Tok::lexer(src);
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        let span = Span::new(file, range.start, range.end);
        let text = &src[range.clone()];
        let tok = match result {
            Ok(t) => t,
            Err(()) => {
                let ch = text.chars().next().unwrap_or('?');
                diagnostics.push(
                    Diagnostic::new(
                        codes::INVALID_CHAR,
                        span,
                        format!(
                            "the character `{}` is not part of moat's syntax",
                            ch.escape_debug()
                        ),
                    )
                    .with_label("not allowed here")
                    .with_help(invalid_char_help(ch)),
                );
                Tok::Error
            }
        };
        match tok {
            Tok::LineComment => {
                let doc = text.starts_with("///") && !text.starts_with("////");
                comments.push(Comment {
                    span,
                    text: text.to_string(),
                    doc,
                });
                continue;
            }
            Tok::HashComment => {
                diagnostics.push(
                    Diagnostic::new(
                        codes::INVALID_CHAR,
                        Span::new(file, range.start, range.start + 1),
                        "`#` does not start a comment in moat",
                    )
                    .with_label("not allowed here")
                    .with_help("comments start with `//`; the rest of this line was skipped"),
                );
                continue;
            }
            Tok::SingleQuoted => {
                diagnostics.push(
                    Diagnostic::new(
                        codes::BAD_STRING,
                        span,
                        "strings are written with double quotes",
                    )
                    .with_label("single quotes")
                    .with_help(format!("write \"{}\"", &text[1..text.len() - 1])),
                );
                tokens.push((range.start, Tok::Str, range.end));
                continue;
            }
            Tok::BlockComment => {
                if !text.ends_with("*/") || text.len() < 4 {
                    diagnostics.push(
                        Diagnostic::new(
                            codes::UNTERMINATED_COMMENT,
                            Span::new(file, range.start, range.start + 2),
                            "this block comment is never closed",
                        )
                        .with_label("opened here")
                        .with_help("close it with `*/`; block comments nest, so every `/*` inside needs its own `*/`"),
                    );
                }
                comments.push(Comment {
                    span,
                    text: text.to_string(),
                    doc: false,
                });
                continue;
            }
            Tok::Int => {
                if let Err(msg) = int_value(text) {
                    diagnostics.push(
                        Diagnostic::new(codes::BAD_NUMBER, span, msg.0)
                            .with_label("not a valid number")
                            .with_help(msg.1),
                    );
                }
            }
            Tok::Str => {
                if let Err((at, msg)) = string_value(text) {
                    let s = range.start + at;
                    // The backslash and the character after it (which may
                    // take several bytes).
                    let escaped = text[at + 1..].chars().next().map_or(0, char::len_utf8);
                    diagnostics.push(
                        Diagnostic::new(
                            codes::BAD_STRING,
                            Span::new(file, s, s + 1 + escaped),
                            msg,
                        )
                        .with_label("unknown escape")
                        .with_help("the escapes are \\n \\t \\r \\0 \\\\ and \\\""),
                    );
                }
            }
            Tok::UnterminatedStr => {
                diagnostics.push(
                    Diagnostic::new(codes::BAD_STRING, span, "this string is never closed")
                        .with_label("missing `\"` at the end of the line")
                        .with_help("strings end with `\"` on the same line"),
                );
            }
            _ => {}
        }
        tokens.push((range.start, tok, range.end));
    }
    Lexed {
        tokens,
        comments,
        diagnostics,
    }
}

fn invalid_char_help(ch: char) -> String {
    match ch {
        '#' => "comments start with `//`".into(),
        '\'' => "strings use double quotes".into(),
        '%' | '/' => "arithmetic on constants has `| & ^ ~ << >> + - *`".into(),
        '…' => "write the arguments out; `…` is only a placeholder in examples".into(),
        _ => "remove it, or put it in a `//` comment".into(),
    }
}

/// The value of an integer literal, or (message, help).
pub fn int_value(text: &str) -> Result<u64, (String, String)> {
    let (digits, radix) = if let Some(r) = text.strip_prefix("0x").or(text.strip_prefix("0X")) {
        (r, 16)
    } else if let Some(r) = text.strip_prefix("0o") {
        (r, 8)
    } else if let Some(r) = text.strip_prefix("0b") {
        (r, 2)
    } else {
        (text, 10)
    };
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if radix == 10
        && clean.len() > 1
        && clean.starts_with('0')
        && clean.chars().all(|c| c.is_ascii_digit())
    {
        let trimmed = clean.trim_start_matches('0');
        let decimal = if trimmed.is_empty() { "0" } else { trimmed };
        let octal_ok = clean.chars().all(|c| c.is_digit(8));
        return Err((
            format!("`{text}` has a leading zero"),
            if octal_ok {
                format!(
                    "moat has no C-style octal: write `0o{}` for octal or `{decimal}` for decimal",
                    &clean[1..]
                )
            } else {
                format!("write `{decimal}`; octal literals are written `0o…`")
            },
        ));
    }
    if clean.is_empty() {
        return Err((
            format!("`{text}` has no digits"),
            "write digits after the prefix, as in `0x1f`".into(),
        ));
    }
    if let Some(bad) = clean.chars().find(|c| !c.is_digit(radix)) {
        let base = match radix {
            16 => "a hexadecimal",
            8 => "an octal",
            2 => "a binary",
            _ => "a decimal",
        };
        let help = if radix == 10
            && text.len() > 1
            && text.starts_with('0')
            && text[1..].chars().all(|c| c.is_ascii_digit())
        {
            "octal literals are written `0o…`".to_string()
        } else {
            "numbers are decimal, `0x` hex, `0o` octal or `0b` binary, with optional `_` separators"
                .to_string()
        };
        return Err((format!("`{bad}` is not {base} digit in `{text}`"), help));
    }
    u64::from_str_radix(&clean, radix).map_err(|_| {
        (
            format!("`{text}` does not fit in 64 bits"),
            "values are 64-bit: the largest is 0xffff_ffff_ffff_ffff".into(),
        )
    })
}

/// The contents of a string literal with escapes processed, or the byte
/// offset (within the literal) and message of the first bad escape.
pub fn string_value(text: &str) -> Result<String, (usize, String)> {
    let inner = &text[1..text.len() - 1];
    let mut out = String::new();
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, 'n')) => out.push('\n'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, '0')) => out.push('\0'),
            Some((_, '\\')) => out.push('\\'),
            Some((_, '"')) => out.push('"'),
            Some((_, other)) => {
                return Err((i + 1, format!("`\\{other}` is not a known escape")));
            }
            None => return Err((i + 1, "a string cannot end with `\\`".into())),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src, FileId(0))
            .tokens
            .into_iter()
            .map(|t| t.1)
            .collect()
    }

    #[test]
    fn keywords_and_names() {
        assert_eq!(
            toks("allow kill_thread killer docker::default"),
            vec![
                Tok::Allow,
                Tok::KillThread,
                Tok::Ident,
                Tok::Ident,
                Tok::ColonColon,
                Tok::Default
            ]
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(int_value("0x1f").unwrap(), 31);
        assert_eq!(int_value("0o400_000").unwrap(), 0o400000);
        assert_eq!(int_value("0b1010").unwrap(), 10);
        assert_eq!(int_value("1_000").unwrap(), 1000);
        assert_eq!(int_value("18446744073709551615").unwrap(), u64::MAX);
        assert!(int_value("18446744073709551616").is_err());
        assert!(int_value("0x").is_err());
        assert!(int_value("12ab").is_err());
        assert_eq!(toks("10..=20"), vec![Tok::Int, Tok::DotDotEq, Tok::Int]);
    }

    #[test]
    fn nested_block_comments_and_docs() {
        let l = lex("/* a /* b */ c */ x /// doc\n// plain\n", FileId(0));
        assert_eq!(l.tokens.len(), 1);
        assert_eq!(l.comments.len(), 3);
        assert!(l.comments[1].doc && !l.comments[2].doc);
        assert!(l.diagnostics.is_empty());
        let l = lex("x /* never closed", FileId(0));
        assert_eq!(l.diagnostics[0].code, codes::UNTERMINATED_COMMENT);
    }

    #[test]
    fn strings() {
        assert_eq!(string_value(r#""a\"b\n""#).unwrap(), "a\"b\n");
        assert!(string_value(r#""\q""#).is_err());
        let l = lex("\"open", FileId(0));
        assert_eq!(l.diagnostics[0].code, codes::BAD_STRING);
    }
}
