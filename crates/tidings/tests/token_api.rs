//! The token service over HTTP, as WeChat clients use it, on both backends.

mod common;

use common::{errcode, TestDb, TestServer};
use serde_json::{json, Value};

backend_tests!(
    token_success_and_use,
    token_error_codes,
    daily_token_limit_resets_next_day,
    access_token_errors,
    refresh_overlap_then_invalid,
    expiry_after_7200_seconds,
    stable_token_semantics,
    stable_token_survives_restart,
    stable_force_refresh_limit,
    wrong_secrets_are_rate_limited_per_app,
    wrong_credentials_are_rate_limited_per_ip,
    apps_and_tokens_survive_restart,
    disabled_app_loses_tokens,
    two_nodes_share_one_database,
);

async fn token_success_and_use(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, secret) = s.create_app("miniprogram").await;
    let res = s
        .get(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}"
        ))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/json; encoding=utf-8"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["expires_in"], 7200);
    assert_eq!(
        body.as_object().unwrap().len(),
        2,
        "exactly the documented fields: {body}"
    );
    let token = body["access_token"].as_str().unwrap();
    assert!(token.len() >= 32);
    let ips = s
        .get_json(&format!("/cgi-bin/getcallbackip?access_token={token}"))
        .await;
    assert_eq!(ips["errcode"], 0);
    assert_eq!(ips["errmsg"], "ok");
    assert_eq!(ips["ip_list"], json!(["127.0.0.1"]));
    s.stop().await;
}

async fn token_error_codes(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, secret) = s.create_app("official_account").await;
    let cases = [
        (format!("appid={appid}&secret={secret}"), 40002),
        (format!("grant_type=password&appid={appid}&secret={secret}"), 40002),
        (format!("grant_type=client_credential&secret={secret}"), 41002),
        (format!("grant_type=client_credential&appid=&secret={secret}"), 41002),
        (format!("grant_type=client_credential&appid={appid}"), 41004),
        (format!("grant_type=client_credential&appid=wx0000000000000000&secret={secret}"), 40013),
        (format!("grant_type=client_credential&appid=not-an-appid&secret={secret}"), 40013),
        (format!("grant_type=client_credential&appid={appid}&secret=0123456789abcdef0123456789abcdef"), 40125),
    ];
    for (query, code) in cases {
        let res = s.get(&format!("/cgi-bin/token?{query}")).await;
        assert_eq!(res.status(), 200, "WeChat answers HTTP 200 for {query}");
        let rid = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["errcode"], code, "{query}: {body}");
        let msg = body["errmsg"].as_str().unwrap();
        assert!(
            msg.ends_with(&format!(" rid: {rid}")),
            "errmsg carries the request id: {msg}"
        );
    }
    s.stop().await;
}

async fn daily_token_limit_resets_next_day(db: TestDb) {
    let s = TestServer::start_with(&db, |c| c.token_requests_per_day = 3).await;
    let (appid, secret) = s.create_app("miniprogram").await;
    for _ in 0..3 {
        assert_eq!(errcode(&s.token(&appid, &secret).await), 0);
    }
    let over = s.token(&appid, &secret).await;
    assert_eq!(over["errcode"], 45009, "{over}");
    // Another app has its own quota.
    let (other, other_secret) = s.create_app("miniprogram").await;
    assert_eq!(errcode(&s.token(&other, &other_secret).await), 0);
    // Quotas reset at midnight China Standard Time; START is 10:00 there.
    s.clock.advance_secs(14 * 3600);
    assert_eq!(errcode(&s.token(&appid, &secret).await), 0);
    s.stop().await;
}

async fn access_token_errors(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, secret) = s.create_app("miniprogram").await;
    let _valid = s.access_token(&appid, &secret).await;
    let missing = s.get_json("/cgi-bin/getcallbackip").await;
    assert_eq!(missing["errcode"], 41001, "{missing}");
    let empty = s.get_json("/cgi-bin/getcallbackip?access_token=").await;
    assert_eq!(empty["errcode"], 41001, "{empty}");
    assert_eq!(
        s.use_token("AnUnknownTokenAnUnknownTokenAnUnknownToken")
            .await,
        40001
    );
    assert_eq!(s.use_token("not%20a%20token").await, 40001);
    s.stop().await;
}

