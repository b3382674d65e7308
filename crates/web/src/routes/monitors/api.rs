//! One monitor as JSON: `GET /api/v1/monitors/{service}/{id}` (the list's
//! item plus recent state changes) and its raw results,
//! `GET /api/v1/monitors/{service}/{id}/results?from=&to=&limit=&after=`.
//!
//! Results are read oldest first in `(at, location)` order. A page that
//! was cut at `limit` carries `next`: the same query with `after` set to
//! the last result's `<at in ms>.<location id>`, so no result is skipped
//! or repeated even when many share one millisecond.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use shipshape_store::{LocationId, MonitorEventRecord};

use super::{Known, MonitorView, find, monitor_view};
use crate::auth::{RequireRole, min};
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::state::AppState;

/// State changes included with one monitor.
const EVENTS_INCLUDED: u32 = 20;
/// Results per page unless `limit` says otherwise.
const DEFAULT_LIMIT: u32 = 500;
/// The largest `limit`.
const MAX_LIMIT: u32 = 5_000;
/// The range read when `from` is not given: this long before `to`.
const DEFAULT_SPAN: SignedDuration = SignedDuration::from_hours(1);

/// One monitor with its recent state changes.
#[derive(Debug, Serialize)]
pub(super) struct MonitorDetail {
    #[serde(flatten)]
    monitor: MonitorView,
    /// Newest first.
    events: Vec<EventView>,
}

/// A state change as the API shows it.
#[derive(Debug, Serialize)]
struct EventView {
    id: i64,
    at: Timestamp,
    /// When the next change ended this state; absent for the current one.
    #[serde(skip_serializing_if = "Option::is_none")]
    until: Option<Timestamp>,
    from: &'static str,
    to: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    locations: Vec<String>,
}

/// Events (newest first) with the time each state ended.
fn event_views(events: Vec<MonitorEventRecord>) -> Vec<EventView> {
    let mut until = None;
    events
        .into_iter()
        .map(|record| {
            let view = EventView {
                id: record.id,
                at: record.event.at,
                until,
                from: record.event.from.as_str(),
                to: record.event.to.as_str(),
                reason: record.event.reason,
                locations: record.event.locations,
            };
            until = Some(view.at);
            view
        })
        .collect()
}

/// `service/id` as the API shows it, with recent state changes; 404 if the
/// catalog has no such monitor.
pub(super) async fn monitor_detail(
    state: &AppState,
    service_id: &str,
    monitor_id: &str,
) -> Result<MonitorDetail, ApiError> {
    let catalog = state.catalog();
    let (service, monitor) = find(&catalog, service_id, monitor_id)?;
    let known = Known::load(state).await?;
    let view = monitor_view(state, &known, service, monitor, state.now()).await?;
    let events = match view.stored {
        Some(id) => {
            state
                .store
                .monitor_events_for(id, EVENTS_INCLUDED, None)
                .await?
        }
        None => Vec::new(),
    };
    Ok(MonitorDetail {
        monitor: view,
        events: event_views(events),
    })
}

/// `GET /api/v1/monitors/{service}/{id}`.
pub(super) async fn monitor_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Path((service, id)): Path<(String, String)>,
) -> Result<Json<MonitorDetail>, ApiError> {
    Ok(Json(monitor_detail(&state, &service, &id).await?))
}

/// `?from=&to=&limit=&after=`, as sent: parsed by hand so that each
/// problem names its parameter.
#[derive(Debug, Deserialize)]
pub(super) struct ResultsQuery {
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

/// A validated results query.
#[derive(Debug)]
struct ResultsRange {
    from: Timestamp,
    to: Timestamp,
    limit: u32,
    after: Option<(Timestamp, LocationId)>,
}

impl ResultsQuery {
    fn validate(&self, now: Timestamp) -> Result<ResultsRange, ApiError> {
        let time = |name: &str, value: &Option<String>| -> Result<Option<Timestamp>, ApiError> {
            value
                .as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| {
                    v.parse::<Timestamp>().map_err(|e| {
                        ApiError::bad_request(format!(
                            "`{name}` must be an RFC 3339 timestamp such as 2026-11-30T09:00:00Z; got `{v}` ({e})"
                        ))
                    })
                })
                .transpose()
        };
        let to = time("to", &self.to)?.unwrap_or(now);
        let from = match time("from", &self.from)? {
            Some(from) => from,
            None => to.saturating_sub(DEFAULT_SPAN).map_err(|_| {
                ApiError::bad_request("`to` is too early to read the hour before it")
            })?,
        };
        if from >= to {
            return Err(ApiError::bad_request(format!(
                "`from` ({from}) must be earlier than `to` ({to})"
            )));
        }
        let limit = match self.limit.as_deref().filter(|v| !v.is_empty()) {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "`limit` must be a whole number from 1 to {MAX_LIMIT}; got `{text}`"
                    )));
                }
            },
        };
        let after = match self.after.as_deref().filter(|v| !v.is_empty()) {
            None => None,
            Some(text) => Some(parse_cursor(text).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "`after` must be the cursor of a previous page's `next` (`<ms>.<location>`); got `{text}`"
                ))
            })?),
        };
        Ok(ResultsRange {
            from,
            to,
            limit,
            after,
        })
    }
}

