//! The parser: turns tokens into an expression tree, checking each test's
//! field against the schema, its operator and literal against the field's
//! type, and compiling regular expressions, so evaluation cannot meet a
//! malformed expectation.

use crate::error::Failure;
use crate::field::{Field, FieldType, Schema, Segment};
use crate::lexer::{Tok, Token, tokenize};
use crate::literal;
use crate::value::Value;

/// How deep `not` and parentheses may nest.
const MAX_DEPTH: usize = 32;

/// A parsed expectation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// One test: `status == 200`.
    Test(Test),
    /// `not <expr>`.
    Not(Box<Expr>),
    /// `<expr> and <expr> …`.
    And(Vec<Expr>),
    /// `<expr> or <expr> …`.
    Or(Vec<Expr>),
}

/// One test of one field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Test {
    /// Byte span of the test in the source, for verdicts.
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) field: Field,
    pub(crate) op: Op,
    /// `!=`, `not in`, `not contains`, …
    pub(crate) negated: bool,
    pub(crate) operand: Operand,
}

/// An operator; `!=` and the `not` forms are [`Test::negated`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Contains,
    Matches,
    StartsWith,
    EndsWith,
    Exists,
}

/// What a field is tested against.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    /// `exists` takes nothing.
    None,
    /// A literal; a [`Value::List`] for `in`.
    Value(Value<'static>),
    /// A regular expression for `matches`.
    Regex(Pattern),
}

