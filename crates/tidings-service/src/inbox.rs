//! A recipient's service notifications (服务通知).

use std::sync::Arc;

use std::time::Duration;

use tidings_engine::inbox::{DEFAULT_PASS_LIFETIME, MAX_PASS_LIFETIME};
use tidings_engine::{AccessToken, AppId, Clock, InboxPass, Message, OpenId, ParseError, Platform};
use tidings_store::Store;

use crate::ServiceError;

/// The most messages one page holds.
pub const MAX_INBOX_PAGE: u32 = 100;

#[derive(Clone)]
pub struct InboxService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl InboxService {
    pub(crate) fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Newest first (with a platform, the workspace cards on it); pass the last id of a page as `before` for the next.
    pub async fn list(
        &self,
        appid: &AppId,
        openid: &OpenId,
        platform: Option<Platform>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Message>, ServiceError> {
        if self.store.get_user(appid, openid).await?.is_none() {
            return Err(ServiceError::NotFound("user"));
        }
        Ok(self
            .store
            .list_messages(
                appid,
                openid,
                platform,
                before,
                limit.clamp(1, MAX_INBOX_PAGE),
            )
            .await?)
    }

    pub async fn mark_read(
        &self,
        appid: &AppId,
        openid: &OpenId,
        id: i64,
    ) -> Result<Message, ServiceError> {
        self.store
            .mark_read(appid, openid, id, self.clock.now())
            .await?
            .ok_or(ServiceError::NotFound("message"))
    }

    /// Issues a pass that opens one user's inbox for `lifetime` (30 days by
    /// default, a year at most). The plaintext is returned once; only its
    /// hash is stored.
    pub async fn issue_pass(
        &self,
        appid: &AppId,
        openid: &OpenId,
        lifetime: Option<Duration>,
    ) -> Result<(AccessToken, InboxPass), ServiceError> {
        let lifetime = lifetime.unwrap_or(DEFAULT_PASS_LIFETIME);
        if lifetime.is_zero() || lifetime > MAX_PASS_LIFETIME {
            return Err(ParseError::new("ttl_secs", "must be 1 to 31536000").into());
        }
        if self.store.get_user(appid, openid).await?.is_none() {
            return Err(ServiceError::NotFound("user"));
        }
        let token = AccessToken::generate();
        let now = self.clock.now();
        let pass = InboxPass {
            hash: token.hash(),
            appid: appid.clone(),
            openid: openid.clone(),
            created_at: now,
            expires_at: now.plus_secs(lifetime.as_secs() as i64),
        };
        self.store.insert_inbox_pass(&pass).await?;
        Ok((token, pass))
    }

    /// The pass a recipient presented, if it is known and not expired.
    pub async fn open_pass(&self, raw: Option<&str>) -> Result<InboxPass, ServiceError> {
        let token = raw
            .filter(|r| !r.is_empty())
            .map(AccessToken::parse)
            .transpose()
            .map_err(|_| ServiceError::InboxPassInvalid)?
            .ok_or(ServiceError::InboxPassInvalid)?;
        let hash = token.hash();
        match self.store.inbox_pass(&hash).await? {
            Some(p) if p.hash.ct_matches(&hash) && p.is_valid_at(self.clock.now()) => Ok(p),
            _ => Err(ServiceError::InboxPassInvalid),
        }
    }
}
