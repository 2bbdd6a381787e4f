//! The front end never panics: whatever the text, `analyze_source` (lexer,
//! parser, checker) returns an analysis, and its diagnostics render.
//!
//! Three generators: arbitrary bytes (read as lossy UTF-8), sequences of
//! real tokens (keywords, punctuation, names the checker knows, numbers,
//! strings), and mutations of real policies (tokens deleted, duplicated,
//! swapped or replaced). Each runs a few hundred cases, which takes seconds
//! in a debug build; set `PROPTEST_CASES` for a longer run.

use moat::diagnostics::render;
use moat::sema::{analyze_source, Options};
use moat::source::FileId;
use moat::syntax::lexer;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Checks `text` as if it were the file at `path` (so relative imports
/// resolve next to it) and renders every diagnostic both ways.
fn check(text: &str, path: Option<&Path>) {
    let name = path.map_or("fuzz.moat".to_string(), |p| p.display().to_string());
    let a = analyze_source(&name, path, text, &Options::default());
    let _ = render::render_all(&a.diagnostics, &a.sources, false);
    let _ = render::to_json(&a.diagnostics, &a.sources);
    for d in &a.diagnostics {
        for l in std::iter::once(&d.primary).chain(&d.secondary) {
            let f = a.sources.get(l.span.file);
            assert!(
                l.span.start <= l.span.end && l.span.end as usize <= f.text.len(),
                "span {:?} outside `{}` ({} bytes): {}",
                l.span,
                f.name,
                f.text.len(),
                d.message
            );
        }
    }
}

/// Small policies the mutation generator starts from.
fn seeds() -> Vec<(PathBuf, String)> {
    let base = root();
    let mut out = Vec::new();
    for dir in ["../examples", "pass"] {
        let Ok(entries) = std::fs::read_dir(base.join(dir)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "moat"))
            .collect();
        paths.sort();
        for p in paths {
            let text = std::fs::read_to_string(&p).unwrap();
            out.push((p, text));
        }
    }
    assert!(!out.is_empty());
    out
}

/// Tokens a policy is made of, plus a few that are not.
const VOCAB: &[&str] = &[
    "use",
    "const",
    "group",
    "mixin",
    "profile",
    "test",
    "targets",
    "default",
    "bad_arch",
    "unknown",
    "flags",
    "include",
    "on",
    "if",
    "extends",
    "match",
    "as",
    "null",
    "in",
    "allow",
    "kill",
    "kill_thread",
    "trap",
    "errno",
    "notify",
    "trace",
    "log",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    "::",
    ":",
    "=>",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "!",
    "~",
    "-",
    "+",
    "*",
    "|",
    "||",
    "&",
    "&&",
    "^",
    "<<",
    ">>",
    "..",
    "..=",
    "\n",
    "//c\n",
    "/*",
    "*/",
    "#",
    "'",
    "%",
    "é",
    "🦀",
    "p",
    "q",
    "std",
    "docker",
    "groups",
    "basic_io",
    "mount",
    "arch",
    "x86_64",
    "i386",
    "arm",
    "aarch64",
    "s390x",
    "x86",
    "_",
    "read",
    "write",
    "openat",
    "clone",
    "prctl",
    "pread64",
    "socket",
    "socketcall",
    "fd",
    "flags",
    "pos",
    "__pad",
    "arg0",
    "arg2",
    "arg5",
    "arg9",
    "option",
    "filename",
    "mode",
    "EPERM",
    "ENOSYS",
    "O_RDONLY",
    "CLONE_NEWUSER",
    "AF_INET",
    "0",
    "1",
    "-1",
    "4095",
    "65536",
    "0xffff_ffff",
    "0x1_0000_0000",
    "18446744073709551615",
    "18446744073709551616",
    "0755",
    "0x",
    "12ab",
    "\"./x.moat\"",
    "\"\\q\"",
    "\"open",
    "tsync",
    "spec_allow",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCAB), 0..80).prop_map(|toks| toks.join(" "))
}

