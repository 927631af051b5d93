//! The interpreter: one value stack and a list of call frames. Lua-to-Lua calls push a
//! frame and continue in the same loop (no Rust recursion), so scripts can recurse to
//! Lua 5.1's LUAI_MAXCALLS depth and the loop can stop after any instruction when its fuel
//! runs out, keeping every frame for the host to resume later. `pcall`/`xpcall` also run
//! their callee as a (protected) frame of the same loop.
//!
//! Rust recursion happens only where Lua 5.1 recurses in C: a native calling back into Lua
//! (`Vm::call`, for sort comparators, gsub callbacks, ...), and metamethods run by an
//! instruction (`__index` functions, `__add`, ...). That depth is bounded (200 levels, "C
//! stack overflow"); fuel inside such a nested run cannot pause it, so it is borrowed
//! (bounded too) and paid back from the next run.

use crate::debug::describe_register;
use crate::heap::{
    Function, Heap, LuaClosure, NativeClosure, NativeFn, NativeKind, Upval, UserData,
};
use crate::number::write_number;
use crate::proto::{Op, Proto, FIELDS_PER_FLUSH, RK_CONST};
use crate::table::Table;
use crate::value::{FuncRef, LuaStr, TableRef, Value};
use std::any::Any;
use std::rc::Rc;

/// LUAI_MAXCALLS: nested calls ("stack overflow").
pub const MAX_CALLS: usize = 20000;
/// LUAI_MAXCCALLS: nested native re-entries and metamethod calls ("C stack overflow").
pub const MAX_NATIVE_DEPTH: u32 = 200;
/// MAXTAGLOOP: `__index`/`__newindex` chains ("loop in gettable").
const MAX_TAG_LOOP: usize = 100;
/// Instructions a nested run (inside a native or metamethod) may borrow past the fuel, by
/// default (`Vm::set_nested_fuel_limit`).
const MAX_BORROWED_FUEL: u64 = 200_000_000;
const BORROW_STEP: u64 = 1_000_000;
/// The error of a nested run, or a native's work, that spent more than it may borrow.
const BUDGET_EXHAUSTED: &str = "instruction budget exhausted inside a nested call";

/// What a native function returns.
pub enum NativeReturn {
    Values(Vec<Value>),
    /// Suspends the whole VM with a request for the host (only from a native called
    /// directly by Lua code); the host answers with `Vm::resume_host`.
    Yield(Box<dyn Any>),
}

/// How a run ended.
pub enum Outcome {
    /// The main function returned these values.
    Finished(Vec<Value>),
    /// The fuel ran out; `run` continues.
    Paused,
    /// A native asked the host for something; answer with `resume_host`, then `run`.
    Yielded(Box<dyn Any>),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FrameKind {
    Normal,
    /// Entered from Rust (`Vm::call` or the start of a run): returning from it ends the
    /// nested `execute`.
    Boundary,
    /// The callee of `pcall`/`xpcall`: errors stop here.
    Protected,
    /// The body of a coroutine: returning from it or an error reaching it ends the
    /// coroutine and switches back to its resumer.
    CoroutineBase,
}

pub(crate) struct Frame {
    pub(crate) func: usize,
    pub(crate) base: usize,
    pub(crate) pc: usize,
    pub(crate) closure: FuncRef,
    pub(crate) proto: Rc<Proto>,
    /// Results the caller wants (-1: all).
    pub(crate) nresults: i32,
    pub(crate) nvarargs: usize,
    pub(crate) kind: FrameKind,
    /// For a protected frame: the results pcall's caller wants.
    pub(crate) protect_wanted: i32,
    pub(crate) handler: Option<Value>,
    /// The first frame of a `execute` started from Rust: returning from it ends that run.
    pub(crate) entry: bool,
}

/// Where an error was raised (see `Vm::error_site`).
struct ErrorSite {
    source: String,
    line: i64,
}

/// A native suspended on a host request: where its results go.
struct Pending {
    func: usize,
    nresults: i32,
    protected: bool,
}

enum Exit {
    Returned { start: usize, n: usize },
    Paused,
    Yielded(Box<dyn Any>),
}

pub(crate) enum Called {
    Lua,
    Native,
    Yield(Box<dyn Any>),
    /// The VM switched threads (coroutine resume or yield): reload the top frame.
    Switched,
}

/// The thread id of the main (non-coroutine) thread.
pub const MAIN_THREAD: u32 = u32::MAX;

/// Metamethod events, indexing `Vm::event_names`.
#[derive(Clone, Copy)]
pub(crate) enum Event {
    Index = 0,
    NewIndex,
    Call,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Unm,
    Concat,
    Eq,
    Lt,
    Le,
    Len,
    ToString,
    Metatable,
}

const EVENT_NAMES: [&str; 17] = [
    "__index",
    "__newindex",
    "__call",
    "__add",
    "__sub",
    "__mul",
    "__div",
    "__mod",
    "__pow",
    "__unm",
    "__concat",
    "__eq",
    "__lt",
    "__le",
    "__len",
    "__tostring",
    "__metatable",
];

/// The arithmetic operators on numbers (the VM's and the compiler's constant folding).
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Unm,
}

/// A clone of a value made with one 16-byte copy. The derived `clone` rebuilds the value
/// field by field through a temporary, which the interpreter's register moves pay for
/// with store-forwarding stalls.
#[inline(always)]
fn fast_clone(v: &Value) -> Value {
    match v {
        Value::Str(s) => Value::Str(s.clone()),
        // SAFETY: every other variant holds only `Copy` data (numbers, booleans, handles),
        // so a bitwise copy is exactly a clone and no ownership is duplicated.
        _ => unsafe { std::ptr::read(v) },
    }
}

/// Copies `src` over `dst` in place (one 16-byte copy for every value but strings), so that
/// register moves build no temporary value.
#[inline(always)]
fn copy_into(dst: &mut Value, src: &Value) {
    if let Value::Str(s) = src {
        *dst = Value::Str(s.clone());
        return;
    }
    if let Value::Str(_) = dst {
        *dst = Value::Nil;
    }
    // SAFETY: `src` holds only `Copy` data and `dst` owns nothing (a string was dropped
    // above), so overwriting `dst` with the bits of `src` is a clone that leaks nothing.
    unsafe { std::ptr::copy_nonoverlapping(src, dst, 1) }
}

/// Pushes a frame writing each field straight into the vector: building the frame on the
/// side and copying it in makes the CPU reload bytes it just wrote piecemeal, a stall on
/// every Lua call.
#[inline(always)]
fn push_frame(frames: &mut Vec<Frame>, f: Frame) {
    frames.reserve(1);
    let len = frames.len();
    // The exhaustive pattern makes a new field a compile error here, not an unwritten one.
    let Frame {
        func,
        base,
        pc,
        closure,
        proto,
        nresults,
        nvarargs,
        kind,
        protect_wanted,
        handler,
        entry,
    } = f;
    // SAFETY: `reserve` made room for one more frame at index `len`; every field is written
    // (the pattern above names them all) before the length includes the frame.
    unsafe {
        let p = frames.as_mut_ptr().add(len);
        std::ptr::addr_of_mut!((*p).func).write(func);
        std::ptr::addr_of_mut!((*p).base).write(base);
        std::ptr::addr_of_mut!((*p).pc).write(pc);
        std::ptr::addr_of_mut!((*p).closure).write(closure);
        std::ptr::addr_of_mut!((*p).nresults).write(nresults);
        std::ptr::addr_of_mut!((*p).nvarargs).write(nvarargs);
        std::ptr::addr_of_mut!((*p).kind).write(kind);
        std::ptr::addr_of_mut!((*p).protect_wanted).write(protect_wanted);
        std::ptr::addr_of_mut!((*p).entry).write(entry);
        std::ptr::addr_of_mut!((*p).proto).write(proto);
        std::ptr::addr_of_mut!((*p).handler).write(handler);
        frames.set_len(len + 1);
    }
}

/// `stack[dst] = stack[src]` through `copy_into`.
#[inline(always)]
fn copy_slot(stack: &mut [Value], dst: usize, src: usize) {
    if dst == src || dst >= stack.len() || src >= stack.len() {
        if dst != src {
            let v = stack.get(src).cloned().unwrap_or(Value::Nil);
            if let Some(d) = stack.get_mut(dst) {
                *d = v;
            }
        }
        return;
    }
    let p = stack.as_mut_ptr();
    // SAFETY: both indices are in bounds (checked above) and distinct.
    unsafe { copy_into(&mut *p.add(dst), &*p.add(src)) }
}

/// Lua 5.1's number arithmetic (`luai_numadd`...): `%` floors, `^` is `pow`.
pub(crate) fn arith_num(op: Arith, x: f64, y: f64) -> f64 {
    match op {
        Arith::Add => x + y,
        Arith::Sub => x - y,
        Arith::Mul => x * y,
        Arith::Div => x / y,
        Arith::Mod => x - (x / y).floor() * y,
        Arith::Pow => x.powf(y),
        Arith::Unm => -x,
    }
}

/// Which operand an error is about, for naming it as 5.1 does.
#[derive(Clone, Copy)]
enum Operand {
    Reg(u32),
    /// An RK operand: a register or a constant (never named).
    Rk(u16),
    None,
}

pub struct Vm {
    pub heap: Heap,
    pub(crate) stack: Vec<Value>,
    pub(crate) frames: Vec<Frame>,
    /// Open upvalues, by increasing stack slot.
    pub(crate) open_upvals: Vec<(usize, u32)>,
    /// The top of the last multiple-result call or vararg (5.1's L->top).
    pub(crate) top: usize,
    /// The running thread (`MAIN_THREAD` or a coroutine), and the main thread's state
    /// while a coroutine runs.
    pub(crate) cur_thread: u32,
    pub(crate) main_saved: Option<crate::coroutine::ThreadState>,
    pub(crate) globals: TableRef,
    pub(crate) registry: TableRef,
    pub string_meta: Option<TableRef>,
    event_names: Vec<LuaStr>,
    pins: Vec<Option<Value>>,
    free_pins: Vec<usize>,
    fuel: u64,
    borrowed: u64,
    max_borrowed: u64,
    pub(crate) native_depth: u32,
    pending: Option<Pending>,
    pub(crate) current_native: Option<FuncRef>,
    memory_limit: usize,
    chunk_name: Rc<str>,
    running: bool,
    /// An error the host answered a request with, raised by the next run.
    raised: Option<Value>,
    /// The running native was called by pcall/xpcall (a native caller, for `where_`).
    native_called_by_pcall: bool,
    /// Where the error being raised was raised, until something catches it.
    error_site: Option<ErrorSite>,
    /// Set by pcall just before it calls its callee.
    pub(crate) pcall_pending: bool,
    /// A call made from Rust (`call`, `start`) is being set up: a coroutine cannot be
    /// resumed or yielded through it.
    pub(crate) direct_call: bool,
    /// The address of the Rust stack when the host entered the VM, and how much of it
    /// nested calls may use: 5.1 stops at 200 C levels, and so do we, or earlier when the
    /// host's stack (a browser's is small) would not hold them.
    stack_base: usize,
    rust_stack_budget: usize,
}

