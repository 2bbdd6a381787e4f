//! Hover: what the name under the cursor means, in Markdown.

use super::consts;
use super::index::{self, positional, Symbol};
use super::resolve;
use crate::arch::{self, Arch, ArgRole, ArgType, Slots, Syscall};
use crate::sema::{Analysis, DefId, ModuleId};
use crate::source::Span;
use crate::syntax::ast::{ActionKind, ConstValue, ItemKind};
use std::fmt::Write;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    /// The name the text is about.
    pub span: Span,
    pub markdown: String,
}

/// Hover for the root file at byte `offset`: a name the span index knows,
/// else a keyword of the language.
pub fn hover(a: &Analysis, offset: usize) -> Option<Hover> {
    if let Some(occ) = index::at(a, a.root, offset) {
        let markdown = describe(a, &occ.symbol, &occ.arches)?;
        return Some(Hover {
            span: occ.span,
            markdown,
        });
    }
    let file = a.module(a.root).file;
    let text = &a.sources.get(file).text;
    let lexed = crate::syntax::lexer::lex(text, file);
    let &(s, tok, e) = lexed
        .tokens
        .iter()
        .find(|t| t.0 <= offset && offset <= t.2 && t.1.is_keyword())?;
    let word = tok.text()?;
    Some(Hover {
        span: Span::new(file, s, e),
        markdown: format!("**{word}** — {}", keyword_doc(word)?),
    })
}

/// What each keyword of the language does (actions have [`action`]).
pub fn keyword_doc(word: &str) -> Option<&'static str> {
    Some(match word {
        "use" => "imports a standard-library module (`use std::docker`), some of its items (`use std::groups::{basic_io}`), or a file (`use \"./base.moat\" as base`).",
        "const" => "a 64-bit integer constant, folded at compile time; `match arch { … }` gives a value per architecture.",
        "group" => "a named set of syscalls (and other groups) to use in rules.",
        "mixin" => "a reusable set of rules, spliced into profiles with `include`; it has no settings and cannot be built.",
        "profile" => "a policy: settings (`targets`, `default`, …) and rules; `extends BASE` falls back to the base's decisions.",
        "test" => "expectations `[ARCH:] SYSCALL(ARGS) => ACTION`, checked on the compiled filter by `moat test` and `moat build`.",
        "targets" => "the architectures the filter covers; required at the root of an `extends` chain.",
        "default" => "the action when no rule matches; required at the root of an `extends` chain.",
        "bad_arch" => "the action for a call from an architecture not in `targets` (default `kill`).",
        "unknown" => "the action for syscall numbers moat's table does not name on that architecture (default: the `default` action).",
        "flags" => "filter flags for loading (SECCOMP_FILTER_FLAG_*): `tsync`, `log`, `spec_allow`, …",
        "include" => "splices a mixin's rules, or another profile's own rules, into this profile.",
        "on" => "rules that apply only on the listed architectures.",
        "if" => "a condition on the call's arguments: comparisons, bit tests `x & MASK`, `in [..]`, ranges, `!`, `&&`, `||`.",
        "extends" => "this profile decides first; calls none of its rules match go to the base.",
        "match" => "`match arch { x86_64 => …, _ => … }`: a constant's value per architecture.",
        "as" => "names an imported file: `use \"./base.moat\" as base`.",
        "null" => "the literal 0, for pointer arguments.",
        "in" => "membership: `x in [A, B]`, `x in 10..20` (half-open), `x in 10..=20`.",
        w => return ActionKind::from_keyword(w).map(action),
    })
}

/// The Markdown text for a symbol seen on `arches`.
pub fn describe(a: &Analysis, symbol: &Symbol, arches: &[Arch]) -> Option<String> {
    Some(match symbol {
        Symbol::Syscall(name) => syscall(name, arches),
        Symbol::Arg { name, syscalls } => argument(name, syscalls, arches)?,
        Symbol::PreludeConst(name) => prelude_const(name)?,
        Symbol::Errno(name) => errno(name)?,
        Symbol::Action(kind) => action(*kind).to_string(),
        Symbol::Item(def) => item(a, *def, arches)?,
        Symbol::Module(m) => module(a, *m),
        Symbol::Arch(name) => arch_text(name)?,
        Symbol::Flag(name) => flag(name)?,
        Symbol::Unresolved(_) => return None,
    })
}

fn code_block(s: &str) -> String {
    format!("```moat\n{s}\n```\n")
}

/// `openat(int dfd, const char *filename, int flags, umode_t mode)`
pub fn signature(sc: &Syscall) -> String {
    let args: Vec<String> = sc
        .logical_args()
        .map(|arg| {
            let name = arg.name().unwrap_or("_");
            let ty = arg.c_type;
            if ty.ends_with('*') {
                format!("{ty}{name}")
            } else {
                format!("{ty} {name}")
            }
        })
        .collect();
    format!("{}({})", sc.name, args.join(", "))
}

