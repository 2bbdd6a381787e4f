//! minijail seccomp policies (`foo.policy`) to moat.
//!
//! Both dialects are read: the C runtime's (libminijail, `minijail0 -S`)
//! and the Python compiler's superset (`compile_seccomp_policy.py`:
//! `{a, b}: …`, `name[arch=…]`, actions such as `kill-process`, ordered
//! filter lists `{ expr; action, action }`, `@default`, `@denylist`).
//! They disagree on one form: `expr; return N` allows when `expr` holds and
//! returns N otherwise in the runtime, but returns N when `expr` holds (and
//! falls through otherwise) in the compiler. [`Dialect`] picks; by default
//! a file that uses any compiler-only syntax is the compiler's, any other
//! the runtime's. Otherwise the compiler's rules are followed: later lines
//! for a syscall append to its filter list (the runtime rejects them), the
//! first filter that matches decides, a filter after an unconditional one
//! is an error, and `@include` paths are relative to the including file. A
//! policy is for one architecture; constants and syscall numbers are
//! moat's for that architecture.

use super::{act, load_include, Atom, Cond, Op, Options, Output, Policy, Rule, Statement};
use crate::arch::Arch;
use crate::diagnostics::codes::{IMPORT_SYNTAX, IMPORT_UNKNOWN_NAME};
use crate::diagnostics::Diagnostic;
use crate::sema::Act;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::ActionKind;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq)]
enum T {
    Word(String),
    Num(String),
    Path(String),
    Directive(String),
    Punct(&'static str),
}

#[derive(Clone, Debug)]
struct Tok {
    t: T,
    span: Span,
}

/// One logical line (continuations joined).
#[derive(Default)]
struct Line {
    toks: Vec<Tok>,
    comments: Vec<String>,
}

const PUNCT: &[&str] = &[
    "||", "&&", "==", "!=", "<=", ">=", ":", ";", ",", "~", "(", ")", "{", "}", "[", "]", "|", "&",
    "<", ">", "=",
];

fn lex(text: &str, file: FileId, errors: &mut Vec<Diagnostic>) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut cur = Line::default();
    let bytes = text.as_bytes();
    let mut i = 0;
    let span = |a: usize, b: usize| Span::new(file, a, b);
    while i < bytes.len() {
        let c = bytes.get(i).copied().unwrap_or(b'\n');
        let rest = text.get(i..).unwrap_or("");
        let word_end = |from: usize, ok: &dyn Fn(u8) -> bool| {
            let mut j = from;
            while j < bytes.len() && bytes.get(j).copied().is_some_and(ok) {
                j += 1;
            }
            j
        };
        if c == b'\n' {
            lines.push(std::mem::take(&mut cur));
            i += 1;
        } else if c == b'\\' && (rest.starts_with("\\\n") || rest.starts_with("\\\r\n")) {
            i += if rest.starts_with("\\\n") { 2 } else { 3 };
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'#' {
            let end = rest.find('\n').map_or(bytes.len(), |n| i + n);
            let body = text.get(i + 1..end).unwrap_or("").trim().to_string();
            cur.comments.push(body);
            i = end;
        } else if c == b'@' {
            let end = word_end(i + 1, &|b| b.is_ascii_alphanumeric() || b == b'_');
            let name = text.get(i..end).unwrap_or("").to_string();
            cur.toks.push(Tok {
                t: T::Directive(name),
                span: span(i, end),
            });
            i = end.max(i + 1);
        } else if c == b'/' || rest.starts_with("./") {
            let end = word_end(i, &|b| !b.is_ascii_whitespace());
            cur.toks.push(Tok {
                t: T::Path(text.get(i..end).unwrap_or("").to_string()),
                span: span(i, end),
            });
            i = end;
        } else if c.is_ascii_digit()
            || (c == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let end = word_end(i + 1, &|b| b.is_ascii_alphanumeric());
            cur.toks.push(Tok {
                t: T::Num(text.get(i..end).unwrap_or("").to_string()),
                span: span(i, end),
            });
            i = end;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let end = word_end(i, &|b| {
                b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'@'
            });
            cur.toks.push(Tok {
                t: T::Word(text.get(i..end).unwrap_or("").to_string()),
                span: span(i, end),
            });
            i = end;
        } else if let Some(p) = PUNCT.iter().find(|p| rest.starts_with(**p)) {
            cur.toks.push(Tok {
                t: T::Punct(p),
                span: span(i, i + p.len()),
            });
            i += p.len();
        } else {
            let len = rest.chars().next().map_or(1, char::len_utf8);
            super::stray_char(errors, span(i, i + len), || {
                Diagnostic::new(IMPORT_SYNTAX, span(i, i + len), "invalid token")
                    .with_label("not part of minijail's policy syntax")
            });
            i += len;
        }
    }
    lines.push(cur);
    lines
}

/// Which of minijail's two compilers' meaning to give a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// libminijail's runtime parser (`minijail0 -S`).
    Runtime,
    /// `tools/compile_seccomp_policy.py`.
    Compiler,
}

