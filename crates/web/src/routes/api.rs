//! The JSON API under `/api/v1`: who am I, the catalog's services, API tokens
//! and the audit log. Bearer-token callers need no CSRF token; cookie callers
//! send `X-CSRF-Token` on writes (checked by the access guard).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shipshape_store::{ApiToken, AuditRecord, Role};

use super::settings::{create_token_as, revoke_token_as};
use crate::access::{Access, Routes};
use crate::auth::{ActorKind, RequireRole, min};
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::{self, Path, Query};
use crate::state::AppState;

/// Largest page of audit records one request may ask for.
const MAX_AUDIT_LIMIT: u32 = 500;

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let viewer = Access::Role(Role::Viewer);
    let admin = Access::Role(Role::Admin);
    routes
        .get("/api/v1/me", viewer, me)
        .get("/api/v1/catalog/services", viewer, services)
        .get("/api/v1/tokens", admin, list_tokens)
        .post("/api/v1/tokens", admin, create_token)
        .delete("/api/v1/tokens/{id}", admin, revoke_token)
        .get("/api/v1/audit", admin, audit)
}

#[derive(Debug, Serialize)]
struct Me {
    display: String,
    role: Role,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_id: Option<i64>,
    /// The session's CSRF token, for browser scripts that write.
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
}

async fn me(actor: RequireRole<min::Viewer>) -> Json<Me> {
    let actor = actor.0;
    let (kind, email, token_id, csrf_token) = match actor.kind {
        ActorKind::Session { user, csrf, .. } => ("session", Some(user.email), None, Some(csrf)),
        ActorKind::Token { id, .. } => ("token", None, Some(id), None),
    };
    Json(Me {
        display: actor.display,
        role: actor.role,
        kind,
        email,
        token_id,
        csrf_token,
    })
}

#[derive(Debug, Serialize)]
struct ServiceView {
    id: String,
    name: String,
    owner: Option<String>,
    tier: Option<String>,
    components: Vec<ComponentView>,
}

#[derive(Debug, Serialize)]
struct ComponentView {
    id: String,
    instances: u32,
    zones: Vec<String>,
}

async fn services(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
) -> Json<Vec<ServiceView>> {
    let catalog = state.catalog();
    Json(
        catalog
            .services
            .iter()
            .map(|service| ServiceView {
                id: service.id.clone(),
                name: service.name.clone(),
                owner: service.owner.clone(),
                tier: service.tier.clone(),
                components: service
                    .components
                    .iter()
                    .map(|component| ComponentView {
                        id: component.id.clone(),
                        instances: component.instances,
                        zones: component.zones.clone(),
                    })
                    .collect(),
            })
            .collect(),
    )
}

/// An API token as the API shows it (never its hash).
#[derive(Debug, Serialize)]
struct TokenView {
    id: i64,
    name: String,
    role: Role,
    created_by: String,
    created_at: jiff::Timestamp,
    last_used_at: Option<jiff::Timestamp>,
    revoked_at: Option<jiff::Timestamp>,
}

impl From<ApiToken> for TokenView {
    fn from(token: ApiToken) -> Self {
        Self {
            id: token.id,
            name: token.name,
            role: token.role,
            created_by: token.created_by,
            created_at: token.created_at,
            last_used_at: token.last_used_at,
            revoked_at: token.revoked_at,
        }
    }
}

async fn list_tokens(
    State(state): State<AppState>,
    _actor: RequireRole<min::Admin>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let tokens = state.store.list_api_tokens().await?;
    Ok(Json(tokens.into_iter().map(TokenView::from).collect()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    role: Role,
}

#[derive(Debug, Serialize)]
struct CreatedToken {
    #[serde(flatten)]
    token: TokenView,
    /// The plain token: shown in this response only.
    secret: String,
}

async fn create_token(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Admin>,
    extract::Json(body): extract::Json<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let (token, secret) = create_token_as(&state, &client, &actor, &body.name, body.role).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: token.into(),
            secret,
        }),
    ))
}

async fn revoke_token(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Admin>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    revoke_token_as(&state, &client, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    limit: Option<u32>,
    before: Option<i64>,
}

#[derive(Debug, Serialize)]
struct AuditView {
    id: i64,
    at: jiff::Timestamp,
    actor: String,
    action: String,
    target: String,
    detail: String,
    source: String,
}

impl From<AuditRecord> for AuditView {
    fn from(record: AuditRecord) -> Self {
        let entry = record.entry;
        Self {
            id: record.id,
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            target: entry.target,
            detail: entry.detail,
            source: entry.source,
        }
    }
}

#[derive(Debug, Serialize)]
struct AuditPage {
    entries: Vec<AuditView>,
    /// Pass as `before` to get the next (older) page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_before: Option<i64>,
}

async fn audit(
    State(state): State<AppState>,
    _actor: RequireRole<min::Admin>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_AUDIT_LIMIT);
    let records = state.store.list_audit(limit, query.before).await?;
    let next_before = records
        .last()
        .filter(|_| records.len() == limit as usize)
        .map(|record| record.id);
    Ok(Json(AuditPage {
        entries: records.into_iter().map(AuditView::from).collect(),
        next_before,
    }))
}
