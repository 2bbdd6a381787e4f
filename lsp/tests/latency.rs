//! How long diagnostics take after an edit of a 2,000-line policy, from
//! `didChange` to `publishDiagnostics`, without debouncing. Prints the
//! median; the bound asserted here is loose because debug builds are slow
//! (the documented number is from `cargo test --release`).

mod support;

use serde_json::json;
use std::time::{Duration, Instant};
use support::{uri, workdir, Client};

/// 20 profiles of 100 lines: settings, rules with conditions, `on` blocks.
pub fn big_policy() -> String {
    let calls = [
        "read", "write", "openat", "close", "socket", "connect", "ioctl", "fcntl", "clone",
        "prctl", "lseek", "dup3", "kill", "setuid",
    ];
    let mut s = String::from("use std::groups::{memory}\n\n");
    let mut lines = 2;
    let mut p = 0;
    while lines < 2000 {
        s.push_str(&format!(
            "/// Profile {p}.\nprofile p{p} {{\n    targets x86_64, aarch64\n    default errno(EPERM)\n    allow memory\n"
        ));
        lines += 5;
        for i in 0..90 {
            let call = calls[(i + p) % calls.len()];
            let line = match call {
                "openat" => {
                    format!("    allow openat if flags & O_ACCMODE == O_RDONLY && mode == {i}\n")
                }
                "socket" => {
                    format!("    allow socket if domain in [AF_INET, AF_UNIX] && type == {i}\n")
                }
                "ioctl" => format!("    errno(ENOTTY) ioctl if request == {}\n", 0x5400 + i),
                "fcntl" => format!("    allow fcntl if cmd == {i}\n"),
                "clone" => format!("    allow clone if flags == {i}\n"),
                "prctl" => format!("    allow prctl if option == {i}\n"),
                "kill" => format!("    allow kill if sig == {i}\n"),
                "setuid" => format!("    allow setuid if uid == {i}\n"),
                "dup3" => format!("    allow dup3 if oldfd == {i}\n"),
                other => format!("    allow {other} if fd == {i}\n"),
            };
            s.push_str(&line);
            lines += 1;
        }
        s.push_str("    on x86_64 {\n        allow arch_prctl\n    }\n}\n\n");
        lines += 5;
        p += 1;
    }
    s
}

#[test]
fn diagnostics_after_an_edit_of_a_2000_line_policy() {
    let text = big_policy();
    assert!(text.lines().count() >= 2000, "{}", text.lines().count());
    let dir = workdir("latency");
    let u = uri(&dir.join("big.moat"));
    let mut c = Client::start(&dir);
    c.initialize(&["utf-16"], json!({"debounceMs": 0}));
    c.notify_quiet(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": u, "languageId": "moat", "version": 1, "text": text}}),
    );
    c.wait_for_quiet("textDocument/publishDiagnostics", |p| p["version"] == 1);
    let mut times = Vec::new();
    for v in 2..=12i64 {
        // Alternate a typo and its fix in one rule.
        let edited = if v % 2 == 0 {
            text.replacen("allow read if", "allow rea if", 1)
        } else {
            text.clone()
        };
        let start = Instant::now();
        c.notify_quiet(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": v}, "contentChanges": [{"text": edited}]}),
        );
        let d = c.wait_for_quiet("textDocument/publishDiagnostics", |p| p["version"] == v);
        times.push(start.elapsed());
        let n = d["diagnostics"].as_array().map(|a| a.len()).unwrap_or(0);
        if v % 2 == 0 {
            assert!(n >= 1, "the typo is reported");
        } else {
            let first = d["diagnostics"][0]["message"].to_string();
            assert_eq!(n, 0, "the policy is clean; the first: {first}");
        }
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "latency: {} lines, diagnostics after an edit: median {:.1} ms (min {:.1}, max {:.1}){}",
        text.lines().count(),
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        if cfg!(debug_assertions) {
            ", debug build"
        } else {
            ", release build"
        }
    );
    let bound = if cfg!(debug_assertions) {
        Duration::from_secs(10)
    } else {
        Duration::from_millis(200)
    };
    assert!(median < bound, "median {median:?}");
    assert_eq!(c.shutdown(), Some(0));
}
