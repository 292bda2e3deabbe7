//! `?access_token=` on every API that takes it.

use std::borrow::Cow;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tidings_service::Caller;

use super::wire::{bad_query, WxError};
use crate::AppState;

/// The app behind the request's access token.
pub struct WxCaller(pub Caller);

impl FromRequestParts<Arc<AppState>> for WxCaller {
    type Rejection = WxError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = access_token(parts.uri.query()).map_err(|()| bad_query())?;
        let caller = state.services.tokens.authenticate(token.as_deref()).await?;
        Ok(WxCaller(caller))
    }
}

/// The query string's `access_token`, read as a query extractor reads it
/// (`form_urlencoded` decoding each pair, as `serde_urlencoded` does) but
/// without building every parameter on every request; a second
/// `access_token` is refused.
fn access_token(query: Option<&str>) -> Result<Option<Cow<'_, str>>, ()> {
    let mut found = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if key == "access_token" && found.replace(value).is_some() {
            return Err(());
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::access_token;

    /// What a query extractor reads: a struct of one optional field.
    #[derive(serde::Deserialize)]
    struct TokenQuery {
        access_token: Option<String>,
    }

    /// Each query string is read as axum's `Query` extractor (and so
    /// `serde_urlencoded`) reads it.
    #[test]
    fn the_token_is_read_as_a_query_extractor_reads_it() {
        let cases = [
            "",
            "a=1&b",
            "access_token=abc",
            "x=1&&access_token=abc&y",
            "access_token=a%2Bb+c%3D",
            "access_token=a=b",
            "access%5Ftoken=abc",
            "access+token=abc",
            "access_token",
            "access_token=",
            "access_token=%FF",
            "access_token=%zz",
            "access_token=a&access_token=b",
            "ACCESS_TOKEN=abc",
        ];
        for query in cases {
            let uri: axum::http::Uri = format!("/x?{query}").parse().unwrap();
            let expected = axum::extract::Query::<TokenQuery>::try_from_uri(&uri)
                .map(|q| q.0.access_token)
                .map_err(|_| ());
            let read = access_token(uri.query()).map(|t| t.map(|t| t.into_owned()));
            assert_eq!(read, expected, "{query:?}");
        }
        assert_eq!(access_token(None), Ok(None));
        assert_eq!(
            access_token(Some("access_token=a%2Bb+c%3D"))
                .unwrap()
                .as_deref(),
            Some("a+b c=")
        );
        assert!(access_token(Some("access_token=a&access_token=b")).is_err());
    }
}
