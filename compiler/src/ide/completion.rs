//! Completion. The analysis gives the names (items, imports, targets); the
//! lexer's tokens before the cursor tell what kind of word belongs there.
//! The tokens are read with a small state machine that follows the
//! grammar's statement shapes, because the text being typed rarely parses.

use super::index::positional;
use super::resolve::{self, Resolved, SyscallRef};
use crate::arch::{self, Arch};
use crate::sema::{Analysis, DefId, ModuleId};
use crate::source::Span;
use crate::syntax::ast::{self, ActionKind, ItemKind, ITEM_KEYWORDS};
use crate::syntax::lexer::{self, Tok};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CompletionKind {
    Keyword,
    Action,
    Syscall,
    Group,
    Argument,
    Constant,
    Errno,
    Module,
    Profile,
    Arch,
    Flag,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    /// The text to put in place of `replace` (the label when `None`).
    pub insert: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completions {
    /// The word being typed, which every item replaces.
    pub replace: Span,
    pub items: Vec<CompletionItem>,
    /// More items matched than are listed; typing more narrows them.
    pub incomplete: bool,
}

/// At most this many items per answer; the rest need a longer prefix.
pub const LIMIT: usize = 800;

const STATEMENT_WORDS: &[&str] = &[
    "targets", "default", "bad_arch", "unknown", "flags", "include", "on",
];
const MIXIN_WORDS: &[&str] = &["include", "on"];
pub const FLAG_NAMES: &[&str] = &[
    "tsync",
    "log",
    "spec_allow",
    "wait_killable_recv",
    "new_listener",
    "tsync_esrch",
];

/// What belongs at the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ctx {
    Nothing,
    Items,
    /// Start of a statement in a profile (`true`) or mixin/`on` in a mixin.
    Statement {
        settings: bool,
    },
    /// After a complete syscall name: `if`, or a new statement.
    AfterSyscall {
        settings: bool,
    },
    /// After a complete operand in a predicate: `in`, or a new statement.
    AfterOperand {
        settings: bool,
    },
    Actions,
    Syscalls,
    /// Items of a module after `path::`.
    ModuleItems(Vec<String>),
    Value {
        syscalls: Vec<String>,
        arg: Option<String>,
    },
    Errnos,
    Arches,
    Flags,
    Profiles,
    UsePath(Vec<String>),
    UseNames(Vec<String>),
    TestCase,
}

pub fn completions(a: &Analysis, offset: usize) -> Completions {
    let m = a.module(a.root);
    let file = m.file;
    let text = &a.sources.get(file).text;
    let offset = offset.min(text.len());
    let mut start = offset;
    while start > 0 {
        let Some(&b) = text.as_bytes().get(start - 1) else {
            break;
        };
        if b.is_ascii_alphanumeric() || b == b'_' {
            start -= 1;
        } else {
            break;
        }
    }
    let replace = Span::new(file, start, offset);
    let prefix = &text[start..offset];
    let empty = Completions {
        replace,
        items: Vec::new(),
        incomplete: false,
    };
    if m.ast
        .comments
        .iter()
        .any(|c| (c.span.start as usize) < offset && offset <= c.span.end as usize)
    {
        return empty;
    }
    let lexed = lexer::lex(text, file);
    if lexed
        .tokens
        .iter()
        .any(|&(s, t, e)| matches!(t, Tok::Str | Tok::UnterminatedStr) && s < offset && offset <= e)
    {
        return empty;
    }
    let toks: Vec<(usize, Tok, usize)> = lexed
        .tokens
        .iter()
        .copied()
        .filter(|t| t.2 <= start)
        .collect();
    let cx = context(&toks, text);
    let arches = enclosing_arches(a, offset);
    let mut items = Vec::new();
    fill(a, &cx, &arches, &mut items);
    let lower = prefix.to_ascii_lowercase();
    items.retain(|i| i.label.to_ascii_lowercase().starts_with(&lower));
    items.sort_by(|x, y| x.kind.cmp(&y.kind).then_with(|| x.label.cmp(&y.label)));
    items.dedup_by(|x, y| x.label == y.label && x.kind == y.kind);
    let incomplete = items.len() > LIMIT;
    items.truncate(LIMIT);
    Completions {
        replace,
        items,
        incomplete,
    }
}

fn word(text: &str, t: &(usize, Tok, usize)) -> String {
    text.get(t.0..t.2).unwrap_or("").to_string()
}

fn is_name(t: Tok) -> bool {
    t == Tok::Ident || t.is_keyword()
}

