//! Small WeChat endpoints that take an access token: real SDKs call them to
//! check a token and to learn which addresses to allow. The list is the
//! configured `egress_ips`: the addresses this installation sends from.

use serde::Serialize;

use super::auth::WxCaller;
use super::wire::{WxError, WxOk};

#[derive(Serialize)]
pub struct IpList {
    ip_list: Vec<String>,
}

fn ips(state: &crate::AppState) -> IpList {
    IpList {
        ip_list: state.egress_ips.clone(),
    }
}

/// `GET /cgi-bin/get_api_domain_ip`: the addresses API calls come from.
pub async fn api_domain_ip(
    axum::extract::State(state): crate::State,
    WxCaller(caller): WxCaller,
) -> Result<WxOk<IpList>, WxError> {
    tracing::debug!(appid = %caller.appid, "ip list requested");
    Ok(WxOk(ips(&state)))
}

/// `GET /cgi-bin/getcallbackip`: the addresses callbacks come from.
pub async fn callback_ip(
    axum::extract::State(state): crate::State,
    WxCaller(caller): WxCaller,
) -> Result<WxOk<IpList>, WxError> {
    tracing::debug!(appid = %caller.appid, "ip list requested");
    Ok(WxOk(ips(&state)))
}
