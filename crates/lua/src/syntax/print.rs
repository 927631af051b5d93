//! Writes a tree back as Lua source that Lua 5.1 and piccolo both read as the same program,
//! with every token on its original line (newlines are inserted to reach a token's line;
//! a token is never moved to an earlier line than the one before it).
//!
//! Strings are written with decimal `\ddd` escapes (the only numeric escape both dialects
//! share), numbers in a form that reads back to the same value, parentheses as in the tree
//! (plus those operator precedence needs, for trees rewritten by later passes), and `;`
//! before a statement that starts with `(`. `goto` is a name in Lua 5.1 but a keyword in
//! piccolo: as a field it is written `["goto"]` (a local or global named `goto`, or a
//! method, is left to the passes that rewrite the tree).

use super::ast::*;

/// The source text of `chunk`.
pub fn print(chunk: &Chunk) -> String {
    let mut p = Printer {
        locals: &chunk.locals,
        out: String::new(),
        line: 1,
        glue: true,
    };
    p.block(&chunk.block);
    p.out
}

struct Printer<'a> {
    locals: &'a [LocalInfo],
    out: String,
    line: u32,
    /// The next token needs no space before it (start of a line, after an opening bracket).
    glue: bool,
}

/// The text of a number that reads back to the same value.
pub fn number_text(v: f64) -> String {
    if v.is_sign_negative() && !v.is_nan() {
        // Only rewritten trees hold negative numbers (a folded `-0`): in parentheses, so
        // they read the same next to any operator; `-0.0` keeps its sign as a float.
        return if v == 0.0 {
            "(-0.0)".to_string()
        } else {
            format!("(-{})", number_text(-v))
        };
    }
    if v.is_nan() {
        "(0/0)".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "1e999" } else { "(-1e999)" }.to_string()
    } else if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:e}")
    }
}

/// A string literal: printable ASCII as is, `\\`, `\"`, `\n`, anything else `\ddd`.
pub fn string_text(s: &[u8]) -> String {
    let mut t = String::with_capacity(s.len() + 2);
    t.push('"');
    for &b in s {
        match b {
            b'"' => t.push_str("\\\""),
            b'\\' => t.push_str("\\\\"),
            b'\n' => t.push_str("\\n"),
            0x20..=0x7e => t.push(b as char),
            _ => {
                t.push('\\');
                t.push_str(&format!("{b:03}"));
            }
        }
    }
    t.push('"');
    t
}

/// Whether `operand` must be parenthesized as the left (`left`) or right operand of `op`.
fn needs_parens(op: BinOp, operand: &Expr, left: bool) -> bool {
    let (op_left, op_right) = op.priority();
    match &operand.kind {
        ExprKind::Binary { op: inner, .. } => {
            let (inner_left, inner_right) = inner.priority();
            if left {
                op_left > inner_right
            } else {
                inner_left <= op_right
            }
        }
        ExprKind::Unary { .. } => left && op_left > UNARY_PRIORITY,
        _ => false,
    }
}

