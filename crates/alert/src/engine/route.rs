//! Routing an incident to escalation policies, and planning one step of a
//! policy: who is reached, through which contact methods, and when the next
//! step is due.
//!
//! Routes are tried in catalog order; the first whose `match` holds wins,
//! unless it says `continue = true`, in which case later routes are tried
//! too and every match adds its policy. When no route matches, the
//! service's owning team is paged (a one-step policy named `owner:TEAM`),
//! and the incident's timeline says so; with no owner either, nobody is
//! paged and the timeline says that.
//!
//! Step `i` of round `r` is due at `start + r·round + after_i`, where
//! `round` is the last step's `after` plus `repeat_after`: steps keep their
//! grid even when the engine runs late. A step whose targets have no
//! working contact method (nobody on call, no contacts, an email contact
//! without `[smtp]`) is recorded with the reason and the next step runs at
//! once.

use std::collections::{BTreeMap, HashSet};

use jiff::{SignedDuration, Timestamp};
use shipshape_catalog::{Catalog, Channel, Escalation, Person, RouteMatch, Target};

use super::AlertSignal;
use crate::oncall;

/// The prefix of the fallback policy that pages a service's owning team.
const OWNER_POLICY: &str = "owner:";

/// The labels an incident is routed and silenced by: its first alert's
/// labels, plus `service`, `component` and `severity` when known.
pub fn incident_labels(signal: &AlertSignal) -> BTreeMap<String, String> {
    let mut labels = signal.labels.clone();
    if let Some(service) = &signal.service {
        labels.insert("service".into(), service.clone());
    }
    if let Some(component) = &signal.component {
        labels.insert("component".into(), component.clone());
    }
    labels.insert("severity".into(), signal.severity.as_str().into());
    labels
}

/// The escalation policies an incident with `labels` follows, each with
/// the time its first step is due, plus a note for the timeline.
pub fn escalations_for(
    catalog: &Catalog,
    labels: &BTreeMap<String, String>,
    start: Timestamp,
) -> (Vec<(String, Timestamp)>, String) {
    let mut policies = Vec::new();
    for route in &catalog.routes {
        if !route_matches(&route.matcher, labels) {
            continue;
        }
        if !policies.contains(&route.escalation) {
            policies.push(route.escalation.clone());
        }
        if !route.continue_matching {
            break;
        }
    }
    let note = if policies.is_empty() {
        let owner = labels
            .get("service")
            .and_then(|id| catalog.services.iter().find(|s| &s.id == id))
            .and_then(|s| s.owner.clone());
        match owner {
            Some(team) => {
                policies.push(format!("{OWNER_POLICY}{team}"));
                format!("no route matched; paging the owning team {team}")
            }
            None => "no route matched and the service has no owner: nobody is paged".into(),
        }
    } else {
        format!("routed to escalation {}", policies.join(", "))
    };
    let due = policies
        .into_iter()
        .map(|policy| {
            let first = policy_steps(catalog, &policy)
                .and_then(|p| p.steps.first().map(|s| s.after))
                .unwrap_or_default();
            (policy, add(start, first))
        })
        .collect();
    (due, note)
}

fn route_matches(matcher: &RouteMatch, labels: &BTreeMap<String, String>) -> bool {
    let is = |key: &str, want: &str| labels.get(key).is_some_and(|v| v == want);
    matcher.service.as_deref().is_none_or(|s| is("service", s))
        && matcher
            .component
            .as_deref()
            .is_none_or(|c| is("component", c))
        && matcher.severity.is_none_or(|s| is("severity", s.as_str()))
        && matcher.labels.iter().all(|(k, v)| is(k, v))
}

/// A policy's steps: a catalog escalation, the owner fallback, or the
/// one-step policy of a test page ([`test_page_policy`]).
fn policy_steps(catalog: &Catalog, policy: &str) -> Option<Escalation> {
    let single = |target: Target| Escalation {
        id: policy.to_owned(),
        steps: vec![shipshape_catalog::EscalationStep {
            after: std::time::Duration::ZERO,
            notify: vec![target],
        }],
        repeat: 1,
        repeat_after: std::time::Duration::from_secs(300),
    };
    if let Some(team) = policy.strip_prefix(OWNER_POLICY) {
        return Some(single(Target::Team(team.to_owned())));
    }
    if let Some(target) = policy.strip_prefix(TEST_POLICY) {
        return parse_target(catalog, target).map(single);
    }
    catalog.escalations.iter().find(|e| e.id == policy).cloned()
}

/// The prefix of a test page's one-step policy.
const TEST_POLICY: &str = "test:";

