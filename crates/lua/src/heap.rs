//! The garbage-collected heap: tables, functions, upvalues and userdata live in slabs and
//! are named by handles (indices), so values stay small and copyable and cycles between
//! objects are no problem for Rust's ownership.
//!
//! Collection is a stop-the-world mark and sweep. The VM starts it only at safe points (an
//! instruction that allocates), when every live value is reachable from the roots it
//! passes: the VM stack, the globals and registry, and values the host pinned. Allocation
//! adds to a debt; once the debt passes the threshold a collection runs and the next
//! threshold is set from the surviving size (twice it, as Lua 5.1's default pause does).
//! The surviving size is also what the memory limit is checked against.

use crate::proto::Proto;
use crate::table::Table;
use crate::value::{FuncRef, TableRef, UserDataRef, Value};
use std::any::Any;
use std::rc::Rc;

/// A native function: reads its arguments, returns results, or asks the host for something.
pub type NativeFn = fn(&mut crate::vm::Vm, Vec<Value>) -> Result<crate::vm::NativeReturn, Value>;

pub struct LuaClosure {
    pub proto: Rc<Proto>,
    pub upvals: Box<[u32]>,
}

/// Natives the VM runs itself rather than through their function pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeKind {
    Plain,
    /// `pcall`: runs its callee as a protected frame, so an endless loop inside can pause.
    Pcall,
    /// `xpcall`.
    Xpcall,
    /// `coroutine.resume`, the function `coroutine.wrap` makes, `coroutine.yield`: they
    /// switch the VM between threads.
    Resume,
    Wrap,
    Yield,
}

pub struct NativeClosure {
    pub f: NativeFn,
    pub kind: NativeKind,
    pub name: &'static str,
    /// Values bound to the function when it was made (read with `Vm::native_upvalue`).
    pub upvals: Box<[Value]>,
}

pub enum Function {
    Lua(LuaClosure),
    Native(NativeClosure),
}

/// An upvalue: open while the local it captures is still on the stack (the stack slot),
/// closed (its own value) once that local's scope ended.
pub enum Upval {
    /// A slot of the stack of thread `owner` (`vm::MAIN_THREAD` or a coroutine).
    Open {
        slot: usize,
        owner: u32,
    },
    Closed(Value),
}

pub struct UserData {
    pub meta: Option<TableRef>,
    pub data: Box<dyn Any>,
}

/// A pool of objects named by index, with a free list and mark bits.
pub struct Slab<T> {
    items: Vec<Option<T>>,
    marks: Vec<bool>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            items: Vec::new(),
            marks: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    pub fn insert(&mut self, v: T) -> u32 {
        if let Some(i) = self.free.pop() {
            self.items[i as usize] = Some(v);
            i
        } else {
            self.items.push(Some(v));
            self.marks.push(false);
            (self.items.len() - 1) as u32
        }
    }

    #[inline]
    pub fn get(&self, i: u32) -> Option<&T> {
        self.items.get(i as usize).and_then(|o| o.as_ref())
    }

    #[inline]
    pub fn get_mut(&mut self, i: u32) -> Option<&mut T> {
        self.items.get_mut(i as usize).and_then(|o| o.as_mut())
    }

    /// Sets the mark of `i`; true when it was not set (the object needs a visit).
    fn mark(&mut self, i: u32) -> bool {
        match self.marks.get_mut(i as usize) {
            Some(m) if !*m => {
                *m = true;
                true
            }
            _ => false,
        }
    }

    /// Frees every unmarked object, clears the marks; calls `size` on survivors.
    fn sweep(&mut self, mut size: impl FnMut(&T) -> usize) -> usize {
        let mut live = 0;
        for (i, item) in self.items.iter_mut().enumerate() {
            let Some(object) = item else { continue };
            if self.marks[i] {
                self.marks[i] = false;
                live += size(object);
            } else {
                *item = None;
                self.free.push(i as u32);
            }
        }
        live
    }

