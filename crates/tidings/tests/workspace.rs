//! The workspace dialect: card templates, employees in an org tree, pushes
//! to message boxes per platform, and the cards as employees read them.

mod common;

use common::{json_of, next_event, TestDb, TestServer, START};
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    the_seed_examples_work_verbatim,
    keyword_search_and_paging,
    updates_change_named_fields,
    scopes_expand_over_a_three_level_tree,
    platforms_decide_oks_and_fails,
    tokens_and_refusals,
    field_validation,
    apps_are_isolated,
    large_pushes_run_as_jobs,
    employees_are_managed,
    card_actions_are_tracked,
    message_boxes_stream_live_per_platform,
);

/// The seed's create request, verbatim.
fn seed_template() -> Value {
    json!({
      "title": "接口模板2",
      "tags": "标签信息",
      "sample": "消息示例",
      "actions": [
        {"name": "查看详情", "value": "https://baidu.com"},
        {"name": "投诉", "value": "https://baidu.com"}
      ],
      "contents": [
        [{"content": "我是第一行:{{data1.DATA}}", "align": "center"}]
      ]
    })
}

/// The seed's push, verbatim but for the template id.
fn seed_push(template_id: &str) -> Value {
    json!({
      "type": "TEMPLATE",
      "body": {
        "template_id": template_id,
        "top_color": "#00ff00",
        "top_avatar": "Z3JvdXAxL00wMC8wMC80MC9yQkFCR1ZkWDQ0ZUFRY21LQUFBZXVHZDBHS0U4MTkuanBn",
        "top_title": "流程大师",
        "data": [
          {"key": "keyword1", "value": "339208499", "color": "#00ff00", "font_size": "12", "text_style": "normal"},
          {"key": "keyword2", "value": "2016年01月05日", "color": "#00ff00", "font_size": "12", "text_style": "normal"},
          {"key": "keyword3", "value": "830138013810", "color": "#00ff00", "font_size": "12", "text_style": "normal"},
          {"key": "keyword4", "value": "8310380131", "color": "#00ff00", "font_size": "12", "text_style": "bold"}
        ]
      },
      "client_ids": ["a86e83a26be44eb59806901cc8be5d5c"],
      "platforms": ["ANDROID"]
    })
}

/// A template with the four keywords of the seed's push.
fn four_keywords() -> Value {
    json!({
        "title": "审批提醒",
        "tags": "流程",
        "sample": "单号 339208499",
        "actions": [
            {"name": "查看详情", "value": "https://example.com/detail"},
            {"name": "投诉", "value": "https://example.com/complain"}
        ],
        "contents": [
            [{"content": "单号:{{keyword1.DATA}}", "align": "left"}, {"content": "{{keyword2.DATA}}", "align": "right"}],
            [{"content": "金额:{{keyword3.DATA}}", "align": "center"}],
            [{"content": "流水:{{keyword4.DATA}}", "align": "left"}]
        ]
    })
}

struct Ws {
    appid: String,
    token: String,
}

async fn workspace(s: &TestServer) -> Ws {
    let (appid, secret) = s.create_app("workspace").await;
    let token = s.access_token(&appid, &secret).await;
    Ws { appid, token }
}

