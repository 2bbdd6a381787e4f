//! OCI runtime-spec, Docker and Podman seccomp JSON to moat.
//!
//! The profile is instantiated the way dockerd and Podman instantiate it
//! before handing it to runc: entries whose `includes` are not met or whose
//! `excludes` are met are left out of `default` (capability-gated entries
//! become mixins to `include`, one per missing capability set);
//! `includes.arches` become `on` blocks; `minKernel` is compared with
//! `--kernel` when given. Entry conditions are ANDed, but several
//! conditions on one argument index become separate rules, as runc does.

use crate::arch::Arch;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Docker's default capability set (moby `oci/caps/defaults.go`).
pub const DOCKER_DEFAULT_CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// Podman's default capability set (containers.conf).
pub const PODMAN_DEFAULT_CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_NET_BIND_SERVICE",
    "CAP_SETFCAP",
    "CAP_SETGID",
    "CAP_SETPCAP",
    "CAP_SETUID",
    "CAP_SYS_CHROOT",
];

#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Profile name in the output.
    pub name: String,
    /// Capabilities of the container; `None` = the runtime's defaults.
    pub caps: Option<Vec<String>>,
    /// Instantiate for a host of this architecture only.
    pub arch: Option<Arch>,
    /// Kernel version (major, minor) for `minKernel`; `None` keeps every entry.
    pub kernel: Option<(u32, u32)>,
}

pub struct Imported {
    pub text: String,
    /// Things the output does not carry (unknown names, fields, arches).
    pub warnings: Vec<String>,
}

pub fn scmp_arch(name: &str) -> Option<Arch> {
    Some(match name {
        "SCMP_ARCH_X86_64" => Arch::X86_64,
        "SCMP_ARCH_X86" => Arch::I386,
        "SCMP_ARCH_X32" => Arch::X32,
        "SCMP_ARCH_AARCH64" => Arch::Aarch64,
        "SCMP_ARCH_ARM" => Arch::Arm,
        "SCMP_ARCH_RISCV64" => Arch::Riscv64,
        "SCMP_ARCH_PPC64LE" => Arch::Ppc64le,
        "SCMP_ARCH_S390X" => Arch::S390x,
        _ => return None,
    })
}

/// The moat architectures a Go `GOARCH` host runs (dockerd adds an
/// arch-gated entry to every ABI of the filter on such a host).
fn go_arch_family(go: &str) -> &'static [Arch] {
    match go {
        "amd64" => &[Arch::X86_64, Arch::X32, Arch::I386],
        "386" => &[Arch::I386],
        "arm64" => &[Arch::Aarch64, Arch::Arm],
        "arm" => &[Arch::Arm],
        "riscv64" => &[Arch::Riscv64],
        "ppc64le" => &[Arch::Ppc64le],
        "s390x" => &[Arch::S390x],
        _ => &[],
    }
}

