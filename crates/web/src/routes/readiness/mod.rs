//! The readiness review: each catalog service's latest stored report, its
//! score history, and the attestations people record for it. Reviews run in
//! the binary (on a schedule, and when asked through
//! [`AppState::readiness_requested`]) and are stored as JSON; this module
//! reads them back as `shipshape_readiness::Report`s.
//!
//! - `GET /readiness`: every catalog service with its latest score.
//! - `GET /services/{service}/readiness`: the latest report, the score per
//!   practice over 90 days, the attestations on record; for responders the
//!   attest form, Revoke buttons and "Re-run review" (forms post and
//!   redirect back with a flash, `?flash=`).
//! - `GET /api/v1/readiness`, `GET /api/v1/readiness/{service}` (the stored
//!   report JSON), `GET /api/v1/readiness/{service}/history?since=`,
//!   `GET|POST /api/v1/readiness/{service}/attestations`,
//!   `DELETE /api/v1/readiness/{service}/attestations/{id}` and
//!   `POST /api/v1/readiness/{service}/run`.
//!
//! Attesting, revoking and asking for a run are audited
//! (`readiness.attest`, `readiness.revoke`, `readiness.run`). A problem with
//! an attestation answers 400 naming the field.

mod api;
mod page;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use shipshape_readiness::{Practice, Report};
use shipshape_store::{NewAttestation, ReadinessRunSummary, Role, StoredAttestation};

use crate::access::{Access, Routes};
use crate::audit;
use crate::auth::{Actor, ActorKind};
use crate::client::ClientInfo;
use crate::error::{ApiError, FormField, invalid};
use crate::state::AppState;

/// How far back the history reaches.
const HISTORY_DAYS: i64 = 90;
/// Most runs the history reads.
const HISTORY_LIMIT: u32 = 2000;
/// Longest link, in characters.
const MAX_LINK_CHARS: usize = 2000;
/// Longest name of who vouched, in characters.
const MAX_BY_CHARS: usize = 200;
/// Longest note, in characters.
const MAX_NOTE_CHARS: usize = 2000;
/// Longest custom item slug, in characters.
const MAX_SLUG_CHARS: usize = 100;

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let viewer = Access::Role(Role::Viewer);
    let responder = Access::Role(Role::Responder);
    routes
        .get("/readiness", viewer, page::list_page)
        .get("/services/{service}/readiness", viewer, page::service_page)
        .post(
            "/services/{service}/readiness/attestations",
            responder,
            page::attest_form,
        )
        .post(
            "/services/{service}/readiness/attestations/{id}/revoke",
            responder,
            page::revoke_form,
        )
        .post(
            "/services/{service}/readiness/run",
            responder,
            page::run_form,
        )
        .get("/api/v1/readiness", viewer, api::list_api)
        .get("/api/v1/readiness/{service}", viewer, api::report_api)
        .get(
            "/api/v1/readiness/{service}/history",
            viewer,
            api::history_api,
        )
        .get(
            "/api/v1/readiness/{service}/attestations",
            viewer,
            api::attestations_api,
        )
        .post(
            "/api/v1/readiness/{service}/attestations",
            responder,
            api::attest_api,
        )
        .delete(
            "/api/v1/readiness/{service}/attestations/{id}",
            responder,
            api::revoke_api,
        )
        .post("/api/v1/readiness/{service}/run", responder, api::run_api)
}

// ---------------------------------------------------------------------------
// Services and reports

/// A catalog service: its id and display name.
#[derive(Debug, Clone)]
struct ServiceRef {
    id: String,
    name: String,
}

/// The catalog service `id`, or 404.
fn service(state: &AppState, id: &str) -> Result<ServiceRef, ApiError> {
    let catalog = state.catalog();
    catalog
        .service(id)
        .map(|s| ServiceRef {
            id: s.id.clone(),
            name: s.name.clone(),
        })
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no service `{id}` in the catalog; see /readiness for the list"
            ))
        })
}

/// Every catalog service, in catalog order.
fn services(state: &AppState) -> Vec<ServiceRef> {
    state
        .catalog()
        .services
        .iter()
        .map(|s| ServiceRef {
            id: s.id.clone(),
            name: s.name.clone(),
        })
        .collect()
}

/// Today's date, as every review judges attestations.
fn today(state: &AppState) -> Date {
    shipshape_readiness::run::today(&state.catalog(), state.now())
}