/// A compiled regular expression, equal to another with the same source.
#[derive(Debug, Clone)]
pub(crate) struct Pattern(pub(crate) regex::Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Op {
    /// The operator as written, with `not` when negated.
    pub(crate) fn name(self, negated: bool) -> &'static str {
        match (self, negated) {
            (Op::Eq, false) => "==",
            (Op::Eq, true) => "!=",
            (Op::Lt, _) => "<",
            (Op::Le, _) => "<=",
            (Op::Gt, _) => ">",
            (Op::Ge, _) => ">=",
            (Op::In, false) => "in",
            (Op::In, true) => "not in",
            (Op::Contains, false) => "contains",
            (Op::Contains, true) => "not contains",
            (Op::Matches, false) => "matches",
            (Op::Matches, true) => "not matches",
            (Op::StartsWith, false) => "starts_with",
            (Op::StartsWith, true) => "not starts_with",
            (Op::EndsWith, false) => "ends_with",
            (Op::EndsWith, true) => "not ends_with",
            (Op::Exists, false) => "exists",
            (Op::Exists, true) => "not exists",
        }
    }

    /// The operator named by a keyword, if any.
    fn keyword(word: &str) -> Option<Op> {
        Some(match word {
            "in" => Op::In,
            "contains" => Op::Contains,
            "matches" => Op::Matches,
            "starts_with" => Op::StartsWith,
            "ends_with" => Op::EndsWith,
            "exists" => Op::Exists,
            _ => return None,
        })
    }

    /// Whether the operator orders numbers, durations and sizes.
    fn is_ordering(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

/// Parses `src` against `schema`.
pub(crate) fn parse(src: &str, schema: &Schema) -> Result<Expr, Failure> {
    let tokens = tokenize(src)?;
    let mut parser = Parser {
        src,
        tokens,
        pos: 0,
        schema,
        depth: 0,
    };
    if parser.peek().tok == Tok::Eof {
        return Err(Failure::new(0, "empty expectation")
            .help("write `<field> <operator> <value>`, e.g. `status == 200`"));
    }
    let expr = parser.or()?;
    let next = parser.peek();
    match next.tok {
        Tok::Eof => Ok(expr),
        Tok::RParen => Err(Failure::new(next.start, "unmatched `)`")),
        _ => Err(Failure::new(
            next.start,
            format!("unexpected {} after a complete test", parser.describe(next)),
        )
        .help("combine tests with `and` or `or`")),
    }
}

const KEYWORDS: [&str; 12] = [
    "and",
    "or",
    "not",
    "in",
    "contains",
    "matches",
    "starts_with",
    "ends_with",
    "exists",
    "true",
    "false",
    "null",
];

const OPERATORS_HELP: &str = "operators: `==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `contains`, `matches`, \
                              `starts_with`, `ends_with`, `exists`, and `not` before the word ones";

struct Parser<'s, 'c> {
    src: &'s str,
    tokens: Vec<Token<'s>>,
    pos: usize,
    schema: &'c Schema,
    depth: usize,
}

/// A literal and its byte span.
struct Lit {
    value: Value<'static>,
    start: usize,
    end: usize,
}

impl<'s> Parser<'s, '_> {
    /// `or := and ("or" and)*`
    fn or(&mut self) -> Result<Expr, Failure> {
        let mut items = vec![self.and()?];
        while self.eat_word("or") {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    /// `and := unary ("and" unary)*`
    fn and(&mut self) -> Result<Expr, Failure> {
        let mut items = vec![self.unary()?];
        while self.eat_word("and") {
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    /// `unary := "not" unary | "(" or ")" | test`
    fn unary(&mut self) -> Result<Expr, Failure> {
        let token = self.peek().clone();
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(
                Failure::new(token.start, "expectation nests too deeply").help(format!(
                    "use at most {MAX_DEPTH} levels of `not` and parentheses"
                )),
            );
        }
        let expr = match token.tok {
            Tok::Ident("not") => {
                self.pos += 1;
                Expr::Not(Box::new(self.unary()?))
            }
            Tok::LParen => {
                self.pos += 1;
                let inner = self.or()?;
                let close = self.next();
                if close.tok != Tok::RParen {
                    let column = self.column(token.start);
                    return Err(Failure::new(
                        close.start,
                        format!("expected `)`, found {}", self.describe(&close)),
                    )
                    .help(format!("close the `(` at column {column}")));
                }
                inner
            }
            _ => Expr::Test(self.test()?),
        };
        self.depth -= 1;
        Ok(expr)
    }

    /// `test := field operator operand`
    fn test(&mut self) -> Result<Test, Failure> {
        let start = self.peek().start;
        let (field, ty) = self.field()?;
        let (op, negated, op_at) = self.operator(&field)?;
        check_operator(&field, ty, op, negated, op_at)?;
        let operand = match op {
            Op::Exists => Operand::None,
            Op::Matches => Operand::Regex(self.regex(op)?),
            Op::In => {
                if self.peek().tok != Tok::LBracket {
                    let found = self.peek().clone();
                    return Err(Failure::new(
                        found.start,
                        format!("`in` takes a list, found {}", self.describe(&found)),
                    )
                    .help("write the values in brackets, e.g. `[200, 204]`"));
                }
                let (items, _, _) = self.list()?;
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    self.check_literal(&field, ty, op, &item)?;
                    values.push(item.value);
                }
                Operand::Value(Value::List(values))
            }
            _ => {
                let lit = self.literal(op == Op::Eq)?;
                self.check_literal(&field, ty, op, &lit)?;
                Operand::Value(lit.value)
            }
        };
        let end = self
            .tokens
            .get(self.pos.wrapping_sub(1))
            .map_or(start, |t| t.end);
        Ok(Test {
            start,
            end,
            field,
            op,
            negated,
            operand,
        })
    }

    /// `field := name ("." name | "[" index "]" | "[" string "]")*`
    fn field(&mut self) -> Result<(Field, FieldType), Failure> {
        let token = self.next();
        let root = match token.tok {
            Tok::Ident(name) if !KEYWORDS.contains(&name) => name,
            _ => {
                let fields: Vec<String> = self.schema.roots().map(|r| format!("`{r}`")).collect();
                return Err(Failure::new(
                    token.start,
                    format!("expected a field, found {}", self.describe(&token)),
                )
                .help(format!("start a test with a field: {}", fields.join(", "))));
            }
        };
        let mut path = Vec::new();
        loop {
            match self.peek().tok {
                Tok::Dot => {
                    self.pos += 1;
                    let key = self.next();
                    let Tok::Ident(name) = key.tok else {
                        return Err(Failure::new(
                            key.start,
                            format!("expected a name after `.`, found {}", self.describe(&key)),
                        )
                        .help("write `[0]` for a list index, `[\"a key\"]` for any other key"));
                    };
                    path.push((Segment::Key(name.to_owned()), key.start));
                }
                Tok::LBracket => {
                    self.pos += 1;
                    let key = self.next();
                    let segment = match key.tok {
                        Tok::Number(text) => match text.parse::<usize>() {
                            Ok(index) => Segment::Index(index),
                            Err(_) => {
                                return Err(Failure::new(
                                    key.start,
                                    format!("invalid index `{text}`"),
                                )
                                .help("a list index is a whole number from 0, e.g. `[0]`"));
                            }
                        },
                        Tok::Str(name) => Segment::Key(name),
                        _ => {
                            return Err(Failure::new(
                                key.start,
                                format!(
                                    "expected an index or a quoted key after `[`, found {}",
                                    self.describe(&key)
                                ),
                            )
                            .help("write `[0]` or `[\"a key\"]`"));
                        }
                    };
                    path.push((segment, key.start));
                    let close = self.next();
                    if close.tok != Tok::RBracket {
                        return Err(Failure::new(
                            close.start,
                            format!("expected `]`, found {}", self.describe(&close)),
                        ));
                    }
                }
                _ => break,
            }
        }
        self.schema.resolve(root, token.start, token.end, path)
    }

    /// An operator, with `not` before the word ones; returns its offset.
    fn operator(&mut self, field: &Field) -> Result<(Op, bool, usize), Failure> {
        let token = self.next();
        let (op, negated) = match token.tok {
            Tok::Eq => (Op::Eq, false),
            Tok::Ne => (Op::Eq, true),
            Tok::Lt => (Op::Lt, false),
            Tok::Le => (Op::Le, false),
            Tok::Gt => (Op::Gt, false),
            Tok::Ge => (Op::Ge, false),
            Tok::Ident("not") => {
                let word = self.next();
                match word.tok {
                    Tok::Ident(w) if let Some(op) = Op::keyword(w) => (op, true),
                    _ => {
                        let found = self.describe(&word);
                        return Err(Failure::new(
                            word.start,
                            format!("expected an operator after `not`, found {found}"),
                        )
                        .help(
                            "write `not in`, `not contains`, `not matches`, `not starts_with`, \
                             `not ends_with` or `not exists`",
                        ));
                    }
                }
            }
            Tok::Ident(word) if let Some(op) = Op::keyword(word) => (op, false),
            _ => {
                let help = match token.tok {
                    Tok::Ident("is") => {
                        "test for null with `== null`, for presence with `exists` or `not exists`"
                    }
                    Tok::Ident("contain" | "include" | "includes" | "has") => {
                        "did you mean `contains`?"
                    }
                    Tok::Ident("match" | "like") => "did you mean `matches`?",
                    Tok::Ident("startswith" | "starts-with" | "start_with") => {
                        "did you mean `starts_with`?"
                    }
                    Tok::Ident("endswith" | "ends-with" | "end_with") => {
                        "did you mean `ends_with`?"
                    }
                    Tok::Ident("exist") => "did you mean `exists`?",
                    _ => OPERATORS_HELP,
                };
                let found = self.describe(&token);
                return Err(Failure::new(
                    token.start,
                    format!("expected an operator after `{field}`, found {found}"),
                )
                .help(help));
            }
        };
        Ok((op, negated, token.start))
    }

    /// The quoted regular expression after `matches`.
    fn regex(&mut self, op: Op) -> Result<Pattern, Failure> {
        let token = self.next();
        let Tok::Str(source) = token.tok else {
            return Err(Failure::new(
                token.start,
                format!(
                    "`{}` takes a quoted regular expression, found {}",
                    op.name(false),
                    self.describe(&token)
                ),
            )
            .help("write e.g. `\"v[0-9]+\"`"));
        };
        match regex::RegexBuilder::new(&source)
            .size_limit(1 << 20)
            .build()
        {
            Ok(regex) => Ok(Pattern(regex)),
            Err(regex::Error::Syntax(detail)) => {
                let reason = detail
                    .lines()
                    .rev()
                    .find_map(|l| l.strip_prefix("error: "))
                    .unwrap_or("syntax error");
                Err(Failure::new(
                    token.start,
                    format!("invalid regular expression `{source}`: {reason}"),
                )
                .help("see https://docs.rs/regex/latest/regex/#syntax"))
            }
            Err(_) => Err(Failure::new(
                token.start,
                format!("regular expression `{source}` is too large"),
            )
            .help("simplify it, e.g. with fewer or smaller repetitions")),
        }
    }

    /// A literal; a list only where `allow_list`.
    fn literal(&mut self, allow_list: bool) -> Result<Lit, Failure> {
        let token = self.peek().clone();
        if token.tok == Tok::LBracket {
            let (items, start, end) = self.list()?;
            if !allow_list {
                return Err(Failure::new(start, "expected one value, found a list")
                    .help("combine several tests with `and` or `or`"));
            }
            let value = Value::List(items.into_iter().map(|l| l.value).collect());
            return Ok(Lit { value, start, end });
        }
        self.scalar()
    }

    /// `list := "[" (scalar ("," scalar)* ","?)? "]"`; returns its span.
    fn list(&mut self) -> Result<(Vec<Lit>, usize, usize), Failure> {
        let open = self.next();
        let mut items = Vec::new();
        loop {
            if self.peek().tok == Tok::RBracket {
                break;
            }
            items.push(self.scalar()?);
            let sep = self.peek().clone();
            match sep.tok {
                Tok::Comma => self.pos += 1,
                Tok::RBracket => break,
                _ => {
                    return Err(Failure::new(
                        sep.start,
                        format!("expected `,` or `]`, found {}", self.describe(&sep)),
                    )
                    .help(format!(
                        "the list opened at column {} is not closed",
                        self.column(open.start)
                    )));
                }
            }
        }
        let close = self.next();
        Ok((items, open.start, close.end))
    }

    /// A single literal: number, duration, size, string, `true`, `false`, `null`.
    fn scalar(&mut self) -> Result<Lit, Failure> {
        let token = self.next();
        let value = match token.tok {
            Tok::Number(text) => literal::number(text).map_err(|(message, help)| Failure {
                at: token.start,
                message,
                help,
            })?,
            Tok::Str(s) => Value::Str(s.into()),
            Tok::Ident("true") => Value::Bool(true),
            Tok::Ident("false") => Value::Bool(false),
            Tok::Ident("null") => Value::Null,
            Tok::Ident(word) => {
                return Err(
                    Failure::new(token.start, format!("expected a value, found `{word}`"))
                        .help(format!("quote text: `\"{word}\"`")),
                );
            }
            Tok::LBracket => {
                return Err(Failure::new(token.start, "lists cannot be nested"));
            }
            _ => {
                return Err(Failure::new(token.start, format!("expected a value, found {}", self.describe(&token)))
                    .help("write a number, a duration like `800ms`, a size like `10KiB`, quoted text, `true`, `false` or `null`"));
            }
        };
        Ok(Lit {
            value,
            start: token.start,
            end: token.end,
        })
    }

    /// Checks a literal (or one element of an `in` list) against the field's
    /// type and the operator.
    fn check_literal(
        &self,
        field: &Field,
        ty: FieldType,
        op: Op,
        lit: &Lit,
    ) -> Result<(), Failure> {
        let text = self.src.get(lit.start..lit.end).unwrap_or_default();
        let mismatch = |help: String| {
            Failure::new(
                lit.start,
                format!(
                    "`{field}` is {}, but `{text}` is {}",
                    ty.describe(),
                    lit.value.kind()
                ),
            )
            .help(help)
        };
        if let Value::List(items) = &lit.value {
            // Only `==` / `!=` reach here with a list.
            return match ty {
                FieldType::Any => Ok(()),
                FieldType::TextList => match items.iter().find(|v| !matches!(v, Value::Str(_))) {
                    None => Ok(()),
                    Some(item) => Err(Failure::new(
                        lit.start,
                        format!(
                            "`{field}` is a list of text, but `{text}` holds {}",
                            item.kind()
                        ),
                    )
                    .help("quote every element")),
                },
                _ => Err(mismatch(
                    "test against several values with `in [..]`".into(),
                )),
            };
        }
        if op.is_ordering()
            && !matches!(
                lit.value,
                Value::Int(_) | Value::Float(_) | Value::Duration(_) | Value::Size(_)
            )
        {
            return Err(Failure::new(
                lit.start,
                format!(
                    "`{}` compares numbers, durations and sizes, but `{text}` is {}",
                    op.name(false),
                    lit.value.kind()
                ),
            ));
        }
        if matches!(op, Op::StartsWith | Op::EndsWith) && !matches!(lit.value, Value::Str(_)) {
            return Err(Failure::new(
                lit.start,
                format!(
                    "`{}` takes text, but `{text}` is {}",
                    op.name(false),
                    lit.value.kind()
                ),
            )
            .help(format!("quote it: `\"{text}\"`")));
        }
        let fits = match (ty, &lit.value) {
            (FieldType::Any, _) => true,
            (_, Value::Null) => {
                return Err(mismatch(
                    "test for presence with `exists` or `not exists`".into(),
                ));
            }
            (FieldType::Number, v) => matches!(v, Value::Int(_) | Value::Float(_)),
            (FieldType::Duration, Value::Int(_) | Value::Float(_)) => {
                return Err(Failure::new(
                    lit.start,
                    format!("`{field}` is a duration, but `{text}` has no unit"),
                )
                .help(format!("add a unit, e.g. `{text}ms`")));
            }
            (FieldType::Duration, v) => matches!(v, Value::Duration(_)),
            (FieldType::Size, Value::Float(_)) => {
                return Err(Failure::new(
                    lit.start,
                    format!("`{field}` is a size, but `{text}` is not a whole number of bytes"),
                )
                .help(format!("add a unit, e.g. `{text}KB`")));
            }
            (FieldType::Size, Value::Int(n)) if *n < 0 => {
                return Err(Failure::new(
                    lit.start,
                    format!("`{field}` is a size, but `{text}` is negative"),
                ));
            }
            (FieldType::Size, v) => matches!(v, Value::Size(_) | Value::Int(_)),
            (FieldType::TextList, Value::Str(_)) if op == Op::Eq => {
                return Err(mismatch(format!(
                    "test for one element with `contains`, or compare with a whole list, e.g. `[{text}]`"
                )));
            }
            (FieldType::Text | FieldType::TextList, v) => matches!(v, Value::Str(_)),
            (FieldType::Bool, v) => matches!(v, Value::Bool(_)),
        };
        if fits {
            return Ok(());
        }
        Err(mismatch(match ty {
            FieldType::Number => "write a number, e.g. `200`".into(),
            FieldType::Duration => "write a duration, e.g. `800ms`, `2s` or `14d`".into(),
            FieldType::Size => "write a size, e.g. `10KiB` or `1MB`, or a number of bytes".into(),
            FieldType::Bool => "write `true` or `false`".into(),
            FieldType::Text | FieldType::TextList | FieldType::Any => {
                format!("quote it: `\"{text}\"`")
            }
        }))
    }

    fn peek(&self) -> &Token<'s> {
        // The token list ends with `Eof`, which is never consumed.
        static END: Token<'static> = Token {
            tok: Tok::Eof,
            start: usize::MAX,
            end: usize::MAX,
        };
        self.tokens.get(self.pos).unwrap_or(&END)
    }

    fn next(&mut self) -> Token<'s> {
        let token = self.peek().clone();
        if token.tok != Tok::Eof {
            self.pos += 1;
        }
        token
    }

    /// Consumes the keyword `word` if it is next.
    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.peek().tok == Tok::Ident(word);
        if found {
            self.pos += 1;
        }
        found
    }

    /// A token for messages: `` `foo` `` or `the end`.
    fn describe(&self, token: &Token<'_>) -> String {
        if token.tok == Tok::Eof {
            return "the end".into();
        }
        let text = self.src.get(token.start..token.end).unwrap_or_default();
        match text.char_indices().nth(24) {
            Some((cut, _)) => format!("`{}…`", text.get(..cut).unwrap_or_default()),
            None => format!("`{text}`"),
        }
    }

    fn column(&self, at: usize) -> usize {
        self.src.get(..at).map_or(0, |s| s.chars().count()) + 1
    }
}

