//! Reading strace's text output.
//!
//! strace's format is meant for people, so this reader is lenient: it knows
//! the line shapes strace prints with the options people use (`-f`, `-ff`,
//! `-o`, `-t`/`-tt`/`-ttt`/`-r`, `-T`, `-i`, `-y`, `-k`, `-X raw|abbrev|verbose`,
//! `-e raw=…`) and skips, with a note, anything else. It never fails and
//! never panics: a log is evidence, and a line it cannot read should not
//! cost the user the rest of the trace.

use crate::arch::Arch;
use std::collections::HashMap;

/// How a call returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ret {
    /// A value (`= 0`, `= 0x7f…`, `= 3</etc/passwd>`), as strace printed it.
    Value(String),
    /// `= -1 ENOENT (…)`, `= ? ERESTARTSYS (…)`: the errno name (or
    /// `errno N` under `-e raw=all`).
    Error(String),
    /// `= ?` with nothing after it: the call did not return (`exit`,
    /// `exit_group`, a successful `execve` in another thread).
    NoReturn,
    /// The log ends (or the process was detached) before the call returned.
    Unfinished,
}

/// One system call strace saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The process (thread) that made it: strace's pid, or 0 when the log
    /// has no pid column (a single process, or one file of `-ff`).
    pub pid: u32,
    /// The ABI the call was made in (strace's "personality").
    pub arch: Arch,
    /// The name strace printed: a syscall name, or `syscall_0x1bc` /
    /// `syscall_444` for a number strace does not know.
    pub name: String,
    /// The arguments, split at top-level commas; `None` when the log lost
    /// the beginning of the call (a `resumed` line without its `unfinished`).
    pub args: Option<Vec<String>>,
    pub ret: Ret,
    /// 1-based line of the log where the call starts.
    pub line: usize,
}

/// Everything read from one or more logs.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub calls: Vec<Call>,
    /// Lines that were not understood (line number, first characters).
    pub skipped: Vec<(usize, String)>,
}

/// Reads strace output incrementally: one [`Parser::feed`] per log file, so
/// the per-process files of `strace -ff -o` keep their processes apart.
pub struct Parser<'a> {
    host: Arch,
    /// What a process runs as after a successful `execve` of this path
    /// (`moat trace` reads the executable's ELF header); strace's own
    /// personality notes override it.
    exec_arch: Option<&'a dyn Fn(&str) -> Option<Arch>>,
    /// Per process: its ABI, and the unfinished call waiting for its
    /// `resumed` line (index into `calls`, argument text so far).
    arch: HashMap<u32, Arch>,
    pending: HashMap<u32, (usize, String)>,
    /// Distinguishes files without a pid column.
    file: u32,
    /// Processes with a pid column that have not exited: strace leaves the
    /// column out while it traces only one process, so a line without one
    /// in a log that has them belongs to the only live process.
    live: std::collections::BTreeSet<u32>,
    /// The pid the lines without a column turned out to belong to.
    alias: Option<u32>,
    trace: Trace,
}

impl<'a> Parser<'a> {
    pub fn new(host: Arch) -> Self {
        Parser {
            host,
            exec_arch: None,
            arch: HashMap::new(),
            pending: HashMap::new(),
            file: 0,
            live: Default::default(),
            alias: None,
            trace: Trace::default(),
        }
    }

    /// Look up what a successfully executed file runs as.
    pub fn with_exec_arch(mut self, f: &'a dyn Fn(&str) -> Option<Arch>) -> Self {
        self.exec_arch = Some(f);
        self
    }

    /// Reads one log (one file).
    pub fn feed(&mut self, text: &str) {
        self.file += 1;
        // A file without pid columns is one process of its own; give it a
        // key no real pid has, so `-ff` files do not share state.
        let own = u32::MAX - self.file;
        self.live.clear();
        self.alias = None;
        // strace writing to a terminal can put its own note in the middle
        // of a call's line (`…SIGCHLDstrace: Process 3901 attached`, the
        // rest of the call on the next line): take the note out and join.
        let mut carry = String::new();
        let mut carry_line = 0;
        for (i, raw) in text.lines().enumerate() {
            let line = if carry.is_empty() {
                raw.to_string()
            } else {
                std::mem::take(&mut carry) + raw
            };
            let lineno = if carry_line > 0 {
                std::mem::take(&mut carry_line)
            } else {
                i + 1
            };
            if let Some(at) = inline_note(&line) {
                carry = line[..at].to_string();
                carry_line = lineno;
                continue;
            }
            self.line(&line, lineno, own);
        }
        if !carry.is_empty() {
            self.line(&carry, carry_line, own);
        }
        // A call still unfinished at the end of a file stays unfinished.
        self.pending.clear();
    }

