//! Shipshape's paging engine: the IO half of alerting.
//!
//! `shipshape-alert` decides (pure); this crate runs those decisions
//! against the store and delivers what they produce:
//!
//! - [`Pager::decide`] is one pass: read the active alert signals and the
//!   open incidents, apply what `reconcile` says (open, join, clear,
//!   flapping, suppress, resolve), then run every escalation step that is
//!   due, putting its notifications into the outbox (`decide.rs`).
//! - [`Pager::deliver`] claims due outbox messages and sends them through
//!   `shipshape-notify`, recording each outcome on the incident's
//!   timeline; retries back off; one slow receiver never holds up another
//!   (`deliver.rs`).
//! - [`acknowledge`] and [`resolve`] are what people do to an incident;
//!   both tell everyone already paged (`notices.rs`).
//! - [`subscriptions`] tells the public status page's email subscribers
//!   about public incidents and maintenance (double opt-in, signed
//!   confirm and one-click unsubscribe links).
//! - [`Pager::spawn`] runs both loops: due escalation steps and outbox
//!   messages every second, a full pass whenever [`Pager::waker`] is poked
//!   (new signals, an acknowledgement, a silence) and every ten seconds
//!   otherwise, so a confirmed failure is handed to the sender within
//!   milliseconds and a pass over thousands of open incidents does not run
//!   every second.
//!
//! Invariant: nothing is sent that was not first stored in the outbox under
//! an idempotency key derived from the decision that produced it; a crash
//! at any point repeats at most the sends not yet recorded as delivered,
//! with the same key.

mod convert;
mod decide;
mod deliver;
mod notices;
pub mod status_snapshot;
pub mod subscriptions;

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use shipshape_alert::engine::AlertSignal;
use shipshape_catalog::Catalog;
use shipshape_clock::SharedClock;
use shipshape_notify::{Sender, SenderOptions, SmtpSettings, SmtpTls};
use shipshape_store::{NewTimelineEntry, Store, StoreError};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use convert::{from_record, incoming_signal, to_record};
pub use decide::PassReport;
pub use notices::{TestPageError, acknowledge, resolve, test_page};

/// Errors of the paging engine.
#[derive(Debug, thiserror::Error)]
pub enum PagerError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The sender could not be set up (e.g. a bad `[smtp]`).
    #[error("cannot set up notifications: {0}")]
    Sender(String),
}

/// Result alias of this crate.
pub type Result<T, E = PagerError> = std::result::Result<T, E>;

/// The name of the server key signing acknowledge links.
pub const ACK_KEY: &str = "ack-links";

/// How often both loops run when nothing wakes them (due escalation steps
/// and outbox messages are looked for this often).
const TICK: Duration = Duration::from_secs(1);
/// How often a full pass runs when nothing wakes the engine: it reads
/// every open incident, so with thousands open it is not run every tick;
/// holds and silence windows are decided this late at most.
const FULL_PASS_EVERY: Duration = Duration::from_secs(10);
/// The lease that makes one instance the decider when several share a
/// store: incident changes and escalation steps are decided by its holder
/// only (delivery is shared: outbox messages are claimed one by one).
pub const DECIDE_LEASE: &str = "pager.decide";
/// How long the decider's lease lasts without renewal; the decider renews
/// it every pass (at least every [`TICK`]), so another instance takes over
/// at most this long after the decider dies.
pub const DECIDE_LEASE_TTL: Duration = Duration::from_secs(10);

/// The paging engine (see the crate doc).
pub struct Pager {
    store: Store,
    clock: SharedClock,
    catalog: watch::Receiver<Arc<Catalog>>,
    courier: deliver::Courier,
    wake: Arc<Notify>,
}

impl Pager {
    /// Sets up the engine: the sender from the catalog's `[smtp]`, the
    /// acknowledge-link key from the store. `base_url` is where people
    /// reach this server (links in notifications), e.g. the catalog's
    /// `public_url`.
    pub async fn new(
        store: Store,
        clock: SharedClock,
        catalog: watch::Receiver<Arc<Catalog>>,
        base_url: Option<String>,
    ) -> Result<Pager> {
        let sender = sender_for(&catalog.borrow())?;
        let smtp = catalog.borrow().smtp.clone();
        let ack_key = store.server_key(ACK_KEY).await?;
        let subscription_key = store.server_key(subscriptions::KEY_NAME).await?;
        Ok(Pager {
            courier: deliver::Courier {
                store: store.clone(),
                sender: Arc::new(std::sync::Mutex::new((smtp, Arc::new(sender)))),
                ack_key: Arc::new(ack_key),
                subscription_key: Arc::new(subscription_key),
                base_url,
                clock: clock.clone(),
                claimer: None,
            },
            store,
            clock,
            catalog,
            wake: Arc::new(Notify::new()),
        })
    }

    /// Runs as one of several instances sharing the store, `id` being this
    /// one's (unique among them, with a heartbeat in `cluster_instances`):
    /// decides only while it holds [`DECIDE_LEASE`], the others standing by
    /// to take over when it lapses; and takes over the outbox messages an
    /// instance claimed but did not send once that instance's heartbeat is
    /// older than `member_ttl`, instead of after the claim's lease.
    pub fn with_instance(mut self, id: impl Into<String>, member_ttl: Duration) -> Self {
        self.courier.claimer = Some((id.into(), member_ttl));
        self
    }

