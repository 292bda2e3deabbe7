//! W2: a segment send to every user of an app, with a `{{PROFILE-nickname}}`
//! placeholder, into the inboxes; W2-raw: the same rows bulk-inserted
//! straight into the same store, in chunks of the same size.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::sends::{admin, app};
use crate::server::Proc;
use crate::Opts;

const CHUNK: usize = 5000;

/// A recipient's `rows` column as Tidings stores a segment send's message:
/// the values alone, the keys and names kept once on the send.
fn rows(nickname: &str) -> String {
    json!(["TIT造舰厂", "2026年11月21日", format!("{nickname}的咖啡")]).to_string()
}

pub async fn w2(o: &Opts) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("w2.db");
    let sqlite = fanout(&format!("sqlite://{}", file.display()), o).await?;
    // W2-raw starts, as W2 did, from an empty `messages` table.
    let raw_file = dir.path().join("w2-raw.db");
    migrated(&format!("sqlite://{}", raw_file.display())).await?;
    let raw = raw_sqlite(&raw_file, o.users)?;
    report("SQLite", &sqlite, raw);
    match &o.pg {
        Some(url) => {
            let db = format!("tidings_bench_{}", std::process::id());
            let (admin_client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
            tokio::spawn(conn);
            admin_client
                .execute(&format!("CREATE DATABASE {db}"), &[])
                .await?;
            let db_url = replace_db(url, &db);
            let pg = fanout(&db_url, o).await?;
            let raw_db = format!("{db}_raw");
            admin_client
                .execute(&format!("CREATE DATABASE {raw_db}"), &[])
                .await?;
            let raw_url = replace_db(url, &raw_db);
            migrated(&raw_url).await?;
            let raw = raw_pg(&raw_url, o.users).await?;
            report("PostgreSQL", &pg, raw);
            for db in [db, raw_db] {
                admin_client
                    .execute(&format!("DROP DATABASE {db} WITH (FORCE)"), &[])
                    .await?;
            }
        }
        None => println!("W2 PostgreSQL skipped: set --pg or TIDINGS_BENCH_PG_URL"),
    }
    Ok(())
}

/// Creates Tidings' schema in an empty database.
async fn migrated(url: &str) -> anyhow::Result<()> {
    let url = tidings::store::DatabaseUrl::parse(url)?;
    drop(tidings::store::open(&url).await?);
    Ok(())
}

/// The appid W2-raw's rows carry (`messages` has no foreign keys).
const RAW_APPID: &str = "wxraw0000000000000";

fn replace_db(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

struct Fanout {
    users: usize,
    import_secs: f64,
    send_secs: f64,
    idle_mb: f64,
    peak_mb: f64,
}

fn report(backend: &str, f: &Fanout, raw_secs: f64) {
    let rate = f.users as f64 / f.send_secs;
    let raw = f.users as f64 / raw_secs;
    println!("## W2 on {backend}: {} users", f.users);
    println!(
        "import: {:.0} users/s ({:.1} s)",
        f.users as f64 / f.import_secs,
        f.import_secs
    );
    println!("W2 fan-out: {rate:.0} recipients/s ({:.2} s)", f.send_secs);
    println!("W2-raw bulk insert: {raw:.0} rows/s ({raw_secs:.2} s)");
    println!("W2/W2-raw: {:.1} %", 100.0 * rate / raw);
    println!(
        "RSS idle {:.1} MB, peak (VmHWM) by the end of W2 {:.1} MB",
        f.idle_mb, f.peak_mb
    );
}

async fn fanout(database_url: &str, o: &Opts) -> anyhow::Result<Fanout> {
    let p = Proc::tidings(database_url, CHUNK as u32).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (idle_mb, _) = p.rss_mb();
    let (appid, token, _) = app(&p, "miniprogram", 0).await?;
    let http = reqwest::Client::new();
    let lines: String = (0..o.users)
        .map(|i| format!("{{\"openid\":\"u{i:08}\",\"nickname\":\"用户{i}\"}}\n"))
        .collect();
    let t = Instant::now();
    let report: Value = http
        .post(format!("{}/api/v1/apps/{appid}/users:import", p.base))
        .bearer_auth(crate::server::ADMIN_KEY)
        .header("content-type", "application/x-ndjson")
        .body(lines)
        .send()
        .await?
        .json()
        .await?;
    let import_secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(report["imported"] == o.users, "import: {report}");
    let added: Value = http
        .post(format!(
            "{}/cgi-bin/wxopen/template/add?access_token={token}",
            p.base
        ))
        .json(&json!({"id": "AT0002", "keyword_id_list": [3, 4, 5]}))
        .send()
        .await?
        .json()
        .await?;
    let template = added["template_id"].as_str().unwrap_or_default().to_owned();
    let send = admin(&http, reqwest::Method::POST, format!("{}/api/v1/apps/{appid}/sends", p.base),
        Some(json!({"template_id": template, "audience": {"all": true},
                    "data": {"keyword1": {"value": "TIT造舰厂"}, "keyword2": {"value": "2026年11月21日"},
                             "keyword3": {"value": "{{PROFILE-nickname}}的咖啡"}}}))).await?;
    let id = send["id"].as_i64().unwrap_or_default();
    let done = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let s = admin(
            &http,
            reqwest::Method::GET,
            format!("{}/api/v1/sends/{id}", p.base),
            None,
        )
        .await?;
        if s["state"] == "finished" {
            break s;
        }
        anyhow::ensure!(
            s["state"] != "failed" && s["state"] != "cancelled",
            "send: {s}"
        );
    };
    anyhow::ensure!(done["oks"] == o.users, "fan-out: {done}");
    let send_secs = (done["finished_at"].as_i64().unwrap_or(0)
        - done["started_at"].as_i64().unwrap_or(0)) as f64
        / 1000.0;
    // VmHWM: the process's peak over its life, the import included.
    let (_, peak_mb) = p.rss_mb();
    Ok(Fanout {
        users: o.users,
        import_secs,
        send_secs: send_secs.max(0.001),
        idle_mb,
        peak_mb,
    })
}

