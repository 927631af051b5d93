//! Name resolution as Lua 5.1's parser does it, while parsing: each function's active
//! locals (a stack, with the hidden `for` slots), its upvalues, its blocks (for `break`),
//! and the limits Lua 5.1 enforces (200 locals per function, 60 upvalues).
//!
//! It runs inside the parser rather than over the finished tree so that a limit error is
//! raised at the token where Lua 5.1 raises it.

use super::ast::{LocalId, LocalInfo, LocalKind, Resolution};

/// LUAI_MAXVARS: active locals per function.
pub const MAX_LOCALS: usize = 200;
/// LUAI_MAXUPVALUES: upvalues per function.
pub const MAX_UPVALUES: usize = 60;

struct BlockScope {
    /// Active locals when the block was entered (restored when it ends).
    active_at_entry: usize,
    /// A loop body: `break` leaves it.
    breakable: bool,
}

struct FunctionScope {
    /// `linedefined` (0 for the main chunk), for limit messages.
    line: u32,
    is_vararg: bool,
    active: Vec<LocalId>,
    /// Declared but not yet visible (`local x = x` reads the outer `x`).
    pending: Vec<LocalId>,
    upvalues: Vec<LocalId>,
    blocks: Vec<BlockScope>,
}

/// A limit was passed: the message Lua 5.1 gives (without position).
pub struct LimitError(pub String);

/// The scopes of the functions being parsed, innermost last.
pub struct Scopes {
    functions: Vec<FunctionScope>,
    pub locals: Vec<LocalInfo>,
}

impl Scopes {
    pub fn new() -> Scopes {
        Scopes {
            functions: Vec::new(),
            locals: Vec::new(),
        }
    }

    pub fn open_function(&mut self, line: u32, is_vararg: bool) {
        self.functions.push(FunctionScope {
            line,
            is_vararg,
            active: Vec::new(),
            pending: Vec::new(),
            upvalues: Vec::new(),
            blocks: Vec::new(),
        });
    }

    pub fn close_function(&mut self) {
        self.functions.pop();
    }

    pub fn set_vararg(&mut self) {
        if let Some(f) = self.functions.last_mut() {
            f.is_vararg = true;
        }
    }

    pub fn is_vararg(&self) -> bool {
        self.functions.last().is_some_and(|f| f.is_vararg)
    }

    fn limit_error(line: u32, limit: usize, what: &str) -> LimitError {
        LimitError(if line == 0 {
            format!("main function has more than {limit} {what}")
        } else {
            format!("function at line {line} has more than {limit} {what}")
        })
    }

    /// The message when an assignment has more targets than `limit`.
    pub fn assignment_limit(&self, limit: usize) -> LimitError {
        Self::limit_error(
            self.functions.last().map_or(0, |f| f.line),
            limit,
            "variables in assignment",
        )
    }

    /// `new_localvar`: declares a local, visible after `activate`.
    pub fn declare(
        &mut self,
        name: &str,
        line: u32,
        kind: LocalKind,
    ) -> Result<LocalId, LimitError> {
        let id = self.locals.len() as LocalId;
        let Some(f) = self.functions.last_mut() else {
            return Err(LimitError("no function".into()));
        };
        if f.active.len() + f.pending.len() + 1 > MAX_LOCALS {
            return Err(Self::limit_error(f.line, MAX_LOCALS, "local variables"));
        }
        f.pending.push(id);
        self.locals.push(LocalInfo {
            name: name.to_string(),
            line,
            kind,
        });
        Ok(id)
    }

    /// `adjustlocalvars`: the first `n` pending locals become visible.
    pub fn activate(&mut self, n: usize) {
        if let Some(f) = self.functions.last_mut() {
            let n = n.min(f.pending.len());
            let ready: Vec<LocalId> = f.pending.drain(..n).collect();
            f.active.extend(ready);
        }
    }

    pub fn enter_block(&mut self, breakable: bool) {
        if let Some(f) = self.functions.last_mut() {
            f.blocks.push(BlockScope {
                active_at_entry: f.active.len(),
                breakable,
            });
        }
    }

    pub fn leave_block(&mut self) {
        if let Some(f) = self.functions.last_mut() {
            if let Some(b) = f.blocks.pop() {
                f.active.truncate(b.active_at_entry);
            }
        }
    }

    /// Whether `break` has a loop to leave in the current function.
    pub fn in_loop(&self) -> bool {
        self.functions
            .last()
            .is_some_and(|f| f.blocks.iter().any(|b| b.breakable))
    }

    fn find_active(&self, level: usize, name: &str) -> Option<LocalId> {
        self.functions[level]
            .active
            .iter()
            .rev()
            .copied()
            .find(|&id| self.locals[id as usize].name == name)
    }

    /// `singlevar`: a local of this function, an upvalue (registered in every function
    /// between the declaring one and this one, outermost first), or a global.
    pub fn resolve(&mut self, name: &str) -> Result<Resolution, LimitError> {
        let innermost = self.functions.len().saturating_sub(1);
        for level in (0..self.functions.len()).rev() {
            let Some(id) = self.find_active(level, name) else {
                continue;
            };
            if level == innermost {
                return Ok(Resolution::Local(id));
            }
            for inner in level + 1..=innermost {
                let f = &mut self.functions[inner];
                if !f.upvalues.contains(&id) {
                    if f.upvalues.len() + 1 > MAX_UPVALUES {
                        return Err(Self::limit_error(f.line, MAX_UPVALUES, "upvalues"));
                    }
                    f.upvalues.push(id);
                }
            }
            return Ok(Resolution::Upvalue(id));
        }
        Ok(Resolution::Global)
    }
}
