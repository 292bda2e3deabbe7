//! What the console and the recipient inbox call: library search, an app's
//! templates over the platform API, send timelines, inbox passes and the
//! recipient's own inbox API, and the embedded pages themselves.

mod common;

use common::{json_of, next_event, TestDb, TestServer, ADMIN_KEY};
use reqwest::Method;
use serde_json::{json, Value};
use tidings_engine::Clock;

backend_tests!(
    library_search_over_the_platform_api,
    templates_are_composed_over_the_platform_api,
    timelines_validate_and_count,
    inbox_passes_open_one_users_inbox,
    passes_expire_and_stay_in_their_inbox,
    pages_and_assets_are_embedded,
);

async fn library_search_over_the_platform_api(db: TestDb) {
    let s = TestServer::start(&db).await;
    let page = json_of(s.admin(Method::GET, "/api/v1/library?q=订单&count=20")).await;
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items
        .iter()
        .all(|t| t["title"].as_str().unwrap().contains("订单")));
    let total = page["total_count"].as_u64().unwrap();
    assert_eq!(items.len() as u64, total.min(20), "one page of the matches");
    let all = json_of(s.admin(Method::GET, "/api/v1/library?count=1")).await;
    assert!(all["total_count"].as_u64().unwrap() > page["total_count"].as_u64().unwrap());
    let one = json_of(s.admin(Method::GET, "/api/v1/library/AT0001")).await;
    assert_eq!(one["keywords"][0]["keyword_id"], 1);
    for (path, status) in [
        ("/api/v1/library?count=0", 400),
        ("/api/v1/library?count=21", 400),
        ("/api/v1/library?nope=1", 400),
        ("/api/v1/library/AT9999", 404),
    ] {
        let res = s.admin(Method::GET, path).send().await.unwrap();
        assert_eq!(res.status(), status, "{path}");
    }
    let anonymous = s.get("/api/v1/library").await;
    assert_eq!(anonymous.status(), 401);
}

