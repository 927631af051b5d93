//! Function prototypes and the instruction set: a register machine modelled on Lua 5.1's
//! opcodes (same operands and meaning, so that code generation and the error messages that
//! name variables follow 5.1), encoded as a Rust enum of 8 bytes per instruction.
//!
//! Operand conventions (as lopcodes.h): `a`, `b`, `c` are registers of the current frame;
//! an `Rk` operand is a register below [`RK_CONST`] or a constant index plus `RK_CONST`;
//! jumps are relative to the next instruction. `Eq`/`Lt`/`Le`/`Test`/`TestSet`/`TForLoop`
//! are always followed by a `Jmp`, taken or skipped.

use crate::value::{LuaStr, Value};
use std::rc::Rc;

/// RK operands at or above this are constants (`ISK`).
pub const RK_CONST: u16 = 256;
/// LFIELDS_PER_FLUSH: values stored by one SETLIST block.
pub const FIELDS_PER_FLUSH: u32 = 50;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Move {
        a: u8,
        b: u8,
    },
    LoadK {
        a: u8,
        k: u32,
    },
    /// R(a) = b; if c, skip the next instruction.
    LoadBool {
        a: u8,
        b: bool,
        c: bool,
    },
    /// R(a..=b) = nil.
    LoadNil {
        a: u8,
        b: u8,
    },
    GetUpval {
        a: u8,
        b: u8,
    },
    GetGlobal {
        a: u8,
        k: u32,
    },
    GetTable {
        a: u8,
        b: u8,
        c: u16,
    },
    SetGlobal {
        a: u8,
        k: u32,
    },
    SetUpval {
        a: u8,
        b: u8,
    },
    /// R(a)[RK(b)] = RK(c).
    SetTable {
        a: u8,
        b: u16,
        c: u16,
    },
    /// Array and hash sizes in Lua 5.1's "floating point byte" encoding.
    NewTable {
        a: u8,
        b: u8,
        c: u8,
    },
    /// R(a+1) = R(b); R(a) = R(b)[RK(c)].
    SelfOp {
        a: u8,
        b: u8,
        c: u16,
    },
    Add {
        a: u8,
        b: u16,
        c: u16,
    },
    Sub {
        a: u8,
        b: u16,
        c: u16,
    },
    Mul {
        a: u8,
        b: u16,
        c: u16,
    },
    Div {
        a: u8,
        b: u16,
        c: u16,
    },
    Mod {
        a: u8,
        b: u16,
        c: u16,
    },
    Pow {
        a: u8,
        b: u16,
        c: u16,
    },
    Unm {
        a: u8,
        b: u8,
    },
    Not {
        a: u8,
        b: u8,
    },
    Len {
        a: u8,
        b: u8,
    },
    /// R(a) = R(b) .. ... .. R(c).
    Concat {
        a: u8,
        b: u8,
        c: u8,
    },
    Jmp {
        sbx: i32,
    },
    /// if (RK(b) == RK(c)) ~= a then skip the next instruction (a jump).
    Eq {
        a: bool,
        b: u16,
        c: u16,
    },
    Lt {
        a: bool,
        b: u16,
        c: u16,
    },
    Le {
        a: bool,
        b: u16,
        c: u16,
    },
    /// if truth(R(a)) ~= c then skip the next instruction.
    Test {
        a: u8,
        c: bool,
    },
    /// if truth(R(b)) == c then R(a) = R(b) else skip the next instruction.
    TestSet {
        a: u8,
        b: u8,
        c: bool,
    },
    /// b-1 arguments (0: up to the top), c-1 results (0: all, setting the top).
    Call {
        a: u8,
        b: u8,
        c: u8,
    },
    TailCall {
        a: u8,
        b: u8,
    },
    /// Returns R(a..a+b-2) (b = 0: up to the top).
    Return {
        a: u8,
        b: u8,
    },
    ForLoop {
        a: u8,
        sbx: i32,
    },
    ForPrep {
        a: u8,
        sbx: i32,
    },
    /// R(a+3..a+2+c) = R(a)(R(a+1), R(a+2)): the call half of 5.1's TFORLOOP, split off
    /// (as Lua 5.2 does) so that a Lua iterator runs as an ordinary frame.
    TForCall {
        a: u8,
        c: u8,
    },
    /// if R(a+3) ~= nil then R(a+2) = R(a+3) and jump: the loop half of 5.1's TFORLOOP.
    TForLoop {
        a: u8,
        sbx: i32,
    },
    /// R(a)[(c-1)*50+i] = R(a+i) for 1 <= i <= b (b = 0: up to the top).
    SetList {
        a: u8,
        b: u8,
        c: u32,
    },
    /// Closes upvalues of registers >= a.
    Close {
        a: u8,
    },
    Closure {
        a: u8,
        bx: u32,
    },
    /// R(a..a+b-2) = the varargs (b = 0: all, setting the top).
    Vararg {
        a: u8,
        b: u8,
    },
}

