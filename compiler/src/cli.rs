//! Command-line parsing and the commands. Exit codes: 0 success, 1 policy
//! errors or failed tests, 2 usage or I/O errors.

use clap::{Parser, Subcommand, ValueEnum};
use moat::arch::Arch;
use moat::codegen;
use moat::diagnostics::render;
use moat::driver;
use moat::sema::{self, Options};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "moat",
    version,
    about = "Compiler for the moat seccomp policy language"
)]
struct Cli {
    /// Directories searched for `use "…"` imports (after the importing file's own).
    #[arg(short = 'I', long = "include", global = true, value_name = "DIR")]
    include: Vec<PathBuf>,
    /// Colour in diagnostics: auto, always, never.
    #[arg(long, global = true, default_value = "auto")]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum Emit {
    Bpf,
    #[value(name = "bpf-base64")]
    BpfBase64,
    C,
    Oci,
    Asm,
    Dot,
}

impl Emit {
    fn extension(self) -> &'static str {
        match self {
            Emit::Bpf => "bpf",
            Emit::BpfBase64 => "b64",
            Emit::C => "h",
            Emit::Oci => "json",
            Emit::Asm => "s",
            Emit::Dot => "dot",
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Compile a profile to a seccomp filter.
    Build {
        file: PathBuf,
        /// The profile to build (needed when the file defines several).
        #[arg(long)]
        profile: Option<String>,
        /// Narrow the program to these target architectures.
        #[arg(long = "arch", value_name = "ARCH")]
        arches: Vec<String>,
        /// Output formats (repeatable).
        #[arg(long = "emit", value_name = "FORMAT", default_value = "bpf")]
        emit: Vec<Emit>,
        /// Output file; with several formats, a stem each format extends; `-` for standard output.
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: Option<PathBuf>,
        /// Print program length, executed instructions and cacheable allows.
        #[arg(long)]
        stats: bool,
        /// Do not run the file's test blocks.
        #[arg(long)]
        no_test: bool,
        /// Syscall frequencies (`name count` lines, e.g. from `strace -c`):
        /// frequent calls get the shortest paths.
        #[arg(long, value_name = "FILE")]
        weights: Option<PathBuf>,
    },
    /// Run the test blocks of policies on their compiled filters.
    Test {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show which action and rule decide one call.
    Explain {
        file: PathBuf,
        /// The call, as in a test block: 'openat(AT_FDCWD, 0, O_RDONLY)'.
        call: String,
        #[arg(long)]
        profile: Option<String>,
        #[arg(long = "arch", value_name = "ARCH")]
        arches: Vec<String>,
    },
    /// Run a command under a policy; a `kill` is reported with the call and rule.
    Run {
        file: PathBuf,
        #[arg(long)]
        profile: Option<String>,
        /// Let every call the policy would refuse run, and list them at the end.
        #[arg(long)]
        complain: bool,
        /// The command and its arguments (after `--`).
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Write a starter policy from what a command calls (run under strace), or from strace logs.
    Trace {
        /// Read strace output instead of running a command (repeatable: the files of `strace -ff -o`).
        #[arg(long = "from", value_name = "LOG")]
        from: Vec<PathBuf>,
        /// Name of the profile (default: the command's or log's name).
        #[arg(long)]
        name: Option<String>,
        /// Architecture the log was recorded on (default: this machine's).
        #[arg(long)]
        arch: Option<String>,
        /// Output file (default: standard output, after the command's own output).
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        /// The command and its arguments (after `--`).
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// Convert a seccomp policy of another tool to moat: OCI, Docker or
    /// Podman JSON, a minijail `.policy` or a Kafel policy.
    Import {
        file: PathBuf,
        /// Input format: oci, docker, podman, minijail or kafel (told apart
        /// by content when omitted). minijail-c and minijail-py pick the
        /// meaning of minijail's runtime or its Python compiler where they
        /// differ (`expr; return N`); plain minijail tells by the syntax used.
        #[arg(long = "from", value_name = "FORMAT")]
        from: Option<String>,
        /// Name of the generated profile.
        #[arg(long, default_value = "imported")]
        name: String,
        /// The container's capabilities (comma list); default: the runtime's defaults.
        #[arg(long, value_delimiter = ',')]
        caps: Option<Vec<String>>,
        /// JSON: instantiate for a host of this architecture, as the runtime
        /// would there. minijail and Kafel: the one architecture the policy
        /// is for (default x86_64).
        #[arg(long)]
        arch: Option<String>,
        /// Kernel version for `minKernel` gates, e.g. 6.1.
        #[arg(long)]
        kernel: Option<String>,
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
    /// List a seccomp cBPF blob (ours or anyone's).
    Disasm {
        blob: PathBuf,
        /// Architecture the blob runs on: names syscalls, picks the byte order.
        #[arg(long = "arch", default_value = "x86_64")]
        arch: String,
    },
    /// Check policies and print diagnostics (no output files).
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, default_value = "text")]
        format: Format,
        /// Also prove each profile allows nothing BASE denies (FILE[:PROFILE] or std::module::profile).
        #[arg(long, value_name = "BASE")]
        subset_of: Option<String>,
    },
    /// Show which calls change action between two policies (FILE[:PROFILE] or std::module::profile).
    Diff {
        a: String,
        b: String,
        #[arg(long = "arch", value_name = "ARCH")]
        arches: Vec<String>,
    },
    /// Format policies in place; `-` formats standard input to standard output.
    Fmt {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write nothing; list the files that are not formatted and exit 1 if any.
        #[arg(long)]
        check: bool,
    },
    /// Run the language server on standard input and output (starts `moat-lsp`).
    Lsp,
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let options = Options {
        include_dirs: cli.include.clone(),
        ..Options::from_env()
    };
    match cli.command {
        Command::Check {
            files,
            format,
            subset_of,
        } => {
            let status = check(&files, format, &options, color);
            match (status, subset_of) {
                (0, Some(base)) => subset(&files, &base, &options, color),
                (s, _) => s,
            }
        }
        Command::Diff { a, b, arches } => diff(&a, &b, &arches, &options, color),
        Command::Build {
            file,
            profile,
            arches,
            emit,
            output,
            stats,
            no_test,
            weights,
        } => build(
            &file,
            &BuildArgs {
                profile: profile.as_deref(),
                arches: &arches,
                emit: &emit,
                output: output.as_deref(),
                stats,
                no_test,
                weights: weights.as_deref(),
            },
            &options,
            color,
        ),
        Command::Test { files } => test(&files, &options, color),
        Command::Explain {
            file,
            call,
            profile,
            arches,
        } => explain(&file, &call, profile.as_deref(), &arches, &options, color),
        Command::Disasm { blob, arch } => disasm(&blob, &arch),
        Command::Fmt { files, check } => fmt(&files, check, color),
        Command::Lsp => lsp(),
        Command::Import {
            file,
            from,
            name,
            caps,
            arch,
            kernel,
            output,
        } => import(
            ImportArgs {
                file: &file,
                from: from.as_deref(),
                name,
                caps,
                arch: arch.as_deref(),
                kernel: kernel.as_deref(),
                output: output.as_deref(),
            },
            color,
        ),
        Command::Trace {
            from,
            name,
            arch,
            output,
            command,
        } => trace(
            &from,
            name.as_deref(),
            arch.as_deref(),
            output.as_deref(),
            &command,
        ),
        Command::Run {
            file,
            profile,
            complain,
            command,
        } => run(
            &file,
            profile.as_deref(),
            complain,
            &command,
            &options,
            color,
        ),
    }
}

fn check(files: &[PathBuf], format: Format, options: &Options, color: bool) -> i32 {
    let mut status = 0;
    let mut json = Vec::new();
    for f in files {
        let analysis = match sema::analyze_path(f, options) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("error: {e}");
                status = 2;
                continue;
            }
        };
        if analysis.has_errors() && status == 0 {
            status = 1;
        }
        match format {
            Format::Text => {
                let text = render::render_all(&analysis.diagnostics, &analysis.sources, color);
                let _ = std::io::stderr().write_all(text.as_bytes());
            }
            Format::Json => {
                if let serde_json::Value::Array(items) =
                    render::to_json(&analysis.diagnostics, &analysis.sources)
                {
                    json.extend(items);
                }
            }
        }
    }
    if format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::Value::Array(json)).expect("json")
        );
    }
    status
}

