//! Structural invariants of the generated tables. Value checks against known
//! numbers live in compiler/tests/arch_tables.rs.

use super::*;

fn is_argn(s: &str) -> bool {
    s.len() > 3 && s.starts_with("arg") && s[3..].bytes().all(|b| b.is_ascii_digit())
}

#[test]
fn arch_names_round_trip() {
    assert_eq!(Arch::ALL.len(), Arch::COUNT);
    for (i, &a) in Arch::ALL.iter().enumerate() {
        assert_eq!(a.index(), i);
        assert_eq!(Arch::from_name(a.name()), Some(a));
        assert_eq!(a.to_string(), a.name());
    }
    assert_eq!(Arch::from_name("x86"), Some(Arch::I386));
    assert_eq!(Arch::from_name("ppc64"), None);
    assert_eq!(Arch::from_name("X86_64"), None);
}

#[test]
fn syscall_tables_are_sorted_and_indexed() {
    for &arch in Arch::ALL {
        let (table, by_nr) = arch.tables();
        assert!(!table.is_empty(), "{arch}");
        for w in table.windows(2) {
            assert!(
                w[0].name < w[1].name,
                "{arch}: {} / {}",
                w[0].name,
                w[1].name
            );
        }
        assert_eq!(by_nr.len(), table.len(), "{arch}");
        for w in by_nr.windows(2) {
            assert!(w[0].0 < w[1].0, "{arch}: numbers not strictly sorted");
        }
        for &(nr, i) in by_nr {
            assert_eq!(table[usize::from(i)].nr, nr, "{arch}");
        }
        for s in table {
            assert_eq!(arch.syscall(s.name), Some(s), "{arch} {}", s.name);
            assert_eq!(arch.syscall_by_nr(s.nr), Some(s), "{arch} {}", s.name);
            let bias = arch.nr_bias();
            if bias != 0 {
                assert_eq!(s.nr & bias, bias, "{arch} {}", s.name);
            } else {
                assert_eq!(s.nr & 0x4000_0000, 0, "{arch} {}", s.name);
            }
        }
    }
}

#[test]
fn every_slot_has_exactly_one_declared_argument() {
    for &arch in Arch::ALL {
        for s in arch.syscalls() {
            let at = format!("{arch} {}", s.name);
            assert!(s.nslots <= 6, "{at}");
            if !s.implemented {
                assert!(s.args.is_empty() && s.nslots == 0, "{at}");
                continue;
            }
            let declared: Vec<&Arg> = s
                .args
                .iter()
                .filter(|a| a.role != ArgRole::Combined)
                .collect();
            assert_eq!(declared.len(), usize::from(s.nslots), "{at}");
            for n in 0..s.nslots {
                let here: Vec<_> = declared
                    .iter()
                    .filter(|a| a.slots == Slots::One(n))
                    .collect();
                assert_eq!(here.len(), 1, "{at} slot {n}");
                assert_eq!(s.slot(n).map(|a| a.slots), Some(Slots::One(n)), "{at}");
            }
            assert_eq!(s.slot(s.nslots), None, "{at}");
        }
    }
}

#[test]
fn argument_types_fit_the_abi() {
    for &arch in Arch::ALL {
        for s in arch.syscalls() {
            for a in s.args {
                let at = format!("{arch} {} {:?}", s.name, a.names);
                if let ArgType::Int { bits, .. } = a.ty {
                    assert!(matches!(bits, 16 | 32 | 64), "{at}");
                    // One 32-bit register cannot carry a 64-bit value.
                    if !arch.is_64bit_regs() && matches!(a.slots, Slots::One(_)) {
                        assert!(bits <= 32, "{at}");
                    }
                }
                match (a.role, a.slots) {
                    (ArgRole::Combined, Slots::Pair { lo, hi }) => {
                        assert!(!arch.is_64bit_regs(), "{at}");
                        assert_eq!(lo.abs_diff(hi), 1, "{at}");
                        assert!(matches!(a.ty, ArgType::Int { bits: 64, .. }), "{at}");
                        for half in [lo, hi] {
                            let p = s.slot(half).unwrap();
                            assert_eq!(p.role, ArgRole::Part, "{at}");
                            assert_eq!(
                                p.ty,
                                ArgType::Int {
                                    bits: 32,
                                    signed: false
                                },
                                "{at}"
                            );
                        }
                    }
                    (ArgRole::Combined, Slots::One(n)) => {
                        assert!(arch.is_64bit_regs(), "{at}");
                        assert_eq!(s.slot(n).unwrap().role, ArgRole::Part, "{at}");
                        assert!(matches!(a.ty, ArgType::Int { bits: 64, .. }), "{at}");
                    }
                    (ArgRole::Part, Slots::One(n)) => {
                        let owners = s
                            .args
                            .iter()
                            .filter(|c| c.role == ArgRole::Combined && c.slots.contains(n))
                            .count();
                        // The one Part without an owner: pos_h on 64-bit ABIs,
                        // which the kernel shifts out (preadv and friends).
                        let ignored = arch.is_64bit_regs() && a.name() == Some("pos_h");
                        assert_eq!(owners, usize::from(!ignored), "{at}");
                    }
                    (ArgRole::Padding, Slots::One(_)) => assert_eq!(arch, Arch::Arm, "{at}"),
                    (ArgRole::Param, Slots::One(_)) => {}
                    (role, slots) => panic!("{at}: {role:?} with {slots:?}"),
                }
            }
        }
    }
}

#[test]
fn names_are_unique_and_never_positional() {
    for &arch in Arch::ALL {
        for s in arch.syscalls() {
            let mut seen = std::collections::HashSet::new();
            for a in s.args {
                for n in a.names {
                    assert!(!n.is_empty() && !is_argn(n), "{arch} {}: {n}", s.name);
                    assert!(seen.insert(*n), "{arch} {}: {n} twice", s.name);
                    assert_eq!(s.arg(n), Some(a));
                }
                for n in a.reserved_names {
                    assert!(is_argn(n), "{arch} {}: {n}", s.name);
                }
                assert!(
                    !a.names.is_empty() || !a.reserved_names.is_empty(),
                    "{arch} {}: unnamed argument",
                    s.name
                );
            }
        }
    }
}

#[test]
fn errno_and_constant_tables_are_sorted() {
    let names: Vec<&str> = all_errnos().iter().map(|e| e.name).collect();
    assert_eq!(names, all_errno_names());
    for w in names.windows(2) {
        assert!(w[0] < w[1]);
    }
    for e in all_errnos() {
        assert!(!e.description.is_empty());
        assert!(e.generic > 0 && e.generic < 4096);
    }
    for w in all_constants().windows(2) {
        assert!(w[0].name < w[1].name);
    }
    for c in all_constants() {
        assert!(c.values.iter().any(Option::is_some), "{}", c.name);
        assert_eq!(constant_info(c.name), Some(c));
    }
}

#[test]
fn aliases_resolve() {
    for &(arch, alias, real) in SYSCALL_ALIASES {
        assert!(arch.syscall(alias).is_some(), "{arch} {alias}");
        assert_eq!(arch.syscall(alias), arch.syscall(real));
    }
    assert_eq!(Arch::X86_64.syscall("sync_file_range2"), None);
}
