use super::*;

fn fmt(src: &str) -> String {
    match format(src) {
        Ok(s) => s,
        Err(e) => panic!("{e}: {e:?}"),
    }
}

#[test]
fn canonical_layout() {
    let src = "use std::groups::{ basic_io ,memory };profile p{targets x86_64,aarch64;default errno( EPERM )\nallow basic_io allow openat if flags&O_ACCMODE==O_RDONLY&&mode!= -1;on x86_64{allow arch_prctl}}";
    assert_eq!(
        fmt(src),
        "use std::groups::{basic_io, memory}\nprofile p {\n    targets x86_64, aarch64\n    default errno(EPERM)\n    allow basic_io\n    allow openat if flags & O_ACCMODE == O_RDONLY && mode != -1\n    on x86_64 {\n        allow arch_prctl\n    }\n}\n"
    );
}

#[test]
fn comments_stay_and_align() {
    let src = "profile p { // the profile\n  targets x86_64 // a\n  default allow            // bb\n\n\n  // own line\n  allow read /* inline */ , write\n  // before the brace\n}\n// end\n";
    assert_eq!(
        fmt(src),
        "profile p {  // the profile\n    targets x86_64  // a\n    default allow   // bb\n\n    // own line\n    allow read /* inline */, write\n    // before the brace\n}\n// end\n"
    );
}

#[test]
fn test_cases_align_their_arrows() {
    let src = "test p {\n write(1, 0, 10) => allow\n x86_64: openat(AT_FDCWD, 0, O_WRONLY) => errno(EPERM)\n kill(pid: -1, 9)=>kill\n}";
    assert_eq!(
        fmt(src),
        "test p {\n    write(1, 0, 10)                       => allow\n    x86_64: openat(AT_FDCWD, 0, O_WRONLY) => errno(EPERM)\n    kill(pid: -1, 9)                      => kill\n}\n"
    );
}

#[test]
fn line_breaks_inside_lists_are_kept() {
    let src = "group g = [\n  // first\n  read,\n  write, close\n]\nconst A = match arch { x86_64 => 0, _ => 1 << 3 }\nprofile p { targets x86_64 default allow allow read if fd in [1,\n2] || fd in 10..=20 }";
    assert_eq!(
        fmt(src),
        "group g = [\n    // first\n    read,\n    write, close\n]\nconst A = match arch { x86_64 => 0, _ => 1 << 3 }\nprofile p {\n    targets x86_64\n    default allow\n    allow read if fd in [1,\n        2] || fd in 10..=20\n}\n"
    );
}

#[test]
fn empty_bodies_and_keywords_as_names() {
    assert_eq!(
        fmt("profile p extends docker::default {\n}\n"),
        "profile p extends docker::default {}\n"
    );
    assert_eq!(
        fmt("profile p { targets x86_64 default allow allow kill if pid > 0 }"),
        "profile p {\n    targets x86_64\n    default allow\n    allow kill if pid > 0\n}\n"
    );
    assert_eq!(fmt("const X = -(1 | ~2)"), "const X = -(1 | ~2)\n");
    assert_eq!(
        fmt("use \"./base.moat\" as base;"),
        "use \"./base.moat\" as base\n"
    );
}

#[test]
fn docs_multiline_block_comments_and_non_ascii() {
    let src = "/// Doc é.\n/// More.\nprofile p {\n  /* a\n     b */\n  targets x86_64 // 😀\n  default allow\n}\n";
    let out = fmt(src);
    assert_eq!(out, "/// Doc é.\n/// More.\nprofile p {\n    /* a\n     b */\n    targets x86_64  // 😀\n    default allow\n}\n");
}

#[test]
fn syntax_errors_are_not_formatted() {
    assert!(matches!(
        format("profile p { allow ) }"),
        Err(FormatError::Syntax(_))
    ));
}

#[test]
fn shape_ignores_spans_only() {
    let a = crate::syntax::parse("const A = 1", FileId(0)).file;
    let b = crate::syntax::parse("const   A =\n 1", FileId(0)).file;
    let c = crate::syntax::parse("const A = 2", FileId(0)).file;
    assert_eq!(shape(&a.items), shape(&b.items));
    assert_ne!(shape(&a.items), shape(&c.items));
}
