//! Coroutines (Lua 5.1's `coroutine` library). Each coroutine has its own value stack,
//! frames and open upvalues; the VM runs one thread at a time and switches by swapping
//! those into its own fields. Resume and yield are switches inside the interpreter loop,
//! not Rust calls, so a coroutine can pause on fuel like any code, and its frames are kept
//! in the heap object while it is suspended.
//!
//! An upvalue still open on a suspended thread's stack names its owner thread, so a
//! closure created inside a coroutine reads the right stack from anywhere.

use crate::heap::{Function, NativeClosure, NativeKind};
use crate::value::{ThreadRef, Value};
use crate::vm::{Called, Frame, FrameKind, NativeReturn, Vm, MAIN_THREAD};

/// A thread's execution state while another thread runs.
#[derive(Default)]
pub struct ThreadState {
    pub(crate) stack: Vec<Value>,
    pub(crate) frames: Vec<Frame>,
    pub(crate) open_upvals: Vec<(usize, u32)>,
    pub(crate) top: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CoStatus {
    Suspended,
    Running,
    /// It resumed another coroutine and waits for it.
    Normal,
    Dead,
}

/// Where the results of a resume go in the resumer's stack.
#[derive(Clone, Copy)]
struct ResumeSite {
    func: usize,
    nresults: i32,
    /// Resumed through a `coroutine.wrap` function: results without the status, errors
    /// raised in the resumer.
    wrapped: bool,
    /// Resumed by `pcall(coroutine.resume, ...)`: one more `true` in front, at `func - 1`.
    protected: Option<i32>,
}

pub struct Coroutine {
    pub(crate) state: ThreadState,
    pub(crate) status: CoStatus,
    started: bool,
    body: Value,
    resumer: u32,
    site: Option<ResumeSite>,
    /// Where the values of the next resume go (the pending `yield` call).
    yield_site: (usize, i32),
    native_depth: u32,
}

impl Coroutine {
    /// The thread that resumed this one (and waits for it while it runs).
    pub(crate) fn resumer(&self) -> u32 {
        self.resumer
    }

    /// Every value and open upvalue the coroutine holds (for the collector).
    pub(crate) fn for_each_root(
        &self,
        values: &mut dyn FnMut(&Value),
        upvals: &mut dyn FnMut(u32),
    ) {
        values(&self.body);
        for v in &self.state.stack {
            values(v);
        }
        for f in &self.state.frames {
            values(&Value::Function(f.closure));
            if let Some(h) = &f.handler {
                values(h);
            }
        }
        for &(_, u) in &self.state.open_upvals {
            upvals(u);
        }
    }
}

impl Vm {
    pub(crate) fn thread_stack(&self, owner: u32) -> &[Value] {
        if owner == MAIN_THREAD {
            return self.main_saved.as_ref().map_or(&[], |s| &s.stack[..]);
        }
        self.heap
            .threads
            .get(owner)
            .map_or(&[], |c| &c.state.stack[..])
    }

    pub(crate) fn thread_stack_mut(&mut self, owner: u32) -> &mut Vec<Value> {
        if owner == MAIN_THREAD {
            return &mut self
                .main_saved
                .get_or_insert_with(ThreadState::default)
                .stack;
        }
        match self.heap.threads.get_mut(owner) {
            Some(c) => &mut c.state.stack,
            None => {
                &mut self
                    .main_saved
                    .get_or_insert_with(ThreadState::default)
                    .stack
            }
        }
    }

    fn take_state(&mut self) -> ThreadState {
        ThreadState {
            stack: std::mem::take(&mut self.stack),
            frames: std::mem::take(&mut self.frames),
            open_upvals: std::mem::take(&mut self.open_upvals),
            top: self.top,
        }
    }

    fn put_state(&mut self, s: ThreadState) {
        self.stack = s.stack;
        self.frames = s.frames;
        self.open_upvals = s.open_upvals;
        self.top = s.top;
    }

