//! libseccomp 2.5.4 in-process, through the `libseccomp` crate.
//!
//! This follows `../shared/bench/libseccomp_ref.py` step for step (which in
//! turn follows moby's `setupSeccomp()` and runc's rule translation), so the
//! harness can time libseccomp without a Python interpreter in the way and
//! use it as a whole process (`moat-bench lsc-build`). Every run of the
//! harness checks that both produce byte-identical blobs.

use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterAttr, ScmpFilterContext,
    ScmpSyscall,
};
use serde_json::Value;
use std::io::{Read, Seek, SeekFrom};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};

/// The runtimes' default capability sets: the importer's, so the bench
/// instantiates the JSON exactly as `moat import` does.
pub use moat::import::json::{DOCKER_DEFAULT_CAPS, PODMAN_DEFAULT_CAPS};

/// libseccomp's two layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `SCMP_FLTATR_CTL_OPTIMIZE` = 1 (the default): a priority-ordered if-chain.
    Linear,
    /// `SCMP_FLTATR_CTL_OPTIMIZE` = 2: a binary tree on the syscall number.
    Tree,
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::Linear => "default",
            Layout::Tree => "tree",
        }
    }
}

/// One argument condition of a JSON entry.
#[derive(Clone, Debug)]
pub struct Cond {
    pub index: u32,
    pub op: String,
    pub value: u64,
    pub value_two: u64,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub names: Vec<String>,
    pub action: String,
    pub errno_ret: Option<u32>,
    pub args: Vec<Cond>,
}

/// The entries Docker's `setupSeccomp()` keeps, ready for libseccomp.
#[derive(Clone, Debug)]
pub struct RuleSet {
    pub default_action: String,
    pub default_errno: Option<u32>,
    /// x86_64 first, then the sub-architectures (when asked for).
    pub arches: Vec<ScmpArch>,
    pub entries: Vec<Entry>,
    /// `SCMP_FLTATR_ACT_BADARCH`, when not libseccomp's default (KILL_THREAD).
    pub bad_arch: Option<ScmpAction>,
}

const EPERM: u32 = 1;

fn kernel_ge(kernel: &str, want: &str) -> bool {
    fn mm(s: &str) -> (u32, u32) {
        let base = s.split('-').next().unwrap_or("");
        let mut p = base.split('.');
        let major = p.next().and_then(|x| x.parse().ok()).unwrap_or(0);
        let minor = p.next().and_then(|x| x.parse().ok()).unwrap_or(0);
        (major, minor)
    }
    mm(kernel) >= mm(want)
}

/// The running kernel's release (what libseccomp_ref.py uses for `minKernel`).
pub fn running_kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "6.0".to_string())
}

