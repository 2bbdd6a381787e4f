//! Real-kernel cost with ../shared/bench/syscall_bench.c: ns per call of an
//! argument-filtered syscall, unconditional allows and a denied one, under
//! moat's filter, libseccomp's two layouts and no filter, in one run.
//!
//! syscall_bench makes only read, fstat, getppid, clock_gettime and
//! personality(0xffffffff) and needs the filter to allow them. Docker's
//! profile allows all five, so the filters here are Docker's default with
//! `getppid` refused (moat: `errno(EPERM) getppid` in the extending profile;
//! libseccomp: the Debian JSON with `getppid` struck from its allow list, so
//! it falls to the EPERM default): getppid is the denied call, read / fstat /
//! clock_gettime the unconditional (kernel-cached) allows, personality the
//! argument-filtered allow. "nocache" variants prepend `ld [16]`, which
//! makes every call run the filter (bpfemu.py `nocache`).

use moat::bpf::{Insn, BPF_ABS, BPF_LD, BPF_W};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const CALLS: [(&str, &str, u32, u64); 5] = [
    ("getppid", "denied (EPERM)", 110, 0),
    ("read1", "unconditional allow", 0, 0),
    ("fstat", "unconditional allow", 5, 0),
    ("clock_gettime", "unconditional allow", 228, 0),
    ("personality", "arg-filtered allow", 135, 0xffff_ffff),
];

pub fn nocache(insns: &[Insn]) -> Vec<Insn> {
    let mut v = vec![Insn {
        code: BPF_LD | BPF_W | BPF_ABS,
        jt: 0,
        jf: 0,
        k: 16,
    }];
    v.extend_from_slice(insns);
    v
}

pub fn build_tool(shared: &Path, out: &Path) -> Result<PathBuf, String> {
    let exe = out.join("syscall_bench");
    let src = shared.join("syscall_bench.c");
    let st = Command::new("gcc")
        .args(["-O2", "-Wall", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .map_err(|e| format!("gcc: {e}"))?;
    if !st.success() {
        return Err(format!("gcc failed on {}", src.display()));
    }
    Ok(exe)
}

/// Per config: call → (median ns, delta ns to no filter, status).
pub type CallResult = (f64, f64, String);

pub struct KernelRun {
    pub configs: Vec<(String, Vec<(String, CallResult)>)>,
    pub rounds: u32,
    pub iters: u32,
    pub runs: usize,
}

/// Runs syscall_bench `runs` times with `--no-filter` first and the given
/// blobs; per config and call the median over runs of the median ns and of
/// the paired delta.
pub fn run(
    exe: &Path,
    blobs: &[(String, PathBuf)],
    runs: usize,
    rounds: u32,
    iters: u32,
) -> Result<KernelRun, String> {
    let mut all: Vec<Value> = Vec::new();
    for _ in 0..runs {
        let mut c = Command::new(exe);
        c.arg("--no-filter");
        for (_, p) in blobs {
            c.arg("--filter").arg(p);
        }
        c.args(["-n", &iters.to_string(), "-r", &rounds.to_string()]);
        c.args([
            "--calls",
            "getppid,read1,clock_gettime,fstat,personality",
            "--json",
        ]);
        let o = c.output().map_err(|e| e.to_string())?;
        if !o.status.success() {
            return Err(format!(
                "syscall_bench: {}",
                String::from_utf8_lossy(&o.stderr)
            ));
        }
        all.push(serde_json::from_slice(&o.stdout).map_err(|e| e.to_string())?);
    }
    let names: Vec<String> = std::iter::once("no filter".to_string())
        .chain(blobs.iter().map(|b| b.0.clone()))
        .collect();
    let mut configs = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut calls = Vec::new();
        for (call, ..) in CALLS {
            let mut med = Vec::new();
            let mut del = Vec::new();
            let mut status = String::new();
            for v in &all {
                let cfg = &v["configs"][i];
                if cfg["failed"].as_i64().unwrap_or(0) != 0 {
                    status = "FAILED".into();
                    continue;
                }
                let c = &cfg["calls"][call];
                med.push(c["median_ns"].as_f64().unwrap_or(f64::NAN));
                del.push(c["delta_ns"].as_f64().unwrap_or(f64::NAN));
                if status.is_empty() {
                    status = c["status"].as_str().unwrap_or("").to_string();
                }
            }
            calls.push((call.to_string(), (median(med), median(del), status)));
        }
        configs.push((name.clone(), calls));
    }
    Ok(KernelRun {
        configs,
        rounds,
        iters,
        runs,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The Docker JSON with `getppid` taken out of every entry.
pub fn json_without_getppid(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(calls) = v["syscalls"].as_array_mut() {
        for c in calls {
            if let Some(names) = c["names"].as_array_mut() {
                names.retain(|n| n.as_str() != Some("getppid"));
            }
        }
    }
    v
}
