//! Shared pieces of the server-rendered UI: the page shell
//! ([`layout::page`]), small components and the error page. Pages are maud
//! templates, so every dynamic string is HTML-escaped.

pub(crate) mod charts;
pub(crate) mod layout;

use axum::http::StatusCode;
use jiff::Timestamp;
use maud::{Markup, html};

use crate::auth::Actor;
use crate::error::ErrorBody;

pub(crate) use layout::{Nav, page, standalone};

/// `/login?next=<path>`, with `path` URL-encoded.
pub(crate) fn login_link(next: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("/login?next={encoded}")
}

/// A safe post-login destination: a local absolute path, never another
/// origin (`//evil`, `/\evil`), else `/`.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next)
            if next.starts_with('/')
                && !next.starts_with("//")
                && !next.starts_with("/\\")
                && !next.chars().any(char::is_control) =>
        {
            next.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// A timestamp as `2026-11-30 09:00 UTC`.
pub(crate) fn when(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// A timestamp to the second, as `2026-11-30 09:00:07 UTC`.
pub(crate) fn when_precise(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The hidden CSRF field of a form posted by a session actor (nothing for
/// API-token actors, which need none).
pub(crate) fn csrf_field(actor: &Actor) -> Markup {
    html! {
        @if let Some(csrf) = actor.csrf() { input type="hidden" name="csrf" value=(csrf); }
    }
}

/// An optional timestamp, or an em dash.
pub(crate) fn when_opt(at: Option<Timestamp>) -> String {
    at.map_or_else(|| "—".to_owned(), when)
}

/// An explained empty state: what is missing and how to add it.
pub(crate) fn empty_state(heading: &str, explanation: Markup, example: Option<&str>) -> Markup {
    html! {
        section class="empty" aria-labelledby="empty-heading" {
            h2 id="empty-heading" { (heading) }
            (explanation)
            @if let Some(example) = example {
                pre { code { (example) } }
            }
        }
    }
}

/// A one-line notice (success or problem).
pub(crate) fn notice(kind: &str, text: Markup) -> Markup {
    html! { div class={ "notice " (kind) } role="status" { (text) } }
}

/// The page shown for an error on a browser route.
pub(crate) fn error_page(status: StatusCode, body: &ErrorBody) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    standalone(
        title,
        html! {
            h1 { (status.as_u16()) " — " (title) }
            p { (body.message) }
            @if let Some(link) = &body.link {
                p { a href=(link) { "Read more" } }
            }
            p { a href="/" { "Back to Shipshape" } }
        },
    )
}

/// A span for people: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
pub(crate) fn span_label(span: jiff::SignedDuration) -> String {
    let secs = span.as_secs().max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(
            safe_next(Some("/settings/tokens?x=1")),
            "/settings/tokens?x=1"
        );
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn login_link_encodes_the_destination() {
        assert_eq!(login_link("/a?b=c&d"), "/login?next=%2Fa%3Fb%3Dc%26d");
    }

    #[test]
    fn error_page_escapes_the_message() {
        let body = ErrorBody {
            message: "<script>alert(1)</script>".into(),
            code: "bad_request",
            link: None,
        };
        let html = error_page(StatusCode::BAD_REQUEST, &body).into_string();
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
