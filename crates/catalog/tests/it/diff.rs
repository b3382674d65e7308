//! `diff` names what changed between two catalogs.

use shipshape_catalog::{Secret, Setting, diff};

use crate::support::parse;

const BASE: &str = "\
[[person]]
id = \"alice\"

[[service]]
id = \"api\"

  [[service.monitor]]
  id = \"home\"
  http = { url = \"https://x.example/\" }

  [[service.monitor]]
  id = \"health\"
  http = { url = \"https://x.example/health\" }
";

#[test]
fn identical_catalogs_have_no_changes() {
    let (old, new) = (parse(BASE), parse(BASE));
    let (Ok(old), Ok(new)) = (old, new) else {
        panic!("base is invalid")
    };
    let changes = diff(&old, &new);
    assert!(changes.is_empty());
    assert_eq!(changes.to_string(), "no changes");
}

#[test]
fn changes_are_counted_per_section() {
    let edited = BASE
        .replace("https://x.example/\"", "https://y.example/\"")
        .replace("https://x.example/health", "https://y.example/health")
        .replace("id = \"alice\"", "id = \"bob\"");
    let (Ok(old), Ok(new)) = (parse(BASE), parse(&edited)) else {
        panic!("invalid")
    };
    let changes = diff(&old, &new);
    assert_eq!(changes.monitors.changed, ["api/home", "api/health"]);
    assert_eq!(changes.people.added, ["bob"]);
    assert_eq!(changes.people.removed, ["alice"]);
    assert!(
        changes.services.is_empty(),
        "monitor edits are not service edits"
    );
    assert_eq!(
        changes.to_string(),
        "1 person added, 1 person removed, 2 monitors changed"
    );
}

#[test]
fn moving_lines_or_resolving_secrets_is_not_a_change() {
    let secret = "[store]\nurl = { secret = \"env:DB\" }\n";
    let (Ok(mut old), Ok(new)) = (parse(secret), parse(&format!("\n\n{secret}"))) else {
        panic!("invalid")
    };
    for setting in old.secret_settings_mut() {
        if let Setting::Secret { value, .. } = setting {
            *value = Some(Secret::new("postgres://x".into()));
        }
    }
    assert!(diff(&old, &new).is_empty());
}
