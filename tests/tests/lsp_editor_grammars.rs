//! One keyword list, in the compiler (`syntax::ast::ITEM_KEYWORDS`,
//! `STATEMENT_KEYWORDS`, the action names): every editor package and the
//! language server's completion must know each word. Adding a keyword
//! without teaching the editors fails here (and, for the tree-sitter grammar
//! and its queries, in tree_sitter.rs, which checks they parse and
//! highlight it).

use moat::syntax::ast::{ActionKind, ITEM_KEYWORDS, STATEMENT_KEYWORDS};
use moat_tests::repo;

fn keywords() -> Vec<&'static str> {
    let mut k: Vec<&'static str> = ITEM_KEYWORDS.to_vec();
    k.extend_from_slice(STATEMENT_KEYWORDS);
    k.extend(ActionKind::ALL.iter().map(|a| a.keyword()));
    k
}

/// `word` occurs in `text` with no identifier character on either side.
fn has_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back().is_none_or(|c| !ident(c));
        let after = text[i + word.len()..]
            .chars()
            .next()
            .is_none_or(|c| !ident(c));
        before && after
    })
}

#[test]
fn every_editor_grammar_has_every_keyword() {
    let files = [
        "editors/vscode/syntaxes/moat.tmLanguage.json",
        "editors/nvim/syntax/moat.vim",
        "editors/emacs/moat-mode.el",
        "editors/emacs/moat-ts-mode.el",
        "editors/tree-sitter-moat/grammar.js",
        "editors/tree-sitter-moat/queries/highlights.scm",
        "editors/helix/runtime/queries/moat/highlights.scm",
    ];
    let mut missing = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(repo().join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        for k in keywords() {
            if !has_word(&text, k) {
                missing.push(format!("{f}: `{k}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "missing keywords:\n{}",
        missing.join("\n")
    );
}

#[test]
fn completion_offers_the_item_and_statement_keywords() {
    use moat::ide::completion::completions;
    use moat::sema::{analyze_source, Options};
    let labels = |src: &str| -> Vec<String> {
        let a = analyze_source("t.moat", None, src, &Options::default());
        completions(&a, src.len())
            .items
            .into_iter()
            .map(|i| i.label)
            .collect()
    };
    let top = labels("");
    for k in ITEM_KEYWORDS {
        assert!(top.iter().any(|l| l == k), "top level lacks `{k}`");
    }
    let body = labels("profile p {\n");
    for k in [
        "targets", "default", "bad_arch", "unknown", "flags", "include", "on",
    ] {
        assert!(body.iter().any(|l| l == k), "a profile body lacks `{k}`");
    }
    for a in ActionKind::ALL {
        assert!(
            body.iter().any(|l| l == a.keyword()),
            "a profile body lacks `{}`",
            a.keyword()
        );
    }
    let after = labels("profile p { targets x86_64 default allow allow read ");
    assert!(after.iter().any(|l| l == "if"));
    let pred = labels("profile p { targets x86_64 default allow allow read if fd ");
    assert!(pred.iter().any(|l| l == "in"));
}
