//! The Lua 5.1 parser (lparser.c's grammar, checks and messages, written anew): a recursive
//! descent that builds the tree, resolves names as it goes (`resolve.rs`) and stops at the
//! first error with Lua 5.1's message, line and `near` token.

use super::ast::*;
use super::lexer::{Lexer, Token};
use super::resolve::{LimitError, Scopes};
use super::SyntaxError;

/// LUAI_MAXCCALLS: nesting of blocks and expressions the parser accepts.
const MAX_LEVELS: usize = 200;

type Result<T> = std::result::Result<T, SyntaxError>;

pub struct Parser<'a> {
    lex: Lexer<'a>,
    /// The current token and the line it starts on.
    tok: Token,
    tok_line: u32,
    /// The token read ahead (only table constructors look ahead, for `name =`).
    ahead: Option<(Token, u32)>,
    /// `ls->lastline`: the lexer's line when the current token was taken.
    lastline: u32,
    /// `nCcalls`: open blocks and sub-expressions.
    levels: usize,
    scopes: Scopes,
}

fn block_follow(t: &Token) -> bool {
    matches!(
        t,
        Token::Else | Token::Elseif | Token::End | Token::Until | Token::Eof
    )
}

fn binary_op(t: &Token) -> Option<BinOp> {
    Some(match t {
        Token::Char(b'+') => BinOp::Add,
        Token::Char(b'-') => BinOp::Sub,
        Token::Char(b'*') => BinOp::Mul,
        Token::Char(b'/') => BinOp::Div,
        Token::Char(b'%') => BinOp::Mod,
        Token::Char(b'^') => BinOp::Pow,
        Token::Concat => BinOp::Concat,
        Token::Ne => BinOp::Ne,
        Token::Eq => BinOp::Eq,
        Token::Char(b'<') => BinOp::Lt,
        Token::Le => BinOp::Le,
        Token::Char(b'>') => BinOp::Gt,
        Token::Ge => BinOp::Ge,
        Token::And => BinOp::And,
        Token::Or => BinOp::Or,
        _ => return None,
    })
}

fn unary_op(t: &Token) -> Option<UnOp> {
    Some(match t {
        Token::Not => UnOp::Not,
        Token::Char(b'-') => UnOp::Neg,
        Token::Char(b'#') => UnOp::Len,
        _ => return None,
    })
}

impl<'a> Parser<'a> {
    /// Parses a whole chunk (the main function, a vararg function).
    pub fn parse_chunk(src: &'a [u8]) -> Result<Chunk> {
        let mut p = Parser {
            lex: Lexer::new(src),
            tok: Token::Eof,
            tok_line: 1,
            ahead: None,
            lastline: 1,
            levels: 0,
            scopes: Scopes::new(),
        };
        p.scopes.open_function(0, true);
        p.advance()?;
        let block = p.chunk()?;
        if p.tok != Token::Eof {
            return Err(p.error_expected(&Token::Eof));
        }
        p.scopes.close_function();
        Ok(Chunk {
            block,
            locals: std::mem::take(&mut p.scopes.locals),
        })
    }

    // ----- tokens and errors -----

    fn advance(&mut self) -> Result<()> {
        self.lastline = self.lex.line;
        match self.ahead.take() {
            Some((t, line)) => {
                self.tok = t;
                self.tok_line = line;
            }
            None => {
                self.tok = self.lex.next_token()?;
                self.tok_line = self.lex.token_line;
            }
        }
        Ok(())
    }

    fn lookahead(&mut self) -> Result<&Token> {
        if self.ahead.is_none() {
            let t = self.lex.next_token()?;
            self.ahead = Some((t, self.lex.token_line));
        }
        Ok(self.ahead.as_ref().map_or(&Token::Eof, |(t, _)| t))
    }

    /// `luaX_syntaxerror`: `msg near '<current token>'`.
    fn syntax_error(&self, msg: &[u8]) -> SyntaxError {
        self.lex.error(msg, Some(&self.tok))
    }

    fn error_expected(&self, t: &Token) -> SyntaxError {
        let mut msg = b"'".to_vec();
        msg.extend_from_slice(&t.spelling());
        msg.extend_from_slice(b"' expected");
        self.syntax_error(&msg)
    }

    fn limit_error(&self, e: LimitError) -> SyntaxError {
        self.lex.error(e.0.as_bytes(), None)
    }

