//! `moat trace`: a starter policy from what a program called.
//!
//! [`parse`] reads strace's output into [`Call`]s; [`generate`] turns them
//! into moat source: the calls seen on each architecture, with whole
//! `std::groups` groups named where every member was seen, and the values
//! of the arguments a policy usually restricts (socket families, ioctl
//! requests, clone flags, prctl options, executable mappings) as comments
//! next to the rule a condition would go on. The text is formatted and
//! checked before it is returned. Nothing here prints or runs anything;
//! the command line runs strace (see `docs/trace.md`).

pub mod parse;

pub use parse::{parse, Call, Parser, Ret, Trace};

use crate::arch::Arch;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Name of the profile.
    pub name: String,
    /// What was traced, for the header comment (`ls /`, `app.log`).
    pub source: String,
}

/// The generated policy.
#[derive(Clone, Debug)]
pub struct Generated {
    pub text: String,
    /// What the policy could not express or the log did not let us read.
    pub warnings: Vec<String>,
}

/// A valid profile name from a command or file name (`ls`, `python3_11`).
pub fn profile_name(s: &str) -> String {
    let base = s.rsplit('/').next().unwrap_or(s);
    let mut out: String = base
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    while out.contains("__") {
        out = out.replace("__", "_");
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() {
        "traced".into()
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("p_{out}")
    } else {
        out
    }
}

/// Where the interesting argument of a call is in strace's output.
#[derive(Clone, Copy)]
enum Sel {
    /// The Nth top-level argument.
    Pos(usize),
    /// `key=VALUE` among the top-level arguments (strace names clone's).
    Key(&'static str),
    /// `key=VALUE` inside the struct that is the Nth argument (clone3).
    InStruct(usize, &'static str),
}

/// Calls whose arguments a policy usually restricts.
struct Noted {
    syscall: &'static str,
    sel: Sel,
    /// What the comment calls the argument; the name a condition uses.
    arg: &'static str,
    /// Whether a condition on it can be suggested (seccomp sees the value).
    suggest: bool,
    /// Only PROT_EXEC values are worth a note.
    exec_only: bool,
}

const NOTED: &[Noted] = &[
    Noted {
        syscall: "socket",
        sel: Sel::Pos(0),
        arg: "domain",
        suggest: true,
        exec_only: false,
    },
    Noted {
        syscall: "socketpair",
        sel: Sel::Pos(0),
        arg: "domain",
        suggest: true,
        exec_only: false,
    },
    Noted {
        syscall: "ioctl",
        sel: Sel::Pos(1),
        arg: "request",
        suggest: true,
        exec_only: false,
    },
    Noted {
        syscall: "prctl",
        sel: Sel::Pos(0),
        arg: "option",
        suggest: true,
        exec_only: false,
    },
    Noted {
        syscall: "arch_prctl",
        sel: Sel::Pos(0),
        arg: "option",
        suggest: true,
        exec_only: false,
    },
    Noted {
        syscall: "clone",
        sel: Sel::Key("flags"),
        arg: "flags",
        suggest: true,
        exec_only: false,
    },
    Noted {
        syscall: "clone3",
        sel: Sel::InStruct(0, "flags"),
        arg: "flags",
        suggest: false,
        exec_only: false,
    },
    Noted {
        syscall: "mmap",
        sel: Sel::Pos(2),
        arg: "prot",
        suggest: false,
        exec_only: true,
    },
    Noted {
        syscall: "mmap2",
        sel: Sel::Pos(2),
        arg: "prot",
        suggest: false,
        exec_only: true,
    },
    Noted {
        syscall: "mprotect",
        sel: Sel::Pos(2),
        arg: "prot",
        suggest: false,
        exec_only: true,
    },
    Noted {
        syscall: "pkey_mprotect",
        sel: Sel::Pos(2),
        arg: "prot",
        suggest: false,
        exec_only: true,
    },
];

/// One observed argument value.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Value {
    /// As a person reads it: strace's symbolic form where it gave one.
    display: String,
    /// moat expressions for it, best first (names, then numbers).
    exprs: Vec<String>,
    /// Whether PROT_EXEC is set (for mapping calls).
    exec: bool,
}

/// What was seen of one syscall on one architecture.
#[derive(Default)]
struct Seen {
    calls: usize,
    /// errno names of failed calls; `failed == calls` means it never succeeded.
    failed: usize,
    errnos: BTreeSet<String>,
    values: Vec<Value>,
}

/// Calls the kernel makes a program issue after a signal (returning from a
/// handler, resuming an interrupted sleep): whether a run shows them is a
/// matter of timing, so every policy gets them.
const SIGNAL_PLUMBING: &[&str] = &["restart_syscall", "rt_sigreturn", "sigreturn"];

/// The starter policy for a trace.
pub fn generate(trace: &Trace, opts: &Options) -> Result<Generated, String> {
    let mut warnings = Vec::new();
    let mut seen: BTreeMap<Arch, BTreeMap<&'static str, Seen>> = BTreeMap::new();
    // Numbers no table names, per arch: number → errnos (None: succeeded).
    let mut unknown: BTreeMap<(Arch, u32), BTreeSet<Option<String>>> = BTreeMap::new();
    let mut unnamed: BTreeSet<(Arch, String)> = BTreeSet::new();
    for call in &trace.calls {
        let arch = call.arch;
        let sys = match number_of(&call.name) {
            Some(nr) => {
                let nr = if nr < arch.nr_bias() {
                    nr | arch.nr_bias()
                } else {
                    nr
                };
                match arch.syscall_by_nr(nr) {
                    Some(s) => s,
                    None => {
                        let err = match &call.ret {
                            Ret::Error(e) => Some(e.clone()),
                            _ => None,
                        };
                        unknown.entry((arch, nr)).or_default().insert(err);
                        continue;
                    }
                }
            }
            None => match arch.syscall(&call.name) {
                Some(s) => s,
                None => {
                    unnamed.insert((arch, call.name.clone()));
                    continue;
                }
            },
        };
        let s = seen.entry(arch).or_default().entry(sys.name).or_default();
        s.calls += 1;
        if let Ret::Error(e) = &call.ret {
            if !e.starts_with("ERESTART") {
                s.failed += 1;
                s.errnos.insert(e.clone());
            }
        }
        if let (Some(n), Some(args)) = (NOTED.iter().find(|n| n.syscall == sys.name), &call.args) {
            if let Some(v) = select(args, n.sel).map(value) {
                if (!n.exec_only || v.exec) && !s.values.contains(&v) {
                    s.values.push(v);
                }
            }
        }
    }
    for (arch, name) in &unnamed {
        warnings.push(format!(
            "strace's `{name}` is not a syscall moat knows on {arch}; the policy does not allow it"
        ));
    }
    if seen.is_empty() {
        return Err("the trace has no system calls moat can name".into());
    }
    let targets: Vec<Arch> = seen.keys().copied().collect();

    let plumbing: BTreeMap<Arch, Vec<&'static str>> = targets
        .iter()
        .map(|&a| {
            let names = SIGNAL_PLUMBING
                .iter()
                .filter_map(|n| a.syscall(n).filter(|s| s.implemented).map(|s| s.name))
                .collect();
            (a, names)
        })
        .collect();
    let noted = |name: &str, s: &Seen| {
        NOTED
            .iter()
            .any(|n| n.syscall == name && (!n.exec_only || !s.values.is_empty()))
    };
    // Per arch: the plain names (listed in one rule) and the noted ones.
    let mut plain: BTreeMap<Arch, BTreeSet<&'static str>> = BTreeMap::new();
    let mut notes: BTreeMap<Arch, BTreeSet<&'static str>> = BTreeMap::new();
    for (&arch, calls) in &seen {
        for (&name, s) in calls {
            if plumbing[&arch].contains(&name) {
                continue;
            }
            if noted(name, s) {
                notes.entry(arch).or_default().insert(name);
            } else {
                plain.entry(arch).or_default().insert(name);
            }
        }
    }
    let common = |m: &BTreeMap<Arch, BTreeSet<&'static str>>| -> BTreeSet<&'static str> {
        let mut it = targets
            .iter()
            .map(|a| m.get(a).cloned().unwrap_or_default());
        let first = it.next().unwrap_or_default();
        it.fold(first, |acc, s| acc.intersection(&s).copied().collect())
    };
    let common_plain = common(&plain);
    let common_notes = common(&notes);
    let common_plumbing: BTreeSet<&'static str> = {
        let m: BTreeMap<Arch, BTreeSet<&'static str>> = plumbing
            .iter()
            .map(|(a, v)| (*a, v.iter().copied().collect()))
            .collect();
        common(&m)
    };

    let (groups, grouped) = whole_groups(&targets, &common_plain);

    // The text.
    let mut out = String::new();
    let source = one_line(&opts.source);
    let _ = writeln!(
        out,
        "// Starter policy from `moat trace`: what {source} called under strace."
    );
    out.push_str(
        "// It allows those calls and nothing else: other inputs, options or environments may\n\
         // need more. Try them with `moat run --complain FILE -- CMD`, which logs what the\n\
         // policy would refuse instead of refusing it; then narrow the rules noted below.\n",
    );
    if !groups.is_empty() {
        out.push_str("use std::groups\n");
    }
    out.push('\n');
    let _ = writeln!(out, "profile {} {{", opts.name);
    let names: Vec<&str> = targets.iter().map(|a| a.name()).collect();
    let _ = writeln!(out, "    targets {}", names.join(", "));
    out.push_str(
        "    // A call this policy does not list kills the program: under `moat run` the kill\n\
         \x20   // names the call. `errno(EPERM)` is the gentler choice once the policy is settled.\n\
         \x20   default kill\n",
    );
    if !unknown.is_empty() {
        let all_enosys = unknown
            .values()
            .all(|errs| errs.iter().all(|e| e.as_deref() == Some("ENOSYS")));
        let list: Vec<String> = unknown
            .keys()
            .map(|(a, nr)| format!("{nr:#x} on {a}"))
            .collect();
        let _ = writeln!(
            out,
            "    // strace saw syscall numbers no table names: {}.",
            list.join(", ")
        );
        if all_enosys {
            out.push_str(
                "    // Every such call failed with ENOSYS, so answering ENOSYS changes nothing.\n\
                 \x20   unknown errno(ENOSYS)\n",
            );
        } else {
            out.push_str("    // A rule cannot name them; `unknown ACTION` decides them.\n");
            warnings.push(format!(
                "the trace has calls to syscall numbers no table names ({}); the policy's default decides them",
                list.join(", ")
            ));
        }
    }
    out.push('\n');
    emit_body(
        &mut out,
        "    ",
        &Body {
            groups: &groups,
            plain: common_plain.difference(&grouped).copied().collect(),
            plumbing: common_plumbing.iter().copied().collect(),
            notes: common_notes.iter().copied().collect(),
        },
        &seen,
        &targets,
        &targets,
    );
    if targets.len() > 1 {
        for &arch in &targets {
            let only = |m: &BTreeMap<Arch, BTreeSet<&'static str>>, c: &BTreeSet<&'static str>| {
                m.get(&arch)
                    .map(|s| s.difference(c).copied().collect::<Vec<_>>())
                    .unwrap_or_default()
            };
            let body = Body {
                groups: &[],
                plain: only(&plain, &common_plain),
                plumbing: plumbing[&arch]
                    .iter()
                    .copied()
                    .filter(|n| !common_plumbing.contains(n))
                    .collect(),
                notes: only(&notes, &common_notes),
            };
            if body.plain.is_empty() && body.plumbing.is_empty() && body.notes.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n    on {arch} {{");
            emit_body(&mut out, "        ", &body, &seen, &[arch], &targets);
            out.push_str("    }\n");
        }
    }
    out.push_str("}\n");

    let text = crate::fmt::format(&out).map_err(|e| format!("moat bug: {e}\n{out}"))?;
    let analysis =
        crate::sema::analyze_source("trace.moat", None, &text, &crate::sema::Options::default());
    if let Some(d) = analysis.diagnostics.first() {
        return Err(format!(
            "moat bug: the generated policy does not check: {}\n{text}",
            d.message
        ));
    }
    Ok(Generated { text, warnings })
}

struct Body<'a> {
    groups: &'a [&'static str],
    plain: Vec<&'static str>,
    plumbing: Vec<&'static str>,
    notes: Vec<&'static str>,
}

fn emit_body(
    out: &mut String,
    indent: &str,
    body: &Body,
    seen: &BTreeMap<Arch, BTreeMap<&'static str, Seen>>,
    scope: &[Arch],
    targets: &[Arch],
) {
    let get = |name: &str| -> Vec<&Seen> {
        scope
            .iter()
            .filter_map(|a| seen.get(a)?.get(name))
            .collect()
    };
    if !body.groups.is_empty() {
        let _ = writeln!(
            out,
            "{indent}// Every call of these std::groups groups was seen."
        );
        let gs: Vec<String> = body.groups.iter().map(|g| format!("groups::{g}")).collect();
        wrap_rule(out, indent, "allow", &gs);
    }
    let failed: Vec<String> = body
        .plain
        .iter()
        .chain(&body.notes)
        .filter_map(|n| {
            let ss = get(n);
            let all_failed = !ss.is_empty() && ss.iter().all(|s| s.failed == s.calls);
            all_failed.then(|| {
                let errs: BTreeSet<&str> = ss
                    .iter()
                    .flat_map(|s| s.errnos.iter().map(String::as_str))
                    .collect();
                format!("{n} ({})", errs.into_iter().collect::<Vec<_>>().join(", "))
            })
        })
        .collect();
    if !failed.is_empty() {
        let head = format!(
            "{indent}// Failed every time in this run, and allowed anyway: the program handles the\n\
             {indent}// error, and refusing the call instead would change what it sees:"
        );
        out.push_str(&head);
        wrap_comment(out, indent, &failed);
    }
    if !body.plain.is_empty() {
        let names: Vec<String> = body.plain.iter().map(|s| s.to_string()).collect();
        wrap_rule(out, indent, "allow", &names);
    }
    if !body.plumbing.is_empty() {
        let _ = writeln!(
            out,
            "\n{indent}// Signal returns and restarts: needed whenever a signal interrupts the program."
        );
        let names: Vec<String> = body.plumbing.iter().map(|s| s.to_string()).collect();
        wrap_rule(out, indent, "allow", &names);
    }
    for &name in &body.notes {
        let Some(n) = NOTED.iter().find(|n| n.syscall == name) else {
            continue;
        };
        let mut values: Vec<&Value> = Vec::new();
        for s in get(name) {
            for v in &s.values {
                if !values.iter().any(|w| w.display == v.display) {
                    values.push(v);
                }
            }
        }
        out.push('\n');
        let shown: Vec<String> = values.iter().map(|v| v.display.clone()).collect();
        if n.exec_only {
            let wx = values.iter().any(|v| {
                v.display.contains("PROT_WRITE")
                    || parse_num_expr(&v.display).is_some_and(|x| x & 2 != 0)
            });
            let _ = write!(out, "{indent}// {name} with PROT_EXEC:");
            wrap_comment(out, indent, &shown);
            if wx {
                let _ = writeln!(
                    out,
                    "{indent}// Writable and executable at once: a JIT, or a target for injected code."
                );
            }
        } else if shown.is_empty() {
            let _ = writeln!(out, "{indent}// {name}: its {} was not in the log.", n.arg);
        } else {
            let _ = write!(out, "{indent}// {name} {}:", n.arg);
            wrap_comment(out, indent, &shown);
        }
        if name == "clone3" {
            let _ = writeln!(
                out,
                "{indent}// seccomp cannot read clone3's flags (they are in memory). `errno(ENOSYS) clone3`\n\
                 {indent}// makes glibc fall back to clone, whose flags a condition can check."
            );
        }
        if n.suggest && !values.is_empty() {
            if let Some(cond) = suggestion(name, n.arg, &values, scope, targets) {
                let _ = writeln!(
                    out,
                    "{indent}// To allow only these: allow {name} if {cond}"
                );
            }
        }
        let _ = writeln!(out, "{indent}allow {name}");
    }
}

/// `allow a, b, c` wrapped at about 90 columns.
fn wrap_rule(out: &mut String, indent: &str, action: &str, items: &[String]) {
    let mut line = format!("{indent}{action} ");
    let cont = format!("{indent}    ");
    for (i, it) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{it},")
        } else {
            it.clone()
        };
        if line.len() + piece.len() > 90 && !line.trim().ends_with(action) {
            out.push_str(line.trim_end());
            out.push('\n');
            line = cont.clone();
        }
        line.push_str(&piece);
        line.push(' ');
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// ` a, b, c` after a comment head, continued on `// ` lines.
fn wrap_comment(out: &mut String, indent: &str, items: &[String]) {
    let mut len = out.len() - out.rfind('\n').map_or(0, |i| i + 1);
    for (i, it) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{it},")
        } else {
            it.clone()
        };
        if len + piece.len() + 1 > 90 && i > 0 {
            let _ = write!(out, "\n{indent}//");
            len = indent.len() + 2;
        }
        out.push(' ');
        out.push_str(&piece);
        len += piece.len() + 1;
    }
    out.push('\n');
}