impl Default for Vm {
    fn default() -> Self {
        Vm::new()
    }
}

impl Vm {
    pub fn new() -> Vm {
        let mut heap = Heap::default();
        let globals = heap.new_table(Table::new(0, 64));
        let registry = heap.new_table(Table::new(0, 4));
        let mut vm = Vm {
            heap,
            stack: Vec::with_capacity(256),
            frames: Vec::new(),
            open_upvals: Vec::new(),
            top: 0,
            cur_thread: MAIN_THREAD,
            main_saved: None,
            globals,
            registry,
            string_meta: None,
            event_names: EVENT_NAMES.iter().map(|n| LuaStr::from(*n)).collect(),
            pins: Vec::new(),
            free_pins: Vec::new(),
            fuel: 0,
            borrowed: 0,
            max_borrowed: MAX_BORROWED_FUEL,
            native_depth: 0,
            pending: None,
            current_native: None,
            memory_limit: 256 << 20,
            chunk_name: "?".into(),
            running: false,
            raised: None,
            native_called_by_pcall: false,
            error_site: None,
            pcall_pending: false,
            direct_call: false,
            stack_base: 0,
            rust_stack_budget: 512 << 10,
        };
        crate::lib_base::open(&mut vm);
        crate::coroutine::open(&mut vm);
        vm
    }

    // ---- host API ----

    pub fn globals(&self) -> TableRef {
        self.globals
    }

    pub fn registry(&self) -> TableRef {
        self.registry
    }

    /// The most live memory (estimated bytes) before allocation raises "not enough memory".
    pub fn set_memory_limit(&mut self, bytes: usize) {
        self.memory_limit = bytes;
    }

    /// How much of the Rust stack nested calls (natives calling Lua, metamethods) may use
    /// before "C stack overflow" (default 512 KiB: wasm's default stack is 1 MiB).
    pub fn set_rust_stack_budget(&mut self, bytes: usize) {
        self.rust_stack_budget = bytes;
    }

    /// How many instructions Lua code run by a native or a metamethod (which cannot pause)
    /// may execute past the fuel of a run before it fails with "instruction budget
    /// exhausted inside a nested call" (default 200 million).
    pub fn set_nested_fuel_limit(&mut self, instructions: u64) {
        self.max_borrowed = instructions;
    }

    /// How much work a native may still do in one go, in instructions: the fuel left in
    /// this run plus what it may borrow (`set_nested_fuel_limit`). For natives whose work
    /// is long and cannot pause (a pattern match); charge it with `consume_fuel`.
    pub fn fuel_available(&self) -> u64 {
        self.fuel
            .saturating_add(self.max_borrowed.saturating_sub(self.borrowed))
    }

    /// Charges `units` instructions' worth of a native's work to the run: taken from the
    /// fuel left, the rest borrowed as Lua code run by a native borrows (the next run pays
    /// it back); past the borrowing limit it fails with the VM's budget error.
    pub fn consume_fuel(&mut self, units: u64) -> Result<(), Value> {
        if units <= self.fuel {
            self.fuel -= units;
            return Ok(());
        }
        let excess = units - self.fuel;
        self.fuel = 0;
        if self.borrowed.saturating_add(excess) > self.max_borrowed {
            self.borrowed = self.max_borrowed;
            return Err(self.rt_error(BUDGET_EXHAUSTED));
        }
        self.borrowed += excess;
        Ok(())
    }

    /// A string value (accounted as allocated memory).
    pub fn new_string(&mut self, bytes: &[u8]) -> Value {
        self.heap.debt += bytes.len() + 32;
        Value::Str(LuaStr::new(bytes))
    }

    /// A table holding `values` at 1..n (a Lua array).
    pub fn new_array(&mut self, values: Vec<Value>) -> TableRef {
        let mut t = Table::new(values.len(), 0);
        for (i, v) in values.into_iter().enumerate() {
            let _ = t.set_int(i as i64 + 1, v);
        }
        self.heap.new_table(t)
    }

    /// `t[1], t[2], ...` up to the first nil (raw reads: how Redis turns a table into an
    /// array reply).
    pub fn array(&self, t: TableRef) -> Vec<Value> {
        let tab = self.heap.table(t);
        let mut out = Vec::new();
        loop {
            let v = tab.get_int(out.len() as i64 + 1);
            if v.is_nil() {
                return out;
            }
            out.push(v.clone());
        }
    }

    /// `t.name = v` without metamethods (for building library tables).
    pub fn set_field(&mut self, t: TableRef, name: &str, v: Value) {
        let _ = self.heap.table_mut(t).set(Value::str(name), v);
    }

    /// `t.name` without metamethods.
    pub fn get_field(&self, t: TableRef, name: &str) -> Value {
        self.heap.table(t).get_str(&LuaStr::from(name)).clone()
    }

    /// Bytes the live objects take, as of the last collection.
    pub fn memory_used(&self) -> usize {
        self.heap.live_bytes + self.heap.debt
    }

    /// Keeps a value alive while the host holds it; returns its pin.
    pub fn pin(&mut self, v: Value) -> usize {
        if let Some(i) = self.free_pins.pop() {
            self.pins[i] = Some(v);
            i
        } else {
            self.pins.push(Some(v));
            self.pins.len() - 1
        }
    }

    pub fn pinned(&self, pin: usize) -> Value {
        self.pins.get(pin).cloned().flatten().unwrap_or(Value::Nil)
    }

    pub fn unpin(&mut self, pin: usize) {
        if let Some(slot) = self.pins.get_mut(pin) {
            if slot.take().is_some() {
                self.free_pins.push(pin);
            }
        }
    }

    pub fn new_table(&mut self) -> TableRef {
        self.heap.new_table(Table::new(0, 0))
    }

    pub fn new_table_sized(&mut self, narray: usize, nhash: usize) -> TableRef {
        self.heap.new_table(Table::new(narray, nhash))
    }

    pub fn new_native(&mut self, name: &'static str, f: NativeFn) -> Value {
        self.new_native_with(name, f, Vec::new())
    }

    /// A native function with bound values (read them with `native_upvalue`).
    pub fn new_native_with(
        &mut self,
        name: &'static str,
        f: NativeFn,
        upvals: Vec<Value>,
    ) -> Value {
        let c = NativeClosure {
            f,
            kind: NativeKind::Plain,
            name,
            upvals: upvals.into_boxed_slice(),
        };
        Value::Function(self.heap.new_function(Function::Native(c)))
    }

    pub(crate) fn new_special_native(
        &mut self,
        name: &'static str,
        f: NativeFn,
        kind: NativeKind,
    ) -> Value {
        let c = NativeClosure {
            f,
            kind,
            name,
            upvals: Box::new([]),
        };
        Value::Function(self.heap.new_function(Function::Native(c)))
    }

    pub fn new_userdata(&mut self, data: Box<dyn Any>, meta: Option<TableRef>) -> Value {
        Value::UserData(self.heap.new_userdata(UserData { meta, data }))
    }

    /// A bound value of the native being run.
    pub fn native_upvalue(&self, i: usize) -> Value {
        match self.current_native.and_then(|f| self.heap.funcs.get(f.0)) {
            Some(Function::Native(n)) => n.upvals.get(i).cloned().unwrap_or(Value::Nil),
            _ => Value::Nil,
        }
    }

    pub fn set_global(&mut self, name: &str, v: Value) {
        let g = self.globals;
        let _ = self.heap.table_mut(g).set(Value::str(name), v);
    }

    pub fn get_global(&self, name: &str) -> Value {
        self.heap
            .table(self.globals)
            .get_str(&LuaStr::from(name))
            .clone()
    }

    pub fn raw_get(&self, t: TableRef, key: &Value) -> Value {
        self.heap.table(t).get(key).clone()
    }

    pub fn raw_set(&mut self, t: TableRef, key: Value, v: Value) -> Result<(), Value> {
        self.heap
            .table_mut(t)
            .set(key, v)
            .map_err(|e| self.rt_error(e.message()))
    }

    pub fn raw_len(&self, t: TableRef) -> usize {
        self.heap.table(t).length()
    }

    pub fn metatable(&self, v: &Value) -> Option<TableRef> {
        match v {
            Value::Table(t) => self.heap.table(*t).meta,
            Value::UserData(u) => self.heap.udata.get(u.0).and_then(|u| u.meta),
            Value::Str(_) => self.string_meta,
            _ => None,
        }
    }

    pub fn set_metatable(&mut self, t: TableRef, meta: Option<TableRef>) {
        self.heap.table_mut(t).meta = meta;
    }

    pub fn userdata(&self, v: &Value) -> Option<&dyn Any> {
        match v {
            Value::UserData(u) => self.heap.udata.get(u.0).map(|u| u.data.as_ref()),
            _ => None,
        }
    }

    /// Compiles `src` as a chunk named `chunk_name` (as Redis names scripts
    /// `user_script`); the error is Lua 5.1's message (`user_script:1: ...`).
    pub fn load(&mut self, src: &[u8], chunk_name: &str) -> Result<Value, String> {
        let chunk = crate::syntax::parse(src).map_err(|e| e.text(chunk_name))?;
        let proto = crate::compiler::compile(&chunk, chunk_name).map_err(|e| e.text(chunk_name))?;
        self.chunk_name = chunk_name.into();
        let c = LuaClosure {
            proto,
            upvals: Box::new([]),
        };
        Ok(Value::Function(self.heap.new_function(Function::Lua(c))))
    }

