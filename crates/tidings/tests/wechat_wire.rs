//! The WeChat wire rules that hold for every `/cgi-bin` endpoint.

mod common;

use common::{TestDb, TestServer};
use serde_json::Value;

backend_tests!(
    bodies_without_content_type_are_accepted,
    malformed_and_empty_bodies,
    unknown_endpoints_and_methods_stay_http_200,
    health_readiness_and_metrics,
);

async fn bodies_without_content_type_are_accepted(db: TestDb) {
    let s = TestServer::start(&db).await;
    let (appid, secret) = s.create_app("miniprogram").await;
    let body =
        format!(r#"{{"grant_type":"client_credential","appid":"{appid}","secret":"{secret}"}}"#);
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut req = s
            .http
            .post(s.url("/cgi-bin/stable_token"))
            .body(body.clone());
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        assert!(v["access_token"].is_string(), "{content_type:?}: {v}");
    }
    s.stop().await;
}

async fn malformed_and_empty_bodies(db: TestDb) {
    let s = TestServer::start(&db).await;
    let res = s
        .http
        .post(s.url("/cgi-bin/stable_token"))
        .body("{\"appid\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/json; encoding=utf-8"
    );
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["errcode"], 47001);
    assert!(
        v["errmsg"]
            .as_str()
            .unwrap()
            .starts_with("data format error"),
        "{v}"
    );
    let wrong_type = s
        .http
        .post(s.url("/cgi-bin/stable_token"))
        .body(r#"{"force_refresh":"yes"}"#)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(wrong_type["errcode"], 47001);
    let empty: Value = s
        .http
        .post(s.url("/cgi-bin/stable_token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(empty["errcode"], 44002);
    s.stop().await;
}

async fn unknown_endpoints_and_methods_stay_http_200(db: TestDb) {
    let s = TestServer::start(&db).await;
    let res = s.get("/cgi-bin/no/such/api").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/json; encoding=utf-8"
    );
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["errcode"], 40066);
    // The prefix itself, with and without its slash, and any method.
    for path in ["/cgi-bin", "/cgi-bin/"] {
        let v: Value = s.get(path).await.json().await.unwrap();
        assert_eq!(v["errcode"], 40066, "{path}");
    }
    let posted = s.http.post(s.url("/cgi-bin/no/such")).send().await.unwrap();
    assert_eq!(posted.status(), 200);
    let v: Value = posted.json().await.unwrap();
    assert_eq!(v["errcode"], 40066);
    let wrong_method = s.http.delete(s.url("/cgi-bin/token")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 200);
    let v: Value = wrong_method.json().await.unwrap();
    assert_eq!(v["errcode"], 43001);
    let huge = "x".repeat(tidings_http::MAX_BODY_BYTES + 10);
    let too_big = s
        .http
        .post(s.url("/cgi-bin/stable_token"))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 200);
    let v: Value = too_big.json().await.unwrap();
    assert_eq!(v["errcode"], 47001);
    s.stop().await;
}

async fn health_readiness_and_metrics(db: TestDb) {
    let s = TestServer::start(&db).await;
    assert_eq!(s.get("/healthz").await.status(), 200);
    assert_eq!(s.get("/readyz").await.status(), 200);
    let (appid, secret) = s.create_app("miniprogram").await;
    s.access_token(&appid, &secret).await;
    let metrics = s.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(
            "tidings_http_requests_total{method=\"GET\",route=\"/cgi-bin/token\",status=\"200\"}"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("tidings_http_request_duration_seconds_bucket"));
    // The route's handles, registered on its first request, go on counting;
    // so do the store's, taken on each call's first use.
    let tokens =
        "tidings_http_requests_total{method=\"GET\",route=\"/cgi-bin/token\",status=\"200\"}";
    let backend = match db.backend {
        common::Backend::Sqlite => "sqlite",
        common::Backend::Postgres => "postgres",
    };
    let issued =
        format!("tidings_store_duration_seconds_count{{op=\"issue_token\",backend=\"{backend}\"}}");
    s.access_token(&appid, &secret).await;
    s.access_token(&appid, &secret).await;
    let last = s.get("/metrics").await.text().await.unwrap();
    let (before, after) = (sample(&metrics, tokens), sample(&last, tokens));
    assert!(after >= before + 2.0, "{before} then {after}");
    assert!(
        metrics.contains(&format!(
            "tidings_store_duration_seconds_bucket{{op=\"issue_token\",backend=\"{backend}\""
        )),
        "store latency per op and backend"
    );
    let (before, after) = (sample(&metrics, &issued), sample(&last, &issued));
    assert!(after >= before + 2.0, "{before} then {after}");
    // The recorder is in place before the store's first call at start.
    assert!(
        last.contains(&format!(
            "tidings_store_duration_seconds_count{{op=\"load_library\",backend=\"{backend}\"}}"
        )),
        "the calls made while starting are counted"
    );
    assert!(!metrics.contains(&secret), "no secret in metrics");
    s.stop().await;
}

/// The value of one series in a Prometheus text page; 0 when it is absent.
fn sample(page: &str, series: &str) -> f64 {
    page.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}
