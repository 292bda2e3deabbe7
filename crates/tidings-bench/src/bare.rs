//! W0: the machine's HTTP limit — a bare axum server in Tidings' runtime
//! configuration, parsing a JSON POST and answering a small JSON body.
//! With a log file it is W0-durable: each body is appended to the file and
//! answered only once the file is synced, the appends group-committed by
//! one thread (what any durable answer costs, without a database). With a
//! SQLite file it is W0-sqlite: each body is inserted as one row of a table
//! with no index but its key, the inserts group-committed by one thread in
//! WAL mode with `synchronous = FULL` (what the leanest durable SQLite
//! insert costs, without anything Tidings does).

use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc;

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::oneshot;

type Append = (Bytes, oneshot::Sender<bool>);

/// Where the bare server keeps each body before it answers, if anywhere.
pub enum Keep {
    Nowhere,
    Log(PathBuf),
    Sqlite(PathBuf),
}

pub fn serve(port: u16, keep: Keep) -> anyhow::Result<()> {
    let appends = match keep {
        Keep::Nowhere => None,
        Keep::Log(path) => Some(start_log(path)?),
        Keep::Sqlite(path) => Some(start_sqlite(path)?),
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let app = Router::new().route("/send", post(send)).with_state(appends);
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            axum::serve(listener, app).await?;
            Ok(())
        })
}

async fn send(State(log): State<Option<mpsc::Sender<Append>>>, body: Bytes) -> Json<Value> {
    let fields = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.as_object().map(|o| o.len()))
        .unwrap_or(0);
    if let Some(log) = log {
        let (tx, rx) = oneshot::channel();
        let durable = log.send((body, tx)).is_ok() && rx.await.unwrap_or(false);
        if !durable {
            return Json(json!({"errcode": -1, "errmsg": "not stored"}));
        }
    }
    Json(json!({"errcode": 0, "errmsg": "ok", "msgid": fields}))
}

/// The thread that appends bodies to `path`: everything waiting is written
/// and synced together, then answered.
fn start_log(path: PathBuf) -> anyhow::Result<mpsc::Sender<Append>> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    start_groups(move |group| {
        let written = group.iter().all(|(b, _)| file.write_all(b).is_ok());
        written && file.sync_data().is_ok()
    })
}

/// The thread that inserts bodies into a SQLite table at `path`: everything
/// waiting in one transaction, answered once its commit is synced.
fn start_sqlite(path: PathBuf) -> anyhow::Result<mpsc::Sender<Append>> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         CREATE TABLE IF NOT EXISTS sends (id INTEGER PRIMARY KEY, body BLOB NOT NULL);",
    )?;
    start_groups(move |group| {
        let insert = || -> rusqlite::Result<()> {
            let tx = conn.unchecked_transaction()?;
            {
                let mut stmt = tx.prepare_cached("INSERT INTO sends (body) VALUES (?1)")?;
                for (body, _) in group {
                    stmt.execute([body.as_ref()])?;
                }
            }
            tx.commit()
        };
        insert().is_ok()
    })
}

/// One thread (`group-commit`, as the CPU figures name it) that takes
/// everything waiting as a group, keeps it with `commit`, and answers
/// each of the group whether it was kept.
fn start_groups(
    mut commit: impl FnMut(&[Append]) -> bool + Send + 'static,
) -> anyhow::Result<mpsc::Sender<Append>> {
    let (tx, rx) = mpsc::channel::<Append>();
    std::thread::Builder::new()
        .name("group-commit".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let group: Vec<Append> = std::iter::once(first).chain(rx.try_iter()).collect();
                let kept = commit(&group);
                for (_, done) in group {
                    let _ = done.send(kept);
                }
            }
        })?;
    Ok(tx)
}
