//! Child processes: Tidings (this binary in `serve` mode, which runs
//! `tidings serve`) and the bare server; their memory from /proc.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const ADMIN_KEY: &str = "bench-admin-key-0123456789";

pub fn serve_tidings() -> anyhow::Result<()> {
    use clap::Parser;
    let cli = tidings::cli::Cli::parse_from(["tidings", "serve"]);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(tidings::cli::run(cli))
}

/// A free local port.
fn port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub struct Proc {
    pub child: Child,
    pub base: String,
}

impl Proc {
    /// Tidings on `database_url`, with the worker's chunk size.
    pub async fn tidings(database_url: &str, chunk: u32) -> anyhow::Result<Self> {
        let port = port();
        let child = Command::new(std::env::current_exe()?)
            .arg("serve")
            .env("TIDINGS_LISTEN", format!("127.0.0.1:{port}"))
            .env("TIDINGS_DATABASE_URL", database_url)
            .env("TIDINGS_ADMIN_KEY", ADMIN_KEY)
            .env("TIDINGS_WORKER_CHUNK_SIZE", chunk.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        Self::ready(child, port, "/healthz").await
    }

    pub async fn bare() -> anyhow::Result<Self> {
        let port = port();
        let child = Command::new(std::env::current_exe()?)
            .args(["bare", &port.to_string()])
            .spawn()?;
        Self::ready(child, port, "/send").await
    }

    /// The bare server, each answer after its body is synced to `log`.
    pub async fn bare_durable(log: &std::path::Path) -> anyhow::Result<Self> {
        let port = port();
        let child = Command::new(std::env::current_exe()?)
            .args(["bare", &port.to_string(), "--log"])
            .arg(log)
            .spawn()?;
        Self::ready(child, port, "/send").await
    }

    async fn ready(child: Child, port: u16, path: &str) -> anyhow::Result<Self> {
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if client.get(format!("{base}{path}")).send().await.is_ok() {
                return Ok(Self { child, base });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("server on {port} did not start")
    }

    /// (current RSS, peak RSS) in MB.
    pub fn rss_mb(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let kb = |key: &str| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