    pub fn live_count(&self) -> usize {
        self.items.len() - self.free.len()
    }
}

/// What the gray stack holds between the mark of an object and its traversal.
enum Gray {
    Table(u32),
    Func(u32),
    Upval(u32),
    UserData(u32),
    Thread(u32),
}

pub struct Heap {
    pub tables: Slab<Table>,
    pub funcs: Slab<Function>,
    pub upvals: Slab<Upval>,
    pub udata: Slab<UserData>,
    pub threads: Slab<crate::coroutine::Coroutine>,
    /// Bytes allocated since the last collection (an estimate).
    pub debt: usize,
    /// The debt that starts the next collection.
    pub threshold: usize,
    /// The estimated live size after the last collection (objects and the strings they hold).
    pub live_bytes: usize,
    gray: Vec<Gray>,
    string_bytes: usize,
    scratch: Table,
}

impl Default for Heap {
    fn default() -> Self {
        Heap {
            tables: Slab::default(),
            funcs: Slab::default(),
            upvals: Slab::default(),
            udata: Slab::default(),
            threads: Slab::default(),
            debt: 0,
            threshold: 1 << 20,
            live_bytes: 0,
            gray: Vec::new(),
            string_bytes: 0,
            scratch: Table::default(),
        }
    }
}

impl Heap {
    pub fn new_table(&mut self, t: Table) -> TableRef {
        self.debt += t.size_estimate();
        TableRef(self.tables.insert(t))
    }

    pub fn new_function(&mut self, f: Function) -> FuncRef {
        self.debt += 64;
        FuncRef(self.funcs.insert(f))
    }

    pub fn new_upval(&mut self, u: Upval) -> u32 {
        self.debt += 32;
        self.upvals.insert(u)
    }

    pub fn new_thread(&mut self, c: crate::coroutine::Coroutine) -> crate::value::ThreadRef {
        self.debt += 256;
        crate::value::ThreadRef(self.threads.insert(c))
    }

    pub fn new_userdata(&mut self, u: UserData) -> UserDataRef {
        self.debt += 64;
        UserDataRef(self.udata.insert(u))
    }

    #[inline]
    pub fn table(&self, r: TableRef) -> &Table {
        match self.tables.get(r.0) {
            Some(t) => t,
            None => &self.scratch,
        }
    }

    /// The table behind a handle. Handles held by live values always name a live table;
    /// a stale handle would be a VM bug, and gets an empty scratch table instead of a panic.
    #[inline]
    pub fn table_mut(&mut self, r: TableRef) -> &mut Table {
        match self.tables.items.get_mut(r.0 as usize) {
            Some(Some(t)) => t,
            _ => {
                self.scratch = Table::default();
                &mut self.scratch
            }
        }
    }

    pub fn mark_value(&mut self, v: &Value) {
        match v {
            Value::Str(s) => self.string_bytes += s.shared_size(),
            Value::Table(r) if self.tables.mark(r.0) => self.gray.push(Gray::Table(r.0)),
            Value::Function(r) if self.funcs.mark(r.0) => self.gray.push(Gray::Func(r.0)),
            Value::UserData(r) if self.udata.mark(r.0) => self.gray.push(Gray::UserData(r.0)),
            Value::Thread(r) if self.threads.mark(r.0) => self.gray.push(Gray::Thread(r.0)),
            _ => {}
        }
    }

    pub fn mark_upval(&mut self, i: u32) {
        if self.upvals.mark(i) {
            self.gray.push(Gray::Upval(i));
        }
    }

    pub fn mark_table(&mut self, r: TableRef) {
        self.mark_value(&Value::Table(r));
    }

    /// Starts a collection: clears the string tally (marks are clear between collections).
    pub fn begin_mark(&mut self) {
        self.string_bytes = 0;
        self.gray.clear();
    }