    /// Makes `target` the running thread, saving the current one.
    fn switch_to(&mut self, target: u32) {
        let saved = self.take_state();
        if self.cur_thread == MAIN_THREAD {
            self.main_saved = Some(saved);
        } else if let Some(c) = self.heap.threads.get_mut(self.cur_thread) {
            c.state = saved;
        }
        let next = if target == MAIN_THREAD {
            self.main_saved.take().unwrap_or_default()
        } else {
            self.heap
                .threads
                .get_mut(target)
                .map(|c| std::mem::take(&mut c.state))
                .unwrap_or_default()
        };
        self.put_state(next);
        self.cur_thread = target;
    }

    fn co(&mut self, id: u32) -> Option<&mut Coroutine> {
        self.heap.threads.get_mut(id)
    }

    /// `coroutine.resume(co, ...)` (or a wrap function with its coroutine).
    pub(crate) fn co_resume(
        &mut self,
        func: usize,
        nargs: usize,
        nresults: i32,
        wrapped: Option<Value>,
    ) -> Result<Called, Value> {
        let (co, first_arg) = match &wrapped {
            Some(co) => (co.clone(), func + 1),
            None if nargs == 0 => (Value::Nil, func + 1),
            None => (
                self.stack.get(func + 1).cloned().unwrap_or(Value::Nil),
                func + 2,
            ),
        };
        let Value::Thread(ThreadRef(id)) = co else {
            return Err(self.arg_error(1, "resume", "coroutine expected"));
        };
        if self.direct_call {
            return Err(Value::str("cannot resume a coroutine from a native call"));
        }
        let status = self
            .heap
            .threads
            .get(id)
            .map_or(CoStatus::Dead, |c| c.status);
        let refusal = match status {
            CoStatus::Suspended => None,
            // 5.1.5's auxresume: "cannot resume %s coroutine" with costatus's name.
            CoStatus::Dead => Some("cannot resume dead coroutine"),
            CoStatus::Running => Some("cannot resume running coroutine"),
            CoStatus::Normal => Some("cannot resume normal coroutine"),
        };
        if let Some(msg) = refusal {
            if wrapped.is_some() {
                return Err(self.error(msg));
            }
            self.place_results(func, vec![Value::Bool(false), Value::str(msg)], nresults);
            return Ok(Called::Native);
        }
        let args: Vec<Value> =
            self.stack[first_arg.min(func + 1 + nargs)..func + 1 + nargs].to_vec();
        let resumer = self.cur_thread;
        let depth = self.native_depth;
        if let Some(c) = self.co(resumer) {
            c.status = CoStatus::Normal;
        }
        let (started, body) = match self.co(id) {
            Some(c) => {
                c.site = Some(ResumeSite {
                    func,
                    nresults,
                    wrapped: wrapped.is_some(),
                    protected: None,
                });
                c.resumer = resumer;
                c.native_depth = depth;
                c.status = CoStatus::Running;
                let started = c.started;
                c.started = true;
                (started, c.body.clone())
            }
            None => return Err(self.error("cannot resume dead coroutine")),
        };
        self.switch_to(id);
        if !started {
            self.stack.clear();
            self.stack.push(body);
            let n = args.len();
            self.stack.extend(args);
            match self.precall(0, n, -1, FrameKind::CoroutineBase) {
                Ok(Called::Lua) => {}
                Ok(_) => {
                    // A native body (not made by create, which wants a Lua function).
                    let vals = self.stack[..self.top.min(self.stack.len())].to_vec();
                    self.co_finish(vals);
                }
                Err(e) => {
                    if let Some(e) = self.co_die(e) {
                        return Err(e);
                    }
                }
            }
        } else {
            let (yf, yn) = self.co(id).map_or((0, 0), |c| c.yield_site);
            self.place_results(yf, args, yn);
        }
        Ok(Called::Switched)
    }