impl Op {
    /// The register an instruction writes as its `A` operand, if it has one (`testAMode`).
    pub fn sets_a(&self) -> Option<u8> {
        let mut op = *self;
        op.written_a_mut().copied()
    }

    /// The `A` operand of an instruction that writes it (`testAMode`), to change: the
    /// compiler's `SETARG_A` when it places a relocatable expression in a register.
    pub fn written_a_mut(&mut self) -> Option<&mut u8> {
        use Op::*;
        match self {
            Move { a, .. }
            | LoadK { a, .. }
            | LoadBool { a, .. }
            | LoadNil { a, .. }
            | GetUpval { a, .. }
            | GetGlobal { a, .. }
            | GetTable { a, .. }
            | NewTable { a, .. }
            | SelfOp { a, .. }
            | Add { a, .. }
            | Sub { a, .. }
            | Mul { a, .. }
            | Div { a, .. }
            | Mod { a, .. }
            | Pow { a, .. }
            | Unm { a, .. }
            | Not { a, .. }
            | Len { a, .. }
            | Concat { a, .. }
            | Test { a, .. }
            | TestSet { a, .. }
            | Call { a, .. }
            | TailCall { a, .. }
            | ForLoop { a, .. }
            | ForPrep { a, .. }
            | Closure { a, .. }
            | Vararg { a, .. } => Some(a),
            _ => None,
        }
    }
}

/// How a closure finds each upvalue when it is created.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UpvalDesc {
    /// A register of the enclosing function.
    Local(u8),
    /// An upvalue of the enclosing function.
    Upval(u8),
}

/// A local variable's name and the instructions where it is active (`LocVar`).
#[derive(Clone, Debug)]
pub struct LocVar {
    pub name: String,
    pub start_pc: u32,
    pub end_pc: u32,
}

#[derive(Debug, Default)]
pub struct Proto {
    pub code: Vec<Op>,
    /// The source line of each instruction.
    pub lines: Vec<u32>,
    pub constants: Vec<Value>,
    pub protos: Vec<Rc<Proto>>,
    pub upvals: Vec<UpvalDesc>,
    pub upval_names: Vec<String>,
    pub locals: Vec<LocVar>,
    pub num_params: u8,
    pub is_vararg: bool,
    /// Lua 5.1's LUA_COMPAT_VARARG: the function declares `...` but never uses it, so it
    /// gets the old-style `arg` table.
    pub needs_arg: bool,
    pub max_stack: u8,
    pub line_defined: u32,
    pub last_line_defined: u32,
    /// The chunk's name as errors print it (`user_script`, `[string "..."]`).
    pub source: Rc<str>,
    /// The name `loadstring`/`load` were given (the code itself by default): 5.1's
    /// `source`, which `debug.getinfo` (and Redis's error handler) reports. None for chunks
    /// the host compiled with `Vm::load`.
    pub chunk_name: Option<crate::value::LuaStr>,
}

impl Proto {
    /// `luaF_getlocalname`: the name of the `n`-th (1-based) active local at `pc`.
    pub fn local_name(&self, n: usize, pc: usize) -> Option<&str> {
        let mut n = n;
        for l in &self.locals {
            if l.start_pc as usize > pc {
                break;
            }
            if pc < l.end_pc as usize {
                n -= 1;
                if n == 0 {
                    return Some(&l.name);
                }
            }
        }
        None
    }

    /// The constant string at `k`, for messages.
    pub fn constant_str(&self, k: usize) -> Option<&LuaStr> {
        match self.constants.get(k) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }
}

/// A listing of a prototype and its children (for debugging the compiler).
pub fn disassemble(p: &Proto) -> String {
    let mut out = String::new();
    disassemble_into(p, &mut out, 0);
    out
}

fn disassemble_into(p: &Proto, out: &mut String, depth: usize) {
    use std::fmt::Write;
    let pad = "  ".repeat(depth);
    let _ = writeln!(
        out,
        "{pad}function <{}:{}> params={} vararg={} maxstack={} upvals={:?}",
        p.source, p.line_defined, p.num_params, p.is_vararg, p.max_stack, p.upval_names
    );
    for (i, op) in p.code.iter().enumerate() {
        let _ = writeln!(
            out,
            "{pad}  {i:4} [{}] {op:?}",
            p.lines.get(i).copied().unwrap_or(0)
        );
    }
    for (i, k) in p.constants.iter().enumerate() {
        let _ = writeln!(out, "{pad}  k{i} = {k:?}");
    }
    for l in &p.locals {
        let _ = writeln!(out, "{pad}  local {} {}..{}", l.name, l.start_pc, l.end_pc);
    }
    for child in &p.protos {
        disassemble_into(child, out, depth + 1);
    }
}
