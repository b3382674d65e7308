//! The pages' content: main page, incident, maintenance, history.

use jiff::ToSpan;
use maud::{Markup, html};

use super::bar::{self, Grade};
use super::layout::{Current, shell};
use super::{Cx, Target, component_status, impact_parts, message, update_label, user};
use crate::model::{Component, Impact, Incident, Maintenance, Update};

/// How many days of incidents the main page lists.
const PAST_DAYS: i64 = 14;

pub(super) fn main(cx: &Cx) -> Markup {
    let snapshot = cx.snapshot;
    let active: Vec<&Incident> = snapshot.unresolved().collect();
    let in_progress: Vec<&Maintenance> = snapshot.active_maintenances().collect();
    let upcoming: Vec<&Maintenance> = snapshot.upcoming_maintenances().collect();
    let content = html! {
        @if !active.is_empty() {
            section aria-labelledby="active" {
                h2 id="active" { "Active incidents" }
                @for incident in &active { (incident_card(cx, incident)) }
            }
        }
        @if !in_progress.is_empty() {
            section aria-labelledby="maint-now" {
                h2 id="maint-now" { "Maintenance in progress" }
                @for m in &in_progress { (maintenance_card(cx, m)) }
            }
        }
        @if !upcoming.is_empty() {
            section aria-labelledby="maint-next" {
                h2 id="maint-next" { "Upcoming maintenance" }
                @for m in &upcoming { (maintenance_card(cx, m)) }
            }
        }
        section aria-labelledby="components" {
            h2 id="components" { "Components" }
            (components(cx))
        }
        section aria-labelledby="past" {
            h2 id="past" { "Past incidents" }
            (past(cx))
            p { a href=(cx.href(Target::History)) { "Full incident history" } }
        }
    };
    shell(cx, None, Current::Home, content)
}

/// Components in page order, grouped: a group is shown where its first
/// component is, under its heading; ungrouped components as they come.
fn components(cx: &Cx) -> Markup {
    let mut ordered: Vec<&Component> = cx.snapshot.components.iter().collect();
    ordered.sort_by_key(|c| c.position);
    // Runs: (group, components), a group's components gathered where its
    // first one is; ungrouped components likewise gathered in one run.
    let mut runs: Vec<(Option<&str>, Vec<&Component>)> = Vec::new();
    for c in ordered {
        let group = c.group.as_deref();
        match runs.iter_mut().find(|(name, _)| *name == group) {
            Some(run) => run.1.push(c),
            None => runs.push((group, vec![c])),
        }
    }
    // Ungrouped components after a group need a heading of their own, or
    // they would read as part of that group.
    let any_group = runs.iter().any(|(g, _)| g.is_some());
    html! {
        @if runs.is_empty() {
            p class="empty" { "No components are listed." }
        }
        @for (i, (group, list)) in runs.iter().enumerate() {
            @match group {
                Some(group) => h3 { (user(group)) },
                None if any_group && i > 0 => h3 { "Other components" },
                None => {},
            }
            ul class="components" {
                @for c in list {
                    li class="component" {
                        div class="crow" {
                            span class="cname" { (user(&c.name)) }
                            (component_status(c.status))
                        }
                        (bar::bar(c))
                    }
                }
            }
        }
        @if !runs.is_empty() {
            p class="legend" {
                span class="vh" { "Bar colours: " }
                @for grade in Grade::ALL { span class=(grade.key_class()) { (grade.legend()) } }
            }
        }
    }
}