/// Checks that `op` applies to a field of type `ty`.
fn check_operator(
    field: &Field,
    ty: FieldType,
    op: Op,
    negated: bool,
    at: usize,
) -> Result<(), Failure> {
    use FieldType as T;
    let allowed = match op {
        Op::Exists => true,
        Op::Eq => true,
        Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::In => {
            matches!(ty, T::Number | T::Duration | T::Size | T::Text | T::Any)
                && !(op.is_ordering() && ty == T::Text)
        }
        Op::Contains | Op::Matches => matches!(ty, T::Text | T::TextList | T::Any),
        Op::StartsWith | Op::EndsWith => matches!(ty, T::Text | T::Any),
    };
    if allowed {
        return Ok(());
    }
    let usable = match ty {
        T::Number | T::Duration | T::Size => "`==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `exists`",
        T::Text => "`==`, `!=`, `in`, `contains`, `matches`, `starts_with`, `ends_with`, `exists`",
        T::Bool => "`==`, `!=`, `exists`",
        T::TextList => "`contains`, `matches`, `==` with a list, `exists`",
        T::Any => "any operator",
    };
    Err(Failure::new(
        at,
        format!(
            "`{}` does not apply to `{field}`, which is {}",
            op.name(negated),
            ty.describe()
        ),
    )
    .help(format!("use {usable}")))
}

