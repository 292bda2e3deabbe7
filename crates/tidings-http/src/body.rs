//! JSON request bodies, parsed whatever the Content-Type header says (many
//! WeChat clients send none, or `text/plain`).

use axum::body::Bytes;
use serde::de::DeserializeOwned;

/// Why a body was refused.
#[derive(Debug)]
pub enum BodyError {
    Empty,
    Unreadable(String),
    Malformed(String),
}

pub async fn read_json<T: DeserializeOwned>(req: axum::extract::Request) -> Result<T, BodyError> {
    let bytes: Bytes = axum::body::to_bytes(req.into_body(), crate::MAX_BODY_BYTES)
        .await
        .map_err(|e| BodyError::Unreadable(e.to_string()))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(BodyError::Empty);
    }
    serde_json::from_slice(&bytes).map_err(|e| BodyError::Malformed(e.to_string()))
}
