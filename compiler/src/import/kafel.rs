//! Kafel policies (nsjail's `seccomp_string`, `kafel_compile`) to moat.
//!
//! What is compiled is the file-scope statements (Kafel's implicit main
//! policy); `POLICY` blocks count where `USE` splices them in, at their
//! first use only, as Kafel expands them. The first matching rule in
//! textual order decides, across blocks and `USE`. `#include` is textual,
//! resolved relative to the including file. A comparison reads one 32-bit
//! word unless an 8-byte argument (a custom-named one, or one the kernel
//! declares 64-bit) or a constant above 2^32-1 takes part; then it reads
//! the whole register. `ON arch` guards are evaluated for the import's one
//! architecture.

use super::{act, load_include, Atom, Cond, Op, Options, Output, Policy, Rule, Statement};
use crate::arch::{Arch, ArgType};
use crate::diagnostics::codes::{
    IMPORT_NOT_EXPRESSIBLE, IMPORT_SYNTAX, IMPORT_UNKNOWN_NAME, IMPORT_UNKNOWN_SYSCALL,
};
use crate::diagnostics::Diagnostic;
use crate::sema::Act;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::ActionKind;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq)]
enum T {
    Ident(String),
    Num(u64),
    Punct(&'static str),
    /// A comment's text, and whether code precedes it on its line.
    Comment(String, bool),
}

#[derive(Clone, Debug)]
struct Tok {
    t: T,
    span: Span,
}

const PUNCT: &[&str] = &[
    "==", "!=", "<=", ">=", "||", "&&", "<", ">", "|", "&", "[", "]", "(", ")", "{", "}", ",", "!",
    "#",
];

/// Kafel allows 200 levels; 64 keeps the recursive descent within a
/// thread's stack in debug builds, and no policy nests that deep.
const MAX_DEPTH: usize = 64;

fn syntax(at: Span, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(IMPORT_SYNTAX, at, msg).with_label("here")
}

/// Tokens of `file`, with `#include`d files spliced in where they are named.
fn lex(
    sources: &mut SourceMap,
    file: FileId,
    stack: &mut Vec<FileId>,
    out: &mut Vec<Tok>,
    errors: &mut Vec<Diagnostic>,
) {
    let text = sources.get(file).text.clone();
    let bytes = text.as_bytes();
    let span = |a: usize, b: usize| Span::new(file, a, b);
    let at = |j: usize| bytes.get(j).copied().unwrap_or(0);
    stack.push(file);
    let mut i = 0;
    let mut last_end: Option<usize> = None;
    let same_line = |last: Option<usize>, i: usize| {
        last.is_some_and(|e| !text.get(e..i).unwrap_or("\n").contains('\n'))
    };
    while i < bytes.len() {
        if let Some(Tok { t, span }) = out.last() {
            if span.file == file && !matches!(t, T::Comment(..)) {
                last_end = Some(span.end as usize);
            }
        }
        let c = at(i);
        let rest = text.get(i..).unwrap_or("");
        if c.is_ascii_whitespace() {
            i += 1;
        } else if rest.starts_with("//") {
            let end = rest.find('\n').map_or(bytes.len(), |n| i + n);
            let body = text.get(i + 2..end).unwrap_or("").trim().to_string();
            out.push(Tok {
                t: T::Comment(body, same_line(last_end, i)),
                span: span(i, end),
            });
            i = end;
        } else if rest.starts_with("/*") {
            let Some(n) = rest.get(2..).and_then(|r| r.find("*/")) else {
                errors.push(syntax(span(i, i + 2), "unterminated comment"));
                break;
            };
            let end = i + 2 + n + 2;
            let body = text.get(i + 2..end - 2).unwrap_or("");
            let mut first = same_line(last_end, i);
            for l in body.lines() {
                let l = l.trim().trim_start_matches('*').trim();
                if !l.is_empty() {
                    out.push(Tok {
                        t: T::Comment(l.to_string(), first),
                        span: span(i, end),
                    });
                    first = false;
                }
            }
            i = end;
        } else if rest.starts_with("#include") {
            i += "#include".len();
            // File names up to the end of the line or a `;`.
            loop {
                while matches!(at(i), b' ' | b'\t') {
                    i += 1;
                }
                match at(i) {
                    b'"' => {
                        let Some(n) = text.get(i + 1..).and_then(|r| r.find(['"', '\n'])) else {
                            errors.push(syntax(span(i, bytes.len()), "unterminated file name"));
                            i = bytes.len();
                            break;
                        };
                        let end = i + 1 + n;
                        if at(end) != b'"' || n == 0 {
                            errors.push(syntax(span(i, end), "malformed file name"));
                            i = end;
                            break;
                        }
                        let path = text.get(i + 1..end).unwrap_or("").to_string();
                        let s = span(i, end + 1);
                        match load_include(sources, file, &path, s, stack) {
                            Ok(f) => lex(sources, f, stack, out, errors),
                            Err(d) => errors.push(d),
                        }
                        i = end + 1;
                    }
                    b';' | b'\n' => {
                        i += 1;
                        break;
                    }
                    0 => break,
                    _ => {
                        errors.push(syntax(span(i, i + 1), "expected a file name in quotes"));
                        let end = rest.find('\n').map_or(bytes.len(), |_| {
                            text.get(i..)
                                .and_then(|r| r.find('\n'))
                                .map_or(bytes.len(), |n| i + n)
                        });
                        i = end;
                        break;
                    }
                }
            }
        } else if c.is_ascii_digit() || (c == b'-' && (b'1'..=b'9').contains(&at(i + 1))) {
            let mut j = i + 1;
            while at(j).is_ascii_alphanumeric() {
                j += 1;
            }
            let s = text.get(i..j).unwrap_or("");
            match kafel_number(s) {
                Some(v) => out.push(Tok {
                    t: T::Num(v),
                    span: span(i, j),
                }),
                None => errors.push(syntax(
                    span(i, j),
                    format!("number `{s}` malformed or out of range"),
                )),
            }
            i = j;
        } else if c.is_ascii_alphabetic() {
            let mut j = i + 1;
            while at(j).is_ascii_alphanumeric() || at(j) == b'_' {
                j += 1;
            }
            out.push(Tok {
                t: T::Ident(text.get(i..j).unwrap_or("").to_string()),
                span: span(i, j),
            });
            i = j;
        } else if let Some(p) = PUNCT.iter().find(|p| rest.starts_with(**p)) {
            out.push(Tok {
                t: T::Punct(p),
                span: span(i, i + p.len()),
            });
            i += p.len();
        } else {
            let len = rest.chars().next().map_or(1, char::len_utf8);
            super::stray_char(errors, span(i, i + len), || {
                syntax(span(i, i + len), "invalid character")
                    .with_label("not part of Kafel's syntax")
            });
            i += len;
        }
    }
    stack.pop();
}

/// Kafel's numbers: `strtoull` of hex, decimal (a leading `-` wraps
/// around), leading-zero octal, and `0b` binary.
fn kafel_number(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x") {
        return u64::from_str_radix(h, 16).ok();
    }
    if let Some(b) = s.strip_prefix("0b") {
        return u64::from_str_radix(b, 2).ok();
    }
    if let Some(d) = s.strip_prefix('-') {
        return d.parse::<u64>().ok().map(|v| v.wrapping_neg());
    }
    if s.len() > 1 && s.starts_with('0') {
        return u64::from_str_radix(s, 8).ok();
    }
    s.parse().ok()
}