/// A mutation applied to the token list of a seed.
#[derive(Clone, Debug)]
enum Edit {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Replace(usize, &'static str),
    Insert(usize, &'static str),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        (any::<usize>(), prop::sample::select(VOCAB)).prop_map(|(a, t)| Edit::Replace(a, t)),
        (any::<usize>(), prop::sample::select(VOCAB)).prop_map(|(a, t)| Edit::Insert(a, t)),
    ]
}

/// The seed's tokens (as text) with their spacing kept, so a mutation
/// changes tokens, not layout.
fn pieces(text: &str) -> Vec<String> {
    let lexed = lexer::lex(text, FileId(0));
    let mut out = Vec::new();
    let mut at = 0;
    for &(l, _, r) in &lexed.tokens {
        // The gap before a token (whitespace, comments) travels with it.
        out.push(text[at..r].to_string());
        let _ = l;
        at = r;
    }
    out.push(text[at..].to_string());
    out
}

fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut p = pieces(text);
    for e in edits {
        let n = p.len();
        if n == 0 {
            break;
        }
        match *e {
            Edit::Delete(i) => {
                p.remove(i % n);
            }
            Edit::Duplicate(i) => {
                let t = p[i % n].clone();
                p.insert(i % n, t);
            }
            Edit::Swap(a, b) => p.swap(a % n, b % n),
            Edit::Replace(i, t) => p[i % n] = format!(" {t}"),
            Edit::Insert(i, t) => p.insert(i % n, format!(" {t}")),
        }
    }
    p.concat()
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Crashers found are kept in `known_crashers` below instead.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check(&String::from_utf8_lossy(&bytes), None);
    }

    #[test]
    fn token_sequences_never_panic(text in token_soup()) {
        check(&text, None);
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn mutated_policies_never_panic(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let seeds = seeds();
        let (path, text) = &seeds[seed.index(seeds.len())];
        check(&mutate(text, &edits), Some(path));
    }
}

/// Deep nesting and long chains: each would exhaust the stack of a
/// recursive pass if the front end did not bound it (E0006).
#[test]
fn deep_inputs_do_not_overflow_the_stack() {
    let n = 20_000;
    check(
        &format!("const X = {}1{}", "(".repeat(n), ")".repeat(n)),
        None,
    );
    check(
        &format!(
            "profile p {{ targets x86_64 default allow allow read if {}(fd == 1) }}",
            "!".repeat(n)
        ),
        None,
    );
    check(&format!("const Y = 1{}", " + 1".repeat(n)), None);
    check(
        &format!(
            "profile q {{ targets x86_64 default allow {} allow read {} }}",
            "on x86_64 { ".repeat(2000),
            "}".repeat(2000)
        ),
        None,
    );
    let m = 400;
    let mut chains = String::new();
    for i in 0..m {
        chains.push_str(&format!(
            "const C{i} = C{} + 1\ngroup g{i} = [read, g{}]\nmixin m{i} {{ include m{} }}\n",
            i + 1,
            i + 1,
            i + 1
        ));
    }
    chains.push_str(&format!(
        "const C{m} = 1\ngroup g{m} = [write]\nmixin m{m} {{ allow close }}\n\
         profile p {{ targets x86_64 default allow errno(EPERM) g0 include m0 allow write if fd == C0 }}\n"
    ));
    check(&chains, None);
}

/// Inputs that once broke the front end, kept as plain tests.
#[test]
fn known_crashers() {
    for text in [
        "",
        "profile",
        "profile p { allow prctl if arg9 == 1 }",
        "profile p { targets x86_64 default allow allow prctl if foo == 1 }",
        "test p { read(",
        "const X = match arch { }",
        "profile p { on { } }",
        "\u{feff}profile p {}",
        "\"\\\u{80}\"",
    ] {
        check(text, None);
    }
}

