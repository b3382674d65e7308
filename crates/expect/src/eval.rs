//! Evaluation: runs a parsed expectation against a [`Subject`] and explains
//! the outcome in one line (`status == 200: got 503`).
//!
//! A test whose field is missing, unavailable or of the wrong kind is
//! *unknown*, not false, and `and` / `or` / `not` follow three-valued logic,
//! so `not (body contains "error")` fails, rather than passes, when there is
//! no body. A verdict passes only when the whole expectation is true.

use std::cmp::Ordering;
use std::fmt::{self, Write as _};

use crate::parser::{Expr, Op, Operand, Test};
use crate::subject::{Lookup, Subject};
use crate::value::{self, SHOW_LIMIT, Value, View};

/// The outcome of evaluating an expectation against a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the expectation held.
    pub passed: bool,
    /// The deciding test(s) and what was seen, e.g. `status == 200: got
    /// 503`, `json.status == "ok": body is not JSON`. Several tests are
    /// joined with `; `. Seen values are cut to about 80 characters.
    pub detail: String,
}

/// Writes `passed: <detail>` or `failed: <detail>`.
impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = if self.passed { "passed" } else { "failed" };
        write!(f, "{outcome}: {}", self.detail)
    }
}

/// Evaluates `expr`, parsed from `src`, against `subject`.
pub(crate) fn evaluate(expr: &Expr, src: &str, subject: &dyn Subject) -> Verdict {
    let mut detail = String::with_capacity(src.len() + 32);
    let truth = eval(expr, src, subject, &mut detail);
    Verdict {
        passed: truth == Truth::True,
        detail,
    }
}

/// A three-valued outcome: a test of a field that cannot be read is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    fn of(b: bool) -> Self {
        if b { Truth::True } else { Truth::False }
    }

    fn not(self) -> Self {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
}

fn eval(expr: &Expr, src: &str, subject: &dyn Subject, out: &mut String) -> Truth {
    match expr {
        Expr::Test(test) => eval_test(test, src, subject, out),
        Expr::Not(inner) => {
            out.push_str("not (");
            let truth = eval(inner, src, subject, out);
            out.push(')');
            truth.not()
        }
        Expr::And(items) => combine(items, Truth::False, src, subject, out),
        Expr::Or(items) => combine(items, Truth::True, src, subject, out),
    }
}

/// `and` (decided by the first false) or `or` (decided by the first true).
///
/// The detail is the deciding test's; without one, the unknown tests' if
/// any (the result is unknown), else every test's.
fn combine(
    items: &[Expr],
    decisive: Truth,
    src: &str,
    subject: &dyn Subject,
    out: &mut String,
) -> Truth {
    let mut all = Vec::with_capacity(items.len());
    let mut unknown = Vec::new();
    for item in items {
        let mut detail = String::new();
        match eval(item, src, subject, &mut detail) {
            truth if truth == decisive => {
                out.push_str(&detail);
                return decisive;
            }
            Truth::Unknown => unknown.push(detail),
            _ => all.push(detail),
        }
    }
    if unknown.is_empty() {
        out.push_str(&all.join("; "));
        decisive.not()
    } else {
        out.push_str(&unknown.join("; "));
        Truth::Unknown
    }
}

fn eval_test(test: &Test, src: &str, subject: &dyn Subject, out: &mut String) -> Truth {
    out.push_str(src.get(test.start..test.end).unwrap_or_default());
    out.push_str(": ");
    let value = match subject.lookup(&test.field) {
        Lookup::Found(value) => value,
        Lookup::Absent(reason) => {
            out.push_str(&reason);
            return if test.op == Op::Exists {
                Truth::of(test.negated)
            } else {
                Truth::Unknown
            };
        }
        Lookup::Unavailable(reason) => {
            out.push_str(&reason);
            return Truth::Unknown;
        }
    };
    let seen = value.view();
    let outcome = judge(test.op, &test.operand, seen);
    match (outcome, seen) {
        (None, _) => {
            out.push_str("got ");
            value::write_short(out, &value);
            out.push_str(", not ");
            out.push_str(needed(test.op, &test.operand));
            return Truth::Unknown;
        }
        (Some(found), View::Str(text))
            if text.len() > SHOW_LIMIT && matches!(test.op, Op::Contains | Op::Matches) =>
        {
            let verb = match (test.op, found) {
                (Op::Contains, true) => "found",
                (Op::Contains, false) => "not found",
                (_, true) => "matched",
                (_, false) => "no match",
            };
            // Writing to a `String` cannot fail.
            let _ = write!(out, "{verb} in {} bytes", text.len());
        }
        (Some(_), _) => {
            out.push_str("got ");
            value::write_short(out, &value);
        }
    }
    Truth::of(outcome.unwrap_or_default() != test.negated)
}

