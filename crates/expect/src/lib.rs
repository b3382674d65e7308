//! The expectation language monitors use to judge a check result.
//!
//! A monitor writes `expect = ["status == 200", "body contains \"Apply\""]`;
//! the catalog parses each string once at load time with
//! [`Expectation::parse`] (errors carry a column inside the string), and the
//! probe engine calls [`Expectation::evaluate`] on every check result, which
//! it exposes as a [`Subject`]. The answer is a [`Verdict`] whose detail
//! reads like `status == 200: got 503`.
//!
//! This crate is pure: it knows nothing of HTTP, the catalog or the store,
//! does no IO, never reads the clock, and never panics on any input. Which
//! fields exist is a [`Schema`] ([`Schema::builtin`] by default); what they
//! hold is the subject's business.
//!
//! # Grammar
//!
//! ```text
//! expectation := or
//! or          := and ("or" and)*
//! and         := unary ("and" unary)*
//! unary       := "not" unary | "(" or ")" | test
//! test        := field compare literal
//!              | field ["not"] "in" list
//!              | field ["not"] ("contains" | "starts_with" | "ends_with") scalar
//!              | field ["not"] "matches" string
//!              | field ["not"] "exists"
//! compare     := "==" | "!=" | "<" | "<=" | ">" | ">="
//! field       := name ("." name | "[" index "]" | "[" string "]")*
//! literal     := scalar | list                       (a list only with == and !=)
//! list        := "[" (scalar ("," scalar)* ","?)? "]"
//! scalar      := number | duration | size | string | "true" | "false" | "null"
//! number      := "-"? digits ("." digits)?           200, -1, 0.5
//! duration    := "-"? (decimal unit)+                800ms, 1.5s, 1h30m, 14d; units ns us µs ms s m h d w
//! size        := decimal unit                        10KiB, 1MB; units B KB MB GB TB KiB MiB GiB TiB
//! string      := '"' … '"' | "'" … "'"               escapes \" \' \\ \n \r \t \0 \u{e9};
//!                                                    any other backslash is kept: "\d+" is a regex
//! name        := [A-Za-z_][A-Za-z0-9_-]*             content-type is one name
//! ```
//!
//! `not` binds tighter than `and`, which binds tighter than `or`. Keywords
//! (`and or not in contains matches starts_with ends_with exists true false
//! null`) cannot start a field.
//!
//! # Types
//!
//! Every field has a [`FieldType`], checked when parsing: `status == "ok"`
//! fails with "`status` is a number, but `"ok"` is text", and
//! `response_time < 800` with "add a unit, e.g. `800ms`". JSON fields are
//! [`FieldType::Any`] and are checked when evaluated. Numbers compare by
//! value across integers, floats and sizes (a bare number against a size
//! counts bytes); durations compare only with durations; text does not
//! order. `contains` finds a substring of text or an element of a list;
//! `matches` searches (not anchored; use `^…$`) text or any text element.
//!
//! # Missing values
//!
//! A test of a field the subject reports absent or unavailable, or whose
//! value has the wrong kind, is neither true nor false: every test but
//! `exists` fails on it, and `not`, `and`, `or` follow three-valued logic, so
//! `not (body contains "error")` also fails when there is no body.
//!
//! # Main types
//!
//! [`Expectation`] (parse, evaluate), [`ParseError`], [`Subject`] and
//! [`Lookup`] (what a check result implements), [`Field`] and [`Segment`],
//! [`Value`], [`Verdict`], [`Schema`], and [`TestSubject`] for tests.

mod error;
mod eval;
mod field;
mod lexer;
mod literal;
mod parser;
mod subject;
mod value;

use std::fmt;
use std::str::FromStr;

pub use jiff::SignedDuration;

pub use crate::error::ParseError;
pub use crate::eval::Verdict;
pub use crate::field::{Field, FieldType, Schema, Segment, Shape};
pub use crate::subject::{Lookup, Subject, TestSubject};
pub use crate::value::Value;

/// A parsed expectation, such as `status in [200, 204]` or
/// `json.items[0].id > 3 and response_time < 800ms`.
///
/// It keeps its source text, shown by [`Expectation::as_str`] and
/// `Display`. Two expectations are equal when their text and meaning are
/// (regular expressions compare by source).
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    source: String,
    expr: parser::Expr,
}

impl Expectation {
    /// Parses `src` against the [builtin schema](Schema::builtin).
    pub fn parse(src: &str) -> Result<Self, ParseError> {
        Self::parse_with(src, Schema::builtin())
    }

    /// Parses `src` against `schema`: only its fields may be tested.
    pub fn parse_with(src: &str, schema: &Schema) -> Result<Self, ParseError> {
        match parser::parse(src, schema) {
            Ok(expr) => Ok(Self {
                source: src.to_owned(),
                expr,
            }),
            Err(failure) => Err(failure.locate(src)),
        }
    }

    /// The source text, as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Every field the expectation tests, in order of appearance (with
    /// repeats), so a subject can tell what it must provide, e.g. whether to
    /// parse the body as JSON.
    pub fn fields(&self) -> Vec<&Field> {
        let mut fields = Vec::new();
        let mut stack = vec![&self.expr];
        while let Some(expr) = stack.pop() {
            match expr {
                parser::Expr::Test(test) => fields.push(&test.field),
                parser::Expr::Not(inner) => stack.push(inner),
                parser::Expr::And(items) | parser::Expr::Or(items) => {
                    stack.extend(items.iter().rev())
                }
            }
        }
        fields
    }

    /// Judges `subject`: whether the expectation holds, and why in one line.
    pub fn evaluate(&self, subject: &dyn Subject) -> Verdict {
        eval::evaluate(&self.expr, &self.source, subject)
    }
}

/// Writes the source text.
impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for Expectation {
    type Err = ParseError;

    fn from_str(src: &str) -> Result<Self, Self::Err> {
        Self::parse(src)
    }
}