    /// Prepares a top-level call of `f`; `run` executes it.
    pub fn start(&mut self, f: Value, args: Vec<Value>) -> Result<(), Value> {
        if self.running {
            return Err(Value::str("the VM is already running a call"));
        }
        self.reset();
        self.stack.push(f);
        let nargs = args.len();
        self.stack.extend(args);
        self.running = true;
        self.direct_call = true;
        let r = self.precall(0, nargs, -1, FrameKind::Boundary);
        self.direct_call = false;
        match r {
            Ok(Called::Lua) => {
                if let Some(f) = self.frames.first_mut() {
                    f.entry = true;
                }
                Ok(())
            }
            Ok(Called::Native) => Ok(()),
            Ok(Called::Switched) => {
                self.reset();
                Err(Value::str("cannot resume a coroutine from the host"))
            }
            Ok(Called::Yield(_)) => {
                self.reset();
                Err(Value::str("attempt to yield from outside a coroutine"))
            }
            Err(e) => {
                self.reset();
                Err(e)
            }
        }
    }

    fn reset(&mut self) {
        self.cur_thread = MAIN_THREAD;
        self.main_saved = None;
        self.stack.clear();
        self.frames.clear();
        self.open_upvals.clear();
        self.pending = None;
        self.running = false;
        self.native_depth = 0;
        self.top = 0;
        self.raised = None;
        self.error_site = None;
    }

    /// Runs the started call for at most `fuel` instructions.
    pub fn run(&mut self, fuel: u64) -> Result<Outcome, Value> {
        if !self.running {
            return Err(Value::str("no call to run"));
        }
        if self.pending.is_some() {
            return Err(Value::str("the VM waits for the host's answer"));
        }
        let marker = 0u8;
        self.stack_base = &marker as *const u8 as usize;
        let repay = self.borrowed.min(fuel);
        self.borrowed -= repay;
        self.fuel = fuel - repay;
        if self.frames.is_empty() {
            // A native started the run and already returned its results at slot 0.
            let top = self.top.min(self.stack.len());
            let out = self.stack[..top].to_vec();
            self.reset();
            return Ok(Outcome::Finished(out));
        }
        match self.execute(0) {
            Ok(Exit::Returned { start, n }) => {
                let out = self.stack[start..start + n].to_vec();
                self.reset();
                Ok(Outcome::Finished(out))
            }
            Ok(Exit::Paused) => Ok(Outcome::Paused),
            Ok(Exit::Yielded(req)) => Ok(Outcome::Yielded(req)),
            Err(e) => {
                self.reset();
                Err(e)
            }
        }
    }

    /// Answers the request of a yielded native: its results, or an error raised where it
    /// was called.
    pub fn resume_host(&mut self, answer: Result<Vec<Value>, Value>) -> Result<(), Value> {
        let Some(p) = self.pending.take() else {
            return Err(Value::str("no request to answer"));
        };
        match (answer, p.protected) {
            (Ok(vals), false) => self.place_results(p.func, vals, p.nresults),
            (Ok(vals), true) => {
                let mut out = Vec::with_capacity(vals.len() + 1);
                out.push(Value::Bool(true));
                out.extend(vals);
                self.place_results(p.func - 1, out, p.nresults);
            }
            (Err(e), true) => {
                self.place_results(p.func - 1, vec![Value::Bool(false), e], p.nresults)
            }
            (Err(e), false) => {
                // Raise it in the frame that made the call: let the next run unwind.
                self.place_results(p.func, Vec::new(), p.nresults);
                self.raised = Some(e);
            }
        }
        Ok(())
    }

