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
    // name the field at fault. A body checked as UTF-8 once is parsed as
    // text, so that its strings are not checked again one by one.
    let parsed = match std::str::from_utf8(&bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(&bytes),
    };
    let refused = match parsed {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        // The value itself reads: what was refused comes after it.
        Ok(_) => Err(BodyError::Malformed(refused.to_string())),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            Err(match inner.classify() {
                serde_json::error::Category::Data => BodyError::Invalid {
                    path,
                    reason: inner.to_string(),
                },
                _ => BodyError::Malformed(inner.to_string()),
            })
        }
    }
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

    fn request(body: impl Into<axum::body::Body>) -> axum::extract::Request {
        axum::extract::Request::new(body.into())
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

    /// Text bodies and bodies that are not UTF-8 read as `serde_json`
    /// reads their bytes: the same values, and the same refusals.
    #[tokio::test]
    async fn bodies_read_as_their_bytes_parse() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Text {
            s: String,
        }
        let bodies: [&[u8]; 6] = [
            "{\"s\": \"季度经营分析会 \\u00e9\\n\"}".as_bytes(),
            b"{\"s\": \"\\ud83d\\ude00\"}",
            b"{\"s\": \"\\ud800\"}",
            b"{\"s\": \"\xff\xfe\"}",
            b"{\"s\": 1}",
            b"{\"s\": \"a\"} trailing",
        ];
        for bytes in bodies {
            let expected = serde_json::from_slice::<Text>(bytes).map_err(|e| e.to_string());
            let read = read_json::<Text>(request(bytes.to_vec())).await;
            match (&expected, read) {
                (Ok(want), Ok(got)) => assert_eq!(&got, want),
                (Err(want), Err(BodyError::Invalid { reason, .. }))
                | (Err(want), Err(BodyError::Malformed(reason))) => assert_eq!(&reason, want),
                (want, got) => panic!("{bytes:?}: expected {want:?}, got {got:?}"),
            }
        }
    }
}
