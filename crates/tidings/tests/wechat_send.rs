//! Sending mini-program template messages: grants, checks, quotas, the
//! cloud-call variant, and the recipient's inbox.

mod common;

use common::{errcode, json_of, MiniProgram, TestDb, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    a_send_lands_in_the_inbox,
    every_send_error_code,
    a_form_id_sends_once_a_prepay_id_three_times,
    grants_expire_after_seven_days,
    concurrent_sends_respect_grants,
    daily_limit_boundary,
    data_color_and_emphasis_are_checked,
    grants_and_templates_stay_with_their_app,
    cloud_call_variant,
    inbox_pages_and_read_state,
    users_and_grants_over_the_platform_api,
);

fn purchase_data() -> Value {
    json!({
        "keyword1": {"value": "TIT造舰厂", "color": "#173177"},
        "keyword2": {"value": "2016年6月6日"},
        "keyword3": {"value": "咖啡"},
    })
}

async fn send(s: &TestServer, m: &MiniProgram, body: Value) -> Value {
    s.wx("/cgi-bin/message/wxopen/template/send", &m.token, &body)
        .await
}

fn body(m: &MiniProgram, template_id: &str, form_id: &str) -> Value {
    json!({
        "touser": m.openid,
        "template_id": template_id,
        "page": "index?foo=bar",
        "form_id": form_id,
        "data": purchase_data(),
        "emphasis_keyword": "keyword3.DATA",
    })
}

async fn inbox(s: &TestServer, m: &MiniProgram, query: &str) -> Value {
    json_of(s.admin(
        Method::GET,
        &format!(
            "/api/v1/apps/{}/users/{}/messages{query}",
            m.appid, m.openid
        ),
    ))
    .await
}

async fn a_send_lands_in_the_inbox(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let form = s.grant(&m.appid, &m.openid, "form-submits").await;
    let ok = send(&s, &m, body(&m, &t, &form)).await;
    assert_eq!(ok["errcode"], 0, "{ok}");
    assert_eq!(ok["errmsg"], "ok");
    let msgid = ok["msgid"].as_i64().expect("msgid");
    let inbox = inbox(&s, &m, "").await;
    let msg = &inbox["items"][0];
    assert_eq!(msg["id"], msgid);
    assert_eq!(msg["title"], "购买成功通知");
    assert_eq!(msg["template_id"], t.as_str());
    assert_eq!(msg["page"], "index?foo=bar");
    assert_eq!(msg["read"], false);
    assert_eq!(
        msg["rows"],
        json!([
            {"key": "keyword1", "name": "购买地点", "value": "TIT造舰厂", "color": "#173177"},
            {"key": "keyword2", "name": "购买时间", "value": "2016年6月6日"},
            {"key": "keyword3", "name": "物品名称", "value": "咖啡"},
        ])
    );
    assert_eq!(msg["emphasis"]["name"], "物品名称");
    assert_eq!(msg["emphasis"]["value"], "咖啡");
    assert_eq!(msg["created_at"], common::START.as_millis());
    s.stop().await;
}

async fn every_send_error_code(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let form = s.grant(&m.appid, &m.openid, "form-submits").await;
    let mut cases = vec![];
    let mut b = body(&m, &t, &form);
    b["touser"] = json!("oNoSuchUserNoSuchUserNoSuchU");
    cases.push((b, 40003));
    let mut b = body(&m, &t, &form);
    b["template_id"] = json!("wDYzYZVxobJivW9oMpSCpuvACOfJXQIoKUm0PY397Tc");
    cases.push((b, 40037));
    let mut b = body(&m, &t, &form);
    b["form_id"] = json!("no-such-form-id");
    cases.push((b, 41028));
    let mut b = body(&m, &t, &form);
    b.as_object_mut().unwrap().remove("form_id");
    cases.push((b, 41028));
    let mut b = body(&m, &t, &form);
    b["page"] = json!("pages/unknown/unknown");
    cases.push((b, 41030));
    let mut b = body(&m, &t, &form);
    b["data"] = json!({"keyword9": {"value": "x"}});
    cases.push((b, 47001));
    for (b, code) in cases {
        let v = send(&s, &m, b.clone()).await;
        assert_eq!(v["errcode"], code, "{b}: {v}");
    }
    // Bodies that are not one JSON object: cut short, or a whole send
    // followed by more text.
    let whole_then_more = format!("{} trailing", body(&m, &t, &form));
    for raw in ["{\"touser\": ".to_owned(), whole_then_more] {
        let url = s.url(&format!(
            "/cgi-bin/message/wxopen/template/send?access_token={}",
            m.token
        ));
        let malformed = json_of(s.http.post(url).body(raw.clone())).await;
        assert_eq!(malformed["errcode"], 47001, "{raw}: {malformed}");
    }
    // None of those used the form_id; it still sends once, then 41029.
    assert_eq!(errcode(&send(&s, &m, body(&m, &t, &form)).await), 0);
    assert_eq!(send(&s, &m, body(&m, &t, &form)).await["errcode"], 41029);
    s.stop().await;
}

