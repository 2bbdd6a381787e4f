//! Unit tests of the editor queries. `$0` marks the cursor.

use super::completion::{completions, CompletionKind};
use super::index::Symbol;
use super::*;
use crate::sema::{analyze_source, Options};

fn analyze(src: &str) -> crate::sema::Analysis {
    analyze_source("test.moat", None, src, &Options::default())
}

/// The analysis of the text without `$0`, and the cursor's offset.
fn at(src: &str) -> (crate::sema::Analysis, usize) {
    let pos = src.find("$0").expect("a $0 marker");
    (analyze(&src.replacen("$0", "", 1)), pos)
}

fn hover_text(src: &str) -> String {
    let (a, pos) = at(src);
    hover::hover(&a, pos)
        .map(|h| h.markdown)
        .unwrap_or_default()
}

fn labels(src: &str) -> Vec<String> {
    let (a, pos) = at(src);
    completions(&a, pos)
        .items
        .into_iter()
        .map(|i| i.label)
        .collect()
}

fn kinds(src: &str) -> Vec<(String, CompletionKind)> {
    let (a, pos) = at(src);
    completions(&a, pos)
        .items
        .into_iter()
        .map(|i| (i.label, i.kind))
        .collect()
}

const WEB: &str = include_str!("../../../examples/web-server.moat");

fn web_at(needle: &str, delta: usize) -> String {
    let pos = WEB.find(needle).expect("needle") + delta;
    format!("{}$0{}", &WEB[..pos], &WEB[pos..])
}

// ------------------------------------------------------------------ hover

#[test]
fn hover_syscall_shows_signature_and_numbers_on_targets() {
    let h = hover_text(&web_at("openat if", 2));
    assert!(
        h.contains("openat(int dfd, const char *filename, int flags, umode_t mode)"),
        "{h}"
    );
    assert!(h.contains("x86_64 `257`"), "{h}");
    assert!(h.contains("aarch64 `56`"), "{h}");
    assert!(!h.contains("i386"), "only the profile's targets: {h}");
}

#[test]
fn hover_syscall_missing_on_a_target() {
    let h = hover_text(&web_at("epoll_wait,", 3));
    assert!(h.contains("not on aarch64"), "{h}");
}

#[test]
fn hover_argument_shows_type_and_width() {
    let h = hover_text(&web_at("flags & O_ACCMODE", 1));
    assert!(h.contains("**argument** `flags`"), "{h}");
    assert!(h.contains("arg2"), "{h}");
    assert!(h.contains("32-bit signed"), "{h}");
    let h =
        hover_text("profile p { targets x86_64 default allow allow openat if file$0name == 0 }");
    assert!(h.contains("pointer"), "{h}");
}

#[test]
fn hover_prelude_constant_errno_action() {
    let h = hover_text(&web_at("O_RDONLY", 2));
    assert!(h.contains("= `0`"), "{h}");
    let h = hover_text(&web_at("EACCES", 1));
    assert!(h.contains("`13`") && h.contains("Permission denied"), "{h}");
    let h = hover_text(&web_at("trap(42)", 1));
    assert!(h.contains("SIGSYS"), "{h}");
    let h = hover_text(&web_at("kill clone", 1));
    assert!(h.contains("KILL_PROCESS"), "{h}");
}

#[test]
fn hover_constant_per_arch_value() {
    let h = hover_text("const X = match arch { x86_64 => 1, _ => 2 }\nprofile p { targets x86_64, aarch64 default allow allow read if fd == X$0 }");
    assert!(
        h.contains("- x86_64: `1`") && h.contains("- aarch64: `2`"),
        "{h}"
    );
    let h = hover_text("/// Standard output.\nconst OUT = 1 | 0x10\nprofile p { targets x86_64 default allow allow write if fd == OU$0T }");
    assert!(h.contains("`0x11 (17)`"), "{h}");
    assert!(h.contains("Standard output."), "{h}");
    let h = hover_text(
        "profile p { targets x86_64 default allow allow openat if flags & O_LARGE$0FILE }",
    );
    assert!(h.contains("x86_64"), "{h}");
}

#[test]
fn hover_group_lists_members_and_doc() {
    let h = hover_text(&web_at("basic_io, memory, signal\n", 2));
    assert!(h.contains("members:") && h.contains("read"), "{h}");
    assert!(h.contains("from `std::groups`"), "{h}");
    assert!(h.contains("I/O on descriptors"), "{h}");
}

