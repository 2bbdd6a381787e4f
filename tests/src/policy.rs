//! Random moat policies with an independent meaning.
//!
//! A [`GenPolicy`] is a small model of a moat file (a profile, optionally
//! extending a base, with settings, rules, `on` blocks and a mixin). It is
//! rendered to moat source text ([`GenPolicy::render`]) for the compiler, and
//! evaluated directly ([`GenPolicy::decide`]) as a third judge besides
//! `moat::ir::reference` and the compiled program: the evaluation here is
//! written from language.md ("Semantics", "Types") and the architecture
//! tables only, and shares no code with `sema`, `logic` or `ir`.
//!
//! Generation draws from a [`Tape`] of `u64`s, where 0 always means the
//! simplest choice, so proptest can shrink a failing tape towards a small
//! policy.

use moat::arch::{Arch, ArgRole, ArgType, Slots, Syscall};
use moat::bpf::SeccompData;
use moat::sema::Act;
use moat::syntax::ast::ActionKind;
use std::fmt::Write as _;

// ---- randomness -----------------------------------------------------------------

/// A stream of choices. Past its end every choice is 0 (the simplest).
pub struct Tape<'a> {
    data: &'a [u64],
    pos: usize,
}

impl<'a> Tape<'a> {
    pub fn new(data: &'a [u64]) -> Tape<'a> {
        Tape { data, pos: 0 }
    }

    pub fn next_u64(&mut self) -> u64 {
        let v = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        v
    }

    /// Uniform-ish in `0..n` (0 for `n <= 1`).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            self.next_u64();
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with `pct` percent; a 0 draw is false.
    pub fn flip(&mut self, pct: u64) -> bool {
        self.next_u64() % 100 >= 100 - pct.min(100)
    }

    pub fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[self.below(items.len())]
    }
}

/// A tiny deterministic generator (splitmix64) for test inputs.
#[derive(Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
}

// ---- the model ------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Errno {
    Name(&'static str),
    Num(u16),
}

/// An action as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GAct {
    Kill,
    KillThread,
    /// `trap` (None) or `trap(N)`.
    Trap(Option<u16>),
    Errno(Errno),
    Notify,
    Trace(Option<u16>),
    Log,
    Allow,
}

impl GAct {
    pub fn kind(&self) -> ActionKind {
        match self {
            GAct::Kill => ActionKind::Kill,
            GAct::KillThread => ActionKind::KillThread,
            GAct::Trap(_) => ActionKind::Trap,
            GAct::Errno(_) => ActionKind::Errno,
            GAct::Notify => ActionKind::Notify,
            GAct::Trace(_) => ActionKind::Trace,
            GAct::Log => ActionKind::Log,
            GAct::Allow => ActionKind::Allow,
        }
    }

    /// The concrete action on one architecture (errno names differ on
    /// ppc64le).
    pub fn on(&self, arch: Arch) -> Act {
        let data = match self {
            GAct::Trap(d) | GAct::Trace(d) => d.unwrap_or(0),
            GAct::Errno(Errno::Num(n)) => *n,
            GAct::Errno(Errno::Name(n)) => arch.errno(n).expect("errno name") as u16,
            _ => 0,
        };
        Act {
            kind: self.kind(),
            data,
        }
    }

    pub fn render(&self) -> String {
        match self {
            GAct::Kill => "kill".into(),
            GAct::KillThread => "kill_thread".into(),
            GAct::Trap(None) => "trap".into(),
            GAct::Trap(Some(d)) => format!("trap({d})"),
            GAct::Errno(Errno::Name(n)) => format!("errno({n})"),
            GAct::Errno(Errno::Num(n)) => format!("errno({n})"),
            GAct::Notify => "notify".into(),
            GAct::Trace(None) => "trace".into(),
            GAct::Trace(Some(d)) => format!("trace({d})"),
            GAct::Log => "log".into(),
            GAct::Allow => "allow".into(),
        }
    }
}

/// An argument as a predicate names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgRef {
    Name(&'static str),
    Slot(u8),
}

impl ArgRef {
    fn render(&self) -> String {
        match self {
            ArgRef::Name(n) => (*n).to_string(),
            ArgRef::Slot(n) => format!("arg{n}"),
        }
    }
}

/// An integer literal with the way it is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Num {
    pub v: i128,
    /// 0 decimal, 1 hex, 2 hex with `_`, 3 binary/octal for small values.
    pub style: u8,
    /// A prelude constant written by name instead (`v` is then its value
    /// on the first architecture, for picking test inputs).
    pub name: Option<&'static str>,
}

/// A prelude constant's value on `arch` as a signed 64-bit number.
pub fn constant_value(arch: Arch, name: &str) -> Option<i64> {
    arch.constant(name).map(|v| v as i64)
}

impl Num {
    pub fn new(v: i128) -> Num {
        Num {
            v,
            style: 0,
            name: None,
        }
    }

    /// The value on one architecture: a named prelude constant's value
    /// there (read as a signed 64-bit number, so `AT_FDCWD` is -100),
    /// otherwise the literal.
    pub fn at(&self, arch: Arch) -> i128 {
        match self.name {
            Some(n) => i128::from(constant_value(arch, n).expect("constant defined")),
            None => self.v,
        }
    }

    pub fn render(&self) -> String {
        if let Some(n) = self.name {
            return n.to_string();
        }
        let neg = self.v < 0;
        let m = self.v.unsigned_abs();
        let body = match self.style {
            1 => format!("{m:#x}"),
            2 => {
                let hex = format!("{m:x}");
                let mut out = String::new();
                for (i, c) in hex.chars().enumerate() {
                    if i > 0 && (hex.len() - i) % 4 == 0 {
                        out.push('_');
                    }
                    out.push(c);
                }
                format!("0x{out}")
            }
            3 if m < 256 => format!("{m:#b}"),
            3 => format!("{m:#o}"),
            _ => m.to_string(),
        };
        if neg {
            format!("-{body}")
        } else {
            body
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub const ALL: [CmpOp; 6] = [
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ];

    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    pub fn is_order(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }

    /// `a op b` == `b flip(op) a`.
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            o => o,
        }
    }
}

