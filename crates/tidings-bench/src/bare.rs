//! W0: the machine's HTTP limit — a bare axum server in Tidings' runtime
//! configuration, parsing a JSON POST and answering a small JSON body.

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn serve(port: u16) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let app = Router::new().route(
                "/send",
                post(|Json(body): Json<Value>| async move {
                    Json(json!({"errcode": 0, "errmsg": "ok", "msgid": body.as_object().map_or(0, |o| o.len())}))
                }),
            );
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            axum::serve(listener, app).await?;
            Ok(())
        })
}
