//! The code generator: the syntax tree to register bytecode, following Lua 5.1's
//! `lparser.c`/`lcode.c` decisions (expression descriptors, jump lists patched in place,
//! register allocation, constant folding, `a > b` compiled as `b < a`, table constructor
//! sizes). Generating the same register layout as 5.1 matters beyond speed: runtime
//! errors name variables by looking at the instruction that loaded a register (see
//! `debug.rs`), so the code must load them the way 5.1 does for the names to match.
//!
//! Long left-nested chains (`1+1+...+1`, `a.b.c...`, `f()()...`) are walked iteratively, as
//! 5.1's parser loops over them; other nesting is bounded by the parser's 200 levels.

use crate::proto::{LocVar, Op, Proto, UpvalDesc, FIELDS_PER_FLUSH, RK_CONST};
use crate::syntax::ast::*;
use crate::syntax::SyntaxError;
use crate::value::{LuaStr, Value};
use crate::vm::{arith_num, Arith};
use std::collections::HashMap;
use std::rc::Rc;

const NO_JUMP: i32 = -1;
/// MAXSTACK: registers per function.
const MAX_REGISTERS: u32 = 250;
/// MAXINDEXRK: constants an RK operand can name.
const MAX_INDEX_RK: u32 = 255;
/// MAXARG_Bx: constants per function.
const MAX_CONSTANTS: u32 = (1 << 18) - 1;
/// MAXARG_sBx: the longest jump.
const MAX_JUMP: i32 = (1 << 17) - 1;
/// MAXARG_C: SETLIST block numbers in the instruction itself.
const MAX_C: u32 = 511;
/// A register number meaning "no register" for jump patching.
const NO_REG: u32 = 255;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Void,
    Nil,
    True,
    False,
    K(u32),
    KNum(f64),
    Local(u32),
    Upval(u32),
    Global(u32),
    /// A table register and a key RK.
    Indexed(u32, u32),
    /// A comparison: the pc of its jump.
    Jmp(usize),
    /// An instruction whose target register is still to be set.
    Relocable(usize),
    NonReloc(u32),
    Call(usize),
    Vararg(usize),
}

#[derive(Clone, Copy, Debug)]
struct ExpDesc {
    k: Kind,
    t: i32,
    f: i32,
}

impl ExpDesc {
    fn new(k: Kind) -> ExpDesc {
        ExpDesc {
            k,
            t: NO_JUMP,
            f: NO_JUMP,
        }
    }

    fn has_jumps(&self) -> bool {
        self.t != self.f
    }

    fn is_numeral(&self) -> bool {
        matches!(self.k, Kind::KNum(_)) && self.t == NO_JUMP && self.f == NO_JUMP
    }

    fn has_multret(&self) -> bool {
        matches!(self.k, Kind::Call(_) | Kind::Vararg(_))
    }
}

struct BlockScope {
    break_list: i32,
    nactvar: u32,
    upval: bool,
    breakable: bool,
}

#[derive(Hash, PartialEq, Eq)]
enum ConstKey {
    Nil,
    Bool(bool),
    Num(u64),
    Str(Vec<u8>),
}

struct FuncState {
    proto: Proto,
    constants: HashMap<ConstKey, u32>,
    /// Active locals: their ids and their `proto.locals` entry; the i-th is register i.
    actvar: Vec<(LocalId, usize)>,
    upvals: Vec<LocalId>,
    blocks: Vec<BlockScope>,
    freereg: u32,
    jpc: i32,
    last_target: i32,
    uses_vararg: bool,
}

impl FuncState {
    fn new(source: Rc<str>, line: u32, is_vararg: bool) -> FuncState {
        let proto = Proto {
            source,
            line_defined: line,
            is_vararg,
            max_stack: 2,
            ..Proto::default()
        };
        FuncState {
            proto,
            constants: HashMap::new(),
            actvar: Vec::new(),
            upvals: Vec::new(),
            blocks: Vec::new(),
            freereg: 0,
            jpc: NO_JUMP,
            last_target: 0,
            uses_vararg: false,
        }
    }

    fn nactvar(&self) -> u32 {
        self.actvar.len() as u32
    }

    fn pc(&self) -> usize {
        self.proto.code.len()
    }
}

pub struct Compiler<'a> {
    chunk: &'a Chunk,
    funcs: Vec<FuncState>,
    line: u32,
    /// One string object per distinct constant of the chunk, shared by all its functions
    /// (as 5.1's interned strings are), so key comparisons are mostly pointer checks.
    strings: HashMap<Vec<u8>, LuaStr>,
}

type CResult<T> = Result<T, SyntaxError>;

/// Compiles a parsed chunk into the prototype of its main function.
pub fn compile(chunk: &Chunk, source: &str) -> Result<Rc<Proto>, SyntaxError> {
    let mut c = Compiler {
        chunk,
        funcs: Vec::new(),
        line: 1,
        strings: HashMap::new(),
    };
    let source: Rc<str> = source.into();
    c.funcs.push(FuncState::new(source, 0, true));
    c.statements(&chunk.block)?;
    let last = chunk.block.stats.last().map_or(1, |s| s.line);
    c.line = last;
    let p = c.close_function()?;
    Ok(Rc::new(p))
}

fn get_sbx(op: &Op) -> i32 {
    match *op {
        Op::Jmp { sbx }
        | Op::ForLoop { sbx, .. }
        | Op::ForPrep { sbx, .. }
        | Op::TForLoop { sbx, .. } => sbx,
        _ => NO_JUMP,
    }
}

fn set_sbx(op: &mut Op, v: i32) {
    match op {
        Op::Jmp { sbx }
        | Op::ForLoop { sbx, .. }
        | Op::ForPrep { sbx, .. }
        | Op::TForLoop { sbx, .. } => *sbx = v,
        _ => {}
    }
}

fn is_test_op(op: &Op) -> bool {
    matches!(
        op,
        Op::Eq { .. } | Op::Lt { .. } | Op::Le { .. } | Op::Test { .. } | Op::TestSet { .. }
    )
}

impl<'a> Compiler<'a> {
    fn fs(&mut self) -> &mut FuncState {
        self.funcs.last_mut().expect("a function is always open")
    }

    fn fsr(&self) -> &FuncState {
        self.funcs.last().expect("a function is always open")
    }

    fn error(&self, msg: &str) -> SyntaxError {
        SyntaxError {
            line: self.line,
            message: msg.as_bytes().to_vec(),
        }
    }

    // ---- emission and jumps (lcode.c) ----

    fn code(&mut self, op: Op) -> CResult<usize> {
        self.discharge_jpc()?;
        let line = self.line;
        let fs = self.fs();
        fs.proto.code.push(op);
        fs.proto.lines.push(line);
        Ok(fs.proto.code.len() - 1)
    }

    fn fix_line(&mut self, line: u32) {
        if let Some(l) = self.fs().proto.lines.last_mut() {
            *l = line;
        }
    }

    fn get_label(&mut self) -> usize {
        let fs = self.fs();
        fs.last_target = fs.pc() as i32;
        fs.pc()
    }

    fn get_jump(&self, pc: i32) -> i32 {
        let offset = get_sbx(&self.fsr().proto.code[pc as usize]);
        if offset == NO_JUMP {
            NO_JUMP
        } else {
            pc + 1 + offset
        }
    }

    fn fix_jump(&mut self, pc: i32, dest: i32) -> CResult<()> {
        let offset = dest - (pc + 1);
        if offset.abs() > MAX_JUMP {
            return Err(self.error("control structure too long"));
        }
        set_sbx(&mut self.fs().proto.code[pc as usize], offset);
        Ok(())
    }

    fn jump_control(&self, pc: i32) -> usize {
        let code = &self.fsr().proto.code;
        let pc = pc as usize;
        if pc >= 1 && is_test_op(&code[pc - 1]) {
            pc - 1
        } else {
            pc
        }
    }

    fn concat_jumps(&mut self, l1: &mut i32, l2: i32) -> CResult<()> {
        if l2 == NO_JUMP {
            return Ok(());
        }
        if *l1 == NO_JUMP {
            *l1 = l2;
            return Ok(());
        }
        let mut list = *l1;
        loop {
            let next = self.get_jump(list);
            if next == NO_JUMP {
                break;
            }
            list = next;
        }
        self.fix_jump(list, l2)
    }

