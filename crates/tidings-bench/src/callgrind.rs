//! `--callgrind`: the servers run under valgrind's callgrind, and each W0
//! and W1 load reports the instructions its server ran per request. Instructions, unlike
//! seconds, do not drift with the machine: two builds compare on them even
//! when the machine's speed moves by a third between runs. The load runs
//! about fifty times slower under valgrind, so its rates mean nothing, and
//! valgrind runs one thread at a time, so the writer's groups are not the
//! real run's: the count is for comparing builds, not a time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::Context;

/// Where the dumps go, once `--callgrind` is on.
static DUMPS: OnceLock<PathBuf> = OnceLock::new();

pub fn enable() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("tidings-bench-callgrind-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let _ = DUMPS.set(dir);
    Ok(())
}

/// `exe` under callgrind when `--callgrind` is on; otherwise `exe`.
pub fn command(exe: &Path) -> Command {
    match DUMPS.get() {
        Some(dir) => {
            let mut cmd = Command::new("valgrind");
            cmd.arg("--tool=callgrind")
                .arg(format!(
                    "--callgrind-out-file={}/callgrind.%p",
                    dir.display()
                ))
                .arg(exe);
            cmd
        }
        None => Command::new(exe),
    }
}

/// Instructions counted in process `pid` since the last call (or since it
/// started): the counters are dumped and zeroed. None when `--callgrind`
/// is off.
pub fn take(pid: u32) -> anyhow::Result<Option<u64>> {
    let Some(dir) = DUMPS.get() else {
        return Ok(None);
    };
    let status = Command::new("callgrind_control")
        .args(["--dump", &pid.to_string()])
        .status()
        .context("running callgrind_control (valgrind's package)")?;
    anyhow::ensure!(status.success(), "callgrind_control failed: {status}");
    let prefix = format!("callgrind.{pid}.");
    let newest = std::fs::read_dir(dir)?
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let n: u32 = name.strip_prefix(&prefix)?.parse().ok()?;
            Some((n, name))
        })
        .max()
        .context("no callgrind dump written")?;
    let text = std::fs::read_to_string(dir.join(newest.1))?;
    let total = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .context("a callgrind dump without totals")?;
    Ok(Some(total))
}
