//! `examples/c-make` built the way its README says: `make` runs this
//! workspace's `moat build … --emit c` to produce policy.h, gcc builds
//! install.c against it, and install loads the filter on the real kernel
//! and reports what each probe call got.
//!
//! Without make or gcc the test prints `SKIPPED` (or fails with
//! `MOAT_REQUIRE_GCC=1`, which CI sets).

use std::path::{Path, PathBuf};
use std::process::Command;

fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("MOAT_REQUIRE_GCC").as_deref() != Ok("1"),
            "{tool} is not available"
        );
        println!("SKIPPED the c-make example: {tool} is not available");
    }
    ok
}

/// The example copied to a scratch directory, so make's outputs never land
/// in the source tree.
fn copy_example() -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/c-make");
    let dir = std::env::temp_dir().join(format!("moat-c-make-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["Makefile", "install.c", "policy.moat"] {
        std::fs::copy(src.join(name), dir.join(name)).unwrap();
    }
    dir
}

#[test]
fn make_builds_the_header_and_the_loader() {
    if !have("make") || !have("gcc") {
        return;
    }
    let dir = copy_example();
    let moat = env!("CARGO_BIN_EXE_moat");
    let out = Command::new("make")
        .arg("-C")
        .arg(&dir)
        .arg(format!("MOAT={moat}"))
        .arg("install")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let header = std::fs::read_to_string(dir.join("policy.h")).unwrap();
    assert!(header.contains("struct sock_filter"), "{header}");

    // make again: nothing to do while policy.moat is unchanged.
    let again = Command::new("make")
        .arg("-C")
        .arg(&dir)
        .arg(format!("MOAT={moat}"))
        .arg("-q")
        .arg("install")
        .status()
        .unwrap();
    assert!(again.success(), "make -q says install is out of date");

    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        println!("SKIPPED running install: not x86_64 Linux");
        return;
    }
    let run = Command::new(dir.join("install")).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    if !run.status.success() && stderr.contains("seccomp(") {
        assert!(
            std::env::var("MOAT_REQUIRE_SECCOMP").as_deref() != Ok("1"),
            "install could not load its filter: {stderr}"
        );
        println!("SKIPPED running install: seccomp unavailable: {stderr}");
        return;
    }
    assert!(
        run.status.success(),
        "install: {}\n{stdout}{stderr}",
        run.status
    );
    let expected = "getppid() = ok\n\
                    getpid() = -1 errno 1\n\
                    dup(1) = ok\n\
                    dup(5) = -1 errno 13\n\
                    dup(7) = -1 errno 1\n\
                    umask(022) = ok\n\
                    umask(04022) = -1 errno 38\n";
    assert_eq!(stdout, expected);
    let _ = std::fs::remove_dir_all(&dir);
}
