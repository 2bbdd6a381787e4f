//! In-process compile time (`cargo bench -p moat-bench`):
//! parse+check of the Docker default, lower+codegen of the checked profile
//! for 1 and 3 architectures, and libseccomp 2.5.4 building and exporting
//! the same rules from Debian's JSON (both layouts) for comparison.

use criterion::{criterion_group, criterion_main, Criterion};
use moat_bench::{lsc, subjects};
use std::hint::black_box;

fn moat(c: &mut Criterion) {
    let s = subjects::docker("");
    c.bench_function("moat/parse+check docker", |b| {
        b.iter(|| black_box(s.analyze()))
    });
    for set in subjects::ARCH_SETS {
        let built = subjects::prepare(&s, set).expect("docker builds");
        let p = built.profile();
        c.bench_function(
            &format!("moat/lower+codegen {}", subjects::set_name(set)),
            |b| b.iter(|| black_box(moat::driver::compile(p, set).expect("compiles"))),
        );
    }
}

fn libseccomp(c: &mut Criterion) {
    let Ok(text) = std::fs::read_to_string(subjects::DOCKER_JSON) else {
        eprintln!(
            "{} missing: libseccomp benchmarks skipped",
            subjects::DOCKER_JSON
        );
        return;
    };
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    for set in subjects::ARCH_SETS {
        let rules = lsc::select(
            &v,
            set.len() > 1,
            lsc::DOCKER_DEFAULT_CAPS,
            &lsc::running_kernel(),
        );
        for layout in subjects::LAYOUTS {
            c.bench_function(
                &format!(
                    "libseccomp/build+export {} {}",
                    layout.name(),
                    subjects::set_name(set)
                ),
                |b| b.iter(|| black_box(lsc::blob(&rules, layout).expect("libseccomp"))),
            );
        }
    }
}

criterion_group!(benches, moat, libseccomp);
criterion_main!(benches);
