//! The Statuspage-compatible JSON: every endpoint against the shape of
//! Statuspage's documented responses (`tests/fixtures/statuspage-v2/`), and
//! the values for the sample snapshot.

use std::path::PathBuf;

use jiff::SignedDuration;
use serde_json::Value;
use shipshape_status::json::{self, ENDPOINTS};
use shipshape_status::*;

use crate::support;

/// Keys Statuspage itself may leave `null`.
const STATUSPAGE_NULLABLE: &[&str] = &[
    "monitoring_at",
    "resolved_at",
    "description",
    "start_date",
    "group_id",
    "affected_components",
    "custom_tweet",
    "tweet_id",
    "shortlink",
];

/// Where we deliberately say `null` although Statuspage always has a value:
/// we never make data up (see `json`'s module documentation).
fn our_null(path: &str) -> bool {
    path == "page.url" || path.ends_with("components[].created_at")
}

fn fixture(endpoint: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/statuspage-v2")
        .join(endpoint);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Problems with `output` against the shape `expected`, each naming its
/// path; empty when the shapes agree.
fn shape_errors(path: &str, key: &str, expected: &Value, output: &Value) -> Vec<String> {
    match (expected, output) {
        (Value::Object(e), Value::Object(o)) => {
            let mut errors = Vec::new();
            for k in e.keys() {
                if !o.contains_key(k) {
                    errors.push(format!("{path}: missing key `{k}`"));
                }
            }
            for k in o.keys() {
                if !e.contains_key(k) {
                    errors.push(format!("{path}: extra key `{k}`"));
                }
            }
            for (k, ev) in e {
                if let Some(ov) = o.get(k) {
                    let sub = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    errors.extend(shape_errors(&sub, k, ev, ov));
                }
            }
            errors
        }
        (Value::Array(variants), Value::Array(items)) => {
            let sub = format!("{path}[]");
            let mut errors = Vec::new();
            for (n, item) in items.iter().enumerate() {
                if variants.is_empty() {
                    errors.push(format!("{path}: the fixture shows no element"));
                    break;
                }
                let tries: Vec<Vec<String>> = variants
                    .iter()
                    .map(|v| shape_errors(&sub, key, v, item))
                    .collect();
                if tries.iter().all(|t| !t.is_empty()) {
                    let best = tries.into_iter().min_by_key(Vec::len).unwrap();
                    errors.push(format!("{path}[{n}] matches no fixture element:"));
                    errors.extend(best.into_iter().map(|e| format!("  {e}")));
                }
            }
            errors
        }
        (e, o) if kind(e) == kind(o) => Vec::new(),
        (e, o) if e.is_null() || o.is_null() => {
            if STATUSPAGE_NULLABLE.contains(&key) || our_null(path) {
                Vec::new()
            } else {
                vec![format!(
                    "{path}: {} where Statuspage has {} (not nullable)",
                    kind(o),
                    kind(e)
                )]
            }
        }
        (e, o) => vec![format!(
            "{path}: {} where Statuspage has {}",
            kind(o),
            kind(e)
        )],
    }
}

fn assert_shape(endpoint: &str, output: &Value) {
    let errors = shape_errors("", "", &fixture(endpoint), output);
    assert!(
        errors.is_empty(),
        "{endpoint} differs from Statuspage's shape:\n{}\n\noutput:\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(output).unwrap()
    );
}

/// The sample, plus what it lacks: a completed maintenance that went
/// through verifying, an incident in monitoring, a component not checked.
fn wider_snapshot() -> Snapshot {
    let mut s = support::snapshot();
    let now = support::now();
    let hours = |h: i64| now - SignedDuration::from_hours(h);
    s.page.url = None;
    s.maintenances.push(Maintenance {
        id: 5,
        name: "Certificate rotation".into(),
        status: MaintenanceStatus::Completed,
        impact: Impact::None,
        scheduled_for: hours(100),
        scheduled_until: hours(99),
        created_at: hours(200),
        updated_at: hours(99),
        components: vec!["website".into(), "gone".into()],
        updates: vec![
            update(13, "completed", "Done.", hours(99)),
            update(
                12,
                "verifying",
                "Checking.",
                hours(99) - SignedDuration::from_mins(10),
            ),
            update(11, "scheduled", "Planned.", hours(200)),
        ],
    });
    s.incidents.insert(
        0,
        Incident {
            id: 3,
            name: "Login emails delayed".into(),
            status: IncidentStatus::Monitoring,
            impact: Impact::Minor,
            created_at: hours(1),
            updated_at: hours(1),
            monitoring_at: Some(hours(1)),
            resolved_at: None,
            components: vec![],
            updates: vec![update(14, "monitoring", "A fix is out.", hours(1))],
        },
    );
    s.components.push(Component {
        created_at: None,
        id: "docs".into(),
        name: "Docs".into(),
        group: None,
        status: ComponentStatus::MajorOutage,
        position: 3,
        updated_at: hours(1),
        days: vec![],
    });
    s
}

fn update(id: i64, status: &str, body: &str, at: jiff::Timestamp) -> Update {
    Update {
        id,
        status: status.into(),
        body: body.into(),
        at,
    }
}

#[test]
fn every_endpoint_is_listed_once() {
    let paths: Vec<&str> = ENDPOINTS.iter().map(|(p, _)| *p).collect();
    assert_eq!(
        paths,
        [
            "summary.json",
            "status.json",
            "components.json",
            "incidents.json",
            "incidents/unresolved.json",
            "scheduled-maintenances.json",
            "scheduled-maintenances/upcoming.json",
            "scheduled-maintenances/active.json",
        ]
    );
}

#[test]
fn every_endpoint_has_statuspages_shape() {
    for snapshot in [support::snapshot(), wider_snapshot()] {
        for (endpoint, render) in ENDPOINTS {
            assert_shape(endpoint, &render(&snapshot));
        }
    }
}

#[test]
fn the_shape_check_catches_differences() {
    let mut output = json::status(&support::snapshot());
    output["status"]["extra"] = "x".into();
    output["page"]["name"] = 3.into();
    output["page"]["time_zone"] = Value::Null;
    let errors = shape_errors("", "", &fixture("status.json"), &output);
    assert_eq!(errors.len(), 3, "{errors:?}");
    let mut output = json::components(&support::snapshot());
    output["components"][1]
        .as_object_mut()
        .unwrap()
        .remove("showcase");
    assert!(!shape_errors("", "", &fixture("components.json"), &output).is_empty());
}

#[test]
fn status_reads_like_statuspage() {
    let status = json::status(&support::snapshot());
    assert_eq!(status["status"]["indicator"], "major");
    assert_eq!(status["status"]["description"], "Partial System Outage");
    assert_eq!(
        status["page"],
        serde_json::json!({
            "id": "benefits-status",
            "name": "Benefits status",
            "url": "https://status.example.gov",
            "time_zone": "America/New_York",
            "updated_at": "2026-11-30T11:00:00.000Z",
        })
    );
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect()
}

#[test]
fn components_include_their_groups() {
    let out = json::components(&support::snapshot());
    let list = &out["components"];
    assert_eq!(
        ids(list),
        ["group-public-services", "website", "api", "login"]
    );
    let by_id = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    let group = by_id("group-public-services");
    assert_eq!(group["group"], true);
    assert_eq!(group["name"], "Public services");
    assert_eq!(group["components"], serde_json::json!(["website", "api"]));
    assert_eq!(group["status"], "partial_outage");
    assert_eq!(group["page_id"], "benefits-status");
    assert_eq!(by_id("website")["status"], "operational");
    assert_eq!(by_id("website")["group_id"], "group-public-services");
    assert_eq!(by_id("website")["group"], false);
    assert_eq!(by_id("api")["status"], "partial_outage");
    assert_eq!(by_id("api")["position"], 1);
    assert_eq!(by_id("api")["updated_at"], "2026-11-30T11:00:00.000Z");
    assert_eq!(by_id("login")["status"], "under_maintenance");
    assert_eq!(by_id("login")["group_id"], Value::Null);
    assert_eq!(json::group_id("Public services"), "group-public-services");
}

#[test]
fn incidents_newest_first_and_unresolved_only_open_ones() {
    let snapshot = support::snapshot();
    let all = json::incidents(&snapshot);
    assert_eq!(ids(&all["incidents"]), ["2", "1"]);
    let unresolved = json::unresolved_incidents(&snapshot);
    assert_eq!(ids(&unresolved["incidents"]), ["2"]);
    assert_eq!(
        ids(&json::summary(&snapshot)["incidents"]),
        ["2"],
        "summary lists the unresolved incidents"
    );

    let two = &all["incidents"][0];
    assert_eq!(two["name"], "Slow responses from the API");
    assert_eq!(two["status"], "identified");
    assert_eq!(two["impact"], "major");
    assert_eq!(two["created_at"], "2026-11-30T09:00:00.000Z");
    assert_eq!(two["started_at"], "2026-11-30T09:00:00.000Z");
    assert_eq!(two["resolved_at"], Value::Null);
    assert_eq!(two["shortlink"], Value::Null);
    assert_eq!(ids(&two["components"]), ["api"]);
    assert_eq!(ids(&two["incident_updates"]), ["4", "3"]);
    let update = &two["incident_updates"][0];
    assert_eq!(update["incident_id"], "2");
    assert_eq!(update["status"], "identified");
    assert_eq!(
        update["body"],
        "A database replica is lagging; we are failing over."
    );
    assert_eq!(update["display_at"], "2026-11-30T11:00:00.000Z");
    assert_eq!(update["tweet_id"], Value::Null);

    let one = &all["incidents"][1];
    assert_eq!(one["resolved_at"], "2026-11-20T14:00:00.000Z");
    assert_eq!(one["monitoring_at"], "2026-11-20T13:00:00.000Z");
}

#[test]
fn incidents_are_capped_like_statuspage() {
    let mut snapshot = support::snapshot();
    let template = snapshot.incidents[1].clone();
    for id in 10..80 {
        let mut i = template.clone();
        i.id = id;
        i.created_at = support::now() - SignedDuration::from_hours(400 - id);
        snapshot.incidents.push(i);
    }
    let all = json::incidents(&snapshot);
    let list = ids(&all["incidents"]);
    assert_eq!(list.len(), json::LIMIT);
    assert_eq!(&list[..3], ["2", "1", "79"]);
}

#[test]
fn maintenance_active_and_upcoming() {
    let snapshot = support::snapshot();
    assert_eq!(
        ids(&json::active_maintenances(&snapshot)["scheduled_maintenances"]),
        ["7"]
    );
    assert_eq!(
        ids(&json::upcoming_maintenances(&snapshot)["scheduled_maintenances"]),
        ["8"]
    );
    assert_eq!(
        ids(&json::summary(&snapshot)["scheduled_maintenances"]),
        ["7", "8"]
    );
    let all = json::scheduled_maintenances(&snapshot);
    assert_eq!(ids(&all["scheduled_maintenances"]), ["8", "7"]);
    let eight = &all["scheduled_maintenances"][0];
    assert_eq!(eight["status"], "scheduled");
    assert_eq!(eight["scheduled_for"], "2026-12-02T12:00:00.000Z");
    assert_eq!(eight["scheduled_until"], "2026-12-02T14:00:00.000Z");
    assert_eq!(ids(&eight["components"]), ["api", "website"]);
    assert_eq!(eight["incident_updates"][0]["incident_id"], "8");
}

#[test]
fn completed_maintenance_and_unknown_values() {
    let snapshot = wider_snapshot();
    let all = json::scheduled_maintenances(&snapshot);
    let done = all["scheduled_maintenances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "5")
        .unwrap();
    assert_eq!(done["status"], "completed");
    assert_eq!(done["monitoring_at"], "2026-11-26T08:50:00.000Z");
    assert_eq!(done["resolved_at"], "2026-11-26T09:00:00.000Z");
    assert_eq!(ids(&done["components"]), ["website"], "unknown ids dropped");
    assert_eq!(json::status(&snapshot)["page"]["url"], Value::Null);
    let summary = json::summary(&snapshot);
    assert_eq!(summary["status"]["indicator"], "critical");
    assert_eq!(ids(&summary["incidents"]), ["3", "2"]);
    assert!(
        !summary["scheduled_maintenances"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "5"),
        "completed maintenance is not in the summary"
    );
}

#[test]
fn times_have_milliseconds_in_utc() {
    let at: jiff::Timestamp = "2026-11-30T07:08:09.123456-05:00".parse().unwrap();
    assert_eq!(json::time(at), "2026-11-30T12:08:09.123Z");
}

#[test]
fn webhook_payloads_have_statuspages_shape() {
    let snapshot = crate::support::snapshot();
    let incident = shipshape_status::json::webhook_incident(&snapshot, 2).unwrap();
    assert_eq!(incident["page"]["status_indicator"], "major");
    assert_eq!(
        incident["page"]["status_description"],
        "Partial System Outage"
    );
    assert_eq!(incident["incident"]["id"], "2");
    assert!(incident["incident"]["incident_updates"].is_array());
    assert!(incident["meta"]["documentation"].is_string());
    let maintenance = shipshape_status::json::webhook_maintenance(&snapshot, 8).unwrap();
    assert!(maintenance["incident"]["scheduled_for"].is_string());
    let update = shipshape_status::json::webhook_component_update(
        &snapshot,
        "api",
        shipshape_status::ComponentStatus::Operational,
        crate::support::now(),
    )
    .unwrap();
    assert_eq!(update["component_update"]["old_status"], "operational");
    assert_eq!(update["component_update"]["new_status"], "partial_outage");
    assert_eq!(update["component"]["id"], "api");
    assert!(shipshape_status::json::webhook_incident(&snapshot, 999).is_none());
}