/// Checks a file and prints its diagnostics; `None` when it cannot be built.
fn load(file: &std::path::Path, options: &Options, color: bool) -> Result<sema::Analysis, i32> {
    let analysis = sema::analyze_path(file, options).map_err(|e| {
        eprintln!("error: {e}");
        2
    })?;
    let text = render::render_all(&analysis.diagnostics, &analysis.sources, color);
    let _ = std::io::stderr().write_all(text.as_bytes());
    if analysis.has_errors() {
        return Err(1);
    }
    Ok(analysis)
}

fn parse_arches(names: &[String]) -> Result<Vec<Arch>, i32> {
    names
        .iter()
        .map(|n| {
            Arch::from_name(n).ok_or_else(|| {
                let all: Vec<&str> = Arch::ALL.iter().map(|a| a.name()).collect();
                eprintln!(
                    "error: unknown architecture `{n}` (known: {})",
                    all.join(", ")
                );
                2
            })
        })
        .collect()
}

struct BuildArgs<'a> {
    profile: Option<&'a str>,
    arches: &'a [String],
    emit: &'a [Emit],
    output: Option<&'a std::path::Path>,
    stats: bool,
    no_test: bool,
    weights: Option<&'a std::path::Path>,
}

fn build(file: &std::path::Path, args: &BuildArgs, options: &Options, color: bool) -> i32 {
    let BuildArgs {
        profile,
        arches,
        emit,
        output,
        stats,
        no_test,
        weights,
    } = *args;
    let weights = match weights.map(|w| {
        std::fs::read_to_string(w)
            .map_err(|e| (w, e.to_string()))
            .and_then(|t| codegen::Weights::parse(&t).map_err(|e| (w, e)))
    }) {
        None => None,
        Some(Ok(w)) => Some(w),
        Some(Err((w, e))) => {
            eprintln!("error: {}: {e}", w.display());
            return 2;
        }
    };
    let analysis = match load(file, options, color) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let requested = match parse_arches(arches) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let profile = match driver::select_profile(&analysis, profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let arches = match driver::build_arches(profile, &requested) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let program = match driver::compile_with(profile, &arches, weights.as_ref()) {
        Ok(p) => p,
        Err(d) => {
            eprint!("{}", render::render(&d, &analysis.sources, color));
            return 1;
        }
    };
    if !no_test {
        match report_tests(&analysis, color) {
            Ok(0) => {}
            Ok(_) => return 1,
            Err(code) => return code,
        }
    }
    let mut emit: Vec<Emit> = emit.to_vec();
    emit.dedup();
    let source = file.display().to_string();
    let mut outputs: Vec<(Emit, Vec<u8>)> = Vec::new();
    for e in &emit {
        let bytes = match e {
            Emit::Bpf => program.to_blob(),
            Emit::BpfBase64 => (codegen::base64(&program.to_blob()) + "\n").into_bytes(),
            Emit::C => codegen::c::header(&program, &profile.name, &source).into_bytes(),
            Emit::Asm => codegen::listing::listing(&program, &profile.name).into_bytes(),
            Emit::Dot => codegen::dot::dot(&program, &profile.name).into_bytes(),
            Emit::Oci => match moat::oci::export(profile, &arches) {
                Ok(json) => json.into_bytes(),
                Err(ds) => {
                    let text = render::render_all(&ds, &analysis.sources, color);
                    let _ = std::io::stderr().write_all(text.as_bytes());
                    return 1;
                }
            },
        };
        outputs.push((*e, bytes));
    }
    if stats {
        print_stats(profile, &program);
    }
    write_outputs(file, output, &outputs)
}

/// Writes every output whole or not at all: each goes to a temporary file
/// beside its destination and is renamed into place only when all are ready.
fn write_outputs(
    file: &std::path::Path,
    output: Option<&std::path::Path>,
    outputs: &[(Emit, Vec<u8>)],
) -> i32 {
    if output == Some(std::path::Path::new("-")) {
        if outputs.len() != 1 {
            eprintln!(
                "error: `-o -` writes one format; {} were requested",
                outputs.len()
            );
            return 2;
        }
        let mut out = std::io::stdout().lock();
        if out
            .write_all(&outputs[0].1)
            .and_then(|_| out.flush())
            .is_err()
        {
            return 2;
        }
        return 0;
    }
    let stem: PathBuf = match output {
        Some(o) => o.to_path_buf(),
        None => file.with_extension(""),
    };
    let single_named = output.is_some() && outputs.len() == 1;
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (e, bytes) in outputs {
        let dest = if single_named {
            stem.clone()
        } else {
            let mut s = stem.clone().into_os_string();
            s.push(".");
            s.push(e.extension());
            PathBuf::from(s)
        };
        let dir = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let tmp = dir.join(format!(
            ".{}.moat-tmp-{}",
            dest.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        if let Err(err) = std::fs::write(&tmp, bytes) {
            eprintln!("error: cannot write {}: {err}", dest.display());
            let _ = std::fs::remove_file(&tmp);
            for (t, _) in &staged {
                let _ = std::fs::remove_file(t);
            }
            return 2;
        }
        staged.push((tmp, dest));
    }
    for (tmp, dest) in &staged {
        if let Err(err) = std::fs::rename(tmp, dest) {
            eprintln!("error: cannot write {}: {err}", dest.display());
            for (t, _) in &staged {
                let _ = std::fs::remove_file(t);
            }
            return 2;
        }
    }
    0
}

fn print_stats(profile: &moat::sema::CheckedProfile, program: &codegen::Program) {
    println!(
        "profile {}: {} instructions",
        profile.name,
        program.insns.len()
    );
    for s in driver::stats(profile, program) {
        let fmt = |v: Option<(usize, f64, usize)>| match v {
            Some((min, mean, max)) => format!("min {min} / mean {mean:.1} / max {max}"),
            None => "none".to_string(),
        };
        println!(
            "  {:<8} allowed: {}; other: {}; cacheable: {}/{}",
            s.arch.name(),
            fmt(s.allowed),
            fmt(s.other),
            s.cacheable_allows,
            s.unconditional_allows
        );
    }
}

/// Runs the test blocks; prints failures with their spans. Ok(failures).
fn report_tests(analysis: &sema::Analysis, color: bool) -> Result<usize, i32> {
    let results = match driver::run_tests(analysis) {
        Ok(r) => r,
        Err(d) => {
            eprint!("{}", render::render(&d, &analysis.sources, color));
            return Err(1);
        }
    };
    let mut failed = 0;
    for r in &results {
        if r.passed() {
            continue;
        }
        failed += 1;
        let d = r.failure();
        eprint!("{}", render::render(&d, &analysis.sources, color));
    }
    if !results.is_empty() {
        eprintln!(
            "tests: {} passed, {} failed",
            results.len() - failed,
            failed
        );
    }
    Ok(failed)
}

fn test(files: &[PathBuf], options: &Options, color: bool) -> i32 {
    let mut status = 0;
    let (mut passed, mut failed) = (0usize, 0usize);
    for f in files {
        let analysis = match load(f, options, color) {
            Ok(a) => a,
            Err(code) => {
                status = status.max(code);
                continue;
            }
        };
        let results = match driver::run_tests(&analysis) {
            Ok(r) => r,
            Err(d) => {
                eprint!("{}", render::render(&d, &analysis.sources, color));
                status = status.max(1);
                continue;
            }
        };
        match report_tests(&analysis, color) {
            Ok(n) => {
                failed += n;
                passed += results.len() - n;
                if n > 0 {
                    status = status.max(1);
                }
            }
            Err(code) => status = status.max(code),
        }
    }
    println!("{passed} passed, {failed} failed");
    status
}

fn explain(
    file: &std::path::Path,
    call: &str,
    profile: Option<&str>,
    arches: &[String],
    options: &Options,
    color: bool,
) -> i32 {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return 2;
        }
    };
    // Resolve the profile first, then check the call as a test expectation
    // appended to the file, so constants resolve in the file's own scope.
    let first = match load(file, options, color) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let prof = match driver::select_profile(&first, profile) {
        Ok(p) => p.name.clone(),
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let requested = match parse_arches(arches) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let combined = format!("{text}\ntest {prof} {{ {call} => allow }}\n");
    let analysis =
        sema::analyze_source(&file.display().to_string(), Some(file), &combined, options);
    if analysis.has_errors() {
        let text = render::render_all(&analysis.diagnostics, &analysis.sources, color);
        let _ = std::io::stderr().write_all(text.as_bytes());
        return 1;
    }
    let Some(p) = analysis.profile(&prof) else {
        return 2;
    };
    let Some(t) = analysis.tests.last() else {
        return 2;
    };
    let results = match driver::run_tests(&sema::Analysis {
        sources: analysis.sources.clone(),
        modules: Vec::new(),
        root: analysis.root,
        diagnostics: Vec::new(),
        profiles: analysis.profiles.clone(),
        tests: vec![t.clone()],
    }) {
        Ok(r) => r,
        Err(d) => {
            eprint!("{}", render::render(&d, &analysis.sources, color));
            return 1;
        }
    };
    for r in results {
        if !requested.is_empty() && !requested.contains(&r.case.arch) {
            continue;
        }
        let arch = r.case.arch;
        let data = moat::bpf::SeccompData {
            nr: r.case.nr,
            arch: arch.audit_arch(),
            instruction_pointer: 0,
            args: r.case.args,
        };
        let why = match moat::ir::reference::deciding_rule(p, &data) {
            Some((li, ri)) => {
                let layer = &p.layers[li];
                let (file, line, snippet) = rule_site(&analysis, layer.rules[ri].span);
                let from = if li == 0 {
                    String::new()
                } else {
                    format!(" (inherited from `{}`)", layer.name)
                };
                format!("rule at {file}:{line}{from}: {snippet}")
            }
            None => "no rule matches: the profile's default".to_string(),
        };
        println!(
            "{:<8} {}(nr {:#x}) => {}   [{why}]",
            arch.name(),
            r.case.syscall,
            r.case.nr,
            r.got.describe(Some(arch))
        );
        if r.got != r.reference {
            println!(
                "         moat bug: the reference semantics say {}",
                r.reference.describe(Some(arch))
            );
        }
    }
    0
}

fn disasm(blob: &std::path::Path, arch: &str) -> i32 {
    let Some(arch) = Arch::from_name(arch) else {
        eprintln!("error: unknown architecture `{arch}`");
        return 2;
    };
    let bytes = match std::fs::read(blob) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", blob.display());
            return 2;
        }
    };
    let insns = match moat::emu::decode_blob(&bytes, arch.endian()) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {}: {e}", blob.display());
            return 2;
        }
    };
    if let Err(e) = moat::emu::validate(&insns) {
        eprintln!("warning: the kernel would reject this program: {e}");
    }
    let mut out = String::new();
    for (pc, insn) in insns.iter().enumerate() {
        let text = moat::emu::disasm_insn(insn, pc);
        // Name syscall numbers compared right after `ld [0]`.
        let mut note = String::new();
        if insn.code & 0x07 == moat::bpf::BPF_JMP && insn.code & 0xf0 != moat::bpf::BPF_JA {
            if let Some(s) = arch.syscall_by_nr(insn.k) {
                if loads_nr_before(&insns, pc) {
                    note = format!(" ; {}", s.name);
                }
            }
        }
        out.push_str(&format!("{text}{note}\n"));
    }
    print!("{out}");
    0
}