/// Where Kafel's argument tables give a width other than the kernel type
/// moat has (checked for amd64): whether Kafel reads the whole register.
fn kafel_width(arch: Arch, syscall: &str, arg: &str) -> Option<bool> {
    if arch != Arch::X86_64 {
        return None;
    }
    match (syscall, arg) {
        ("futex_wait", "val")
        | ("mseal", "flags")
        | ("pkey_alloc", "flags" | "init_val")
        | ("set_mempolicy_home_node", "home_node" | "flags") => Some(false),
        ("lsm_set_self_attr", "size") => Some(true),
        _ => None,
    }
}

/// Kafel's kernel-internal names that are UAPI names under another name.
fn uapi_name(name: &str) -> &str {
    match name {
        "newuname" => "uname",
        "newstat" => "stat",
        "newlstat" => "lstat",
        "newfstat" => "fstat",
        "umount" => "umount2",
        "sendfile64" => "sendfile",
        "old_readdir" => "readdir",
        "ni_syscall" => "",
        n => n,
    }
}

fn arch_of(name: &str) -> Option<Option<Arch>> {
    Some(match name {
        "x86_64" | "amd64" => Some(Arch::X86_64),
        "x86" | "i386" => Some(Arch::I386),
        "aarch64" | "arm64" => Some(Arch::Aarch64),
        "arm" => Some(Arch::Arm),
        "riscv64" | "rv64" => Some(Arch::Riscv64),
        // Kafel targets moat does not.
        "mips" | "mips64" | "m68k" => None,
        _ => return None,
    })
}

/// An expression before it is told apart into conditions and values.
#[derive(Clone, Debug)]
enum E {
    Num(u64, Option<String>),
    Var {
        slot: u8,
        wide: bool,
    },
    BitAnd(Vec<E>),
    BitOr(Vec<E>),
    /// A comparison, already an atom (or folded).
    Cond(Cond),
    Not(Box<E>),
    And(Vec<E>),
    Or(Vec<E>),
    /// Already reported.
    Error,
}

