//! Random edits and random requests at random positions: the server must
//! answer every request (never with an error) and stay alive.

mod support;

use serde_json::{json, Value};
use support::{uri, workdir, Client};

/// A small deterministic generator (no seed files, same run every time).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SNIPPETS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "allow ",
    "if ",
    "é",
    "😀",
    "errno(",
    "::",
    ",",
    "\n",
    "/*",
    "*/",
    "\"",
    "0x",
    "-",
    "std::",
    "profile q {",
    "test web_server {",
    "=>",
    "on x86_64 {",
    "use std::",
    "const C = ",
    "match arch {",
    "kill",
    " in [",
    "..=",
    "///",
    "//",
    "flags & ",
];

/// The LSP position of byte `at`, the column in UTF-16 units.
fn utf16_pos(text: &str, at: usize) -> Value {
    let line = text[..at].matches('\n').count();
    let start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    json!({"line": line, "character": text[start..at].encode_utf16().count()})
}

fn char_floor(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[test]
fn random_edits_never_break_the_server() {
    let dir = workdir("robustness");
    let u = uri(&dir.join("fuzz.moat"));
    let mut text = include_str!("../../examples/web-server.moat").to_string();
    let mut c = Client::start(&dir);
    c.initialize(&["utf-16"], json!({"debounceMs": 0}));
    c.notify_quiet(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": u, "languageId": "moat", "version": 1, "text": text}}),
    );
    let mut rng = Rng(0x5eed);
    let methods = [
        "textDocument/hover",
        "textDocument/completion",
        "textDocument/definition",
        "textDocument/references",
        "textDocument/signatureHelp",
        "textDocument/documentHighlight",
        "textDocument/semanticTokens/full",
        "textDocument/formatting",
        "textDocument/documentSymbol",
        "textDocument/foldingRange",
        "textDocument/codeAction",
    ];
    let mut answered = 0;
    for version in 2..=301i64 {
        // Edit: delete a range, insert a snippet, or both; sent as the whole
        // text or (every other version) as a ranged change in UTF-16 units.
        let at = char_floor(&text, rng.below(text.len() + 1));
        let end = if rng.below(2) == 0 {
            char_floor(&text, at + rng.below(24)).max(at)
        } else {
            at
        };
        let insert = if rng.below(3) != 0 {
            SNIPPETS[rng.below(SNIPPETS.len())]
        } else {
            ""
        };
        let (start_pos, end_pos) = (utf16_pos(&text, at), utf16_pos(&text, end));
        text.replace_range(at..end, insert);
        let change = if version % 2 == 0 {
            json!({"range": {"start": start_pos, "end": end_pos}, "text": insert})
        } else {
            json!({"text": text})
        };
        c.notify_quiet(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": version}, "contentChanges": [change]}),
        );
        for _ in 0..3 {
            let method = methods[rng.below(methods.len())];
            let lines = text.lines().count().max(1);
            let p = json!({"line": rng.below(lines + 2), "character": rng.below(90)});
            let params = json!({
                "textDocument": {"uri": u},
                "position": p,
                "range": {"start": p, "end": p},
                "context": {"includeDeclaration": true, "diagnostics": [], "triggerKind": 1, "isRetrigger": false},
                "options": {"tabSize": 4, "insertSpaces": true},
            });
            let r: Value = c.request_quiet(method, params);
            assert!(
                r.get("error").is_none(),
                "{method} failed at version {version}: {r}\n--- text ---\n{text}"
            );
            answered += 1;
        }
    }
    // Still alive and current: the last version gets its diagnostics, and
    // the server's text is the client's (ranged edits applied right).
    c.wait_for_quiet("textDocument/publishDiagnostics", |p| p["version"] == 301);
    let formatted = c.request_quiet(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    match moat::fmt::format(&text) {
        Ok(out) if out == text => assert_eq!(formatted, json!([])),
        Ok(out) => assert_eq!(formatted[0]["newText"], out.as_str()),
        Err(_) => assert_eq!(formatted, Value::Null),
    }
    let syms = c.request_quiet(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    let a = moat::sema::analyze_source("x", None, &text, &moat::sema::Options::default());
    let local = moat::ide::symbols::document_symbols(&a);
    assert_eq!(syms.as_array().map(Vec::len), Some(local.len()), "{syms}");
    assert_eq!(answered, 900);
    assert_eq!(c.shutdown(), Some(0));
}
