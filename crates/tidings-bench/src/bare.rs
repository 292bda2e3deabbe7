//! W0: the machine's HTTP limit — a bare axum server in Tidings' runtime
//! configuration, parsing a JSON POST and answering a small JSON body.
//! With a log file it is W0-durable: each body is appended to the file and
//! answered only once the file is synced, the appends group-committed by
//! one thread (what any durable answer costs, without a database).

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

pub fn serve(port: u16, log: Option<PathBuf>) -> anyhow::Result<()> {
    let appends = log.map(start_log).transpose()?;
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
    let (tx, rx) = mpsc::channel::<Append>();
    std::thread::spawn(move || {
        while let Ok(first) = rx.recv() {
            let group: Vec<Append> = std::iter::once(first).chain(rx.try_iter()).collect();
            let written = group.iter().all(|(b, _)| file.write_all(b).is_ok());
            let synced = written && file.sync_data().is_ok();
            for (_, done) in group {
                let _ = done.send(synced);
            }
        }
    });
    Ok(tx)
}
