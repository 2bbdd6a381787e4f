//! moat: a compiler for a declarative Linux seccomp policy language.
//!
//! The pipeline is `syntax` → `sema` → `ir` → `opt` → `codegen`, with `emu`
//! as an independent judge of what `codegen` emits. See ARCHITECTURE.md.

pub mod api;
pub mod arch;
pub mod bpf;
pub mod codegen;
pub mod diagnostics;
pub mod diff;
pub mod driver;
pub mod emu;
pub mod fmt;
pub mod ide;
pub mod import;
pub mod ir;
pub mod logic;
pub mod oci;
pub mod run;
pub mod sema;
pub mod source;
pub mod stdlib;
pub mod syntax;
pub mod trace;

#[cfg(target_os = "linux")]
pub use api::install;
pub use api::{Compiler, Error, Filter};
