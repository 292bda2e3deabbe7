//! An app's own templates, composed from library keywords.

use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;
use tidings_engine::template::MAX_TEMPLATES_PER_APP;
use tidings_engine::{AppKind, Clock, Keyword, ParseError, Template, TemplateId, TitleId};
use tidings_store::{Store, TemplateInsert};

use crate::library::LibraryService;
use crate::tokens::Caller;
use crate::ServiceError;

/// The most templates one page of a listing holds.
pub const MAX_TEMPLATE_PAGE: u32 = 20;

#[derive(Clone)]
pub struct TemplateService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    library: LibraryService,
    cache: Cache<TemplateId, Arc<Template>, crate::cache::FastHash>,
}

/// The template APIs of `wxopen` are the mini-program's.
pub(crate) fn require_miniprogram(caller: &Caller) -> Result<(), ServiceError> {
    if caller.kind != AppKind::Miniprogram {
        return Err(ServiceError::ApiUnauthorized(
            "this API is for miniprogram apps",
        ));
    }
    Ok(())
}

impl TemplateService {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        library: LibraryService,
        cache_ttl: Duration,
    ) -> Self {
        Self {
            store,
            clock,
            library,
            cache: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(cache_ttl)
                .build_with_hasher(crate::cache::FastHash::default()),
        }
    }

    /// Composes a template from a library title; keywords keep the order given.
    pub async fn add(
        &self,
        caller: &Caller,
        title_id: &str,
        keyword_ids: &[u32],
    ) -> Result<Template, ServiceError> {
        require_miniprogram(caller)?;
        let title = self.library.get(title_id).await?;
        let keywords = Template::compose(&title, keyword_ids)
            .map_err(|e| ParseError::new("keyword_id_list", e.to_string()))?;
        self.insert(caller, title.id, title.title, keywords).await
    }

    /// Stores a new template of the caller's, within the per-app limit: for
    /// mini-program templates and official-account ones alike.
    pub(crate) async fn insert(
        &self,
        caller: &Caller,
        title_id: TitleId,
        title: String,
        keywords: Vec<Keyword>,
    ) -> Result<Template, ServiceError> {
        let template = Template {
            template_id: TemplateId::generate(),
            appid: caller.appid.clone(),
            title_id,
            title,
            keywords,
            created_at: self.clock.now(),
        };
        match self
            .store
            .insert_template(&template, MAX_TEMPLATES_PER_APP)
            .await?
        {
            TemplateInsert::Inserted => Ok(template),
            TemplateInsert::LimitReached => Err(ServiceError::TemplateLimit(MAX_TEMPLATES_PER_APP)),
            TemplateInsert::NoApp => Err(ServiceError::NotFound("app")),
        }
    }

    pub async fn list(
        &self,
        caller: &Caller,
        offset: u32,
        count: u32,
    ) -> Result<Vec<Template>, ServiceError> {
        require_miniprogram(caller)?;
        if !(1..=MAX_TEMPLATE_PAGE).contains(&count) {
            return Err(ParseError::new("count", "must be 1 to 20").into());
        }
        Ok(self
            .store
            .list_templates(&caller.appid, offset, count)
            .await?)
    }

    pub async fn delete(&self, caller: &Caller, raw_id: &str) -> Result<(), ServiceError> {
        require_miniprogram(caller)?;
        self.delete_own(caller, raw_id).await
    }

    /// Deletes one of the caller's templates, whatever the app's kind.
    pub(crate) async fn delete_own(
        &self,
        caller: &Caller,
        raw_id: &str,
    ) -> Result<(), ServiceError> {
        let id = TemplateId::parse(raw_id).map_err(|_| ServiceError::TemplateNotFound)?;
        if !self.store.delete_template(&caller.appid, &id).await? {
            return Err(ServiceError::TemplateNotFound);
        }
        self.cache.invalidate(&id);
        Ok(())
    }

    /// Drops a cached template (after a change made behind this service).
    pub(crate) fn forget(&self, id: &TemplateId) {
        self.cache.invalidate(id);
    }

    /// One of the caller's templates; another app's is as good as none.
    pub async fn get_own(
        &self,
        caller: &Caller,
        raw_id: &str,
    ) -> Result<Arc<Template>, ServiceError> {
        let id = TemplateId::parse(raw_id).map_err(|_| ServiceError::TemplateNotFound)?;
        let template = match self.cache.get(&id) {
            Some(t) => t,
            None => {
                let t = Arc::new(
                    self.store
                        .get_template(&id)
                        .await?
                        .ok_or(ServiceError::TemplateNotFound)?,
                );
                self.cache.insert(id, t.clone());
                t
            }
        };
        if template.appid != caller.appid {
            return Err(ServiceError::TemplateNotFound);
        }
        Ok(template)
    }
}