/// Whether the seen value passes `op` (before negation); `None` when the
/// test does not apply to a value of its kind.
fn judge(op: Op, operand: &Operand, seen: View<'_>) -> Option<bool> {
    match (op, operand) {
        (Op::Exists, _) => Some(true),
        (Op::Eq, Operand::Value(literal)) => Some(value::equals(seen, literal.view())),
        (Op::Lt | Op::Le | Op::Gt | Op::Ge, Operand::Value(literal)) => {
            let ordering = value::order(seen, literal.view())?;
            Some(match op {
                Op::Lt => ordering == Ordering::Less,
                Op::Le => ordering != Ordering::Greater,
                Op::Gt => ordering == Ordering::Greater,
                _ => ordering != Ordering::Less,
            })
        }
        (Op::In, Operand::Value(Value::List(items))) => {
            Some(items.iter().any(|item| value::equals(seen, item.view())))
        }
        (Op::Contains, Operand::Value(literal)) => value::contains(seen, literal.view()),
        (Op::Matches, Operand::Regex(pattern)) => value::matches(seen, &pattern.0),
        (Op::StartsWith, Operand::Value(Value::Str(prefix))) => match seen {
            View::Str(text) => Some(text.starts_with(prefix.as_ref())),
            _ => None,
        },
        (Op::EndsWith, Operand::Value(Value::Str(suffix))) => match seen {
            View::Str(text) => Some(text.ends_with(suffix.as_ref())),
            _ => None,
        },
        // The parser pairs every operator with its operand kind.
        _ => None,
    }
}