fn action_tok(t: Tok) -> bool {
    matches!(
        t,
        Tok::Allow
            | Tok::Kill
            | Tok::KillThread
            | Tok::Trap
            | Tok::Errno
            | Tok::Notify
            | Tok::Trace
            | Tok::Log
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Block {
    Profile,
    Mixin,
    Test,
    On,
    Match,
    UseList,
    Other,
}

/// The context at the end of `toks`.
fn context(toks: &[(usize, Tok, usize)], text: &str) -> Ctx {
    // errno( … / trap( … first: they look the same everywhere.
    if let [.., (_, k, _), (_, Tok::LParen, _)] = toks {
        if *k == Tok::Errno {
            return Ctx::Errnos;
        }
        if matches!(k, Tok::Trap | Tok::Trace) {
            return Ctx::Nothing;
        }
    }
    // The innermost open block, and where its body starts.
    let mut stack: Vec<(Block, usize)> = Vec::new();
    let mut item_start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t.1 {
            Tok::LBrace => {
                let kind = block_kind(&toks[..i]);
                stack.push((kind, i + 1));
            }
            Tok::RBrace => {
                stack.pop();
                if stack.is_empty() {
                    item_start = i + 1;
                }
            }
            _ => {}
        }
    }
    match stack.last() {
        None => top_level(&toks[item_start..], text),
        Some(&(Block::UseList, _)) | Some(&(Block::Other, _)) => {
            // `use a::b::{x, y` : names of that module.
            top_level(&toks[item_start..], text)
        }
        Some(&(Block::Match, _)) => {
            let last = toks.last().map(|t| t.1);
            if matches!(last, Some(Tok::LBrace | Tok::Comma | Tok::Pipe)) {
                Ctx::Arches
            } else {
                Ctx::Value {
                    syscalls: Vec::new(),
                    arg: None,
                }
            }
        }
        Some(&(Block::Test, body)) => test_case(&toks[body..], text),
        Some(&(kind, body)) => {
            // Inside `on` the settings question is the enclosing profile's.
            let settings = stack
                .iter()
                .rev()
                .find(|(k, _)| matches!(k, Block::Profile | Block::Mixin))
                .is_none_or(|(k, _)| *k == Block::Profile);
            let _ = kind;
            statement(&toks[body..], text, settings)
        }
    }
}

fn block_kind(before: &[(usize, Tok, usize)]) -> Block {
    if matches!(before.last(), Some((_, Tok::ColonColon, _))) {
        return Block::UseList;
    }
    for t in before.iter().rev() {
        match t.1 {
            Tok::Profile => return Block::Profile,
            Tok::Mixin => return Block::Mixin,
            Tok::Test => return Block::Test,
            Tok::On => return Block::On,
            Tok::Match => return Block::Match,
            Tok::LBrace | Tok::RBrace | Tok::RBracket | Tok::Semi => return Block::Other,
            _ => {}
        }
    }
    Block::Other
}

fn top_level(toks: &[(usize, Tok, usize)], text: &str) -> Ctx {
    // The current item begins at its last item keyword.
    let Some(pos) = toks.iter().rposition(|t| {
        matches!(
            t.1,
            Tok::Use | Tok::Const | Tok::Group | Tok::Mixin | Tok::Profile | Tok::Test
        )
    }) else {
        return Ctx::Items;
    };
    let head = toks[pos].1;
    let rest = &toks[pos + 1..];
    match head {
        Tok::Use => {
            let mut segs = Vec::new();
            let mut in_braces = false;
            let mut expect_name = true;
            for t in rest {
                match t.1 {
                    Tok::ColonColon => expect_name = true,
                    Tok::LBrace => in_braces = true,
                    Tok::Comma if in_braces => {}
                    t2 if is_name(t2) && expect_name && !in_braces => {
                        segs.push(word(text, t));
                        expect_name = false;
                    }
                    t2 if is_name(t2) && in_braces => {}
                    _ => return Ctx::Items,
                }
            }
            if in_braces {
                if matches!(rest.last().map(|t| t.1), Some(Tok::LBrace | Tok::Comma)) {
                    return Ctx::UseNames(segs);
                }
                return Ctx::Nothing;
            }
            if rest.is_empty() || expect_name {
                return Ctx::UsePath(segs);
            }
            Ctx::Items
        }
        Tok::Test => match rest {
            [] => Ctx::Profiles,
            [.., (_, Tok::ColonColon, _)] => Ctx::ModuleItems(path_before(rest, text)),
            _ => Ctx::Nothing,
        },
        Tok::Profile | Tok::Mixin => match rest {
            [.., (_, Tok::Extends, _)] => Ctx::Profiles,
            [.., (_, Tok::ColonColon, _)] => Ctx::ModuleItems(path_before(rest, text)),
            [_] if head == Tok::Profile => Ctx::Nothing,
            _ => Ctx::Nothing,
        },
        Tok::Group => {
            if rest.iter().any(|t| t.1 == Tok::RBracket) {
                return Ctx::Items;
            }
            match rest.last().map(|t| t.1) {
                Some(Tok::LBracket | Tok::Comma) => Ctx::Syscalls,
                Some(Tok::ColonColon) => Ctx::ModuleItems(path_before(rest, text)),
                _ => Ctx::Nothing,
            }
        }
        Tok::Const => {
            if rest.len() < 2 {
                return Ctx::Nothing;
            }
            expr_tail(rest, text, &[], true).unwrap_or(Ctx::Items)
        }
        _ => Ctx::Items,
    }
}

/// The path segments written before a trailing `::`.
fn path_before(toks: &[(usize, Tok, usize)], text: &str) -> Vec<String> {
    let mut segs = Vec::new();
    let mut i = toks.len();
    while i >= 2 && toks[i - 1].1 == Tok::ColonColon && is_name(toks[i - 2].1) {
        segs.push(word(text, &toks[i - 2]));
        i -= 2;
    }
    segs.reverse();
    segs
}

/// State of the statement reader.
#[derive(Clone, Debug, PartialEq, Eq)]
enum St {
    Start,
    /// After an action word (its data not yet seen).
    AfterAction {
        setting: bool,
    },
    ListStart,
    AfterName,
    PathSeg,
    Pred,
    Names {
        flags: bool,
    },
    AfterListName {
        flags: bool,
    },
    Include,
    AfterInclude,
    SettingAction,
}

fn statement(toks: &[(usize, Tok, usize)], text: &str, settings: bool) -> Ctx {
    let mut st = St::Start;
    let mut syscalls: Vec<String> = Vec::new();
    let mut pred_start = 0;
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].1;
        let reprocess = match &st {
            St::Start => {
                match t {
                    Tok::Targets | Tok::On => st = St::Names { flags: false },
                    Tok::Flags => st = St::Names { flags: true },
                    Tok::Default | Tok::BadArch | Tok::Unknown => st = St::SettingAction,
                    Tok::Include => st = St::Include,
                    _ if action_tok(t) => {
                        syscalls.clear();
                        st = St::AfterAction { setting: false };
                    }
                    _ => {}
                }
                false
            }
            St::SettingAction => {
                if action_tok(t) {
                    st = St::AfterAction { setting: true };
                } else {
                    st = St::Start;
                }
                false
            }
            St::AfterAction { setting } => {
                let setting = *setting;
                if t == Tok::LParen {
                    // Skip the action's data.
                    let mut depth = 0;
                    while i < toks.len() {
                        match toks[i].1 {
                            Tok::LParen => depth += 1,
                            Tok::RParen => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        i += 1;
                    }
                    if i >= toks.len() {
                        return Ctx::Nothing;
                    }
                    st = if setting { St::Start } else { St::ListStart };
                    false
                } else {
                    st = if setting { St::Start } else { St::ListStart };
                    true
                }
            }
            St::ListStart | St::PathSeg => {
                if is_name(t) {
                    if st == St::PathSeg {
                        if let Some(last) = syscalls.last_mut() {
                            last.push_str("::");
                            last.push_str(&word(text, &toks[i]));
                        }
                    } else {
                        syscalls.push(word(text, &toks[i]));
                    }
                    st = St::AfterName;
                    false
                } else {
                    st = St::Start;
                    true
                }
            }
            St::AfterName => match t {
                Tok::ColonColon => {
                    st = St::PathSeg;
                    false
                }
                Tok::Comma => {
                    st = St::ListStart;
                    false
                }
                Tok::If => {
                    st = St::Pred;
                    pred_start = i + 1;
                    false
                }
                Tok::Semi => {
                    st = St::Start;
                    false
                }
                _ => {
                    st = St::Start;
                    true
                }
            },
            St::Pred => {
                // The predicate ends where a name follows a complete operand.
                let so_far = &toks[pred_start..i];
                if is_name(t) && operand_complete(so_far) && t != Tok::In {
                    st = St::Start;
                    true
                } else if t == Tok::Semi {
                    st = St::Start;
                    false
                } else {
                    false
                }
            }
            St::Names { flags } => {
                let flags = *flags;
                if is_name(t) {
                    st = St::AfterListName { flags };
                    false
                } else {
                    st = St::Start;
                    true
                }
            }
            St::AfterListName { flags } => {
                let flags = *flags;
                if t == Tok::Comma {
                    st = St::Names { flags };
                    false
                } else {
                    st = St::Start;
                    t != Tok::Semi
                }
            }
            St::Include => {
                st = if is_name(t) {
                    St::AfterInclude
                } else {
                    St::Start
                };
                false
            }
            St::AfterInclude => {
                if t == Tok::ColonColon {
                    st = St::Include;
                    false
                } else {
                    st = St::Start;
                    true
                }
            }
        };
        if !reprocess {
            i += 1;
        }
    }
    match st {
        St::Start => Ctx::Statement { settings },
        St::SettingAction => Ctx::Actions,
        St::AfterAction { setting: false } | St::ListStart => Ctx::Syscalls,
        St::AfterAction { setting: true } => Ctx::Statement { settings },
        St::AfterName => Ctx::AfterSyscall { settings },
        St::PathSeg => Ctx::ModuleItems(path_before(toks, text)),
        St::Pred => expr_tail(&toks[pred_start..], text, &syscalls, false)
            .unwrap_or(Ctx::AfterOperand { settings }),
        St::Names { flags } => {
            if flags {
                Ctx::Flags
            } else {
                Ctx::Arches
            }
        }
        St::AfterListName { .. } => Ctx::Statement { settings },
        St::Include => {
            if matches!(toks.last().map(|t| t.1), Some(Tok::ColonColon)) {
                Ctx::ModuleItems(path_before(toks, text))
            } else {
                Ctx::Profiles
            }
        }
        St::AfterInclude => Ctx::Statement { settings },
    }
}

