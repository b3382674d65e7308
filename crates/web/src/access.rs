//! Access control at the routing layer. Every route is added through
//! [`Routes`], which takes its [`Access`] class, records it in the route table
//! and wraps the handler in a guard that enforces it (authentication, role,
//! CSRF). [`deny_unclassified`] denies any matched path/method that is not in
//! the table, so a route added around the builder does not serve.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use shipshape_store::Role;

use crate::auth::{authenticate, check_role};
use crate::csrf;
use crate::error::{ApiError, ErrorCode, is_api_path};
use crate::state::AppState;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (health, login).
    Public,
    /// Anyone holding the unguessable token in the URL; the handler checks it.
    Capability,
    /// `/metrics`: public or viewer, per `metrics_public`.
    Metrics,
    /// A session or API token with at least this role.
    Role(Role),
}

/// One row of the route table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    /// HTTP method.
    pub method: Method,
    /// Path template, e.g. `/api/v1/tokens/{id}`.
    pub path: &'static str,
    /// Access class.
    pub access: Access,
}

impl RouteInfo {
    /// Whether the route answers JSON (API) rather than HTML.
    pub fn is_api(&self) -> bool {
        is_api_path(self.path)
    }

    /// Whether an anonymous request may reach the handler.
    pub fn is_public(&self, metrics_public: bool) -> bool {
        match self.access {
            Access::Public | Access::Capability => true,
            Access::Metrics => metrics_public,
            Access::Role(_) => false,
        }
    }
}

/// The only way to add a route: each one is declared with its access class.
/// Built without state, it only records the table (see [`crate::route_table`]).
#[derive(Debug)]
pub struct Routes {
    state: Option<AppState>,
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Routes {
    /// A builder that adds routes to a router guarded with `state`, or only
    /// records the table when `state` is `None`.
    pub(crate) fn new(state: Option<AppState>) -> Self {
        Self {
            state,
            router: Router::new(),
            table: Vec::new(),
        }
    }

    /// Adds `GET path` (and `HEAD`) with this access class.
    pub fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::GET, path, access, get(handler))
    }

    /// Adds `POST path` with this access class.
    pub fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, access, post(handler))
    }

    /// Adds `PUT path` with this access class.
    pub fn put<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::PUT, path, access, put(handler))
    }

    /// Adds `DELETE path` with this access class.
    pub fn delete<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::DELETE, path, access, delete(handler))
    }

    /// The router and the table.
    pub(crate) fn finish(self) -> (Router<AppState>, Vec<RouteInfo>) {
        (self.router, self.table)
    }

    fn add(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        route: MethodRouter<AppState>,
    ) -> Self {
        self.table.push(RouteInfo {
            method,
            path,
            access,
        });
        if let Some(state) = &self.state {
            let guarded = route.route_layer(from_fn_with_state((state.clone(), access), guard));
            self.router = self.router.route(path, guarded);
        }
        self
    }
}

/// Paths and methods of the route table, for [`deny_unclassified`].
#[derive(Debug, Default)]
pub(crate) struct ClassTable {
    methods: HashMap<&'static str, Vec<Method>>,
}

impl ClassTable {
    /// Indexes a route table.
    pub(crate) fn new(table: &[RouteInfo]) -> Self {
        let mut methods: HashMap<&'static str, Vec<Method>> = HashMap::new();
        for route in table {
            methods
                .entry(route.path)
                .or_default()
                .push(route.method.clone());
        }
        Self { methods }
    }
}

/// Middleware (over the whole router): a matched route that the table does not
/// know is refused — 405 if only the method is unknown, else 403 — and logged.
pub(crate) async fn deny_unclassified(
    State(table): State<Arc<ClassTable>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(path) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
    else {
        return next.run(request).await; // the fallback: 404
    };
    let method = if request.method() == Method::HEAD {
        Method::GET
    } else {
        request.method().clone()
    };
    match table.methods.get(path.as_str()) {
        Some(methods) if methods.contains(&method) => next.run(request).await,
        Some(_) => ApiError::new(
            ErrorCode::MethodNotAllowed,
            "this address does not accept that method",
        )
        .into_response(),
        None => {
            tracing::error!(route = %path, "route has no access class; denied");
            ApiError::forbidden("this route has no access class and is denied").into_response()
        }
    }
}

/// The per-route guard installed by [`Routes`].
async fn guard(
    State((state, access)): State<(AppState, Access)>,
    request: Request,
    next: Next,
) -> Response {
    let min = match access {
        Access::Public | Access::Capability => return next.run(request).await,
        Access::Metrics if state.config.metrics_public => return next.run(request).await,
        Access::Metrics => Role::Viewer,
        Access::Role(min) => min,
    };
    match admit(&state, min, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

/// Authenticates, checks the role and the CSRF token, and attaches the actor.
async fn admit(state: &AppState, min: Role, request: Request) -> Result<Request, ApiError> {
    let actor = check_role(authenticate(state, request.headers()).await?, min)?;
    let mut request =
        csrf::check_session_request(request, &actor, state.config.max_body_bytes).await?;
    request.extensions_mut().insert(actor);
    Ok(request)
}
