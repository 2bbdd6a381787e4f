//! Shared helpers for the end-to-end suites.
//!
//! * [`policy`]: random moat policies (a small model of a moat file, drawn
//!   from a shrinkable choice tape), rendered to source text and evaluated
//!   by an independent semantics written from language.md and the
//!   architecture tables.
//! * [`check`]: compiling a profile per byte order (or for an `--arch`
//!   subset, or with `--weights`), enumerating the inputs that cover every
//!   syscall number, the decision order's edges, foreign architectures and
//!   argument boundaries, and judging a program against `ir::reference`
//!   and the independent semantics.
//!
//! The suites: `equivalence` (emu vs reference vs independent semantics),
//! `differential` (vs libseccomp), `kernel` (on the running kernel),
//! `c_header` (the C emitter), `ui` and `listings`.

pub mod check;
pub mod policy;

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// Every `.moat` file below `dir` (build outputs and VCS folders skipped).
pub fn moat_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        if p.is_dir() {
            if name != "target" && name != ".git" && name != "node_modules" {
                moat_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "moat") {
            out.push(p);
        }
    }
}