/// Whether the expression tokens end with a complete operand.
fn operand_complete(toks: &[(usize, Tok, usize)]) -> bool {
    match toks.last().map(|t| t.1) {
        None => false,
        Some(t) => is_name(t) || matches!(t, Tok::Int | Tok::RParen | Tok::RBracket),
    }
}

/// In an expression: an operand is expected (constants, or arguments and
/// constants in a predicate), with the argument it is compared with.
/// `None` when an operand is complete.
fn expr_tail(
    toks: &[(usize, Tok, usize)],
    text: &str,
    syscalls: &[String],
    const_only: bool,
) -> Option<Ctx> {
    if operand_complete(toks) {
        return None;
    }
    if matches!(toks.last().map(|t| t.1), Some(Tok::ColonColon)) {
        return Some(Ctx::ModuleItems(path_before(toks, text)));
    }
    // The argument this operand is compared with: the last name before a
    // comparison, membership or mask, not separated by `&&`, `||` or `!`.
    let mut arg = None;
    if !const_only {
        let mut seen_cmp = false;
        for t in toks.iter().rev() {
            match t.1 {
                Tok::AndAnd | Tok::OrOr | Tok::Bang => break,
                Tok::EqEq
                | Tok::Ne
                | Tok::Lt
                | Tok::Le
                | Tok::Gt
                | Tok::Ge
                | Tok::Amp
                | Tok::In
                | Tok::LBracket
                | Tok::Pipe
                | Tok::Comma
                | Tok::DotDot
                | Tok::DotDotEq => seen_cmp = true,
                Tok::Ident if seen_cmp => {
                    arg = Some(word(text, t));
                    break;
                }
                _ if is_name(t.1) && seen_cmp => {
                    arg = Some(word(text, t));
                    break;
                }
                _ => {}
            }
        }
    }
    Some(Ctx::Value {
        syscalls: if const_only {
            Vec::new()
        } else {
            syscalls.to_vec()
        },
        arg,
    })
}

