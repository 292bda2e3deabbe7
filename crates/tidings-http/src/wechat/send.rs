//! `POST /cgi-bin/message/wxopen/template/send`.

use serde::{Deserialize, Serialize};
use tidings_service::SendRequest;

use super::auth::WxCaller;
use super::wire::{WxError, WxJson, WxOk};
use crate::State;

/// The request as WeChat documents it (snake_case fields).
#[derive(Deserialize)]
pub struct SendBody {
    #[serde(default)]
    touser: String,
    #[serde(default)]
    template_id: String,
    page: Option<String>,
    form_id: Option<String>,
    data: Option<tidings_engine::SendData>,
    color: Option<String>,
    emphasis_keyword: Option<String>,
}

impl From<SendBody> for SendRequest {
    fn from(b: SendBody) -> Self {
        SendRequest {
            touser: b.touser,
            template_id: b.template_id,
            page: b.page,
            form_id: b.form_id,
            data: b.data,
            color: b.color,
            emphasis_keyword: b.emphasis_keyword,
        }
    }
}

/// `msgid` is an extension; WeChat clients ignore fields they do not know.
#[derive(Serialize)]
pub struct Sent {
    pub(super) msgid: i64,
}

pub async fn send(
    axum::extract::State(state): State,
    WxCaller(caller): WxCaller,
    WxJson(body): WxJson<SendBody>,
) -> Result<WxOk<Sent>, WxError> {
    let msgid = state
        .services
        .sends
        .send_miniprogram(&caller, body.into())
        .await?;
    Ok(WxOk(Sent { msgid }))
}
