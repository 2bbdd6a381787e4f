//! Go to definition and find references.

use super::index::{self, Occurrence, Symbol};
use crate::sema::Analysis;
use crate::source::Span;

/// Where the name under the cursor is defined: an item's name (in this
/// file, an imported file or a stdlib module), or the start of a module's
/// file. Syscalls, arguments and prelude names have no source.
pub fn definition(a: &Analysis, offset: usize) -> Option<Span> {
    let occ = index::at(a, a.root, offset)?;
    definition_of(a, &occ.symbol)
}

pub fn definition_of(a: &Analysis, symbol: &Symbol) -> Option<Span> {
    match symbol {
        Symbol::Item(def) => {
            let m = a.modules.get(def.module.0 as usize)?;
            let item = m.ast.items.get(def.item as usize)?;
            Some(item.name()?.span)
        }
        Symbol::Module(m) => {
            let file = a.modules.get(m.0 as usize)?.file;
            Some(Span::new(file, 0, 0))
        }
        _ => None,
    }
}

fn same(a: &Symbol, b: &Symbol) -> bool {
    match (a, b) {
        (Symbol::Arg { name: x, .. }, Symbol::Arg { name: y, .. }) => x == y,
        _ => a == b,
    }
}

/// Every occurrence of the symbol under the cursor: across all loaded
/// modules for items and modules, within the file for the rest. With
/// `include_declaration`, an item's own name is among them.
pub fn references(a: &Analysis, offset: usize, include_declaration: bool) -> Vec<Span> {
    let Some(occ) = index::at(a, a.root, offset) else {
        return Vec::new();
    };
    if matches!(occ.symbol, Symbol::Unresolved(_)) {
        return Vec::new();
    }
    let global = matches!(occ.symbol, Symbol::Item(_) | Symbol::Module(_));
    let mut out: Vec<Span> = Vec::new();
    let modules: Vec<_> = if global {
        a.modules.iter().map(|m| m.id).collect()
    } else {
        vec![a.root]
    };
    for m in modules {
        for o in index::index(a, m) {
            if same(&o.symbol, &occ.symbol) && (include_declaration || !o.def) {
                out.push(o.span);
            }
        }
    }
    if include_declaration {
        if let Some(d) = definition_of(a, &occ.symbol) {
            if d.end > d.start && !out.contains(&d) {
                out.push(d);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Occurrences in the root file of the symbol under the cursor (for
/// document highlights).
pub fn highlights(a: &Analysis, offset: usize) -> Vec<Occurrence> {
    let Some(occ) = index::at(a, a.root, offset) else {
        return Vec::new();
    };
    if matches!(occ.symbol, Symbol::Unresolved(_)) {
        return Vec::new();
    }
    index::index(a, a.root)
        .into_iter()
        .filter(|o| same(&o.symbol, &occ.symbol))
        .collect()
}
