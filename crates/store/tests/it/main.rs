//! Integration tests of `shipshape-store`. Every test body in the modules
//! below runs against both backends: [`both_backends!`] generates a
//! `sqlite::<name>` test on a fresh temporary file and a `postgres::<name>`
//! test on a fresh schema of the server named by `SHIPSHAPE_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`).

use jiff::Timestamp;
use shipshape_store::{NewUser, Role};

/// Generates, for each named `async fn NAME(db: &TestDb)` of the calling
/// module, the tests `sqlite::NAME` and `postgres::NAME`.
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = shipshape_store::testing::temp_sqlite();
                    super::$name(&db).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = shipshape_store::testing::postgres_url_for_fresh_schema().await;
                    super::$name(&db).await;
                }
            )+
        }
    };
}

mod alerting;
mod audit;
mod cluster;
mod heartbeat_pings;
mod heartbeats;
mod lifecycle;
mod monitor_events;
mod monitoring;
mod monitoring_overview;
mod monitoring_packed;
mod monitoring_reads;
mod readiness;
mod sessions;
mod setup;
mod silences;
mod status;
mod status_webhooks;
mod subscribers;
mod tokens;
mod users;

/// One minute, hour and day in milliseconds, for seeding results.
const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// 2025-01-01T00:00:00Z: where seeded monitoring data starts.
const T0: i64 = 1_735_689_600_000;

/// Registers monitors `svc/m0` … `svc/m{n-1}`; their ids, in that order.
async fn monitors(store: &shipshape_store::Store, n: usize) -> Vec<shipshape_store::MonitorId> {
    let names: Vec<shipshape_store::MonitorName> = (0..n)
        .map(|i| shipshape_store::MonitorName {
            service: "svc".into(),
            monitor: format!("m{i}"),
        })
        .collect();
    let ids = store.register_monitors(&names, t(0)).await.unwrap();
    names.iter().map(|name| ids[name]).collect()
}

/// The instant `ms` milliseconds after the epoch.
fn t(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("test time in range")
}

/// A viewer with no password, created at `t(1_000)`.
fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.to_owned(),
        name: format!("Name of {email}"),
        role: Role::Viewer,
        password_hash: None,
        created_at: t(1_000),
    }
}

/// A small deterministic random source (SplitMix64), so generated data is
/// the same on every run.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}
