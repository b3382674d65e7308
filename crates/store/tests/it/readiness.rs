//! Readiness records: attestations (recording, listing oldest first,
//! revoking per service, the rules the store enforces) and review runs
//! (latest with its report, history oldest first within a window and a
//! limit, pruning that keeps each service's latest).

use jiff::civil::{Date, date};
use shipshape_store::testing::TestDb;
use shipshape_store::{NewAttestation, NewReadinessRun, StoreError};

use crate::{DAY, HOUR, T0, t};

both_backends!(
    attestations_are_recorded_listed_and_revoked,
    invalid_attestations_are_refused,
    runs_keep_the_latest_report_and_a_history,
    pruning_keeps_each_services_latest_run,
);

fn attestation(service: &str, item: &str, on: Date) -> NewAttestation {
    NewAttestation {
        service: service.to_owned(),
        item: item.to_owned(),
        attested_by: "Ada Lovelace".to_owned(),
        attested_on: on,
        link: None,
        expires_on: None,
        note: None,
        recorded_by: "ada@example.org".to_owned(),
        recorded_at: t(T0),
    }
}

fn run(service: &str, at: i64, satisfied: i64) -> NewReadinessRun {
    NewReadinessRun {
        service: service.to_owned(),
        ran_at: t(at),
        mode: "full".to_owned(),
        satisfied,
        applicable: 10,
        blocking: 10 - satisfied,
        fail: 1,
        unknown: 2,
        scores: format!(r#"[{{"practice":"backups","satisfied":{satisfied},"applicable":10}}]"#),
        report: format!(r#"{{"service":"{service}","at":{at}}}"#),
    }
}

async fn attestations_are_recorded_listed_and_revoked(db: &TestDb) {
    let store = db.open().await;
    assert!(store.attestations("api").await.unwrap().is_empty());
    let first = store
        .record_attestation(&NewAttestation {
            link: Some("https://tickets.example.org/OPS-1".into()),
            expires_on: Some(date(2025, 7, 1)),
            note: Some("restore drill <b>passed</b>".into()),
            ..attestation("api", "backups.restore-tested", date(2025, 1, 1))
        })
        .await
        .unwrap();
    let second = store
        .record_attestation(&attestation("api", "support.runbook", date(2025, 1, 2)))
        .await
        .unwrap();
    let other = store
        .record_attestation(&attestation("web", "support.runbook", date(2025, 1, 2)))
        .await
        .unwrap();
    assert!(second > first && other > second);

    let listed = store.attestations("api").await.unwrap();
    assert_eq!(
        listed.iter().map(|a| a.id).collect::<Vec<_>>(),
        [first, second]
    );
    let a = &listed[0];
    assert_eq!(a.service, "api");
    assert_eq!(a.item, "backups.restore-tested");
    assert_eq!(a.attested_by, "Ada Lovelace");
    assert_eq!(a.attested_on, date(2025, 1, 1));
    assert_eq!(a.link.as_deref(), Some("https://tickets.example.org/OPS-1"));
    assert_eq!(a.expires_on, Some(date(2025, 7, 1)));
    assert_eq!(a.note.as_deref(), Some("restore drill <b>passed</b>"));
    assert_eq!(a.recorded_by, "ada@example.org");
    assert_eq!(a.recorded_at, t(T0));
    assert_eq!((a.revoked_at, a.revoked_by.as_deref()), (None, None));
    assert_eq!(listed[1].link, None);
    assert_eq!(listed[1].expires_on, None);

    // Revoking is per service, once.
    assert!(
        !store
            .revoke_attestation("web", first, "bob", t(T0 + HOUR))
            .await
            .unwrap()
    );
    assert!(
        store
            .revoke_attestation("api", first, "bob", t(T0 + HOUR))
            .await
            .unwrap()
    );
    assert!(
        !store
            .revoke_attestation("api", first, "bob", t(T0 + 2 * HOUR))
            .await
            .unwrap()
    );
    assert!(
        !store
            .revoke_attestation("api", 9_999, "bob", t(T0))
            .await
            .unwrap()
    );
    let revoked = store.attestation(first).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(t(T0 + HOUR)));
    assert_eq!(revoked.revoked_by.as_deref(), Some("bob"));
    assert_eq!(
        store
            .attestations("api")
            .await
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect::<Vec<_>>(),
        [second]
    );
    assert_eq!(store.attestations("web").await.unwrap().len(), 1);
    assert!(store.attestation(9_999).await.unwrap().is_none());
}

async fn invalid_attestations_are_refused(db: &TestDb) {
    let store = db.open().await;
    let on = date(2025, 3, 1);
    for bad in [
        attestation("", "support.runbook", on),
        attestation("api", " ", on),
        NewAttestation {
            attested_by: String::new(),
            ..attestation("api", "support.runbook", on)
        },
        NewAttestation {
            expires_on: Some(on),
            ..attestation("api", "support.runbook", on)
        },
        NewAttestation {
            expires_on: Some(date(2025, 2, 1)),
            ..attestation("api", "support.runbook", on)
        },
        NewAttestation {
            note: Some("x".repeat(20_000)),
            ..attestation("api", "support.runbook", on)
        },
    ] {
        let error = store.record_attestation(&bad).await.expect_err("refused");
        assert!(
            matches!(error, StoreError::InvalidInput(_)),
            "{bad:?}: {error:?}"
        );
    }
    assert!(store.attestations("api").await.unwrap().is_empty());
}

async fn runs_keep_the_latest_report_and_a_history(db: &TestDb) {
    let store = db.open().await;
    assert!(store.latest_readiness_run("api").await.unwrap().is_none());
    let mut ids = Vec::new();
    for (at, satisfied) in [(T0, 3), (T0 + DAY, 5), (T0 + 2 * DAY, 8)] {
        ids.push(
            store
                .record_readiness_run(&run("api", at, satisfied))
                .await
                .unwrap(),
        );
    }
    // Recorded out of order: still the latest by when it ran.
    store
        .record_readiness_run(&run("api", T0 - DAY, 1))
        .await
        .unwrap();
    store
        .record_readiness_run(&run("web", T0 + 5 * DAY, 9))
        .await
        .unwrap();

    let last = store.last_readiness_runs().await.unwrap();
    assert_eq!(
        last.into_iter().collect::<Vec<_>>(),
        [
            ("api".to_owned(), t(T0 + 2 * DAY)),
            ("web".to_owned(), t(T0 + 5 * DAY))
        ]
    );
    let latest = store.latest_readiness_run("api").await.unwrap().unwrap();
    assert_eq!(latest.summary.id, ids[2]);
    assert_eq!(latest.summary.service, "api");
    assert_eq!(latest.summary.ran_at, t(T0 + 2 * DAY));
    assert_eq!(latest.summary.mode, "full");
    assert_eq!(
        (
            latest.summary.satisfied,
            latest.summary.applicable,
            latest.summary.blocking,
            latest.summary.fail,
            latest.summary.unknown
        ),
        (8, 10, 2, 1, 2)
    );
    assert_eq!(
        latest.summary.scores,
        r#"[{"practice":"backups","satisfied":8,"applicable":10}]"#
    );
    assert_eq!(
        latest.report,
        format!(r#"{{"service":"api","at":{}}}"#, T0 + 2 * DAY)
    );

    let history = store.readiness_history("api", t(T0), 100).await.unwrap();
    assert_eq!(
        history.iter().map(|r| r.satisfied).collect::<Vec<_>>(),
        [3, 5, 8],
        "oldest first, from `since` on"
    );
    let limited = store.readiness_history("api", t(0), 2).await.unwrap();
    assert_eq!(
        limited.iter().map(|r| r.satisfied).collect::<Vec<_>>(),
        [5, 8],
        "the latest `limit`, oldest first"
    );
    assert!(
        store
            .readiness_history("nope", t(0), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let error = store
        .record_readiness_run(&NewReadinessRun {
            fail: -1,
            ..run("api", T0, 1)
        })
        .await
        .expect_err("refused");
    assert!(matches!(error, StoreError::InvalidInput(_)), "{error:?}");
    let error = store
        .record_readiness_run(&run(" ", T0, 1))
        .await
        .expect_err("refused");
    assert!(matches!(error, StoreError::InvalidInput(_)), "{error:?}");
}

async fn pruning_keeps_each_services_latest_run(db: &TestDb) {
    let store = db.open().await;
    for at in [T0, T0 + DAY, T0 + 10 * DAY] {
        store
            .record_readiness_run(&run("api", at, 1))
            .await
            .unwrap();
    }
    store
        .record_readiness_run(&run("old", T0, 1))
        .await
        .unwrap();
    store
        .record_readiness_run(&run("old", T0 + HOUR, 2))
        .await
        .unwrap();

    let deleted = store.prune_readiness_runs(t(T0 + 5 * DAY)).await.unwrap();
    assert_eq!(deleted, 3, "two old `api` runs and the older `old` one");
    let api = store.readiness_history("api", t(0), 100).await.unwrap();
    assert_eq!(
        api.iter().map(|r| r.ran_at).collect::<Vec<_>>(),
        [t(T0 + 10 * DAY)]
    );
    let old = store.latest_readiness_run("old").await.unwrap().unwrap();
    assert_eq!(
        old.summary.ran_at,
        t(T0 + HOUR),
        "a service's latest run is kept"
    );
    assert_eq!(
        store.prune_readiness_runs(t(T0 + 5 * DAY)).await.unwrap(),
        0
    );
}