async fn call(
    s: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> Value {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut req = s.http.request(
        method,
        s.url(&format!("/v1{path}{sep}access_token={token}")),
    );
    if let Some(b) = body {
        req = req.json(b);
    }
    let res = req.send().await.expect("request");
    assert_eq!(res.status(), 200, "every answer is HTTP 200");
    res.json().await.expect("JSON body")
}

/// The result of a success, or a panic naming the refusal.
fn ok(v: Value) -> Value {
    assert_eq!(v["status"], 0, "{v}");
    assert_eq!(v["message"], "Everything is ok.");
    v["result"].clone()
}

async fn create(s: &TestServer, ws: &Ws, body: &Value) -> Value {
    let path = format!("/templates?app_id={}&source_type=NATIVE", ws.appid);
    ok(call(s, Method::POST, &path, &ws.token, Some(body)).await)
}

async fn push(s: &TestServer, ws: &Ws, body: &Value) -> Value {
    call(s, Method::POST, "/apps/mbox", &ws.token, Some(body)).await
}

async fn import(s: &TestServer, appid: &str, lines: &[Value]) -> Value {
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    json_of(
        s.admin(
            Method::POST,
            &format!("/api/v1/apps/{appid}/employees:import"),
        )
        .header("content-type", "application/x-ndjson")
        .body(body),
    )
    .await
}

async fn inbox(s: &TestServer, appid: &str, client_id: &str, platform: &str) -> Vec<Value> {
    let v = json_of(s.admin(
        Method::GET,
        &format!("/api/v1/apps/{appid}/users/{client_id}/messages?platform={platform}"),
    ))
    .await;
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .clone()
}

fn employee(id: &str, orgs: &[&str], devices: &[&str]) -> Value {
    json!({"client_id": id, "name": format!("员工{id}"), "orgs": orgs, "devices": devices})
}

async fn the_seed_examples_work_verbatim(db: TestDb) {
    let s = TestServer::start(&db).await;
    let ws = workspace(&s).await;
    let t = create(&s, &ws, &seed_template()).await;
    let id = t["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID like the seed's");
    assert_eq!(id.matches('-').count(), 4);
    for (k, v) in [
        ("app_id", json!(ws.appid)),
        ("type", json!("DEFAULT")),
        ("title", json!("接口模板2")),
        ("sample", json!("消息示例")),
        ("tags", json!("标签信息")),
        ("operator", json!(ws.appid)),
        ("create_time", json!(START.as_millis())),
        ("refresh_time", json!(START.as_millis())),
        ("actions", seed_template()["actions"].clone()),
        ("contents", seed_template()["contents"].clone()),
    ] {
        assert_eq!(t[k], v, "{k}");
    }
    assert!(t["domain_id"].is_string() && t["org_id"].is_string());

    // 获取模板列表, as the seed's request: only the token.
    let list = ok(call(&s, Method::GET, "/templates", &ws.token, None).await);
    assert_eq!(list["total_count"], 1);
    assert_eq!(list["records"][0]["id"], id.as_str());
    assert_eq!(list["records"][0]["contents"], seed_template()["contents"]);

    // 修改模板, the seed's body.
    let mut update = seed_template();
    update["title"] = json!("接口模板3");
    let updated = ok(call(
        &s,
        Method::POST,
        &format!("/templates/{id}?app_id={}&source_type=NATIVE", ws.appid),
        &ws.token,
        Some(&update),
    )
    .await);
    assert_eq!(updated["title"], "接口模板3");
    assert_eq!(updated["id"], id.as_str());

    // 获取模板详情.
    let detail = ok(call(
        &s,
        Method::GET,
        &format!("/templates/{id}"),
        &ws.token,
        None,
    )
    .await);
    assert_eq!(detail["title"], "接口模板3");
    assert_eq!(detail["actions"], seed_template()["actions"]);

    // 模板消息推送, the seed's push to the seed's client id.
    let r = import(
        &s,
        &ws.appid,
        &[employee(
            "a86e83a26be44eb59806901cc8be5d5c",
            &["/232/301/"],
            &["ANDROID"],
        )],
    )
    .await;
    assert_eq!(r["imported"], 1, "{r}");
    let four = create(&s, &ws, &four_keywords()).await;
    let plan = ok(push(&s, &ws, &seed_push(four["id"].as_str().unwrap())).await);
    assert_eq!(counts(&plan), (1, 1, 0), "{plan}");
    assert_eq!(plan["app_id"], ws.appid.as_str());
    assert_eq!(
        plan["client_ids"],
        json!(["/232/301/a86e83a26be44eb59806901cc8be5d5c"])
    );
    assert_eq!(plan["scopes"], json!([]));
    assert_eq!(plan["create_time"], START.as_millis());
    assert_eq!(plan["expect_time"], START.as_millis() + 30 * 60 * 1000);
    assert_eq!(plan["material_id"].as_str().unwrap().len(), 36);
    let plan_id = plan["id"].as_str().unwrap();
    let again = ok(call(
        &s,
        Method::GET,
        &format!("/apps/mbox/{plan_id}"),
        &ws.token,
        None,
    )
    .await);
    assert_eq!(again["oks"], 1);

    // The card in the employee's ANDROID box, not in the IOS one.
    let cid = "a86e83a26be44eb59806901cc8be5d5c";
    assert!(inbox(&s, &ws.appid, cid, "IOS").await.is_empty());
    let items = inbox(&s, &ws.appid, cid, "ANDROID").await;
    assert_eq!(items.len(), 1);
    let card = &items[0]["card"];
    assert_eq!(items[0]["platforms"], json!(["ANDROID"]));
    assert_eq!(card["top_title"], "流程大师");
    assert_eq!(card["top_color"], "#00ff00");
    assert_eq!(card["rows"][0][0]["align"], "left");
    assert_eq!(card["rows"][0][1]["align"], "right");
    assert_eq!(card["rows"][0][0]["spans"][0]["text"], "单号:");
    assert_eq!(card["rows"][0][0]["spans"][1]["text"], "339208499");
    assert_eq!(card["rows"][0][0]["spans"][1]["color"], "#00ff00");
    assert_eq!(card["rows"][0][0]["spans"][1]["font_size"], "12");
    assert_eq!(card["rows"][2][0]["spans"][1]["text_style"], "bold");
    assert_eq!(card["actions"][0]["name"], "查看详情");
    assert!(card["actions"][1]["link"]
        .as_str()
        .unwrap()
        .ends_with("?a=1"));
}

async fn keyword_search_and_paging(db: TestDb) {
    let s = TestServer::start(&db).await;
    let ws = workspace(&s).await;
    for (title, tags) in [
        ("请假审批", "人事"),
        ("报销提醒", "财务"),
        ("会议通知", "行政,人事"),
    ] {
        let mut t = seed_template();
        t["title"] = json!(title);
        t["tags"] = json!(tags);
        create(&s, &ws, &t).await;
    }
    let all = ok(call(&s, Method::GET, "/templates", &ws.token, None).await);
    assert_eq!(all["total_count"], 3);
    let by_tag = ok(call(
        &s,
        Method::GET,
        "/templates?kw=%E4%BA%BA%E4%BA%8B",
        &ws.token,
        None,
    )
    .await);
    assert_eq!(by_tag["total_count"], 2, "人事 is a tag of two: {by_tag}");
    let titles: Vec<&str> = by_tag["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["会议通知", "请假审批"], "newest first");
    let by_title = ok(call(
        &s,
        Method::GET,
        "/templates?kw=%E6%8A%A5%E9%94%80",
        &ws.token,
        None,
    )
    .await);
    assert_eq!(by_title["total_count"], 1, "报销 is in one title");
    let none = ok(call(&s, Method::GET, "/templates?kw=nothing", &ws.token, None).await);
    assert_eq!(
        (
            none["total_count"].as_i64(),
            none["records"].as_array().unwrap().len()
        ),
        (Some(0), 0)
    );
    let page = ok(call(
        &s,
        Method::GET,
        "/templates?skip=1&limit=1",
        &ws.token,
        None,
    )
    .await);
    assert_eq!(page["total_count"], 3, "the total ignores paging");
    assert_eq!(page["records"].as_array().unwrap().len(), 1);
    assert_eq!(page["records"][0]["title"], "报销提醒");
}

async fn updates_change_named_fields(db: TestDb) {
    let s = TestServer::start(&db).await;
    let ws = workspace(&s).await;
    let t = create(&s, &ws, &seed_template()).await;
    let id = t["id"].as_str().unwrap();
    s.clock.advance_secs(60);
    let u = ok(call(
        &s,
        Method::POST,
        &format!("/templates/{id}?source_type=ISV"),
        &ws.token,
        Some(&json!({"title": "新标题"})),
    )
    .await);
    assert_eq!(u["title"], "新标题");
    assert_eq!(u["source_type"], "ISV");
    assert_eq!(u["tags"], "标签信息", "fields left out keep their values");
    assert_eq!(u["contents"], seed_template()["contents"]);
    assert_eq!(u["create_time"], START.as_millis());
    assert_eq!(u["refresh_time"], START.as_millis() + 60_000);
    let d = ok(call(
        &s,
        Method::GET,
        &format!("/templates/{id}"),
        &ws.token,
        None,
    )
    .await);
    assert_eq!(d["title"], "新标题");
    let bad = call(
        &s,
        Method::POST,
        &format!("/templates/{id}"),
        &ws.token,
        Some(&json!({"contents": []})),
    )
    .await;
    assert_eq!(bad["status"], 20001, "{bad}");
    let d = ok(call(
        &s,
        Method::GET,
        &format!("/templates/{id}"),
        &ws.token,
        None,
    )
    .await);
    assert_eq!(
        d["contents"],
        seed_template()["contents"],
        "a refused update changes nothing"
    );
}

/// /1/ ⊃ /1/2/ ⊃ /1/2/3/, beside /1/20/ (a prefix of characters but not of
/// paths) and /5/.
async fn org_tree(s: &TestServer, ws: &Ws) {
    let r = import(
        s,
        &ws.appid,
        &[
            employee("e1", &["/1/"], &["IOS"]),
            employee("e2", &["/1/2/"], &["ANDROID"]),
            employee("e3", &["/1/2/3/"], &["PC"]),
            employee("e4", &["/1/20/"], &[]),
            employee("e5", &["/5/"], &["IOS", "ANDROID"]),
            employee("e6", &["/1/2/3/", "/5/"], &["PC", "IOS"]),
        ],
    )
    .await;
    assert_eq!(
        (r["imported"].as_u64(), r["failed"].as_u64()),
        (Some(6), Some(0)),
        "{r}"
    );
}

async fn recipients(s: &TestServer, plan: &Value) -> Vec<(String, String)> {
    let id: i64 = plan["id"].as_str().unwrap().parse().unwrap();
    let mut out: Vec<(String, String)> = s
        .all_recipients(id, None)
        .await
        .iter()
        .map(|r| {
            (
                r["openid"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// A plan's expects, oks and fails.
fn counts(plan: &Value) -> (i64, i64, i64) {
    let n = |k: &str| plan[k].as_i64().unwrap_or(-1);
    (n("expects"), n("oks"), n("fails"))
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

async fn scopes_expand_over_a_three_level_tree(db: TestDb) {
    let s = TestServer::start(&db).await;
    let ws = workspace(&s).await;
    org_tree(&s, &ws).await;
    let t = create(&s, &ws, &seed_template()).await;
    let tid = t["id"].as_str().unwrap();
    let everywhere = json!(["IOS", "ANDROID", "PC"]);
    let body = |scopes: Value, client_ids: Value| {
        json!({"type": "template", "body": {"template_id": tid, "data": [{"key": "data1", "value": "x"}]},
               "scopes": scopes, "client_ids": client_ids, "platforms": everywhere})
    };
    let cases = [
        (json!(["/1/2/3/"]), json!([]), vec!["e3", "e6"]),
        (json!(["/1/2/"]), json!([]), vec!["e2", "e3", "e6"]),
        (
            json!(["/1/"]),
            json!([]),
            vec!["e1", "e2", "e3", "e4", "e6"],
        ),
        (
            json!(["/1/2/", "/5/"]),
            json!(["e1"]),
            vec!["e1", "e2", "e3", "e5", "e6"],
        ),
        (
            json!(["/1/2/"]),
            json!(["e3", "e4"]),
            vec!["e2", "e3", "e4", "e6"],
        ),
    ];
    for (scopes, ids, want) in cases {
        let plan = ok(push(&s, &ws, &body(scopes.clone(), ids.clone())).await);
        assert_eq!(plan["expects"], want.len(), "{scopes} {ids}: {plan}");
        let got: Vec<String> = recipients(&s, &plan)
            .await
            .into_iter()
            .map(|(o, _)| o)
            .collect();
        assert_eq!(got, want, "{scopes} {ids}");
        assert_eq!(plan["scopes"], scopes);
    }
}

async fn platforms_decide_oks_and_fails(db: TestDb) {
    let s = TestServer::start(&db).await;
    let ws = workspace(&s).await;
    org_tree(&s, &ws).await;
    let t = create(&s, &ws, &seed_template()).await;
    let tid = t["id"].as_str().unwrap();
    // The default platforms, IOS and ANDROID.
    let plan = ok(push(
        &s,
        &ws,
        &json!({"type": "Template", "body": {"template_id": tid}, "scopes": ["/1/"]}),
    )
    .await);
    assert_eq!(counts(&plan), (5, 3, 2), "{plan}");
    assert_eq!(
        recipients(&s, &plan).await,
        pairs(&[
            ("e1", "delivered"),
            ("e2", "delivered"),
            ("e3", "failed"),
            ("e4", "failed"),
            ("e6", "delivered")
        ])
    );
    let id: i64 = plan["id"].as_str().unwrap().parse().unwrap();
    let failed = s.all_recipients(id, Some("failed")).await;
    assert_eq!(
        failed[0]["failed_reason"], "no device on IOS, ANDROID",
        "{failed:?}"
    );
    assert_eq!(inbox(&s, &ws.appid, "e6", "IOS").await.len(), 1);
    assert!(
        inbox(&s, &ws.appid, "e6", "PC").await.is_empty(),
        "PC was not targeted"
    );
    assert!(
        inbox(&s, &ws.appid, "e6", "ANDROID").await.is_empty(),
        "e6 has no ANDROID device"
    );
    let e6 = inbox(&s, &ws.appid, "e6", "IOS").await;
    assert_eq!(e6[0]["platforms"], json!(["IOS"]));

    // PC only.
    let plan = ok(push(&s, &ws, &json!({"type": "TEMPLATE", "body": {"template_id": tid}, "scopes": ["/1/2/"], "platforms": ["PC"]})).await);
    assert_eq!(counts(&plan), (3, 2, 1), "{plan}");
    assert_eq!(
        recipients(&s, &plan).await,
        pairs(&[("e2", "failed"), ("e3", "delivered"), ("e6", "delivered")])
    );
    assert_eq!(inbox(&s, &ws.appid, "e6", "PC").await.len(), 1);
    // Every box at once: the card lands in each of e5's and e6's.
    let plan = ok(push(&s, &ws, &json!({"type": "TEMPLATE", "body": {"template_id": tid}, "scopes": ["/5/"], "platforms": ["ANDROID", "IOS", "PC"]})).await);
    assert_eq!(
        (plan["oks"].as_i64(), plan["fails"].as_i64()),
        (Some(2), Some(0))
    );
    assert_eq!(
        inbox(&s, &ws.appid, "e5", "ANDROID").await[0]["platforms"],
        json!(["ANDROID", "IOS"])
    );
    assert_eq!(inbox(&s, &ws.appid, "e6", "PC").await.len(), 2);
}

async fn tokens_and_refusals(db: TestDb) {
    let s = TestServer::start(&db).await;
    let ws = workspace(&s).await;
    for path in [
        "/v1/templates",
        "/v1/templates?access_token=",
        "/v1/templates?access_token=9e37bbc45be34cd8be8bc3fa31149b88",
    ] {
        let v = s.get_json(path).await;
        assert_eq!(
            v,
            json!({"status": 10011, "message": "token not found.", "result": null}),
            "{path}"
        );
    }
    let v = json_of(
        s.http
            .post(s.url("/v1/apps/mbox?access_token=nope"))
            .json(&seed_push("x")),
    )
    .await;
    assert_eq!(v["status"], 10011);
    // An expired token.
    s.clock.advance_secs(7200 + 1);
    let v = call(&s, Method::GET, "/templates", &ws.token, None).await;
    assert_eq!(v["status"], 10011, "{v}");
    let (appid, secret) = s.create_app("workspace").await;
    let ws = Ws {
        token: s.access_token(&appid, &secret).await,
        appid,
    };
    // Nobody to push to.
    let t = create(&s, &ws, &seed_template()).await;
    let tid = t["id"].as_str().unwrap();
    let v = push(
        &s,
        &ws,
        &json!({"type": "TEMPLATE", "body": {"template_id": tid}, "client_ids": ["nobody"]}),
    )
    .await;
    assert_eq!(
        v,
        json!({"status": 202012, "message": "没有对应的雇员", "result": null})
    );
    import(&s, &ws.appid, &[employee("someone", &["/9/"], &["IOS"])]).await;
    let v = push(
        &s,
        &ws,
        &json!({"type": "TEMPLATE", "body": {"template_id": tid}, "scopes": ["/8/"]}),
    )
    .await;
    assert_eq!(v["status"], 202012);
    let v = push(
        &s,
        &ws,
        &json!({"type": "TEMPLATE", "body": {"template_id": tid}}),
    )
    .await;
    assert_eq!(v["status"], 20001, "no targets at all: {v}");
    // Unknown routes and templates.
    let v = call(
        &s,
        Method::GET,
        "/templates/86007b6c-5cd1-4a9d-a5a6-f85ba8fdd03f",
        &ws.token,
        None,
    )
    .await;
    assert_eq!(v["status"], 20004);
    let v = call(&s, Method::GET, "/nothing", &ws.token, None).await;
    assert_eq!(v["status"], 20004);
}

async fn field_validation(db: TestDb) {
    let s = TestServer::start(&db).await;
    let ws = workspace(&s).await;
    import(&s, &ws.appid, &[employee("e1", &["/1/"], &["IOS"])]).await;
    let path = format!("/templates?app_id={}", ws.appid);
    let mut bad_templates = Vec::new();
    for (field, value) in [
        ("contents", json!([[{"content": "x", "align": "middle"}]])),
        ("contents", json!([])),
        ("contents", json!([[{"content": "x"}]])),
        (
            "actions",
            json!([{"name": "看", "value": "javascript:alert(1)"}]),
        ),
        ("title", json!("")),
    ] {
        let mut t = seed_template();
        t[field] = value.clone();
        bad_templates.push((field, value, t));
    }
    for (field, value, t) in bad_templates {
        let v = call(&s, Method::POST, &path, &ws.token, Some(&t)).await;
        assert_eq!(v["status"], 20001, "{field} {value}: {v}");
        assert!(v["message"].as_str().unwrap().len() > 5, "{v}");
    }
    let v = call(
        &s,
        Method::POST,
        "/templates?source_type=OTHER",
        &ws.token,
        Some(&seed_template()),
    )
    .await;
    assert_eq!(v["status"], 20001);
    let listed = ok(call(&s, Method::GET, "/templates", &ws.token, None).await);
    assert_eq!(listed["total_count"], 0, "nothing refused was stored");

    let t = create(&s, &ws, &seed_template()).await;
    let tid = t["id"].as_str().unwrap();
    let item = json!({"key": "data1", "value": "v", "color": "#00ff00", "font_size": "12", "text_style": "bold"});
    let with = |k: &str, v: Value| {
        let mut i = item.clone();
        i[k] = v;
        json!({"type": "TEMPLATE", "body": {"template_id": tid, "data": [i]}, "client_ids": ["e1"], "platforms": ["IOS"]})
    };
    for (body, why) in [
        (with("text_style", json!("italic")), "text_style"),
        (with("color", json!("green")), "color"),
        (with("font_size", json!("huge")), "font_size"),
        (with("key", json!("data9")), "unknown key"),
        (
            json!({"type": "TEMPLATE", "body": {"template_id": tid, "top_color": "red"}, "client_ids": ["e1"]}),
            "top_color",
        ),
        (
            json!({"type": "NEWS", "body": {"template_id": tid}, "client_ids": ["e1"]}),
            "type",
        ),
        (
            json!({"type": "TEMPLATE", "body": {"template_id": tid}, "client_ids": ["e1"], "platforms": ["TV"]}),
            "platform",
        ),
        (
            json!({"type": "TEMPLATE", "body": {"template_id": tid}, "scopes": ["1/2"]}),
            "scope",
        ),
        (
            json!({"type": "TEMPLATE", "body": {}, "client_ids": ["e1"]}),
            "template_id",
        ),
    ] {
        let v = push(&s, &ws, &body).await;
        assert_eq!(v["status"], 20001, "{why}: {v}");
    }
    assert!(
        inbox(&s, &ws.appid, "e1", "IOS").await.is_empty(),
        "nothing refused was delivered"
    );
    let good = ok(push(&s, &ws, &with("text_style", json!("normal"))).await);
    assert_eq!(good["oks"], 1);
}

async fn apps_are_isolated(db: TestDb) {
    let s = TestServer::start(&db).await;
    let a = workspace(&s).await;
    let b = workspace(&s).await;
    import(&s, &a.appid, &[employee("shared", &["/1/"], &["IOS"])]).await;
    import(&s, &b.appid, &[employee("shared", &["/1/"], &["IOS"])]).await;
    let t = create(&s, &a, &seed_template()).await;
    let tid = t["id"].as_str().unwrap();
    let v = call(
        &s,
        Method::GET,
        &format!("/templates/{tid}"),
        &b.token,
        None,
    )
    .await;
    assert_eq!(v["status"], 20004, "{v}");
    let v = call(
        &s,
        Method::POST,
        &format!("/templates/{tid}"),
        &b.token,
        Some(&json!({"title": "改"})),
    )
    .await;
    assert_eq!(v["status"], 20004);
    let listed = ok(call(&s, Method::GET, "/templates", &b.token, None).await);
    assert_eq!(listed["total_count"], 0);
    let v = push(
        &s,
        &b,
        &json!({"type": "TEMPLATE", "body": {"template_id": tid}, "scopes": ["/1/"]}),
    )
    .await;
    assert_eq!(v["status"], 20004, "{v}");
    assert!(inbox(&s, &b.appid, "shared", "IOS").await.is_empty());
    // A's push reaches A's employees only.
    let plan = ok(push(
        &s,
        &a,
        &json!({"type": "TEMPLATE", "body": {"template_id": tid}, "scopes": ["/1/"]}),
    )
    .await);
    assert_eq!(plan["expects"], 1);
    assert!(inbox(&s, &b.appid, "shared", "IOS").await.is_empty());
    let v = call(
        &s,
        Method::GET,
        &format!("/apps/mbox/{}", plan["id"].as_str().unwrap()),
        &b.token,
        None,
    )
    .await;
    assert_eq!(v["status"], 20004, "another app's plan is not found");
    // app_id must name the token's app; other kinds of apps are refused.
    let v = call(
        &s,
        Method::POST,
        &format!("/templates?app_id={}", b.appid),
        &a.token,
        Some(&seed_template()),
    )
    .await;
    assert_eq!(v["status"], 10012, "{v}");
    let mp = s.mini_program().await;
    let v = call(&s, Method::GET, "/templates", &mp.token, None).await;
    assert_eq!(v["status"], 10013, "{v}");
}

async fn large_pushes_run_as_jobs(db: TestDb) {
    let s = TestServer::start_with(&db, |c| c.worker_chunk_size = 10).await;
    let ws = workspace(&s).await;
    let lines: Vec<Value> = (0..35)
        .map(|i| {
            employee(
                &format!("w{i:03}"),
                &[if i % 2 == 0 { "/1/2/" } else { "/1/3/" }],
                &[if i % 5 == 0 { "PC" } else { "IOS" }],
            )
        })
        .collect();
    let r = import(&s, &ws.appid, &lines).await;
    assert_eq!(r["imported"], 35);
    let t = create(&s, &ws, &seed_template()).await;
    let plan = ok(push(
        &s,
        &ws,
        &json!({"type": "TEMPLATE", "body": {"template_id": t["id"]}, "scopes": ["/1/"]}),
    )
    .await);
    assert_eq!(plan["expects"], 35);
    assert_eq!(plan["refresh_time"], 0, "answered before delivery: {plan}");
    let id = plan["id"].as_str().unwrap();
    let mut last = Value::Null;
    for _ in 0..400 {
        last = ok(call(
            &s,
            Method::GET,
            &format!("/apps/mbox/{id}"),
            &ws.token,
            None,
        )
        .await);
        if last["state"] == "finished" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(last["state"], "finished", "{last}");
    assert_eq!(
        (last["oks"].as_i64(), last["fails"].as_i64()),
        (Some(28), Some(7)),
        "every 5th has PC only"
    );
    assert_eq!(last["refresh_time"], START.as_millis());
}

async fn employees_are_managed(db: TestDb) {
    let s = TestServer::start(&db).await;
    let ws = workspace(&s).await;
    let r = import(
        &s,
        &ws.appid,
        &[
            employee("m1", &["/1/"], &["IOS"]),
            json!({"client_id": "m2", "name": "乙", "orgs": ["/1/2/"], "devices": [{"platform": "android", "id": "tok-1"}]}),
            json!({"client_id": "m3", "name": "丙"}),
            json!({"client_id": "m4", "name": "丁", "orgs": ["/1/"], "devices": ["WINDOWS"]}),
            json!("not an object"),
        ],
    )
    .await;
    assert_eq!(
        (
            r["lines"].as_u64(),
            r["imported"].as_u64(),
            r["failed"].as_u64()
        ),
        (Some(5), Some(2), Some(3)),
        "{r}"
    );
    assert_eq!(r["errors"][0]["line"], 3);
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("orgs"));
    let employees = |rest: &str| format!("/api/v1/apps/{}/employees{rest}", ws.appid);
    let list = json_of(s.admin(Method::GET, &employees(""))).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[1]["devices"],
        json!([{"platform": "ANDROID", "id": "tok-1"}])
    );
    assert_eq!(items[1]["platforms"], json!(["ANDROID"]));
    let sub = json_of(s.admin(Method::GET, &employees("?org=/1/2/"))).await;
    assert_eq!(sub["items"].as_array().unwrap().len(), 1);
    assert_eq!(sub["items"][0]["client_id"], "m2");

    // Moving m1 under /1/2/ puts it in that subtree's pushes.
    let moved = json_of(
        s.admin(Method::PATCH, &employees("/m1"))
            .json(&json!({"orgs": ["/1/2/"], "devices": ["PC"]})),
    )
    .await;
    assert_eq!(moved["orgs"], json!(["/1/2/"]));
    assert_eq!(moved["name"], "员工m1", "the name stays");
    let sub = json_of(s.admin(Method::GET, &employees("?org=/1/2/"))).await;
    assert_eq!(sub["items"].as_array().unwrap().len(), 2);
    let status =
        |req: reqwest::RequestBuilder| async move { req.send().await.unwrap().status().as_u16() };
    let bad = s
        .admin(Method::PATCH, &employees("/m1"))
        .json(&json!({"orgs": ["nope"]}));
    assert_eq!(status(bad).await, 400);

    // Removed employees are no longer targets.
    assert_eq!(
        status(s.admin(Method::DELETE, &employees("/m2"))).await,
        204
    );
    assert_eq!(
        status(s.admin(Method::DELETE, &employees("/m2"))).await,
        404
    );
    let t = create(&s, &ws, &seed_template()).await;
    let v = push(
        &s,
        &ws,
        &json!({"type": "TEMPLATE", "body": {"template_id": t["id"]}, "client_ids": ["m2"]}),
    )
    .await;
    assert_eq!(v["status"], 202012);

    // Employees belong to workspace apps, and come as NDJSON.
    let mp = s.mini_program().await;
    let other = s
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{}/employees:import", mp.appid),
        )
        .header("content-type", "application/x-ndjson")
        .body(format!("{}\n", employee("x", &["/1/"], &[])));
    assert_eq!(status(other).await, 403);
    let csv = s
        .admin(Method::POST, &employees(":import"))
        .header("content-type", "text/csv")
        .body("client_id,name\nx,y\n");
    assert_eq!(status(csv).await, 400);
}

async fn card_actions_are_tracked(db: TestDb) {
    let s = TestServer::start(&db).await;
    let ws = workspace(&s).await;
    import(&s, &ws.appid, &[employee("c1", &["/1/"], &["IOS"])]).await;
    let t = create(&s, &ws, &four_keywords()).await;
    let plan = ok(push(
        &s,
        &ws,
        &json!({"type": "TEMPLATE", "body": {"template_id": t["id"]}, "client_ids": ["c1"]}),
    )
    .await);
    let items = inbox(&s, &ws.appid, "c1", "IOS").await;
    let link = items[0]["card"]["actions"][1]["link"]
        .as_str()
        .unwrap()
        .to_owned();
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // 投诉 files a complaint with the platform instead of opening the app's page.
    let res = no_redirect.get(s.url(&link)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("投诉已提交"));
    let complaints = json_of(s.admin(Method::GET, "/api/v1/complaints?state=pending")).await;
    let c = &complaints["items"][0];
    assert_eq!(
        (c["appid"].as_str(), c["openid"].as_str()),
        (Some(ws.appid.as_str()), Some("c1"))
    );
    assert_eq!(c["template_id"], t["id"]);
    assert_eq!(c["message_id"], items[0]["id"]);
    let first = items[0]["card"]["actions"][0]["link"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = no_redirect.get(s.url(&first)).send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "https://example.com/detail");
    let missing = no_redirect
        .get(s.url(&link.replace("a=1", "a=7")))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let id = plan["id"].as_str().unwrap();
    let clicks = json_of(s.admin(Method::GET, &format!("/api/v1/sends/{id}/clicks"))).await;
    let urls: Vec<&str> = clicks["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        ["https://example.com/complain", "https://example.com/detail"],
        "both buttons' clicks are tracked"
    );
    let items = inbox(&s, &ws.appid, "c1", "IOS").await;
    assert_eq!(items[0]["status"], "clicked");
}

async fn message_boxes_stream_live_per_platform(db: TestDb) {
    let s = TestServer::start(&db).await;
    let ws = workspace(&s).await;
    import(&s, &ws.appid, &[employee("live", &["/1/"], &["IOS", "PC"])]).await;
    let t = create(&s, &ws, &seed_template()).await;
    let stream = format!(
        "/api/v1/apps/{}/users/live/messages/stream?platform=PC",
        ws.appid
    );
    let res = s.admin(Method::GET, &stream).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mut body = res.bytes_stream();
    let mut buf = String::new();
    let to = |platform: &str, value: &str| {
        json!({"type": "TEMPLATE", "client_ids": ["live"], "platforms": [platform],
               "body": {"template_id": t["id"], "data": [{"key": "data1", "value": value}]}})
    };
    ok(push(&s, &ws, &to("IOS", "手机")).await);
    ok(push(&s, &ws, &to("PC", "电脑")).await);
    let (id, data) = next_event(&mut body, &mut buf).await;
    assert_eq!(
        data["platforms"],
        json!(["PC"]),
        "the IOS card is not in the PC box"
    );
    assert_eq!(data["card"]["rows"][0][0]["spans"][1]["text"], "电脑");
    // Read in the PC box.
    let read = json_of(s.admin(
        Method::POST,
        &format!("/api/v1/apps/{}/users/live/messages/{id}/read", ws.appid),
    ))
    .await;
    assert_eq!(read["status"], "read");
    let pc = inbox(&s, &ws.appid, "live", "PC").await;
    assert_eq!((pc.len(), pc[0]["read"].as_bool()), (1, Some(true)));
    let all = json_of(s.admin(
        Method::GET,
        &format!("/api/v1/apps/{}/users/live/messages", ws.appid),
    ))
    .await;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        2,
        "without a platform: every box"
    );
    drop(body);
    s.stop().await;
}
