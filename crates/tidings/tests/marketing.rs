//! The official account's WeChat template API and the marketing-cloud
//! dialect over it.

mod common;

use common::{json_of, TestDb, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    official_account_template_api,
    official_sends_are_idempotent_by_client_msg_id,
    the_seed_request_returns_the_documented_shape,
    marketing_templates_crud_and_errors,
    marketing_sends_target_tags_and_personalize,
    records_count_what_happened,
    other_apps_cannot_see_or_send,
);

struct Oa {
    appid: String,
    token: String,
}

async fn official_account(s: &TestServer) -> Oa {
    let (appid, secret) = s.create_app("official_account").await;
    let token = s.access_token(&appid, &secret).await;
    Oa { appid, token }
}

async fn add_private(s: &TestServer, oa: &Oa, short: &str) -> String {
    let v = s
        .wx(
            "/cgi-bin/template/api_add_template",
            &oa.token,
            &json!({"template_id_short": short}),
        )
        .await;
    v["template_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_owned()
}

/// A marketing-cloud request with the app's headers.
fn mk(s: &TestServer, oa: &Oa, method: Method, path: &str) -> reqwest::RequestBuilder {
    s.http
        .request(method, s.url(&format!("/v2/template/message{path}")))
        .header("app_id", &oa.appid)
        .header("access_token", &oa.token)
}

async fn import(s: &TestServer, appid: &str, lines: &str) {
    let r: Value = json_of(
        s.admin(Method::POST, &format!("/api/v1/apps/{appid}/users:import"))
            .header("content-type", "application/x-ndjson")
            .body(lines.to_owned()),
    )
    .await;
    assert_eq!(r["failed"], 0, "{r}");
}

async fn official_account_template_api(db: TestDb) {
    let s = TestServer::start(&db).await;
    let oa = official_account(&s).await;
    let unset = s
        .get_json(&format!(
            "/cgi-bin/template/get_industry?access_token={}",
            oa.token
        ))
        .await;
    assert_eq!(unset["errcode"], 40102);
    let set = s
        .wx(
            "/cgi-bin/template/api_set_industry",
            &oa.token,
            &json!({"industry_id1": "33", "industry_id2": 1}),
        )
        .await;
    assert_eq!(set["errcode"], 0, "{set}");
    let got = s
        .get_json(&format!(
            "/cgi-bin/template/get_industry?access_token={}",
            oa.token
        ))
        .await;
    assert_eq!(
        got["primary_industry"],
        json!({"first_class": "商业服务", "second_class": "广告|会展"})
    );
    assert_eq!(got["secondary_industry"]["first_class"], "IT科技");
    let bad = s
        .wx(
            "/cgi-bin/template/api_set_industry",
            &oa.token,
            &json!({"industry_id1": 99, "industry_id2": 1}),
        )
        .await;
    assert_eq!(bad["errcode"], 40097);

    let id = add_private(&s, &oa, "OPENTM200000001").await;
    assert_eq!(id.len(), 43);
    let list = s
        .get_json(&format!(
            "/cgi-bin/template/get_all_private_template?access_token={}",
            oa.token
        ))
        .await;
    let t = &list["template_list"][0];
    assert_eq!(t["template_id"], id.as_str());
    assert_eq!(t["title"], "会议提醒");
    assert_eq!(t["primary_industry"], "商业服务");
    assert_eq!(t["deputy_industry"], "广告|会展");
    assert_eq!(
        t["content"],
        "{{first.DATA}}\n会议名称：{{keyword1.DATA}}\n会议时间：{{keyword2.DATA}}\n{{remark.DATA}}"
    );
    assert!(t["example"].as_str().unwrap().contains("会议名称："));
    let unknown = s
        .wx(
            "/cgi-bin/template/api_add_template",
            &oa.token,
            &json!({"template_id_short": "TM99999999"}),
        )
        .await;
    assert_eq!(unknown["errcode"], 40097);
    let del = s
        .wx(
            "/cgi-bin/template/del_private_template",
            &oa.token,
            &json!({"template_id": id}),
        )
        .await;
    assert_eq!(del["errcode"], 0);
    let again = s
        .wx(
            "/cgi-bin/template/del_private_template",
            &oa.token,
            &json!({"template_id": id}),
        )
        .await;
    assert_eq!(again["errcode"], 40037);
    // A mini program may not use the official account's API, nor the reverse.
    let m = s.mini_program().await;
    let v = s
        .wx(
            "/cgi-bin/template/api_add_template",
            &m.token,
            &json!({"template_id_short": "OPENTM200000001"}),
        )
        .await;
    assert_eq!(v["errcode"], 48001);
    s.stop().await;
}

async fn official_sends_are_idempotent_by_client_msg_id(db: TestDb) {
    let s = TestServer::start(&db).await;
    let oa = official_account(&s).await;
    let t = add_private(&s, &oa, "OPENTM200000001").await;
    let follower = s
        .create_user(&oa.appid, json!({"nickname": "关注者"}))
        .await;
    let body = json!({
        "touser": follower,
        "template_id": t,
        "url": "https://example.com/meeting",
        "data": {
            "first": {"value": "您好，会议即将开始", "color": "#173177"},
            "keyword1": {"value": "周会"},
            "keyword2": {"value": "明天 10:00"},
            "remark": {"value": "请准时参加"},
        },
        "client_msg_id": "order-42",
    });
    let first = s
        .wx("/cgi-bin/message/template/send", &oa.token, &body)
        .await;
    assert_eq!(first["errcode"], 0, "{first}");
    let retry = s
        .wx("/cgi-bin/message/template/send", &oa.token, &body)
        .await;
    assert_eq!(
        retry["msgid"], first["msgid"],
        "a retry returns the first msgid"
    );
    let inbox: Value = json_of(s.admin(
        Method::GET,
        &format!("/api/v1/apps/{}/users/{follower}/messages", oa.appid),
    ))
    .await;
    let items = inbox["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "sent once");
    let keys: Vec<_> = items[0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["first", "keyword1", "keyword2", "remark"]);
    assert_eq!(items[0]["url"], "https://example.com/meeting");
    let mut other = body.clone();
    other["client_msg_id"] = json!("order-43");
    assert_ne!(
        s.wx("/cgi-bin/message/template/send", &oa.token, &other)
            .await["msgid"],
        first["msgid"]
    );
    let mut bad = body.clone();
    bad["data"] = json!({"keyword9": {"value": "x"}});
    assert_eq!(
        s.wx("/cgi-bin/message/template/send", &oa.token, &bad)
            .await["errcode"],
        47001
    );
    let mut nobody = body.clone();
    nobody["touser"] = json!("oNobody");
    assert_eq!(
        s.wx("/cgi-bin/message/template/send", &oa.token, &nobody)
            .await["errcode"],
        40003
    );
    s.stop().await;
}

async fn the_seed_request_returns_the_documented_shape(db: TestDb) {
    let s = TestServer::start(&db).await;
    let oa = official_account(&s).await;
    let t = add_private(&s, &oa, "OPENTM200000001").await;
    // The vendor's example, verbatim but for real ids.
    let body = json!({
        "inner_title": "内部标题",
        "template_id": t,
        "title": "微信标题",
        "content": {
            "first": {"value": "11111111{{PROFILE-nickname}}", "label": ""},
            "HandleType": {"value": "222222222222", "label": "服务类型"},
            "remark": {"value": "66666666666666", "label": ""}
        },
        "miniprogram": {"appid": "wx7a92039c57638182", "pagepath": "pages/index/index/index"},
        "tags_id": [13348, 15887],
        "url": ""
    });
    let v: Value = json_of(mk(&s, &oa, Method::POST, "/create").json(&body)).await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["msg"], "success");
    assert!(v["timestamp"].is_number());
    assert!(v["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    let d = &v["data"];
    let mut fields: Vec<_> = d.as_object().unwrap().keys().cloned().collect();
    fields.sort();
    let mut expected = vec![
        "mid",
        "tid",
        "wechat_id",
        "inner_title",
        "title",
        "template_id",
        "primary_industry",
        "deputy_industry",
        "content",
        "topcolor",
        "miniprogram",
        "create_time",
        "update_time",
        "type",
        "tags_id",
        "url",
        "id",
        "create_timestamp",
        "update_timestamp",
    ];
    expected.sort();
    assert_eq!(fields, expected);
    assert_eq!(d["inner_title"], "内部标题");
    assert_eq!(d["title"], "微信标题");
    assert_eq!(d["template_id"], t.as_str());
    assert_eq!(
        (
            d["primary_industry"].as_str(),
            d["deputy_industry"].as_str()
        ),
        (Some("商业服务"), Some("广告|会展"))
    );
    assert_eq!(d["tags_id"], "13348,15887");
    assert_eq!(d["miniprogram"], 1);
    assert_eq!(d["type"], 0);
    assert!(d["id"].is_i64() && d["tid"].is_i64() && d["mid"].is_string());
    let content: Value = serde_json::from_str(d["content"].as_str().unwrap()).unwrap();
    assert_eq!(
        content["keyword1"],
        json!({"label": "服务类型", "value": "222222222222"})
    );
    assert_eq!(content["first"]["value"], "11111111{{PROFILE-nickname}}");
    assert_eq!(d["create_time"], common::START.cst_datetime());
    assert_eq!(d["create_timestamp"], common::START.as_millis() / 1000);
    s.stop().await;
}

async fn create_meeting(s: &TestServer, oa: &Oa, t: &str, tags: Value) -> i64 {
    let v: Value = json_of(mk(s, oa, Method::POST, "/create").json(&json!({
        "inner_title": "会议提醒-1",
        "template_id": t,
        "content": {
            "first": {"value": "{{PROFILE-nickname|朋友}}，您好"},
            "keyword1": {"value": "周会", "label": "会议名称"},
            "keyword2": {"value": "{{PROFILE-city}}会议室"},
            "remark": {"value": "请准时参加"}
        },
        "url": "https://example.com/m",
        "tags_id": tags
    })))
    .await;
    assert_eq!(v["code"], 0, "{v}");
    v["data"]["id"].as_i64().unwrap()
}

async fn marketing_templates_crud_and_errors(db: TestDb) {
    let s = TestServer::start(&db).await;
    let oa = official_account(&s).await;
    let t = add_private(&s, &oa, "OPENTM200000001").await;
    let id = create_meeting(&s, &oa, &t, json!([])).await;
    let other = create_meeting(&s, &oa, &t, json!([7])).await;
    let detail: Value = json_of(mk(&s, &oa, Method::GET, &format!("/detail?id={id}"))).await;
    assert_eq!(detail["data"]["inner_title"], "会议提醒-1");
    s.clock.advance_secs(60);
    let updated: Value = json_of(mk(&s, &oa, Method::PUT, "/update").json(&json!({
        "id": id, "inner_title": "周会提醒", "template_id": t,
        "content": {"keyword1": {"value": "月会"}}, "tags_id": [1, 2]
    })))
    .await;
    assert_eq!(updated["code"], 0, "{updated}");
    assert_eq!(updated["data"]["inner_title"], "周会提醒");
    assert_ne!(
        updated["data"]["update_time"],
        updated["data"]["create_time"]
    );
    let listed: Value = json_of(mk(&s, &oa, Method::GET, "/list?page=1&page_size=10")).await;
    assert_eq!(listed["data"]["total"], 2);
    let by_title: Value = json_of(mk(&s, &oa, Method::GET, "/list?title=%E5%91%A8%E4%BC%9A")).await;
    assert_eq!(by_title["data"]["total"], 1);
    let by_tag: Value = json_of(mk(&s, &oa, Method::GET, "/list?tag_id=7")).await;
    assert_eq!(by_tag["data"]["list"][0]["id"], other);
    let wechat: Value = json_of(mk(&s, &oa, Method::GET, "/wechat/list")).await;
    assert_eq!(wechat["data"]["list"][0]["template_id"], t.as_str());
    let deleted: Value = json_of(mk(&s, &oa, Method::DELETE, &format!("/delete?id={id}"))).await;
    assert_eq!(deleted["code"], 0);
    let gone: Value = json_of(mk(&s, &oa, Method::GET, &format!("/detail?id={id}"))).await;
    assert_eq!(gone["code"], 20002);
    // Errors, each with its code.
    for (req, code) in [
        (mk(&s, &oa, Method::POST, "/create").json(&json!({"inner_title": "x", "template_id": "nope", "content": {}})), 20002),
        (mk(&s, &oa, Method::POST, "/create").json(&json!({"inner_title": "", "template_id": t, "content": {}})), 20001),
        (mk(&s, &oa, Method::POST, "/create").json(&json!({"inner_title": "x", "template_id": t})), 20001),
        (mk(&s, &oa, Method::POST, "/create").json(&json!({"inner_title": "x", "template_id": t, "content": {"keyword1": {"value": "x", "color": "red"}}})), 20001),
        (mk(&s, &oa, Method::POST, "/create").body("{bad"), 20001),
        (mk(&s, &oa, Method::GET, "/detail"), 20001),
        (mk(&s, &oa, Method::GET, "/nothing"), 20002),
        (s.http.get(s.url("/v2/template/message/list")), 10001),
        (s.http.get(s.url("/v2/template/message/list")).header("app_id", &oa.appid).header("access_token", "wrongtokenwrongtoken"), 10002),
        (s.http.get(s.url("/v2/template/message/list")).header("app_id", "wx0000000000000000").header("access_token", &oa.token), 10003),
    ] {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], code, "{v}");
        assert!(v["data"].is_null());
    }
    let m = s.mini_program().await;
    let mini: Value = json_of(
        s.http
            .get(s.url("/v2/template/message/list"))
            .header("app_id", &m.appid)
            .header("access_token", &m.token),
    )
    .await;
    assert_eq!(mini["code"], 10004, "{mini}");
    s.stop().await;
}

async fn wait_send(s: &TestServer, id: i64) {
    s.wait_send(id).await;
}

async fn marketing_sends_target_tags_and_personalize(db: TestDb) {
    let s = TestServer::start(&db).await;
    let oa = official_account(&s).await;
    let t = add_private(&s, &oa, "OPENTM200000001").await;
    import(&s, &oa.appid, "{\"openid\":\"f1\",\"nickname\":\"小张\",\"city\":\"广州\"}\n{\"openid\":\"f2\"}\n{\"openid\":\"f3\",\"nickname\":\"小李\"}\n").await;
    let tag = |name: &'static str, openids: Value| {
        let s = &s;
        let appid = oa.appid.clone();
        async move {
            let t: Value = json_of(
                s.admin(Method::POST, &format!("/api/v1/apps/{appid}/tags"))
                    .json(&json!({"name": name})),
            )
            .await;
            let id = t["id"].as_i64().unwrap();
            json_of(
                s.admin(
                    Method::POST,
                    &format!("/api/v1/apps/{appid}/tags/{id}/users"),
                )
                .json(&json!({"openids": openids})),
            )
            .await;
            id
        }
    };
    let a = tag("甲", json!(["f1", "f2"])).await;
    let b = tag("乙", json!(["f2", "f3"])).await;
    let id = create_meeting(&s, &oa, &t, json!([a, b])).await;
    let recipients = |send: i64| {
        let s = &s;
        async move {
            let mut got: Vec<String> = s
                .all_recipients(send, None)
                .await
                .iter()
                .map(|r| r["openid"].as_str().unwrap().to_owned())
                .collect();
            got.sort();
            got
        }
    };
    // Default audience: the template's tags, any.
    let any: Value =
        json_of(mk(&s, &oa, Method::POST, "/send/create").json(&json!({"id": id}))).await;
    assert_eq!(any["code"], 0, "{any}");
    assert_eq!(any["data"]["target_count"], 3);
    let any_id = any["data"]["send_id"].as_i64().unwrap();
    wait_send(&s, any_id).await;
    assert_eq!(recipients(any_id).await, ["f1", "f2", "f3"]);
    let all: Value = json_of(
        mk(&s, &oa, Method::POST, "/send/create")
            .json(&json!({"id": id, "audience": {"tag_ids": [a, b], "match": "all"}})),
    )
    .await;
    let all_id = all["data"]["send_id"].as_i64().unwrap();
    wait_send(&s, all_id).await;
    assert_eq!(recipients(all_id).await, ["f2"]);
    // Personalization per recipient.
    let inbox: Value = json_of(s.admin(
        Method::GET,
        &format!("/api/v1/apps/{}/users/f1/messages", oa.appid),
    ))
    .await;
    let rows = &inbox["items"][0]["rows"];
    assert_eq!(rows[0]["value"], "小张，您好");
    assert_eq!(rows[2]["value"], "广州会议室");
    let inbox: Value = json_of(s.admin(
        Method::GET,
        &format!("/api/v1/apps/{}/users/f2/messages", oa.appid),
    ))
    .await;
    assert_eq!(inbox["items"][0]["rows"][0]["value"], "朋友，您好");
    let no_tags = create_meeting(&s, &oa, &t, json!([])).await;
    let refused: Value =
        json_of(mk(&s, &oa, Method::POST, "/send/create").json(&json!({"id": no_tags}))).await;
    assert_eq!(refused["code"], 20001);
    s.stop().await;
}