fn test_case(toks: &[(usize, Tok, usize)], text: &str) -> Ctx {
    // Cases end at their action; find the current case's start.
    let mut start = 0;
    let mut i = 0;
    while i < toks.len() {
        if toks[i].1 == Tok::FatArrow {
            // Skip the action (and its data).
            i += 1;
            if i < toks.len() && action_tok(toks[i].1) {
                i += 1;
                if i < toks.len() && toks[i].1 == Tok::LParen {
                    while i < toks.len() && toks[i].1 != Tok::RParen {
                        i += 1;
                    }
                    if i >= toks.len() {
                        return Ctx::Nothing;
                    }
                    i += 1;
                }
                start = i;
                continue;
            }
            return Ctx::Actions;
        }
        if toks[i].1 == Tok::Semi {
            start = i + 1;
        }
        i += 1;
    }
    let case = &toks[start..];
    match case {
        [] => Ctx::TestCase,
        [(_, t, _), (_, Tok::Colon, _)] if is_name(*t) => Ctx::Syscalls,
        _ => {
            let open = case.iter().position(|t| t.1 == Tok::LParen);
            let Some(open) = open else {
                return Ctx::Nothing;
            };
            let syscall = word(text, &case[open.saturating_sub(1)]);
            if case.iter().any(|t| t.1 == Tok::RParen) {
                return Ctx::Nothing;
            }
            let args = &case[open + 1..];
            match args.last().map(|t| t.1) {
                None | Some(Tok::Comma) => Ctx::Value {
                    syscalls: vec![syscall],
                    arg: None,
                },
                Some(Tok::Colon) => {
                    let arg = args.len().checked_sub(2).map(|k| word(text, &args[k]));
                    Ctx::Value {
                        syscalls: Vec::new(),
                        arg: arg.map(|a| format!("{syscall}::{a}")),
                    }
                }
                _ => expr_tail(args, text, &[syscall], false).unwrap_or(Ctx::Nothing),
            }
        }
    }
}

