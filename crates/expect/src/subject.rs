//! What expectations are evaluated against: the [`Subject`] trait a check
//! result implements, the [`Lookup`] it answers with, a helper to walk JSON
//! paths, and [`TestSubject`] for tests.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::field::{Field, Segment};
use crate::value::Value;

/// Something expectations can be evaluated against, such as one check
/// result. It decides which fields exist and what they hold.
///
/// A subject should do expensive work once, not per lookup: parse a JSON
/// body once when the result is built and answer `json.…` lookups with
/// [`Lookup::in_json`], and hand out text by borrowing
/// ([`Value::Str`]`(Cow::Borrowed(..))`).
pub trait Subject {
    /// The value of `field`, or why there is none.
    fn lookup(&self, field: &Field) -> Lookup<'_>;
}

/// The answer to a [`Subject::lookup`].
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<'a> {
    /// The field has this value.
    Found(Value<'a>),
    /// The result was obtained but does not have the field: a missing
    /// header, a missing JSON key. `exists` is false; every other test
    /// fails with this reason (e.g. `header missing`).
    Absent(Cow<'static, str>),
    /// The field cannot be known for this result: `no body: connect failed`,
    /// `body is not JSON`. Every test, `exists` included, fails with this
    /// reason.
    Unavailable(Cow<'static, str>),
}

impl<'a> Lookup<'a> {
    /// Walks `path` from the JSON node `doc`: [`Lookup::Found`] with the
    /// node reached, or [`Lookup::Absent`] saying which step had nothing.
    pub fn in_json(doc: &'a serde_json::Value, path: &[Segment]) -> Lookup<'a> {
        let mut node = doc;
        for segment in path {
            let next = match (segment, node) {
                (Segment::Key(key), serde_json::Value::Object(map)) => map.get(key),
                (Segment::Index(i), serde_json::Value::Array(items)) => items.get(*i),
                _ => None,
            };
            match next {
                Some(next) => node = next,
                None => return Lookup::Absent(missing_step(segment, node).into()),
            }
        }
        Lookup::Found(Value::Json(Cow::Borrowed(node)))
    }
}

/// A [`Subject`] built by hand, for tests here and in other crates.
///
/// Values are keyed by the field's canonical text (`status`,
/// `header.content-type`, `timing.dns`); `json.…` fields are answered from a
/// JSON document. A root can be made unavailable with a reason.
///
/// ```
/// use shipshape_expect::{Expectation, TestSubject};
///
/// let result = TestSubject::new().with("status", 503).with_json_body(r#"{"status": "ok"}"#);
/// let expect = Expectation::parse("status == 200").unwrap();
/// assert_eq!(expect.evaluate(&result).detail, "status == 200: got 503");
/// ```
#[derive(Debug, Clone, Default)]
pub struct TestSubject {
    values: BTreeMap<String, Value<'static>>,
    json: Option<Result<serde_json::Value, ()>>,
    unavailable: BTreeMap<String, String>,
}

impl TestSubject {
    /// A subject with no fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `field` (canonical text, e.g. `header.content-type`) to `value`.
    pub fn with(mut self, field: impl Into<String>, value: impl Into<Value<'static>>) -> Self {
        self.values.insert(field.into(), value.into());
        self
    }

    /// Sets the body: `body`, `body_size`, and `json.…` if it parses as
    /// JSON (otherwise `json.…` is unavailable: `body is not JSON`).
    pub fn with_json_body(mut self, body: &str) -> Self {
        self.json = Some(serde_json::from_str(body).map_err(|_| ()));
        let size = u64::try_from(body.len()).unwrap_or(u64::MAX);
        self.with("body", body.to_owned())
            .with("body_size", Value::Size(size))
    }

    /// Sets the JSON document `json.…` fields are read from.
    pub fn with_json(mut self, doc: serde_json::Value) -> Self {
        self.json = Some(Ok(doc));
        self
    }

    /// Makes every field under `root` unavailable for `reason`, e.g.
    /// `("body", "no body: connect failed")`.
    pub fn unavailable(mut self, root: impl Into<String>, reason: impl Into<String>) -> Self {
        self.unavailable.insert(root.into(), reason.into());
        self
    }
}

impl Subject for TestSubject {
    fn lookup(&self, field: &Field) -> Lookup<'_> {
        if let Some(reason) = self.unavailable.get(field.root()) {
            return Lookup::Unavailable(reason.clone().into());
        }
        if field.root() == "json" {
            return match &self.json {
                Some(Ok(doc)) => Lookup::in_json(doc, field.path()),
                Some(Err(())) => Lookup::Unavailable("body is not JSON".into()),
                None => Lookup::Unavailable("no body".into()),
            };
        }
        match self.values.get(&field.to_string()) {
            Some(value) => Lookup::Found(value.borrowed()),
            None if field.root() == "header" => Lookup::Absent("header missing".into()),
            None => Lookup::Absent(format!("no `{field}`").into()),
        }
    }
}

/// Why `segment` leads nowhere from `node`.
fn missing_step(segment: &Segment, node: &serde_json::Value) -> String {
    let kind = match node {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "text",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    };
    match (segment, node) {
        (Segment::Key(key), serde_json::Value::Object(_)) => {
            let shown = Field::new("", vec![Segment::Key(key.clone())]).to_string();
            format!("no key `{}`", shown.trim_start_matches('.'))
        }
        (Segment::Key(key), _) => format!("no key `{key}`: found {kind}, not an object"),
        (Segment::Index(i), serde_json::Value::Array(items)) => {
            format!("no index `[{i}]`: the list has {} elements", items.len())
        }
        (Segment::Index(i), _) => format!("no index `[{i}]`: found {kind}, not a list"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(segments: &[Segment]) -> Vec<Segment> {
        segments.to_vec()
    }

    #[test]
    fn in_json_walks_keys_and_indexes() {
        let doc = serde_json::json!({"items": [{"id": 2}], "weird key": true});
        let items = Segment::Key("items".into());
        let found = Lookup::in_json(
            &doc,
            &path(&[items.clone(), Segment::Index(0), Segment::Key("id".into())]),
        );
        assert_eq!(
            found,
            Lookup::Found(Value::Json(Cow::Owned(serde_json::json!(2))))
        );
        let odd = Lookup::in_json(&doc, &[Segment::Key("weird key".into())]);
        assert_eq!(
            odd,
            Lookup::Found(Value::Json(Cow::Owned(serde_json::json!(true))))
        );
    }

    #[test]
    fn in_json_says_which_step_had_nothing() {
        let doc = serde_json::json!({"items": [], "n": 1});
        let absent = |p: &[Segment]| match Lookup::in_json(&doc, p) {
            Lookup::Absent(reason) => reason.into_owned(),
            other => format!("{other:?}"),
        };
        assert_eq!(absent(&[Segment::Key("nope".into())]), "no key `nope`");
        assert_eq!(absent(&[Segment::Key("a b".into())]), "no key `[\"a b\"]`");
        assert_eq!(
            absent(&[Segment::Key("items".into()), Segment::Index(0)]),
            "no index `[0]`: the list has 0 elements"
        );
        assert_eq!(
            absent(&[Segment::Key("n".into()), Segment::Key("x".into())]),
            "no key `x`: found a number, not an object"
        );
        assert_eq!(
            absent(&[Segment::Index(1)]),
            "no index `[1]`: found an object, not a list"
        );
    }

    #[test]
    fn test_subject_answers_from_its_map() {
        let subject = TestSubject::new()
            .with("status", 200)
            .unavailable("body", "no body: connect failed");
        assert_eq!(
            subject.lookup(&Field::new("status", vec![])),
            Lookup::Found(Value::Int(200))
        );
        assert_eq!(
            subject.lookup(&Field::new("body", vec![])),
            Lookup::Unavailable("no body: connect failed".into())
        );
        assert_eq!(
            subject.lookup(&Field::new("header", vec![Segment::Key("x".into())])),
            Lookup::Absent("header missing".into())
        );
        assert_eq!(
            subject.lookup(&Field::new("json", vec![])),
            Lookup::Unavailable("no body".into())
        );
    }
}