/// A predicate over the call's arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GPred {
    And(Box<GPred>, Box<GPred>),
    Or(Box<GPred>, Box<GPred>),
    Not(Box<GPred>),
    /// `arg op lit`, or `lit flip(op) arg` when `lit_first`.
    Cmp {
        arg: ArgRef,
        op: CmpOp,
        lit: Num,
        lit_first: bool,
    },
    /// `arg == null` / `arg != null`.
    Null {
        arg: ArgRef,
        ne: bool,
    },
    /// `arg & mask` as a condition (any bit set).
    BitTest {
        arg: ArgRef,
        mask: Num,
    },
    /// `arg & mask == value` (or `!=`); `mask_first` writes `mask & arg`.
    Masked {
        arg: ArgRef,
        mask: Num,
        value: Num,
        ne: bool,
        mask_first: bool,
    },
    /// `arg [& mask] in [a, b, …]`.
    InList {
        arg: ArgRef,
        mask: Option<Num>,
        items: Vec<Num>,
    },
    /// `arg in lo..hi` (hi excluded) or `lo..=hi`.
    InRange {
        arg: ArgRef,
        lo: Num,
        hi: Num,
        inclusive: bool,
    },
}

impl GPred {
    /// Precedence for rendering: 0 `||`, 1 `&&`, 2 everything tighter.
    fn prec(&self) -> u8 {
        match self {
            GPred::Or(..) => 0,
            GPred::And(..) => 1,
            _ => 2,
        }
    }

    pub fn render(&self) -> String {
        let sub = |p: &GPred, min: u8| {
            if p.prec() < min {
                format!("({})", p.render())
            } else {
                p.render()
            }
        };
        match self {
            GPred::Or(a, b) => format!("{} || {}", sub(a, 0), sub(b, 1)),
            GPred::And(a, b) => format!("{} && {}", sub(a, 1), sub(b, 2)),
            GPred::Not(p) => format!("!({})", p.render()),
            GPred::Cmp {
                arg,
                op,
                lit,
                lit_first: false,
            } => format!("{} {} {}", arg.render(), op.symbol(), lit.render()),
            GPred::Cmp {
                arg,
                op,
                lit,
                lit_first: true,
            } => format!("{} {} {}", lit.render(), op.flip().symbol(), arg.render()),
            GPred::Null { arg, ne } => {
                format!("{} {} null", arg.render(), if *ne { "!=" } else { "==" })
            }
            GPred::BitTest { arg, mask } => format!("{} & {}", arg.render(), mask.render()),
            GPred::Masked {
                arg,
                mask,
                value,
                ne,
                mask_first,
            } => {
                let m = if *mask_first {
                    format!("{} & {}", mask.render(), arg.render())
                } else {
                    format!("{} & {}", arg.render(), mask.render())
                };
                format!("{m} {} {}", if *ne { "!=" } else { "==" }, value.render())
            }
            GPred::InList { arg, mask, items } => {
                let lhs = match mask {
                    Some(m) => format!("{} & {}", arg.render(), m.render()),
                    None => arg.render(),
                };
                let items: Vec<String> = items.iter().map(Num::render).collect();
                format!("{lhs} in [{}]", items.join(", "))
            }
            GPred::InRange {
                arg,
                lo,
                hi,
                inclusive,
            } => format!(
                "{} in {}{}{}",
                arg.render(),
                lo.render(),
                if *inclusive { "..=" } else { ".." },
                hi.render()
            ),
        }
    }

    /// Every literal compared with an argument, with the argument.
    pub fn literals(&self, out: &mut Vec<(ArgRef, i128)>) {
        match self {
            GPred::And(a, b) | GPred::Or(a, b) => {
                a.literals(out);
                b.literals(out);
            }
            GPred::Not(p) => p.literals(out),
            GPred::Cmp { arg, lit, .. } => out.push((*arg, lit.v)),
            GPred::Null { arg, .. } => out.push((*arg, 0)),
            GPred::BitTest { arg, mask } => out.push((*arg, mask.v)),
            GPred::Masked {
                arg, mask, value, ..
            } => {
                out.push((*arg, mask.v));
                out.push((*arg, value.v));
                out.push((*arg, value.v | !mask.v));
            }
            GPred::InList { arg, items, .. } => out.extend(items.iter().map(|i| (*arg, i.v))),
            GPred::InRange { arg, lo, hi, .. } => {
                out.push((*arg, lo.v));
                out.push((*arg, hi.v));
            }
        }
    }
}

/// One rule.
#[derive(Clone, Debug)]
pub struct GenRule {
    /// `on ARCH, … { rule }`.
    pub on: Option<Vec<Arch>>,
    pub action: GAct,
    pub syscalls: Vec<&'static str>,
    pub pred: Option<GPred>,
}

/// One profile.
#[derive(Clone, Debug, Default)]
pub struct GenProfile {
    pub name: String,
    pub extends: Option<String>,
    pub targets: Option<Vec<Arch>>,
    pub default: Option<GAct>,
    pub bad_arch: Option<GAct>,
    pub unknown: Option<GAct>,
    pub rules: Vec<GenRule>,
    /// Rules written in a mixin and spliced in with `include`.
    pub mixin_rules: Vec<GenRule>,
}

/// A file: an optional base profile and the profile under test.
#[derive(Clone, Debug)]
pub struct GenPolicy {
    pub base: Option<GenProfile>,
    pub main: GenProfile,
}

// ---- argument types (from the tables, per language.md "Types") -----------------

/// How one argument of one syscall on one architecture is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgTy {
    pub bits: u32,
    pub signed: bool,
    pub pointer: bool,
    pub slots: Slots,
}

