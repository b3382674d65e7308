//! Appending to the audit log from handlers: who did what to what, from
//! where. Never pass a secret as `detail`.

use shipshape_store::AuditEntry;

use crate::client::ClientInfo;
use crate::state::AppState;

/// Appends an audit entry stamped with the clock and the client address. The
/// action has already happened, so a store failure is logged, not returned.
pub(crate) async fn record(
    state: &AppState,
    client: &ClientInfo,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) {
    let entry = AuditEntry {
        at: state.now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        target: target.to_owned(),
        detail: detail.to_owned(),
        source: client.source(),
    };
    if let Err(error) = state.store.append_audit(&entry).await {
        tracing::error!(%error, action, target, "could not append to the audit log");
    }
}