/// A condition allowing exactly the values seen, if moat accepts one.
fn suggestion(
    name: &str,
    arg: &str,
    values: &[&Value],
    scope: &[Arch],
    targets: &[Arch],
) -> Option<String> {
    // Names first (readable), then numbers (strace's names are not all
    // moat constants, and some differ between architectures).
    for pick in 0..2 {
        let exprs: Option<Vec<&String>> = values
            .iter()
            .map(|v| v.exprs.get(pick).or(v.exprs.first()))
            .collect();
        let Some(exprs) = exprs else { continue };
        let cond = if exprs.len() == 1 {
            format!("{arg} == {}", exprs[0])
        } else {
            let list: Vec<&str> = exprs.iter().map(|s| s.as_str()).collect();
            format!("{arg} in [{}]", list.join(", "))
        };
        let t: Vec<&str> = targets.iter().map(|a| a.name()).collect();
        let s: Vec<&str> = scope.iter().map(|a| a.name()).collect();
        let src = format!(
            "profile p {{ targets {} default kill on {} {{ allow {name} if {cond} }} }}",
            t.join(", "),
            s.join(", ")
        );
        let a = crate::sema::analyze_source(
            "suggestion.moat",
            None,
            &src,
            &crate::sema::Options::default(),
        );
        if a.diagnostics.is_empty() {
            return Some(cond);
        }
    }
    None
}

