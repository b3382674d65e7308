//! Settings (admins only): API tokens, users and the audit log. Every change
//! is a form POST (CSRF-checked by the access guard) and is audited.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::SignedDuration;
use maud::{Markup, html};
use serde::Deserialize;
use shipshape_catalog::{Catalog, Person, Team};
use shipshape_store::{NewUser, Role, User};

use crate::access::{Access, Routes};
use crate::audit;
use crate::auth::{self, Actor, RequireRole, min};
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::{Form, Path, Query};
use crate::pages::{Nav, csrf_field, notice, page, when, when_opt};
use crate::state::AppState;

/// How long the set-up link of a newly created user stays valid.
const USER_SETUP_TTL: SignedDuration = SignedDuration::from_hours(72);
/// Audit entries per page.
const AUDIT_PAGE: u32 = 50;

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let admin = Access::Role(Role::Admin);
    routes
        .get("/settings", admin, settings_home)
        .get("/settings/tokens", admin, tokens_page)
        .post("/settings/tokens", admin, create_token)
        .post("/settings/tokens/{id}/revoke", admin, revoke_token)
        .get("/settings/users", admin, users_page)
        .post("/settings/users", admin, create_user)
        .post("/settings/users/{id}/role", admin, change_role)
        .get("/settings/audit", admin, audit_page)
}

/// Creates an API token, audited; returns the record and the plain token.
pub(super) async fn create_token_as(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    name: &str,
    role: Role,
) -> Result<(shipshape_store::ApiToken, String), ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_request("`name` must be 1 to 100 characters"));
    }
    let (token, plain) =
        auth::issue_api_token(&state.store, name, role, &actor.display, state.now()).await?;
    let detail = format!("name={} role={}", token.name, token.role.as_str());
    audit::record(
        state,
        client,
        &actor.display,
        "token.create",
        &format!("token:{}", token.id),
        &detail,
    )
    .await;
    Ok((token, plain))
}

/// Revokes an API token, audited; 404 if it does not exist or is already revoked.
pub(super) async fn revoke_token_as(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    id: i64,
) -> Result<(), ApiError> {
    if !state.store.revoke_api_token(id, state.now()).await? {
        return Err(ApiError::not_found(format!(
            "no active API token with id {id}"
        )));
    }
    audit::record(
        state,
        client,
        &actor.display,
        "token.revoke",
        &format!("token:{id}"),
        "",
    )
    .await;
    Ok(())
}

async fn settings_home(_actor: RequireRole<min::Admin>) -> Redirect {
    Redirect::to("/settings/tokens")
}

fn settings_page(actor: &Actor, title: &str, content: Markup) -> Markup {
    page(
        title,
        actor,
        Nav::Settings,
        html! {
            nav aria-label="Settings" {
                ul {
                    li { a href="/settings/tokens" { "API tokens" } }
                    li { a href="/settings/users" { "Users" } }
                    li { a href="/settings/audit" { "Audit log" } }
                }
            }
            (content)
        },
    )
}

fn role_select(id: &str, selected: Role) -> Markup {
    html! {
        select id=(id) name="role" {
            @for role in Role::ALL {
                option value=(role.as_str()) selected[role == selected] { (role.as_str()) }
            }
        }
    }
}

async fn tokens_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Admin>,
) -> Result<Markup, ApiError> {
    tokens_view(&state, &actor, None).await
}

