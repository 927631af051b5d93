//! Rewrites a script (parsed by the Lua 5.1 front end, `lua51::syntax`) so that piccolo runs
//! it with Lua 5.1's semantics where its own operators differ (see `ops.rs`), then prints it
//! back with every token on its original line (error positions stay right):
//!
//! - `a .. b .. c` becomes `__pg_cat(names, a, b, c)`: Lua 5.1 raises on nil, booleans and
//!   tables (naming the operand: `attempt to concatenate local 'x' (a nil value)`) and
//!   writes numbers with `%.14g`;
//! - `a < b`, `a <= b`, `a > b`, `a >= b` become `__pg_lt(a, b)`...: Lua 5.1 raises
//!   `attempt to compare number with string` where piccolo compares;
//! - `s:m(...)` becomes `__pg_mcall(name, 'm', s, ...)`: strings have methods in Lua 5.1
//!   (`s:upper()`), not in piccolo;
//! - string literals are written with `\ddd` escapes, so `"\x41"` reads as Lua 5.1 reads it.
//!
//! The helpers are locals declared on the script's first line (before its first token), so
//! a call costs a register read, not a global lookup.

use lua51::syntax::{
    ast::{ArgStyle, BinOp, Block, Expr, ExprKind, Field, NameRef, Resolution, Stat, StatKind, UnOp},
    parse,
    print::print,
    SyntaxError,
};

/// How deep the pass follows nested expressions and blocks. Lua 5.1 limits most nesting to
/// 200 levels, but left-associative operator chains (`1+1+...+1`) nest without bound; a
/// script nested deeper than this runs as written (without Lua 5.1's operator semantics)
/// rather than risk the stack.
const MAX_DEPTH: u32 = 400;

/// The declaration of the helpers, put in front of the script's first line.
const PROLOGUE: &str = "local __pg_cat, __pg_lt, __pg_le, __pg_gt, __pg_ge, __pg_mcall = \
__playground_ops.cat, __playground_ops.lt, __playground_ops.le, __playground_ops.gt, __playground_ops.ge, __playground_ops.mcall; ";

/// The source piccolo should compile for `body`, or Lua 5.1's compile error.
pub(crate) fn rewrite(body: &[u8]) -> Result<Vec<u8>, SyntaxError> {
    let mut chunk = parse(body)?;
    let mut pass = Lower { too_deep: false };
    pass.block(&mut chunk.block, 0);
    if pass.too_deep {
        return Ok(body.to_vec());
    }
    let mut out = PROLOGUE.as_bytes().to_vec();
    out.extend_from_slice(print(&chunk).as_bytes());
    Ok(out)
}

struct Lower {
    too_deep: bool,
}

fn helper(name: &str, line: u32) -> Expr {
    Expr::new(line, ExprKind::Name(NameRef { name: name.to_string(), resolution: Resolution::Global }))
}

fn string(bytes: &[u8], line: u32) -> Expr {
    Expr::new(line, ExprKind::String(bytes.to_vec()))
}

fn call(name: &str, line: u32, args: Vec<Expr>) -> ExprKind {
    ExprKind::Call { callee: Box::new(helper(name, line)), args, style: ArgStyle::Parens, close_line: line }
}

fn take(e: &mut Expr) -> Expr {
    std::mem::replace(e, Expr::new(e.line, ExprKind::Nil))
}

impl Lower {
    /// How Lua 5.1's debug information names the value of `e` in an error (`getobjname`),
    /// or None for a temporary or a constant.
    fn name_of(&self, e: &Expr) -> Option<String> {
        match &e.kind {
            ExprKind::Name(n) => Some(match n.resolution {
                Resolution::Local(_) => format!("local '{}'", n.name),
                Resolution::Upvalue(_) => format!("upvalue '{}'", n.name),
                Resolution::Global => format!("global '{}'", n.name),
            }),
            ExprKind::Field { name, .. } => Some(format!("field '{name}'")),
            ExprKind::Index { key, .. } => Some(match &key.kind {
                ExprKind::String(k) => format!("field '{}'", String::from_utf8_lossy(k)),
                _ => "field '?'".to_string(),
            }),
            // `(x)` is the same register as `x`.
            ExprKind::Paren { inner, .. } if matches!(inner.kind, ExprKind::Name(_)) => self.name_of(inner),
            _ => None,
        }
    }

    fn block(&mut self, b: &mut Block, depth: u32) {
        for s in &mut b.stats {
            self.stat(s, depth + 1);
        }
    }

    fn stat(&mut self, s: &mut Stat, depth: u32) {
        if depth > MAX_DEPTH {
            self.too_deep = true;
            return;
        }
        match &mut s.kind {
            StatKind::Call(e) => self.expr(e, depth),
            StatKind::Assign { targets, values } => {
                for e in targets.iter_mut().chain(values.iter_mut()) {
                    self.expr(e, depth);
                }
            }
            StatKind::Local { values, .. } | StatKind::Return(values) => {
                for e in values {
                    self.expr(e, depth);
                }
            }
            StatKind::LocalFunction { func, .. } | StatKind::Function { func, .. } => self.block(&mut func.body, depth),
            StatKind::Do { body, .. } => self.block(body, depth),
            StatKind::While { cond, body, .. } | StatKind::Repeat { body, cond, .. } => {
                self.expr(cond, depth);
                self.block(body, depth);
            }
            StatKind::If { clauses, else_block, .. } => {
                for (cond, body) in clauses {
                    self.expr(cond, depth);
                    self.block(body, depth);
                }
                if let Some((_, body)) = else_block {
                    self.block(body, depth);
                }
            }
            StatKind::NumericFor { start, limit, step, body, .. } => {
                self.expr(start, depth);
                self.expr(limit, depth);
                if let Some(step) = step {
                    self.expr(step, depth);
                }
                self.block(body, depth);
            }
            StatKind::GenericFor { exprs, body, .. } => {
                for e in exprs {
                    self.expr(e, depth);
                }
                self.block(body, depth);
            }
            StatKind::Break => {}
        }
    }

