//! Command-line parsing and the commands. Exit codes: 0 success, 1 policy
//! errors or failed tests, 2 usage or I/O errors.

use clap::{Parser, Subcommand, ValueEnum};
use moat::diagnostics::render;
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

#[derive(Subcommand)]
enum Command {
    /// Check policies and print diagnostics (no output files).
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, default_value = "text")]
        format: Format,
    },
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
        use_env_path: true,
    };
    match cli.command {
        Command::Check { files, format } => check(&files, format, &options, color),
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
