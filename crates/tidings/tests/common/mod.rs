//! What the integration tests share: a fresh database per test on each
//! backend, and the real server started on port 0 against it.

#![allow(dead_code)]

pub mod browser;
pub mod db;
pub mod process;

use std::sync::Arc;

use reqwest::{Client, Response};
use serde_json::{json, Value};
use tidings::config::Settings;
use tidings::server::Running;
use tidings_engine::{ManualClock, Timestamp};

pub use db::{Backend, TestDb};

pub const ADMIN_KEY: &str = "tdk_test_admin_key_0123456789";

/// Runs each named `async fn(TestDb)` once per backend.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = $crate::common::TestDb::create($crate::common::Backend::Sqlite).await {
                        super::$name(db).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = $crate::common::TestDb::create($crate::common::Backend::Postgres).await {
                        super::$name(db).await;
                    }
                }
            )*
        }
    };
}

/// The real server, in this process, with a clock the test moves.
pub struct TestServer {
    pub base: String,
    pub clock: ManualClock,
    pub http: Client,
    pub settings: Settings,
    running: Option<Running>,
}

/// 2026-11-21 10:00:00 China Standard Time: mid-day, far from a quota reset.
pub const START: Timestamp = Timestamp::from_millis(1_795_226_400_000);

impl TestServer {
    pub async fn start(db: &TestDb) -> Self {
        Self::start_with(db, |_| {}).await
    }