impl Printer<'_> {
    /// Goes down to `line` (if it is below the current one).
    fn go_to(&mut self, line: u32) {
        while self.line < line {
            self.out.push('\n');
            self.line += 1;
            self.glue = true;
        }
    }

    /// Goes to `line` (if it is below the current one) and writes `text`.
    fn token_at(&mut self, line: u32, text: &str) {
        self.go_to(line);
        self.token(text);
    }

    /// Writes `text` on the current line.
    fn token(&mut self, text: &str) {
        let closing = matches!(text, ")" | "]" | "}" | "," | ";" | "." | ":");
        if !self.glue && !closing {
            self.out.push(' ');
        }
        self.out.push_str(text);
        self.glue = matches!(text, "(" | "[" | "{" | "." | ":" | "#");
    }

    /// An opening `(` or `[` that must follow the previous token directly (a call's
    /// arguments: on another line Lua 5.1 reads a new statement).
    fn glued(&mut self, text: &str) {
        self.out.push_str(text);
        self.glue = true;
    }

    fn local_name(&self, id: LocalId) -> &str {
        self.locals
            .get(id as usize)
            .map_or("_", |l| l.name.as_str())
    }

    fn block(&mut self, b: &Block) {
        for (i, s) in b.stats.iter().enumerate() {
            self.stat(s);
            if b.stats.get(i + 1).is_some_and(starts_with_paren) {
                self.token(";");
            }
        }
    }

    fn exprs(&mut self, list: &[Expr]) {
        for (i, e) in list.iter().enumerate() {
            if i > 0 {
                self.token(",");
            }
            self.expr(e);
        }
    }

    fn stat(&mut self, s: &Stat) {
        let line = s.line;
        match &s.kind {
            StatKind::Call(e) => self.expr(e),
            StatKind::Assign { targets, values } => {
                self.exprs(targets);
                self.token("=");
                self.exprs(values);
            }
            StatKind::Local { names, values } => {
                self.token_at(line, "local");
                for (i, (id, nline)) in names.iter().enumerate() {
                    if i > 0 {
                        self.token(",");
                    }
                    let name = self.local_name(*id).to_string();
                    self.token_at(*nline, &name);
                }
                if !values.is_empty() {
                    self.token("=");
                    self.exprs(values);
                }
            }
            StatKind::LocalFunction {
                local,
                name_line,
                func,
            } => {
                self.token_at(line, "local");
                self.token("function");
                let name = self.local_name(*local).to_string();
                self.token_at(*name_line, &name);
                self.function_body(func);
            }
            StatKind::Function { name, func } => {
                self.token_at(line, "function");
                self.token(&name.base.name);
                for (field, fline) in &name.fields {
                    self.token_at(*fline, ".");
                    self.token(field);
                }
                if let Some((method, mline)) = &name.method {
                    self.token_at(*mline, ":");
                    self.token(method);
                }
                self.function_body(func);
            }
            StatKind::Do { body, end_line } => {
                self.token_at(line, "do");
                self.block(body);
                self.token_at(*end_line, "end");
            }
            StatKind::While {
                cond,
                body,
                end_line,
            } => {
                self.token_at(line, "while");
                self.expr(cond);
                self.token("do");
                self.block(body);
                self.token_at(*end_line, "end");
            }
            StatKind::Repeat {
                body,
                until_line,
                cond,
            } => {
                self.token_at(line, "repeat");
                self.block(body);
                self.token_at(*until_line, "until");
                self.expr(cond);
            }
            StatKind::If {
                clauses,
                else_block,
                end_line,
            } => {
                for (i, (cond, body)) in clauses.iter().enumerate() {
                    if i == 0 {
                        self.token_at(line, "if");
                    } else {
                        self.token("elseif");
                    }
                    self.expr(cond);
                    self.token("then");
                    self.block(body);
                }
                if let Some((else_line, body)) = else_block {
                    self.token_at(*else_line, "else");
                    self.block(body);
                }
                self.token_at(*end_line, "end");
            }
            StatKind::NumericFor {
                var,
                start,
                limit,
                step,
                body,
                end_line,
            } => {
                self.token_at(line, "for");
                let name = self.local_name(*var).to_string();
                let vline = self.locals.get(*var as usize).map_or(line, |l| l.line);
                self.token_at(vline, &name);
                self.token("=");
                self.expr(start);
                self.token(",");
                self.expr(limit);
                if let Some(step) = step {
                    self.token(",");
                    self.expr(step);
                }
                self.token("do");
                self.block(body);
                self.token_at(*end_line, "end");
            }
            StatKind::GenericFor {
                vars,
                exprs,
                body,
                end_line,
            } => {
                self.token_at(line, "for");
                for (i, (id, vline)) in vars.iter().enumerate() {
                    if i > 0 {
                        self.token(",");
                    }
                    let name = self.local_name(*id).to_string();
                    self.token_at(*vline, &name);
                }
                self.token("in");
                self.exprs(exprs);
                self.token("do");
                self.block(body);
                self.token_at(*end_line, "end");
            }
            StatKind::Return(values) => {
                self.token_at(line, "return");
                self.exprs(values);
            }
            StatKind::Break => self.token_at(line, "break"),
        }
    }

    /// `(params) body end` of a function.
    fn function_body(&mut self, f: &Function) {
        // `linedefined` of `local function f` and `function()` is the line of `(`.
        self.go_to(f.line);
        self.glued("(");
        let mut first = true;
        for &id in &f.params {
            if self
                .locals
                .get(id as usize)
                .is_some_and(|l| l.kind == LocalKind::SelfParam)
            {
                continue;
            }
            if !first {
                self.token(",");
            }
            first = false;
            let name = self.local_name(id).to_string();
            let pline = self.locals.get(id as usize).map_or(f.line, |l| l.line);
            self.token_at(pline, &name);
        }
        if f.is_vararg {
            if !first {
                self.token(",");
            }
            let dots_line = f
                .arg
                .and_then(|id| self.locals.get(id as usize))
                .map_or(f.line, |l| l.line);
            self.token_at(dots_line, "...");
        }
        self.token(")");
        self.block(&f.body);
        self.token_at(f.end_line, "end");
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Nil => self.token_at(e.line, "nil"),
            ExprKind::True => self.token_at(e.line, "true"),
            ExprKind::False => self.token_at(e.line, "false"),
            ExprKind::Vararg => self.token_at(e.line, "..."),
            ExprKind::Number(n) => self.token_at(e.line, &number_text(*n)),
            ExprKind::String(s) => self.token_at(e.line, &string_text(s)),
            ExprKind::Name(n) => self.token_at(e.line, &n.name),
            ExprKind::Function(f) => {
                self.token_at(e.line, "function");
                self.function_body(f);
            }
            ExprKind::Table { fields, close_line } => {
                self.token_at(e.line, "{");
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        self.token(",");
                    }
                    match field {
                        Field::Item(v) => self.expr(v),
                        Field::Named {
                            name,
                            name_line,
                            value,
                        } if name == "goto" => {
                            self.token_at(*name_line, "[");
                            self.token(&string_text(name.as_bytes()));
                            self.token("]");
                            self.token("=");
                            self.expr(value);
                        }
                        Field::Named {
                            name,
                            name_line,
                            value,
                        } => {
                            self.token_at(*name_line, name);
                            self.token("=");
                            self.expr(value);
                        }
                        Field::Keyed { key, value } => {
                            self.token("[");
                            self.expr(key);
                            self.token("]");
                            self.token("=");
                            self.expr(value);
                        }
                    }
                }
                self.token_at(*close_line, "}");
            }
            ExprKind::Binary { .. } => self.binary(e),
            ExprKind::Unary {
                op,
                op_line,
                operand,
            } => {
                self.token_at(*op_line, op.text());
                let wrap = matches!(&operand.kind, ExprKind::Binary { op: inner, .. } if *inner != BinOp::Pow);
                self.operand(operand, wrap);
            }
            ExprKind::Paren { inner, close_line } => {
                self.token_at(e.line, "(");
                self.expr(inner);
                self.token_at(*close_line, ")");
            }
            ExprKind::Index { .. }
            | ExprKind::Field { .. }
            | ExprKind::Call { .. }
            | ExprKind::MethodCall { .. } => self.suffixed(e),
        }
    }

    fn operand(&mut self, e: &Expr, wrap: bool) {
        if wrap {
            self.token("(");
            self.expr(e);
            self.token(")");
        } else {
            self.expr(e);
        }
    }

    /// A chain of binary operators, walked down its left side without recursion (a long
    /// `a + b + c ...` nests as deep as it is long).
    fn binary(&mut self, top: &Expr) {
        let mut spine = vec![top];
        let mut bottom = top;
        while let ExprKind::Binary { left, .. } = &bottom.kind {
            bottom = left;
            spine.push(left);
        }
        // spine[i]'s left operand is spine[i + 1]; the last is the leftmost operand.
        let leftmost = spine.pop().unwrap_or(top);
        let wraps: Vec<bool> = spine
            .iter()
            .map(|node| match &node.kind {
                ExprKind::Binary { op, left, .. } => needs_parens(*op, left, true),
                _ => false,
            })
            .collect();
        for &w in wraps.iter().rev() {
            if w {
                self.token("(");
            }
        }
        self.expr(leftmost);
        for (node, wrap) in spine.iter().zip(&wraps).rev() {
            if *wrap {
                self.token(")");
            }
            if let ExprKind::Binary {
                op, op_line, right, ..
            } = &node.kind
            {
                self.token_at(*op_line, op.text());
                self.operand(right, needs_parens(*op, right, false));
            }
        }
    }

    /// `a.b[c]:d(e)(f)...`, walked down its object side without recursion.
    fn suffixed(&mut self, top: &Expr) {
        let mut spine = vec![top];
        let mut bottom = top;
        loop {
            let next = match &bottom.kind {
                ExprKind::Index { object, .. }
                | ExprKind::Field { object, .. }
                | ExprKind::MethodCall { object, .. } => object,
                ExprKind::Call { callee, .. } => callee,
                _ => break,
            };
            bottom = next;
            spine.push(next);
        }
        let base = spine.pop().unwrap_or(top);
        let wrap = !matches!(base.kind, ExprKind::Name(_) | ExprKind::Paren { .. });
        self.operand(base, wrap);
        for node in spine.iter().rev() {
            match &node.kind {
                ExprKind::Index { key, .. } => {
                    self.glued("[");
                    self.expr(key);
                    self.token_at(node.line, "]");
                }
                ExprKind::Field { name, .. } if name == "goto" => {
                    self.glued("[");
                    self.token_at(node.line, &string_text(name.as_bytes()));
                    self.token("]");
                }
                ExprKind::Field { name, .. } => {
                    self.token_at(node.line, ".");
                    self.token(name);
                }
                ExprKind::MethodCall {
                    method,
                    method_line,
                    args,
                    style,
                    close_line,
                    ..
                } => {
                    self.token_at(*method_line, ":");
                    self.token(method);
                    self.call_args(args, *style, *close_line);
                }
                ExprKind::Call {
                    args,
                    style,
                    close_line,
                    ..
                } => self.call_args(args, *style, *close_line),
                _ => {}
            }
        }
    }

    fn call_args(&mut self, args: &[Expr], style: ArgStyle, close_line: u32) {
        // `f{...}` and `f'...'` as written (only when the tree still has the one argument).
        let single = matches!(
            (style, args),
            (
                ArgStyle::Table,
                [Expr {
                    kind: ExprKind::Table { .. },
                    ..
                }]
            ) | (
                ArgStyle::String,
                [Expr {
                    kind: ExprKind::String(_),
                    ..
                }]
            )
        );
        if single {
            self.glue = true;
            self.expr(&args[0]);
            return;
        }
        self.glued("(");
        self.exprs(args);
        self.token_at(close_line, ")");
    }
}

/// Whether a statement's text starts with `(` (it then needs a `;` before it, or Lua reads
/// a call of the previous statement's last expression).
fn starts_with_paren(s: &Stat) -> bool {
    let first = match &s.kind {
        StatKind::Call(e) => e,
        StatKind::Assign { targets, .. } => match targets.first() {
            Some(e) => e,
            None => return false,
        },
        _ => return false,
    };
    let mut e = first;
    loop {
        match &e.kind {
            ExprKind::Index { object, .. }
            | ExprKind::Field { object, .. }
            | ExprKind::MethodCall { object, .. } => e = object,
            ExprKind::Call { callee, .. } => e = callee,
            ExprKind::Name(_) => return false,
            _ => return true,
        }
    }
}
