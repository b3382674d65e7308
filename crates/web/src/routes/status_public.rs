//! The public status page, for anyone (no login): the page at `/status`
//! (with `/status/history`, `/status/incidents/{id}`,
//! `/status/maintenance/{id}`), its stylesheet, the Statuspage-compatible
//! JSON at `/api/v2/*.json` (also under `/status/api/v2/`), the feeds
//! `/history.atom` and `/history.rss` (also under `/status/`), and SVG
//! badges under `/status/badge/`. The main page also carries the "Subscribe
//! to updates" form (see `status_subscribe.rs`). Everything is rendered from one cached
//! [`Snapshot`](shipshape_status::Snapshot), which holds only public data;
//! when the store does not answer, the last snapshot is served.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shipshape_status::{Snapshot, badge, feed, html, json};

use crate::access::{Access, Routes};
use crate::extract::Path;
use crate::state::AppState;

/// Where the live page lives.
const BASE: &str = "/status";

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let public = Access::Public;
    routes
        .get("/status", public, main_page)
        .get("/status/", public, main_page)
        .get("/status/history", public, history_page)
        .get("/status/incidents/{id}", public, incident_page)
        .get("/status/maintenance/{id}", public, maintenance_page)
        .get("/status/style.css", public, stylesheet)
        .get("/status/history.atom", public, atom)
        .get("/status/history.rss", public, rss)
        .get("/history.atom", public, atom)
        .get("/history.rss", public, rss)
        .get("/api/v2/{*path}", public, statuspage_json)
        .get("/status/api/v2/{*path}", public, statuspage_json)
        .get("/status/badge/status.svg", public, overall_badge)
        .get("/status/badge/components/{file}", public, component_badge)
        .get("/status/badge/uptime/{file}", public, uptime_badge)
}

/// The current snapshot, or the response to send instead: 404 without a
/// `[status_page]`, 503 (without detail) when nothing can be served.
async fn snapshot(state: &AppState) -> Result<Arc<Snapshot>, Response> {
    let catalog = state.catalog();
    match state.status.get(&state.store, &catalog, state.now()).await {
        Ok(Some(snapshot)) => Ok(snapshot),
        Ok(None) => Err(plain(
            StatusCode::NOT_FOUND,
            "There is no status page here.",
        )),
        Err(error) => {
            tracing::warn!(%error, "status page unavailable");
            Err(plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "The status page is temporarily unavailable.",
            ))
        }
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// A public response: short-lived caching by browsers and proxies.
fn public(content_type: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=30"),
        ],
        body,
    )
        .into_response()
}

const HTML: &str = "text/html; charset=utf-8";

async fn main_page(State(state): State<AppState>) -> Response {
    match snapshot(&state).await {
        Ok(snapshot) => {
            let page = html::page(&snapshot, &html::Links::live(BASE));
            // The live page (not a static copy) takes email subscriptions.
            let components: Vec<(String, String)> = snapshot
                .components
                .iter()
                .map(|c| (c.id.clone(), c.name.clone()))
                .collect();
            let form = super::status_subscribe::subscribe_section(&components).into_string();
            public(HTML, page.replacen("</main>", &format!("{form}</main>"), 1))
        }
        Err(response) => response,
    }
}

async fn history_page(State(state): State<AppState>) -> Response {
    match snapshot(&state).await {
        Ok(snapshot) => public(
            HTML,
            html::history_page(&snapshot, &html::Links::live(BASE)),
        ),
        Err(response) => response,
    }
}

async fn incident_page(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    let snapshot = match snapshot(&state).await {
        Ok(snapshot) => snapshot,
        Err(response) => return response,
    };
    match html::incident_page(&snapshot, id, &html::Links::live(BASE)) {
        Some(page) => public(HTML, page),
        None => plain(StatusCode::NOT_FOUND, "No such incident."),
    }
}

async fn maintenance_page(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    let snapshot = match snapshot(&state).await {
        Ok(snapshot) => snapshot,
        Err(response) => return response,
    };
    match html::maintenance_page(&snapshot, id, &html::Links::live(BASE)) {
        Some(page) => public(HTML, page),
        None => plain(StatusCode::NOT_FOUND, "No such maintenance."),
    }
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        html::STYLESHEET,
    )
        .into_response()
}

async fn atom(State(state): State<AppState>) -> Response {
    match snapshot(&state).await {
        Ok(snapshot) => public("application/atom+xml; charset=utf-8", feed::atom(&snapshot)),
        Err(response) => response,
    }
}

async fn rss(State(state): State<AppState>) -> Response {
    match snapshot(&state).await {
        Ok(snapshot) => public("application/rss+xml; charset=utf-8", feed::rss(&snapshot)),
        Err(response) => response,
    }
}

/// `GET /api/v2/summary.json` and the other Statuspage endpoints.
async fn statuspage_json(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    let Some((_, endpoint)) = json::ENDPOINTS.iter().find(|(p, _)| *p == path) else {
        return plain(
            StatusCode::NOT_FOUND,
            "No such endpoint; see /api/v2/summary.json.",
        );
    };
    match snapshot(&state).await {
        Ok(snapshot) => {
            let mut response = axum::Json(endpoint(&snapshot)).into_response();
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("public, max-age=30"),
            );
            // Statuspage's API is read cross-origin by widgets and aggregators.
            response.headers_mut().insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                header::HeaderValue::from_static("*"),
            );
            response
        }
        Err(response) => response,
    }
}

const SVG: &str = "image/svg+xml";

async fn overall_badge(State(state): State<AppState>) -> Response {
    match snapshot(&state).await {
        Ok(snapshot) => public(SVG, badge::overall_badge(&snapshot)),
        Err(response) => response,
    }
}

/// `…/components/{id}.svg`: the component's status.
async fn component_badge(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let snapshot = match snapshot(&state).await {
        Ok(snapshot) => snapshot,
        Err(response) => return response,
    };
    let id = file.strip_suffix(".svg").unwrap_or(&file);
    match badge::component_badge(&snapshot, id) {
        Some(svg) => public(SVG, svg),
        None => plain(StatusCode::NOT_FOUND, "No such component."),
    }
}

/// `…/uptime/{id}.svg`: the component's uptime over 90 days.
async fn uptime_badge(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let snapshot = match snapshot(&state).await {
        Ok(snapshot) => snapshot,
        Err(response) => return response,
    };
    let id = file.strip_suffix(".svg").unwrap_or(&file);
    match badge::uptime_badge_for(&snapshot, id, 90) {
        Some(svg) => public(SVG, svg),
        None => plain(StatusCode::NOT_FOUND, "No such component."),
    }
}