    /// Abandons the running call (Redis's SCRIPT KILL, or a host giving up).
    pub fn abort(&mut self) {
        self.reset();
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Whether the running native can suspend the VM with `NativeReturn::Yield`: it was
    /// called by Lua code of the run, not from inside another native or a metamethod.
    pub fn can_yield(&self) -> bool {
        self.native_depth == 0
    }

    /// Calls `f` from a native (re-entrant): runs to completion, borrowing fuel if needed.
    /// Values the native holds across this call must be reachable from its arguments or
    /// pinned: a collection can run inside.
    pub fn call(&mut self, f: Value, args: Vec<Value>) -> Result<Vec<Value>, Value> {
        self.call_from(f, args, true)
    }

    /// `call`, from a native (`by_native`: the callee, if native, sees a native caller) or
    /// from an instruction running a metamethod (the callee's caller is the Lua code).
    fn call_from(
        &mut self,
        f: Value,
        args: Vec<Value>,
        by_native: bool,
    ) -> Result<Vec<Value>, Value> {
        let marker = 0u8;
        let here = &marker as *const u8 as usize;
        if self.native_depth >= MAX_NATIVE_DEPTH
            || self.stack_base.abs_diff(here) > self.rust_stack_budget
        {
            return Err(self.rt_error("C stack overflow"));
        }
        let func = self.stack.len();
        self.stack.push(f);
        let nargs = args.len();
        self.stack.extend(args);
        self.native_depth += 1;
        let saved_native = self.current_native.take();
        let saved_by_pcall = std::mem::replace(&mut self.native_called_by_pcall, false);
        let stop = self.frames.len();
        self.direct_call = true;
        self.pcall_pending = by_native;
        let called = self.precall(func, nargs, -1, FrameKind::Boundary);
        self.pcall_pending = false;
        self.direct_call = false;
        let result = match called {
            Ok(Called::Switched) => Err(Value::str("cannot resume a coroutine from a native call")),
            Ok(Called::Lua) => match self.execute_entry(stop) {
                Ok(Exit::Returned { start, n }) => Ok(self.stack[start..start + n].to_vec()),
                Ok(_) => Err(Value::str(
                    "attempt to yield across metamethod/C-call boundary",
                )),
                Err(e) => Err(e),
            },
            Ok(Called::Native) => {
                let end = self.top.max(func);
                Ok(self.stack[func..end].to_vec())
            }
            Ok(Called::Yield(_)) => Err(Value::str(
                "attempt to yield across metamethod/C-call boundary",
            )),
            Err(e) => Err(e),
        };
        self.native_depth -= 1;
        self.current_native = saved_native;
        self.native_called_by_pcall = saved_by_pcall;
        self.stack.truncate(func);
        if result.is_err() && self.error_site.is_none() {
            // A native failed: called by a native, the error is in C code; called by an
            // instruction (a metamethod), it is at that instruction.
            self.error_site = if by_native {
                Some(ErrorSite {
                    source: "=[C]".to_string(),
                    line: -1,
                })
            } else {
                self.top_frame_site()
            };
        }
        result
    }

    /// The source and current line of the innermost Lua frame.
    fn top_frame_site(&self) -> Option<ErrorSite> {
        let f = self.frames.last()?;
        let line = f
            .proto
            .lines
            .get(f.pc.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let source = match &f.proto.chunk_name {
            Some(name) => name.to_str_lossy(),
            None => format!("@{}", f.proto.source),
        };
        Some(ErrorSite {
            source,
            line: line as i64,
        })
    }

    /// Where the error being handled was raised, as Redis's error handler reports it
    /// (`debug.getinfo` of the raising function, or of its caller when that is a native):
    /// the Lua function's `source` (the name given to `loadstring`/`load`, or `@<name>` for
    /// a chunk compiled by `Vm::load`) and current line, or `=[C]` and -1 when a native
    /// called by a native raised it. Meant for `xpcall` handlers.
    pub fn error_site(&self) -> Option<(String, i64)> {
        self.error_site.as_ref().map(|s| (s.source.clone(), s.line))
    }

    // ---- errors ----

    /// `chunk:line:` of the function `level` levels up (1: the Lua code calling the
    /// running native), or "" when that level is not Lua code.
    pub fn where_(&self, level: usize) -> String {
        let mut level = level;
        if self.caller_is_native() {
            // Level 1 is pcall itself, a native: no position; the rest shifts by one.
            if level == 1 {
                return String::new();
            }
            level -= 1;
        }
        let mut i = self.frames.len();
        while i > 0 {
            i -= 1;
            let f = &self.frames[i];
            if level == 1 {
                let line = f
                    .proto
                    .lines
                    .get(f.pc.saturating_sub(1))
                    .copied()
                    .unwrap_or(0);
                return format!("{}:{}: ", f.proto.source, line);
            }
            level -= 1;
            // A frame entered from Rust or by pcall had a native caller: one more level.
            if f.kind != FrameKind::Normal {
                if level == 1 {
                    return String::new();
                }
                level -= 1;
            }
        }
        String::new()
    }

    /// A runtime error (`luaG_runerror`): positioned at the current line when Lua code is
    /// running, bare when raised inside a native (as 5.1 does for a C function).
    pub fn rt_error(&self, msg: &str) -> Value {
        if self.current_native.is_some() {
            return Value::str(msg);
        }
        self.error(msg)
    }

    /// `luaL_error`: the message positioned at the Lua code calling the running native.
    pub fn error(&self, msg: &str) -> Value {
        let mut s = self.where_(1).into_bytes();
        s.extend_from_slice(msg.as_bytes());
        Value::Str(LuaStr::from_vec(s))
    }

    /// Whether the running native was called by a native (pcall, or `Vm::call`).
    fn caller_is_native(&self) -> bool {
        (self.current_native.is_some() && self.native_called_by_pcall) || self.pcall_pending
    }

    /// The name the calling instruction gives the running native (5.1's `getfuncname`):
    /// `global 'f'`, `field 'insert'`, `method 'rep'`...; None when not called by a call
    /// instruction.
    fn call_site_name(&self) -> Option<(&'static str, String)> {
        if self.caller_is_native() {
            return None;
        }
        let f = self.frames.last()?;
        let pc = f.pc.checked_sub(1)?;
        match f.proto.code.get(pc)? {
            Op::Call { a, .. } | Op::TailCall { a, .. } => {
                describe_register(&f.proto, pc, *a as u32)
            }
            Op::TForCall { .. } => Some(("for iterator", "for iterator".to_string())),
            _ => None,
        }
    }

    /// `luaL_argerror`: "bad argument #n to 'f' (msg)", the function named as its call
    /// site names it (`?` when called from a native), positioned at that call.
    pub fn arg_error(&self, n: usize, _fname: &str, msg: &str) -> Value {
        let mut n = n;
        let name = match self.call_site_name() {
            Some(("method", name)) => {
                n -= 1;
                if n == 0 {
                    return self.error(&format!("calling '{name}' on bad self ({msg})"));
                }
                name
            }
            Some((_, name)) => name,
            None => "?".to_string(),
        };
        self.error(&format!("bad argument #{n} to '{name}' ({msg})"))
    }

    /// `luaL_typerror`.
    pub fn type_arg_error(
        &self,
        n: usize,
        fname: &str,
        expected: &str,
        got: Option<&Value>,
    ) -> Value {
        let got = got.map_or("no value", |v| v.type_name());
        self.arg_error(n, fname, &format!("{expected} expected, got {got}"))
    }

    fn describe(&self, operand: Operand) -> Option<(&'static str, String)> {
        let reg = match operand {
            Operand::Reg(r) => r,
            Operand::Rk(rk) if rk < RK_CONST => rk as u32,
            _ => return None,
        };
        let f = self.frames.last()?;
        describe_register(&f.proto, f.pc.saturating_sub(1), reg)
    }

    /// `luaG_typeerror`.
    fn type_error(&self, v: &Value, op: &str, operand: Operand) -> Value {
        let t = v.type_name();
        match self.describe(operand) {
            Some((kind, name)) => {
                self.rt_error(&format!("attempt to {op} {kind} '{name}' (a {t} value)"))
            }
            None => self.rt_error(&format!("attempt to {op} a {t} value")),
        }
    }

    /// `luaG_ordererror`.
    fn order_error(&self, a: &Value, b: &Value) -> Value {
        let (t1, t2) = (a.type_name(), b.type_name());
        if t1.as_bytes()[2] == t2.as_bytes()[2] {
            self.rt_error(&format!("attempt to compare two {t1} values"))
        } else {
            self.rt_error(&format!("attempt to compare {t1} with {t2}"))
        }
    }

    // ---- metamethods ----

    pub(crate) fn event_name(&self, e: Event) -> &LuaStr {
        &self.event_names[e as usize]
    }

    pub(crate) fn metamethod(&self, v: &Value, e: Event) -> Value {
        match self.metatable(v) {
            Some(m) => self
                .heap
                .table(m)
                .get_str(&self.event_names[e as usize])
                .clone(),
            None => Value::Nil,
        }
    }

    /// Whether writes to `t` need the slow path (a metatable, or read-only).
    fn table_has_meta(&self, t: TableRef) -> bool {
        let t = self.heap.table(t);
        t.meta.is_some() || t.readonly
    }

    /// Marks a table read-only (Redis 7.0's `lua_enablereadonlytable`): any write from
    /// scripts, `rawset` and `setmetatable` included, raises "Attempt to modify a readonly
    /// table". The host can still write it with `raw_set`.
    pub fn set_readonly(&mut self, t: TableRef, readonly: bool) {
        self.heap.table_mut(t).readonly = readonly;
    }

    pub fn is_readonly(&self, t: TableRef) -> bool {
        self.heap.table(t).readonly
    }

    /// Calls a metamethod and keeps its first result (`callTMres`).
    fn call_meta(&mut self, f: Value, args: Vec<Value>) -> Result<Value, Value> {
        let r = self.call_from(f, args, false)?;
        Ok(r.into_iter().next().unwrap_or(Value::Nil))
    }

    /// `luaV_gettable`: `t[key]` with `__index`.
    pub fn index(&mut self, t: &Value, key: &Value) -> Result<Value, Value> {
        self.index_op(t.clone(), key, Operand::None)
    }

    fn index_op(&mut self, t: Value, key: &Value, operand: Operand) -> Result<Value, Value> {
        let mut t = t;
        for step in 0..MAX_TAG_LOOP {
            let tm = if let Value::Table(r) = t {
                let tab = self.heap.table(r);
                let v = tab.get(key);
                if !v.is_nil() {
                    return Ok(v.clone());
                }
                match tab.meta {
                    None => return Ok(Value::Nil),
                    Some(m) => {
                        let tm = self
                            .heap
                            .table(m)
                            .get_str(self.event_name(Event::Index))
                            .clone();
                        if tm.is_nil() {
                            return Ok(Value::Nil);
                        }
                        tm
                    }
                }
            } else {
                self.non_table_handler(&t, Event::Index, step, operand)?
            };
            if let Value::Function(_) = tm {
                return self.call_meta(tm, vec![t, key.clone()]);
            }
            t = tm;
        }
        Err(self.rt_error("loop in gettable"))
    }

    /// The `__index` / `__newindex` handler of a value that is not a table; indexing one
    /// that has none is a type error, naming the operand only for the value first indexed.
    fn non_table_handler(
        &mut self,
        t: &Value,
        event: Event,
        step: usize,
        operand: Operand,
    ) -> Result<Value, Value> {
        let tm = self.metamethod(t, event);
        if tm.is_nil() {
            let operand = if step == 0 { operand } else { Operand::None };
            return Err(self.type_error(t, "index", operand));
        }
        Ok(tm)
    }

    /// `luaV_settable`: `t[key] = v` with `__newindex`.
    pub fn set_index(&mut self, t: &Value, key: Value, v: Value) -> Result<(), Value> {
        self.newindex_op(t.clone(), key, v, Operand::None)
    }

    fn newindex_op(
        &mut self,
        t: Value,
        key: Value,
        v: Value,
        operand: Operand,
    ) -> Result<(), Value> {
        let mut t = t;
        for step in 0..MAX_TAG_LOOP {
            let tm = if let Value::Table(r) = t {
                let tab = self.heap.table(r);
                if tab.readonly {
                    return Err(self.rt_error("Attempt to modify a readonly table"));
                }
                let tm = match tab.meta {
                    Some(m) if tab.get(&key).is_nil() => self
                        .heap
                        .table(m)
                        .get_str(self.event_name(Event::NewIndex))
                        .clone(),
                    _ => Value::Nil,
                };
                if tm.is_nil() {
                    let tab = self.heap.table_mut(r);
                    let res = tab.set(key, v);
                    self.heap.debt += std::mem::take(&mut tab.grew);
                    return res.map_err(|e| self.rt_error(e.message()));
                }
                // 5.1's luaH_set makes room for the key before looking at __newindex.
                if let Err(e) = self.heap.table_mut(r).set(key.clone(), Value::Nil) {
                    return Err(self.rt_error(e.message()));
                }
                tm
            } else {
                self.non_table_handler(&t, Event::NewIndex, step, operand)?
            };
            if let Value::Function(_) = tm {
                self.call_from(tm, vec![t, key, v], false)?;
                return Ok(());
            }
            t = tm;
        }
        Err(self.rt_error("loop in settable"))
    }

    fn arith_slow(
        &mut self,
        op: Arith,
        a: Value,
        b: Value,
        oa: Operand,
        ob: Operand,
    ) -> Result<Value, Value> {
        if let (Some(x), Some(y)) = (a.to_number(), b.to_number()) {
            return Ok(Value::Number(arith_num(op, x, y)));
        }
        let event = match op {
            Arith::Add => Event::Add,
            Arith::Sub => Event::Sub,
            Arith::Mul => Event::Mul,
            Arith::Div => Event::Div,
            Arith::Mod => Event::Mod,
            Arith::Pow => Event::Pow,
            Arith::Unm => Event::Unm,
        };
        let mut tm = self.metamethod(&a, event);
        if tm.is_nil() {
            tm = self.metamethod(&b, event);
        }
        if tm.is_nil() {
            // luaG_aritherror: blame the first operand that is not a number.
            let (bad, operand) = if a.to_number().is_none() {
                (&a, oa)
            } else {
                (&b, ob)
            };
            return Err(self.type_error(bad, "perform arithmetic on", operand));
        }
        self.call_meta(tm, vec![a, b])
    }

    /// Arithmetic with coercions and metamethods, for natives.
    pub fn arith_add(&mut self, a: Value, b: Value) -> Result<Value, Value> {
        self.arith_slow(Arith::Add, a, b, Operand::None, Operand::None)
    }

    /// `luaV_equalval` for two values of the same type.
    fn equal(&mut self, a: &Value, b: &Value) -> Result<bool, Value> {
        let (ma, mb) = match (a, b) {
            (Value::Table(x), Value::Table(y)) => {
                if x == y {
                    return Ok(true);
                }
                (self.heap.table(*x).meta, self.heap.table(*y).meta)
            }
            (Value::UserData(x), Value::UserData(y)) => {
                if x == y {
                    return Ok(true);
                }
                (self.metatable(a), self.metatable(b))
            }
            _ => return Ok(a.raw_eq(b)),
        };
        // get_compTM: both metatables must give the same __eq.
        let Some(m1) = ma else { return Ok(false) };
        let tm1 = self
            .heap
            .table(m1)
            .get_str(self.event_name(Event::Eq))
            .clone();
        if tm1.is_nil() {
            return Ok(false);
        }
        if ma != mb {
            let Some(m2) = mb else { return Ok(false) };
            let tm2 = self
                .heap
                .table(m2)
                .get_str(self.event_name(Event::Eq))
                .clone();
            if !tm1.raw_eq(&tm2) {
                return Ok(false);
            }
        }
        Ok(self.call_meta(tm1, vec![a.clone(), b.clone()])?.truthy())
    }

    /// `call_orderTM`: None when the operands have no common metamethod.
    fn order_tm(&mut self, a: &Value, b: &Value, e: Event) -> Result<Option<bool>, Value> {
        let tm1 = self.metamethod(a, e);
        if tm1.is_nil() {
            return Ok(None);
        }
        let tm2 = self.metamethod(b, e);
        if !tm1.raw_eq(&tm2) {
            return Ok(None);
        }
        Ok(Some(
            self.call_meta(tm1, vec![a.clone(), b.clone()])?.truthy(),
        ))
    }

    fn less_than(&mut self, a: &Value, b: &Value) -> Result<bool, Value> {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => Ok(x < y),
            (Value::Str(x), Value::Str(y)) => Ok(x < y),
            _ => {
                if std::mem::discriminant(a) != std::mem::discriminant(b) {
                    return Err(self.order_error(a, b));
                }
                match self.order_tm(a, b, Event::Lt)? {
                    Some(r) => Ok(r),
                    None => Err(self.order_error(a, b)),
                }
            }
        }
    }

    fn less_equal(&mut self, a: &Value, b: &Value) -> Result<bool, Value> {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => Ok(x <= y),
            (Value::Str(x), Value::Str(y)) => Ok(x <= y),
            _ => {
                if std::mem::discriminant(a) != std::mem::discriminant(b) {
                    return Err(self.order_error(a, b));
                }
                if let Some(r) = self.order_tm(a, b, Event::Le)? {
                    return Ok(r);
                }
                match self.order_tm(b, a, Event::Lt)? {
                    Some(r) => Ok(!r),
                    None => Err(self.order_error(a, b)),
                }
            }
        }
    }

