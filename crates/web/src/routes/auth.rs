//! Signing in and out, and the one-time set-up links (first admin, or a new
//! user's password). Login is rate-limited through the store per account and
//! per client address, so several instances share the limits; every attempt
//! is audited. Errors never reveal whether an email has an account.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::SignedDuration;
use maud::{Markup, html};
use serde::Deserialize;
use shipshape_store::{NewUser, Role, SetupGrant, User};

use crate::access::{Access, Routes};
use crate::audit;
use crate::auth::{self, ActorKind, RequireRole, min};
use crate::client::ClientInfo;
use crate::csrf;
use crate::error::{ApiError, Rendered};
use crate::extract::{Form, Path, Query};
use crate::pages::{self, notice, standalone};
use crate::state::AppState;

/// Failed logins per account within [`FAILURE_WINDOW`] before 429.
const MAX_ACCOUNT_FAILURES: u64 = 5;
/// Failed logins per client address within [`FAILURE_WINDOW`] before 429.
const MAX_IP_FAILURES: u64 = 20;
/// The window over which failures count.
const FAILURE_WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Shortest password accepted at set-up.
const MIN_PASSWORD_LEN: usize = 12;

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    routes
        .get("/login", Access::Public, login_form)
        .post("/login", Access::Public, login)
        .post("/logout", Access::Role(Role::Viewer), logout)
        .get("/setup/{token}", Access::Capability, setup_form)
        .post("/setup/{token}", Access::Capability, setup)
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(
    State(state): State<AppState>,
    client: ClientInfo,
    Query(query): Query<NextQuery>,
) -> Response {
    let next = pages::safe_next(query.next.as_deref());
    render_login(&state, &client, StatusCode::OK, &next, "", None)
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    csrf::check_form_token(&headers, &form.csrf)?;
    let next = pages::safe_next(form.next.as_deref());
    let email = form.email.trim().to_lowercase();
    if email.is_empty() || form.password.is_empty() {
        return Ok(render_login(
            &state,
            &client,
            StatusCode::BAD_REQUEST,
            &next,
            &email,
            Some("Enter your email address and password."),
        ));
    }
    let account_key = format!("user:{email}");
    let ip_key = format!("ip:{}", client.source());
    let now = state.now();
    let since = now.saturating_sub(FAILURE_WINDOW).unwrap_or(now);
    let account_failures = state
        .store
        .login_failures_since(&account_key, since)
        .await?;
    let ip_failures = state.store.login_failures_since(&ip_key, since).await?;
    if account_failures >= MAX_ACCOUNT_FAILURES || ip_failures >= MAX_IP_FAILURES {
        audit::record(
            &state,
            &client,
            &email,
            "user.login_throttled",
            &email,
            "too many failed attempts",
        )
        .await;
        return Err(ApiError::rate_limited(
            "Too many failed sign-in attempts. Wait 15 minutes and try again, or ask an admin to send you a new set-up link.",
            u64::try_from(FAILURE_WINDOW.as_secs()).unwrap_or(900),
        ));
    }
    let user = state.store.user_by_email(&email).await?;
    if let Some(user) = check_password(user, form.password).await? {
        state.store.clear_login_failures(&account_key).await?;
        let cookie = auth::start_session(&state, &user, &client).await?;
        audit::record(
            &state,
            &client,
            &user.email,
            "user.login",
            &format!("user:{}", user.id),
            "",
        )
        .await;
        return Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response());
    }
    state.store.record_login_failure(&account_key, now).await?;
    state.store.record_login_failure(&ip_key, now).await?;
    audit::record(
        &state,
        &client,
        &email,
        "user.login_failed",
        &email,
        "wrong email or password",
    )
    .await;
    Ok(render_login(
        &state,
        &client,
        StatusCode::UNAUTHORIZED,
        &next,
        &email,
        Some("That email and password do not match an account."),
    ))
}

/// The user if `password` is theirs and they may sign in. Hashes a dummy
/// password for unknown emails, so timing does not reveal which exist.
async fn check_password(user: Option<User>, password: String) -> Result<Option<User>, ApiError> {
    let hash = user
        .as_ref()
        .filter(|user| !user.disabled)
        .and_then(|user| user.password_hash.clone());
    let matches = tokio::task::spawn_blocking(move || match hash {
        Some(hash) => auth::verify_password(&password, &hash),
        None => {
            let _ = auth::verify_password(&password, dummy_hash());
            false
        }
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(user.filter(|_| matches))
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| auth::hash_password("not a real password").unwrap_or_default())
}

fn render_login(
    state: &AppState,
    client: &ClientInfo,
    status: StatusCode,
    next: &str,
    email: &str,
    problem: Option<&str>,
) -> Response {
    let (token, cookie) = csrf::issue_form_token(state, client);
    let body = standalone(
        "Sign in",
        html! {
            h1 { "Sign in to Shipshape" }
            @if let Some(problem) = problem { (notice("bad", html! { (problem) })) }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="next" value=(next);
                label for="email" { "Email" }
                input id="email" type="email" name="email" value=(email) autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input id="password" type="password" name="password" autocomplete="current-password" required;
                p { button type="submit" { "Sign in" } }
            }
            p class="muted" { "No account yet? Ask an admin for a set-up link." }
        },
    );
    let mut response = (status, [(header::SET_COOKIE, cookie)], body).into_response();
    response.extensions_mut().insert(Rendered);
    response
}

