//! The token service: appid + secret for an access token, and access tokens
//! back to the app that holds them.

use std::net::IpAddr;
use std::sync::Arc;

use rand::RngCore;
use tidings_engine::{
    AccessToken, App, AppId, AppSecret, Clock, TokenLane, TokenRecord, TokenStatus,
};
use tidings_store::{DailyLimit, IssueOutcome, IssueToken, Store, StoreResult};

use crate::apps::AppService;
use crate::cache::Caches;
use crate::limiter::FailureLimiter;
use crate::{ServiceConfig, ServiceError};

const TOKEN_KEY_SETTING: &str = "stable_token_key";
/// How often a stable-token call retries after losing a race to another caller.
const RACE_RETRIES: usize = 5;

/// Checked credentials of a token request, parsed at the edge.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub appid: AppId,
    pub secret: AppSecret,
}

impl Credentials {
    /// Applies WeChat's order of checks to the raw parameters of a token
    /// request: grant_type, then presence of appid and secret, then the
    /// appid's shape.
    pub fn parse(
        grant_type: Option<&str>,
        appid: Option<&str>,
        secret: Option<&str>,
    ) -> Result<Self, ServiceError> {
        if grant_type != Some("client_credential") {
            return Err(ServiceError::InvalidGrantType);
        }
        let appid = appid
            .filter(|a| !a.is_empty())
            .ok_or(ServiceError::AppIdMissing)?;
        let secret = secret
            .filter(|s| !s.is_empty())
            .ok_or(ServiceError::SecretMissing)?;
        let appid = AppId::parse(appid).map_err(|_| ServiceError::InvalidAppId)?;
        let secret = AppSecret::parse(secret).map_err(|_| ServiceError::InvalidSecret)?;
        Ok(Self { appid, secret })
    }
}

/// A token handed out, with its remaining lifetime in seconds.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: AccessToken,
    pub expires_in: i64,
}

/// The app behind a valid access token, as it was when the token was
/// checked (`caller.appid`, `caller.kind` and the rest are the app's).
#[derive(Debug, Clone)]
pub struct Caller {
    pub app: Arc<App>,
}

impl From<&Arc<App>> for Caller {
    fn from(app: &Arc<App>) -> Self {
        Self {
            app: Arc::clone(app),
        }
    }
}

impl std::ops::Deref for Caller {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

#[derive(Clone)]
pub struct TokenService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    cache: Caches,
    apps: AppService,
    config: ServiceConfig,
    stable_key: Arc<[u8]>,
    failures: Arc<FailureLimiter>,
}

