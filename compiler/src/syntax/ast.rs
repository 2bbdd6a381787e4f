//! The syntax tree. Every node carries its span; parse errors leave `Error`
//! nodes in place so later stages can still analyse the rest of the file.

use crate::source::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `a::b::c`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub segments: Vec<Ident>,
    pub span: Span,
}

impl Path {
    pub fn last(&self) -> &Ident {
        self.segments
            .last()
            .expect("a path has at least one segment")
    }
    pub fn is_single(&self) -> bool {
        self.segments.len() == 1
    }
    pub fn text(&self) -> String {
        self.segments
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join("::")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct File {
    pub items: Vec<Item>,
    /// Every comment of the file in order, for the formatter and hover.
    pub comments: Vec<Comment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub span: Span,
    pub text: String,
    pub doc: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Text of the `///` comments right before the item, without the slashes.
    pub doc: Option<String>,
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Use(Use),
    Const(Const),
    Group(Group),
    Mixin(Mixin),
    Profile(Profile),
    Test(Test),
    Error,
}

impl Item {
    /// The name an item defines, if any.
    pub fn name(&self) -> Option<&Ident> {
        match &self.kind {
            ItemKind::Const(c) => Some(&c.name),
            ItemKind::Group(g) => Some(&g.name),
            ItemKind::Mixin(m) => Some(&m.name),
            ItemKind::Profile(p) => Some(&p.name),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Use {
    /// `use std::docker` or `use std::groups::{a, b}`.
    Module {
        path: Path,
        names: Option<Vec<Ident>>,
    },
    /// `use "./base.moat" as base`.
    File {
        path: String,
        path_span: Span,
        alias: Ident,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Const {
    pub name: Ident,
    pub value: ConstValue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConstValue {
    Expr(Expr),
    /// `match arch { … }`; `scrutinee` is what followed `match` (must be `arch`).
    MatchArch {
        scrutinee: Ident,
        arms: Vec<ArchArm>,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchArm {
    /// Empty means `_`.
    pub arches: Vec<Ident>,
    pub wildcard: Option<Span>,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub name: Ident,
    pub members: Vec<Path>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mixin {
    pub name: Ident,
    pub body: Vec<Stmt>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub name: Ident,
    pub extends: Option<Path>,
    pub body: Vec<Stmt>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Test {
    pub profile: Path,
    pub cases: Vec<TestCase>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCase {
    pub arch: Option<Ident>,
    pub syscall: Ident,
    pub args: Vec<TestArg>,
    pub expect: Action,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestArg {
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StmtKind {
    Targets(Vec<Ident>),
    Default(Action),
    BadArch(Action),
    Unknown(Action),
    Flags(Vec<Ident>),
    Rule(Rule),
    Include(Path),
    On { arches: Vec<Ident>, body: Vec<Stmt> },
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub action: Action,
    pub syscalls: Vec<Path>,
    pub pred: Option<Expr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActionKind {
    Kill,
    KillThread,
    Trap,
    Errno,
    Notify,
    Trace,
    Log,
    Allow,
}

impl ActionKind {
    pub const ALL: [ActionKind; 8] = [
        ActionKind::Kill,
        ActionKind::KillThread,
        ActionKind::Trap,
        ActionKind::Errno,
        ActionKind::Notify,
        ActionKind::Trace,
        ActionKind::Log,
        ActionKind::Allow,
    ];
    pub fn keyword(self) -> &'static str {
        match self {
            ActionKind::Kill => "kill",
            ActionKind::KillThread => "kill_thread",
            ActionKind::Trap => "trap",
            ActionKind::Errno => "errno",
            ActionKind::Notify => "notify",
            ActionKind::Trace => "trace",
            ActionKind::Log => "log",
            ActionKind::Allow => "allow",
        }
    }
    pub fn from_keyword(s: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|a| a.keyword() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub kind: ActionKind,
    pub data: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    BitOr,
    BitXor,
    BitAnd,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::BitAnd => "&",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
        }
    }
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Not,
    BitNot,
    Neg,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    /// Levels of nesting below and including this node (an atom is 1).
    /// The parser keeps it under `syntax::MAX_EXPR_DEPTH`, so the
    /// recursive passes over expressions cannot run out of stack.
    pub depth: u32,
}

impl Expr {
    /// A node over `kind`'s children, one level deeper than the deepest.
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        let child = |e: &Expr| e.depth;
        let below = match &kind {
            ExprKind::Int(_) | ExprKind::Null | ExprKind::Name(_) | ExprKind::Error => 0,
            ExprKind::Unary(_, e) | ExprKind::Paren(e) => child(e),
            ExprKind::Binary(_, l, r) => child(l).max(child(r)),
            ExprKind::InList(v, list) => list.iter().map(child).fold(child(v), u32::max),
            ExprKind::InRange { value, lo, hi, .. } => child(value).max(child(lo)).max(child(hi)),
        };
        Expr {
            kind,
            span,
            depth: below.saturating_add(1),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    Int(u64),
    Null,
    Name(Path),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    InList(Box<Expr>, Vec<Expr>),
    InRange {
        value: Box<Expr>,
        lo: Box<Expr>,
        hi: Box<Expr>,
        inclusive: bool,
    },
    Paren(Box<Expr>),
    Error,
}

/// Words that begin items or statements. They stay usable as names
/// everywhere else; editors' grammars are checked against this list.
pub const ITEM_KEYWORDS: &[&str] = &["use", "const", "group", "mixin", "profile", "test"];
pub const STATEMENT_KEYWORDS: &[&str] = &[
    "targets", "default", "bad_arch", "unknown", "flags", "include", "on", "if", "extends",
    "match", "as", "null", "in",
];