#[cfg(test)]
mod tests {
    use crate::{Expectation, FieldType, ParseError, Schema, Shape};

    fn ok(src: &str) -> Expectation {
        Expectation::parse(src).unwrap_or_else(|e| panic!("{src}: {e} ({:?})", e.help))
    }

    fn err(src: &str) -> ParseError {
        match Expectation::parse(src) {
            Ok(e) => panic!("{src}: expected an error, parsed {e:?}"),
            Err(e) => e,
        }
    }

    /// Asserts the error's column and message, and returns its help.
    #[track_caller]
    fn fails(src: &str, column: usize, message: &str) -> String {
        let e = err(src);
        assert_eq!((e.column, e.message.as_str()), (column, message), "{src}");
        e.help.unwrap_or_default()
    }

    #[test]
    fn parses_every_form_from_the_catalog() {
        for src in [
            "status == 200",
            "status != 500",
            "status in [200, 204]",
            "status not in [500, 502, 503,]",
            "status >= 200 and status < 300",
            "response_time < 800ms",
            "response_time <= 1.5s",
            "body contains \"Apply\"",
            "body not contains 'Error'",
            "body matches \"v[0-9]+\"",
            "body not matches \"\\d{3} errors\"",
            "body starts_with \"<!doctype\"",
            "body ends_with \"</html>\"",
            "body_size < 1MB",
            "body_size > 0",
            "body_size <= 10KiB",
            "json.status == \"ok\"",
            "json.items[0].id > 3",
            "json[\"weird key\"][2] == null",
            "json.ok == true",
            "json.tags == [\"a\", \"b\"]",
            "json.tags contains \"a\"",
            "json.count in [1, 2.5]",
            "json.version starts_with \"1.\"",
            "json exists",
            "json.error not exists",
            "header.content-type contains \"json\"",
            "header.X-Request-Id exists",
            "cert.expires_in > 14d",
            "cert.expires_in > -1d",
            "cert.issuer contains \"Let's Encrypt\"",
            "cert.subject == \"example.org\"",
            "cert.valid == true",
            "tls.version in [\"TLSv1.2\", \"TLSv1.3\"]",
            "dns.answers contains \"10.0.0.1\"",
            "dns.answers == [\"10.0.0.1\"]",
            "dns.answers matches \"^10\\.\"",
            "dns.rcode == \"NOERROR\"",
            "timing.dns < 50ms",
            "timing.connect < 100ms",
            "timing.tls < 1h30m",
            "timing.first_byte < 250us",
            "timing.total < 2s",
            "tcp.received starts_with \"SSH-\"",
            "not (status == 500)",
            "not not status == 200",
            "(status == 200 or status == 204) and body contains \"ok\"",
            "  status==200  ",
        ] {
            let parsed = ok(src);
            assert_eq!(parsed.as_str(), src);
            assert_eq!(parsed.to_string(), src);
        }
    }