    fn jump(&mut self) -> CResult<i32> {
        let jpc = std::mem::replace(&mut self.fs().jpc, NO_JUMP);
        let mut j = self.code(Op::Jmp { sbx: NO_JUMP })? as i32;
        self.concat_jumps(&mut j, jpc)?;
        Ok(j)
    }

    fn cond_jump(&mut self, op: Op) -> CResult<i32> {
        self.code(op)?;
        self.jump()
    }

    fn need_value(&self, mut list: i32) -> bool {
        while list != NO_JUMP {
            let i = self.jump_control(list);
            if !matches!(self.fsr().proto.code[i], Op::TestSet { .. }) {
                return true;
            }
            list = self.get_jump(list);
        }
        false
    }

    fn patch_test_reg(&mut self, node: i32, reg: u32) -> bool {
        let i = self.jump_control(node);
        let code = &mut self.fs().proto.code;
        if let Op::TestSet { b, c, .. } = code[i] {
            if reg != NO_REG && reg != b as u32 {
                code[i] = Op::TestSet { a: reg as u8, b, c };
            } else {
                code[i] = Op::Test { a: b, c };
            }
            true
        } else {
            false
        }
    }

    fn remove_values(&mut self, mut list: i32) {
        while list != NO_JUMP {
            self.patch_test_reg(list, NO_REG);
            list = self.get_jump(list);
        }
    }

    fn patch_list_aux(
        &mut self,
        mut list: i32,
        vtarget: i32,
        reg: u32,
        dtarget: i32,
    ) -> CResult<()> {
        while list != NO_JUMP {
            let next = self.get_jump(list);
            if self.patch_test_reg(list, reg) {
                self.fix_jump(list, vtarget)?;
            } else {
                self.fix_jump(list, dtarget)?;
            }
            list = next;
        }
        Ok(())
    }

    fn discharge_jpc(&mut self) -> CResult<()> {
        let pc = self.fsr().pc() as i32;
        let jpc = std::mem::replace(&mut self.fs().jpc, NO_JUMP);
        self.patch_list_aux(jpc, pc, NO_REG, pc)
    }

    fn patch_list(&mut self, list: i32, target: usize) -> CResult<()> {
        if target == self.fsr().pc() {
            self.patch_to_here(list)
        } else {
            self.patch_list_aux(list, target as i32, NO_REG, target as i32)
        }
    }

    fn patch_to_here(&mut self, list: i32) -> CResult<()> {
        self.get_label();
        let mut jpc = self.fsr().jpc;
        self.concat_jumps(&mut jpc, list)?;
        self.fs().jpc = jpc;
        Ok(())
    }

    // ---- registers and constants ----

    fn check_stack(&mut self, n: u32) -> CResult<()> {
        let newstack = self.fsr().freereg + n;
        if newstack > self.fsr().proto.max_stack as u32 {
            if newstack >= MAX_REGISTERS {
                return Err(self.error("function or expression too complex"));
            }
            self.fs().proto.max_stack = newstack as u8;
        }
        Ok(())
    }

    fn reserve_regs(&mut self, n: u32) -> CResult<()> {
        self.check_stack(n)?;
        self.fs().freereg += n;
        Ok(())
    }

    fn free_reg(&mut self, reg: u32) {
        if reg < RK_CONST as u32 && reg >= self.fsr().nactvar() {
            let fs = self.fs();
            fs.freereg = fs.freereg.saturating_sub(1);
        }
    }

    fn free_exp(&mut self, e: &ExpDesc) {
        if let Kind::NonReloc(r) = e.k {
            self.free_reg(r);
        }
    }

    fn add_constant(&mut self, key: ConstKey, v: Value) -> CResult<u32> {
        if let Some(&i) = self.fsr().constants.get(&key) {
            return Ok(i);
        }
        let n = self.fsr().proto.constants.len() as u32;
        if n >= MAX_CONSTANTS {
            return Err(self.error("constant table overflow"));
        }
        let fs = self.fs();
        fs.proto.constants.push(v);
        fs.constants.insert(key, n);
        Ok(n)
    }

    fn string_k(&mut self, s: &[u8]) -> CResult<u32> {
        let shared = self
            .strings
            .entry(s.to_vec())
            .or_insert_with(|| LuaStr::new(s))
            .clone();
        self.add_constant(ConstKey::Str(s.to_vec()), Value::Str(shared))
    }

    fn number_k(&mut self, n: f64) -> CResult<u32> {
        // Keyed by value as 5.1's constant table is: 0 and -0 share an entry.
        let bits = if n == 0.0 { 0 } else { n.to_bits() };
        self.add_constant(ConstKey::Num(bits), Value::Number(n))
    }

    fn load_nil(&mut self, from: u32, n: u32) -> CResult<()> {
        let fs = self.fsr();
        if fs.pc() as i32 > fs.last_target {
            if fs.pc() == 0 {
                if from >= fs.nactvar() {
                    return Ok(());
                }
            } else if let Some(Op::LoadNil { a, b }) = fs.proto.code.last().copied() {
                let (pfrom, pto) = (a as u32, b as u32);
                if pfrom <= from && from <= pto + 1 {
                    if from + n - 1 > pto {
                        if let Some(Op::LoadNil { b, .. }) = self.fs().proto.code.last_mut() {
                            *b = (from + n - 1) as u8;
                        }
                    }
                    return Ok(());
                }
            }
        }
        self.code(Op::LoadNil {
            a: from as u8,
            b: (from + n - 1) as u8,
        })?;
        Ok(())
    }

    // ---- expression discharge (lcode.c) ----

