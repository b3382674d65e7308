//! Silences: create (one-off and recurring), read back, the current ones
//! the paging engine reads, the history, expiring early, pruning, and the
//! rules the store enforces.

use shipshape_store::testing::TestDb;
use shipshape_store::{NewSilence, SilenceWindow, StoreError};

use crate::{HOUR, T0, t};

both_backends!(
    silences_round_trip_and_list,
    expiring_a_silence_ends_it_once,
    pruning_drops_what_is_over_before_the_cutoff,
    invalid_silences_are_refused,
);

fn once(matchers: &str, starts: i64, ends: i64, created: i64) -> NewSilence {
    NewSilence {
        matchers: matchers.to_owned(),
        window: SilenceWindow::Once {
            starts: t(starts),
            ends: t(ends),
        },
        comment: format!("maintenance of {matchers}"),
        created_by: "ada@example.org".to_owned(),
        created_at: t(created),
    }
}

fn recurring(matchers: &str, text: &str, created: i64) -> NewSilence {
    NewSilence {
        matchers: matchers.to_owned(),
        window: SilenceWindow::Recurring(text.to_owned()),
        comment: "weekly backups".to_owned(),
        created_by: "token:ci".to_owned(),
        created_at: t(created),
    }
}

async fn silences_round_trip_and_list(db: &TestDb) {
    let store = db.open().await;
    let past = store
        .create_silence(&once(r#"{service="old"}"#, T0, T0 + HOUR, T0))
        .await
        .unwrap();
    let active = store
        .create_silence(&once(
            r#"{service="benefits-api", severity=~"warning|info"}"#,
            T0 + 2 * HOUR,
            T0 + 4 * HOUR,
            T0 + HOUR,
        ))
        .await
        .unwrap();
    let weekly = store
        .create_silence(&recurring(
            r#"{job="backup"}"#,
            "Sun 02:00-04:00 America/New_York",
            T0 + HOUR,
        ))
        .await
        .unwrap();
    let upcoming = store
        .create_silence(&once(
            r#"{env="staging"}"#,
            T0 + 10 * HOUR,
            T0 + 12 * HOUR,
            T0 + HOUR,
        ))
        .await
        .unwrap();
    assert!(past < active && active < weekly && weekly < upcoming);

    let read = store.silence(active).await.unwrap().expect("stored");
    assert_eq!(read.id, active);
    assert_eq!(
        read.matchers,
        r#"{service="benefits-api", severity=~"warning|info"}"#
    );
    assert_eq!(
        read.window,
        SilenceWindow::Once {
            starts: t(T0 + 2 * HOUR),
            ends: t(T0 + 4 * HOUR),
        }
    );
    assert_eq!(read.created_by, "ada@example.org");
    assert_eq!(read.created_at, t(T0 + HOUR));
    assert_eq!(read.expired_at, None);
    let weekly_read = store.silence(weekly).await.unwrap().expect("stored");
    assert_eq!(
        weekly_read.window,
        SilenceWindow::Recurring("Sun 02:00-04:00 America/New_York".into())
    );
    assert_eq!(weekly_read.comment, "weekly backups");
    assert_eq!(store.silence(9_999).await.unwrap(), None);

    // Current at T0+3h: the past one is over; upcoming ones count.
    let ids = |list: Vec<shipshape_store::SilenceRecord>| -> Vec<i64> {
        list.into_iter().map(|s| s.id).collect()
    };
    let now = t(T0 + 3 * HOUR);
    assert_eq!(
        ids(store.silences(now).await.unwrap()),
        vec![active, weekly, upcoming],
        "oldest first, without the ended one"
    );
    // Exactly at the end, a one-off silence is over.
    assert_eq!(
        ids(store.silences(t(T0 + 4 * HOUR)).await.unwrap()),
        vec![weekly, upcoming]
    );
    // Recurring ones stand for ever.
    assert_eq!(
        ids(store.silences(t(T0 + 1000 * HOUR)).await.unwrap()),
        vec![weekly]
    );
    assert!(
        !store
            .silence(past)
            .await
            .unwrap()
            .unwrap()
            .is_over_at(t(T0))
    );
    assert!(store.silence(past).await.unwrap().unwrap().is_over_at(now));

    // History: newest first, everything, limited.
    assert_eq!(
        ids(store.all_silences(10).await.unwrap()),
        vec![upcoming, weekly, active, past]
    );
    assert_eq!(
        ids(store.all_silences(2).await.unwrap()),
        vec![upcoming, weekly]
    );
}

async fn expiring_a_silence_ends_it_once(db: &TestDb) {
    let store = db.open().await;
    let one_off = store
        .create_silence(&once(r#"{service="api"}"#, T0, T0 + 4 * HOUR, T0))
        .await
        .unwrap();
    let weekly = store
        .create_silence(&recurring(r#"{job="backup"}"#, "daily 02:00-04:00 UTC", T0))
        .await
        .unwrap();
    let ended = store
        .create_silence(&once(r#"{service="web"}"#, T0, T0 + HOUR, T0))
        .await
        .unwrap();
    let now = t(T0 + 2 * HOUR);

    assert!(store.expire_silence(one_off, now).await.unwrap());
    assert!(
        !store
            .expire_silence(one_off, t(T0 + 3 * HOUR))
            .await
            .unwrap(),
        "already expired"
    );
    let expired = store.silence(one_off).await.unwrap().unwrap();
    assert_eq!(expired.expired_at, Some(now), "the first expiry stands");
    assert!(expired.is_over_at(now));
    assert!(
        !store.expire_silence(ended, now).await.unwrap(),
        "already ended"
    );
    assert_eq!(
        store.silence(ended).await.unwrap().unwrap().expired_at,
        None
    );
    assert!(!store.expire_silence(9_999, now).await.unwrap(), "missing");

    assert!(store.expire_silence(weekly, now).await.unwrap());
    assert!(store.silences(now).await.unwrap().is_empty());
    // Before the expiry, it still stood.
    let before: Vec<i64> = store
        .silences(t(T0 + HOUR / 2))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(before, vec![one_off, weekly, ended]);
    assert_eq!(store.all_silences(10).await.unwrap().len(), 3);
}

async fn pruning_drops_what_is_over_before_the_cutoff(db: &TestDb) {
    let store = db.open().await;
    let ended_long_ago = store
        .create_silence(&once(r#"{a="1"}"#, T0, T0 + HOUR, T0))
        .await
        .unwrap();
    let ended_recently = store
        .create_silence(&once(r#"{a="2"}"#, T0, T0 + 10 * HOUR, T0))
        .await
        .unwrap();
    let expired_long_ago = store
        .create_silence(&recurring(r#"{a="3"}"#, "weekends 00:00-24:00 UTC", T0))
        .await
        .unwrap();
    let expired_recently = store
        .create_silence(&recurring(r#"{a="4"}"#, "Mon-Fri 22:00-06:00 UTC", T0))
        .await
        .unwrap();
    let standing = store
        .create_silence(&recurring(r#"{a="5"}"#, "Sundays 02:00-04:00 UTC", T0))
        .await
        .unwrap();
    let future = store
        .create_silence(&once(r#"{a="6"}"#, T0 + 20 * HOUR, T0 + 30 * HOUR, T0))
        .await
        .unwrap();
    assert!(
        store
            .expire_silence(expired_long_ago, t(T0 + HOUR))
            .await
            .unwrap()
    );
    assert!(
        store
            .expire_silence(expired_recently, t(T0 + 9 * HOUR))
            .await
            .unwrap()
    );

    assert_eq!(store.prune_silences(t(T0 + 5 * HOUR)).await.unwrap(), 2);
    let left: Vec<i64> = store
        .all_silences(100)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(
        left,
        vec![future, standing, expired_recently, ended_recently]
    );
    assert!(store.silence(ended_long_ago).await.unwrap().is_none());
    assert_eq!(store.prune_silences(t(T0 + 5 * HOUR)).await.unwrap(), 0);
}

async fn invalid_silences_are_refused(db: &TestDb) {
    let store = db.open().await;
    for bad in [
        once(r#"{a="1"}"#, T0 + HOUR, T0 + HOUR, T0),
        once(r#"{a="1"}"#, T0 + HOUR, T0, T0),
        once("  ", T0, T0 + HOUR, T0),
        recurring(r#"{a="1"}"#, " ", T0),
    ] {
        match store.create_silence(&bad).await {
            Err(StoreError::InvalidInput(_)) => {}
            other => panic!("{bad:?}: expected InvalidInput, got {other:?}"),
        }
    }
    assert!(store.all_silences(10).await.unwrap().is_empty());

    // The table itself insists on exactly one kind of window.
    let mut conn = db.raw_connection().await;
    for (starts, ends, recurrence) in [
        (Some(T0), Some(T0 + HOUR), Some("daily 02:00-04:00 UTC")),
        (None, None, None),
        (Some(T0), None, None),
        (None, Some(T0), Some("daily 02:00-04:00 UTC")),
        (Some(T0 + HOUR), Some(T0), None),
    ] {
        let refused = sqlx::query(
            "INSERT INTO silences (matchers, starts_at_ms, ends_at_ms, recurrence, comment, \
             created_by, created_at_ms) VALUES ('{a=\"1\"}', $1, $2, $3, 'c', 'x', 0)",
        )
        .bind(starts)
        .bind(ends)
        .bind(recurrence)
        .execute(&mut conn)
        .await;
        assert!(
            refused.is_err(),
            "{starts:?} {ends:?} {recurrence:?} should be refused"
        );
    }
}