/// The policy a test page to `target` (`person:ID`, `team:ID`,
/// `schedule:ID` or `notifier:ID`) follows, if the target exists.
pub fn test_page_policy(catalog: &Catalog, target: &str) -> Option<String> {
    parse_target(catalog, target).map(|_| format!("{TEST_POLICY}{target}"))
}

/// A `kind:ID` target naming something the catalog holds.
fn parse_target(catalog: &Catalog, text: &str) -> Option<Target> {
    let (kind, id) = text.split_once(':')?;
    let found = match kind {
        "person" => catalog.people.iter().any(|p| p.id == id),
        "team" => catalog.teams.iter().any(|t| t.id == id),
        "schedule" => catalog.schedules.iter().any(|s| s.id == id),
        "notifier" => catalog.notifiers.iter().any(|n| n.id == id),
        _ => false,
    };
    if !found {
        return None;
    }
    Some(match kind {
        "person" => Target::Person(id.into()),
        "team" => Target::Team(id.into()),
        "schedule" => Target::Schedule(id.into()),
        _ => Target::Notifier(id.into()),
    })
}

/// The length of one round of `policy`: its last step's `after` plus
/// `repeat_after`.
pub fn round_length(policy: &Escalation) -> SignedDuration {
    let last = policy.steps.last().map(|s| s.after).unwrap_or_default();
    SignedDuration::try_from(last + policy.repeat_after).unwrap_or(SignedDuration::MAX)
}

/// One contact method reached by a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// Stable id: `person:ID#N` (the person's N-th contact) or
    /// `notifier:ID`.
    pub id: String,
    /// The channel type (`email`, `webhook`, …).
    pub channel: &'static str,
    /// For people: `Alice Rivera (email)`; for notifiers: their id.
    pub label: String,
}

/// Where one recipient's notifications go, resolved from the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery<'a> {
    /// The channel and its settings.
    pub channel: &'a Channel,
    /// The person, for contacts.
    pub person: Option<&'a Person>,
}

impl Recipient {
    /// Finds this recipient's channel in `catalog` (`None` if the catalog
    /// changed and it is gone).
    pub fn resolve<'a>(id: &str, catalog: &'a Catalog) -> Option<Delivery<'a>> {
        if let Some(rest) = id.strip_prefix("person:") {
            let (person, index) = rest.rsplit_once('#')?;
            let index: usize = index.parse().ok()?;
            let person = catalog.people.iter().find(|p| p.id == person)?;
            return Some(Delivery {
                channel: person.contacts.get(index)?,
                person: Some(person),
            });
        }
        let id = id.strip_prefix("notifier:")?;
        let notifier = catalog.notifiers.iter().find(|n| n.id == id)?;
        Some(Delivery {
            channel: &notifier.channel,
            person: None,
        })
    }
}

/// The outcome of planning one escalation step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepPlan {
    /// Who to notify now (deduplicated).
    pub recipients: Vec<Recipient>,
    /// Lines for the incident's timeline: who was reached, or why nobody.
    pub notes: Vec<String>,
    /// The step that follows: `(step, round, due)`, or `None` when the
    /// policy is exhausted.
    pub next: Option<(u32, u32, Timestamp)>,
}

/// Plans step `step` of round `round` of `policy`, which was due at `due`,
/// at time `now`. Steps that reach nobody fall through to the next one (at
/// most one whole round of them, so a policy of unreachable targets ends).
pub fn plan_step(
    catalog: &Catalog,
    policy: &str,
    mut step: u32,
    mut round: u32,
    mut due: Timestamp,
    now: Timestamp,
) -> StepPlan {
    let mut plan = StepPlan {
        recipients: Vec::new(),
        notes: Vec::new(),
        next: None,
    };
    let Some(escalation) = policy_steps(catalog, policy) else {
        plan.notes.push(format!(
            "escalation {policy} no longer exists in the catalog; nobody paged"
        ));
        return plan;
    };
    let steps = escalation.steps.len() as u32;
    if steps == 0 {
        return plan;
    }
    let mut seen = HashSet::new();
    for _ in 0..steps {
        let Some(current) = escalation.steps.get(step as usize) else {
            return plan;
        };
        let mut missing = Vec::new();
        let mut reached = Vec::new();
        for target in &current.notify {
            collect(catalog, target, now, &mut reached, &mut missing);
        }
        reached.retain(|r: &Recipient| seen.insert(r.id.clone()));
        let label = format!(
            "{policy} step {} (round {} of {})",
            step + 1,
            round + 1,
            escalation.repeat
        );
        let next = next_step(&escalation, step, round, due);
        if !reached.is_empty() {
            let names: Vec<&str> = reached.iter().map(|r| r.label.as_str()).collect();
            plan.notes
                .push(format!("{label}: notifying {}", names.join(", ")));
            if !missing.is_empty() {
                plan.notes
                    .push(format!("{label}: not reached: {}", missing.join("; ")));
            }
            plan.recipients = reached;
            plan.next = next;
            return plan;
        }
        plan.notes.push(format!(
            "{label} reached nobody ({}); escalating at once",
            if missing.is_empty() {
                "no targets".to_owned()
            } else {
                missing.join("; ")
            }
        ));
        match next {
            // Run at once, but keep the grid for the steps after it.
            Some((s, r, at)) => {
                step = s;
                round = r;
                due = at;
            }
            None => return plan,
        }
    }
    plan.notes
        .push(format!("{policy}: no step reaches anyone; escalation ends"));
    plan
}

