//! Recipients and the grants that allow sending to them.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::app::AppId;
use crate::clock::Timestamp;
use crate::error::ParseError;

/// A user's id within one app. Generated ids are 28 URL-safe characters
/// starting with `o`, like WeChat's; imported ones may be any 1 to 64
/// URL-safe characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct OpenId(String);

impl OpenId {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 21];
        rand::thread_rng().fill_bytes(&mut bytes);
        let mut s = String::from("o");
        s.push_str(&URL_SAFE_NO_PAD.encode(bytes)[..27]);
        Self(s)
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        if raw.is_empty()
            || raw.len() > 64
            || !raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ParseError::new(
                "openid",
                "must be 1 to 64 characters of A-Z, a-z, 0-9, - and _",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OpenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OpenId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A recipient of one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub appid: AppId,
    pub openid: OpenId,
    pub nickname: Option<String>,
    /// Free-form profile fields (a JSON object).
    pub profile: serde_json::Map<String, serde_json::Value>,
    pub created_at: Timestamp,
}

/// What gave the app the right to send (the seed's 下发条件).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    /// A form submitted with report-submit: its form_id allows 1 send.
    FormSubmit,
    /// A payment: its prepay_id allows 3 sends.
    Payment,
}

impl GrantKind {
    pub const VALID_SECS: i64 = 7 * 86_400;

    pub fn sends(self) -> u32 {
        match self {
            GrantKind::FormSubmit => 1,
            GrantKind::Payment => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GrantKind::FormSubmit => "form_submit",
            GrantKind::Payment => "payment",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "form_submit" => Ok(Self::FormSubmit),
            "payment" => Ok(Self::Payment),
            _ => Err(ParseError::new("kind", "must be form_submit or payment")),
        }
    }
}

/// A form_id or prepay_id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct GrantId(String);

impl GrantId {
    pub fn generate(kind: GrantKind) -> Self {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        match kind {
            GrantKind::FormSubmit => Self(hex::encode(bytes)),
            GrantKind::Payment => Self(format!("wx{}", hex::encode(bytes))),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        if raw.is_empty() || raw.len() > 128 || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ParseError::new(
                "form_id",
                "must be 1 to 128 visible characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A grant as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: GrantId,
    pub appid: AppId,
    pub openid: OpenId,
    pub kind: GrantKind,
    pub remaining: u32,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl Grant {
    /// A fresh grant of `kind` for one user, valid for 7 days.
    pub fn issue(appid: AppId, openid: OpenId, kind: GrantKind, now: Timestamp) -> Self {
        Self {
            id: GrantId::generate(kind),
            appid,
            openid,
            kind,
            remaining: kind.sends(),
            created_at: now,
            expires_at: now.plus_secs(GrantKind::VALID_SECS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openids_look_like_wechats() {
        let id = OpenId::generate();
        assert_eq!(id.as_str().len(), 28);
        assert!(id.as_str().starts_with('o'));
        assert_eq!(OpenId::parse(id.as_str()).unwrap(), id);
        assert!(OpenId::parse("has space").is_err());
        assert!(OpenId::parse("").is_err());
    }

    #[test]
    fn grants_allow_one_or_three_sends_for_seven_days() {
        let now = Timestamp::from_millis(0);
        let form = Grant::issue(
            AppId::generate(),
            OpenId::generate(),
            GrantKind::FormSubmit,
            now,
        );
        assert_eq!(form.remaining, 1);
        assert_eq!(form.expires_at, now.plus_secs(7 * 86_400));
        let pay = Grant::issue(
            AppId::generate(),
            OpenId::generate(),
            GrantKind::Payment,
            now,
        );
        assert_eq!(pay.remaining, 3);
        assert!(pay.id.as_str().starts_with("wx"));
    }
}
