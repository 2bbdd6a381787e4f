//! The tree-sitter grammar (`editors/tree-sitter-moat`) against the
//! compiler, without the tree-sitter CLI:
//!
//! * the corpus (`test/corpus/*.txt`) gives the trees `tree-sitter test`
//!   expects, and the checked-in parser produces them;
//! * every `.moat` file and every `moat` code block of the docs parses
//!   without an error node exactly when the compiler's parser accepts it,
//!   and so do mutations of them and a list of corners;
//! * the queries compile, use the standard capture names, and highlight
//!   every keyword of the compiler's one list (`syntax::ast`), so a new
//!   keyword fails here until the grammar, its highlights (the grammar's,
//!   Helix's, Emacs's) and its corpus know it;
//! * headless Neovim loads the parser and highlights with it (skipped
//!   without `nvim`);
//! * with a `tree-sitter` CLI on `PATH`, `tree-sitter test` passes and
//!   `tree-sitter generate` reproduces the checked-in parser.

use moat::diagnostics::codes;
use moat::source::FileId;
use moat::syntax::ast::{ActionKind, ITEM_KEYWORDS, STATEMENT_KEYWORDS};
use moat_tests::{moat_files, repo};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use streaming_iterator::StreamingIterator;
use tree_sitter::{Language, Node, Parser, Query, QueryCursor, Tree};

fn grammar_dir() -> PathBuf {
    repo().join("editors/tree-sitter-moat")
}

fn language() -> Language {
    tree_sitter_moat::LANGUAGE.into()
}

fn parse(text: &str) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&language())
        .expect("the generated parser's ABI is one the runtime reads");
    parser
        .parse(text, None)
        .expect("no timeout or cancellation")
}

fn keywords() -> Vec<&'static str> {
    let mut k: Vec<&'static str> = ITEM_KEYWORDS.to_vec();
    k.extend_from_slice(STATEMENT_KEYWORDS);
    k.extend(ActionKind::ALL.iter().map(|a| a.keyword()));
    k
}

// ---------------------------------------------------------------- corpus

struct Case {
    file: String,
    name: String,
    input: String,
    expected: String,
}

fn is_rule(line: &str, c: char) -> bool {
    line.len() >= 3 && line.chars().all(|x| x == c)
}

/// Reads tree-sitter's corpus format: a name between two `===` lines, the
/// input, a `---` line, the expected tree.
fn corpus() -> Vec<Case> {
    let dir = grammar_dir().join("test/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            if !is_rule(lines[i], '=') {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            let mut name = Vec::new();
            while j < lines.len() && !is_rule(lines[j], '=') {
                // Attributes (`:error`, `:skip`) are not used here.
                name.push(lines[j]);
                j += 1;
            }
            let start = j + 1;
            let mut k = start;
            while k < lines.len() && !is_rule(lines[k], '-') {
                k += 1;
            }
            let input = lines[start..k].join("\n");
            let mut end = k + 1;
            while end < lines.len() && !is_rule(lines[end], '=') {
                end += 1;
            }
            let expected = lines[(k + 1).min(lines.len())..end].join("\n");
            cases.push(Case {
                file: file.clone(),
                name: name.join(" ").trim().to_string(),
                input: input.trim_matches('\n').to_string(),
                expected,
            });
            i = end;
        }
    }
    cases
}

/// An S-expression with one space between tokens, as `tree-sitter test`
/// compares them.
fn normalize(sexp: &str) -> String {
    let spaced = sexp.replace('(', " ( ").replace(')', " ) ");
    let mut out = String::new();
    for tok in spaced.split_whitespace() {
        if !(out.is_empty() || out.ends_with('(') || tok == ")") {
            out.push(' ');
        }
        out.push_str(tok);
    }
    out
}

