//! Inbox passes: what lets a recipient open their own inbox in a browser.
//! The platform issues one per user; only its SHA-256 is stored, and the
//! plaintext travels once, inside the link handed to the recipient.

use std::time::Duration;

use crate::app::AppId;
use crate::clock::Timestamp;
use crate::token::TokenHash;
use crate::user::OpenId;

/// How long a pass opens the inbox unless the issuer asks otherwise.
pub const DEFAULT_PASS_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// The longest lifetime a pass may be given.
pub const MAX_PASS_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxPass {
    pub hash: TokenHash,
    pub appid: AppId,
    pub openid: OpenId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl InboxPass {
    pub fn is_valid_at(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }
}