/// The step after `step` of `round`, due on the policy's grid.
fn next_step(
    policy: &Escalation,
    step: u32,
    round: u32,
    due: Timestamp,
) -> Option<(u32, u32, Timestamp)> {
    let after = |i: u32| {
        SignedDuration::try_from(policy.steps[i as usize].after).unwrap_or(SignedDuration::MAX)
    };
    let start = due.checked_sub(after(step)).unwrap_or(due);
    if (step as usize) + 1 < policy.steps.len() {
        return Some((step + 1, round, sat_add(start, after(step + 1))));
    }
    if round + 1 < policy.repeat {
        let next_start = sat_add(start, round_length(policy));
        return Some((0, round + 1, sat_add(next_start, after(0))));
    }
    None
}

/// Adds every working contact method of `target` at `now` to `out`, and
/// the reasons for the ones that do not work to `missing`.
fn collect(
    catalog: &Catalog,
    target: &Target,
    now: Timestamp,
    out: &mut Vec<Recipient>,
    missing: &mut Vec<String>,
) {
    match target {
        Target::Person(id) => person(catalog, id, out, missing),
        Target::Team(id) => match catalog.teams.iter().find(|t| &t.id == id) {
            Some(team) if team.members.is_empty() => {
                missing.push(format!("team {id} has no members"));
            }
            Some(team) => {
                for member in &team.members {
                    person(catalog, member, out, missing);
                }
            }
            None => missing.push(format!("team {id} does not exist")),
        },
        Target::Schedule(id) => match catalog.schedules.iter().find(|s| &s.id == id) {
            Some(schedule) => match oncall::on_call_at(schedule, now) {
                Some(shift) => person(catalog, &shift.person, out, missing),
                None => missing.push(format!("nobody is on call for schedule {id}")),
            },
            None => missing.push(format!("schedule {id} does not exist")),
        },
        Target::Notifier(id) => match catalog.notifiers.iter().find(|n| &n.id == id) {
            Some(notifier) => match unusable(catalog, &notifier.channel) {
                None => out.push(Recipient {
                    id: format!("notifier:{id}"),
                    channel: notifier.channel.kind(),
                    label: format!("notifier {id} ({})", notifier.channel.kind()),
                }),
                Some(why) => missing.push(format!("notifier {id}: {why}")),
            },
            None => missing.push(format!("notifier {id} does not exist")),
        },
    }
}

fn person(catalog: &Catalog, id: &str, out: &mut Vec<Recipient>, missing: &mut Vec<String>) {
    let Some(person) = catalog.people.iter().find(|p| p.id == id) else {
        missing.push(format!("person {id} does not exist"));
        return;
    };
    let before = out.len();
    let mut reasons = Vec::new();
    for (index, channel) in person.contacts.iter().enumerate() {
        match unusable(catalog, channel) {
            None => out.push(Recipient {
                id: format!("person:{id}#{index}"),
                channel: channel.kind(),
                label: format!("{} ({})", person.name, channel.kind()),
            }),
            Some(why) => reasons.push(format!("{} {why}", channel.kind())),
        }
    }
    if out.len() == before {
        missing.push(if reasons.is_empty() {
            format!("{} has no contact methods", person.name)
        } else {
            format!(
                "{} has no working contact ({})",
                person.name,
                reasons.join(", ")
            )
        });
    }
}

/// Why a channel cannot deliver with this catalog, if it cannot.
fn unusable(catalog: &Catalog, channel: &Channel) -> Option<&'static str> {
    match channel {
        Channel::Email { .. } if catalog.smtp.is_none() => Some("needs an [smtp] server"),
        Channel::Sms { .. } if catalog.sms_gateway.is_none() => Some("needs an [sms_gateway]"),
        Channel::Phone { .. } if catalog.voice_gateway.is_none() => Some("needs a [voice_gateway]"),
        _ => None,
    }
}

fn add(at: Timestamp, duration: std::time::Duration) -> Timestamp {
    sat_add(
        at,
        SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX),
    )
}

fn sat_add(at: Timestamp, duration: SignedDuration) -> Timestamp {
    at.checked_add(duration).unwrap_or(Timestamp::MAX)
}