/// The dialect a policy text is written in: the compiler's when it uses
/// syntax only the compiler knows.
pub fn detect_dialect(text: &str) -> Dialect {
    let mut errors = Vec::new();
    let compiler_only = lex(text, FileId(0), &mut errors).iter().any(|l| {
        l.toks.iter().enumerate().any(|(i, t)| match &t.t {
            T::Directive(d) => d == "@default" || d == "@denylist",
            T::Punct(p) => matches!(*p, "{" | "[" | ","),
            T::Word(w) if w.contains('@') => true,
            // An action word (not a syscall called `kill`) after `:` or `;`.
            T::Word(w) => {
                i > 0
                    && matches!(
                        w.as_str(),
                        "allow"
                            | "kill"
                            | "kill-process"
                            | "kill-thread"
                            | "trap"
                            | "trace"
                            | "log"
                            | "user-notify"
                    )
                    && l.toks
                        .get(i - 1)
                        .is_some_and(|p| matches!(p.t, T::Punct(":" | ";")))
            }
            _ => false,
        })
    });
    if compiler_only {
        Dialect::Compiler
    } else {
        Dialect::Runtime
    }
}

fn kill_action() -> Act {
    Act {
        kind: ActionKind::KillThread,
        data: 0,
    }
}

struct Parser<'a> {
    arch: Arch,
    sources: &'a mut SourceMap,
    errors: Vec<Diagnostic>,
    statements: Vec<Statement>,
    pending: Vec<String>,
    default: Option<Act>,
    denylist: bool,
    dialect: Dialect,
    /// The statement being read names a syscall for another architecture.
    excluded: bool,
    /// Parentheses open in the constant being read.
    depth: usize,
    warnings: Vec<String>,
    /// Per syscall, where its unconditional filter is (later filters for it
    /// are an error, as in minijail's compiler).
    unconditional: HashMap<&'static str, Span>,
}

/// A cursor over one line's tokens.
struct Cur<'t> {
    toks: &'t [Tok],
    pos: usize,
    /// Where the line ends, for "missing …" errors.
    end: Span,
}

impl Cur<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok { t: T::Punct(q), .. }) if *q == p)
    }
    fn here(&self) -> Span {
        self.peek().map_or(self.end, |t| t.span)
    }
    fn expect(&mut self, p: &str, what: &str) -> Result<Span, Diagnostic> {
        if self.is(p) {
            Ok(self.next().map_or(self.end, |t| t.span))
        } else {
            Err(syntax(self.here(), format!("expected {what}")))
        }
    }
}

fn syntax(at: Span, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(IMPORT_SYNTAX, at, msg).with_label("here")
}

/// minijail's (and `constants.json`'s) architecture names.
fn arch_of(name: &str) -> Option<Arch> {
    Some(match name {
        "x86_64" | "amd64" => Arch::X86_64,
        "x86" | "i386" => Arch::I386,
        "arm64" | "aarch64" => Arch::Aarch64,
        "arm" => Arch::Arm,
        "riscv64" => Arch::Riscv64,
        "ppc64le" => Arch::Ppc64le,
        "s390x" => Arch::S390x,
        _ => return None,
    })
}

/// A parsed constant with its spelling when it is made of names only.
struct Value {
    v: u64,
    text: Option<String>,
}

