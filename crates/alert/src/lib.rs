//! Alerting decisions: turning monitor results and incoming alerts into
//! incidents and getting a human to look at them. [`engine`] is the
//! incident engine (evaluator, reconcile, routing, escalation steps,
//! notices); [`flap`] and [`anomaly`] are its detectors; [`oncall`]
//! resolves schedules into shifts; [`ack`] signs acknowledge links;
//! [`incoming`] parses Alertmanager and generic events; [`silence`] holds
//! matchers and windows; [`backtest`] replays history through a monitor's
//! rules. The IO half (store, delivery) is `shipshape-pager`.
//!
//! What it must never do: IO of any kind (no store, no network, no files)
//! or read the wall clock. Every function takes the times it needs, so a
//! test can walk a year of rotations in microseconds; the binary and the
//! web server do the IO and ask a `Clock` for "now".
//!
//! [`Schedule`]: shipshape_catalog::Schedule

#![warn(missing_docs)]

pub mod ack;
pub mod anomaly;
pub mod backtest;
pub mod engine;
pub mod flap;
pub mod incoming;
pub mod oncall;
pub mod silence;