/// The target architectures of the profile (or tested profile) around the
/// cursor, else every architecture.
fn enclosing_arches(a: &Analysis, offset: usize) -> Vec<Arch> {
    let m = a.module(a.root);
    for (i, it) in m.ast.items.iter().enumerate() {
        if !(it.span.start as usize <= offset && offset <= it.span.end as usize) {
            continue;
        }
        match &it.kind {
            ItemKind::Profile(_) => {
                return resolve::profile_targets(
                    a,
                    DefId {
                        module: a.root,
                        item: i as u32,
                    },
                )
            }
            ItemKind::Test(t) => {
                if let Some(Resolved::Item(d)) = resolve::lookup(a, a.root, &t.profile.segments) {
                    return resolve::profile_targets(a, d);
                }
            }
            _ => {}
        }
    }
    Arch::ALL.to_vec()
}

fn item(label: impl Into<String>, kind: CompletionKind, detail: Option<String>) -> CompletionItem {
    CompletionItem {
        label: label.into(),
        kind,
        detail,
        insert: None,
    }
}

fn fill(a: &Analysis, cx: &Ctx, arches: &[Arch], out: &mut Vec<CompletionItem>) {
    match cx {
        Ctx::Nothing => {}
        Ctx::Items => {
            for k in ITEM_KEYWORDS {
                out.push(item(*k, CompletionKind::Keyword, None));
            }
        }
        Ctx::Statement { settings } => statement_words(*settings, out),
        Ctx::AfterSyscall { settings } => {
            out.push(item(
                "if",
                CompletionKind::Keyword,
                Some("a condition on the arguments".into()),
            ));
            statement_words(*settings, out);
        }
        Ctx::AfterOperand { settings } => {
            out.push(item(
                "in",
                CompletionKind::Keyword,
                Some("membership: `x in [A, B]`, `x in 1..10`".into()),
            ));
            statement_words(*settings, out);
        }
        Ctx::Actions => actions(out),
        Ctx::Syscalls => {
            syscalls(arches, out);
            groups(a, out);
        }
        Ctx::ModuleItems(path) => module_items(a, path, out),
        Ctx::Value { syscalls, arg } => values(a, syscalls, arg.as_deref(), arches, out),
        Ctx::Errnos => {
            for e in arch::all_errnos() {
                out.push(item(
                    e.name,
                    CompletionKind::Errno,
                    Some(format!("{} — {}", e.generic, e.description)),
                ));
            }
        }
        Ctx::Arches => {
            for ar in Arch::ALL {
                out.push(item(ar.name(), CompletionKind::Arch, None));
            }
        }
        Ctx::Flags => {
            for f in FLAG_NAMES {
                out.push(item(*f, CompletionKind::Flag, None));
            }
        }
        Ctx::Profiles => profiles(a, out),
        Ctx::UsePath(segs) => use_path(a, segs, out),
        Ctx::UseNames(segs) => {
            if segs.len() == 2 && segs[0] == "std" {
                for (name, kind) in stdlib_items(a, &segs[1]) {
                    out.push(item(name, kind, Some(format!("std::{}", segs[1]))));
                }
            }
        }
        Ctx::TestCase => {
            syscalls(arches, out);
            for ar in arches {
                out.push(CompletionItem {
                    label: ar.name().to_string(),
                    kind: CompletionKind::Arch,
                    detail: Some("check this case on one architecture only".into()),
                    insert: Some(format!("{}: ", ar.name())),
                });
            }
        }
    }
}

fn statement_words(settings: bool, out: &mut Vec<CompletionItem>) {
    let words = if settings {
        STATEMENT_WORDS
    } else {
        MIXIN_WORDS
    };
    for w in words {
        out.push(item(*w, CompletionKind::Keyword, None));
    }
    actions(out);
}

fn actions(out: &mut Vec<CompletionItem>) {
    for k in ActionKind::ALL {
        let detail = super::hover::action(k)
            .split(" — ")
            .nth(1)
            .map(|s| s.split(':').next().unwrap_or(s).to_string());
        out.push(item(k.keyword(), CompletionKind::Action, detail));
    }
}

