//! Child processes: Tidings (this binary in `serve` mode, which runs
//! `tidings serve`) and the bare server; their memory from /proc; with
//! `--pin`, the core they run on apart from the load generator's.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
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

/// Whether the servers run on CPU 1, the load generator on CPU 0 (`--pin`).
static PINNED: AtomicBool = AtomicBool::new(false);

/// Keeps this process (the load generator: call it before its runtime
/// starts, so that every thread inherits it) on CPU 0, and the servers it
/// starts from now on on CPU 1.
pub fn pin_load_generator() -> std::io::Result<()> {
    run_on_cpu(0)?;
    PINNED.store(true, Ordering::Relaxed);
    Ok(())
}

/// Keeps the calling thread, and the threads it starts, on `cpu`.
fn run_on_cpu(cpu: usize) -> std::io::Result<()> {
    // SAFETY: a zeroed `cpu_set_t` is the empty set, `CPU_SET` writes
    // inside the set it is given, and `sched_setaffinity` reads that set.
    let failed = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0
    };
    if failed {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// This binary as a child process: a server, on CPU 1 under `--pin`.
fn server() -> std::io::Result<Command> {
    pinned(Command::new(std::env::current_exe()?))
}

/// This binary as a measured server: under callgrind with `--callgrind`,
/// on CPU 1 under `--pin`.
fn measured() -> std::io::Result<Command> {
    pinned(crate::callgrind::command(&std::env::current_exe()?))
}

/// `cmd` on CPU 1 under `--pin`.
fn pinned(mut cmd: Command) -> std::io::Result<Command> {
    if PINNED.load(Ordering::Relaxed) {
        // SAFETY: between fork and exec the hook makes one system call and
        // allocates nothing.
        unsafe {
            cmd.pre_exec(|| run_on_cpu(1));
        }
    }
    Ok(cmd)
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
        let child = measured()?
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
        let child = measured()?.args(["bare", &port.to_string()]).spawn()?;
        Self::ready(child, port, "/send").await
    }

    /// The bare server, each answer after its body is synced to `file`,
    /// kept as `how`: `--log` (appended) or `--sqlite` (a row).
    pub async fn bare_durable(how: &str, file: &std::path::Path) -> anyhow::Result<Self> {
        let port = port();
        let child = server()?
            .args(["bare", &port.to_string(), how])
            .arg(file)
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
