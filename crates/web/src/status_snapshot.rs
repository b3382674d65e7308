//! The public status page's snapshot as the web server serves it: built by
//! `shipshape_pager::status_snapshot::build` behind a short cache, so a
//! burst of visitors costs one build every few seconds and the last good
//! page is served while the store does not answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::{SignedDuration, Timestamp};
use shipshape_catalog::Catalog;
use shipshape_pager::status_snapshot::build;
use shipshape_status::Snapshot;
use shipshape_store::{Store, StoreError};
use tokio::sync::Mutex;

/// How long a built snapshot is served before it is built again.
const FRESH_FOR: SignedDuration = SignedDuration::from_secs(5);

/// The last snapshot built, shared by the public routes: a burst of
/// visitors costs one build every few seconds, and while the store is
/// unreachable the last good page is still served.
#[derive(Debug, Default)]
pub struct SnapshotCache {
    last: Mutex<Option<Cached>>,
    generation: AtomicU64,
}

#[derive(Debug)]
struct Cached {
    built: Timestamp,
    generation: u64,
    snapshot: Arc<Snapshot>,
}

impl SnapshotCache {
    /// The snapshot at `now`: the cached one if fresh (and not invalidated),
    /// else a new one; if building fails, the last one with the error
    /// logged. `Ok(None)`: there is no status page.
    pub async fn get(
        &self,
        store: &Store,
        catalog: &Catalog,
        now: Timestamp,
    ) -> Result<Option<Arc<Snapshot>>, StoreError> {
        let mut last = self.last.lock().await;
        let generation = self.generation.load(Ordering::SeqCst);
        if let Some(cached) = last.as_ref()
            && cached.generation == generation
            && now >= cached.built
            && now.duration_since(cached.built) < FRESH_FOR
        {
            return Ok(Some(cached.snapshot.clone()));
        }
        match build(store, catalog, now).await {
            Ok(Some(snapshot)) => {
                let snapshot = Arc::new(snapshot);
                *last = Some(Cached {
                    built: now,
                    generation,
                    snapshot: snapshot.clone(),
                });
                Ok(Some(snapshot))
            }
            Ok(None) => {
                *last = None;
                Ok(None)
            }
            Err(error) => match last.as_mut() {
                Some(cached) => {
                    tracing::warn!(%error, "status page: serving the last snapshot; the store is not answering");
                    // Serve it as fresh for another window instead of
                    // making every visitor wait for a rebuild that times
                    // out (requests queue on this lock). The page carries
                    // its own generation time, so it does not pretend.
                    cached.built = now;
                    cached.generation = generation;
                    Ok(Some(cached.snapshot.clone()))
                }
                None => Err(error),
            },
        }
    }

    /// Marks the cached snapshot out of date, so the next request sees a
    /// change at once.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}
