//! Valid catalogs parse, with their defaults, resolved paths and helpers.
//!
//! `tests/fixtures/sketch.toml` is `/work/shared/catalog-sketch.toml` copied
//! verbatim: every key it uses is accepted under the same name.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::civil::{Weekday, date};
use shipshape_catalog::{
    Catalog, Channel, MonitorKind, PublishTarget, SecretSource, Setting, Target, load,
};

use crate::support::{crate_dir, parse};

fn example_path() -> PathBuf {
    crate_dir().join("../../examples/shipshape.toml")
}

fn load_ok(path: &Path) -> Catalog {
    match load(path) {
        Ok(catalog) => catalog,
        Err(diagnostics) => panic!("{diagnostics}"),
    }
}

#[test]
fn sketch_parses() {
    let catalog = load_ok(&crate_dir().join("tests/fixtures/sketch.toml"));
    assert_eq!(catalog.people.len(), 2);
    assert_eq!(catalog.services.len(), 2);
    assert_eq!(catalog.services[0].monitors.len(), 3);
}

#[test]
fn example_parses_and_uses_every_feature() {
    let catalog = load_ok(&example_path());
    let kinds: Vec<&str> = catalog.monitors().map(|(_, m)| m.kind.name()).collect();
    for kind in ["http", "tcp", "dns", "tls", "heartbeat", "datastore"] {
        assert!(kinds.contains(&kind), "no {kind} monitor in the example");
    }
    let channels: Vec<&str> = catalog
        .people
        .iter()
        .flat_map(|p| &p.contacts)
        .chain(catalog.notifiers.iter().map(|n| &n.channel))
        .map(Channel::kind)
        .collect();
    for kind in [
        "email",
        "ntfy",
        "webhook",
        "slack",
        "pagerduty",
        "pushover",
        "sms",
        "phone",
    ] {
        assert!(channels.contains(&kind), "no {kind} channel in the example");
    }
    assert!(catalog.schedules.iter().any(|s| s.layers.len() > 1));
    assert!(catalog.schedules.iter().any(|s| !s.overrides.is_empty()));
    let mut catalog = catalog;
    let sources: Vec<&str> = catalog
        .secret_settings_mut()
        .into_iter()
        .filter_map(|s| s.secret_ref())
        .map(|r| match r.source {
            SecretSource::File(_) => "file",
            SecretSource::Command(_) => "cmd",
            SecretSource::Env(_) => "env",
        })
        .collect();
    for kind in ["file", "cmd", "env"] {
        assert!(sources.contains(&kind), "no {kind} secret in the example");
    }
}

#[test]
fn example_file_secrets_exist() {
    let mut catalog = load_ok(&example_path());
    for setting in catalog.secret_settings_mut() {
        if let Some(SecretSource::File(path)) = setting.secret_ref().map(|r| &r.source) {
            assert!(path.is_file(), "{} is missing", path.display());
        }
    }
}

#[test]
fn defaults_apply() {
    let catalog = parse(
        "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  http = { url = \"https://x.example/\" }\n  every = \"5s\"\n",
    )
    .unwrap_or_else(|d| panic!("{d}"));
    assert!(catalog.server.metrics_public);
    assert_eq!(catalog.server.max_body_bytes, 1 << 20);
    assert_eq!(catalog.server.request_timeout, Duration::from_secs(30));
    assert_eq!(catalog.store.raw_retention, Duration::from_secs(7 * 86_400));
    assert_eq!(
        catalog.store.rollup_retention,
        Duration::from_secs(400 * 86_400)
    );
    assert_eq!(
        catalog.store.url.value(),
        Some("sqlite:///srv/ops/shipshape.db")
    );
    let monitor = &catalog.services[0].monitors[0];
    assert_eq!(
        monitor.timeout,
        Duration::from_secs(5),
        "timeout defaults to at most `every`"
    );
    assert_eq!((monitor.confirm, monitor.recover), (1, 1));
    let MonitorKind::Http(http) = &monitor.kind else {
        panic!("not http")
    };
    assert_eq!(http.method, "GET");
    assert!(http.follow_redirects);
}

