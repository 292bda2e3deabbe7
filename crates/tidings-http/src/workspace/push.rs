//! `POST /v1/apps/mbox`: a push to message boxes, answered with its plan;
//! `GET /v1/apps/mbox/{id}`: the plan as it stands.

use serde::{Deserialize, Serialize};
use tidings_engine::workspace_template::PushBody;
use tidings_service::{PushPlan, PushRequest};

use super::envelope::WsCaller;
use super::templates::DOMAIN_ID;
use crate::envelope::{Done, Fail, JsonBody};
use crate::State;

/// How long after its creation the workspace expects a push to be done.
const EXPECT_WITHIN_MS: i64 = 30 * 60 * 1000;

#[derive(Deserialize)]
pub struct PushWire {
    r#type: Option<String>,
    body: Option<PushBody>,
    #[serde(default)]
    client_ids: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    platforms: Vec<String>,
}

/// A push plan in the vendor's shape.
#[derive(Serialize)]
pub struct PlanView {
    domain_id: &'static str,
    org_id: String,
    id: String,
    app_id: String,
    material_id: String,
    expects: i64,
    fails: i64,
    oks: i64,
    create_time: i64,
    refresh_time: i64,
    expect_time: i64,
    scopes: Vec<String>,
    client_ids: Vec<String>,
    /// queued, running or finished: the delivery job's state.
    state: &'static str,
}

impl From<PushPlan> for PlanView {
    fn from(p: PushPlan) -> Self {
        let s = &p.send;
        let created = s.created_at.as_millis();
        Self {
            domain_id: DOMAIN_ID,
            org_id: s.appid.as_str().to_owned(),
            id: s.id.to_string(),
            app_id: s.appid.as_str().to_owned(),
            material_id: p.push().material_id.clone(),
            expects: s.expects,
            fails: s.fails,
            oks: s.oks,
            create_time: created,
            refresh_time: s.finished_at.map_or(0, |t| t.as_millis()),
            expect_time: created + EXPECT_WITHIN_MS,
            scopes: p.scopes().to_vec(),
            client_ids: p.push().client_ids.clone(),
            state: s.state.as_str(),
        }
    }
}

pub async fn push(
    axum::extract::State(state): State,
    WsCaller(caller): WsCaller,
    JsonBody(wire): JsonBody<PushWire>,
) -> Result<Done<PlanView>, Fail> {
    let kind = wire
        .r#type
        .ok_or_else(|| Fail::invalid("type is required"))?;
    let body = wire.body.ok_or_else(|| Fail::invalid("body is required"))?;
    let plan = state
        .services
        .workspace
        .push(
            &caller,
            PushRequest {
                kind,
                body,
                client_ids: wire.client_ids,
                scopes: wire.scopes,
                platforms: wire.platforms,
            },
        )
        .await?;
    tracing::info!(appid = %caller.appid, send_id = plan.send.id, expects = plan.send.expects, "workspace push");
    Ok(Done(plan.into()))
}

pub async fn plan(
    axum::extract::State(state): State,
    WsCaller(caller): WsCaller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Done<PlanView>, Fail> {
    Ok(Done(
        state.services.workspace.plan(&caller, &id).await?.into(),
    ))
}
