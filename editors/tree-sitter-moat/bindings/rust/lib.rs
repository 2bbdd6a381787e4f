//! The moat grammar for [tree-sitter](https://tree-sitter.github.io/).
//!
//! ```ignore
//! let mut parser = tree_sitter::Parser::new();
//! parser.set_language(&tree_sitter_moat::LANGUAGE.into()).unwrap();
//! let tree = parser.parse("profile p { allow read }", None).unwrap();
//! assert!(!tree.root_node().has_error());
//! ```

use tree_sitter_language::LanguageFn;

extern "C" {
    fn tree_sitter_moat() -> *const ();
}

/// The moat language, for `tree_sitter::Parser::set_language`.
// SAFETY: `tree_sitter_moat` is the generated parser's entry point, which
// returns a pointer to a static `TSLanguage`.
pub const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_moat) };

/// Every node type of the grammar, as `tree-sitter generate` describes them.
pub const NODE_TYPES: &str = include_str!("../../src/node-types.json");

/// Highlighting, with the standard capture names (`@keyword`, `@function`, …).
pub const HIGHLIGHTS_QUERY: &str = include_str!("../../queries/highlights.scm");

/// Folding ranges.
pub const FOLDS_QUERY: &str = include_str!("../../queries/folds.scm");

/// Definitions and references, for editors that use locals queries.
pub const LOCALS_QUERY: &str = include_str!("../../queries/locals.scm");
