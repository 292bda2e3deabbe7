//! The public template library.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use tidings_engine::library::builtin_library_source;
use tidings_engine::{builtin_library, LibraryTitle, ParseError, TitleId};
use tidings_store::{Store, StoreResult};

use crate::ServiceError;

const BUILTIN_SETTING: &str = "builtin_library_sha256";
/// The most titles one page of the library holds (WeChat's limit).
pub const MAX_LIBRARY_PAGE: u32 = 20;

#[derive(Clone)]
pub struct LibraryService {
    store: Arc<dyn Store>,
}

impl LibraryService {
    /// Loads the built-in library into the store unless this version of it
    /// is there already.
    pub(crate) async fn init(store: Arc<dyn Store>) -> StoreResult<Self> {
        let digest = hex::encode(Sha256::digest(builtin_library_source().as_bytes()));
        if store.get_setting(BUILTIN_SETTING).await?.as_deref() != Some(digest.as_str()) {
            let titles = builtin_library();
            let added = store.load_library(&titles).await?;
            tracing::info!(added, total = titles.len(), "template library loaded");
            store.put_setting(BUILTIN_SETTING, &digest).await?;
        }
        Ok(Self { store })
    }

    /// A page of titles and the library's size. `count` is 1 to 20.
    pub async fn list(
        &self,
        offset: u32,
        count: u32,
    ) -> Result<(Vec<LibraryTitle>, u64), ServiceError> {
        self.search("", offset, count).await
    }

    /// A page of the titles containing `search` (every title when it is
    /// empty) and how many there are. `count` is 1 to 20.
    pub async fn search(
        &self,
        search: &str,
        offset: u32,
        count: u32,
    ) -> Result<(Vec<LibraryTitle>, u64), ServiceError> {
        if !(1..=MAX_LIBRARY_PAGE).contains(&count) {
            return Err(ParseError::new("count", "must be 1 to 20").into());
        }
        if search.chars().count() > 50 {
            return Err(ParseError::new("q", "must be at most 50 characters").into());
        }
        Ok(self
            .store
            .library_page(offset, count, search.trim())
            .await?)
    }

    pub async fn get(&self, raw_id: &str) -> Result<LibraryTitle, ServiceError> {
        let id = TitleId::parse(raw_id)?;
        self.store
            .library_title(&id)
            .await?
            .ok_or(ServiceError::NotFound("library title"))
    }
}
