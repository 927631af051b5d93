//! The syntax tree of a Lua 5.1 chunk, with lines and resolved names.
//!
//! Every statement and expression carries the line Lua 5.1 attributes to it: the line of
//! its first token for statements and plain values, the line of the `(` (or `{`, string)
//! of a call's arguments for calls, and for operators and indexing the line of their last
//! token (Lua 5.1 emits the instruction once the operand is read, at `lastline`). Extra
//! lines (operators, closing brackets, `end`) are kept so that the printer can put every
//! token back on its line. Names are resolved by the parser (`resolve.rs`).
//!
//! Operator chains and suffix chains (`a + b + c ...`, `a.b.c ...`, `f()()...`) nest as deep
//! as they are long (Lua 5.1 has no limit on them): dropping is iterative (see `Drop for
//! Expr`), and the printer walks them in loops; the derived `Clone`, `PartialEq` and `Debug`
//! recurse, so passes should not use them on untrusted trees.

/// An index into `Chunk::locals`.
pub type LocalId = u32;

#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    pub block: Block,
    /// Every local the chunk declares, by id (including the hidden loop-control slots).
    pub locals: Vec<LocalInfo>,
}

/// How a local came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalKind {
    /// `local x`, `local function f`.
    Local,
    /// A named parameter.
    Param,
    /// The implicit `self` of `function a:b()`.
    SelfParam,
    /// The implicit `arg` table of a vararg function (Lua 5.1's LUA_COMPAT_VARARG).
    Arg,
    /// A variable of a `for` loop.
    ForVar,
    /// The hidden control slots of a `for` loop (`(for index)` ...): never named by a script.
    ForControl,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LocalInfo {
    pub name: String,
    pub line: u32,
    pub kind: LocalKind,
}