    /// `a < b` for natives (table.sort without a comparator).
    pub fn lua_less_than(&mut self, a: &Value, b: &Value) -> Result<bool, Value> {
        self.less_than(a, b)
    }

    /// `luaV_concat` over stack slots `first..=last`, leaving the result in `first`.
    fn concat(&mut self, first: usize, last: usize) -> Result<(), Value> {
        let mut total = last - first + 1;
        let mut last = last;
        while total > 1 {
            let top = last + 1;
            let a_ok = matches!(self.stack[top - 2], Value::Str(_) | Value::Number(_));
            let b_ok = matches!(self.stack[top - 1], Value::Str(_) | Value::Number(_));
            let mut n = 2;
            if !a_ok || !b_ok {
                let a = self.stack[top - 2].clone();
                let b = self.stack[top - 1].clone();
                let mut tm = self.metamethod(&a, Event::Concat);
                if tm.is_nil() {
                    tm = self.metamethod(&b, Event::Concat);
                }
                if tm.is_nil() {
                    let (bad, reg) = if a_ok { (&b, top - 1) } else { (&a, top - 2) };
                    let base = self.frames.last().map_or(0, |f| f.base);
                    return Err(self.type_error(
                        bad,
                        "concatenate",
                        Operand::Reg((reg - base) as u32),
                    ));
                }
                let r = self.call_meta(tm, vec![a, b])?;
                self.stack[top - 2] = r;
            } else {
                // Gather as many strings/numbers as possible into one.
                let mut len = 0usize;
                n = 0;
                while n < total {
                    match &self.stack[top - 1 - n] {
                        Value::Str(s) => len += s.len(),
                        Value::Number(_) => len += 24,
                        _ => break,
                    }
                    n += 1;
                }
                if len > self.memory_limit {
                    return Err(Value::str("not enough memory"));
                }
                let mut buf = Vec::with_capacity(len);
                for i in (1..=n).rev() {
                    match &self.stack[top - i] {
                        Value::Str(s) => buf.extend_from_slice(s.as_bytes()),
                        Value::Number(x) => write_number(&mut buf, *x),
                        _ => {}
                    }
                }
                self.heap.debt += buf.len() + 32;
                self.stack[top - n] = Value::Str(LuaStr::from_vec(buf));
            }
            total -= n - 1;
            last -= n - 1;
        }
        Ok(())
    }

    /// `tostring` as the base library does it (with `__tostring`).
    pub fn tostring(&mut self, v: &Value) -> Result<LuaStr, Value> {
        let tm = self.metamethod(v, Event::ToString);
        if !tm.is_nil() {
            return match self.call_meta(tm, vec![v.clone()])? {
                Value::Str(s) => Ok(s),
                Value::Number(n) => Ok(LuaStr::from(crate::number::number_to_string(n).as_str())),
                _ => Err(self.rt_error("'__tostring' must return a string")),
            };
        }
        Ok(self.tostring_raw(v))
    }

    /// `tostring` without metamethods.
    pub fn tostring_raw(&self, v: &Value) -> LuaStr {
        match v {
            Value::Nil => LuaStr::from("nil"),
            Value::Bool(b) => LuaStr::from(if *b { "true" } else { "false" }),
            Value::Number(n) => LuaStr::from(crate::number::number_to_string(*n).as_str()),
            Value::Str(s) => s.clone(),
            Value::Table(r) => {
                LuaStr::from(format!("table: 0x{:08x}", 0x1000_0000u64 + r.0 as u64 * 64).as_str())
            }
            Value::Function(r) => {
                let native = matches!(self.heap.funcs.get(r.0), Some(Function::Native(_)));
                let prefix = if native {
                    "function: builtin: "
                } else {
                    "function: "
                };
                LuaStr::from(format!("{prefix}0x{:08x}", 0x2000_0000u64 + r.0 as u64 * 64).as_str())
            }
            // `%p` as glibc prints it: a NULL pointer (cjson.null) is "(nil)".
            Value::LightUserData(0) => LuaStr::from("userdata: (nil)"),
            Value::LightUserData(p) => LuaStr::from(format!("userdata: 0x{:08x}", p).as_str()),
            Value::UserData(r) => LuaStr::from(
                format!("userdata: 0x{:08x}", 0x3000_0000u64 + r.0 as u64 * 64).as_str(),
            ),
            Value::Thread(r) => {
                LuaStr::from(format!("thread: 0x{:08x}", 0x4000_0000u64 + r.0 as u64 * 64).as_str())
            }
        }
    }

    // ---- upvalues ----

    fn find_upval(&mut self, slot: usize) -> u32 {
        let pos = self.open_upvals.partition_point(|&(s, _)| s < slot);
        if let Some(&(s, id)) = self.open_upvals.get(pos) {
            if s == slot {
                return id;
            }
        }
        let id = self.heap.new_upval(Upval::Open {
            slot,
            owner: self.cur_thread,
        });
        self.open_upvals.insert(pos, (slot, id));
        id
    }

    pub(crate) fn close_upvals(&mut self, level: usize) {
        while let Some(&(slot, id)) = self.open_upvals.last() {
            if slot < level {
                break;
            }
            let v = self.stack.get(slot).cloned().unwrap_or(Value::Nil);
            if let Some(u) = self.heap.upvals.get_mut(id) {
                *u = Upval::Closed(v);
            }
            self.open_upvals.pop();
        }
    }

    fn upval_id(&self, closure: FuncRef, i: u8) -> Option<u32> {
        match self.heap.funcs.get(closure.0) {
            Some(Function::Lua(c)) => c.upvals.get(i as usize).copied(),
            _ => None,
        }
    }

    fn get_upval(&self, closure: FuncRef, i: u8) -> Value {
        match self
            .upval_id(closure, i)
            .and_then(|id| self.heap.upvals.get(id))
        {
            Some(Upval::Open { slot, owner }) => {
                let stack = if *owner == self.cur_thread {
                    &self.stack[..]
                } else {
                    self.thread_stack(*owner)
                };
                stack.get(*slot).cloned().unwrap_or(Value::Nil)
            }
            Some(Upval::Closed(v)) => v.clone(),
            None => Value::Nil,
        }
    }

    fn set_upval(&mut self, closure: FuncRef, i: u8, v: Value) {
        let Some(id) = self.upval_id(closure, i) else {
            return;
        };
        match self.heap.upvals.get_mut(id) {
            Some(Upval::Open { slot, owner }) => {
                let (slot, owner) = (*slot, *owner);
                let stack = if owner == self.cur_thread {
                    &mut self.stack
                } else {
                    self.thread_stack_mut(owner)
                };
                if let Some(s) = stack.get_mut(slot) {
                    *s = v;
                }
            }
            Some(Upval::Closed(c)) => *c = v,
            None => {}
        }
    }

    // ---- garbage collection ----

    fn collect_garbage(&mut self) {
        self.heap.begin_mark();
        for i in 0..self.stack.len() {
            let v = self.stack[i].clone();
            self.heap.mark_value(&v);
        }
        for i in 0..self.frames.len() {
            let c = self.frames[i].closure;
            self.heap.mark_value(&Value::Function(c));
            if let Some(h) = self.frames[i].handler.clone() {
                self.heap.mark_value(&h);
            }
        }
        for i in 0..self.open_upvals.len() {
            let id = self.open_upvals[i].1;
            self.heap.mark_upval(id);
        }
        self.heap.mark_table(self.globals);
        self.heap.mark_table(self.registry);
        if let Some(m) = self.string_meta {
            self.heap.mark_table(m);
        }
        for i in 0..self.pins.len() {
            if let Some(v) = self.pins[i].clone() {
                self.heap.mark_value(&v);
            }
        }
        if let Some(f) = self.current_native {
            self.heap.mark_value(&Value::Function(f));
        }
        // The threads waiting on the running coroutine, and the main thread's saved state.
        let mut t = self.cur_thread;
        let mut guard = 0;
        while t != MAIN_THREAD && guard < 1_000_000 {
            self.heap
                .mark_value(&Value::Thread(crate::value::ThreadRef(t)));
            t = self
                .heap
                .threads
                .get(t)
                .map_or(MAIN_THREAD, |c| c.resumer());
            guard += 1;
        }
        if let Some(saved) = self.main_saved.take() {
            for v in &saved.stack {
                self.heap.mark_value(v);
            }
            for f in &saved.frames {
                self.heap.mark_value(&Value::Function(f.closure));
                if let Some(h) = &f.handler {
                    self.heap.mark_value(h);
                }
            }
            for &(_, u) in &saved.open_upvals {
                self.heap.mark_upval(u);
            }
            self.main_saved = Some(saved);
        }
        self.heap.propagate();
        self.heap.sweep();
        self.heap.live_bytes += self.stack.len() * 16 + self.frames.len() * 96;
    }

    /// A full collection now (collectgarbage("collect")).
    pub fn full_gc(&mut self) {
        self.collect_garbage();
    }

    /// At an allocating instruction: collects when the debt is due, and raises "not enough
    /// memory" when the live data passes the limit.
    fn gc_check(&mut self) -> Result<(), Value> {
        if self.heap.debt > self.heap.threshold {
            // At an instruction of the top Lua frame nothing above its registers (or the
            // last multiple results) is live: drop those slots so they keep nothing alive.
            if let Some(f) = self.frames.last() {
                let keep = (f.base + f.proto.max_stack as usize).max(self.top);
                if self.native_depth == 0 && self.stack.len() > keep {
                    self.stack.truncate(keep);
                }
            }
            self.collect_garbage();
            if self.heap.live_bytes > self.memory_limit {
                return Err(Value::str("not enough memory"));
            }
        }
        Ok(())
    }

    // ---- calls ----

    fn ensure_stack(&mut self, len: usize) {
        if self.stack.len() < len {
            self.stack.resize(len, Value::Nil);
        }
    }

