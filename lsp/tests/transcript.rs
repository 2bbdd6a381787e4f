//! The real server over stdio: a session an editor would have, recorded
//! and snapshotted (URIs and the version redacted).

mod support;

use serde_json::{json, Value};
use support::{pos, uri, workdir, Client};

const BROKEN: &str = "use std::groups::{memory}

/// Constants and groups have documentation on hover.
const STDOUT = 1

profile app {
    targets x86_64, aarch64
    default errno(EPERM)
    allow memory
    allow write if fd == STDOUT
    allow opnat if flags & O_ACCMODE == O_RDONLY
}

test app {
    write(1, 0, 0) => allow
}
";

fn fixed() -> String {
    BROKEN.replace("opnat", "openat")
}

/// Semantic tokens as one line per token: line, start, length, type, mods.
fn tokens_table(v: &Value) -> String {
    let data: Vec<u64> = v["data"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    data.chunks(5)
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn editing_session() {
    let dir = workdir("editing_session");
    let file = dir.join("policy.moat");
    std::fs::write(&file, BROKEN).unwrap();
    let u = uri(&file);
    let mut c = Client::start(&dir);
    let init = c.initialize(&["utf-16"], json!({"debounceMs": 0}));
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");

    c.note("a policy with an unknown syscall: one error with a suggestion");
    c.open(&u, BROKEN);
    let d = c.diagnostics(&u, 1);
    let diags = d["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{d}");
    assert_eq!(diags[0]["code"], "E0108");

    c.note("the suggestion as a quick fix");
    let at = pos(BROKEN, "opnat", true);
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": u}, "range": {"start": at, "end": at}, "context": {"diagnostics": []}}),
    );
    assert!(actions[0]["title"].as_str().unwrap().contains("openat"));

    c.note("fixed: the diagnostics are cleared");
    let good = fixed();
    c.change(&u, 2, &good);
    let d = c.diagnostics(&u, 2);
    assert_eq!(d["diagnostics"], json!([]));

    c.note("hover: a syscall, an argument, a constant, a group");
    for needle in [
        "openat",
        "flags &",
        "STDOUT\n    allow",
        "memory\n    allow write",
    ] {
        let h = c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": u}, "position": pos(&good, needle, true)}),
        );
        assert!(h["contents"]["value"].as_str().is_some(), "{needle}: {h}");
    }

    c.note("completion of an errno name");
    let text3 = good.replace("default errno(EPERM)", "default errno(EPE)");
    c.change(&u, 3, &text3);
    c.diagnostics(&u, 3);
    let mut p = pos(&text3, "EPE)", true);
    p["character"] = json!(p["character"].as_u64().unwrap() + 3);
    let comp = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": u}, "position": p}),
    );
    assert_eq!(comp["items"][0]["label"], "EPERM");
    c.change(&u, 4, &good);
    c.diagnostics(&u, 4);

    c.note("definition: a local constant, and a group in the standard library");
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": u}, "position": pos(&good, "STDOUT\n    allow", true)}),
    );
    assert_eq!(def["uri"], u.as_str());
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": u}, "position": pos(&good, "memory\n    allow write", true)}),
    );
    let target = def["uri"].as_str().unwrap().to_string();
    assert!(target.ends_with("/groups.moat"), "{def}");
    let stdlib_text = std::fs::read_to_string(target.trim_start_matches("file://")).unwrap();
    assert_eq!(stdlib_text, moat::stdlib::source("groups").unwrap());

    c.note("references of the constant, declaration included");
    let refs = c.request(
        "textDocument/references",
        json!({"textDocument": {"uri": u}, "position": pos(&good, "STDOUT", true), "context": {"includeDeclaration": true}}),
    );
    assert_eq!(refs.as_array().unwrap().len(), 2);

    c.note("signature help in a test call");
    let mut p = pos(&good, "write(1, 0, 0)", true);
    p["character"] = json!(p["character"].as_u64().unwrap() + 9);
    let sig = c.request(
        "textDocument/signatureHelp",
        json!({"textDocument": {"uri": u}, "position": p}),
    );
    assert_eq!(sig["activeParameter"], 1);

    c.note("outline and folding");
    c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    c.request(
        "textDocument/foldingRange",
        json!({"textDocument": {"uri": u}}),
    );
    c.request("workspace/symbol", json!({"query": "app"}));

    c.note("semantic tokens (one token per line: Δline, Δstart, length, type, modifiers)");
    let toks = c.request_quiet(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": u}}),
    );
    let table = tokens_table(&toks);
    c.transcript.push_str(&format!(
        "<-- textDocument/semanticTokens/full\n{table}\n\n"
    ));

    c.note("formatting a messy version");
    let messy = "profile app{targets x86_64,aarch64;default errno(EPERM)\nallow write if fd==1 // stdout\n}\n";
    c.change(&u, 5, messy);
    c.diagnostics(&u, 5);
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    assert_eq!(
        edits[0]["newText"],
        "profile app {\n    targets x86_64, aarch64\n    default errno(EPERM)\n    allow write if fd == 1  // stdout\n}\n"
    );

    c.note("closing clears the file's diagnostics");
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": u}}));
    c.wait_for("textDocument/publishDiagnostics", |p| {
        p["diagnostics"] == json!([]) && p["version"].is_null()
    });

    let transcript = c.transcript.clone();
    assert_eq!(c.shutdown(), Some(0));
    insta::assert_snapshot!("editing_session", transcript);
}

