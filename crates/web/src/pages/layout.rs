//! The page shell: landmarks, a skip link, the navigation, the signed-in user
//! with a logout form, and one small inline stylesheet. Works without
//! JavaScript.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::auth::Actor;
use shipshape_store::Role;

/// Sections of the admin UI, in navigation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    /// Monitors.
    Monitors,
    /// Services and components from the catalog.
    Services,
    /// Incidents.
    Incidents,
    /// Silences.
    Silences,
    /// On-call schedules.
    OnCall,
    /// The public status page.
    StatusPage,
    /// The readiness review.
    Readiness,
    /// Tokens, users and the audit log (admins).
    Settings,
}

impl Nav {
    const ALL: [Nav; 8] = [
        Nav::Monitors,
        Nav::Services,
        Nav::Incidents,
        Nav::Silences,
        Nav::OnCall,
        Nav::StatusPage,
        Nav::Readiness,
        Nav::Settings,
    ];

    fn label(self) -> &'static str {
        match self {
            Nav::Monitors => "Monitors",
            Nav::Services => "Services",
            Nav::Incidents => "Incidents",
            Nav::Silences => "Silences",
            Nav::OnCall => "On-call",
            Nav::StatusPage => "Status page",
            Nav::Readiness => "Readiness",
            Nav::Settings => "Settings",
        }
    }

    fn href(self) -> &'static str {
        match self {
            Nav::Monitors => "/monitors",
            Nav::Services => "/services",
            Nav::Incidents => "/incidents",
            Nav::Silences => "/silences",
            Nav::OnCall => "/oncall",
            Nav::StatusPage => "/status-page",
            Nav::Readiness => "/readiness",
            Nav::Settings => "/settings",
        }
    }

    fn min_role(self) -> Role {
        match self {
            Nav::Settings => Role::Admin,
            _ => Role::Viewer,
        }
    }
}

