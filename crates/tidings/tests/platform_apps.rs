//! `/api/v1/apps` over HTTP on both backends.

mod common;

use common::{errcode, json_of, TestDb, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    create_get_list_update,
    secret_is_shown_only_at_creation_and_rotation,
    bad_input_gets_clear_errors,
    admin_key_is_required,
);

fn is_appid(s: &str) -> bool {
    s.len() == 18
        && s.starts_with("wx")
        && s[2..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

async fn create_get_list_update(db: TestDb) {
    let s = TestServer::start(&db).await;
    let res = s
        .admin(Method::POST, "/api/v1/apps")
        .json(&json!({"name": "星巴克小程序", "kind": "miniprogram", "pages": ["pages/index/index", "pages/order/detail"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let appid = created["appid"].as_str().unwrap().to_owned();
    assert!(is_appid(&appid), "{appid}");
    assert_eq!(created["kind"], "miniprogram");
    assert_eq!(created["status"], "active");
    assert_eq!(
        created["pages"],
        json!(["pages/index/index", "pages/order/detail"])
    );

    let got: Value = json_of(s.admin(Method::GET, &format!("/api/v1/apps/{appid}"))).await;
    assert_eq!(got["name"], "星巴克小程序");

    for i in 0..4 {
        s.create_app(["official_account", "workspace"][i % 2]).await;
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/api/v1/apps?limit=2&after={a}"),
            None => "/api/v1/apps?limit=2".to_owned(),
        };
        let page: Value = json_of(s.admin(Method::GET, &path)).await;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["appid"].as_str().unwrap().to_owned());
        }
        match page["next_after"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "every app exactly once across pages");
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "ordered by appid, no repeats");

    let updated: Value = json_of(
        s.admin(Method::PATCH, &format!("/api/v1/apps/{appid}"))
            .json(&json!({"name": "新名字", "pages": ["pages/home/home"]})),
    )
    .await;
    assert_eq!(updated["name"], "新名字");
    assert_eq!(updated["pages"], json!(["pages/home/home"]));
    let renamed_only: Value = json_of(
        s.admin(Method::PATCH, &format!("/api/v1/apps/{appid}"))
            .json(&json!({"name": "再改"})),
    )
    .await;
    assert_eq!(
        renamed_only["pages"],
        json!(["pages/home/home"]),
        "pages kept"
    );
    s.stop().await;
}

async fn secret_is_shown_only_at_creation_and_rotation(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, secret) = s.create_app("miniprogram").await;
    assert_eq!(secret.len(), 32);
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
    for path in [format!("/api/v1/apps/{appid}"), "/api/v1/apps".to_owned()] {
        let text = s
            .admin(Method::GET, &path)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains(&secret), "{path} shows the secret");
        assert!(
            !text.contains("secret"),
            "{path} names a secret field: {text}"
        );
    }
    let rotated: Value =
        json_of(s.admin(Method::POST, &format!("/api/v1/apps/{appid}/rotate-secret"))).await;
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    assert_eq!(
        s.token(&appid, &secret).await["errcode"],
        40125,
        "old secret refused"
    );
    assert_eq!(
        errcode(&s.token(&appid, new_secret).await),
        0,
        "new secret works"
    );
    s.stop().await;
}

async fn bad_input_gets_clear_errors(db: TestDb) {
    let s = TestServer::start(&db).await;
    let cases = [
        (json!({"name": "", "kind": "miniprogram"}), "name"),
        (json!({"name": "a", "kind": "robot"}), "kind"),
        (json!({"name": "a"}), "kind"),
        (
            json!({"name": "a", "kind": "miniprogram", "pages": ["/abs"]}),
            "pages",
        ),
        (
            json!({"name": "a", "kind": "miniprogram", "pages": ["a", "a"]}),
            "twice",
        ),
        (
            json!({"name": "a", "kind": "official_account", "pages": ["a"]}),
            "pages",
        ),
        (
            json!({"name": "a", "kind": "miniprogram", "colour": "red"}),
            "colour",
        ),
    ];
    for (body, hint) in cases {
        let res = s
            .admin(Method::POST, "/api/v1/apps")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "invalid_argument");
        let msg = err["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains(hint),
            "{body}: message {msg:?} should mention {hint}"
        );
    }
    let malformed = s
        .admin(Method::POST, "/api/v1/apps")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let missing = s
        .admin(Method::GET, "/api/v1/apps/wx0000000000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let bad_id = s
        .admin(Method::GET, "/api/v1/apps/nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_id.status(), 400);
    let no_route = s
        .admin(Method::GET, "/api/v1/nothing-here")
        .send()
        .await
        .unwrap();
    assert_eq!(no_route.status(), 404);
    let listed: Value = json_of(s.admin(Method::GET, "/api/v1/apps")).await;
    assert_eq!(
        listed["items"],
        json!([]),
        "nothing was stored by bad requests"
    );
    s.stop().await;
}

async fn admin_key_is_required(db: TestDb) {
    let s = TestServer::start(&db).await;
    let anonymous = s.http.get(s.url("/api/v1/apps")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let wrong = s
        .http
        .post(s.url("/api/v1/apps"))
        .bearer_auth("tdk_wrong_key_wrong_key_wrong")
        .json(&json!({"name": "a", "kind": "miniprogram"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    s.stop().await;
}