    /// Writes results at `dst` adjusted to `nresults` (-1: all, setting the top).
    pub(crate) fn place_results(&mut self, dst: usize, vals: Vec<Value>, nresults: i32) {
        let n = vals.len();
        let want = if nresults < 0 { n } else { nresults as usize };
        self.ensure_stack(dst + want.max(n));
        for (i, v) in vals.into_iter().enumerate().take(want) {
            self.stack[dst + i] = v;
        }
        for i in n..want {
            self.stack[dst + i] = Value::Nil;
        }
        self.top = dst + want;
    }

    /// `luaD_precall`: starts a call of the value at `func` with `nargs` arguments above it.
    pub(crate) fn precall(
        &mut self,
        func: usize,
        nargs: usize,
        nresults: i32,
        kind: FrameKind,
    ) -> Result<Called, Value> {
        let mut nargs = nargs;
        let fref = loop {
            match &self.stack[func] {
                Value::Function(r) => break *r,
                other => {
                    let other = other.clone();
                    let tm = self.metamethod(&other, Event::Call);
                    if !matches!(tm, Value::Function(_)) {
                        return Err(self.type_error(&other, "call", Operand::None));
                    }
                    // The metamethod is called with the original value first.
                    self.ensure_stack(func + nargs + 2);
                    for i in (func..=func + nargs).rev() {
                        self.stack[i + 1] = std::mem::take(&mut self.stack[i]);
                    }
                    self.stack[func] = tm;
                    nargs += 1;
                }
            }
        };
        match self.heap.funcs.get(fref.0) {
            Some(Function::Lua(c)) => {
                let proto = c.proto.clone();
                self.push_lua_frame(func, nargs, fref, proto, nresults, kind)?;
                Ok(Called::Lua)
            }
            Some(Function::Native(n)) => {
                let (f, nk) = (n.f, n.kind);
                match nk {
                    NativeKind::Plain => self.call_native(func, nargs, nresults, fref, f),
                    NativeKind::Pcall => self.protected_call(func, nargs, nresults, None),
                    NativeKind::Resume => self.co_resume(func, nargs, nresults, None),
                    NativeKind::Wrap => {
                        let co = match self.heap.funcs.get(fref.0) {
                            Some(Function::Native(n)) => {
                                n.upvals.first().cloned().unwrap_or(Value::Nil)
                            }
                            _ => Value::Nil,
                        };
                        self.co_resume(func, nargs, nresults, Some(co))
                    }
                    NativeKind::Yield => self.co_yield(func, nargs, nresults),
                    NativeKind::Xpcall => {
                        if nargs < 2 {
                            return Err(self.arg_error(2, "xpcall", "value expected"));
                        }
                        // xpcall(f, handler): 5.1 calls f without arguments.
                        let handler = self.stack[func + 2].clone();
                        self.protected_call(func, 1, nresults, Some(handler))
                    }
                }
            }
            None => Err(self.rt_error("attempt to call a dead function")),
        }
    }

    fn push_lua_frame(
        &mut self,
        func: usize,
        nargs: usize,
        closure: FuncRef,
        proto: Rc<Proto>,
        nresults: i32,
        kind: FrameKind,
    ) -> Result<(), Value> {
        if self.frames.len() >= MAX_CALLS {
            return Err(self.rt_error("stack overflow"));
        }
        let nparams = proto.num_params as usize;
        let max_stack = proto.max_stack as usize;
        let (base, nvarargs) = if !proto.is_vararg {
            let base = func + 1;
            self.ensure_stack(base + max_stack);
            for i in nargs.min(nparams)..max_stack {
                self.stack[base + i] = Value::Nil;
            }
            (base, 0)
        } else {
            let mut nargs = nargs;
            self.ensure_stack(func + 1 + nparams);
            while nargs < nparams {
                self.stack[func + 1 + nargs] = Value::Nil;
                nargs += 1;
            }
            let nvar = nargs - nparams;
            let base = func + 1 + nargs;
            self.ensure_stack(base + max_stack);
            for i in 0..nparams {
                self.stack[base + i] = std::mem::take(&mut self.stack[func + 1 + i]);
            }
            for i in nparams..max_stack {
                self.stack[base + i] = Value::Nil;
            }
            if proto.needs_arg {
                let mut t = Table::new(nvar, 1);
                for i in 0..nvar {
                    let _ = t.set_int(i as i64 + 1, self.stack[base - nvar + i].clone());
                }
                let _ = t.set(Value::str("n"), Value::Number(nvar as f64));
                let t = self.heap.new_table(t);
                self.stack[base + nparams] = Value::Table(t);
            }
            (base, nvar)
        };
        push_frame(
            &mut self.frames,
            Frame {
                func,
                base,
                pc: 0,
                closure,
                proto,
                nresults,
                nvarargs,
                kind,
                protect_wanted: 0,
                handler: None,
                entry: false,
            },
        );
        Ok(())
    }

    fn call_native(
        &mut self,
        func: usize,
        nargs: usize,
        nresults: i32,
        fref: FuncRef,
        f: NativeFn,
    ) -> Result<Called, Value> {
        let args: Vec<Value> = self.stack[func + 1..func + 1 + nargs].to_vec();
        // Nested calls push above everything the current frame uses.
        self.ensure_stack(func + 1 + nargs);
        let saved = self.current_native.replace(fref);
        let saved_by_pcall =
            std::mem::replace(&mut self.native_called_by_pcall, self.pcall_pending);
        self.pcall_pending = false;
        let r = f(self, args);
        self.current_native = saved;
        self.native_called_by_pcall = saved_by_pcall;
        match r? {
            NativeReturn::Values(vals) => {
                self.place_results(func, vals, nresults);
                Ok(Called::Native)
            }
            NativeReturn::Yield(req) => {
                if self.native_depth > 0 {
                    // Raised inside the native (lua_yield): no position.
                    return Err(Value::str(
                        "attempt to yield across metamethod/C-call boundary",
                    ));
                }
                self.pending = Some(Pending {
                    func,
                    nresults,
                    protected: false,
                });
                Ok(Called::Yield(req))
            }
        }
    }

    /// `pcall`/`xpcall`: the callee (at `func + 1`) runs as a protected frame, or, for a
    /// native callee, right here with its error caught.
    fn protected_call(
        &mut self,
        func: usize,
        nargs: usize,
        nresults: i32,
        handler: Option<Value>,
    ) -> Result<Called, Value> {
        if nargs == 0 {
            return Err(self.arg_error(1, "pcall", "value expected"));
        }
        let target = func + 1;
        let depth = self.frames.len();
        let callee = self.stack[target].clone();
        if !matches!(callee, Value::Function(_))
            && !matches!(self.metamethod(&callee, Event::Call), Value::Function(_))
        {
            // Raised while pcall (a native) runs: no position.
            let msg = Value::str(&format!("attempt to call a {} value", callee.type_name()));
            let e = self.handle_error_value(msg, handler);
            self.place_results(func, vec![Value::Bool(false), e], nresults);
            return Ok(Called::Native);
        }
        self.pcall_pending = true;
        let r = self.precall(target, nargs - 1, -1, FrameKind::Protected);
        self.pcall_pending = false;
        match r {
            Ok(Called::Lua) => {
                let f = &mut self.frames[depth];
                f.protect_wanted = nresults;
                f.handler = handler;
                Ok(Called::Lua)
            }
            Ok(Called::Native) => {
                let n = self.top - target;
                let mut out = Vec::with_capacity(n + 1);
                out.push(Value::Bool(true));
                out.extend(self.stack[target..target + n].iter().cloned());
                self.place_results(func, out, nresults);
                Ok(Called::Native)
            }
            Ok(Called::Yield(req)) => {
                if let Some(p) = self.pending.as_mut() {
                    p.protected = true;
                    p.nresults = nresults;
                    p.func = target;
                }
                Ok(Called::Yield(req))
            }
            Ok(Called::Switched) => {
                // pcall(coroutine.resume, co, ...): the results come back later.
                self.protect_resume_site(nresults);
                Ok(Called::Switched)
            }
            Err(e) => {
                let e = self.handle_error_value(e, handler);
                self.place_results(func, vec![Value::Bool(false), e], nresults);
                Ok(Called::Native)
            }
        }
    }

    fn handle_error_value(&mut self, e: Value, handler: Option<Value>) -> Value {
        let e = match handler {
            None => e,
            Some(h) => match self.call_from(h, vec![e], false) {
                Ok(r) => r.into_iter().next().unwrap_or(Value::Nil),
                Err(_) => Value::str("error in error handling"),
            },
        };
        // Caught: the next error has its own site.
        self.error_site = None;
        e
    }

    /// `execute` for a frame just pushed from Rust at depth `stop`.
    fn execute_entry(&mut self, stop: usize) -> Result<Exit, Value> {
        if let Some(f) = self.frames.get_mut(stop) {
            f.entry = true;
        }
        self.execute(stop)
    }

    /// Runs frames until the one at depth `stop` returns, handling errors that a
    /// protected frame above `stop` catches.
    fn execute(&mut self, stop: usize) -> Result<Exit, Value> {
        let start_thread = self.cur_thread;
        let mut pending_err: Option<Value> = None;
        loop {
            let err = match pending_err.take().or_else(|| self.raised.take()) {
                Some(e) => e,
                None => match self.run_loop() {
                    Ok(exit) => return Ok(exit),
                    Err(e) => e,
                },
            };
            if self.error_site.is_none() {
                self.error_site = self.top_frame_site();
            }
            // Frames below `stop` belong to whoever started this run; a coroutine resumed
            // during it is entirely ours.
            let floor = if self.cur_thread == start_thread {
                stop
            } else {
                0
            };
            let caught = (floor..self.frames.len()).rev().find(|&i| {
                matches!(
                    self.frames[i].kind,
                    FrameKind::Protected | FrameKind::CoroutineBase
                )
            });
            if let Some(i) = caught {
                if self.frames[i].kind == FrameKind::CoroutineBase {
                    // Caught by the resume (or raised again at `wrap`'s call site).
                    self.error_site = None;
                    if let Some(e) = self.co_die(err) {
                        pending_err = Some(e);
                    }
                    continue;
                }
            }
            match caught {
                Some(i) => {
                    let entry = self.frames[i].entry;
                    let handler = self.frames[i].handler.clone();
                    let e = self.handle_error_value(err, handler);
                    let func = self.frames[i].func;
                    let wanted = self.frames[i].protect_wanted;
                    self.close_upvals(func);
                    self.frames.truncate(i);
                    self.place_results(func - 1, vec![Value::Bool(false), e], wanted);
                    if entry {
                        let start = func - 1;
                        return Ok(Exit::Returned {
                            start,
                            n: self.top - start,
                        });
                    }
                    self.trim_stack();
                }
                None => {
                    let level = self.frames.get(stop).map_or(self.stack.len(), |f| f.func);
                    self.close_upvals(level);
                    self.frames.truncate(stop);
                    return Err(err);
                }
            }
        }
    }