#[test]
fn hover_profile_module_arch_flag() {
    let src = "use std::docker\n/// Mine.\nprofile p extends docker::default { flags tsync allow read }\ntest p$0 { read() => allow }";
    let h = hover_text(src);
    assert!(
        h.contains("profile p extends docker::default") && h.contains("Mine."),
        "{h}"
    );
    let h = hover_text("use std::dock$0er\n");
    assert!(h.contains("**module** `std::docker`"), "{h}");
    let h = hover_text("profile p { targets aarch$064 default allow }");
    assert!(h.contains("AUDIT_ARCH"), "{h}");
    let h = hover_text("profile p { targets x86_64 default allow flags ts$0ync }");
    assert!(h.contains("TSYNC"), "{h}");
}

#[test]
fn hover_in_test_cases() {
    let h = hover_text(&web_at("arch_prctl(ARCH_SET_GS", 3));
    assert!(h.contains("arch_prctl("), "{h}");
    let h = hover_text(
        "profile p { targets x86_64 default allow }\ntest p { write(f$0d: 1) => allow }",
    );
    assert!(h.contains("**argument** `fd`"), "{h}");
}

#[test]
fn hover_on_keywords() {
    let h = hover_text("profile p { tar$0gets x86_64 default allow }");
    assert!(h.starts_with("**targets**"), "{h}");
    let h = hover_text("prof$0ile p { targets x86_64 default allow }");
    assert!(h.contains("a policy"), "{h}");
    // `default` as a name is the item, not the keyword.
    let h = hover_text("use std::docker\nprofile p extends docker::def$0ault { }");
    assert!(h.contains("profile default"), "{h}");
}

#[test]
fn hover_on_non_ascii_line_uses_byte_offsets() {
    let h = hover_text("// é😀\nprofile p { targets x86_64 default allow allow re$0ad } // ü");
    assert!(h.contains("read("), "{h}");
}

// ------------------------------------------------------------------ completion

#[test]
fn completes_item_keywords_at_top_level() {
    let l = labels("pro$0");
    assert_eq!(l, vec!["profile"]);
    let l = labels("$0");
    for k in crate::syntax::ast::ITEM_KEYWORDS {
        assert!(l.contains(&k.to_string()), "{k}: {l:?}");
    }
}

#[test]
fn completes_statements_and_actions_in_a_profile() {
    let l = labels("profile p {\n  $0\n}");
    for w in [
        "targets",
        "default",
        "include",
        "on",
        "allow",
        "errno",
        "kill_thread",
    ] {
        assert!(l.contains(&w.to_string()), "{w}: {l:?}");
    }
    let l = labels("mixin m {\n  $0\n}");
    assert!(
        l.contains(&"allow".to_string()) && !l.contains(&"targets".to_string()),
        "{l:?}"
    );
    let l = labels("profile p { targets x86_64 default $0 }");
    assert!(
        l.contains(&"errno".to_string()) && !l.contains(&"targets".to_string()),
        "{l:?}"
    );
}

#[test]
fn completes_syscalls_and_groups_after_an_action() {
    let k = kinds(
        "use std::groups::{basic_io}\nprofile p { targets x86_64 default allow allow ope$0 }",
    );
    assert!(
        k.contains(&("openat".into(), CompletionKind::Syscall)),
        "{k:?}"
    );
    assert!(k.iter().all(|(l, _)| l.starts_with("ope")), "{k:?}");
    let k = kinds(
        "use std::groups::{basic_io}\nprofile p { targets x86_64 default allow allow read, bas$0 }",
    );
    assert!(
        k.contains(&("basic_io".into(), CompletionKind::Group)),
        "{k:?}"
    );
    let k = kinds("use std::groups\nprofile p { targets x86_64 default allow allow groups::$0 }");
    assert!(
        k.contains(&("basic_io".into(), CompletionKind::Group)),
        "{k:?}"
    );
    // A syscall the targets lack is not offered.
    let l = labels("profile p { targets aarch64 default allow allow epoll_wa$0 }");
    assert!(!l.contains(&"epoll_wait".to_string()), "{l:?}");
}

#[test]
fn completes_if_after_a_syscall() {
    let l = labels("profile p { targets x86_64 default allow allow read $0 }");
    assert!(
        l.contains(&"if".to_string()) && l.contains(&"allow".to_string()),
        "{l:?}"
    );
}

