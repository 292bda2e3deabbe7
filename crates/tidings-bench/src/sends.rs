//! W0 (the bare server), W1 (single sends, both endpoints) and W3 (inbox
//! reads under a send load).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::load::{run, Request};
use crate::server::{Proc, ADMIN_KEY};
use crate::slices::Phase;
use crate::Opts;

/// An official account's send body; W0 posts the same bytes.
fn oa_body(touser: &str, template: &str) -> Value {
    json!({
        "touser": touser, "template_id": template,
        "url": "https://example.com/orders/20261121",
        "data": {
            "first": {"value": "您好，您预约的会议即将开始", "color": "#173177"},
            "keyword1": {"value": "季度经营分析会"},
            "keyword2": {"value": "2026年11月21日 14:00"},
            "remark": {"value": "请提前十分钟到场"}
        }
    })
}

/// A mini-program send body using prepay id `grant`.
fn mini_body(touser: &str, template: &str, grant: &str) -> Value {
    json!({
        "touser": touser, "template_id": template, "form_id": grant,
        "data": {
            "keyword1": {"value": "TIT造舰厂"},
            "keyword2": {"value": "2026年11月21日"},
            "keyword3": {"value": "咖啡"}
        }
    })
}

struct Post {
    url: String,
    bodies: Vec<Vec<u8>>,
}

impl Request for Post {
    async fn send(&self, client: &reqwest::Client, conn: usize, _: u64) -> bool {
        let body = self.bodies[conn % self.bodies.len()].clone();
        post(client, &self.url, body).await
    }
}

/// Posts `body` as JSON; whether the answer is a success (a WeChat
/// `errcode` of 0, or W0's answer). Both W0 and W1 check it the same way.
async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>) -> bool {
    match client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(r) => r
            .bytes()
            .await
            .is_ok_and(|b| b.starts_with(b"{\"errcode\":0")),
        Err(_) => false,
    }
}

/// A mini-program send using the connection's prepared prepay ids, three
/// sends each. Its body is built as W0's is sent: bytes made before the
/// load, the prepay id put between them.
struct MiniSend {
    url: String,
    /// Each connection's body before and after the prepay id.
    bodies: Vec<(Vec<u8>, Vec<u8>)>,
    /// Each connection's prepay ids, as JSON strings.
    grants: Vec<Vec<String>>,
}

impl MiniSend {
    fn new(url: String, template: &str, users: &[String], grants: Vec<Vec<String>>) -> Self {
        const MARK: &str = "prepay-id-goes-here";
        let bodies = users
            .iter()
            .map(|u| {
                let body = mini_body(u, template, MARK).to_string();
                let (before, after) = body
                    .split_once(&format!("\"{MARK}\""))
                    .expect("the mark is in the body");
                (before.as_bytes().to_vec(), after.as_bytes().to_vec())
            })
            .collect();
        let grants = grants
            .into_iter()
            .map(|ids| {
                ids.iter()
                    .map(|id| Value::from(id.as_str()).to_string())
                    .collect()
            })
            .collect();
        Self {
            url,
            bodies,
            grants,
        }
    }
}

impl Request for MiniSend {
    async fn send(&self, client: &reqwest::Client, conn: usize, n: u64) -> bool {
        let Some(grant) = self.grants[conn].get((n / 3) as usize) else {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            return false;
        };
        let (before, after) = &self.bodies[conn];
        let body = [before.as_slice(), grant.as_bytes(), after.as_slice()].concat();
        post(client, &self.url, body).await
    }
}

struct InboxRead {
    urls: Vec<String>,
}

impl Request for InboxRead {
    async fn send(&self, client: &reqwest::Client, conn: usize, _: u64) -> bool {
        client
            .get(&self.urls[conn % self.urls.len()])
            .bearer_auth(ADMIN_KEY)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }
}

pub(crate) async fn admin(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let mut req = http.request(method, url).bearer_auth(ADMIN_KEY);
    if let Some(b) = body {
        req = req.json(&b);
    }
    Ok(req.send().await?.json().await?)
}

/// An app of `kind` with `users` users: (appid, token, openids).
pub(crate) async fn app(
    p: &Proc,
    kind: &str,
    users: usize,
) -> anyhow::Result<(String, String, Vec<String>)> {
    let http = reqwest::Client::new();
    let a = admin(&http, reqwest::Method::POST, format!("{}/api/v1/apps", p.base),
        Some(json!({"name": "压测", "kind": kind, "pages": if kind == "miniprogram" { json!(["index"]) } else { json!([]) }}))).await?;
    let appid = a["appid"].as_str().unwrap_or_default().to_owned();
    let secret = a["secret"].as_str().unwrap_or_default();
    let t: Value = http
        .get(format!(
            "{}/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}",
            p.base
        ))
        .send()
        .await?
        .json()
        .await?;
    let token = t["access_token"].as_str().unwrap_or_default().to_owned();
    let mut openids = Vec::new();
    for i in 0..users {
        let u = admin(
            &http,
            reqwest::Method::POST,
            format!("{}/api/v1/apps/{appid}/users", p.base),
            Some(json!({"openid": format!("bench{i:05}"), "nickname": format!("用户{i}")})),
        )
        .await?;
        openids.push(u["openid"].as_str().unwrap_or_default().to_owned());
    }
    Ok((appid, token, openids))
}

