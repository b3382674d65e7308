//! The audit log: append, then page through newest first.

use shipshape_store::AuditEntry;
use shipshape_store::testing::TestDb;

use crate::t;

both_backends!(audit_pages_newest_first);

fn entry(i: i64) -> AuditEntry {
    AuditEntry {
        at: t(1_000 + i),
        actor: "admin@example.com".to_owned(),
        action: "token.create".to_owned(),
        target: format!("token:{i}"),
        detail: format!("detail {i}"),
        source: "192.0.2.1".to_owned(),
    }
}

async fn audit_pages_newest_first(db: &TestDb) {
    let store = db.open().await;
    assert!(store.list_audit(10, None).await.unwrap().is_empty());
    let mut appended = Vec::new();
    for i in 0..25 {
        let record = store.append_audit(&entry(i)).await.unwrap();
        assert_eq!(record.entry, entry(i));
        appended.push(record);
    }
    assert!(
        appended.windows(2).all(|w| w[0].id < w[1].id),
        "ids increase"
    );

    let mut paged = Vec::new();
    let mut before = None;
    loop {
        let page = store.list_audit(10, before).await.unwrap();
        assert!(page.len() <= 10);
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        paged.extend(page);
    }
    appended.reverse();
    assert_eq!(
        paged, appended,
        "pages join up to the whole log, newest first"
    );
    assert_eq!(store.list_audit(0, None).await.unwrap(), vec![]);
    store.close().await;
}