#[test]
fn completes_arguments_of_the_rules_syscalls_in_a_predicate() {
    let l = labels("profile p { targets x86_64 default allow allow openat if $0 }");
    for w in ["dfd", "filename", "flags", "mode"] {
        assert!(l.contains(&w.to_string()), "{w}: {l:?}");
    }
    let l = labels("profile p { targets x86_64 default allow allow socket if dom$0 }");
    assert_eq!(l, vec!["domain"]);
}

#[test]
fn completes_constants_filtered_by_the_argument() {
    let l = labels("profile p { targets x86_64 default allow allow openat if flags & $0 }");
    assert!(
        l.contains(&"O_RDONLY".to_string()) && l.contains(&"O_CLOEXEC".to_string()),
        "{l:?}"
    );
    assert!(!l.contains(&"AF_INET".to_string()), "{l:?}");
    let l = labels(
        "profile p { targets x86_64 default allow allow socket if domain in [AF_INET, $0] }",
    );
    assert!(
        l.contains(&"AF_UNIX".to_string()) && !l.contains(&"O_RDONLY".to_string()),
        "{l:?}"
    );
    let l = labels("profile p { targets x86_64 default allow allow clone if flags & CLONE_NEW$0 }");
    assert!(l.contains(&"CLONE_NEWUSER".to_string()), "{l:?}");
    let l = labels(
        "const MINE = 3\nprofile p { targets x86_64 default allow allow read if fd == MI$0 }",
    );
    assert_eq!(l, vec!["MINE"]);
}

#[test]
fn completes_errno_names_in_errno_parens() {
    let k = kinds("profile p { targets x86_64 default errno(EPE$0) }");
    assert_eq!(k, vec![("EPERM".to_string(), CompletionKind::Errno)]);
    let l = labels("profile p { targets x86_64 default allow errno($0");
    assert!(
        l.len() > 100 && l.contains(&"ENOSYS".to_string()),
        "{}",
        l.len()
    );
}

#[test]
fn completes_module_paths_after_use() {
    let l = labels("use $0");
    assert!(
        l.contains(&"std::groups".to_string()) && l.contains(&"std".to_string()),
        "{l:?}"
    );
    let l = labels("use std::$0");
    assert!(
        l.contains(&"docker".to_string()) && l.contains(&"strict".to_string()),
        "{l:?}"
    );
    let l = labels("use std::groups::{basic_io, net$0");
    assert!(l.contains(&"network_io".to_string()), "{l:?}");
    let l = labels("profile p extends $0 { }");
    assert!(l.is_empty() || l.iter().all(|x| x != "allow"), "{l:?}");
    let l = labels("use std::docker\nprofile p extends docker::$0");
    assert!(l.contains(&"default".to_string()), "{l:?}");
}

#[test]
fn completes_arches_flags_and_includes() {
    let l = labels("profile p { targets x86_64, aa$0 }");
    assert_eq!(l, vec!["aarch64"]);
    let l = labels("profile p { targets x86_64 default allow on x86_64, $0 { } }");
    assert!(l.contains(&"riscv64".to_string()), "{l:?}");
    let l = labels("profile p { targets x86_64 default allow flags tsync, $0 }");
    assert!(l.contains(&"spec_allow".to_string()), "{l:?}");
    let l = labels("mixin m { allow read }\nprofile p { targets x86_64 default allow include $0 }");
    assert_eq!(l, vec!["m", "p"]);
}

#[test]
fn completes_in_test_blocks() {
    let src = "profile p { targets x86_64 default allow }\ntest p {\n  write(1) => allow\n  $0\n}";
    let l = labels(src);
    assert!(
        l.contains(&"openat".to_string()) && l.contains(&"x86_64".to_string()),
        "{l:?}"
    );
    let l = labels("profile p { targets x86_64 default allow }\ntest p { openat(AT_FDCWD, 0, O_$0");
    assert!(l.contains(&"O_RDONLY".to_string()), "{l:?}");
    let l = labels("profile p { targets x86_64 default allow }\ntest p { write(1) => $0 }");
    assert!(
        l.contains(&"allow".to_string()) && !l.contains(&"write".to_string()),
        "{l:?}"
    );
}

#[test]
fn no_completion_in_comments_or_strings() {
    assert!(labels("// allow $0").is_empty());
    assert!(labels("use \"./a$0").is_empty());
}

// ------------------------------------------------------------------ navigation