    /// Whether this instance may decide now: always without a lease; with
    /// one, when it holds (or just took or renewed) it. A store that does
    /// not answer means no: an instance that cannot see the store decides
    /// nothing. The decision loop asks before every pass.
    pub async fn may_decide(&self) -> bool {
        // The instance that claims outbox messages is the one that decides.
        let Some((holder, _)) = &self.courier.claimer else {
            return true;
        };
        match self
            .store
            .try_lease(DECIDE_LEASE, holder, self.clock.now(), DECIDE_LEASE_TTL)
            .await
        {
            Ok(grant) => grant.is_some(),
            Err(error) => {
                tracing::warn!(%error, "cannot renew the decider lease; not deciding");
                false
            }
        }
    }

    /// Poke this after storing signals so the next pass runs at once.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// One full decision pass at the clock's now: reconcile, then the due
    /// escalation steps.
    pub async fn decide(&self) -> Result<PassReport> {
        let catalog = self.catalog.borrow().clone();
        decide::pass(&self.store, &catalog, self.clock.now(), true).await
    }

    /// Only the escalation steps that are due (cheap: one indexed query).
    pub async fn escalate(&self) -> Result<PassReport> {
        let catalog = self.catalog.borrow().clone();
        decide::pass(&self.store, &catalog, self.clock.now(), false).await
    }

    /// Delivers every due outbox message; returns how many were attempted.
    pub async fn deliver(&self) -> Result<usize> {
        let catalog = self.catalog.borrow().clone();
        self.courier.deliver_due(&catalog, self.clock.now()).await
    }

    /// Runs the decision and delivery loops until `shutdown` completes.
    pub fn spawn(self, shutdown: impl Future<Output = ()> + Send + 'static) -> JoinHandle<()> {
        let this = Arc::new(self);
        let delivered = Arc::new(Notify::new());
        let deliverer = {
            let this = this.clone();
            let delivered = delivered.clone();
            tokio::spawn(async move {
                loop {
                    match this.deliver().await {
                        Ok(n) if n > 0 => continue,
                        Ok(_) => {}
                        Err(error) => tracing::warn!(%error, "outbox delivery failed"),
                    }
                    tokio::select! {
                        () = delivered.notified() => {}
                        () = tokio::time::sleep(TICK) => {}
                    }
                }
            })
        };
        tokio::spawn(async move {
            let decider = async {
                let mut last_full = tokio::time::Instant::now() - FULL_PASS_EVERY;
                let mut woken = true;
                loop {
                    if !this.may_decide().await {
                        // Another instance decides; wake-ups are its
                        // business (it reads the same store).
                        woken = true;
                        tokio::select! {
                            () = this.wake.notified() => {}
                            () = tokio::time::sleep(TICK) => {}
                        }
                        continue;
                    }
                    let full = woken || last_full.elapsed() >= FULL_PASS_EVERY;
                    if full {
                        last_full = tokio::time::Instant::now();
                    }
                    let pass = if full {
                        this.decide().await
                    } else {
                        this.escalate().await
                    };
                    match pass {
                        Ok(report) => {
                            if report.enqueued > 0 {
                                delivered.notify_one();
                            }
                            if report.actions > 0 || report.steps > 0 {
                                tracing::debug!(?report, "alerting pass");
                            }
                        }
                        Err(error) => tracing::warn!(%error, "alerting pass failed"),
                    }
                    woken = tokio::select! {
                        () = this.wake.notified() => true,
                        () = tokio::time::sleep(TICK) => false,
                    };
                }
            };
            tokio::select! {
                () = decider => {}
                () = shutdown => {}
            }
            deliverer.abort();
        })
    }
}

/// Stores signals (from monitors or incoming alerts) for the next pass.
pub async fn record_signals(store: &Store, signals: &[AlertSignal], now: Timestamp) -> Result<()> {
    let records: Vec<_> = signals.iter().map(|s| to_record(s, now)).collect();
    store.upsert_alerts(&records).await?;
    Ok(())
}

/// The sender for the catalog's `[smtp]` (its `ca` file read now).
pub(crate) fn sender_for(catalog: &Catalog) -> Result<Sender> {
    let smtp = match &catalog.smtp {
        None => None,
        Some(smtp) => {
            let extra_root_pem = match &smtp.ca {
                Some(path) => Some(std::fs::read(path).map_err(|e| {
                    PagerError::Sender(format!("cannot read [smtp] ca `{}`: {e}", path.display()))
                })?),
                None => None,
            };
            Some(SmtpSettings {
                host: smtp.host.clone(),
                port: smtp.port,
                tls: match smtp.tls {
                    shipshape_catalog::SmtpTls::None => SmtpTls::None,
                    shipshape_catalog::SmtpTls::StartTls => SmtpTls::StartTls,
                    shipshape_catalog::SmtpTls::Tls => SmtpTls::Tls,
                },
                username: smtp
                    .username
                    .as_ref()
                    .and_then(|s| s.value())
                    .map(Into::into),
                password: smtp
                    .password
                    .as_ref()
                    .and_then(|s| s.value())
                    .map(Into::into),
                from: smtp.from.clone(),
                extra_root_pem,
            })
        }
    };
    Sender::new(SenderOptions {
        smtp,
        ..SenderOptions::default()
    })
    .map_err(|e| PagerError::Sender(e.to_string()))
}

/// A timeline entry.
pub(crate) fn entry(
    at: Timestamp,
    kind: &str,
    actor: Option<&str>,
    text: impl Into<String>,
) -> NewTimelineEntry {
    NewTimelineEntry {
        at,
        kind: kind.into(),
        actor: actor.map(Into::into),
        text: text.into(),
    }
}