async fn records_count_what_happened(db: TestDb) {
    let s = TestServer::start(&db).await;
    let oa = official_account(&s).await;
    let t = add_private(&s, &oa, "OPENTM200000001").await;
    let long = "长".repeat(199);
    import(&s, &oa.appid, &format!(
        "{{\"openid\":\"r1\",\"nickname\":\"一\"}}\n{{\"openid\":\"r2\",\"nickname\":\"二\"}}\n{{\"openid\":\"r3\",\"city\":\"{long}\"}}\n"
    ))
    .await;
    let id = create_meeting(&s, &oa, &t, json!([])).await;
    // r3's city makes its second keyword too long: that recipient fails.
    let sent: Value = json_of(
        mk(&s, &oa, Method::POST, "/send/create")
            .json(&json!({"id": id, "audience": {"openids": ["r1", "r2", "r3"]}})),
    )
    .await;
    let send_id = sent["data"]["send_id"].as_i64().unwrap();
    wait_send(&s, send_id).await;
    let detail: Value = json_of(mk(
        &s,
        &oa,
        Method::GET,
        &format!("/send/detail?send_id={send_id}"),
    ))
    .await;
    let list = detail["data"]["list"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    let failed: Vec<_> = list.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["openid"], "r3");
    let only_failed: Value = json_of(mk(
        &s,
        &oa,
        Method::GET,
        &format!("/send/detail?send_id={send_id}&status=failed"),
    ))
    .await;
    assert_eq!(only_failed["data"]["list"].as_array().unwrap().len(), 1);
    // r1 reads and clicks twice; r2 clicks once.
    let inbox = |openid: &'static str| {
        let s = &s;
        let appid = oa.appid.clone();
        async move {
            json_of(s.admin(
                Method::GET,
                &format!("/api/v1/apps/{appid}/users/{openid}/messages"),
            ))
            .await
        }
    };
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (openid, clicks) in [("r1", 2), ("r2", 1)] {
        let link = inbox(openid).await["items"][0]["link"]
            .as_str()
            .unwrap()
            .to_owned();
        for _ in 0..clicks {
            assert_eq!(
                no_redirects
                    .get(s.url(&link))
                    .send()
                    .await
                    .unwrap()
                    .status(),
                302
            );
        }
    }
    let records: Value = json_of(mk(&s, &oa, Method::GET, "/send/records")).await;
    let r = &records["data"]["list"][0];
    assert_eq!(r["send_id"], send_id);
    assert_eq!(r["template_message_id"], id);
    assert_eq!(
        (
            r["target_count"].as_i64(),
            r["sent"].as_i64(),
            r["failed"].as_i64()
        ),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(
        (
            r["read"].as_i64(),
            r["clicks"].as_i64(),
            r["unique_clickers"].as_i64()
        ),
        (Some(2), Some(3), Some(2))
    );
    assert_eq!(r["state"], "finished");
    let clicks: Value = json_of(mk(
        &s,
        &oa,
        Method::GET,
        &format!("/click/detail?send_id={send_id}"),
    ))
    .await;
    let list = clicks["data"]["list"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["nickname"], "一");
    assert_eq!(list[0]["url"], "https://example.com/m");
    s.stop().await;
}