async fn logout(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Viewer>,
) -> Result<Response, ApiError> {
    let ActorKind::Session {
        session_hash, user, ..
    } = &actor.kind
    else {
        return Err(ApiError::bad_request(
            "API tokens have no session to end; revoke the token instead",
        ));
    };
    let cookie = auth::end_session(&state, session_hash, &client).await?;
    audit::record(
        &state,
        &client,
        &actor.display,
        "user.logout",
        &format!("user:{}", user.id),
        "",
    )
    .await;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}

/// Who a set-up link is for.
enum SetupFor {
    /// The first admin, who picks their own email and name.
    FirstAdmin,
    /// An existing user setting their password.
    User(User),
}

fn invalid_setup_link() -> ApiError {
    ApiError::not_found(
        "This set-up link is invalid, expired or already used. Ask an admin for a new one; \
         if there is no admin yet, restart Shipshape and it prints a fresh link.",
    )
}

async fn grant_target(state: &AppState, grant: Option<SetupGrant>) -> Result<SetupFor, ApiError> {
    match grant.ok_or_else(invalid_setup_link)?.user_id {
        None => Ok(SetupFor::FirstAdmin),
        Some(id) => state
            .store
            .user_by_id(id)
            .await?
            .map(SetupFor::User)
            .ok_or_else(invalid_setup_link),
    }
}

async fn setup_form(
    State(state): State<AppState>,
    client: ClientInfo,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let grant = state
        .store
        .peek_setup_token(&auth::sha256_hex(&token), state.now())
        .await?;
    let target = grant_target(&state, grant).await?;
    Ok(render_setup(
        &state,
        &client,
        StatusCode::OK,
        &token,
        &target,
        &SetupForm::default(),
        None,
    ))
}

#[derive(Debug, Default, Deserialize)]
struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn setup(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<SetupForm>,
) -> Result<Response, ApiError> {
    csrf::check_form_token(&headers, &form.csrf)?;
    let token_hash = auth::sha256_hex(&token);
    let grant = state
        .store
        .peek_setup_token(&token_hash, state.now())
        .await?;
    let target = grant_target(&state, grant).await?;
    if let Some(problem) = setup_problem(&state, &target, &form).await? {
        return Ok(render_setup(
            &state,
            &client,
            StatusCode::BAD_REQUEST,
            &token,
            &target,
            &form,
            Some(problem),
        ));
    }
    // One use only: whoever consumes the token first wins.
    if state
        .store
        .consume_setup_token(&token_hash, state.now())
        .await?
        .is_none()
    {
        return Err(invalid_setup_link());
    }
    let password = form.password.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let (user, detail) = match target {
        SetupFor::FirstAdmin => {
            let user = state
                .store
                .create_user(NewUser {
                    email: form.email.trim().to_lowercase(),
                    name: form.name.trim().to_owned(),
                    role: Role::Admin,
                    password_hash: Some(hash),
                    created_at: state.now(),
                })
                .await?;
            (user, "first admin created")
        }
        SetupFor::User(user) => {
            state.store.set_password_hash(user.id, &hash).await?;
            (user, "password set")
        }
    };
    audit::record(
        &state,
        &client,
        &user.email,
        "user.setup",
        &format!("user:{}", user.id),
        detail,
    )
    .await;
    let cookie = auth::start_session(&state, &user, &client).await?;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response())
}

/// What is wrong with a set-up form, in words for the user.
async fn setup_problem(
    state: &AppState,
    target: &SetupFor,
    form: &SetupForm,
) -> Result<Option<&'static str>, ApiError> {
    if let SetupFor::FirstAdmin = target {
        let email = form.email.trim();
        if email.is_empty() || !email.contains('@') {
            return Ok(Some("Enter a valid email address."));
        }
        if form.name.trim().is_empty() {
            return Ok(Some("Enter your name."));
        }
        if state.store.user_by_email(email).await?.is_some() {
            return Ok(Some(
                "An account with this email already exists; sign in instead.",
            ));
        }
    }
    if form.password.chars().count() < MIN_PASSWORD_LEN {
        return Ok(Some("Choose a password of at least 12 characters."));
    }
    if form.password != form.confirm {
        return Ok(Some("The two passwords differ."));
    }
    Ok(None)
}

fn render_setup(
    state: &AppState,
    client: &ClientInfo,
    status: StatusCode,
    token: &str,
    target: &SetupFor,
    form: &SetupForm,
    problem: Option<&str>,
) -> Response {
    let (csrf_token, cookie) = csrf::issue_form_token(state, client);
    let action = format!("/setup/{token}");
    let fields: Markup = match target {
        SetupFor::FirstAdmin => html! {
            p { "Create the first admin account. You can invite everyone else from Settings afterwards." }
            label for="email" { "Email" }
            input id="email" type="email" name="email" value=(form.email) autocomplete="username" required;
            label for="name" { "Name" }
            input id="name" type="text" name="name" value=(form.name) autocomplete="name" required;
        },
        SetupFor::User(user) => html! {
            p { "Choose a password for " strong { (user.email) } "." }
        },
    };
    let body = standalone(
        "Set up your account",
        html! {
            h1 { "Set up your account" }
            @if let Some(problem) = problem { (notice("bad", html! { (problem) })) }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf_token);
                (fields)
                label for="password" { "Password (at least 12 characters)" }
                input id="password" type="password" name="password" autocomplete="new-password" minlength="12" required;
                label for="confirm" { "Repeat the password" }
                input id="confirm" type="password" name="confirm" autocomplete="new-password" minlength="12" required;
                p { button type="submit" { "Save and sign in" } }
            }
        },
    );
    let mut response = (status, [(header::SET_COOKIE, cookie)], body).into_response();
    response.extensions_mut().insert(Rendered);
    response
}
