//! The `tidings` binary as a process: what it prints, what survives
//! `kill -9`, and its command line.

mod common;

use common::process::{cli, command, Proc};
use common::{json_of, token_path, TestDb, ADMIN_KEY};
use serde_json::{json, Value};

backend_tests!(
    secrets_and_tokens_never_reach_the_logs,
    admin_key_is_generated_once_and_kept,
    a_success_survives_kill_9,
    cli_manages_apps_in_the_database,
    cli_imports_users_and_sends_with_wait,
    cli_imports_employees,
);

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn create_app(p: &Proc, key: &str) -> (String, String) {
    let body: Value = json_of(
        client()
            .post(p.url("/api/v1/apps"))
            .bearer_auth(key)
            .json(&json!({"name": "日志", "kind": "miniprogram"})),
    )
    .await;
    (
        body["appid"].as_str().expect("appid").to_owned(),
        body["secret"].as_str().expect("secret").to_owned(),
    )
}

async fn get_json(url: String) -> Value {
    json_of(client().get(url)).await
}

async fn secrets_and_tokens_never_reach_the_logs(db: TestDb) {
    let p = Proc::serve(&db.url, &[("TIDINGS_ADMIN_KEY", ADMIN_KEY)]);
    let (appid, secret) = create_app(&p, ADMIN_KEY).await;
    let token = get_json(p.url(&token_path(&appid, &secret))).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let used = get_json(p.url(&format!("/cgi-bin/getcallbackip?access_token={token}"))).await;
    assert_eq!(used["errcode"], 0);
    let stable: Value = json_of(client().post(p.url("/cgi-bin/stable_token")).body(
        json!({"grant_type": "client_credential", "appid": appid, "secret": secret}).to_string(),
    ))
    .await;
    let stable = stable["access_token"].as_str().unwrap().to_owned();
    let wrong = get_json(p.url(&token_path(&appid, &format!("guess{secret}")))).await;
    assert_eq!(wrong["errcode"], 40125);
    let rotated: Value = json_of(
        client()
            .post(p.url(&format!("/api/v1/apps/{appid}/rotate-secret")))
            .bearer_auth(ADMIN_KEY),
    )
    .await;
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();

    let (stdout, stderr) = p.terminate();
    assert!(
        stderr.contains("\"route\":\"/cgi-bin/token\""),
        "requests are logged: {stderr}"
    );
    for line in stderr.lines() {
        serde_json::from_str::<Value>(line)
            .unwrap_or_else(|e| panic!("--log-format json writes JSON lines ({e}): {line}"));
    }
    for (what, s) in [
        ("secret", &secret),
        ("rotated secret", &new_secret),
        ("access token", &token),
        ("stable token", &stable),
        ("admin key", &ADMIN_KEY.to_owned()),
    ] {
        assert!(!stderr.contains(s.as_str()), "the {what} is in the logs");
        assert!(!stdout.contains(s.as_str()), "the {what} is on stdout");
    }
}