async fn refresh_overlap_then_invalid(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, secret) = s.create_app("miniprogram").await;
    let old = s.access_token(&appid, &secret).await;
    assert_eq!(s.use_token(&old).await, 0);
    s.clock.advance_secs(600);
    let new = s.access_token(&appid, &secret).await;
    assert_ne!(old, new);
    // Both work during the 5-minute overlap.
    s.clock.advance_secs(299);
    assert_eq!(s.use_token(&old).await, 0);
    assert_eq!(s.use_token(&new).await, 0);
    // Then the old one is invalid (not latest), the new one goes on.
    s.clock.advance_secs(1);
    assert_eq!(s.use_token(&old).await, 40001);
    assert_eq!(s.use_token(&new).await, 0);
    s.stop().await;
}

async fn expiry_after_7200_seconds(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, secret) = s.create_app("workspace").await;
    let token = s.access_token(&appid, &secret).await;
    s.clock.advance_secs(7199);
    assert_eq!(s.use_token(&token).await, 0);
    s.clock.advance_secs(1);
    assert_eq!(s.use_token(&token).await, 42001);
    s.stop().await;
}

async fn stable_token_semantics(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, secret) = s.create_app("miniprogram").await;
    let first = s.stable_token(&appid, &secret, false).await;
    assert_eq!(first["expires_in"], 7200, "{first}");
    let t1 = first["access_token"].as_str().unwrap().to_owned();
    s.clock.advance_secs(100);
    let again = s.stable_token(&appid, &secret, false).await;
    assert_eq!(again["access_token"], t1.as_str(), "same token while valid");
    assert_eq!(again["expires_in"], 7100, "remaining lifetime");
    // The plain lane does not touch the stable one.
    let plain = s.access_token(&appid, &secret).await;
    assert_ne!(plain, t1);
    assert_eq!(s.use_token(&t1).await, 0);
    // force_refresh: a new token; the old one gets the overlap.
    let forced = s.stable_token(&appid, &secret, true).await;
    let t2 = forced["access_token"].as_str().unwrap().to_owned();
    assert_ne!(t2, t1);
    assert_eq!(forced["expires_in"], 7200);
    assert_eq!(s.use_token(&t1).await, 0);
    s.clock.advance_secs(300);
    assert_eq!(s.use_token(&t1).await, 40001);
    assert_eq!(s.use_token(&t2).await, 0);
    assert_eq!(
        s.use_token(&plain).await,
        0,
        "stable refresh leaves the plain lane alone"
    );
    // Once expired, a normal call brings a new one.
    s.clock.advance_secs(7200);
    assert_eq!(s.use_token(&t2).await, 42001);
    let t3 = s.stable_token(&appid, &secret, false).await;
    assert_ne!(t3["access_token"], t2.as_str());
    assert_eq!(s.use_token(t3["access_token"].as_str().unwrap()).await, 0);
    // Errors follow WeChat's codes here too.
    let bad = s.stable_token(&appid, "wrong", false).await;
    assert_eq!(bad["errcode"], 40125);
    let no_grant = s
        .post_json(
            "/cgi-bin/stable_token",
            &json!({"appid": appid, "secret": secret}),
        )
        .await;
    assert_eq!(no_grant["errcode"], 40002);
    s.stop().await;
}

async fn stable_token_survives_restart(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, secret) = s.create_app("official_account").await;
    let before = s.stable_token(&appid, &secret, false).await["access_token"].clone();
    let s = s.restart().await;
    let after = s.stable_token(&appid, &secret, false).await;
    assert_eq!(
        after["access_token"], before,
        "the same stable token after a restart"
    );
    assert_eq!(s.use_token(before.as_str().unwrap()).await, 0);
    s.stop().await;
}

