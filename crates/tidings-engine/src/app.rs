//! Apps: the accounts that send template messages.

use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::ParseError;
use crate::secret::SecretHash;

/// An app's public identifier, shaped like WeChat's: `wx` and 16 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AppId(String);

impl AppId {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(format!("wx{}", hex::encode(bytes)))
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let hex_part = raw
            .strip_prefix("wx")
            .ok_or_else(|| ParseError::new("appid", "must start with \"wx\""))?;
        if hex_part.len() != 16
            || !hex_part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(ParseError::new(
                "appid",
                "must be \"wx\" followed by 16 lowercase hex digits",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AppId {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for AppId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// What kind of account an app is; each kind speaks its own dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    Miniprogram,
    OfficialAccount,
    Workspace,
}

impl AppKind {
    pub const ALL: [AppKind; 3] = [
        AppKind::Miniprogram,
        AppKind::OfficialAccount,
        AppKind::Workspace,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppKind::Miniprogram => "miniprogram",
            AppKind::OfficialAccount => "official_account",
            AppKind::Workspace => "workspace",
        }
    }
}

impl fmt::Display for AppKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AppKind {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                ParseError::new(
                    "kind",
                    "must be one of miniprogram, official_account, workspace",
                )
            })
    }
}

/// A display name: 1 to 64 characters, trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct AppName(String);

impl AppName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ParseError::new("name", "must not be empty"));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(ParseError::new("name", "must be at most 64 characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ParseError::new(
                "name",
                "must not contain control characters",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for AppName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// A mini-program page path such as `pages/index/index`: the target of a
/// card's 查看详情. No query string, no leading slash, no white space.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Page(String);

impl Page {
    pub const MAX_LEN: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let bad = |reason: &str| Err(ParseError::new("pages", format!("{raw:?} {reason}")));
        if raw.is_empty() {
            return bad("is empty");
        }
        if raw.len() > Self::MAX_LEN {
            return bad("is longer than 256 bytes");
        }
        if raw.starts_with('/') || raw.ends_with('/') || raw.contains("//") {
            return bad("must be a relative path like pages/index/index");
        }
        if raw.contains(['?', '#']) {
            return bad("must not carry a query string or fragment");
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("must not contain white space");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Page {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// An app's list of valid pages: at most 1000, no repeats, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Pages(Vec<Page>);

impl Pages {
    pub const MAX: usize = 1000;

    pub fn new(pages: Vec<Page>) -> Result<Self, ParseError> {
        if pages.len() > Self::MAX {
            return Err(ParseError::new("pages", "at most 1000 pages"));
        }
        for (i, p) in pages.iter().enumerate() {
            if pages[..i].contains(p) {
                return Err(ParseError::new(
                    "pages",
                    format!("{:?} is listed twice", p.as_str()),
                ));
            }
        }
        Ok(Self(pages))
    }

    pub fn parse_all<S: AsRef<str>>(raw: &[S]) -> Result<Self, ParseError> {
        let pages = raw
            .iter()
            .map(|p| Page::parse(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(pages)
    }

    pub fn contains(&self, page: &Page) -> bool {
        self.0.contains(page)
    }

    pub fn as_slice(&self) -> &[Page] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> Deserialize<'de> for Pages {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Vec::<Page>::deserialize(d)?;
        Self::new(raw).map_err(serde::de::Error::custom)
    }
}

/// An app as stored. The secret is known only by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub appid: AppId,
    pub name: AppName,
    pub kind: AppKind,
    pub pages: Pages,
    pub secret_hash: SecretHash,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub disabled_at: Option<Timestamp>,
    /// Sends allowed per day; `None` is [`DEFAULT_DAILY_SEND_LIMIT`].
    pub daily_send_limit: Option<u32>,
    /// Until when a penalty bans the app's send APIs (see `governance`).
    pub banned_until: Option<Timestamp>,
}

/// Sends per app per day unless the app says otherwise (WeChat: 1,000,000).
pub const DEFAULT_DAILY_SEND_LIMIT: u32 = 1_000_000;

impl App {
    pub fn send_limit(&self) -> u32 {
        self.daily_send_limit.unwrap_or(DEFAULT_DAILY_SEND_LIMIT)
    }

    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_appids_parse() {
        for _ in 0..100 {
            let id = AppId::generate();
            assert_eq!(AppId::parse(id.as_str()).unwrap(), id);
            assert_eq!(id.as_str().len(), 18);
        }
    }

    #[test]
    fn appid_rejects_bad_shapes() {
        for raw in [
            "",
            "wx",
            "wx123",
            "ab0123456789abcdef",
            "wx0123456789ABCDEF",
            "wx0123456789abcdeg",
            "wx0123456789abcdef0",
        ] {
            assert!(AppId::parse(raw).is_err(), "{raw} should be refused");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in AppKind::ALL {
            assert_eq!(k.as_str().parse::<AppKind>().unwrap(), k);
        }
        assert!("bot".parse::<AppKind>().is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(AppName::parse("  咖啡店 ").unwrap().as_str(), "咖啡店");
        assert!(AppName::parse("   ").is_err());
        assert!(AppName::parse(&"名".repeat(65)).is_err());
        assert!(AppName::parse("a\u{7}b").is_err());
    }

    #[test]
    fn pages_are_relative_paths_without_repeats() {
        assert!(Page::parse("pages/index/index").is_ok());
        for bad in ["", "/pages/index", "pages/index?x=1", "pages /a", "a//b"] {
            assert!(Page::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(Pages::parse_all(&["a", "b"]).is_ok());
        assert!(Pages::parse_all(&["a", "a"]).is_err());
    }
}
