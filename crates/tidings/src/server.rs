//! Starting and stopping the server.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tidings_engine::{Clock, SystemClock};
use tidings_http::AppState;
use tidings_service::{AdminAuth, AdminKeySource, Services};
use tidings_store::Store;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::Settings;

/// How long superseded tokens are kept after they expire (a day's quota
/// counts them).
const TOKEN_RETENTION_SECS: i64 = 2 * 86_400;
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// How often histogram samples are folded into their buckets.
const METRICS_UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Buckets of the latency histograms, in seconds.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Buckets of the group-commit batch sizes.
const BATCH_BUCKETS: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// The process-wide Prometheus recorder, installed on first use.
pub fn metrics_handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("tidings_sqlite_commit_batch_size".into()),
                        &BATCH_BUCKETS,
                    )
                });
            match builder.and_then(|b| b.install_recorder()) {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .clone()
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    /// The admin key, when this start generated it: show it once.
    pub generated_admin_key: Option<String>,
    pub store: Arc<dyn Store>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    pruner: JoinHandle<()>,
    /// Folds the recorded histogram samples into their buckets.
    upkeep: Option<JoinHandle<()>>,
    worker: Option<(watch::Sender<bool>, JoinHandle<()>)>,
}

impl Running {
    /// Stops accepting, finishes requests in flight, and returns.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.pruner.abort();
        if let Some(upkeep) = &self.upkeep {
            upkeep.abort();
        }
        (&mut self.task).await??;
        if let Some((stop, task)) = self.worker.take() {
            let _ = stop.send(true);
            let _ = task.await;
        }
        Ok(())
    }

    /// Waits until the server stops on its own.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        (&mut self.task).await??;
        Ok(())
    }

    /// Stops when `signal` completes.
    pub fn stop_on(&mut self, signal: impl std::future::Future<Output = ()> + Send + 'static) {
        if let Some(stop) = self.stop.take() {
            tokio::spawn(async move {
                signal.await;
                let _ = stop.send(());
            });
        }
    }
}

/// Opens the store, builds the services and starts listening.
pub async fn start(settings: &Settings) -> anyhow::Result<Running> {
    start_with_clock(settings, Arc::new(SystemClock)).await
}

/// As [`start`], with the clock the rules read (tests move it by hand).
pub async fn start_with_clock(
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Running> {
    // The recorder first: the store keeps the handles it takes on its first calls.
    let metrics = settings.metrics.then(metrics_handle).flatten();
    let store = crate::store::open(&settings.database()?).await?;
    let services = Services::build(store.clone(), clock.clone(), settings.service_config()).await?;
    let source = match &settings.admin_key {
        Some(key) => AdminKeySource::Configured(key.clone()),
        None => AdminKeySource::Stored,
    };
    let (admin, generated_admin_key) = AdminAuth::init(store.as_ref(), source).await?;
    let worker_loop = services.worker.clone();
    let dispatcher = services.dispatcher.clone();
    let (streams_stop, streams_stopped) = watch::channel(false);
    let upkeep = metrics.clone().map(|h| tokio::spawn(upkeep_metrics(h)));
    let state = AppState {
        services,
        admin,
        metrics,
        client_ip: settings.client_ip_source(),
        egress_ips: settings.egress_ips.clone(),
        shutdown: streams_stopped,
    };
    let listener = TcpListener::bind(settings.listen).await?;
    let addr = listener.local_addr()?;
    let app = tidings_http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
                // Live streams end so that the shutdown does not wait on them.
                let _ = streams_stop.send(true);
            })
            .await
    });
    let pruner = tokio::spawn(prune_tokens(store.clone(), clock));
    let worker = settings.worker.then(|| {
        let (stop, stopped) = watch::channel(false);
        let jobs = tokio::spawn(worker_loop.run(stopped.clone()));
        let hooks = tokio::spawn(dispatcher.run(stopped));
        let both = tokio::spawn(async move {
            let _ = jobs.await;
            let _ = hooks.await;
        });
        (stop, both)
    });
    tracing::info!(%addr, backend = store.backend(), "listening");
    Ok(Running {
        addr,
        generated_admin_key,
        store,
        stop: Some(stop_tx),
        task,
        pruner,
        upkeep,
        worker,
    })
}

/// The recorder keeps every histogram sample until a scrape or an upkeep
/// folds it into its buckets: without this, a server nobody scrapes would
/// hold every request's timings for ever.
async fn upkeep_metrics(handle: PrometheusHandle) {
    let mut tick = tokio::time::interval(METRICS_UPKEEP_EVERY);
    loop {
        tick.tick().await;
        handle.run_upkeep();
    }
}

async fn prune_tokens(store: Arc<dyn Store>, clock: Arc<dyn Clock>) {
    let mut tick = tokio::time::interval(PRUNE_EVERY);
    loop {
        tick.tick().await;
        let before = clock.now().plus_secs(-TOKEN_RETENTION_SECS);
        match store.prune_tokens(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(pruned = n, "pruned expired tokens"),
            Err(e) => tracing::warn!(error = %e, "pruning tokens failed"),
        }
    }
}
