//! Log set-up: `tracing` events to standard error, filtered by `RUST_LOG`
//! (default `info`). Secrets never reach here: secret values are a type that
//! prints `***`.
//!
//! Lines are written by a background thread (`tracing-appender`'s
//! non-blocking writer): a slow standard error (a pipe nobody drains, a
//! disk busy with writeback) must never stall the probe scheduler or a
//! request. When its buffer is full, lines are dropped rather than waited
//! for.

use std::io::IsTerminal;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Lines buffered for the writer thread before new ones are dropped.
const BUFFERED_LINES: usize = 100_000;

/// Installs the global subscriber. Keep the guard until the process ends:
/// dropping it flushes the lines still buffered.
pub fn init(format: LogFormat) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,hyper=warn"));
    let ansi = std::io::stderr().is_terminal();
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(BUFFERED_LINES)
        .thread_name("shipshape-log")
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    guard
}
