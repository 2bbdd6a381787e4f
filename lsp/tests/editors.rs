//! The editor packages' JSON files parse and agree on names (the keyword
//! check is tests/tests/lsp_editor_grammars.rs).

use serde_json::Value;
use std::path::Path;

fn json(rel: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn vscode_package_is_consistent() {
    let pkg = json("editors/vscode/package.json");
    let grammar = json("editors/vscode/syntaxes/moat.tmLanguage.json");
    let _ = json("editors/vscode/language-configuration.json");
    assert_eq!(grammar["scopeName"], "source.moat");
    assert_eq!(
        pkg["contributes"]["grammars"][0]["scopeName"],
        "source.moat"
    );
    assert_eq!(pkg["contributes"]["languages"][0]["id"], "moat");
    assert_eq!(pkg["contributes"]["languages"][0]["extensions"][0], ".moat");
    assert!(pkg["scripts"]["package"]
        .as_str()
        .unwrap_or("")
        .contains("vsce package"));
}