    fn set_returns(&mut self, e: &ExpDesc, nresults: i32) -> CResult<()> {
        match e.k {
            Kind::Call(pc) => {
                if let Op::Call { c, .. } = &mut self.fs().proto.code[pc] {
                    *c = (nresults + 1) as u8;
                }
            }
            Kind::Vararg(pc) => {
                let freereg = self.fsr().freereg as u8;
                if let Op::Vararg { a, b } = &mut self.fs().proto.code[pc] {
                    *b = (nresults + 1) as u8;
                    *a = freereg;
                }
                self.reserve_regs(1)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn set_one_ret(&mut self, e: &mut ExpDesc) {
        match e.k {
            Kind::Call(pc) => {
                if let Op::Call { a, .. } = self.fsr().proto.code[pc] {
                    e.k = Kind::NonReloc(a as u32);
                }
            }
            Kind::Vararg(pc) => {
                if let Op::Vararg { b, .. } = &mut self.fs().proto.code[pc] {
                    *b = 2;
                }
                e.k = Kind::Relocable(pc);
            }
            _ => {}
        }
    }

    fn discharge_vars(&mut self, e: &mut ExpDesc) -> CResult<()> {
        match e.k {
            Kind::Local(r) => e.k = Kind::NonReloc(r),
            Kind::Upval(u) => e.k = Kind::Relocable(self.code(Op::GetUpval { a: 0, b: u as u8 })?),
            Kind::Global(k) => e.k = Kind::Relocable(self.code(Op::GetGlobal { a: 0, k })?),
            Kind::Indexed(t, key) => {
                self.free_reg(key);
                self.free_reg(t);
                e.k = Kind::Relocable(self.code(Op::GetTable {
                    a: 0,
                    b: t as u8,
                    c: key as u16,
                })?);
            }
            Kind::Call(_) | Kind::Vararg(_) => self.set_one_ret(e),
            _ => {}
        }
        Ok(())
    }

    fn code_label(&mut self, a: u32, b: bool, jump: bool) -> CResult<i32> {
        self.get_label();
        Ok(self.code(Op::LoadBool {
            a: a as u8,
            b,
            c: jump,
        })? as i32)
    }

    fn discharge_to_reg(&mut self, e: &mut ExpDesc, reg: u32) -> CResult<()> {
        self.discharge_vars(e)?;
        match e.k {
            Kind::Nil => self.load_nil(reg, 1)?,
            Kind::True | Kind::False => {
                self.code(Op::LoadBool {
                    a: reg as u8,
                    b: e.k == Kind::True,
                    c: false,
                })?;
            }
            Kind::K(k) => {
                self.code(Op::LoadK { a: reg as u8, k })?;
            }
            Kind::KNum(n) => {
                let k = self.number_k(n)?;
                self.code(Op::LoadK { a: reg as u8, k })?;
            }
            Kind::Relocable(pc) => {
                if let Some(a) = self.fs().proto.code[pc].written_a_mut() {
                    *a = reg as u8;
                }
            }
            Kind::NonReloc(r) => {
                if reg != r {
                    self.code(Op::Move {
                        a: reg as u8,
                        b: r as u8,
                    })?;
                }
            }
            _ => return Ok(()),
        }
        e.k = Kind::NonReloc(reg);
        Ok(())
    }

    fn discharge_to_any_reg(&mut self, e: &mut ExpDesc) -> CResult<()> {
        if !matches!(e.k, Kind::NonReloc(_)) {
            self.reserve_regs(1)?;
            let r = self.fsr().freereg - 1;
            self.discharge_to_reg(e, r)?;
        }
        Ok(())
    }

    fn exp_to_reg(&mut self, e: &mut ExpDesc, reg: u32) -> CResult<()> {
        self.discharge_to_reg(e, reg)?;
        if let Kind::Jmp(pc) = e.k {
            let mut t = e.t;
            self.concat_jumps(&mut t, pc as i32)?;
            e.t = t;
        }
        if e.has_jumps() {
            let mut p_f = NO_JUMP;
            let mut p_t = NO_JUMP;
            if self.need_value(e.t) || self.need_value(e.f) {
                let fj = if matches!(e.k, Kind::Jmp(_)) {
                    NO_JUMP
                } else {
                    self.jump()?
                };
                p_f = self.code_label(reg, false, true)?;
                p_t = self.code_label(reg, true, false)?;
                self.patch_to_here(fj)?;
            }
            let final_ = self.get_label() as i32;
            self.patch_list_aux(e.f, final_, reg, p_f)?;
            self.patch_list_aux(e.t, final_, reg, p_t)?;
        }
        e.f = NO_JUMP;
        e.t = NO_JUMP;
        e.k = Kind::NonReloc(reg);
        Ok(())
    }

    fn exp_to_next_reg(&mut self, e: &mut ExpDesc) -> CResult<()> {
        self.discharge_vars(e)?;
        self.free_exp(e);
        self.reserve_regs(1)?;
        let r = self.fsr().freereg - 1;
        self.exp_to_reg(e, r)
    }

    fn exp_to_any_reg(&mut self, e: &mut ExpDesc) -> CResult<u32> {
        self.discharge_vars(e)?;
        if let Kind::NonReloc(r) = e.k {
            if !e.has_jumps() {
                return Ok(r);
            }
            if r >= self.fsr().nactvar() {
                self.exp_to_reg(e, r)?;
                return Ok(r);
            }
        }
        self.exp_to_next_reg(e)?;
        match e.k {
            Kind::NonReloc(r) => Ok(r),
            _ => Err(self.error("internal error: expression not in a register")),
        }
    }

    fn exp_to_val(&mut self, e: &mut ExpDesc) -> CResult<()> {
        if e.has_jumps() {
            self.exp_to_any_reg(e)?;
            Ok(())
        } else {
            self.discharge_vars(e)
        }
    }

    fn exp_to_rk(&mut self, e: &mut ExpDesc) -> CResult<u32> {
        self.exp_to_val(e)?;
        match e.k {
            Kind::KNum(_) | Kind::True | Kind::False | Kind::Nil
                if self.fsr().proto.constants.len() as u32 <= MAX_INDEX_RK =>
            {
                let k = match e.k {
                    Kind::Nil => self.add_constant(ConstKey::Nil, Value::Nil)?,
                    Kind::KNum(n) => self.number_k(n)?,
                    Kind::True => self.add_constant(ConstKey::Bool(true), Value::Bool(true))?,
                    _ => self.add_constant(ConstKey::Bool(false), Value::Bool(false))?,
                };
                e.k = Kind::K(k);
                return Ok(k + RK_CONST as u32);
            }
            Kind::K(k) if k <= MAX_INDEX_RK => return Ok(k + RK_CONST as u32),
            _ => {}
        }
        self.exp_to_any_reg(e)
    }

    fn store_var(&mut self, var: &ExpDesc, ex: &mut ExpDesc) -> CResult<()> {
        match var.k {
            Kind::Local(r) => {
                self.free_exp(ex);
                return self.exp_to_reg(ex, r);
            }
            Kind::Upval(u) => {
                let e = self.exp_to_any_reg(ex)?;
                self.code(Op::SetUpval {
                    a: e as u8,
                    b: u as u8,
                })?;
            }
            Kind::Global(k) => {
                let e = self.exp_to_any_reg(ex)?;
                self.code(Op::SetGlobal { a: e as u8, k })?;
            }
            Kind::Indexed(t, key) => {
                let e = self.exp_to_rk(ex)?;
                self.code(Op::SetTable {
                    a: t as u8,
                    b: key as u16,
                    c: e as u16,
                })?;
            }
            _ => return Err(self.error("syntax error")),
        }
        self.free_exp(ex);
        Ok(())
    }

    fn code_self(&mut self, e: &mut ExpDesc, key: &mut ExpDesc) -> CResult<()> {
        self.exp_to_any_reg(e)?;
        self.free_exp(e);
        let func = self.fsr().freereg;
        self.reserve_regs(2)?;
        let b = match e.k {
            Kind::NonReloc(r) => r,
            _ => 0,
        };
        let c = self.exp_to_rk(key)?;
        self.code(Op::SelfOp {
            a: func as u8,
            b: b as u8,
            c: c as u16,
        })?;
        self.free_exp(key);
        e.k = Kind::NonReloc(func);
        Ok(())
    }

    fn invert_jump(&mut self, e: &ExpDesc) {
        if let Kind::Jmp(pc) = e.k {
            let i = self.jump_control(pc as i32);
            match &mut self.fs().proto.code[i] {
                Op::Eq { a, .. } | Op::Lt { a, .. } | Op::Le { a, .. } => *a = !*a,
                _ => {}
            }
        }
    }

    fn jump_on_cond(&mut self, e: &mut ExpDesc, cond: bool) -> CResult<i32> {
        if let Kind::Relocable(pc) = e.k {
            if let Op::Not { b, .. } = self.fsr().proto.code[pc] {
                let fs = self.fs();
                fs.proto.code.pop();
                fs.proto.lines.pop();
                return self.cond_jump(Op::Test { a: b, c: !cond });
            }
        }
        self.discharge_to_any_reg(e)?;
        self.free_exp(e);
        let r = match e.k {
            Kind::NonReloc(r) => r,
            _ => 0,
        };
        self.cond_jump(Op::TestSet {
            a: NO_REG as u8,
            b: r as u8,
            c: cond,
        })
    }

    fn go_if_true(&mut self, e: &mut ExpDesc) -> CResult<()> {
        self.discharge_vars(e)?;
        let pc = match e.k {
            Kind::K(_) | Kind::KNum(_) | Kind::True => NO_JUMP,
            Kind::Jmp(pc) => {
                self.invert_jump(e);
                pc as i32
            }
            _ => self.jump_on_cond(e, false)?,
        };
        let mut f = e.f;
        self.concat_jumps(&mut f, pc)?;
        e.f = f;
        self.patch_to_here(e.t)?;
        e.t = NO_JUMP;
        Ok(())
    }

    fn go_if_false(&mut self, e: &mut ExpDesc) -> CResult<()> {
        self.discharge_vars(e)?;
        let pc = match e.k {
            Kind::Nil | Kind::False => NO_JUMP,
            Kind::Jmp(pc) => pc as i32,
            _ => self.jump_on_cond(e, true)?,
        };
        let mut t = e.t;
        self.concat_jumps(&mut t, pc)?;
        e.t = t;
        self.patch_to_here(e.f)?;
        e.f = NO_JUMP;
        Ok(())
    }

    fn code_not(&mut self, e: &mut ExpDesc) -> CResult<()> {
        self.discharge_vars(e)?;
        match e.k {
            Kind::Nil | Kind::False => e.k = Kind::True,
            Kind::K(_) | Kind::KNum(_) | Kind::True => e.k = Kind::False,
            Kind::Jmp(_) => self.invert_jump(e),
            Kind::Relocable(_) | Kind::NonReloc(_) => {
                self.discharge_to_any_reg(e)?;
                self.free_exp(e);
                let r = match e.k {
                    Kind::NonReloc(r) => r,
                    _ => 0,
                };
                e.k = Kind::Relocable(self.code(Op::Not { a: 0, b: r as u8 })?);
            }
            _ => {}
        }
        std::mem::swap(&mut e.f, &mut e.t);
        self.remove_values(e.f);
        self.remove_values(e.t);
        Ok(())
    }

    fn indexed(&mut self, t: &mut ExpDesc, k: &mut ExpDesc) -> CResult<()> {
        let key = self.exp_to_rk(k)?;
        let reg = match t.k {
            Kind::NonReloc(r) | Kind::Local(r) => r,
            _ => return Err(self.error("internal error: indexing a non-register")),
        };
        t.k = Kind::Indexed(reg, key);
        Ok(())
    }

    fn code_arith(&mut self, op: BinOrUn, e1: &mut ExpDesc, e2: &mut ExpDesc) -> CResult<()> {
        if let Some(r) = fold(op, e1, e2) {
            e1.k = Kind::KNum(r);
            return Ok(());
        }
        let o2 = if !matches!(op, BinOrUn::Arith(Arith::Unm) | BinOrUn::Len) {
            self.exp_to_rk(e2)?
        } else {
            0
        };
        let o1 = self.exp_to_rk(e1)?;
        if o1 > o2 {
            self.free_exp(e1);
            self.free_exp(e2);
        } else {
            self.free_exp(e2);
            self.free_exp(e1);
        }
        let (b, c) = (o1 as u16, o2 as u16);
        let ins = match op {
            BinOrUn::Arith(Arith::Add) => Op::Add { a: 0, b, c },
            BinOrUn::Arith(Arith::Sub) => Op::Sub { a: 0, b, c },
            BinOrUn::Arith(Arith::Mul) => Op::Mul { a: 0, b, c },
            BinOrUn::Arith(Arith::Div) => Op::Div { a: 0, b, c },
            BinOrUn::Arith(Arith::Mod) => Op::Mod { a: 0, b, c },
            BinOrUn::Arith(Arith::Pow) => Op::Pow { a: 0, b, c },
            BinOrUn::Arith(Arith::Unm) => Op::Unm { a: 0, b: b as u8 },
            BinOrUn::Len => Op::Len { a: 0, b: b as u8 },
            BinOrUn::Concat => Op::Concat {
                a: 0,
                b: b as u8,
                c: c as u8,
            },
        };
        e1.k = Kind::Relocable(self.code(ins)?);
        Ok(())
    }

    fn code_comp(&mut self, op: BinOp, e1: &mut ExpDesc, e2: &mut ExpDesc) -> CResult<()> {
        let mut o1 = self.exp_to_rk(e1)? as u16;
        let mut o2 = self.exp_to_rk(e2)? as u16;
        self.free_exp(e2);
        self.free_exp(e1);
        let (mut cond, kind) = match op {
            BinOp::Eq => (true, 0),
            BinOp::Ne => (false, 0),
            BinOp::Lt => (true, 1),
            BinOp::Le => (true, 2),
            BinOp::Gt => (false, 1),
            _ => (false, 2),
        };
        if !cond && kind != 0 {
            std::mem::swap(&mut o1, &mut o2);
            cond = true;
        }
        let ins = match kind {
            0 => Op::Eq {
                a: cond,
                b: o1,
                c: o2,
            },
            1 => Op::Lt {
                a: cond,
                b: o1,
                c: o2,
            },
            _ => Op::Le {
                a: cond,
                b: o1,
                c: o2,
            },
        };
        let j = self.cond_jump(ins)?;
        e1.k = Kind::Jmp(j as usize);
        Ok(())
    }

    fn infix(&mut self, op: BinOp, v: &mut ExpDesc) -> CResult<()> {
        match op {
            BinOp::And => self.go_if_true(v),
            BinOp::Or => self.go_if_false(v),
            BinOp::Concat => self.exp_to_next_reg(v),
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod | BinOp::Pow => {
                if !v.is_numeral() {
                    self.exp_to_rk(v)?;
                }
                Ok(())
            }
            _ => {
                self.exp_to_rk(v)?;
                Ok(())
            }
        }
    }

    fn posfix(&mut self, op: BinOp, e1: &mut ExpDesc, e2: &mut ExpDesc) -> CResult<()> {
        match op {
            BinOp::And => {
                self.discharge_vars(e2)?;
                let mut f = e2.f;
                self.concat_jumps(&mut f, e1.f)?;
                e2.f = f;
                *e1 = *e2;
            }
            BinOp::Or => {
                self.discharge_vars(e2)?;
                let mut t = e2.t;
                self.concat_jumps(&mut t, e1.t)?;
                e2.t = t;
                *e1 = *e2;
            }
            BinOp::Concat => {
                self.exp_to_val(e2)?;
                if let Kind::Relocable(pc) = e2.k {
                    if let Op::Concat { .. } = self.fsr().proto.code[pc] {
                        self.free_exp(e1);
                        let b1 = match e1.k {
                            Kind::NonReloc(r) => r as u8,
                            _ => 0,
                        };
                        if let Op::Concat { b, .. } = &mut self.fs().proto.code[pc] {
                            *b = b1;
                        }
                        e1.k = Kind::Relocable(pc);
                        return Ok(());
                    }
                }
                self.exp_to_next_reg(e2)?;
                self.code_arith(BinOrUn::Concat, e1, e2)?;
            }
            BinOp::Add => self.code_arith(BinOrUn::Arith(Arith::Add), e1, e2)?,
            BinOp::Sub => self.code_arith(BinOrUn::Arith(Arith::Sub), e1, e2)?,
            BinOp::Mul => self.code_arith(BinOrUn::Arith(Arith::Mul), e1, e2)?,
            BinOp::Div => self.code_arith(BinOrUn::Arith(Arith::Div), e1, e2)?,
            BinOp::Mod => self.code_arith(BinOrUn::Arith(Arith::Mod), e1, e2)?,
            BinOp::Pow => self.code_arith(BinOrUn::Arith(Arith::Pow), e1, e2)?,
            _ => self.code_comp(op, e1, e2)?,
        }
        Ok(())
    }

    fn set_list(&mut self, base: u32, nelems: u32, tostore: i32) -> CResult<()> {
        let c = (nelems.saturating_sub(1)) / FIELDS_PER_FLUSH + 1;
        let b = if tostore < 0 { 0 } else { tostore as u8 };
        let _ = MAX_C;
        self.code(Op::SetList {
            a: base as u8,
            b,
            c,
        })?;
        self.fs().freereg = base + 1;
        Ok(())
    }

    // ---- scopes ----

    fn enter_block(&mut self, breakable: bool) {
        let fs = self.fs();
        let nactvar = fs.nactvar();
        fs.blocks.push(BlockScope {
            break_list: NO_JUMP,
            nactvar,
            upval: false,
            breakable,
        });
    }

    fn leave_block(&mut self) -> CResult<()> {
        let Some(bl) = self.fs().blocks.pop() else {
            return Ok(());
        };
        self.remove_vars(bl.nactvar);
        if bl.upval {
            self.code(Op::Close {
                a: bl.nactvar as u8,
            })?;
        }
        let fs = self.fs();
        fs.freereg = fs.nactvar();
        self.patch_to_here(bl.break_list)
    }

    /// Declares locals (not yet active): registers their debug entries.
    fn new_local(&mut self, name: &str) -> usize {
        let fs = self.fs();
        fs.proto.locals.push(LocVar {
            name: name.to_string(),
            start_pc: 0,
            end_pc: 0,
        });
        fs.proto.locals.len() - 1
    }

    fn activate_locals(&mut self, vars: &[(LocalId, usize)]) {
        let fs = self.fs();
        let pc = fs.pc() as u32;
        for &(id, idx) in vars {
            fs.proto.locals[idx].start_pc = pc;
            fs.actvar.push((id, idx));
        }
    }

    fn remove_vars(&mut self, to: u32) {
        let fs = self.fs();
        let pc = fs.pc() as u32;
        while fs.actvar.len() as u32 > to {
            if let Some((_, idx)) = fs.actvar.pop() {
                fs.proto.locals[idx].end_pc = pc;
            }
        }
    }

    fn local_name(&self, id: LocalId) -> &str {
        self.chunk
            .locals
            .get(id as usize)
            .map_or("?", |l| l.name.as_str())
    }

    fn local_register(fs: &FuncState, id: LocalId) -> Option<u32> {
        fs.actvar
            .iter()
            .rposition(|&(l, _)| l == id)
            .map(|r| r as u32)
    }

    /// The upvalue index of outer local `id` in function `level`, adding it (and to the
    /// functions in between) if needed.
    fn upvalue_index(&mut self, level: usize, id: LocalId) -> CResult<u32> {
        if let Some(i) = self.funcs[level].upvals.iter().position(|&u| u == id) {
            return Ok(i as u32);
        }
        if level == 0 {
            return Err(self.error("internal error: upvalue of the main function"));
        }
        let parent = level - 1;
        let desc = match Self::local_register(&self.funcs[parent], id) {
            Some(reg) => {
                // markupval: the block that declared the local must close it.
                let fs = &mut self.funcs[parent];
                if let Some(bl) = fs.blocks.iter_mut().rev().find(|b| b.nactvar <= reg) {
                    bl.upval = true;
                }
                UpvalDesc::Local(reg as u8)
            }
            None => UpvalDesc::Upval(self.upvalue_index(parent, id)? as u8),
        };
        let name = self.local_name(id).to_string();
        let fs = &mut self.funcs[level];
        fs.upvals.push(id);
        fs.proto.upvals.push(desc);
        fs.proto.upval_names.push(name);
        Ok((fs.upvals.len() - 1) as u32)
    }

    fn single_var(&mut self, name: &NameRef) -> CResult<ExpDesc> {
        match name.resolution {
            Resolution::Local(id) => match Self::local_register(self.fsr(), id) {
                Some(r) => Ok(ExpDesc::new(Kind::Local(r))),
                None => Err(self.error("internal error: unknown local")),
            },
            Resolution::Upvalue(id) => {
                let level = self.funcs.len() - 1;
                Ok(ExpDesc::new(Kind::Upval(self.upvalue_index(level, id)?)))
            }
            Resolution::Global => {
                let k = self.string_k(name.name.as_bytes())?;
                Ok(ExpDesc::new(Kind::Global(k)))
            }
        }
    }

    // ---- functions ----

    fn close_function(&mut self) -> CResult<Proto> {
        self.code(Op::Return { a: 0, b: 1 })?;
        self.remove_vars(0);
        let Some(fs) = self.funcs.pop() else {
            return Err(self.error("internal error: no function"));
        };
        let mut p = fs.proto;
        p.needs_arg = p.needs_arg && !fs.uses_vararg;
        Ok(p)
    }

    fn function_body(&mut self, f: &Function, is_method_self: bool) -> CResult<ExpDesc> {
        let source = self.fsr().proto.source.clone();
        let mut fs = FuncState::new(source, f.line, f.is_vararg);
        fs.proto.last_line_defined = f.end_line;
        self.funcs.push(fs);
        let _ = is_method_self;
        let mut vars = Vec::new();
        for &p in &f.params {
            let name = self.local_name(p).to_string();
            let idx = self.new_local(&name);
            vars.push((p, idx));
        }
        if let Some(arg) = f.arg {
            let idx = self.new_local("arg");
            vars.push((arg, idx));
            self.fs().proto.needs_arg = true;
        }
        self.activate_locals(&vars);
        let nparams = f.params.len() as u32;
        self.fs().proto.num_params = nparams as u8;
        let n = self.fsr().nactvar();
        self.reserve_regs(n)?;
        self.statements(&f.body)?;
        self.line = f.end_line;
        let proto = self.close_function()?;
        let fs = self.fs();
        fs.proto.protos.push(Rc::new(proto));
        let bx = (fs.proto.protos.len() - 1) as u32;
        Ok(ExpDesc::new(Kind::Relocable(
            self.code(Op::Closure { a: 0, bx })?,
        )))
    }

    // ---- expressions (lparser.c) ----

    fn expr(&mut self, e: &Expr) -> CResult<ExpDesc> {
        if let ExprKind::Binary { .. } = e.kind {
            let mut spine = Vec::new();
            let mut cur = e;
            while let ExprKind::Binary { left, .. } = &cur.kind {
                spine.push(cur);
                cur = left;
            }
            let mut v = self.expr(cur)?;
            for node in spine.into_iter().rev() {
                if let ExprKind::Binary {
                    op, op_line, right, ..
                } = &node.kind
                {
                    self.line = *op_line;
                    self.infix(*op, &mut v)?;
                    let mut v2 = self.expr(right)?;
                    self.line = node.line;
                    self.posfix(*op, &mut v, &mut v2)?;
                }
            }
            return Ok(v);
        }
        self.line = e.line;
        match &e.kind {
            ExprKind::Nil => Ok(ExpDesc::new(Kind::Nil)),
            ExprKind::True => Ok(ExpDesc::new(Kind::True)),
            ExprKind::False => Ok(ExpDesc::new(Kind::False)),
            ExprKind::Number(n) => Ok(ExpDesc::new(Kind::KNum(*n))),
            ExprKind::String(s) => Ok(ExpDesc::new(Kind::K(self.string_k(s)?))),
            ExprKind::Vararg => {
                self.fs().uses_vararg = true;
                Ok(ExpDesc::new(Kind::Vararg(
                    self.code(Op::Vararg { a: 0, b: 1 })?,
                )))
            }
            ExprKind::Function(f) => self.function_body(f, false),
            ExprKind::Table { fields, close_line } => self.constructor(fields, *close_line),
            ExprKind::Unary { op, operand, .. } => {
                let mut v = self.expr(operand)?;
                self.line = e.line;
                match op {
                    UnOp::Neg => {
                        if !v.is_numeral() {
                            self.exp_to_any_reg(&mut v)?;
                        }
                        let mut zero = ExpDesc::new(Kind::KNum(0.0));
                        self.code_arith(BinOrUn::Arith(Arith::Unm), &mut v, &mut zero)?;
                    }
                    UnOp::Not => self.code_not(&mut v)?,
                    UnOp::Len => {
                        self.exp_to_any_reg(&mut v)?;
                        let mut zero = ExpDesc::new(Kind::KNum(0.0));
                        self.code_arith(BinOrUn::Len, &mut v, &mut zero)?;
                    }
                }
                Ok(v)
            }
            _ => self.suffixed(e),
        }
    }

    /// Names, parenthesised expressions, and chains of indexing and calls on them.
    fn suffixed(&mut self, e: &Expr) -> CResult<ExpDesc> {
        let mut spine = Vec::new();
        let mut cur = e;
        loop {
            match &cur.kind {
                ExprKind::Index { object, .. }
                | ExprKind::Field { object, .. }
                | ExprKind::MethodCall { object, .. } => {
                    spine.push(cur);
                    cur = object;
                }
                ExprKind::Call { callee, .. } => {
                    spine.push(cur);
                    cur = callee;
                }
                _ => break,
            }
        }
        self.line = cur.line;
        let mut v = match &cur.kind {
            ExprKind::Name(n) => self.single_var(n)?,
            ExprKind::Paren { inner, .. } => {
                let mut v = self.expr(inner)?;
                self.discharge_vars(&mut v)?;
                v
            }
            _ => self.expr(cur)?,
        };
        let mut prev_line = cur.line;
        for node in spine.into_iter().rev() {
            match &node.kind {
                ExprKind::Field { name, .. } => {
                    self.line = prev_line;
                    self.exp_to_any_reg(&mut v)?;
                    self.line = node.line;
                    let mut key = ExpDesc::new(Kind::K(self.string_k(name.as_bytes())?));
                    self.indexed(&mut v, &mut key)?;
                }
                ExprKind::Index { key, .. } => {
                    self.line = prev_line;
                    self.exp_to_any_reg(&mut v)?;
                    let mut k = self.expr(key)?;
                    self.exp_to_val(&mut k)?;
                    self.line = node.line;
                    self.indexed(&mut v, &mut k)?;
                }
                ExprKind::MethodCall {
                    method,
                    method_line,
                    args,
                    ..
                } => {
                    self.line = *method_line;
                    let mut key = ExpDesc::new(Kind::K(self.string_k(method.as_bytes())?));
                    self.code_self(&mut v, &mut key)?;
                    self.call_args(&mut v, args, node.line)?;
                }
                ExprKind::Call { args, .. } => {
                    self.line = prev_line;
                    self.exp_to_next_reg(&mut v)?;
                    self.call_args(&mut v, args, node.line)?;
                }
                _ => {}
            }
            prev_line = node.line;
        }
        Ok(v)
    }

    /// `funcargs`: the arguments and the CALL, with the line of the arguments.
    fn call_args(&mut self, f: &mut ExpDesc, args: &[Expr], line: u32) -> CResult<()> {
        let mut a = if args.is_empty() {
            ExpDesc::new(Kind::Void)
        } else {
            self.explist(args)?
        };
        if a.has_multret() {
            self.set_returns(&a, -1)?;
        }
        let base = match f.k {
            Kind::NonReloc(r) => r,
            _ => return Err(self.error("internal error: callee not in a register")),
        };
        let nparams: i32 = if a.has_multret() {
            -1
        } else {
            if a.k != Kind::Void {
                self.exp_to_next_reg(&mut a)?;
            }
            (self.fsr().freereg - (base + 1)) as i32
        };
        self.line = line;
        let pc = self.code(Op::Call {
            a: base as u8,
            b: (nparams + 1) as u8,
            c: 2,
        })?;
        self.fix_line(line);
        f.k = Kind::Call(pc);
        f.t = NO_JUMP;
        f.f = NO_JUMP;
        self.fs().freereg = base + 1;
        Ok(())
    }

    /// `explist1`: all but the last expression go to consecutive registers.
    fn explist(&mut self, exprs: &[Expr]) -> CResult<ExpDesc> {
        let mut v = self.expr(&exprs[0])?;
        for e in &exprs[1..] {
            self.exp_to_next_reg(&mut v)?;
            v = self.expr(e)?;
        }
        Ok(v)
    }

    fn constructor(&mut self, fields: &[Field], close_line: u32) -> CResult<ExpDesc> {
        let pc = self.code(Op::NewTable { a: 0, b: 0, c: 0 })?;
        let mut t = ExpDesc::new(Kind::Relocable(pc));
        self.exp_to_next_reg(&mut t)?;
        let treg = match t.k {
            Kind::NonReloc(r) => r,
            _ => 0,
        };
        let mut na: u32 = 0;
        let mut nh: u32 = 0;
        let mut tostore: u32 = 0;
        let mut pending = ExpDesc::new(Kind::Void);
        for field in fields {
            // closelistfield
            if pending.k != Kind::Void {
                self.exp_to_next_reg(&mut pending)?;
                pending = ExpDesc::new(Kind::Void);
                if tostore == FIELDS_PER_FLUSH {
                    self.set_list(treg, na, tostore as i32)?;
                    tostore = 0;
                }
            }
            match field {
                Field::Item(e) => {
                    pending = self.expr(e)?;
                    na += 1;
                    tostore += 1;
                }
                Field::Named {
                    name,
                    name_line,
                    value,
                } => {
                    let reg = self.fsr().freereg;
                    nh += 1;
                    self.line = *name_line;
                    let mut key = ExpDesc::new(Kind::K(self.string_k(name.as_bytes())?));
                    let rk = self.exp_to_rk(&mut key)?;
                    let mut val = self.expr(value)?;
                    let rv = self.exp_to_rk(&mut val)?;
                    self.code(Op::SetTable {
                        a: treg as u8,
                        b: rk as u16,
                        c: rv as u16,
                    })?;
                    self.fs().freereg = reg;
                }
                Field::Keyed { key, value } => {
                    let reg = self.fsr().freereg;
                    let mut k = self.expr(key)?;
                    self.exp_to_val(&mut k)?;
                    nh += 1;
                    let rk = self.exp_to_rk(&mut k)?;
                    let mut val = self.expr(value)?;
                    let rv = self.exp_to_rk(&mut val)?;
                    self.code(Op::SetTable {
                        a: treg as u8,
                        b: rk as u16,
                        c: rv as u16,
                    })?;
                    self.fs().freereg = reg;
                }
            }
        }
        self.line = close_line;
        // lastlistfield
        if tostore > 0 {
            if pending.has_multret() {
                self.set_returns(&pending, -1)?;
                self.set_list(treg, na, -1)?;
                na -= 1;
            } else {
                if pending.k != Kind::Void {
                    self.exp_to_next_reg(&mut pending)?;
                }
                self.set_list(treg, na, tostore as i32)?;
            }
        }
        if let Op::NewTable { b, c, .. } = &mut self.fs().proto.code[pc] {
            *b = int_to_fb(na);
            *c = int_to_fb(nh);
        }
        Ok(t)
    }

    // ---- statements ----

    fn statements(&mut self, block: &Block) -> CResult<()> {
        for stat in &block.stats {
            self.statement(stat)?;
            let fs = self.fs();
            fs.freereg = fs.nactvar();
        }
        Ok(())
    }

    fn block(&mut self, block: &Block) -> CResult<()> {
        self.enter_block(false);
        self.statements(block)?;
        self.leave_block()
    }

    fn cond(&mut self, e: &Expr) -> CResult<i32> {
        let mut v = self.expr(e)?;
        if v.k == Kind::Nil {
            v.k = Kind::False;
        }
        self.go_if_true(&mut v)?;
        Ok(v.f)
    }

    fn statement(&mut self, stat: &Stat) -> CResult<()> {
        self.line = stat.line;
        match &stat.kind {
            StatKind::Call(_) => self.stat_call(stat)?,
            StatKind::Assign { targets, values } => self.assignment(targets, values)?,
            StatKind::Local { .. } => self.stat_local(stat)?,
            StatKind::LocalFunction { .. } => self.stat_local_function(stat)?,
            StatKind::Function { .. } => self.stat_function(stat)?,
            StatKind::Do { body, .. } => self.block(body)?,
            StatKind::While { .. } => self.stat_while(stat)?,
            StatKind::Repeat { .. } => self.stat_repeat(stat)?,
            StatKind::If { .. } => self.stat_if(stat)?,
            StatKind::NumericFor { .. } => self.stat_numeric_for(stat)?,
            StatKind::GenericFor { .. } => self.stat_generic_for(stat)?,
            StatKind::Return(values) => self.return_stat(values)?,
            StatKind::Break => self.break_stat()?,
        }
        Ok(())
    }

    /// `statement` for one kind (its own frame keeps deep nesting within the stack).
    #[inline(never)]
    fn stat_call(&mut self, stat: &Stat) -> CResult<()> {
        let StatKind::Call(e) = &stat.kind else {
            return Ok(());
        };
        let v = self.expr(e)?;
        if let Kind::Call(pc) = v.k {
            if let Op::Call { c, .. } = &mut self.fs().proto.code[pc] {
                *c = 1;
            }
        }
        Ok(())
    }
    /// `statement` for one kind (its own frame keeps deep nesting within the stack).
    #[inline(never)]
    fn stat_local(&mut self, stat: &Stat) -> CResult<()> {
        let StatKind::Local { names, values } = &stat.kind else {
            return Ok(());
        };
        let vars: Vec<(LocalId, usize)> = names
            .iter()
            .map(|&(id, _)| {
                let name = self.local_name(id).to_string();
                (id, self.new_local(&name))
            })
            .collect();
        let (e, nexps) = if values.is_empty() {
            (ExpDesc::new(Kind::Void), 0)
        } else {
            (self.explist(values)?, values.len() as i32)
        };
        let mut e = e;
        self.adjust_assign(names.len() as i32, nexps, &mut e)?;
        self.activate_locals(&vars);
        Ok(())
    }
    /// `statement` for one kind (its own frame keeps deep nesting within the stack).
    #[inline(never)]
    fn stat_local_function(&mut self, stat: &Stat) -> CResult<()> {
        let StatKind::LocalFunction { local, func, .. } = &stat.kind else {
            return Ok(());
        };
        let name = self.local_name(*local).to_string();
        let idx = self.new_local(&name);
        let reg = self.fsr().freereg;
        self.reserve_regs(1)?;
        self.activate_locals(&[(*local, idx)]);
        let mut b = self.function_body(func, false)?;
        self.line = func.end_line;
        self.store_var(&ExpDesc::new(Kind::Local(reg)), &mut b)?;
        let pc = self.fsr().pc() as u32;
        self.fs().proto.locals[idx].start_pc = pc;
        Ok(())
    }
    /// `statement` for one kind (its own frame keeps deep nesting within the stack).
    #[inline(never)]
    fn stat_function(&mut self, stat: &Stat) -> CResult<()> {
        let StatKind::Function { name, func } = &stat.kind else {
            return Ok(());
        };
        let mut v = self.single_var(&name.base)?;
        for (field, fline) in &name.fields {
            self.line = *fline;
            self.exp_to_any_reg(&mut v)?;
            let mut key = ExpDesc::new(Kind::K(self.string_k(field.as_bytes())?));
            self.indexed(&mut v, &mut key)?;
        }
        if let Some((m, mline)) = &name.method {
            self.line = *mline;
            self.exp_to_any_reg(&mut v)?;
            let mut key = ExpDesc::new(Kind::K(self.string_k(m.as_bytes())?));
            self.indexed(&mut v, &mut key)?;
        }
        let mut b = self.function_body(func, name.method.is_some())?;
        self.line = func.end_line;
        self.store_var(&v, &mut b)?;
        self.fix_line(stat.line);
        Ok(())
    }
    /// `statement` for one kind (its own frame keeps deep nesting within the stack).
    #[inline(never)]
    fn stat_while(&mut self, stat: &Stat) -> CResult<()> {
        let StatKind::While {
            cond,
            body,
            end_line,
        } = &stat.kind
        else {
            return Ok(());
        };
        let init = self.get_label();
        let exit = self.cond(cond)?;
        self.enter_block(true);
        self.block(body)?;
        self.line = *end_line;
        let j = self.jump()?;
        self.patch_list(j, init)?;
        self.leave_block()?;
        self.patch_to_here(exit)?;
        Ok(())
    }
    /// `statement` for one kind (its own frame keeps deep nesting within the stack).
    #[inline(never)]
    fn stat_repeat(&mut self, stat: &Stat) -> CResult<()> {
        let StatKind::Repeat {
            body,
            until_line,
            cond,
        } = &stat.kind
        else {
            return Ok(());
        };
        let init = self.get_label();
        self.enter_block(true);
        self.enter_block(false);
        self.statements(body)?;
        self.line = *until_line;
        let exit = self.cond(cond)?;
        let upval = self.fsr().blocks.last().is_some_and(|b| b.upval);
        if !upval {
            self.leave_block()?;
            self.patch_list(exit, init)?;
        } else {
            self.break_stat()?;
            self.patch_to_here(exit)?;
            self.leave_block()?;
            let j = self.jump()?;
            self.patch_list(j, init)?;
        }
        self.leave_block()?;
        Ok(())
    }
    /// `statement` for one kind (its own frame keeps deep nesting within the stack).
    #[inline(never)]
    fn stat_if(&mut self, stat: &Stat) -> CResult<()> {
        let StatKind::If {
            clauses,
            else_block,
            end_line,
        } = &stat.kind
        else {
            return Ok(());
        };
        let mut escape = NO_JUMP;
        let mut flist = NO_JUMP;
        for (i, (c, body)) in clauses.iter().enumerate() {
            if i > 0 {
                let j = self.jump()?;
                self.concat_jumps(&mut escape, j)?;
                self.patch_to_here(flist)?;
            }
            flist = self.cond(c)?;
            self.block(body)?;
        }
        if let Some((eline, body)) = else_block {
            self.line = *eline;
            let j = self.jump()?;
            self.concat_jumps(&mut escape, j)?;
            self.patch_to_here(flist)?;
            self.block(body)?;
        } else {
            self.concat_jumps(&mut escape, flist)?;
        }
        self.line = *end_line;
        self.patch_to_here(escape)?;
        Ok(())
    }
    /// `statement` for one kind (its own frame keeps deep nesting within the stack).
    #[inline(never)]
    fn stat_numeric_for(&mut self, stat: &Stat) -> CResult<()> {
        let StatKind::NumericFor {
            var,
            start,
            limit,
            step,
            body,
            end_line,
        } = &stat.kind
        else {
            return Ok(());
        };
        self.enter_block(true);
        let base = self.fsr().freereg;
        let controls = [
            self.new_local("(for index)"),
            self.new_local("(for limit)"),
            self.new_local("(for step)"),
        ];
        let name = self.local_name(*var).to_string();
        let vidx = self.new_local(&name);
        for e in [start, limit] {
            let mut v = self.expr(e)?;
            self.exp_to_next_reg(&mut v)?;
        }
        match step {
            Some(e) => {
                let mut v = self.expr(e)?;
                self.exp_to_next_reg(&mut v)?;
            }
            None => {
                let k = self.number_k(1.0)?;
                let r = self.fsr().freereg;
                self.code(Op::LoadK { a: r as u8, k })?;
                self.reserve_regs(1)?;
            }
        }
        let hidden: Vec<(LocalId, usize)> = controls.iter().map(|&i| (u32::MAX, i)).collect();
        self.for_body(
            base,
            stat.line,
            &hidden,
            &[(*var, vidx)],
            true,
            body,
            *end_line,
        )?;
        self.line = *end_line;
        self.leave_block()?;
        Ok(())
    }
    /// `statement` for one kind (its own frame keeps deep nesting within the stack).
    #[inline(never)]
    fn stat_generic_for(&mut self, stat: &Stat) -> CResult<()> {
        let StatKind::GenericFor {
            vars,
            exprs,
            body,
            end_line,
        } = &stat.kind
        else {
            return Ok(());
        };
        self.enter_block(true);
        let base = self.fsr().freereg;
        let controls = [
            self.new_local("(for generator)"),
            self.new_local("(for state)"),
            self.new_local("(for control)"),
        ];
        let declared: Vec<(LocalId, usize)> = vars
            .iter()
            .map(|&(id, _)| {
                let name = self.local_name(id).to_string();
                (id, self.new_local(&name))
            })
            .collect();
        let line = exprs.first().map_or(stat.line, |e| e.line);
        let mut e = self.explist(exprs)?;
        self.adjust_assign(3, exprs.len() as i32, &mut e)?;
        self.check_stack(3)?;
        let hidden: Vec<(LocalId, usize)> = controls.iter().map(|&i| (u32::MAX, i)).collect();
        self.for_body(base, line, &hidden, &declared, false, body, *end_line)?;
        self.line = *end_line;
        self.leave_block()?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn for_body(
        &mut self,
        base: u32,
        line: u32,
        hidden: &[(LocalId, usize)],
        declared: &[(LocalId, usize)],
        numeric: bool,
        body: &Block,
        end_line: u32,
    ) -> CResult<()> {
        self.activate_locals(hidden);
        let prep = if numeric {
            self.code(Op::ForPrep {
                a: base as u8,
                sbx: NO_JUMP,
            })? as i32
        } else {
            self.jump()?
        };
        self.enter_block(false);
        self.activate_locals(declared);
        self.reserve_regs(declared.len() as u32)?;
        self.statements(body)?;
        self.line = end_line;
        self.leave_block()?;
        self.patch_to_here(prep)?;
        let endfor = if numeric {
            self.code(Op::ForLoop {
                a: base as u8,
                sbx: NO_JUMP,
            })? as i32
        } else {
            self.code(Op::TForCall {
                a: base as u8,
                c: declared.len() as u8,
            })?;
            self.fix_line(line);
            self.code(Op::TForLoop {
                a: base as u8,
                sbx: NO_JUMP,
            })? as i32
        };
        self.fix_line(line);
        self.patch_list(endfor, (prep + 1) as usize)
    }

    fn break_stat(&mut self) -> CResult<()> {
        let fs = self.fsr();
        let mut upval = false;
        let mut idx = None;
        for (i, b) in fs.blocks.iter().enumerate().rev() {
            if b.breakable {
                idx = Some(i);
                break;
            }
            upval |= b.upval;
        }
        let Some(i) = idx else {
            return Err(self.error("no loop to break"));
        };
        let nactvar = fs.blocks[i].nactvar;
        if upval {
            self.code(Op::Close { a: nactvar as u8 })?;
        }
        let j = self.jump()?;
        let mut list = self.fsr().blocks[i].break_list;
        self.concat_jumps(&mut list, j)?;
        self.fs().blocks[i].break_list = list;
        Ok(())
    }

    fn return_stat(&mut self, values: &[Expr]) -> CResult<()> {
        let (first, nret): (u32, i32) = if values.is_empty() {
            (0, 0)
        } else {
            let mut e = self.explist(values)?;
            if e.has_multret() {
                self.set_returns(&e, -1)?;
                if let (Kind::Call(pc), 1) = (e.k, values.len()) {
                    if let Op::Call { a, b, .. } = self.fsr().proto.code[pc] {
                        self.fs().proto.code[pc] = Op::TailCall { a, b };
                    }
                }
                (self.fsr().nactvar(), -1)
            } else if values.len() == 1 {
                (self.exp_to_any_reg(&mut e)?, 1)
            } else {
                self.exp_to_next_reg(&mut e)?;
                (self.fsr().nactvar(), values.len() as i32)
            }
        };
        self.code(Op::Return {
            a: first as u8,
            b: (nret + 1) as u8,
        })?;
        Ok(())
    }

    fn adjust_assign(&mut self, nvars: i32, nexps: i32, e: &mut ExpDesc) -> CResult<()> {
        let mut extra = nvars - nexps;
        if e.has_multret() {
            extra += 1;
            if extra < 0 {
                extra = 0;
            }
            self.set_returns(e, extra)?;
            if extra > 1 {
                self.reserve_regs((extra - 1) as u32)?;
            }
        } else {
            if e.k != Kind::Void {
                self.exp_to_next_reg(e)?;
            }
            if extra > 0 {
                let reg = self.fsr().freereg;
                self.reserve_regs(extra as u32)?;
                self.load_nil(reg, extra as u32)?;
            }
        }
        Ok(())
    }

    /// A target of an assignment: its descriptor, with the prefix code emitted.
    fn target(&mut self, e: &Expr) -> CResult<ExpDesc> {
        let v = match &e.kind {
            ExprKind::Name(n) => {
                self.line = e.line;
                self.single_var(n)?
            }
            ExprKind::Index { .. } | ExprKind::Field { .. } => self.suffixed(e)?,
            _ => return Err(self.error("syntax error")),
        };
        Ok(v)
    }

    fn assignment(&mut self, targets: &[Expr], values: &[Expr]) -> CResult<()> {
        let mut lhs: Vec<ExpDesc> = Vec::with_capacity(targets.len());
        for t in targets {
            let v = self.target(t)?;
            if let Kind::Local(r) = v.k {
                // check_conflict: an earlier indexed target using this local as table or key
                // must use a copy made before the assignment.
                let extra = self.fsr().freereg;
                let mut conflict = false;
                for prev in lhs.iter_mut() {
                    if let Kind::Indexed(t, k) = &mut prev.k {
                        if *t == r {
                            conflict = true;
                            *t = extra;
                        }
                        if *k == r {
                            conflict = true;
                            *k = extra;
                        }
                    }
                }
                if conflict {
                    self.code(Op::Move {
                        a: extra as u8,
                        b: r as u8,
                    })?;
                    self.reserve_regs(1)?;
                }
            }
            lhs.push(v);
        }
        let nvars = targets.len() as i32;
        let nexps = values.len() as i32;
        let mut e = self.explist(values)?;
        let last = values.last().map_or(self.line, |v| v.line);
        let mut rest = lhs.len();
        if nexps != nvars {
            self.adjust_assign(nvars, nexps, &mut e)?;
            if nexps > nvars {
                let fs = self.fs();
                fs.freereg -= (nexps - nvars) as u32;
            }
        } else {
            self.set_one_ret(&mut e);
            self.line = last;
            rest -= 1;
            self.store_var(&lhs[rest], &mut e)?;
        }
        self.line = last;
        while rest > 0 {
            rest -= 1;
            let mut e = ExpDesc::new(Kind::NonReloc(self.fsr().freereg - 1));
            self.store_var(&lhs[rest], &mut e)?;
        }
        Ok(())
    }
}

/// What `code_arith` emits: an arithmetic instruction, `#` or `..`.
#[derive(Clone, Copy, PartialEq)]
enum BinOrUn {
    Arith(Arith),
    Len,
    Concat,
}

/// `constfolding`: arithmetic on two numerals, unless it divides by zero or makes NaN.
fn fold(op: BinOrUn, e1: &ExpDesc, e2: &ExpDesc) -> Option<f64> {
    let BinOrUn::Arith(op) = op else { return None };
    if !e1.is_numeral() || !e2.is_numeral() {
        return None;
    }
    let (Kind::KNum(v1), Kind::KNum(v2)) = (e1.k, e2.k) else {
        return None;
    };
    if matches!(op, Arith::Div | Arith::Mod) && v2 == 0.0 {
        return None;
    }
    let r = arith_num(op, v1, v2);
    if r.is_nan() {
        None
    } else {
        Some(r)
    }
}

/// `luaO_int2fb`: a size as a "floating point byte".
fn int_to_fb(x: u32) -> u8 {
    let mut x = x;
    let mut e = 0u32;
    while x >= 16 {
        x = (x + 1) >> 1;
        e += 1;
    }
    if x < 8 {
        x as u8
    } else {
        (((e + 1) << 3) | (x - 8)) as u8
    }
}

/// `luaO_fb2int`.
pub fn fb_to_int(x: u8) -> usize {
    let e = (x >> 3) & 31;
    if e == 0 {
        x as usize
    } else {
        ((x as usize & 7) + 8) << (e - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile_src(src: &str) -> Rc<Proto> {
        let chunk = crate::syntax::parse(src.as_bytes()).expect("parses");
        compile(&chunk, "user_script").expect("compiles")
    }

    #[test]
    fn greater_than_is_less_than_swapped() {
        let p = compile_src("local a, b = 1, 2 return a > b");
        assert!(
            p.code.iter().any(|op| matches!(
                op,
                Op::Lt {
                    a: true,
                    b: 1,
                    c: 0
                }
            )),
            "{}",
            crate::proto::disassemble(&p)
        );
    }

    #[test]
    fn constants_fold_except_division_by_zero() {
        let p = compile_src("return 2 * 3 + 1, 1 / 0");
        assert!(p
            .constants
            .iter()
            .any(|k| matches!(k, Value::Number(n) if *n == 7.0)));
        assert!(p.code.iter().any(|op| matches!(op, Op::Div { .. })));
    }

    #[test]
    fn constructor_sizes_and_setlist() {
        let p = compile_src("local t = {1, 2, 3, x = 1}");
        assert!(matches!(p.code[0], Op::NewTable { a: 0, b: 3, c: 1 }));
        assert!(p
            .code
            .iter()
            .any(|op| matches!(op, Op::SetList { a: 0, b: 3, c: 1 })));
    }

    #[test]
    fn tail_calls_and_closing_upvalues() {
        let p = compile_src("local function f() return f() end");
        let child = &p.protos[0];
        assert!(child
            .code
            .iter()
            .any(|op| matches!(op, Op::TailCall { .. })));
        let p = compile_src("for i = 1, 2 do local x = i local function g() return x end end");
        assert!(
            p.code.iter().any(|op| matches!(op, Op::Close { .. })),
            "{}",
            crate::proto::disassemble(&p)
        );
    }

    #[test]
    fn register_limit_is_an_error() {
        let src = format!("local x = f({})", vec!["1"; 300].join(","));
        let chunk = crate::syntax::parse(src.as_bytes()).expect("parses");
        let err = compile(&chunk, "user_script").expect_err("too many registers");
        assert_eq!(
            err.text("user_script"),
            "user_script:1: function or expression too complex"
        );
    }

    #[test]
    fn fb_round_trip_matches_lua() {
        for (n, expected) in [
            (0, 0),
            (7, 7),
            (8, 8),
            (15, 15),
            (16, 16),
            (17, 18),
            (100, 104),
            (1000, 1024),
        ] {
            assert_eq!(fb_to_int(int_to_fb(n)), expected, "{n}");
        }
    }
}
