//! Heartbeat pings and their tokens. A cron or backup job calls
//! `GET|POST /api/v1/heartbeat/<token>` when it finishes (with
//! `?status=fail&msg=…`, or `?exit_code=N`, when it failed, and
//! `runtime=…` for how long it ran); the token in the URL is the only
//! credential, so it is unguessable (256 random bits), stored hashed, and
//! revocable per monitor. Admins issue, list and revoke tokens under
//! `/api/v1/monitors/{service}/{id}/heartbeat-tokens`.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shipshape_catalog::{MonitorKind, MonitorRef};
use shipshape_probe::schedule::{HeartbeatError, MonitorKey, Ping};
use shipshape_store::{HeartbeatPing, HeartbeatToken, MonitorName, Role};

use crate::access::{Access, Routes};
use crate::audit;
use crate::auth::{self, RequireRole, min};
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::state::AppState;

/// Longest message kept from a ping, in characters; the rest is cut.
const MAX_MESSAGE_CHARS: usize = 1_000;
/// Longest run time a ping may report.
const MAX_RUNTIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let admin = Access::Role(Role::Admin);
    routes
        .get("/api/v1/heartbeat/{token}", Access::Capability, ping)
        .post("/api/v1/heartbeat/{token}", Access::Capability, ping)
        .get(
            "/api/v1/monitors/{service}/{id}/heartbeat-tokens",
            admin,
            list_tokens,
        )
        .post(
            "/api/v1/monitors/{service}/{id}/heartbeat-tokens",
            admin,
            issue_token,
        )
        .delete(
            "/api/v1/monitors/{service}/{id}/heartbeat-tokens",
            admin,
            revoke_tokens,
        )
}

/// The query of a ping.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PingQuery {
    /// `ok` (default) or `fail`.
    status: Option<String>,
    /// The job's exit code: 0 is success, anything else failure.
    exit_code: Option<i64>,
    /// What the job says.
    msg: Option<String>,
    /// How long the job ran: seconds (`12.5`) or with a unit (`850ms`,
    /// `2m`, `1h`).
    runtime: Option<String>,
}

/// What a ping answers.
#[derive(Debug, Serialize)]
struct Recorded {
    /// `service/monitor`.
    monitor: String,
    /// `up` or `down`: what the ping recorded.
    recorded: &'static str,
}

async fn ping(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<PingQuery>,
    body: Bytes,
) -> Result<Json<Recorded>, ApiError> {
    let ping = parse_ping(query, &body)?;
    let hash = auth::sha256_hex(&token);
    let Some(name) = state.store.use_heartbeat_token(&hash, state.now()).await? else {
        return Err(ApiError::not_found(
            "unknown or revoked heartbeat token: copy the monitor's current ping URL",
        ));
    };
    // The token outlives catalog edits: the monitor must still be a heartbeat.
    let name = heartbeat_monitor(&state, name.service, name.monitor)?;
    let ok = ping.ok;
    let reference = format!("{}/{}", name.service, name.monitor);
    // Recorded first, so the instance that runs this monitor hears it even
    // when it is not this one (it reads the pings other instances took).
    let relayed = state
        .store
        .record_heartbeat_ping(&HeartbeatPing {
            id: 0,
            monitor: name.clone(),
            at: state.now(),
            ok,
            message: ping.message.clone(),
            runtime_ms: ping
                .runtime
                .map(|r| i64::try_from(r.as_millis()).unwrap_or(i64::MAX)),
            origin: state.instance.clone(),
        })
        .await;
    if let Err(error) = &relayed {
        tracing::warn!(%error, monitor = %reference, "could not record a heartbeat ping for other instances");
    }
    let local = match &state.heartbeats {
        Some(heartbeats) => {
            heartbeats
                .ping(MonitorKey::new(name.service, name.monitor), ping)
                .await
        }
        None => Err(HeartbeatError::Stopped),
    };
    match local {
        Ok(()) => {}
        // Another instance runs it: the recorded ping reaches it.
        Err(HeartbeatError::UnknownMonitor(_) | HeartbeatError::Stopped) if relayed.is_ok() => {}
        Err(error) => {
            return Err(match error {
                HeartbeatError::Stopped => ApiError::unavailable(format!(
                    "{error}; and the store did not take the ping either"
                )),
                HeartbeatError::UnknownMonitor(_) => ApiError::unavailable(format!(
                    "{error}; the monitor may be paused, or run from another location"
                )),
                HeartbeatError::NotHeartbeat(_) => ApiError::conflict(error.to_string()),
            });
        }
    }
    Ok(Json(Recorded {
        monitor: reference,
        recorded: if ok { "up" } else { "down" },
    }))
}

