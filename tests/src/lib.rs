//! Shared helpers for the end-to-end suites live here.
