//! The cloud-call variant of the send (云调用, `openapi.templateMessage.send`):
//! camelCase fields, `{errCode, errMsg}` answers. Cloud functions carry no
//! access token of their own; here the app is named by `?access_token=`, as
//! on the HTTPS call. The send itself is the engine's, as for `/cgi-bin`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tidings_service::SendRequest;

use crate::body::read_json;
use crate::wechat::WxError;
use crate::AppState;

const API: &str = "openapi.templateMessage.send";

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/templateMessage.send", post(send))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CloudSend {
    #[serde(default)]
    touser: String,
    #[serde(default)]
    template_id: String,
    page: Option<String>,
    form_id: Option<String>,
    data: Option<tidings_engine::SendData>,
    emphasis_keyword: Option<String>,
}

fn fail(e: WxError) -> Response {
    Json(json!({"errCode": e.code, "errMsg": format!("{API}:fail {}", e.msg)})).into_response()
}

async fn send(
    axum::extract::State(state): crate::State,
    Query(query): Query<HashMap<String, String>>,
    req: Request,
) -> Response {
    let caller = match state
        .services
        .tokens
        .authenticate(query.get("access_token").map(String::as_str))
        .await
    {
        Ok(c) => c,
        Err(e) => return fail(e.into()),
    };
    let body: CloudSend = match read_json(req).await {
        Ok(b) => b,
        Err(e) => return fail(WxError::new(47001, format!("data format error: {e}"))),
    };
    let request = SendRequest {
        touser: body.touser,
        template_id: body.template_id,
        page: body.page,
        form_id: body.form_id,
        data: body.data,
        color: None,
        emphasis_keyword: body.emphasis_keyword,
    };
    match state
        .services
        .sends
        .send_miniprogram(&caller, request)
        .await
    {
        Ok(_) => Json(json!({"errCode": 0, "errMsg": format!("{API}:ok")})).into_response(),
        Err(e) => fail(e.into()),
    }
}