/// The same rows straight into the same SQLite file: WAL, `synchronous=FULL`,
/// the writer's settings, one transaction per chunk, 256 rows a statement
/// with what they share bound once, as Tidings inserts a chunk.
fn raw_sqlite(file: &std::path::Path, users: usize) -> anyhow::Result<f64> {
    use rusqlite::types::Value as V;
    const BATCH: usize = 256;
    tidings_store_sqlite::tune_library();
    let mut c = rusqlite::Connection::open(file)?;
    c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
    c.execute_batch(tidings_store_sqlite::WRITER_PRAGMAS)?;
    let sql = |n: usize| {
        let tuples: Vec<String> = (0..n)
            .map(|r| {
                format!(
                    "(?1, ?{}, -1, 'delivered', ?2, ?2, ?{})",
                    3 + 2 * r,
                    4 + 2 * r
                )
            })
            .collect();
        format!(
            "INSERT INTO messages (appid, openid, send_id, status, created_at, delivered_at, rows)
             VALUES {}",
            tuples.join(", ")
        )
    };
    // The statement of a full batch, made once, outside the timing.
    let full = sql(BATCH);
    let t = Instant::now();
    for start in (0..users).step_by(CHUNK) {
        let tx = c.transaction()?;
        let ids: Vec<usize> = (start..(start + CHUNK).min(users)).collect();
        for batch in ids.chunks(BATCH) {
            let mut values: Vec<V> = vec![RAW_APPID.to_owned().into(), 1_795_226_400_000i64.into()];
            for &i in batch {
                values.extend([
                    V::from(format!("u{i:08}")),
                    rows(&format!("用户{i}")).into(),
                ]);
            }
            let mut stmt = match batch.len() {
                BATCH => tx.prepare_cached(&full)?,
                n => tx.prepare_cached(&sql(n))?,
            };
            stmt.execute(rusqlite::params_from_iter(values))?;
        }
        tx.commit()?;
    }
    Ok(t.elapsed().as_secs_f64())
}

/// The same rows by `COPY … (FORMAT binary)`, as Tidings copies a chunk,
/// one transaction per chunk.
async fn raw_pg(url: &str, users: usize) -> anyhow::Result<f64> {
    use tokio_postgres::binary_copy::BinaryCopyInWriter;
    use tokio_postgres::types::Type;
    let (mut c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    let at = 1_795_226_400_000i64;
    let t = Instant::now();
    for start in (0..users).step_by(CHUNK) {
        let tx = c.transaction().await?;
        let sink = tx
            .copy_in(
                "COPY messages (appid, openid, send_id, status, created_at, delivered_at, rows)
                 FROM STDIN (FORMAT binary)",
            )
            .await?;
        // appid, openid, send_id, status, created_at, delivered_at, rows.
        let types = [0, 0, 1, 0, 1, 1, 0].map(|i| [Type::TEXT, Type::INT8][i].clone());
        let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
        for i in start..(start + CHUNK).min(users) {
            let (openid, rows) = (format!("u{i:08}"), rows(&format!("用户{i}")));
            writer
                .as_mut()
                .write(&[&RAW_APPID, &openid, &-1i64, &"delivered", &at, &at, &rows])
                .await?;
        }
        writer.finish().await?;
        tx.commit().await?;
    }
    Ok(t.elapsed().as_secs_f64())
}
