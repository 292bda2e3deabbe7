//! Rows of what the console and the recipient inbox read, shared by both
//! backends.

/// The columns of an inbox pass row, as both backends read them.
pub struct InboxPassRow {
    pub hash: String,
    pub appid: String,
    pub openid: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl InboxPassRow {
    pub fn into_pass(self) -> crate::StoreResult<tidings_engine::InboxPass> {
        let corrupt = |e: tidings_engine::ParseError| crate::StoreError::Corrupt(e.to_string());
        Ok(tidings_engine::InboxPass {
            hash: tidings_engine::TokenHash::from_hex(&self.hash).map_err(corrupt)?,
            appid: tidings_engine::AppId::parse(&self.appid).map_err(corrupt)?,
            openid: tidings_engine::OpenId::parse(&self.openid).map_err(corrupt)?,
            created_at: tidings_engine::Timestamp::from_millis(self.created_at),
            expires_at: tidings_engine::Timestamp::from_millis(self.expires_at),
        })
    }
}