fn syscall(name: &str, arches: &[Arch]) -> String {
    let mut out = String::new();
    let shown: Vec<Arch> = if arches.is_empty() {
        Arch::ALL.to_vec()
    } else {
        arches.to_vec()
    };
    // Distinct signatures, each with the architectures that have it.
    let mut sigs: Vec<(String, Vec<Arch>)> = Vec::new();
    for &ar in &shown {
        if let Some(sc) = ar.syscall(name) {
            let s = if sc.implemented {
                signature(sc)
            } else {
                format!("{}(…)", sc.name)
            };
            match sigs.iter_mut().find(|(t, _)| *t == s) {
                Some((_, v)) => v.push(ar),
                None => sigs.push((s, vec![ar])),
            }
        }
    }
    if sigs.is_empty() {
        // Not on the targets in force: describe it from any architecture.
        if let Some(sc) = Arch::ALL.iter().find_map(|a| a.syscall(name)) {
            sigs.push((signature(sc), Vec::new()));
        }
    }
    let _ = writeln!(out, "**syscall** `{name}`\n");
    for (i, (s, on)) in sigs.iter().enumerate() {
        if sigs.len() > 1 {
            let names: Vec<&str> = on.iter().map(|a| a.name()).collect();
            let _ = writeln!(out, "on {}:", names.join(", "));
        }
        out.push_str(&code_block(s));
        if i + 1 < sigs.len() {
            out.push('\n');
        }
    }
    // Argument names other than the first, which the signature shows.
    if let Some(sc) = shown
        .iter()
        .chain(Arch::ALL)
        .find_map(|a| a.syscall(name).filter(|s| s.implemented))
    {
        let aliases: Vec<String> = sc
            .logical_args()
            .filter(|a| a.names.len() > 1)
            .map(|a| a.names.join(" = "))
            .collect();
        if !aliases.is_empty() {
            let _ = writeln!(out, "\nargument names: {}", aliases.join(", "));
        }
    }
    let mut nrs = Vec::new();
    let mut missing = Vec::new();
    let mut unimplemented = Vec::new();
    for &ar in &shown {
        match ar.syscall(name) {
            Some(sc) => {
                nrs.push(format!("{} `{}`", ar.name(), sc.nr));
                if !sc.implemented {
                    unimplemented.push(ar.name());
                }
            }
            None => missing.push(ar.name()),
        }
    }
    if !nrs.is_empty() {
        let _ = writeln!(out, "\nnumber: {}", nrs.join(" · "));
    }
    if !missing.is_empty() {
        let _ = writeln!(out, "\nnot on {}", missing.join(", "));
    }
    if !unimplemented.is_empty() {
        let _ = writeln!(
            out,
            "\nnot implemented on {} (the kernel returns ENOSYS)",
            unimplemented.join(", ")
        );
    }
    out.trim_end().to_string()
}

fn type_words(ty: ArgType, c_type: &str) -> String {
    match ty {
        ArgType::Pointer => format!(
            "`{c_type}`: a pointer — seccomp sees only the address, so compare it with `0`/`null` only"
        ),
        ArgType::Int { bits, signed } => {
            let sign = if signed { "signed" } else { "unsigned" };
            let note = match bits {
                16 => "; only the low 16 bits are compared",
                32 => "; only the low 32 bits are compared",
                _ => "",
            };
            format!("`{c_type}`: {bits}-bit {sign}{note}")
        }
    }
}

fn slot_words(slots: Slots) -> String {
    match slots {
        Slots::One(n) => format!("arg{n}"),
        Slots::Pair { lo, hi } => format!("arg{lo} (low half) + arg{hi} (high half)"),
    }
}

fn argument(name: &str, syscalls: &[String], arches: &[Arch]) -> Option<String> {
    let shown: Vec<Arch> = if arches.is_empty() {
        Arch::ALL.to_vec()
    } else {
        arches.to_vec()
    };
    let mut out = format!("**argument** `{name}`\n");
    let mut any = false;
    for s in syscalls {
        // Distinct descriptions, each with its architectures.
        let mut lines: Vec<(String, Vec<&str>)> = Vec::new();
        for &ar in &shown {
            let Some(sc) = ar.syscall(s) else { continue };
            let arg = match positional(name) {
                Some(n) => sc.slot(n),
                None => sc.arg(name),
            };
            let Some(arg) = arg else { continue };
            let mut text = format!(
                "{} — {}",
                slot_words(arg.slots),
                type_words(arg.ty, arg.c_type)
            );
            if arg.role == ArgRole::Padding {
                text.push_str(" (alignment padding: the kernel ignores it)");
            }
            if let Some(first) = arg.name() {
                if first != name {
                    let _ = write!(text, " (kernel name `{first}`)");
                }
            }
            match lines.iter_mut().find(|(t, _)| *t == text) {
                Some((_, v)) => v.push(ar.name()),
                None => lines.push((text, vec![ar.name()])),
            }
        }
        if lines.is_empty() {
            continue;
        }
        any = true;
        let _ = writeln!(out, "\nof `{s}`:");
        for (text, on) in &lines {
            if lines.len() > 1 {
                let _ = writeln!(out, "- on {}: {text}", on.join(", "));
            } else {
                let _ = writeln!(out, "- {text}");
            }
        }
    }
    any.then(|| out.trim_end().to_string())
}

