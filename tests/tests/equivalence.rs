//! The compiled program decides exactly what the policy says.
//!
//! For every profile of every `.moat` file in `examples/` and `stdlib/`, and
//! for random policies, each program `moat` compiles is run by `moat::emu`
//! and compared with `moat::ir::reference::decide` on:
//!
//! * every syscall number of every covered architecture, every gap below
//!   the table's maximum, and the decision order's edges (nr = -1, the x32
//!   bit set on every x86_64 number and cleared on every x32 one, numbers
//!   just below/at 0x40000000, arm's private range, the maximum, random);
//! * foreign audit arches (every architecture moat knows that the program
//!   does not cover, and values it does not know);
//! * for every syscall whose decision depends on its arguments: the
//!   decision diagram's own test vectors (a witness per leaf, each word
//!   varied over the boundary values of its atoms), random vectors, and for
//!   generated policies each literal K of its rules at K-1, K, K+1 with
//!   garbage or sign extension in the bits the argument's type ignores and
//!   high-half-only differences for 64-bit types.
//!
//! Random policies are also judged by a third, independent semantics
//! (`moat_tests::policy`), written from language.md and the architecture
//! tables alone, so a typing or lowering bug that both the reference and
//! the code generator inherit from `sema` is caught too.
//!
//! `MOAT_SEED=<n>` replays a run, `MOAT_CASES=<n>` changes the number of
//! random policies (default 300).

use moat::arch::Arch;
use moat::sema::{analyze_path, analyze_source, Options};
use moat_tests::check::{build, build_for, build_weighted, errors, judge, Budget, Inputs};
use moat_tests::policy::{gen_policy, gen_wide, GenConfig, SplitMix, Tape};
use moat_tests::{moat_files, repo};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