    pub fn finish(self) -> Trace {
        self.trace
    }

    fn line(&mut self, raw: &str, lineno: usize, own: u32) {
        let s = raw.trim_end();
        if s.trim().is_empty() {
            return;
        }
        // `-k` stack frames and strace's own messages.
        let t = s.trim_start();
        if t.starts_with("> ") || t.starts_with("strace: ") {
            return;
        }
        if let Some((pid, a)) = personality_note(t, self.host) {
            self.arch.insert(pid, a);
            return;
        }
        let (pid, rest) = pid_prefix(s);
        if let Some(p) = pid {
            self.live.insert(p);
        }
        let pid = match pid {
            Some(p) => p,
            None if self.live.len() == 1 => *self.live.iter().next().unwrap_or(&own),
            None => self.alias.unwrap_or(own),
        };
        let rest = strip_timestamps(rest);
        let rest = strip_ip(rest);
        if let Some((pid2, a)) = personality_note(rest, self.host) {
            self.arch.insert(pid2, a);
            return;
        }
        if rest.starts_with("+++") {
            self.live.remove(&pid);
            return;
        }
        if rest.starts_with("---") {
            return; // signals
        }
        if let Some(r) = rest.strip_prefix("<... ") {
            self.resumed(pid, r, lineno, own);
            return;
        }
        let name_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if name_len == 0 || !rest[name_len..].starts_with('(') {
            self.skip(lineno, s);
            return;
        }
        let name = &rest[..name_len];
        let body = &rest[name_len + 1..];
        let arch = self.arch_of(pid);
        let idx = self.trace.calls.len();
        self.trace.calls.push(Call {
            pid,
            arch,
            name: name.to_string(),
            args: None,
            ret: Ret::Unfinished,
            line: lineno,
        });
        if let Some(partial) = unfinished(body) {
            self.trace.calls[idx].args = Some(split_args(partial));
            self.pending.insert(pid, (idx, partial.to_string()));
        } else {
            self.pending.remove(&pid);
            self.complete(idx, body, true);
        }
    }

    /// `<... NAME resumed>REST`.
    fn resumed(&mut self, pid: u32, r: &str, lineno: usize, own: u32) {
        let Some(end) = r.find(" resumed>") else {
            self.skip(lineno, r);
            return;
        };
        let name = &r[..end];
        let tail = &r[end + " resumed>".len()..];
        if pid != own && !self.pending.contains_key(&pid) && self.alias.is_none() {
            // A call started on a line without a pid column resumes on a
            // line with one: now the process has a name.
            if self
                .pending
                .get(&own)
                .is_some_and(|(i, _)| self.trace.calls[*i].name == name)
            {
                self.adopt(own, pid);
            }
        }
        match self.pending.remove(&pid) {
            Some((idx, partial)) if self.trace.calls[idx].name == name => {
                let partial = partial.trim_end();
                let tail = tail.trim_start();
                let sep = if partial.is_empty()
                    || partial.ends_with(',')
                    || tail.starts_with(',')
                    || tail.starts_with(')')
                {
                    ""
                } else {
                    " "
                };
                let body = format!("{partial}{sep}{tail}");
                if let Some(p) = unfinished(&body) {
                    // Resumed and suspended again (rare, but strace does it).
                    self.trace.calls[idx].args = Some(split_args(p));
                    self.pending.insert(pid, (idx, p.to_string()));
                } else {
                    self.complete(idx, &body, true);
                }
            }
            _ => {
                // The start of the call is not in this log: it was still
                // made, but its first arguments are lost.
                let arch = self.arch_of(pid);
                let idx = self.trace.calls.len();
                self.trace.calls.push(Call {
                    pid,
                    arch,
                    name: name.to_string(),
                    args: None,
                    ret: Ret::Unfinished,
                    line: lineno,
                });
                if unfinished(tail).is_none() {
                    self.complete(idx, tail, false);
                }
            }
        }
    }