/// Per-architecture values: one line when they agree.
fn values_text(values: &[(Arch, Option<u64>)]) -> String {
    let defined: Vec<(Arch, u64)> = values
        .iter()
        .filter_map(|(a, v)| v.map(|v| (*a, v)))
        .collect();
    let Some(&(_, first)) = defined.first() else {
        return "no value on these architectures".to_string();
    };
    let missing: Vec<&str> = values
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(a, _)| a.name())
        .collect();
    let mut out = if defined.iter().all(|(_, v)| *v == first) {
        format!("= `{}`", consts::describe_value(first))
    } else {
        let mut s = String::new();
        for (a, v) in &defined {
            let _ = writeln!(s, "- {}: `{}`", a.name(), consts::describe_value(*v));
        }
        s.trim_end().to_string()
    };
    if !missing.is_empty() {
        let _ = write!(out, "\n\nnot defined on {}", missing.join(", "));
    }
    out
}

fn prelude_const(name: &str) -> Option<String> {
    let info = arch::constant_info(name)?;
    let values: Vec<(Arch, Option<u64>)> = Arch::ALL.iter().map(|&a| (a, info.value(a))).collect();
    let mut out = format!(
        "**constant** `{name}` (prelude, {})\n\n{}",
        info.group.replace('_', " "),
        values_text(&values)
    );
    if !info.note.is_empty() {
        let _ = write!(out, "\n\n{}", info.note);
    }
    Some(out)
}

fn errno(name: &str) -> Option<String> {
    let e = arch::errno_info(name)?;
    let mut out = format!("**errno** `{name}` = `{}`", e.generic);
    if e.powerpc != e.generic {
        let _ = write!(out, " (`{}` on ppc64le)", e.powerpc);
    }
    let _ = write!(out, "\n\n{}", e.description);
    Some(out)
}

/// What the kernel does for each action.
pub fn action(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Kill => "**action** `kill` — SECCOMP_RET_KILL_PROCESS: the kernel kills the whole process (as by SIGSYS, with a core dump). The strongest action.",
        ActionKind::KillThread => "**action** `kill_thread` — SECCOMP_RET_KILL_THREAD: the kernel kills only the calling thread.",
        ActionKind::Trap => "**action** `trap` / `trap(N)` — SECCOMP_RET_TRAP: the call is not made and the thread gets SIGSYS; N (0..=65535, default 0) arrives as `si_errno`.",
        ActionKind::Errno => "**action** `errno(E)` — SECCOMP_RET_ERRNO: the call is not made and returns -1 with `errno` set to E (a name such as `EPERM`, or 0..=4095).",
        ActionKind::Notify => "**action** `notify` — SECCOMP_RET_USER_NOTIF: the call waits while a supervisor process decides it through the seccomp listener fd (implies the `new_listener` flag).",
        ActionKind::Trace => "**action** `trace` / `trace(N)` — SECCOMP_RET_TRACE: a ptrace tracer is notified (PTRACE_EVENT_SECCOMP, N as the event message); without a tracer the call fails with ENOSYS.",
        ActionKind::Log => "**action** `log` — SECCOMP_RET_LOG: the call is made and logged by the kernel's audit log.",
        ActionKind::Allow => "**action** `allow` — SECCOMP_RET_ALLOW: the call is made. The weakest action.",
    }
}