/// Whether the accumulator holds `nr` at `pc` on the straight-line path.
fn loads_nr_before(insns: &[moat::bpf::Insn], pc: usize) -> bool {
    insns[..pc]
        .iter()
        .rev()
        .find(|i| i.code & 0x07 == moat::bpf::BPF_LD || i.code & 0x07 == moat::bpf::BPF_ALU)
        .is_some_and(|i| {
            i.code == moat::bpf::BPF_LD | moat::bpf::BPF_W | moat::bpf::BPF_ABS && i.k == 0
        })
}

/// A profile named on the command line: `FILE`, `FILE:PROFILE`, or a
/// stdlib profile `std::module::profile`.
fn load_profile(
    spec: &str,
    options: &Options,
    color: bool,
) -> Result<(sema::Analysis, String), i32> {
    if let Some(rest) = spec.strip_prefix("std::") {
        if !std::path::Path::new(spec).exists() {
            let mut parts = rest.splitn(2, "::");
            let (module, name) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or("default"),
            );
            let src = format!("use std::{module}\nprofile {name} extends {module}::{name} {{}}\n");
            let analysis = sema::analyze_source(spec, None, &src, options);
            if analysis.has_errors() {
                let text = render::render_all(&analysis.diagnostics, &analysis.sources, color);
                let _ = std::io::stderr().write_all(text.as_bytes());
                return Err(2);
            }
            return Ok((analysis, name.to_string()));
        }
    }
    let (file, profile) = match spec.rsplit_once(':') {
        Some((f, p)) if !std::path::Path::new(spec).exists() && !p.contains('/') => (f, Some(p)),
        _ => (spec, None),
    };
    let analysis = load(std::path::Path::new(file), options, color)?;
    let name = driver::select_profile(&analysis, profile)
        .map_err(|e| {
            eprintln!("error: {e}");
            2
        })?
        .name
        .clone();
    Ok((analysis, name))
}