async fn wx(p: &Proc, path: &str, token: &str, body: Value) -> anyhow::Result<Value> {
    Ok(reqwest::Client::new()
        .post(format!("{}{path}?access_token={token}", p.base))
        .json(&body)
        .send()
        .await?
        .json()
        .await?)
}

/// A fresh Tidings on a temporary SQLite file, with an official account
/// ready to send: (server, send URL, bodies, appid, openids).
async fn official(
    dir: &tempfile::TempDir,
    connections: usize,
) -> anyhow::Result<(Proc, String, Vec<Vec<u8>>, String, Vec<String>)> {
    let p = Proc::tidings(
        &format!("sqlite://{}", dir.path().join("w1.db").display()),
        1000,
    )
    .await?;
    let (appid, token, users) = app(&p, "official_account", connections).await?;
    let t = wx(
        &p,
        "/cgi-bin/template/api_add_template",
        &token,
        json!({"template_id_short": "OPENTM200000001"}),
    )
    .await?;
    let template = t["template_id"].as_str().unwrap_or_default().to_owned();
    let bodies = users
        .iter()
        .map(|u| oa_body(u, &template).to_string().into_bytes())
        .collect();
    let url = format!(
        "{}/cgi-bin/message/template/send?access_token={token}",
        p.base
    );
    Ok((p, url, bodies, appid, users))
}

pub async fn w1(o: &Opts) -> anyhow::Result<()> {
    // Callgrind's counters are read around each load: one slice then.
    let slices = if o.callgrind { 1 } else { o.slices.max(1) };
    let length = Duration::from_secs(o.secs) / slices;
    let turns = match slices {
        1 => "in one piece".to_owned(),
        n => format!(
            "in {n} slices of {:.1} s taking turns",
            length.as_secs_f64()
        ),
    };
    println!(
        "## W0 / W1 ({} connections, {} s each, {turns})",
        o.connections, o.secs
    );
    let bare = Proc::bare().await?;
    let sample = oa_body("bench00000", "x".repeat(43).as_str())
        .to_string()
        .into_bytes();
    println!("send body: {} bytes", sample.len());
    // W0's load, and the same posts to the durable bare servers below.
    let post_to = |server: &Proc| {
        Arc::new(Post {
            url: format!("{}/send", server.base),
            bodies: vec![sample.clone()],
        })
    };
    let w0_load = post_to(&bare);

    let dir = tempfile::tempdir()?;
    let (p, url, bodies, _, _) = official(&dir, o.connections).await?;
    let oa_load = Arc::new(Post { url, bodies });
    let (idle, _) = p.rss_mb();
    println!("Tidings idle RSS (SQLite, after setup): {idle:.1} MB");
    // Mini program: three sends per prepared prepay_id.
    let (appid, token, users) = app(&p, "miniprogram", o.connections).await?;
    let t = wx(
        &p,
        "/cgi-bin/wxopen/template/add",
        &token,
        json!({"id": "AT0002", "keyword_id_list": [3, 4, 5]}),
    )
    .await?;
    let template = t["template_id"].as_str().unwrap_or_default().to_owned();
    let mini_url = format!(
        "{}/cgi-bin/message/wxopen/template/send?access_token={token}",
        p.base
    );

    // For the analysis only, in the same turns: what a durable answer
    // costs without a database, and with the leanest SQLite insert.
    let log = Proc::bare_durable("--log", &dir.path().join("w0.log")).await?;
    let lean = Proc::bare_durable("--sqlite", &dir.path().join("w0.db")).await?;
    let (log_load, lean_load) = (post_to(&log), post_to(&lean));

    let (mut w0, mut oa, mut mini) = (Phase::default(), Phase::default(), Phase::default());
    let (mut w0d, mut w0s) = (Phase::default(), Phase::default());
    for _ in 0..slices {
        let (w0_load, oa_load) = (w0_load.clone(), oa_load.clone());
        measured_slice(&mut w0, w0_load, &bare, "W0 bare axum", o, length).await?;
        measured_slice(&mut oa, oa_load, &p, "W1 official-account send", o, length).await?;
        // Prepay ids for this slice: the fastest official-account rate yet,
        // with room to spare.
        let per_conn = ((oa.top_rate() * length.as_secs_f64() * 1.5) / 3.0 / o.connections as f64)
            .ceil() as usize
            + 1;
        let grants = prepare_grants(&p, &appid, &users, per_conn).await?;
        let mini_load = MiniSend::new(mini_url.clone(), &template, &users, grants);
        let mini_load = Arc::new(mini_load);
        measured_slice(&mut mini, mini_load, &p, "W1 mini-program send", o, length).await?;
        w0d.slice(log_load.clone(), o.connections, length, watch(&log))
            .await;
        w0s.slice(lean_load.clone(), o.connections, length, watch(&lean))
            .await;
    }
    print_phases(&[
        ("W0 bare axum", &w0),
        ("W1 official-account send", &oa),
        ("W1 mini-program send (with grants)", &mini),
    ]);
    print_ratios("W1/W0 (official account)", &oa, &w0);
    print_ratios("W1/W0 (mini program)", &mini, &w0);
    print_phases(&[
        ("W0-durable (bare axum, group-synced log)", &w0d),
        (
            "W0-sqlite (bare axum, a row a request, group-committed)",
            &w0s,
        ),
    ]);
    print_ratios("W0-durable/W0", &w0d, &w0);
    print_ratios("W1/W0-durable (official account)", &oa, &w0d);
    print_ratios("W0-sqlite/W0", &w0s, &w0);
    print_ratios("W1/W0-sqlite (official account)", &oa, &w0s);
    print_ratios("W1/W0-sqlite (mini program)", &mini, &w0s);
    let (rss, peak) = p.rss_mb();
    println!("Tidings RSS after W1: {rss:.1} MB (peak {peak:.1} MB)");
    Ok(())
}