#[test]
fn definition_of_local_items() {
    let src = "const FD = 1\nmixin m { allow read }\nprofile p { targets x86_64 default allow include m$0 allow write if fd == FD }";
    let (a, pos) = at(src);
    let d = navigation::definition(&a, pos).expect("a definition");
    assert_eq!(&a.sources.get(d.file).text[d.range()], "m");
    assert_eq!(d.start, 19);
    let (a, pos) = at(&src
        .replace("== FD", "== F$0D")
        .replace("include m$0", "include m"));
    let d = navigation::definition(&a, pos).unwrap();
    assert_eq!(d.start, 6);
}

#[test]
fn definition_into_the_stdlib() {
    let (a, pos) = at(&web_at("memory, signal", 2));
    let d = navigation::definition(&a, pos).expect("a definition");
    let f = a.sources.get(d.file);
    assert_eq!(f.origin, crate::source::Origin::Stdlib("groups".into()));
    assert_eq!(&f.text[d.range()], "memory");
    let (a, pos) = at("use std::docker\nprofile p extends docker::defa$0ult { }");
    let d = navigation::definition(&a, pos).unwrap();
    assert_eq!(
        a.sources.get(d.file).origin,
        crate::source::Origin::Stdlib("docker".into())
    );
    let (a, pos) = at("use std::dock$0er\n");
    let d = navigation::definition(&a, pos).unwrap();
    assert_eq!((d.start, d.end), (0, 0));
}

#[test]
fn references_across_items_and_imports() {
    let src = "const F$0D = 1\nprofile p { targets x86_64 default allow allow write if fd == FD allow read if fd == FD }";
    let (a, pos) = at(src);
    assert_eq!(navigation::references(&a, pos, true).len(), 3);
    assert_eq!(navigation::references(&a, pos, false).len(), 2);
    let (a, pos) = at(&web_at("signal}", 1));
    let refs = navigation::references(&a, pos, true);
    // The import, the rule, and the group's definition in std::groups.
    assert!(refs.len() >= 3, "{refs:?}");
    // Arguments: within the file, by name.
    let (a, pos) = at(
        "profile p { targets x86_64 default allow allow write if f$0d == 1 allow read if fd == 2 }",
    );
    assert_eq!(navigation::references(&a, pos, true).len(), 2);
}

// ------------------------------------------------------------------ outline, folding, tokens

#[test]
fn document_symbols_outline() {
    let a = analyze(WEB);
    let syms = symbols::document_symbols(&a);
    let names: Vec<&str> = syms.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "use std::groups::{basic_io, memory, signal}",
            "web_server",
            "test web_server"
        ]
    );
    let prof = &syms[1];
    assert_eq!(prof.kind, symbols::SymbolKind::Profile);
    assert!(prof
        .children
        .iter()
        .any(|c| c.name == "on x86_64" && c.children.len() == 1));
    assert!(prof
        .detail
        .as_deref()
        .unwrap_or("")
        .contains("network service"));
}

#[test]
fn folding_ranges_cover_items_blocks_and_comment_runs() {
    let a = analyze("// one\n// two\nprofile p {\n  targets x86_64\n  default allow\n  on x86_64 {\n    allow read\n  }\n}\n");
    let f = symbols::folding_ranges(&a);
    let as_pairs: Vec<(u32, u32)> = f.iter().map(|f| (f.start_line, f.end_line)).collect();
    assert!(as_pairs.contains(&(0, 1)), "{as_pairs:?}");
    assert!(as_pairs.contains(&(2, 8)), "{as_pairs:?}");
    assert!(as_pairs.contains(&(5, 7)), "{as_pairs:?}");
}

#[test]
fn semantic_tokens_tell_kinds_apart() {
    use tokens::TokenType as T;
    let src = "use std::groups::{basic_io}\nconst X = 1 // c\nprofile p { targets x86_64 default errno(EPERM) allow basic_io allow openat if flags & O_RDONLY == X }";
    let a = analyze(src);
    let toks = tokens::semantic_tokens(&a);
    let of = |word: &str| {
        let at = src.rfind(word).unwrap() as u32;
        toks.iter().find(|t| t.span.start == at).map(|t| t.ty)
    };
    assert_eq!(of("profile"), Some(T::Keyword));
    assert_eq!(of("allow openat"), Some(T::Action));
    assert_eq!(of("openat"), Some(T::Syscall));
    assert_eq!(of("flags"), Some(T::Argument));
    assert_eq!(of("O_RDONLY"), Some(T::Constant));
    assert_eq!(of("EPERM"), Some(T::Errno));
    assert_eq!(of("basic_io allow"), Some(T::Group));
    assert_eq!(of("x86_64"), Some(T::Arch));
    assert_eq!(of("groups"), Some(T::Module));
    assert_eq!(of("// c"), Some(T::Comment));
    assert_eq!(of("1 //"), Some(T::Number));
    // Sorted and non-overlapping.
    assert!(toks.windows(2).all(|w| w[0].span.end <= w[1].span.start));
}

