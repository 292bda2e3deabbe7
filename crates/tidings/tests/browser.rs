//! The console and the recipient inbox in a real browser (headless
//! Chromium): an operator signs in, creates an app, sets its page, adds a
//! user and a tag, composes a template from the library, sends to the tag;
//! the card appears live in the recipient's inbox, the recipient follows
//! 查看详情, and the click shows in the console's send record.
//! `TIDINGS_SCREENSHOTS=docs/screenshots` saves the screens on the way.

mod common;

use common::browser::Driver;
use common::{json_of, TestDb, TestServer, ADMIN_KEY};
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    operator_sends_and_recipient_clicks,
    workspace_cards_in_their_message_boxes,
    settings_single_sends_webhooks_and_penalties,
    inbox_refuses_a_bad_pass,
);

const OPENID: &str = "o_browser_recipient_01";

async fn operator_sends_and_recipient_clicks(db: TestDb) {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let s = TestServer::start(&db).await;
    let console = driver.browser().await;

    // Sign in with the admin key.
    console.goto(&s.url("/console")).await;
    console.fill("#admin-key", ADMIN_KEY).await;
    console.click("#sign-in").await;

    // Create a mini-program app; its secret is shown once.
    console.fill("#app-name", "小鹿咖啡").await;
    console.click("#create-app").await;
    let appid = console
        .text_where("#created-app .appid", |t| t.starts_with("wx"))
        .await;
    let secret = console
        .text_where("#created-app .secret-value", |t| t.len() == 32)
        .await;
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()));
    console
        .text_where("#apps", |t| t.contains("小鹿咖啡"))
        .await;
    console.screenshot("console-apps").await;

    // Its page, a user, a tag with the user in it.
    console
        .goto(&s.url(&format!("/console#/apps/{appid}/overview")))
        .await;
    console.fill("#pages", "pages/order/detail").await;
    console.click("#save-app").await;
    console.text_where(".ok", |t| t.contains("Saved")).await;
    console
        .goto(&s.url(&format!("/console#/apps/{appid}/users")))
        .await;
    console.fill("#user-openid", OPENID).await;
    console.fill("#user-nickname", "小明").await;
    console.click("#add-user").await;
    console.text_where(".ok", |t| t.contains(OPENID)).await;
    console.fill("#tag-name", "会员").await;
    console.click("#add-tag").await;
    console.text_where("ul.tags", |t| t.contains("会员")).await;
    let tags = json_of(s.admin(Method::GET, &format!("/api/v1/apps/{appid}/tags"))).await;
    let tag_id = tags["items"][0]["id"].as_i64().unwrap().to_string();
    console.select("#tag-select", &tag_id).await;
    console.fill("#tag-openids", OPENID).await;
    console.click("#tag-users").await;
    console.text_where(".ok", |t| t.contains("1 tagged")).await;

    // The recipient opens their inbox from a link the console issues.
    console.fill("#pass-openid", OPENID).await;
    console.click("#issue-pass").await;
    let link = console
        .find("#inbox-link")
        .await
        .attr("href")
        .await
        .unwrap()
        .expect("a link");
    assert!(link.starts_with("/inbox#pass="), "{link}");
    let phone = driver.browser().await;
    phone.goto(&s.url(&link)).await;
    phone.text_where("#live", |t| t == "实时").await;
    phone
        .text_where("#messages", |t| t.contains("暂无消息"))
        .await;

    // Compose a template from the library, watching the preview.
    console.goto(&s.url("/console#/library")).await;
    console.fill("#library-search", "订单发货").await;
    console.click("#library-titles li button").await;
    for keyword in ["1", "2", "5"] {
        console
            .click(&format!("input[data-keyword=\"{keyword}\"]"))
            .await;
    }
    console.click("#emphasis").await;
    let preview = console
        .text_where("#preview", |t| t.contains("发货时间"))
        .await;
    assert!(
        preview.contains("订单发货提醒") && preview.contains("订单编号"),
        "{preview}"
    );
    assert!(preview.contains("查看详情"), "{preview}");
    console.select("#compose-app", &appid).await;
    console.screenshot("console-compose").await;
    console.click("#create-template").await;
    let template_id = console
        .text_where("#created-template", |t| t.len() == 43)
        .await;

    // Send to the tag, personalized, and watch the job finish.
    console
        .goto(&s.url(&format!("/console#/apps/{appid}/send")))
        .await;
    console.select("#send-template", &template_id).await;
    console
        .fill("input[data-key=\"keyword2\"]", "{{PROFILE-nickname}}的拿铁")
        .await;
    console.select("#send-page", "pages/order/detail").await;
    console.select("#send-emphasis", "keyword1.DATA").await;
    console
        .click(&format!("input[data-tag=\"{tag_id}\"]"))
        .await;
    console.click("#send-button").await;
    let progress = console
        .text_where("#send-progress", |t| t.contains("finished"))
        .await;
    assert!(progress.contains("1 of 1 (0 failed)"), "{progress}");
    let send_id = progress
        .split('#')
        .nth(1)
        .and_then(|r| r.split(':').next())
        .expect("a send id")
        .to_owned();
    console.screenshot("console-send").await;

    // The card arrives live, rendered as WeChat shows it.
    let card = phone
        .text_where("#messages article.card", |t| t.contains("订单发货提醒"))
        .await;
    assert!(card.contains("小明的拿铁"), "personalized: {card}");
    assert!(card.contains("小鹿咖啡"), "{card}");
    let emphasis = phone.text_where(".emphasis-value", |t| !t.is_empty()).await;
    assert_eq!(emphasis, "DD20240506001234");
    phone.screenshot("inbox").await;
    let more = phone.find("article.card a.card-more").await;
    let href = more.attr("href").await.unwrap().expect("tracked link");
    assert!(href.starts_with("/r/"), "{href}");
    more.click().await.expect("clicks 查看详情");

    // The click is in the console's record of the send.
    console
        .goto(&s.url(&format!("/console#/sends/{send_id}")))
        .await;
    console.text_where("#stat-clicked", |t| t == "1").await;
    console.text_where("#click-rate", |t| t == "100.0 %").await;
    console.text_where("#stat-read", |t| t == "1").await;
    let clicks = console.text_where("#clicks", |t| t.contains(OPENID)).await;
    assert!(clicks.contains("pages/order/detail"), "{clicks}");
    console.find("#timeline-chart rect").await;
    console.screenshot("console-record").await;

    // And the API agrees with what the screen showed.
    let recipients =
        json_of(s.admin(Method::GET, &format!("/api/v1/sends/{send_id}/recipients"))).await;
    assert_eq!(recipients["items"][0]["status"], "clicked");

    // Governance screens list what the API holds.
    s.admin(Method::POST, "/api/v1/library/proposals")
        .json(&json!({"title": "宠物疫苗接种提醒", "keywords": [
            {"name": "宠物名称", "example": "旺财"},
            {"name": "接种时间", "example": "2026年11月21日 10:00"}]}))
        .send()
        .await
        .unwrap();
    console.goto(&s.url("/console#/governance/proposals")).await;
    console
        .text_where("#proposals", |t| t.contains("宠物疫苗接种提醒"))
        .await;
    console.screenshot("console-governance").await;

    phone.close().await;
    console.close().await;
}

