//! The admin UI's read-only sections: Services and Readiness (Monitors,
//! Incidents, On-call and the Status page have their own modules). Until their
//! subsystems land, each shows a real empty state that says what to
//! configure, with an example, plus what the catalog already knows.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use shipshape_catalog::Catalog;
use shipshape_store::Role;

use crate::access::{Access, Routes};
use crate::auth::{RequireRole, min};
use crate::pages::{Nav, empty_state, page};
use crate::state::AppState;

/// A section that is explained, not yet populated.
struct Section {
    path: &'static str,
    nav: Nav,
    title: &'static str,
    empty_heading: &'static str,
    explanation: &'static str,
    example: &'static str,
}

static SECTIONS: [Section; 1] = [Section {
    path: "/readiness",
    nav: Nav::Readiness,
    title: "Readiness",
    empty_heading: "No readiness review yet",
    explanation: "The readiness review checks, from live evidence, what is still missing before launch. Run it from the command line in the meantime.",
    example: "shipshape check --config shipshape.toml",
}];

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let viewer = Access::Role(Role::Viewer);
    let routes = routes
        .get("/", viewer, home)
        .get("/services", viewer, services);
    SECTIONS.iter().fold(routes, |routes, section| {
        routes.get(
            section.path,
            viewer,
            move |actor: RequireRole<min::Viewer>| async move {
                page(
                    section.title,
                    &actor,
                    section.nav,
                    empty_state(
                        section.empty_heading,
                        html! { p { (section.explanation) } },
                        Some(section.example),
                    ),
                )
            },
        )
    })
}

async fn home(_actor: RequireRole<min::Viewer>) -> Response {
    Redirect::to("/monitors").into_response()
}

async fn services(State(state): State<AppState>, actor: RequireRole<min::Viewer>) -> Markup {
    let catalog = state.catalog();
    page("Services", &actor, Nav::Services, services_table(&catalog))
}

fn services_table(catalog: &Catalog) -> Markup {
    if catalog.services.is_empty() {
        return empty_state(
            "No services in the catalog",
            html! { p { "Describe what you run with " code { "[[service]]" } " and its " code { "[[service.component]]" } " entries in shipshape.toml, then reload with SIGHUP." } },
            Some(
                "[[service]]\nid = \"web\"\nowner = \"platform\"\ntier = \"critical\"\n\n[[service.component]]\nid = \"app\"\ninstances = 2\nzones = [\"a\", \"b\"]",
            ),
        );
    }
    html! {
        table {
            caption class="muted" { (catalog.services.len()) " service(s) from " code { (catalog.path.display()) } }
            thead { tr { th scope="col" { "Service" } th scope="col" { "Owner" } th scope="col" { "Tier" } th scope="col" { "Components" } } }
            tbody {
                @for service in &catalog.services {
                    tr {
                        th scope="row" { (service.name) br; span class="muted" { code { (service.id) } } }
                        td { (service.owner.as_deref().unwrap_or("—")) }
                        td { (service.tier.as_deref().unwrap_or("—")) }
                        td {
                            @if service.components.is_empty() { span class="muted" { "none" } }
                            ul {
                                @for component in &service.components {
                                    li {
                                        code { (component.id) } " — " (component.instances) " instance(s)"
                                        @if !component.zones.is_empty() { " in " (component.zones.join(", ")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
