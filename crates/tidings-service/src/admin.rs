//! The admin key: from configuration, or generated on first start and kept
//! as a hash in the store.

use rand::RngCore;
use tidings_engine::SecretHash;
use tidings_store::{Store, StoreResult};

const SETTING: &str = "admin_key_hash";

/// Where the admin key comes from.
#[derive(Clone)]
pub enum AdminKeySource {
    /// Given by configuration (`TIDINGS_ADMIN_KEY`).
    Configured(String),
    /// Read from the store, or generated there on first start.
    Stored,
}

impl std::fmt::Debug for AdminKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Configured(_) => f.write_str("Configured(<redacted>)"),
            Self::Stored => f.write_str("Stored"),
        }
    }
}

#[derive(Clone)]
pub struct AdminAuth {
    hash: SecretHash,
}

impl AdminAuth {
    /// Returns the checker and, when this call generated the key, the key
    /// itself, to be shown once.
    pub async fn init(
        store: &dyn Store,
        source: AdminKeySource,
    ) -> StoreResult<(Self, Option<String>)> {
        if let AdminKeySource::Configured(key) = source {
            return Ok((
                Self {
                    hash: SecretHash::of(&key),
                },
                None,
            ));
        }
        if let Some(stored) = store.get_setting(SETTING).await? {
            return Ok((Self::from_stored(&stored)?, None));
        }
        let mut bytes = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut bytes);
        let key = format!("tdk_{}", hex::encode(bytes));
        let mine = SecretHash::of(&key).to_hex();
        let stored = store.init_setting(SETTING, &mine).await?;
        // Another node may have generated the key first; then it showed it.
        let generated = (stored == mine).then_some(key);
        Ok((Self::from_stored(&stored)?, generated))
    }

    fn from_stored(hex: &str) -> StoreResult<Self> {
        let hash = SecretHash::from_hex(hex)
            .map_err(|e| tidings_store::StoreError::Corrupt(format!("settings.{SETTING}: {e}")))?;
        Ok(Self { hash })
    }

    /// Constant-time check of a presented key.
    pub fn verify(&self, presented: &str) -> bool {
        self.hash.matches(presented)
    }
}
