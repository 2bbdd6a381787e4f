//! Editor queries over an [`Analysis`]: the language server's features as
//! pure functions of the compiler's own analysis and a byte offset.
//!
//! Nothing here parses or resolves on its own beyond reading the analysis:
//! [`index`] walks the resolved modules once and classifies every name in a
//! file (the span index hover, go to definition, references and semantic
//! tokens share); [`completion`] also looks at the lexer's tokens before the
//! cursor to tell what kind of word belongs there. Positions are byte
//! offsets into the root file of the analysis; results carry [`Span`]s, and
//! the caller (the language server) turns them into lines and columns in
//! whatever encoding it negotiated.

pub mod actions;
pub mod completion;
mod consts;
pub mod diagnostics;
pub mod hover;
pub mod index;
pub mod navigation;
mod resolve;
pub mod signature;
pub mod symbols;
pub mod tokens;

#[cfg(test)]
mod tests;

use crate::sema::{Analysis, ModuleId};
use crate::source::{FileId, Span};

/// The file an editor shows: the analysis's root module.
pub fn root_file(analysis: &Analysis) -> FileId {
    analysis.module(analysis.root).file
}

/// The module whose source is `file`, if the analysis loaded one.
pub fn module_of_file(analysis: &Analysis, file: FileId) -> Option<ModuleId> {
    analysis
        .modules
        .iter()
        .find(|m| m.file == file)
        .map(|m| m.id)
}

/// A text replacement in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub span: Span,
    pub new_text: String,
}
