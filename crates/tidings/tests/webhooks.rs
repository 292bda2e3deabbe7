//! Webhooks: signed deliveries, retries with backoff until the receiver is
//! up, dead deliveries and replays, lifecycle events, and SSRF refusal.

mod common;

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use common::{json_of, TestDb, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use tidings::config::WebhookReachSetting;
use tokio::sync::mpsc;

backend_tests!(
    a_receiver_down_then_up_gets_the_event_signed,
    dead_deliveries_can_be_replayed,
    lifecycle_events_reach_subscribers,
    internal_endpoints_are_refused,
    penalties_are_announced,
);

/// A request the receiver got.
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

/// A webhook receiver on `port` answering with the shared status.
async fn receiver(port: u16, status: Arc<AtomicU16>) -> mpsc::UnboundedReceiver<Received> {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (tx, status) = (tx.clone(), status.clone());
            async move {
                let _ = tx.send(Received { headers, body });
                axum::http::StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    rx
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn register(s: &TestServer, appid: &str, port: u16, types: Value) -> Value {
    let res = s
        .admin(Method::POST, &format!("/api/v1/apps/{appid}/webhooks"))
        .json(&json!({"url": format!("http://127.0.0.1:{port}/hook"), "event_types": types}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let text = res.text().await.unwrap();
    assert_eq!(
        text.matches("\"created_at\"").count(),
        1,
        "one key each: {text}"
    );
    serde_json::from_str(&text).unwrap()
}

async fn deliveries(s: &TestServer, appid: &str, webhook: i64) -> Vec<Value> {
    let v: Value = json_of(s.admin(
        Method::GET,
        &format!("/api/v1/apps/{appid}/webhooks/{webhook}/deliveries"),
    ))
    .await;
    v["items"].as_array().unwrap().clone()
}

/// Polls the deliveries until `done` holds (bounded).
async fn wait_deliveries(
    s: &TestServer,
    appid: &str,
    webhook: i64,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    for _ in 0..500 {
        let d = deliveries(s, appid, webhook).await;
        if done(&d) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "deliveries never got there: {:?}",
        deliveries(s, appid, webhook).await
    );
}

async fn send_one(s: &TestServer, m: &common::MiniProgram, template: &str) -> i64 {
    let form = s.grant(&m.appid, &m.openid, "form-submits").await;
    let v = s
        .wx(
            "/cgi-bin/message/wxopen/template/send",
            &m.token,
            &json!({"touser": m.openid, "template_id": template, "form_id": form, "page": "index", "data": {}}),
        )
        .await;
    v["msgid"].as_i64().unwrap_or_else(|| panic!("{v}"))
}

fn loopback(c: &mut tidings::config::Settings) {
    c.webhook_reach = WebhookReachSetting::Loopback;
}

async fn a_receiver_down_then_up_gets_the_event_signed(db: TestDb) {
    let s = TestServer::start_with(&db, loopback).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let port = free_port();
    let hook = register(&s, &m.appid, port, json!(["message.delivered"])).await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = hook["id"].as_i64().unwrap();
    let msgid = send_one(&s, &m, &t).await;
    // Nobody listens: the first attempt fails and a retry is scheduled.
    let failed = wait_deliveries(&s, &m.appid, id, |d| d.len() == 1 && d[0]["attempts"] == 1).await;
    assert_eq!(failed[0]["state"], "pending");
    assert!(failed[0]["last_error"]
        .as_str()
        .unwrap()
        .contains("request failed"));
    let next = failed[0]["next_attempt_at"].as_i64().unwrap();
    let wait = next - common::START.as_millis();
    assert!(
        (4000..=6000).contains(&wait),
        "first retry after 5 s ± 20 %: {wait} ms"
    );
    // The receiver comes up; once the retry is due it gets the event.
    let status = Arc::new(AtomicU16::new(200));
    let mut rx = receiver(port, status).await;
    s.clock.advance_secs(7);
    let got = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("delivered")
        .unwrap();
    let body: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["type"], "message.delivered");
    assert_eq!(body["data"]["message_id"], msgid);
    assert_eq!(body["data"]["openid"], m.openid.as_str());
    let header = |n: &str| got.headers[n].to_str().unwrap().to_owned();
    let ts: i64 = header("webhook-timestamp").parse().unwrap();
    let expected = tidings_engine::webhook::sign(&secret, &header("webhook-id"), ts, &got.body);
    assert_eq!(
        header("webhook-signature"),
        expected,
        "the signature verifies"
    );
    assert!(header("webhook-id").starts_with("evt_"));
    let done = wait_deliveries(&s, &m.appid, id, |d| d[0]["state"] == "succeeded").await;
    assert_eq!(done[0]["attempts"], 2);
    assert_eq!(done[0]["last_status"], 200);
    s.stop().await;
}

async fn dead_deliveries_can_be_replayed(db: TestDb) {
    let s = TestServer::start_with(&db, loopback).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let port = free_port();
    let status = Arc::new(AtomicU16::new(500));
    let mut rx = receiver(port, status.clone()).await;
    let hook = register(&s, &m.appid, port, json!(["message.accepted"])).await;
    let id = hook["id"].as_i64().unwrap();
    send_one(&s, &m, &t).await;
    // Eight failed attempts (the first and seven retries), then dead.
    for attempt in 1..=8 {
        let d = wait_deliveries(&s, &m.appid, id, |d| d[0]["attempts"] == attempt).await;
        assert_eq!(d[0]["last_status"], 500);
        s.clock.advance_secs(13 * 3600);
    }
    let dead = wait_deliveries(&s, &m.appid, id, |d| d[0]["state"] == "dead").await;
    assert_eq!(dead[0]["attempts"], 8);
    while rx.try_recv().is_ok() {}
    status.store(204, Ordering::SeqCst);
    let delivery = dead[0]["id"].as_i64().unwrap();
    let replayed: Value = json_of(s.admin(
        Method::POST,
        &format!(
            "/api/v1/apps/{}/webhook-deliveries/{delivery}/replay",
            m.appid
        ),
    ))
    .await;
    assert_eq!(replayed["state"], "pending");
    assert_eq!(replayed["attempts"], 0);
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("replayed")
        .unwrap();
    let done = wait_deliveries(&s, &m.appid, id, |d| d[0]["state"] == "succeeded").await;
    assert_eq!(done[0]["last_status"], 204);
    let other = s.mini_program().await;
    let foreign = s
        .admin(
            Method::POST,
            &format!(
                "/api/v1/apps/{}/webhook-deliveries/{delivery}/replay",
                other.appid
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 404, "another app's delivery");
    s.stop().await;
}

async fn lifecycle_events_reach_subscribers(db: TestDb) {
    let s = TestServer::start_with(&db, loopback).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let port = free_port();
    let mut rx = receiver(port, Arc::new(AtomicU16::new(200))).await;
    register(
        &s,
        &m.appid,
        port,
        json!([
            "message.read",
            "message.clicked",
            "send.finished",
            "message.failed"
        ]),
    )
    .await;
    let msgid = send_one(&s, &m, &t).await;
    let read: Value = json_of(s.admin(
        Method::POST,
        &format!(
            "/api/v1/apps/{}/users/{}/messages/{msgid}/read",
            m.appid, m.openid
        ),
    ))
    .await;
    let link = read["link"].as_str().unwrap();
    s.http.get(s.url(link)).send().await.unwrap();
    let seg: Value = json_of(
        s.admin(Method::POST, &format!("/api/v1/apps/{}/sends", m.appid))
            .json(&json!({"template_id": t, "data": {"keyword1": {"value": "{{PROFILE-city}}"}}, "audience": {"all": true}})),
    )
    .await;
    s.wait_send(seg["id"].as_i64().unwrap()).await;
    let mut kinds = Vec::new();
    while kinds.len() < 3 {
        let got = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("an event")
            .unwrap();
        let v: Value = serde_json::from_slice(&got.body).unwrap();
        if v["type"] == "send.finished" {
            assert_eq!(v["data"]["oks"], 1);
        } else {
            assert_eq!(v["data"]["message_id"], msgid);
        }
        kinds.push(v["type"].as_str().unwrap().to_owned());
    }
    kinds.sort();
    assert_eq!(kinds, ["message.clicked", "message.read", "send.finished"]);
    s.stop().await;
}

async fn internal_endpoints_are_refused(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:9/hook",
        "ftp://example.com/hook",
    ] {
        let res = s
            .admin(Method::POST, &format!("/api/v1/apps/{}/webhooks", m.appid))
            .json(&json!({"url": url, "event_types": ["message.read"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{url}");
    }
    let bad_type = s
        .admin(Method::POST, &format!("/api/v1/apps/{}/webhooks", m.appid))
        .json(&json!({"url": "https://example.com/hook", "event_types": ["message.opened"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_type.status(), 400);
    let list: Value =
        json_of(s.admin(Method::GET, &format!("/api/v1/apps/{}/webhooks", m.appid))).await;
    assert_eq!(list["items"], json!([]));
    s.stop().await;
}

/// A confirmed complaint reaches the app's endpoint as `app.penalized`.
async fn penalties_are_announced(db: TestDb) {
    let s = TestServer::start_with(&db, loopback).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let port = free_port();
    let mut rx = receiver(port, Arc::new(AtomicU16::new(200))).await;
    register(&s, &m.appid, port, json!(["app.penalized"])).await;
    let msg = send_one(&s, &m, &t).await;
    let c = json_of(
        s.admin(
            Method::POST,
            &format!(
                "/api/v1/apps/{}/users/{}/messages/{msg}/complaints",
                m.appid, m.openid
            ),
        )
        .json(&json!({"reason": "harassment"})),
    )
    .await;
    let confirmed = json_of(s.admin(
        Method::POST,
        &format!("/api/v1/complaints/{}/confirm", c["id"]),
    ))
    .await;
    let got = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("the event arrives")
        .expect("receiver open");
    let event: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(event["type"], "app.penalized");
    assert_eq!(event["data"]["appid"], m.appid.as_str());
    assert_eq!(event["data"]["nth"], 1);
    assert_eq!(event["data"]["action"], "delete_template");
    assert_eq!(event["data"]["template_id"], t.as_str());
    assert_eq!(event["data"]["penalty_id"], confirmed["penalty"]["id"]);
    assert!(got.headers.contains_key("webhook-signature"));
}
