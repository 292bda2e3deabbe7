//! Tags: named groups of an app's users, the audiences of segment sends.

use std::sync::Arc;

use tidings_engine::segment::parse_tag_name;
use tidings_engine::{AppId, Clock, OpenId, ParseError, Tag};
use tidings_store::{Store, StoreError};

use crate::apps::AppService;
use crate::ServiceError;

/// The most openids one tag or untag call takes.
pub const MAX_TAG_BATCH: usize = 10_000;

#[derive(Clone)]
pub struct TagService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    apps: AppService,
}

fn conflict(e: StoreError, name: &str) -> ServiceError {
    match e {
        StoreError::Conflict(_) => {
            ServiceError::Conflict(format!("the app has a tag named {name:?}"))
        }
        e => e.into(),
    }
}

fn batch(openids: &[OpenId]) -> Result<(), ServiceError> {
    if openids.is_empty() || openids.len() > MAX_TAG_BATCH {
        return Err(ParseError::new("openids", "1 to 10000 openids").into());
    }
    Ok(())
}

impl TagService {
    pub(crate) fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, apps: AppService) -> Self {
        Self { store, clock, apps }
    }

    pub async fn create(&self, appid: &AppId, name: &str) -> Result<Tag, ServiceError> {
        self.apps.get(appid).await?;
        let name = parse_tag_name(name)?;
        self.store
            .create_tag(appid, &name, self.clock.now())
            .await
            .map_err(|e| conflict(e, &name))
    }

    pub async fn list(&self, appid: &AppId) -> Result<Vec<Tag>, ServiceError> {
        self.apps.get(appid).await?;
        Ok(self.store.list_tags(appid).await?)
    }

    pub async fn rename(&self, appid: &AppId, id: i64, name: &str) -> Result<Tag, ServiceError> {
        let name = parse_tag_name(name)?;
        self.store
            .rename_tag(appid, id, &name)
            .await
            .map_err(|e| conflict(e, &name))?
            .ok_or(ServiceError::NotFound("tag"))
    }

    pub async fn delete(&self, appid: &AppId, id: i64) -> Result<(), ServiceError> {
        if !self.store.delete_tag(appid, id).await? {
            return Err(ServiceError::NotFound("tag"));
        }
        Ok(())
    }

    async fn own(&self, appid: &AppId, id: i64) -> Result<(), ServiceError> {
        let tags = self.store.list_tags(appid).await?;
        if !tags.iter().any(|t| t.id == id) {
            return Err(ServiceError::NotFound("tag"));
        }
        Ok(())
    }

    /// Tags the app's users among `openids`; unknown openids are skipped.
    pub async fn tag(
        &self,
        appid: &AppId,
        id: i64,
        openids: &[OpenId],
    ) -> Result<u64, ServiceError> {
        batch(openids)?;
        self.own(appid, id).await?;
        Ok(self.store.tag_users(appid, id, openids).await?)
    }

    pub async fn untag(
        &self,
        appid: &AppId,
        id: i64,
        openids: &[OpenId],
    ) -> Result<u64, ServiceError> {
        batch(openids)?;
        self.own(appid, id).await?;
        Ok(self.store.untag_users(appid, id, openids).await?)
    }
}
