//! What survives `kill -9`: a segment send of 200,000 recipients resumes at
//! its cursor with every recipient exactly once; acknowledged single sends
//! are all there after a restart; two nodes on one PostgreSQL database
//! share a 100,000-recipient send and lose or repeat nobody.

mod common;

use std::collections::HashSet;

use common::process::Proc;
use common::{all_recipients, json_of, token_path, Backend, TestDb, ADMIN_KEY};
use reqwest::Client;
use serde_json::{json, Value};

backend_tests!(
    a_segment_send_survives_kill_9,
    acknowledged_single_sends_survive_kill_9
);

const ENV: [(&str, &str); 2] = [
    ("TIDINGS_ADMIN_KEY", ADMIN_KEY),
    ("TIDINGS_JOB_LEASE_SECS", "2"),
];

struct App {
    appid: String,
    token: String,
    template: String,
    openid: String,
}

async fn mini_program(http: &Client, p: &Proc) -> App {
    let created: Value = json_of(
        http.post(p.url("/api/v1/apps"))
            .bearer_auth(ADMIN_KEY)
            .json(&json!({"name": "压测", "kind": "miniprogram", "pages": ["index"]})),
    )
    .await;
    let appid = created["appid"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap();
    let token: Value = json_of(http.get(p.url(&token_path(&appid, secret)))).await;
    let token = token["access_token"].as_str().unwrap().to_owned();
    let added: Value = json_of(
        http.post(p.url(&format!(
            "/cgi-bin/wxopen/template/add?access_token={token}"
        )))
        .json(&json!({"id": "AT0002", "keyword_id_list": [3, 4, 5]})),
    )
    .await;
    let user: Value = json_of(
        http.post(p.url(&format!("/api/v1/apps/{appid}/users")))
            .bearer_auth(ADMIN_KEY)
            .json(&json!({"nickname": "首位"})),
    )
    .await;
    App {
        template: added["template_id"].as_str().unwrap().to_owned(),
        openid: user["openid"].as_str().unwrap().to_owned(),
        appid,
        token,
    }
}

async fn import(http: &Client, p: &Proc, appid: &str, n: usize) {
    let body: String = (0..n)
        .map(|i| format!("{{\"openid\":\"u{i:07}\",\"nickname\":\"用户{i}\"}}\n"))
        .collect();
    let report: Value = json_of(
        http.post(p.url(&format!("/api/v1/apps/{appid}/users:import")))
            .bearer_auth(ADMIN_KEY)
            .header("content-type", "application/x-ndjson")
            .body(body),
    )
    .await;
    assert_eq!(report["imported"], n as u64, "{report}");
}

async fn send_view(http: &Client, p: &Proc, id: i64) -> Value {
    json_of(
        http.get(p.url(&format!("/api/v1/sends/{id}")))
            .bearer_auth(ADMIN_KEY),
    )
    .await
}

/// Polls until the send's state or progress satisfies `done`.
async fn wait_for(http: &Client, p: &Proc, id: i64, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..12_000 {
        let v = send_view(http, p, id).await;
        if done(&v) {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("send {id} did not get there");
}

fn assert_exactly_once(recipients: &[Value], expected: usize) {
    let unique: HashSet<&str> = recipients
        .iter()
        .map(|r| r["openid"].as_str().unwrap())
        .collect();
    assert_eq!(recipients.len(), expected, "every recipient");
    assert_eq!(unique.len(), expected, "no recipient twice");
}

async fn a_segment_send_survives_kill_9(db: TestDb) {
    let http = Client::new();
    let p = Proc::serve(&db.url, &ENV);
    let app = mini_program(&http, &p).await;
    import(&http, &p, &app.appid, 200_000).await;
    let send: Value = json_of(
        http.post(p.url(&format!("/api/v1/apps/{}/sends", app.appid)))
            .bearer_auth(ADMIN_KEY)
            .json(&json!({"template_id": app.template, "data": {"keyword3": {"value": "{{PROFILE-nickname}}"}}, "audience": {"all": true}})),
    )
    .await;
    let id = send["id"].as_i64().unwrap();
    assert_eq!(send["expects"], 200_001);
    let before = wait_for(&http, &p, id, |v| v["oks"].as_i64().unwrap() >= 20_000).await;
    p.kill9();
    let p = Proc::serve(&db.url, &ENV);
    let done = wait_for(&http, &p, id, |v| v["state"] == "finished").await;
    assert_eq!(
        done["oks"], 200_001,
        "killed at {} of 200001",
        before["oks"]
    );
    assert_eq!(done["fails"], 0);
    assert_exactly_once(&all_recipients(&http, &p.base, id, None).await, 200_001);
    p.terminate();
}

async fn acknowledged_single_sends_survive_kill_9(db: TestDb) {
    let http = Client::new();
    let p = Proc::serve(&db.url, &ENV);
    let app = mini_program(&http, &p).await;
    let mut prepays = Vec::new();
    for _ in 0..100 {
        let g: Value = json_of(
            http.post(p.url(&format!(
                "/api/v1/apps/{}/users/{}/payments",
                app.appid, app.openid
            )))
            .bearer_auth(ADMIN_KEY),
        )
        .await;
        prepays.push(g["prepay_id"].as_str().unwrap().to_owned());
    }
    let url = p.url(&format!(
        "/cgi-bin/message/wxopen/template/send?access_token={}",
        app.token
    ));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for prepay in prepays
        .iter()
        .flat_map(|p| std::iter::repeat_n(p.clone(), 3))
    {
        let (http, url, tx) = (http.clone(), url.clone(), tx.clone());
        let body = json!({"touser": app.openid, "template_id": app.template, "form_id": prepay, "data": {}});
        tokio::spawn(async move {
            if let Ok(res) = http.post(url).json(&body).send().await {
                if let Ok(v) = res.json::<Value>().await {
                    let _ = tx.send(v);
                }
            }
        });
    }
    drop(tx);
    let mut acked = Vec::new();
    while let Some(v) = rx.recv().await {
        assert_eq!(v["errcode"], 0, "{v}");
        acked.push(v["msgid"].as_i64().unwrap());
        if acked.len() == 100 {
            break;
        }
    }
    p.kill9();
    // Answers that were on their way when the process died count too.
    while let Ok(v) = rx.try_recv() {
        if v["errcode"] == 0 {
            acked.push(v["msgid"].as_i64().unwrap());
        }
    }
    let p = Proc::serve(&db.url, &ENV);
    let mut stored = HashSet::new();
    let mut cursor: Option<i64> = None;
    loop {
        let mut path = format!(
            "/api/v1/apps/{}/users/{}/messages?limit=100",
            app.appid, app.openid
        );
        if let Some(c) = cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page: Value = json_of(http.get(p.url(&path)).bearer_auth(ADMIN_KEY)).await;
        for m in page["items"].as_array().unwrap() {
            stored.insert(m["id"].as_i64().unwrap());
        }
        match page["next_cursor"].as_i64() {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let lost: Vec<_> = acked.iter().filter(|id| !stored.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "acknowledged but lost after kill -9: {lost:?}"
    );
    assert!(acked.len() >= 100);
    p.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_nodes_share_a_send() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let http = Client::new();
    let a = Proc::serve(&db.url, &ENV);
    let b = Proc::serve(&db.url, &ENV);
    let app = mini_program(&http, &a).await;
    import(&http, &b, &app.appid, 100_000).await;
    let send: Value = json_of(
        http.post(a.url(&format!("/api/v1/apps/{}/sends", app.appid)))
            .bearer_auth(ADMIN_KEY)
            .json(&json!({"template_id": app.template, "audience": {"all": true}})),
    )
    .await;
    let id = send["id"].as_i64().unwrap();
    wait_for(&http, &b, id, |v| v["oks"].as_i64().unwrap() >= 10_000).await;
    // Whichever node holds the send, node A dies; node B finishes it, taking
    // over the lease when it runs out.
    a.kill9();
    let done = wait_for(&http, &b, id, |v| v["state"] == "finished").await;
    assert_eq!(done["oks"], 100_001);
    assert_exactly_once(&all_recipients(&http, &b.base, id, None).await, 100_001);
    b.terminate();
}