    #[test]
    fn lists_the_fields_it_tests() {
        let e = ok("(status == 200 or json.a[1] exists) and not header.X-A == \"b\"");
        let fields: Vec<String> = e.fields().iter().map(ToString::to_string).collect();
        assert_eq!(fields, ["status", "json.a[1]", "header.x-a"]);
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        fn tree(e: &Expectation) -> String {
            fn walk(src: &str, expr: &super::Expr) -> String {
                let join = |items: &[super::Expr]| {
                    items
                        .iter()
                        .map(|i| walk(src, i))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                match expr {
                    super::Expr::Test(t) => src.get(t.start..t.end).unwrap_or_default().to_owned(),
                    super::Expr::Not(inner) => format!("not({})", walk(src, inner)),
                    super::Expr::And(items) => format!("and({})", join(items)),
                    super::Expr::Or(items) => format!("or({})", join(items)),
                }
            }
            walk(e.as_str(), &e.expr)
        }
        let want = "or(status == 1, and(status == 2, status == 3))";
        assert_eq!(
            tree(&ok("status == 1 or status == 2 and status == 3")),
            want
        );
        assert_eq!(
            tree(&ok("status == 1 or (status == 2 and status == 3)")),
            want
        );
        let want = "and(not(status == 1), status == 2)";
        assert_eq!(tree(&ok("not status == 1 and status == 2")), want);
        assert_eq!(tree(&ok("(not status == 1) and status == 2")), want);
        assert_eq!(
            tree(&ok("not (status == 1 and status == 2)")),
            "not(and(status == 1, status == 2))"
        );
    }

    #[test]
    fn equality_compares_regexes_by_source() {
        assert_eq!(ok("body matches \"a+\""), ok("body matches \"a+\""));
        assert_ne!(ok("body matches \"a+\""), ok("body matches \"a*\""));
    }

    #[test]
    fn rejects_empty_and_trailing_input() {
        let help = fails("", 1, "empty expectation");
        assert!(help.contains("status == 200"));
        fails("   ", 1, "empty expectation");
        let help = fails(
            "status == 200 status == 204",
            15,
            "unexpected `status` after a complete test",
        );
        assert_eq!(help, "combine tests with `and` or `or`");
        fails("status == 200)", 14, "unmatched `)`");
        let help = fails("(status == 200", 15, "expected `)`, found the end");
        assert_eq!(help, "close the `(` at column 1");
        fails("status == 200 and", 18, "expected a field, found the end");
    }

    #[test]
    fn rejects_unknown_fields_listing_the_known_ones() {
        let help = fails("stauts == 200", 1, "unknown field `stauts`");
        assert!(help.starts_with("known fields: `status`, `response_time`, `body`, `body_size`, `json.<path>`, `header.<name>`, `cert.<part>`"), "{help}");
        let help = fails("timing.dsn < 5ms", 8, "unknown field `timing.dsn`");
        assert!(help.contains("`timing.dns`"), "{help}");
        fails("timing < 5ms", 7, "`timing` needs a part");
        fails(
            "timing[0] < 5ms",
            8,
            "`timing` takes a part name, not an index",
        );
        fails("timing.dns.x < 5ms", 12, "`timing.dns` has no parts");
        fails("status.code == 200", 8, "`status` has no parts");
        fails("status[0] == 200", 8, "`status` has no parts");
        fails("header == \"x\"", 7, "`header` needs a name");
        fails("header[1] exists", 8, "`header` takes a name, not an index");
        fails("header.a.b exists", 10, "`header.<name>` has no parts");
        fails("== 200", 1, "expected a field, found `==`");
        fails("contains \"x\"", 1, "expected a field, found `contains`");
    }

    #[test]
    fn rejects_malformed_paths() {
        fails("json. == 1", 7, "expected a name after `.`, found `==`");
        let help = fails(
            "json.items.0 == 1",
            12,
            "expected a name after `.`, found `0`",
        );
        assert!(help.contains("`[0]`"));
        fails("json[-1] == 1", 6, "invalid index `-1`");
        fails("json[1.5] == 1", 6, "invalid index `1.5`");
        fails(
            "json[x] == 1",
            6,
            "expected an index or a quoted key after `[`, found `x`",
        );
        fails("json[0 == 1", 8, "expected `]`, found `==`");
    }

    #[test]
    fn rejects_missing_or_unknown_operators() {
        let help = fails(
            "status",
            7,
            "expected an operator after `status`, found the end",
        );
        assert!(help.starts_with("operators: `==`"));
        let help = fails(
            "body contain \"x\"",
            6,
            "expected an operator after `body`, found `contain`",
        );
        assert_eq!(help, "did you mean `contains`?");
        let help = fails(
            "json.x is null",
            8,
            "expected an operator after `json.x`, found `is`",
        );
        assert!(help.contains("`== null`"));
        fails(
            "body not == \"x\"",
            10,
            "expected an operator after `not`, found `==`",
        );
        fails("status = 200", 8, "unexpected `=`");
        fails("status == 200 && body exists", 15, "unexpected `&`");
    }

    #[test]
    fn rejects_operators_that_do_not_fit_the_type() {
        let help = fails(
            "status contains \"2\"",
            8,
            "`contains` does not apply to `status`, which is a number",
        );
        assert_eq!(help, "use `==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `exists`");
        fails("body > 3", 6, "`>` does not apply to `body`, which is text");
        fails(
            "cert.valid in [true]",
            12,
            "`in` does not apply to `cert.valid`, which is a boolean",
        );
        fails(
            "dns.answers not in [\"a\"]",
            13,
            "`not in` does not apply to `dns.answers`, which is a list of text",
        );
        fails(
            "response_time matches \"1\"",
            15,
            "`matches` does not apply to `response_time`, which is a duration",
        );
        fails(
            "dns.answers starts_with \"1\"",
            13,
            "`starts_with` does not apply to `dns.answers`, which is a list of text",
        );
    }

    #[test]
    fn rejects_literals_that_do_not_fit_the_type() {
        let help = fails(
            "status == \"ok\"",
            11,
            "`status` is a number, but `\"ok\"` is text",
        );
        assert_eq!(help, "write a number, e.g. `200`");
        let help = fails(
            "response_time < 800",
            17,
            "`response_time` is a duration, but `800` has no unit",
        );
        assert_eq!(help, "add a unit, e.g. `800ms`");
        fails(
            "response_time < 5",
            17,
            "`response_time` is a duration, but `5` has no unit",
        );
        fails(
            "response_time in [5ms, 6]",
            24,
            "`response_time` is a duration, but `6` has no unit",
        );
        fails(
            "response_time < 1KB",
            17,
            "`response_time` is a duration, but `1KB` is a size",
        );
        fails(
            "body_size < 1.5",
            13,
            "`body_size` is a size, but `1.5` is not a whole number of bytes",
        );
        fails(
            "body_size > -1",
            13,
            "`body_size` is a size, but `-1` is negative",
        );
        fails(
            "body_size < 1s",
            13,
            "`body_size` is a size, but `1s` is a duration",
        );
        let help = fails(
            "header.x == 200",
            13,
            "`header.x` is text, but `200` is a number",
        );
        assert_eq!(help, "quote it: `\"200\"`");
        fails(
            "cert.valid == \"yes\"",
            15,
            "`cert.valid` is a boolean, but `\"yes\"` is text",
        );
        let help = fails(
            "status == null",
            11,
            "`status` is a number, but `null` is null",
        );
        assert!(help.contains("`exists`"));
        let help = fails(
            "status == [200]",
            11,
            "`status` is a number, but `[200]` is a list",
        );
        assert!(help.contains("`in [..]`"));
        let help = fails(
            "dns.answers == \"10.0.0.1\"",
            16,
            "`dns.answers` is a list of text, but `\"10.0.0.1\"` is text",
        );
        assert!(help.contains("`contains`"), "{help}");
        fails(
            "dns.answers == [\"a\", 1]",
            16,
            "`dns.answers` is a list of text, but `[\"a\", 1]` holds a number",
        );
        fails(
            "dns.answers contains 1",
            22,
            "`dns.answers` is a list of text, but `1` is a number",
        );
        fails(
            "json.v > \"1.2\"",
            10,
            "`>` compares numbers, durations and sizes, but `\"1.2\"` is text",
        );
        fails(
            "json.v starts_with 1",
            20,
            "`starts_with` takes text, but `1` is a number",
        );
    }

    #[test]
    fn rejects_malformed_literals() {
        let help = fails("status == ok", 11, "expected a value, found `ok`");
        assert_eq!(help, "quote text: `\"ok\"`");
        fails("status == ", 11, "expected a value, found the end");
        fails("status == 1.2.3", 11, "invalid number `1.2.3`");
        fails(
            "status == 99999999999999999999",
            11,
            "number `99999999999999999999` is too large",
        );
        let help = fails("response_time < 5sec", 17, "unknown unit `sec` in `5sec`");
        assert!(help.contains("`ms`"));
        fails("status in 200", 11, "`in` takes a list, found `200`");
        fails(
            "status in [200 204]",
            16,
            "expected `,` or `]`, found `204`",
        );
        fails("status in [200, [1]]", 17, "lists cannot be nested");
        fails("status in [200", 15, "expected `,` or `]`, found the end");
        fails("status in [200,", 16, "expected a value, found the end");
        fails(
            "body contains [\"a\"]",
            15,
            "expected one value, found a list",
        );
        fails("body contains \"abc", 15, "unterminated string");
        fails(
            "body contains \"é\\u{zz}\"",
            17,
            "invalid unicode escape `\\u{z`",
        );
    }

    #[test]
    fn rejects_invalid_regexes_at_the_literal() {
        let e = err("body matches \"v[0-9\"");
        assert_eq!(e.column, 14);
        assert_eq!(
            e.message,
            "invalid regular expression `v[0-9`: unclosed character class"
        );
        fails(
            "body matches 3",
            14,
            "`matches` takes a quoted regular expression, found `3`",
        );
        fails(
            "body matches \"a{1000}{1000}\"",
            14,
            "regular expression `a{1000}{1000}` is too large",
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        fails(
            "body contains \"éé\" zz",
            20,
            "unexpected `zz` after a complete test",
        );
        fails("\u{e9}", 1, "unexpected character `é`");
    }

    #[test]
    fn limits_nesting() {
        let deep = format!("{}status == 200{}", "(".repeat(100), ")".repeat(100));
        fails(&deep, 33, "expectation nests too deeply");
        let nots = format!("{}status == 200", "not ".repeat(40));
        fails(&nots, 129, "expectation nests too deeply");
        ok(&format!(
            "{}status == 200{}",
            "(".repeat(31),
            ")".repeat(31)
        ));
    }

    #[test]
    fn custom_schemas_decide_the_fields() {
        let schema = Schema::new()
            .with("age", Shape::Value(FieldType::Duration))
            .with("label", Shape::Named(FieldType::Text));
        assert!(Expectation::parse_with("age < 5m and label.Env == \"prod\"", &schema).is_ok());
        let e = Expectation::parse_with("status == 200", &schema)
            .err()
            .unwrap_or_else(|| panic!("parsed"));
        assert_eq!(
            e.help.as_deref(),
            Some("known fields: `age`, `label.<name>`")
        );
    }

    #[test]
    fn display_is_column_then_message() {
        assert_eq!(
            err("stauts == 1").to_string(),
            "column 1: unknown field `stauts`"
        );
    }
}