fn syscalls(arches: &[Arch], out: &mut Vec<CompletionItem>) {
    let mut names: Vec<&'static str> = arches
        .iter()
        .flat_map(|a| {
            a.syscalls()
                .iter()
                .filter(|s| s.implemented)
                .map(|s| s.name)
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    for n in names {
        let nrs: Vec<String> = arches
            .iter()
            .filter_map(|a| a.syscall(n).map(|s| format!("{} {}", a.name(), s.nr)))
            .collect();
        out.push(item(n, CompletionKind::Syscall, Some(nrs.join(", "))));
    }
}

/// Groups in scope: the file's own, imported ones, and `module::group`
/// for imported modules.
fn groups(a: &Analysis, out: &mut Vec<CompletionItem>) {
    let m = a.module(a.root);
    for (name, &i) in &m.items {
        if matches!(
            m.ast.items.get(i as usize).map(|x| &x.kind),
            Some(ItemKind::Group(_))
        ) {
            out.push(item(
                name.clone(),
                CompletionKind::Group,
                Some("group".into()),
            ));
        }
    }
    for (name, b) in &m.imports {
        match b.target {
            crate::sema::BindingTarget::Item(d) if resolve::is_group(a, d) => {
                out.push(item(
                    name.clone(),
                    CompletionKind::Group,
                    Some(format!("group from {}", a.module(d.module).name)),
                ));
            }
            crate::sema::BindingTarget::Module(mid) => {
                for (n, &i) in &a.module(mid).items {
                    let d = DefId {
                        module: mid,
                        item: i,
                    };
                    if resolve::is_group(a, d) {
                        out.push(item(
                            format!("{name}::{n}"),
                            CompletionKind::Group,
                            Some(format!("group from {}", a.module(mid).name)),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
}

fn profiles(a: &Analysis, out: &mut Vec<CompletionItem>) {
    let m = a.module(a.root);
    for (name, &i) in &m.items {
        if matches!(
            m.ast.items.get(i as usize).map(|x| &x.kind),
            Some(ItemKind::Profile(_) | ItemKind::Mixin(_))
        ) {
            out.push(item(name.clone(), CompletionKind::Profile, None));
        }
    }
    for (name, b) in &m.imports {
        match b.target {
            crate::sema::BindingTarget::Item(d)
                if matches!(
                    resolve::item_kind(a, d),
                    Some(ItemKind::Profile(_) | ItemKind::Mixin(_))
                ) =>
            {
                out.push(item(name.clone(), CompletionKind::Profile, None));
            }
            crate::sema::BindingTarget::Module(mid) => {
                for (n, &i) in &a.module(mid).items {
                    let d = DefId {
                        module: mid,
                        item: i,
                    };
                    if matches!(
                        resolve::item_kind(a, d),
                        Some(ItemKind::Profile(_) | ItemKind::Mixin(_))
                    ) {
                        out.push(item(
                            format!("{name}::{n}"),
                            CompletionKind::Profile,
                            Some(a.module(mid).name.clone()),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
}

fn kind_of(k: &ItemKind) -> Option<CompletionKind> {
    Some(match k {
        ItemKind::Group(_) => CompletionKind::Group,
        ItemKind::Profile(_) | ItemKind::Mixin(_) => CompletionKind::Profile,
        ItemKind::Const(_) => CompletionKind::Constant,
        _ => return None,
    })
}

fn module_items(a: &Analysis, path: &[String], out: &mut Vec<CompletionItem>) {
    let segs: Vec<ast::Ident> = path
        .iter()
        .map(|n| ast::Ident {
            name: n.clone(),
            span: Span::default(),
        })
        .collect();
    let module: Option<ModuleId> = match resolve::lookup(a, a.root, &segs) {
        Some(Resolved::Module(m)) => Some(m),
        _ => None,
    };
    if let Some(mid) = module {
        for it in &a.module(mid).ast.items {
            if let (Some(n), Some(k)) = (it.name(), kind_of(&it.kind)) {
                out.push(item(n.name.clone(), k, Some(a.module(mid).name.clone())));
            }
        }
    } else if path.len() == 1 && path[0] == "std" {
        for n in crate::stdlib::names() {
            out.push(item(n, CompletionKind::Module, Some(format!("std::{n}"))));
        }
    } else if path.len() == 2 && path[0] == "std" {
        for (name, kind) in stdlib_items(a, &path[1]) {
            out.push(item(name, kind, Some(format!("std::{}", path[1]))));
        }
    }
}

/// Items of a stdlib module, from the analysis when it loaded the module,
/// else from its parsed source.
fn stdlib_items(a: &Analysis, name: &str) -> Vec<(String, CompletionKind)> {
    if let Some(mid) = resolve::stdlib_module(a, name) {
        return a
            .module(mid)
            .ast
            .items
            .iter()
            .filter_map(|it| Some((it.name()?.name.clone(), kind_of(&it.kind)?)))
            .collect();
    }
    let Some(src) = crate::stdlib::source(name) else {
        return Vec::new();
    };
    crate::syntax::parse(src, crate::source::FileId(u32::MAX))
        .file
        .items
        .iter()
        .filter_map(|it| Some((it.name()?.name.clone(), kind_of(&it.kind)?)))
        .collect()
}

fn use_path(a: &Analysis, segs: &[String], out: &mut Vec<CompletionItem>) {
    match segs {
        [] => {
            out.push(item(
                "std",
                CompletionKind::Module,
                Some("the standard library".into()),
            ));
            for n in crate::stdlib::names() {
                out.push(item(format!("std::{n}"), CompletionKind::Module, None));
            }
        }
        [s] if s == "std" => {
            for n in crate::stdlib::names() {
                out.push(item(n, CompletionKind::Module, Some(format!("std::{n}"))));
            }
        }
        [s, m] if s == "std" => {
            for (name, kind) in stdlib_items(a, m) {
                out.push(item(name, kind, Some(format!("std::{m}"))));
            }
        }
        _ => {}
    }
}

fn values(
    a: &Analysis,
    syscalls: &[String],
    arg: Option<&str>,
    arches: &[Arch],
    out: &mut Vec<CompletionItem>,
) {
    // Argument names of the rule's syscalls (groups expanded).
    let mut calls: Vec<String> = Vec::new();
    for s in syscalls {
        let segs: Vec<ast::Ident> = s
            .split("::")
            .map(|n| ast::Ident {
                name: n.to_string(),
                span: Span::default(),
            })
            .collect();
        let path = ast::Path {
            span: Span::default(),
            segments: segs,
        };
        match resolve::syscall_ref(a, a.root, &path, false) {
            Some(SyscallRef::Syscall(n)) => calls.push(n),
            Some(SyscallRef::Group(d)) => calls.extend(resolve::group_members(a, d, None)),
            None => {}
        }
    }
    let arg_is_known = |name: &str| {
        positional(name).is_some()
            || calls.iter().any(|c| {
                arches
                    .iter()
                    .filter_map(|ar| ar.syscall(c))
                    .any(|sc| sc.arg(name).is_some())
            })
    };
    // Constant groups that fit the argument being compared.
    let (arg_syscalls, arg_name): (Vec<String>, Option<String>) = match arg {
        Some(a2) if a2.contains("::") => {
            let (s, n) = a2.split_once("::").unwrap_or((a2, a2));
            (vec![s.to_string()], Some(n.to_string()))
        }
        Some(a2) if arg_is_known(a2) => (calls.clone(), Some(a2.to_string())),
        _ => (Vec::new(), None),
    };
    let fitting: Vec<&'static str> = match &arg_name {
        Some(n) => constant_groups(&arg_syscalls, n),
        None => Vec::new(),
    };
    if arg.is_none() {
        let mut seen: Vec<String> = Vec::new();
        for c in &calls {
            for ar in arches {
                let Some(sc) = ar.syscall(c) else { continue };
                for g in sc.logical_args() {
                    let slot = match g.slots {
                        crate::arch::Slots::One(n) => format!("arg{n}"),
                        crate::arch::Slots::Pair { lo, hi } => format!("arg{lo}+arg{hi}"),
                    };
                    for name in g.names {
                        if seen.iter().any(|s| s == name) {
                            continue;
                        }
                        seen.push(name.to_string());
                        out.push(item(
                            *name,
                            CompletionKind::Argument,
                            Some(format!("{} {slot} of {c}", g.c_type)),
                        ));
                    }
                }
            }
        }
    }
    // User constants in scope.
    let m = a.module(a.root);
    for (name, &i) in &m.items {
        if matches!(
            m.ast.items.get(i as usize).map(|x| &x.kind),
            Some(ItemKind::Const(_))
        ) {
            out.push(item(
                name.clone(),
                CompletionKind::Constant,
                Some("const".into()),
            ));
        }
    }
    for (name, b) in &m.imports {
        if let crate::sema::BindingTarget::Item(d) = b.target {
            if matches!(resolve::item_kind(a, d), Some(ItemKind::Const(_))) {
                out.push(item(
                    name.clone(),
                    CompletionKind::Constant,
                    Some("const".into()),
                ));
            }
        }
    }
    let shown = |c: &arch::ConstantInfo| arches.iter().any(|ar| c.value(*ar).is_some());
    for c in arch::all_constants() {
        if !shown(c) {
            continue;
        }
        if !fitting.is_empty() && !fitting.contains(&c.group) {
            continue;
        }
        let v = arches.iter().find_map(|ar| c.value(*ar)).unwrap_or(0);
        out.push(item(
            c.name,
            CompletionKind::Constant,
            Some(format!(
                "{} ({})",
                super::consts::describe_value(v),
                c.group.replace('_', " ")
            )),
        ));
    }
    if fitting.is_empty() {
        for e in arch::all_errnos() {
            out.push(item(
                e.name,
                CompletionKind::Errno,
                Some(format!("{} — {}", e.generic, e.description)),
            ));
        }
    }
}

/// The reference tables' constant groups that make sense for argument
/// `arg` of `syscalls`: a table of well-known pairs, then groups named
/// after the syscall (`prctl`, `fanotify`, `keyctl`, …).
pub fn constant_groups(syscalls: &[String], arg: &str) -> Vec<&'static str> {
    const TABLE: &[(&[&str], &[&str], &[&str])] = &[
        (
            &["open", "openat", "creat", "open_by_handle_at"],
            &["flags"],
            &["open_flags"],
        ),
        (
            &[
                "open", "openat", "creat", "mkdir", "mkdirat", "chmod", "fchmod", "fchmodat",
                "mknod", "mknodat",
            ],
            &["mode"],
            &["file_mode"],
        ),
        (
            &["clone", "unshare", "setns"],
            &["flags", "clone_flags", "unshare_flags", "nstype"],
            &["clone_flags"],
        ),
        (
            &["socket", "socketpair"],
            &["family", "domain"],
            &["address_family"],
        ),
        (&["socket", "socketpair"], &["type"], &["socket_type"]),
        (
            &["socket", "socketpair"],
            &["protocol"],
            &["ipproto", "netlink_protocol"],
        ),
        (&["setsockopt", "getsockopt"], &["level"], &["socket_level"]),
        (
            &["setsockopt", "getsockopt"],
            &["optname"],
            &["socket_option", "netlink_sockopt"],
        ),
        (
            &["ioctl"],
            &["cmd", "request"],
            &["ioctl_tty", "ioctl_sock", "ioctl_fs"],
        ),
        (&["ptrace"], &["request"], &["ptrace_request"]),
        (
            &["mmap", "mmap2", "mprotect", "pkey_mprotect"],
            &["prot"],
            &["prot"],
        ),
        (&["mmap", "mmap2"], &["flags"], &["map"]),
        (
            &["madvise", "process_madvise"],
            &["behavior", "advice"],
            &["madvise"],
        ),
        (&["fcntl", "fcntl64"], &["cmd"], &["fcntl"]),
        (
            &["futex", "futex_time64"],
            &["op", "futex_op"],
            &["futex_op"],
        ),
        (&["mount"], &["flags", "mountflags"], &["mount_flags"]),
        (&["umount2"], &["flags"], &["umount_flags"]),
        (
            &[
                "kill",
                "tkill",
                "tgkill",
                "rt_sigaction",
                "sigaction",
                "rt_sigqueueinfo",
                "pidfd_send_signal",
            ],
            &["sig", "signum"],
            &["signal"],
        ),
        (
            &[
                "sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "recvmmsg", "send", "recv",
            ],
            &["flags"],
            &["msg_flags"],
        ),
        (&["lseek", "_llseek"], &["whence", "origin"], &["seek"]),
        (&["fallocate"], &["mode"], &["falloc"]),
        (&["wait4", "waitid"], &["options"], &["wait"]),
        (&["sched_setscheduler"], &["policy"], &["sched_policy"]),
        (
            &["setrlimit", "getrlimit", "prlimit64", "ugetrlimit"],
            &["resource"],
            &["resource"],
        ),
        (&["renameat2"], &["flags"], &["rename_flags"]),
        (&["preadv2", "pwritev2"], &["flags"], &["rwf_flags"]),
        (
            &[
                "clock_gettime",
                "clock_settime",
                "clock_getres",
                "clock_nanosleep",
                "timer_create",
                "clock_adjtime",
            ],
            &["which_clock", "clockid", "clk_id", "which"],
            &["clock"],
        ),
        (&["shutdown"], &["how"], &["shutdown"]),
        (&["mlock2", "mlockall"], &["flags"], &["mlock"]),
        (&["epoll_ctl"], &["op"], &["epoll"]),
    ];
    let mut out: Vec<&'static str> = Vec::new();
    for s in syscalls {
        for (calls, args, groups) in TABLE {
            if calls.contains(&s.as_str()) && args.contains(&arg) {
                out.extend(groups.iter().copied());
            }
        }
        if arg.ends_with("flags") && (s.ends_with("at") || s.ends_with("at2")) && out.is_empty() {
            out.push("at_flags");
        }
    }
    if out.is_empty() {
        let known: Vec<&'static str> = {
            let mut g: Vec<&'static str> = arch::all_constants().iter().map(|c| c.group).collect();
            g.sort_unstable();
            g.dedup();
            g
        };
        for s in syscalls {
            for g in &known {
                let stem = g.split('_').next().unwrap_or(g);
                if s == g || (stem.len() >= 4 && s.starts_with(stem) && s.starts_with(*g)) {
                    out.push(g);
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}