fn strip_fields(sexp: &str) -> String {
    normalize(
        &sexp
            .split(' ')
            .filter(|t| !t.ends_with(':'))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

#[test]
fn corpus_trees_match() {
    let cases = corpus();
    assert!(cases.len() >= 20, "only {} corpus cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let expected = normalize(&c.expected);
        let mut actual = normalize(&parse(&c.input).root_node().to_sexp());
        // As `tree-sitter test`: field names count only where the expected
        // tree writes them.
        if !expected.contains(": ") {
            actual = strip_fields(&actual);
        }
        if actual != expected {
            failures.push(format!(
                "{}: {}\n  expected: {expected}\n  actual:   {actual}",
                c.file, c.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------- agreement with the compiler

/// Every `.moat` file of the repository and every `moat` block of its
/// Markdown, with a name for messages.
fn sources() -> Vec<(String, String)> {
    let root = repo();
    let mut files = Vec::new();
    moat_files(&root, &mut files);
    files.sort();
    let mut out: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            let name = p.strip_prefix(&root).unwrap_or(p).display().to_string();
            (name, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    let mut docs = vec![root.join("README.md")];
    for dir in ["docs", "editors"] {
        if let Ok(rd) = std::fs::read_dir(root.join(dir)) {
            docs.extend(
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "md")),
            );
        }
    }
    docs.sort();
    for doc in docs {
        let Ok(text) = std::fs::read_to_string(&doc) else {
            continue;
        };
        let name = doc.strip_prefix(&root).unwrap().display().to_string();
        let mut block: Option<(usize, String)> = None;
        for (n, line) in text.lines().enumerate() {
            match &mut block {
                None if line.trim_start() == "```moat" => block = Some((n + 1, String::new())),
                Some((start, body)) if line.trim_start().starts_with("```") => {
                    out.push((format!("{name}:{start}"), std::mem::take(body)));
                    block = None;
                }
                Some((_, body)) => {
                    body.push_str(line);
                    body.push('\n');
                }
                None => {}
            }
        }
    }
    out
}

/// What the compiler's parser makes of `text`: `Some(true)` accepted,
/// `Some(false)` a syntax error, `None` only errors a highlighter does not
/// see (a bad number or escape, a nesting limit).
fn compiler_accepts(text: &str) -> Option<bool> {
    let parsed = moat::syntax::parse(text, FileId(0));
    if parsed.diagnostics.is_empty() {
        return Some(true);
    }
    let syntactic = [codes::SYNTAX, codes::INVALID_CHAR, codes::UNKNOWN_ACTION];
    if parsed
        .diagnostics
        .iter()
        .any(|d| syntactic.contains(&d.code))
    {
        Some(false)
    } else {
        None
    }
}

/// The first error or missing node, as `row:column kind`.
fn first_error(tree: &Tree) -> Option<String> {
    fn walk(n: Node) -> Option<Node> {
        if n.is_error() || n.is_missing() {
            return Some(n);
        }
        if !n.has_error() {
            return None;
        }
        let mut cursor = n.walk();
        let found = n.children(&mut cursor).find_map(walk);
        found
    }
    walk(tree.root_node()).map(|n| {
        let p = n.start_position();
        format!("{}:{} {}", p.row + 1, p.column + 1, n.to_sexp())
    })
}

#[test]
fn repository_sources_parse_as_the_compiler_says() {
    let sources = sources();
    assert!(sources.len() > 50, "only {} sources found", sources.len());
    let mut clean = 0;
    let mut wrong = Vec::new();
    for (name, text) in &sources {
        let ts = first_error(&parse(text));
        match (compiler_accepts(text), &ts) {
            (Some(true), Some(err)) => wrong.push(format!(
                "{name}: the compiler accepts it, tree-sitter errs at {err}"
            )),
            (Some(true), None) => clean += 1,
            (Some(false), None) => wrong.push(format!(
                "{name}: the compiler reports a syntax error, tree-sitter accepts it"
            )),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(clean > 40, "only {clean} sources parse cleanly");
}

/// Corners of the syntax, each accepted or rejected by both parsers alike.
const CORNERS: &[&str] = &[
    "const X = match + 1",
    "test p { kill(match: 1) => allow }",
    "profile p { allow match if match == 1 }",
    "const X = match arch { }",
    "const X = match arch { x86_64 => 1 }",
    "const X = match arch { x86_64 | x32 => 1, _ => -1, }",
    "const X = --1 + ~0 * (2)",
    "profile p { allow read if x == a::null }",
    "profile p { allow read if x == null::a }",
    "profile p { allow read if null == x }",
    "profile p { allow read if !x }",
    "profile p { allow read if x in -1..=2 }",
    "profile p { allow read if x == 1 == 2 }",
    "profile p { allow read if x = 1 }",
    "profile p { allow read;; }",
    "profile p { allow read; }",
    "profile p {}",
    "profile p { on x86_64 {} }",
    "profile p { errno\n(EPERM)\nread }",
    "profile p { trap(1 + 2) read }",
    "profile p { allow }",
    "profile p { allow read, }",
    "profile p { read }",
    "profile p { targets }",
    "profile p { flags }",
    "profile extends extends extends {}",
    "mixin mixin {} test test {} group group = [group]",
    "use \"x.moat\" as as",
    "use std",
    "use std::{a, b}",
    "use std::",
    "group g = [read,]",
    "group g = [,]",
    "test p {}",
    "test p { x86_64 : kill(pid: if, 2,) => errno(EPERM); }",
    "test p { kill() => allow kill() => allow }",
    "test p { kill() }",
    "test p { kill => allow }",
    "/* /* */ profile p {}",
    "/* a */ */",
];

#[test]
fn corners_agree_with_the_compiler() {
    let mut wrong = Vec::new();
    for text in CORNERS {
        let text = text.replace("\\n", "\n");
        let ts = first_error(&parse(&text));
        match (compiler_accepts(&text), ts) {
            (Some(true), Some(err)) => wrong.push(format!("{text:?}: tree-sitter errs at {err}")),
            (Some(false), None) => wrong.push(format!("{text:?}: tree-sitter accepts it")),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The compiler's tokens of `text` with the text between them, so a
/// mutation can drop, repeat or swap whole tokens.
fn pieces(text: &str) -> Vec<String> {
    let lexed = moat::syntax::lexer::lex(text, FileId(0));
    let mut out = Vec::new();
    let mut at = 0;
    for &(l, _, r) in &lexed.tokens {
        out.push(text[at..l].to_string());
        out.push(text[l..r].to_string());
        at = r;
    }
    out.push(text[at..].to_string());
    out
}

fn seeds() -> Vec<Vec<String>> {
    sources()
        .into_iter()
        .filter(|(n, t)| {
            !n.contains("ui/syntax") && t.len() < 4000 && compiler_accepts(t) == Some(true)
        })
        .map(|(_, t)| pieces(&t))
        .collect()
}

#[derive(Clone, Debug)]
enum Edit {
    Drop(usize),
    Repeat(usize),
    Swap(usize, usize),
    /// Replace a token by a keyword of the compiler's list.
    Keyword(usize, usize),
    /// Replace a token by a piece of punctuation.
    Punct(usize, usize),
}

const PUNCT: &[&str] = &[
    "{", "}", "(", ")", "[", "]", ",", ";", "::", ":", "=>", "=", "==", "|", "&", "!", "-", "..",
    "..=", "0x1f", "\"s\"", "/* c */", "/// d\n", "x",
];

fn mutate(seed: &[String], edits: &[Edit]) -> String {
    let mut toks: Vec<String> = seed.to_vec();
    let kws = keywords();
    // Odd indices are tokens, even ones the text between them.
    let tok = |i: usize, n: usize| (i % (n / 2).max(1)) * 2 + 1;
    for e in edits {
        let n = toks.len();
        if n < 3 {
            break;
        }
        match *e {
            Edit::Drop(i) => toks[tok(i, n)].clear(),
            Edit::Repeat(i) => {
                let t = tok(i, n);
                let s = format!("{} {}", toks[t], toks[t]);
                toks[t] = s;
            }
            Edit::Swap(i, j) => toks.swap(tok(i, n), tok(j, n)),
            Edit::Keyword(i, k) => toks[tok(i, n)] = kws[k % kws.len()].to_string(),
            Edit::Punct(i, k) => toks[tok(i, n)] = PUNCT[k % PUNCT.len()].to_string(),
        }
    }
    toks.concat()
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Drop),
        any::<usize>().prop_map(Edit::Repeat),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Edit::Swap(i, j)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, k)| Edit::Keyword(i, k)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, k)| Edit::Punct(i, k)),
    ]
}

proptest! {
    // A mutation a few tokens away from a real policy is what an editor
    // sees while a person types; about one in ten still compiles.
    #![proptest_config(ProptestConfig {
        cases: 1000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Mutated policies never crash the parser, its tree spans the text,
    /// and it finds a syntax error exactly when the compiler does.
    #[test]
    fn mutations_parse_as_the_compiler_says(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..3),
    ) {
        thread_local! {
            static SEEDS: Vec<Vec<String>> = seeds();
        }
        let text = SEEDS.with(|s| mutate(&s[seed.index(s.len())], &edits));
        let tree = parse(&text);
        prop_assert_eq!(tree.root_node().end_byte(), text.len());
        let err = first_error(&tree);
        match compiler_accepts(&text) {
            Some(true) => prop_assert!(err.is_none(), "the compiler accepts this, tree-sitter errs at {:?}:\n{}", err, text),
            // The one name the compiler takes only as a plain identifier is
            // `match`'s scrutinee (`match targets { … }` is a syntax error
            // there); tree-sitter reads any word, which a highlighter may.
            Some(false) if !text.contains("match") => prop_assert!(err.is_some(), "the compiler rejects this, tree-sitter accepts it:\n{}", text),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------- queries

/// `STANDARD_CAPTURE_NAMES` of tree-sitter-highlight 0.27: the names the
/// tree-sitter CLI highlights and editors' themes map.
const STANDARD_CAPTURES: &[&str] = &[
    "attribute",
    "boolean",
    "carriage-return",
    "comment",
    "comment.documentation",
    "constant",
    "constant.builtin",
    "constructor",
    "constructor.builtin",
    "embedded",
    "error",
    "escape",
    "function",
    "function.builtin",
    "keyword",
    "module",
    "number",
    "operator",
    "property",
    "property.builtin",
    "punctuation",
    "punctuation.bracket",
    "punctuation.delimiter",
    "punctuation.special",
    "string",
    "string.escape",
    "string.regexp",
    "string.special",
    "string.special.symbol",
    "tag",
    "type",
    "type.builtin",
    "variable",
    "variable.builtin",
    "variable.member",
    "variable.parameter",
];

fn query(source: &str, what: &str) -> Query {
    Query::new(&language(), source).unwrap_or_else(|e| panic!("{what}: {e}"))
}

#[test]
fn queries_compile_with_standard_captures() {
    let highlights = query(tree_sitter_moat::HIGHLIGHTS_QUERY, "highlights.scm");
    for name in highlights.capture_names() {
        assert!(
            STANDARD_CAPTURES.contains(name),
            "highlights.scm: `@{name}` is not a standard capture name"
        );
    }
    let folds = query(tree_sitter_moat::FOLDS_QUERY, "folds.scm");
    assert_eq!(folds.capture_names(), ["fold"]);
    let locals = query(tree_sitter_moat::LOCALS_QUERY, "locals.scm");
    for name in locals.capture_names() {
        assert!(name.starts_with("local."), "locals.scm: `@{name}`");
    }
}

/// Every leaf of `tree` that is one of `words`, as (kind, byte offset).
fn keyword_leaves(tree: &Tree, words: &[&str], out: &mut Vec<(String, usize)>) {
    let mut cursor = tree.walk();
    loop {
        let n = cursor.node();
        if n.child_count() == 0 && words.contains(&n.kind()) && !n.is_missing() {
            out.push((n.kind().to_string(), n.start_byte()));
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// The string queries of `treesit-font-lock-rules` in moat-ts-mode.el,
/// unescaped: each string right after a `:feature 'NAME` line.
fn emacs_queries() -> Vec<String> {
    let path = repo().join("editors/emacs/moat-ts-mode.el");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = Vec::new();
    for part in text.split(":feature '").skip(1) {
        let open = part.find('"').expect("a query string after :feature");
        let mut q = String::new();
        let mut chars = part[open + 1..].chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => q.extend(chars.next()),
                '"' => break,
                c => q.push(c),
            }
        }
        out.push(q);
    }
    assert!(
        out.len() >= 5,
        "{}: only {} queries",
        path.display(),
        out.len()
    );
    out
}

/// Every highlighting query an editor loads: (what, query text).
fn highlight_queries() -> Vec<(&'static str, String)> {
    let helix = repo().join("editors/helix/runtime/queries/moat/highlights.scm");
    vec![
        (
            "tree-sitter-moat/queries/highlights.scm",
            tree_sitter_moat::HIGHLIGHTS_QUERY.to_string(),
        ),
        (
            "helix/runtime/queries/moat/highlights.scm",
            std::fs::read_to_string(helix).unwrap_or_default(),
        ),
        ("emacs/moat-ts-mode.el", emacs_queries().join("\n")),
    ]
}

#[test]
fn emacs_queries_compile() {
    for (i, q) in emacs_queries().iter().enumerate() {
        let query = query(q, &format!("moat-ts-mode.el, query {}", i + 1));
        for name in query.capture_names() {
            assert!(
                name.starts_with("font-lock-") && name.ends_with("-face"),
                "moat-ts-mode.el: `@{name}` is not a font-lock face"
            );
        }
    }
}

#[test]
fn every_keyword_is_in_the_grammar_and_highlighted() {
    let lang = language();
    let words = keywords();
    let mut missing = Vec::new();
    for k in &words {
        // `null` is a named node (a literal), the others anonymous tokens.
        if lang.id_for_node_kind(k, false) == 0 && lang.id_for_node_kind(k, true) == 0 {
            missing.push(format!("grammar.js has no `{k}` token"));
        }
    }
    let queries: Vec<(&str, Query)> = highlight_queries()
        .into_iter()
        .map(|(what, text)| {
            for k in &words {
                if !text.contains(&format!("\"{k}\"")) && !text.contains(&format!("({k})")) {
                    missing.push(format!("{what} does not mention `{k}`"));
                }
            }
            (what, query(&text, what))
        })
        .collect();
    // Every keyword occurring as a keyword in the corpus and the repository
    // gets a highlight, and the corpus has each of them.
    let mut in_corpus = BTreeSet::new();
    let texts = corpus()
        .into_iter()
        .map(|c| (true, c.input))
        .chain(sources().into_iter().map(|(_, t)| (false, t)));
    for (is_corpus, text) in texts {
        let tree = parse(&text);
        let mut leaves = Vec::new();
        keyword_leaves(&tree, &words, &mut leaves);
        if is_corpus {
            in_corpus.extend(leaves.iter().map(|(k, _)| k.clone()));
        }
        for (what, q) in &queries {
            let mut captured = BTreeSet::new();
            let mut cursor = QueryCursor::new();
            let mut caps = cursor.captures(q, tree.root_node(), text.as_bytes());
            while let Some((m, i)) = caps.next() {
                captured.insert(m.captures[*i].node.start_byte());
            }
            for (kind, at) in &leaves {
                if !captured.contains(at) {
                    missing.push(format!(
                        "{what}: `{kind}` at byte {at} is not highlighted in:\n{text}"
                    ));
                }
            }
        }
    }
    for k in &words {
        if !in_corpus.contains(*k) {
            missing.push(format!("no corpus case uses the keyword `{k}`"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// node-types.json comes from the same `tree-sitter generate` run as
/// parser.c; a kind one knows and the other does not means one of them was
/// edited or regenerated alone.
#[test]
fn node_types_match_the_parser() {
    let lang = language();
    let types: serde_json::Value = serde_json::from_str(tree_sitter_moat::NODE_TYPES).unwrap();
    let mut kinds = 0;
    for t in types.as_array().unwrap() {
        let kind = t["type"].as_str().unwrap();
        let named = t["named"].as_bool().unwrap();
        assert!(
            lang.id_for_node_kind(kind, named) != 0,
            "node-types.json names `{kind}`, which the parser does not know"
        );
        kinds += 1;
    }
    assert!(kinds > 20);
}

/// Helix names some scopes its own way; everything else in highlights.scm
/// is a Helix scope already.
const HELIX_NAMES: &[(&str, &str)] = &[
    ("number", "constant.numeric.integer"),
    ("module", "namespace"),
    ("string.escape", "constant.character.escape"),
    ("comment.documentation", "comment.line.documentation"),
];

const HELIX_HEADER: &str = "\
;; Generated from editors/tree-sitter-moat/queries/highlights.scm with Helix's
;; scope names (tests/tests/tree_sitter.rs checks it is up to date; run the
;; test with MOAT_BLESS=1 to rewrite it).

";

/// highlights.scm with Helix's scope names.
fn helix_highlights(standard: &str) -> String {
    let mut out = String::from(HELIX_HEADER);
    let mut rest = standard;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        let mapped = HELIX_NAMES
            .iter()
            .find(|(from, _)| *from == name)
            .map_or(name, |(_, to)| to);
        out.push_str(mapped);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn helix_queries_follow_the_grammar() {
    let path = repo().join("editors/helix/runtime/queries/moat/highlights.scm");
    let want = helix_highlights(tree_sitter_moat::HIGHLIGHTS_QUERY);
    if std::env::var("MOAT_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run this test with MOAT_BLESS=1",
        path.display()
    );
    query(&have, "helix highlights.scm");
    let dir = path.parent().unwrap();
    let locals = std::fs::read_to_string(dir.join("locals.scm")).unwrap_or_default();
    assert!(
        locals == tree_sitter_moat::LOCALS_QUERY,
        "editors/helix/runtime/queries/moat/locals.scm differs from the grammar's"
    );
    let indents = std::fs::read_to_string(dir.join("indents.scm")).unwrap();
    let indents = query(&indents, "helix indents.scm");
    assert_eq!(indents.capture_names(), ["indent", "outdent"]);
}

// ---------------------------------------------------------------- the CLI, when there is one

/// The CLI version that generated `src/parser.c`; another version writes a
/// different file, so only this one can check it is up to date.
const GENERATED_BY: &str = "0.27.1";

/// The parser's ABI: 14 rather than the CLI's default 15, because the
/// tree-sitter libraries of Debian 12 (0.20), Emacs 29 and Helix read at
/// most 14. The runtime crate reads both.
const ABI: &str = "14";

fn cli() -> Option<(PathBuf, String)> {
    let exe =
        std::env::var_os("TREE_SITTER").map_or_else(|| PathBuf::from("tree-sitter"), PathBuf::from);
    let out = std::process::Command::new(&exe)
        .arg("--version")
        .output()
        .ok()?;
    let version = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)?
        .to_string();
    out.status.success().then_some((exe, version))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn tree_sitter_cli_agrees() {
    let Some((exe, version)) = cli() else {
        println!("SKIPPED: no `tree-sitter` CLI on PATH (or in $TREE_SITTER); `cargo install tree-sitter-cli` brings one");
        return;
    };
    let dir = grammar_dir();
    let tmp = std::env::temp_dir().join(format!("moat-tree-sitter-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    for sub in ["queries", "test", "src"] {
        copy_dir(&dir.join(sub), &tmp.join(sub));
    }
    for f in ["grammar.js", "tree-sitter.json", "package.json"] {
        std::fs::copy(dir.join(f), tmp.join(f)).unwrap();
    }
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&exe)
            .args(args)
            .current_dir(&tmp)
            .output()
            .expect("run tree-sitter");
        assert!(
            out.status.success(),
            "tree-sitter {}:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["generate", "--abi", ABI]);
    if version == GENERATED_BY {
        for f in ["parser.c", "grammar.json", "node-types.json"] {
            let fresh = std::fs::read_to_string(tmp.join("src").join(f)).unwrap();
            let checked_in = std::fs::read_to_string(dir.join("src").join(f)).unwrap();
            assert!(
                fresh == checked_in,
                "src/{f} is stale: run `tree-sitter generate` in editors/tree-sitter-moat"
            );
        }
    } else {
        eprintln!(
            "not comparing src/parser.c: tree-sitter {version} is not {GENERATED_BY}, which generated it"
        );
    }
    run(&["test"]);
    let _ = std::fs::remove_dir_all(&tmp);
}

// ---------------------------------------------------------------- a real editor

const NVIM_SCRIPT: &str = r#"
local dir = vim.env.MOAT_TEST_DIR
local function finish(text, code)
  local f = io.open(dir .. "/result.txt", "w")
  f:write(text)
  f:close()
  vim.cmd(code == 0 and "qall!" or "cquit " .. code)
end
local ok, err = pcall(function()
  local so = dir .. "/moat.so"
  -- vim.treesitter.language.add is 0.9+; Debian 12 ships 0.7.
  if vim.treesitter.language and vim.treesitter.language.add then
    vim.treesitter.language.add("moat", { path = so })
  else
    vim.treesitter.require_language("moat", so)
  end
  vim.cmd("edit " .. dir .. "/policy.moat")
  local root = vim.treesitter.get_parser(0, "moat"):parse()[1]:root()
  if root:has_error() then
    error("the buffer does not parse: " .. root:sexpr())
  end
  local tsq = require("vim.treesitter.query")
  local parse = tsq.parse or tsq.parse_query
  local query = parse("moat", table.concat(vim.fn.readfile(vim.env.MOAT_HIGHLIGHTS), "\n"))
  local lines = {}
  for id, node in query:iter_captures(root, 0, 0, -1) do
    local row, col = node:start()
    local text = vim.treesitter.get_node_text and vim.treesitter.get_node_text(node, 0)
      or tsq.get_node_text(node, 0)
    table.insert(lines, string.format("%d:%d %s %s", row, col, query.captures[id], text))
  end
  return table.concat(lines, "\n")
end)
if ok then finish(err, 0) else finish(tostring(err), 2) end
"#;

/// Neovim, with its own tree-sitter library (0.20 on Debian 12), loads the
/// parser built from `src/` as a user would and highlights with
/// highlights.scm: proof that the ABI and the query syntax suit a real
/// editor, not only the runtime crate. Skipped without `nvim` or `cc`.
#[test]
fn neovim_highlights_with_the_grammar() {
    let Ok(v) = std::process::Command::new("nvim").arg("--version").output() else {
        println!("SKIPPED: nvim is not installed (apt-get install neovim)");
        return;
    };
    println!(
        "{}",
        String::from_utf8_lossy(&v.stdout)
            .lines()
            .next()
            .unwrap_or("nvim")
    );
    let dir = std::env::temp_dir().join(format!("moat-ts-nvim-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let src = grammar_dir().join("src");
    let built = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-O1", "-I"])
        .arg(&src)
        .arg(src.join("parser.c"))
        .arg(src.join("scanner.c"))
        .arg("-o")
        .arg(dir.join("moat.so"))
        .status();
    if !built.is_ok_and(|s| s.success()) {
        println!("SKIPPED: no C compiler to build the parser (cc)");
        return;
    }
    std::fs::write(
        dir.join("policy.moat"),
        "use std::docker\nprofile p extends docker::default {\n    allow read if fd == STDIN // c\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("init.lua"), NVIM_SCRIPT).unwrap();
    let status = std::process::Command::new("nvim")
        .args(["--headless", "--clean", "-u"])
        .arg(dir.join("init.lua"))
        .env("MOAT_TEST_DIR", &dir)
        .env(
            "MOAT_HIGHLIGHTS",
            grammar_dir().join("queries/highlights.scm"),
        )
        .stdin(std::process::Stdio::null())
        .status()
        .expect("run nvim");
    let result = std::fs::read_to_string(dir.join("result.txt")).unwrap_or_default();
    assert!(status.success(), "nvim exited with {status}: {result}");
    for want in [
        "0:0 keyword use",
        "0:4 module std",
        "1:0 keyword profile",
        "1:8 type p",
        "1:10 keyword extends",
        "1:18 module docker",
        "1:26 type default",
        "2:4 keyword allow",
        "2:10 function read",
        "2:15 keyword if",
        "2:18 variable.parameter fd",
        "2:24 constant STDIN",
        "2:30 comment // c",
    ] {
        assert!(
            result.lines().any(|l| l == want),
            "Neovim's captures lack `{want}`:\n{result}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
