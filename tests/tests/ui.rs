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
        .filter(|c| {
            !seen_codes.contains(*c) && !LATER_STAGE_CODES.contains(c) && !is_import_code(c)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a must-fail case: {missing:?}"
    );
}

/// Codes reported by stages after checking (code generation, output
/// formats, the CLI); their cases live with those stages' tests.
const LATER_STAGE_CODES: &[&str] = &["E0301", "E0302", "E0303"];

/// `moat import`'s codes (E04xx) concern minijail and Kafel files, not moat
/// source; their must-fail cases are `tests/import/*/fail/*.policy`, checked
/// by `tests/tests/import.rs`.
fn is_import_code(code: &str) -> bool {
    code.starts_with("E04")
}

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

/// `docs/diagnostics.md` lists every code with what triggers it and an
/// example taken from the must-fail corpus. Regenerate it with
/// `UPDATE_DOCS=1 cargo test -p moat-tests --test ui diagnostics_doc`.
#[test]
fn diagnostics_doc_is_current() {
    let base = root();
    let cases: Vec<(PathBuf, BTreeSet<String>, String)> = moat_files(&base.join("ui"))
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let expected = text
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("// expect:"))
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_string)
                .collect();
            (p, expected, text)
        })
        .collect();
    let mut doc = String::from(
        "# Diagnostics\n\n\
         <!-- Generated from compiler/src/diagnostics/codes.rs and the must-fail corpus\n\
         (tests/ui) by `UPDATE_DOCS=1 cargo test -p moat-tests --test ui diagnostics_doc`;\n\
         do not edit by hand. -->\n\n\
         Every error and warning moat reports has a stable code: `E…` codes are errors\n\
         (nothing is built), `W…` codes are warnings. A code never changes meaning once\n\
         shipped. Each diagnostic has a primary span, a message, and where it helps a\n\
         label on other spans, a help line and notes. `moat check --format json` gives\n\
         the same diagnostics as JSON; the language server shows them as you type.\n\n\
         The examples below are cases of the must-fail corpus (`tests/ui`), shown with\n\
         the diagnostic they produce.\n\n\
         | code | title |\n| --- | --- |\n",
    );
    for info in CODES {
        let c = info.code.as_str();
        doc.push_str(&format!(
            "| [{c}](#{}) | {} |\n",
            c.to_lowercase(),
            info.title.replace('|', "\\|")
        ));
    }
    for info in CODES {
        let c = info.code.as_str();
        doc.push_str(&format!(
            "\n## {c}\n\n**{}**\n\n{}\n",
            info.title, info.explanation
        ));
        if LATER_STAGE_CODES.contains(&c) {
            doc.push_str(
                "\nReported by `moat build` and the output formats, after checking; see\n\
                 `docs/backend.md`.\n",
            );
            continue;
        }
        if is_import_code(c) {
            doc.push_str(&import_example(c));
            continue;
        }
        // The smallest case that produces only this code, else the
        // smallest that produces it among others.
        let pick = cases
            .iter()
            .filter(|(_, e, _)| e.contains(c))
            .min_by_key(|(_, e, t)| (e.len() != 1, t.len()));
        let Some((path, _, text)) = pick else {
            continue;
        };
        let a = analyze(path, &base);
        let Some(d) = a.diagnostics.iter().find(|d| d.code.as_str() == c) else {
            continue;
        };
        let rel = path.strip_prefix(&base).unwrap().display().to_string();
        let source: String = text.lines().skip(1).map(|l| clip(l) + "\n").collect();
        let shown: String = render::render(d, &a.sources, false)
            .lines()
            .map(|l| clip(l) + "\n")
            .collect();
        doc.push_str(&format!(
            "\nFrom `tests/{rel}`:\n\n```moat\n{}```\n\n```text\n{shown}```\n",
            source.trim_start_matches('\n')
        ));
    }
    let path = base.join("../docs/diagnostics.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &doc).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == doc,
        "docs/diagnostics.md is out of date: run `UPDATE_DOCS=1 cargo test -p moat-tests --test ui diagnostics_doc`"
    );
}

/// The smallest importer case of `tests/import/*/fail` that reports `code`,
/// with the error it gets, for the docs.
fn import_example(code: &str) -> String {
    let mut cases = Vec::new();
    for format in ["minijail", "kafel"] {
        let dir = root().join("import").join(format).join("fail");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            let first = text.lines().next().unwrap_or("");
            if first.split_whitespace().any(|w| w == code) {
                cases.push((text.len(), format, e.path(), text));
            }
        }
    }
    cases.sort();
    let Some((_, format, path, text)) = cases.into_iter().next() else {
        return String::new();
    };
    let mut sources = moat::source::SourceMap::new();
    let rel = path.strip_prefix(root()).unwrap().display().to_string();
    let id = sources.add(moat::source::SourceFile::new(
        rel.clone(),
        moat::source::Origin::Path(path.clone()),
        text.clone(),
    ));
    let opts = moat::import::Options::default();
    let r = if format == "minijail" {
        moat::import::minijail::import(&mut sources, id, &opts)
    } else {
        moat::import::kafel::import(&mut sources, id, &opts)
    };
    let Err(diags) = r else {
        return String::new();
    };
    let Some(d) = diags.iter().find(|d| d.code.as_str() == code) else {
        return String::new();
    };
    let source: String = text.lines().skip(1).map(|l| clip(l) + "\n").collect();
    let shown: String = render::render(d, &sources, false)
        .lines()
        .map(|l| clip(l) + "\n")
        .collect();
    format!(
        "\nReported by `moat import` (see `docs/import.md`). From `tests/{rel}`:\n\n```text\n{}```\n\n```text\n{shown}```\n",
        source.trim_start_matches('\n')
    )
}

/// Long lines (the nesting-limit case) are cut for the docs.
fn clip(line: &str) -> String {
    if line.chars().count() <= 100 {
        return line.trim_end().to_string();
    }
    let cut: String = line.chars().take(96).collect();
    format!("{} …", cut.trim_end())
}

/// Every `moat` block of `docs/language.md` compiles (warnings allowed)
/// and its test blocks pass.
#[test]
fn language_doc_examples_compile() {
    let base = root();
    let doc = std::fs::read_to_string(base.join("../docs/language.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```moat") => current = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            _ => {}
        }
    }
    assert!(blocks.len() >= 5, "found {} moat blocks", blocks.len());
    let mut failures = Vec::new();
    for (i, text) in blocks.iter().enumerate() {
        let a = analyze_source(
            &format!("docs/language.md block {}", i + 1),
            None,
            text,
            &Options::default(),
        );
        if a.has_errors() {
            failures.push(render::render_all(&a.diagnostics, &a.sources, false));
            continue;
        }
        match moat::driver::run_tests(&a) {
            Ok(results) => failures.extend(
                results
                    .iter()
                    .filter(|r| !r.passed())
                    .map(|r| format!("block {}: `{}` failed", i + 1, r.case.text)),
            ),
            Err(d) => failures.push(render::render_all(&[d], &a.sources, false)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