/// The start of the history window.
fn history_since(now: Timestamp) -> Timestamp {
    now.checked_sub(SignedDuration::from_hours(24 * HISTORY_DAYS))
        .unwrap_or(Timestamp::MIN)
}

/// The latest review of `service` without its report.
async fn latest_summary(
    state: &AppState,
    service: &str,
) -> Result<Option<ReadinessRunSummary>, ApiError> {
    let runs = state
        .store
        .readiness_history(service, Timestamp::MIN, 1)
        .await?;
    Ok(runs.into_iter().next_back())
}

/// The latest stored review of a service, read back.
struct Latest {
    summary: ReadinessRunSummary,
    /// The report, or why it could not be read.
    report: Result<Report, String>,
}

/// The latest review of `service`, if any.
async fn latest(state: &AppState, service: &str) -> Result<Option<Latest>, ApiError> {
    let Some(stored) = state.store.latest_readiness_run(service).await? else {
        return Ok(None);
    };
    let report = serde_json::from_str::<Report>(&stored.report).map_err(|e| {
        tracing::warn!(service, error = %e, "stored readiness report does not parse");
        format!("the stored report could not be read ({e}); run the review again")
    });
    Ok(Some(Latest {
        summary: stored.summary,
        report,
    }))
}

/// One practice's score in a stored run's `scores` JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredScore {
    practice: String,
    satisfied: i64,
    applicable: i64,
}

/// The per-practice scores of a stored run; none if they do not parse.
fn scores(run: &ReadinessRunSummary) -> Vec<StoredScore> {
    serde_json::from_str(&run.scores).unwrap_or_default()
}

/// The title of a practice id, or the id itself.
fn practice_title(id: &str) -> String {
    Practice::ALL
        .iter()
        .find(|p| p.id() == id)
        .map_or_else(|| id.to_owned(), |p| p.title().to_owned())
}

// ---------------------------------------------------------------------------
// Attestations

/// A field of a new attestation, named as the API names it and as the form
/// labels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Item,
    By,
    On,
    Link,
    Expires,
    Note,
}

impl FormField for Field {
    fn api_name(self) -> &'static str {
        match self {
            Field::Item => "item",
            Field::By => "by",
            Field::On => "on",
            Field::Link => "link",
            Field::Expires => "expires",
            Field::Note => "note",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Field::Item => "Item",
            Field::By => "Attested by",
            Field::On => "On",
            Field::Link => "Link",
            Field::Expires => "Expires",
            Field::Note => "Note",
        }
    }
}

/// What is wrong with what was sent, and in which field.
type Invalid = crate::error::Invalid<Field>;

/// A new attestation as sent: every field as text, empty when not given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
struct Draft {
    #[serde(default)]
    item: String,
    #[serde(default)]
    by: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    link: String,
    #[serde(default)]
    expires: String,
    #[serde(default)]
    note: String,
}

/// Whether `id` names a checklist item: a built-in one, or a team's own of
/// the form `practice.slug` under a known practice (the binary checks
/// those against the catalog when it reviews).
fn check_item(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err(
            "required: the checklist item vouched for, e.g. `backups.restore-tested`".into(),
        );
    }
    if shipshape_readiness::item(id).is_some() {
        return Ok(());
    }
    let Some((practice, slug)) = id.split_once('.') else {
        return Err(format!(
            "`{id}` is not a checklist item id; ids look like `practice.slug`, e.g. `backups.restore-tested`"
        ));
    };
    if !Practice::ALL.iter().any(|p| p.id() == practice) {
        let known: Vec<&str> = Practice::ALL.iter().map(|p| p.id()).collect();
        return Err(format!(
            "`{id}`: `{practice}` is not a practice; use one of {}",
            known.join(", ")
        ));
    }
    let slug_ok = !slug.is_empty()
        && slug.chars().count() <= MAX_SLUG_CHARS
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-');
    if !slug_ok {
        return Err(format!(
            "`{id}` is not a checklist item id: after `{practice}.` use lowercase letters, digits and hyphens (at most {MAX_SLUG_CHARS})"
        ));
    }
    Ok(())
}

/// A `YYYY-MM-DD` date, or `None` for empty text.
fn parse_date(field: Field, text: &str) -> Result<Option<Date>, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<Date>()
        .map(Some)
        .map_err(|_| invalid(field, format!("`{text}` is not a date; use YYYY-MM-DD")))
}

