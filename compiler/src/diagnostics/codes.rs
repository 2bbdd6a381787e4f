//! The stable diagnostic codes. A code never changes meaning once shipped;
//! `docs/diagnostics.md` documents each one and a test checks that every
//! code listed here has a must-fail case in `tests/ui`.

use super::Severity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(pub &'static str);

pub struct CodeInfo {
    pub code: Code,
    pub title: &'static str,
    /// What triggers it, in a few sentences (for `docs/diagnostics.md`
    /// and hovers).
    pub explanation: &'static str,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        self.0
    }
    pub fn severity(self) -> Severity {
        if self.0.starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        }
    }
    pub fn info(self) -> &'static CodeInfo {
        CODES
            .iter()
            .find(|c| c.code == self)
            .expect("every code is registered")
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

macro_rules! codes {
    ($($name:ident = $code:literal : $title:literal, $explanation:literal;)*) => {
        $(pub const $name: Code = Code($code);)*
        pub static CODES: &[CodeInfo] = &[$(CodeInfo { code: $name, title: $title, explanation: $explanation },)*];
    };
}

codes! {
    // syntax
    SYNTAX = "E0001": "syntax error",
        "The text does not follow moat's grammar: a token where another was expected, an unclosed `{`, `=` where `==` was meant, `match` on something other than `arch`. The parser recovers at the next statement, test case or item, so every syntax error of a file is reported in one run, and the rest of the file is still checked.";
    UNTERMINATED_COMMENT = "E0002": "unterminated block comment",
        "A `/*` without its `*/`. Block comments nest, so each `/*` inside one needs its own `*/`.";
    INVALID_CHAR = "E0003": "character not allowed here",
        "A character that is not part of moat's syntax, such as `#`, `%` or `…`. A `#` is taken for a shell-style comment: the rest of its line is skipped.";
    BAD_NUMBER = "E0004": "malformed or too large integer literal",
        "A number with a digit its base does not have, a prefix without digits, a value above 2^64-1, or a leading zero (`0755`): moat has no C-style octal, write `0o755`.";
    BAD_STRING = "E0005": "malformed string literal",
        "A string (an import path) with an unknown escape, without its closing `\"`, or in single quotes.";
    TOO_DEEP = "E0006": "nested too deeply",
        "An expression nested more than 256 levels, `on` blocks more than 32, or imports, includes, groups or constants chained more than 100 deep. The limits keep the compiler's recursive passes within their stack; no real policy comes near them.";
    // resolution
    UNKNOWN_MODULE = "E0100": "unknown module",
        "A `use` of a module that does not exist. The standard library's modules are `std::groups`, `std::docker`, `std::podman`, `std::deny` and `std::strict`; files are imported as `use \"./file.moat\" as name`.";
    IMPORT_FAILED = "E0101": "imported file cannot be read",
        "A `use \"…\"` whose file is not found next to the importing file nor in the `-I`/`MOAT_PATH` directories, or cannot be read as UTF-8 text.";
    IMPORT_CYCLE = "E0102": "import cycle",
        "Files that import each other, directly or through others. The note shows the cycle.";
    DUPLICATE_ITEM = "E0103": "item defined twice",
        "Two items of one file with the same name (the items of a file share one namespace), a name imported twice, or a name both imported and defined. Reported at the later one.";
    UNKNOWN_IMPORT_NAME = "E0104": "imported name does not exist in the module",
        "A name in `use std::m::{…}` that module `m` does not define.";
    UNKNOWN_PROFILE = "E0105": "unknown profile or mixin",
        "An `extends`, `include` or `test` that names no profile (or mixin, for `include`) in scope.";
    EXTENDS_CYCLE = "E0106": "extends cycle",
        "Profiles whose `extends` chains lead back to themselves. Reported once per cycle, with every `extends` of the cycle labelled.";
    INCLUDE_CYCLE = "E0107": "include cycle",
        "A profile or mixin that includes itself, directly or through others.";
    UNKNOWN_SYSCALL = "E0108": "unknown syscall or group",
        "A name in a rule's syscall list that is neither a syscall on any architecture moat knows nor a group in scope.";
    AMBIGUOUS_NAME = "E0109": "name is both a syscall and a group",
        "A bare name in a rule that is a syscall on the rule's architectures and also a group in scope (`mount`, `sync`, `reboot`, … imported from `std::groups`). Write the group's path, or drop it from the `use` list to mean the syscall.";
    SYSCALL_ON_NO_TARGET = "E0110": "syscall exists on none of the targets",
        "A syscall named in a rule that exists on none of the architectures the rule applies to. (Missing on some of them is warning W0001.)";
    UNKNOWN_CONSTANT = "E0111": "unknown constant",
        "A name in an expression that is not an argument of the syscall, a `const` in scope, nor a prelude constant or errno name; or a prelude constant that one of the targets does not define.";
    UNKNOWN_ERRNO = "E0112": "unknown errno name",
        "A name in `errno(…)` that is no errno name and no constant.";
    UNKNOWN_ARCH = "E0113": "unknown architecture",
        "An architecture name moat does not know, in `targets`, `on`, a `match arch` arm or a test case. The names are `x86_64`, `x32`, `i386` (alias `x86`), `aarch64`, `arm`, `riscv64`, `ppc64le` and `s390x`; other tools' names (`amd64`, `arm64`, …) get a hint.";
    UNKNOWN_ARGUMENT = "E0114": "unknown argument name",
        "A lower-case name in a predicate or a test case that is not an argument of the syscall (by any kernel or man-page name) on that architecture.";
    ARG_INDEX_RANGE = "E0115": "argument slot beyond the syscall's arguments",
        "`argN` with N at or beyond the number of register slots the syscall uses on that architecture.";
    GROUP_CYCLE = "E0116": "group contains itself",
        "A group that contains itself, directly or through other groups.";
    CONST_CYCLE = "E0117": "constant defined in terms of itself",
        "A `const` whose value depends on itself.";
    WRONG_ITEM_KIND = "E0118": "item of the wrong kind",
        "An item used where another kind is needed: a mixin after `extends`, a constant in a syscall list, a group in an expression, a module where a profile goes.";
    MISSING_TARGETS = "E0119": "profile has no targets",
        "The root of an `extends` chain (a profile without `extends`) must say which architectures it covers, so the result never depends on the build host.";
    MISSING_DEFAULT = "E0120": "profile has no default action",
        "The root of an `extends` chain must state `default`: the action for calls no rule matches.";
    UNKNOWN_FLAG = "E0121": "unknown filter flag",
        "A name in `flags` that is not a seccomp filter flag moat knows: `tsync`, `log`, `spec_allow`, `new_listener`, `tsync_esrch`, `wait_killable_recv`.";
    DUPLICATE_SETTING = "E0122": "setting stated twice",
        "A profile that states `targets`, `default`, `bad_arch`, `unknown` or `flags` more than once.";
    NO_ARCH_ARM = "E0123": "`match arch` has no arm for a target",
        "A constant defined with `match arch` is used for an architecture none of its arms (and no `_` arm) covers.";
    SETTING_NOT_ALLOWED = "E0124": "setting not allowed here",
        "A setting inside a mixin or an `on` block; they hold rules and includes only.";
    UNKNOWN_ACTION = "E0125": "unknown action",
        "A word where an action goes (at the start of a rule, after `default`, after `=>` in a test) that is not one of `allow`, `log`, `trace`, `notify`, `errno`, `trap`, `kill_thread`, `kill`. There is no `deny`: say what denying means, `errno(EPERM)`, `kill` or `trap`.";
    // types
    POINTER_COMPARE = "E0200": "pointer argument compared with a value",
        "A pointer argument compared with anything but `0`/`null`, masked, or ordered. A seccomp filter sees only the address, never the memory it points to; rules about paths or contents belong to Landlock or an LSM.";
    LITERAL_TOO_WIDE = "E0201": "value does not fit the argument",
        "A value compared with (or masking) an argument of width w outside -2^(w-1) ≤ v < 2^w, on some target. The message names the target where it does not fit.";
    ORDER_OUT_OF_RANGE = "E0202": "ordering bound outside the argument's range",
        "A bound of `<`, `<=`, `>`, `>=` or a range outside the range of the argument's own type (such as `fd < -1` on an unsigned `fd`). Compare with `==` to match a bit pattern.";
    TWO_ARGUMENTS = "E0203": "comparison between two arguments",
        "Two arguments in one comparison or mask. Filters compare arguments with constants only.";
    NOT_ON_INTEGER = "E0204": "`!` applied to an integer",
        "`!` negates a condition, not a number: `!fd` is written `fd == 0`; the bitwise complement is `~`.";
    ARG_IN_ARITHMETIC = "E0205": "argument used in arithmetic",
        "An argument under `+ - * | ^ << >> ~` or unary `-`. Arguments can be masked with `&` and compared; arithmetic is for constants.";
    NOT_A_CONDITION = "E0206": "expression is not a condition",
        "A number where a condition goes (`if fd`), a condition where a number goes (`const X = 1 == 1`), or two conditions compared with each other.";
    ACTION_DATA_RANGE = "E0207": "action data out of range",
        "`errno(E)` with E outside 0..=4095, or `trap(N)`/`trace(N)` with N outside 0..=65535.";
    CONST_OVERFLOW = "E0208": "constant arithmetic overflows 64 bits",
        "Constant arithmetic whose result lies outside -2^63..2^64-1, or a shift by 64 or more.";
    ACTION_DATA_SHAPE = "E0209": "action takes no data, or needs it",
        "`errno` without its value, or data on an action that carries none (`allow(1)`, `kill(9)`).";
    EMPTY_RANGE = "E0210": "empty range",
        "A range with no value in it: `a..b` with b ≤ a, or `a..=b` with b < a.";
    BAD_TEST_CASE = "E0211": "malformed test expectation",
        "A test case that cannot be run: an architecture the profile does not target, a syscall that does not exist there, or more arguments than the syscall has register slots. `moat test` also reports failed expectations with this code.";
    PADDING_SLOT = "E0212": "condition on a padding slot the kernel ignores",
        "A condition on an alignment slot (arm's `__pad` in `pread64`, `pwrite64`, …, by name or as `argN`). The kernel never reads it, so it holds whatever the caller left there; the value is in the 64-bit argument after it.";
    // policy semantics
    CONFLICTING_RULES = "E0300": "rules with the same action and different data overlap",
        "Two rules of one profile with the same action and different data (`errno(EPERM)` and `errno(EACCES)`, `trap(1)` and `trap(2)`) that can both match one call on some target: the policy would not say which one the caller gets. A stronger rule taking the call anyway does not matter. The note shows a call that matches both.";
    WHICH_PROFILE = "E0301": "cannot tell which profile to use",
        "A command that builds one profile was given a file with several (or none) and no `--profile`.";
    TOO_LARGE = "E0302": "filter too large",
        "The compiled program exceeds the kernel's limit of 4096 instructions.";
    NOT_EXPRESSIBLE = "E0303": "policy cannot be expressed in the output format",
        "The output format (OCI JSON) cannot state what the policy means, for example an ordering comparison on a 32-bit or signed argument; moat refuses rather than emit something that means something else.";
    // importers (`moat import` of minijail and Kafel policies)
    IMPORT_SYNTAX = "E0400": "imported policy does not parse",
        "`moat import` found text that is not valid in the source format (a minijail or Kafel policy), or a construct of that format it does not translate, such as minijail's syscall groups (`name@namespace`), which come from a build's `constants.json`. Every error of the file is reported; nothing is written.";
    IMPORT_UNKNOWN_SYSCALL = "E0401": "imported policy names an unknown syscall",
        "A syscall name (or a Kafel `SYSCALL[n]` number) that moat's table for the import's architecture (`--arch`, default x86_64) does not have. Kafel's kernel-internal names (`newuname`, `newfstat`, …) are accepted for their UAPI names.";
    IMPORT_UNKNOWN_NAME = "E0402": "imported policy uses an unknown name",
        "A constant, errno, argument, architecture or Kafel policy name that neither the source file nor moat's tables for the architecture define.";
    IMPORT_NOT_EXPRESSIBLE = "E0403": "imported rule cannot be expressed in moat",
        "A rule moat cannot state with the same meaning: a pointer argument compared with anything but 0, two arguments compared with each other, an argument slot the syscall does not have, an errno above 4095, or arithmetic on an argument other than `&`.";
    IMPORT_INCLUDE = "E0404": "included policy file cannot be read",
        "A minijail `@include` or Kafel `#include` whose file is missing or unreadable, that includes itself, or that nests more than 10 deep. Paths are relative to the including file.";
    // warnings
    SYSCALL_MISSING_ON_SOME = "W0001": "syscall missing on some targets",
        "A syscall named directly in a rule does not exist on some of the rule's architectures; the rule applies on the others. Group members are exempt.";
    NEVER_EFFECTIVE = "W0002": "rule never decides anything",
        "Every call the rule matches is taken by another rule of the same profile with the same or a stronger action. A base's rule that a profile overrides is not reported.";
    ALWAYS_TRUE = "W0003": "condition is always true",
        "The rule's `if` holds for every call (on every architecture and syscall it applies to), for example `fd >= 0` on an unsigned `fd`.";
    ALWAYS_FALSE = "W0004": "condition is always false",
        "The rule's `if` never holds, for example a masked comparison whose value has bits the mask clears.";
    SHADOWS_PRELUDE = "W0005": "constant shadows a prelude constant",
        "A `const` with the name of a prelude constant or errno name; it wins over the prelude, in predicates and in `errno(…)` alike.";
    SHADOWS_ARGUMENT = "W0006": "constant has the name of an argument",
        "A predicate uses a name that is both an argument of the syscall and a constant; the argument wins.";
    ARCH_NOT_TARGETED = "W0007": "`on` block for an architecture outside `targets`",
        "An `on` block names an architecture that is not a target (or, nested, not in the enclosing block); the block is ignored there.";
    SOCKETCALL_BYPASS = "W0008": "socket arguments filtered but socketcall is not handled",
        "A rule filters the arguments of a socket call (`socket`, `connect`, `sendto`, …) on an architecture where the same call can be made through `socketcall` (i386, ppc64le, s390x), and nothing in the profile stops socketcall: its arguments sit behind a pointer, so the filter can be bypassed.";
    UNUSED_IMPORT = "W0009": "imported name is never used",
        "A name a `use` of the checked file binds that nothing in the file refers to. Only reported when the file has no errors.";
    POSITIONAL_NOT_KERNEL_NAME = "W0010": "positional `argN` is not the kernel's parameter of that name",
        "`argN` on a syscall whose kernel parameters are themselves called `argN` in another slot (prctl's `arg2` is slot 1): moat's `argN` counts slots from 0, so `arg2` here is the kernel's `arg3`.";
}
