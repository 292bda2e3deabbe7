//! Access tokens and the rules of their life: a 7200 s lifetime, and a
//! 5-minute overlap during which a superseded token still works, so that a
//! central token server can refresh without breaking its callers.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::app::AppId;
use crate::clock::Timestamp;
use crate::error::ParseError;

/// A plaintext access token. Never logged: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// A fresh random token (256 bits).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The stable token of one generation of an app's stable lane, derived
    /// from the installation's token key so that every node, before and after
    /// a restart, hands out the same string without storing it.
    pub fn derive_stable(key: &[u8], appid: &AppId, generation: i64) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(b"tidings stable access token\0");
        mac.update(appid.as_str().as_bytes());
        mac.update(&generation.to_be_bytes());
        Self(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    /// What a caller presented. Anything longer than 512 bytes, WeChat's
    /// documented maximum, or with characters no token has, is refused.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        if raw.is_empty() || raw.len() > 512 {
            return Err(ParseError::new("access_token", "must be 1 to 512 bytes"));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'*'))
        {
            return Err(ParseError::new(
                "access_token",
                "has characters no token has",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// The SHA-256 of a token: the only form in which tokens are stored.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(raw: &str) -> Result<Self, ParseError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(raw, &mut out)
            .map_err(|_| ParseError::new("token_hash", "must be 64 hex digits"))?;
        Ok(Self(out))
    }

    /// Constant-time equality, for the final check after an indexed lookup.
    pub fn ct_matches(&self, other: &TokenHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({}..)", &self.to_hex()[..8])
    }
}

/// Two independent lanes, as on WeChat: `/cgi-bin/token` and
/// `/cgi-bin/stable_token` never supersede each other's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenLane {
    Plain,
    Stable,
}

impl TokenLane {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenLane::Plain => "plain",
            TokenLane::Stable => "stable",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "plain" => Ok(TokenLane::Plain),
            "stable" => Ok(TokenLane::Stable),
            _ => Err(ParseError::new("lane", "must be plain or stable")),
        }
    }
}

/// A token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub hash: TokenHash,
    pub appid: AppId,
    pub lane: TokenLane,
    /// Counts the tokens of one app's lane, from 1.
    pub generation: i64,
    /// Issued by an explicit `force_refresh` (counted against its own quota).
    pub forced: bool,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    pub superseded_at: Option<Timestamp>,
}

/// Whether a presented token may be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    /// Usable until the given instant.
    Valid { until: Timestamp },
    /// Replaced by a newer token more than the overlap ago (WeChat's 40001).
    Superseded,
    /// Past its lifetime (WeChat's 42001).
    Expired,
}

/// Lifetimes, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPolicy {
    pub ttl_secs: i64,
    pub overlap_secs: i64,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self {
            ttl_secs: 7200,
            overlap_secs: 300,
        }
    }
}

impl TokenPolicy {
    pub fn expiry_for(&self, issued_at: Timestamp) -> Timestamp {
        issued_at.plus_secs(self.ttl_secs)
    }

    /// The rule, in one place: a token works until it expires, or until the
    /// overlap after it was superseded runs out, whichever comes first.
    pub fn status(&self, token: &TokenRecord, now: Timestamp) -> TokenStatus {
        let mut until = token.expires_at;
        if let Some(superseded_at) = token.superseded_at {
            let overlap_end = superseded_at.plus_secs(self.overlap_secs);
            if now >= overlap_end && overlap_end < token.expires_at {
                return TokenStatus::Superseded;
            }
            until = until.min(overlap_end);
        }
        if now >= token.expires_at {
            return TokenStatus::Expired;
        }
        TokenStatus::Valid { until }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(issued: i64, superseded: Option<i64>) -> TokenRecord {
        let policy = TokenPolicy::default();
        let issued_at = Timestamp::from_millis(issued * 1000);
        TokenRecord {
            hash: AccessToken::generate().hash(),
            appid: AppId::generate(),
            lane: TokenLane::Plain,
            generation: 1,
            forced: false,
            issued_at,
            expires_at: policy.expiry_for(issued_at),
            superseded_at: superseded.map(|s| Timestamp::from_millis(s * 1000)),
        }
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_millis(secs * 1000)
    }

    #[test]
    fn a_token_lives_7200_seconds() {
        let p = TokenPolicy::default();
        let t = record(0, None);
        assert_eq!(
            p.status(&t, at(7199)),
            TokenStatus::Valid { until: at(7200) }
        );
        assert_eq!(p.status(&t, at(7200)), TokenStatus::Expired);
    }

    #[test]
    fn a_superseded_token_works_for_the_overlap_then_is_invalid() {
        let p = TokenPolicy::default();
        let t = record(0, Some(1000));
        assert_eq!(
            p.status(&t, at(1299)),
            TokenStatus::Valid { until: at(1300) }
        );
        assert_eq!(p.status(&t, at(1300)), TokenStatus::Superseded);
    }

    #[test]
    fn a_token_superseded_near_its_end_expires_rather_than_outlives_itself() {
        let p = TokenPolicy::default();
        let t = record(0, Some(7100));
        assert_eq!(
            p.status(&t, at(7150)),
            TokenStatus::Valid { until: at(7200) }
        );
        assert_eq!(p.status(&t, at(7250)), TokenStatus::Expired);
    }

    #[test]
    fn stable_tokens_are_deterministic_per_generation() {
        let appid = AppId::generate();
        let a = AccessToken::derive_stable(b"key", &appid, 1);
        assert_eq!(a, AccessToken::derive_stable(b"key", &appid, 1));
        assert_ne!(a, AccessToken::derive_stable(b"key", &appid, 2));
        assert_ne!(a, AccessToken::derive_stable(b"other", &appid, 1));
        assert!(AccessToken::parse(a.expose()).is_ok());
    }

    #[test]
    fn tokens_with_foreign_characters_are_refused() {
        assert!(AccessToken::parse("abc def").is_err());
        assert!(AccessToken::parse("").is_err());
        assert!(AccessToken::parse(&"a".repeat(513)).is_err());
    }
}
