//! The `tidings` binary as a child process: for what only a real process
//! shows (what it prints, surviving `kill -9`, the command line).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_tidings");

/// A command for the binary with a clean `TIDINGS_*` environment.
pub fn command(db_url: &str) -> Command {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("TIDINGS_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.env("TIDINGS_DATABASE_URL", db_url);
    // No tidings.toml from wherever the tests run.
    cmd.current_dir(std::env::temp_dir());
    cmd
}

/// Runs a CLI command to completion.
pub fn cli(db_url: &str, args: &[&str]) -> Output {
    command(db_url).args(args).output().expect("run tidings")
}

pub struct Proc {
    child: Child,
    pub base: String,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    pumps: Vec<std::thread::JoinHandle<()>>,
    stdout_lines: mpsc::Receiver<String>,
}

fn pump(
    stream: impl std::io::Read + Send + 'static,
    sink: Arc<Mutex<String>>,
    lines: Option<mpsc::Sender<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            sink.lock().unwrap().push_str(&line);
            sink.lock().unwrap().push('\n');
            if let Some(tx) = &lines {
                let _ = tx.send(line);
            }
        }
    })
}

impl Proc {
    /// `tidings serve` on port 0 with JSON logs at debug level; returns
    /// once it listens.
    pub fn serve(db_url: &str, envs: &[(&str, &str)]) -> Self {
        let mut child = command(db_url)
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .env("RUST_LOG", "debug")
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tidings serve");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let (out_tx, stdout_lines) = mpsc::channel();
        let pumps = vec![
            pump(child.stdout.take().unwrap(), stdout.clone(), Some(out_tx)),
            pump(child.stderr.take().unwrap(), stderr.clone(), Some(tx)),
        ];
        let addr = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("server did not start: {}", stderr.lock().unwrap()));
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if v["message"] == "listening" {
                break v["addr"].as_str().expect("addr field").to_owned();
            }
        };
        Self {
            child,
            base: format!("http://{addr}"),
            stdout,
            stderr,
            pumps,
            stdout_lines,
        }
    }

    /// The next line on stdout that starts with `prefix`, without it.
    pub fn stdout_line(&self, prefix: &str) -> Option<String> {
        while let Ok(line) = self.stdout_lines.recv_timeout(Duration::from_secs(10)) {
            if let Some(rest) = line.trim().strip_prefix(prefix) {
                return Some(rest.to_owned());
            }
        }
        None
    }

    /// Waits for the pipes to close (the process has exited) and returns
    /// everything it printed.
    fn drain(&mut self) -> (String, String) {
        for p in self.pumps.drain(..) {
            let _ = p.join();
        }
        (self.stdout(), self.stderr())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(mut self) -> (String, String) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reap");
        self.drain()
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn terminate(mut self) -> (String, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        let exit = self.child.wait().expect("reap");
        assert!(exit.success(), "tidings exited with {exit}");
        self.drain()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
