//! Shipshape's HTTP face: the JSON API under `/api/v1`, the server-rendered
//! admin UI, authentication (sessions, API tokens, one-time set-up links) and
//! the public health, readiness and metrics routes.
//!
//! How it runs: the binary builds an [`AppState`] and calls [`launch`], which
//! serves [`app`] on a listener it is handed (plain HTTP or rustls) until a
//! shutdown future resolves. Every route is registered with an access class
//! through one builder ([`access::Routes`]); a route without one is denied.
//! [`route_table`] lists them all, so tests can walk every route.
//!
//! What it must never do: read the wall clock (it asks the injected clock),
//! speak SQL (it calls the store), or log a secret (tokens, passwords,
//! cookies). Only this crate knows axum.

pub mod access;
mod audit;
pub mod auth;
mod client;
mod config;
mod cookies;
mod csrf;
pub mod error;
mod extract;
mod metrics;
mod pages;
mod routes;
mod server;
mod state;
pub mod status_snapshot;

pub use access::{Access, RouteInfo, Routes};
pub use auth::Actor;
pub use config::{SecureCookies, WebConfig};
pub use error::ApiError;
pub use metrics::{Metrics, MonitorMetrics};
pub use routes::{app, route_table};
pub use server::{TlsFiles, launch};
pub use state::{AppState, BuildInfo};