impl Parser<'_> {
    fn regbits(&self) -> u32 {
        if self.arch.is_64bit_regs() {
            64
        } else {
            32
        }
    }

    fn word_mask(&self) -> u64 {
        if self.regbits() == 64 {
            u64::MAX
        } else {
            0xffff_ffff
        }
    }

    fn file(&mut self, file: FileId, stack: &mut Vec<FileId>) {
        let text = self.sources.get(file).text.clone();
        let lines = lex(&text, file, &mut self.errors);
        stack.push(file);
        for line in lines {
            if line.toks.is_empty() {
                self.pending.extend(line.comments);
                continue;
            }
            let first = line.toks.first().map(|t| t.span).unwrap_or_default();
            let last = line.toks.last().map(|t| t.span).unwrap_or_default();
            let mut cur = Cur {
                toks: &line.toks,
                pos: 0,
                end: Span::new(file, last.end as usize, last.end as usize),
            };
            self.depth = 0;
            let trailing = if line.comments.is_empty() {
                None
            } else {
                Some(line.comments.join(" "))
            };
            let r = match line.toks.first().map(|t| &t.t) {
                Some(T::Directive(d)) => {
                    let d = d.clone();
                    cur.next();
                    self.directive(&d, first, &mut cur, file, stack, trailing)
                }
                _ => self.statement(&mut cur, trailing),
            };
            let r = r.and_then(|()| match cur.peek() {
                Some(t) => {
                    Err(syntax(t.span, "extra tokens").with_label("the statement ends before this"))
                }
                None => Ok(()),
            });
            if let Err(d) = r {
                self.errors.push(d);
            }
        }
        stack.pop();
    }

    fn directive(
        &mut self,
        d: &str,
        at: Span,
        cur: &mut Cur,
        file: FileId,
        stack: &mut Vec<FileId>,
        trailing: Option<String>,
    ) -> Result<(), Diagnostic> {
        match d {
            "@include" | "@frequency" => {
                let Some(Tok {
                    t: T::Path(path),
                    span,
                }) = cur.next()
                else {
                    return Err(syntax(cur.end, format!("`{d}` takes a path"))
                        .with_help("write `./file` (relative to this file) or an absolute path"));
                };
                let mut leading = std::mem::take(&mut self.pending);
                if d == "@frequency" {
                    leading.push(format!("@frequency {path}: ignored; moat lays out the filter by its own cost model"));
                    self.warnings.push(format!("`@frequency {path}` ignored"));
                    self.statements.push(Statement {
                        leading,
                        trailing,
                        rules: Vec::new(),
                    });
                    return Ok(());
                }
                leading.push(format!("@include {path}"));
                self.statements.push(Statement {
                    leading,
                    trailing,
                    rules: Vec::new(),
                });
                let inc = load_include(self.sources, file, &path, span, stack)?;
                self.file(inc, stack);
                Ok(())
            }
            "@default" => {
                let Some(Tok {
                    t: T::Word(w),
                    span,
                }) = cur.next()
                else {
                    return Err(syntax(cur.end, "`@default` takes an action"));
                };
                let a = match w.as_str() {
                    "kill-process" => Act::KILL,
                    "kill-thread" | "kill" => kill_action(),
                    "trap" => Act {
                        kind: ActionKind::Trap,
                        data: 0,
                    },
                    "user-notify" => Act {
                        kind: ActionKind::Notify,
                        data: 0,
                    },
                    "allow" | "log" | "trace" | "return" => {
                        return Err(syntax(span, "invalid permissive default action")
                            .with_help("minijail accepts kill-process, kill-thread, kill, trap or user-notify here"))
                    }
                    _ => return Err(syntax(span, format!("invalid default action `{w}`"))),
                };
                self.default = Some(a);
                self.pending.extend(trailing);
                Ok(())
            }
            "@denylist" => {
                self.denylist = true;
                self.pending.extend(trailing);
                Ok(())
            }
            _ => Err(syntax(at, format!("unknown directive `{d}`"))
                .with_help("minijail has @include, @frequency, @default and @denylist")),
        }
    }

    fn statement(&mut self, cur: &mut Cur, trailing: Option<String>) -> Result<(), Diagnostic> {
        let mut syscalls: Vec<(&'static str, Span)> = Vec::new();
        if cur.is("{") {
            cur.next();
            loop {
                self.descriptor(cur, &mut syscalls)?;
                if cur.is(",") {
                    cur.next();
                    continue;
                }
                cur.expect("}", "`,` or `}` after a syscall")?;
                break;
            }
        } else {
            self.descriptor(cur, &mut syscalls)?;
        }
        cur.expect(":", "`:` after the syscall")?;
        if syscalls.is_empty() && self.excluded {
            // Lines for other architectures may name their constants.
            self.excluded = false;
            cur.pos = cur.toks.len();
            self.statements.push(Statement {
                leading: std::mem::take(&mut self.pending),
                trailing,
                rules: Vec::new(),
            });
            return Ok(());
        }
        self.excluded = false;
        let mut filters = self.filter(cur)?;
        if self.dialect == Dialect::Runtime {
            // `expr; return N`: allowed when `expr` holds, N otherwise.
            if let [(cond, a, span)] = filters.as_slice() {
                if *cond != Cond::True && a.kind == ActionKind::Errno {
                    filters = vec![(cond.clone(), Act::ALLOW, *span), (Cond::True, *a, *span)];
                }
            }
            for (sc, span) in &syscalls {
                if let Some(prev) = self.unconditional.get(sc) {
                    self.errors.push(
                        syntax(*span, format!("a second line for `{sc}`"))
                            .with_label("minijail's runtime rejects this")
                            .with_secondary(*prev, "the first line"),
                    );
                }
            }
        }
        let mut rules = Vec::new();
        for (sc, _) in &syscalls {
            let mut unconditional = self.unconditional.get(sc).copied();
            for (cond, act, span) in &filters {
                if let Some(prev) = unconditional {
                    self.errors.push(
                        syntax(*span, format!("`{sc}` already had an unconditional action"))
                            .with_label("this filter can never apply")
                            .with_secondary(prev, "the unconditional action"),
                    );
                    break;
                }
                if *cond == Cond::True {
                    unconditional = Some(*span);
                }
                rules.push(Rule {
                    syscall: sc,
                    cond: cond.clone(),
                    act: *act,
                    span: *span,
                });
            }
            // The runtime takes one line per syscall.
            let first = filters.first().map(|f| f.2);
            if let Some(u) = unconditional.or(first.filter(|_| self.dialect == Dialect::Runtime)) {
                self.unconditional.insert(sc, u);
            }
        }
        self.statements.push(Statement {
            leading: std::mem::take(&mut self.pending),
            trailing,
            rules,
        });
        Ok(())
    }

    fn descriptor(
        &mut self,
        cur: &mut Cur,
        out: &mut Vec<(&'static str, Span)>,
    ) -> Result<(), Diagnostic> {
        let Some(Tok {
            t: T::Word(name),
            span,
        }) = cur.next()
        else {
            return Err(syntax(cur.here(), "expected a syscall name"));
        };
        let mut here = true;
        if cur.is("[") {
            cur.next();
            loop {
                let Some(Tok {
                    t: T::Word(key),
                    span: kspan,
                }) = cur.next()
                else {
                    return Err(syntax(cur.here(), "expected a metadata key"));
                };
                cur.expect("=", "`=` after the key")?;
                let mut values = Vec::new();
                loop {
                    match cur.next() {
                        Some(Tok {
                            t: T::Word(v),
                            span,
                        }) => values.push((v, span)),
                        _ => return Err(syntax(cur.here(), "expected a value")),
                    }
                    if cur.is(",") {
                        cur.next();
                        continue;
                    }
                    break;
                }
                if key == "arch" {
                    let mut arches = Vec::new();
                    for (v, vspan) in &values {
                        match arch_of(v) {
                            Some(a) => arches.push(a),
                            None => self.errors.push(
                                Diagnostic::new(
                                    IMPORT_UNKNOWN_NAME,
                                    *vspan,
                                    format!("unknown architecture `{v}`"),
                                )
                                .with_label("not an architecture minijail knows")
                                .with_help("minijail's names: x86_64, x86, arm64, arm, riscv64"),
                            ),
                        }
                    }
                    here = arches.contains(&self.arch);
                } else {
                    return Err(syntax(kspan, format!("unknown metadata key `{key}`"))
                        .with_help("minijail knows `arch`"));
                }
                if cur.is(";") {
                    cur.next();
                    continue;
                }
                cur.expect("]", "`;` or `]` in the metadata")?;
                break;
            }
        }
        if name.contains('@') {
            return Err(syntax(span, format!("syscall group `{name}` cannot be imported"))
                .with_label("groups come from a build's constants.json")
                .with_help("list the group's syscalls, or use a moat group such as `std::groups::basic_io`"));
        }
        if !here {
            self.excluded = true;
            return Ok(());
        }
        match self.arch.syscall(&name) {
            Some(sc) => out.push((sc.name, span)),
            None => self
                .errors
                .push(super::unknown_syscall(self.arch, &name, span)),
        }
        Ok(())
    }

    fn filter(&mut self, cur: &mut Cur) -> Result<Vec<(Cond, Act, Span)>, Diagnostic> {
        let mut out = Vec::new();
        if cur.is("{") {
            cur.next();
            loop {
                out.push(self.single_filter(cur)?);
                if cur.is(",") {
                    cur.next();
                    continue;
                }
                cur.expect("}", "`,` or `}` in the filter list")?;
                break;
            }
        } else {
            out.push(self.single_filter(cur)?);
        }
        Ok(out)
    }

    fn single_filter(&mut self, cur: &mut Cur) -> Result<(Cond, Act, Span), Diagnostic> {
        let start = cur.here();
        let is_arg =
            matches!(cur.peek(), Some(Tok { t: T::Word(w), .. }) if arg_index(w).is_some());
        if !is_arg {
            let act = self.action(cur)?;
            let end = cur
                .toks
                .get(cur.pos.saturating_sub(1))
                .map_or(start, |t| t.span);
            return Ok((Cond::True, act, start.to(end)));
        }
        let cond = self.expression(cur)?;
        let end = cur
            .toks
            .get(cur.pos.saturating_sub(1))
            .map_or(start, |t| t.span);
        let act = if cur.is(";") {
            cur.next();
            self.action(cur)?
        } else {
            Act::ALLOW
        };
        Ok((cond, act, start.to(end)))
    }

    fn action(&mut self, cur: &mut Cur) -> Result<Act, Diagnostic> {
        let Some(tok) = cur.next() else {
            return Err(syntax(cur.end, "missing action"));
        };
        let word = match &tok.t {
            T::Word(w) => w.as_str(),
            T::Num(n) if n == "1" => "1",
            _ => "",
        };
        if self.denylist && word != "return" {
            return Err(syntax(
                tok.span,
                "a @denylist policy must `return` an errno on every line",
            ));
        }
        let plain = |kind| Act { kind, data: 0 };
        Ok(match word {
            "allow" | "1" => Act::ALLOW,
            "kill" | "kill-thread" => kill_action(),
            "kill-process" => Act::KILL,
            "trap" => plain(ActionKind::Trap),
            "trace" => plain(ActionKind::Trace),
            "log" => plain(ActionKind::Log),
            "user-notify" => plain(ActionKind::Notify),
            "return" => {
                let Some(v) = cur.next() else {
                    return Err(syntax(cur.end, "missing return value"));
                };
                let n = match &v.t {
                    T::Num(_) => self.single(&v)?.v,
                    T::Word(w) => match self.arch.errno(w) {
                        Some(e) => u64::from(e),
                        None => self.single(&v)?.v,
                    },
                    _ => return Err(syntax(v.span, "expected an errno")),
                };
                // minijail keeps the low 16 bits as the filter's data.
                act(ActionKind::Errno, n & 0xffff, v.span)?
            }
            _ => {
                return Err(syntax(tok.span, "invalid action")
                    .with_help("minijail's actions: allow, 1, kill, kill-process, kill-thread, trap, trace, log, user-notify, return ERRNO"))
            }
        })
    }

    fn expression(&mut self, cur: &mut Cur) -> Result<Cond, Diagnostic> {
        let mut clauses = Vec::new();
        loop {
            let mut atoms = Vec::new();
            loop {
                atoms.push(Cond::Atom(self.atom(cur)?));
                if cur.is("&&") {
                    cur.next();
                    continue;
                }
                break;
            }
            clauses.push(Cond::And(atoms));
            if cur.is("||") {
                cur.next();
                continue;
            }
            break;
        }
        Ok(Cond::Or(clauses))
    }

    fn atom(&mut self, cur: &mut Cur) -> Result<Atom, Diagnostic> {
        let Some(Tok {
            t: T::Word(w),
            span,
        }) = cur.next()
        else {
            return Err(syntax(cur.here(), "expected an argument (`arg0` … `arg5`)"));
        };
        let slot = match arg_index(&w) {
            Some(n) if n < 6 => n as u8,
            _ => {
                return Err(syntax(span, format!("invalid argument `{w}`"))
                    .with_help("arguments are arg0 … arg5"))
            }
        };
        let op = match cur.next() {
            Some(Tok { t: T::Punct(p), .. }) => p.to_string(),
            Some(Tok { t: T::Word(w), .. }) if w == "in" => w,
            _ => {
                return Err(syntax(
                    cur.toks
                        .get(cur.pos.saturating_sub(1))
                        .map_or(cur.end, |t| t.span),
                    "expected an operator",
                )
                .with_help("minijail's operators: == != < <= > >= & in"))
            }
        };
        let value = self.value(cur)?;
        let end = cur
            .toks
            .get(cur.pos.saturating_sub(1))
            .map_or(span, |t| t.span);
        let wide = self.regbits() == 64;
        let plain = |op| Atom {
            slot,
            mask: u64::MAX,
            op,
            value: value.v,
            wide,
            value_text: value.text.clone(),
            mask_text: None,
            span: span.to(end),
        };
        Ok(match op.as_str() {
            "==" => plain(Op::Eq),
            "!=" => plain(Op::Ne),
            "<" => plain(Op::Lt),
            "<=" => plain(Op::Le),
            ">" => plain(Op::Gt),
            ">=" => plain(Op::Ge),
            "&" => Atom {
                mask: value.v,
                op: Op::Ne,
                value: 0,
                value_text: None,
                mask_text: value.text.clone(),
                ..plain(Op::Ne)
            },
            // `in`: the argument's bits are a subset of the mask.
            "in" => Atom {
                mask: !value.v & self.word_mask(),
                op: Op::Eq,
                value: 0,
                value_text: None,
                mask_text: value.text.as_ref().map(|t| format!("~({t})")),
                ..plain(Op::Eq)
            },
            _ => {
                return Err(syntax(span.to(end), format!("invalid operator `{op}`"))
                    .with_help("minijail's operators: == != < <= > >= & in"))
            }
        })
    }

    /// `constant ('|' constant)*`
    fn value(&mut self, cur: &mut Cur) -> Result<Value, Diagnostic> {
        let mut v = 0u64;
        let mut texts: Option<Vec<String>> = Some(Vec::new());
        loop {
            let c = self.constant(cur)?;
            v |= c.v;
            match (&mut texts, c.text) {
                (Some(t), Some(s)) => t.push(s),
                _ => texts = None,
            }
            if cur.is("|") {
                cur.next();
                continue;
            }
            break;
        }
        Ok(Value {
            v,
            text: texts.filter(|t| !t.is_empty()).map(|t| t.join(" | ")),
        })
    }

    fn constant(&mut self, cur: &mut Cur) -> Result<Value, Diagnostic> {
        let mut negate = false;
        if cur.is("~") {
            let at = cur.next().map_or(cur.end, |t| t.span);
            if cur.is("~") {
                return Err(syntax(at, "invalid double complement"));
            }
            negate = true;
        }
        let val = if cur.is("(") {
            let open = cur.next().map_or(cur.end, |t| t.span);
            self.depth += 1;
            if self.depth > 64 {
                return Err(syntax(open, "parentheses nested too deeply"));
            }
            let inner = self.value(cur);
            self.depth -= 1;
            let inner = inner?;
            if !cur.is(")") {
                return Err(syntax(open, "unclosed parenthesis"));
            }
            cur.next();
            Value {
                v: inner.v,
                text: inner.text.map(|t| format!("({t})")),
            }
        } else {
            let Some(tok) = cur.next() else {
                return Err(syntax(cur.end, "missing constant"));
            };
            self.single(&tok)?
        };
        if negate {
            return Ok(Value {
                v: !val.v & self.word_mask(),
                text: None,
            });
        }
        Ok(val)
    }

    fn single(&mut self, tok: &Tok) -> Result<Value, Diagnostic> {
        let bits = self.regbits();
        let (n, text): (i128, Option<String>) = match &tok.t {
            T::Num(s) => (
                parse_number(s)
                    .ok_or_else(|| syntax(tok.span, format!("invalid constant `{s}`")))?,
                None,
            ),
            T::Word(w) => match self
                .arch
                .constant(w)
                .or_else(|| self.arch.errno(w).map(u64::from))
            {
                Some(v) => (i128::from(v), Some(w.clone())),
                None => {
                    let names = crate::arch::all_constants()
                        .iter()
                        .map(|c| c.name)
                        .chain(crate::arch::all_errno_names().iter().copied());
                    return Err(Diagnostic::new(
                        IMPORT_UNKNOWN_NAME,
                        tok.span,
                        format!("unknown constant `{w}` on {}", self.arch),
                    )
                    .with_label("not a constant moat knows for this architecture")
                    .with_help_opt(
                        crate::diagnostics::suggest(w, names)
                            .map(|s| format!("did you mean `{s}`?")),
                    ));
                }
            },
            _ => return Err(syntax(tok.span, "expected a constant")),
        };
        let max = if bits == 64 {
            i128::from(u64::MAX)
        } else {
            i128::from(u32::MAX)
        };
        let min = -(1i128 << (bits - 1));
        if n > max {
            return Err(syntax(tok.span, "unsigned overflow")
                .with_label(format!("does not fit {bits} bits")));
        }
        if n < min {
            return Err(syntax(tok.span, "signed underflow")
                .with_label(format!("does not fit {bits} bits")));
        }
        let v = if n < 0 {
            (n + max + 1) as u64
        } else {
            n as u64
        };
        Ok(Value { v, text })
    }
}

fn arg_index(w: &str) -> Option<u32> {
    let d = w.strip_prefix("arg")?;
    if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) || d.len() > 3 {
        return None;
    }
    d.parse().ok()
}