/// An http or https link with a host, or `None` for empty text.
fn parse_link(text: &str) -> Result<Option<String>, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let chars = text.chars().count();
    if chars > MAX_LINK_CHARS {
        return Err(invalid(
            Field::Link,
            format!("{chars} characters; at most {MAX_LINK_CHARS} are accepted"),
        ));
    }
    match safe_link(text) {
        Some(_) => Ok(Some(text.to_owned())),
        None => Err(invalid(
            Field::Link,
            format!("`{text}` is not an http or https URL with a host"),
        )),
    }
}

/// `text` if it is an http or https URL with a host: the only links pages
/// show as links.
fn safe_link(text: &str) -> Option<&str> {
    let url = url::Url::parse(text).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty()))
        .then_some(text)
}

/// The name to record for `actor` when the form leaves `by` empty: the
/// signed-in user's name, or the actor's display name.
fn default_by(actor: &Actor) -> String {
    match &actor.kind {
        ActorKind::Session { user, .. } if !user.name.trim().is_empty() => user.name.clone(),
        _ => actor.display.clone(),
    }
}

/// Checks a draft and turns it into what the store keeps.
fn build(
    draft: &Draft,
    service: &str,
    actor: &Actor,
    today: Date,
    now: Timestamp,
) -> Result<NewAttestation, Invalid> {
    let item = draft.item.trim();
    check_item(item).map_err(|m| invalid(Field::Item, m))?;
    let by = match draft.by.trim() {
        "" => default_by(actor),
        by => by.to_owned(),
    };
    let by_chars = by.chars().count();
    if by_chars > MAX_BY_CHARS {
        return Err(invalid(
            Field::By,
            format!("{by_chars} characters; at most {MAX_BY_CHARS} are accepted"),
        ));
    }
    let on = parse_date(Field::On, &draft.on)?.unwrap_or(today);
    if on > today {
        return Err(invalid(
            Field::On,
            format!(
                "{on} is after today ({today}); an attestation counts from the day it is given"
            ),
        ));
    }
    let expires = parse_date(Field::Expires, &draft.expires)?;
    if let Some(expires) = expires.filter(|e| *e <= on) {
        return Err(invalid(
            Field::Expires,
            format!("{expires} is not after the day attested ({on})"),
        ));
    }
    let link = parse_link(&draft.link)?;
    let note = draft.note.trim();
    let note_chars = note.chars().count();
    if note_chars > MAX_NOTE_CHARS {
        return Err(invalid(
            Field::Note,
            format!("{note_chars} characters; at most {MAX_NOTE_CHARS} are accepted"),
        ));
    }
    Ok(NewAttestation {
        service: service.to_owned(),
        item: item.to_owned(),
        attested_by: by,
        attested_on: on,
        link,
        expires_on: expires,
        note: (!note.is_empty()).then(|| note.to_owned()),
        recorded_by: actor.display.clone(),
        recorded_at: now,
    })
}

/// An attestation as the page and the API show it.
#[derive(Debug, Clone, Serialize)]
struct AttestationView {
    id: i64,
    item: String,
    by: String,
    on: Date,
    link: Option<String>,
    expires: Option<Date>,
    note: Option<String>,
    recorded_by: String,
    recorded_at: Timestamp,
    /// Given on or before today and not lapsed.
    in_force: bool,
}

impl AttestationView {
    fn new(stored: StoredAttestation, today: Date) -> Self {
        let in_force = stored.attested_on <= today && stored.expires_on.is_none_or(|e| today < e);
        AttestationView {
            id: stored.id,
            item: stored.item,
            by: stored.attested_by,
            on: stored.attested_on,
            link: stored.link,
            expires: stored.expires_on,
            note: stored.note,
            recorded_by: stored.recorded_by,
            recorded_at: stored.recorded_at,
            in_force,
        }
    }
}

/// The attestations of `service` not revoked, oldest first.
async fn attestations(state: &AppState, service: &str) -> Result<Vec<AttestationView>, ApiError> {
    let today = today(state);
    Ok(state
        .store
        .attestations(service)
        .await?
        .into_iter()
        .map(|a| AttestationView::new(a, today))
        .collect())
}

/// Stores `new` and audits it; returns it as stored.
async fn attest(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    new: &NewAttestation,
) -> Result<AttestationView, ApiError> {
    let id = state
        .store
        .record_attestation(new)
        .await
        .map_err(|e| match e {
            shipshape_store::StoreError::InvalidInput(message) => ApiError::bad_request(message),
            other => other.into(),
        })?;
    audit::record(
        state,
        client,
        &actor.display,
        "readiness.attest",
        &format!("service:{}", new.service),
        &format!(
            "#{id} {} by {} on {}",
            new.item, new.attested_by, new.attested_on
        ),
    )
    .await;
    let stored = state
        .store
        .attestation(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("attestation #{id} vanished")))?;
    Ok(AttestationView::new(stored, today(state)))
}

