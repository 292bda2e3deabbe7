//! Recipients and their send grants. The platform API does here what the
//! WeChat client does on a user's device: submit a form, pay.

use std::sync::Arc;

use tidings_engine::{AppId, AppKind, Clock, Grant, GrantKind, OpenId, ParseError, User};
use tidings_store::{Store, StoreError};

use crate::apps::AppService;
use crate::ServiceError;

/// A user to register; the openid is generated when absent.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub openid: Option<OpenId>,
    pub nickname: Option<String>,
    pub profile: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone)]
pub struct UserService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    apps: AppService,
}

impl UserService {
    pub(crate) fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, apps: AppService) -> Self {
        Self { store, clock, apps }
    }

    pub async fn create(&self, appid: &AppId, new: NewUser) -> Result<User, ServiceError> {
        self.apps.get(appid).await?;
        if let Some(n) = &new.nickname {
            if n.chars().count() > 64 {
                return Err(ParseError::new("nickname", "must be at most 64 characters").into());
            }
        }
        let user = User {
            appid: appid.clone(),
            openid: new.openid.unwrap_or_else(OpenId::generate),
            nickname: new.nickname,
            profile: new.profile,
            created_at: self.clock.now(),
        };
        match self.store.insert_user(&user).await {
            Ok(()) => Ok(user),
            Err(StoreError::Conflict(_)) => Err(ServiceError::Conflict(format!(
                "openid {} exists in this app",
                user.openid
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get(&self, appid: &AppId, openid: &OpenId) -> Result<User, ServiceError> {
        self.store
            .get_user(appid, openid)
            .await?
            .ok_or(ServiceError::NotFound("user"))
    }

    /// A form submit (1 send) or a payment (3 sends), valid for 7 days.
    pub async fn grant(
        &self,
        appid: &AppId,
        openid: &OpenId,
        kind: GrantKind,
    ) -> Result<Grant, ServiceError> {
        let app = self.apps.get(appid).await?;
        if app.kind != AppKind::Miniprogram {
            return Err(ParseError::new(
                "appid",
                "only miniprogram apps take form submits and payments",
            )
            .into());
        }
        self.get(appid, openid).await?;
        let grant = Grant::issue(appid.clone(), openid.clone(), kind, self.clock.now());
        self.store.insert_grant(&grant).await?;
        Ok(grant)
    }
}