fn host_go_arch(a: Arch) -> &'static str {
    match a {
        Arch::X86_64 | Arch::X32 => "amd64",
        Arch::I386 => "386",
        Arch::Aarch64 => "arm64",
        Arch::Arm => "arm",
        Arch::Riscv64 => "riscv64",
        Arch::Ppc64le => "ppc64le",
        Arch::S390x => "s390x",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Context {
    /// Capabilities the entry needs beyond the container's.
    caps: Vec<String>,
    /// Architectures the entry is limited to (empty: all).
    arches: Vec<Arch>,
}

pub fn import(text: &str, opts: &ImportOptions) -> Result<Imported, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("the top level is not an object")?;
    let mut warnings = Vec::new();
    for k in obj.keys() {
        if !matches!(
            k.as_str(),
            "defaultAction"
                | "defaultErrnoRet"
                | "defaultErrno"
                | "archMap"
                | "architectures"
                | "syscalls"
                | "flags"
                | "listenerPath"
                | "listenerMetadata"
        ) {
            warnings.push(format!("unknown top-level field `{k}` ignored"));
        }
    }
    let podman = obj.contains_key("defaultErrno");
    let default_caps: Vec<String> = opts.caps.clone().unwrap_or_else(|| {
        (if podman {
            PODMAN_DEFAULT_CAPS
        } else {
            DOCKER_DEFAULT_CAPS
        })
        .iter()
        .map(|s| s.to_string())
        .collect()
    });

    // Targets.
    let mut targets: Vec<Arch> = Vec::new();
    let mut add = |name: &str, warnings: &mut Vec<String>| match scmp_arch(name) {
        Some(a) if !targets.contains(&a) => targets.push(a),
        Some(_) => {}
        None => warnings.push(format!(
            "architecture `{name}` is not one moat targets; left out"
        )),
    };
    if let Some(map) = obj.get("archMap").and_then(Value::as_array) {
        for m in map {
            let main = m.get("architecture").and_then(Value::as_str).unwrap_or("");
            let subs: Vec<&str> = m
                .get("subArchitectures")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(host) = opts.arch {
                // dockerd picks the archMap entry of its own architecture.
                let fam = go_arch_family(host_go_arch(host));
                if scmp_arch(main).is_none_or(|a| !fam.contains(&a) || fam[0] != a) {
                    continue;
                }
            }
            add(main, &mut warnings);
            for s in subs {
                add(s, &mut warnings);
            }
        }
    }
    if let Some(list) = obj.get("architectures").and_then(Value::as_array) {
        for a in list.iter().filter_map(Value::as_str) {
            add(a, &mut warnings);
        }
    }
    if targets.is_empty() {
        targets.push(opts.arch.unwrap_or(Arch::X86_64));
        warnings.push(format!(
            "no architectures given; targeting {}",
            targets[0].name()
        ));
    }

    let default_errno = obj
        .get("defaultErrno")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            obj.get("defaultErrnoRet")
                .and_then(Value::as_u64)
                .map(|n| n.to_string())
        });
    let default = action_text(
        obj.get("defaultAction")
            .and_then(Value::as_str)
            .unwrap_or("SCMP_ACT_ALLOW"),
        default_errno.as_deref(),
        &mut warnings,
    )?;

    // Rules by context (caps needed, arches), then by action.
    let mut rules: BTreeMap<Context, Vec<(String, Vec<String>, Option<String>, String)>> =
        BTreeMap::new();
    let mut first_plain: BTreeMap<String, String> = BTreeMap::new();
    let empty = Vec::new();
    for (i, e) in obj
        .get("syscalls")
        .and_then(Value::as_array)
        .unwrap_or(&empty)
        .iter()
        .enumerate()
    {
        let Some(eo) = e.as_object() else {
            warnings.push(format!("syscalls[{i}] is not an object; left out"));
            continue;
        };
        for k in eo.keys() {
            if !matches!(
                k.as_str(),
                "names"
                    | "name"
                    | "action"
                    | "args"
                    | "comment"
                    | "includes"
                    | "excludes"
                    | "errnoRet"
                    | "errno"
            ) {
                warnings.push(format!("syscalls[{i}]: unknown field `{k}` ignored"));
            }
        }
        let mut names: Vec<String> = eo
            .get("names")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(n) = eo.get("name").and_then(Value::as_str) {
            names.push(n.to_string());
        }
        let comment = eo
            .get("comment")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string();
        let inc = eo.get("includes").and_then(Value::as_object);
        let exc = eo.get("excludes").and_then(Value::as_object);
        let strs = |o: Option<&serde_json::Map<String, Value>>, k: &str| -> Vec<String> {
            o.and_then(|o| o.get(k))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        if let (Some(kernel), Some(min)) = (
            opts.kernel,
            inc.and_then(|o| o.get("minKernel")).and_then(Value::as_str),
        ) {
            let mut parts = min.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
            let need = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
            if kernel < need {
                continue;
            }
        }
        let exc_caps = strs(exc, "caps");
        if exc_caps.iter().any(|c| default_caps.contains(c)) {
            continue; // dockerd drops it for this capability set
        }
        let missing: Vec<String> = strs(inc, "caps")
            .into_iter()
            .filter(|c| !default_caps.contains(c))
            .collect();
        if !exc_caps.is_empty() && !missing.is_empty() {
            warnings.push(format!(
                "syscalls[{i}] both needs and excludes capabilities; left out"
            ));
            continue;
        }
        // Architecture gates.
        let inc_arches = strs(inc, "arches");
        let exc_arches = strs(exc, "arches");
        let mut arches: Vec<Arch> = Vec::new();
        if !inc_arches.is_empty() || !exc_arches.is_empty() {
            let families: Vec<Arch> = if !inc_arches.is_empty() {
                inc_arches
                    .iter()
                    .flat_map(|g| go_arch_family(g).iter().copied())
                    .collect()
            } else {
                let excluded: Vec<Arch> = exc_arches
                    .iter()
                    .flat_map(|g| go_arch_family(g).iter().copied())
                    .collect();
                targets
                    .iter()
                    .copied()
                    .filter(|a| !excluded.contains(a))
                    .collect()
            };
            if let Some(host) = opts.arch {
                let host_in = if !inc_arches.is_empty() {
                    inc_arches.iter().any(|g| g == host_go_arch(host))
                } else {
                    !exc_arches.iter().any(|g| g == host_go_arch(host))
                };
                if !host_in {
                    continue;
                }
            } else {
                arches = targets
                    .iter()
                    .copied()
                    .filter(|a| families.contains(a))
                    .collect();
                if arches.is_empty() {
                    continue;
                }
                if arches.len() == targets.len() {
                    arches.clear();
                }
            }
        }
        let errno = eo
            .get("errno")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                eo.get("errnoRet")
                    .and_then(Value::as_u64)
                    .map(|n| n.to_string())
            });
        let action = action_text(
            eo.get("action").and_then(Value::as_str).unwrap_or(""),
            errno.as_deref(),
            &mut warnings,
        )?;
        let (known, unknown): (Vec<String>, Vec<String>) = names
            .into_iter()
            .partition(|n| Arch::ALL.iter().any(|a| a.syscall(n).is_some()));
        for u in &unknown {
            warnings.push(format!(
                "syscall `{u}` is unknown to moat's tables for its architectures; left out"
            ));
        }
        if known.is_empty() {
            continue;
        }
        let scope: Vec<Arch> = if arches.is_empty() {
            targets.clone()
        } else {
            arches.clone()
        };
        let preds = conditions(&known, eo.get("args"), &scope, &mut warnings);
        let ctx = Context {
            caps: missing,
            arches,
        };
        // libseccomp keeps the first unconditional rule of a syscall; a
        // later unconditional rule with another action does not apply.
        let known: Vec<String> = if preds == [None] && ctx.caps.is_empty() {
            known
                .into_iter()
                .filter(|n| match first_plain.get(n) {
                    Some(a) if *a != action => {
                        warnings.push(format!("`{n}`: libseccomp keeps the first unconditional rule ({a}); a later `{action}` is left out"));
                        false
                    }
                    Some(_) => true,
                    None => {
                        first_plain.insert(n.clone(), action.clone());
                        true
                    }
                })
                .collect()
        } else {
            known
        };
        if known.is_empty() {
            continue;
        }
        for pred in preds {
            if action == default && pred.is_none() {
                // runc skips rules whose action is the default.
                continue;
            }
            rules.entry(ctx.clone()).or_default().push((
                action.clone(),
                known.clone(),
                pred,
                comment.clone(),
            ));
        }
    }

    // Output.
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Imported by `moat import` ({} format).",
        if podman {
            "Podman"
        } else if obj.contains_key("archMap") {
            "Docker"
        } else {
            "OCI"
        }
    );
    if opts.caps.is_none() {
        let _ = writeln!(
            out,
            "// `{}` is the profile for the runtime's default capabilities; the mixins add what",
            opts.name
        );
        let _ = writeln!(
            out,
            "// other capabilities allow (include them in a profile that extends `{}`).",
            opts.name
        );
    }
    let _ = writeln!(out);
    let mut bodies: BTreeMap<Vec<String>, String> = BTreeMap::new();
    let mut groups = String::new();
    for list in rules.values_mut() {
        merge_equalities(list);
    }
    for (ctx, list) in &rules {
        let body = bodies.entry(ctx.caps.clone()).or_default();
        let indent = if ctx.arches.is_empty() {
            "    "
        } else {
            "        "
        };
        if !ctx.arches.is_empty() {
            let names: Vec<&str> = ctx.arches.iter().map(|a| a.name()).collect();
            let _ = writeln!(body, "    on {} {{", names.join(", "));
        }
        // Unconditional entries of one action merge into one rule.
        let mut plain: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (action, names, pred, comment) in list {
            if pred.is_none() && comment.is_empty() {
                plain
                    .entry(action.as_str())
                    .or_default()
                    .extend(names.iter().map(String::as_str));
                continue;
            }
            if !comment.is_empty() {
                let _ = writeln!(body, "{indent}// {comment}");
            }
            let _ = write!(body, "{indent}{action} {}", names.join(", "));
            match pred {
                Some(p) => {
                    let _ = writeln!(body, " if {p}");
                }
                None => {
                    let _ = writeln!(body);
                }
            }
        }
        for (action, mut names) in plain {
            names.sort_unstable();
            names.dedup();
            let scope: &[Arch] = if ctx.arches.is_empty() {
                &targets
            } else {
                &ctx.arches
            };
            let partial = names
                .iter()
                .any(|n| scope.iter().any(|a| a.syscall(n).is_none()));
            if names.len() > 8 || partial {
                // A group: its members may be missing on some targets
                // without a warning for each.
                let g = group_name(action, ctx);
                groups.push_str(wrap(&format!("group {g} = ["), &names).trim_end());
                groups.push_str("]\n");
                let _ = writeln!(body, "{indent}{action} {g}");
            } else {
                body.push_str(&wrap(&format!("{indent}{action} "), &names));
            }
        }
        if !ctx.arches.is_empty() {
            let _ = writeln!(body, "    }}");
        }
    }
    if !groups.is_empty() {
        out.push_str(&groups);
        out.push('\n');
    }
    let names: Vec<&str> = targets.iter().map(|a| a.name()).collect();
    let _ = writeln!(out, "profile {} {{", opts.name);
    let _ = writeln!(out, "    targets {}", names.join(", "));
    let _ = writeln!(out, "    default {default}");
    let _ = writeln!(
        out,
        "    bad_arch kill_thread   // libseccomp's default, which runtimes keep"
    );
    if let Some(body) = bodies.get(&Vec::new()) {
        out.push_str(body);
    }
    let _ = writeln!(out, "}}");
    for (caps, body) in &bodies {
        if caps.is_empty() {
            continue;
        }
        let name: Vec<String> = caps.iter().map(|c| c.to_ascii_lowercase()).collect();
        let _ = writeln!(out, "\nmixin {} {{", name.join("_and_"));
        out.push_str(body);
        let _ = writeln!(out, "}}");
    }
    let mut seen = std::collections::BTreeSet::new();
    warnings.retain(|w| seen.insert(w.clone()));
    Ok(Imported {
        text: out,
        warnings,
    })
}

