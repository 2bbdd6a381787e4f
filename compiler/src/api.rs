//! The library API for build scripts and programs that embed moat: compile a
//! policy file or string for some architectures, get the filter in any of
//! moat's output formats, the warnings and errors as diagnostics, and the
//! files the result depends on; install a compiled filter.
//!
//! ```no_run
//! // build.rs
//! let filter = moat::Compiler::new()
//!     .arch(moat::arch::Arch::X86_64)
//!     .compile_file("policy.moat")
//!     .unwrap_or_else(|e| panic!("{e}"));
//! for dep in filter.dependencies() {
//!     println!("cargo:rerun-if-changed={}", dep.display());
//! }
//! let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
//! std::fs::write(out.join("policy.bpf"), filter.bpf()).unwrap();
//! ```
//!
//! Everything here goes through the same [`driver`] the CLI uses, so a
//! build script gets exactly what `moat build` would write.

use crate::arch::Arch;
use crate::codegen::{self, Program, Weights};
use crate::diagnostics::{render, Diagnostic};
use crate::driver;
use crate::sema::{self, Analysis, CheckedProfile, Options};
use crate::source::{Origin, SourceMap};
use std::path::{Path, PathBuf};

/// What to compile and how. Cheap to build; reuse one for several files.
#[derive(Clone, Debug, Default)]
pub struct Compiler {
    options: Options,
    profile: Option<String>,
    arches: Vec<Arch>,
    skip_tests: bool,
    weights: Option<Weights>,
}

impl Compiler {
    /// Every target of the profile, tests run, imports searched beside the
    /// importing file only (`MOAT_PATH` is ignored so that builds do not
    /// depend on the environment; add directories with
    /// [`include_dir`](Self::include_dir)).
    pub fn new() -> Compiler {
        Compiler::default()
    }

    /// Builds this profile; without it the file must define exactly one.
    pub fn profile(mut self, name: impl Into<String>) -> Compiler {
        self.profile = Some(name.into());
        self
    }

    /// Builds for this architecture (repeatable); without any, for every
    /// target of the profile. All must share one byte order.
    pub fn arch(mut self, arch: Arch) -> Compiler {
        if !self.arches.contains(&arch) {
            self.arches.push(arch);
        }
        self
    }

    /// Also searches `dir` for `use "…"` imports.
    pub fn include_dir(mut self, dir: impl Into<PathBuf>) -> Compiler {
        self.options.include_dirs.push(dir.into());
        self
    }

    /// Skips the policy's `test` blocks (they run by default and a failing
    /// one is an error, as in `moat build`).
    pub fn skip_tests(mut self) -> Compiler {
        self.skip_tests = true;
        self
    }

    /// Shapes the syscall search by call frequencies (`moat build --weights`).
    pub fn weights(mut self, weights: Weights) -> Compiler {
        self.weights = Some(weights);
        self
    }

    /// Compiles the policy file at `path` and what it imports.
    pub fn compile_file(&self, path: impl AsRef<Path>) -> Result<Filter, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error {
            diagnostics: Vec::new(),
            message: format!("cannot read {}: {e}", path.display()),
            dependencies: vec![path.to_path_buf()],
        })?;
        let analysis = sema::analyze_source(
            &path.display().to_string(),
            Some(path),
            &text,
            &self.options,
        );
        self.finish(analysis)
    }

    /// Compiles policy text; `name` labels it in messages. Relative imports
    /// are resolved against the current directory.
    pub fn compile_str(&self, name: &str, text: &str) -> Result<Filter, Error> {
        let analysis = sema::analyze_source(name, None, text, &self.options);
        self.finish(analysis)
    }

    fn finish(&self, analysis: Analysis) -> Result<Filter, Error> {
        let dependencies = dependencies(&analysis.sources);
        let fail = |analysis: &Analysis, diagnostics: Vec<Diagnostic>, message: String| Error {
            message: if diagnostics.is_empty() {
                message
            } else {
                render::render_all(&diagnostics, &analysis.sources, false)
            },
            diagnostics,
            dependencies: dependencies.clone(),
        };
        if analysis.has_errors() {
            return Err(fail(&analysis, analysis.diagnostics.clone(), String::new()));
        }
        let profile = match driver::select_profile(&analysis, self.profile.as_deref()) {
            Ok(p) => p,
            Err(e) => return Err(fail(&analysis, Vec::new(), e)),
        };
        let profile_index = analysis
            .profiles
            .iter()
            .position(|p| std::ptr::eq(p, profile))
            .expect("the selected profile is one of the analysis's");
        let arches = match driver::build_arches(profile, &self.arches) {
            Ok(a) => a,
            Err(e) => return Err(fail(&analysis, Vec::new(), e)),
        };
        let program = match driver::compile_with(profile, &arches, self.weights.as_ref()) {
            Ok(p) => p,
            Err(d) => return Err(fail(&analysis, vec![d], String::new())),
        };
        if !self.skip_tests {
            let failed: Vec<Diagnostic> = match driver::run_tests(&analysis) {
                Ok(results) => results
                    .iter()
                    .filter(|r| !r.passed())
                    .map(driver::CaseResult::failure)
                    .collect(),
                Err(d) => vec![d],
            };
            if !failed.is_empty() {
                return Err(fail(&analysis, failed, String::new()));
            }
        }
        Ok(Filter {
            program,
            analysis,
            profile_index,
            dependencies,
        })
    }
}

