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

// ---------------------------------------------------------------------------
// minijail and Kafel.
//
// Each policy under `tests/import/{minijail,kafel}` is imported for x86_64
// and aarch64; the text is snapshotted, checked by `moat check`, compiled,
// and its decisions compared with the source format's own semantics on
// many calls. That semantics, written here from minijail's and Kafel's
// sources (not from the importer's renderer):
//
// * The filters of a syscall are tried in file order (after `@include`,
//   `#include` and `USE` are spliced in); the first whose condition holds
//   decides. A syscall no filter names, or whose filters all fail, gets the
//   policy's default. (minijail: `compiler.py` compiles each syscall's
//   filter list in order and appends the default; the runtime's
//   `expr; return N` is "allow if expr, else N". Kafel: `range_rules.c`
//   sorts rules by syscall and then by textual priority.)
// * A comparison reads the argument's register. minijail compares the
//   whole 64-bit register, unsigned: `==`, `!=`, `<`, `<=`, `>`, `>=`;
//   `arg & M` holds when some bit of M is set; `arg in M` when no bit
//   outside M is set. Kafel compares one 32-bit word unless an 8-byte
//   argument or a constant above 2^32-1 takes part, then the whole
//   register; `x & M` masks.
// * Registers hold what C passes: a narrower argument sign-extended if its
//   type is signed, zero-extended otherwise. Such calls must decide the
//   same. For registers with garbage above a narrower argument (which the
//   kernel ignores), moat decides by the argument's value: the imported
//   policy must decide as the source decides on the clean register.
// * nr with the x32 bit on x86_64 and calls from other architectures:
//   moat's `bad_arch` (kill_thread, as both formats kill foreign calls);
//   the formats themselves do not check the x32 bit.
//
// The parsed model (`Policy`) is the one thing the two sides share, so
// each corpus file also carries hand-written expectations (`SPOT`) worked
// out from the source text alone.

use moat::arch::{Arch, ArgType};
use moat::bpf::SeccompData;
use moat::import::{Atom, Cond, Op, Policy};
use moat::sema::Act;
use moat::source::{Origin, SourceFile, SourceMap};
use moat_tests::policy::SplitMix;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn corpus(format: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("import")
        .join(format);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "policy"))
        .collect();
    out.sort();
    out
}

fn sources_for(path: &Path) -> (SourceMap, moat::source::FileId) {
    let mut sources = SourceMap::new();
    let name = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string();
    let text = std::fs::read_to_string(path).unwrap();
    let id = sources.add(SourceFile::new(
        name,
        Origin::Path(path.to_path_buf()),
        text,
    ));
    (sources, id)
}

fn parse(
    format: &str,
    path: &Path,
    arch: Arch,
) -> (
    SourceMap,
    Result<Policy, Vec<moat::diagnostics::Diagnostic>>,
) {
    let (mut sources, id) = sources_for(path);
    let p = if format == "minijail" {
        moat::import::minijail::parse(&mut sources, id, arch, None)
    } else {
        moat::import::kafel::parse(&mut sources, id, arch)
    };
    (sources, p)
}

/// The source format's condition on a call's registers.
fn holds(c: &Cond, regs: &[u64; 6]) -> bool {
    match c {
        Cond::True => true,
        Cond::False => false,
        Cond::Atom(a) => atom_holds(a, regs[usize::from(a.slot)]),
        Cond::Not(c) => !holds(c, regs),
        Cond::And(v) => v.iter().all(|c| holds(c, regs)),
        Cond::Or(v) => v.iter().any(|c| holds(c, regs)),
    }
}

fn atom_holds(a: &Atom, reg: u64) -> bool {
    let word = if a.wide { u64::MAX } else { 0xffff_ffff };
    let (x, v) = (reg & a.mask & word, a.value & word);
    match a.op {
        Op::Eq => x == v,
        Op::Ne => x != v,
        Op::Lt => x < v,
        Op::Le => x <= v,
        Op::Gt => x > v,
        Op::Ge => x >= v,
    }
}