/// What a name in an expression refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// A local of the enclosing function.
    Local(LocalId),
    /// A local of an outer function, captured as an upvalue.
    Upvalue(LocalId),
    Global,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NameRef {
    pub name: String,
    pub resolution: Resolution,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Block {
    pub stats: Vec<Stat>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stat {
    pub line: u32,
    pub kind: StatKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StatKind {
    /// A function call used as a statement (`Call` or `MethodCall`).
    Call(Expr),
    /// `targets = values`; each target is a `Name`, `Index` or `Field`.
    Assign {
        targets: Vec<Expr>,
        values: Vec<Expr>,
    },
    /// `local names [= values]`.
    Local {
        names: Vec<(LocalId, u32)>,
        values: Vec<Expr>,
    },
    LocalFunction {
        local: LocalId,
        name_line: u32,
        func: Function,
    },
    /// `function a.b:c() ... end`.
    Function {
        name: FuncName,
        func: Function,
    },
    Do {
        body: Block,
        end_line: u32,
    },
    While {
        cond: Expr,
        body: Block,
        end_line: u32,
    },
    /// `repeat body until cond`: the body's locals are visible in `cond`.
    Repeat {
        body: Block,
        until_line: u32,
        cond: Expr,
    },
    /// `if c1 then b1 elseif c2 then b2 ... else e end`.
    If {
        clauses: Vec<(Expr, Block)>,
        else_block: Option<(u32, Block)>,
        end_line: u32,
    },
    NumericFor {
        var: LocalId,
        start: Expr,
        limit: Expr,
        step: Option<Expr>,
        body: Block,
        end_line: u32,
    },
    GenericFor {
        vars: Vec<(LocalId, u32)>,
        exprs: Vec<Expr>,
        body: Block,
        end_line: u32,
    },
    Return(Vec<Expr>),
    Break,
}

/// The name of `function a.b:c()`: a variable, fields, an optional method name (with lines).
#[derive(Clone, Debug, PartialEq)]
pub struct FuncName {
    pub base: NameRef,
    pub fields: Vec<(String, u32)>,
    pub method: Option<(String, u32)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// `linedefined`: the line of `function` for a statement, of the token after
    /// `function` (or after the name of `local function f`) otherwise.
    pub line: u32,
    /// The parameters in order (`self` first for a method).
    pub params: Vec<LocalId>,
    pub is_vararg: bool,
    /// The implicit `arg` local of a vararg function.
    pub arg: Option<LocalId>,
    pub body: Block,
    /// The line of `end`.
    pub end_line: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub line: u32,
    pub kind: ExprKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    /// Lua 5.1's left and right priorities (`..` and `^` are right associative).
    pub fn priority(self) -> (u8, u8) {
        match self {
            BinOp::Add | BinOp::Sub => (6, 6),
            BinOp::Mul | BinOp::Div | BinOp::Mod => (7, 7),
            BinOp::Pow => (10, 9),
            BinOp::Concat => (5, 4),
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => (3, 3),
            BinOp::And => (2, 2),
            BinOp::Or => (1, 1),
        }
    }

    #[allow(dead_code)]
    pub fn text(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Pow => "^",
            BinOp::Concat => "..",
            BinOp::Eq => "==",
            BinOp::Ne => "~=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
}

/// The priority of unary operators: above every binary one but `^`.
pub const UNARY_PRIORITY: u8 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    Len,
}

impl UnOp {
    #[allow(dead_code)]
    pub fn text(self) -> &'static str {
        match self {
            UnOp::Neg => "-",
            UnOp::Not => "not",
            UnOp::Len => "#",
        }
    }
}

/// A table constructor field.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    /// `value` (the next array slot).
    Item(Expr),
    /// `name = value`.
    Named {
        name: String,
        name_line: u32,
        value: Expr,
    },
    /// `[key] = value`.
    Keyed { key: Expr, value: Expr },
}

/// How a call's arguments are written. `f{...}` and `f'...'` are kept as written: in
/// parentheses the argument would be one expression level deeper (Lua 5.1 counts levels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgStyle {
    /// `f(a, b)`.
    Parens,
    /// `f{...}`: `args` is one table constructor.
    Table,
    /// `f'...'`: `args` is one string.
    String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Nil,
    True,
    False,
    Vararg,
    Number(f64),
    String(Vec<u8>),
    Name(NameRef),
    Function(Box<Function>),
    Table {
        fields: Vec<Field>,
        close_line: u32,
    },
    Binary {
        op: BinOp,
        op_line: u32,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Unary {
        op: UnOp,
        op_line: u32,
        operand: Box<Expr>,
    },
    /// `(e)`: keeps one value of a call or `...`, and is not assignable.
    Paren {
        inner: Box<Expr>,
        close_line: u32,
    },
    /// `object[key]`.
    Index {
        object: Box<Expr>,
        key: Box<Expr>,
    },
    /// `object.name`.
    Field {
        object: Box<Expr>,
        name: String,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Expr>,
        style: ArgStyle,
        close_line: u32,
    },
    MethodCall {
        object: Box<Expr>,
        method: String,
        method_line: u32,
        args: Vec<Expr>,
        style: ArgStyle,
        close_line: u32,
    },
}

impl Expr {
    pub fn new(line: u32, kind: ExprKind) -> Expr {
        Expr { line, kind }
    }
}

/// Moves the sub-expressions of `kind` that can nest without bound (operator chains,
/// `a.b.c...`, `f()()...`) to `out`, leaving placeholders.
fn take_children(kind: &mut ExprKind, out: &mut Vec<Expr>) {
    let mut take =
        |e: &mut Box<Expr>| out.push(std::mem::replace(&mut **e, Expr::new(0, ExprKind::Nil)));
    match kind {
        ExprKind::Binary { left, right, .. } => {
            take(left);
            take(right);
        }
        ExprKind::Unary { operand, .. } => take(operand),
        ExprKind::Paren { inner, .. } => take(inner),
        ExprKind::Index { object, key } => {
            take(object);
            take(key);
        }
        ExprKind::Field { object, .. } => take(object),
        ExprKind::Call { callee, args, .. } => {
            take(callee);
            out.append(args);
        }
        ExprKind::MethodCall { object, args, .. } => {
            take(object);
            out.append(args);
        }
        _ => {}
    }
}

/// Dropping is iterative: `1+1+...+1` nests as deep as it is long, which Lua 5.1 accepts and
/// a recursive drop would overflow the stack on.
impl Drop for Expr {
    fn drop(&mut self) {
        let nested = |k: &ExprKind| {
            matches!(
                k,
                ExprKind::Binary { .. }
                    | ExprKind::Unary { .. }
                    | ExprKind::Paren { .. }
                    | ExprKind::Index { .. }
                    | ExprKind::Field { .. }
                    | ExprKind::Call { .. }
                    | ExprKind::MethodCall { .. }
            )
        };
        if !nested(&self.kind) {
            return;
        }
        let mut pending = Vec::new();
        take_children(&mut self.kind, &mut pending);
        while let Some(mut e) = pending.pop() {
            if nested(&e.kind) {
                take_children(&mut e.kind, &mut pending);
            }
        }
    }
}