    /// After returning into a Lua frame: drop stack slots above it (and above results).
    fn trim_stack(&mut self) {
        if let Some(f) = self.frames.last() {
            let keep = (f.base + f.proto.max_stack as usize).max(self.top);
            // A callee's frame may end below the caller's registers: restore them too.
            // Slots above are left as they are (the collector trims them).
            self.ensure_stack(keep);
        }
    }

    /// Returns from the top frame with `n` results at `src`.
    fn post_call(&mut self, src: usize, n: usize) -> Option<Exit> {
        let Some(frame) = self.frames.pop() else {
            return Some(Exit::Returned { start: src, n });
        };
        self.close_upvals(frame.base);
        if frame.kind == FrameKind::CoroutineBase {
            let vals = self.stack[src..src + n].to_vec();
            self.co_finish(vals);
            return None;
        }
        let protected = frame.kind == FrameKind::Protected;
        let (start, wanted) = if protected {
            (frame.func - 1, frame.protect_wanted)
        } else {
            (frame.func, frame.nresults)
        };
        let mut dst = start;
        if protected {
            self.stack[dst] = Value::Bool(true);
            dst += 1;
        }
        for i in 0..n {
            self.stack[dst + i] = std::mem::take(&mut self.stack[src + i]);
        }
        let total = n + protected as usize;
        if wanted >= 0 {
            let wanted = wanted as usize;
            self.ensure_stack(start + wanted);
            for i in total..wanted {
                self.stack[start + i] = Value::Nil;
            }
            self.top = start + wanted;
        } else {
            self.top = start + total;
        }
        if frame.entry {
            return Some(Exit::Returned {
                start,
                n: self.top - start,
            });
        }
        self.trim_stack();
        None
    }

