//! Compiles policy.moat into $OUT_DIR/policy.bpf for the architecture being
//! built (not the one running the build: cross builds get the target's
//! filter). A policy error fails the build with moat's own diagnostics.

use moat::arch::Arch;
use std::path::PathBuf;

fn main() {
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    let target = Arch::from_rust_target(
        &env("CARGO_CFG_TARGET_ARCH"),
        &env("CARGO_CFG_TARGET_POINTER_WIDTH"),
        &env("CARGO_CFG_TARGET_ENDIAN"),
    );
    let out = PathBuf::from(env("OUT_DIR"));
    let Some(arch) = target.filter(|a| matches!(a, Arch::X86_64 | Arch::Aarch64 | Arch::Riscv64))
    else {
        // The policy has no rules for this target; main refuses to run.
        println!(
            "cargo:warning=policy.moat does not target {}",
            env("CARGO_CFG_TARGET_ARCH")
        );
        std::fs::write(out.join("policy.bpf"), []).unwrap();
        std::fs::write(out.join("policy.flags"), "0").unwrap();
        println!("cargo:rerun-if-changed=policy.moat");
        return;
    };
    match moat::Compiler::new().arch(arch).compile_file("policy.moat") {
        Ok(filter) => {
            for dep in filter.dependencies() {
                println!("cargo:rerun-if-changed={}", dep.display());
            }
            for line in filter.render_warnings(false).lines() {
                println!("cargo:warning={line}");
            }
            std::fs::write(out.join("policy.bpf"), filter.bpf()).unwrap();
            std::fs::write(out.join("policy.flags"), filter.flags().to_string()).unwrap();
        }
        Err(e) => {
            for dep in e.dependencies() {
                println!("cargo:rerun-if-changed={}", dep.display());
            }
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