    /// Marks the resume just started as made through pcall.
    pub(crate) fn protect_resume_site(&mut self, wanted: i32) {
        let cur = self.cur_thread;
        if let Some(c) = self.co(cur) {
            if let Some(site) = c.site.as_mut() {
                site.protected = Some(wanted);
            }
        }
    }

    /// `coroutine.yield(...)`.
    pub(crate) fn co_yield(
        &mut self,
        func: usize,
        nargs: usize,
        nresults: i32,
    ) -> Result<Called, Value> {
        // Redis runs the main chunk inside lua_pcall, so 5.1 refuses a yield there with the
        // same message as across any C call (pcall included): raised in the native, bare.
        let id = self.cur_thread;
        let depth = self.co(id).map_or(0, |c| c.native_depth);
        let protected =
            self.pcall_pending || self.frames.iter().any(|f| f.kind == FrameKind::Protected);
        if id == MAIN_THREAD || self.direct_call || depth != self.native_depth || protected {
            return Err(Value::str(
                "attempt to yield across metamethod/C-call boundary",
            ));
        }
        let vals = self.stack[func + 1..func + 1 + nargs].to_vec();
        let (site, resumer) = match self.co(id) {
            Some(c) => {
                c.yield_site = (func, nresults);
                c.status = CoStatus::Suspended;
                (c.site.take(), c.resumer)
            }
            None => return Err(self.error("attempt to yield from outside a coroutine")),
        };
        self.switch_to(resumer);
        if let Some(c) = self.co(resumer) {
            c.status = CoStatus::Running;
        }
        if let Some(site) = site {
            self.deliver(site, true, vals);
        }
        Ok(Called::Switched)
    }

    /// The coroutine's body returned `vals`: it is dead, its resumer gets the values.
    pub(crate) fn co_finish(&mut self, vals: Vec<Value>) {
        let id = self.cur_thread;
        let (site, resumer) = match self.co(id) {
            Some(c) => {
                c.status = CoStatus::Dead;
                (c.site.take(), c.resumer)
            }
            None => return,
        };
        self.switch_to(resumer);
        if let Some(c) = self.co(id) {
            c.state = ThreadState::default();
        }
        if let Some(c) = self.co(resumer) {
            c.status = CoStatus::Running;
        }
        if let Some(site) = site {
            self.deliver(site, true, vals);
        }
    }

    /// An error reached the coroutine's body: it is dead; the resumer gets `false, err`,
    /// or (through wrap) the error is raised in the resumer: returned to raise.
    pub(crate) fn co_die(&mut self, err: Value) -> Option<Value> {
        let id = self.cur_thread;
        self.close_upvals(0);
        let (site, resumer) = match self.co(id) {
            Some(c) => {
                c.status = CoStatus::Dead;
                (c.site.take(), c.resumer)
            }
            None => return Some(err),
        };
        self.switch_to(resumer);
        if let Some(c) = self.co(id) {
            c.state = ThreadState::default();
        }
        if let Some(c) = self.co(resumer) {
            c.status = CoStatus::Running;
        }
        let site = site?;
        if let (true, Some(wanted)) = (site.wrapped, site.protected) {
            // pcall(wrapped): pcall, a native, is the caller: no position added.
            self.place_results(site.func - 1, vec![Value::Bool(false), err], wanted);
            return None;
        }
        if site.wrapped {
            // auxwrap: a string error gets the position of the wrap call in front.
            return Some(match err.to_lua_string() {
                Some(s) => {
                    let mut out = self.where_(1).into_bytes();
                    out.extend_from_slice(s.as_bytes());
                    Value::Str(crate::value::LuaStr::from_vec(out))
                }
                None => err,
            });
        }
        self.deliver(site, false, vec![err]);
        None
    }

