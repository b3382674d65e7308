//! One module per command of the binary (except `demo`, which has its own
//! module for its sample upstreams).

pub mod alert;
pub mod attest;
pub mod check;
pub mod heartbeat;
pub mod serve;
pub mod status;
pub mod token;
pub mod user;
pub mod validate;

use shipshape_catalog::Catalog;
use shipshape_clock::{Clock, SystemClock, Timestamp};
use shipshape_store::{AuditEntry, Store};

/// The base URL people use to reach this server: `server.public_url`, else
/// derived from the listen address.
pub fn base_url(catalog: &Catalog) -> String {
    if let Some(url) = &catalog.server.public_url {
        return url.as_str().trim_end_matches('/').to_owned();
    }
    let listen = catalog.server.listen.unwrap_or(serve::DEFAULT_LISTEN);
    format!("http://{listen}")
}

/// The current time, read through the clock abstraction like everywhere else.
pub fn now() -> Timestamp {
    SystemClock.now()
}

/// Records an action taken from the command line in the audit log.
pub async fn audit_cli(
    store: &Store,
    action: &str,
    target: &str,
    detail: &str,
) -> anyhow::Result<()> {
    store
        .append_audit(&AuditEntry {
            at: now(),
            actor: "cli".into(),
            action: action.into(),
            target: target.into(),
            detail: detail.into(),
            source: "cli".into(),
        })
        .await?;
    Ok(())
}