/// The ping a request describes; the body, when the query has no `msg`,
/// is the message (a job can post the tail of its log).
fn parse_ping(query: PingQuery, body: &[u8]) -> Result<Ping, ApiError> {
    let status_ok = match query.status.as_deref().map(str::trim) {
        None | Some("ok" | "success" | "up") => true,
        Some("fail" | "failure" | "error" | "down") => false,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "`status` must be `ok` or `fail`, not `{}`",
                truncate(other, 40)
            )));
        }
    };
    let ok = status_ok && query.exit_code.is_none_or(|code| code == 0);
    let runtime = query.runtime.as_deref().map(parse_runtime).transpose()?;
    let message = match query.msg {
        Some(msg) => Some(msg),
        None if !body.is_empty() => Some(String::from_utf8_lossy(body).into_owned()),
        None => None,
    };
    let message = message
        .map(|m| truncate(m.trim(), MAX_MESSAGE_CHARS))
        .filter(|m| !m.is_empty())
        .or_else(|| {
            query
                .exit_code
                .filter(|&code| code != 0)
                .map(|code| format!("the job exited with code {code}"))
        });
    Ok(Ping {
        ok,
        message,
        runtime,
    })
}

/// Parses a run time: plain seconds (`12.5`) or a number with `ms`, `s`,
/// `m` or `h`.
fn parse_runtime(text: &str) -> Result<Duration, ApiError> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        _ => f64::NAN,
    };
    let seconds = number.parse::<f64>().map(|n| n * scale).ok();
    match seconds {
        Some(s) if s.is_finite() && s >= 0.0 && s <= MAX_RUNTIME.as_secs_f64() => {
            Ok(Duration::from_secs_f64(s))
        }
        _ => Err(ApiError::bad_request(format!(
            "`runtime` must be seconds (`12.5`) or a number with ms, s, m or h, at most 7 days; got `{}`",
            truncate(text, 40)
        ))),
    }
}

/// `text` cut to `max` characters, with `…` when cut.
fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// A heartbeat token as the API shows it (never the token or its hash).
#[derive(Debug, Serialize)]
struct TokenView {
    id: i64,
    created_by: String,
    created_at: jiff::Timestamp,
    last_used_at: Option<jiff::Timestamp>,
    revoked_at: Option<jiff::Timestamp>,
}

impl From<HeartbeatToken> for TokenView {
    fn from(token: HeartbeatToken) -> Self {
        Self {
            id: token.id,
            created_by: token.created_by,
            created_at: token.created_at,
            last_used_at: token.last_used_at,
            revoked_at: token.revoked_at,
        }
    }
}

/// A newly issued token: the URL is shown in this response only.
#[derive(Debug, Serialize)]
struct IssuedToken {
    #[serde(flatten)]
    token: TokenView,
    /// The ping URL (absolute when the server has a `public_url`).
    url: String,
}

/// The heartbeat monitor `service/id` of the catalog, or 404.
fn heartbeat_monitor(
    state: &AppState,
    service: String,
    id: String,
) -> Result<MonitorName, ApiError> {
    let reference = MonitorRef {
        service,
        monitor: id,
    };
    match state.catalog().monitor(&reference).map(|m| &m.kind) {
        Some(MonitorKind::Heartbeat(_)) => Ok(MonitorName {
            service: reference.service,
            monitor: reference.monitor,
        }),
        Some(_) => Err(ApiError::conflict(format!(
            "monitor `{reference}` is not a heartbeat monitor: only `heartbeat` monitors have ping URLs"
        ))),
        None => Err(ApiError::not_found(format!(
            "no monitor `{reference}` in the catalog"
        ))),
    }
}