/// Files on disk that went into an analysis (the stdlib is built in).
fn dependencies(sources: &SourceMap) -> Vec<PathBuf> {
    sources
        .files()
        .filter_map(|(_, f)| match &f.origin {
            Origin::Path(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

/// A compiled filter and the analysis it came from.
pub struct Filter {
    program: Program,
    analysis: Analysis,
    profile_index: usize,
    dependencies: Vec<PathBuf>,
}

impl Filter {
    /// The compiled program (instructions, byte order, architectures, flags).
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The checked profile that was compiled.
    pub fn profile(&self) -> &CheckedProfile {
        &self.analysis.profiles[self.profile_index]
    }

    /// The architectures the filter decides for; any other is `bad_arch`.
    pub fn arches(&self) -> &[Arch] {
        &self.program.arches
    }

    /// `SECCOMP_FILTER_FLAG_*` bits the profile's `flags` ask for.
    pub fn flags(&self) -> u32 {
        self.program.flags
    }

    /// The raw `struct sock_filter` array in the targets' byte order: what
    /// `seccomp(2)` takes (`moat build --emit bpf`).
    pub fn bpf(&self) -> Vec<u8> {
        self.program.to_blob()
    }

    /// A C header defining the program and its flags (`--emit c`).
    pub fn c_header(&self) -> String {
        let source = self
            .analysis
            .sources
            .get(self.analysis.module(self.analysis.root).file)
            .name
            .clone();
        codegen::c::header(&self.program, &self.profile().name, &source)
    }

    /// The annotated listing (`--emit asm`).
    pub fn listing(&self) -> String {
        codegen::listing::listing(&self.program, &self.profile().name)
    }

    /// OCI runtime-spec JSON (`--emit oci`), or why the policy has none.
    pub fn oci_json(&self) -> Result<String, Error> {
        crate::oci::export(self.profile(), &self.program.arches).map_err(|diagnostics| Error {
            message: render::render_all(&diagnostics, &self.analysis.sources, false),
            diagnostics,
            dependencies: self.dependencies.clone(),
        })
    }

    /// Warnings the checker found (the filter was still built).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.analysis.diagnostics
    }

    /// The warnings rendered as `moat check` prints them.
    pub fn render_warnings(&self, color: bool) -> String {
        render::render_all(&self.analysis.diagnostics, &self.analysis.sources, color)
    }

    /// Every file on disk the filter was built from (for
    /// `cargo:rerun-if-changed` or a Makefile's dependency list).
    pub fn dependencies(&self) -> &[PathBuf] {
        &self.dependencies
    }

    /// The analysis behind the filter (sources, modules, every profile).
    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    /// Installs the filter on the calling thread (see [`install`]). Refuses
    /// when this process's architecture is not one the filter decides for:
    /// every call would take the `bad_arch` action.
    pub fn install(&self) -> std::io::Result<Option<std::os::fd::OwnedFd>> {
        match crate::arch::Arch::host() {
            Some(host) if self.program.arches.contains(&host) => {
                install(&self.bpf(), self.program.flags)
            }
            host => Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                format!(
                    "the filter is for {}, this process runs on {}",
                    self.program
                        .arches
                        .iter()
                        .map(|a| a.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                    host.map(|h| h.name())
                        .unwrap_or("an architecture moat does not know")
                ),
            )),
        }
    }
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("profile", &self.profile().name)
            .field("arches", &self.program.arches)
            .field("instructions", &self.program.insns.len())
            .field("flags", &self.program.flags)
            .finish()
    }
}

/// Why a policy did not compile: its diagnostics (empty when the failure
/// was not about a place in the source, such as an unreadable file or a
/// missing profile) and the message `moat build` would print.
#[derive(Debug)]
pub struct Error {
    diagnostics: Vec<Diagnostic>,
    message: String,
    dependencies: Vec<PathBuf>,
}

impl Error {
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The files read before the failure, so a build script reruns when
    /// they are fixed.
    pub fn dependencies(&self) -> &[PathBuf] {
        &self.dependencies
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message.trim_end())
    }
}

impl std::error::Error for Error {}