impl ArgTy {
    pub fn mask(&self) -> u64 {
        if self.bits == 64 {
            u64::MAX
        } else {
            (1u64 << self.bits) - 1
        }
    }

    /// The bits the filter compares.
    pub fn raw(&self, args: &[u64; 6]) -> u64 {
        match self.slots {
            Slots::One(s) => args[usize::from(s)] & self.mask(),
            Slots::Pair { lo, hi } => {
                (args[usize::from(lo)] & 0xffff_ffff) | (args[usize::from(hi)] << 32)
            }
        }
    }

    /// The value as the type reads it.
    pub fn value(&self, args: &[u64; 6]) -> i128 {
        let raw = self.raw(args);
        if self.signed && self.bits < 128 && raw >> (self.bits - 1) & 1 == 1 {
            i128::from(raw) - (1i128 << self.bits)
        } else {
            i128::from(raw)
        }
    }

    /// A literal as a bit pattern of this width (the caller checked it fits).
    pub fn pattern(&self, v: i128) -> u64 {
        (v as u64) & self.mask()
    }

    /// −2^(w−1) ≤ v < 2^w.
    pub fn fits_pattern(&self, v: i128) -> bool {
        v >= -(1i128 << (self.bits - 1)) && v < (1i128 << self.bits)
    }

    pub fn min(&self) -> i128 {
        if self.signed {
            -(1i128 << (self.bits - 1))
        } else {
            0
        }
    }

    pub fn max(&self) -> i128 {
        if self.signed {
            (1i128 << (self.bits - 1)) - 1
        } else {
            (1i128 << self.bits) - 1
        }
    }

    pub fn fits_order(&self, v: i128) -> bool {
        v >= self.min() && v <= self.max()
    }
}

fn arg_ty(arch: Arch, a: &moat::arch::Arg) -> ArgTy {
    match a.ty {
        ArgType::Int { bits, signed } => ArgTy {
            bits: u32::from(bits),
            signed,
            pointer: false,
            slots: a.slots,
        },
        ArgType::Pointer => ArgTy {
            bits: if arch.is_64bit_regs() { 64 } else { 32 },
            signed: false,
            pointer: true,
            slots: a.slots,
        },
    }
}

/// The type `arg` has in `sc` on `arch`; `None` when the name does not
/// resolve there, or names an alignment slot the kernel ignores.
pub fn resolve_arg(arch: Arch, sc: &Syscall, arg: ArgRef) -> Option<ArgTy> {
    match arg {
        ArgRef::Name(n) => {
            let a = sc.arg(n)?;
            (a.role != ArgRole::Padding).then(|| arg_ty(arch, a))
        }
        ArgRef::Slot(n) => {
            if n >= sc.nslots.min(6) {
                return None;
            }
            match sc.slot(n) {
                Some(a) if a.role == ArgRole::Padding => None,
                Some(a) => Some(arg_ty(arch, a)),
                None => Some(ArgTy {
                    bits: 32,
                    signed: false,
                    pointer: false,
                    slots: Slots::One(n),
                }),
            }
        }
    }
}

// ---- the independent semantics -------------------------------------------------

impl GPred {
    /// Evaluates on one (syscall, arch); panics if an argument does not
    /// resolve (a generator bug).
    pub fn eval(&self, arch: Arch, sc: &Syscall, args: &[u64; 6]) -> bool {
        let ty = |a: &ArgRef| {
            resolve_arg(arch, sc, *a).unwrap_or_else(|| {
                panic!("{a:?} does not resolve in {} on {}", sc.name, arch.name())
            })
        };
        match self {
            GPred::And(a, b) => a.eval(arch, sc, args) && b.eval(arch, sc, args),
            GPred::Or(a, b) => a.eval(arch, sc, args) || b.eval(arch, sc, args),
            GPred::Not(p) => !p.eval(arch, sc, args),
            GPred::Cmp { arg, op, lit, .. } => {
                let t = ty(arg);
                match op {
                    CmpOp::Eq => t.raw(args) == t.pattern(lit.at(arch)),
                    CmpOp::Ne => t.raw(args) != t.pattern(lit.at(arch)),
                    CmpOp::Lt => t.value(args) < lit.at(arch),
                    CmpOp::Le => t.value(args) <= lit.at(arch),
                    CmpOp::Gt => t.value(args) > lit.at(arch),
                    CmpOp::Ge => t.value(args) >= lit.at(arch),
                }
            }
            GPred::Null { arg, ne } => (ty(arg).raw(args) == 0) != *ne,
            GPred::BitTest { arg, mask } => {
                let t = ty(arg);
                t.raw(args) & t.pattern(mask.at(arch)) != 0
            }
            GPred::Masked {
                arg,
                mask,
                value,
                ne,
                ..
            } => {
                let t = ty(arg);
                (t.raw(args) & t.pattern(mask.at(arch)) == t.pattern(value.at(arch))) != *ne
            }
            GPred::InList { arg, mask, items } => {
                let t = ty(arg);
                let m = mask.map_or(u64::MAX, |m| t.pattern(m.at(arch)));
                items
                    .iter()
                    .any(|i| t.raw(args) & m == t.pattern(i.at(arch)))
            }
            GPred::InRange {
                arg,
                lo,
                hi,
                inclusive,
            } => {
                let v = ty(arg).value(args);
                let hi_incl = if *inclusive {
                    hi.at(arch)
                } else {
                    hi.at(arch) - 1
                };
                lo.at(arch) <= v && v <= hi_incl
            }
        }
    }
}

impl GenPolicy {
    /// Effective settings of the main profile.
    pub fn targets(&self) -> Vec<Arch> {
        self.main
            .targets
            .clone()
            .or_else(|| self.base.as_ref().and_then(|b| b.targets.clone()))
            .expect("a root profile has targets")
    }

    fn setting(&self, f: impl Fn(&GenProfile) -> Option<GAct>) -> Option<GAct> {
        f(&self.main).or_else(|| self.base.as_ref().and_then(&f))
    }