    pub async fn start_with(db: &TestDb, tweak: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: db.url.clone(),
            admin_key: Some(ADMIN_KEY.into()),
            ..Settings::default()
        };
        tweak(&mut settings);
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let clock = ManualClock::new(START);
        let running = tidings::server::start_with_clock(&settings, Arc::new(clock.clone()))
            .await
            .expect("server starts");
        Self {
            base: format!("http://{}", running.addr),
            clock,
            http: Client::new(),
            settings,
            running: Some(running),
        }
    }

    /// Stops the server and starts a new one on the same database, keeping
    /// the clock where it is.
    pub async fn restart(mut self) -> Self {
        self.running
            .take()
            .unwrap()
            .shutdown()
            .await
            .expect("clean shutdown");
        let running =
            tidings::server::start_with_clock(&self.settings, Arc::new(self.clock.clone()))
                .await
                .expect("server restarts");
        self.base = format!("http://{}", running.addr);
        self.running = Some(running);
        self
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).await.json().await.expect("JSON body")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Value {
        json_of(self.http.post(self.url(path)).json(body)).await
    }

    /// A request to the platform API with the admin key.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(ADMIN_KEY)
    }

    /// Registers an app over the platform API; returns (appid, secret).
    pub async fn create_app(&self, kind: &str) -> (String, String) {
        let res = self
            .admin(reqwest::Method::POST, "/api/v1/apps")
            .json(&json!({"name": "测试应用", "kind": kind}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        (
            body["appid"].as_str().unwrap().to_owned(),
            body["secret"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn token(&self, appid: &str, secret: &str) -> Value {
        self.get_json(&token_path(appid, secret)).await
    }

    /// A fresh access token, asserting success.
    pub async fn access_token(&self, appid: &str, secret: &str) -> String {
        let body = self.token(appid, secret).await;
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("token request failed: {body}"))
            .to_owned()
    }

    pub async fn stable_token(&self, appid: &str, secret: &str, force: bool) -> Value {
        self.post_json(
            "/cgi-bin/stable_token",
            &json!({"grant_type": "client_credential", "appid": appid, "secret": secret, "force_refresh": force}),
        )
        .await
    }

    /// The errcode an access-token-taking API answers for this token.
    pub async fn use_token(&self, token: &str) -> i64 {
        let body = self
            .get_json(&format!("/cgi-bin/getcallbackip?access_token={token}"))
            .await;
        body["errcode"].as_i64().expect("errcode")
    }

    /// A WeChat API call with an access token; returns the JSON answer.
    pub async fn wx(&self, path: &str, token: &str, body: &Value) -> Value {
        self.post_json(&format!("{path}?access_token={token}"), body)
            .await
    }

    /// A mini-program app with pages, a token, and a user; returns them.
    pub async fn mini_program(&self) -> MiniProgram {
        let created: Value = json_of(self.admin(reqwest::Method::POST, "/api/v1/apps").json(
            &json!({
                "name": "小程序",
                "kind": "miniprogram",
                "pages": ["index", "pages/order/detail"],
            }),
        ))
        .await;
        let appid = created["appid"].as_str().unwrap().to_owned();
        let secret = created["secret"].as_str().unwrap().to_owned();
        let token = self.access_token(&appid, &secret).await;
        let openid = self.create_user(&appid, json!({"nickname": "小明"})).await;
        MiniProgram {
            appid,
            secret,
            token,
            openid,
        }
    }

    /// Registers a user over the platform API; returns the openid.
    pub async fn create_user(&self, appid: &str, body: Value) -> String {
        let res = self
            .admin(
                reqwest::Method::POST,
                &format!("/api/v1/apps/{appid}/users"),
            )
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let v: Value = res.json().await.unwrap();
        v["openid"].as_str().unwrap().to_owned()
    }

    /// A form_id (`form-submits`) or prepay_id (`payments`) for a user.
    pub async fn grant(&self, appid: &str, openid: &str, what: &str) -> String {
        let v: Value = json_of(self.admin(
            reqwest::Method::POST,
            &format!("/api/v1/apps/{appid}/users/{openid}/{what}"),
        ))
        .await;
        v.get("form_id")
            .or_else(|| v.get("prepay_id"))
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no grant id: {v}"))
            .to_owned()
    }

    /// Adds a template of AT0002 (购买地点, 购买时间, 物品名称); returns its id.
    pub async fn purchase_template(&self, token: &str) -> String {
        let v = self
            .wx(
                "/cgi-bin/wxopen/template/add",
                token,
                &json!({"id": "AT0002", "keyword_id_list": [3, 4, 5]}),
            )
            .await;
        v["template_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{v}"))
            .to_owned()
    }

    /// Polls a send until it is done (bounded), returning its last view.
    pub async fn wait_send(&self, id: i64) -> Value {
        for _ in 0..1200 {
            let v = json_of(self.admin(reqwest::Method::GET, &format!("/api/v1/sends/{id}"))).await;
            if matches!(
                v["state"].as_str(),
                Some("finished" | "failed" | "cancelled")
            ) {
                return v;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("send {id} did not finish");
    }

    /// Every recipient of a send, through the paged recipients API.
    pub async fn all_recipients(&self, id: i64, status: Option<&str>) -> Vec<Value> {
        all_recipients(&self.http, &self.base, id, status).await
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await.expect("clean shutdown");
        }
    }
}

/// A mini-program app ready to send.
pub struct MiniProgram {
    pub appid: String,
    pub secret: String,
    pub token: String,
    pub openid: String,
}

/// Sends a request and reads its JSON answer.
pub async fn json_of(req: reqwest::RequestBuilder) -> Value {
    req.send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON body")
}

/// Every recipient of a send on the server at `base`, page by page.
pub async fn all_recipients(
    http: &Client,
    base: &str,
    id: i64,
    status: Option<&str>,
) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<i64> = None;
    loop {
        let mut url = format!("{base}/api/v1/sends/{id}/recipients?limit=1000");
        if let Some(c) = cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        if let Some(s) = status {
            url.push_str(&format!("&status={s}"));
        }
        let page = json_of(http.get(url).bearer_auth(ADMIN_KEY)).await;
        out.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_i64() {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// The query of a `/cgi-bin/token` request.
pub fn token_path(appid: &str, secret: &str) -> String {
    format!("/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}")
}

/// The errcode of a WeChat answer, 0 when absent (bare token bodies).
pub fn errcode(v: &Value) -> i64 {
    v["errcode"].as_i64().unwrap_or(0)
}

/// The next Server-Sent Event of a stream (bounded wait): its id and data.
pub async fn next_event(
    lines: &mut (impl futures_util::Stream<Item = Result<bytes::Bytes, reqwest::Error>> + Unpin),
    buf: &mut String,
) -> (i64, Value) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut id = None;
            let mut data = None;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                }
                if let Some(v) = line.strip_prefix("data:") {
                    data = serde_json::from_str(v.trim()).ok();
                }
            }
            if let (Some(id), Some(data)) = (id, data) {
                return (id, data);
            }
            continue;
        }
        let chunk = tokio::time::timeout_at(deadline, futures_util::StreamExt::next(lines))
            .await
            .expect("an event arrives in time")
            .expect("stream open")
            .expect("chunk");
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}
