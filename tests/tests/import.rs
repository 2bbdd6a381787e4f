//! `moat import` of the Docker and Podman profiles Debian ships: the
//! imported moat decides exactly like the stdlib ports (which their author
//! checked against libseccomp's compilation of the same JSON), the text is
//! snapshotted, and import → OCI export → import is stable.

use moat::import::json::{import, ImportOptions};
use moat::sema::{analyze_source, Options};
use std::path::Path;

const DOCKER: &str = "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json";
const PODMAN: &str = "/usr/share/containers/seccomp.json";

fn read(path: &str) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(_) => {
            // .ci/run installs the Debian packages; a developer machine may not have them.
            println!("SKIPPED: {path} is not installed");
            None
        }
    }
}

fn checked(name: &str, src: &str) -> moat::sema::Analysis {
    let a = analyze_source(name, None, src, &Options::default());
    assert!(
        !a.has_errors(),
        "{}",
        moat::diagnostics::render::render_all(&a.diagnostics, &a.sources, false)
    );
    a
}

fn same_as_stdlib(json: &str, module: &str, snapshot: &str) {
    let imported = import(
        json,
        &ImportOptions {
            name: "default".into(),
            ..Default::default()
        },
    )
    .unwrap();
    insta::with_settings!({
        snapshot_path => Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/import"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(snapshot, imported.text);
    });
    let ours = checked("imported.moat", &imported.text);
    let std = checked(
        "std.moat",
        &format!("use std::{module}\nprofile default extends {module}::default {{}}\n"),
    );
    let (a, b) = (
        ours.profile("default").unwrap(),
        std.profile("default").unwrap(),
    );
    let arches = moat::diff::common_arches(a, b, &[]);
    assert!(arches.len() >= 6, "{arches:?}");
    let diffs = moat::diff::diff(a, b, &arches);
    assert!(
        diffs.is_empty(),
        "imported {module} differs from std::{module}: {diffs:#?}"
    );
}

#[test]
fn docker_import_matches_the_stdlib_port() {
    if let Some(json) = read(DOCKER) {
        same_as_stdlib(&json, "docker", "docker_default");
    }
}

#[test]
fn podman_import_matches_the_stdlib_port() {
    if let Some(json) = read(PODMAN) {
        same_as_stdlib(&json, "podman", "podman_default");
    }
}

#[test]
fn import_export_import_is_stable() {
    let Some(json) = read(DOCKER) else { return };
    let opts = |name: &str| ImportOptions {
        name: name.into(),
        arch: Some(moat::arch::Arch::X86_64),
        ..Default::default()
    };
    let first = import(&json, &opts("first")).unwrap();
    let a1 = checked("first.moat", &first.text);
    let p1 = a1.profile("first").unwrap();
    let exported = moat::oci::export(p1, &p1.settings.targets).expect("exportable");
    let second = import(&exported, &opts("second")).unwrap();
    let a2 = checked("second.moat", &second.text);
    let p2 = a2.profile("second").unwrap();
    let arches = moat::diff::common_arches(p1, p2, &[]);
    assert_eq!(arches, p1.settings.targets);
    let diffs = moat::diff::diff(p1, p2, &arches);
    assert!(diffs.is_empty(), "{diffs:#?}");
    // And once more from the re-imported profile: the text is a fixed point.
    let again = import(
        &moat::oci::export(p2, &p2.settings.targets).unwrap(),
        &opts("second"),
    )
    .unwrap();
    assert_eq!(again.text, second.text);
}
