use super::*;

const LS: &str = include_str!("../../../tests/trace/ls.log");

#[test]
fn smoke() {
    let t = parse(LS, Arch::X86_64);
    assert!(t.skipped.is_empty(), "{:?}", t.skipped);
    let g = generate(
        &t,
        &Options {
            name: "ls".into(),
            source: "`ls /`".into(),
        },
    )
    .unwrap();
    println!("{}", g.text);
}