/// An employee's inbox shows a workspace push as its card — top title on
/// its color, rows of aligned cells, action buttons — in the message box
/// of each platform it was pushed to, live; the buttons are tracked.
async fn workspace_cards_in_their_message_boxes(db: TestDb) {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let s = TestServer::start(&db).await;
    let (appid, secret) = s.create_app("workspace").await;
    let token = s.access_token(&appid, &secret).await;
    let import = s
        .admin(Method::POST, &format!("/api/v1/apps/{appid}/employees:import"))
        .header("content-type", "application/x-ndjson")
        .body("{\"client_id\": \"e1\", \"name\": \"王五\", \"orgs\": [\"/1/\"], \"devices\": [\"IOS\", \"PC\"]}\n")
        .send()
        .await
        .unwrap();
    assert_eq!(import.status(), 200);
    let v1 = |path: &str| s.url(&format!("/v1{path}access_token={token}"));
    let template = json_of(
        s.http
            .post(v1(&format!(
                "/templates?app_id={appid}&source_type=NATIVE&"
            )))
            .json(&json!({
                "title": "审批提醒", "tags": "流程", "sample": "单号 339208499",
                "actions": [{"name": "查看详情", "value": "https://example.com/detail"},
                            {"name": "投诉", "value": "https://example.com/complain"}],
                "contents": [
                    [{"content": "单号:{{keyword1.DATA}}", "align": "left"},
                     {"content": "{{keyword2.DATA}}", "align": "right"}],
                    [{"content": "金额:{{keyword3.DATA}}", "align": "center"}]
                ]
            })),
    )
    .await;
    let template_id = template["result"]["id"]
        .as_str()
        .expect("a template")
        .to_owned();
    let pass = json_of(s.admin(
        Method::POST,
        &format!("/api/v1/apps/{appid}/users/e1/inbox-passes"),
    ))
    .await;
    let phone = driver.browser().await;
    phone.goto(&s.url(pass["url"].as_str().unwrap())).await;
    phone.text_where("#live", |t| t == "实时").await;

    let pushed = json_of(s.http.post(v1("/apps/mbox?")).json(&json!({
        "type": "TEMPLATE",
        "body": {"template_id": template_id, "top_color": "#00aa66", "top_title": "流程大师",
                 "data": [
                    {"key": "keyword1", "value": "339208499", "text_style": "bold"},
                    {"key": "keyword2", "value": "2016年01月05日", "color": "#ff0000"},
                    {"key": "keyword3", "value": "88.00元", "font_size": "18"}]},
        "client_ids": ["e1"], "platforms": ["IOS"]
    })))
    .await;
    assert_eq!(pushed["status"], 0, "{pushed}");

    let card = phone
        .text_where("#messages article.workspace", |t| t.contains("流程大师"))
        .await;
    assert!(
        card.contains("单号:339208499") && card.contains("金额:88.00元"),
        "{card}"
    );
    let right = phone.find(".ws-row .ws-cell:nth-child(2)").await;
    assert_eq!(right.css_value("text-align").await.unwrap(), "right");
    let top = phone.find(".ws-top").await;
    assert_eq!(
        top.css_value("background-color").await.unwrap(),
        "rgba(0, 170, 102, 1)"
    );
    phone
        .text_where(".ws-actions", |t| {
            t.contains("查看详情") && t.contains("投诉")
        })
        .await;
    phone.screenshot("inbox-workspace").await;

    // Only the IOS box holds it.
    phone.click(".tabs button:nth-child(4)").await; // PC
    phone
        .text_where("#messages", |t| t.contains("暂无消息"))
        .await;
    phone.click(".tabs button:nth-child(2)").await; // IOS
    phone
        .text_where("#messages", |t| t.contains("流程大师"))
        .await;

    // The 投诉 button files a complaint with the platform.
    phone.click(".ws-actions a:nth-child(2)").await;
    let mut complaints = Value::Null;
    for _ in 0..200 {
        complaints = json_of(s.admin(Method::GET, "/api/v1/complaints")).await;
        if complaints["items"]
            .as_array()
            .is_some_and(|i| !i.is_empty())
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(complaints["items"][0]["openid"], "e1", "{complaints}");
    assert_eq!(complaints["items"][0]["appid"], appid.as_str());
    phone.close().await;
}

/// The other operator screens do what they say: the quota and a rotated
/// secret, a webhook endpoint, a send to one user, and a complaint
/// confirmed into the app's first penalty.
async fn settings_single_sends_webhooks_and_penalties(db: TestDb) {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let s = TestServer::start(&db).await;
    let (appid, old_secret) = s.create_app("miniprogram").await;
    let openid = s.create_user(&appid, json!({"nickname": "小明"})).await;
    let template = json_of(
        s.admin(Method::POST, &format!("/api/v1/apps/{appid}/templates"))
            .json(&json!({"title_id": "AT0001", "keyword_ids": [1, 2]})),
    )
    .await;
    let template_id = template["template_id"].as_str().unwrap();
    let console = driver.browser().await;
    console.goto(&s.url("/console")).await;
    console.fill("#admin-key", ADMIN_KEY).await;
    console.click("#sign-in").await;

    // Quota and secret.
    console
        .goto(&s.url(&format!("/console#/apps/{appid}/overview")))
        .await;
    console.fill("#daily-limit", "500").await;
    console.click("#save-app").await;
    console.text_where(".ok", |t| t.contains("Saved")).await;
    let app = json_of(s.admin(Method::GET, &format!("/api/v1/apps/{appid}"))).await;
    assert_eq!(app["daily_send_limit"], 500);
    console.click("#rotate-secret").await;
    let secret = console.text_where("#new-secret", |t| t.len() == 32).await;
    assert_ne!(secret, old_secret);
    let old = s.token(&appid, &old_secret).await;
    assert_eq!(old["errcode"], 40125, "the old secret stops working: {old}");
    assert!(s.token(&appid, &secret).await["access_token"].is_string());

    // A webhook endpoint (an address literal: the URL check resolves names).
    console
        .goto(&s.url(&format!("/console#/apps/{appid}/webhooks")))
        .await;
    console
        .fill("#webhook-url", "https://93.184.215.14/tidings")
        .await;
    console.click("#add-webhook").await;
    console
        .text_where("#webhooks", |t| t.contains("93.184.215.14"))
        .await;
    let hooks = json_of(s.admin(Method::GET, &format!("/api/v1/apps/{appid}/webhooks"))).await;
    assert_eq!(hooks["items"][0]["url"], "https://93.184.215.14/tidings");

    // A send to one user.
    console
        .goto(&s.url(&format!("/console#/apps/{appid}/send")))
        .await;
    console.select("#send-template", template_id).await;
    console
        .click("input[name=\"mode\"][value=\"single\"]")
        .await;
    console.fill("#send-openids", &openid).await;
    console.click("#send-button").await;
    let progress = console
        .text_where("#send-progress", |t| t.contains("finished"))
        .await;
    assert!(progress.contains("1 of 1 (0 failed)"), "{progress}");

    // The recipient complains; the operator confirms; the penalty shows.
    let inbox = json_of(s.admin(
        Method::GET,
        &format!("/api/v1/apps/{appid}/users/{openid}/messages"),
    ))
    .await;
    let message = inbox["items"][0]["id"].as_i64().unwrap();
    let filed = s
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{appid}/users/{openid}/messages/{message}/complaints"),
        )
        .json(&json!({"reason": "harassment"}))
        .send()
        .await
        .unwrap();
    assert_eq!(filed.status(), 201);
    console
        .goto(&s.url("/console#/governance/complaints"))
        .await;
    console
        .text_where("#complaints", |t| {
            t.contains("harassment") && t.contains("pending")
        })
        .await;
    console.click("#complaints button.link").await; // Confirm
    console
        .text_where("#complaints", |t| t.contains("confirmed"))
        .await;
    console
        .goto(&s.url(&format!("/console#/apps/{appid}/penalties")))
        .await;
    let penalties = console
        .text_where("table.penalties", |t| t.contains("1"))
        .await;
    assert!(
        penalties.contains(template_id),
        "the first penalty deletes the template: {penalties}"
    );
    console.close().await;
}

/// A link with a wrong pass says so instead of showing anyone's messages.
async fn inbox_refuses_a_bad_pass(db: TestDb) {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let s = TestServer::start(&db).await;
    let phone = driver.browser().await;
    phone
        .goto(&s.url("/inbox#pass=not_a_pass_anyone_issued"))
        .await;
    phone
        .text_where(".notice", |t| t.contains("链接已失效"))
        .await;
    let res = s.get("/inbox/api/messages").await;
    assert_eq!(res.status(), 401);
    phone.close().await;
}
