//! The subject example from the README, compiled and run: a check result
//! that borrows its body and answers `json.…` from a document parsed once.

use std::borrow::Cow;

use shipshape_expect::{Expectation, Field, Lookup, Subject, Value};

struct CheckResult {
    status: u16,
    body: Option<String>,
    json: Option<serde_json::Value>,
}

impl Subject for CheckResult {
    fn lookup(&self, field: &Field) -> Lookup<'_> {
        match (field.root(), field.path()) {
            ("status", []) => Lookup::Found(Value::from(self.status)),
            ("body", []) => match &self.body {
                Some(body) => Lookup::Found(Value::Str(Cow::Borrowed(body))),
                None => Lookup::Unavailable("no body: connect failed".into()),
            },
            ("json", path) => match &self.json {
                Some(doc) => Lookup::in_json(doc, path),
                None => Lookup::Unavailable("body is not JSON".into()),
            },
            _ => Lookup::Unavailable(format!("`{field}` is not reported by this check").into()),
        }
    }
}

fn verdict(src: &str, result: &CheckResult) -> (bool, String) {
    match Expectation::parse(src) {
        Ok(expectation) => {
            let verdict = expectation.evaluate(result);
            (verdict.passed, verdict.detail)
        }
        Err(e) => panic!("{src}: {e}"),
    }
}

#[test]
fn readme_subject_answers_every_kind_of_lookup() {
    let body = r#"{"status": "ok", "items": [{"id": 7}]}"#;
    let up = CheckResult {
        status: 200,
        body: Some(body.into()),
        json: serde_json::from_str(body).ok(),
    };
    assert_eq!(
        verdict("status in [200, 204]", &up),
        (true, "status in [200, 204]: got 200".into())
    );
    assert_eq!(
        verdict("json.items[0].id > 3", &up),
        (true, "json.items[0].id > 3: got 7".into())
    );
    assert_eq!(
        verdict("body contains \"ok\"", &up),
        (
            true,
            format!(
                "body contains \"ok\": got \"{}\"",
                body.replace('"', "\\\"")
            )
        )
    );
    assert_eq!(
        verdict("response_time < 1s", &up),
        (
            false,
            "response_time < 1s: `response_time` is not reported by this check".into()
        )
    );

    let down = CheckResult {
        status: 0,
        body: None,
        json: None,
    };
    assert_eq!(
        verdict("body exists", &down),
        (false, "body exists: no body: connect failed".into())
    );
    assert_eq!(
        verdict("json.status == \"ok\"", &down),
        (false, "json.status == \"ok\": body is not JSON".into())
    );
}

#[test]
fn fields_tell_a_subject_what_to_prepare() {
    let expectation = Expectation::parse("status == 200 and json.status == \"ok\"");
    let roots: Vec<String> = expectation
        .map(|e| e.fields().iter().map(|f| f.root().to_owned()).collect())
        .unwrap_or_default();
    assert_eq!(roots, ["status", "json"]);
}
