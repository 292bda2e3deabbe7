//! The one storage trait. Each backend crate implements it; the storage test
//! suite (`crates/tidings/tests/store_suite.rs`) runs against every backend.

use async_trait::async_trait;
use thiserror::Error;
use tidings_engine::{
    App, AppId, AppName, Pages, SecretHash, Timestamp, TokenHash, TokenLane, TokenRecord,
};

pub mod metered;
pub mod migrations;
pub mod rows;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A row with the same key exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database refused or failed; the message is for operators' logs.
    #[error("database error: {0}")]
    Backend(String),
    /// A stored value no longer parses: a bug or a hand-edited database.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The store is shutting down.
    #[error("store is closed")]
    Closed,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A change to an app's editable fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AppPatch {
    pub name: Option<AppName>,
    pub pages: Option<Pages>,
}

/// Issue a token in an app's lane, superseding the lane's current token, in
/// one atomic step.
#[derive(Debug, Clone)]
pub struct IssueToken {
    pub appid: AppId,
    pub lane: TokenLane,
    pub hash: TokenHash,
    pub forced: bool,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    /// Issue only if the lane's current token has this generation (`Some(0)`:
    /// only if the lane has no current token). `None` issues unconditionally.
    pub expect_generation: Option<i64>,
    /// Refuse if this many tokens of the same lane and `forced` flag were
    /// issued at or after `since`.
    pub daily_limit: Option<DailyLimit>,
}

#[derive(Debug, Clone, Copy)]
pub struct DailyLimit {
    pub since: Timestamp,
    pub max: u32,
}

/// What `issue_token` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueOutcome {
    /// Stored as the lane's current token, with this generation.
    Issued { generation: i64 },
    /// `expect_generation` did not hold: another caller issued first.
    Raced,
    /// `daily_limit` was reached; nothing changed.
    LimitReached,
    /// No such app.
    NoApp,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`, for metrics and logs.
    fn backend(&self) -> &'static str;

    /// Succeeds when the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// Installation-wide settings (the admin key's hash, the token key).
    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>>;
    /// Stores `value` unless the key is set, and returns what is stored, so
    /// that nodes starting together agree on one value.
    async fn init_setting(&self, key: &str, value: &str) -> StoreResult<String>;

    async fn insert_app(&self, app: &App) -> StoreResult<()>;
    async fn get_app(&self, appid: &AppId) -> StoreResult<Option<App>>;
    /// Apps ordered by appid, after the given one.
    async fn list_apps(&self, after: Option<&AppId>, limit: u32) -> StoreResult<Vec<App>>;
    async fn update_app(
        &self,
        appid: &AppId,
        patch: &AppPatch,
        now: Timestamp,
    ) -> StoreResult<Option<App>>;
    async fn set_app_secret(
        &self,
        appid: &AppId,
        secret: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<Option<App>>;
    async fn disable_app(&self, appid: &AppId, now: Timestamp) -> StoreResult<Option<App>>;

    async fn issue_token(&self, req: &IssueToken) -> StoreResult<IssueOutcome>;
    async fn get_token(&self, hash: &TokenHash) -> StoreResult<Option<TokenRecord>>;
    /// The lane's newest, not superseded token.
    async fn current_token(
        &self,
        appid: &AppId,
        lane: TokenLane,
    ) -> StoreResult<Option<TokenRecord>>;
    /// Deletes tokens that expired before `before`; returns how many.
    async fn prune_tokens(&self, before: Timestamp) -> StoreResult<u64>;
}
