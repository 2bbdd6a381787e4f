//! moat: a compiler for a declarative Linux seccomp policy language.
//!
//! The pipeline is `syntax` → `sema` → `ir` → `opt` → `codegen`, with `emu`
//! as an independent judge of what `codegen` emits. See ARCHITECTURE.md.

pub mod bpf;
pub mod emu;