/// UTF-8 when the client offers it, UTF-16 otherwise: on a line with
/// non-ASCII text both must land on the same name.
#[test]
fn position_encodings_on_non_ascii_lines() {
    let text = "profile p { targets x86_64 default allow }\n/* é😀 */ test p { /* ü */ openat(0) => allow }\n";
    for (offer, utf16) in [(vec!["utf-8", "utf-16"], false), (vec!["utf-16"], true)] {
        let dir = workdir(if utf16 { "enc16" } else { "enc8" });
        let file = dir.join("p.moat");
        let u = uri(&file);
        let mut c = Client::start(&dir);
        let init = c.initialize(&offer, json!({"debounceMs": 0}));
        let want = if utf16 { "utf-16" } else { "utf-8" };
        assert_eq!(init["capabilities"]["positionEncoding"], want);
        c.open(&u, text);
        c.diagnostics(&u, 1);
        let p = pos(text, "openat", utf16);
        let h = c.request_quiet(
            "textDocument/hover",
            json!({"textDocument": {"uri": u}, "position": p}),
        );
        assert!(
            h["contents"]["value"]
                .as_str()
                .unwrap_or("")
                .contains("openat("),
            "{want}: {h}"
        );
        // The range comes back in the same units.
        assert_eq!(h["range"]["start"], p, "{want}");
        let end = p["character"].as_u64().unwrap() + 6;
        assert_eq!(h["range"]["end"]["character"], end, "{want}");
        let col = p["character"].as_u64().unwrap();
        assert_eq!(col, if utf16 { 27 } else { 31 });
        assert_eq!(c.shutdown(), Some(0));
    }
}

/// A file importing another: diagnostics of the imported file show at the
/// import; an open buffer of the imported file stands in for the file on
/// disk as soon as it changes (no save needed), and closing it goes back
/// to the disk.
#[test]
fn imported_files_with_errors() {
    let dir = workdir("imports");
    let base = dir.join("base.moat");
    let broken = "profile base { targets x86_64 default allow allow opnat }\n";
    std::fs::write(&base, broken).unwrap();
    let main = dir.join("main.moat");
    let text = "use \"./base.moat\" as b\nprofile p extends b::base { allow read }\n";
    std::fs::write(&main, text).unwrap();
    let (ub, um) = (uri(&base), uri(&main));
    let mut c = Client::start(&dir);
    c.initialize(&["utf-16"], json!({"debounceMs": 0}));
    c.open(&um, text);
    let d = c.diagnostics(&um, 1);
    let msg = d["diagnostics"][0]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(msg.contains("base.moat") && msg.contains("opnat"), "{d}");
    // Open the base and fix it in the editor only: main is checked again
    // against the buffer.
    c.open(&ub, broken);
    c.diagnostics(&ub, 1);
    let fixed = "profile base { targets x86_64 default allow allow openat }\n";
    c.change(&ub, 2, fixed);
    c.diagnostics(&ub, 2);
    let d = c.wait_for("textDocument/publishDiagnostics", |p| {
        p["uri"] == um.as_str() && p["diagnostics"] == json!([])
    });
    assert_eq!(d["version"], 1, "{d}");
    // Closing the unsaved buffer: main reads the broken file again.
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": ub}}),
    );
    let d = c.wait_for("textDocument/publishDiagnostics", |p| {
        p["uri"] == um.as_str() && p["diagnostics"] != json!([])
    });
    assert!(
        d["diagnostics"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("opnat"),
        "{d}"
    );
    // Saved to disk and opened again: clean.
    std::fs::write(&base, fixed).unwrap();
    c.open(&ub, fixed);
    c.notify("textDocument/didSave", json!({"textDocument": {"uri": ub}}));
    c.wait_for("textDocument/publishDiagnostics", |p| {
        p["uri"] == um.as_str() && p["diagnostics"] == json!([])
    });
    assert_eq!(c.shutdown(), Some(0));
}

/// Incremental sync: ranged edits in UTF-16 units on a line with
/// non-ASCII text before the edit.
#[test]
fn incremental_changes() {
    let dir = workdir("incremental");
    let u = uri(&dir.join("inc.moat"));
    let text =
        "profile p { targets x86_64 default allow }\ntest p { /* é😀 */ opnat(0) => allow }\n";
    let mut c = Client::start(&dir);
    let init = c.initialize(&["utf-16"], json!({"debounceMs": 0}));
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 2);
    c.open(&u, text);
    let d = c.diagnostics(&u, 1);
    assert_eq!(d["diagnostics"].as_array().map(Vec::len), Some(1), "{d}");
    // Replace `opnat` by `openat`, then insert a comment at the line's start.
    let start = pos(text, "opnat", true);
    let mut end = start.clone();
    end["character"] = json!(start["character"].as_u64().unwrap() + 5);
    c.notify_quiet(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [
            {"range": {"start": start, "end": end}, "text": "openat"},
            {"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}, "text": "/* ü */ "}
        ]}),
    );
    let d = c.diagnostics(&u, 2);
    assert_eq!(d["diagnostics"], json!([]), "{d}");
    let now = "profile p { targets x86_64 default allow }\n/* ü */ test p { /* é😀 */ openat(0) => allow }\n";
    let h = c.request_quiet(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": pos(now, "openat", true)}),
    );
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("openat("),
        "{h}"
    );
    // A whole-text change still works.
    c.change(&u, 3, text);
    let d = c.diagnostics(&u, 3);
    assert_eq!(d["diagnostics"].as_array().map(Vec::len), Some(1), "{d}");
    assert_eq!(c.shutdown(), Some(0));
}