fn seed() -> u64 {
    std::env::var("MOAT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

fn cases(default: u32) -> u32 {
    std::env::var("MOAT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[test]
fn every_example_and_stdlib_profile_compiles_to_what_the_reference_says() {
    let start = Instant::now();
    let mut files = Vec::new();
    moat_files(&repo().join("examples"), &mut files);
    moat_files(&repo().join("stdlib"), &mut files);
    files.sort();
    assert!(!files.is_empty());
    let mut rng = SplitMix(0x5eed);
    let (mut checks, mut programs, mut profiles) = (0u64, 0usize, 0usize);
    for f in &files {
        let analysis = analyze_path(f, &Options::default()).unwrap();
        if let Some(e) = errors(&analysis) {
            panic!("{} does not compile:\n{e}", f.display());
        }
        for profile in &analysis.profiles {
            profiles += 1;
            let built = build(profile)
                .unwrap_or_else(|e| panic!("{} profile {}: {e}", f.display(), profile.name));
            for b in &built {
                programs += 1;
                let inputs = Inputs::new(b, None, Budget::default(), &mut rng);
                checks += judge(b, None, &inputs)
                    .unwrap_or_else(|e| panic!("{} profile {}: {e}", f.display(), profile.name));
            }
        }
    }
    eprintln!(
        "corpus: {} files, {profiles} profiles, {programs} programs, {checks} checks in {:.1?}",
        files.len(),
        start.elapsed()
    );
    assert!(checks > 0);
}

/// Generates, compiles and judges one random policy.
fn one_policy(tape: &[u64], cfg: &GenConfig, input_seed: u64) -> Result<u64, String> {
    let g = gen_policy(&mut Tape::new(tape), cfg);
    let text = g.render();
    let fail = |what: String| format!("{what}\n--- policy (profile p) ---\n{text}");
    let analysis = analyze_source("gen.moat", None, &text, &Options::default());
    if let Some(e) = errors(&analysis) {
        return Err(fail(format!("the generated policy does not compile:\n{e}")));
    }
    let profile = moat::driver::select_profile(&analysis, Some("p")).map_err(&fail)?;
    let mut built = build(profile).map_err(&fail)?;
    let mut rng = SplitMix(input_seed);
    // Sometimes also a program for some of the targets (`--arch`).
    let targets = &profile.settings.targets;
    if targets.len() > 1 && rng.below(3) == 0 {
        let some: Vec<Arch> = targets
            .iter()
            .copied()
            .filter(|a| a.endian() == targets[0].endian() && rng.below(2) == 0)
            .collect();
        if !some.is_empty() {
            built.push(build_for(profile, &some).map_err(&fail)?);
        }
    }
    // Sometimes also with random call frequencies (`--weights`), which
    // reshape the search tree.
    if rng.below(3) == 0 {
        let mut text = String::new();
        for name in g.syscall_names() {
            let count = match rng.below(4) {
                0 => 0,
                1 => rng.below(10),
                2 => rng.below(1_000_000),
                _ => 1_000_000_000,
            };
            text.push_str(&format!("{name} {count}\n"));
        }
        for sc in targets[0].syscalls() {
            if rng.below(20) == 0 {
                text.push_str(&format!("{} {}\n", sc.name, rng.below(5000)));
            }
        }
        let w = moat::codegen::Weights::parse(&text).map_err(&fail)?;
        let arches: Vec<Arch> = targets
            .iter()
            .copied()
            .filter(|a| a.endian() == targets[0].endian())
            .collect();
        built.push(
            build_weighted(profile, &arches, Some(&w))
                .map_err(|e| fail(format!("{e}\n--- weights ---\n{text}")))?,
        );
    }
    let mut n = 0;
    for b in &built {
        let inputs = Inputs::new(b, Some(&g), Budget::default(), &mut rng);
        n += judge(b, Some(&g), &inputs).map_err(&fail)?;
    }
    Ok(n)
}

#[test]
fn random_policies_compile_to_what_they_mean() {
    random_policies("random policies", GenConfig::default(), 300, 0);
}

/// Wide policies: hundreds of syscalls with their own actions and
/// predicates, so programs run to thousands of instructions and their
/// jumps need trampolines.
#[test]
fn wide_random_policies_compile_to_what_they_mean() {
    use Arch::*;
    let sets = [
        vec![X86_64],
        vec![X86_64, X32],
        vec![I386],
        vec![Aarch64],
        vec![Arm],
        vec![Riscv64],
        vec![S390x],
    ];
    let replay = seed();
    let seed = replay ^ 0x31de;
    let start = Instant::now();
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases: cases(6),
        failure_persistence: None,
        max_shrink_iters: 100,
        // A failure is reported within a minute of shrinking, however slow.
        max_shrink_time: 60_000,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    let checks = AtomicU64::new(0);
    let (longest, trampolines) = (AtomicU64::new(0), AtomicU64::new(0));
    let strategy = (prop::collection::vec(any::<u64>(), 0..4000), any::<u64>());
    let budget = Budget {
        dd_vectors: 40,
        random: 2,
    };
    let result = runner.run(&strategy, |(tape, input_seed)| {
        let g = gen_wide(&mut Tape::new(&tape), &sets, 400);
        let text = g.render();
        let fail = |what: String| TestCaseError::fail(format!("{what}\n--- policy ---\n{text}"));
        let analysis = analyze_source("wide.moat", None, &text, &Options::default());
        if let Some(e) = errors(&analysis) {
            return Err(fail(format!("does not compile:\n{e}")));
        }
        let profile = moat::driver::select_profile(&analysis, Some("p")).map_err(&fail)?;
        let mut rng = SplitMix(input_seed);
        for b in build(profile).map_err(&fail)? {
            longest.fetch_max(b.program.insns.len() as u64, Ordering::Relaxed);
            let ja = b.program.insns.iter().filter(|i| i.code == 0x05).count();
            trampolines.fetch_add(ja as u64, Ordering::Relaxed);
            let inputs = Inputs::new(&b, Some(&g), budget, &mut rng);
            let n = judge(&b, Some(&g), &inputs).map_err(&fail)?;
            checks.fetch_add(n, Ordering::Relaxed);
        }
        Ok(())
    });
    eprintln!(
        "wide random policies: {} checks in {:.1?}, longest program {} insns, {} ja in all (seed {seed})",
        checks.load(Ordering::Relaxed),
        start.elapsed(),
        longest.load(Ordering::Relaxed),
        trampolines.load(Ordering::Relaxed)
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, (tape, input_seed))) => panic!(
            "wide random policies, replay with MOAT_SEED={replay}: {why}\n(minimal tape: {} values, input seed {input_seed})",
            tape.len()
        ),
        Err(e) => panic!("replay with MOAT_SEED={replay}: {e}"),
    }
}

fn random_policies(what: &str, cfg: GenConfig, default_cases: u32, salt: u64) {
    let replay = seed();
    let seed = replay ^ salt;
    let start = Instant::now();
    eprintln!("{what}: seed {seed} (replay with MOAT_SEED={replay})");
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases: cases(default_cases),
        failure_persistence: None,
        max_shrink_iters: 400,
        // A failure is reported within a minute of shrinking, however slow.
        max_shrink_time: 60_000,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    let strategy = (prop::collection::vec(any::<u64>(), 0..600), any::<u64>());
    let checks = AtomicU64::new(0);
    let result = runner.run(&strategy, |(tape, input_seed)| {
        let n = one_policy(&tape, &cfg, input_seed).map_err(TestCaseError::fail)?;
        checks.fetch_add(n, Ordering::Relaxed);
        Ok(())
    });
    let checks = checks.load(Ordering::Relaxed);
    eprintln!(
        "{what}: {checks} checks in {:.1?} (seed {seed})",
        start.elapsed()
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, (tape, input_seed))) => panic!(
            "{what}, replay with MOAT_SEED={replay}: {why}\n(minimal tape: {} values, input seed {input_seed})",
            tape.len()
        ),
        Err(e) => panic!("{what}, replay with MOAT_SEED={replay}: {e}"),
    }
    assert!(checks >= 100_000, "only {checks} checks");
}