fn strs(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn scmp_arch(name: &str) -> Option<ScmpArch> {
    Some(match name {
        "SCMP_ARCH_X86_64" => ScmpArch::X8664,
        "SCMP_ARCH_X86" => ScmpArch::X86,
        "SCMP_ARCH_X32" => ScmpArch::X32,
        "SCMP_ARCH_AARCH64" => ScmpArch::Aarch64,
        "SCMP_ARCH_ARM" => ScmpArch::Arm,
        _ => return None,
    })
}

/// Selects the entries of a Docker/Podman/OCI profile for an amd64 host
/// (`sub_arches`: also add the profile's x86 and x32), as
/// libseccomp_ref.py does with `--arch x86_64 --arches native|profile`.
pub fn select(profile: &Value, sub_arches: bool, caps: &[&str], kernel: &str) -> RuleSet {
    let go_arch = "amd64";
    let mut entries = Vec::new();
    for call in profile["syscalls"].as_array().into_iter().flatten() {
        let mut names = strs(call.get("names"));
        if names.is_empty() {
            if let Some(n) = call.get("name").and_then(Value::as_str) {
                names.push(n.to_string());
            }
        }
        let inc = &call["includes"];
        let exc = &call["excludes"];
        let has = |l: &[String], x: &str| l.iter().any(|c| c == x);
        let exc_arches = strs(exc.get("arches"));
        let exc_caps = strs(exc.get("caps"));
        let inc_arches = strs(inc.get("arches"));
        let inc_caps = strs(inc.get("caps"));
        let skip = (!exc_arches.is_empty() && has(&exc_arches, go_arch))
            || (!exc_caps.is_empty() && exc_caps.iter().any(|c| caps.contains(&c.as_str())))
            || exc
                .get("minKernel")
                .and_then(Value::as_str)
                .is_some_and(|k| !k.is_empty() && kernel_ge(kernel, k))
            || (!inc_arches.is_empty() && !has(&inc_arches, go_arch))
            || (!inc_caps.is_empty() && !inc_caps.iter().all(|c| caps.contains(&c.as_str())))
            || inc
                .get("minKernel")
                .and_then(Value::as_str)
                .is_some_and(|k| !k.is_empty() && !kernel_ge(kernel, k));
        if skip {
            continue;
        }
        let args = call["args"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| Cond {
                index: a["index"].as_u64().unwrap_or(0) as u32,
                op: a["op"].as_str().unwrap_or("").to_string(),
                value: a["value"].as_u64().unwrap_or(0),
                value_two: a["valueTwo"].as_u64().unwrap_or(0),
            })
            .collect();
        entries.push(Entry {
            names,
            action: call["action"].as_str().unwrap_or("").to_string(),
            errno_ret: call["errnoRet"].as_u64().map(|e| e as u32),
            args,
        });
    }
    let mut arches = vec![ScmpArch::X8664];
    if sub_arches {
        let mut subs = Vec::new();
        for m in profile["archMap"].as_array().into_iter().flatten() {
            if m["architecture"].as_str() == Some("SCMP_ARCH_X86_64") {
                subs = strs(m.get("subArchitectures"));
            }
        }
        if subs.is_empty() {
            subs = strs(profile.get("architectures"))
                .into_iter()
                .filter(|a| a != "SCMP_ARCH_X86_64")
                .collect();
        }
        for s in subs {
            if let Some(a) = scmp_arch(&s) {
                if !arches.contains(&a) {
                    arches.push(a);
                }
            }
        }
    }
    RuleSet {
        default_action: profile["defaultAction"]
            .as_str()
            .unwrap_or("SCMP_ACT_ALLOW")
            .to_string(),
        default_errno: profile["defaultErrnoRet"].as_u64().map(|e| e as u32),
        arches,
        entries,
        bad_arch: None,
    }
}

/// A moat action as libseccomp's, with libseccomp_ref.py's `--badarch`
/// spelling; `None` when libseccomp has no such bad-arch action.
pub fn from_act(act: moat::sema::Act) -> Option<(ScmpAction, String)> {
    use moat::syntax::ast::ActionKind as K;
    Some(match act.kind {
        K::Kill => (ScmpAction::KillProcess, "kill_process".into()),
        K::KillThread => (ScmpAction::KillThread, "kill".into()),
        K::Trap if act.data == 0 => (ScmpAction::Trap, "trap".into()),
        K::Errno => (
            ScmpAction::Errno(i32::from(act.data)),
            format!("errno:{}", act.data),
        ),
        _ => return None,
    })
}

fn action(name: &str, errno: Option<u32>) -> Result<ScmpAction, String> {
    Ok(match name {
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => ScmpAction::KillThread,
        "SCMP_ACT_KILL_PROCESS" => ScmpAction::KillProcess,
        "SCMP_ACT_TRAP" => ScmpAction::Trap,
        "SCMP_ACT_ERRNO" => ScmpAction::Errno(errno.unwrap_or(EPERM) as i32),
        "SCMP_ACT_TRACE" => ScmpAction::Trace(errno.unwrap_or(EPERM) as u16),
        "SCMP_ACT_ALLOW" => ScmpAction::Allow,
        "SCMP_ACT_LOG" => ScmpAction::Log,
        "SCMP_ACT_NOTIFY" => ScmpAction::Notify,
        other => return Err(format!("unknown action {other}")),
    })
}

fn cmp(c: &Cond) -> Result<ScmpArgCompare, String> {
    let op = match c.op.as_str() {
        "SCMP_CMP_NE" => ScmpCompareOp::NotEqual,
        "SCMP_CMP_LT" => ScmpCompareOp::Less,
        "SCMP_CMP_LE" => ScmpCompareOp::LessOrEqual,
        "SCMP_CMP_EQ" => ScmpCompareOp::Equal,
        "SCMP_CMP_GE" => ScmpCompareOp::GreaterEqual,
        "SCMP_CMP_GT" => ScmpCompareOp::Greater,
        "SCMP_CMP_MASKED_EQ" => {
            return Ok(ScmpArgCompare::new(
                c.index,
                ScmpCompareOp::MaskedEqual(c.value),
                c.value_two,
            ))
        }
        other => return Err(format!("unknown op {other}")),
    };
    Ok(ScmpArgCompare::new(c.index, op, c.value))
}

/// Builds the libseccomp filter for a rule set (runc's rule translation).
/// Returns the context and the number of names libseccomp did not know.
pub fn build(rules: &RuleSet, layout: Layout) -> Result<(ScmpFilterContext, usize), String> {
    let e = |e: libseccomp::error::SeccompError| e.to_string();
    let default = action(&rules.default_action, rules.default_errno)?;
    let mut f = ScmpFilterContext::new(default).map_err(e)?;
    if let Some(b) = rules.bad_arch {
        if b != ScmpAction::KillThread {
            f.set_act_badarch(b).map_err(e)?;
        }
    }
    if layout == Layout::Tree {
        f.set_filter_attr(ScmpFilterAttr::CtlOptimize, 2)
            .map_err(e)?;
    }
    for &a in &rules.arches {
        if !f.is_arch_present(a).map_err(e)? {
            f.add_arch(a).map_err(e)?;
        }
    }
    // The native architecture (x86_64 here) is always the first wanted one.
    let mut unknown = 0;
    for call in &rules.entries {
        let act = action(&call.action, call.errno_ret)?;
        for name in &call.names {
            let Ok(sc) = ScmpSyscall::from_name(name) else {
                unknown += 1;
                continue;
            };
            if act == default {
                continue;
            }
            let mut counts = std::collections::BTreeMap::new();
            for c in &call.args {
                *counts.entry(c.index).or_insert(0) += 1;
            }
            let conds: Vec<ScmpArgCompare> = call.args.iter().map(cmp).collect::<Result<_, _>>()?;
            // Conflicts are skipped, as libseccomp_ref.py does.
            let _ = if conds.is_empty() {
                f.add_rule(act, sc).map(|_| ())
            } else if counts.values().any(|&n| n > 1) {
                conds
                    .iter()
                    .try_for_each(|c| f.add_rule_conditional(act, sc, &[*c]).map(|_| ()))
            } else {
                f.add_rule_conditional(act, sc, &conds).map(|_| ())
            };
        }
    }
    Ok((f, unknown))
}

/// `seccomp_export_bpf()` into a memfd, read back.
pub fn export(f: &ScmpFilterContext) -> Result<Vec<u8>, String> {
    // SAFETY: memfd_create with a valid C string; the result is checked.
    let fd = unsafe { libc::memfd_create(c"lsc-export".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    // SAFETY: fd is a fresh descriptor we own.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    f.export_bpf(owned.as_fd()).map_err(|e| e.to_string())?;
    let mut file = std::fs::File::from(owned);
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    file.read_to_end(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Select, build and export in one go.
pub fn blob(rules: &RuleSet, layout: Layout) -> Result<Vec<u8>, String> {
    let (f, _) = build(rules, layout)?;
    export(&f)
}
