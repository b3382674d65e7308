//! The incident engine's pure parts: routing, escalation step planning on
//! the policy's grid, and the evaluator taking up stored conditions after a
//! restart. (The engine against a real store is tested in `shipshape-pager`.)

use std::collections::BTreeMap;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use shipshape_alert::engine::{
    Evaluator, EvaluatorPolicy, Health, MonitorKey, SignalState, escalations_for, plan_step,
};
use shipshape_catalog::Catalog;

const CATALOG: &str = r#"
[[person]]
id = "alice"
name = "Alice"
contact = [{ type = "webhook", url = "http://127.0.0.1:9/a" }]

[[person]]
id = "bob"
name = "Bob"
contact = [{ type = "sms", to = "+15550100" }]

[[team]]
id = "db"
members = ["alice", "bob"]

[[escalation]]
id = "first"
steps = [
  { notify = ["person:bob"] },
  { after = "5m", notify = ["person:alice"] },
]
repeat = 2
repeat_after = "10m"

[[escalation]]
id = "second"
steps = [{ notify = ["team:db"] }]

[[route]]
match = { service = "api", severity = "critical" }
escalation = "first"
continue = true

[[route]]
match = { labels = { team = "db" } }
escalation = "second"

[[route]]
match = { service = "api" }
escalation = "second"

[[service]]
id = "api"
owner = "db"

  [[service.monitor]]
  id = "latency"
  tcp = { host = "127.0.0.1", port = 9 }
  every = "1m"
  anomaly = { metric = "latency_p95", sensitivity = "high" }

[[service]]
id = "web"
owner = "db"
"#;

fn catalog() -> Catalog {
    shipshape_catalog::parse_str(CATALOG, Path::new("/t/shipshape.toml")).unwrap()
}

fn t0() -> Timestamp {
    "2026-11-30T09:00:00Z".parse().unwrap()
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_first_matching_route_wins_unless_it_says_continue() {
    let catalog = catalog();
    let (policies, note) = escalations_for(
        &catalog,
        &labels(&[("service", "api"), ("severity", "critical")]),
        t0(),
    );
    let ids: Vec<&str> = policies.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        ids,
        ["first", "second"],
        "continue, then the next match only"
    );
    assert!(note.contains("first, second"), "{note}");

    let (policies, _) = escalations_for(
        &catalog,
        &labels(&[("service", "api"), ("severity", "warning")]),
        t0(),
    );
    assert_eq!(policies[0].0, "second");

    let (policies, note) = escalations_for(&catalog, &labels(&[("service", "web")]), t0());
    assert_eq!(policies[0].0, "owner:db", "no route: the owning team");
    assert!(note.contains("owning team db"), "{note}");

    let (policies, note) = escalations_for(&catalog, &labels(&[("alertname", "x")]), t0());
    assert!(policies.is_empty());
    assert!(note.contains("nobody is paged"), "{note}");
}

#[test]
fn steps_keep_their_grid_and_repeat_after_the_pause() {
    let catalog = catalog();
    // Bob's only contact is SMS and there is no [sms_gateway]: step 1
    // reaches nobody and step 2 runs at once.
    let plan = plan_step(&catalog, "first", 0, 0, t0(), t0());
    let reached: Vec<&str> = plan.recipients.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(reached, ["person:alice#0"]);
    assert!(plan.notes[0].contains("reached nobody"), "{:?}", plan.notes);
    assert!(
        plan.notes[0].contains("sms needs an [sms_gateway]"),
        "{:?}",
        plan.notes
    );
    // After step 2 of round 1: round 2 starts 5m + 10m after round 1.
    let (step, round, due) = plan.next.unwrap();
    assert_eq!((step, round), (0, 1));
    assert_eq!(due, t0() + SignedDuration::from_mins(15));

    // Run late, the following step stays on the grid.
    let late = t0() + SignedDuration::from_mins(7);
    let plan = plan_step(
        &catalog,
        "first",
        1,
        0,
        t0() + SignedDuration::from_mins(5),
        late,
    );
    assert_eq!(plan.next.unwrap().2, t0() + SignedDuration::from_mins(15));

    // The last step of the last round ends the policy.
    let plan = plan_step(&catalog, "first", 1, 1, t0(), t0());
    assert_eq!(plan.next, None);
}

#[test]
fn a_policy_that_reaches_nobody_ends_and_says_so() {
    let mut catalog = catalog();
    catalog.people.retain(|p| p.id == "bob");
    catalog.teams.clear();
    let plan = plan_step(&catalog, "first", 0, 0, t0(), t0());
    assert!(plan.recipients.is_empty());
    assert_eq!(plan.next, None);
    assert!(
        plan.notes
            .last()
            .unwrap()
            .contains("no step reaches anyone")
    );
}

/// A day of five-minute latencies around 100 ms, then one around 900 ms.
fn feed(evaluator: &mut Evaluator, key: &MonitorKey, days: i64, shift_at: Option<i64>) {
    let start = t0() - SignedDuration::from_hours(24 * days);
    for i in 0..(days * 24 * 12) {
        let at = start + SignedDuration::from_mins(5 * i);
        let noise = ((i * 7919) % 13) as f64;
        let latency = if shift_at.is_some_and(|s| i >= s) {
            900.0 + noise
        } else {
            100.0 + noise
        };
        evaluator.observe_result(key, at, true, Some(latency));
    }
}

#[test]
fn a_replayed_history_rearms_the_anomaly_rule_without_resending() {
    let catalog = catalog();
    let key = MonitorKey::new("api", "latency");
    let mut evaluator = Evaluator::new(EvaluatorPolicy::default());
    evaluator.set_catalog(&catalog, t0());
    assert!(evaluator.has_anomaly_rule(&key));
    evaluator.observe_state(
        &key,
        t0() - SignedDuration::from_hours(24 * 9),
        Health::Up,
        None,
    );
    // Nine days, the last hour far above the band: the rule fires.
    feed(&mut evaluator, &key, 9, Some(9 * 24 * 12 - 12));

    // Stored as firing: nothing new to say.
    let mut same = evaluator.clone();
    same.restore_anomaly(&key, SignalState::Firing);
    let next = t0() + SignedDuration::from_mins(5);
    let signals = same.observe_result(&key, next, true, Some(905.0));
    assert!(
        signals.iter().all(|s| !s.key.starts_with("anomaly:")),
        "{signals:?}"
    );

    // Stored as clear (the firing was never recorded): it is said now.
    let mut behind = evaluator.clone();
    behind.restore_anomaly(&key, SignalState::Ok);
    let signals = behind.observe_result(&key, next, true, Some(905.0));
    let anomaly = signals
        .iter()
        .find(|s| s.key == "anomaly:api/latency")
        .expect("the anomaly signal");
    assert_eq!(anomaly.state, SignalState::Firing);
    assert!(
        anomaly.summary.contains("above its usual band"),
        "{}",
        anomaly.summary
    );
}