    pub fn default_act(&self) -> GAct {
        self.setting(|p| p.default.clone())
            .expect("a root profile has a default")
    }

    pub fn bad_arch_act(&self) -> GAct {
        self.setting(|p| p.bad_arch.clone()).unwrap_or(GAct::Kill)
    }

    pub fn unknown_act(&self) -> GAct {
        self.setting(|p| p.unknown.clone())
            .unwrap_or_else(|| self.default_act())
    }

    /// The layers, the main profile's first.
    fn layers(&self) -> Vec<Vec<&GenRule>> {
        let mut out = vec![self
            .main
            .rules
            .iter()
            .chain(&self.main.mixin_rules)
            .collect::<Vec<_>>()];
        if let Some(b) = &self.base {
            out.push(b.rules.iter().chain(&b.mixin_rules).collect());
        }
        out
    }

    /// What language.md says the policy does with one call, when the
    /// program covers `covered` (the targets, or a subset chosen with
    /// `--arch`).
    pub fn decide(&self, covered: &[Arch], d: &SeccompData) -> Act {
        const X86_64_AUDIT: u32 = 0xc000_003e;
        let bad = self.bad_arch_act();
        let candidates: Vec<Arch> = covered
            .iter()
            .copied()
            .filter(|a| a.audit_arch() == d.arch)
            .collect();
        let Some(&first) = candidates.first() else {
            return bad.on(Arch::X86_64);
        };
        if d.nr == u32::MAX {
            return self.default_act().on(first);
        }
        let arch = if d.arch == X86_64_AUDIT {
            let want = if d.nr >= 0x4000_0000 {
                Arch::X32
            } else {
                Arch::X86_64
            };
            if !covered.contains(&want) {
                return bad.on(Arch::X86_64);
            }
            want
        } else {
            first
        };
        if arch.syscall_by_nr(d.nr).is_none() {
            return self.unknown_act().on(arch);
        }
        for layer in self.layers() {
            let mut best: Option<Act> = None;
            for rule in layer {
                if let Some(on) = &rule.on {
                    if !on.contains(&arch) {
                        continue;
                    }
                }
                let hit = rule.syscalls.iter().any(|name| {
                    arch.syscall(name).is_some_and(|sc| {
                        sc.nr == d.nr
                            && rule.pred.as_ref().is_none_or(|p| p.eval(arch, sc, &d.args))
                    })
                });
                if hit {
                    let a = rule.action.on(arch);
                    if best.is_none_or(|b| a < b) {
                        best = Some(a);
                    }
                }
            }
            if let Some(b) = best {
                return b;
            }
        }
        self.default_act().on(arch)
    }

    /// Whether the filter needs SECCOMP_FILTER_FLAG_NEW_LISTENER: some
    /// action it can return is `notify` (language.md, `flags`).
    pub fn needs_listener(&self, covered: &[Arch]) -> bool {
        let notify = |a: &GAct| *a == GAct::Notify;
        notify(&self.default_act())
            || notify(&self.unknown_act())
            || notify(&self.bad_arch_act())
            || self.layers().into_iter().flatten().any(|r| {
                notify(&r.action) && !instances(covered, r.on.as_deref(), &r.syscalls).is_empty()
            })
    }

    /// Every (argument, literal) the rules for `sc_name` compare.
    pub fn literals_for(&self, sc_name: &str) -> Vec<(ArgRef, i128)> {
        let mut out = Vec::new();
        for layer in self.layers() {
            for r in layer {
                if r.syscalls.contains(&sc_name) {
                    if let Some(p) = &r.pred {
                        p.literals(&mut out);
                    }
                }
            }
        }
        out
    }

    /// Syscall names any rule mentions.
    pub fn syscall_names(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = self
            .layers()
            .into_iter()
            .flatten()
            .flat_map(|r| r.syscalls.iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Some(b) = &self.base {
            render_profile(&mut out, b);
        }
        render_profile(&mut out, &self.main);
        out
    }
}

fn render_rule(out: &mut String, r: &GenRule, indent: &str) {
    let body = match &r.pred {
        Some(p) => format!(
            "{} {} if {}",
            r.action.render(),
            r.syscalls.join(", "),
            p.render()
        ),
        None => format!("{} {}", r.action.render(), r.syscalls.join(", ")),
    };
    match &r.on {
        Some(arches) => {
            let names: Vec<&str> = arches.iter().map(|a| a.name()).collect();
            let _ = writeln!(out, "{indent}on {} {{ {body} }}", names.join(", "));
        }
        None => {
            let _ = writeln!(out, "{indent}{body}");
        }
    }
}

fn render_profile(out: &mut String, p: &GenProfile) {
    if !p.mixin_rules.is_empty() {
        let _ = writeln!(out, "mixin {}_extra {{", p.name);
        for r in &p.mixin_rules {
            render_rule(out, r, "    ");
        }
        out.push_str("}\n");
    }
    match &p.extends {
        Some(b) => {
            let _ = writeln!(out, "profile {} extends {b} {{", p.name);
        }
        None => {
            let _ = writeln!(out, "profile {} {{", p.name);
        }
    }
    if let Some(t) = &p.targets {
        let names: Vec<&str> = t.iter().map(|a| a.name()).collect();
        let _ = writeln!(out, "    targets {}", names.join(", "));
    }
    if let Some(a) = &p.default {
        let _ = writeln!(out, "    default {}", a.render());
    }
    if let Some(a) = &p.bad_arch {
        let _ = writeln!(out, "    bad_arch {}", a.render());
    }
    if let Some(a) = &p.unknown {
        let _ = writeln!(out, "    unknown {}", a.render());
    }
    if !p.mixin_rules.is_empty() {
        let _ = writeln!(out, "    include {}_extra", p.name);
    }
    for r in &p.rules {
        render_rule(out, r, "    ");
    }
    out.push_str("}\n");
}

// ---- generation -----------------------------------------------------------------

/// Syscalls worth drawing often: every argument kind the language knows
/// (16/32/64-bit, signed and unsigned, pointers, split 64-bit values on
/// i386/arm, per-arch names and orders).
pub const INTERESTING: &[&str] = &[
    "read",
    "write",
    "openat",
    "open",
    "close",
    "lseek",
    "_llseek",
    "mmap",
    "mmap2",
    "mprotect",
    "chmod",
    "fchmod",
    "fchmodat",
    "mkdirat",
    "umask",
    "kill",
    "tgkill",
    "socket",
    "clone",
    "pread64",
    "pwrite64",
    "preadv",
    "fallocate",
    "fanotify_mark",
    "sync_file_range",
    "personality",
    "prctl",
    "ioctl",
    "setuid",
    "setgid",
    "lchown",
    "fchown",
    "fadvise64",
    "fadvise64_64",
    "truncate",
    "ftruncate",
    "ftruncate64",
    "wait4",
    "waitid",
    "futex",
    "sendfile",
    "splice",
    "unshare",
    "setns",
    "getpriority",
    "setpriority",
    "mknodat",
    "dup3",
    "ptrace",
    "arch_prctl",
    "getpid",
    "epoll_wait",
    "nice",
    "readahead",
    "madvise",
    "brk",
    "exit_group",
];

/// What the generator may produce.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// Candidate target sets; one is drawn per policy (all of one byte order).
    pub target_sets: Vec<Vec<Arch>>,
    pub max_rules: usize,
    pub max_pool: usize,
    pub allow_extends: bool,
    pub allow_mixin: bool,
    pub allow_on: bool,
    /// Draw syscalls from this list only (default: the tables, with a bias
    /// towards [`INTERESTING`]).
    pub pool: Option<Vec<&'static str>>,
    /// Never generate `notify` (a call that meets it blocks until a
    /// listener answers).
    pub no_notify: bool,
    /// When set, errno data are numbers in this range only (so a filter's
    /// errno can be told from the syscall's own).
    pub errno_range: Option<(u16, u16)>,
    /// Percent of pool draws taken from [`INTERESTING`].
    pub bias: u64,
    /// Percent of rules with a predicate.
    pub pred_pct: u64,
}

