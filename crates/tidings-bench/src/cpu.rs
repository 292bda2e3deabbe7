//! Where a load's CPU went: each thread's time on a core and its time
//! waiting in a run queue for one (`/proc/<pid>/task/<tid>/schedstat`, in
//! nanoseconds), summed by thread name, and the machine's busy share and
//! the share its hypervisor gave to other guests (`/proc/stat`, steal),
//! read before and after a load and divided by the requests it made.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One process's threads at one moment: (name, on-CPU ns, waiting ns) by
/// thread id.
type Threads = BTreeMap<u32, (String, u64, u64)>;

/// (on-CPU ns, waiting ns) by thread name.
type ByName = BTreeMap<String, (u64, u64)>;

/// The processes watched and the machine, before a load.
pub struct Watch {
    procs: Vec<(&'static str, u32, Threads)>,
    machine: Option<Ticks>,
}

impl Watch {
    /// Starts watching `procs`: (what to call it, pid).
    pub fn start(procs: &[(&'static str, u32)]) -> Self {
        Self {
            procs: procs
                .iter()
                .map(|&(name, pid)| (name, pid, threads(pid)))
                .collect(),
            machine: machine(),
        }
    }

    /// What each process's threads and the machine spent since the start.
    pub fn finish(&self) -> Spent {
        Spent {
            procs: self
                .procs
                .iter()
                .map(|(name, pid, before)| (*name, spent(before, &threads(*pid))))
                .collect(),
            machine: match (self.machine, machine()) {
                (Some(a), Some(b)) => Some(Ticks {
                    busy: b.busy.saturating_sub(a.busy),
                    steal: b.steal.saturating_sub(a.steal),
                    total: b.total.saturating_sub(a.total),
                }),
                _ => None,
            },
        }
    }
}

/// What the watched processes' threads (on-CPU and waiting ns by thread
/// name) and the machine (ticks) spent over one or more loads.
#[derive(Default)]
pub struct Spent {
    procs: Vec<(&'static str, ByName)>,
    machine: Option<Ticks>,
}

impl Spent {
    /// Adds `other`, a later load of the same processes.
    pub fn add(&mut self, other: Spent) {
        if self.procs.is_empty() {
            *self = other;
            return;
        }
        for ((_, mine), (_, theirs)) in self.procs.iter_mut().zip(other.procs) {
            for (thread, (r, w)) in theirs {
                let e = mine.entry(thread).or_default();
                e.0 += r;
                e.1 += w;
            }
        }
        self.machine = match (self.machine, other.machine) {
            (Some(a), Some(b)) => Some(Ticks {
                busy: a.busy + b.busy,
                steal: a.steal + b.steal,
                total: a.total + b.total,
            }),
            _ => None,
        };
    }

    /// On-CPU µs a request by process and thread name (the run-queue wait
    /// in brackets), and the machine's busy and stolen shares.
    pub fn report(&self, requests: u64) -> String {
        let per = |ns: u64| ns as f64 / 1000.0 / requests.max(1) as f64;
        let mut out = String::new();
        for (name, spent) in &self.procs {
            let (run, wait) = spent
                .values()
                .fold((0, 0), |(r, w), &(tr, tw)| (r + tr, w + tw));
            let _ = write!(out, "{name} {:.1} µs [{:.1}] (", per(run), per(wait));
            let parts: Vec<String> = spent
                .iter()
                .filter(|(_, &(r, _))| per(r) >= 0.05)
                .map(|(thread, &(r, w))| format!("{thread} {:.1} [{:.1}]", per(r), per(w)))
                .collect();
            let _ = write!(out, "{}); ", parts.join(", "));
        }
        if let Some(t) = self.machine {
            let total = t.total.max(1) as f64;
            let _ = write!(
                out,
                "machine {:.0} % busy, {:.0} % stolen",
                100.0 * t.busy as f64 / total,
                100.0 * t.steal as f64 / total
            );
        }
        out
    }
}

/// On-CPU and waiting ns by thread name between two readings. A thread
/// that started in between counts from zero; one that ended is left out.
fn spent(before: &Threads, after: &Threads) -> ByName {
    let mut by_name = ByName::new();
    for (tid, (name, run, wait)) in after {
        let (r0, w0) = before.get(tid).map_or((0, 0), |&(_, r, w)| (r, w));
        let e = by_name.entry(name.clone()).or_default();
        e.0 += run.saturating_sub(r0);
        e.1 += wait.saturating_sub(w0);
    }
    by_name
}

/// Every thread of `pid` now; empty when the process is gone.
fn threads(pid: u32) -> Threads {
    let mut out = Threads::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(tid) = entry.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let path = entry.path();
        let stat = std::fs::read_to_string(path.join("schedstat")).unwrap_or_default();
        let Some((run, wait)) = parse_schedstat(&stat) else {
            continue;
        };
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        out.insert(tid, (name.trim().to_owned(), run, wait));
    }
    out
}

/// (on-CPU ns, run-queue wait ns) from a `schedstat` line.
fn parse_schedstat(line: &str) -> Option<(u64, u64)> {
    let mut fields = line.split_whitespace().map(str::parse::<u64>);
    Some((fields.next()?.ok()?, fields.next()?.ok()?))
}

/// The machine's clock ticks since boot.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Ticks {
    /// On this guest's work: user, nice, system, irq, softirq.
    busy: u64,
    /// Given by the hypervisor to other guests while this one could run.
    steal: u64,
    total: u64,
}

/// The machine's ticks since boot, from `/proc/stat`.
fn machine() -> Option<Ticks> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    parse_cpu_line(stat.lines().next()?)
}

/// The `cpu` line of `/proc/stat`: user, nice, system, idle, iowait, irq,
/// softirq, steal (guest time is already counted in user time).
fn parse_cpu_line(line: &str) -> Option<Ticks> {
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let t: Vec<u64> = fields
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let [user, nice, system, _idle, _iowait, irq, softirq, steal] = t[..] else {
        return None;
    };
    Some(Ticks {
        busy: user + nice + system + irq + softirq,
        steal,
        total: t.iter().sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Work enough to show on a core.
    fn spin() -> u64 {
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        x
    }

    #[test]
    fn reads_the_kernels_lines() {
        assert_eq!(parse_schedstat("470107 1200 3\n"), Some((470_107, 1_200)));
        assert_eq!(parse_schedstat(""), None);
        let cpu = "cpu  246597 96 54420 235613 7529 0 18254 12696 0 0";
        let total = 246_597 + 96 + 54_420 + 235_613 + 7_529 + 18_254 + 12_696;
        let busy = 246_597 + 96 + 54_420 + 18_254;
        let steal = 12_696;
        assert_eq!(parse_cpu_line(cpu), Some(Ticks { busy, steal, total }));
        assert_eq!(parse_cpu_line("cpu 1 2 3"), None);
        assert_eq!(parse_cpu_line("intr 1 2 3"), None);
    }

    /// Two loads' readings add up thread by thread and tick by tick, a
    /// thread seen in one of them only counting once.
    #[test]
    fn readings_add_up() {
        let reading = |threads: &[(&str, u64, u64)], busy, total| Spent {
            procs: vec![(
                "server",
                threads
                    .iter()
                    .map(|&(n, r, w)| (n.to_owned(), (r, w)))
                    .collect(),
            )],
            machine: Some(Ticks {
                busy,
                steal: 0,
                total,
            }),
        };
        let mut sum = Spent::default();
        sum.add(reading(&[("writer", 3_000, 1_000)], 80, 100));
        sum.add(reading(
            &[("writer", 1_000, 0), ("syncer", 2_000, 2_000)],
            40,
            100,
        ));
        assert_eq!(
            sum.report(2),
            "server 3.0 µs [1.5] (syncer 1.0 [1.0], writer 2.0 [0.5]); machine 60 % busy, 0 % stolen"
        );
    }

    /// A named thread that works between the readings shows under its
    /// name, and one that ended is left out rather than counted negative.
    #[test]
    fn a_threads_work_shows_under_its_name() {
        let watch = Watch::start(&[("bench", std::process::id())]);
        std::thread::Builder::new()
            .name("cpu-probe".into())
            .spawn(spin)
            .unwrap()
            .join()
            .unwrap();
        // The probe has ended: what it spent is not in the reading.
        let ended = watch.finish().report(1);
        assert!(!ended.contains("cpu-probe"), "{ended}");

        let watch = Watch::start(&[("bench", std::process::id())]);
        let (tx, rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::Builder::new()
            .name("cpu-probe".into())
            .spawn(move || {
                let x = spin();
                tx.send(()).unwrap();
                let _ = done_rx.recv();
                x
            })
            .unwrap();
        rx.recv().unwrap();
        let report = watch.finish().report(1);
        done_tx.send(()).unwrap();
        t.join().unwrap();
        let probe = report
            .split("cpu-probe ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|us| us.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no cpu-probe in {report}"));
        assert!(probe > 0.0, "{report}");
        assert!(report.starts_with("bench "), "{report}");
        assert!(report.contains("% busy, "), "{report}");
        assert!(report.ends_with("% stolen"), "{report}");
    }
}
