//! `cargo run --release -p moat-bench -- [--kernel]`: the benchmark table of
//! docs/performance.md. `moat-bench lsc-build` is libseccomp as a whole
//! process, for the process-time comparison.

use moat_bench::{lsc, Config};
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

const USAGE: &str = "usage: moat-bench [--kernel] [--kernel-runs N] [--quick] [--only NAME] [--no-python] [--no-process] [--out DIR]
       moat-bench compile-loop [N]   (for perf record)
       moat-bench lsc-build JSON [--caps docker|podman|none] [--arches 1|3] [--layout default|tree] -o OUT";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = if args.first().map(String::as_str) == Some("lsc-build") {
        lsc_build(&args[1..])
    } else if args.first().map(String::as_str) == Some("compile-loop") {
        compile_loop(&args[1..])
    } else {
        bench(&args)
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("moat-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn value<'a>(args: &'a [String], i: &mut usize) -> Result<&'a str, String> {
    *i += 1;
    args.get(*i)
        .map(String::as_str)
        .ok_or_else(|| format!("{} needs a value\n{USAGE}", args[*i - 1]))
}

/// libseccomp build + export of a Docker/Podman JSON, as one process.
fn lsc_build(args: &[String]) -> Result<(), String> {
    let mut json = None;
    let mut caps: &[&str] = lsc::DOCKER_DEFAULT_CAPS;
    let mut three = false;
    let mut layout = lsc::Layout::Linear;
    let mut out = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--caps" => {
                caps = match value(args, &mut i)? {
                    "docker" => lsc::DOCKER_DEFAULT_CAPS,
                    "podman" => lsc::PODMAN_DEFAULT_CAPS,
                    _ => &[],
                }
            }
            "--arches" => three = value(args, &mut i)? == "3",
            "--layout" => {
                layout = if value(args, &mut i)? == "tree" {
                    lsc::Layout::Tree
                } else {
                    lsc::Layout::Linear
                }
            }
            "-o" => out = Some(value(args, &mut i)?.to_string()),
            a if json.is_none() && !a.starts_with('-') => json = Some(a.to_string()),
            a => return Err(format!("unknown argument {a}\n{USAGE}")),
        }
        i += 1;
    }
    let json = json.ok_or(USAGE)?;
    let out = out.ok_or(USAGE)?;
    let text = std::fs::read_to_string(&json).map_err(|e| format!("{json}: {e}"))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{json}: {e}"))?;
    let rules = lsc::select(&v, three, caps, &lsc::running_kernel());
    let blob = lsc::blob(&rules, layout)?;
    std::fs::write(&out, blob).map_err(|e| format!("{out}: {e}"))
}

/// `compile-loop N`: compiles the Docker default for 3 arches N times, for
/// `perf record`.
fn compile_loop(args: &[String]) -> Result<(), String> {
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let set = moat_bench::subjects::ARCH_SETS[1];
    let built = moat_bench::subjects::prepare(&moat_bench::subjects::docker(""), set)?;
    let p = built.profile();
    for _ in 0..n {
        std::hint::black_box(moat::driver::compile(p, set).map_err(|d| d.message)?);
    }
    Ok(())
}

fn bench(args: &[String]) -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .map_err(|e| e.to_string())?;
    let mut cfg = Config::standard(&root)?;
    let mut process = true;
    let mut only: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--kernel" => cfg.kernel_runs = cfg.kernel_runs.max(3),
            "--kernel-runs" => {
                cfg.kernel_runs = value(args, &mut i)?
                    .parse()
                    .map_err(|_| USAGE.to_string())?
            }
            "--quick" => {
                cfg.timing_budget = Duration::from_millis(200);
                cfg.kernel_rounds = 15;
                process = false;
            }
            "--no-python" => cfg.python = false,
            "--no-process" => process = false,
            "--only" => only = Some(value(args, &mut i)?.to_string()),
            "--out" => cfg.out = PathBuf::from(value(args, &mut i)?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            a => return Err(format!("unknown argument {a}\n{USAGE}")),
        }
        i += 1;
    }
    if let Some(o) = &only {
        cfg.subjects.retain(|s| s.name.contains(o.as_str()));
    }
    if process {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = Command::new(&cargo)
            .current_dir(&root)
            .args(["build", "--release", "-q", "-p", "moat", "--bin", "moat"])
            .status()
            .map_err(|e| format!("{cargo}: {e}"))?;
        if !st.success() {
            return Err("cargo build --release -p moat failed".into());
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let me = std::env::current_exe().map_err(|e| e.to_string())?;
        cfg.processes = Some((target.join("release/moat"), me, 30));
    }
    let report = moat_bench::run(&cfg)?;
    let mut md = String::new();
    md.push_str(&format!(
        "## moat-bench ({}; libseccomp {}; kernel {})\n\n",
        env!("CARGO_PKG_VERSION"),
        libseccomp_version(),
        lsc::running_kernel()
    ));
    md.push_str("### Targets (issue 4)\n\n");
    md.push_str(&report.targets());
    md.push('\n');
    md.push_str(&report.markdown());
    let path = cfg.out.join("report.md");
    std::fs::write(&path, &md).map_err(|e| format!("{}: {e}", path.display()))?;
    print!("{md}");
    eprintln!(
        "moat-bench: report in {}; blobs in {}",
        path.display(),
        cfg.out.display()
    );
    Ok(())
}

fn libseccomp_version() -> String {
    libseccomp::ScmpVersion::current()
        .map(|v| format!("{}.{}.{}", v.major, v.minor, v.micro))
        .unwrap_or_else(|_| "?".into())
}
