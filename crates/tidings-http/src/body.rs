//! JSON request bodies, parsed whatever the Content-Type header says (many
//! WeChat clients send none, or `text/plain`).

use axum::body::Bytes;
use serde::de::DeserializeOwned;

/// Why a body was refused.
#[derive(Debug)]
pub enum BodyError {
    Empty,
    TooLarge,
    Unreadable(String),
    /// Not JSON at all.
    Malformed(String),
    /// JSON, but a field is missing or holds a value it cannot.
    Invalid {
        path: String,
        reason: String,
    },
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("the request needs a JSON body"),
            Self::TooLarge => write!(f, "the body is larger than {} bytes", crate::MAX_BODY_BYTES),
            Self::Unreadable(m) => write!(f, "unreadable body: {m}"),
            Self::Malformed(m) => write!(f, "malformed JSON: {m}"),
            Self::Invalid { path, reason } if path == "." => f.write_str(reason),
            Self::Invalid { path, reason } => write!(f, "{path}: {reason}"),
        }
    }
}

pub async fn read_json<T: DeserializeOwned>(req: axum::extract::Request) -> Result<T, BodyError> {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > crate::MAX_BODY_BYTES) {
        return Err(BodyError::TooLarge);
    }
    let bytes: Bytes = axum::body::to_bytes(req.into_body(), crate::MAX_BODY_BYTES)
        .await
        .map_err(|e| BodyError::Unreadable(e.to_string()))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(BodyError::Empty);
    }
    // The common case parses once; only a refused body is parsed again, to
    // name the field at fault.
    if let Ok(v) = serde_json::from_slice(&bytes) {
        return Ok(v);
    }
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => BodyError::Invalid {
                path,
                reason: inner.to_string(),
            },
            _ => BodyError::Malformed(inner.to_string()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Outer {
        inner: Inner,
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Inner {
        n: u32,
    }

    fn request(body: &'static str) -> axum::extract::Request {
        axum::extract::Request::new(axum::body::Body::from(body))
    }

    /// A valid body parses in one pass; a refused one still names the
    /// field at fault, however deep.
    #[tokio::test]
    async fn refused_bodies_name_the_field_at_fault() {
        let ok: Outer = read_json(request(r#"{"inner": {"n": 7}}"#)).await.unwrap();
        assert_eq!(
            ok,
            Outer {
                inner: Inner { n: 7 }
            }
        );
        match read_json::<Outer>(request(r#"{"inner": {"n": "seven"}}"#)).await {
            Err(BodyError::Invalid { path, reason }) => {
                assert_eq!(path, "inner.n");
                assert!(reason.contains("invalid type"), "{reason}");
            }
            other => panic!("expected an invalid field, got {other:?}"),
        }
        assert!(matches!(
            read_json::<Outer>(request("{not json")).await,
            Err(BodyError::Malformed(_))
        ));
    }
}