// ------------------------------------------------------------ strace reader

/// `moat trace`'s reader and generator on `text`: never a panic, and a
/// policy it generates always checks (`generate` returns an error
/// otherwise, which would be a bug on any input).
fn trace(text: &str) {
    use moat::arch::Arch;
    use moat::trace::{generate, Options, Parser};
    for host in [Arch::X86_64, Arch::Aarch64] {
        let mut p = Parser::new(host);
        p.feed(text);
        let t = p.finish();
        let opts = Options {
            name: "fuzz".into(),
            source: text.chars().take(40).collect(),
        };
        if let Err(e) = generate(&t, &opts) {
            assert!(!e.contains("moat bug"), "{e}");
        }
    }
}

/// Pieces of strace lines.
const STRACE_VOCAB: &[&str] = &[
    "[pid  42] ",
    "42  ",
    "08:49:39.862653 ",
    "1700000000.5 ",
    "[00007f3c8e9b2a17] ",
    "read(",
    "clone(",
    "ioctl(",
    "socket(",
    "mprotect(",
    "clone3(",
    "syscall_0x1f3(",
    "syscall_444(",
    "restart_syscall(",
    "<... resuming interrupted read ...>",
    "<unfinished ...>",
    "<detached ...>",
    "<... read resumed>",
    "<... clone resumed>",
    ")",
    "(",
    "{",
    "}",
    "[",
    "]",
    ", ",
    "\"",
    "\\",
    "/* ",
    " */",
    "|",
    "flags=",
    "CLONE_VM",
    "SIGCHLD",
    "AF_INET",
    "PROT_EXEC",
    "0x",
    "0755",
    "-1",
    " = ",
    "= -1 ENOENT (No such file or directory)",
    "= ? ERESTARTSYS (To be restarted)",
    "= ?",
    "= -1 (errno 2)",
    "--- SIGCHLD {si_signo=SIGCHLD} ---",
    "+++ exited with 0 +++",
    "strace: Process 42 attached",
    "[ Process PID=42 runs in 32 bit mode. ]",
    "[ Process PID=42 runs in x32 mode. ]",
    " > /lib/libc.so.6(read+0x1) [0x1]",
    "\n",
    "\n",
    "\r\n",
    "é",
];

fn strace_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(STRACE_VOCAB), 0..120).prop_map(|t| t.concat())
}