async fn stable_force_refresh_limit(db: TestDb) {
    let s = TestServer::start_with(&db, |c| c.stable_refreshes_per_day = 2).await;
    let (appid, secret) = s.create_app("miniprogram").await;
    assert_eq!(errcode(&s.stable_token(&appid, &secret, true).await), 0);
    assert_eq!(errcode(&s.stable_token(&appid, &secret, true).await), 0);
    assert_eq!(
        s.stable_token(&appid, &secret, true).await["errcode"],
        45009
    );
    // Normal mode still answers with the current token.
    assert_eq!(errcode(&s.stable_token(&appid, &secret, false).await), 0);
    s.stop().await;
}

async fn wrong_secrets_are_rate_limited_per_app(db: TestDb) {
    let s = TestServer::start_with(&db, |c| c.secret_failures_per_app = 3).await;
    let (appid, secret) = s.create_app("miniprogram").await;
    for _ in 0..3 {
        assert_eq!(s.token(&appid, "wrong-secret").await["errcode"], 40125);
    }
    let blocked = s.token(&appid, &secret).await;
    assert_eq!(
        blocked["errcode"], 45011,
        "even the right secret waits: {blocked}"
    );
    // Another app is not affected.
    let (other, other_secret) = s.create_app("miniprogram").await;
    assert_eq!(errcode(&s.token(&other, &other_secret).await), 0);
    s.clock.advance_secs(60);
    assert_eq!(errcode(&s.token(&appid, &secret).await), 0);
    s.stop().await;
}

async fn wrong_credentials_are_rate_limited_per_ip(db: TestDb) {
    let s = TestServer::start_with(&db, |c| c.secret_failures_per_ip = 4).await;
    let (appid, secret) = s.create_app("miniprogram").await;
    for i in 0..4 {
        let unknown = format!("wx{i:016x}");
        assert_eq!(s.token(&unknown, &secret).await["errcode"], 40013);
    }
    assert_eq!(s.token(&appid, &secret).await["errcode"], 45011);
    s.clock.advance_secs(61);
    assert_eq!(errcode(&s.token(&appid, &secret).await), 0);
    s.stop().await;
}

async fn apps_and_tokens_survive_restart(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, secret) = s.create_app("miniprogram").await;
    let token = s.access_token(&appid, &secret).await;
    let s = s.restart().await;
    assert_eq!(s.use_token(&token).await, 0, "token valid after restart");
    let app = s
        .admin(reqwest::Method::GET, &format!("/api/v1/apps/{appid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(app.status(), 200);
    assert_eq!(
        errcode(&s.token(&appid, &secret).await),
        0,
        "secret still works"
    );
    s.stop().await;
}

async fn disabled_app_loses_tokens(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, secret) = s.create_app("miniprogram").await;
    let token = s.access_token(&appid, &secret).await;
    let res = s
        .admin(
            reqwest::Method::POST,
            &format!("/api/v1/apps/{appid}/disable"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(s.use_token(&token).await, 50002);
    assert_eq!(s.token(&appid, &secret).await["errcode"], 50002);
    s.stop().await;
}

async fn two_nodes_share_one_database(db: TestDb) {
    let a = TestServer::start(&db).await;
    let b = TestServer::start(&db).await;
    let (appid, secret) = a.create_app("miniprogram").await;
    let token = a.access_token(&appid, &secret).await;
    assert_eq!(
        b.use_token(&token).await,
        0,
        "a token from node A works on node B"
    );
    let on_a = a.stable_token(&appid, &secret, false).await;
    let on_b = b.stable_token(&appid, &secret, false).await;
    assert_eq!(
        on_a["access_token"], on_b["access_token"],
        "one stable token for all nodes"
    );
    let newer = b.access_token(&appid, &secret).await;
    assert_eq!(a.use_token(&newer).await, 0);
    a.stop().await;
    b.stop().await;
}
