//! The workspace: card templates of a workspace app and pushes to its
//! employees' message boxes. A push is a segment send of the delivery
//! engine whose audience is client ids and org subtrees; small pushes are
//! delivered before the answer, large ones by the workers.

use std::sync::Arc;

use tidings_engine::employee::qualified_client_id;
use tidings_engine::workspace::parse_org_path;
use tidings_engine::workspace_template::{parse_platforms, render_push, PushBody};
use tidings_engine::{
    AppKind, Audience, Clock, OpenId, ParseError, SendRecord, SendSpec, SourceType, TemplateDraft,
    TemplateId, WorkspacePush, WorkspaceTemplate,
};
use tidings_store::{NewSend, Store};
use tokio::sync::Notify;

use crate::tokens::Caller;
use crate::worker::{claim_token, Worker};
use crate::ServiceError;

/// The most templates one list page holds.
pub const MAX_WS_TEMPLATE_PAGE: u32 = 100;

/// A push as requested.
#[derive(Debug, Clone, Default)]
pub struct PushRequest {
    /// `TEMPLATE`, in any case.
    pub kind: String,
    pub body: PushBody,
    pub client_ids: Vec<String>,
    pub scopes: Vec<String>,
    pub platforms: Vec<String>,
}

/// A push plan: the send record of a workspace push.
#[derive(Debug, Clone)]
pub struct PushPlan {
    pub send: SendRecord,
}

impl PushPlan {
    /// The plan of a send, if it is a workspace push.
    fn of(send: SendRecord) -> Option<Self> {
        send.spec.workspace.is_some().then_some(Self { send })
    }

    pub fn push(&self) -> &WorkspacePush {
        self.send
            .spec
            .workspace
            .as_ref()
            .expect("a plan is a workspace push")
    }

    /// The org paths the push targets, as requested.
    pub fn scopes(&self) -> &[String] {
        match &self.send.spec.audience {
            Some(Audience::Workspace { scopes, .. }) => scopes,
            _ => &[],
        }
    }
}

#[derive(Clone)]
pub struct WorkspaceService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    worker: Worker,
    wake: Arc<Notify>,
    /// Pushes to at most this many employees are delivered before the answer.
    inline_limit: i64,
    lease_secs: i64,
}

fn workspace_only(caller: &Caller) -> Result<(), ServiceError> {
    if caller.kind != AppKind::Workspace {
        return Err(ServiceError::ApiUnauthorized("workspace apps only"));
    }
    Ok(())
}

/// A client id, or one qualified by its org path as push plans show them
/// (`/232/301/c24b…`).
fn client_id(raw: &str) -> Result<OpenId, ParseError> {
    let id = raw.rsplit('/').next().unwrap_or(raw);
    OpenId::parse(id).map_err(|e| ParseError::new("client_ids", e.reason))
}