fn item(a: &Analysis, def: DefId, arches: &[Arch]) -> Option<String> {
    let it = a
        .modules
        .get(def.module.0 as usize)?
        .ast
        .items
        .get(def.item as usize)?;
    let module = resolve::module_name(a, def.module);
    let src = &a.sources.get(a.module(def.module).file).text;
    let mut out = String::new();
    match &it.kind {
        ItemKind::Const(c) => {
            let text = src.get(it.span.range()).unwrap_or("").trim_end_matches(';');
            out.push_str(&code_block(text.trim()));
            let shown: &[Arch] = match &c.value {
                ConstValue::MatchArch { .. } => Arch::ALL,
                _ if arches.is_empty() => Arch::ALL,
                _ => arches,
            };
            let values: Vec<(Arch, Option<u64>)> = shown
                .iter()
                .map(|&ar| (ar, consts::item_value(a, def, ar)))
                .collect();
            if values.iter().any(|(_, v)| v.is_some()) {
                let _ = write!(out, "\n{}", values_text(&values));
            }
        }
        ItemKind::Group(g) => {
            let _ = writeln!(out, "{}", code_block(&format!("group {}", g.name.name)));
            let written: Vec<String> = g.members.iter().map(|p| p.text()).collect();
            let _ = write!(out, "members: {}", written.join(", "));
            let shown: &[Arch] = if arches.is_empty() { Arch::ALL } else { arches };
            let counts: Vec<String> = shown
                .iter()
                .map(|&ar| {
                    format!(
                        "{} {}",
                        ar.name(),
                        resolve::group_members(a, def, Some(ar)).len()
                    )
                })
                .collect();
            let _ = write!(out, "\n\nsyscalls: {}", counts.join(" · "));
        }
        ItemKind::Mixin(m) => {
            out.push_str(&code_block(&format!("mixin {}", m.name.name)));
            let _ = write!(out, "\n{} statements", m.body.len());
        }
        ItemKind::Profile(p) => {
            let head = match &p.extends {
                Some(b) => format!("profile {} extends {}", p.name.name, b.text()),
                None => format!("profile {}", p.name.name),
            };
            out.push_str(&code_block(&head));
            let targets = resolve::profile_targets(a, def);
            let names: Vec<&str> = targets.iter().map(|t| t.name()).collect();
            let _ = write!(out, "\ntargets: {}", names.join(", "));
            if let Some(cp) = a.profiles.iter().find(|cp| cp.def == def) {
                if let Some(first) = targets.first() {
                    if let Some(d) = cp.settings.default.get(first) {
                        let _ = write!(out, " · default: `{}`", d.describe(Some(*first)));
                    }
                }
            }
        }
        _ => return None,
    }
    if def.module != a.root {
        let _ = write!(out, "\n\nfrom `{module}`");
    }
    if let Some(doc) = &it.doc {
        let _ = write!(out, "\n\n---\n\n{doc}");
    }
    Some(out)
}

fn module(a: &Analysis, m: ModuleId) -> String {
    let module = a.module(m);
    let mut out = format!("**module** `{}`", module.name);
    let mut names: Vec<(&str, &'static str)> = module
        .ast
        .items
        .iter()
        .filter_map(|it| {
            let kind = match it.kind {
                ItemKind::Group(_) => "group",
                ItemKind::Profile(_) => "profile",
                ItemKind::Mixin(_) => "mixin",
                ItemKind::Const(_) => "const",
                _ => return None,
            };
            Some((it.name()?.name.as_str(), kind))
        })
        .collect();
    names.sort();
    for kind in ["profile", "mixin", "group", "const"] {
        let of: Vec<String> = names
            .iter()
            .filter(|(_, k)| *k == kind)
            .map(|(n, _)| format!("`{n}`"))
            .collect();
        if !of.is_empty() {
            let _ = write!(out, "\n\n{kind}s: {}", of.join(", "));
        }
    }
    out
}

fn arch_text(name: &str) -> Option<String> {
    let ar = Arch::from_name(name)?;
    let implemented = ar.syscalls().iter().filter(|s| s.implemented).count();
    Some(format!(
        "**architecture** `{}` — AUDIT_ARCH `{:#x}`, {}-endian, {}-bit argument registers, {} syscalls in moat's table",
        ar.name(),
        ar.audit_arch(),
        match ar.endian() {
            crate::bpf::Endian::Little => "little",
            crate::bpf::Endian::Big => "big",
        },
        if ar.is_64bit_regs() { 64 } else { 32 },
        implemented
    ))
}

fn flag(name: &str) -> Option<String> {
    let text = match name {
        "tsync" => "SECCOMP_FILTER_FLAG_TSYNC: install the filter on every thread of the process.",
        "log" => "SECCOMP_FILTER_FLAG_LOG: log every action except `allow` to the audit log.",
        "spec_allow" => "SECCOMP_FILTER_FLAG_SPEC_ALLOW: do not turn on speculative store bypass mitigation.",
        "wait_killable_recv" => "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: a `notify`-ed call waits killably once the supervisor received it.",
        "new_listener" => "SECCOMP_FILTER_FLAG_NEW_LISTENER: return a listener fd for `notify` (implied by `notify` rules).",
        "tsync_esrch" => "SECCOMP_FILTER_FLAG_TSYNC_ESRCH: with `tsync` and a listener, report a sync failure as ESRCH.",
        _ => return None,
    };
    Some(format!("**flag** `{name}` — {text}"))
}
