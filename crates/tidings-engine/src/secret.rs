//! App secrets: 32 hex digits, shown once, stored only as a SHA-256 hash.
//!
//! A secret carries 128 random bits, so a fast hash is enough: no dictionary
//! of likely secrets exists to try against a slow one.

use std::fmt;

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ParseError;

/// A plaintext app secret. Its `Debug` output is redacted so it cannot end up in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct AppSecret(String);

impl AppSecret {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(hex::encode(bytes))
    }

    /// Any non-empty string up to 128 bytes is accepted as an attempt; whether
    /// it is right is decided by comparing hashes.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        if raw.is_empty() || raw.len() > 128 {
            return Err(ParseError::new("secret", "must be 1 to 128 bytes"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> SecretHash {
        SecretHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppSecret(<redacted>)")
    }
}

/// The SHA-256 of a secret (app secrets, the admin key).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    pub fn of(raw: &str) -> Self {
        Self(Sha256::digest(raw.as_bytes()).into())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(raw: &str) -> Result<Self, ParseError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(raw, &mut out)
            .map_err(|_| ParseError::new("secret_hash", "must be 64 hex digits"))?;
        Ok(Self(out))
    }

    /// Compares in constant time.
    pub fn matches(&self, attempt: &str) -> bool {
        let other = Self::of(attempt);
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_32_hex_and_verify_by_hash() {
        let s = AppSecret::generate();
        assert_eq!(s.expose().len(), 32);
        assert!(s.expose().bytes().all(|b| b.is_ascii_hexdigit()));
        let h = s.hash();
        assert!(h.matches(s.expose()));
        assert!(!h.matches("0123456789abcdef0123456789abcdef"));
        assert_eq!(SecretHash::from_hex(&h.to_hex()).unwrap(), h);
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let s = AppSecret::generate();
        assert!(!format!("{s:?}").contains(s.expose()));
    }
}