fn strace_logs() -> Vec<String> {
    let dir = root().join("trace");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// Cuts, repeats and splices a log's lines.
fn mutate_log(text: &str, edits: &[(usize, usize, &'static str)]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for &(a, b, tok) in edits {
        let n = lines.len();
        if n == 0 {
            break;
        }
        let i = a % n;
        match b % 4 {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(b % n, l);
            }
            2 => {
                let l = &lines[i];
                let mut cut = b % (l.len() + 1);
                while !l.is_char_boundary(cut) {
                    cut -= 1;
                }
                lines[i].truncate(cut);
            }
            _ => {
                let l = &mut lines[i];
                let mut at = b % (l.len() + 1);
                while !l.is_char_boundary(at) {
                    at -= 1;
                }
                l.insert_str(at, tok);
            }
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn strace_reader_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        trace(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn strace_reader_never_panics_on_strace_pieces(text in strace_soup()) {
        trace(&text);
    }

    #[test]
    fn strace_reader_never_panics_on_mutated_logs(
        log in any::<prop::sample::Index>(),
        edits in prop::collection::vec(
            (any::<usize>(), any::<usize>(), prop::sample::select(STRACE_VOCAB)),
            1..12,
        ),
    ) {
        let logs = strace_logs();
        trace(&mutate_log(&logs[log.index(logs.len())], &edits));
    }
}

// ---- `moat import` of minijail and Kafel policies ----------------------

/// Imports `text` as both formats (and both minijail dialects) on two
/// architectures: an output or errors with spans inside their files, and
/// an output that `moat check` accepts.
fn import_never_panics(text: &str) {
    use moat::import::{kafel, minijail, Options};
    use moat::source::{Origin, SourceFile, SourceMap};
    // Includes resolve next to the corpus, so a mutated `@include` finds
    // real files (and itself, for cycles).
    let path = root().join("import/minijail/fuzz.policy");
    for arch in [moat::arch::Arch::X86_64, moat::arch::Arch::I386] {
        for which in 0..3 {
            let mut sources = SourceMap::new();
            let id = sources.add(SourceFile::new(
                "fuzz.policy",
                Origin::Path(path.clone()),
                text,
            ));
            let opts = Options {
                arch,
                minijail_dialect: match which {
                    0 => Some(minijail::Dialect::Runtime),
                    1 => Some(minijail::Dialect::Compiler),
                    _ => None,
                },
                ..Options::default()
            };
            let r = if which == 2 {
                kafel::import(&mut sources, id, &opts)
            } else {
                minijail::import(&mut sources, id, &opts)
            };
            match r {
                Ok(out) => {
                    let a = analyze_source("imported.moat", None, &out.text, &Options2::default());
                    assert!(
                        !a.has_errors(),
                        "the import of {text:?} does not check:\n{}\n{}",
                        render::render_all(&a.diagnostics, &a.sources, false),
                        out.text
                    );
                }
                Err(diags) => {
                    let _ = render::render_all(&diags, &sources, false);
                    for d in &diags {
                        let f = sources.get(d.primary.span.file);
                        assert!(d.primary.span.end as usize <= f.text.len());
                    }
                }
            }
        }
    }
}

use moat::sema::Options as Options2;

const IMPORT_VOCAB: &[&str] = &[
    "read",
    "write",
    "openat",
    "kill",
    "mmap",
    "prctl",
    "socket",
    ":",
    ";",
    ",",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "arg0",
    "arg1",
    "arg2",
    "arg5",
    "arg9",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "&",
    "|",
    "in",
    "~",
    "&&",
    "||",
    "!",
    "1",
    "0",
    "-1",
    "0x80000000",
    "0xffffffffffffffff",
    "077",
    "O_RDONLY",
    "PROT_EXEC",
    "EPERM",
    "return",
    "allow",
    "kill-process",
    "trap",
    "log",
    "user-notify",
    "@include",
    "@default",
    "@denylist",
    "@frequency",
    "./common.policy",
    "./fuzz.policy",
    "arch=x86_64",
    "\n",
    "#",
    "# c\n",
    "\\\n",
    "ALLOW",
    "KILL",
    "ERRNO(1)",
    "TRAP(70000)",
    "USE",
    "POLICY",
    "p",
    "DEFAULT",
    "ON",
    "x86_64",
    "SYSCALL[1]",
    "#define",
    "#include \"compiler.policy\"",
    "fd",
    "flags",
    "/*",
    "*/",
    "//",
    "-",
];

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn importers_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        import_never_panics(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn importers_never_panic_on_tokens(
        toks in prop::collection::vec(prop::sample::select(IMPORT_VOCAB), 0..60)
    ) {
        import_never_panics(&toks.join(" "));
    }
}

#[test]
fn importers_handle_deep_and_wide_inputs() {
    let n = 5_000;
    import_never_panics(&format!(
        "ALLOW {{ write {{ {}fd == 1{} }} }}",
        "(".repeat(n),
        ")".repeat(n)
    ));
    import_never_panics(&format!("ALLOW {{ write {{ {}fd == 1 }} }}", "!".repeat(n)));
    import_never_panics(&format!("read: {}", "arg0 == 1 || ".repeat(n)));
    import_never_panics(&format!(
        "read: arg0 == {}1{}",
        "(".repeat(n),
        ")".repeat(n)
    ));
    import_never_panics("@include ./fuzz.policy\n");
}
