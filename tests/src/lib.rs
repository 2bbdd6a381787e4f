//! Shared helpers for the end-to-end suites live here.

pub mod check;
pub mod policy;
