//! Semantic tokens: every lexer token of the root file, classified by the
//! span index where it is a name (syscalls, arguments, constants, actions
//! and the rest each get their own type).

use super::index::{self, Symbol};
use crate::sema::Analysis;
use crate::source::Span;
use crate::syntax::ast::ItemKind;
use crate::syntax::lexer::{self, Tok};

/// Token types, in the order of the legend the server announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TokenType {
    Keyword,
    /// Actions (`allow`, `errno`, …).
    Action,
    Syscall,
    Argument,
    /// User and prelude constants.
    Constant,
    Errno,
    /// Groups.
    Group,
    /// Profiles and mixins.
    Profile,
    Module,
    Arch,
    Flag,
    Number,
    String,
    Comment,
    Operator,
}

impl TokenType {
    pub const ALL: [TokenType; 15] = [
        TokenType::Keyword,
        TokenType::Action,
        TokenType::Syscall,
        TokenType::Argument,
        TokenType::Constant,
        TokenType::Errno,
        TokenType::Group,
        TokenType::Profile,
        TokenType::Module,
        TokenType::Arch,
        TokenType::Flag,
        TokenType::Number,
        TokenType::String,
        TokenType::Comment,
        TokenType::Operator,
    ];

    /// The standard LSP token type each one is announced as, so that
    /// themes colour them without configuration.
    pub fn lsp_name(self) -> &'static str {
        match self {
            TokenType::Keyword => "keyword",
            TokenType::Action => "macro",
            TokenType::Syscall => "function",
            TokenType::Argument => "parameter",
            TokenType::Constant => "enumMember",
            TokenType::Errno => "event",
            TokenType::Group => "class",
            TokenType::Profile => "type",
            TokenType::Module => "namespace",
            TokenType::Arch => "enum",
            TokenType::Flag => "property",
            TokenType::Number => "number",
            TokenType::String => "string",
            TokenType::Comment => "comment",
            TokenType::Operator => "operator",
        }
    }

    pub fn index(self) -> u32 {
        TokenType::ALL.iter().position(|t| *t == self).unwrap_or(0) as u32
    }
}

/// Modifier bits, in legend order.
pub const MOD_DECLARATION: u32 = 1;
pub const MOD_READONLY: u32 = 2;
pub const MOD_DEFAULT_LIBRARY: u32 = 4;
pub const MOD_DOCUMENTATION: u32 = 8;
pub const MODIFIERS: [&str; 4] = ["declaration", "readonly", "defaultLibrary", "documentation"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemanticToken {
    /// Within one line.
    pub span: Span,
    pub ty: TokenType,
    pub modifiers: u32,
}

/// Semantic tokens of the root file, in order, none spanning lines.
pub fn semantic_tokens(a: &Analysis) -> Vec<SemanticToken> {
    let m = a.module(a.root);
    let file = a.sources.get(m.file);
    let occs = index::index(a, a.root);
    let lexed = lexer::lex(&file.text, m.file);
    let mut out = Vec::new();
    let mut oi = 0;
    for &(s, tok, e) in &lexed.tokens {
        while oi < occs.len() && (occs[oi].span.start as usize) < s {
            oi += 1;
        }
        let occ = occs
            .get(oi)
            .filter(|o| o.span.start as usize == s && o.span.end as usize == e);
        let span = Span::new(m.file, s, e);
        let (ty, modifiers) = if let Some(o) = occ {
            let stdlib = |d: &crate::sema::DefId| {
                matches!(
                    a.sources.get(a.module(d.module).file).origin,
                    crate::source::Origin::Stdlib(_)
                )
            };
            let decl = if o.def { MOD_DECLARATION } else { 0 };
            match &o.symbol {
                Symbol::Item(d) => {
                    let lib = if stdlib(d) { MOD_DEFAULT_LIBRARY } else { 0 };
                    let ty = match a.item(*d).kind {
                        ItemKind::Const(_) => TokenType::Constant,
                        ItemKind::Group(_) => TokenType::Group,
                        _ => TokenType::Profile,
                    };
                    let ro = if ty == TokenType::Constant {
                        MOD_READONLY
                    } else {
                        0
                    };
                    (ty, decl | lib | ro)
                }
                Symbol::Module(_) => (TokenType::Module, 0),
                Symbol::Syscall(_) => (TokenType::Syscall, MOD_DEFAULT_LIBRARY),
                Symbol::Arg { .. } => (TokenType::Argument, 0),
                Symbol::PreludeConst(_) => {
                    (TokenType::Constant, MOD_READONLY | MOD_DEFAULT_LIBRARY)
                }
                Symbol::Errno(_) => (TokenType::Errno, MOD_DEFAULT_LIBRARY),
                Symbol::Action(_) => (TokenType::Action, 0),
                Symbol::Arch(_) => (TokenType::Arch, 0),
                Symbol::Flag(_) => (TokenType::Flag, 0),
                Symbol::Unresolved(_) => continue,
            }
        } else {
            match tok {
                Tok::Int => (TokenType::Number, 0),
                Tok::Str | Tok::UnterminatedStr => (TokenType::String, 0),
                Tok::Ident | Tok::Error => continue,
                t if t.is_keyword() => (TokenType::Keyword, 0),
                Tok::LBrace
                | Tok::RBrace
                | Tok::LParen
                | Tok::RParen
                | Tok::LBracket
                | Tok::RBracket
                | Tok::Comma
                | Tok::Semi
                | Tok::ColonColon
                | Tok::Colon => continue,
                _ => (TokenType::Operator, 0),
            }
        };
        out.push(SemanticToken {
            span,
            ty,
            modifiers,
        });
    }
    for c in &m.ast.comments {
        let modifiers = if c.doc { MOD_DOCUMENTATION } else { 0 };
        // One token per line of a block comment.
        let mut start = c.span.start as usize;
        let end = c.span.end as usize;
        while start < end {
            let line_end = file.text[start..end]
                .find('\n')
                .map(|i| start + i)
                .unwrap_or(end);
            if line_end > start {
                out.push(SemanticToken {
                    span: Span::new(m.file, start, line_end),
                    ty: TokenType::Comment,
                    modifiers,
                });
            }
            start = line_end + 1;
        }
    }
    out.sort_by_key(|t| t.span.start);
    out
}
