//! moat-bench: moat's filters against libseccomp 2.5.4 built from the same
//! rules, in one run. See docs/performance.md for the command and the
//! latest numbers; `main.rs` is the command line.
//!
//! Per subject (Docker default, Podman default, every example profile) and
//! arch set (x86_64; x86_64 + i386 + x32) the harness builds three blobs:
//! moat's, libseccomp's default (linear) layout and its binary tree, then
//! measures them all with the same interpreter (moat's `emu`) and checks
//! that they decide alike.

pub mod agree;
pub mod kernel;
pub mod lsc;
pub mod metrics;
pub mod subjects;
pub mod timing;

use agree::Agreement;
use metrics::{BlobMetrics, Mix};
use moat::arch::Arch;
use moat::bpf::{Endian, Insn};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use subjects::{set_name, Reference, Subject};

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// The workspace root (examples/, bench/weights/).
    pub root: PathBuf,
    /// ../shared/bench (bpfemu.py, libseccomp_ref.py, syscall_bench.c, weights).
    pub shared: PathBuf,
    /// Where blobs and raw reports go.
    pub out: PathBuf,
    pub subjects: Vec<Subject>,
    pub arch_sets: Vec<Vec<Arch>>,
    /// Cross-check with the independent Python tools.
    pub python: bool,
    /// In-process compile timing budget per measurement (zero: skip).
    pub timing_budget: Duration,
    /// Whole-process timing: (moat binary, this binary), runs per command.
    pub processes: Option<(PathBuf, PathBuf, usize)>,
    /// Real-kernel runs (syscall_bench invocations), 0 = skip.
    pub kernel_runs: usize,
    pub kernel_rounds: u32,
}

impl Config {
    /// Defaults for this workspace: everything but the kernel run.
    pub fn standard(root: &Path) -> Result<Config, String> {
        let shared = std::env::var_os("MOAT_BENCH_SHARED")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("../shared/bench"));
        Ok(Config {
            root: root.to_path_buf(),
            shared,
            out: root.join("target/moat-bench"),
            subjects: subjects::all(root)?,
            arch_sets: subjects::ARCH_SETS.iter().map(|s| s.to_vec()).collect(),
            python: true,
            timing_budget: Duration::from_millis(1500),
            processes: None,
            kernel_runs: 0,
            kernel_rounds: 61,
        })
    }
}

pub const GENERATORS: [&str; 3] = ["moat", "libseccomp default", "libseccomp tree"];

/// Everything measured for one subject on one arch set.
pub struct Row {
    pub subject: String,
    pub arches: Vec<Arch>,
    pub note: Option<String>,
    /// moat, libseccomp default, libseccomp tree.
    pub blobs: Vec<(String, PathBuf, Vec<Insn>, BlobMetrics)>,
    /// moat vs libseccomp default, moat vs tree.
    pub agreement: Vec<Agreement>,
    /// Same-decision ranges over x86_64's number space (moat's IR).
    pub ranges: usize,
    /// Of those, single numbers between two ranges of one outcome.
    pub singletons: usize,
    /// x86_64 numbers moat decides by arguments.
    pub conditional: BTreeSet<(Arch, u32)>,
    /// libseccomp_ref.py's blobs byte-identical to ours (per layout), if run.
    pub python_identical: Vec<Option<bool>>,
    pub unknown_names: usize,
}