/// What kind of value a test needs, for `got 5, not a duration`.
fn needed(op: Op, operand: &Operand) -> &'static str {
    match (op, operand) {
        (Op::Lt | Op::Le | Op::Gt | Op::Ge, Operand::Value(Value::Duration(_))) => "a duration",
        (Op::Lt | Op::Le | Op::Gt | Op::Ge, _) => "a number",
        (Op::Contains, _) => "text or a list",
        (Op::Matches, _) => "text or a list of text",
        _ => "text",
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use crate::{Expectation, Lookup, SignedDuration, Subject, TestSubject, Value, Verdict};

    fn check(src: &str, subject: &TestSubject) -> Verdict {
        match Expectation::parse(src) {
            Ok(e) => e.evaluate(subject),
            Err(e) => panic!("{src}: {e}"),
        }
    }

    #[track_caller]
    fn passes(src: &str, subject: &TestSubject) {
        let verdict = check(src, subject);
        assert!(verdict.passed, "{src}: {}", verdict.detail);
    }

    #[track_caller]
    fn fails(src: &str, subject: &TestSubject) {
        let verdict = check(src, subject);
        assert!(!verdict.passed, "{src}: {}", verdict.detail);
    }

    #[track_caller]
    fn detail(src: &str, subject: &TestSubject, passed: bool, want: &str) {
        let verdict = check(src, subject);
        assert_eq!(
            (verdict.passed, verdict.detail.as_str()),
            (passed, want),
            "{src}"
        );
    }

    fn http() -> TestSubject {
        TestSubject::new()
            .with("status", 503)
            .with("response_time", SignedDuration::from_millis(812))
            .with("header.content-type", "text/html; charset=utf-8")
            .with("cert.expires_in", SignedDuration::from_secs(3 * 86_400 + 4 * 3600 + 17))
            .with("cert.valid", true)
            .with("tls.version", "TLSv1.3")
            .with("dns.answers", vec![Value::from("10.0.0.1"), Value::from("10.0.0.2")])
            .with_json_body(r#"{"status": "ok", "items": [{"id": 2}], "count": 2.5, "tags": ["a", "b"], "none": null, "weird key": 1}"#)
    }

    fn big_body() -> TestSubject {
        TestSubject::new()
            .with("body", "<p>".repeat(1774))
            .with("body_size", Value::Size(5321))
    }

    #[test]
    fn details_read_like_the_examples() {
        let s = http();
        detail("status == 200", &s, false, "status == 200: got 503");
        detail(
            "body contains \"Apply\"",
            &big_body(),
            false,
            "body contains \"Apply\": not found in 5322 bytes",
        );
        detail(
            "json.items[0].id > 3",
            &s,
            false,
            "json.items[0].id > 3: got 2",
        );
        detail(
            "cert.expires_in > 14d",
            &s,
            false,
            "cert.expires_in > 14d: got 3d 4h",
        );
        detail(
            "json.status == \"ok\"",
            &TestSubject::new().with_json_body("<html>"),
            false,
            "json.status == \"ok\": body is not JSON",
        );
        detail(
            "header.content-type contains \"json\"",
            &TestSubject::new(),
            false,
            "header.content-type contains \"json\": header missing",
        );
        detail(
            "response_time < 800ms",
            &s,
            false,
            "response_time < 800ms: got 812ms",
        );
        detail(
            "status in [200, 204]",
            &s,
            false,
            "status in [200, 204]: got 503",
        );
        detail(
            "json.status == \"ok\"",
            &s,
            true,
            "json.status == \"ok\": got \"ok\"",
        );
    }

    #[test]
    fn comparisons_order_numbers_durations_and_sizes() {
        let s = http().with("body_size", Value::Size(5321));
        for src in [
            "status == 503",
            "status != 200",
            "status > 500",
            "status >= 503",
            "status < 504",
            "status <= 503",
            "status == 503.0",
            "response_time < 1s",
            "response_time >= 812ms",
            "response_time > 0.8s",
            "cert.expires_in > 3d",
            "cert.expires_in < 1w",
            "body_size > 5KB",
            "body_size < 6KiB",
            "body_size == 5321",
            "json.count > 2",
            "json.count < 3",
            "json.items[0].id <= 2",
        ] {
            passes(src, &s);
        }
        for src in [
            "status < 503",
            "status > 503",
            "status == 200",
            "response_time < 812ms",
            "body_size > 5321",
        ] {
            fails(src, &s);
        }
    }

    #[test]
    fn equality_and_membership_cover_every_type() {
        let s = http();
        for src in [
            "cert.valid == true",
            "cert.valid != false",
            "tls.version == \"TLSv1.3\"",
            "tls.version != \"TLSv1.2\"",
            "tls.version in [\"TLSv1.2\", \"TLSv1.3\"]",
            "tls.version not in [\"TLSv1.0\"]",
            "status in [500, 503]",
            "status not in [200, 204]",
            "response_time in [812ms, 1s]",
            "json.none == null",
            "json.status != null",
            "json.tags == [\"a\", \"b\"]",
            "json.tags != [\"b\", \"a\"]",
            "json.count in [1, 2.5]",
            "json[\"weird key\"] == 1",
            "dns.answers == [\"10.0.0.1\", \"10.0.0.2\"]",
        ] {
            passes(src, &s);
        }
        for src in [
            "tls.version == \"tlsv1.3\"",
            "json.status == 1",
            "json.count == \"2.5\"",
            "json.tags == [\"a\"]",
        ] {
            fails(src, &s);
        }
    }

    #[test]
    fn text_operators_search_text_and_lists() {
        let s = http();
        for src in [
            "header.content-type contains \"html\"",
            "header.content-type not contains \"json\"",
            "header.content-type starts_with \"text/\"",
            "header.content-type not starts_with \"application/\"",
            "header.content-type ends_with \"utf-8\"",
            "header.content-type not ends_with \"latin1\"",
            "header.content-type matches \"charset=[a-z0-9-]+$\"",
            "header.content-type not matches \"^application\"",
            "dns.answers contains \"10.0.0.2\"",
            "dns.answers not contains \"10.0.0.3\"",
            "dns.answers matches \"^10\\.0\\.0\\.2$\"",
            "json.tags contains \"b\"",
            "json.status contains \"o\"",
            "json.status matches \"^ok$\"",
            "json.status starts_with \"o\"",
        ] {
            passes(src, &s);
        }
        for src in [
            "dns.answers contains \"10.0.0\"",
            "header.content-type matches \"^html\"",
        ] {
            fails(src, &s);
        }
    }

    #[test]
    fn long_text_is_described_by_its_length() {
        let s = big_body();
        detail(
            "body contains \"<p>\"",
            &s,
            true,
            "body contains \"<p>\": found in 5322 bytes",
        );
        detail(
            "body matches \"x+\"",
            &s,
            false,
            "body matches \"x+\": no match in 5322 bytes",
        );
        detail(
            "body not matches \"x+\"",
            &s,
            true,
            "body not matches \"x+\": no match in 5322 bytes",
        );
        let shown = check("body starts_with \"x\"", &s).detail;
        assert_eq!(
            shown,
            format!(
                "body starts_with \"x\": got \"{}…",
                "<p>".repeat(27).get(..79).unwrap_or_default()
            )
        );
    }

    #[test]
    fn exists_tells_absent_from_unavailable() {
        let s = http();
        detail(
            "header.content-type exists",
            &s,
            true,
            "header.content-type exists: got \"text/html; charset=utf-8\"",
        );
        detail(
            "header.x-missing not exists",
            &s,
            true,
            "header.x-missing not exists: header missing",
        );
        detail(
            "header.x-missing exists",
            &s,
            false,
            "header.x-missing exists: header missing",
        );
        detail(
            "json.nope exists",
            &s,
            false,
            "json.nope exists: no key `nope`",
        );
        detail("json.none exists", &s, true, "json.none exists: got null");
        let down = TestSubject::new().unavailable("body", "no body: connect failed");
        detail(
            "body not exists",
            &down,
            false,
            "body not exists: no body: connect failed",
        );
        detail(
            "body not contains \"x\"",
            &down,
            false,
            "body not contains \"x\": no body: connect failed",
        );
    }

    #[test]
    fn wrong_kinds_fail_whatever_the_negation() {
        let s = http();
        detail(
            "json.status > 3",
            &s,
            false,
            "json.status > 3: got \"ok\", not a number",
        );
        detail(
            "json.count > 3s",
            &s,
            false,
            "json.count > 3s: got 2.5, not a duration",
        );
        detail(
            "json.count contains \"2\"",
            &s,
            false,
            "json.count contains \"2\": got 2.5, not text or a list",
        );
        detail(
            "json.count not contains \"2\"",
            &s,
            false,
            "json.count not contains \"2\": got 2.5, not text or a list",
        );
        detail(
            "json.items not matches \"x\"",
            &s,
            true,
            "json.items not matches \"x\": got [{\"id\":2}]",
        );
        detail(
            "json.count ends_with \"5\"",
            &s,
            false,
            "json.count ends_with \"5\": got 2.5, not text",
        );
        detail(
            "json.items[3].id == 1",
            &s,
            false,
            "json.items[3].id == 1: no index `[3]`: the list has 1 elements",
        );
    }

    #[test]
    fn combinations_use_three_valued_logic() {
        let s = http();
        detail(
            "status == 503 and json.status == \"down\"",
            &s,
            false,
            "json.status == \"down\": got \"ok\"",
        );
        detail(
            "status == 200 or status == 503",
            &s,
            true,
            "status == 503: got 503",
        );
        detail(
            "status == 200 or status == 204",
            &s,
            false,
            "status == 200: got 503; status == 204: got 503",
        );
        detail(
            "status == 503 and cert.valid == true",
            &s,
            true,
            "status == 503: got 503; cert.valid == true: got true",
        );
        detail(
            "not (status == 200)",
            &s,
            true,
            "not (status == 200: got 503)",
        );
        let down = TestSubject::new().unavailable("body", "no body: connect failed");
        detail(
            "not (body contains \"error\")",
            &down,
            false,
            "not (body contains \"error\": no body: connect failed)",
        );
        let down = down.with("status", 503);
        detail(
            "body contains \"a\" or status == 1",
            &down,
            false,
            "body contains \"a\": no body: connect failed",
        );
        detail(
            "body contains \"a\" and status == 1",
            &down,
            false,
            "status == 1: got 503",
        );
        detail(
            "body contains \"a\" or body not exists",
            &down,
            false,
            "body contains \"a\": no body: connect failed; body not exists: no body: connect failed",
        );
    }

    #[test]
    fn seen_values_are_cut_on_character_boundaries() {
        let s = TestSubject::new().with("header.x", "é".repeat(200));
        let verdict = check("header.x == \"a\"", &s);
        assert_eq!(
            verdict.detail,
            format!("header.x == \"a\": got \"{}…", "é".repeat(79))
        );
    }

    /// A subject that borrows its body and parsed JSON, as the probe engine's does.
    struct Borrowing {
        body: String,
        json: serde_json::Value,
    }

    impl Subject for Borrowing {
        fn lookup(&self, field: &crate::Field) -> Lookup<'_> {
            match field.root() {
                "body" => Lookup::Found(Value::Str(Cow::Borrowed(&self.body))),
                "json" => Lookup::in_json(&self.json, field.path()),
                _ => Lookup::Absent("no such field".into()),
            }
        }
    }

    #[test]
    fn borrowing_subjects_work_through_the_trait() {
        let subject = Borrowing {
            body: "Apply now".into(),
            json: serde_json::json!({"a": [1, 2]}),
        };
        let e = Expectation::parse("body contains \"Apply\" and json.a[1] == 2");
        let verdict = e
            .map(|e| e.evaluate(&subject))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(verdict.passed, "{}", verdict.detail);
        assert_eq!(
            verdict.to_string(),
            "passed: body contains \"Apply\": got \"Apply now\"; json.a[1] == 2: got 2"
        );
    }
}
