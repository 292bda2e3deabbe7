//! Settings, layered: defaults < `tidings.toml` < `TIDINGS_*` environment
//! variables < command-line flags. Every key of the file is also an
//! environment variable: `listen` is `TIDINGS_LISTEN`, and so on.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use tidings_engine::TokenPolicy;
use tidings_http::ClientIpSource;
use tidings_service::{MarketingScan, ServiceConfig, WebhookConfig, WebhookReach, WorkerConfig};

use crate::logging::LogFormat;
use crate::store::DatabaseUrl;

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "tidings.toml";

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`.
    pub database_url: String,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// The admin key; when unset, one is generated on first start.
    #[serde(default, skip_serializing)]
    pub admin_key: Option<String>,
    /// `/cgi-bin/token` calls allowed per app per day (WeChat: 2000).
    pub token_requests_per_day: u32,
    /// `stable_token` force refreshes allowed per app per day (WeChat: 20).
    pub stable_refreshes_per_day: u32,
    /// Wrong secrets per app per window before refusing its token requests.
    pub secret_failures_per_app: u32,
    /// Wrong appids or secrets per client IP per window.
    pub secret_failures_per_ip: u32,
    /// The window of the two limits above, in seconds.
    pub failure_window_secs: i64,
    /// How long a node trusts cached apps and tokens, in seconds (< 300).
    pub cache_ttl_secs: u64,
    /// `peer` (the TCP peer) or `forwarded_for` (behind a reverse proxy).
    pub client_ip: ClientIpSetting,
    /// The addresses this installation calls out from (`getcallbackip`).
    pub egress_ips: Vec<String>,
    /// Serve Prometheus metrics at `/metrics`.
    pub metrics: bool,
    /// Run the delivery worker and the webhook dispatcher in this process.
    pub worker: bool,
    /// Recipients per segment-send chunk (one transaction each).
    pub worker_chunk_size: u32,
    /// Seconds a worker's claim on a send lasts without progress.
    pub job_lease_secs: i64,
    /// Which addresses webhook endpoints may have: `public` (no private,
    /// loopback or link-local addresses), `loopback` (also loopback) or `any`.
    pub webhook_reach: WebhookReachSetting,
    /// Seconds a webhook endpoint has to answer.
    pub webhook_timeout_secs: u64,
    /// What mini-program sends holding marketing words get: `count` (the
    /// hits are counted on the send record) or `block` (refused).
    pub marketing_scan: MarketingScan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookReachSetting {
    Public,
    Loopback,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientIpSetting {
    Peer,
    ForwardedFor,
}

impl Default for Settings {
    fn default() -> Self {
        let service = ServiceConfig::default();
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://tidings.db".into(),
            log_format: LogFormat::Text,
            admin_key: None,
            token_requests_per_day: service.token_requests_per_day,
            stable_refreshes_per_day: service.stable_refreshes_per_day,
            secret_failures_per_app: service.secret_failures_per_app,
            secret_failures_per_ip: service.secret_failures_per_ip,
            failure_window_secs: service.failure_window_secs,
            cache_ttl_secs: service.cache_ttl.as_secs(),
            client_ip: ClientIpSetting::Peer,
            egress_ips: vec!["127.0.0.1".into()],
            metrics: true,
            worker: true,
            worker_chunk_size: service.worker.chunk_size,
            job_lease_secs: service.worker.lease_secs,
            webhook_reach: WebhookReachSetting::Public,
            webhook_timeout_secs: service.webhooks.timeout.as_secs(),
            marketing_scan: service.marketing_scan,
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The admin key is never printed.
        f.write_str(&serde_json::to_string(self).unwrap_or_default())
    }
}

/// Values given on the command line; `None` leaves the lower layers' value.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
}

impl Settings {
    /// Loads the layers. A missing default file is fine; a missing file named
    /// explicitly is an error.
    pub fn load(config_file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let file = match config_file {
            Some(path) => {
                anyhow::ensure!(
                    path.exists(),
                    "config file {} does not exist",
                    path.display()
                );
                path.to_path_buf()
            }
            None => DEFAULT_CONFIG_FILE.into(),
        };
        let settings: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("TIDINGS_").only(&ENV_KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        DatabaseUrl::parse(&self.database_url)?;
        anyhow::ensure!(
            self.cache_ttl_secs < TokenPolicy::default().overlap_secs as u64,
            "cache_ttl_secs must be below the 300 s token overlap"
        );
        anyhow::ensure!(
            self.failure_window_secs > 0,
            "failure_window_secs must be positive"
        );
        anyhow::ensure!(
            (1..=10_000).contains(&self.worker_chunk_size),
            "worker_chunk_size must be 1 to 10000"
        );
        anyhow::ensure!(self.job_lease_secs > 0, "job_lease_secs must be positive");
        if let Some(key) = &self.admin_key {
            anyhow::ensure!(
                key.len() >= 16,
                "the admin key must be at least 16 characters"
            );
        }
        Ok(())
    }

    pub fn database(&self) -> anyhow::Result<DatabaseUrl> {
        DatabaseUrl::parse(&self.database_url)
    }

    pub fn service_config(&self) -> ServiceConfig {
        ServiceConfig {
            token_policy: TokenPolicy::default(),
            token_requests_per_day: self.token_requests_per_day,
            stable_refreshes_per_day: self.stable_refreshes_per_day,
            secret_failures_per_app: self.secret_failures_per_app,
            secret_failures_per_ip: self.secret_failures_per_ip,
            failure_window_secs: self.failure_window_secs,
            cache_ttl: Duration::from_secs(self.cache_ttl_secs),
            worker: WorkerConfig {
                chunk_size: self.worker_chunk_size,
                lease_secs: self.job_lease_secs,
                ..WorkerConfig::default()
            },
            webhooks: WebhookConfig {
                reach: match self.webhook_reach {
                    WebhookReachSetting::Public => WebhookReach::Public,
                    WebhookReachSetting::Loopback => WebhookReach::Loopback,
                    WebhookReachSetting::Any => WebhookReach::Any,
                },
                timeout: Duration::from_secs(self.webhook_timeout_secs.max(1)),
                ..WebhookConfig::default()
            },
            marketing_scan: self.marketing_scan,
        }
    }

    pub fn client_ip_source(&self) -> ClientIpSource {
        match self.client_ip {
            ClientIpSetting::Peer => ClientIpSource::Peer,
            ClientIpSetting::ForwardedFor => ClientIpSource::ForwardedFor,
        }
    }
}

/// The settings read from `TIDINGS_*` variables (others, such as the test
/// suite's `TIDINGS_TEST_PG_URL`, are not settings).
const ENV_KEYS: [&str; 19] = [
    "listen",
    "database_url",
    "log_format",
    "admin_key",
    "token_requests_per_day",
    "stable_refreshes_per_day",
    "secret_failures_per_app",
    "secret_failures_per_ip",
    "failure_window_secs",
    "cache_ttl_secs",
    "client_ip",
    "egress_ips",
    "metrics",
    "worker",
    "worker_chunk_size",
    "job_lease_secs",
    "webhook_reach",
    "webhook_timeout_secs",
    "marketing_scan",
];

#[cfg(test)]
// figment's Jail returns its own large error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "tidings.toml",
                r#"
                listen = "127.0.0.1:9000"
                database_url = "sqlite://from-file.db"
                token_requests_per_day = 5
                log_format = "json"
                "#,
            )?;
            jail.set_env("TIDINGS_DATABASE_URL", "sqlite://from-env.db");
            jail.set_env("TIDINGS_TOKEN_REQUESTS_PER_DAY", "7");
            jail.set_env("TIDINGS_TEST_PG_URL", "postgres://not-a-setting");
            let overrides = Overrides {
                listen: Some("127.0.0.1:9100".parse().unwrap()),
                ..Overrides::default()
            };
            let s = Settings::load(None, &overrides).expect("loads");
            assert_eq!(s.listen.port(), 9100, "flag beats file");
            assert_eq!(s.database_url, "sqlite://from-env.db", "env beats file");
            assert_eq!(s.token_requests_per_day, 7, "env beats file");
            assert_eq!(s.log_format, LogFormat::Json, "file beats default");
            assert_eq!(s.secret_failures_per_app, 20, "default stays");
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("tidings.toml", "cache_ttl_secs = 900")?;
            let err = Settings::load(None, &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("cache_ttl_secs"), "{err}");
            jail.create_file("tidings.toml", "unknown_key = 1")?;
            assert!(Settings::load(None, &Overrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn debug_output_hides_the_admin_key() {
        let s = Settings {
            admin_key: Some("super-secret-admin-key".into()),
            ..Settings::default()
        };
        assert!(!format!("{s:?}").contains("super-secret"));
    }
}