async fn a_form_id_sends_once_a_prepay_id_three_times(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let prepay = s.grant(&m.appid, &m.openid, "payments").await;
    for _ in 0..3 {
        assert_eq!(errcode(&send(&s, &m, body(&m, &t, &prepay)).await), 0);
    }
    assert_eq!(send(&s, &m, body(&m, &t, &prepay)).await["errcode"], 41029);
    // Grants are independent of each other.
    let form = s.grant(&m.appid, &m.openid, "form-submits").await;
    assert_eq!(errcode(&send(&s, &m, body(&m, &t, &form)).await), 0);
    assert_eq!(
        inbox(&s, &m, "?limit=100").await["items"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    s.stop().await;
}

async fn grants_expire_after_seven_days(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let prepay = s.grant(&m.appid, &m.openid, "payments").await;
    let form = s.grant(&m.appid, &m.openid, "form-submits").await;
    s.clock.advance_secs(7 * 86_400 - 60);
    // The token expired long ago; fetch a new one.
    let token = s.access_token(&m.appid, &m.secret).await;
    let m = MiniProgram { token, ..m };
    assert_eq!(errcode(&send(&s, &m, body(&m, &t, &prepay)).await), 0);
    s.clock.advance_secs(60);
    assert_eq!(
        send(&s, &m, body(&m, &t, &prepay)).await["errcode"],
        41028,
        "expired"
    );
    assert_eq!(
        send(&s, &m, body(&m, &t, &form)).await["errcode"],
        41028,
        "expired"
    );
    s.stop().await;
}

async fn concurrent_sends_respect_grants(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    for (what, allowed) in [("payments", 3), ("form-submits", 1)] {
        let grant = s.grant(&m.appid, &m.openid, what).await;
        let url = s.url(&format!(
            "/cgi-bin/message/wxopen/template/send?access_token={}",
            m.token
        ));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (http, url, b) = (s.http.clone(), url.clone(), body(&m, &t, &grant));
                tokio::spawn(async move { json_of(http.post(url).json(&b)).await })
            })
            .collect();
        let mut ok = 0;
        let mut used_up = 0;
        for task in tasks {
            match task.await.unwrap()["errcode"].as_i64().unwrap() {
                0 => ok += 1,
                41029 => used_up += 1,
                other => panic!("unexpected errcode {other}"),
            }
        }
        assert_eq!((ok, used_up), (allowed, 20 - allowed), "{what}");
    }
    assert_eq!(
        inbox(&s, &m, "?limit=100").await["items"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    s.stop().await;
}

async fn daily_limit_boundary(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let res = s
        .admin(Method::PATCH, &format!("/api/v1/apps/{}", m.appid))
        .json(&json!({"daily_send_limit": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["daily_send_limit"], 5);
    let t = s.purchase_template(&m.token).await;
    let mut prepays = Vec::new();
    for _ in 0..3 {
        prepays.push(s.grant(&m.appid, &m.openid, "payments").await);
    }
    let mut grants = prepays
        .iter()
        .flat_map(|p| std::iter::repeat_n(p.clone(), 3));
    for i in 0..5 {
        let g = grants.next().unwrap();
        assert_eq!(
            errcode(&send(&s, &m, body(&m, &t, &g)).await),
            0,
            "send {i}"
        );
    }
    let sixth = grants.next().unwrap();
    assert_eq!(send(&s, &m, body(&m, &t, &sixth)).await["errcode"], 45009);
    // The refused send did not use its grant: it goes through tomorrow.
    s.clock.advance_secs(14 * 3600);
    let token = s.access_token(&m.appid, &m.secret).await;
    let m = MiniProgram { token, ..m };
    assert_eq!(
        errcode(&send(&s, &m, body(&m, &t, &sixth)).await),
        0,
        "the next day passes"
    );
    let zero = s
        .admin(Method::PATCH, &format!("/api/v1/apps/{}", m.appid))
        .json(&json!({"daily_send_limit": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(zero.status(), 400);
    s.stop().await;
}

async fn data_color_and_emphasis_are_checked(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let form = s.grant(&m.appid, &m.openid, "form-submits").await;
    let long = "长".repeat(201);
    for (field, value) in [
        ("data", json!({"keyword4": {"value": "x"}})),
        ("data", json!({"keyword1": "plain string"})),
        ("data", json!({"keyword1": {"value": long}})),
        ("data", json!({"keyword1": {"value": "x", "color": "blue"}})),
        (
            "data",
            json!({"keyword1": {"value": "x", "color": "#12345G"}}),
        ),
        ("data", json!("not an object")),
        ("color", json!("#1234")),
        ("emphasis_keyword", json!("keyword4.DATA")),
        ("emphasis_keyword", json!("keyword1")),
    ] {
        let mut b = body(&m, &t, &form);
        b[field] = value.clone();
        let v = send(&s, &m, b).await;
        assert_eq!(v["errcode"], 47001, "{field}={value}: {v}");
    }
    // An empty template (no data) is allowed, with the message-wide color.
    let mut b = body(&m, &t, &form);
    b.as_object_mut().unwrap().remove("data");
    b["color"] = json!("#FF0000");
    assert_eq!(errcode(&send(&s, &m, b).await), 0);
    let msg = &inbox(&s, &m, "").await["items"][0];
    assert_eq!(
        msg["rows"][1],
        json!({"key": "keyword2", "name": "购买时间", "value": "", "color": "#FF0000"})
    );
    s.stop().await;
}

async fn grants_and_templates_stay_with_their_app(db: TestDb) {
    let s = TestServer::start(&db).await;
    let a = s.mini_program().await;
    let b = s.mini_program().await;
    let ta = s.purchase_template(&a.token).await;
    let tb = s.purchase_template(&b.token).await;
    let a_form = s.grant(&a.appid, &a.openid, "form-submits").await;
    // B cannot send with A's template.
    let v = send(&s, &b, body(&b, &ta, &a_form)).await;
    assert_eq!(v["errcode"], 40037, "{v}");
    // B cannot use A's grant, even for A's user.
    let v = send(&s, &b, body(&b, &tb, &a_form)).await;
    assert_eq!(v["errcode"], 41028, "{v}");
    // A's user is unknown to B.
    let mut to_a_user = body(&b, &tb, &a_form);
    to_a_user["touser"] = json!(a.openid);
    assert_eq!(send(&s, &b, to_a_user).await["errcode"], 40003);
    // A grant belongs to one user: another user of A cannot use it.
    let other = s.create_user(&a.appid, json!({})).await;
    let mut to_other = body(&a, &ta, &a_form);
    to_other["touser"] = json!(other);
    assert_eq!(send(&s, &a, to_other).await["errcode"], 41028);
    // And A's grant is still whole.
    assert_eq!(errcode(&send(&s, &a, body(&a, &ta, &a_form)).await), 0);
    s.stop().await;
}

async fn cloud_call_variant(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let form = s.grant(&m.appid, &m.openid, "form-submits").await;
    let cloud = |form_id: &str| {
        json!({
            "touser": m.openid,
            "templateId": t,
            "page": "index",
            "formId": form_id,
            "data": purchase_data(),
            "emphasisKeyword": "keyword1.DATA",
        })
    };
    let path = format!("/openapi/templateMessage.send?access_token={}", m.token);
    let ok = s.post_json(&path, &cloud(&form)).await;
    assert_eq!(
        ok,
        json!({"errCode": 0, "errMsg": "openapi.templateMessage.send:ok"})
    );
    let used = s.post_json(&path, &cloud(&form)).await;
    assert_eq!(used["errCode"], 41029);
    let unknown = s.post_json(&path, &cloud("nope")).await;
    assert_eq!(unknown["errCode"], 41028);
    assert!(
        unknown["errMsg"]
            .as_str()
            .unwrap()
            .starts_with("openapi.templateMessage.send:fail "),
        "{unknown}"
    );
    let no_token = s
        .post_json("/openapi/templateMessage.send", &cloud(&form))
        .await;
    assert_eq!(no_token["errCode"], 41001);
    let msg = &inbox(&s, &m, "").await["items"][0];
    assert_eq!(msg["emphasis"]["name"], "购买地点", "the same engine send");
    s.stop().await;
}

async fn inbox_pages_and_read_state(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let t = s.purchase_template(&m.token).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let p = s.grant(&m.appid, &m.openid, "payments").await;
        for _ in 0..3 {
            ids.push(
                send(&s, &m, body(&m, &t, &p)).await["msgid"]
                    .as_i64()
                    .unwrap(),
            );
            s.clock.advance_secs(1);
        }
    }
    let mut seen = Vec::new();
    let mut query = "?limit=4".to_owned();
    loop {
        let page = inbox(&s, &m, &query).await;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_i64().unwrap());
        }
        match page["next_cursor"].as_i64() {
            Some(c) => query = format!("?limit=4&cursor={c}"),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, each once");
    let read: Value = json_of(s.admin(
        Method::POST,
        &format!(
            "/api/v1/apps/{}/users/{}/messages/{}/read",
            m.appid, m.openid, ids[0]
        ),
    ))
    .await;
    assert_eq!(read["read"], true);
    let first_read = read["read_at"].clone();
    s.clock.advance_secs(10);
    let again: Value = json_of(s.admin(
        Method::POST,
        &format!(
            "/api/v1/apps/{}/users/{}/messages/{}/read",
            m.appid, m.openid, ids[0]
        ),
    ))
    .await;
    assert_eq!(again["read_at"], first_read, "the first read time is kept");
    let missing = s
        .admin(
            Method::POST,
            &format!(
                "/api/v1/apps/{}/users/{}/messages/999999/read",
                m.appid, m.openid
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    s.stop().await;
}

async fn users_and_grants_over_the_platform_api(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let res = s
        .admin(Method::POST, &format!("/api/v1/apps/{}/users", m.appid))
        .json(&json!({"nickname": "小红", "city": "广州", "vip": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let user: Value = res.json().await.unwrap();
    let openid = user["openid"].as_str().unwrap();
    assert_eq!(openid.len(), 28);
    assert!(openid.starts_with('o'));
    assert_eq!(user["profile"], json!({"city": "广州", "vip": true}));
    let chosen = s
        .create_user(&m.appid, json!({"openid": "my-own-openid_1"}))
        .await;
    assert_eq!(chosen, "my-own-openid_1");
    let dup = s
        .admin(Method::POST, &format!("/api/v1/apps/{}/users", m.appid))
        .json(&json!({"openid": "my-own-openid_1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), 409);
    let bad = s
        .admin(Method::POST, &format!("/api/v1/apps/{}/users", m.appid))
        .json(&json!({"openid": "has spaces"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let form: Value = json_of(s.admin(
        Method::POST,
        &format!("/api/v1/apps/{}/users/{}/form-submits", m.appid, openid),
    ))
    .await;
    assert_eq!(
        form["expires_at"].as_i64().unwrap(),
        common::START.as_millis() + 7 * 86_400_000
    );
    let ghost = s
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{}/users/oGhost/payments", m.appid),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(ghost.status(), 404);
    let (oa, _) = s.create_app("official_account").await;
    let follower = s.create_user(&oa, json!({})).await;
    let no_grants = s
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{oa}/users/{follower}/payments"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(no_grants.status(), 400);
    s.stop().await;
}