async fn other_apps_cannot_see_or_send(db: TestDb) {
    let s = TestServer::start(&db).await;
    let a = official_account(&s).await;
    let b = official_account(&s).await;
    let t = add_private(&s, &a, "OPENTM200000001").await;
    let id = create_meeting(&s, &a, &t, json!([1])).await;
    let seen: Value = json_of(mk(&s, &b, Method::GET, &format!("/detail?id={id}"))).await;
    assert_eq!(seen["code"], 20002);
    let listed: Value = json_of(mk(&s, &b, Method::GET, "/list")).await;
    assert_eq!(listed["data"]["total"], 0);
    let sent: Value =
        json_of(mk(&s, &b, Method::POST, "/send/create").json(&json!({"id": id}))).await;
    assert_eq!(sent["code"], 20002);
    let using: Value = json_of(
        mk(&s, &b, Method::POST, "/create")
            .json(&json!({"inner_title": "x", "template_id": t, "content": {}})),
    )
    .await;
    assert_eq!(
        using["code"], 20002,
        "B cannot build on A's WeChat template"
    );
    let gone: Value = json_of(mk(&s, &b, Method::DELETE, &format!("/delete?id={id}"))).await;
    assert_eq!(gone["code"], 20002);
    let still: Value = json_of(mk(&s, &a, Method::GET, &format!("/detail?id={id}"))).await;
    assert_eq!(still["code"], 0);
    let wx = s
        .wx(
            "/cgi-bin/message/template/send",
            &b.token,
            &json!({"touser": "x", "template_id": t}),
        )
        .await;
    assert_eq!(wx["errcode"], 40003);
    s.stop().await;
}