    /// Fills in a call from `ARGS) = RET`.
    fn complete(&mut self, idx: usize, body: &str, args_known: bool) {
        let (args, rest) = match close_paren(body) {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => (body, ""),
        };
        let ret = parse_ret(rest);
        let call = &mut self.trace.calls[idx];
        if args_known {
            call.args = Some(split_args(args));
        }
        call.ret = ret;
        // A new process or thread runs as its parent did until it execs;
        // its first lines may come before the parent's clone returns.
        if matches!(call.name.as_str(), "clone" | "clone3" | "fork" | "vfork") {
            let (parent, arch) = (call.pid, call.arch);
            if let Ret::Value(v) = &call.ret {
                if let Ok(child) = v.parse::<u32>() {
                    if child != parent && !self.arch.contains_key(&child) {
                        self.arch.insert(child, arch);
                        for c in self.trace.calls.iter_mut().filter(|c| c.pid == child) {
                            c.arch = arch;
                        }
                    }
                }
            }
            return;
        }
        // A successful execve replaces the program, and with it possibly
        // the ABI (a 32-bit binary started from a 64-bit shell).
        if matches!(call.name.as_str(), "execve" | "execveat") && matches!(call.ret, Ret::Value(_))
        {
            let pid = call.pid;
            let path = call.args.as_ref().and_then(|a| {
                let i = usize::from(call.name == "execveat");
                a.get(i).and_then(|p| unquote(p))
            });
            if let (Some(f), Some(path)) = (self.exec_arch, path) {
                if let Some(a) = f(&path) {
                    self.arch.insert(pid, a);
                }
            }
        }
    }

    /// The lines without a pid column were process `pid`'s.
    fn adopt(&mut self, own: u32, pid: u32) {
        self.alias = Some(pid);
        if let Some(p) = self.pending.remove(&own) {
            self.pending.insert(pid, p);
        }
        if let Some(a) = self.arch.remove(&own) {
            self.arch.insert(pid, a);
        }
        for c in &mut self.trace.calls {
            if c.pid == own {
                c.pid = pid;
            }
        }
    }

    fn arch_of(&self, pid: u32) -> Arch {
        self.arch.get(&pid).copied().unwrap_or(self.host)
    }

    fn skip(&mut self, lineno: usize, s: &str) {
        let short: String = s.chars().take(60).collect();
        self.trace.skipped.push((lineno, short));
    }
}

/// Parses one log.
pub fn parse(text: &str, host: Arch) -> Trace {
    let mut p = Parser::new(host);
    p.feed(text);
    p.finish()
}

/// Where a line has strace's `strace: Process N attached` (or `detached`)
/// note appended outside any string.
fn inline_note(line: &str) -> Option<usize> {
    let at = line.rfind("strace: Process ")?;
    if at == 0 || !(line.ends_with(" attached") || line.ends_with(" detached")) {
        return None;
    }
    let before = &line.as_bytes()[..at];
    let mut quotes = 0;
    let mut i = 0;
    while i < before.len() {
        match before[i] {
            b'\\' => i += 1,
            b'"' => quotes += 1,
            _ => {}
        }
        i += 1;
    }
    (quotes % 2 == 0 && !line[..at].trim().is_empty()).then_some(at)
}

/// `[pid  123] ` (strace to a terminal) or `123  ` (with `-o FILE`).
fn pid_prefix(s: &str) -> (Option<u32>, &str) {
    if let Some(r) = s.strip_prefix("[pid") {
        let r = r.trim_start();
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n > 0 && r[n..].starts_with(']') {
            return (r[..n].parse().ok(), r[n + 1..].trim_start());
        }
        return (None, s);
    }
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n > 0 && s[n..].starts_with([' ', '\t']) {
        return (s[..n].parse().ok(), s[n..].trim_start());
    }
    (None, s)
}

/// `-t` `08:49:39 `, `-tt` `08:49:39.862653 `, `-ttt` `1700000000.862653 `,
/// `-r` `     0.000123 `: any number of them.
fn strip_timestamps(mut s: &str) -> &str {
    loop {
        let t = s.trim_start();
        let n = t
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b':' || *b == b'.')
            .count();
        let tok = &t[..n];
        let is_time = n > 0
            && t[n..].starts_with([' ', '\t'])
            && tok.bytes().next().is_some_and(|b| b.is_ascii_digit())
            && (tok.contains(':') || tok.contains('.'));
        if !is_time {
            return t;
        }
        s = &t[n..];
    }
}