fn print_difference(d: &moat::diff::Difference, label_a: &str, label_b: &str) {
    let arch = Some(d.arch);
    let what = match d.syscall {
        Some(s) => s.to_string(),
        None if d.nr == u32::MAX => "skipped calls (nr = -1)".to_string(),
        None => format!("numbers no table names (e.g. {:#x})", d.nr),
    };
    println!(
        "{:<8} {what}: {label_a} {} → {label_b} {}",
        d.arch.name(),
        d.a.describe(arch),
        d.b.describe(arch)
    );
    if d.syscall.is_some() {
        if d.unconditional {
            println!("         for every argument value");
        } else {
            for r in &d.region {
                println!("         when {r}");
            }
            println!("         e.g. {}", moat::diff::format_call(d));
        }
    }
}

fn diff(a: &str, b: &str, arches: &[String], options: &Options, color: bool) -> i32 {
    let (aa, na) = match load_profile(a, options, color) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let (ab, nb) = match load_profile(b, options, color) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let requested = match parse_arches(arches) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let (pa, pb) = (
        aa.profile(&na).expect("selected"),
        ab.profile(&nb).expect("selected"),
    );
    let common = moat::diff::common_arches(pa, pb, &requested);
    for t in pa
        .settings
        .targets
        .iter()
        .filter(|t| !pb.settings.targets.contains(t))
    {
        println!("{:<8} only {a} covers it", t.name());
    }
    for t in pb
        .settings
        .targets
        .iter()
        .filter(|t| !pa.settings.targets.contains(t))
    {
        println!("{:<8} only {b} covers it", t.name());
    }
    let diffs = moat::diff::diff(pa, pb, &common);
    for d in &diffs {
        print_difference(d, "A", "B");
    }
    let targets_differ = pa.settings.targets != pb.settings.targets;
    if diffs.is_empty() && !targets_differ && pa.settings.bad_arch == pb.settings.bad_arch {
        println!("no differences");
        0
    } else {
        if pa.settings.bad_arch != pb.settings.bad_arch {
            println!(
                "bad_arch: A {} → B {}",
                pa.settings.bad_arch, pb.settings.bad_arch
            );
        }
        1
    }
}