async fn admin_key_is_generated_once_and_kept(db: TestDb) {
    let first = Proc::serve(&db.url, &[]);
    let key = first
        .stdout_line("TIDINGS_ADMIN_KEY=")
        .expect("a generated admin key is printed on first start");
    let (appid, _) = create_app(&first, &key).await;
    assert!(appid.starts_with("wx"));
    let (stdout, stderr) = first.terminate();
    assert_eq!(stdout.matches(&key).count(), 1, "printed exactly once");
    assert!(!stderr.contains(&key), "never logged");

    let second = Proc::serve(&db.url, &[]);
    let listed = client()
        .get(second.url("/api/v1/apps"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.status(),
        200,
        "the generated key still works after a restart"
    );
    let (stdout, stderr) = second.terminate();
    assert!(
        !stdout.contains("TIDINGS_ADMIN_KEY"),
        "not printed again: {stdout}"
    );
    assert!(!stderr.contains(&key));
}

async fn a_success_survives_kill_9(db: TestDb) {
    let p = Proc::serve(&db.url, &[("TIDINGS_ADMIN_KEY", ADMIN_KEY)]);
    let (appid, secret) = create_app(&p, ADMIN_KEY).await;
    let token = get_json(p.url(&token_path(&appid, &secret))).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    p.kill9();
    let p = Proc::serve(&db.url, &[("TIDINGS_ADMIN_KEY", ADMIN_KEY)]);
    let used = get_json(p.url(&format!("/cgi-bin/getcallbackip?access_token={token}"))).await;
    assert_eq!(
        used["errcode"], 0,
        "the token answered before kill -9 is still valid"
    );
    let again = get_json(p.url(&token_path(&appid, &secret))).await;
    assert!(
        again["access_token"].is_string(),
        "the app answered before kill -9 exists"
    );
    p.terminate();
}

async fn cli_manages_apps_in_the_database(db: TestDb) {
    let out = cli(
        &db.url,
        &[
            "app",
            "create",
            "--name",
            "命令行",
            "--kind",
            "miniprogram",
            "--page",
            "pages/a/a",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(
        created.as_object().unwrap().len(),
        2,
        "{{appid, secret}}: {created}"
    );
    let appid = created["appid"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();

    let got = cli(&db.url, &["app", "get", &appid]);
    let got: Value = serde_json::from_slice(&got.stdout).unwrap();
    assert_eq!(got["pages"], json!(["pages/a/a"]));
    assert!(!got.to_string().contains(&secret));

    let upd = cli(
        &db.url,
        &["app", "update", &appid, "--name", "改名", "--clear-pages"],
    );
    assert!(upd.status.success());
    let upd: Value = serde_json::from_slice(&upd.stdout).unwrap();
    assert_eq!(upd["name"], "改名");
    assert_eq!(upd["pages"], json!([]));

    let listed = cli(&db.url, &["app", "list"]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout).lines().count(), 1);

    // The server sees what the CLI wrote, and the CLI's secret works.
    let p = Proc::serve(&db.url, &[("TIDINGS_ADMIN_KEY", ADMIN_KEY)]);
    let token = get_json(p.url(&token_path(&appid, &secret))).await;
    assert!(token["access_token"].is_string(), "{token}");
    p.terminate();

    let rotated = cli(&db.url, &["app", "rotate-secret", &appid]);
    let rotated: Value = serde_json::from_slice(&rotated.stdout).unwrap();
    assert_ne!(rotated["secret"], secret.as_str());
    let disabled = cli(&db.url, &["app", "disable", &appid]);
    let disabled: Value = serde_json::from_slice(&disabled.stdout).unwrap();
    assert_eq!(disabled["status"], "disabled");

    let bad = cli(
        &db.url,
        &["app", "create", "--name", "x", "--kind", "robot"],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("kind"));
}

async fn cli_imports_users_and_sends_with_wait(db: TestDb) {
    let out = cli(
        &db.url,
        &[
            "app",
            "create",
            "--name",
            "批量",
            "--kind",
            "miniprogram",
            "--page",
            "index",
        ],
    );
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let appid = created["appid"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let ndjson = dir.path().join("users.ndjson");
    let lines: String = (0..250)
        .map(|i| format!("{{\"openid\":\"n{i:04}\",\"nickname\":\"用户{i}\"}}\n"))
        .collect();
    std::fs::write(&ndjson, lines + "oops\n").unwrap();
    let out = cli(
        &db.url,
        &["users", "import", ndjson.to_str().unwrap(), "--app", &appid],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["imported"].as_u64(), report["failed"].as_u64()),
        (Some(250), Some(1)),
        "{report}"
    );
    let csv = dir.path().join("more.csv");
    std::fs::write(&csv, "openid,nickname,city\nc1,甲,广州\nc2,乙,深圳\n").unwrap();
    let out = cli(
        &db.url,
        &["users", "import", csv.to_str().unwrap(), "--app", &appid],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["imported"], 2);

    // A template through the WeChat API of a running server.
    let p = Proc::serve(&db.url, &[("TIDINGS_ADMIN_KEY", ADMIN_KEY)]);
    let token = get_json(p.url(&token_path(&appid, &secret))).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let added: Value = json_of(
        client()
            .post(p.url(&format!(
                "/cgi-bin/wxopen/template/add?access_token={token}"
            )))
            .json(&json!({"id": "AT0002", "keyword_id_list": [3, 4, 5]})),
    )
    .await;
    p.terminate();
    let template = added["template_id"].as_str().unwrap();
    let data = r#"{"keyword3": {"value": "{{PROFILE-nickname|朋友}}"}}"#;
    let out = cli(
        &db.url,
        &[
            "send",
            "--app",
            &appid,
            "--template",
            template,
            "--data",
            data,
            "--all",
            "--page",
            "index",
            "--wait",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(done["state"], "finished", "{done}");
    assert_eq!(done["oks"], 252);
    let bad = cli(
        &db.url,
        &[
            "send",
            "--app",
            &appid,
            "--template",
            template,
            "--all",
            "--tag",
            "1",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("one audience"));
}

#[test]
fn help_is_complete() {
    let top = command("sqlite://unused.db")
        .arg("--help")
        .output()
        .unwrap();
    assert!(top.status.success());
    let text = String::from_utf8_lossy(&top.stdout);
    for word in [
        "serve",
        "app",
        "migrate",
        "config",
        "--listen",
        "--database-url",
        "--log-format",
        "--config",
        "TIDINGS_LISTEN",
    ] {
        assert!(text.contains(word), "tidings --help lacks {word}:\n{text}");
    }
    for (args, words) in [
        (vec!["serve", "--help"], vec!["--listen"]),
        (
            vec!["app", "--help"],
            vec![
                "create",
                "list",
                "get",
                "update",
                "rotate-secret",
                "disable",
            ],
        ),
        (
            vec!["app", "create", "--help"],
            vec!["--name", "--kind", "--page"],
        ),
        (
            vec!["app", "update", "--help"],
            vec!["--name", "--page", "--clear-pages"],
        ),
        (vec!["app", "list", "--help"], vec!["--after", "--limit"]),
        (vec!["users", "import", "--help"], vec!["--app", "--format"]),
        (
            vec!["send", "--help"],
            vec![
                "--app",
                "--template",
                "--data",
                "--tag",
                "--match",
                "--openid",
                "--all",
                "--page",
                "--url",
                "--wait",
            ],
        ),
    ] {
        let out = command("sqlite://unused.db").args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        for w in words {
            assert!(text.contains(w), "{args:?} lacks {w}:\n{text}");
        }
    }
}

#[test]
fn config_layers_reach_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:9001\"\ntoken_requests_per_day = 9\n",
    )
    .unwrap();
    let out = command("sqlite://from-env.db")
        .args([
            "--config",
            file.to_str().unwrap(),
            "--listen",
            "127.0.0.1:9002",
            "config",
        ])
        .env("TIDINGS_ADMIN_KEY", ADMIN_KEY)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["listen"], "127.0.0.1:9002");
    assert_eq!(v["database_url"], "sqlite://from-env.db");
    assert_eq!(v["token_requests_per_day"], 9);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(ADMIN_KEY));
    let missing = command("sqlite://x.db")
        .args(["--config", "/nonexistent/t.toml", "config"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
}

async fn cli_imports_employees(db: TestDb) {
    let out = cli(
        &db.url,
        &["app", "create", "--name", "工作台", "--kind", "workspace"],
    );
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let appid = created["appid"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("employees.ndjson");
    let lines: String = (0..30)
        .map(|i| {
            let org = if i < 10 { "/1/2/" } else { "/1/3/" };
            format!("{{\"client_id\":\"emp{i:02}\",\"name\":\"员工{i}\",\"orgs\":[\"{org}\"],\"devices\":[\"IOS\"]}}\n")
        })
        .collect();
    std::fs::write(&file, lines + "{\"client_id\":\"x\"}\n").unwrap();
    let out = cli(
        &db.url,
        &[
            "employees",
            "import",
            file.to_str().unwrap(),
            "--app",
            &appid,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["imported"].as_u64(), report["failed"].as_u64()),
        (Some(30), Some(1)),
        "{report}"
    );
    let p = Proc::serve(&db.url, &[("TIDINGS_ADMIN_KEY", ADMIN_KEY)]);
    let sub: Value = json_of(
        client()
            .get(p.url(&format!("/api/v1/apps/{appid}/employees?org=/1/2/")))
            .bearer_auth(ADMIN_KEY),
    )
    .await;
    assert_eq!(sub["items"].as_array().unwrap().len(), 10, "{sub}");
    p.terminate();
}