async fn list_tokens(
    State(state): State<AppState>,
    _actor: RequireRole<min::Admin>,
    Path((service, id)): Path<(String, String)>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let name = heartbeat_monitor(&state, service, id)?;
    let tokens = state.store.heartbeat_tokens(Some(&name)).await?;
    Ok(Json(tokens.into_iter().map(TokenView::from).collect()))
}

async fn issue_token(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Admin>,
    Path((service, id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<IssuedToken>), ApiError> {
    let name = heartbeat_monitor(&state, service, id)?;
    let actor = actor.0;
    let (token, plain) =
        auth::issue_heartbeat_token(&state.store, &name, &actor.display, state.now()).await?;
    let target = format!("{}/{}", name.service, name.monitor);
    let detail = format!("token id={}", token.id);
    audit::record(
        &state,
        &client,
        &actor.display,
        "heartbeat_token.create",
        &target,
        &detail,
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(IssuedToken {
            token: token.into(),
            url: state.config.link(&auth::heartbeat_path(&plain)),
        }),
    ))
}

#[derive(Debug, Serialize)]
struct Revoked {
    revoked: u64,
}

async fn revoke_tokens(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Admin>,
    Path((service, id)): Path<(String, String)>,
) -> Result<Json<Revoked>, ApiError> {
    let name = heartbeat_monitor(&state, service, id)?;
    let revoked = state
        .store
        .revoke_heartbeat_tokens(&name, state.now())
        .await?;
    let actor = actor.0;
    let target = format!("{}/{}", name.service, name.monitor);
    let detail = format!("revoked={revoked}");
    audit::record(
        &state,
        &client,
        &actor.display,
        "heartbeat_token.revoke",
        &target,
        &detail,
    )
    .await;
    Ok(Json(Revoked { revoked }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(status: Option<&str>, exit_code: Option<i64>, msg: Option<&str>) -> PingQuery {
        PingQuery {
            status: status.map(str::to_owned),
            exit_code,
            msg: msg.map(str::to_owned),
            runtime: None,
        }
    }

    #[test]
    fn pings_read_status_exit_code_and_message() {
        assert!(parse_ping(query(None, None, None), b"").unwrap().ok);
        let failed = parse_ping(query(Some("fail"), None, Some(" disk full ")), b"").unwrap();
        assert_eq!(
            (failed.ok, failed.message.as_deref()),
            (false, Some("disk full"))
        );
        let exited = parse_ping(query(None, Some(3), None), b"").unwrap();
        assert_eq!(
            (exited.ok, exited.message.as_deref()),
            (false, Some("the job exited with code 3"))
        );
        let from_body = parse_ping(query(Some("fail"), None, None), b"tail of the log").unwrap();
        assert_eq!(from_body.message.as_deref(), Some("tail of the log"));
        assert!(parse_ping(query(Some("maybe"), None, None), b"").is_err());
        let long = "x".repeat(5_000);
        let cut = parse_ping(query(Some("fail"), None, Some(&long)), b"").unwrap();
        assert_eq!(cut.message.unwrap().chars().count(), MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn runtimes_take_seconds_or_units_and_refuse_nonsense() {
        assert_eq!(
            parse_runtime("12.5").unwrap(),
            Duration::from_millis(12_500)
        );
        assert_eq!(parse_runtime("850ms").unwrap(), Duration::from_millis(850));
        assert_eq!(parse_runtime("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_runtime("1h").unwrap(), Duration::from_secs(3600));
        for bad in ["", "abc", "-1", "1e400", "5 days", "1.2.3", "9999h", "NaN"] {
            assert!(parse_runtime(bad).is_err(), "{bad} must be refused");
        }
    }
}