#[derive(Clone, Debug)]
enum Entry {
    Use(String, Vec<String>),
    Filter(Statement),
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    arch: Arch,
    errors: Vec<Diagnostic>,
    consts: HashMap<String, u64>,
    used_consts: Vec<String>,
    policies: HashMap<String, Vec<Entry>>,
    main: Vec<Entry>,
    default: Option<(Act, Span)>,
    pending: Vec<String>,
    depth: usize,
    /// The syscall whose filter is being parsed, and its custom argument
    /// names (`write(fd, buf, count)`), for names in its expression.
    scope: Option<(Option<&'static crate::arch::Syscall>, Option<Vec<String>>)>,
}

type R<T> = Result<T, Diagnostic>;

impl Parser {
    fn peek(&self) -> Option<&T> {
        self.toks.get(self.pos).map(|t| &t.t)
    }
    fn here(&self) -> Span {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map(|t| t.span)
            .unwrap_or_default()
    }
    fn prev(&self) -> Span {
        self.toks
            .get(self.pos.saturating_sub(1))
            .map(|t| t.span)
            .unwrap_or_default()
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Some(T::Punct(q)) if *q == p)
    }
    fn is_kw(&self, k: &str) -> bool {
        matches!(self.peek(), Some(T::Ident(w)) if w == k)
    }
    fn eat(&mut self, p: &str) -> bool {
        if self.is(p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, p: &str) -> R<Span> {
        if self.is(p) {
            Ok(self.next().map(|t| t.span).unwrap_or_default())
        } else {
            Err(syntax(self.here(), format!("expected `{p}`")))
        }
    }
    fn ident(&mut self, what: &str) -> R<(String, Span)> {
        match self.next() {
            Some(Tok {
                t: T::Ident(w),
                span,
            }) => Ok((w, span)),
            _ => {
                self.pos = self.pos.saturating_sub(1);
                Err(syntax(self.here(), format!("expected {what}")))
            }
        }
    }
    fn number(&mut self) -> R<(u64, Span)> {
        match self.next() {
            Some(Tok { t: T::Num(v), span }) => Ok((v, span)),
            _ => {
                self.pos = self.pos.saturating_sub(1);
                Err(syntax(self.here(), "expected a number"))
            }
        }
    }

    /// Gathers comments in front of the next token.
    fn comments(&mut self) {
        while let Some(T::Comment(c, _)) = self.peek() {
            let c = c.clone();
            self.pending.push(c);
            self.pos += 1;
        }
    }

    /// Comments on the line of the last rule in `out` become its trailing
    /// comment.
    fn trailing(&mut self, out: &mut [Entry]) {
        while let Some(T::Comment(c, true)) = self.peek() {
            let c = c.clone();
            match out.last_mut() {
                Some(Entry::Filter(st)) => {
                    st.trailing = Some(match st.trailing.take() {
                        Some(t) => format!("{t} {c}"),
                        None => c,
                    })
                }
                _ => self.pending.push(c),
            }
            self.pos += 1;
        }
    }

    fn program(&mut self) {
        loop {
            self.comments();
            if self.pos >= self.toks.len() {
                break;
            }
            let start = self.pos;
            if let Err(d) = self.program_stmt() {
                self.errors.push(d);
                self.recover(start);
            }
        }
    }

    /// Skips to the next thing that can start a file-scope statement.
    fn recover(&mut self, start: usize) {
        let mut depth = 0i32;
        if self.pos <= start {
            self.pos = start + 1;
        }
        while let Some(t) = self.peek() {
            match t {
                T::Punct("{") => depth += 1,
                T::Punct("}") => {
                    depth -= 1;
                    if depth <= 0 {
                        self.pos += 1;
                        if depth < 0 {
                            continue;
                        }
                        return;
                    }
                }
                T::Punct("#") if depth <= 0 => return,
                T::Ident(w) if depth <= 0 && (w == "POLICY" || w == "DEFAULT") => return,
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn program_stmt(&mut self) -> R<()> {
        let definition = self.is("#") || self.is_kw("POLICY") || self.is_kw("DEFAULT");
        if definition && !self.pending.is_empty() {
            // Comments above definitions stay where they are in the file.
            self.main.push(Entry::Filter(Statement {
                leading: std::mem::take(&mut self.pending),
                trailing: None,
                rules: Vec::new(),
            }));
        }
        if self.is("#") {
            let at = self.next().map(|t| t.span).unwrap_or_default();
            if !self.is_kw("define") {
                return Err(syntax(at, "expected `#define` or `#include`"));
            }
            self.pos += 1;
            let (name, nspan) = self.ident("a constant name")?;
            let (v, _) = self.number()?;
            match self.consts.get(&name) {
                Some(old) if *old != v => {
                    return Err(syntax(nspan, format!("redefinition of constant `{name}` with a different value (was {old}, is {v})")))
                }
                _ => {
                    self.consts.insert(name, v);
                }
            }
            return Ok(());
        }
        if self.is_kw("POLICY") {
            self.pos += 1;
            let (name, nspan) = self.ident("a policy name")?;
            self.expect("{")?;
            let body = if self.eat("}") {
                Vec::new()
            } else {
                let b = self.policy_statements()?;
                self.comments();
                self.expect("}")?;
                b
            };
            if self.policies.contains_key(&name) {
                return Err(syntax(nspan, format!("redefinition of policy `{name}`")));
            }
            self.policies.insert(name, body);
            return Ok(());
        }
        if self.is_kw("DEFAULT") {
            let at = self.next().map(|t| t.span).unwrap_or_default();
            let a = self.action()?;
            if let Some((_, prev)) = self.default {
                return Err(syntax(at, "redefinition of the default action")
                    .with_secondary(prev, "first defined here"));
            }
            self.default = Some((a, at));
            return Ok(());
        }
        let b = self.policy_statements()?;
        self.main.extend(b);
        Ok(())
    }

    fn policy_statements(&mut self) -> R<Vec<Entry>> {
        let mut out = Vec::new();
        loop {
            self.comments();
            if self.is_kw("USE") {
                self.pos += 1;
                let (name, span) = self.ident("a policy name")?;
                if !self.policies.contains_key(&name) {
                    let d = Diagnostic::new(
                        IMPORT_UNKNOWN_NAME,
                        span,
                        format!("undefined policy `{name}`"),
                    )
                    .with_label("no policy of this name precedes it")
                    .with_help("Kafel needs a policy defined before its USE");
                    let d = d.with_help_opt(
                        crate::diagnostics::suggest(
                            &name,
                            self.policies.keys().map(String::as_str),
                        )
                        .map(|s| format!("did you mean `{s}`?")),
                    );
                    self.errors.push(d);
                }
                out.push(Entry::Use(name, std::mem::take(&mut self.pending)));
                self.trailing(&mut out);
            } else {
                let a = self.action()?;
                self.expect("{")?;
                self.comments();
                if !self.eat("}") {
                    loop {
                        self.comments();
                        let st = self.syscall_filter(a)?;
                        out.push(Entry::Filter(st));
                        self.trailing(&mut out);
                        if self.eat(",") {
                            self.trailing(&mut out);
                            continue;
                        }
                        self.comments();
                        self.expect("}")?;
                        self.trailing(&mut out);
                        break;
                    }
                }
            }
            self.trailing(&mut out);
            self.comments();
            if self.eat(",") {
                self.trailing(&mut out);
                continue;
            }
            return Ok(out);
        }
    }

    fn action(&mut self) -> R<Act> {
        let (w, span) = self.ident("an action")?;
        let plain = |kind| Act { kind, data: 0 };
        Ok(match w.as_str() {
            "ALLOW" => Act::ALLOW,
            "LOG" => plain(ActionKind::Log),
            "KILL" | "KILL_THREAD" | "DENY" => plain(ActionKind::KillThread),
            "KILL_PROCESS" => Act::KILL,
            "USER_NOTIF" => plain(ActionKind::Notify),
            "ERRNO" | "TRAP" | "TRACE" => {
                self.expect("(")?;
                let (n, nspan) = self.number()?;
                self.expect(")")?;
                if n > 0xffff {
                    return Err(syntax(nspan, format!("value {n} out of range (0-65535)")));
                }
                let kind = match w.as_str() {
                    "ERRNO" => ActionKind::Errno,
                    "TRAP" => ActionKind::Trap,
                    _ => ActionKind::Trace,
                };
                act(kind, n, nspan)?
            }
            _ => {
                return Err(syntax(span, format!("expected an action, found `{w}`")).with_help(
                    "Kafel's actions: ALLOW, LOG, KILL, KILL_THREAD, KILL_PROCESS, DENY, USER_NOTIF, ERRNO(n), TRAP(n), TRACE(n)",
                ))
            }
        })
    }

    fn syscall_filter(&mut self, a: Act) -> R<Statement> {
        let leading = std::mem::take(&mut self.pending);
        let start = self.here();
        // The syscall: a name, a #define'd number, or SYSCALL[n].
        let (syscall, sspan) = if self.is_kw("SYSCALL") {
            self.pos += 1;
            self.expect("[")?;
            let (n, _) = self.number()?;
            self.expect("]")?;
            (
                self.by_number(n, start.to(self.prev())),
                start.to(self.prev()),
            )
        } else {
            let (name, span) = self.ident("a syscall")?;
            if let Some(&n) = self.consts.get(&name) {
                (self.by_number(n, span), span)
            } else {
                let sc = self
                    .arch
                    .syscall(uapi_name(&name))
                    .ok_or_else(|| super::unknown_syscall(self.arch, &name, span));
                (sc, span)
            }
        };
        let (syscall, unknown) = match syscall {
            Ok(sc) => (Some(sc), None),
            Err(d) => (None, Some(d)),
        };
        let mut custom = None;
        if self.eat("(") {
            let mut names: Vec<String> = Vec::new();
            if !self.eat(")") {
                loop {
                    let (n, nspan) = self.ident("an argument name")?;
                    if names.contains(&n) {
                        return Err(syntax(nspan, format!("redefinition of argument `{n}`")));
                    }
                    if names.len() == 6 {
                        return Err(syntax(nspan, "too many arguments defined for syscall"));
                    }
                    names.push(n);
                    if self.eat(",") {
                        continue;
                    }
                    self.expect(")")?;
                    break;
                }
            }
            custom = Some(names);
        }
        let mut here = true;
        if self.is_kw("ON") {
            self.pos += 1;
            let mut arches = Vec::new();
            if self.eat("{") {
                loop {
                    arches.push(self.ident("an architecture")?);
                    if self.eat(",") {
                        continue;
                    }
                    self.expect("}")?;
                    break;
                }
            } else {
                arches.push(self.ident("an architecture")?);
            }
            here = false;
            for (name, span) in arches {
                match arch_of(&name) {
                    Some(a) => here |= a == Some(self.arch),
                    None => self.errors.push(
                        Diagnostic::new(IMPORT_UNKNOWN_NAME, span, format!("unknown architecture `{name}`"))
                            .with_label("not an architecture Kafel knows")
                            .with_help("Kafel's names: x86_64 (amd64), x86 (i386), aarch64 (arm64), arm, riscv64 (rv64), mips, mips64, m68k"),
                    ),
                }
            }
        }
        let mut cond = Cond::True;
        if self.eat("{") && !self.eat("}") {
            self.depth = 0;
            self.scope = Some((syscall, custom));
            let e = self.p_comma();
            self.scope = None;
            let e = e?;
            self.expect("}")?;
            cond = self.condition(e, start.to(self.prev()));
        }
        let span = start.to(self.prev());
        if here {
            // Kafel looks a name up only for the architectures it is for.
            self.errors.extend(unknown);
        }
        let rules = match syscall {
            Some(sc) if here => vec![Rule {
                syscall: sc.name,
                cond,
                act: a,
                span,
            }],
            _ => Vec::new(),
        };
        let _ = sspan;
        Ok(Statement {
            leading,
            trailing: None,
            rules,
        })
    }

    fn by_number(&self, n: u64, at: Span) -> Result<&'static crate::arch::Syscall, Diagnostic> {
        u32::try_from(n)
            .ok()
            .and_then(|n| self.arch.syscall_by_nr(n))
            .ok_or_else(|| {
                Diagnostic::new(
                    IMPORT_UNKNOWN_SYSCALL,
                    at,
                    format!("no syscall numbered {n} on {}", self.arch),
                )
                .with_label("moat names every syscall it filters")
            })
    }

    // ---- expressions: one grammar for conditions and values, told apart after.

    fn deeper(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(syntax(self.here(), "expression nested too deeply")
                .with_help("moat reads 64 levels of Kafel expressions"));
        }
        Ok(())
    }

    fn p_comma(&mut self) -> R<E> {
        self.deeper()?;
        let mut v = vec![self.p_or()?];
        while self.eat(",") {
            v.push(self.p_or()?);
        }
        self.depth -= 1;
        Ok(one_or(v, E::Or))
    }
    fn p_or(&mut self) -> R<E> {
        let mut v = vec![self.p_and()?];
        while self.eat("||") {
            v.push(self.p_and()?);
        }
        Ok(one_or(v, E::Or))
    }
    fn p_and(&mut self) -> R<E> {
        let mut v = vec![self.p_not()?];
        while self.eat("&&") {
            v.push(self.p_not()?);
        }
        Ok(one_or(v, E::And))
    }
    fn p_not(&mut self) -> R<E> {
        if self.eat("!") {
            self.deeper()?;
            let e = self.p_not()?;
            self.depth -= 1;
            return Ok(E::Not(Box::new(e)));
        }
        let start = self.here();
        let l = self.p_bor()?;
        let op = match self.peek() {
            Some(T::Punct("==")) => Op::Eq,
            Some(T::Punct("!=")) => Op::Ne,
            Some(T::Punct("<")) => Op::Lt,
            Some(T::Punct("<=")) => Op::Le,
            Some(T::Punct(">")) => Op::Gt,
            Some(T::Punct(">=")) => Op::Ge,
            _ => return Ok(l),
        };
        self.pos += 1;
        let r = self.p_bor()?;
        let span = start.to(self.prev());
        Ok(self.cmp(op, l, r, span))
    }
    fn p_bor(&mut self) -> R<E> {
        let mut v = vec![self.p_band()?];
        while self.eat("|") {
            v.push(self.p_band()?);
        }
        Ok(one_or(v, E::BitOr))
    }
    fn p_band(&mut self) -> R<E> {
        let mut v = vec![self.p_prim()?];
        while self.eat("&") {
            v.push(self.p_prim()?);
        }
        Ok(one_or(v, E::BitAnd))
    }
    fn p_prim(&mut self) -> R<E> {
        match self.next() {
            Some(Tok { t: T::Num(v), .. }) => Ok(E::Num(v, None)),
            Some(Tok {
                t: T::Ident(w),
                span,
            }) => Ok(self.name(&w, span)),
            Some(Tok {
                t: T::Punct("("), ..
            }) => {
                let e = self.p_comma()?;
                self.expect(")")?;
                Ok(e)
            }
            _ => {
                self.pos = self.pos.saturating_sub(1);
                Err(syntax(self.here(), "expected a number, a name or `(`"))
            }
        }
    }

    /// The scope of names is the filter being parsed: set by
    /// `syscall_filter` through `self.scope_*`.
    fn name(&mut self, w: &str, span: Span) -> E {
        if let Some(&v) = self.consts.get(w) {
            return E::Num(v, Some(w.to_string()));
        }
        let Some((syscall, custom)) = self.scope.clone() else {
            return E::Error;
        };
        if let Some(custom) = &custom {
            return match custom.iter().position(|c| c == w) {
                Some(i) => E::Var {
                    slot: i as u8,
                    wide: true,
                },
                None => {
                    self.errors.push(
                        Diagnostic::new(
                            IMPORT_UNKNOWN_NAME,
                            span,
                            format!("undefined identifier `{w}`"),
                        )
                        .with_help(format!(
                            "the syscall's arguments are named ({})",
                            custom.join(", ")
                        )),
                    );
                    E::Error
                }
            };
        }
        let Some(sc) = syscall else {
            return E::Error;
        };
        // Kafel calls prctl's and keyctl's later parameters by their kernel
        // names `arg2`…`arg5`, which moat keeps for slots.
        let arg = sc
            .arg(w)
            .or_else(|| sc.args.iter().find(|a| a.reserved_names.contains(&w)));
        match arg {
            Some(arg) => {
                let crate::arch::Slots::One(slot) = arg.slots else {
                    self.errors.push(
                        Diagnostic::new(
                            IMPORT_NOT_EXPRESSIBLE,
                            span,
                            format!("`{w}` spans two register slots on {}", self.arch),
                        )
                        .with_help("name its halves"),
                    );
                    return E::Error;
                };
                let wide = match arg.ty {
                    ArgType::Int { bits, .. } => bits >= 64,
                    ArgType::Pointer => self.arch.is_64bit_regs(),
                };
                let wide = kafel_width(self.arch, sc.name, w).unwrap_or(wide);
                E::Var { slot, wide }
            }
            None => {
                let names: Vec<&str> = sc
                    .args
                    .iter()
                    .flat_map(|a| a.names.iter().copied())
                    .collect();
                self.errors.push(
                    Diagnostic::new(
                        IMPORT_UNKNOWN_NAME,
                        span,
                        format!("undefined identifier `{w}`"),
                    )
                    .with_label(format!(
                        "neither a #define nor an argument of `{}`",
                        sc.name
                    ))
                    .with_help_opt(
                        crate::diagnostics::suggest(w, names.iter().copied())
                            .map(|s| format!("did you mean `{s}`?")),
                    ),
                );
                E::Error
            }
        }
    }

    fn condition(&mut self, e: E, at: Span) -> Cond {
        match e {
            E::Cond(c) => c,
            E::Not(e) => Cond::Not(Box::new(self.condition(*e, at))),
            E::And(v) => Cond::And(v.into_iter().map(|e| self.condition(e, at)).collect()),
            E::Or(v) => Cond::Or(v.into_iter().map(|e| self.condition(e, at)).collect()),
            E::Error => Cond::False,
            E::Num(..) | E::Var { .. } | E::BitAnd(..) | E::BitOr(..) => {
                self.errors
                    .push(syntax(at, "expected a comparison").with_help(
                        "a Kafel condition compares: `flags & 1 == 1`, not `flags & 1`",
                    ));
                Cond::False
            }
        }
    }

    fn cmp(&mut self, op: Op, l: E, r: E, span: Span) -> E {
        fn wide(e: &E) -> bool {
            match e {
                E::Num(v, _) => *v > u64::from(u32::MAX),
                E::Var { wide, .. } => *wide,
                E::BitAnd(v) | E::BitOr(v) => v.iter().any(wide),
                _ => false,
            }
        }
        let is64 = wide(&l) || wide(&r);
        let (l, r) = match (self.lin(l, span), self.lin(r, span)) {
            (Some(l), Some(r)) => (l, r),
            _ => return E::Error,
        };
        let flip = |op| match op {
            Op::Lt => Op::Gt,
            Op::Le => Op::Ge,
            Op::Gt => Op::Lt,
            Op::Ge => Op::Le,
            o => o,
        };
        let (m, c, op) = match (l, r) {
            (Lin::Const(a, _), Lin::Const(b, _)) => {
                let word = if is64 { u64::MAX } else { 0xffff_ffff };
                let (a, b) = (a & word, b & word);
                let t = match op {
                    Op::Eq => a == b,
                    Op::Ne => a != b,
                    Op::Lt => a < b,
                    Op::Le => a <= b,
                    Op::Gt => a > b,
                    Op::Ge => a >= b,
                };
                return E::Cond(if t { Cond::True } else { Cond::False });
            }
            (m @ Lin::Masked { .. }, c @ Lin::Const(..)) => (m, c, op),
            (c @ Lin::Const(..), m @ Lin::Masked { .. }) => (m, c, flip(op)),
            _ => {
                self.errors.push(
                    Diagnostic::new(IMPORT_NOT_EXPRESSIBLE, span, "comparison between two arguments")
                        .with_label("moat compares an argument with constants only")
                        .with_help("a seccomp filter that compares two registers says little a caller cannot arrange"),
                );
                return E::Error;
            }
        };
        let (
            Lin::Masked {
                slot,
                mask,
                mask_text,
            },
            Lin::Const(value, value_text),
        ) = (m, c)
        else {
            return E::Error;
        };
        let named = |t: Option<String>, this: &mut Self| -> Option<String> {
            let t = t?;
            let shadowed = this
                .scope
                .as_ref()
                .and_then(|(sc, _)| *sc)
                .is_some_and(|sc| sc.arg(&t).is_some());
            if shadowed {
                return None;
            }
            this.used_consts.push(t.clone());
            Some(t)
        };
        let value_text = named(value_text, self);
        let mask_text = named(mask_text, self);
        E::Cond(Cond::Atom(Atom {
            slot,
            mask,
            op,
            value,
            wide: is64,
            value_text,
            mask_text,
            span,
        }))
    }

    /// A value side: a constant, or an argument under `&` masks.
    fn lin(&mut self, e: E, span: Span) -> Option<Lin> {
        Some(match e {
            E::Num(v, t) => Lin::Const(v, t),
            E::Var { slot, .. } => Lin::Masked {
                slot,
                mask: u64::MAX,
                mask_text: None,
            },
            E::BitAnd(v) => {
                let mut acc: Option<Lin> = None;
                for e in v {
                    let next = self.lin(e, span)?;
                    acc = Some(match acc {
                        None => next,
                        Some(prev) => self.bit_and(prev, next, span)?,
                    });
                }
                acc?
            }
            E::BitOr(v) => {
                let mut acc = Some(0u64);
                for e in v {
                    match self.lin(e, span)? {
                        Lin::Const(c, _) => acc = acc.map(|a| a | c),
                        Lin::Masked { .. } => acc = None,
                    }
                }
                match acc {
                    Some(c) => Lin::Const(c, None),
                    None => {
                        self.errors.push(
                            Diagnostic::new(
                                IMPORT_NOT_EXPRESSIBLE,
                                span,
                                "`|` applied to an argument",
                            )
                            .with_label("moat combines an argument with `&` only")
                            .with_help("compare the argument under a mask instead: `x & M == V`"),
                        );
                        return None;
                    }
                }
            }
            E::Error => return None,
            E::Cond(_) | E::Not(_) | E::And(..) | E::Or(..) => {
                self.errors
                    .push(syntax(span, "a condition where a value was expected"));
                return None;
            }
        })
    }

    fn bit_and(&mut self, a: Lin, b: Lin, span: Span) -> Option<Lin> {
        Some(match (a, b) {
            (Lin::Const(a, _), Lin::Const(b, _)) => Lin::Const(a & b, None),
            (
                Lin::Masked {
                    slot,
                    mask,
                    mask_text,
                },
                Lin::Const(c, t),
            )
            | (
                Lin::Const(c, t),
                Lin::Masked {
                    slot,
                    mask,
                    mask_text,
                },
            ) => Lin::Masked {
                slot,
                mask: mask & c,
                mask_text: if mask == u64::MAX {
                    t
                } else {
                    mask_text.filter(|_| c & mask == mask)
                },
            },
            _ => {
                self.errors.push(
                    Diagnostic::new(IMPORT_NOT_EXPRESSIBLE, span, "`&` between two arguments")
                        .with_label("moat masks an argument with constants only"),
                );
                return None;
            }
        })
    }

    fn expand(
        &self,
        entries: &[Entry],
        used: &mut std::collections::HashSet<String>,
        out: &mut Vec<Statement>,
    ) {
        for e in entries {
            match e {
                Entry::Filter(st) => out.push(st.clone()),
                Entry::Use(name, leading) => {
                    let mut leading = leading.clone();
                    if !used.insert(name.clone()) {
                        leading.push(format!(
                            "USE {name}: already expanded above (Kafel expands a policy once)"
                        ));
                        out.push(Statement {
                            leading,
                            trailing: None,
                            rules: Vec::new(),
                        });
                        continue;
                    }
                    leading.push(format!("USE {name}"));
                    out.push(Statement {
                        leading,
                        trailing: None,
                        rules: Vec::new(),
                    });
                    if let Some(body) = self.policies.get(name) {
                        self.expand(body, used, out);
                    }
                }
            }
        }
    }
}

/// One expression from the operands of one operator.
fn one_or(mut v: Vec<E>, make: fn(Vec<E>) -> E) -> E {
    if v.len() == 1 {
        v.pop().unwrap_or(E::Error)
    } else {
        make(v)
    }
}

/// One side of a comparison.
enum Lin {
    Const(u64, Option<String>),
    Masked {
        slot: u8,
        mask: u64,
        mask_text: Option<String>,
    },
}

/// Parses the Kafel policy in `file` (with what it includes) for `arch`.
pub fn parse(sources: &mut SourceMap, file: FileId, arch: Arch) -> Result<Policy, Vec<Diagnostic>> {
    super::strict(parse_tolerant(sources, file, arch))
}

/// The policy with the rules that could be read, and the errors.
fn parse_tolerant(sources: &mut SourceMap, file: FileId, arch: Arch) -> (Policy, Vec<Diagnostic>) {
    let file_name = sources.get(file).name.clone();
    let mut errors = Vec::new();
    let mut toks = Vec::new();
    lex(sources, file, &mut Vec::new(), &mut toks, &mut errors);
    let mut p = Parser {
        toks,
        pos: 0,
        arch,
        errors,
        consts: HashMap::new(),
        used_consts: Vec::new(),
        policies: HashMap::new(),
        main: Vec::new(),
        default: None,
        pending: Vec::new(),
        depth: 0,
        scope: None,
    };
    p.program();
    let errors = std::mem::take(&mut p.errors);
    let mut used = std::collections::HashSet::new();
    let mut statements = Vec::new();
    p.expand(&p.main, &mut used, &mut statements);
    let mut warnings = Vec::new();
    let mut unused: Vec<&String> = p.policies.keys().filter(|k| !used.contains(*k)).collect();
    unused.sort();
    for u in unused {
        warnings.push(format!("policy `{u}` is never used; left out"));
    }
    let mut consts: Vec<(String, u64)> = Vec::new();
    for n in &p.used_consts {
        let Some(&v) = p.consts.get(n) else { continue };
        if arch.constant(n) == Some(v) || consts.iter().any(|(c, _)| c == n) {
            continue;
        }
        consts.push((n.clone(), v));
    }
    let kill_thread = Act {
        kind: ActionKind::KillThread,
        data: 0,
    };
    (Policy {
        format: "Kafel",
        file_name,
        arch,
        default: p.default.map_or(kill_thread, |(a, _)| a),
        bad_arch: kill_thread,
        statements,
        tail_comments: p.pending,
        notes: vec![
            "Kafel's first matching rule decides; a rule that follows a weaker one for the same".into(),
            "syscall excludes the calls the earlier one decides (`&& !(…)`).".into(),
            "KILL and DENY are kill_thread, as in Kafel, which also kills calls from other architectures.".into(),
        ],
        consts,
        warnings,
    }, errors)
}

/// Kafel policy text (already in `sources`) to moat.
pub fn import(
    sources: &mut SourceMap,
    file: FileId,
    opts: &Options,
) -> Result<Output, Vec<Diagnostic>> {
    let (p, errors) = parse_tolerant(sources, file, opts.arch);
    super::finish(&p, errors, &opts.name)
}
