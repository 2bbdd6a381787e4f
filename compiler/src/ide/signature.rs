//! Signature help inside a test case's call: `openat(AT_FDCWD, |`.

use super::hover;
use crate::arch::Arch;
use crate::sema::Analysis;
use crate::syntax::ast::ItemKind;
use crate::syntax::lexer::{self, Tok};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHelp {
    pub label: String,
    /// Byte ranges of each parameter within `label`.
    pub parameters: Vec<(usize, usize)>,
    pub active: usize,
    pub doc: Option<String>,
}

pub fn signature_help(a: &Analysis, offset: usize) -> Option<SignatureHelp> {
    let m = a.module(a.root);
    let text = &a.sources.get(m.file).text;
    // Only inside test blocks.
    let in_test = m.ast.items.iter().any(|it| {
        matches!(it.kind, ItemKind::Test(_))
            && (it.span.start as usize) < offset
            && offset <= it.span.end as usize
    });
    if !in_test {
        return None;
    }
    let toks: Vec<(usize, Tok, usize)> = lexer::lex(text, m.file)
        .tokens
        .into_iter()
        .filter(|t| t.2 <= offset)
        .collect();
    // The innermost unclosed `(` preceded by a name, counting commas.
    let mut depth = 0usize;
    let mut commas = 0usize;
    let mut open = None;
    for (i, t) in toks.iter().enumerate().rev() {
        match t.1 {
            Tok::RParen => depth += 1,
            Tok::LParen if depth > 0 => depth -= 1,
            Tok::LParen => {
                open = Some(i);
                break;
            }
            Tok::Comma if depth == 0 => commas += 1,
            Tok::FatArrow | Tok::LBrace | Tok::RBrace => return None,
            _ => {}
        }
    }
    let open = open?;
    let name_tok = toks.get(open.checked_sub(1)?)?;
    let name = text.get(name_tok.0..name_tok.2)?;
    let arch_prefix = open
        .checked_sub(3)
        .and_then(|k| toks.get(k..open - 1))
        .filter(|w| w.len() == 2 && w[1].1 == Tok::Colon)
        .and_then(|w| Arch::from_name(text.get(w[0].0..w[0].2)?));
    let arches: Vec<Arch> = match arch_prefix {
        Some(a) => vec![a],
        None => Arch::ALL.to_vec(),
    };
    let sc = arches
        .iter()
        .find_map(|a| a.syscall(name).filter(|s| s.implemented))?;
    let mut label = format!("{}(", sc.name);
    let mut parameters = Vec::new();
    for (k, arg) in sc.logical_args().enumerate() {
        if k > 0 {
            label.push_str(", ");
        }
        let start = label.len();
        let n = arg.name().unwrap_or("_");
        if arg.c_type.ends_with('*') {
            label.push_str(&format!("{}{n}", arg.c_type));
        } else {
            label.push_str(&format!("{} {n}", arg.c_type));
        }
        parameters.push((start, label.len()));
    }
    label.push(')');
    debug_assert_eq!(label, hover::signature(sc));
    Some(SignatureHelp {
        label,
        active: commas.min(parameters.len().saturating_sub(1)),
        parameters,
        doc: Some("arguments by position (missing ones are 0) or by name: `fd: 2`".into()),
    })
}