/// First matching filter of the syscall, else the default.
fn source_decides(p: &Policy, syscall: &str, regs: &[u64; 6]) -> Act {
    p.statements
        .iter()
        .flat_map(|s| &s.rules)
        .filter(|r| r.syscall == syscall)
        .find(|r| holds(&r.cond, regs))
        .map_or(p.default, |r| r.act)
}

/// The register as C passes the argument in slot `slot` of `syscall`.
fn clean(arch: Arch, syscall: &str, slot: usize, v: u64) -> u64 {
    let Some(arg) = arch.syscall(syscall).and_then(|s| s.slot(slot as u8)) else {
        return v;
    };
    match arg.ty {
        ArgType::Int { bits, signed } if bits < 64 => {
            let low = v & ((1u64 << bits) - 1);
            if signed && low >> (bits - 1) == 1 {
                low | !((1u64 << bits) - 1)
            } else {
                low
            }
        }
        _ => v,
    }
}

/// Values worth trying in one slot: the constants and masks the policy
/// compares it with, their neighbours, word boundaries, and random values.
fn candidates(p: &Policy, syscall: &str, slot: u8) -> Vec<u64> {
    let mut out: BTreeSet<u64> = [
        0,
        1,
        2,
        u64::MAX,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        1 << 32,
        1 << 63,
    ]
    .into_iter()
    .collect();
    fn atoms<'a>(c: &'a Cond, out: &mut Vec<&'a Atom>) {
        match c {
            Cond::Atom(a) => out.push(a),
            Cond::Not(c) => atoms(c, out),
            Cond::And(v) | Cond::Or(v) => v.iter().for_each(|c| atoms(c, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for r in p
        .statements
        .iter()
        .flat_map(|s| &s.rules)
        .filter(|r| r.syscall == syscall)
    {
        atoms(&r.cond, &mut found);
    }
    for a in found.into_iter().filter(|a| a.slot == slot) {
        for base in [a.value, a.mask, a.value & 0xffff_ffff, a.mask & !a.value] {
            for d in [0u64, 1, u64::MAX] {
                let v = base.wrapping_add(d);
                out.insert(v);
                out.insert(v | 0xffff_ffff_0000_0000);
                out.insert(v & 0xffff_ffff);
                out.insert(v ^ a.mask);
            }
        }
    }
    out.into_iter().collect()
}

/// Compares the compiled import with the source semantics; returns the
/// number of calls checked.
fn decisions_agree(p: &Policy, text: &str, arch: Arch, what: &str) -> usize {
    let a = analyze_source("imported.moat", None, text, &Options::default());
    assert!(
        !a.has_errors(),
        "{what}: the import does not check:\n{}\n{text}",
        moat::diagnostics::render::render_all(&a.diagnostics, &a.sources, false)
    );
    let profile = a.profile("imported").unwrap();
    let built = moat_tests::check::build(profile).unwrap();
    let program = &built[0].program;
    let moat_says = |nr: u32, audit: u32, args: [u64; 6]| {
        moat_tests::check::act_of(
            program,
            &SeccompData {
                nr,
                arch: audit,
                instruction_pointer: 0,
                args,
            },
        )
        .unwrap()
    };
    let mut rng = SplitMix(0x5eed ^ text.len() as u64);
    let mut named: BTreeSet<&str> = p
        .statements
        .iter()
        .flat_map(|s| &s.rules)
        .map(|r| r.syscall)
        .collect();
    // Syscalls no rule names: every seventh of the table.
    named.extend(arch.syscalls().iter().step_by(7).map(|s| s.name));
    let mut checked = 0;
    let mut dirty_differs = 0;
    for name in named {
        let Some(sc) = arch.syscall(name) else {
            continue;
        };
        let cands: Vec<Vec<u64>> = (0..6).map(|s| candidates(p, name, s)).collect();
        for _ in 0..400 {
            let mut raw = [0u64; 6];
            for (s, r) in raw.iter_mut().enumerate() {
                *r = if rng.below(5) == 0 {
                    rng.next_u64()
                } else {
                    cands[s][rng.below(cands[s].len() as u64) as usize]
                };
            }
            let mut canon = raw;
            for (s, c) in canon.iter_mut().enumerate() {
                *c = clean(arch, name, s, *c);
            }
            let want = source_decides(p, name, &canon);
            let got = moat_says(sc.nr, arch.audit_arch(), canon);
            assert_eq!(
                got, want,
                "{what}: {name}{canon:#x?}: moat {got:?}, source {want:?}\n{text}"
            );
            let got_raw = moat_says(sc.nr, arch.audit_arch(), raw);
            assert_eq!(got_raw, want, "{what}: {name}{raw:#x?} (upper halves dirty): moat {got_raw:?}, source on the clean registers {want:?}\n{text}");
            if source_decides(p, name, &raw) != want {
                dirty_differs += 1;
            }
            checked += 2;
        }
    }
    // Numbers no table names, and the tracer's -1: the default.
    for nr in [u32::MAX, 0x3fff_fff0, 4000] {
        if arch.syscall_by_nr(nr).is_none() {
            assert_eq!(
                moat_says(nr, arch.audit_arch(), [0; 6]),
                p.default,
                "{what}: nr {nr:#x}"
            );
            checked += 1;
        }
    }
    // Foreign architectures and (x86_64) x32 numbers: bad_arch.
    let foreign = if arch == Arch::X86_64 {
        Arch::Aarch64
    } else {
        Arch::X86_64
    };
    assert_eq!(
        moat_says(0, foreign.audit_arch(), [0; 6]),
        p.bad_arch,
        "{what}: foreign arch"
    );
    if arch == Arch::X86_64 {
        assert_eq!(
            moat_says(0x4000_0000, arch.audit_arch(), [0; 6]),
            p.bad_arch,
            "{what}: x32"
        );
    }
    println!("{what}: {checked} calls agree; {dirty_differs} calls with dirty upper halves the source itself would decide differently");
    checked
}

/// Hand-derived expectations: (file, arch, syscall, args, action).
fn spot(format: &str) -> Vec<(&'static str, &'static str, [u64; 6], &'static str)> {
    let m1 = u64::MAX;
    match format {
        "minijail" => vec![
            // runtime dialect: `expr; return N` = allow if expr, else N.
            ("runtime", "openat", [0, 0, 0o2000000, 0, 0, 0], "allow"), // O_CLOEXEC ⊆ mask
            ("runtime", "openat", [0, 0, 1, 0, 0, 0], "errno(EACCES)"), // O_WRONLY ⊄ mask
            ("runtime", "write", [3, 0, 0, 0, 0, 0], "kill_thread"),
            ("runtime", "write", [2, 0, 0, 0, 0, 0], "allow"),
            ("runtime", "mmap", [0, 0, 4, 0, 0, 0], "kill_thread"), // PROT_EXEC
            ("runtime", "kill", [m1, 9, 0, 0, 0, 0], "allow"),      // -1 > 1 unsigned
            ("runtime", "kill", [5, 16, 0, 0, 0, 0], "kill_thread"),
            ("runtime", "setpriority", [0; 6], "errno(EPERM)"),
            ("runtime", "socket", [m1, 0, 0, 0, 0, 0], "allow"), // -1 sign-extended
            ("runtime", "socket", [0xffff_ffff, 0, 0, 0, 0, 0], "allow"), // == 0xffffffff, literally
            (
                "runtime",
                "socket",
                [0xffff_fffe, 0, 0, 0, 0, 0],
                "kill_thread",
            ),
            ("runtime", "getpid", [0; 6], "kill_thread"),
            // compiler dialect: `expr; return N` = N if expr.
            ("compiler", "openat", [0, 0, 0o100, 0, 0, 0], "errno(EPERM)"), // O_CREAT
            ("compiler", "openat", [0, 0, 0o101, 0, 0, 0], "errno(EPERM)"), // first filter wins over trap
            ("compiler", "openat", [0, 0, 2, 0, 0, 0], "trap"),
            ("compiler", "openat", [0, 0, 0, 0, 0, 0], "allow"),
            ("compiler", "socket", [10, 0, 0, 0, 0, 0], "notify"), // AF_INET6, appended
            ("compiler", "socket", [2, 2, 0, 0, 0, 0], "kill"),    // AF_INET, SOCK_DGRAM: default
            (
                "compiler",
                "clone",
                [0x1000_0000, 0, 0, 0, 0, 0],
                "kill_thread",
            ), // `kill`
            ("compiler", "clone", [0x11, 0, 0, 0, 0, 0], "allow"),
            ("compiler", "exit", [0; 6], "allow"), // from @include
            ("compiler", "prctl", [0x18, 0, 0, 0, 0, 0], "kill"), // between the filters: default
            ("compiler", "prctl", [0x21, 0, 0, 0, 0, 0], "log"),
            ("compiler", "prctl", [3, 0, 0, 0, 0, 0], "allow"),
            ("compiler", "futex", [0, 0x80, 0, 0, 0, 0], "allow"),
            ("compiler", "futex", [0, 0x81, 0, 0, 0, 0], "allow"),
            ("compiler", "futex", [0, 1, 0, 0, 0, 0], "errno(ENOSYS)"),
            ("denylist", "ptrace", [0; 6], "errno(EPERM)"),
            ("denylist", "keyctl", [1, 0, 0, 0, 0, 0], "errno(ENOSYS)"),
            ("denylist", "keyctl", [2, 0, 0, 0, 0, 0], "allow"),
            ("denylist", "getpid", [0; 6], "allow"),
        ],
        _ => vec![
            ("basic", "write", [1, 0, 0, 0, 0, 0], "allow"),
            ("basic", "write", [3, 0, 0, 0, 0, 0], "errno(1)"),
            ("basic", "ptrace", [0; 6], "kill"),
            ("basic", "mmap", [0, 0, 7, 0, 0, 0], "errno(38)"),
            ("basic", "mmap", [0, 0, 3, 0, 0, 0], "allow"),
            ("basic", "kill", [0, 0, 0, 0, 0, 0], "allow"), // sig == 0
            ("basic", "kill", [0, 9, 0, 0, 0, 0], "errno(38)"),
            ("basic", "lseek", [0, m1 - 1, 0, 0, 0, 0], "allow"),
            ("basic", "lseek", [0, m1, 0, 0, 0, 0], "errno(38)"),
            ("basic", "uname", [0; 6], "log"),
            ("basic", "socket", [2, 0, 0, 0, 0, 0], "trap(7)"),
            ("basic", "getpid", [0; 6], "trace(3)"),
            ("basic", "getuid", [0; 6], "kill_thread"), // SYSCALL[102]
            ("guards", "socket", [2, 0x801, 0, 0, 0, 0], "allow"),
            ("guards", "socket", [2, 2, 0, 0, 0, 0], "kill_thread"),
            ("guards", "getsid", [0; 6], "errno(3)"),
            ("guards", "getpgid", [0; 6], "kill_thread"),
            ("guards", "prctl", [16, 0, 0, 0, 0, 0], "allow"),
            ("guards", "kill", [0, m1, 0, 0, 0, 0], "allow"),
            ("guards", "openat", [0, 0, 1, 0, 0, 0], "errno(13)"),
            ("guards", "openat", [0, 0, 0, 0, 0, 0], "allow"),
            ("guards", "dup3", [0, 0, 0x80000, 0, 0, 0], "allow"),
            ("guards", "dup3", [5, 0, 0x80000, 0, 0, 0], "allow"), // the allow comes first
            ("guards", "dup3", [5, 0, 0, 0, 0, 0], "errno(22)"),
            ("guards", "write", [1, 0, 0x8000_0000, 0, 0, 0], "allow"),
        ],
    }
}

fn act_named(s: &str, arch: Arch) -> Act {
    let text = format!("profile p {{ targets {arch} default {s} }}");
    let a = analyze_source("act.moat", None, &text, &Options::default());
    a.profile("p").unwrap().settings.default[&arch]
}

fn imports_decide_like_the_source(format: &str) {
    let mut total = 0;
    for path in corpus(format) {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        for arch in [Arch::X86_64, Arch::Aarch64] {
            let (sources, p) = parse(format, &path, arch);
            let p = p.unwrap_or_else(|d| {
                panic!(
                    "{}",
                    moat::diagnostics::render::render_all(&d, &sources, false)
                )
            });
            let out = moat::import::render(&p, "imported").unwrap_or_else(|d| {
                panic!(
                    "{}",
                    moat::diagnostics::render::render_all(&d, &sources, false)
                )
            });
            let mut shown = out.text.clone();
            for w in &out.warnings {
                shown.push_str(&format!("// warning: {w}\n"));
            }
            insta::with_settings!({
                snapshot_path => Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/import"),
                prepend_module_to_snapshot => false,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(format!("{format}__{stem}__{arch}"), shown);
            });
            total += decisions_agree(&p, &out.text, arch, &format!("{stem} on {arch}"));
            if arch == Arch::X86_64 {
                for (file, name, args, want) in spot(format).into_iter().filter(|s| s.0 == stem) {
                    let got = source_decides(&p, name, &args);
                    assert_eq!(got, act_named(want, arch), "{file}: {name}{args:x?}");
                }
            }
        }
    }
    assert!(total > 10_000, "{total}");
}

#[test]
fn minijail_imports_decide_like_minijail() {
    imports_decide_like_the_source("minijail");
}

#[test]
fn kafel_imports_decide_like_kafel() {
    imports_decide_like_the_source("kafel");
}

/// `tests/import/*/fail/*.policy`: the first line names the exact set of
/// codes; the rendered errors are snapshotted; every importer code has a
/// case.
#[test]
fn importer_errors() {
    let mut seen = BTreeSet::new();
    for format in ["minijail", "kafel"] {
        for path in corpus(&format!("{format}/fail")) {
            let (mut sources, id) = sources_for(&path);
            let text = sources.get(id).text.clone();
            let expected: BTreeSet<String> = text
                .lines()
                .next()
                .and_then(|l| l.split("expect:").nth(1))
                .unwrap_or_else(|| panic!("{} lacks an `expect:` line", path.display()))
                .split_whitespace()
                .map(str::to_string)
                .collect();
            let opts = moat::import::Options::default();
            let r = if format == "minijail" {
                moat::import::minijail::import(&mut sources, id, &opts)
            } else {
                moat::import::kafel::import(&mut sources, id, &opts)
            };
            let diags = match r {
                Ok(out) => panic!("{} imported:\n{}", path.display(), out.text),
                Err(d) => d,
            };
            let got: BTreeSet<String> = diags.iter().map(|d| d.code.to_string()).collect();
            assert_eq!(got, expected, "{}", path.display());
            seen.extend(got);
            let rendered = moat::diagnostics::render::render_all(&diags, &sources, false);
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            insta::with_settings!({
                snapshot_path => Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/import"),
                prepend_module_to_snapshot => false,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(format!("{format}__fail__{stem}"), rendered);
            });
        }
    }
    let missing: Vec<&str> = moat::diagnostics::CODES
        .iter()
        .map(|c| c.code.as_str())
        .filter(|c| c.starts_with("E04") && !seen.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "importer codes without a case: {missing:?}"
    );
}

#[test]
fn formats_are_told_apart_by_content() {
    for (format, want) in [("minijail", "minijail"), ("kafel", "kafel")] {
        for path in corpus(format) {
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(moat::import::detect(&text), want, "{}", path.display());
        }
    }
    assert_eq!(
        moat::import::detect("{\"defaultAction\": \"SCMP_ACT_ERRNO\"}"),
        "oci"
    );
}