pub(crate) fn wrap(head: &str, names: &[&str]) -> String {
    let indent = " ".repeat(head.len());
    let mut out = String::from(head);
    let mut col = head.len();
    for (i, n) in names.iter().enumerate() {
        let piece = if i + 1 < names.len() {
            format!("{n}, ")
        } else {
            (*n).to_string()
        };
        if col + piece.len() > 96 && col > head.len() {
            while out.ends_with(' ') {
                out.pop();
            }
            out.push('\n');
            out.push_str(&indent);
            col = indent.len();
        }
        out.push_str(&piece);
        col += piece.len();
    }
    out.push('\n');
    out
}

fn action_text(
    action: &str,
    errno: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<String, String> {
    Ok(match action {
        "SCMP_ACT_ALLOW" => "allow".into(),
        "SCMP_ACT_LOG" => "log".into(),
        "SCMP_ACT_NOTIFY" => "notify".into(),
        "SCMP_ACT_TRAP" => "trap".into(),
        "SCMP_ACT_KILL_PROCESS" => "kill".into(),
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => "kill_thread".into(),
        // runc uses EPERM when no errno is given.
        "SCMP_ACT_ERRNO" => format!("errno({})", errno_text(errno.unwrap_or("EPERM"))),
        "SCMP_ACT_TRACE" => format!("trace({})", errno.unwrap_or("1")),
        other => {
            warnings.push(format!("unknown action `{other}`"));
            return Err(format!("unknown action `{other}`"));
        }
    })
}

/// The rule conditions of one entry: one AND of all arguments, or one per
/// condition when an index repeats (runc adds those as separate rules).
fn conditions(
    names: &[String],
    args: Option<&Value>,
    targets: &[Arch],
    warnings: &mut Vec<String>,
) -> Vec<Option<String>> {
    let args: Vec<&Value> = args
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if args.is_empty() {
        return vec![None];
    }
    let mut parts = Vec::new();
    for a in &args {
        let index = a.get("index").and_then(Value::as_u64).unwrap_or(0) as u8;
        let value = a.get("value").and_then(Value::as_u64).unwrap_or(0);
        let two = a.get("valueTwo").and_then(Value::as_u64).unwrap_or(0);
        let op = a.get("op").and_then(Value::as_str).unwrap_or("");
        let name = arg_name(names, index, targets);
        let text = match op {
            "SCMP_CMP_EQ" => format!("{name} == {}", num(value)),
            "SCMP_CMP_NE" => format!("{name} != {}", num(value)),
            "SCMP_CMP_LT" => format!("{name} < {}", num(value)),
            "SCMP_CMP_LE" => format!("{name} <= {}", num(value)),
            "SCMP_CMP_GT" => format!("{name} > {}", num(value)),
            "SCMP_CMP_GE" => format!("{name} >= {}", num(value)),
            "SCMP_CMP_MASKED_EQ" => format!("{name} & {} == {}", num(value), num(two)),
            other => {
                warnings.push(format!(
                    "unknown comparison `{other}`; the rule is left out"
                ));
                return Vec::new();
            }
        };
        parts.push((index, text));
    }
    let mut seen = std::collections::BTreeSet::new();
    if parts.iter().all(|(i, _)| seen.insert(*i)) {
        vec![Some(
            parts
                .into_iter()
                .map(|(_, t)| t)
                .collect::<Vec<_>>()
                .join(" && "),
        )]
    } else {
        parts.into_iter().map(|(_, t)| Some(t)).collect()
    }
}

/// The argument's name when every syscall of the entry calls slot `index`
/// the same on every target, else `argN`.
fn arg_name(names: &[String], index: u8, targets: &[Arch]) -> String {
    let mut found: Option<&str> = None;
    for n in names {
        for t in targets {
            let Some(sc) = t.syscall(n) else { continue };
            let Some(a) = sc
                .args
                .iter()
                .find(|a| a.slots == crate::arch::Slots::One(index))
            else {
                return format!("arg{index}");
            };
            let Some(first) = a.names.first().copied() else {
                return format!("arg{index}");
            };
            match found {
                None => found = Some(first),
                Some(f) if f == first => {}
                Some(_) => return format!("arg{index}"),
            }
        }
    }
    found
        .map(str::to_string)
        .unwrap_or_else(|| format!("arg{index}"))
}

fn num(v: u64) -> String {
    if v < 4096 {
        v.to_string()
    } else {
        format!("{v:#x}")
    }
}

/// `38` → `ENOSYS` (the generic table; names stay names).
fn errno_text(e: &str) -> String {
    match e.parse::<u32>() {
        Ok(n) => crate::arch::errno_name(Arch::X86_64, n)
            .map(str::to_string)
            .unwrap_or_else(|| n.to_string()),
        Err(_) => e.to_string(),
    }
}

/// A group name for a long list: the action and the context it applies in.
fn group_name(action: &str, ctx: &Context) -> String {
    let mut name = match action.split('(').next().unwrap_or(action) {
        "allow" => "allowed".to_string(),
        "errno" => format!(
            "errno_{}",
            action
                .trim_start_matches("errno(")
                .trim_end_matches(')')
                .to_ascii_lowercase()
        ),
        other => format!("{other}_calls"),
    };
    for c in &ctx.caps {
        name.push('_');
        name.push_str(&c.to_ascii_lowercase());
    }
    for a in &ctx.arches {
        name.push('_');
        name.push_str(a.name());
    }
    name
}

/// Rules that differ only in the value of one `x == V` condition become
/// one `x in [V1, V2, …]`.
fn merge_equalities(list: &mut Vec<(String, Vec<String>, Option<String>, String)>) {
    let mut out: Vec<(String, Vec<String>, Option<String>, String)> = Vec::new();
    let mut values: Vec<Vec<String>> = Vec::new();
    for (action, names, pred, comment) in list.drain(..) {
        let single = pred
            .as_deref()
            .filter(|p| !p.contains("&&") && !p.contains(" & "))
            .and_then(|p| p.split_once(" == "))
            .map(|(l, r)| (l.to_string(), r.to_string()));
        if let Some((lhs, v)) = &single {
            if let Some(i) = out.iter().position(|(a, n, p, c)| {
                a == &action
                    && n == &names
                    && c == &comment
                    && p.as_deref().is_some_and(|p| {
                        p.starts_with(&format!("{lhs} == "))
                            || p.starts_with(&format!("{lhs} in ["))
                    })
            }) {
                values[i].push(v.clone());
                out[i].2 = Some(format!("{lhs} in [{}]", values[i].join(", ")));
                continue;
            }
            values.push(vec![v.clone()]);
        } else {
            values.push(Vec::new());
        }
        out.push((action, names, pred, comment));
    }
    *list = out;
}
