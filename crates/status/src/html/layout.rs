//! The shell every public page shares: `lang`, a skip link, the header
//! (page name, navigation, overall indicator), `<main>`, and the footer
//! with the generation time, the feeds and the JSON API. In a static copy
//! also the "may be out of date" notice and its tiny script.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{Cx, Target, plain, user};
use crate::model::Impact;

/// Shows the stale notice once the page is older than its
/// `data-stale-after` seconds. Fixed text: no data from the snapshot.
const STALE_SCRIPT: &str = r#"(function(){var e=document.getElementById("stale");if(!e)return;var g=Date.parse(e.getAttribute("data-generated-at")),s=Number(e.getAttribute("data-stale-after"));if(g&&isFinite(s)&&Date.now()-g>s*1000)e.hidden=false})();"#;

/// Which page of the navigation is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Current {
    /// The main page.
    Home,
    /// The history page.
    History,
    /// An incident or maintenance page.
    Other,
}

/// A full page. `title` is the document's title (before the page name);
/// on the main page the page name is the `<h1>` (in the header),
/// elsewhere `content` brings its own `<h1>`.
pub(super) fn shell(cx: &Cx, title: Option<&str>, current: Current, content: Markup) -> Markup {
    let page = &cx.snapshot.page;
    let doc_title = match title {
        Some(title) => format!("{} · {}", plain(title), plain(&page.name)),
        None => plain(&page.name),
    };
    let generated = cx.snapshot.generated_at;
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (doc_title) }
                meta name="description" content={ "Current status, incidents and maintenance of " (plain(&page.name)) };
                link rel="stylesheet" href=(cx.href(Target::Css));
                link rel="alternate" type="application/atom+xml" title="Incident history (Atom)" href=(cx.href(Target::Atom));
                link rel="alternate" type="application/rss+xml" title="Incident history (RSS)" href=(cx.href(Target::Rss));
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                @if let Some(stale_after) = cx.links.stale_after {
                    p id="stale" class="stale" role="status" hidden
                        data-generated-at=(generated.to_string())
                        data-stale-after=(stale_after.as_secs()) {
                        "This page was generated at " (cx.time(generated)) " and may be out of date."
                    }
                    script { (PreEscaped(STALE_SCRIPT)) }
                }
                header class="top" {
                    div class="wrap" {
                        @if current == Current::Home {
                            h1 class="brand" { a href=(cx.href(Target::Home)) { (user(&page.name)) } }
                        } @else {
                            p class="brand" { a href=(cx.href(Target::Home)) { (user(&page.name)) } }
                        }
                        nav aria-label="Status page" {
                            ul {
                                (nav_item(cx, Target::Home, "Current status", current == Current::Home))
                                (nav_item(cx, Target::History, "Incident history", current == Current::History))
                                li { a href=(cx.href(Target::Atom)) { "Atom feed" } }
                                li { a href=(cx.href(Target::Rss)) { "RSS feed" } }
                            }
                        }
                        (indicator(cx))
                    }
                }
                main id="main" class="wrap" tabindex="-1" { (content) }
                footer {
                    div class="wrap" {
                        p { "Generated at " (cx.time(generated)) "." }
                        p {
                            "Subscribe: "
                            a href=(cx.href(Target::Atom)) { "Atom" } " · "
                            a href=(cx.href(Target::Rss)) { "RSS" } " · "
                            a href=(cx.href(Target::Summary)) { "JSON API" }
                        }
                        p { "Powered by Shipshape." }
                    }
                }
            }
        }
    }
}

fn nav_item(cx: &Cx, target: Target, label: &str, current: bool) -> Markup {
    html! {
        li {
            @if current {
                a href=(cx.href(target)) aria-current="page" { (label) }
            } @else {
                a href=(cx.href(target)) { (label) }
            }
        }
    }
}

/// The overall indicator: symbol, words and colour.
pub(super) fn indicator(cx: &Cx) -> Markup {
    let (impact, description) = cx.snapshot.indicator();
    let (class, symbol) = match impact {
        Impact::None if description == "Service Under Maintenance" => ("ind-maint", "◐"),
        Impact::None => ("ind-none", "✓"),
        Impact::Minor => ("ind-minor", "▲"),
        Impact::Major => ("ind-major", "◆"),
        Impact::Critical => ("ind-critical", "✕"),
    };
    html! {
        p class={ "indicator " (class) } {
            span aria-hidden="true" { (symbol) } " " (description)
        }
    }
}