fn subset(files: &[PathBuf], base: &str, options: &Options, color: bool) -> i32 {
    let (ab, nb) = match load_profile(base, options, color) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let pb = ab.profile(&nb).expect("selected");
    let mut status = 0;
    for f in files {
        let analysis = match load(f, options, color) {
            Ok(a) => a,
            Err(c) => return c,
        };
        for p in &analysis.profiles {
            let common = moat::diff::common_arches(p, pb, &[]);
            let looser = moat::diff::looser_than(p, pb, &common);
            let uncovered: Vec<&str> = p
                .settings
                .targets
                .iter()
                .filter(|t| !pb.settings.targets.contains(t))
                .map(|t| t.name())
                .collect();
            if looser.is_empty() && uncovered.is_empty() {
                println!(
                    "{}: `{}` allows nothing `{base}` denies",
                    f.display(),
                    p.name
                );
                continue;
            }
            status = 1;
            if !uncovered.is_empty() {
                println!(
                    "{}: `{}` covers {} which `{base}` does not",
                    f.display(),
                    p.name,
                    uncovered.join(", ")
                );
            }
            if let Some(d) = looser.first() {
                println!(
                    "{}: `{}` is looser than `{base}`; for example:",
                    f.display(),
                    p.name
                );
                print_difference(d, "base", "policy");
                if looser.len() > 1 {
                    println!("         ({} more looser calls)", looser.len() - 1);
                }
            }
        }
    }
    status
}

