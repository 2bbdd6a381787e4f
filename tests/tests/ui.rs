//! The must-fail corpus (`tests/ui/<stage>/*.moat`) and the must-pass
//! corpus (`tests/pass/*.moat`, plus every example and stdlib module).
//!
//! Each must-fail file starts with `// expect: CODE CODE …`, the exact set
//! of diagnostic codes it must produce; its rendered diagnostics (colour
//! off) are snapshotted with insta.

use moat::diagnostics::{render, CODES};
use moat::sema::{analyze_source, Options};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Every `.moat` file under `dir`, except under `_files/` folders, which
/// hold files the cases import (helpers, not cases).
fn moat_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "_files") {
                continue;
            }
            out.extend(moat_files(&p));
        } else if p.extension().is_some_and(|x| x == "moat") {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn analyze(path: &Path, base: &Path) -> moat::sema::Analysis {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path
        .strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string();
    analyze_source(&name, Some(path), &text, &Options::default())
}

#[test]
fn must_fail_corpus() {
    let base = root();
    let files = moat_files(&base.join("ui"));
    assert!(
        files.len() >= 70,
        "the must-fail corpus has {} cases",
        files.len()
    );
    let mut seen_codes = BTreeSet::new();
    let mut failures = Vec::new();
    for path in &files {
        let a = analyze(path, &base);
        let text = std::fs::read_to_string(path).unwrap();
        let expected: BTreeSet<String> = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// expect:"))
            .unwrap_or_else(|| panic!("{} lacks a `// expect:` line", path.display()))
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let got: BTreeSet<String> = a.diagnostics.iter().map(|d| d.code.to_string()).collect();
        seen_codes.extend(got.iter().cloned());
        if expected != got {
            failures.push(format!(
                "{}: expected {:?}, got {:?}",
                path.display(),
                expected,
                got
            ));
        }
        let rendered = render::render_all(&a.diagnostics, &a.sources, false);
        let name = path
            .strip_prefix(base.join("ui"))
            .unwrap()
            .with_extension("")
            .display()
            .to_string()
            .replace('/', "__");
        insta::with_settings!({
            snapshot_path => base.join("ui/snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, rendered);
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let missing: Vec<&str> = CODES
        .iter()
        .map(|c| c.code.as_str())
        .filter(|c| !seen_codes.contains(*c) && !LATER_STAGE_CODES.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a must-fail case: {missing:?}"
    );
}

/// Codes reported by stages after checking (code generation, output
/// formats, the CLI); their cases live with those stages' tests.
const LATER_STAGE_CODES: &[&str] = &["E0301", "E0302", "E0303"];

#[test]
fn must_pass_corpus() {
    let base = root();
    let mut files = moat_files(&base.join("pass"));
    files.extend(moat_files(&base.join("../examples")));
    files.extend(moat_files(&base.join("../stdlib")));
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for path in &files {
        let a = analyze(path, &base);
        if !a.diagnostics.is_empty() {
            // Warnings the design text itself promises are allowed there.
            let text = std::fs::read_to_string(path).unwrap();
            let allowed: BTreeSet<String> = text
                .lines()
                .filter_map(|l| l.split("// allow-warning:").nth(1))
                .flat_map(|s| s.split_whitespace().map(str::to_string))
                .collect();
            let bad: Vec<_> = a
                .diagnostics
                .iter()
                .filter(|d| d.is_error() || !allowed.contains(d.code.as_str()))
                .collect();
            if !bad.is_empty() {
                failures.push(render::render_all(&a.diagnostics, &a.sources, false));
                continue;
            }
        }
        // The file's own `test` blocks hold on the compiled program.
        match moat::driver::run_tests(&a) {
            Ok(results) => {
                for r in results.iter().filter(|r| !r.passed()) {
                    failures.push(format!(
                        "{}: test `{}` on {} of profile `{}` expected {}, got {}",
                        path.display(),
                        r.case.text,
                        r.case.arch,
                        r.profile,
                        r.case.expect,
                        r.got
                    ));
                }
            }
            Err(d) => failures.push(render::render_all(&[d], &a.sources, false)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
