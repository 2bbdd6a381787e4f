//! The stable diagnostic codes. A code never changes meaning once shipped;
//! `docs/diagnostics.md` documents each one and a test checks that every
//! code listed here has a must-fail case in `tests/ui`.

use super::Severity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(pub &'static str);

pub struct CodeInfo {
    pub code: Code,
    pub title: &'static str,
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
    ($($name:ident = $code:literal : $title:literal;)*) => {
        $(pub const $name: Code = Code($code);)*
        pub static CODES: &[CodeInfo] = &[$(CodeInfo { code: $name, title: $title },)*];
    };
}

codes! {
    // syntax
    SYNTAX = "E0001": "syntax error";
    UNTERMINATED_COMMENT = "E0002": "unterminated block comment";
    INVALID_CHAR = "E0003": "character not allowed here";
    BAD_NUMBER = "E0004": "malformed or too large integer literal";
    BAD_STRING = "E0005": "malformed string literal";
    TOO_DEEP = "E0006": "nested too deeply";
    // resolution
    UNKNOWN_MODULE = "E0100": "unknown module";
    IMPORT_FAILED = "E0101": "imported file cannot be read";
    IMPORT_CYCLE = "E0102": "import cycle";
    DUPLICATE_ITEM = "E0103": "item defined twice";
    UNKNOWN_IMPORT_NAME = "E0104": "imported name does not exist in the module";
    UNKNOWN_PROFILE = "E0105": "unknown profile or mixin";
    EXTENDS_CYCLE = "E0106": "extends cycle";
    INCLUDE_CYCLE = "E0107": "include cycle";
    UNKNOWN_SYSCALL = "E0108": "unknown syscall or group";
    AMBIGUOUS_NAME = "E0109": "name is both a syscall and a group";
    SYSCALL_ON_NO_TARGET = "E0110": "syscall exists on none of the targets";
    UNKNOWN_CONSTANT = "E0111": "unknown constant";
    UNKNOWN_ERRNO = "E0112": "unknown errno name";
    UNKNOWN_ARCH = "E0113": "unknown architecture";
    UNKNOWN_ARGUMENT = "E0114": "unknown argument name";
    ARG_INDEX_RANGE = "E0115": "argument slot beyond the syscall's arguments";
    GROUP_CYCLE = "E0116": "group contains itself";
    CONST_CYCLE = "E0117": "constant defined in terms of itself";
    WRONG_ITEM_KIND = "E0118": "item of the wrong kind";
    MISSING_TARGETS = "E0119": "profile has no targets";
    MISSING_DEFAULT = "E0120": "profile has no default action";
    UNKNOWN_FLAG = "E0121": "unknown filter flag";
    DUPLICATE_SETTING = "E0122": "setting stated twice";
    NO_ARCH_ARM = "E0123": "`match arch` has no arm for a target";
    SETTING_NOT_ALLOWED = "E0124": "setting not allowed here";
    UNKNOWN_ACTION = "E0125": "unknown action";
    // types
    POINTER_COMPARE = "E0200": "pointer argument compared with a value";
    LITERAL_TOO_WIDE = "E0201": "value does not fit the argument";
    ORDER_OUT_OF_RANGE = "E0202": "ordering bound outside the argument's range";
    TWO_ARGUMENTS = "E0203": "comparison between two arguments";
    NOT_ON_INTEGER = "E0204": "`!` applied to an integer";
    ARG_IN_ARITHMETIC = "E0205": "argument used in arithmetic";
    NOT_A_CONDITION = "E0206": "expression is not a condition";
    ACTION_DATA_RANGE = "E0207": "action data out of range";
    CONST_OVERFLOW = "E0208": "constant arithmetic overflows 64 bits";
    ACTION_DATA_SHAPE = "E0209": "action takes no data, or needs it";
    EMPTY_RANGE = "E0210": "empty range";
    BAD_TEST_CASE = "E0211": "malformed test expectation";
    PADDING_SLOT = "E0212": "condition on a padding slot the kernel ignores";
    // policy semantics
    CONFLICTING_RULES = "E0300": "rules with the same action and different data overlap";
    WHICH_PROFILE = "E0301": "cannot tell which profile to use";
    TOO_LARGE = "E0302": "filter too large";
    NOT_EXPRESSIBLE = "E0303": "policy cannot be expressed in the output format";
    // warnings
    SYSCALL_MISSING_ON_SOME = "W0001": "syscall missing on some targets";
    NEVER_EFFECTIVE = "W0002": "rule never decides anything";
    ALWAYS_TRUE = "W0003": "condition is always true";
    ALWAYS_FALSE = "W0004": "condition is always false";
    SHADOWS_PRELUDE = "W0005": "constant shadows a prelude constant";
    SHADOWS_ARGUMENT = "W0006": "constant has the name of an argument";
    ARCH_NOT_TARGETED = "W0007": "`on` block for an architecture outside `targets`";
    SOCKETCALL_BYPASS = "W0008": "socket arguments filtered but socketcall is not handled";
    UNUSED_IMPORT = "W0009": "imported name is never used";
    POSITIONAL_NOT_KERNEL_NAME = "W0010": "positional `argN` is not the kernel's parameter of that name";
}