    /// The interpreter loop proper.
    fn run_loop(&mut self) -> Result<Exit, Value> {
        'frame: loop {
            let fi = self.frames.len() - 1;
            let proto = self.frames[fi].proto.clone();
            let closure = self.frames[fi].closure;
            let base = self.frames[fi].base;
            let mut pc = self.frames[fi].pc;
            self.ensure_stack(base + proto.max_stack as usize);
            let code = &proto.code[..];
            let k = &proto.constants[..];
            macro_rules! save {
                () => {
                    self.frames[fi].pc = pc
                };
            }
            macro_rules! rk {
                ($x:expr) => {
                    if $x >= RK_CONST {
                        &k[($x - RK_CONST) as usize]
                    } else {
                        &self.stack[base + $x as usize]
                    }
                };
            }
            // Writes a number into a stack slot; when the slot already holds a number only
            // the double is stored (a whole 16-byte value built on the side and copied in
            // stalls the CPU's store forwarding in tight loops).
            macro_rules! set_num {
                ($i:expr, $r:expr) => {{
                    let r = $r;
                    match &mut self.stack[$i] {
                        Value::Number(n) => *n = r,
                        slot => *slot = Value::Number(r),
                    }
                }};
            }
            macro_rules! arith {
                ($a:expr, $b:expr, $c:expr, $op:expr) => {{
                    let vb = rk!($b);
                    let vc = rk!($c);
                    if let (Value::Number(x), Value::Number(y)) = (vb, vc) {
                        let r = arith_num($op, *x, *y);
                        set_num!(base + $a as usize, r);
                    } else {
                        let (vb, vc) = (vb.clone(), vc.clone());
                        save!();
                        let r = self.arith_slow($op, vb, vc, Operand::Rk($b), Operand::Rk($c))?;
                        self.stack[base + $a as usize] = r;
                    }
                }};
            }
            // The end of a test (EQ, LT, LE, TEST, TESTSET): when it holds, the jump that
            // follows it is taken (read here rather than dispatched); otherwise it is skipped.
            macro_rules! cond_jump {
                ($holds:expr) => {
                    if $holds {
                        if let Op::Jmp { sbx } = code[pc] {
                            pc = (pc as i64 + 1 + sbx as i64) as usize;
                        } else {
                            pc += 1;
                        }
                    } else {
                        pc += 1;
                    }
                };
            }
            loop {
                if self.fuel == 0 {
                    if self.native_depth == 0 {
                        save!();
                        return Ok(Exit::Paused);
                    }
                    if self.borrowed >= self.max_borrowed {
                        save!();
                        return Err(self.rt_error(BUDGET_EXHAUSTED));
                    }
                    self.borrowed += BORROW_STEP;
                    self.fuel = BORROW_STEP;
                }
                self.fuel -= 1;
                let op = code[pc];
                pc += 1;
                match op {
                    Op::Move { a, b } => {
                        copy_slot(&mut self.stack, base + a as usize, base + b as usize)
                    }
                    Op::LoadK { a, k: i } => {
                        copy_into(&mut self.stack[base + a as usize], &k[i as usize])
                    }
                    Op::LoadBool { a, b, c } => {
                        self.stack[base + a as usize] = Value::Bool(b);
                        if c {
                            pc += 1;
                        }
                    }
                    Op::LoadNil { a, b } => {
                        for r in a..=b {
                            self.stack[base + r as usize] = Value::Nil;
                        }
                    }
                    Op::GetUpval { a, b } => {
                        let v = self.get_upval(closure, b);
                        copy_into(&mut self.stack[base + a as usize], &v);
                    }
                    Op::SetUpval { a, b } => {
                        let v = self.stack[base + a as usize].clone();
                        self.set_upval(closure, b, v);
                    }
                    Op::GetGlobal { a, k: i } => {
                        let Value::Str(name) = &k[i as usize] else {
                            continue;
                        };
                        let g = self.heap.table(self.globals);
                        let v = g.get_str(name);
                        if !v.is_nil() || g.meta.is_none() {
                            copy_into(&mut self.stack[base + a as usize], v);
                        } else {
                            save!();
                            let key = k[i as usize].clone();
                            let v =
                                self.index_op(Value::Table(self.globals), &key, Operand::None)?;
                            self.stack[base + a as usize] = v;
                        }
                    }
                    Op::SetGlobal { a, k: i } => {
                        let v = self.stack[base + a as usize].clone();
                        let key = k[i as usize].clone();
                        if !self.table_has_meta(self.globals) {
                            let g = self.globals;
                            save!();
                            self.heap
                                .table_mut(g)
                                .set(key, v)
                                .map_err(|e| self.rt_error(e.message()))?;
                        } else {
                            save!();
                            self.newindex_op(Value::Table(self.globals), key, v, Operand::None)?;
                        }
                    }
                    Op::GetTable { a, b, c } => {
                        let t = &self.stack[base + b as usize];
                        let key = rk!(c);
                        if let Value::Table(r) = t {
                            let tab = self.heap.table(*r);
                            let v = tab.get(key);
                            if !v.is_nil() || tab.meta.is_none() {
                                copy_into(&mut self.stack[base + a as usize], v);
                                continue;
                            }
                        }
                        let (t, key) = (t.clone(), key.clone());
                        save!();
                        let v = self.index_op(t, &key, Operand::Reg(b as u32))?;
                        self.stack[base + a as usize] = v;
                    }
                    Op::SetTable { a, b, c } => {
                        let t = &self.stack[base + a as usize];
                        let key = fast_clone(rk!(b));
                        let v = fast_clone(rk!(c));
                        if let Value::Table(r) = t {
                            let r = *r;
                            if !self.table_has_meta(r) {
                                let tab = self.heap.table_mut(r);
                                let res = tab.set(key, v);
                                let grew = std::mem::take(&mut tab.grew);
                                if let Err(e) = res {
                                    save!();
                                    return Err(self.rt_error(e.message()));
                                }
                                if grew > 0 {
                                    save!();
                                    self.heap.debt += grew;
                                    self.gc_check()?;
                                }
                                continue;
                            }
                        }
                        let t = t.clone();
                        save!();
                        self.newindex_op(t, key, v, Operand::Reg(a as u32))?;
                    }
                    Op::NewTable { a, b, c } => {
                        let t = Table::new(
                            crate::compiler::fb_to_int(b),
                            crate::compiler::fb_to_int(c),
                        );
                        let r = self.heap.new_table(t);
                        self.stack[base + a as usize] = Value::Table(r);
                        save!();
                        self.gc_check()?;
                    }
                    Op::SelfOp { a, b, c } => {
                        copy_slot(&mut self.stack, base + a as usize + 1, base + b as usize);
                        let obj = fast_clone(&self.stack[base + b as usize]);
                        let key = rk!(c);
                        if let Value::Table(r) = &obj {
                            let tab = self.heap.table(*r);
                            let v = tab.get(key);
                            if !v.is_nil() || tab.meta.is_none() {
                                copy_into(&mut self.stack[base + a as usize], v);
                                continue;
                            }
                        }
                        let key = key.clone();
                        save!();
                        let v = self.index_op(obj, &key, Operand::Reg(b as u32))?;
                        self.stack[base + a as usize] = v;
                    }
                    Op::Add { a, b, c } => arith!(a, b, c, Arith::Add),
                    Op::Sub { a, b, c } => arith!(a, b, c, Arith::Sub),
                    Op::Mul { a, b, c } => arith!(a, b, c, Arith::Mul),
                    Op::Div { a, b, c } => arith!(a, b, c, Arith::Div),
                    Op::Mod { a, b, c } => arith!(a, b, c, Arith::Mod),
                    Op::Pow { a, b, c } => arith!(a, b, c, Arith::Pow),
                    Op::Unm { a, b } => arith!(a, b as u16, b as u16, Arith::Unm),
                    Op::Not { a, b } => {
                        let v = !self.stack[base + b as usize].truthy();
                        self.stack[base + a as usize] = Value::Bool(v);
                    }
                    Op::Len { a, b } => {
                        let v = match &self.stack[base + b as usize] {
                            Value::Table(r) => Value::Number(self.heap.table(*r).length() as f64),
                            Value::Str(s) => Value::Number(s.len() as f64),
                            other => {
                                let other = other.clone();
                                save!();
                                let tm = self.metamethod(&other, Event::Len);
                                if tm.is_nil() {
                                    return Err(self.type_error(
                                        &other,
                                        "get length of",
                                        Operand::Reg(b as u32),
                                    ));
                                }
                                self.call_meta(tm, vec![other, Value::Nil])?
                            }
                        };
                        self.stack[base + a as usize] = v;
                    }
                    Op::Concat { a, b, c } => {
                        save!();
                        self.concat(base + b as usize, base + c as usize)?;
                        let v = fast_clone(&self.stack[base + b as usize]);
                        self.stack[base + a as usize] = v;
                        self.gc_check()?;
                    }
                    Op::Jmp { sbx } => pc = (pc as i64 + sbx as i64) as usize,
                    Op::Eq { a, b, c } => {
                        let vb = rk!(b);
                        let vc = rk!(c);
                        let res = match (vb, vc) {
                            (Value::Number(x), Value::Number(y)) => x == y,
                            (Value::Table(_), Value::Table(_))
                            | (Value::UserData(_), Value::UserData(_)) => {
                                let (vb, vc) = (vb.clone(), vc.clone());
                                save!();
                                self.equal(&vb, &vc)?
                            }
                            _ => vb.raw_eq(vc),
                        };
                        cond_jump!(res == a);
                    }
                    Op::Lt { a, b, c } => {
                        let vb = rk!(b);
                        let vc = rk!(c);
                        let res = if let (Value::Number(x), Value::Number(y)) = (vb, vc) {
                            x < y
                        } else {
                            let (vb, vc) = (vb.clone(), vc.clone());
                            save!();
                            self.less_than(&vb, &vc)?
                        };
                        cond_jump!(res == a);
                    }
                    Op::Le { a, b, c } => {
                        let vb = rk!(b);
                        let vc = rk!(c);
                        let res = if let (Value::Number(x), Value::Number(y)) = (vb, vc) {
                            x <= y
                        } else {
                            let (vb, vc) = (vb.clone(), vc.clone());
                            save!();
                            self.less_equal(&vb, &vc)?
                        };
                        cond_jump!(res == a);
                    }
                    Op::Test { a, c } => {
                        cond_jump!(self.stack[base + a as usize].truthy() == c);
                    }
                    Op::TestSet { a, b, c } => {
                        let v = &self.stack[base + b as usize];
                        let holds = v.truthy() == c;
                        if holds {
                            let v = v.clone();
                            self.stack[base + a as usize] = v;
                        }
                        cond_jump!(holds);
                    }
                    Op::Call { a, b, c } => {
                        let func = base + a as usize;
                        let nargs = if b != 0 {
                            b as usize - 1
                        } else {
                            self.top - func - 1
                        };
                        save!();
                        if !matches!(self.stack[func], Value::Function(_)) {
                            let v = self.stack[func].clone();
                            if self.metamethod(&v, Event::Call).is_nil() {
                                return Err(self.type_error(&v, "call", Operand::Reg(a as u32)));
                            }
                        }
                        match self.precall(func, nargs, c as i32 - 1, FrameKind::Normal)? {
                            Called::Lua | Called::Switched => continue 'frame,
                            Called::Native => {
                                if c != 0 {
                                    self.trim_stack();
                                }
                            }
                            Called::Yield(req) => return Ok(Exit::Yielded(req)),
                        }
                    }
                    Op::TailCall { a, b } => {
                        let func = base + a as usize;
                        let nargs = if b != 0 {
                            b as usize - 1
                        } else {
                            self.top - func - 1
                        };
                        save!();
                        if !matches!(self.stack[func], Value::Function(_)) {
                            let v = self.stack[func].clone();
                            if self.metamethod(&v, Event::Call).is_nil() {
                                return Err(self.type_error(&v, "call", Operand::Reg(a as u32)));
                            }
                        }
                        let is_lua = match &self.stack[func] {
                            Value::Function(r) => {
                                matches!(self.heap.funcs.get(r.0), Some(Function::Lua(_)))
                            }
                            _ => false,
                        };
                        if is_lua {
                            // Replace this frame: move the callee and its arguments down.
                            self.close_upvals(base);
                            let Some(frame) = self.frames.pop() else {
                                continue 'frame;
                            };
                            let dst = frame.func;
                            for i in 0..=nargs {
                                self.stack[dst + i] = std::mem::take(&mut self.stack[func + i]);
                            }
                            self.stack.truncate(dst + 1 + nargs);
                            self.precall(dst, nargs, frame.nresults, frame.kind)?;
                            if let Some(f) = self.frames.last_mut() {
                                f.protect_wanted = frame.protect_wanted;
                                f.handler = frame.handler;
                                f.entry = frame.entry;
                            }
                            continue 'frame;
                        }
                        // A native: an ordinary call; the RETURN that follows passes the
                        // results on (as 5.1 emits RETURN after TAILCALL).
                        match self.precall(func, nargs, -1, FrameKind::Normal)? {
                            Called::Lua | Called::Switched => continue 'frame,
                            Called::Native => {}
                            Called::Yield(req) => return Ok(Exit::Yielded(req)),
                        }
                    }
                    Op::Return { a, b } => {
                        let src = base + a as usize;
                        let n = if b != 0 {
                            b as usize - 1
                        } else {
                            self.top - src
                        };
                        if let Some(exit) = self.post_call(src, n) {
                            return Ok(exit);
                        }
                        continue 'frame;
                    }
                    Op::ForLoop { a, sbx } => {
                        let ra = base + a as usize;
                        if let (Value::Number(idx), Value::Number(limit), Value::Number(step)) =
                            (&self.stack[ra], &self.stack[ra + 1], &self.stack[ra + 2])
                        {
                            let (limit, step) = (*limit, *step);
                            let idx = idx + step;
                            let go = if 0.0 < step {
                                idx <= limit
                            } else {
                                limit <= idx
                            };
                            if go {
                                pc = (pc as i64 + sbx as i64) as usize;
                                set_num!(ra, idx);
                                set_num!(ra + 3, idx);
                            }
                        }
                    }
                    Op::ForPrep { a, sbx } => {
                        let ra = base + a as usize;
                        save!();
                        let init = self.stack[ra].to_number();
                        let limit = self.stack[ra + 1].to_number();
                        let step = self.stack[ra + 2].to_number();
                        let Some(init) = init else {
                            return Err(self.rt_error("'for' initial value must be a number"));
                        };
                        let Some(limit) = limit else {
                            return Err(self.rt_error("'for' limit must be a number"));
                        };
                        let Some(step) = step else {
                            return Err(self.rt_error("'for' step must be a number"));
                        };
                        self.stack[ra] = Value::Number(init - step);
                        self.stack[ra + 1] = Value::Number(limit);
                        self.stack[ra + 2] = Value::Number(step);
                        pc = (pc as i64 + sbx as i64) as usize;
                    }
                    Op::TForCall { a, c } => {
                        let ra = base + a as usize;
                        let cb = ra + 3;
                        for i in 0..3 {
                            let v = self.stack[ra + i].clone();
                            self.stack[cb + i] = v;
                        }
                        save!();
                        self.top = cb + 3;
                        match self.precall(cb, 2, c as i32, FrameKind::Normal)? {
                            Called::Lua | Called::Switched => continue 'frame,
                            Called::Native => self.trim_stack(),
                            Called::Yield(req) => return Ok(Exit::Yielded(req)),
                        }
                    }
                    Op::TForLoop { a, sbx } => {
                        let ra = base + a as usize;
                        if !self.stack[ra + 3].is_nil() {
                            let v = self.stack[ra + 3].clone();
                            self.stack[ra + 2] = v;
                            pc = (pc as i64 + sbx as i64) as usize;
                        }
                    }
                    Op::SetList { a, b, c } => {
                        let ra = base + a as usize;
                        let n = if b == 0 {
                            self.top - ra - 1
                        } else {
                            b as usize
                        };
                        let Value::Table(t) = self.stack[ra] else {
                            continue;
                        };
                        let last = (c as usize - 1) * FIELDS_PER_FLUSH as usize + n;
                        save!();
                        if last > self.heap.table(t).array_len() {
                            self.heap
                                .table_mut(t)
                                .resize_array(last)
                                .map_err(|e| self.rt_error(e.message()))?;
                        }
                        for i in (1..=n).rev() {
                            let v = self.stack[ra + i].clone();
                            let _ = self.heap.table_mut(t).set_int((last - n + i) as i64, v);
                        }
                        let grew = std::mem::take(&mut self.heap.table_mut(t).grew);
                        self.heap.debt += grew;
                        self.trim_stack();
                        self.gc_check()?;
                    }
                    Op::Close { a } => self.close_upvals(base + a as usize),
                    Op::Closure { a, bx } => {
                        let p = proto.protos[bx as usize].clone();
                        let mut ups = Vec::with_capacity(p.upvals.len());
                        for d in &p.upvals {
                            match *d {
                                crate::proto::UpvalDesc::Local(r) => {
                                    ups.push(self.find_upval(base + r as usize))
                                }
                                crate::proto::UpvalDesc::Upval(i) => {
                                    ups.push(self.upval_id(closure, i).unwrap_or(u32::MAX))
                                }
                            }
                        }
                        let f = self.heap.new_function(Function::Lua(LuaClosure {
                            proto: p,
                            upvals: ups.into(),
                        }));
                        self.stack[base + a as usize] = Value::Function(f);
                        save!();
                        self.gc_check()?;
                    }
                    Op::Vararg { a, b } => {
                        let ra = base + a as usize;
                        let n = self.frames[fi].nvarargs;
                        let want = if b == 0 { n } else { b as usize - 1 };
                        self.ensure_stack(ra + want);
                        for j in 0..want {
                            self.stack[ra + j] = if j < n {
                                self.stack[base - n + j].clone()
                            } else {
                                Value::Nil
                            };
                        }
                        if b == 0 {
                            self.top = ra + n;
                        }
                    }
                }
            }
        }
    }
}
