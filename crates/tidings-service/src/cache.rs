//! What a node caches: apps by appid (shared, so that a hit copies
//! nothing), token records by hash, and the users known to exist. Entries
//! are dropped on every local change and live at most `ttl`, which bounds
//! how long a change made on another node goes unseen.

use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;
use tidings_engine::{App, AppId, OpenId, TokenHash, TokenLane, TokenRecord};

/// The hasher of the maps on a send's path (these caches, the HTTP layer's
/// request metrics): every send looks up several keys, and std's SipHash
/// costs several times as much a key. Their keys come from authenticated
/// apps, are hashes themselves or are bounded labels, never a client's
/// free text; each map gets its own random seed.
pub type FastHash = foldhash::fast::RandomState;

#[derive(Clone)]
pub(crate) struct Caches {
    pub(crate) apps: Cache<AppId, Arc<App>, FastHash>,
    pub(crate) tokens: Cache<TokenHash, TokenRecord, FastHash>,
    pub(crate) users: Cache<(AppId, OpenId), (), FastHash>,
}

impl Caches {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            apps: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .build_with_hasher(FastHash::default()),
            tokens: Cache::builder()
                .max_capacity(1_000_000)
                .time_to_live(ttl)
                .support_invalidation_closures()
                .build_with_hasher(FastHash::default()),
            users: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .build_with_hasher(FastHash::default()),
        }
    }

    /// Forgets every cached token of one lane of one app (after a new token
    /// superseded them).
    pub(crate) fn forget_lane(&self, appid: &AppId, lane: TokenLane) {
        let appid = appid.clone();
        // The predicate cannot fail when closures are supported.
        let _ = self
            .tokens
            .invalidate_entries_if(move |_, t| t.appid == appid && t.lane == lane);
    }
}