    fn deliver(&mut self, site: ResumeSite, ok: bool, vals: Vec<Value>) {
        let mut out = Vec::with_capacity(vals.len() + 2);
        if let Some(wanted) = site.protected {
            out.push(Value::Bool(true));
            if !site.wrapped {
                out.push(Value::Bool(ok));
            }
            out.extend(vals);
            self.place_results(site.func - 1, out, wanted);
            return;
        }
        if !site.wrapped {
            out.push(Value::Bool(ok));
        }
        out.extend(vals);
        self.place_results(site.func, out, site.nresults);
    }
}

type R = Result<NativeReturn, Value>;

fn co_create(vm: &mut Vm, args: Vec<Value>) -> R {
    let body = args.first().cloned().unwrap_or(Value::Nil);
    let is_lua = match &body {
        Value::Function(f) => matches!(vm.heap.funcs.get(f.0), Some(Function::Lua(_))),
        _ => false,
    };
    if !is_lua {
        return Err(vm.arg_error(1, "create", "Lua function expected"));
    }
    Ok(NativeReturn::Values(vec![Value::Thread(new_coroutine(
        vm, body,
    ))]))
}

fn new_coroutine(vm: &mut Vm, body: Value) -> ThreadRef {
    vm.heap.new_thread(Coroutine {
        state: ThreadState::default(),
        status: CoStatus::Suspended,
        started: false,
        body,
        resumer: MAIN_THREAD,
        site: None,
        yield_site: (0, 0),
        native_depth: 0,
    })
}

fn co_status(vm: &mut Vm, args: Vec<Value>) -> R {
    let Some(Value::Thread(t)) = args.first() else {
        return Err(vm.arg_error(1, "status", "coroutine expected"));
    };
    let status = if t.0 == vm.cur_thread {
        "running"
    } else {
        match vm
            .heap
            .threads
            .get(t.0)
            .map_or(CoStatus::Dead, |c| c.status)
        {
            CoStatus::Suspended => "suspended",
            CoStatus::Running => "running",
            CoStatus::Normal => "normal",
            CoStatus::Dead => "dead",
        }
    };
    Ok(NativeReturn::Values(vec![Value::str(status)]))
}

fn co_running(vm: &mut Vm, _args: Vec<Value>) -> R {
    let v = if vm.cur_thread == MAIN_THREAD {
        Value::Nil
    } else {
        Value::Thread(ThreadRef(vm.cur_thread))
    };
    Ok(NativeReturn::Values(vec![v]))
}

fn co_wrap(vm: &mut Vm, args: Vec<Value>) -> R {
    let NativeReturn::Values(created) = co_create(vm, args)? else {
        return Ok(NativeReturn::Values(Vec::new()));
    };
    let co = created.into_iter().next().unwrap_or(Value::Nil);
    let f = NativeClosure {
        f: unreachable_native,
        kind: NativeKind::Wrap,
        name: "wrap",
        upvals: vec![co].into_boxed_slice(),
    };
    Ok(NativeReturn::Values(vec![Value::Function(
        vm.heap.new_function(Function::Native(f)),
    )]))
}

/// resume, yield and wrap functions are run by the VM itself.
fn unreachable_native(vm: &mut Vm, _args: Vec<Value>) -> R {
    Err(vm.error("coroutine function called outside the VM"))
}

/// Registers the `coroutine` table (in `co_funcs`' order, sized as `luaL_register` sizes
/// it, so `pairs` visits it in Lua 5.1's order).
pub fn open(vm: &mut Vm) {
    let t = vm.new_table_sized(0, 6);
    let functions: [(&'static str, crate::heap::NativeFn, NativeKind); 6] = [
        ("create", co_create, NativeKind::Plain),
        ("resume", unreachable_native, NativeKind::Resume),
        ("running", co_running, NativeKind::Plain),
        ("status", co_status, NativeKind::Plain),
        ("wrap", co_wrap, NativeKind::Plain),
        ("yield", unreachable_native, NativeKind::Yield),
    ];
    for (name, f, kind) in functions {
        let v = if kind == NativeKind::Plain {
            vm.new_native(name, f)
        } else {
            vm.new_special_native(name, f, kind)
        };
        let _ = vm.raw_set(t, Value::str(name), v);
    }
    vm.set_global("coroutine", Value::Table(t));
}
