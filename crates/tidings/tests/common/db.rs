//! One fresh database per test: a SQLite file in a temporary directory, or a
//! new PostgreSQL database on the server named by `TIDINGS_TEST_PG_URL`.
//! Without that variable the PostgreSQL tests are skipped with a notice on
//! stderr, unless `TIDINGS_REQUIRE_PG=1` makes that a failure.

use std::io::Write;
use std::sync::Once;

use rand::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

static SKIP_NOTICE: Once = Once::new();

fn pg_admin_url() -> Option<String> {
    let url = std::env::var("TIDINGS_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        let required = std::env::var("TIDINGS_REQUIRE_PG").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "TIDINGS_REQUIRE_PG=1 but TIDINGS_TEST_PG_URL is not set: the PostgreSQL tests cannot run"
        );
        SKIP_NOTICE.call_once(|| {
            // Written straight to stderr so the test harness does not hide it.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** PostgreSQL tests SKIPPED: set TIDINGS_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run them ***\n"
            );
        });
    }
    url
}

/// `postgres://u@h:p/db?x` with its database name replaced.
fn with_database(url: &str, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, format!("?{q}")),
        None => (rest, String::new()),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}/{db}{query}")
}

async fn admin_client(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at TIDINGS_TEST_PG_URL: {e}"));
    tokio::spawn(conn);
    client
}

impl TestDb {
    /// A fresh database, or `None` when the backend's tests are skipped.
    pub async fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("tidings.db").display());
                Some(Self {
                    backend,
                    url,
                    dir: Some(dir),
                    pg: None,
                })
            }
            Backend::Postgres => {
                let admin = pg_admin_url()?;
                let name = format!("tidings_test_{:016x}", rand::thread_rng().gen::<u64>());
                admin_client(&admin)
                    .await
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                Some(Self {
                    backend,
                    url: with_database(&admin, &name),
                    dir: None,
                    pg: Some((admin, name)),
                })
            }
        }
    }

    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        self.dir.as_ref().map(|d| d.path().join("tidings.db"))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else {
            return;
        };
        // Drop runs inside the test's runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let _ = admin_client(&admin)
                    .await
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            });
        })
        .join();
    }
}

#[test]
fn database_names_are_replaced_in_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
        "postgres://u:p@h/t2?sslmode=disable"
    );
    assert_eq!(with_database("postgresql://h", "t3"), "postgresql://h/t3");
}
