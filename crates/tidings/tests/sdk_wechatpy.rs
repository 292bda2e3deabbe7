//! The whole flow (token, library list/get, add, list, send, del) driven by
//! wechatpy, a third-party WeChat SDK from PyPI, against the real server.
//! Skipped with a notice when wechatpy is not installed, unless
//! `TIDINGS_REQUIRE_SDK=1` makes that a failure (CI installs it).

mod common;

use std::io::Write;
use std::process::Command;

use common::{json_of, TestDb, TestServer};
use reqwest::Method;
use serde_json::Value;

backend_tests!(wechatpy_drives_the_whole_flow);

fn wechatpy_available() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import wechatpy"])
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        let required = std::env::var("TIDINGS_REQUIRE_SDK").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "TIDINGS_REQUIRE_SDK=1 but python3 cannot import wechatpy (pip install wechatpy)"
        );
        let _ = writeln!(
            std::io::stderr(),
            "\n*** wechatpy SDK test SKIPPED: `pip install wechatpy` to run it ***\n"
        );
    }
    found
}

async fn wechatpy_drives_the_whole_flow(db: TestDb) {
    if !wechatpy_available() {
        return;
    }
    let s = TestServer::start(&db).await;
    let m = s.mini_program().await;
    let form = s.grant(&m.appid, &m.openid, "form-submits").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/wechatpy_flow.py");
    let base = s.base.clone();
    let (appid, secret, openid) = (m.appid.clone(), m.secret.clone(), m.openid.clone());
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .env("TIDINGS_BASE", base)
            .env("APPID", appid)
            .env("SECRET", secret)
            .env("OPENID", openid)
            .env("FORM_ID", form)
            .output()
            .expect("run python3")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "wechatpy flow failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let msgid: i64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("msgid="))
        .and_then(|v| v.parse().ok())
        .expect("the script prints the msgid");
    let inbox: Value = json_of(s.admin(
        Method::GET,
        &format!("/api/v1/apps/{}/users/{}/messages", m.appid, m.openid),
    ))
    .await;
    assert_eq!(inbox["items"][0]["id"], msgid);
    assert_eq!(inbox["items"][0]["page"], "index?from=sdk");
    assert_eq!(inbox["items"][0]["emphasis"]["value"], "咖啡");
    s.stop().await;
}