    /// Rewrites `e` (before its operands, so names come from the script as written), then
    /// the operands.
    fn expr(&mut self, e: &mut Expr, depth: u32) {
        if depth > MAX_DEPTH {
            self.too_deep = true;
            return;
        }
        let line = e.line;
        let rewritten = match &mut e.kind {
            ExprKind::Binary { op: BinOp::Concat, left, right, .. } => {
                // `a .. (b .. c)`: one chain of operands, as Lua 5.1 concatenates them.
                let mut operands = vec![take(left)];
                let mut rest = take(right);
                loop {
                    match &mut rest.kind {
                        ExprKind::Binary { op: BinOp::Concat, left, right, .. } => {
                            operands.push(take(left));
                            rest = take(right);
                        }
                        _ => break,
                    }
                }
                operands.push(rest);
                let names: Vec<String> = operands.iter().map(|o| self.name_of(o).unwrap_or_default()).collect();
                let names = if names.iter().all(String::is_empty) { Expr::new(line, ExprKind::Nil) } else { string(names.join("\n").as_bytes(), line) };
                let mut args = vec![names];
                args.extend(operands);
                Some(call("__pg_cat", line, args))
            }
            ExprKind::Binary { op: op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge), left, right, .. } => {
                let name = match op {
                    BinOp::Lt => "__pg_lt",
                    BinOp::Le => "__pg_le",
                    BinOp::Gt => "__pg_gt",
                    _ => "__pg_ge",
                };
                Some(call(name, line, vec![take(left), take(right)]))
            }
            // `-0`: Lua 5.1 folds it into the constant -0.0; piccolo would negate the
            // integer 0 and lose the sign.
            ExprKind::Unary { op: UnOp::Neg, operand, .. } if matches!(operand.kind, ExprKind::Number(n) if n == 0.0) => {
                let ExprKind::Number(n) = operand.kind else { return };
                Some(ExprKind::Number(-n))
            }
            ExprKind::MethodCall { object, method, args, .. } => {
                let name = match self.name_of(object) {
                    Some(n) => string(n.as_bytes(), line),
                    None => Expr::new(line, ExprKind::Nil),
                };
                let mut all = vec![name, string(method.as_bytes(), line), take(object)];
                all.append(args);
                Some(call("__pg_mcall", line, all))
            }
            _ => None,
        };
        if let Some(kind) = rewritten {
            e.kind = kind;
        }
        // The operands (a rewritten node is a call: its arguments are the operands).
        match &mut e.kind {
            ExprKind::Binary { left, right, .. } => {
                self.expr(left, depth + 1);
                self.expr(right, depth + 1);
            }
            ExprKind::Unary { operand, .. } => self.expr(operand, depth + 1),
            ExprKind::Paren { inner, .. } => self.expr(inner, depth + 1),
            ExprKind::Index { object, key } => {
                self.expr(object, depth + 1);
                self.expr(key, depth + 1);
            }
            ExprKind::Field { object, .. } => self.expr(object, depth + 1),
            ExprKind::Call { callee, args, .. } => {
                self.expr(callee, depth + 1);
                for a in args {
                    self.expr(a, depth + 1);
                }
            }
            ExprKind::MethodCall { object, args, .. } => {
                self.expr(object, depth + 1);
                for a in args {
                    self.expr(a, depth + 1);
                }
            }
            ExprKind::Function(f) => self.block(&mut f.body, depth + 1),
            ExprKind::Table { fields, .. } => {
                for f in fields {
                    match f {
                        Field::Item(v) | Field::Named { value: v, .. } => self.expr(v, depth + 1),
                        Field::Keyed { key, value } => {
                            self.expr(key, depth + 1);
                            self.expr(value, depth + 1);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(src: &str) -> String {
        let out = rewrite(src.as_bytes()).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        out.strip_prefix(PROLOGUE).map(str::to_string).unwrap_or(out)
    }

    #[test]
    fn operators_become_helper_calls_on_the_same_lines() {
        assert_eq!(text("local x = 1 return 'a' .. x .. 2"), "local x = 1 return __pg_cat(\"\\nlocal 'x'\\n\", \"a\", x, 2)");
        assert_eq!(text("return a < b, c >= d"), "return __pg_lt(a, b), __pg_ge(c, d)");
        assert_eq!(text("local s = 'x'\nreturn s:upper()"), "local s = \"x\"\nreturn __pg_mcall(\"local 's'\", \"upper\", s)");
        assert_eq!(text("return t.k .. t[1]"), "return __pg_cat(\"field 'k'\\nfield '?'\", t.k, t[1])");
    }

    #[test]
    fn pathological_nesting_is_left_as_written() {
        let deep = format!("return {}1", "1 + ".repeat(2000));
        assert_eq!(rewrite(deep.as_bytes()).ok(), Some(deep.into_bytes()));
    }
}