fn run(
    file: &std::path::Path,
    profile: Option<&str>,
    complain: bool,
    command: &[String],
    options: &Options,
    color: bool,
) -> i32 {
    let analysis = match load(file, options, color) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let profile = match driver::select_profile(&analysis, profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let Some(host) = Arch::host() else {
        eprintln!("error: moat run does not know this machine's architecture");
        return 2;
    };
    if !profile.settings.targets.contains(&host) {
        eprintln!(
            "error: profile `{}` does not target {}, the architecture of this machine",
            profile.name,
            host.name()
        );
        return 2;
    }
    // Every target of this machine's byte order: a command may also make
    // calls of a compatible architecture (i386 from x86_64).
    let arches: Vec<Arch> = profile
        .settings
        .targets
        .iter()
        .copied()
        .filter(|a| a.endian() == host.endian())
        .collect();
    let program = match driver::compile(profile, &arches) {
        Ok(p) => p,
        Err(d) => {
            eprint!("{}", render::render(&d, &analysis.sources, color));
            return 1;
        }
    };
    match moat::run::run_noting(&program, command, complain) {
        Ok((outcome, refused)) => {
            if let moat::run::Outcome::Killed { action, call } = &outcome {
                let (arch, call_text, why) = explain_call(&analysis, profile, &arches, host, call);
                eprintln!(
                    "moat run: `{}` was killed ({}) at {call_text} on {}, decided by {why}",
                    command[0],
                    action.describe(Some(arch)),
                    arch.name()
                );
            }
            if complain {
                report_complaints(&analysis, profile, &arches, host, &refused);
            }
            outcome.status()
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// The architecture of a call `moat run` stopped, the call as text, and
/// the rule (or default) that decides it.
fn explain_call(
    analysis: &sema::Analysis,
    profile: &moat::sema::CheckedProfile,
    arches: &[Arch],
    host: Arch,
    call: &moat::bpf::SeccompData,
) -> (Arch, String, String) {
    let arch = Arch::ALL
        .iter()
        .copied()
        .find(|a| {
            a.audit_arch() == call.arch
                && arches.contains(a)
                && (*a != Arch::X32 || call.nr >= 0x4000_0000)
        })
        .unwrap_or(host);
    let name = arch
        .syscall_by_nr(call.nr)
        .map(|s| s.name.to_string())
        .unwrap_or_else(|| format!("syscall {:#x}", call.nr));
    let nargs = arch
        .syscall_by_nr(call.nr)
        .map(|s| usize::from(s.nslots.min(6)))
        .unwrap_or(0);
    let args: Vec<String> = call.args[..nargs]
        .iter()
        .map(|a| format!("{a:#x}"))
        .collect();
    let why = match moat::ir::reference::deciding_rule(profile, call) {
        Some((li, ri)) => {
            let (file, line, text) = rule_site(analysis, profile.layers[li].rules[ri].span);
            format!("the rule at {file}:{line}: {text}")
        }
        None => "the profile's default (no rule matches)".to_string(),
    };
    (arch, format!("{name}({})", args.join(", ")), why)
}

/// Where a rule is written: file name, 1-based line, its first line of text.
fn rule_site(analysis: &sema::Analysis, span: moat::source::Span) -> (&str, usize, &str) {
    let src = analysis.sources.get(span.file);
    let line = src.line_col_utf8(span.start as usize).line as usize + 1;
    let text = src.text[span.range()].lines().next().unwrap_or("").trim();
    (&src.name, line, text)
}

/// `--complain`'s summary: each refused syscall once, with how often it was
/// made, what the policy would have done, an example call and the rule.
fn report_complaints(
    analysis: &sema::Analysis,
    profile: &moat::sema::CheckedProfile,
    arches: &[Arch],
    host: Arch,
    refused: &[moat::bpf::SeccompData],
) {
    if refused.is_empty() {
        eprintln!("moat run --complain: the policy refused nothing in this run");
        return;
    }
    // (arch, nr) in first-seen order, with a count and the first call.
    let mut seen: Vec<((u32, u32), usize, moat::bpf::SeccompData)> = Vec::new();
    for call in refused {
        match seen.iter_mut().find(|(k, _, _)| *k == (call.arch, call.nr)) {
            Some((_, n, _)) => *n += 1,
            None => seen.push(((call.arch, call.nr), 1, *call)),
        }
    }
    eprintln!(
        "moat run --complain: the policy would have refused {} call{} ({} syscall{}); they ran:",
        refused.len(),
        if refused.len() == 1 { "" } else { "s" },
        seen.len(),
        if seen.len() == 1 { "" } else { "s" },
    );
    for (_, count, call) in &seen {
        let (arch, text, why) = explain_call(analysis, profile, arches, host, call);
        let act = moat::ir::reference::decide(profile, call).describe(Some(arch));
        eprintln!(
            "  {count:>5}× {act:<14} {text} on {}, by {why}",
            arch.name()
        );
    }
}

/// `moat trace`: runs the command under `strace -f` (or reads `--from`
/// logs) and writes the starter policy. Exits with the command's status, so
/// a failing run is not mistaken for a good trace.
fn trace(
    from: &[PathBuf],
    name: Option<&str>,
    arch: Option<&str>,
    output: Option<&std::path::Path>,
    command: &[String],
) -> i32 {
    use moat::trace;
    if from.is_empty() == command.is_empty() {
        eprintln!("error: give either a command after `--` or `--from LOG`, not both or neither");
        eprintln!(
            "usage: moat trace [-o OUT] -- CMD ARGS…  |  moat trace --from strace.log [-o OUT]"
        );
        return 2;
    }
    let arch = match arch {
        Some(a) => match Arch::from_name(a) {
            Some(a) => a,
            None => {
                eprintln!("error: unknown architecture `{a}`");
                return 2;
            }
        },
        None => match Arch::host() {
            Some(a) => a,
            None => {
                eprintln!(
                    "error: moat trace does not know this machine's architecture; give --arch"
                );
                return 2;
            }
        },
    };
    let exec_arch = |p: &str| trace::exec_arch(std::path::Path::new(p));
    let mut parser = trace::Parser::new(arch);
    let (source, default_name, status) = if command.is_empty() {
        for f in from {
            match std::fs::read(f) {
                Ok(bytes) => parser.feed(&String::from_utf8_lossy(&bytes)),
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", f.display());
                    return 2;
                }
            }
        }
        let names: Vec<String> = from.iter().map(|f| format!("`{}`", f.display())).collect();
        let stem = from[0]
            .file_name()
            .map(|f| {
                f.to_string_lossy()
                    .split('.')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_default();
        (format!("the log {}", names.join(", ")), stem, 0)
    } else {
        let Some(strace) = trace::find_strace() else {
            eprintln!("error: `moat trace -- CMD` runs the command under strace, which is not installed (or not on PATH)");
            eprintln!("help: install strace (`apt install strace`, `dnf install strace`), or record a log where it is installed with `strace -f -o LOG CMD` and run `moat trace --from LOG`");
            return 2;
        };
        let recorded = match trace::record(&strace, command) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        };
        parser = parser.with_exec_arch(&exec_arch);
        parser.feed(&recorded.log);
        let status = recorded.status;
        (
            format!("`{}`", command.join(" ")),
            command[0].clone(),
            status,
        )
    };
    let traced = parser.finish();
    if let Some((line, text)) = traced.skipped.first() {
        eprintln!(
            "warning: {} line(s) of the trace were not understood and left out (first: line {line}: {text})",
            traced.skipped.len()
        );
    }
    let opts = trace::Options {
        name: trace::profile_name(name.unwrap_or(&default_name)),
        source,
    };
    let generated = match trace::generate(&traced, &opts) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    for w in &generated.warnings {
        eprintln!("warning: {w}");
    }
    let written = write_outputs_text(output, generated.text.as_bytes());
    if written != 0 {
        return written;
    }
    if status != 0 {
        eprintln!(
            "moat trace: `{}` exited with status {status}; the policy covers what that run called",
            command[0]
        );
    }
    status
}

struct ImportArgs<'a> {
    file: &'a std::path::Path,
    from: Option<&'a str>,
    name: String,
    caps: Option<Vec<String>>,
    arch: Option<&'a str>,
    kernel: Option<&'a str>,
    output: Option<&'a std::path::Path>,
}

fn import(args: ImportArgs, color: bool) -> i32 {
    let ImportArgs {
        file,
        from,
        name,
        caps,
        arch,
        kernel,
        output,
    } = args;
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return 2;
        }
    };
    let format = from
        .map(str::to_string)
        .unwrap_or_else(|| moat::import::detect(&text).to_string());
    let arch = match arch.map(|a| Arch::from_name(a).ok_or(a)) {
        None => None,
        Some(Ok(a)) => Some(a),
        Some(Err(a)) => {
            eprintln!("error: unknown architecture `{a}`");
            return 2;
        }
    };
    if matches!(
        format.as_str(),
        "minijail" | "minijail-c" | "minijail-py" | "kafel"
    ) {
        let mut sources = moat::source::SourceMap::new();
        let id = sources.add(moat::source::SourceFile::new(
            file.display().to_string(),
            moat::source::Origin::Path(file.to_path_buf()),
            text,
        ));
        let opts = moat::import::Options {
            name,
            arch: arch.unwrap_or(Arch::X86_64),
            minijail_dialect: match format.as_str() {
                "minijail-c" => Some(moat::import::minijail::Dialect::Runtime),
                "minijail-py" => Some(moat::import::minijail::Dialect::Compiler),
                _ => None,
            },
        };
        let result = if format.starts_with("minijail") {
            moat::import::minijail::import(&mut sources, id, &opts)
        } else {
            moat::import::kafel::import(&mut sources, id, &opts)
        };
        return match result {
            Ok(out) => {
                for w in &out.warnings {
                    eprintln!("warning: {w}");
                }
                write_outputs_text(output, out.text.as_bytes())
            }
            Err(diags) => {
                eprint!("{}", render::render_all(&diags, &sources, color));
                1
            }
        };
    }
    if !matches!(format.as_str(), "oci" | "docker" | "podman") {
        eprintln!(
            "error: unknown import format `{format}`: moat imports oci, docker, podman, minijail and kafel"
        );
        return 2;
    }
    let kernel = match kernel {
        None => None,
        Some(k) => {
            let mut p = k.split('.').map(|x| x.parse::<u32>());
            match (p.next(), p.next()) {
                (Some(Ok(a)), Some(Ok(b))) => Some((a, b)),
                _ => {
                    eprintln!("error: --kernel takes MAJOR.MINOR, not `{k}`");
                    return 2;
                }
            }
        }
    };
    let caps = caps.map(|c| {
        c.into_iter()
            .map(|x| {
                let up = x.to_ascii_uppercase();
                if up.starts_with("CAP_") {
                    up
                } else {
                    format!("CAP_{up}")
                }
            })
            .collect()
    });
    let opts = moat::import::json::ImportOptions {
        name,
        caps,
        arch,
        kernel,
    };
    match moat::import::json::import(&text, &opts) {
        Ok(imported) => {
            for w in &imported.warnings {
                eprintln!("warning: {w}");
            }
            write_outputs_text(output, imported.text.as_bytes())
        }
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            1
        }
    }
}

