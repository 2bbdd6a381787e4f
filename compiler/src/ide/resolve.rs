//! Read-only name lookup over a finished analysis, with the same rules as
//! `sema::scope` (module items, then imports; `std::…` absolute paths;
//! `module::name` through module bindings).

use crate::arch::Arch;
use crate::sema::{Analysis, BindingTarget, DefId, ModuleId};
use crate::source::Origin;
use crate::syntax::ast::{self, Ident, ItemKind, StmtKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
    Item(DefId),
    Module(ModuleId),
}

/// The stdlib module `std::name`, if the analysis loaded it.
pub(crate) fn stdlib_module(a: &Analysis, name: &str) -> Option<ModuleId> {
    let origin = Origin::Stdlib(name.to_string());
    let file = a.sources.find(&origin)?;
    a.modules.iter().find(|m| m.file == file).map(|m| m.id)
}

/// Resolves the path made of `segs` as seen from module `from`.
pub(crate) fn lookup(a: &Analysis, from: ModuleId, segs: &[Ident]) -> Option<Resolved> {
    let first = &segs.first()?.name;
    let m = a.modules.get(from.0 as usize)?;
    if segs.len() == 1 {
        if let Some(&item) = m.items.get(first) {
            return Some(Resolved::Item(DefId { module: from, item }));
        }
        return m.imports.get(first).map(|b| binding(b.target));
    }
    let mut module = if first == "std" && !m.imports.contains_key("std") {
        let sm = stdlib_module(a, &segs[1].name)?;
        if segs.len() == 2 {
            return Some(Resolved::Module(sm));
        }
        if segs.len() != 3 {
            return None;
        }
        let item = *a.module(sm).items.get(&segs[2].name)?;
        return Some(Resolved::Item(DefId { module: sm, item }));
    } else {
        match binding(m.imports.get(first)?.target) {
            Resolved::Module(m) => m,
            Resolved::Item(_) => return None,
        }
    };
    for (i, seg) in segs[1..].iter().enumerate() {
        let last = i + 2 == segs.len();
        if last {
            let item = *a.module(module).items.get(&seg.name)?;
            return Some(Resolved::Item(DefId { module, item }));
        }
        match a.module(module).imports.get(&seg.name)?.target {
            BindingTarget::Module(m) => module = m,
            BindingTarget::Item(_) => return None,
        }
    }
    None
}

fn binding(t: BindingTarget) -> Resolved {
    match t {
        BindingTarget::Module(m) => Resolved::Module(m),
        BindingTarget::Item(d) => Resolved::Item(d),
    }
}

pub(crate) fn item_kind(a: &Analysis, def: DefId) -> Option<&ItemKind> {
    a.modules
        .get(def.module.0 as usize)?
        .ast
        .items
        .get(def.item as usize)
        .map(|i| &i.kind)
}

pub(crate) fn is_group(a: &Analysis, def: DefId) -> bool {
    matches!(item_kind(a, def), Some(ItemKind::Group(_)))
}

pub(crate) fn syscall_anywhere(name: &str) -> bool {
    Arch::ALL.iter().any(|a| a.syscall(name).is_some())
}

/// What one entry of a group's or rule's syscall list names. In a group a
/// name that is a syscall means the syscall; in a rule a group that is
/// imported by a syscall's name wins only where sema would take it too
/// (an ambiguous name is reported by sema; the editor shows the group).
pub(crate) enum SyscallRef {
    Syscall(String),
    Group(DefId),
}

pub(crate) fn syscall_ref(
    a: &Analysis,
    from: ModuleId,
    path: &ast::Path,
    in_group: bool,
) -> Option<SyscallRef> {
    let name = &path.segments.last()?.name;
    let is_syscall = path.segments.len() == 1 && syscall_anywhere(name);
    if is_syscall && in_group {
        return Some(SyscallRef::Syscall(name.clone()));
    }
    match lookup(a, from, &path.segments) {
        Some(Resolved::Item(d)) if is_group(a, d) => Some(SyscallRef::Group(d)),
        _ if is_syscall => Some(SyscallRef::Syscall(name.clone())),
        _ => None,
    }
}

/// The syscalls a group stands for on `arch` (nested groups expanded).
pub(crate) fn group_members(a: &Analysis, group: DefId, arch: Option<Arch>) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    members_into(a, group, arch, &mut out, &mut seen);
    out
}

fn members_into(
    a: &Analysis,
    group: DefId,
    arch: Option<Arch>,
    out: &mut Vec<String>,
    seen: &mut Vec<DefId>,
) {
    if seen.contains(&group) {
        return;
    }
    seen.push(group);
    let Some(ItemKind::Group(g)) = item_kind(a, group) else {
        return;
    };
    for m in &g.members {
        match syscall_ref(a, group.module, m, true) {
            Some(SyscallRef::Syscall(s)) => {
                let here = arch.is_none_or(|ar| ar.syscall(&s).is_some());
                if here && !out.contains(&s) {
                    out.push(s);
                }
            }
            Some(SyscallRef::Group(inner)) => members_into(a, inner, arch, out, seen),
            None => {}
        }
    }
}

/// The architectures a profile covers: the checked settings when sema
/// produced them, else what the profile (or its base chain) writes, else
/// every architecture.
pub(crate) fn profile_targets(a: &Analysis, def: DefId) -> Vec<Arch> {
    if let Some(p) = a.profiles.iter().find(|p| p.def == def) {
        if !p.settings.targets.is_empty() {
            return p.settings.targets.clone();
        }
    }
    let mut cur = def;
    for _ in 0..32 {
        let Some(ItemKind::Profile(p)) = item_kind(a, cur) else {
            break;
        };
        for s in &p.body {
            if let StmtKind::Targets(names) = &s.kind {
                let arches: Vec<Arch> = names
                    .iter()
                    .filter_map(|n| Arch::from_name(&n.name))
                    .collect();
                if !arches.is_empty() {
                    return arches;
                }
            }
        }
        match p
            .extends
            .as_ref()
            .and_then(|e| lookup(a, cur.module, &e.segments))
        {
            Some(Resolved::Item(base)) => cur = base,
            _ => break,
        }
    }
    Arch::ALL.to_vec()
}

/// `std::groups` for a stdlib module, else the name it was loaded under.
pub(crate) fn module_name(a: &Analysis, m: ModuleId) -> String {
    a.module(m).name.clone()
}
