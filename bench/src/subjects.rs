//! What is measured: the Docker and Podman defaults and every example
//! profile, each for x86_64 alone and for x86_64 + i386 + x32, built by moat
//! and by libseccomp from the same rules.

use crate::lsc::{self, Layout, RuleSet};
use moat::arch::Arch;
use moat::codegen::Program;
use moat::sema::{self, Analysis, CheckedProfile};
use std::path::{Path, PathBuf};

/// The Debian JSON files the stdlib ports were made from.
pub const DOCKER_JSON: &str =
    "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json";
pub const PODMAN_JSON: &str = "/usr/share/containers/seccomp.json";

/// The two architecture sets of the issue.
pub const ARCH_SETS: [&[Arch]; 2] = [&[Arch::X86_64], &[Arch::X86_64, Arch::I386, Arch::X32]];

pub fn set_name(arches: &[Arch]) -> String {
    arches
        .iter()
        .map(|a| a.name())
        .collect::<Vec<_>>()
        .join("+")
}

/// Where libseccomp's rules come from.
#[derive(Clone, Debug)]
pub enum Reference {
    /// A Debian JSON profile, with the capability set its runtime uses.
    Json {
        path: PathBuf,
        caps: &'static [&'static str],
    },
    /// moat's own OCI export of the profile (`moat build --emit oci`).
    MoatOci,
}

/// One moat profile and the source of libseccomp's copy of it.
#[derive(Clone, Debug)]
pub struct Subject {
    pub name: String,
    /// File name for diagnostics; `path` anchors relative imports.
    pub file: String,
    pub path: Option<PathBuf>,
    pub text: String,
    pub profile: String,
    pub reference: Reference,
    /// How the source was changed to build it for an arch set it does not
    /// target (examples only).
    pub note: Option<String>,
}

impl Subject {
    pub fn analyze(&self) -> Analysis {
        sema::analyze_source(
            &self.file,
            self.path.as_deref(),
            &self.text,
            &sema::Options::default(),
        )
    }
}

/// Docker's default, as a file would use it.
pub fn docker(extra: &str) -> Subject {
    Subject {
        name: "docker".into(),
        file: "docker.moat".into(),
        path: None,
        text: format!(
            "use std::docker\nprofile docker_default extends docker::default {{{extra}}}\n"
        ),
        profile: "docker_default".into(),
        reference: Reference::Json {
            path: DOCKER_JSON.into(),
            caps: lsc::DOCKER_DEFAULT_CAPS,
        },
        note: None,
    }
}

pub fn podman() -> Subject {
    Subject {
        name: "podman".into(),
        file: "podman.moat".into(),
        path: None,
        text: "use std::podman\nprofile podman_default extends podman::default {}\n".into(),
        profile: "podman_default".into(),
        reference: Reference::Json {
            path: PODMAN_JSON.into(),
            caps: lsc::PODMAN_DEFAULT_CAPS,
        },
        note: None,
    }
}

/// Every profile of every `examples/*.moat`, in file and source order.
pub fn examples(root: &Path) -> Result<Vec<Subject>, String> {
    let dir = root.join("examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "moat"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let stem = f
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let a = sema::analyze_source(
            &f.display().to_string(),
            Some(&f),
            &text,
            &sema::Options::default(),
        );
        for p in &a.profiles {
            out.push(Subject {
                name: format!("{stem}:{}", p.name),
                file: f.display().to_string(),
                path: Some(f.clone()),
                text: text.clone(),
                profile: p.name.clone(),
                reference: Reference::MoatOci,
                note: None,
            });
        }
    }
    Ok(out)
}

/// All subjects in table order.
pub fn all(root: &Path) -> Result<Vec<Subject>, String> {
    let mut v = vec![docker(""), podman()];
    v.extend(examples(root)?);
    Ok(v)
}

/// A checked profile ready to compile for one arch set.
pub struct Built {
    pub analysis: Analysis,
    pub subject: Subject,
    pub arches: Vec<Arch>,
}

impl Built {
    pub fn profile(&self) -> &CheckedProfile {
        moat::driver::select_profile(&self.analysis, Some(&self.subject.profile))
            .expect("checked when built")
    }
    pub fn compile(&self) -> Result<Program, String> {
        moat::driver::compile(self.profile(), &self.arches).map_err(|d| d.message.clone())
    }
}