pub struct CrossCheck {
    pub blob: String,
    pub fields: Vec<(&'static str, String, String)>,
}

pub struct Report {
    pub rows: Vec<Row>,
    pub mixes: Vec<Mix>,
    pub cross: Vec<CrossCheck>,
    pub inprocess: Vec<(String, timing::Timing)>,
    pub process: Vec<timing::ProcTiming>,
    pub kernel: Option<(kernel::KernelRun, Vec<(String, Vec<usize>)>, Agreement)>,
    pub notes: Vec<String>,
}

fn decode(bytes: &[u8]) -> Result<Vec<Insn>, String> {
    moat::emu::decode_blob(bytes, Endian::Little)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '+' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn progress(msg: &str) {
    eprintln!("moat-bench: {msg}");
}

/// Builds and measures one subject on one arch set.
pub fn measure_row(
    cfg: &Config,
    subject: &Subject,
    arches: &[Arch],
    mixes: &[Mix],
) -> Result<Row, String> {
    let mut built = subjects::prepare(subject, arches)?;
    if let Err(e) = subjects::reference_rules(&built) {
        // libseccomp 2.5 (and OCI JSON) have no data for SCMP_ACT_TRAP: give
        // both sides the same rule without it.
        let Some((text, n)) = subjects::strip_trap_data(&built.subject.text) else {
            return Err(e);
        };
        let mut s = built.subject.clone();
        s.text = text;
        built = subjects::prepare(&s, arches)?;
        let old = built.subject.note.take();
        built.subject.note = Some(
            old.into_iter()
                .chain([format!("{n} `trap(N)` → `trap` on both sides (libseccomp 2.5 and OCI JSON carry no trap data)")])
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    let profile = built.profile();
    let program = built.compile()?;
    let stem = cfg.out.join(format!(
        "{}.{}",
        slug(&subject.name),
        slug(&set_name(arches))
    ));
    let moat_path = PathBuf::from(format!("{}.moat.bpf", stem.display()));
    write(&moat_path, &program.to_blob())?;
    let (rules, oci) = subjects::reference_rules(&built)?;
    let oci_path = PathBuf::from(format!("{}.oci.json", stem.display()));
    if let Some(json) = &oci {
        write(&oci_path, json.as_bytes())?;
    }
    let uncond = metrics::unconditional_allows(profile, &built.arches);
    let conditional = agree::conditional(profile, &built.arches);
    let mut blobs = vec![(
        GENERATORS[0].to_string(),
        moat_path.clone(),
        program.insns.clone(),
        metrics::measure(&program.insns, &built.arches, &uncond, mixes),
    )];
    let mut unknown_names = 0;
    let mut agreement = Vec::new();
    for (i, layout) in subjects::LAYOUTS.iter().enumerate() {
        let (f, unknown) = lsc::build(&rules, *layout)?;
        unknown_names = unknown;
        let bytes = lsc::export(&f)?;
        let path = PathBuf::from(format!("{}.{}.bpf", stem.display(), layout.name()));
        write(&path, &bytes)?;
        let insns = decode(&bytes)?;
        agreement.push(agree::compare(
            &program.insns,
            &insns,
            &built.arches,
            &conditional,
        ));
        let m = metrics::measure(&insns, &built.arches, &uncond, mixes);
        blobs.push((GENERATORS[i + 1].to_string(), path, insns, m));
    }
    let python_identical = if cfg.python {
        let json_path = match &built.subject.reference {
            Reference::Json { path, .. } => path.clone(),
            Reference::MoatOci => oci_path.clone(),
        };
        let caps = match &built.subject.reference {
            Reference::Json { caps, .. } => caps.join(","),
            Reference::MoatOci => "none".into(),
        };
        let badarch = match &built.subject.reference {
            Reference::Json { .. } => None,
            Reference::MoatOci => lsc::from_act(profile.settings.bad_arch).map(|b| b.1),
        };
        let prefix = PathBuf::from(format!("{}.py", stem.display()));
        let st = Command::new("/usr/bin/python3")
            .arg(cfg.shared.join("libseccomp_ref.py"))
            .arg(&json_path)
            .arg("-o")
            .arg(&prefix)
            .args(["--arch", "x86_64", "--caps", &caps, "--layout", "both"])
            .args([
                "--arches",
                if arches.len() > 1 {
                    "profile"
                } else {
                    "native"
                },
            ])
            .args(badarch.iter().flat_map(|b| ["--badarch", b.as_str()]))
            .output();
        match st {
            Ok(o) if o.status.success() => subjects::LAYOUTS
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let p = PathBuf::from(format!("{}.{}.bpf", prefix.display(), l.name()));
                    let ours = std::fs::read(&blobs[i + 1].1).ok();
                    Some(std::fs::read(p).ok() == ours)
                })
                .collect(),
            _ => vec![None, None],
        }
    } else {
        vec![None, None]
    };
    Ok(Row {
        subject: subject.name.clone(),
        arches: built.arches.clone(),
        note: built.subject.note.clone(),
        blobs,
        agreement,
        ranges: metrics::decision_ranges(profile, &built.arches),
        singletons: metrics::singleton_exceptions(profile, &built.arches),
        conditional,
        python_identical,
        unknown_names,
    })
}

/// bpfemu.py `stats` and `constallow` on a blob, against our figures.
fn cross_check(
    cfg: &Config,
    label: &str,
    path: &Path,
    m: &BlobMetrics,
) -> Result<CrossCheck, String> {
    let ap = m.arch(Arch::X86_64).ok_or("no x86_64")?;
    let all = cfg.shared.join("weights/all.txt");
    let o = Command::new("python3")
        .arg(cfg.shared.join("bpfemu.py"))
        .arg("stats")
        .arg(path)
        .args([
            "--arch",
            "x86_64",
            "--max-nr",
            &ap.last.to_string(),
            "--json",
            "--weights",
        ])
        .arg(&all)
        .output()
        .map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(format!(
            "bpfemu stats: {}",
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).map_err(|e| e.to_string())?;
    let c = Command::new("python3")
        .arg(cfg.shared.join("bpfemu.py"))
        .arg("constallow")
        .arg(path)
        .args([
            "--arch",
            "x86_64",
            "--no-uprobe-exception",
            "--max-nr",
            &ap.last.to_string(),
        ])
        .output()
        .map_err(|e| e.to_string())?;
    let constallow = String::from_utf8_lossy(&c.stdout)
        .lines()
        .filter(|l| {
            l.split('\t')
                .next()
                .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .count();
    let ex: Vec<usize> = ap.executed.values().copied().collect();
    let mean = ex.iter().sum::<usize>() as f64 / ex.len() as f64;
    let w = m.weighted.iter().find(|w| w.file == "all");
    let f = |x: f64| format!("{x:.3}");
    Ok(CrossCheck {
        blob: label.to_string(),
        fields: vec![
            ("length", m.len.to_string(), v["program_length"].to_string()),
            (
                "mean insns, all nrs",
                f(mean),
                f(v["mean_insns"].as_f64().unwrap_or(0.0)),
            ),
            (
                "min",
                ex.iter().min().unwrap_or(&0).to_string(),
                v["min_insns"].to_string(),
            ),
            (
                "max",
                ex.iter().max().unwrap_or(&0).to_string(),
                v["max_insns"].to_string(),
            ),
            (
                "ALLOW results",
                ap.allow_results.to_string(),
                v["allow_count"].to_string(),
            ),
            (
                "cacheable (stats)",
                ap.cacheable.to_string(),
                v["const_allow_count"].to_string(),
            ),
            (
                "cacheable (constallow)",
                ap.cacheable.to_string(),
                constallow.to_string(),
            ),
            (
                "weighted all.txt",
                w.map(|w| f(w.mean)).unwrap_or_default(),
                f(v["weights"][0]["weighted_mean_insns"]
                    .as_f64()
                    .unwrap_or(0.0)),
            ),
        ],
    })
}

/// Runs everything the config asks for.
pub fn run(cfg: &Config) -> Result<Report, String> {
    std::fs::create_dir_all(&cfg.out).map_err(|e| format!("{}: {e}", cfg.out.display()))?;
    let shared_weights = cfg.shared.join("weights");
    let own_weights = cfg.root.join("bench/weights");
    let mixes = metrics::load_mixes(&[&shared_weights, &own_weights]);
    let mut notes = Vec::new();
    let mut rows = Vec::new();
    for s in &cfg.subjects {
        for set in &cfg.arch_sets {
            progress(&format!("{} on {}", s.name, set_name(set)));
            match measure_row(cfg, s, set, &mixes) {
                Ok(r) => rows.push(r),
                Err(e) => notes.push(format!("{} on {}: skipped: {e}", s.name, set_name(set))),
            }
        }
    }
    let mut cross = Vec::new();
    if cfg.python {
        if let Some(r) = rows
            .iter()
            .find(|r| r.subject == "docker" && r.arches.len() == 1)
        {
            for (label, path, _, m) in &r.blobs {
                match cross_check(cfg, &format!("docker x86_64, {label}"), path, m) {
                    Ok(c) => cross.push(c),
                    Err(e) => notes.push(format!("bpfemu cross-check: {e}")),
                }
            }
        }
    }
    let mut inprocess = Vec::new();
    if !cfg.timing_budget.is_zero() {
        progress("in-process compile timing");
        inprocess = compile_timing(cfg)?;
    }
    let mut process = Vec::new();
    if let Some((moat_exe, self_exe, runs)) = &cfg.processes {
        progress("whole-process timing");
        match process_timing(cfg, moat_exe, self_exe, *runs) {
            Ok(p) => process = p,
            Err(e) => notes.push(format!("whole-process timing skipped: {e}")),
        }
    }
    let kernel = if cfg.kernel_runs > 0 {
        progress("real-kernel run (syscall_bench)");
        Some(kernel_run(cfg)?)
    } else {
        None
    };
    Ok(Report {
        rows,
        mixes,
        cross,
        inprocess,
        process,
        kernel,
        notes,
    })
}

fn docker_rules(arches: usize) -> Result<lsc::RuleSet, String> {
    let text = std::fs::read_to_string(subjects::DOCKER_JSON).map_err(|e| e.to_string())?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok(lsc::select(
        &v,
        arches > 1,
        lsc::DOCKER_DEFAULT_CAPS,
        &lsc::running_kernel(),
    ))
}

/// In-process compile time of the Docker default (moat) and of libseccomp
/// building and exporting the same rules.
pub fn compile_timing(cfg: &Config) -> Result<Vec<(String, timing::Timing)>, String> {
    let b = cfg.timing_budget;
    let s = subjects::docker("");
    let mut out = Vec::new();
    out.push((
        "moat parse+check (std::docker::default)".to_string(),
        timing::time(
            || {
                std::hint::black_box(s.analyze());
            },
            b,
        ),
    ));
    for set in subjects::ARCH_SETS {
        let built = subjects::prepare(&s, set)?;
        let p = built.profile();
        out.push((
            format!("moat lower+codegen, {}", set_name(set)),
            timing::time(
                || {
                    std::hint::black_box(moat::driver::compile(p, set).ok());
                },
                b,
            ),
        ));
    }
    for set in subjects::ARCH_SETS {
        let built = subjects::prepare(&s, set)?;
        let p = built.profile();
        out.push((
            format!("… of which ir::lower, {}", set_name(set)),
            timing::time(
                || {
                    std::hint::black_box(moat::ir::lower(p, set));
                },
                b,
            ),
        ));
        let policy = moat::ir::lower(p, set);
        out.push((
            format!("… of which codegen::generate, {}", set_name(set)),
            timing::time(
                || {
                    std::hint::black_box(moat::codegen::generate(&policy).ok());
                },
                b,
            ),
        ));
    }
    for set in subjects::ARCH_SETS {
        let rules = docker_rules(set.len())?;
        for layout in subjects::LAYOUTS {
            out.push((
                format!(
                    "libseccomp build+export {}, {}",
                    layout.name(),
                    set_name(set)
                ),
                timing::time(
                    || {
                        std::hint::black_box(lsc::blob(&rules, layout).ok());
                    },
                    b,
                ),
            ));
        }
    }
    Ok(out)
}

fn process_timing(
    cfg: &Config,
    moat_exe: &Path,
    self_exe: &Path,
    runs: usize,
) -> Result<Vec<timing::ProcTiming>, String> {
    let dir = cfg.out.join("proc");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let src = dir.join("docker.moat");
    write(&src, subjects::docker("").text.as_bytes())?;
    let p = |x: &Path| x.display().to_string();
    let mut cmds: Vec<(String, Vec<String>)> = Vec::new();
    for set in subjects::ARCH_SETS {
        let mut argv = vec![p(moat_exe), "build".into(), p(&src)];
        for a in set {
            argv.extend(["--arch".into(), a.name().into()]);
        }
        argv.extend(["-o".into(), p(&dir.join("moat.bpf"))]);
        cmds.push((format!("moat build, {}", set_name(set)), argv));
    }
    for set in subjects::ARCH_SETS {
        for layout in subjects::LAYOUTS {
            cmds.push((
                format!(
                    "libseccomp (Rust) build+export {}, {}",
                    layout.name(),
                    set_name(set)
                ),
                vec![
                    p(self_exe),
                    "lsc-build".into(),
                    subjects::DOCKER_JSON.into(),
                    "--caps".into(),
                    "docker".into(),
                    "--arches".into(),
                    set.len().to_string(),
                    "--layout".into(),
                    layout.name().into(),
                    "-o".into(),
                    p(&dir.join("lsc.bpf")),
                ],
            ));
        }
    }
    cmds.push((
        "libseccomp_ref.py (Python) both layouts, x86_64".into(),
        vec![
            "/usr/bin/python3".into(),
            p(&cfg.shared.join("libseccomp_ref.py")),
            subjects::DOCKER_JSON.into(),
            "-o".into(),
            p(&dir.join("py")),
        ],
    ));
    let mut res = timing::processes(&cmds, runs, &dir)?;
    let root = cfg.root.display().to_string();
    for r in &mut res {
        r.command = r.command.replace(&root, ".");
    }
    Ok(res)
}

fn kernel_run(
    cfg: &Config,
) -> Result<(kernel::KernelRun, Vec<(String, Vec<usize>)>, Agreement), String> {
    let dir = cfg.out.join("kernel");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let exe = kernel::build_tool(&cfg.shared, &dir)?;
    let s = subjects::docker("\n    errno(EPERM) getppid\n");
    let built = subjects::prepare(&s, &[Arch::X86_64])?;
    let program = built.compile()?;
    let text = std::fs::read_to_string(subjects::DOCKER_JSON).map_err(|e| e.to_string())?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let rules = lsc::select(
        &kernel::json_without_getppid(&v),
        false,
        lsc::DOCKER_DEFAULT_CAPS,
        &lsc::running_kernel(),
    );
    let mut progs: Vec<(String, Vec<Insn>)> = vec![("moat".into(), program.insns.clone())];
    for layout in subjects::LAYOUTS {
        progs.push((
            format!("libseccomp {}", layout.name()),
            decode(&lsc::blob(&rules, layout)?)?,
        ));
    }
    let conditional = agree::conditional(built.profile(), &built.arches);
    let mut ag = agree::compare(&progs[0].1, &progs[1].1, &built.arches, &conditional);
    let ag2 = agree::compare(&progs[0].1, &progs[2].1, &built.arches, &conditional);
    ag.inputs += ag2.inputs;
    ag.real += ag2.real;
    ag.upper_half += ag2.upper_half;
    let with_nc: Vec<(String, Vec<Insn>)> = progs
        .iter()
        .cloned()
        .chain(
            progs
                .iter()
                .map(|(n, p)| (format!("{n}, nocache"), kernel::nocache(p))),
        )
        .collect();
    let mut blobs = Vec::new();
    let mut paths = Vec::new();
    for (name, insns) in &with_nc {
        let path = dir.join(format!("{}.bpf", slug(name)));
        write(&path, &moat::emu::encode_blob(insns, Endian::Little))?;
        blobs.push((name.clone(), path.clone()));
        let ex = kernel::CALLS
            .iter()
            .map(|&(_, _, nr, a0)| metrics::run(insns, Arch::X86_64, nr, [a0, 0, 0, 0, 0, 0]).1)
            .collect();
        paths.push((name.clone(), ex));
    }
    let r = kernel::run(&exe, &blobs, cfg.kernel_runs, cfg.kernel_rounds, 20_000)?;
    Ok((r, paths, ag))
}

// ---------------------------------------------------------------- report

fn ratio(a: f64, b: f64) -> String {
    if b == 0.0 {
        "–".into()
    } else {
        format!("×{:.2}", a / b)
    }
}

fn mmm(s: &Option<metrics::Summary>) -> String {
    match s {
        Some(s) => format!("{} / {:.1} / {}", s.min, s.mean, s.max),
        None => "–".into(),
    }
}

fn x86_name(nr: u32) -> String {
    Arch::X86_64
        .syscall_by_nr(nr)
        .map(|s| s.name.to_string())
        .unwrap_or_else(|| nr.to_string())
}

impl Report {
    /// The whole report as Markdown.
    pub fn markdown(&self) -> String {
        let mut o = String::new();
        let _ = self.write_md(&mut o);
        o
    }

    fn write_md(&self, o: &mut String) -> std::fmt::Result {
        writeln!(
            o,
            "### Static figures (x86_64 calls; all arguments 0; moat's `emu`)\n"
        )?;
        writeln!(o, "Executed instructions are min / mean / max over x86_64 numbers 0..=last of the table (holes included), split by outcome; \"weighted\" is the mean per call over `all.txt` (9 788 calls of gcc, git, python, tar), in brackets the same with kernel-cached calls counted as 0. Cacheable = moat's unconditional allows (IR) the kernel caches with this blob. Ratio rows: moat ÷ libseccomp.\n")?;
        writeln!(o, "| profile | arches | filter | length | allowed min / mean / max | denied min / mean / max | weighted all.txt | cacheable |")?;
        writeln!(o, "|---|---|---|---:|---|---|---|---|")?;
        for r in &self.rows {
            let set = set_name(&r.arches);
            let ap = |m: &BlobMetrics| m.arch(Arch::X86_64).cloned();
            for (name, _, _, m) in &r.blobs {
                let a = ap(m).expect("x86_64 in every set");
                let w = m.weighted.iter().find(|w| w.file == "all");
                let cache: Vec<String> = m
                    .arches
                    .iter()
                    .filter(|p| p.arch != Arch::X32)
                    .map(|p| format!("{}/{}", p.uncond_cacheable, p.uncond))
                    .collect();
                writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    r.subject,
                    set,
                    name,
                    m.len,
                    mmm(&a.allowed),
                    mmm(&a.denied),
                    w.map(|w| format!("{:.2} ({:.3})", w.mean, w.uncached_mean))
                        .unwrap_or_default(),
                    cache.join(" + ")
                )?;
            }
            let moat = ap(&r.blobs[0].3).expect("x86_64");
            for (i, label) in [(1, "moat ÷ default"), (2, "moat ÷ tree")] {
                let other = ap(&r.blobs[i].3).expect("x86_64");
                let f = |a: &Option<metrics::Summary>, b: &Option<metrics::Summary>| match (a, b) {
                    (Some(a), Some(b)) => format!(
                        "{} / {} / {}",
                        ratio(a.min as f64, b.min as f64),
                        ratio(a.mean, b.mean),
                        ratio(a.max as f64, b.max as f64)
                    ),
                    _ => "–".into(),
                };
                let wm =
                    |m: &BlobMetrics| m.weighted.iter().find(|w| w.file == "all").map(|w| w.mean);
                writeln!(
                    o,
                    "| | | *{label}* | *{}* | *{}* | *{}* | *{}* | |",
                    ratio(r.blobs[0].3.len as f64, r.blobs[i].3.len as f64),
                    f(&moat.allowed, &other.allowed),
                    f(&moat.denied, &other.denied),
                    match (wm(&r.blobs[0].3), wm(&r.blobs[i].3)) {
                        (Some(a), Some(b)) => ratio(a, b),
                        _ => "–".into(),
                    }
                )?;
            }
        }
        writeln!(o)?;
        for r in &self.rows {
            if let Some(n) = &r.note {
                writeln!(o, "- {} on {}: {n}.", r.subject, set_name(&r.arches))?;
            }
        }
        // Other ABIs of the 3-arch programs.
        writeln!(o, "\n### i386 and x32 calls in the 3-arch programs\n")?;
        writeln!(
            o,
            "| profile | filter | i386 allowed | i386 denied | x32 allowed | x32 denied |"
        )?;
        writeln!(o, "|---|---|---|---|---|---|")?;
        for r in self.rows.iter().filter(|r| r.arches.len() > 1) {
            for (name, _, _, m) in &r.blobs {
                let g = |a: Arch| m.arch(a).map(|p| (mmm(&p.allowed), mmm(&p.denied)));
                let (ia, id) = g(Arch::I386).unwrap_or_default();
                let (xa, xd) = g(Arch::X32).unwrap_or_default();
                writeln!(o, "| {} | {name} | {ia} | {id} | {xa} | {xd} |", r.subject)?;
            }
        }
        // Weighted mixes.
        writeln!(o, "\n### Weighted by real syscall mixes (x86_64; mean executed instructions per call; in brackets: cached calls count 0)\n")?;
        let names: Vec<&str> = self.mixes.iter().map(|m| m.name.as_str()).collect();
        writeln!(o, "| profile | arches | filter | {} |", names.join(" | "))?;
        writeln!(o, "|---|---|---|{}", "---|".repeat(names.len()))?;
        for r in self
            .rows
            .iter()
            .filter(|r| r.subject == "docker" || r.subject == "podman")
        {
            for (name, _, _, m) in &r.blobs {
                let cells: Vec<String> = m
                    .weighted
                    .iter()
                    .map(|w| format!("{:.2} ({:.3})", w.mean, w.uncached_mean))
                    .collect();
                writeln!(
                    o,
                    "| {} | {} | {name} | {} |",
                    r.subject,
                    set_name(&r.arches),
                    cells.join(" | ")
                )?;
            }
        }
        if let Some(r) = self.rows.first() {
            let m = &r.blobs[0].3;
            let calls: Vec<String> = m
                .weighted
                .iter()
                .map(|w| {
                    let mut s = format!("{} {} calls", w.file, w.calls);
                    if !w.unresolved.is_empty() {
                        let _ = write!(
                            s,
                            " (not in moat's x86_64 table, left out: {})",
                            w.unresolved.join(", ")
                        );
                    }
                    s
                })
                .collect();
            writeln!(o, "\nMixes: {}.", calls.join("; "))?;
        }
        // Agreement.
        writeln!(o, "\n### Same rules on both sides\n")?;
        writeln!(o, "Every input is run through moat's blob and each libseccomp blob: all numbers of x86_64, x32 and i386 (built or not) up to 16 past each table, nr = -1, 0x3fffffff, a foreign arch; args 0, all-ones and a mixed vector; and, for numbers where any blob or moat's IR looks at arguments, each argument set to every constant the blobs compare with (±1, complement), with the upper half 0, 1 or 0xffffffff. \"upper half\" = disagreements that need a non-zero upper half of an argument (libseccomp compares 64 bits of a 32-bit argument, docs/backend.md).\n")?;
        writeln!(o, "| profile | arches | inputs | vs default: disagreements (upper half only) | vs tree | libseccomp_ref.py blobs byte-identical |")?;
        writeln!(o, "|---|---|---:|---|---|---|")?;
        for r in &self.rows {
            let a = |g: &Agreement| {
                let mut s = format!("**{}** ({})", g.real, g.upper_half);
                if !g.upper_half_calls.is_empty() {
                    let mut v: Vec<String> = g.upper_half_calls.iter().take(6).cloned().collect();
                    if g.upper_half_calls.len() > 6 {
                        v.push(format!("… {} more", g.upper_half_calls.len() - 6));
                    }
                    let _ = write!(s, " [{}]", v.join(", "));
                }
                s
            };
            let py: Vec<&str> = r
                .python_identical
                .iter()
                .map(|x| match x {
                    Some(true) => "yes",
                    Some(false) => "NO",
                    None => "not run",
                })
                .collect();
            writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                r.subject,
                set_name(&r.arches),
                r.agreement[0].inputs,
                a(&r.agreement[0]),
                a(&r.agreement[1]),
                py.join(" / ")
            )?;
            for e in r.agreement.iter().flat_map(|g| g.examples.iter()) {
                writeln!(o, "|  | e.g. {e} | | | | |")?;
            }
        }
        if !self.cross.is_empty() {
            writeln!(
                o,
                "\n### Cross-check: moat's `emu` vs `bpfemu.py` (independent interpreter)\n"
            )?;
            writeln!(o, "| blob | figure | moat emu | bpfemu | |")?;
            writeln!(o, "|---|---|---:|---:|---|")?;
            for c in &self.cross {
                for (f, a, b) in &c.fields {
                    let same = a == b;
                    writeln!(
                        o,
                        "| {} | {f} | {a} | {b} | {} |",
                        c.blob,
                        if same { "=" } else { "DIFFERENT" }
                    )?;
                }
            }
        }
        if !self.inprocess.is_empty() {
            writeln!(
                o,
                "\n### Compile time, in process (Docker default; median per call)\n"
            )?;
            writeln!(o, "| what | median µs | min µs | samples |")?;
            writeln!(o, "|---|---:|---:|---:|")?;
            for (n, t) in &self.inprocess {
                writeln!(
                    o,
                    "| {n} | {:.1} | {:.1} | {} |",
                    t.median_us, t.min_us, t.samples
                )?;
            }
            let get = |p: &str| {
                self.inprocess
                    .iter()
                    .find(|(n, _)| n.starts_with(p))
                    .map(|x| x.1.median_us)
            };
            for set in ["x86_64", "x86_64+i386+x32"] {
                if let (Some(m), Some(d), Some(t)) = (
                    get(&format!("moat lower+codegen, {set}")),
                    get(&format!("libseccomp build+export default, {set}")),
                    get(&format!("libseccomp build+export tree, {set}")),
                ) {
                    writeln!(
                        o,
                        "\nmoat ÷ libseccomp, {set}: {} (default), {} (tree).",
                        ratio(m, d),
                        ratio(m, t)
                    )?;
                }
            }
        }
        if !self.process.is_empty() {
            writeln!(
                o,
                "\n### Compile time, whole process (Docker default; {})\n",
                self.process[0].tool
            )?;
            writeln!(o, "| command | mean ms | ± | median ms | runs |")?;
            writeln!(o, "|---|---:|---:|---:|---:|")?;
            for p in &self.process {
                writeln!(
                    o,
                    "| {} | {:.2} | {:.2} | {:.2} | {} |",
                    p.name, p.mean_ms, p.stddev_ms, p.median_ms, p.runs
                )?;
            }
            writeln!(o)?;
            for p in &self.process {
                writeln!(o, "- {}: `{}`", p.name, p.command)?;
            }
        }
        if let Some((k, paths, ag)) = &self.kernel {
            writeln!(
                o,
                "\n### Real kernel (syscall_bench; Docker default with getppid refused; x86_64)\n"
            )?;
            writeln!(o, "{} run(s) × {} interleaved rounds × {} calls; ns per call (median over runs of the median over rounds), in square brackets the paired delta to no filter, in braces the instructions the filter executes for that call (moat's emu). moat vs libseccomp on these filters: {} inputs, {} disagreements ({} upper-half only).\n", k.runs, k.rounds, k.iters, ag.inputs, ag.real, ag.upper_half)?;
            let calls: Vec<String> = kernel::CALLS
                .iter()
                .map(|c| format!("{} — {}", c.0, c.1))
                .collect();
            writeln!(o, "| filter | {} |", calls.join(" | "))?;
            writeln!(o, "|---|{}", "---|".repeat(calls.len()))?;
            for (name, cs) in &k.configs {
                let ex = paths.iter().find(|p| &p.0 == name).map(|p| p.1.clone());
                let cells: Vec<String> = cs
                    .iter()
                    .enumerate()
                    .map(|(i, (_, (med, del, st)))| {
                        let insn = ex
                            .as_ref()
                            .map(|e| format!(" {{{} insns}}", e[i]))
                            .unwrap_or_default();
                        let st = if st == "ok" || st.is_empty() {
                            String::new()
                        } else {
                            format!(" {st}")
                        };
                        if name == "no filter" {
                            format!("{med:.0}{st}")
                        } else {
                            format!("{med:.0} [{del:+.0}]{insn}{st}")
                        }
                    })
                    .collect();
                writeln!(o, "| {name} | {} |", cells.join(" | "))?;
            }
            let med = |n: &str, i: usize| k.configs.iter().find(|c| c.0 == n).map(|c| c.1[i].1 .0);
            let delta =
                |n: &str, i: usize| k.configs.iter().find(|c| c.0 == n).map(|c| c.1[i].1 .1);
            for (suffix, label) in [("", ""), (", nocache", ", nocache")] {
                let mut diff = Vec::new();
                let mut rat = Vec::new();
                for i in 0..kernel::CALLS.len() {
                    let m = med(&format!("moat{suffix}"), i);
                    let d = med(&format!("libseccomp default{suffix}"), i);
                    let t = med(&format!("libseccomp tree{suffix}"), i);
                    diff.push(match (m, d, t) {
                        (Some(m), Some(d), Some(t)) => format!("{:+.0} / {:+.0}", m - d, m - t),
                        _ => "–".into(),
                    });
                    let m = delta(&format!("moat{suffix}"), i);
                    let d = delta(&format!("libseccomp default{suffix}"), i);
                    let t = delta(&format!("libseccomp tree{suffix}"), i);
                    // A ratio of overheads means something only when both are
                    // clearly above the noise (denied calls skip the body and
                    // can cost less than no filter).
                    let r = |a: f64, b: f64| {
                        if a >= 20.0 && b >= 20.0 {
                            ratio(a, b)
                        } else {
                            "–".into()
                        }
                    };
                    rat.push(match (m, d, t) {
                        (Some(m), Some(d), Some(t)) => format!("{} / {}", r(m, d), r(m, t)),
                        _ => "–".into(),
                    });
                }
                writeln!(
                    o,
                    "| *ns moat − default / moat − tree{label}* | {} |",
                    diff.join(" | ")
                )?;
                writeln!(
                    o,
                    "| *overhead ratio moat ÷ default / ÷ tree{label}* | {} |",
                    rat.join(" | ")
                )?;
            }
        }
        if !self.notes.is_empty() {
            writeln!(o, "\n### Notes\n")?;
            for n in &self.notes {
                writeln!(o, "- {n}")?;
            }
        }
        Ok(())
    }

    /// The targets, evaluated on the Docker rows.
    pub fn targets(&self) -> String {
        let mut o = String::new();
        let row = |n: usize| {
            self.rows
                .iter()
                .find(|r| r.subject == "docker" && r.arches.len() == n)
        };
        let (Some(r1), r3) = (row(1), row(3)) else {
            return "no Docker row: targets not evaluated\n".into();
        };
        let yes = |b: bool| if b { "**met**" } else { "**missed**" };
        let moat = &r1.blobs[0].3;
        let tree = &r1.blobs[2].3;
        let a = moat.arch(Arch::X86_64).expect("x86_64");
        let t = tree.arch(Arch::X86_64).expect("x86_64");
        let _ = writeln!(o, "| target (Docker default, x86_64) | now | verdict |");
        let _ = writeln!(o, "|---|---|---|");
        let _ = writeln!(
            o,
            "| length ≤ 110 | {} | {} (margin {}) |",
            moat.len,
            yes(moat.len <= 110),
            110 - moat.len as i64
        );
        if let Some(r3) = r3 {
            let l = r3.blobs[0].3.len;
            let _ = writeln!(
                o,
                "| 3-arch length ≤ 350 | {l} | {} (margin {}) |",
                yes(l <= 350),
                350 - l as i64
            );
        }
        let bound = 4 + (r1.ranges as f64).log2().ceil() as usize;
        let mut worst = (0usize, 0u32);
        let mut over = 0;
        for (&nr, &ex) in &a.executed {
            if r1.conditional.contains(&(Arch::X86_64, nr)) {
                continue;
            }
            if ex > worst.0 {
                worst = (ex, nr);
            }
            if ex > bound {
                over += 1;
            }
        }
        let _ = writeln!(
            o,
            "| executed ≤ 3 + ⌈log2 R⌉ + args + 1 (R = {} ranges → {bound} without argument checks) | unconditional paths: max {} ({}) | {} ({} numbers over) |",
            r1.ranges,
            worst.0,
            x86_name(worst.1),
            yes(over == 0),
            over
        );
        let outcomes = r1.ranges - r1.singletons;
        let floor = (outcomes as f64).log2().ceil() as usize;
        let _ = writeln!(
            o,
            "| … the issue's \"R ≈ 11\" | {} of the {} ranges are single numbers between two ranges of one outcome; a `jeq` per such exception still leaves {outcomes} outcomes to tell apart, so no search of `jge`/`jeq` comparisons on the number goes below ⌈log2 {outcomes}⌉ = {floor} comparisons → {} instructions on the longest unconditional path | with R = 11 the bound would be 8: not reachable by comparison search for this profile (floor {}) |",
            r1.singletons, r1.ranges, 4 + floor, 4 + floor
        );
        for &(arch, nr) in &r1.conditional {
            if arch == Arch::X86_64 {
                let ex = a.executed.get(&nr).copied().unwrap_or(0);
                let _ = writeln!(o, "| … argument-checked {} | {ex} executed with args 0 = {bound} + {} for argument checks | (see listing) |", x86_name(nr), ex as i64 - bound as i64);
            }
        }
        for (what, m, tr, lim) in [
            (
                "allowed mean ≤ 0.75× tree",
                a.allowed.map(|s| s.mean),
                t.allowed.map(|s| s.mean),
                0.75,
            ),
            (
                "allowed max ≤ 0.6× tree",
                a.allowed.map(|s| s.max as f64),
                t.allowed.map(|s| s.max as f64),
                0.6,
            ),
            (
                "denied mean ≤ 0.75× tree",
                a.denied.map(|s| s.mean),
                t.denied.map(|s| s.mean),
                0.75,
            ),
            (
                "denied max ≤ 0.6× tree",
                a.denied.map(|s| s.max as f64),
                t.denied.map(|s| s.max as f64),
                0.6,
            ),
        ] {
            if let (Some(m), Some(tr)) = (m, tr) {
                let _ = writeln!(
                    o,
                    "| {what} | {m:.2} vs {tr:.2} = ×{:.2} | {} (limit {:.2}) |",
                    m / tr,
                    yes(m / tr <= lim),
                    tr * lim
                );
            }
        }
        let mut cache_ok = true;
        let mut cache_txt = Vec::new();
        for r in [Some(r1), r3].into_iter().flatten() {
            for p in &r.blobs[0].3.arches {
                if p.arch == Arch::X32 {
                    continue;
                }
                cache_ok &= p.uncond_cacheable == p.uncond;
                cache_txt.push(format!(
                    "{} {}: {}/{}",
                    set_name(&r.arches),
                    p.arch.name(),
                    p.uncond_cacheable,
                    p.uncond
                ));
            }
        }
        let _ = writeln!(
            o,
            "| all unconditional allows cacheable | {} | {} |",
            cache_txt.join("; "),
            yes(cache_ok)
        );
        if let Some((_, tm)) = self
            .inprocess
            .iter()
            .find(|(n, _)| n == "moat lower+codegen, x86_64+i386+x32")
        {
            let _ = writeln!(
                o,
                "| compile 3 arches < 100 µs in-process | {:.1} µs (median) | {} ({}) |",
                tm.median_us,
                yes(tm.median_us < 100.0),
                if tm.median_us < 100.0 {
                    format!("{:.0} µs to spare", 100.0 - tm.median_us)
                } else {
                    format!("×{:.2} over", tm.median_us / 100.0)
                }
            );
        }
        o
    }
}