/// `-i`: `[00007f3c8e9b2a17] ` (or `[????????????????] `).
fn strip_ip(s: &str) -> &str {
    if let Some(r) = s.strip_prefix('[') {
        if let Some(end) = r.find(']') {
            let inner = &r[..end];
            if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b'?') {
                return r[end + 1..].trim_start();
            }
        }
    }
    s
}

/// `[ Process PID=123 runs in 32 bit mode. ]`: strace's note that a
/// process changed ABI (printed to its standard error on x86_64, x32,
/// aarch64 and powerpc64 hosts).
fn personality_note(s: &str, host: Arch) -> Option<(u32, Arch)> {
    let r = s.strip_prefix("[ Process PID=")?;
    let n = r.bytes().take_while(u8::is_ascii_digit).count();
    let pid: u32 = r[..n].parse().ok()?;
    let mode = r[n..].strip_prefix(" runs in ")?;
    let mode = mode.strip_suffix(" mode. ]")?;
    let x86 = matches!(host, Arch::X86_64 | Arch::X32 | Arch::I386);
    let arch = match mode {
        "64 bit" | "AArch64" if x86 => Arch::X86_64,
        "64 bit" | "AArch64" => host,
        "32 bit" | "32-bit" if x86 => Arch::I386,
        "32 bit" | "32-bit" if host == Arch::Aarch64 => Arch::Arm,
        "x32" => Arch::X32,
        // 32-bit powerpc and s390 are not moat targets.
        _ => return None,
    };
    Some((pid, arch))
}

/// The argument text before ` <unfinished ...>` / ` <detached ...>`, if
/// the line ends with one.
fn unfinished(body: &str) -> Option<&str> {
    let b = body.trim_end();
    for marker in ["<unfinished ...>", "<detached ...>"] {
        if let Some(p) = b.strip_suffix(marker) {
            // A marker inside an argument list would have a `)` after it.
            if close_paren(p).is_none() {
                return Some(p.trim_end());
            }
        }
    }
    None
}

/// Index of the `)` that closes the argument list `body` starts inside.
fn close_paren(body: &str) -> Option<usize> {
    let b = body.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => i = skip_string(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => i = skip_comment(b, i),
            b'(' | b'[' | b'{' => depth += 1,
            b']' | b'}' => depth = depth.saturating_sub(1),
            b')' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// From an opening `"`, the index of the closing one (or the end).
fn skip_string(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    b.len()
}

/// From `/*`, the index of the closing `/` (or the end).
fn skip_comment(b: &[u8], start: usize) -> usize {
    let mut i = start + 2;
    while i + 1 < b.len() {
        if b[i] == b'*' && b[i + 1] == b'/' {
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

/// Splits an argument list at top-level commas.
pub fn split_args(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => i = skip_string(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => i = skip_comment(b, i),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                out.push(s[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let last = s.get(start..).unwrap_or("").trim();
    if !last.is_empty() || !out.is_empty() {
        out.push(last.to_string());
    }
    out
}

/// ` = -1 ENOENT (No such file or directory) <0.000012>`.
fn parse_ret(rest: &str) -> Ret {
    let Some(r) = rest.trim_start().strip_prefix('=') else {
        return Ret::Unfinished;
    };
    let r = r.trim_start();
    let mut words = r.split_whitespace();
    let first = words.next().unwrap_or("");
    let second = words.next().unwrap_or("");
    let errno_like = |w: &str| {
        w.len() > 1
            && w.starts_with('E')
            && w.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    };
    if first == "?" {
        if errno_like(second) {
            return Ret::Error(second.to_string());
        }
        return Ret::NoReturn;
    }
    if first.starts_with('-') && errno_like(second) {
        return Ret::Error(second.to_string());
    }
    // `-e raw=all`: `= -1 (errno 2)`.
    if first.starts_with('-') && second == "(errno" {
        let n = words.next().unwrap_or("").trim_end_matches(')');
        return Ret::Error(format!("errno {n}"));
    }
    if first.is_empty() {
        return Ret::Unfinished;
    }
    Ret::Value(first.to_string())
}

/// The contents of a quoted strace string (escapes left as they are).
pub fn unquote(s: &str) -> Option<String> {
    let r = s.strip_prefix('"')?;
    let b = r.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(r[..i].to_string()),
            _ => i += 1,
        }
    }
    None
}
