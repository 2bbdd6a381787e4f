//! The formatter over every `.moat` file of the repository: it keeps the
//! tree and every comment (checked inside `fmt::format` itself), it is
//! idempotent, and a few outputs are snapshots.

use moat::fmt::{format, FormatError};
use moat_tests::{moat_files, repo};

#[test]
fn every_moat_file_formats_idempotently() {
    let mut files = Vec::new();
    moat_files(&repo(), &mut files);
    files.sort();
    assert!(files.len() >= 8, "found only {files:?}");
    let mut formatted = 0;
    let mut failures = Vec::new();
    for f in &files {
        let src = std::fs::read_to_string(f).expect("readable");
        match format(&src) {
            Ok(once) => {
                formatted += 1;
                match format(&once) {
                    Ok(twice) if twice == once => {}
                    Ok(_) => failures.push(format!("{}: not idempotent", f.display())),
                    Err(e) => failures.push(format!("{}: second pass: {e}", f.display())),
                }
            }
            // The must-fail corpus has syntax errors on purpose.
            Err(FormatError::Syntax(_)) => {}
            Err(e) => failures.push(format!("{}: {e}", f.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(formatted >= 8, "formatted only {formatted} files");
}

#[test]
fn stdlib_and_examples_format() {
    for dir in ["stdlib", "examples"] {
        let mut files = Vec::new();
        moat_files(&repo().join(dir), &mut files);
        for f in files {
            let src = std::fs::read_to_string(&f).expect("readable");
            if let Err(e) = format(&src) {
                panic!("{}: {e}", f.display());
            }
        }
    }
}

fn snapshot(rel: &str) -> String {
    let src = std::fs::read_to_string(repo().join(rel)).expect("readable");
    format(&src).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn snapshot_web_server() {
    insta::assert_snapshot!("web-server", snapshot("examples/web-server.moat"));
}

#[test]
fn snapshot_strict() {
    insta::assert_snapshot!("strict", snapshot("stdlib/strict.moat"));
}

#[test]
fn snapshot_messy() {
    insta::assert_snapshot!("messy", snapshot("tests/fmt/messy.moat"));
}
