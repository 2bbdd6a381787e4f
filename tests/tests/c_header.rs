//! The C header emitter (`moat build … --emit c`).
//!
//! * Every profile of `examples/` and `stdlib/` (each byte order's
//!   program) gives a header that `gcc -std=c99 -Wall -Wextra -Werror
//!   -pedantic -fsyntax-only` accepts when a translation unit uses it, and
//!   whose `struct sock_filter` initialisers, length and flags are exactly
//!   the compiled program.
//!
//! `examples/c-make` itself is built with make by `compiler/tests/c_make.rs`.
//!
//! Without gcc the tests print `SKIPPED` (or fail with `MOAT_REQUIRE_GCC=1`).

use moat::arch::Arch;
use moat::bpf::{Endian, Insn};
use moat::codegen::Program;
use moat::sema::{analyze_path, Options};
use moat_tests::check::errors;
use moat_tests::{moat_files, repo};
use std::path::{Path, PathBuf};
use std::process::Command;

fn gcc(test: &str) -> bool {
    let ok = Command::new("gcc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("MOAT_REQUIRE_GCC").is_ok_and(|v| v == "1") {
            panic!("{test}: gcc is not available");
        }
        println!("SKIPPED {test}: gcc is not available");
        eprintln!("SKIPPED {test}: gcc is not available");
    }
    ok
}

/// A fresh directory under the system temp dir (no tempfile crate needed).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("moat-c-header-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The C identifier stem the emitter derives from a profile name.
fn ident(profile: &str) -> String {
    profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Reads the `{ code, jt, jf, k }` initialisers back out of a header.
fn parse_filter(header: &str, id: &str) -> Vec<Insn> {
    let start = header
        .find(&format!("moat_{id}_filter["))
        .expect("filter array");
    let body = &header[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("};").unwrap()];
    let mut out = Vec::new();
    for line in body.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix('{') else {
            continue;
        };
        let fields: Vec<&str> = rest[..rest.find('}').unwrap()]
            .split(',')
            .map(str::trim)
            .collect();
        let num = |s: &str| -> u64 {
            match s.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16).unwrap(),
                None => s.parse().unwrap(),
            }
        };
        out.push(Insn {
            code: num(fields[0]) as u16,
            jt: num(fields[1]) as u8,
            jf: num(fields[2]) as u8,
            k: num(fields[3]) as u32,
        });
    }
    out
}

fn define(header: &str, name: &str) -> Option<String> {
    header.lines().find_map(|l| {
        l.strip_prefix(&format!("#define {name} "))
            .map(|v| v.trim().to_string())
    })
}

/// A translation unit that uses everything the header defines.
fn user_of(header_name: &str, id: &str) -> String {
    let upper = id.to_ascii_uppercase();
    format!(
        "#include \"{header_name}\"\n\
         unsigned int moat_check_len(void);\n\
         unsigned int moat_check_len(void)\n{{\n\
         \treturn moat_{id}_prog.len + MOAT_{upper}_LEN + MOAT_{upper}_FLAGS\n\
         \t\t+ moat_{id}_filter[0].code + moat_{id}_prog.filter[0].k;\n}}\n"
    )
}

fn gcc_syntax_only(dir: &Path, c_file: &str) -> Result<(), String> {
    let out = Command::new("gcc")
        .args([
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-fsyntax-only",
        ])
        .arg(c_file)
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Every program of every example and stdlib profile, with its header.
fn headers() -> Vec<(String, Program, String)> {
    let mut files = Vec::new();
    moat_files(&repo().join("examples"), &mut files);
    moat_files(&repo().join("stdlib"), &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in &files {
        let analysis = analyze_path(f, &Options::default()).unwrap();
        if let Some(e) = errors(&analysis) {
            panic!("{}: {e}", f.display());
        }
        for profile in &analysis.profiles {
            for endian in [Endian::Little, Endian::Big] {
                let arches: Vec<Arch> = profile
                    .settings
                    .targets
                    .iter()
                    .copied()
                    .filter(|a| a.endian() == endian)
                    .collect();
                if arches.is_empty() {
                    continue;
                }
                let program = moat::driver::compile(profile, &arches).unwrap();
                let source = f.strip_prefix(repo()).unwrap_or(f).display().to_string();
                let header = moat::codegen::c::header(&program, &profile.name, &source);
                out.push((
                    format!("{source} {} {arches:?}", profile.name),
                    program,
                    header,
                ));
            }
        }
    }
    out
}

#[test]
fn headers_hold_exactly_the_compiled_program() {
    let all = headers();
    assert!(all.len() >= 3);
    for (what, program, header) in &all {
        let name = what.split_whitespace().nth(1).unwrap();
        let id = ident(name);
        let upper = id.to_ascii_uppercase();
        assert_eq!(
            parse_filter(header, &id),
            program.insns,
            "{what}: the header's initialisers are not the program"
        );
        assert_eq!(
            define(header, &format!("MOAT_{upper}_LEN")),
            Some(program.insns.len().to_string()),
            "{what}"
        );
        assert_eq!(
            define(header, &format!("MOAT_{upper}_FLAGS")),
            Some(format!("{:#x}u", program.flags)),
            "{what}"
        );
        assert!(
            header.contains(&format!("#ifndef MOAT_{upper}_H")),
            "{what}"
        );
    }
}

#[test]
fn headers_compile_with_gcc() {
    if !gcc("headers_compile_with_gcc") {
        return;
    }
    let dir = scratch("syntax");
    let mut n = 0;
    for (i, (what, _, header)) in headers().iter().enumerate() {
        let name = what.split_whitespace().nth(1).unwrap();
        let id = ident(name);
        let h = format!("h{i}.h");
        let c = format!("u{i}.c");
        std::fs::write(dir.join(&h), header).unwrap();
        std::fs::write(dir.join(&c), user_of(&h, &id)).unwrap();
        if let Err(e) = gcc_syntax_only(&dir, &c) {
            panic!("{what}: gcc rejects the header:\n{e}\n--- header ---\n{header}");
        }
        // Included twice: the include guard works.
        std::fs::write(
            dir.join(format!("twice{i}.c")),
            format!("#include \"{h}\"\n{}", user_of(&h, &id)),
        )
        .unwrap();
        gcc_syntax_only(&dir, &format!("twice{i}.c")).unwrap();
        n += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("c_header: {n} headers compiled with gcc -std=c99 -Wall -Wextra -Werror -pedantic");
}
