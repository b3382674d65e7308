//! The scheduler: when each monitor runs, and what its results mean.
//!
//! - [`spec`]: a catalog monitor as the scheduler sees it ([`MonitorSpec`]).
//! - [`plan`]: the pure timer heap ([`Plan`]): even spread, no drift,
//!   missed slots skipped, heartbeat deadlines, reload diffs.
//! - [`state`]: the up/down state machine with confirm / recover counts and
//!   the quorum across locations; emits [`StateChange`].
//! - [`limits`]: admission of due checks (per-host and total caps).
//! - [`health`]: the probe location's self-check.
//! - [`driver`]: the async service that runs it all on tokio.
//!
//! Everything but the driver is synchronous and does no IO, so it is tested
//! with a simulated clock; the driver only glues it to tasks and channels.
//! Time comes from the injected clock; nothing here reads the wall clock.

pub mod driver;
pub mod health;
pub mod heartbeat;
pub mod limits;
pub mod plan;
pub mod spec;
pub mod state;

pub use driver::{
    CheckFuture, Checker, Heartbeats, ProbeConfig, ProbeEvent, ProbeHandle, ScheduleLag,
    start_probe_service,
};
pub use health::{HealthDetector, HealthPolicy, LocationHealthChange};
pub use heartbeat::{HeartbeatError, Ping};
pub use limits::{Admission, SkipReason, Ticket};
pub use plan::{Due, DueKind, Plan, PlanDiff};
pub use spec::{HeartbeatWindow, MonitorKey, MonitorSpec, specs_for_location};
pub use state::{MonitorState, MonitorTracker, StateBook, StateChange};