async fn templates_are_composed_over_the_platform_api(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, _) = s.create_app("miniprogram").await;
    let path = format!("/api/v1/apps/{appid}/templates");
    let res = s
        .admin(Method::POST, &path)
        .json(&json!({"title_id": "AT0001", "keyword_ids": [5, 1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["title"], "订单发货提醒");
    let names: Vec<_> = t["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["发货时间", "订单编号"],
        "keywords keep the order given"
    );
    let list = json_of(s.admin(Method::GET, &path)).await;
    assert_eq!(list["items"][0]["template_id"], t["template_id"]);
    for (body, status) in [
        (json!({"title_id": "AT0001", "keyword_ids": [99]}), 400),
        (json!({"title_id": "AT9999", "keyword_ids": [1]}), 404),
        (json!({"title_id": "AT0001"}), 400),
    ] {
        let res = s
            .admin(Method::POST, &path)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{body}");
    }
    let (official, _) = s.create_app("official_account").await;
    let res = s
        .admin(Method::POST, &format!("/api/v1/apps/{official}/templates"))
        .json(&json!({"title_id": "AT0001", "keyword_ids": [1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let id = t["template_id"].as_str().unwrap();
    // Deleted once; the second time there is nothing to delete.
    for status in [204, 404] {
        let req = s.admin(Method::DELETE, &format!("{path}/{id}"));
        assert_eq!(req.send().await.unwrap().status(), status);
    }
}

/// A mini-program app with one user (小明) and one template; returns
/// (appid, openid, template_id).
async fn app_with_user(s: &TestServer) -> (String, String, String) {
    let (appid, _) = s.create_app("miniprogram").await;
    let openid = s
        .create_user(&appid, json!({"nickname": "小明", "city": "杭州"}))
        .await;
    let t = json_of(
        s.admin(Method::POST, &format!("/api/v1/apps/{appid}/templates"))
            .json(&json!({"title_id": "AT0001", "keyword_ids": [1, 2]})),
    )
    .await;
    (appid, openid, t["template_id"].as_str().unwrap().to_owned())
}

async fn send_to(s: &TestServer, appid: &str, openid: &str, template: &str) -> Value {
    let send = json_of(
        s.admin(Method::POST, &format!("/api/v1/apps/{appid}/sends"))
            .json(&json!({"template_id": template,
                          "data": {"keyword1": {"value": "DD1"}, "keyword2": {"value": "{{PROFILE-city}}"}},
                          "url": "https://example.com/order",
                          "audience": {"openids": [openid]}})),
    )
    .await;
    s.wait_send(send["id"].as_i64().unwrap()).await
}

async fn timelines_validate_and_count(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, openid, template) = app_with_user(&s).await;
    let send = send_to(&s, &appid, &openid, &template).await;
    let id = send["id"].as_i64().unwrap();
    let timeline = json_of(s.admin(Method::GET, &format!("/api/v1/sends/{id}/timeline"))).await;
    assert_eq!(timeline["bucket_secs"], 60);
    let buckets = timeline["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 1);
    assert_eq!(buckets[0]["sent"], 1);
    assert_eq!(buckets[0]["read"], 0);
    assert_eq!(buckets[0]["at"].as_i64().unwrap() % 60_000, 0);
    for (path, status) in [
        (format!("/api/v1/sends/{id}/timeline?bucket_secs=0"), 400),
        (
            format!("/api/v1/sends/{id}/timeline?bucket_secs=86401"),
            400,
        ),
        (format!("/api/v1/sends/{id}/timeline?bucket_secs=x"), 400),
        (format!("/api/v1/sends/{}/timeline", id + 1000), 404),
    ] {
        let res = s.admin(Method::GET, &path).send().await.unwrap();
        assert_eq!(res.status(), status, "{path}");
    }
}

async fn issue_pass(s: &TestServer, appid: &str, openid: &str, body: Value) -> reqwest::Response {
    s.admin(
        Method::POST,
        &format!("/api/v1/apps/{appid}/users/{openid}/inbox-passes"),
    )
    .json(&body)
    .send()
    .await
    .unwrap()
}

fn recipient(s: &TestServer, method: Method, path: &str, pass: &str) -> reqwest::RequestBuilder {
    s.http.request(method, s.url(path)).bearer_auth(pass)
}

async fn inbox_passes_open_one_users_inbox(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, openid, template) = app_with_user(&s).await;
    let res = issue_pass(&s, &appid, &openid, json!({})).await;
    assert_eq!(res.status(), 201);
    let pass: Value = res.json().await.unwrap();
    let token = pass["token"].as_str().unwrap().to_owned();
    assert_eq!(pass["url"], format!("/inbox#pass={token}"));
    assert_eq!(
        pass["expires_at"].as_i64().unwrap(),
        s.clock.now().as_millis() + 30 * 86_400_000,
        "30 days by default"
    );
    // No body at all works too; a bad lifetime or user does not.
    let bare = s
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{appid}/users/{openid}/inbox-passes"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 201);
    assert_ne!(bare.json::<Value>().await.unwrap()["token"], token.as_str());
    for (who, body, status) in [
        (openid.as_str(), json!({"ttl_secs": 0}), 400),
        (openid.as_str(), json!({"ttl_secs": 400 * 86_400}), 400),
        (openid.as_str(), json!({"nope": 1}), 400),
        ("o_nobody_here_at_all", json!({}), 404),
    ] {
        assert_eq!(issue_pass(&s, &appid, who, body).await.status(), status);
    }

    let me = json_of(recipient(&s, Method::GET, "/inbox/api/me", &token)).await;
    assert_eq!(me["openid"], openid.as_str());
    assert_eq!(me["nickname"], "小明");
    assert_eq!(me["kind"], "miniprogram");
    let empty = json_of(recipient(&s, Method::GET, "/inbox/api/messages", &token)).await;
    assert_eq!(empty["items"], json!([]));

    // The live stream takes the pass as a query parameter.
    let res = s
        .http
        .get(s.url(&format!("/inbox/api/stream?pass={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut body = res.bytes_stream();
    let mut buf = String::new();
    send_to(&s, &appid, &openid, &template).await;
    let (id, data) = next_event(&mut body, &mut buf).await;
    assert_eq!(
        data["rows"][1]["value"], "杭州",
        "personalized from the profile"
    );
    assert!(data["link"].as_str().unwrap().starts_with("/r/"));

    let page = json_of(recipient(&s, Method::GET, "/inbox/api/messages", &token)).await;
    assert_eq!(page["items"][0]["id"], id);
    let read = json_of(recipient(
        &s,
        Method::POST,
        &format!("/inbox/api/messages/{id}/read"),
        &token,
    ))
    .await;
    assert_eq!(read["read"], true);

    // Someone else's pass reads only their own inbox.
    let other = s.create_user(&appid, json!({"nickname": "小红"})).await;
    let theirs: Value = issue_pass(&s, &appid, &other, json!({}))
        .await
        .json()
        .await
        .unwrap();
    let theirs = theirs["token"].as_str().unwrap();
    let page = json_of(recipient(&s, Method::GET, "/inbox/api/messages", theirs)).await;
    assert_eq!(page["items"], json!([]));
    let res = recipient(
        &s,
        Method::POST,
        &format!("/inbox/api/messages/{id}/read"),
        theirs,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 404);
}

async fn passes_expire_and_stay_in_their_inbox(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, openid, _) = app_with_user(&s).await;
    let pass: Value = issue_pass(&s, &appid, &openid, json!({"ttl_secs": 60}))
        .await
        .json()
        .await
        .unwrap();
    let token = pass["token"].as_str().unwrap();
    let status = |t: String| {
        let req = recipient(&s, Method::GET, "/inbox/api/me", &t);
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(status(token.to_owned()).await, 200);
    s.clock.advance_secs(59);
    assert_eq!(status(token.to_owned()).await, 200);
    s.clock.advance_secs(1);
    assert_eq!(status(token.to_owned()).await, 401, "expired at its end");
    for bad in ["", "not-a-pass", "x".repeat(600).as_str(), ADMIN_KEY] {
        assert_eq!(status(bad.to_owned()).await, 401, "{bad:.20}");
    }
    let anonymous = s.get("/inbox/api/messages").await;
    assert_eq!(anonymous.status(), 401);
    let err: Value = anonymous.json().await.unwrap();
    assert_eq!(err["error"]["code"], "invalid_pass");
}

async fn pages_and_assets_are_embedded(db: TestDb) {
    let s = TestServer::start(&db).await;
    for (path, kind) in [
        ("/console", "text/html"),
        ("/inbox", "text/html"),
        ("/ui/console.js", "text/javascript"),
        ("/ui/app.css", "text/css"),
        ("/ui/vendor/preact.module.js", "text/javascript"),
    ] {
        let res = s.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let headers = res.headers().clone();
        assert!(
            headers["content-type"].to_str().unwrap().starts_with(kind),
            "{path}"
        );
        assert!(headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'"));
        assert!(!res.text().await.unwrap().is_empty());
    }
    let html = s.get("/console").await.text().await.unwrap();
    assert!(
        html.contains("/ui/console.js") && !html.contains("http"),
        "no CDN"
    );
    for missing in [
        "/ui/package.json",
        "/ui/vendor.mjs",
        "/ui/nope.js",
        "/ui/../Cargo.toml",
    ] {
        assert_eq!(s.get(missing).await.status(), 404, "{missing}");
    }
}