/// Loads a filter (a `struct sock_filter` array in this machine's byte
/// order, as [`Filter::bpf`] or `moat build --emit bpf` produce) on the
/// calling thread, after setting `PR_SET_NO_NEW_PRIVS` as unprivileged
/// callers must. Returns the notification listener when `flags` asks for
/// one (`SECCOMP_FILTER_FLAG_NEW_LISTENER`).
///
/// The filter holds for the rest of the thread's life and is inherited by
/// its children and across `execve`; with `SECCOMP_FILTER_FLAG_TSYNC` it is
/// applied to every thread of the process.
#[cfg(target_os = "linux")]
pub fn install(blob: &[u8], flags: u32) -> std::io::Result<Option<std::os::fd::OwnedFd>> {
    use std::io::{Error as IoError, ErrorKind};
    use std::os::fd::FromRawFd;
    const INSN: usize = std::mem::size_of::<libc::sock_filter>();
    if blob.is_empty() || blob.len() % INSN != 0 || blob.len() / INSN > u16::MAX as usize {
        return Err(IoError::new(
            ErrorKind::InvalidInput,
            format!("{} bytes is not a sock_filter array", blob.len()),
        ));
    }
    // The kernel reads the array in place, so copy it into properly aligned
    // storage; the bytes already are in the kernel's layout.
    let insns: Vec<libc::sock_filter> = blob
        .chunks_exact(INSN)
        .map(|c| libc::sock_filter {
            code: u16::from_ne_bytes([c[0], c[1]]),
            jt: c[2],
            jf: c[3],
            k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
        })
        .collect();
    let prog = libc::sock_fprog {
        len: insns.len() as u16,
        filter: insns.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: prctl with integer arguments; seccomp reads `prog`, which
    // points to `insns`, both alive for the call.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(IoError::last_os_error());
        }
        let ret = libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            flags,
            &prog as *const libc::sock_fprog,
        );
        if ret < 0 {
            return Err(IoError::last_os_error());
        }
        let tsync = flags & crate::bpf::SECCOMP_FILTER_FLAG_TSYNC != 0;
        let listener = flags & crate::bpf::SECCOMP_FILTER_FLAG_NEW_LISTENER != 0;
        if tsync && !listener && ret > 0 {
            // Without TSYNC_ESRCH a positive result names the thread that
            // could not be synchronised; nothing was installed.
            return Err(IoError::other(format!(
                "thread {ret} could not take the filter (TSYNC)"
            )));
        }
        Ok(if listener {
            Some(std::os::fd::OwnedFd::from_raw_fd(ret as i32))
        } else {
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "profile p { targets x86_64, aarch64 default kill allow getpid }\n\
                          test p { getpid() => allow }";

    #[test]
    fn compiles_for_the_chosen_arches() {
        let all = Compiler::new().compile_str("p.moat", POLICY).unwrap();
        assert_eq!(all.arches(), &[Arch::X86_64, Arch::Aarch64]);
        let one = Compiler::new()
            .arch(Arch::Aarch64)
            .compile_str("p.moat", POLICY)
            .unwrap();
        assert_eq!(one.arches(), &[Arch::Aarch64]);
        assert_eq!(one.bpf().len(), one.program().insns.len() * 8);
        assert!(one.c_header().contains("sock_filter"));
        assert!(one.oci_json().unwrap().contains("SCMP_ARCH_AARCH64"));
        assert!(one.dependencies().is_empty());
    }

    #[test]
    fn every_error_comes_back_as_diagnostics() {
        let e = Compiler::new()
            .compile_str(
                "p.moat",
                "profile p { targets x86_64 default kill allow getpdi, nope }",
            )
            .unwrap_err();
        assert_eq!(e.diagnostics().len(), 2, "{e}");
        assert!(e.to_string().contains("getpid"), "the did-you-mean: {e}");
        let e = Compiler::new()
            .arch(Arch::S390x)
            .compile_str("p.moat", POLICY)
            .unwrap_err();
        assert!(e.diagnostics().is_empty());
        assert!(e.to_string().contains("not a target"), "{e}");
        let failing_test = POLICY.replace("=> allow", "=> kill");
        let e = Compiler::new()
            .compile_str("p.moat", &failing_test)
            .unwrap_err();
        assert!(e.to_string().contains("test failed"), "{e}");
        assert!(Compiler::new()
            .skip_tests()
            .compile_str("p.moat", &failing_test)
            .is_ok());
    }

    #[test]
    fn dependencies_name_every_file_read() {
        let dir = std::env::temp_dir().join(format!("moat-api-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("base.moat"), "group io = [read, write]\n").unwrap();
        std::fs::write(
            dir.join("main.moat"),
            "use \"./base.moat\" as base\nprofile p { targets x86_64 default kill allow base::io }\n",
        )
        .unwrap();
        let f = Compiler::new().compile_file(dir.join("main.moat"));
        let deps: Vec<String> = match &f {
            Ok(f) => f.dependencies().iter(),
            Err(e) => panic!("{e}"),
        }
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
        assert_eq!(deps, ["main.moat", "base.moat"]);
        let missing = Compiler::new().compile_file(dir.join("absent.moat"));
        assert_eq!(missing.err().unwrap().dependencies().len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