    fn test_next(&mut self, t: &Token) -> Result<bool> {
        if self.tok == *t {
            self.advance()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn check_next(&mut self, t: &Token) -> Result<()> {
        if self.tok != *t {
            return Err(self.error_expected(t));
        }
        self.advance()
    }

    /// `check_match`: the closing token of a construct opened at line `where_`.
    fn check_match(&mut self, what: &Token, who: &Token, where_: u32) -> Result<()> {
        if self.test_next(what)? {
            return Ok(());
        }
        if where_ == self.lex.line {
            return Err(self.error_expected(what));
        }
        let mut msg = b"'".to_vec();
        msg.extend_from_slice(&what.spelling());
        msg.extend_from_slice(b"' expected (to close '");
        msg.extend_from_slice(&who.spelling());
        msg.extend_from_slice(format!("' at line {where_})").as_bytes());
        Err(self.syntax_error(&msg))
    }

    /// `str_checkname`: a name (and its line), or "'<name>' expected".
    fn check_name(&mut self) -> Result<(String, u32)> {
        let Token::Name(name) = &mut self.tok else {
            return Err(self.error_expected(&Token::Name(String::new())));
        };
        // The token is consumed here (a `near` quotes the lexer's buffer, not the token).
        let name = std::mem::take(name);
        let line = self.tok_line;
        self.advance()?;
        Ok((name, line))
    }

    fn enter_level(&mut self) -> Result<()> {
        self.levels += 1;
        if self.levels > MAX_LEVELS {
            return Err(self.lex.error(b"chunk has too many syntax levels", None));
        }
        Ok(())
    }

    fn declare(&mut self, name: &str, line: u32, kind: LocalKind) -> Result<LocalId> {
        self.scopes
            .declare(name, line, kind)
            .map_err(|e| self.limit_error(e))
    }

    // ----- blocks and statements -----

    /// `chunk`: statements until a block end; `return` and `break` must be last.
    fn chunk(&mut self) -> Result<Block> {
        self.enter_level()?;
        let mut stats = Vec::new();
        while !block_follow(&self.tok) {
            let stat = self.statement()?;
            let last = matches!(stat.kind, StatKind::Return(_) | StatKind::Break);
            stats.push(stat);
            self.test_next(&Token::Char(b';'))?;
            if last {
                break;
            }
        }
        self.levels -= 1;
        Ok(Block { stats })
    }

    fn block(&mut self) -> Result<Block> {
        self.scopes.enter_block(false);
        let b = self.chunk()?;
        self.scopes.leave_block();
        Ok(b)
    }

    /// One statement. Every construct has its own function: the parser recurses through
    /// here, and small frames keep 200 nesting levels well within a thread's stack.
    fn statement(&mut self) -> Result<Stat> {
        let line = self.lex.line;
        let kind = match self.tok {
            Token::If => self.if_stat(line),
            Token::While => self.while_stat(line),
            Token::Do => self.do_stat(line),
            Token::For => self.for_stat(line),
            Token::Repeat => self.repeat_stat(line),
            Token::Function => self.function_stat(line),
            Token::Local => self.local_or_local_function(),
            Token::Return => self.return_stat(),
            Token::Break => self.break_stat(),
            _ => self.expr_stat(),
        }?;
        Ok(Stat { line, kind })
    }

    fn do_stat(&mut self, line: u32) -> Result<StatKind> {
        self.advance()?;
        let body = self.block()?;
        let end_line = self.lex.line;
        self.check_match(&Token::End, &Token::Do, line)?;
        Ok(StatKind::Do { body, end_line })
    }

    fn local_or_local_function(&mut self) -> Result<StatKind> {
        self.advance()?;
        if self.test_next(&Token::Function)? {
            self.local_function()
        } else {
            self.local_stat()
        }
    }

    fn return_stat(&mut self) -> Result<StatKind> {
        self.advance()?;
        if block_follow(&self.tok) || self.tok == Token::Char(b';') {
            return Ok(StatKind::Return(Vec::new()));
        }
        Ok(StatKind::Return(self.expr_list()?))
    }

    fn break_stat(&mut self) -> Result<StatKind> {
        self.advance()?;
        if !self.scopes.in_loop() {
            return Err(self.syntax_error(b"no loop to break"));
        }
        Ok(StatKind::Break)
    }

    fn if_stat(&mut self, line: u32) -> Result<StatKind> {
        let mut clauses = Vec::new();
        loop {
            self.advance()?;
            let cond = self.expr()?;
            self.check_next(&Token::Then)?;
            let body = self.block()?;
            clauses.push((cond, body));
            if self.tok != Token::Elseif {
                break;
            }
        }
        let mut else_block = None;
        if self.tok == Token::Else {
            let else_line = self.tok_line;
            self.advance()?;
            else_block = Some((else_line, self.block()?));
        }
        let end_line = self.lex.line;
        self.check_match(&Token::End, &Token::If, line)?;
        Ok(StatKind::If {
            clauses,
            else_block,
            end_line,
        })
    }

    fn while_stat(&mut self, line: u32) -> Result<StatKind> {
        self.advance()?;
        let cond = self.expr()?;
        self.scopes.enter_block(true);
        self.check_next(&Token::Do)?;
        let body = self.block()?;
        let end_line = self.lex.line;
        self.check_match(&Token::End, &Token::While, line)?;
        self.scopes.leave_block();
        Ok(StatKind::While {
            cond,
            body,
            end_line,
        })
    }

    fn repeat_stat(&mut self, line: u32) -> Result<StatKind> {
        self.scopes.enter_block(true);
        self.scopes.enter_block(false);
        self.advance()?;
        let body = self.chunk()?;
        let until_line = self.lex.line;
        self.check_match(&Token::Until, &Token::Repeat, line)?;
        let cond = self.expr()?;
        self.scopes.leave_block();
        self.scopes.leave_block();
        Ok(StatKind::Repeat {
            body,
            until_line,
            cond,
        })
    }

    fn for_stat(&mut self, line: u32) -> Result<StatKind> {
        self.scopes.enter_block(true);
        self.advance()?;
        let (name, name_line) = self.check_name()?;
        let stat = match self.tok {
            Token::Char(b'=') => {
                for hidden in ["(for index)", "(for limit)", "(for step)"] {
                    self.declare(hidden, name_line, LocalKind::ForControl)?;
                }
                let var = self.declare(&name, name_line, LocalKind::ForVar)?;
                self.check_next(&Token::Char(b'='))?;
                let start = self.expr()?;
                self.check_next(&Token::Char(b','))?;
                let limit = self.expr()?;
                let step = if self.test_next(&Token::Char(b','))? {
                    Some(self.expr()?)
                } else {
                    None
                };
                let body = self.for_body(1)?;
                let end_line = self.lex.line;
                StatKind::NumericFor {
                    var,
                    start,
                    limit,
                    step,
                    body,
                    end_line,
                }
            }
            Token::Char(b',') | Token::In => {
                for hidden in ["(for generator)", "(for state)", "(for control)"] {
                    self.declare(hidden, name_line, LocalKind::ForControl)?;
                }
                let mut vars = vec![(
                    self.declare(&name, name_line, LocalKind::ForVar)?,
                    name_line,
                )];
                while self.test_next(&Token::Char(b','))? {
                    let (name, line) = self.check_name()?;
                    vars.push((self.declare(&name, line, LocalKind::ForVar)?, line));
                }
                self.check_next(&Token::In)?;
                let exprs = self.expr_list()?;
                let body = self.for_body(vars.len())?;
                let end_line = self.lex.line;
                StatKind::GenericFor {
                    vars,
                    exprs,
                    body,
                    end_line,
                }
            }
            _ => return Err(self.syntax_error(b"'=' or 'in' expected")),
        };
        self.check_match(&Token::End, &Token::For, line)?;
        self.scopes.leave_block();
        Ok(stat)
    }

    fn for_body(&mut self, nvars: usize) -> Result<Block> {
        self.scopes.activate(3);
        self.check_next(&Token::Do)?;
        self.scopes.enter_block(false);
        self.scopes.activate(nvars);
        let body = self.block()?;
        self.scopes.leave_block();
        Ok(body)
    }

    fn function_stat(&mut self, line: u32) -> Result<StatKind> {
        self.advance()?;
        let (base, _) = self.check_name()?;
        let resolution = self
            .scopes
            .resolve(&base)
            .map_err(|e| self.limit_error(e))?;
        let mut name = FuncName {
            base: NameRef {
                name: base,
                resolution,
            },
            fields: Vec::new(),
            method: None,
        };
        while self.tok == Token::Char(b'.') {
            self.advance()?;
            name.fields.push(self.check_name()?);
        }
        if self.tok == Token::Char(b':') {
            self.advance()?;
            name.method = Some(self.check_name()?);
        }
        let func = self.body(name.method.is_some(), line)?;
        Ok(StatKind::Function { name, func })
    }

    fn local_function(&mut self) -> Result<StatKind> {
        let (name, name_line) = self.check_name()?;
        let local = self.declare(&name, name_line, LocalKind::Local)?;
        self.scopes.activate(1);
        let line = self.lex.line;
        let func = self.body(false, line)?;
        Ok(StatKind::LocalFunction {
            local,
            name_line,
            func,
        })
    }

    fn local_stat(&mut self) -> Result<StatKind> {
        let mut names = Vec::new();
        loop {
            let (name, line) = self.check_name()?;
            names.push((self.declare(&name, line, LocalKind::Local)?, line));
            if !self.test_next(&Token::Char(b','))? {
                break;
            }
        }
        let values = if self.test_next(&Token::Char(b'='))? {
            self.expr_list()?
        } else {
            Vec::new()
        };
        self.scopes.activate(names.len());
        Ok(StatKind::Local { names, values })
    }

    /// A call statement or an assignment.
    fn expr_stat(&mut self) -> Result<StatKind> {
        let first = self.primary_expr()?;
        if matches!(
            first.kind,
            ExprKind::Call { .. } | ExprKind::MethodCall { .. }
        ) {
            return Ok(StatKind::Call(first));
        }
        let mut targets = vec![first];
        loop {
            let assignable = targets.last().is_some_and(|t| {
                matches!(
                    t.kind,
                    ExprKind::Name(_) | ExprKind::Index { .. } | ExprKind::Field { .. }
                )
            });
            if !assignable {
                return Err(self.syntax_error(b"syntax error"));
            }
            if !self.test_next(&Token::Char(b','))? {
                break;
            }
            let target = self.primary_expr()?;
            let limit = MAX_LEVELS.saturating_sub(self.levels);
            if targets.len() > limit {
                return Err(self.limit_error(self.scopes.assignment_limit(limit)));
            }
            targets.push(target);
        }
        self.check_next(&Token::Char(b'='))?;
        let values = self.expr_list()?;
        Ok(StatKind::Assign { targets, values })
    }

    // ----- functions -----

    /// `body`: `(params) block end`, a new function scope.
    fn body(&mut self, needs_self: bool, line: u32) -> Result<Function> {
        self.scopes.open_function(line, false);
        self.check_next(&Token::Char(b'('))?;
        let mut params = Vec::new();
        if needs_self {
            params.push(self.declare("self", line, LocalKind::SelfParam)?);
            self.scopes.activate(1);
        }
        let mut arg = None;
        let mut is_vararg = false;
        let mut declared = 0;
        if self.tok != Token::Char(b')') {
            loop {
                match &self.tok {
                    Token::Name(_) => {
                        let (name, pline) = self.check_name()?;
                        params.push(self.declare(&name, pline, LocalKind::Param)?);
                        declared += 1;
                    }
                    Token::Dots => {
                        let dline = self.tok_line;
                        self.advance()?;
                        arg = Some(self.declare("arg", dline, LocalKind::Arg)?);
                        declared += 1;
                        is_vararg = true;
                        self.scopes.set_vararg();
                    }
                    _ => return Err(self.syntax_error(b"<name> or '...' expected")),
                }
                if is_vararg || !self.test_next(&Token::Char(b','))? {
                    break;
                }
            }
        }
        self.scopes.activate(declared);
        self.check_next(&Token::Char(b')'))?;
        let body = self.chunk()?;
        let end_line = self.lex.line;
        self.check_match(&Token::End, &Token::Function, line)?;
        self.scopes.close_function();
        Ok(Function {
            line,
            params,
            is_vararg,
            arg,
            body,
            end_line,
        })
    }

    // ----- expressions -----

    fn expr_list(&mut self) -> Result<Vec<Expr>> {
        let mut list = vec![self.expr()?];
        while self.test_next(&Token::Char(b','))? {
            list.push(self.expr()?);
        }
        Ok(list)
    }

    fn expr(&mut self) -> Result<Expr> {
        Ok(self.sub_expr(0)?.0)
    }

    /// `subexpr`: an operand and the binary operators binding tighter than `limit`;
    /// returns the first operator it left.
    fn sub_expr(&mut self, limit: u8) -> Result<(Expr, Option<BinOp>)> {
        self.enter_level()?;
        let mut left = match unary_op(&self.tok) {
            Some(op) => self.unary_expr(op),
            None => self.simple_expr(),
        }?;
        let mut op = binary_op(&self.tok);
        while let Some(o) = op {
            if o.priority().0 <= limit {
                break;
            }
            let (e, next) = self.binary_expr(left, o)?;
            left = e;
            op = next;
        }
        self.levels -= 1;
        Ok((left, op))
    }

    fn unary_expr(&mut self, op: UnOp) -> Result<Expr> {
        let op_line = self.tok_line;
        self.advance()?;
        let operand = self.sub_expr(UNARY_PRIORITY)?.0;
        Ok(Expr {
            line: self.lastline,
            kind: ExprKind::Unary {
                op,
                op_line,
                operand: Box::new(operand),
            },
        })
    }

    /// The operator `op` (the current token) and its right operand.
    fn binary_expr(&mut self, left: Expr, op: BinOp) -> Result<(Expr, Option<BinOp>)> {
        let op_line = self.tok_line;
        self.advance()?;
        let (right, next) = self.sub_expr(op.priority().1)?;
        let kind = ExprKind::Binary {
            op,
            op_line,
            left: Box::new(left),
            right: Box::new(right),
        };
        Ok((
            Expr {
                line: self.lastline,
                kind,
            },
            next,
        ))
    }

    fn simple_expr(&mut self) -> Result<Expr> {
        match self.tok {
            Token::Char(b'{') => self.constructor(),
            Token::Function => self.function_expr(),
            Token::Number(_)
            | Token::Str(_)
            | Token::Nil
            | Token::True
            | Token::False
            | Token::Dots => self.value_expr(),
            _ => self.primary_expr(),
        }
    }

    /// A constant or `...`.
    fn value_expr(&mut self) -> Result<Expr> {
        let line = self.tok_line;
        let kind = match &mut self.tok {
            Token::Number(n) => ExprKind::Number(*n),
            Token::Str(s) => ExprKind::String(std::mem::take(s)),
            Token::True => ExprKind::True,
            Token::False => ExprKind::False,
            Token::Dots => {
                if !self.scopes.is_vararg() {
                    return Err(self.syntax_error(b"cannot use '...' outside a vararg function"));
                }
                ExprKind::Vararg
            }
            _ => ExprKind::Nil,
        };
        self.advance()?;
        Ok(Expr { line, kind })
    }

    fn function_expr(&mut self) -> Result<Expr> {
        self.advance()?;
        let line = self.lex.line;
        let func = self.body(false, line)?;
        Ok(Expr {
            line,
            kind: ExprKind::Function(Box::new(func)),
        })
    }

    /// `primaryexp`: a name or parenthesized expression, then fields, indexes and calls.
    fn primary_expr(&mut self) -> Result<Expr> {
        let mut e = match self.tok {
            Token::Char(b'(') => self.paren_expr(),
            Token::Name(_) => self.name_expr(),
            _ => Err(self.syntax_error(b"unexpected symbol")),
        }?;
        loop {
            e = match self.tok {
                Token::Char(b'.') => self.field_suffix(e),
                Token::Char(b'[') => self.index_suffix(e),
                Token::Char(b':') => self.method_suffix(e),
                Token::Char(b'(') | Token::Str(_) | Token::Char(b'{') => self.call_suffix(e),
                _ => return Ok(e),
            }?;
        }
    }

    fn paren_expr(&mut self) -> Result<Expr> {
        let line = self.lex.line;
        self.advance()?;
        let inner = self.expr()?;
        let close_line = self.lex.line;
        self.check_match(&Token::Char(b')'), &Token::Char(b'('), line)?;
        Ok(Expr {
            line,
            kind: ExprKind::Paren {
                inner: Box::new(inner),
                close_line,
            },
        })
    }

    fn name_expr(&mut self) -> Result<Expr> {
        let (name, line) = self.check_name()?;
        let resolution = self
            .scopes
            .resolve(&name)
            .map_err(|e| self.limit_error(e))?;
        Ok(Expr {
            line,
            kind: ExprKind::Name(NameRef { name, resolution }),
        })
    }

    fn field_suffix(&mut self, object: Expr) -> Result<Expr> {
        self.advance()?;
        let (name, line) = self.check_name()?;
        Ok(Expr {
            line,
            kind: ExprKind::Field {
                object: Box::new(object),
                name,
            },
        })
    }

    fn index_suffix(&mut self, object: Expr) -> Result<Expr> {
        let key = self.index_key()?;
        Ok(Expr {
            line: self.lastline,
            kind: ExprKind::Index {
                object: Box::new(object),
                key: Box::new(key),
            },
        })
    }

    fn method_suffix(&mut self, object: Expr) -> Result<Expr> {
        self.advance()?;
        let (method, method_line) = self.check_name()?;
        let (line, args, style, close_line) = self.call_args()?;
        Ok(Expr {
            line,
            kind: ExprKind::MethodCall {
                object: Box::new(object),
                method,
                method_line,
                args,
                style,
                close_line,
            },
        })
    }

    fn call_suffix(&mut self, callee: Expr) -> Result<Expr> {
        let (line, args, style, close_line) = self.call_args()?;
        Ok(Expr {
            line,
            kind: ExprKind::Call {
                callee: Box::new(callee),
                args,
                style,
                close_line,
            },
        })
    }

    /// `yindex`: `[expr]`.
    fn index_key(&mut self) -> Result<Expr> {
        self.advance()?;
        let key = self.expr()?;
        self.check_next(&Token::Char(b']'))?;
        Ok(key)
    }

    /// `funcargs`: `(list)`, a table or a string; returns the call's line, the arguments and
    /// how they are written and the line of the closing token.
    fn call_args(&mut self) -> Result<(u32, Vec<Expr>, ArgStyle, u32)> {
        let line = self.lex.line;
        match &mut self.tok {
            Token::Char(b'(') => {
                if line != self.lastline {
                    return Err(
                        self.syntax_error(b"ambiguous syntax (function call x new statement)")
                    );
                }
                self.advance()?;
                let args = if self.tok == Token::Char(b')') {
                    Vec::new()
                } else {
                    self.expr_list()?
                };
                let close_line = self.lex.line;
                self.check_match(&Token::Char(b')'), &Token::Char(b'('), line)?;
                Ok((line, args, ArgStyle::Parens, close_line))
            }
            Token::Char(b'{') => {
                let table = self.constructor()?;
                let close_line = match &table.kind {
                    ExprKind::Table { close_line, .. } => *close_line,
                    _ => line,
                };
                Ok((line, vec![table], ArgStyle::Table, close_line))
            }
            Token::Str(s) => {
                let arg = Expr {
                    line: self.tok_line,
                    kind: ExprKind::String(std::mem::take(s)),
                };
                self.advance()?;
                Ok((line, vec![arg], ArgStyle::String, line))
            }
            _ => Err(self.syntax_error(b"function arguments expected")),
        }
    }

    /// `constructor`: `{ fields }`.
    fn constructor(&mut self) -> Result<Expr> {
        let line = self.lex.line;
        self.check_next(&Token::Char(b'{'))?;
        let mut fields = Vec::new();
        loop {
            if self.tok == Token::Char(b'}') {
                break;
            }
            let field = self.table_field()?;
            fields.push(field);
            if !(self.test_next(&Token::Char(b','))? || self.test_next(&Token::Char(b';'))?) {
                break;
            }
        }
        let close_line = self.lex.line;
        self.check_match(&Token::Char(b'}'), &Token::Char(b'{'), line)?;
        Ok(Expr {
            line,
            kind: ExprKind::Table { fields, close_line },
        })
    }

    /// One field of a table constructor.
    fn table_field(&mut self) -> Result<Field> {
        match self.tok {
            Token::Name(_) => {
                if *self.lookahead()? != Token::Char(b'=') {
                    return self.expr().map(Field::Item);
                }
                self.named_field()
            }
            Token::Char(b'[') => self.keyed_field(),
            _ => self.expr().map(Field::Item),
        }
    }

    fn named_field(&mut self) -> Result<Field> {
        let (name, name_line) = self.check_name()?;
        self.check_next(&Token::Char(b'='))?;
        let value = self.expr()?;
        Ok(Field::Named {
            name,
            name_line,
            value,
        })
    }

    fn keyed_field(&mut self) -> Result<Field> {
        let key = self.index_key()?;
        self.check_next(&Token::Char(b'='))?;
        let value = self.expr()?;
        Ok(Field::Keyed { key, value })
    }
}
