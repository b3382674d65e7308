//! Integration tests of the web layer: each test starts a real server with
//! `launch` on 127.0.0.1:0 over a fresh SQLite store and talks to it with
//! reqwest, as a browser or an API client would.

mod access;
mod api;
mod common;
mod incidents;
mod login;
mod monitors;
mod oncall;
mod ops;
mod readiness;
mod settings;
mod setup;
mod silences;
mod status_admin;
mod status_public;
mod status_subscribe;
mod status_webhooks;
