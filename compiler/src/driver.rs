//! The one API the CLI, the language server and build scripts share:
//! check a file, pick a profile, compile it for some architectures, run its
//! tests. Nothing here prints.

use crate::arch::Arch;
use crate::bpf::{Endian, SeccompData};
use crate::codegen::{self, Program};
use crate::diagnostics::{codes, Diagnostic};
use crate::sema::{Act, Analysis, CheckedCase, CheckedProfile};
use std::collections::BTreeMap;

/// Picks the profile to build: the named one, or the file's only profile.
pub fn select_profile<'a>(
    analysis: &'a Analysis,
    name: Option<&str>,
) -> Result<&'a CheckedProfile, String> {
    let names: Vec<&str> = analysis.profiles.iter().map(|p| p.name.as_str()).collect();
    match name {
        Some(n) => analysis.profile(n).ok_or_else(|| {
            let hint = crate::diagnostics::suggest(n, names.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            format!(
                "[{}] no profile `{n}` in this file{hint}; its profiles are: {}",
                codes::WHICH_PROFILE,
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )
        }),
        None => match analysis.profiles.as_slice() {
            [one] => Ok(one),
            [] => Err(format!(
                "[{}] this file defines no profile to build",
                codes::WHICH_PROFILE
            )),
            many => Err(format!(
                "[{}] this file defines {} profiles; choose one with --profile: {}",
                codes::WHICH_PROFILE,
                many.len(),
                names.join(", ")
            )),
        },
    }
}

