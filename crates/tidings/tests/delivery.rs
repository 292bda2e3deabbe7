//! The delivery engine over HTTP: imports, tags, segment sends as jobs,
//! records, click tracking and the live inbox.

mod common;

use std::collections::HashSet;

use common::{json_of, next_event, MiniProgram, TestDb, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    imports_ndjson_and_csv_with_line_errors,
    tags_and_tagging,
    segment_sends_reach_exactly_their_audience,
    placeholders_are_filled_per_recipient,
    send_records_include_single_sends,
    queued_sends_can_be_cancelled,
    clicks_are_tracked_and_redirected,
    live_inbox_delivers_and_resumes,
    bad_segment_sends_are_refused,
);

async fn import(
    s: &TestServer,
    appid: &str,
    content_type: &str,
    body: String,
) -> reqwest::Response {
    s.admin(Method::POST, &format!("/api/v1/apps/{appid}/users:import"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn import_users(s: &TestServer, appid: &str, n: usize) {
    let body: String = (0..n)
        .map(|i| {
            format!(
                "{{\"openid\":\"user{i:05}\",\"nickname\":\"用户{i}\",\"city\":\"城市{}\"}}\n",
                i % 3
            )
        })
        .collect();
    let r: Value = import(s, appid, "application/x-ndjson", body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["imported"], n as u64, "{r}");
}

async fn tag(s: &TestServer, appid: &str, name: &str, openids: Vec<String>) -> i64 {
    let t: Value = json_of(
        s.admin(Method::POST, &format!("/api/v1/apps/{appid}/tags"))
            .json(&json!({"name": name})),
    )
    .await;
    let id = t["id"].as_i64().unwrap();
    let r: Value = json_of(
        s.admin(
            Method::POST,
            &format!("/api/v1/apps/{appid}/tags/{id}/users"),
        )
        .json(&json!({"openids": openids})),
    )
    .await;
    assert_eq!(r["changed"], openids.len() as u64);
    id
}

async fn segment(s: &TestServer, m: &MiniProgram, template: &str, extra: Value) -> Value {
    let mut body = json!({
        "template_id": template,
        "data": {"keyword1": {"value": "TIT造舰厂"}, "keyword3": {"value": "咖啡"}},
        "page": "index",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let res = s
        .admin(Method::POST, &format!("/api/v1/apps/{}/sends", m.appid))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert_eq!(status, 202, "{v}");
    v
}

fn openids(recipients: &[Value]) -> Vec<String> {
    recipients
        .iter()
        .map(|r| r["openid"].as_str().unwrap().to_owned())
        .collect()
}

async fn imports_ndjson_and_csv_with_line_errors(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let ndjson = "{\"openid\":\"a1\",\"nickname\":\"甲\",\"vip\":true}\n\n{\"nickname\":\"no openid\"}\nnot json\n{\"openid\":\"a2\"}\n";
    let r: Value = import(&s, &m.appid, "application/x-ndjson", ndjson.into())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["lines"], 5);
    assert_eq!(r["imported"], 2);
    assert_eq!(r["failed"], 2);
    assert_eq!(r["errors"][0]["line"], 3);
    assert!(r["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("openid"));
    assert_eq!(r["errors"][1]["line"], 4);
    let csv = "openid,nickname,city\nb1,乙,广州\nb2,\"丙, 二\",\nbad id,丁,北京\na1,甲二,深圳\n";
    let r: Value = import(&s, &m.appid, "text/csv", csv.into())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["imported"].as_u64(), r["failed"].as_u64()),
        (Some(3), Some(1)),
        "{r}"
    );
    let a1: Value =
        json_of(s.admin(Method::GET, &format!("/api/v1/apps/{}/users/a1", m.appid))).await;
    assert_eq!(a1["nickname"], "甲二", "a later import updates the user");
    assert_eq!(a1["profile"], json!({"city": "深圳"}));
    let b2: Value =
        json_of(s.admin(Method::GET, &format!("/api/v1/apps/{}/users/b2", m.appid))).await;
    assert_eq!(b2["nickname"], "丙, 二");
    let wrong = import(&s, &m.appid, "application/json", "{}".into()).await;
    assert_eq!(wrong.status(), 415);
    s.stop().await;
}

async fn tags_and_tagging(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    import_users(&s, &m.appid, 5).await;
    let base = format!("/api/v1/apps/{}/tags", m.appid);
    let created = s
        .admin(Method::POST, &base)
        .json(&json!({"name": "  会员 "}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let t: Value = created.json().await.unwrap();
    assert_eq!(t["name"], "会员");
    let id = t["id"].as_i64().unwrap();
    let dup = s
        .admin(Method::POST, &base)
        .json(&json!({"name": "会员"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), 409);
    let renamed: Value = json_of(
        s.admin(Method::PATCH, &format!("{base}/{id}"))
            .json(&json!({"name": "老会员"})),
    )
    .await;
    assert_eq!(renamed["name"], "老会员");
    let tagged: Value = json_of(
        s.admin(Method::POST, &format!("{base}/{id}/users"))
            .json(&json!({"openids": ["user00000", "user00001", "nobody", "user00001"]})),
    )
    .await;
    assert_eq!(
        tagged["changed"], 2,
        "unknown and repeated openids change nothing"
    );
    let untagged: Value = json_of(
        s.admin(Method::POST, &format!("{base}/{id}/users:remove"))
            .json(&json!({"openids": ["user00001"]})),
    )
    .await;
    assert_eq!(untagged["changed"], 1);
    let list: Value = json_of(s.admin(Method::GET, &base)).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        s.admin(Method::DELETE, &format!("{base}/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        s.admin(Method::DELETE, &format!("{base}/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    s.stop().await;
}

async fn segment_sends_reach_exactly_their_audience(db: TestDb) {
    let s = TestServer::start_with(&db, |c| c.worker_chunk_size = 7).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    import_users(&s, &m.appid, 40).await;
    let all: Vec<String> = (0..40).map(|i| format!("user{i:05}")).collect();
    let evens: Vec<String> = all.iter().step_by(2).cloned().collect();
    let threes: Vec<String> = all.iter().step_by(3).cloned().collect();
    let even_tag = tag(&s, &m.appid, "偶数", evens.clone()).await;
    let three_tag = tag(&s, &m.appid, "三的倍数", threes.clone()).await;

    let check = |expected: Vec<String>| {
        let mut e = expected;
        e.sort();
        e
    };
    let any = segment(
        &s,
        &m,
        &t,
        json!({"audience": {"tag_ids": [even_tag, three_tag], "match": "any"}}),
    )
    .await;
    let union: HashSet<String> = evens.iter().chain(&threes).cloned().collect();
    assert_eq!(any["expects"], union.len());
    let done = s.wait_send(any["id"].as_i64().unwrap()).await;
    assert_eq!(done["state"], "finished");
    assert_eq!(done["oks"], union.len());
    let got = openids(&s.all_recipients(any["id"].as_i64().unwrap(), None).await);
    assert_eq!(check(got), check(union.into_iter().collect()), "tag any");

    let both = segment(
        &s,
        &m,
        &t,
        json!({"audience": {"tag_ids": [even_tag, three_tag], "match": "all"}}),
    )
    .await;
    s.wait_send(both["id"].as_i64().unwrap()).await;
    let got = openids(&s.all_recipients(both["id"].as_i64().unwrap(), None).await);
    let inter: Vec<String> = evens
        .iter()
        .filter(|o| threes.contains(o))
        .cloned()
        .collect();
    assert_eq!(check(got), check(inter), "tag all");

    let listed = segment(
        &s,
        &m,
        &t,
        json!({"audience": {"openids": ["user00003", "user00039", "ghost"]}}),
    )
    .await;
    assert_eq!(listed["expects"], 2, "unknown openids are not counted");
    s.wait_send(listed["id"].as_i64().unwrap()).await;
    assert_eq!(
        openids(&s.all_recipients(listed["id"].as_i64().unwrap(), None).await),
        ["user00003", "user00039"]
    );

    let everyone = segment(&s, &m, &t, json!({"audience": {"all": true}})).await;
    let done = s.wait_send(everyone["id"].as_i64().unwrap()).await;
    assert_eq!(
        done["oks"], 41,
        "40 imported users and the app's first user"
    );
    assert!(done["started_at"].is_i64() && done["finished_at"].is_i64());
    let delivered = s
        .all_recipients(everyone["id"].as_i64().unwrap(), Some("delivered"))
        .await;
    assert_eq!(delivered.len(), 41);
    let inbox: Value = json_of(s.admin(
        Method::GET,
        &format!("/api/v1/apps/{}/users/user00003/messages", m.appid),
    ))
    .await;
    assert_eq!(
        inbox["items"].as_array().unwrap().len(),
        3,
        "user00003 is in three audiences"
    );
    assert_eq!(inbox["items"][0]["status"], "delivered");
    s.stop().await;
}

async fn placeholders_are_filled_per_recipient(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let body = "{\"openid\":\"p1\",\"nickname\":\"小红\",\"city\":\"广州\"}\n{\"openid\":\"p2\"}\n";
    import(&s, &m.appid, "application/x-ndjson", body.into()).await;
    let send = segment(
        &s,
        &m,
        &t,
        json!({
            "data": {
                "keyword1": {"value": "{{PROFILE-city|未知}}门店"},
                "keyword3": {"value": "{{PROFILE-nickname}}的咖啡"},
            },
            "audience": {"openids": ["p1", "p2"]},
        }),
    )
    .await;
    s.wait_send(send["id"].as_i64().unwrap()).await;
    let row = |openid: &'static str| {
        let s = &s;
        let appid = m.appid.clone();
        async move {
            let v: Value = json_of(s.admin(
                Method::GET,
                &format!("/api/v1/apps/{appid}/users/{openid}/messages"),
            ))
            .await;
            v["items"][0]["rows"].clone()
        }
    };
    let p1 = row("p1").await;
    assert_eq!(p1[0]["value"], "广州门店");
    assert_eq!(p1[2]["value"], "小红的咖啡");
    let p2 = row("p2").await;
    assert_eq!(p2[0]["value"], "未知门店", "the default");
    assert_eq!(p2[2]["value"], "的咖啡", "a missing field renders empty");
    s.stop().await;
}

async fn send_records_include_single_sends(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let form = s.grant(&m.appid, &m.openid, "form-submits").await;
    let sent = s
        .wx(
            "/cgi-bin/message/wxopen/template/send",
            &m.token,
            &json!({"touser": m.openid, "template_id": t, "form_id": form, "page": "index", "data": {}}),
        )
        .await;
    let msgid = sent["msgid"].as_i64().unwrap();
    let seg = segment(&s, &m, &t, json!({"audience": {"all": true}})).await;
    s.wait_send(seg["id"].as_i64().unwrap()).await;
    let records: Value =
        json_of(s.admin(Method::GET, &format!("/api/v1/apps/{}/sends", m.appid))).await;
    let items = records["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "segment", "newest first");
    assert_eq!(items[1]["kind"], "single");
    assert_eq!(items[1]["state"], "finished");
    assert_eq!(
        (items[1]["expects"].as_i64(), items[1]["oks"].as_i64()),
        (Some(1), Some(1))
    );
    let single = s
        .all_recipients(items[1]["id"].as_i64().unwrap(), None)
        .await;
    assert_eq!(
        single[0]["message_id"], msgid,
        "the single send's message, in the same records"
    );
    s.stop().await;
}

async fn queued_sends_can_be_cancelled(db: TestDb) {
    let s = TestServer::start_with(&db, |c| c.worker = false).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let send = segment(&s, &m, &t, json!({"audience": {"all": true}})).await;
    assert_eq!(send["state"], "queued");
    let id = send["id"].as_i64().unwrap();
    let cancelled: Value =
        json_of(s.admin(Method::POST, &format!("/api/v1/sends/{id}/cancel"))).await;
    assert_eq!(cancelled["state"], "cancelled");
    assert!(cancelled["finished_at"].is_i64());
    // A worker started later leaves it alone.
    let s = {
        let settings_db = db;
        let s2 = TestServer::start(&settings_db).await;
        s.stop().await;
        let v: Value = json_of(s2.admin(Method::GET, &format!("/api/v1/sends/{id}"))).await;
        assert_eq!(v["state"], "cancelled");
        assert_eq!(v["oks"], 0);
        (s2, settings_db)
    };
    let missing =
        s.0.admin(Method::POST, "/api/v1/sends/999999/cancel")
            .send()
            .await
            .unwrap();
    assert_eq!(missing.status(), 404);
    s.0.stop().await;
}

async fn clicks_are_tracked_and_redirected(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // A page target: a landing page naming it.
    let send = segment(
        &s,
        &m,
        &t,
        json!({"page": "pages/order/detail?id=7", "audience": {"openids": [m.openid]}}),
    )
    .await;
    let id = send["id"].as_i64().unwrap();
    s.wait_send(id).await;
    let inbox: Value = json_of(s.admin(
        Method::GET,
        &format!("/api/v1/apps/{}/users/{}/messages", m.appid, m.openid),
    ))
    .await;
    let link = inbox["items"][0]["link"].as_str().unwrap().to_owned();
    assert!(link.starts_with("/r/") && link.len() == 3 + 31, "{link}");
    let message_id = inbox["items"][0]["id"].as_i64().unwrap();
    assert_eq!(
        tidings_engine::message::link_message_id(&link[3..]),
        Some(message_id),
        "the token names its message"
    );
    let page = no_redirects
        .get(s.url(&link))
        .header("user-agent", "测试浏览器/1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("pages/order/detail?id=7"));
    let clicks: Value = json_of(s.admin(Method::GET, &format!("/api/v1/sends/{id}/clicks"))).await;
    assert_eq!(clicks["items"][0]["openid"], m.openid.as_str());
    assert_eq!(clicks["items"][0]["url"], "pages/order/detail?id=7");
    assert_eq!(clicks["items"][0]["user_agent"], "测试浏览器/1.0");
    assert_eq!(clicks["items"][0]["message_id"], inbox["items"][0]["id"]);
    let clicked = s.all_recipients(id, Some("clicked")).await;
    assert_eq!(clicked.len(), 1);
    assert!(clicked[0]["clicked_at"].is_i64() && clicked[0]["read_at"].is_i64());
    // A URL target: a redirect.
    let send = segment(&s, &m, &t, json!({"page": null, "url": "https://example.com/orders/7", "audience": {"openids": [m.openid]}})).await;
    s.wait_send(send["id"].as_i64().unwrap()).await;
    let inbox: Value = json_of(s.admin(
        Method::GET,
        &format!("/api/v1/apps/{}/users/{}/messages", m.appid, m.openid),
    ))
    .await;
    let link = inbox["items"][0]["link"].as_str().unwrap();
    let res = no_redirects.get(s.url(link)).send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "https://example.com/orders/7");
    // Unknown or guessed tokens find nothing: a real message's id with
    // another secret neither.
    let guessed = format!(
        "/r/{}",
        tidings_engine::message::link_token(
            message_id,
            &tidings_engine::message::new_link_secret()
        )
        .unwrap()
    );
    for bad in ["/r/AAAAAAAAAAAAAAAAAAAAAA", "/r/short", guessed.as_str()] {
        assert_eq!(
            no_redirects.get(s.url(bad)).send().await.unwrap().status(),
            404,
            "{bad}"
        );
    }
    assert_eq!(
        no_redirects.get(s.url(link)).send().await.unwrap().status(),
        302,
        "the real token still follows"
    );
    s.stop().await;
}

async fn live_inbox_delivers_and_resumes(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let stream_path = format!(
        "/api/v1/apps/{}/users/{}/messages/stream",
        m.appid, m.openid
    );
    let res = s.admin(Method::GET, &stream_path).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut body = res.bytes_stream();
    let mut buf = String::new();
    let send_one = || async {
        let form = s.grant(&m.appid, &m.openid, "form-submits").await;
        let v = s
            .wx(
                "/cgi-bin/message/wxopen/template/send",
                &m.token,
                &json!({"touser": m.openid, "template_id": t, "form_id": form, "data": {"keyword3": {"value": "咖啡"}}}),
            )
            .await;
        v["msgid"].as_i64().unwrap()
    };
    let first = send_one().await;
    let (id, data) = next_event(&mut body, &mut buf).await;
    assert_eq!(id, first);
    assert_eq!(data["title"], "购买成功通知");
    assert_eq!(data["rows"][2]["value"], "咖啡");
    drop(body);
    // Two messages while disconnected; resuming after the first loses neither.
    let second = send_one().await;
    let third = send_one().await;
    let res = s
        .admin(Method::GET, &stream_path)
        .header("last-event-id", first.to_string())
        .send()
        .await
        .unwrap();
    let mut body = res.bytes_stream();
    let mut buf = String::new();
    assert_eq!(next_event(&mut body, &mut buf).await.0, second);
    assert_eq!(next_event(&mut body, &mut buf).await.0, third);
    s.stop().await;
}

async fn bad_segment_sends_are_refused(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let other = s.mini_program().await;
    let others_template = s.purchase_template(&other.token).await;
    let path = format!("/api/v1/apps/{}/sends", m.appid);
    for (body, status) in [
        (json!({"template_id": t, "audience": {"openids": []}}), 400),
        (json!({"template_id": t, "audience": {"nobody": true}}), 400),
        (
            json!({"template_id": t, "audience": {"all": true}, "page": "pages/unknown"}),
            400,
        ),
        (
            json!({"template_id": t, "audience": {"all": true}, "url": "ftp://x"}),
            400,
        ),
        (
            json!({"template_id": t, "audience": {"all": true}, "data": {"keyword9": {"value": "x"}}}),
            400,
        ),
        (
            json!({"template_id": others_template, "audience": {"all": true}}),
            400,
        ),
    ] {
        let res = s
            .admin(Method::POST, &path)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{body}");
    }
    let records: Value = json_of(s.admin(Method::GET, &path)).await;
    assert_eq!(records["items"], json!([]), "nothing queued");
    s.stop().await;
}