impl TokenService {
    pub(crate) async fn init(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        cache: Caches,
        apps: AppService,
        config: ServiceConfig,
    ) -> StoreResult<Self> {
        let mut fresh = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut fresh);
        let stored = store
            .init_setting(TOKEN_KEY_SETTING, &hex::encode(fresh))
            .await?;
        let stable_key = hex::decode(&stored).map_err(|e| {
            tidings_store::StoreError::Corrupt(format!("settings.{TOKEN_KEY_SETTING}: {e}"))
        })?;
        let failures = Arc::new(FailureLimiter::new(config.failure_window_secs));
        Ok(Self {
            store,
            clock,
            cache,
            apps,
            config,
            stable_key: stable_key.into(),
            failures,
        })
    }

    /// `/cgi-bin/token`: a new token that supersedes the app's current one.
    pub async fn issue(
        &self,
        creds: &Credentials,
        ip: IpAddr,
    ) -> Result<IssuedToken, ServiceError> {
        self.check_credentials(creds, ip).await?;
        let now = self.clock.now();
        let token = AccessToken::generate();
        let req = IssueToken {
            appid: creds.appid.clone(),
            lane: TokenLane::Plain,
            hash: token.hash(),
            forced: false,
            issued_at: now,
            expires_at: self.config.token_policy.expiry_for(now),
            expect_generation: None,
            daily_limit: Some(DailyLimit {
                since: now.quota_day_start(),
                max: self.config.token_requests_per_day,
            }),
        };
        match self.store.issue_token(&req).await? {
            IssueOutcome::Issued { .. } => {
                self.cache.forget_lane(&creds.appid, TokenLane::Plain);
                Ok(IssuedToken {
                    token,
                    expires_in: self.config.token_policy.ttl_secs,
                })
            }
            IssueOutcome::LimitReached => Err(ServiceError::TokenQuotaReached),
            IssueOutcome::NoApp => Err(ServiceError::InvalidAppId),
            IssueOutcome::Raced => unreachable!("an unconditional issue cannot race"),
        }
    }

    /// `/cgi-bin/stable_token`: the lane's current token while it is valid
    /// (the same string on every node and after restarts), a new one when it
    /// has expired or when `force_refresh` asks for it.
    pub async fn stable(
        &self,
        creds: &Credentials,
        force_refresh: bool,
        ip: IpAddr,
    ) -> Result<IssuedToken, ServiceError> {
        self.check_credentials(creds, ip).await?;
        let appid = &creds.appid;
        let mut force = force_refresh;
        for _ in 0..RACE_RETRIES {
            let now = self.clock.now();
            let current = self.store.current_token(appid, TokenLane::Stable).await?;
            if let Some(cur) = current.as_ref().filter(|_| !force) {
                if let TokenStatus::Valid { until } = self.config.token_policy.status(cur, now) {
                    return Ok(IssuedToken {
                        token: AccessToken::derive_stable(&self.stable_key, appid, cur.generation),
                        expires_in: now.secs_until(until),
                    });
                }
            }
            let expect = current.as_ref().map_or(0, |c| c.generation);
            let token = AccessToken::derive_stable(&self.stable_key, appid, expect + 1);
            let req = IssueToken {
                appid: appid.clone(),
                lane: TokenLane::Stable,
                hash: token.hash(),
                forced: force,
                issued_at: now,
                expires_at: self.config.token_policy.expiry_for(now),
                expect_generation: Some(expect),
                daily_limit: force.then(|| DailyLimit {
                    since: now.quota_day_start(),
                    max: self.config.stable_refreshes_per_day,
                }),
            };
            match self.store.issue_token(&req).await? {
                IssueOutcome::Issued { .. } => {
                    self.cache.forget_lane(appid, TokenLane::Stable);
                    return Ok(IssuedToken {
                        token,
                        expires_in: self.config.token_policy.ttl_secs,
                    });
                }
                // Someone else just issued: theirs is as fresh as a forced one.
                IssueOutcome::Raced => force = false,
                IssueOutcome::LimitReached => return Err(ServiceError::TokenQuotaReached),
                IssueOutcome::NoApp => return Err(ServiceError::InvalidAppId),
            }
        }
        Err(ServiceError::Conflict(
            "stable token contended, retry".into(),
        ))
    }

    /// Resolves `?access_token=` to its app: 41001 missing, 40001 unknown or
    /// superseded beyond the overlap, 42001 expired.
    pub async fn authenticate(&self, raw: Option<&str>) -> Result<Caller, ServiceError> {
        let raw = raw
            .filter(|r| !r.is_empty())
            .ok_or(ServiceError::TokenMissing)?;
        let token = AccessToken::parse(raw).map_err(|_| ServiceError::TokenInvalid)?;
        let hash = token.hash();
        let record = match self.cache.tokens.get(&hash) {
            Some(r) => r,
            None => {
                let r = self
                    .store
                    .get_token(&hash)
                    .await?
                    .ok_or(ServiceError::TokenInvalid)?;
                self.cache.tokens.insert(hash, r.clone());
                r
            }
        };
        if !record.hash.ct_matches(&hash) {
            return Err(ServiceError::TokenInvalid);
        }
        match self.config.token_policy.status(&record, self.clock.now()) {
            TokenStatus::Valid { .. } => {}
            TokenStatus::Superseded => return Err(ServiceError::TokenInvalid),
            TokenStatus::Expired => return Err(ServiceError::TokenExpired),
        }
        let app = self.app(&record).await?;
        if app.is_disabled() {
            return Err(ServiceError::AppDisabled);
        }
        Ok(Caller::from(&app))
    }

    /// The token's app; a token whose app is gone is invalid.
    async fn app(&self, record: &TokenRecord) -> Result<Arc<App>, ServiceError> {
        self.apps.get(&record.appid).await.map_err(|e| match e {
            ServiceError::NotFound(_) => ServiceError::TokenInvalid,
            other => other,
        })
    }

    /// Brute-force guard first, then the appid, then the secret.
    async fn check_credentials(&self, creds: &Credentials, ip: IpAddr) -> Result<(), ServiceError> {
        let now = self.clock.now();
        let app_key = format!("app:{}", creds.appid);
        let ip_key = format!("ip:{ip}");
        let blocked = [
            self.failures
                .blocked_for(&app_key, self.config.secret_failures_per_app, now),
            self.failures
                .blocked_for(&ip_key, self.config.secret_failures_per_ip, now),
        ];
        if let Some(secs) = blocked.into_iter().flatten().max() {
            return Err(ServiceError::TooManyFailures {
                retry_after_secs: secs,
            });
        }
        // Always read the store: a cached app could carry a rotated secret.
        let Some(app) = self.store.get_app(&creds.appid).await? else {
            self.failures.record_failure(&ip_key, now);
            return Err(ServiceError::InvalidAppId);
        };
        if !app.secret_hash.matches(creds.secret.expose()) {
            self.failures.record_failure(&app_key, now);
            self.failures.record_failure(&ip_key, now);
            tracing::info!(appid = %creds.appid, %ip, "token request with a wrong secret");
            return Err(ServiceError::InvalidSecret);
        }
        if app.is_disabled() {
            return Err(ServiceError::AppDisabled);
        }
        Ok(())
    }
}