/// The architectures one build covers: `requested` (each must be a
/// target), else every target; all must share a byte order.
pub fn build_arches(profile: &CheckedProfile, requested: &[Arch]) -> Result<Vec<Arch>, String> {
    let targets = &profile.settings.targets;
    let arches: Vec<Arch> = if requested.is_empty() {
        targets.clone()
    } else {
        for a in requested {
            if !targets.contains(a) {
                return Err(format!(
                    "{} is not a target of profile `{}` (targets: {})",
                    a.name(),
                    profile.name,
                    targets
                        .iter()
                        .map(|t| t.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        targets
            .iter()
            .copied()
            .filter(|t| requested.contains(t))
            .collect()
    };
    let little: Vec<&str> = arches
        .iter()
        .filter(|a| a.endian() == Endian::Little)
        .map(|a| a.name())
        .collect();
    let big: Vec<&str> = arches
        .iter()
        .filter(|a| a.endian() == Endian::Big)
        .map(|a| a.name())
        .collect();
    if !little.is_empty() && !big.is_empty() {
        return Err(format!(
            "one program runs on one byte order: choose with --arch between little-endian {} and big-endian {}",
            little.join(", "),
            big.join(", ")
        ));
    }
    Ok(arches)
}

/// Compiles a checked profile for the given architectures (one byte order).
pub fn compile(profile: &CheckedProfile, arches: &[Arch]) -> Result<Program, Diagnostic> {
    compile_with(profile, arches, None)
}

/// `compile` with syscall frequencies shaping the search.
pub fn compile_with(
    profile: &CheckedProfile,
    arches: &[Arch],
    weights: Option<&codegen::Weights>,
) -> Result<Program, Diagnostic> {
    let policy = crate::ir::lower(profile, arches);
    codegen::generate_with(&policy, weights).map_err(|e| {
        Diagnostic::new(
            codes::TOO_LARGE,
            profile.name_span,
            format!("profile `{}` does not fit in one filter", profile.name),
        )
        .with_label(e.to_string())
        .with_help("split the policy per architecture with --arch, or simplify argument conditions")
    })
}

/// The outcome of one test expectation.
#[derive(Clone, Debug)]
pub struct CaseResult {
    pub case: CheckedCase,
    pub profile: String,
    /// What the compiled program returned.
    pub got: Act,
    /// What the reference semantics say (equal to `got` unless moat has a bug).
    pub reference: Act,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.got == self.case.expect && self.reference == self.case.expect
    }

    /// The error a failed expectation is reported as.
    pub fn failure(&self) -> Diagnostic {
        let arch = Some(self.case.arch);
        let mut d = Diagnostic::new(
            codes::BAD_TEST_CASE,
            self.case.span,
            format!(
                "test failed on {}: `{}`",
                self.case.arch.name(),
                self.case.text
            ),
        )
        .with_label(format!(
            "expected {}, the filter returns {}",
            self.case.expect.describe(arch),
            self.got.describe(arch)
        ));
        if self.got != self.reference {
            d = d.with_note(format!(
                "moat bug: the reference semantics say {}; please report it",
                self.reference.describe(arch)
            ));
        }
        d
    }
}

/// Runs every `test` block of the analysis on the compiled programs with
/// the interpreter. Programs are built per (profile, byte order).
pub fn run_tests(analysis: &Analysis) -> Result<Vec<CaseResult>, Diagnostic> {
    let mut programs: BTreeMap<(String, bool), Program> = BTreeMap::new();
    let mut results = Vec::new();
    for t in &analysis.tests {
        let Some(profile) = analysis
            .profile(&t.profile)
            .cloned()
            .or_else(|| find_profile(analysis, &t.profile))
        else {
            continue;
        };
        for case in &t.cases {
            let big = case.arch.endian() == Endian::Big;
            let key = (profile.name.clone(), big);
            if !programs.contains_key(&key) {
                let arches: Vec<Arch> = profile
                    .settings
                    .targets
                    .iter()
                    .copied()
                    .filter(|a| (a.endian() == Endian::Big) == big)
                    .collect();
                programs.insert(key.clone(), compile(&profile, &arches)?);
            }
            let program = &programs[&key];
            let data = SeccompData {
                nr: case.nr,
                arch: case.arch.audit_arch(),
                instruction_pointer: 0,
                args: case.args,
            };
            let got = crate::emu::run(&program.insns, &data, program.endian)
                .ok()
                .and_then(|o| Act::from_ret(o.ret))
                .unwrap_or(Act::KILL);
            let reference = crate::ir::reference::decide(&profile, &data);
            results.push(CaseResult {
                case: case.clone(),
                profile: profile.name.clone(),
                got,
                reference,
            });
        }
    }
    Ok(results)
}

fn find_profile(analysis: &Analysis, name: &str) -> Option<CheckedProfile> {
    analysis.profiles.iter().find(|p| p.name == name).cloned()
}

/// Figures for `moat build --stats`, per architecture.
#[derive(Clone, Debug)]
pub struct ArchStats {
    pub arch: Arch,
    /// Executed instructions for calls the program allows (all arguments 0).
    pub allowed: Option<(usize, f64, usize)>,
    /// Executed instructions for every other named syscall.
    pub other: Option<(usize, f64, usize)>,
    pub unconditional_allows: usize,
    pub cacheable_allows: usize,
}

pub fn stats(profile: &CheckedProfile, program: &Program) -> Vec<ArchStats> {
    let policy = crate::ir::lower(profile, &program.arches);
    let mut out = Vec::new();
    for ap in &policy.arches {
        let mut allowed = Vec::new();
        let mut other = Vec::new();
        let mut uncond = Vec::new();
        for (&nr, &node) in &ap.syscalls {
            let data = SeccompData {
                nr,
                arch: ap.arch.audit_arch(),
                instruction_pointer: 0,
                args: [0; 6],
            };
            let Ok(o) = crate::emu::run(&program.insns, &data, program.endian) else {
                continue;
            };
            if o.ret == crate::bpf::SECCOMP_RET_ALLOW {
                allowed.push(o.executed);
            } else {
                other.push(o.executed);
            }
            if let crate::logic::NodeView::Leaf(id) = policy.dd.node(node) {
                if policy.actions[id as usize] == Act::ALLOW {
                    uncond.push(nr);
                }
            }
        }
        let cacheable = crate::emu::cacheable_allows(
            &program.insns,
            ap.arch.audit_arch(),
            uncond.iter().copied(),
        )
        .len();
        out.push(ArchStats {
            arch: ap.arch,
            allowed: summarize(&allowed),
            other: summarize(&other),
            unconditional_allows: uncond.len(),
            cacheable_allows: cacheable,
        });
    }
    out
}

fn summarize(v: &[usize]) -> Option<(usize, f64, usize)> {
    let min = *v.iter().min()?;
    let max = *v.iter().max()?;
    Some((min, v.iter().sum::<usize>() as f64 / v.len() as f64, max))
}
