//! Between the engine's types (`shipshape-alert`) and the store's records.

use jiff::Timestamp;
use shipshape_alert::engine::{AlertSignal, IncidentAlertView, IncidentView, SignalState, Source};
use shipshape_alert::incoming::IncomingAlert;
use shipshape_catalog::{Catalog, Severity};
use shipshape_store::{
    AlertRecord, AlertState, Incident, IncidentAlert, IncidentStatus, NewIncidentAlert,
};

/// A signal as the store keeps it.
pub fn to_record(signal: &AlertSignal, now: Timestamp) -> AlertRecord {
    AlertRecord {
        key: signal.key.clone(),
        source: signal.source.as_str().into(),
        group_key: signal.group.clone(),
        service: signal.service.clone(),
        component: signal.component.clone(),
        severity: signal.severity.as_str().into(),
        labels: signal.labels.clone(),
        summary: signal.summary.clone(),
        state: match signal.state {
            SignalState::Firing => AlertState::Firing,
            SignalState::Flapping => AlertState::Flapping,
            SignalState::Ok => AlertState::Ok,
        },
        since: signal.since,
        ends_at: signal.ends_at,
        link: signal.link.clone(),
        updated_at: now,
    }
}

/// A stored signal, as the engine reads it.
pub fn from_record(record: AlertRecord) -> AlertSignal {
    AlertSignal {
        source: Source::parse(&record.source).unwrap_or(Source::Event),
        severity: Severity::parse(&record.severity).unwrap_or(Severity::Critical),
        state: match record.state {
            AlertState::Firing => SignalState::Firing,
            AlertState::Flapping => SignalState::Flapping,
            AlertState::Ok => SignalState::Ok,
        },
        key: record.key,
        group: record.group_key,
        service: record.service,
        component: record.component,
        labels: record.labels,
        summary: record.summary,
        since: record.since,
        ends_at: record.ends_at,
        link: record.link,
    }
}

/// An open incident as the engine sees it.
pub fn view(incident: &Incident, alerts: &[IncidentAlert]) -> IncidentView {
    IncidentView {
        id: incident.id,
        key: incident.key.clone(),
        service: incident.service.clone(),
        labels: incident.labels.clone(),
        acknowledged: incident.status == IncidentStatus::Acknowledged,
        parent: incident.parent_id,
        suppressed: incident.suppressed.clone(),
        flapping: incident.flapping,
        opened_at: incident.opened_at,
        alerts: alerts
            .iter()
            .map(|a| IncidentAlertView {
                key: a.alert_key.clone(),
                cleared_at: a.cleared_at,
            })
            .collect(),
    }
}

/// A signal as an incident's alert.
pub fn incident_alert(signal: &AlertSignal) -> NewIncidentAlert {
    NewIncidentAlert {
        alert_key: signal.key.clone(),
        summary: signal.summary.clone(),
        severity: signal.severity.as_str().into(),
        started_at: signal.since,
    }
}

/// The signal of an alert posted by another system. An alert whose
/// `service` (or `job`) label names a catalog service groups with that
/// service's monitors; others group by `alertname` (Prometheus) or by
/// their own key (events).
pub fn incoming_signal(catalog: &Catalog, alert: &IncomingAlert, source: Source) -> AlertSignal {
    let prefix = source.as_str();
    let service = alert
        .service()
        .filter(|id| catalog.service(id).is_some())
        .map(str::to_owned);
    let group = match (&service, source) {
        (Some(id), _) => format!("service:{id}"),
        (None, Source::Prometheus) => match alert.labels.get("alertname") {
            Some(name) => format!("prometheus:alertname:{name}"),
            None => format!("prometheus:{}", alert.fingerprint),
        },
        (None, _) => format!("{prefix}:{}", alert.fingerprint),
    };
    let severity = alert.severity();
    let mut labels = alert.labels.clone();
    labels.insert("severity".into(), severity.as_str().into());
    if let Some(id) = &service {
        labels.insert("service".into(), id.clone());
    }
    AlertSignal {
        key: format!("{prefix}:{}", alert.fingerprint),
        source,
        group,
        service,
        component: alert.labels.get("component").cloned(),
        severity,
        labels,
        summary: alert.summary(),
        state: if alert.resolved {
            SignalState::Ok
        } else {
            SignalState::Firing
        },
        since: alert.starts_at,
        ends_at: Some(alert.ends_at),
        link: alert.generator_url.clone(),
    }
}
