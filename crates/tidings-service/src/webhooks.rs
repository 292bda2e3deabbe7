//! Webhooks: endpoints per app, and the dispatcher that delivers the
//! outbox's events to them, signed the Standard Webhooks way, with retries
//! on the engine's schedule, until they succeed or go dead.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, RngCore};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tidings_engine::webhook::{
    check_webhook_url, is_internal, new_secret, next_attempt, parse_event_types, sign,
};
use tidings_engine::{AppId, Clock, ParseError, Webhook};
use tidings_store::{AttemptResult, Delivery, DueDelivery, Store};
use tokio::sync::watch;

use crate::apps::AppService;
use crate::ServiceError;

/// Which addresses webhook endpoints may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookReach {
    /// Public addresses only (the default): no SSRF into the network
    /// Tidings runs in.
    #[default]
    Public,
    /// Public and loopback addresses (tests, a receiver on the same host).
    Loopback,
    /// Any address.
    Any,
}

impl WebhookReach {
    fn allows(self, ip: IpAddr) -> bool {
        match self {
            WebhookReach::Any => true,
            WebhookReach::Loopback => ip.is_loopback() || !is_internal(ip),
            WebhookReach::Public => !is_internal(ip),
        }
    }
}

/// Resolves host names, keeping only addresses the reach allows: checked at
/// connection time, so a name cannot be re-pointed inside after registration.
struct GuardedResolver(WebhookReach);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let reach = self.0;
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.into_iter().filter(|a| reach.allows(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!(
                    "{} resolves only to addresses webhooks may not reach",
                    name.as_str()
                )
                .into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    host_port.rsplit_once(':').map_or(host_port, |(h, _)| h)
}

/// Tunables of webhooks.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub reach: WebhookReach,
    pub timeout: Duration,
    /// How often the dispatcher looks for due deliveries.
    pub poll: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            reach: WebhookReach::Public,
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(200),
        }
    }
}

#[derive(Clone)]
pub struct WebhookService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    apps: AppService,
    config: WebhookConfig,
}

impl WebhookService {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        apps: AppService,
        config: WebhookConfig,
    ) -> Self {
        Self {
            store,
            clock,
            apps,
            config,
        }
    }

    /// Refuses endpoints whose host is, or resolves only to, an address the
    /// reach does not allow.
    async fn check_reachable(&self, url: &str) -> Result<(), ServiceError> {
        let host = host_of(url);
        let refuse = || {
            ParseError::new(
                "url",
                "webhooks may not reach private, loopback or link-local addresses",
            )
        };
        if let Ok(ip) = host.parse::<IpAddr>() {
            return if self.config.reach.allows(ip) {
                Ok(())
            } else {
                Err(refuse().into())
            };
        }
        let found: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
            .await
            .map_err(|e| ParseError::new("url", format!("{host} does not resolve: {e}")))?
            .collect();
        if found.iter().any(|a| self.config.reach.allows(a.ip())) {
            Ok(())
        } else {
            Err(refuse().into())
        }
    }

    /// Registers an endpoint; the signing secret is in the answer.
    pub async fn create(
        &self,
        appid: &AppId,
        url: &str,
        types: &[String],
    ) -> Result<Webhook, ServiceError> {
        self.apps.get(appid).await?;
        let url = check_webhook_url(url)?;
        let types = parse_event_types(types)?;
        self.check_reachable(&url).await?;
        Ok(self
            .store
            .create_webhook(appid, &url, &new_secret(), &types, self.clock.now())
            .await?)
    }

    pub async fn list(&self, appid: &AppId) -> Result<Vec<Webhook>, ServiceError> {
        self.apps.get(appid).await?;
        Ok(self.store.list_webhooks(appid).await?)
    }

    pub async fn delete(&self, appid: &AppId, id: i64) -> Result<(), ServiceError> {
        if !self
            .store
            .delete_webhook(appid, id, self.clock.now())
            .await?
        {
            return Err(ServiceError::NotFound("webhook"));
        }
        Ok(())
    }

    pub async fn deliveries(
        &self,
        appid: &AppId,
        id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Delivery>, ServiceError> {
        Ok(self
            .store
            .list_deliveries(appid, id, after, limit.clamp(1, 1000))
            .await?)
    }

    /// Sends a delivery again from its first attempt (a dead one, say).
    pub async fn replay(&self, appid: &AppId, id: i64) -> Result<Delivery, ServiceError> {
        self.store
            .replay_delivery(appid, id, self.clock.now())
            .await?
            .ok_or(ServiceError::NotFound("delivery"))
    }
}

