//! Governance: library proposals under review, complaints, the penalty
//! ladder with its bans in every dialect, site messages, the marketing scan.

mod common;

use common::{json_of, TestDb, TestServer, START};
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    title_rules_pass_and_fail,
    keyword_rules_pass_and_fail,
    similarity_threshold_at_its_boundary,
    pending_proposals_wait_for_an_admin,
    the_ladder_deletes_then_bans_with_expiry,
    bans_apply_in_every_dialect,
    dismissing_a_complaint_changes_nothing,
    complaints_are_checked_and_deduplicated,
    marketing_scan_counts_and_blocks,
);

/// Good keywords: each fits its example.
fn good_keywords() -> Value {
    json!([
        {"name": "宠物名称", "example": "旺财"},
        {"name": "接种时间", "example": "2026年11月21日 10:00"},
        {"name": "接种费用", "example": "120.00元"},
        {"name": "预约单号", "example": "YM20261121001"}
    ])
}

async fn propose(s: &TestServer, title: &str, keywords: Value) -> Value {
    let res = s
        .admin(Method::POST, "/api/v1/library/proposals")
        .json(&json!({"title": title, "keywords": keywords}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// The rule numbers a proposal broke.
fn rules(p: &Value) -> Vec<String> {
    p["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap().to_owned())
        .collect()
}

async fn title_rules_pass_and_fail(db: TestDb) {
    let s = TestServer::start(&db).await;
    let ok = propose(&s, "宠物疫苗接种提醒", good_keywords()).await;
    assert_eq!(
        (ok["state"].as_str(), rules(&ok).len()),
        (Some("approved"), 0),
        "{ok}"
    );
    for (title, rule) in [
        ("购买成功通知", "1.1"),
        ("订单发货", "1.3"),
        ("订单★发货通知", "1.4"),
        ("亲爱的会员生日提醒", "1.4"),
        ("通知", "1.5"),
        ("系统通知", "1.5"),
        ("优惠券到账通知", "1.6"),
        ("年终促销开始提醒", "1.6"),
    ] {
        let p = propose(&s, title, good_keywords()).await;
        assert_eq!(p["state"], "rejected", "{title}: {p}");
        assert!(
            rules(&p).contains(&rule.to_owned()),
            "{title} breaks {rule}: {p}"
        );
        let v = p["violations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["rule"] == rule)
            .unwrap();
        assert!(v["message"].as_str().unwrap().len() > 5);
    }
    // Each passing counterpart.
    for title in [
        "购物车商品降价提醒",
        "会员生日提醒",
        "会议室预约成功通知",
        "积压工单处理提醒",
    ] {
        let p = propose(&s, title, good_keywords()).await;
        assert!(
            !rules(&p).iter().any(|r| r.starts_with("1.")),
            "{title}: {p}"
        );
    }
    // The approved title is a library title at once, with its keywords.
    let id = ok["title_id"].as_str().unwrap();
    assert!(id.starts_with("AT"));
    let m = s.mini_program().await;
    let got = s
        .wx(
            "/cgi-bin/wxopen/template/library/get",
            &m.token,
            &json!({"id": id}),
        )
        .await;
    assert_eq!(got["title"], "宠物疫苗接种提醒", "{got}");
    assert_eq!(got["keyword_list"][1]["name"], "接种时间");
    let added = s
        .wx(
            "/cgi-bin/wxopen/template/add",
            &m.token,
            &json!({"id": id, "keyword_id_list": [1, 2]}),
        )
        .await;
    assert_eq!(added["errcode"], 0, "{added}");
    // A refused shape is a bad request, not a review.
    let res = s
        .admin(Method::POST, "/api/v1/library/proposals")
        .json(&json!({"title": "", "keywords": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

async fn keyword_rules_pass_and_fail(db: TestDb) {
    let s = TestServer::start(&db).await;
    let with = |extra: Value| {
        let mut k = good_keywords();
        k.as_array_mut().unwrap().push(extra);
        k
    };
    let cases = [
        (with(json!({"name": "宠物名称", "example": "来福"})), "2.1"),
        (
            json!([{"name": "配送员姓名", "example": "张三"}, {"name": "配送员的姓名", "example": "李四"}]),
            "2.2",
        ),
        (with(json!({"name": "商品名称!", "example": "猫粮"})), "2.3"),
        (with(json!({"name": "专属顾问", "example": "王五"})), "2.3"),
        (with(json!({"name": "下单时间", "example": "明天"})), "2.4"),
        (
            with(json!({"name": "支付金额", "example": "很多钱"})),
            "2.4",
        ),
        (with(json!({"name": "商品数量", "example": "若干"})), "2.4"),
        (with(json!({"name": "订单编号", "example": "订单"})), "2.4"),
        (
            with(json!({"name": "联系电话", "example": "打给我"})),
            "2.4",
        ),
        (with(json!({"name": "商品名称", "example": ""})), "2.4"),
        (with(json!({"name": "备注", "example": "无"})), "2.5"),
        (with(json!({"name": "内容", "example": "无"})), "2.5"),
    ];
    for (i, (keywords, rule)) in cases.into_iter().enumerate() {
        let title = format!(
            "宠物美容预约第{}号提醒",
            [
                "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"
            ][i]
        );
        let p = propose(&s, &title, keywords.clone()).await;
        assert_eq!(p["state"], "rejected", "{keywords}: {p}");
        assert_eq!(rules(&p), [rule], "{keywords}: {p}");
    }
    let passing = json!([
        {"name": "配送员姓名", "example": "张三"},
        {"name": "下单时间", "example": "2026-11-21 10:00"},
        {"name": "支付金额", "example": "¥1,299.00"},
        {"name": "商品数量", "example": "3件"},
        {"name": "订单编号", "example": "TX20261121001"},
        {"name": "联系电话", "example": "020-12345678"},
        {"name": "订单备注", "example": "放门口"}
    ]);
    let p = propose(&s, "宠物用品发货提醒", passing).await;
    assert_eq!(rules(&p), Vec::<String>::new(), "{p}");
}

async fn similarity_threshold_at_its_boundary(db: TestDb) {
    let s = TestServer::start(&db).await;
    // 购买成功 (the library's 购买成功通知) against 购买成功了: distance 1 of 5,
    // similarity 0.80 — at the threshold, too similar.
    let at = propose(&s, "购买成功了通知", good_keywords()).await;
    assert_eq!(rules(&at), ["1.2"], "{at}");
    assert!(at["violations"][0]["message"]
        .as_str()
        .unwrap()
        .contains("购买成功通知"));
    // 购卖成功: distance 1 of 4, similarity 0.75 — below it; near enough
    // (≥ 0.6) to wait for an admin.
    let below = propose(&s, "购卖成功通知", good_keywords()).await;
    assert_eq!(
        (below["state"].as_str(), rules(&below).len()),
        (Some("pending"), 0),
        "{below}"
    );
    // Far from every title: approved at once.
    let far = propose(&s, "会议室预约成功通知", good_keywords()).await;
    assert_eq!(far["state"], "approved", "{far}");
}

async fn pending_proposals_wait_for_an_admin(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let p = json_of(
        s.admin(Method::POST, "/api/v1/library/proposals")
            .json(&json!({"title": "购卖成功通知", "keywords": good_keywords(), "appid": m.appid})),
    )
    .await;
    assert_eq!(p["state"], "pending");
    assert_eq!(p["title_id"], Value::Null);
    let id = p["id"].as_i64().unwrap();
    let listed = json_of(s.admin(Method::GET, "/api/v1/library/proposals?state=pending")).await;
    assert_eq!(listed["items"][0]["id"], id);
    let approved = json_of(s.admin(
        Method::POST,
        &format!("/api/v1/library/proposals/{id}/approve"),
    ))
    .await;
    assert_eq!(approved["state"], "approved");
    let title_id = approved["title_id"].as_str().unwrap();
    let got = s
        .wx(
            "/cgi-bin/wxopen/template/library/get",
            &m.token,
            &json!({"id": title_id}),
        )
        .await;
    assert_eq!(got["title"], "购卖成功通知");
    let again = s
        .admin(
            Method::POST,
            &format!("/api/v1/library/proposals/{id}/approve"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409, "decided once");
    // Rejecting another pending one adds nothing.
    let q = propose(&s, "购买成攻通知", good_keywords()).await;
    assert_eq!(q["state"], "pending", "{q}");
    let rejected = json_of(s.admin(
        Method::POST,
        &format!("/api/v1/library/proposals/{}/reject", q["id"]),
    ))
    .await;
    assert_eq!(
        (rejected["state"].as_str(), rejected["title_id"].as_str()),
        (Some("rejected"), None)
    );
    let missing = s
        .admin(Method::POST, "/api/v1/library/proposals/999999/approve")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    // The proposing app was told.
    let notices = json_of(s.admin(Method::GET, &format!("/api/v1/apps/{}/notices", m.appid))).await;
    assert_eq!(
        notices["items"][0]["title"], "模板标题申请通过",
        "{notices}"
    );
}

/// A delivered message of a fresh purchase template; its id and template.
async fn delivered(s: &TestServer, m: &common::MiniProgram) -> (i64, String) {
    let t = s.purchase_template(&m.token).await;
    let v = send(s, m, &t).await;
    (v["msgid"].as_i64().unwrap_or_else(|| panic!("{v}")), t)
}

/// A mini-program send with a fresh form id: WeChat's answer.
async fn send(s: &TestServer, m: &common::MiniProgram, template: &str) -> Value {
    let form = s.grant(&m.appid, &m.openid, "form-submits").await;
    s.wx(
        "/cgi-bin/message/wxopen/template/send",
        &m.token,
        &json!({"touser": m.openid, "template_id": template, "form_id": form}),
    )
    .await
}

async fn complain(s: &TestServer, appid: &str, openid: &str, message: i64, reason: &str) -> i64 {
    let v = json_of(
        s.admin(
            Method::POST,
            &format!("/api/v1/apps/{appid}/users/{openid}/messages/{message}/complaints"),
        )
        .json(&json!({"reason": reason, "text": "太多了"})),
    )
    .await;
    v["id"].as_i64().unwrap_or_else(|| panic!("{v}"))
}

async fn confirm(s: &TestServer, complaint: i64) -> Value {
    let v = json_of(s.admin(
        Method::POST,
        &format!("/api/v1/complaints/{complaint}/confirm"),
    ))
    .await;
    assert_eq!(v["complaint"]["state"], "confirmed", "{v}");
    v["penalty"].clone()
}

/// A mini-program send right now: its errcode and errmsg.
async fn try_send(s: &TestServer, m: &common::MiniProgram, template: &str) -> (i64, String) {
    let v = send(s, m, template).await;
    (
        v["errcode"].as_i64().unwrap(),
        v["errmsg"].as_str().unwrap().to_owned(),
    )
}

async fn the_ladder_deletes_then_bans_with_expiry(db: TestDb) {
    let s = TestServer::start(&db).await;
    let mut m = s.mini_program().await;

    // 1st: the template is deleted.
    let (msg, t1) = delivered(&s, &m).await;
    let p = confirm(
        &s,
        complain(&s, &m.appid, &m.openid, msg, "harassment").await,
    )
    .await;
    assert_eq!(
        (p["nth"].as_i64(), p["action"].as_str()),
        (Some(1), Some("delete_template")),
        "{p}"
    );
    assert_eq!(p["template_id"], t1.as_str());
    assert_eq!(try_send(&s, &m, &t1).await.0, 40037, "the template is gone");
    let (msg, t2) = delivered(&s, &m).await;
    // 2nd: a 7-day ban.
    let p = confirm(
        &s,
        complain(&s, &m.appid, &m.openid, msg, "marketing").await,
    )
    .await;
    assert_eq!(p["action"], "ban_7_days");
    assert_eq!(p["ends_at"], START.as_millis() + 7 * 86_400_000);
    let (code, msg_text) = try_send(&s, &m, &t2).await;
    assert_eq!(code, 48001);
    assert!(
        msg_text.contains("banned until 2026-11-28 10:00:00"),
        "{msg_text}"
    );
    s.clock.advance_secs(7 * 86_400 - 1);
    m.token = s.access_token(&m.appid, &m.secret).await;
    assert_eq!(
        try_send(&s, &m, &t2).await.0,
        48001,
        "a second before the end"
    );
    s.clock.advance_secs(1);
    let (code, _) = try_send(&s, &m, &t2).await;
    assert_eq!(code, 0, "the ban expired");
    // 3rd: 30 days.
    let (msg, t3) = delivered(&s, &m).await;
    let p = confirm(&s, complain(&s, &m.appid, &m.openid, msg, "induced").await).await;
    assert_eq!(p["action"], "ban_30_days");
    let third_start = p["starts_at"].as_i64().unwrap();
    assert_eq!(p["ends_at"], third_start + 30 * 86_400_000);
    assert_eq!(try_send(&s, &m, &t3).await.0, 48001);
    s.clock.advance_secs(30 * 86_400);
    m.token = s.access_token(&m.appid, &m.secret).await;
    assert_eq!(try_send(&s, &m, &t3).await.0, 0);
    // 4th: for good.
    let (msg, t4) = delivered(&s, &m).await;
    let p = confirm(&s, complain(&s, &m.appid, &m.openid, msg, "other").await).await;
    assert_eq!(
        (
            p["action"].as_str(),
            p["permanent"].as_bool(),
            p["ends_at"].as_i64()
        ),
        (Some("ban_permanent"), Some(true), None)
    );
    s.clock.advance_secs(3 * 365 * 86_400);
    m.token = s.access_token(&m.appid, &m.secret).await;
    let (code, text) = try_send(&s, &m, &t4).await;
    assert_eq!(code, 48001);
    assert!(text.contains("forever"), "{text}");

    let penalties =
        json_of(s.admin(Method::GET, &format!("/api/v1/apps/{}/penalties", m.appid))).await;
    let actions: Vec<&str> = penalties["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "delete_template",
            "ban_7_days",
            "ban_30_days",
            "ban_permanent"
        ]
    );
    assert_eq!(penalties["items"][1]["starts_at"], START.as_millis());
    let notices = json_of(s.admin(Method::GET, &format!("/api/v1/apps/{}/notices", m.appid))).await;
    let titles: Vec<&str> = notices["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "第4次违规处罚",
            "第3次违规处罚",
            "第2次违规处罚",
            "第1次违规处罚"
        ]
    );
    assert!(notices["items"][2]["body"]
        .as_str()
        .unwrap()
        .contains("2026-11-28 10:00:00"));
}

async fn bans_apply_in_every_dialect(db: TestDb) {
    let s = TestServer::start(&db).await;
    // A mini program: WeChat's send, the cloud call and the platform's segment send.
    let m = s.mini_program().await;
    let (a, _) = delivered(&s, &m).await;
    let (b, t) = delivered(&s, &m).await;
    confirm(&s, complain(&s, &m.appid, &m.openid, a, "harassment").await).await;
    confirm(&s, complain(&s, &m.appid, &m.openid, b, "harassment").await).await;
    assert_eq!(try_send(&s, &m, &t).await.0, 48001);
    let form = s.grant(&m.appid, &m.openid, "form-submits").await;
    let cloud = json_of(
        s.http
            .post(s.url(&format!(
                "/openapi/templateMessage.send?access_token={}",
                m.token
            )))
            .json(&json!({"touser": m.openid, "templateId": t, "formId": form})),
    )
    .await;
    assert_eq!(cloud["errCode"], 48001, "{cloud}");
    let seg = s
        .admin(Method::POST, &format!("/api/v1/apps/{}/sends", m.appid))
        .json(&json!({"template_id": t, "audience": {"all": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(seg.status(), 403);
    assert_eq!(
        seg.json::<Value>().await.unwrap()["error"]["code"],
        "banned"
    );

    // An official account: WeChat's send and the marketing cloud's.
    let (oa, secret) = s.create_app("official_account").await;
    let token = s.access_token(&oa, &secret).await;
    let user = s.create_user(&oa, json!({"nickname": "粉丝"})).await;
    let mut templates = Vec::new();
    for _ in 0..2 {
        let v = s
            .wx(
                "/cgi-bin/template/api_add_template",
                &token,
                &json!({"template_id_short": "OPENTM200000001"}),
            )
            .await;
        templates.push(v["template_id"].as_str().unwrap().to_owned());
    }
    let oa_send = |t: String| {
        let (token, user) = (token.clone(), user.clone());
        let s = &s;
        async move {
            s.wx(
                "/cgi-bin/message/template/send",
                &token,
                &json!({"touser": user, "template_id": t, "data": {"keyword1": {"value": "周会"}}}),
            )
            .await
        }
    };
    for t in &templates {
        let v = oa_send(t.clone()).await;
        let id = v["msgid"].as_i64().unwrap_or_else(|| panic!("{v}"));
        confirm(&s, complain(&s, &oa, &user, id, "harassment").await).await;
    }
    let v = s
        .wx(
            "/cgi-bin/template/api_add_template",
            &token,
            &json!({"template_id_short": "OPENTM200000001"}),
        )
        .await;
    let fresh = v["template_id"].as_str().unwrap().to_owned();
    assert_eq!(oa_send(fresh.clone()).await["errcode"], 48001);
    let created = json_of(
        s.http
            .post(s.url("/v2/template/message/create"))
            .header("app_id", &oa)
            .header("access_token", &token)
            .json(&json!({"template_id": fresh, "inner_title": "周会", "content": {"keyword1": {"value": "周会"}}})),
    )
    .await;
    let mid = created["data"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{created}"));
    let mk = json_of(
        s.http
            .post(s.url("/v2/template/message/send/create"))
            .header("app_id", &oa)
            .header("access_token", &token)
            .json(&json!({"id": mid, "audience": {"openids": [user]}})),
    )
    .await;
    assert_eq!(mk["code"], 10004, "{mk}");
    assert!(mk["msg"].as_str().unwrap().contains("banned until"));

    // A workspace: the push.
    let (ws, secret) = s.create_app("workspace").await;
    let token = s.access_token(&ws, &secret).await;
    let r = json_of(
        s.admin(Method::POST, &format!("/api/v1/apps/{ws}/employees:import"))
            .header("content-type", "application/x-ndjson")
            .body(
                "{\"client_id\":\"e1\",\"name\":\"甲\",\"orgs\":[\"/1/\"],\"devices\":[\"IOS\"]}\n",
            ),
    )
    .await;
    assert_eq!(r["imported"], 1);
    let push = |body: Value| {
        let token = token.clone();
        let s = &s;
        async move {
            json_of(
                s.http
                    .post(s.url(&format!("/v1/apps/mbox?access_token={token}")))
                    .json(&body),
            )
            .await
        }
    };
    let template =
        json!({"title": "审批", "contents": [[{"content": "{{a.DATA}}", "align": "left"}]]});
    for _ in 0..2 {
        let t = json_of(
            s.http
                .post(s.url(&format!("/v1/templates?access_token={token}")))
                .json(&template),
        )
        .await;
        let plan = push(json!({"type": "TEMPLATE", "body": {"template_id": t["result"]["id"]}, "client_ids": ["e1"]})).await;
        assert_eq!(plan["result"]["oks"], 1, "{plan}");
        let inbox =
            json_of(s.admin(Method::GET, &format!("/api/v1/apps/{ws}/users/e1/messages"))).await;
        let id = inbox["items"][0]["id"].as_i64().unwrap();
        confirm(&s, complain(&s, &ws, "e1", id, "harassment").await).await;
    }
    let t = json_of(
        s.http
            .post(s.url(&format!("/v1/templates?access_token={token}")))
            .json(&template),
    )
    .await;
    let refused = push(json!({"type": "TEMPLATE", "body": {"template_id": t["result"]["id"]}, "client_ids": ["e1"]})).await;
    assert_eq!(refused["status"], 10014, "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("2026-11-28"));
}

async fn dismissing_a_complaint_changes_nothing(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let (msg, t) = delivered(&s, &m).await;
    let c = complain(&s, &m.appid, &m.openid, msg, "harassment").await;
    let d = json_of(s.admin(Method::POST, &format!("/api/v1/complaints/{c}/dismiss"))).await;
    assert_eq!(d["state"], "dismissed");
    let penalties =
        json_of(s.admin(Method::GET, &format!("/api/v1/apps/{}/penalties", m.appid))).await;
    assert_eq!(penalties["items"], json!([]));
    let notices = json_of(s.admin(Method::GET, &format!("/api/v1/apps/{}/notices", m.appid))).await;
    assert_eq!(notices["items"], json!([]));
    assert_eq!(
        try_send(&s, &m, &t).await.0,
        0,
        "the template and the send APIs stay"
    );
    let app = json_of(s.admin(Method::GET, &format!("/api/v1/apps/{}", m.appid))).await;
    assert_eq!(app["appid"], m.appid.as_str());
    for verb in ["confirm", "dismiss"] {
        let r = s
            .admin(Method::POST, &format!("/api/v1/complaints/{c}/{verb}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409, "a decided complaint stays decided");
    }
    // A later confirmed complaint is still the app's 1st violation.
    let (msg, _) = delivered(&s, &m).await;
    let p = confirm(&s, complain(&s, &m.appid, &m.openid, msg, "other").await).await;
    assert_eq!(p["nth"], 1);
}

async fn complaints_are_checked_and_deduplicated(db: TestDb) {
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let (msg, _) = delivered(&s, &m).await;
    let path = format!(
        "/api/v1/apps/{}/users/{}/messages/{msg}/complaints",
        m.appid, m.openid
    );
    let bad = s
        .admin(Method::POST, &path)
        .json(&json!({"reason": "boring"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let other = s.create_user(&m.appid, json!({"nickname": "别人"})).await;
    let not_theirs = s
        .admin(
            Method::POST,
            &format!(
                "/api/v1/apps/{}/users/{other}/messages/{msg}/complaints",
                m.appid
            ),
        )
        .json(&json!({"reason": "other"}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_theirs.status(), 404, "only the recipient complains");
    let first = complain(&s, &m.appid, &m.openid, msg, "marketing").await;
    let second = complain(&s, &m.appid, &m.openid, msg, "harassment").await;
    assert_eq!(first, second, "one complaint per message");
    let c = json_of(s.admin(Method::GET, &format!("/api/v1/complaints/{first}"))).await;
    assert_eq!(
        (
            c["reason"].as_str(),
            c["state"].as_str(),
            c["text"].as_str()
        ),
        (Some("marketing"), Some("pending"), Some("太多了"))
    );
    let all = json_of(s.admin(Method::GET, "/api/v1/complaints")).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    let bad_state = s
        .admin(Method::GET, "/api/v1/complaints?state=odd")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_state.status(), 400);
}

async fn marketing_scan_counts_and_blocks(db: TestDb) {
    for (mode, blocked) in [("count", false), ("block", true)] {
        let s = TestServer::start_with(&db, |c| {
            c.marketing_scan = serde_json::from_value(json!(mode)).unwrap()
        })
        .await;
        let m = s.mini_program().await;
        let t = s.purchase_template(&m.token).await;
        let form = s.grant(&m.appid, &m.openid, "form-submits").await;
        let v = s
            .wx(
                "/cgi-bin/message/wxopen/template/send",
                &m.token,
                &json!({"touser": m.openid, "template_id": t, "form_id": form,
                        "data": {"keyword1": {"value": "领取优惠券"}, "keyword3": {"value": "参加活动送红包"}}}),
            )
            .await;
        let sends = json_of(s.admin(Method::GET, &format!("/api/v1/apps/{}/sends", m.appid))).await;
        if blocked {
            assert_eq!(v["errcode"], 47001, "{v}");
            assert!(v["errmsg"].as_str().unwrap().contains("优惠券"));
            assert_eq!(sends["items"], json!([]), "nothing was sent");
        } else {
            assert_eq!(v["errcode"], 0, "{v}");
            assert_eq!(sends["items"][0]["marketing_hits"], 3, "{sends}");
        }
        // Segment sends are scanned when created.
        let seg = s
            .admin(Method::POST, &format!("/api/v1/apps/{}/sends", m.appid))
            .json(&json!({"template_id": t, "data": {"keyword3": {"value": "秒杀"}}, "audience": {"all": true}}))
            .send()
            .await
            .unwrap();
        if blocked {
            assert_eq!(seg.status(), 400);
        } else {
            assert_eq!(seg.json::<Value>().await.unwrap()["marketing_hits"], 1);
        }
        // Clean sends count nothing.
        let form = s.grant(&m.appid, &m.openid, "form-submits").await;
        let v = s
            .wx("/cgi-bin/message/wxopen/template/send", &m.token, &json!({"touser": m.openid, "template_id": t, "form_id": form, "data": {"keyword3": {"value": "咖啡"}}}))
            .await;
        assert_eq!(v["errcode"], 0);
        let sends = json_of(s.admin(Method::GET, &format!("/api/v1/apps/{}/sends", m.appid))).await;
        assert_eq!(sends["items"][0]["marketing_hits"], 0);
        s.stop().await;
    }
}