#[test]
fn relative_paths_resolve_against_the_catalog_directory() {
    let source = "\
[server]
tls = { cert = \"tls/cert.pem\", key = \"/etc/tls/key.pem\" }

[store]
url = { secret = \"file:../secrets/db-url\" }

[[service]]
id = \"api\"
repo = \"../api\"

[status_page]
title = \"Status\"
publish = [{ type = \"dir\", path = \"./site\" }]
";
    let catalog = parse(source).unwrap_or_else(|d| panic!("{d}"));
    let tls = catalog
        .server
        .tls
        .as_ref()
        .map(|t| (t.cert.clone(), t.key.clone()));
    assert_eq!(
        tls,
        Some(("/srv/ops/tls/cert.pem".into(), "/etc/tls/key.pem".into()))
    );
    assert_eq!(
        catalog.store.url.secret_ref().map(|r| &r.source),
        Some(&SecretSource::File("/srv/secrets/db-url".into()))
    );
    assert_eq!(catalog.services[0].repo, Some(PathBuf::from("/srv/api")));
    let publish = catalog.status_page.as_ref().map(|p| p.publish.clone());
    assert_eq!(
        publish,
        Some(vec![PublishTarget::Dir {
            path: "/srv/ops/site".into(),
            third_party: None
        }])
    );

    let sqlite =
        parse("[store]\nurl = \"sqlite://data/state.db\"\n").unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(
        sqlite.store.url.value(),
        Some("sqlite:///srv/ops/data/state.db")
    );
}

#[test]
fn a_relative_catalog_path_becomes_absolute() {
    let catalog = shipshape_catalog::parse_str("", Path::new("ops/shipshape.toml"))
        .unwrap_or_else(|d| panic!("{d}"));
    assert!(catalog.path.is_absolute());
    assert!(catalog.path.ends_with("ops/shipshape.toml"));
}

#[test]
fn schedules_read_layers_handoffs_and_overrides() {
    let catalog = load_ok(&example_path());
    let primary = catalog
        .schedules
        .iter()
        .find(|s| s.id == "benefits-primary");
    let Some(primary) = primary else {
        panic!("no benefits-primary")
    };
    assert_eq!(primary.layers[0].handoff.weekday, Some(Weekday::Monday));
    assert_eq!(primary.layers[0].every, Duration::from_secs(7 * 86_400));
    assert_eq!(primary.layers[0].start, date(2026, 11, 30));
    assert_eq!(
        primary.overrides[1].from,
        date(2026, 12, 24).at(18, 0, 0, 0)
    );
    let escalation = &catalog.escalations[0];
    assert_eq!(escalation.repeat, 2);
    assert_eq!(
        escalation.steps[1].notify,
        vec![Target::Team("benefits".into())]
    );
}

#[test]
fn lookups_by_email_and_team() {
    let catalog = load_ok(&example_path());
    let alice = catalog
        .person_by_email("ALICE@example.gov")
        .map(|p| p.id.as_str());
    assert_eq!(alice, Some("alice"));
    assert!(catalog.person_by_email("nobody@example.gov").is_none());
    let teams: Vec<&str> = catalog
        .teams_of("dan")
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(teams, ["benefits", "identity"]);
}

#[test]
fn filled_secrets_are_usable_but_never_printed() {
    let mut catalog = load_ok(&example_path());
    for setting in catalog.secret_settings_mut() {
        if let Setting::Secret { value, .. } = setting {
            *value = Some(shipshape_catalog::Secret::new("hunter2-very-secret".into()));
        }
    }
    assert!(!format!("{catalog:?}").contains("hunter2"));
    assert!(!format!("{catalog:#?}").contains("hunter2"));
    let slack = catalog.notifiers.iter().find(|n| n.id == "benefits-slack");
    let url = slack.and_then(|n| match &n.channel {
        Channel::Slack { url } => url.value(),
        _ => None,
    });
    assert_eq!(url, Some("hunter2-very-secret"));
    let secret = shipshape_catalog::Secret::new("hunter2".into());
    assert_eq!(format!("{secret} {secret:?}"), "*** ***");
}