/// Compiles a one-profile policy for x86_64 and returns what the program
/// and the reference say for one call.
fn decide_x86_64(text: &str, nr: u32, args: [u64; 6]) -> (moat::sema::Act, moat::sema::Act) {
    let analysis = analyze_source("t.moat", None, text, &Options::default());
    if let Some(e) = errors(&analysis) {
        panic!("{e}");
    }
    let profile = moat::driver::select_profile(&analysis, None).unwrap();
    let built = build(profile).unwrap();
    let d = moat::bpf::SeccompData {
        nr,
        arch: moat_tests::check::AUDIT_X86_64,
        instruction_pointer: 0,
        args,
    };
    (
        moat_tests::check::act_of(&built[0].program, &d).unwrap(),
        moat::ir::reference::decide(&built[0].profile, &d),
    )
}

/// language.md: "`argN` takes the type of slot N". Slot 3 of `preadv` on
/// the 64-bit ABIs is the declared `unsigned long pos_l`; the table also
/// lists the one-slot combined view `pos` (`loff_t`, signed) there, first.
/// moat once typed `arg3` as the signed view, so `arg3 < 0x58` held for
/// 0xfffffffe80000000 (found by the independent semantics; fixed in sema).
#[test]
fn preadv_arg3_has_the_declared_unsigned_type() {
    let text =
        "profile p {\n    targets x86_64\n    default allow\n    log preadv if arg3 < 0x58\n}\n";
    let (program, reference) = decide_x86_64(text, 295, [0, 0, 0, 0xffff_fffe_8000_0000, 0, 0]);
    assert_eq!(program, moat::sema::Act::ALLOW, "program");
    assert_eq!(reference, moat::sema::Act::ALLOW, "reference");
}