/// `<at in ms>.<location id>`.
fn cursor(at: Timestamp, location: LocationId) -> String {
    format!("{}.{}", at.as_millisecond(), location.0)
}

fn parse_cursor(text: &str) -> Option<(Timestamp, LocationId)> {
    let (at, location) = text.split_once('.')?;
    let at = Timestamp::from_millisecond(at.parse().ok()?).ok()?;
    Some((at, LocationId(location.parse().ok()?)))
}

/// One raw result.
#[derive(Debug, Serialize)]
struct ResultView {
    at: Timestamp,
    ok: bool,
    latency_ms: u64,
    status_code: Option<u16>,
    location: String,
    reason: Option<String>,
}

/// A page of raw results.
#[derive(Debug, Serialize)]
pub(super) struct ResultsPage {
    service: String,
    id: String,
    from: Timestamp,
    to: Timestamp,
    limit: u32,
    /// Oldest first.
    results: Vec<ResultView>,
    /// The URL of the next page when this one was cut at `limit`, else null.
    next: Option<String>,
}

/// `GET /api/v1/monitors/{service}/{id}/results`.
pub(super) async fn results_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Path((service_id, monitor_id)): Path<(String, String)>,
    Query(query): Query<ResultsQuery>,
) -> Result<Json<ResultsPage>, ApiError> {
    let catalog = state.catalog();
    let (service, monitor) = find(&catalog, &service_id, &monitor_id)?;
    let range = query.validate(state.now())?;
    let known = Known::load(&state).await?;
    let mut page = ResultsPage {
        service: service.id.clone(),
        id: monitor.id.clone(),
        from: range.from,
        to: range.to,
        limit: range.limit,
        results: Vec::new(),
        next: None,
    };
    let Some((id, _)) = known.id(&service.id, &monitor.id) else {
        return Ok(Json(page));
    };
    // One more than asked tells whether another page follows.
    let mut results = state
        .store
        .results_after(id, range.from, range.to, range.after, range.limit + 1)
        .await?;
    if results.len() > range.limit as usize {
        results.truncate(range.limit as usize);
        if let Some(last) = results.last() {
            let next: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("from", &range.from.to_string())
                .append_pair("to", &range.to.to_string())
                .append_pair("limit", &range.limit.to_string())
                .append_pair("after", &cursor(last.at, last.location))
                .finish();
            page.next = Some(format!(
                "/api/v1/monitors/{}/{}/results?{next}",
                super::path_segment(&service.id),
                super::path_segment(&monitor.id)
            ));
        }
    }
    let locations: HashMap<LocationId, String> =
        state.store.locations().await?.into_iter().collect();
    page.results = results
        .into_iter()
        .map(|result| ResultView {
            at: result.at,
            ok: result.ok,
            latency_ms: super::latency_ms(result.latency),
            status_code: result.status_code,
            location: locations
                .get(&result.location)
                .cloned()
                .unwrap_or_else(|| format!("#{}", result.location.0)),
            reason: result.reason,
        })
        .collect();
    Ok(Json(page))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(from: Option<&str>, to: Option<&str>, limit: Option<&str>) -> ResultsQuery {
        ResultsQuery {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            limit: limit.map(str::to_owned),
            after: None,
        }
    }

    #[test]
    fn ranges_default_to_the_last_hour_and_name_bad_parameters() {
        let now: Timestamp = "2026-11-30T09:00:00Z".parse().expect("time");
        let range = query(None, None, None).validate(now).expect("valid");
        assert_eq!(range.to, now);
        assert_eq!(range.from, "2026-11-30T08:00:00Z".parse().expect("time"));
        assert_eq!(range.limit, DEFAULT_LIMIT);
        for (q, name) in [
            (query(Some("yesterday"), None, None), "`from`"),
            (query(None, Some("2026-13-01T00:00:00Z"), None), "`to`"),
            (
                query(
                    Some("2026-11-30T10:00:00Z"),
                    Some("2026-11-30T09:00:00Z"),
                    None,
                ),
                "`from`",
            ),
            (query(None, None, Some("0")), "`limit`"),
            (query(None, None, Some("5001")), "`limit`"),
            (query(None, None, Some("ten")), "`limit`"),
        ] {
            let error = q.validate(now).expect_err("invalid");
            assert!(error.message().contains(name), "{}", error.message());
        }
    }

    #[test]
    fn cursors_round_trip() {
        let at = Timestamp::from_millisecond(1_764_493_200_123).expect("time");
        let text = cursor(at, LocationId(7));
        assert_eq!(text, "1764493200123.7");
        assert_eq!(parse_cursor(&text), Some((at, LocationId(7))));
        assert_eq!(parse_cursor("12"), None);
        assert_eq!(parse_cursor("x.1"), None);
    }
}
