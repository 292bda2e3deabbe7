//! `GET /cgi-bin/token` and `POST /cgi-bin/stable_token`.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use tidings_service::{Credentials, IssuedToken};

use super::wire::{Bare, WxError, WxJson, WxQuery};
use crate::AppState;

#[derive(Deserialize)]
pub struct TokenQuery {
    grant_type: Option<String>,
    appid: Option<String>,
    secret: Option<String>,
}

#[derive(Deserialize)]
pub struct StableTokenBody {
    grant_type: Option<String>,
    appid: Option<String>,
    secret: Option<String>,
    #[serde(default)]
    force_refresh: bool,
}

#[derive(Serialize)]
pub struct TokenBody {
    access_token: String,
    expires_in: i64,
}

impl From<IssuedToken> for TokenBody {
    fn from(t: IssuedToken) -> Self {
        Self {
            access_token: t.token.expose().to_owned(),
            expires_in: t.expires_in,
        }
    }
}

/// The caller's IP, as configured.
pub struct ClientIp(std::net::IpAddr);

impl FromRequestParts<Arc<AppState>> for ClientIp {
    type Rejection = WxError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(state.client_ip.ip(parts)))
    }
}

pub async fn token(
    axum::extract::State(state): crate::State,
    ClientIp(ip): ClientIp,
    WxQuery(q): WxQuery<TokenQuery>,
) -> Result<Bare<TokenBody>, WxError> {
    let creds = Credentials::parse(
        q.grant_type.as_deref(),
        q.appid.as_deref(),
        q.secret.as_deref(),
    )?;
    let issued = state.services.tokens.issue(&creds, ip).await?;
    Ok(Bare(issued.into()))
}

pub async fn stable_token(
    axum::extract::State(state): crate::State,
    ClientIp(ip): ClientIp,
    WxJson(b): WxJson<StableTokenBody>,
) -> Result<Bare<TokenBody>, WxError> {
    let creds = Credentials::parse(
        b.grant_type.as_deref(),
        b.appid.as_deref(),
        b.secret.as_deref(),
    )?;
    let issued = state
        .services
        .tokens
        .stable(&creds, b.force_refresh, ip)
        .await?;
    Ok(Bare(issued.into()))
}