async fn tokens_view(
    state: &AppState,
    actor: &Actor,
    created: Option<(&str, &str)>,
) -> Result<Markup, ApiError> {
    let tokens = state.store.list_api_tokens().await?;
    Ok(settings_page(
        actor,
        "API tokens",
        html! {
            @if let Some((name, plain)) = created {
                (notice("good", html! {
                    p { "Token " strong { (name) } " created. Copy it now: it is shown only once." }
                    p { code class="secret" { (plain) } }
                    p class="muted" { "Send it as " code { "Authorization: Bearer <token>" } "." }
                }))
            }
            @if tokens.is_empty() {
                p { "No API tokens yet. Create one for scripts, CI or Prometheus (a viewer token can read " code { "/metrics" } ")." }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" { "Created" }
                        th scope="col" { "Last used" } th scope="col" { "Status" }
                    } }
                    tbody {
                        @for token in &tokens {
                            tr {
                                th scope="row" { (token.name) }
                                td { (token.role.as_str()) }
                                td { (when(token.created_at)) " by " (token.created_by) }
                                td { (when_opt(token.last_used_at)) }
                                td {
                                    @if let Some(at) = token.revoked_at {
                                        "revoked " (when(at))
                                    } @else {
                                        form class="inline" method="post" action={ "/settings/tokens/" (token.id) "/revoke" } {
                                            (csrf_field(actor))
                                            button type="submit" class="danger" aria-label={ "Revoke token " (token.name) } { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Create a token" }
            form method="post" action="/settings/tokens" {
                (csrf_field(actor))
                label for="token-name" { "Name" }
                input id="token-name" type="text" name="name" maxlength="100" required;
                label for="token-role" { "Role" }
                (role_select("token-role", Role::Viewer))
                p { button type="submit" { "Create token" } }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    name: String,
    role: Role,
}

async fn create_token(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Admin>,
    Form(form): Form<TokenForm>,
) -> Result<Markup, ApiError> {
    let (token, plain) = create_token_as(&state, &client, &actor, &form.name, form.role).await?;
    tokens_view(&state, &actor, Some((&token.name, &plain))).await
}

async fn revoke_token(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Admin>,
    Path(id): Path<i64>,
) -> Result<Redirect, ApiError> {
    revoke_token_as(&state, &client, &actor, id).await?;
    Ok(Redirect::to("/settings/tokens"))
}

/// The catalog person whose email contact is the user's email, and their teams.
fn catalog_match<'c>(catalog: &'c Catalog, email: &str) -> Option<(&'c Person, Vec<&'c Team>)> {
    let person = catalog.person_by_email(email)?;
    Some((person, catalog.teams_of(&person.id)))
}

async fn users_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Admin>,
) -> Result<Markup, ApiError> {
    users_view(&state, &actor, None).await
}

async fn users_view(
    state: &AppState,
    actor: &Actor,
    invited: Option<(&User, &str)>,
) -> Result<Markup, ApiError> {
    let users = state.store.list_users().await?;
    let catalog = state.catalog();
    Ok(settings_page(
        actor,
        "Users",
        html! {
            @if let Some((user, link)) = invited {
                (notice("good", html! {
                    p { "Created " strong { (user.email) } ". Send them this one-time set-up link (valid 72 hours, shown once):" }
                    p { code class="secret" { (link) } }
                }))
            }
            table {
                thead { tr {
                    th scope="col" { "User" } th scope="col" { "Catalog person" } th scope="col" { "Teams" }
                    th scope="col" { "Status" } th scope="col" { "Role" }
                } }
                tbody {
                    @for user in &users {
                        @let matched = catalog_match(&catalog, &user.email);
                        tr {
                            th scope="row" { (user.name) br; span class="muted" { (user.email) } }
                            td { @match &matched { Some((person, _)) => { (person.name) " (" code { (person.id) } ")" }, None => span class="muted" { "no match" } } }
                            td { @match &matched {
                                Some((_, teams)) if !teams.is_empty() => {
                                    (teams.iter().map(|team| team.name.as_str()).collect::<Vec<_>>().join(", "))
                                },
                                _ => span class="muted" { "—" },
                            } }
                            td {
                                @if user.disabled { "disabled" }
                                @else if user.password_hash.is_none() { "set-up pending" }
                                @else { "active" }
                            }
                            td {
                                form class="inline" method="post" action={ "/settings/users/" (user.id) "/role" } {
                                    (csrf_field(actor))
                                    label class="visually-hidden" for={ "role-" (user.id) } { "Role of " (user.email) }
                                    (role_select(&format!("role-{}", user.id), user.role))
                                    button type="submit" { "Change" }
                                }
                            }
                        }
                    }
                }
            }
            p class="muted" { "A user belongs to the teams of the catalog person whose email contact matches the user's email." }
            h2 { "Add a user" }
            form method="post" action="/settings/users" {
                (csrf_field(actor))
                label for="user-email" { "Email" }
                input id="user-email" type="email" name="email" required;
                label for="user-name" { "Name" }
                input id="user-name" type="text" name="name" required;
                label for="user-role" { "Role" }
                (role_select("user-role", Role::Viewer))
                p { button type="submit" { "Add user and make a set-up link" } }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
struct UserForm {
    email: String,
    name: String,
    role: Role,
}

async fn create_user(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Admin>,
    Form(form): Form<UserForm>,
) -> Result<Response, ApiError> {
    let email = form.email.trim().to_lowercase();
    let name = form.name.trim();
    if !email.contains('@') || name.is_empty() {
        return Err(ApiError::bad_request(
            "enter the user's email address and name",
        ));
    }
    let now = state.now();
    let user = state
        .store
        .create_user(NewUser {
            email,
            name: name.to_owned(),
            role: form.role,
            password_hash: None,
            created_at: now,
        })
        .await?;
    let token = auth::issue_setup_token(&state.store, Some(user.id), now, USER_SETUP_TTL).await?;
    let detail = format!("role={}", user.role.as_str());
    audit::record(
        &state,
        &client,
        &actor.display,
        "user.create",
        &format!("user:{}", user.id),
        &detail,
    )
    .await;
    let link = state.config.link(&format!("/setup/{token}"));
    let body = users_view(&state, &actor, Some((&user, &link))).await?;
    Ok((StatusCode::CREATED, body).into_response())
}

#[derive(Debug, Deserialize)]
struct RoleForm {
    role: Role,
}

async fn change_role(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Admin>,
    Path(id): Path<i64>,
    Form(form): Form<RoleForm>,
) -> Result<Redirect, ApiError> {
    let user = state
        .store
        .user_by_id(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no user with id {id}")))?;
    if user.role == Role::Admin && form.role != Role::Admin {
        let admins = state
            .store
            .list_users()
            .await?
            .iter()
            .filter(|u| u.role == Role::Admin && !u.disabled)
            .count();
        if admins <= 1 {
            return Err(ApiError::conflict(
                "at least one admin must remain; promote someone else first",
            ));
        }
    }
    state.store.set_role(id, form.role).await?;
    let detail = format!("{} -> {}", user.role.as_str(), form.role.as_str());
    audit::record(
        &state,
        &client,
        &actor.display,
        "user.role",
        &format!("user:{id}"),
        &detail,
    )
    .await;
    Ok(Redirect::to("/settings/users"))
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    before: Option<i64>,
}

async fn audit_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Admin>,
    Query(query): Query<AuditQuery>,
) -> Result<Markup, ApiError> {
    let records = state.store.list_audit(AUDIT_PAGE, query.before).await?;
    let older = records
        .last()
        .filter(|_| records.len() == AUDIT_PAGE as usize)
        .map(|record| record.id);
    Ok(settings_page(
        &actor,
        "Audit log",
        html! {
            @if records.is_empty() {
                p { "Nothing recorded yet. Sign-ins, token and user changes appear here." }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Action" }
                        th scope="col" { "Target" } th scope="col" { "Detail" } th scope="col" { "From" }
                    } }
                    tbody {
                        @for record in &records {
                            @let entry = &record.entry;
                            tr {
                                td { (when(entry.at)) }
                                td { (entry.actor) }
                                td { code { (entry.action) } }
                                td { (entry.target) }
                                td { (entry.detail) }
                                td { (entry.source) }
                            }
                        }
                    }
                }
            }
            @if let Some(before) = older {
                p { a href={ "/settings/audit?before=" (before) } { "Older entries" } }
            }
        },
    ))
}