/// Revokes attestation `id` of `service` and audits it: 404 if there is no
/// such attestation standing.
async fn revoke(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    service: &str,
    id: i64,
) -> Result<(), ApiError> {
    if !state
        .store
        .revoke_attestation(service, id, &actor.display, state.now())
        .await?
    {
        return Err(ApiError::not_found(format!(
            "no attestation #{id} standing for service `{service}`"
        )));
    }
    audit::record(
        state,
        client,
        &actor.display,
        "readiness.revoke",
        &format!("service:{service}"),
        &format!("#{id}"),
    )
    .await;
    Ok(())
}

/// Asks the runner for a review and audits it; whether a runner was there
/// to ask.
async fn request_run(state: &AppState, client: &ClientInfo, actor: &Actor, service: &str) -> bool {
    let asked = state.readiness_requested();
    audit::record(
        state,
        client,
        &actor.display,
        "readiness.run",
        &format!("service:{service}"),
        if asked { "requested" } else { "no runner" },
    )
    .await;
    asked
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipshape_store::User;

    fn actor() -> Actor {
        Actor {
            display: "ada@example.org".into(),
            role: Role::Responder,
            kind: ActorKind::Session {
                user: User {
                    id: 1,
                    email: "ada@example.org".into(),
                    name: "Ada Lovelace".into(),
                    role: Role::Responder,
                    password_hash: None,
                    created_at: Timestamp::UNIX_EPOCH,
                    disabled: false,
                },
                session_hash: "h".into(),
                csrf: "c".into(),
            },
        }
    }

    fn today() -> Date {
        jiff::civil::date(2026, 11, 30)
    }

    fn draft(item: &str) -> Draft {
        Draft {
            item: item.into(),
            ..Draft::default()
        }
    }

    #[test]
    fn defaults_are_the_signed_in_user_and_today() {
        let id = shipshape_readiness::CHECKLIST[0].id;
        let new = build(&draft(id), "api", &actor(), today(), Timestamp::UNIX_EPOCH).expect("ok");
        assert_eq!(new.attested_by, "Ada Lovelace");
        assert_eq!(new.recorded_by, "ada@example.org");
        assert_eq!(new.attested_on, today());
        assert_eq!((new.link, new.expires_on, new.note), (None, None, None));
    }

    #[test]
    fn custom_items_need_a_known_practice_and_a_slug() {
        assert!(check_item("backups.our-own-thing").is_ok());
        assert!(check_item("status-communication.x1").is_ok());
        for bad in [
            "",
            "backups",
            "nope.thing",
            "backups.",
            "backups.Upper",
            "backups.-x",
        ] {
            assert!(check_item(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn problems_name_their_field() {
        let id = shipshape_readiness::CHECKLIST[0].id;
        let cases = [
            (draft("nope.thing"), Field::Item),
            (
                Draft {
                    on: "30/11/2026".into(),
                    ..draft(id)
                },
                Field::On,
            ),
            (
                Draft {
                    on: "2026-12-01".into(),
                    ..draft(id)
                },
                Field::On,
            ),
            (
                Draft {
                    on: "2026-11-01".into(),
                    expires: "2026-11-01".into(),
                    ..draft(id)
                },
                Field::Expires,
            ),
            (
                Draft {
                    expires: "soon".into(),
                    ..draft(id)
                },
                Field::Expires,
            ),
            (
                Draft {
                    link: "javascript:alert(1)".into(),
                    ..draft(id)
                },
                Field::Link,
            ),
            (
                Draft {
                    note: "x".repeat(MAX_NOTE_CHARS + 1),
                    ..draft(id)
                },
                Field::Note,
            ),
        ];
        for (d, field) in cases {
            let problem =
                build(&d, "api", &actor(), today(), Timestamp::UNIX_EPOCH).expect_err("invalid");
            assert_eq!(problem.field, field, "{d:?}: {problem:?}");
        }
    }

    #[test]
    fn only_http_links_are_links() {
        assert!(safe_link("https://example.org/x").is_some());
        assert!(safe_link("http://example.org").is_some());
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "ftp://x.org",
            "/relative",
            "",
        ] {
            assert!(safe_link(bad).is_none(), "{bad}");
        }
    }
}