impl WorkspaceService {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        worker: Worker,
        wake: Arc<Notify>,
        inline_limit: i64,
        lease_secs: i64,
    ) -> Self {
        Self {
            store,
            clock,
            worker,
            wake,
            inline_limit,
            lease_secs,
        }
    }

    pub async fn create_template(
        &self,
        caller: &Caller,
        source_type: Option<&str>,
        draft: TemplateDraft,
    ) -> Result<WorkspaceTemplate, ServiceError> {
        workspace_only(caller)?;
        let source_type = SourceType::parse(source_type)?;
        draft.check()?;
        let now = self.clock.now();
        let t = WorkspaceTemplate {
            id: TemplateId::generate_uuid(),
            appid: caller.appid.clone(),
            source_type,
            draft,
            operator: caller.appid.as_str().to_owned(),
            created_at: now,
            updated_at: now,
        };
        self.store.insert_ws_template(&t).await?;
        Ok(t)
    }

    /// One of the caller's templates; another app's is not found.
    pub async fn template(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<WorkspaceTemplate, ServiceError> {
        workspace_only(caller)?;
        let id = TemplateId::parse(id).map_err(|_| ServiceError::TemplateNotFound)?;
        self.store
            .get_ws_template(&id)
            .await?
            .filter(|t| t.appid == caller.appid)
            .ok_or(ServiceError::TemplateNotFound)
    }

    /// Replaces the template's fields; fields left out of the update keep
    /// their values.
    pub async fn update_template(
        &self,
        caller: &Caller,
        id: &str,
        source_type: Option<&str>,
        update: TemplateUpdate,
    ) -> Result<WorkspaceTemplate, ServiceError> {
        let mut t = self.template(caller, id).await?;
        if source_type.is_some() {
            t.source_type = SourceType::parse(source_type)?;
        }
        let d = &mut t.draft;
        if let Some(v) = update.title {
            d.title = v;
        }
        if let Some(v) = update.tags {
            d.tags = v;
        }
        if let Some(v) = update.sample {
            d.sample = v;
        }
        if let Some(v) = update.actions {
            d.actions = v;
        }
        if let Some(v) = update.contents {
            d.contents = v;
        }
        d.check()?;
        t.operator = caller.appid.as_str().to_owned();
        t.updated_at = self.clock.now();
        if !self.store.update_ws_template(&t).await? {
            return Err(ServiceError::TemplateNotFound);
        }
        Ok(t)
    }

    pub async fn list_templates(
        &self,
        caller: &Caller,
        kw: Option<&str>,
        skip: u32,
        limit: u32,
    ) -> Result<(Vec<WorkspaceTemplate>, i64), ServiceError> {
        workspace_only(caller)?;
        let kw = kw.map(str::trim).filter(|k| !k.is_empty());
        Ok(self
            .store
            .list_ws_templates(
                &caller.appid,
                kw,
                skip,
                limit.clamp(1, MAX_WS_TEMPLATE_PAGE),
            )
            .await?)
    }

    /// Checks the push, renders its card once, counts the targets and runs
    /// it as a send; answers the plan, with final counts when the push was
    /// small enough to deliver at once.
    pub async fn push(&self, caller: &Caller, req: PushRequest) -> Result<PushPlan, ServiceError> {
        workspace_only(caller)?;
        let app = &caller.app;
        crate::governance::ensure_not_banned(app, self.clock.now())?;
        if !req.kind.eq_ignore_ascii_case("template") {
            return Err(ParseError::new("type", "must be TEMPLATE").into());
        }
        let template_id = req
            .body
            .template_id
            .as_deref()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ParseError::new("body.template_id", "is required"))?;
        let template = self.template(caller, template_id).await?;
        let card = render_push(&template, &req.body).map_err(ServiceError::InvalidData)?;
        let platforms = parse_platforms(&req.platforms)?;
        let client_ids = req
            .client_ids
            .iter()
            .map(|c| client_id(c))
            .collect::<Result<Vec<_>, _>>()?;
        let scopes = req
            .scopes
            .iter()
            .map(|s| parse_org_path(s).map_err(|e| ParseError::new("scopes", e.reason)))
            .collect::<Result<Vec<_>, _>>()?;
        let audience = Audience::Workspace {
            client_ids: client_ids.clone(),
            scopes: scopes.clone(),
        };
        audience.check()?;
        let expects = self.store.count_audience(&caller.appid, &audience).await?;
        if expects == 0 {
            return Err(ServiceError::NoEmployees);
        }
        let push = WorkspacePush {
            material_id: TemplateId::generate_uuid().as_str().to_owned(),
            platforms,
            card,
            client_ids: self.qualified(caller, &client_ids, &req.client_ids).await?,
        };
        let now = self.clock.now();
        let inline = expects <= self.inline_limit;
        let lease = inline.then(|| (claim_token(), now.plus_secs(self.lease_secs)));
        let send = self
            .store
            .create_send(&NewSend {
                appid: caller.appid.clone(),
                template_id: template.id.clone(),
                title: template.draft.title.clone(),
                spec: SendSpec {
                    data: None,
                    page: None,
                    url: None,
                    color: None,
                    emphasis_keyword: None,
                    audience: Some(audience),
                    miniprogram: None,
                    marketing_id: None,
                    workspace: Some(push),
                },
                expects,
                created_at: now,
                lease,
                marketing_hits: 0,
            })
            .await?;
        let send = if inline {
            self.worker.deliver(send.clone()).await?;
            self.store.get_send(send.id).await?.unwrap_or(send)
        } else {
            self.wake.notify_one();
            send
        };
        Ok(PushPlan { send })
    }

    /// A push plan of the caller's, as it stands.
    pub async fn plan(&self, caller: &Caller, id: &str) -> Result<PushPlan, ServiceError> {
        workspace_only(caller)?;
        let id: i64 = id
            .parse()
            .map_err(|_| ServiceError::NotFound("push plan"))?;
        self.store
            .get_send(id)
            .await?
            .filter(|s| s.appid == caller.appid)
            .and_then(PushPlan::of)
            .ok_or(ServiceError::NotFound("push plan"))
    }

    /// The requested client ids qualified by their first org path, as the
    /// workspace shows them; unknown ones as given.
    async fn qualified(
        &self,
        caller: &Caller,
        ids: &[OpenId],
        raw: &[String],
    ) -> Result<Vec<String>, ServiceError> {
        if ids.is_empty() || ids.len() > 100 {
            return Ok(raw.to_vec());
        }
        let known: std::collections::HashMap<OpenId, String> = self
            .store
            .audience_page(
                &caller.appid,
                &Audience::OpenIds {
                    openids: ids.to_vec(),
                },
                None,
                100,
            )
            .await?
            .iter()
            .map(|u| (u.openid.clone(), qualified_client_id(u)))
            .collect();
        Ok(ids
            .iter()
            .zip(raw)
            .map(|(id, raw)| known.get(id).cloned().unwrap_or_else(|| raw.clone()))
            .collect())
    }
}

/// The fields an update names; the others stay.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TemplateUpdate {
    pub title: Option<String>,
    pub tags: Option<String>,
    pub sample: Option<String>,
    pub actions: Option<Vec<tidings_engine::workspace::Action>>,
    pub contents: Option<Vec<Vec<tidings_engine::workspace::Cell>>>,
}