impl Default for GenConfig {
    fn default() -> Self {
        use Arch::*;
        GenConfig {
            target_sets: vec![
                vec![X86_64],
                vec![X86_64, X32],
                vec![X86_64, I386, X32],
                vec![X86_64, Aarch64],
                vec![Aarch64],
                vec![I386],
                vec![Arm],
                vec![Riscv64],
                vec![X32],
                vec![I386, Arm],
                vec![X86_64, X32, I386, Aarch64, Arm, Riscv64],
                vec![Aarch64, Arm, Riscv64, Ppc64le],
                vec![Ppc64le],
                vec![S390x],
            ],
            max_rules: 6,
            max_pool: 5,
            allow_extends: true,
            allow_mixin: true,
            allow_on: true,
            pool: None,
            no_notify: false,
            errno_range: None,
            bias: 75,
            pred_pct: 65,
        }
    }
}

/// Per profile: one data value per action kind (two rules of one kind with
/// different data that can both match is an error in moat).
struct Data {
    errno: Errno,
    trap: Option<u16>,
    trace: Option<u16>,
}

const ERRNO_NAMES: &[&str] = &[
    "EPERM",
    "EACCES",
    "ENOSYS",
    "EINVAL",
    "ENOENT",
    "EAGAIN",
    "EDEADLOCK",
    "EBADF",
];

fn gen_errno(t: &mut Tape, cfg: &GenConfig) -> Errno {
    if let Some((lo, hi)) = cfg.errno_range {
        return Errno::Num(lo + t.below(usize::from(hi - lo) + 1) as u16);
    }
    match t.below(4) {
        0 => Errno::Name(ERRNO_NAMES[t.below(ERRNO_NAMES.len())]),
        1 => Errno::Num(*t.pick(&[0u16, 1, 13, 38, 4095, 4094])),
        2 => Errno::Num(t.below(4096) as u16),
        _ => Errno::Name(ERRNO_NAMES[t.below(ERRNO_NAMES.len())]),
    }
}

fn gen_data16(t: &mut Tape) -> Option<u16> {
    match t.below(4) {
        0 => None,
        1 => Some(*t.pick(&[0u16, 1, 42, 0xffff, 0x8000, 4096])),
        _ => Some(t.next_u64() as u16),
    }
}

fn gen_any_act(t: &mut Tape, cfg: &GenConfig) -> GAct {
    match t.below(9) {
        4 if cfg.no_notify => GAct::Allow,
        0 => GAct::Errno(gen_errno(t, cfg)),
        1 => GAct::Kill,
        2 => GAct::KillThread,
        3 => GAct::Trap(gen_data16(t)),
        4 => GAct::Notify,
        5 => GAct::Trace(gen_data16(t)),
        6 => GAct::Log,
        7 => GAct::Allow,
        _ => GAct::Errno(gen_errno(t, cfg)),
    }
}

fn gen_rule_act(t: &mut Tape, d: &Data, cfg: &GenConfig) -> GAct {
    match t.below(10) {
        9 if cfg.no_notify => GAct::Log,
        0 | 1 => GAct::Allow,
        2 | 3 => GAct::Errno(d.errno.clone()),
        4 => GAct::Kill,
        5 => GAct::KillThread,
        6 => GAct::Trap(d.trap),
        7 => GAct::Trace(d.trace),
        8 => GAct::Log,
        _ => GAct::Notify,
    }
}

