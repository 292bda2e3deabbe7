//! Rows as both backends read and write them: plain columns, converted to
//! and from domain types in one place.

use tidings_engine::{
    App, AppId, AppKind, AppName, Pages, SecretHash, Timestamp, TokenHash, TokenLane, TokenRecord,
};

use crate::{StoreError, StoreResult};

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// The columns of `apps`, in the order every backend selects them.
pub const APP_COLUMNS: &str =
    "appid, name, kind, pages, secret_hash, created_at, updated_at, disabled_at";

/// An `apps` row as read.
#[derive(Debug, Clone)]
pub struct AppRow {
    pub appid: String,
    pub name: String,
    pub kind: String,
    pub pages: String,
    pub secret_hash: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub disabled_at: Option<i64>,
}

impl AppRow {
    pub fn from_app(app: &App) -> Self {
        Self {
            appid: app.appid.as_str().to_owned(),
            name: app.name.as_str().to_owned(),
            kind: app.kind.as_str().to_owned(),
            pages: encode_pages(&app.pages),
            secret_hash: app.secret_hash.to_hex(),
            created_at: app.created_at.as_millis(),
            updated_at: app.updated_at.as_millis(),
            disabled_at: app.disabled_at.map(Timestamp::as_millis),
        }
    }

    pub fn into_app(self) -> StoreResult<App> {
        let pages: Vec<String> =
            serde_json::from_str(&self.pages).map_err(|e| corrupt("apps.pages", e))?;
        Ok(App {
            appid: AppId::parse(&self.appid).map_err(|e| corrupt("apps.appid", e))?,
            name: AppName::parse(&self.name).map_err(|e| corrupt("apps.name", e))?,
            kind: self
                .kind
                .parse::<AppKind>()
                .map_err(|e| corrupt("apps.kind", e))?,
            pages: Pages::parse_all(&pages).map_err(|e| corrupt("apps.pages", e))?,
            secret_hash: SecretHash::from_hex(&self.secret_hash)
                .map_err(|e| corrupt("apps.secret_hash", e))?,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
            disabled_at: self.disabled_at.map(Timestamp::from_millis),
        })
    }
}

pub fn encode_pages(pages: &Pages) -> String {
    let raw: Vec<&str> = pages.as_slice().iter().map(|p| p.as_str()).collect();
    serde_json::to_string(&raw).expect("a list of strings always serializes")
}

/// The columns of `tokens`, in the order every backend selects them.
pub const TOKEN_COLUMNS: &str =
    "token_hash, appid, lane, generation, forced, issued_at, expires_at, superseded_at";

/// A `tokens` row as read.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub token_hash: String,
    pub appid: String,
    pub lane: String,
    pub generation: i64,
    pub forced: bool,
    pub issued_at: i64,
    pub expires_at: i64,
    pub superseded_at: Option<i64>,
}

impl TokenRow {
    pub fn into_record(self) -> StoreResult<TokenRecord> {
        Ok(TokenRecord {
            hash: TokenHash::from_hex(&self.token_hash)
                .map_err(|e| corrupt("tokens.token_hash", e))?,
            appid: AppId::parse(&self.appid).map_err(|e| corrupt("tokens.appid", e))?,
            lane: TokenLane::parse(&self.lane).map_err(|e| corrupt("tokens.lane", e))?,
            generation: self.generation,
            forced: self.forced,
            issued_at: Timestamp::from_millis(self.issued_at),
            expires_at: Timestamp::from_millis(self.expires_at),
            superseded_at: self.superseded_at.map(Timestamp::from_millis),
        })
    }
}
