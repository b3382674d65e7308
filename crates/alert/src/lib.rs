//! Alerting: turning monitor results into incidents and getting a human to
//! look at them. The crate will hold incidents, flap damping, anomaly rules,
//! on-call, routing and notifiers; so far it holds on-call ([`oncall`]):
//! who is on call when, from a catalog [`Schedule`], and the same timeline
//! as an iCalendar feed; and flap damping ([`flap`]): weighted detection
//! of a monitor that keeps changing state, so it pages once; and anomaly
//! detection ([`anomaly`]): a latency or error rate out of the band learned
//! from its own hour-of-week history.
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
