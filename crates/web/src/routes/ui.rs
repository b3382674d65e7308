//! The admin UI's home and its read-only Services section (Monitors,
//! Incidents, On-call, the Status page and Readiness have their own
//! modules): what the catalog knows, or an empty state that says what to
//! configure, with an example.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use shipshape_catalog::Catalog;
use shipshape_store::Role;

use crate::access::{Access, Routes};
use crate::auth::{RequireRole, min};
use crate::pages::{Nav, empty_state, page};
use crate::state::AppState;

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let viewer = Access::Role(Role::Viewer);
    routes
        .get("/", viewer, home)
        .get("/services", viewer, services)
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