/// C's `strtol(…, 0)` forms: `0x` hex, leading-zero octal, decimal, with a
/// leading `-`.
fn parse_number(s: &str) -> Option<i128> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let (radix, digits) =
        if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, h)
        } else if body.len() > 1
            && body.starts_with('0')
            && body.bytes().all(|b| (b'0'..=b'7').contains(&b))
        {
            (8, body)
        } else {
            (10, body)
        };
    if digits.is_empty() || digits.len() > 40 {
        return None;
    }
    let v = i128::from_str_radix(digits, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// Parses the policy in `file` (and what it includes) for `arch`.
pub fn parse(
    sources: &mut SourceMap,
    file: FileId,
    arch: Arch,
    dialect: Option<Dialect>,
) -> Result<Policy, Vec<Diagnostic>> {
    super::strict(parse_tolerant(sources, file, arch, dialect))
}

/// The policy with the rules that could be read, and the errors.
fn parse_tolerant(
    sources: &mut SourceMap,
    file: FileId,
    arch: Arch,
    dialect: Option<Dialect>,
) -> (Policy, Vec<Diagnostic>) {
    let file_name = sources.get(file).name.clone();
    let dialect = dialect.unwrap_or_else(|| detect_dialect(&sources.get(file).text));
    let denylist = sources
        .get(file)
        .text
        .lines()
        .any(|l| l.trim() == "@denylist");
    let mut p = Parser {
        arch,
        sources,
        errors: Vec::new(),
        statements: Vec::new(),
        pending: Vec::new(),
        default: None,
        denylist,
        dialect,
        excluded: false,
        depth: 0,
        warnings: Vec::new(),
        unconditional: HashMap::new(),
    };
    p.file(file, &mut Vec::new());
    let errors = std::mem::take(&mut p.errors);
    let default = p.default.unwrap_or(if p.denylist {
        Act::ALLOW
    } else {
        kill_action()
    });
    let mut notes = vec![
        "A minijail policy is for one architecture: import it again with --arch for others.".to_string(),
        match dialect {
            Dialect::Runtime => "Read as minijail's runtime reads it: `expr; return N` allows when expr holds, else N.",
            Dialect::Compiler => "Read as minijail's Python compiler reads it: `expr; return N` returns N when expr holds.",
        }
        .to_string(),
        "minijail's first matching filter decides; a rule that follows a weaker one for the same".to_string(),
        "syscall excludes the calls the earlier one decides (`&& !(…)`).".to_string(),
        "`kill` is kill_thread, as minijail's compiler has it without --use-kill-process.".to_string(),
    ];
    if p.denylist {
        notes.push("@denylist: the default is allow.".into());
    }
    (
        Policy {
            format: "minijail",
            file_name,
            arch,
            default,
            bad_arch: kill_action(),
            statements: p.statements,
            tail_comments: p.pending,
            notes,
            consts: Vec::new(),
            warnings: p.warnings,
        },
        errors,
    )
}

/// minijail policy text (already in `sources`) to moat.
pub fn import(
    sources: &mut SourceMap,
    file: FileId,
    opts: &Options,
) -> Result<Output, Vec<Diagnostic>> {
    let (p, errors) = parse_tolerant(sources, file, opts.arch, opts.minijail_dialect);
    super::finish(&p, errors, &opts.name)
}
