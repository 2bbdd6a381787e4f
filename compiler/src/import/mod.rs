//! `moat import`: other policy formats to moat source.

pub mod json;