/// The last [`PAST_DAYS`] days (in the page's time zone), each with the
/// incidents posted that day.
fn past(cx: &Cx) -> Markup {
    let today = cx.local_date(cx.snapshot.generated_at);
    html! {
        @for back in 0..PAST_DAYS {
            @if let Ok(day) = today.checked_sub(back.days()) {
                h3 { (day.strftime("%b %-d, %Y")) }
                @let incidents: Vec<&Incident> = cx.snapshot.incidents.iter()
                    .filter(|i| cx.local_date(i.created_at) == day).collect();
                @if incidents.is_empty() {
                    p class="empty" { "No incidents reported." }
                } @else {
                    ul class="past" {
                        @for incident in incidents {
                            li {
                                a href=(cx.href(Target::Incident(incident.id))) { (user(&incident.name)) }
                                " "
                                (impact_tag(incident.impact))
                                @if let Some(update) = incident.updates.first() {
                                    p class="meta" {
                                        span class="lbl" { (update_label(&update.status)) } " — "
                                        (cx.time(update.at))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn impact_tag(impact: Impact) -> Markup {
    let (symbol, word) = impact_parts(impact);
    html! {
        span class="meta" { "(" span aria-hidden="true" { (symbol) } " " (word) " impact)" }
    }
}

fn component_names(cx: &Cx, ids: &[String]) -> Markup {
    html! {
        @for (i, id) in ids.iter().enumerate() {
            @if i > 0 { ", " }
            (user(cx.snapshot.component(id).map_or(id.as_str(), |c| c.name.as_str())))
        }
    }
}

fn timeline(cx: &Cx, updates: &[Update]) -> Markup {
    html! {
        @if updates.is_empty() {
            p class="empty" { "No updates yet." }
        } @else {
            ol class="timeline" {
                @for update in updates {
                    li {
                        p class="meta" {
                            span class="lbl" { (update_label(&update.status)) } " — " (cx.time(update.at))
                        }
                        (message(&update.body))
                    }
                }
            }
        }
    }
}

fn incident_card(cx: &Cx, incident: &Incident) -> Markup {
    let class = format!("card imp-{}", incident.impact.as_str());
    html! {
        article class=(class) {
            h3 { a href=(cx.href(Target::Incident(incident.id))) { (user(&incident.name)) } }
            p class="meta" {
                span class="lbl" { (incident.status.label()) } " " (impact_tag(incident.impact))
                @if !incident.components.is_empty() {
                    " · Affects " (component_names(cx, &incident.components))
                }
            }
            (timeline(cx, &incident.updates))
        }
    }
}

fn window(cx: &Cx, m: &Maintenance) -> Markup {
    html! { (cx.time(m.scheduled_for)) " – " (cx.time(m.scheduled_until)) }
}

fn maintenance_card(cx: &Cx, m: &Maintenance) -> Markup {
    html! {
        article class="card imp-maint" {
            h3 { a href=(cx.href(Target::Maintenance(m.id))) { (user(&m.name)) } }
            p class="meta" { span class="lbl" { (m.status.label()) } " · " (window(cx, m)) }
            @if !m.components.is_empty() {
                p class="meta" { "Affects " (component_names(cx, &m.components)) }
            }
            @if let Some(update) = m.updates.first() {
                (message(&update.body))
            }
        }
    }
}

pub(super) fn incident(cx: &Cx, incident: &Incident) -> Markup {
    let (symbol, word) = impact_parts(incident.impact);
    let content = html! {
        article class={ "card imp-" (incident.impact.as_str()) } {
            h1 { (user(&incident.name)) }
            dl class="meta" {
                dt class="vh" { "Status" }
                dd { span class="lbl" { (incident.status.label()) } }
                dt class="vh" { "Impact" }
                dd { span aria-hidden="true" { (symbol) } " " (word) " impact" }
                @if !incident.components.is_empty() {
                    dt class="vh" { "Affected components" }
                    dd { "Affects " (component_names(cx, &incident.components)) }
                }
                dt class="vh" { "Posted" }
                dd { "Posted " (cx.time(incident.created_at)) }
                @if let Some(at) = incident.resolved_at {
                    dt class="vh" { "Resolved" }
                    dd { "Resolved " (cx.time(at)) }
                }
            }
            h2 { "Updates" }
            (timeline(cx, &incident.updates))
        }
        p { a href=(cx.href(Target::Home)) { "Current status" } " · " a href=(cx.href(Target::History)) { "Incident history" } }
    };
    shell(cx, Some(&incident.name), Current::Other, content)
}

pub(super) fn maintenance(cx: &Cx, m: &Maintenance) -> Markup {
    let content = html! {
        article class="card imp-maint" {
            h1 { (user(&m.name)) }
            dl class="meta" {
                dt class="vh" { "Status" }
                dd { span class="lbl" { (m.status.label()) } }
                dt class="vh" { "Window" }
                dd { "Scheduled " (window(cx, m)) }
                @if !m.components.is_empty() {
                    dt class="vh" { "Affected components" }
                    dd { "Affects " (component_names(cx, &m.components)) }
                }
            }
            h2 { "Updates" }
            (timeline(cx, &m.updates))
        }
        p { a href=(cx.href(Target::Home)) { "Current status" } " · " a href=(cx.href(Target::History)) { "Incident history" } }
    };
    shell(cx, Some(&m.name), Current::Other, content)
}

pub(super) fn history(cx: &Cx) -> Markup {
    let snapshot = cx.snapshot;
    let mut incidents: Vec<&Incident> = snapshot.incidents.iter().collect();
    incidents.sort_by_key(|i| std::cmp::Reverse(i.created_at));
    // Months, newest first, each with its incidents.
    let mut months: Vec<(jiff::civil::Date, Vec<&Incident>)> = Vec::new();
    for incident in incidents {
        let month = cx.local_date(incident.created_at).first_of_month();
        match months.last_mut() {
            Some((m, list)) if *m == month => list.push(incident),
            _ => months.push((month, vec![incident])),
        }
    }
    let content = html! {
        h1 { "Incident history" }
        @if months.is_empty() {
            p class="empty" { "No incidents reported." }
        }
        @for (month, list) in &months {
            section {
                h2 { (month.strftime("%B %Y")) }
                ul class="past" {
                    @for incident in list {
                        li {
                            a href=(cx.href(Target::Incident(incident.id))) { (user(&incident.name)) }
                            " " (impact_tag(incident.impact))
                            p class="meta" {
                                span class="lbl" { (incident.status.label()) } " · "
                                (cx.time(incident.created_at))
                                @if let Some(at) = incident.resolved_at { " – " (cx.time(at)) }
                            }
                        }
                    }
                }
            }
        }
        @if !snapshot.maintenances.is_empty() {
            section {
                h2 { "Maintenance" }
                ul class="past" {
                    @for m in &snapshot.maintenances {
                        li {
                            a href=(cx.href(Target::Maintenance(m.id))) { (user(&m.name)) }
                            p class="meta" { span class="lbl" { (m.status.label()) } " · " (window(cx, m)) }
                        }
                    }
                }
            }
        }
    };
    shell(cx, Some("Incident history"), Current::History, content)
}
