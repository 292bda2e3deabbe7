//! A recipient's service notifications (服务通知).

use std::sync::Arc;

use tidings_engine::{AppId, Clock, Message, OpenId, Platform};
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
}