/// The number in `syscall_0x1bc` / `syscall_444` (strace's name for a
/// number it does not know).
fn number_of(name: &str) -> Option<u32> {
    let n = name.strip_prefix("syscall_")?;
    match n.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => n.parse().ok(),
    }
}

fn select(args: &[String], sel: Sel) -> Option<&str> {
    match sel {
        Sel::Pos(i) => args.get(i).map(String::as_str),
        Sel::Key(k) => args
            .iter()
            .find_map(|a| a.strip_prefix(k)?.strip_prefix('=')),
        Sel::InStruct(i, k) => {
            let s = args.get(i)?;
            let inner = s.strip_prefix('{')?;
            let end = inner.find('}').unwrap_or(inner.len());
            let fields = parse::split_args(&inner[..end]);
            let v = fields
                .iter()
                .find_map(|f| f.strip_prefix(k)?.strip_prefix('='))?;
            // The selected text must outlive `fields`: find it in `s`.
            let at = s.find(v)?;
            Some(&s[at..at + v.len()])
        }
    }
}

/// Reads strace's rendering of a flag or enum value: `AF_INET`,
/// `CLONE_VM|CLONE_FS|SIGCHLD`, raw `0x1|0x80000`, verbose
/// `0x2 /* AF_INET */`, `_IOC(…)`.
fn value(arg: &str) -> Value {
    let mut display_terms = Vec::new();
    let mut numeric_terms = Vec::new();
    for term in split_bar(arg) {
        let (code, comment) = match term.find("/*") {
            Some(i) => {
                let c = term[i + 2..].trim_end().trim_end_matches("*/").trim();
                (term[..i].trim(), Some(c))
            }
            None => (term.trim(), None),
        };
        display_terms.push(comment.unwrap_or(code).to_string());
        numeric_terms.push(code.to_string());
    }
    let display = display_terms.join("|");
    let numeric = numeric_terms.join("|");
    let mut exprs = Vec::new();
    for text in [&display, &numeric] {
        if let Some(e) = moat_expr(text) {
            if !exprs.contains(&e) {
                exprs.push(e);
            }
        }
    }
    let exec = display.split('|').any(|t| t.trim() == "PROT_EXEC")
        || parse_num_expr(&numeric).is_some_and(|v| v & 4 != 0);
    Value {
        display,
        exprs,
        exec,
    }
}

