//! The writer batches concurrent writes into shared transactions, and a
//! failing write rolls back only itself.

use std::sync::Arc;

use tidings_engine::{App, AppId, AppKind, AppName, AppSecret, Pages, Timestamp};
use tidings_store::{Store, StoreError};
use tidings_store_sqlite::SqliteStore;

fn app() -> App {
    App {
        appid: AppId::generate(),
        name: AppName::parse("批量").unwrap(),
        kind: AppKind::Miniprogram,
        pages: Pages::default(),
        secret_hash: AppSecret::generate().hash(),
        created_at: Timestamp::from_millis(0),
        updated_at: Timestamp::from_millis(0),
        disabled_at: None,
        daily_send_limit: None,
        banned_until: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_share_commits_and_fail_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("t.db")).unwrap());
    let dup = app();
    store.insert_app(&dup).await.unwrap();
    let before = store.commits();

    let writes = 400;
    let tasks: Vec<_> = (0..writes)
        .map(|i| {
            let store = store.clone();
            // Every tenth write repeats an existing appid and must fail.
            let a = if i % 10 == 0 { dup.clone() } else { app() };
            tokio::spawn(async move { (a.appid.clone(), store.insert_app(&a).await) })
        })
        .collect();
    let mut ok = Vec::new();
    let mut conflicts = 0;
    for t in tasks {
        match t.await.unwrap() {
            (id, Ok(())) => ok.push(id),
            (_, Err(StoreError::Conflict(_))) => conflicts += 1,
            (_, Err(e)) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(conflicts, writes / 10);
    assert_eq!(ok.len(), writes - writes / 10);
    for id in &ok {
        assert!(
            store.get_app(id).await.unwrap().is_some(),
            "{id} was answered ok, so it is stored"
        );
    }
    let commits = store.commits() - before;
    assert!(
        commits < writes as u64,
        "{writes} concurrent writes took {commits} commits: no batching"
    );
}
