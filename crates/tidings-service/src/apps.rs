//! The app registry.

use std::sync::Arc;

use tidings_engine::{App, AppId, AppKind, AppName, AppSecret, Clock, OpenId, Pages, ParseError};
use tidings_store::{AppPatch, Store, StoreError};

use crate::cache::Caches;
use crate::ServiceError;

/// A request to register an app, already parsed.
#[derive(Debug, Clone)]
pub struct NewApp {
    pub name: AppName,
    pub kind: AppKind,
    pub pages: Pages,
}

#[derive(Clone)]
pub struct AppService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    cache: Caches,
}

/// The most apps one page of a listing holds.
pub const MAX_PAGE: u32 = 200;

fn pages_allowed(kind: AppKind, pages: &Pages) -> Result<(), ServiceError> {
    if kind != AppKind::Miniprogram && !pages.is_empty() {
        return Err(ParseError::new("pages", "only miniprogram apps have pages").into());
    }
    Ok(())
}

impl AppService {
    pub(crate) fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, cache: Caches) -> Self {
        Self {
            store,
            clock,
            cache,
        }
    }

    /// Registers an app. The secret is returned here and never again.
    pub async fn create(&self, new: NewApp) -> Result<(App, AppSecret), ServiceError> {
        pages_allowed(new.kind, &new.pages)?;
        let secret = AppSecret::generate();
        let now = self.clock.now();
        let mut app = App {
            appid: AppId::generate(),
            name: new.name,
            kind: new.kind,
            pages: new.pages,
            secret_hash: secret.hash(),
            created_at: now,
            updated_at: now,
            disabled_at: None,
            daily_send_limit: None,
            banned_until: None,
        };
        // 64 random bits: a clash is all but impossible, but never fatal.
        for _ in 0..3 {
            match self.store.insert_app(&app).await {
                Ok(()) => return Ok((app, secret)),
                Err(StoreError::Conflict(_)) => app.appid = AppId::generate(),
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict("could not allocate an appid".into()))
    }

    /// An app, from the cache when it is fresh.
    pub async fn get(&self, appid: &AppId) -> Result<Arc<App>, ServiceError> {
        if let Some(app) = self.cache.apps.get(appid) {
            return Ok(app);
        }
        let app = Arc::new(
            self.store
                .get_app(appid)
                .await?
                .ok_or(ServiceError::NotFound("app"))?,
        );
        self.cache.apps.insert(appid.clone(), app.clone());
        Ok(app)
    }

    /// Whether the app has this user, from the cache when it is known: a
    /// single send checks its recipient, and users are added far more often
    /// than removed (only a workspace app's employees are, through
    /// [`AppService::forget_user`]).
    pub async fn has_user(&self, appid: &AppId, openid: &OpenId) -> Result<bool, ServiceError> {
        let key = (appid.clone(), openid.clone());
        if self.cache.users.contains_key(&key) {
            return Ok(true);
        }
        let known = self.store.get_user(appid, openid).await?.is_some();
        if known {
            self.cache.users.insert(key, ());
        }
        Ok(known)
    }

    /// Drops a removed user from this node's cache.
    pub(crate) fn forget_user(&self, appid: &AppId, openid: &OpenId) {
        self.cache
            .users
            .invalidate(&(appid.clone(), openid.clone()));
    }

    pub async fn list(&self, after: Option<&AppId>, limit: u32) -> Result<Vec<App>, ServiceError> {
        Ok(self
            .store
            .list_apps(after, limit.clamp(1, MAX_PAGE))
            .await?)
    }

    pub async fn update(&self, appid: &AppId, patch: AppPatch) -> Result<App, ServiceError> {
        if patch.daily_send_limit == Some(0) {
            return Err(ParseError::new("daily_send_limit", "must be at least 1").into());
        }
        if let Some(pages) = &patch.pages {
            pages_allowed(self.get(appid).await?.kind, pages)?;
        }
        let app = self
            .store
            .update_app(appid, &patch, self.clock.now())
            .await?
            .ok_or(ServiceError::NotFound("app"))?;
        self.cache.apps.invalidate(appid);
        Ok(app)
    }

    /// Replaces the secret; the old one stops working at once. Tokens issued
    /// before stay valid until they expire, as on WeChat.
    pub async fn rotate_secret(&self, appid: &AppId) -> Result<(App, AppSecret), ServiceError> {
        let secret = AppSecret::generate();
        let app = self
            .store
            .set_app_secret(appid, &secret.hash(), self.clock.now())
            .await?
            .ok_or(ServiceError::NotFound("app"))?;
        self.cache.apps.invalidate(appid);
        Ok((app, secret))
    }

    /// Drops the cached app (after a change made behind this service).
    pub(crate) fn forget(&self, appid: &AppId) {
        self.cache.apps.invalidate(appid);
    }

    /// Disables an app: its secret and tokens stop working. Kept for records.
    pub async fn disable(&self, appid: &AppId) -> Result<App, ServiceError> {
        let app = self
            .store
            .disable_app(appid, self.clock.now())
            .await?
            .ok_or(ServiceError::NotFound("app"))?;
        self.cache.apps.invalidate(appid);
        Ok(app)
    }
}
