//! Monitors: the checkers that probe an endpoint once, and the scheduler
//! that runs every monitor of the catalog on time.
//!
//! - [`check`]: one module per probe kind (HTTP, TCP, DNS, TLS with SMTP
//!   STARTTLS, datastores: PostgreSQL, MySQL, Redis); each turns a
//!   monitor's settings into one [`result::CheckResult`], bounded by the
//!   monitor's timeout, never panicking on any response.
//! - [`schedule`]: when each monitor runs (spread, no drift, per-host caps),
//!   and the up/down state machine (confirm / recover counts).
//!
//! This crate does network IO to the monitored targets only; it does not
//! speak SQL (results go to the store through the binary's wiring) and reads
//! time only through the injected clock.

pub mod check;
pub mod result;
pub mod schedule;