/// Splits at `|` outside `/* */` comments and brackets.
fn split_bar(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut depth, mut i) = (0, 0usize, 0);
    let mut in_comment = false;
    while i < b.len() {
        if in_comment {
            if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                in_comment = false;
                i += 1;
            }
        } else {
            match b[i] {
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    in_comment = true;
                    i += 1;
                }
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                b'|' if depth == 0 => {
                    out.push(&s[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    out.push(&s[start..]);
    out
}

/// `A|B|0x10` as the moat expression `A | B | 0x10`, when every term is a
/// name or a number.
fn moat_expr(text: &str) -> Option<String> {
    let mut terms = Vec::new();
    for t in text.split('|') {
        let t = t.trim();
        let ident = t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ident {
            terms.push(t.to_string());
        } else {
            terms.push(format!("{:#x}", parse_num(t)?));
        }
    }
    (!terms.is_empty()).then(|| terms.join(" | "))
}

/// A number as strace prints it: decimal, `0x` hex or `0` octal.
fn parse_num(t: &str) -> Option<u64> {
    if let Some(h) = t.strip_prefix("0x") {
        return u64::from_str_radix(h, 16).ok();
    }
    if t.len() > 1 && t.starts_with('0') {
        return u64::from_str_radix(&t[1..], 8).ok();
    }
    if let Some(n) = t.strip_prefix('-') {
        return n.parse::<u64>().ok().map(|v| v.wrapping_neg());
    }
    t.parse().ok()
}

/// `0x1|0x80000` → 0x80001, when every term is a number.
fn parse_num_expr(text: &str) -> Option<u64> {
    text.split('|')
        .try_fold(0u64, |acc, t| Some(acc | parse_num(t.trim())?))
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The std::groups groups whose every implemented member on every target
/// is in `names`, largest first, leaving out groups the chosen ones
/// already cover; and the names they cover.
fn whole_groups(
    targets: &[Arch],
    names: &BTreeSet<&'static str>,
) -> (Vec<&'static str>, BTreeSet<&'static str>) {
    let defs = std_groups();
    let mut candidates: Vec<(&'static str, BTreeSet<&'static str>)> = Vec::new();
    for &(g, _) in &defs {
        let mut members = BTreeSet::new();
        let mut ok = true;
        for &arch in targets {
            let mut on_arch = 0;
            for m in expand(&defs, g, 0) {
                if let Some(s) = arch.syscall(m) {
                    if !s.implemented {
                        continue;
                    }
                    on_arch += 1;
                    if !names.contains(s.name) {
                        ok = false;
                    }
                    members.insert(s.name);
                }
            }
            ok &= on_arch > 0;
        }
        if ok {
            candidates.push((g, members));
        }
    }
    candidates.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let mut chosen = Vec::new();
    let mut covered = BTreeSet::new();
    for (g, members) in candidates {
        if !members.is_subset(&covered) {
            covered.extend(members);
            chosen.push(g);
        }
    }
    chosen.sort();
    (chosen, covered)
}

/// std::groups as (name, members), read from the embedded source.
fn std_groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let src = crate::stdlib::source("groups").unwrap_or("");
    let parsed = crate::syntax::parse(src, crate::source::FileId(0));
    let mut out = Vec::new();
    for item in &parsed.file.items {
        if let crate::syntax::ast::ItemKind::Group(g) = &item.kind {
            let name = &src[g.name.span.range()];
            let members = g
                .members
                .iter()
                .map(|p| &src[p.last().span.range()])
                .collect();
            out.push((name, members));
        }
    }
    out
}

/// A group's syscalls: a member that is a syscall anywhere means the
/// syscall (as the language reads group bodies), any other names a group.
fn expand<'a>(defs: &[(&'a str, Vec<&'a str>)], g: &str, depth: usize) -> Vec<&'a str> {
    let Some((_, members)) = defs.iter().find(|(n, _)| *n == g) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for &m in members {
        if Arch::ALL.iter().any(|a| a.syscall(m).is_some()) {
            out.push(m);
        } else if depth < 8 {
            out.extend(expand(defs, m, depth + 1));
        }
    }
    out
}

/// The ABI an executable runs as, from its ELF header (following one `#!`
/// line to its interpreter). strace writes its notes of a process changing
/// ABI to its own standard error, not to the `-o` log, so `moat trace`
/// learns a process's ABI at each successful `execve` from the file instead.
pub fn exec_arch(path: &std::path::Path) -> Option<Arch> {
    exec_arch_at(path, 0)
}

fn exec_arch_at(path: &std::path::Path, depth: u8) -> Option<Arch> {
    use std::io::Read;
    let mut head = [0u8; 256];
    let mut f = std::fs::File::open(path).ok()?;
    let n = f.read(&mut head).ok()?;
    let head = &head[..n];
    if let Some(rest) = head.strip_prefix(b"#!") {
        if depth > 0 {
            return None;
        }
        let line = rest.split(|&b| b == b'\n').next()?;
        let line = std::str::from_utf8(line).ok()?;
        let interp = line.split_whitespace().next()?;
        return exec_arch_at(std::path::Path::new(interp), depth + 1);
    }
    if head.len() < 20 || &head[..4] != b"\x7fELF" {
        return None;
    }
    let machine = match head[5] {
        1 => u16::from_le_bytes([head[18], head[19]]),
        2 => u16::from_be_bytes([head[18], head[19]]),
        _ => return None,
    };
    Some(match (head[4], machine) {
        (2, 62) => Arch::X86_64,
        (1, 62) => Arch::X32,
        (1, 3) => Arch::I386,
        (2, 183) => Arch::Aarch64,
        (1, 40) => Arch::Arm,
        (2, 243) => Arch::Riscv64,
        (2, 21) if head[5] == 1 => Arch::Ppc64le,
        (2, 22) => Arch::S390x,
        _ => return None,
    })
}

/// `strace` on `PATH`, if there is one.
pub fn find_strace() -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join("strace"))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// What running a command under strace left.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// strace's log.
    pub log: String,
    /// The command's exit status (128 + N when signal N ended it), which
    /// strace passes on as its own.
    pub status: i32,
}

/// Runs `command` under `strace -f`, with the terminal and environment of
/// this process, and returns the log.
pub fn record(strace: &std::path::Path, command: &[String]) -> Result<Recorded, String> {
    use std::os::unix::process::ExitStatusExt;
    if command.is_empty() {
        return Err("no command to trace".into());
    }
    let dir =
        private_temp_dir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let log = dir.join("strace.log");
    // -f follows children and threads; -qq keeps strace's attach and exit
    // notes out of the way. Values stay symbolic (`AF_INET`), which the
    // comments show; the reader takes raw and verbose forms as well.
    let ran = std::process::Command::new(strace)
        .args(["-f", "-qq", "-o"])
        .arg(&log)
        .arg("--")
        .args(command)
        .status();
    let text = std::fs::read(&log).map(|b| String::from_utf8_lossy(&b).into_owned());
    let _ = std::fs::remove_dir_all(&dir);
    let status = ran.map_err(|e| format!("cannot run {}: {e}", strace.display()))?;
    let status = status
        .code()
        .or(status.signal().map(|sig| 128 + sig))
        .unwrap_or(1);
    match text {
        Ok(log) if !log.trim().is_empty() => Ok(Recorded { log, status }),
        _ => Err("strace recorded nothing (its messages above say why)".into()),
    }
}

/// A new directory only this user can enter, so the log strace writes
/// cannot be redirected through a planted symlink.
fn private_temp_dir() -> std::io::Result<std::path::PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::temp_dir();
    let mut last = None;
    for i in 0..100 {
        let d = base.join(format!("moat-trace-{}-{i}", std::process::id()));
        match std::fs::DirBuilder::new().mode(0o700).create(&d) {
            Ok(()) => return Ok(d),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no name left")))
}

#[cfg(test)]
mod tests;