/// Values worth comparing with an argument of these types.
fn interesting_values(tys: &[ArgTy]) -> Vec<i128> {
    let mut v: Vec<i128> = vec![
        0,
        1,
        2,
        3,
        5,
        -1,
        -2,
        0x7f,
        0x80,
        0xff,
        0x7fff,
        0x8000,
        0xffff,
        0x1_0000,
        -0x8000,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_fffe,
        0xffff_ffff,
        0x1_0000_0000,
        0x1_0000_0001,
        -0x8000_0000,
        -0x8000_0001,
        0x7fff_ffff_ffff_ffff,
        -0x8000_0000_0000_0000,
        0xffff_ffff_ffff_ffff,
        0x8000_0000_0000_0000,
    ];
    for t in tys {
        v.extend([t.min(), t.max(), t.min() + 1, t.max() - 1]);
    }
    v
}

thread_local! {
    /// Values this policy compares often, so that its rules test nearby
    /// and equal constants and their decision diagrams interleave.
    static HOT: std::cell::RefCell<Vec<i128>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn gen_value(t: &mut Tape, tys: &[ArgTy], ok: impl Fn(i128) -> bool) -> Num {
    let pool = interesting_values(tys);
    let hot: Vec<i128> = HOT.with(|h| h.borrow().clone());
    for _ in 0..8 {
        let v = match t.below(6) {
            4 if !hot.is_empty() => *t.pick(&hot) + t.below(3) as i128 - 1,
            0 | 1 => *t.pick(&pool),
            2 => i128::from(t.next_u64() % 300) - 20,
            _ => {
                let r = t.next_u64();
                match t.below(3) {
                    0 => i128::from(r as u32),
                    1 => i128::from(r as u32 as i32),
                    _ => i128::from(r),
                }
            }
        };
        if ok(v) {
            let style = if v.unsigned_abs() > 0xffff {
                (t.below(3) as u8).max(1)
            } else {
                t.below(4) as u8
            };
            return Num {
                v,
                style,
                name: None,
            };
        }
    }
    Num::new(0)
}

fn gen_mask(t: &mut Tape, tys: &[ArgTy]) -> Num {
    let fits = |v: i128| tys.iter().all(|ty| ty.fits_pattern(v));
    for _ in 0..8 {
        let v: i128 = match t.below(5) {
            0 => 1i128 << t.below(64),
            1 => *t.pick(&[
                0xff,
                0xf0,
                0xffff,
                0xffff_0000,
                0xffff_ffff,
                0x8000_0000,
                0xffff_ffff_0000_0000,
                0x8000_0000_0000_0000,
                0x7fff_ffff_ffff_ffff,
                3,
                -1,
                -0x100,
            ]),
            2 => i128::from(t.next_u64() as u16),
            3 => i128::from(t.next_u64() as u32),
            _ => i128::from(t.next_u64()),
        };
        if v != 0 && fits(v) {
            return Num {
                v,
                style: 1 + t.below(2) as u8,
                name: None,
            };
        }
    }
    Num::new(1)
}

/// One syscall on one architecture that a rule covers.
pub type Instance = (Arch, &'static Syscall);

/// Argument references that resolve (and are not alignment padding) in
/// every instance.
pub fn common_args(insts: &[Instance]) -> Vec<ArgRef> {
    let Some(&(a0, s0)) = insts.first() else {
        return Vec::new();
    };
    let _ = a0;
    let mut cands: Vec<ArgRef> = Vec::new();
    for a in s0.args {
        for n in a.names.iter().take(2) {
            cands.push(ArgRef::Name(n));
        }
    }
    for n in 0..s0.nslots.min(6) {
        cands.push(ArgRef::Slot(n));
    }
    cands.dedup();
    cands
        .into_iter()
        .filter(|r| {
            insts
                .iter()
                .all(|&(a, sc)| resolve_arg(a, sc, *r).is_some())
        })
        .collect()
}

/// A prelude constant (by name) defined on every instance's architecture
/// whose value there fits the argument, compared as a bit pattern or, with
/// `order`, as a number of the argument's type.
fn gen_named(t: &mut Tape, insts: &[Instance], tys: &[ArgTy], order: bool) -> Option<Num> {
    let all = moat::arch::all_constants();
    for _ in 0..24 {
        let c = &all[t.below(all.len())];
        let fits = insts.iter().zip(tys).all(|(&(arch, _), ty)| {
            constant_value(arch, c.name).is_some_and(|v| {
                let v = i128::from(v);
                if order {
                    ty.fits_order(v)
                } else {
                    ty.fits_pattern(v)
                }
            })
        });
        if fits {
            let v = i128::from(constant_value(insts[0].0, c.name).expect("defined"));
            return Some(Num {
                v,
                style: 0,
                name: Some(c.name),
            });
        }
    }
    None
}

pub fn gen_leaf(t: &mut Tape, insts: &[Instance], args: &[ArgRef]) -> GPred {
    let arg = *t.pick(args);
    let tys: Vec<ArgTy> = insts
        .iter()
        .map(|&(a, sc)| resolve_arg(a, sc, arg).expect("common arg"))
        .collect();
    if tys.iter().any(|ty| ty.pointer) {
        return GPred::Null {
            arg,
            ne: t.flip(50),
        };
    }
    let fits_pat = |v: i128| tys.iter().all(|ty| ty.fits_pattern(v));
    let fits_ord = |v: i128| tys.iter().all(|ty| ty.fits_order(v));
    match t.below(7) {
        0 | 1 => {
            let op = *t.pick(&CmpOp::ALL);
            let named = if t.flip(20) {
                gen_named(t, insts, &tys, op.is_order())
            } else {
                None
            };
            let lit = match named {
                Some(n) => n,
                None if op.is_order() => gen_value(t, &tys, fits_ord),
                None => gen_value(t, &tys, fits_pat),
            };
            GPred::Cmp {
                arg,
                op,
                lit,
                lit_first: t.flip(15),
            }
        }
        2 => {
            let named = if t.flip(30) {
                gen_named(t, insts, &tys, false)
            } else {
                None
            };
            GPred::BitTest {
                arg,
                mask: named.unwrap_or_else(|| gen_mask(t, &tys)),
            }
        }
        3 => {
            let mask = gen_mask(t, &tys);
            let value = if t.flip(75) {
                // A value inside the mask, so the test can hold.
                let raw = gen_value(t, &tys, fits_pat).v;
                let m = tys
                    .iter()
                    .map(|ty| ty.pattern(mask.v))
                    .fold(u64::MAX, |a, b| a & b);
                Num {
                    v: i128::from((raw as u64) & m),
                    style: 1,
                    name: None,
                }
            } else {
                gen_value(t, &tys, fits_pat)
            };
            GPred::Masked {
                arg,
                mask,
                value,
                ne: t.flip(25),
                mask_first: t.flip(15),
            }
        }
        4 => {
            let n = 1 + t.below(4);
            let mask = t.flip(20).then(|| gen_mask(t, &tys));
            let items = (0..n)
                .map(|_| {
                    let named = if t.flip(20) {
                        gen_named(t, insts, &tys, false)
                    } else {
                        None
                    };
                    named.unwrap_or_else(|| gen_value(t, &tys, fits_pat))
                })
                .collect();
            GPred::InList { arg, mask, items }
        }
        5 => {
            let a = gen_value(t, &tys, fits_ord);
            let b = gen_value(t, &tys, fits_ord);
            let (lo, hi) = if a.v <= b.v { (a, b) } else { (b, a) };
            let max = tys.iter().map(|ty| ty.max()).min().unwrap();
            if t.flip(50) || hi.v == max || hi.v + 1 > i128::from(u64::MAX) {
                GPred::InRange {
                    arg,
                    lo,
                    hi,
                    inclusive: true,
                }
            } else {
                GPred::InRange {
                    arg,
                    lo,
                    hi: Num {
                        v: hi.v + 1,
                        style: hi.style,
                        name: None,
                    },
                    inclusive: false,
                }
            }
        }
        _ => {
            let op = *t.pick(&CmpOp::ALL[2..]);
            GPred::Cmp {
                arg,
                op,
                lit: gen_value(t, &tys, fits_ord),
                lit_first: false,
            }
        }
    }
}

fn gen_pred(t: &mut Tape, insts: &[Instance], args: &[ArgRef], depth: u32) -> GPred {
    if depth == 0 || !t.flip(45) {
        let leaf = gen_leaf(t, insts, args);
        return if t.flip(10) {
            GPred::Not(Box::new(leaf))
        } else {
            leaf
        };
    }
    let a = gen_pred(t, insts, args, depth - 1);
    let b = gen_pred(t, insts, args, depth - 1);
    match t.below(5) {
        0 | 1 => GPred::And(Box::new(a), Box::new(b)),
        2 | 3 => GPred::Or(Box::new(a), Box::new(b)),
        _ => GPred::Not(Box::new(GPred::And(Box::new(a), Box::new(b)))),
    }
}

/// The (arch, syscall) pairs a rule covers when its profile is built for
/// `arches`.
pub fn instances(arches: &[Arch], on: Option<&[Arch]>, syscalls: &[&str]) -> Vec<Instance> {
    let mut out = Vec::new();
    for &a in arches {
        if on.is_some_and(|o| !o.contains(&a)) {
            continue;
        }
        for n in syscalls {
            if let Some(sc) = a.syscall(n) {
                out.push((a, sc));
            }
        }
    }
    out
}

fn gen_pool(t: &mut Tape, cfg: &GenConfig, arches: &[Arch]) -> Vec<&'static str> {
    let max = cfg.max_pool;
    let mut all: Vec<&'static str> = match &cfg.pool {
        Some(p) => p
            .iter()
            .copied()
            .filter(|n| arches.iter().any(|a| a.syscall(n).is_some()))
            .collect(),
        None => arches
            .iter()
            .flat_map(|a| a.syscalls().iter().map(|s| s.name))
            .collect(),
    };
    all.sort_unstable();
    all.dedup();
    let interesting: Vec<&'static str> = INTERESTING
        .iter()
        .copied()
        .filter(|n| all.binary_search(n).is_ok())
        .collect();
    let n = 1 + t.below(max);
    let mut pool = Vec::new();
    for _ in 0..n {
        let name = if !interesting.is_empty() && t.below(100) < cfg.bias as usize {
            *t.pick(&interesting)
        } else {
            *t.pick(&all)
        };
        if !pool.contains(&name) {
            pool.push(name);
        }
    }
    pool
}