// ------------------------------------------------------------------ diagnostics, actions, signature help

#[test]
fn did_you_mean_becomes_a_code_action() {
    let src = "profile p { targets x86_64 default allow allow opnat }";
    let a = analyze(src);
    let at = src.find("opnat").unwrap();
    let acts = actions::code_actions(&a, at, at);
    let fix = acts
        .iter()
        .find(|c| c.title.contains("openat"))
        .expect("a fix");
    assert_eq!(fix.edits[0].new_text, "openat");
    assert_eq!(&src[fix.edits[0].span.range()], "opnat");
}

#[test]
fn missing_use_becomes_a_code_action() {
    let src = "/// doc\nprofile p { targets x86_64 default allow allow basic_io }";
    let a = analyze(src);
    let at = src.find("basic_io").unwrap();
    let acts = actions::code_actions(&a, at, at);
    let add = acts
        .iter()
        .find(|c| c.title.contains("use std::groups"))
        .expect("an import");
    assert_eq!(add.edits[0].span.start, 0);
    assert_eq!(add.edits[0].new_text, "use std::groups::{basic_io}\n\n");
    let src = "use std::groups::{memory}\nprofile p { targets x86_64 default allow allow memory, basic_io }";
    let a = analyze(src);
    let at = src.find("basic_io").unwrap();
    let acts = actions::code_actions(&a, at, at);
    let add = acts
        .iter()
        .find(|c| c.title.contains("Import"))
        .expect("an import");
    assert_eq!(add.edits[0].new_text, ", basic_io");
    let src = "profile p extends docker::default { }";
    let a = analyze(src);
    let acts = actions::code_actions(&a, 20, 20);
    assert!(
        acts.iter().any(|c| c.title == "Add `use std::docker`"),
        "{acts:?}"
    );
}

#[test]
fn diagnostics_for_the_file_fold_in_help() {
    let a = analyze("profile p { targets x86_64 default allow allow opnat }");
    let d = diagnostics::for_file(&a, root_file(&a));
    assert_eq!(d.len(), 1);
    assert!(
        d[0].message.contains("help: did you mean `openat`?"),
        "{}",
        d[0].message
    );
    assert_eq!(d[0].code, "E0108");
}

#[test]
fn signature_help_in_test_calls() {
    let (a, pos) =
        at("profile p { targets x86_64 default allow }\ntest p { openat(AT_FDCWD, $0) => allow }");
    let s = signature::signature_help(&a, pos).expect("help");
    assert_eq!(s.active, 1);
    let (st, en) = s.parameters[1];
    assert_eq!(&s.label[st..en], "const char *filename");
    let (a, pos) = at("profile p { targets x86_64 default allow allow read if fd == $0 }");
    assert!(signature::signature_help(&a, pos).is_none());
}

#[test]
fn index_classifies_keywords_used_as_names() {
    let src = "profile p { targets x86_64 default allow allow kill if pid > 0 }";
    let a = analyze(src);
    let idx = index::index(&a, a.root);
    let kill = src.find("kill").unwrap() as u32;
    let o = idx.iter().find(|o| o.span.start == kill).unwrap();
    assert_eq!(o.symbol, Symbol::Syscall("kill".into()));
}

#[test]
fn queries_survive_broken_text() {
    // Every query at every offset of some broken files: no panics.
    for src in [
        "profile p { allow read if",
        "use std::",
        "profile p extends { targets }",
        "test { x86_64: (",
        "const A = match arch { x86_64 => , }",
        "group g = [read,, ]",
        "/* é 😀",
        "profile p { on x86_64 { allow } }",
    ] {
        let a = analyze(src);
        for off in 0..=src.len() {
            if !src.is_char_boundary(off) {
                continue;
            }
            let _ = hover::hover(&a, off);
            let _ = completions(&a, off);
            let _ = navigation::definition(&a, off);
            let _ = navigation::references(&a, off, true);
            let _ = signature::signature_help(&a, off);
            let _ = actions::code_actions(&a, off, off);
        }
        let _ = symbols::document_symbols(&a);
        let _ = symbols::folding_ranges(&a);
        let _ = tokens::semantic_tokens(&a);
        let _ = diagnostics::for_file(&a, root_file(&a));
    }
}