async fn prepare_grants(
    p: &Proc,
    appid: &str,
    users: &[String],
    per_conn: usize,
) -> anyhow::Result<Vec<Vec<String>>> {
    let mut tasks = Vec::new();
    for u in users {
        let url = format!("{}/api/v1/apps/{appid}/users/{u}/payments", p.base);
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut ids = Vec::with_capacity(per_conn);
            for _ in 0..per_conn {
                let v = admin(&http, reqwest::Method::POST, url.clone(), None).await?;
                ids.push(v["prepay_id"].as_str().unwrap_or_default().to_owned());
            }
            anyhow::Ok(ids)
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await??);
    }
    Ok(out)
}

/// Runs one slice of `load` on the measured server `server` into
/// `phase`, its threads' CPU read around it; under `--callgrind` (one
/// slice a load) prints the instructions the server ran a request.
async fn measured_slice<R: Request>(
    phase: &mut Phase,
    load: Arc<R>,
    server: &Proc,
    name: &str,
    o: &Opts,
    length: Duration,
) -> anyhow::Result<()> {
    let pid = server.child.id();
    crate::callgrind::take(pid)?;
    phase
        .slice(load, o.connections, length, watch(server))
        .await;
    if let Some(n) = crate::callgrind::take(pid)? {
        let ok = phase.stats().ok;
        println!(
            "{name}: {} instructions a request (callgrind, {ok} requests)",
            n / ok.max(1)
        );
    }
    Ok(())
}

/// Watches the server `p` and this process, the load generator.
fn watch(p: &Proc) -> crate::cpu::Watch {
    crate::cpu::Watch::start(&[
        ("server", p.child.id()),
        ("load generator", std::process::id()),
    ])
}

/// Each phase's figures over its slices, each slice's rate, and the CPU
/// a request of the processes watched during them.
fn print_phases(phases: &[(&str, &Phase)]) {
    for (name, phase) in phases {
        println!("{}", phase.stats().line(name));
        println!("  slices: {} req/s", phase.rates());
        println!("  CPU a request: {}", phase.cpu());
    }
}

/// The ratio of two phases' rates over all their slices, and the range of
/// their slices' ratios turn by turn.
fn print_ratios(name: &str, a: &Phase, b: &Phase) {
    let (lo, hi) = a.ratio_range(b);
    println!(
        "{name}: {:.1} % (slices {lo:.1}-{hi:.1} %)",
        100.0 * a.stats().rate() / b.stats().rate()
    );
}

pub async fn w3(o: &Opts) -> anyhow::Result<()> {
    println!("## W3: inbox reads under a send load ({} s)", o.secs);
    let dir = tempfile::tempdir()?;
    let readers = (o.connections / 4).max(1);
    let (p, url, bodies, appid, users) = official(&dir, o.connections - readers).await?;
    let urls = users
        .iter()
        .map(|u| format!("{}/api/v1/apps/{appid}/users/{u}/messages?limit=20", p.base))
        .collect();
    let sends = tokio::spawn({
        let (secs, n) = (o.secs, o.connections - readers);
        async move { run(Arc::new(Post { url, bodies }), n, Duration::from_secs(secs)).await }
    });
    let reads = run(
        Arc::new(InboxRead { urls }),
        readers,
        Duration::from_secs(o.secs),
    )
    .await;
    let sends = sends.await?;
    println!("{}", sends.line("W3 concurrent sends"));
    println!("{}", reads.line("W3 inbox reads"));
    Ok(())
}