fn gen_rule(
    t: &mut Tape,
    cfg: &GenConfig,
    pool: &[&'static str],
    targets: &[Arch],
    arches: &[Arch],
    d: &Data,
) -> Option<GenRule> {
    let mut on = None;
    if cfg.allow_on && targets.len() > 1 && t.flip(25) {
        let mut sub: Vec<Arch> = targets.iter().copied().filter(|_| t.flip(50)).collect();
        if sub.is_empty() {
            sub.push(*t.pick(targets));
        }
        on = Some(sub);
    }
    let covered: Vec<Arch> = arches
        .iter()
        .copied()
        .filter(|a| on.as_ref().is_none_or(|o: &Vec<Arch>| o.contains(a)))
        .collect();
    // Syscalls that exist on one of the profile's own targets the rule
    // applies to (naming one that exists on none is an error).
    let own: Vec<Arch> = targets
        .iter()
        .copied()
        .filter(|a| on.as_ref().is_none_or(|o: &Vec<Arch>| o.contains(a)))
        .collect();
    let usable: Vec<&'static str> = pool
        .iter()
        .copied()
        .filter(|n| own.iter().any(|a| a.syscall(n).is_some()))
        .collect();
    if usable.is_empty() {
        return None;
    }
    let mut syscalls = vec![*t.pick(&usable)];
    if t.flip(25) {
        for _ in 0..1 + t.below(2) {
            let n = *t.pick(&usable);
            if !syscalls.contains(&n) {
                syscalls.push(n);
            }
        }
    }
    let action = gen_rule_act(t, d, cfg);
    let mut pred = None;
    if t.flip(cfg.pred_pct) {
        let insts = instances(&covered, None, &syscalls);
        let args = common_args(&insts);
        if !args.is_empty() {
            pred = Some(gen_pred(t, &insts, &args, 2));
        }
    }
    Some(GenRule {
        on,
        action,
        syscalls,
        pred,
    })
}

fn gen_rules(
    t: &mut Tape,
    cfg: &GenConfig,
    pool: &[&'static str],
    targets: &[Arch],
    arches: &[Arch],
    d: &Data,
    max: usize,
) -> Vec<GenRule> {
    let n = t.below(max + 1);
    (0..n)
        .filter_map(|_| gen_rule(t, cfg, pool, targets, arches, d))
        .collect()
}

fn gen_data(t: &mut Tape, cfg: &GenConfig) -> Data {
    Data {
        errno: gen_errno(t, cfg),
        trap: gen_data16(t),
        trace: gen_data16(t),
    }
}

/// A random policy; the profile to build is `main.name` ("p").
pub fn gen_policy(t: &mut Tape, cfg: &GenConfig) -> GenPolicy {
    let targets = t.pick(&cfg.target_sets).clone();
    let hot: Vec<i128> = (0..t.below(4))
        .map(|_| match t.below(3) {
            0 => i128::from(t.next_u64() % 64),
            1 => i128::from(t.next_u64() as u32),
            _ => i128::from(t.next_u64() as u32 as i32),
        })
        .collect();
    HOT.with(|h| *h.borrow_mut() = hot);
    let extends = cfg.allow_extends && t.flip(35);
    // The base may have other targets; its rules are resolved against the
    // main profile's targets too, so literals must fit both.
    let base_targets = if extends && t.flip(30) {
        t.pick(&cfg.target_sets)
            .iter()
            .copied()
            .filter(|a| a.endian() == targets[0].endian())
            .collect::<Vec<_>>()
    } else {
        targets.clone()
    };
    let base_targets = if base_targets.is_empty() {
        targets.clone()
    } else {
        base_targets
    };
    let mut all_arches = targets.clone();
    for a in &base_targets {
        if !all_arches.contains(a) {
            all_arches.push(*a);
        }
    }
    let pool = gen_pool(t, cfg, &all_arches);
    let mut main = GenProfile {
        name: "p".into(),
        ..Default::default()
    };
    let main_data = gen_data(t, cfg);
    let base = if extends {
        let d = gen_data(t, cfg);
        let rules = gen_rules(t, cfg, &pool, &base_targets, &all_arches, &d, cfg.max_rules);
        let base = GenProfile {
            name: "base".into(),
            extends: None,
            targets: Some(base_targets.clone()),
            default: Some(gen_any_act(t, cfg)),
            bad_arch: t.flip(50).then(|| gen_any_act(t, cfg)),
            unknown: t.flip(40).then(|| gen_any_act(t, cfg)),
            rules,
            mixin_rules: Vec::new(),
        };
        main.extends = Some("base".into());
        if base_targets != targets {
            main.targets = Some(targets.clone());
        }
        if t.flip(40) {
            main.default = Some(gen_any_act(t, cfg));
        }
        if t.flip(30) {
            main.bad_arch = Some(gen_any_act(t, cfg));
        }
        if t.flip(30) {
            main.unknown = Some(gen_any_act(t, cfg));
        }
        Some(base)
    } else {
        main.targets = Some(targets.clone());
        main.default = Some(gen_any_act(t, cfg));
        if t.flip(50) {
            main.bad_arch = Some(gen_any_act(t, cfg));
        }
        if t.flip(40) {
            main.unknown = Some(gen_any_act(t, cfg));
        }
        None
    };
    main.rules = gen_rules(t, cfg, &pool, &targets, &targets, &main_data, cfg.max_rules);
    if cfg.allow_mixin && t.flip(20) {
        let on = cfg.allow_on;
        let mcfg = GenConfig {
            allow_on: on,
            ..cfg.clone()
        };
        main.mixin_rules = gen_rules(t, &mcfg, &pool, &targets, &targets, &main_data, 2);
    }
    GenPolicy { base, main }
}

/// A wide policy: up to `max` syscalls of the targets, each with its own
/// rule and its own action data (so no two syscalls share a leaf and the
/// search cannot merge ranges), most with a predicate. Programs run to
/// hundreds or thousands of instructions, so jumps need trampolines.
pub fn gen_wide(t: &mut Tape, target_sets: &[Vec<Arch>], max: usize) -> GenPolicy {
    let targets = t.pick(target_sets).clone();
    let mut names: Vec<&'static str> = targets
        .iter()
        .flat_map(|a| a.syscalls().iter().map(|s| s.name))
        .collect();
    names.sort_unstable();
    names.dedup();
    // A random subset, in table order.
    let keep = 1 + t.below(max);
    let mut chosen: Vec<&'static str> = names.iter().copied().filter(|_| t.flip(70)).collect();
    chosen.truncate(keep);
    let mut rules = Vec::new();
    for (i, name) in chosen.iter().enumerate() {
        let data = (i % 4000) as u16 + 1;
        let action = match t.below(4) {
            0 => GAct::Trap(Some(data)),
            1 => GAct::Trace(Some(data)),
            _ => GAct::Errno(Errno::Num(data)),
        };
        let insts = instances(&targets, None, &[name]);
        let args = common_args(&insts);
        let pred = (!args.is_empty() && t.flip(75)).then(|| gen_pred(t, &insts, &args, 1));
        rules.push(GenRule {
            on: None,
            action,
            syscalls: vec![name],
            pred,
        });
    }
    GenPolicy {
        base: None,
        main: GenProfile {
            name: "p".into(),
            targets: Some(targets),
            default: Some(GAct::Allow),
            bad_arch: Some(GAct::Kill),
            rules,
            ..Default::default()
        },
    }
}
