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

mod audit;
mod lifecycle;
mod sessions;
mod setup;
mod tokens;
mod users;

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
