//! `test` blocks: each expectation resolved to concrete calls, one per
//! architecture it applies to, ready for an evaluator.

use super::profiles::CheckedProfile;
use super::types::positional_index;
use super::{arch_list, Act, Cx, ModuleId};
use crate::arch::{Arch, Slots};
use crate::diagnostics::{codes, suggest, Diagnostic};
use crate::source::Span;
use crate::syntax::ast;

#[derive(Clone, Debug)]
pub struct CheckedTest {
    pub profile: String,
    pub span: Span,
    pub cases: Vec<CheckedCase>,
}

#[derive(Clone, Debug)]
pub struct CheckedCase {
    pub span: Span,
    pub arch: Arch,
    pub syscall: &'static str,
    pub nr: u32,
    pub args: [u64; 6],
    pub expect: Act,
    /// The call as written, for reports.
    pub text: String,
}

impl Cx {
    pub(crate) fn check_tests(
        &mut self,
        module: ModuleId,
        profiles: &[CheckedProfile],
    ) -> Vec<CheckedTest> {
        let tests: Vec<(ast::Test, Span)> = self
            .module(module)
            .ast
            .items
            .iter()
            .filter_map(|i| match &i.kind {
                ast::ItemKind::Test(t) => Some((t.clone(), i.span)),
                _ => None,
            })
            .collect();
        let mut out = Vec::new();
        for (t, span) in tests {
            let Some(def) = self.resolve_profile(module, &t.profile, false, "`test`") else {
                continue;
            };
            let profile = match profiles.iter().find(|p| p.def == def) {
                Some(p) => p.clone(),
                None => match self.check_profile(def) {
                    Some(p) => p,
                    None => continue,
                },
            };
            let mut cases = Vec::new();
            for case in &t.cases {
                if case.syscall.name.is_empty() {
                    continue; // a syntax error, already reported
                }
                self.check_case(module, &profile, case, &mut cases);
            }
            out.push(CheckedTest {
                profile: profile.name.clone(),
                span,
                cases,
            });
        }
        out
    }

    fn check_case(
        &mut self,
        module: ModuleId,
        profile: &CheckedProfile,
        case: &ast::TestCase,
        out: &mut Vec<CheckedCase>,
    ) {
        let targets = &profile.settings.targets;
        let arches: Vec<Arch> = match &case.arch {
            Some(n) => match Arch::from_name(&n.name) {
                Some(a) if targets.contains(&a) => vec![a],
                Some(a) => {
                    self.report(
                        Diagnostic::new(
                            codes::BAD_TEST_CASE,
                            n.span,
                            format!("{} is not a target of `{}`", a.name(), profile.name),
                        )
                        .with_label("not targeted")
                        .with_help(format!("the targets are {}", arch_list(targets))),
                    );
                    return;
                }
                None => {
                    self.report_unknown_arch(n);
                    return;
                }
            },
            None => targets
                .iter()
                .copied()
                .filter(|a| a.syscall(&case.syscall.name).is_some())
                .collect(),
        };
        let name = &case.syscall.name;
        if arches.is_empty() || arches.iter().all(|a| a.syscall(name).is_none()) {
            let cands: Vec<&str> = targets
                .iter()
                .flat_map(|a| a.syscalls().iter().map(|s| s.name))
                .collect();
            let d = Diagnostic::new(
                codes::BAD_TEST_CASE,
                case.syscall.span,
                format!(
                    "`{name}` is not a syscall on {}",
                    arch_list(if arches.is_empty() { targets } else { &arches })
                ),
            )
            .with_label("unknown syscall");
            let d = match suggest(name, cands) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d,
            };
            self.report(d);
            return;
        }
        if case.args.iter().filter(|a| a.name.is_none()).count() > 6 {
            self.report(
                Diagnostic::new(
                    codes::BAD_TEST_CASE,
                    case.args
                        .iter()
                        .filter(|a| a.name.is_none())
                        .nth(6)
                        .map_or(case.span, |a| a.value.span),
                    "a syscall has at most six arguments",
                )
                .with_label("seventh argument")
                .with_help("seccomp sees six argument registers"),
            );
            return;
        }
        let text = {
            let src = &self.sources.get(case.span.file).text;
            src[case.syscall.span.start as usize..case.span.end as usize]
                .split("=>")
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        };
        for arch in arches {
            let Some(sc) = arch.syscall(name) else {
                self.report(
                    Diagnostic::new(
                        codes::BAD_TEST_CASE,
                        case.syscall.span,
                        format!("`{name}` does not exist on {}", arch.name()),
                    )
                    .with_label("unknown on this architecture"),
                );
                continue;
            };
            let mut args = [0u64; 6];
            let mut positional = 0u8;
            let mut ok = true;
            for a in &case.args {
                let v = match self.eval_const(module, &a.value, arch) {
                    Ok(v) => v,
                    Err(()) => {
                        ok = false;
                        continue;
                    }
                };
                // A register holds the sign-extended value.
                let reg = v as u64;
                match &a.name {
                    // By position: register slots, numbered like `argN`.
                    // (A split 64-bit value takes two positions on 32-bit
                    // targets; naming it, as in `pos: …`, sets both.)
                    None => {
                        let i = usize::from(positional);
                        positional += 1;
                        if i >= usize::from(sc.nslots.min(6)) && !sc.args.is_empty() {
                            self.report(
                                Diagnostic::new(
                                    codes::BAD_TEST_CASE,
                                    a.value.span,
                                    format!(
                                        "{} has {} argument slot{} on {}",
                                        sc.name,
                                        sc.nslots,
                                        if sc.nslots == 1 { "" } else { "s" },
                                        arch.name()
                                    ),
                                )
                                .with_label("no such slot")
                                .with_help("positional arguments fill the register slots `arg0`, `arg1`, … in order"),
                            );
                            ok = false;
                        } else if i < 6 {
                            args[i] = reg;
                        }
                    }
                    Some(n) => {
                        if let Some(i) = positional_index(&n.name).filter(|i| *i < 6) {
                            let i = i as u8;
                            self.warn_kernel_argn(sc, &n.name, i, n.span);
                            args[usize::from(i)] = reg;
                            continue;
                        }
                        match sc.args.iter().find(|x| x.names.contains(&n.name.as_str())) {
                            Some(x) => match x.slots {
                                Slots::One(s) => args[usize::from(s)] = reg,
                                Slots::Pair { lo, hi } => {
                                    args[usize::from(lo)] = reg & 0xffff_ffff;
                                    args[usize::from(hi)] = reg >> 32;
                                }
                            },
                            None => {
                                let names: Vec<&str> = sc
                                    .args
                                    .iter()
                                    .flat_map(|a| a.names.iter().copied())
                                    .collect();
                                let d = Diagnostic::new(
                                    codes::UNKNOWN_ARGUMENT,
                                    n.span,
                                    format!(
                                        "{} has no argument `{}` on {}",
                                        sc.name,
                                        n.name,
                                        arch.name()
                                    ),
                                )
                                .with_label("unknown argument");
                                let d = match suggest(&n.name, names) {
                                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                                    None => d,
                                };
                                self.report(d);
                                ok = false;
                            }
                        }
                    }
                }
            }
            let expect = self.resolve_action(module, &case.expect, arch);
            if let (true, Ok(expect)) = (ok, expect) {
                out.push(CheckedCase {
                    span: case.span,
                    arch,
                    syscall: sc.name,
                    nr: sc.nr,
                    args,
                    expect,
                    text: text.clone(),
                });
            }
        }
    }
}