    /// Traverses everything reachable from what was marked so far.
    pub fn propagate(&mut self) {
        let mut scratch: Vec<Value> = Vec::new();
        while let Some(g) = self.gray.pop() {
            match g {
                Gray::Table(i) => {
                    if let Some(t) = self.tables.get(i) {
                        if let Some(m) = t.meta {
                            scratch.push(Value::Table(m));
                        }
                        t.for_each_value(|v| {
                            if !matches!(v, Value::Nil | Value::Bool(_) | Value::Number(_)) {
                                scratch.push(v.clone())
                            }
                        });
                    }
                }
                Gray::Func(i) => match self.funcs.get(i) {
                    Some(Function::Lua(c)) => {
                        let ups = c.upvals.clone();
                        for u in ups.iter() {
                            self.mark_upval(*u);
                        }
                    }
                    Some(Function::Native(n)) => scratch.extend(n.upvals.iter().cloned()),
                    None => {}
                },
                Gray::Upval(i) => match self.upvals.get(i) {
                    Some(Upval::Closed(v)) => scratch.push(v.clone()),
                    // An upvalue open on a suspended coroutine keeps that coroutine (and so
                    // its stack) alive.
                    Some(Upval::Open { owner, .. }) if *owner != crate::vm::MAIN_THREAD => {
                        scratch.push(Value::Thread(crate::value::ThreadRef(*owner)))
                    }
                    _ => {}
                },
                Gray::UserData(i) => {
                    if let Some(Some(m)) = self.udata.get(i).map(|u| u.meta) {
                        scratch.push(Value::Table(m));
                    }
                }
                Gray::Thread(i) => {
                    let mut ups = Vec::new();
                    if let Some(co) = self.threads.get(i) {
                        co.for_each_root(&mut |v| scratch.push(v.clone()), &mut |u| ups.push(u));
                    }
                    for u in ups {
                        self.mark_upval(u);
                    }
                }
            }
            for v in scratch.drain(..) {
                self.mark_value(&v);
            }
        }
    }

    /// Frees what was not marked; returns the live size estimate.
    pub fn sweep(&mut self) -> usize {
        let mut live = self.tables.sweep(|t| t.size_estimate());
        live += self.funcs.sweep(|f| match f {
            Function::Lua(c) => 48 + c.upvals.len() * 4,
            Function::Native(n) => 48 + n.upvals.len() * 16,
        });
        live += self.upvals.sweep(|_| 32);
        live += self.udata.sweep(|_| 64);
        live += self.threads.sweep(|c| 256 + c.state.stack.len() * 16);
        live += self.string_bytes;
        self.live_bytes = live;
        self.debt = 0;
        self.threshold = live.max(1 << 20);
        live
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_cycles_are_freed_and_slots_reused() {
        let mut heap = Heap::default();
        let a = heap.new_table(Table::new(0, 1));
        let b = heap.new_table(Table::new(0, 1));
        heap.table_mut(a)
            .set(Value::str("b"), Value::Table(b))
            .unwrap();
        heap.table_mut(b)
            .set(Value::str("a"), Value::Table(a))
            .unwrap();
        let root = heap.new_table(Table::new(0, 0));
        heap.begin_mark();
        heap.mark_table(root);
        heap.propagate();
        heap.sweep();
        assert_eq!(heap.tables.live_count(), 1);
        let c = heap.new_table(Table::new(0, 0));
        assert!(c.0 == a.0 || c.0 == b.0, "a freed slot is reused");
    }

    #[test]
    fn reachable_objects_survive() {
        let mut heap = Heap::default();
        let root = heap.new_table(Table::new(0, 0));
        let child = heap.new_table(Table::new(0, 0));
        let meta = heap.new_table(Table::new(0, 0));
        heap.table_mut(root)
            .set(Value::Number(1.0), Value::Table(child))
            .unwrap();
        heap.table_mut(child).meta = Some(meta);
        heap.begin_mark();
        heap.mark_table(root);
        heap.propagate();
        heap.sweep();
        assert_eq!(heap.tables.live_count(), 3);
        assert!(heap.live_bytes > 0);
    }
}