/// Delivers due events.
#[derive(Clone)]
pub struct Dispatcher {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    config: WebhookConfig,
}

/// Deliveries taken per round.
const BATCH: u32 = 32;
/// How long a taken delivery is held before another dispatcher may take it.
const LEASE_SECS: i64 = 60;

impl Dispatcher {
    pub(crate) fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: WebhookConfig) -> Self {
        let http = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver(config.reach)))
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Tidings-Webhooks/0.1")
            .build()
            .expect("a reqwest client with these settings builds");
        Self {
            store,
            clock,
            http,
            config,
        }
    }

    /// Runs until `stop` turns true.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        let poll = self.config.poll;
        crate::rounds::run_rounds("webhook dispatcher", stop, poll, None, || async {
            self.run_once().await.map(|n| n > 0)
        })
        .await
    }

    /// One round: takes due deliveries and attempts them; returns how many.
    pub async fn run_once(&self) -> Result<usize, tidings_store::StoreError> {
        let now = self.clock.now();
        let mut token = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut token);
        let claim = hex::encode(token);
        let due = self
            .store
            .claim_deliveries(now, now.plus_secs(LEASE_SECS), &claim, BATCH)
            .await?;
        let n = due.len();
        let attempts = due.into_iter().map(|d| self.attempt(d, &claim));
        for result in futures_util::future::join_all(attempts).await {
            result?;
        }
        Ok(n)
    }

    async fn attempt(&self, d: DueDelivery, claim: &str) -> Result<(), tidings_store::StoreError> {
        let now = self.clock.now();
        let msg_id = format!("evt_{}", d.event_id);
        let ts = now.as_millis() / 1000;
        let signature = sign(&d.secret, &msg_id, ts, d.payload.as_bytes());
        let host = host_of(&d.url).to_owned();
        let literal_refused = host
            .parse::<IpAddr>()
            .is_ok_and(|ip| !self.config.reach.allows(ip));
        let outcome = if literal_refused {
            Err((None, "the endpoint's address may not be reached".to_owned()))
        } else {
            match self
                .http
                .post(&d.url)
                .header("content-type", "application/json")
                .header("webhook-id", &msg_id)
                .header("webhook-timestamp", ts.to_string())
                .header("webhook-signature", signature)
                .body(d.payload.clone())
                .send()
                .await
            {
                Ok(res) if res.status().is_success() => Ok(res.status().as_u16()),
                Ok(res) => Err((
                    Some(res.status().as_u16()),
                    format!("HTTP {}", res.status()),
                )),
                Err(e) => Err((None, format!("request failed: {e}"))),
            }
        };
        let result = match outcome {
            Ok(status) => AttemptResult::Succeeded { status },
            Err((status, error)) => {
                let jitter = rand::thread_rng().gen_range(-1.0..=1.0);
                match next_attempt(d.attempts + 1, now, jitter) {
                    Some(next) => AttemptResult::Retry {
                        status,
                        error,
                        next,
                    },
                    None => AttemptResult::Dead { status, error },
                }
            }
        };
        metrics::counter!("tidings_webhook_attempts_total", "result" => match &result {
            AttemptResult::Succeeded { .. } => "succeeded",
            AttemptResult::Retry { .. } => "retry",
            AttemptResult::Dead { .. } => "dead",
        })
        .increment(1);
        self.store
            .finish_delivery(d.id, claim, &result, self.clock.now())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_found_in_urls() {
        assert_eq!(host_of("https://example.com/hook"), "example.com");
        assert_eq!(host_of("http://127.0.0.1:8080/x"), "127.0.0.1");
        assert_eq!(host_of("http://[::1]:9/x"), "::1");
        assert_eq!(host_of("https://user:pw@10.0.0.1/x"), "10.0.0.1");
    }

    #[test]
    fn reach_levels() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let private: IpAddr = "10.0.0.1".parse().unwrap();
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        assert!(!WebhookReach::Public.allows(lo) && !WebhookReach::Public.allows(private));
        assert!(WebhookReach::Public.allows(public));
        assert!(WebhookReach::Loopback.allows(lo) && !WebhookReach::Loopback.allows(private));
        assert!(WebhookReach::Any.allows(private));
    }
}