/// A full admin page for `actor`, with `active` highlighted in the navigation.
pub(crate) fn page(title: &str, actor: &Actor, active: Nav, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    a class="brand" href="/" { "Shipshape" }
                    nav aria-label="Main" {
                        ul {
                            @for item in Nav::ALL {
                                @if actor.role >= item.min_role() {
                                    li {
                                        @if item == active {
                                            a href=(item.href()) aria-current="page" { (item.label()) }
                                        } @else {
                                            a href=(item.href()) { (item.label()) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    div class="who" {
                        span { (actor.display) " · " (actor.role.as_str()) }
                        @if let Some(csrf) = actor.csrf() {
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" class="link" { "Log out" }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

/// A page without navigation (login, set-up, errors).
pub(crate) fn standalone(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" { a class="brand" href="/" { "Shipshape" } }
                main id="main" class="narrow" tabindex="-1" { (content) }
            }
        }
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Shipshape" }
            style { (PreEscaped(STYLE)) }
        }
    }
}

const STYLE: &str = r#"
:root { --fg:#1b1f24; --muted:#57606a; --bg:#fff; --line:#d0d7de; --accent:#0b5cad; --bad:#a40e26; --good:#116329; }
* { box-sizing: border-box; }
body { margin:0; font: 16px/1.5 system-ui, sans-serif; color:var(--fg); background:var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f0b400; outline-offset: 2px; }
.skip { position:absolute; left:-999px; top:0; background:#fff; padding:.5rem; }
.skip:focus { left:.5rem; }
header.top { display:flex; flex-wrap:wrap; gap:1rem; align-items:center; padding:.75rem 1.5rem; border-bottom:1px solid var(--line); }
.brand { font-weight:700; text-decoration:none; color:var(--fg); }
nav ul { display:flex; flex-wrap:wrap; gap:1rem; list-style:none; margin:0; padding:0; }
nav a[aria-current] { font-weight:700; text-decoration-thickness:3px; }
.who { margin-left:auto; display:flex; gap:.75rem; align-items:center; color:var(--muted); }
.who form { margin:0; }
main { padding:1.5rem; max-width:72rem; }
main.narrow { max-width:28rem; margin:0 auto; }
table { border-collapse:collapse; width:100%; margin:1rem 0; }
th, td { text-align:left; padding:.4rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
label { display:block; font-weight:600; margin:.75rem 0 .25rem; }
input, select { font:inherit; padding:.4rem; border:1px solid var(--muted); border-radius:4px; }
input[type=email], input[type=password], input[type=text] { width:100%; }
button { font:inherit; padding:.4rem .9rem; border-radius:4px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
button.link { background:none; border:none; color:var(--accent); text-decoration:underline; padding:0; }
button.danger { background:var(--bad); border-color:var(--bad); }
.inline { display:inline-flex; gap:.5rem; align-items:center; margin:0; }
.empty { border:1px dashed var(--line); border-radius:6px; padding:1rem 1.25rem; }
pre { background:#f6f8fa; padding:.75rem; overflow:auto; border-radius:4px; }
.notice { padding:.75rem 1rem; border-radius:4px; margin:1rem 0; border:1px solid var(--line); }
.notice.good { border-color:var(--good); }
.notice.bad { border-color:var(--bad); color:var(--bad); }
.muted { color:var(--muted); }
.bad { color:var(--bad); }
.state { font-weight:600; white-space:nowrap; }
.state-up { color:var(--good); }
.state-down { color:var(--bad); }
.state-degraded { color:#9a6700; }
.state-paused, .state-unknown { color:var(--muted); }
.badge { display:inline-block; padding:.15rem .6rem; border-radius:1rem; border:2px solid currentColor; }
button.secondary { background:#fff; color:var(--accent); }
.crumbs { margin:0 0 .5rem; color:var(--muted); }
.filters { display:flex; flex-wrap:wrap; gap:1rem; align-items:flex-end; margin:1rem 0; }
.filters label { margin-top:0; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:.25rem 1rem; margin:1rem 0; }
dl.facts dt { font-weight:600; }
dl.facts dd { margin:0; }
ul.plain { list-style:none; margin:0; padding:0; }
nav.ranges ul { display:flex; gap:.75rem; list-style:none; padding:0; }
nav.ranges a[aria-current] { font-weight:700; text-decoration-thickness:3px; }
figure { margin:1rem 0; }
svg.chart { display:block; width:100%; max-width:720px; height:auto; }
svg.sparkline { display:block; width:120px; height:28px; }
svg.availability { display:block; width:100%; max-width:900px; height:34px; }
svg.swatch { width:.8em; height:.8em; vertical-align:-.05em; margin-right:.25em; }
.legend { display:flex; flex-wrap:wrap; gap:1rem; color:var(--muted); font-size:.9em; margin:.4rem 0; }
.key-p50::before { content:""; display:inline-block; width:1.5em; border-top:2px solid #0b5cad; vertical-align:middle; margin-right:.3em; }
.key-p95::before { content:""; display:inline-block; width:1.5em; border-top:2px dashed #8250df; vertical-align:middle; margin-right:.3em; }
.key-fail::before { content:""; display:inline-block; width:3px; height:.8em; background:#cf222e; margin-right:.3em; }
.bar-ends { display:flex; justify-content:space-between; gap:1rem; max-width:900px; margin:.25rem 0; }
td.reason, .reason { word-break:break-word; }
p.empty { color:var(--muted); border:1px dashed var(--line); border-radius:6px; padding:.75rem 1rem; }
.visually-hidden { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
code.secret { font-size:1.1em; word-break:break-all; }
.status-open { color:var(--bad); }
.status-acknowledged { color:#9a6700; }
.status-resolved { color:var(--good); }
.sev-critical { color:var(--bad); font-weight:600; }
.tag { display:inline-block; font-size:.8em; padding:0 .45rem; border:1px solid var(--muted); border-radius:.8rem; color:var(--muted); }
.delivery-failed { color:var(--bad); }
.delivery-delivered { color:var(--good); }
textarea { font:inherit; width:100%; padding:.4rem; border:1px solid var(--muted); border-radius:4px; }
.actions { display:flex; gap:.5rem; margin:1rem 0; }
.verdict-pass { color:var(--good); }
.verdict-fail { color:var(--bad); }
.verdict-unknown { color:#9a6700; }
.verdict-attested { color:var(--accent); }
.verdict-na { color:var(--muted); }
article.item { border-top:1px solid var(--line); padding:.5rem 0 .75rem; }
article.item h4 { margin:.25rem 0; }
article.item.blocking { border-left:4px solid var(--bad); padding-left:.75rem; }
.tag.must { border-color:var(--fg); color:var(--fg); font-weight:600; }
ul.findings > li { margin:.25rem 0; }
.score { display:inline-flex; gap:.5rem; align-items:center; white-space:nowrap; }
svg.score-bar { width:100px; height:8px; }
svg.score-step { display:block; width:100%; max-width:360px; height:36px; }
"#;