/// One text output: standard output without `-o` (or with `-o -`), else
/// written whole through a temporary file.
fn write_outputs_text(output: Option<&std::path::Path>, bytes: &[u8]) -> i32 {
    match output {
        None => {
            let _ = std::io::stdout().write_all(bytes);
            0
        }
        Some(p) if p == std::path::Path::new("-") => {
            let _ = std::io::stdout().write_all(bytes);
            0
        }
        Some(p) => {
            let tmp = p.with_extension(format!("moat-tmp-{}", std::process::id()));
            match std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, p)) {
                Ok(()) => 0,
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    eprintln!("error: cannot write {}: {e}", p.display());
                    2
                }
            }
        }
    }
}

// ---------------------------------------------------------------- fmt, lsp

fn fmt(files: &[PathBuf], check: bool, color: bool) -> i32 {
    use moat::fmt::FormatError;
    use std::io::Read;
    let mut status = 0;
    for f in files {
        let stdin = f.as_os_str() == "-";
        let src = if stdin {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map(|_| s)
        } else {
            std::fs::read_to_string(f)
        };
        let src = match src {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", f.display());
                status = 2;
                continue;
            }
        };
        let out = match moat::fmt::format(&src) {
            Ok(out) => out,
            Err(FormatError::Syntax(diags)) => {
                let mut sources = moat::source::SourceMap::new();
                sources.add(moat::source::SourceFile::new(
                    f.display().to_string(),
                    moat::source::Origin::Memory,
                    src.clone(),
                ));
                let text = render::render_all(&diags, &sources, color);
                let _ = std::io::stderr().write_all(text.as_bytes());
                eprintln!("error: {} not formatted: it has syntax errors", f.display());
                status = status.max(1);
                continue;
            }
            Err(e) => {
                eprintln!("error: {}: {e}", f.display());
                status = status.max(1);
                continue;
            }
        };
        if stdin {
            print!("{out}");
        } else if out != src {
            if check {
                println!("{}", f.display());
                status = status.max(1);
            } else {
                let tmp = f.with_extension("moat.fmt-tmp");
                let written = std::fs::write(&tmp, &out).and_then(|_| std::fs::rename(&tmp, f));
                if let Err(e) = written {
                    let _ = std::fs::remove_file(&tmp);
                    eprintln!("error: cannot write {}: {e}", f.display());
                    status = 2;
                }
            }
        }
    }
    status
}

/// Runs `moat-lsp` from the directory of this executable (where `cargo
/// install` and release archives put both), else from `PATH`.
fn lsp() -> i32 {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("moat-lsp")))
        .filter(|p| p.is_file());
    let program = beside.unwrap_or_else(|| PathBuf::from("moat-lsp"));
    let mut cmd = std::process::Command::new(&program);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = cmd.exec();
        eprintln!("error: cannot start {}: {err}", program.display());
        2
    }
    #[cfg(not(unix))]
    match cmd.status() {
        Ok(s) => s.code().unwrap_or(2),
        Err(err) => {
            eprintln!("error: cannot start {}: {err}", program.display());
            2
        }
    }
}
