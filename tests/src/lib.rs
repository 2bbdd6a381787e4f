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
//! `c_header` (the C emitter and `examples/c`), `ui` and `listings`.

pub mod check;
pub mod policy;
