//! The standard library modules, embedded in the compiler so `use std::…`
//! works without any files on disk.

pub const MODULES: &[(&str, &str)] = &[
    ("groups", include_str!("../../stdlib/groups.moat")),
    ("docker", include_str!("../../stdlib/docker.moat")),
    ("podman", include_str!("../../stdlib/podman.moat")),
    ("deny", include_str!("../../stdlib/deny.moat")),
    ("strict", include_str!("../../stdlib/strict.moat")),
];

pub fn source(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|(n, _)| *n)
}
