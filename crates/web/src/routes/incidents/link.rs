//! The one-click acknowledge link sent with pages, `/ack/{token}`: the
//! signed token (see `shipshape_alert::ack`) is the only credential, so
//! the route's access class is `Capability` and it has no CSRF token.
//!
//! `GET` only shows the incident and an Acknowledge button — mail scanners
//! fetch links, so fetching must change nothing. `POST` (the button, or a
//! bodyless POST from an ntfy action) verifies the token again and
//! acknowledges on behalf of the person it was sent to. A forged or
//! mangled token is 404, an expired one 410. The token is never logged.

use axum::extract::State;
use maud::{Markup, html};
use shipshape_alert::ack::{self, AckClaim, AckError};
use shipshape_store::Incident;

use super::{Action, act, already, incident_href, load, status_label};
use crate::client::ClientInfo;
use crate::error::{ApiError, ErrorCode};
use crate::extract::Path;
use crate::pages::{standalone, when_precise};
use crate::state::AppState;

/// The claim of `token`, or 404 (not a valid link) / 410 (expired).
async fn verify(state: &AppState, token: &str) -> Result<AckClaim, ApiError> {
    let key = state.ack_key().await?;
    ack::verify(key, token, state.now()).map_err(|error| match error {
        AckError::Expired => ApiError::new(ErrorCode::Gone, error.to_string()),
        AckError::Malformed | AckError::BadSignature => {
            ApiError::not_found(AckError::BadSignature.to_string())
        }
    })
}

/// The claim's incident, or 404 if it is gone (pruned).
async fn incident(state: &AppState, claim: &AckClaim) -> Result<Incident, ApiError> {
    match load(state, claim.incident).await {
        Ok((incident, _)) => Ok(incident),
        Err(error) if error.code() == ErrorCode::NotFound => Err(ApiError::not_found(
            "the incident of this acknowledge link no longer exists",
        )),
        Err(error) => Err(error),
    }
}

/// Who acknowledges through the link: the person's name when it was sent
/// to a catalog person's contact (`person:ID#N`), else the recipient id.
fn acknowledger(state: &AppState, who: &str) -> String {
    who.strip_prefix("person:")
        .and_then(|rest| rest.rsplit_once('#'))
        .and_then(|(id, _)| state.catalog().person(id).map(|p| p.name.clone()))
        .unwrap_or_else(|| who.to_owned())
}

/// `GET /ack/{token}`: the incident and the button, changing nothing.
pub(super) async fn ack_link_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Markup, ApiError> {
    let claim = verify(&state, &token).await?;
    let incident = incident(&state, &claim).await?;
    let by = acknowledger(&state, &claim.who);
    Ok(link_page(
        &incident,
        html! {
            @match already(&incident) {
                Some(reason) => p class="notice" role="status" { (capitalised(&reason)) "." },
                None => {
                    form method="post" action={ "/ack/" (token) } {
                        p { "Acknowledging stops the escalation and tells everyone paged that "
                            strong { (by) } " is on it." }
                        button type="submit" { "Acknowledge" }
                    }
                    p class="muted" { "This link works until " (when_precise(claim.expires)) "." }
                }
            }
        },
    ))
}

/// `POST /ack/{token}`: acknowledges (any body, or none, is ignored).
pub(super) async fn ack_link_post(
    State(state): State<AppState>,
    client: ClientInfo,
    Path(token): Path<String>,
) -> Result<Markup, ApiError> {
    let claim = verify(&state, &token).await?;
    incident(&state, &claim).await?;
    let by = acknowledger(&state, &claim.who);
    let actor = format!("ack-link:{}", claim.who);
    let outcome = match act(
        &state,
        &client,
        &actor,
        &by,
        claim.incident,
        Action::Acknowledge,
    )
    .await
    {
        Ok(()) => None,
        Err(error) if error.code() == ErrorCode::Conflict => Some(error.message().to_owned()),
        Err(error) => return Err(error),
    };
    let incident = incident(&state, &claim).await?;
    Ok(link_page(
        &incident,
        html! {
            @match outcome {
                None => p class="notice good" role="status" {
                    "Acknowledged by " strong { (by) } ". Escalation stopped; everyone paged is told."
                },
                Some(reason) => p class="notice" role="status" { (capitalised(&reason)) "." },
            }
        },
    ))
}

/// The small page around `body`: the incident's title and status.
fn link_page(incident: &Incident, body: Markup) -> Markup {
    standalone(
        &format!("Acknowledge incident #{}", incident.id),
        html! {
            h1 { "Incident #" (incident.id) }
            p { strong { (incident.title) } }
            p {
                "Status: " span class={ "state status-" (incident.status.as_str()) } { (status_label(incident.status)) }
                " · severity " (incident.severity)
                @if let Some(service) = &incident.service { " · service " code { (service) } }
            }
            (body)
            p class="muted" { a href=(incident_href(incident.id)) { "Open the incident in Shipshape" } " (signs you in first)." }
        },
    )
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