/// Checks a subject and picks the arches; a profile whose `targets` line
/// lacks some of them gets them added to that line (reported as a note).
pub fn prepare(subject: &Subject, arches: &[Arch]) -> Result<Built, String> {
    let mut subject = subject.clone();
    for attempt in 0..2 {
        let analysis = subject.analyze();
        if analysis.has_errors() {
            let first = analysis
                .errors()
                .next()
                .map(|d| d.message.clone())
                .unwrap_or_default();
            return Err(match &subject.note {
                Some(n) => format!("after {n}: {first}"),
                None => first,
            });
        }
        let profile = moat::driver::select_profile(&analysis, Some(&subject.profile))?;
        let missing: Vec<Arch> = arches
            .iter()
            .copied()
            .filter(|a| !profile.settings.targets.contains(a))
            .collect();
        if missing.is_empty() {
            let got = moat::driver::build_arches(profile, arches)?;
            return Ok(Built {
                analysis,
                subject,
                arches: got,
            });
        }
        if attempt == 1 {
            break;
        }
        let (text, note) = retarget(&subject.text, &subject.profile, &missing)
            .ok_or_else(|| format!("{}: does not target {}", subject.name, set_name(&missing)))?;
        subject.text = text;
        subject.note = Some(note);
    }
    Err(format!("{}: could not retarget", subject.name))
}

/// Adds `missing` to the first `targets` line after `profile NAME`.
fn retarget(text: &str, profile: &str, missing: &[Arch]) -> Option<(String, String)> {
    let start = text.find(&format!("profile {profile}"))?;
    let rel = text[start..].find("targets ")?;
    let at = start + rel + "targets ".len();
    let end = at + text[at..].find(['\n', '/'])?;
    let old = text[at..end].trim_end().to_string();
    let new = format!(
        "{old}, {}",
        missing
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..at]);
    out.push_str(&new);
    out.push_str(&text[at + old.len()..]);
    Some((out, format!("`targets {old}` extended to `targets {new}`")))
}

/// libseccomp's rule set for a subject on an arch set (x86_64-based).
pub fn reference_rules(built: &Built) -> Result<(RuleSet, Option<String>), String> {
    let sub = built.arches.len() > 1;
    match &built.subject.reference {
        Reference::Json { path, caps } => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                format!(
                    "{}: {e} (apt-get install golang-github-docker-docker-dev golang-github-containers-common)",
                    path.display()
                )
            })?;
            let v: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok((lsc::select(&v, sub, caps, &lsc::running_kernel()), None))
        }
        Reference::MoatOci => {
            let json = moat::oci::export(built.profile(), &built.arches).map_err(|ds| {
                format!(
                    "{}: OCI export refused: {}",
                    built.subject.name,
                    ds.iter()
                        .map(|d| d.message.clone())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?;
            let v: serde_json::Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
            let mut rules = lsc::select(&v, sub, &[], &lsc::running_kernel());
            // OCI JSON has no bad-architecture action; libseccomp takes it as
            // a filter attribute (libseccomp_ref.py --badarch).
            let bad = built.profile().settings.bad_arch;
            rules.bad_arch = Some(
                lsc::from_act(bad)
                    .ok_or_else(|| format!("libseccomp has no bad-arch action {bad}"))?
                    .0,
            );
            Ok((rules, Some(json)))
        }
    }
}

/// `trap(N)` → `trap` everywhere in a source text; the count, or `None`.
pub fn strip_trap_data(text: &str) -> Option<(String, usize)> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut n = 0;
    while let Some(i) = rest.find("trap(") {
        let after = &rest[i + 5..];
        let close = after.find(')')?;
        out.push_str(&rest[..i + 4]);
        if after[..close]
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ')
            && close > 0
        {
            n += 1;
        } else {
            out.push_str(&rest[i + 4..i + 5 + close + 1]);
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    (n > 0).then_some((out, n))
}

/// Both libseccomp layouts.
pub const LAYOUTS: [Layout; 2] = [Layout::Linear, Layout::Tree];
