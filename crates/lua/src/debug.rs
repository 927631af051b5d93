//! Naming the operand of a failed instruction as Lua 5.1 does (`getobjname` and `symbexec`
//! in ldebug.c): a register that holds an active local is `local 'x'`; otherwise the last
//! instruction before the failing one that wrote the register says where the value came
//! from (`global 'x'`, `field 'k'`, `upvalue 'u'`, `method 'm'`, or a copy of a local).
//! Done only when an error is raised, so running code pays nothing for it.

use crate::proto::{Op, Proto, RK_CONST};

/// `symbexec`: the last instruction before `lastpc` that changed register `reg`, following
/// forward jumps that do not pass `lastpc`, as 5.1's symbolic execution does.
fn last_writer(p: &Proto, lastpc: usize, reg: u32) -> Option<Op> {
    let mut last = p.code.len().checked_sub(1)?;
    let mut pc = 0usize;
    while pc < lastpc && pc < p.code.len() {
        let op = p.code[pc];
        if let Some(a) = op.sets_a() {
            if a as u32 == reg {
                last = pc;
            }
        }
        match op {
            Op::LoadNil { a, b } if a as u32 <= reg && reg <= b as u32 => last = pc,
            Op::Call { a, .. } | Op::TailCall { a, .. } if reg >= a as u32 => last = pc,
            Op::TForCall { a, .. } if reg >= a as u32 + 2 => last = pc,
            Op::SelfOp { a, .. } if reg == a as u32 + 1 => last = pc,
            Op::Jmp { sbx } => {
                let dest = pc as i64 + 1 + sbx as i64;
                if (pc as i64) < dest && dest <= lastpc as i64 {
                    pc = (pc as i64 + sbx as i64) as usize;
                }
            }
            _ => {}
        }
        pc += 1;
    }
    p.code.get(last).copied()
}

fn constant_name(p: &Proto, rk: u16) -> String {
    if rk >= RK_CONST {
        if let Some(s) = p.constant_str((rk - RK_CONST) as usize) {
            return s.to_str_lossy();
        }
    }
    "?".to_string()
}

/// `getobjname`: how 5.1 describes register `reg` at instruction `pc` (the failing one).
pub fn describe_register(p: &Proto, pc: usize, reg: u32) -> Option<(&'static str, String)> {
    let mut reg = reg;
    // Each MOVE step goes to a lower register, so this ends.
    loop {
        if let Some(name) = p.local_name(reg as usize + 1, pc) {
            return Some(("local", name.to_string()));
        }
        match last_writer(p, pc, reg)? {
            Op::GetGlobal { k, .. } => {
                return p
                    .constant_str(k as usize)
                    .map(|s| ("global", s.to_str_lossy()));
            }
            Op::Move { a, b } if b < a => reg = b as u32,
            Op::GetTable { c, .. } => return Some(("field", constant_name(p, c))),
            Op::GetUpval { b, .. } => {
                let name = p
                    .upval_names
                    .get(b as usize)
                    .cloned()
                    .unwrap_or_else(|| "?".into());
                return Some(("upvalue", name));
            }
            Op::SelfOp { c, .. } => return Some(("method", constant_name(p, c))),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proto(src: &str) -> std::rc::Rc<Proto> {
        let chunk = crate::syntax::parse(src.as_bytes()).expect("parses");
        crate::compiler::compile(&chunk, "user_script").expect("compiles")
    }

    /// The description of register `reg` at the first instruction matching `at`.
    fn name_at(p: &Proto, at: impl Fn(&Op) -> bool, reg: u32) -> Option<(&'static str, String)> {
        let pc = p.code.iter().position(at).expect("instruction present");
        describe_register(p, pc, reg)
    }

    #[test]
    fn names_locals_globals_fields_methods() {
        let p = proto("local t = nil return t.x");
        assert_eq!(
            name_at(&p, |op| matches!(op, Op::GetTable { .. }), 0),
            Some(("local", "t".into()))
        );
        let p = proto("return g.x");
        assert_eq!(
            name_at(&p, |op| matches!(op, Op::GetTable { .. }), 0),
            Some(("global", "g".into()))
        );
        let p = proto("local t = {} return t.a.b");
        let pc = p
            .code
            .iter()
            .rposition(|op| matches!(op, Op::GetTable { .. }))
            .unwrap();
        assert_eq!(describe_register(&p, pc, 1), Some(("field", "a".into())));
        let p = proto("local o = {} o:m()");
        assert_eq!(
            name_at(&p, |op| matches!(op, Op::Call { .. }), 1),
            Some(("method", "m".into()))
        );
        let p = proto("local u = 1 local function f() return #u end");
        let child = &p.protos[0];
        assert_eq!(
            name_at(child, |op| matches!(op, Op::Len { .. }), 0),
            Some(("upvalue", "u".into()))
        );
    }

    #[test]
    fn temporaries_have_no_name() {
        let p = proto("return (1 + 2) .. {}");
        let pc = p
            .code
            .iter()
            .position(|op| matches!(op, Op::Concat { .. }))
            .unwrap();
        assert_eq!(describe_register(&p, pc, 1), None);
    }
}
