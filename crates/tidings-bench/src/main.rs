//! `cargo run --release -p tidings-bench -- all`: measures, in one run so
//! that ratios hold on a noisy machine, the machine's HTTP limit (W0), single
//! sends (W1), segment fan-out against raw bulk inserts (W2), inbox reads
//! under load (W3) and memory. Servers run as child processes (this binary
//! in `serve` or `bare` mode); the load comes from this process.

mod bare;
mod callgrind;
mod cpu;
mod fanout;
mod load;
mod sends;
mod server;
mod slices;

use clap::{Parser, Subcommand};

/// The allocator of the `tidings` binary, for the servers this binary runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every scenario, one after the other.
    All(Opts),
    /// W0 and W1: the bare server, then both send endpoints.
    W1(Opts),
    /// W2: fan-out to `--users` users, and W2-raw.
    W2(Opts),
    /// W3: inbox reads under a concurrent W1 load.
    W3(Opts),
    /// (internal) A bare axum server answering JSON POSTs; with `--log`,
    /// each answered once its body is synced to that file; with `--sqlite`,
    /// once its body is a row committed to that SQLite file.
    Bare {
        port: u16,
        #[arg(long, conflicts_with = "sqlite")]
        log: Option<std::path::PathBuf>,
        #[arg(long)]
        sqlite: Option<std::path::PathBuf>,
    },
    /// (internal) Tidings itself, as `tidings serve`.
    Serve,
}

#[derive(clap::Args, Clone)]
pub struct Opts {
    /// Seconds each load runs.
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// W0 and W1's two loads each run in this many slices, taking turns,
    /// so that the machine's drift weighs on all three alike (one slice
    /// under `--callgrind`).
    #[arg(long, default_value_t = 5)]
    slices: u32,
    /// Concurrent connections of the load.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Users of the fan-out.
    #[arg(long, default_value_t = 1_000_000)]
    users: usize,
    /// A PostgreSQL server for the PostgreSQL runs (skipped without).
    #[arg(long, env = "TIDINGS_BENCH_PG_URL")]
    pg: Option<String>,
    /// For the analysis: the load generator on CPU 0 and the servers this
    /// binary starts on CPU 1, so that no load shares a server's core
    /// (PostgreSQL is not pinned).
    #[arg(long)]
    pin: bool,
    /// For comparing builds: the servers under valgrind's callgrind, and W0
    /// and W1 report their instructions a request (rates then mean nothing).
    #[arg(long)]
    callgrind: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::All(o) | Command::W1(o) | Command::W2(o) | Command::W3(o) = &cli.command {
        if o.pin {
            server::pin_load_generator()?;
        }
        if o.callgrind {
            callgrind::enable()?;
        }
    }
    match cli.command {
        Command::Bare { port, log, sqlite } => {
            let keep = match (log, sqlite) {
                (Some(log), _) => bare::Keep::Log(log),
                (None, Some(db)) => bare::Keep::Sqlite(db),
                (None, None) => bare::Keep::Nowhere,
            };
            bare::serve(port, keep)
        }
        Command::Serve => server::serve_tidings(),
        Command::All(o) => runtime().block_on(async {
            sends::w1(&o).await?;
            sends::w3(&o).await?;
            fanout::w2(&o).await
        }),
        Command::W1(o) => runtime().block_on(sends::w1(&o)),
        Command::W2(o) => runtime().block_on(fanout::w2(&o)),
        Command::W3(o) => runtime().block_on(sends::w3(&o)),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}
