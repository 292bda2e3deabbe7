//! A workspace app's employees: listed by org subtree, updated, removed.
//! Imports go through the importer (`ImportKind::Employees`).

use std::sync::Arc;

use serde_json::Value;
use tidings_engine::employee::parse_employee;
use tidings_engine::workspace::parse_org_path;
use tidings_engine::{AppId, AppKind, Audience, OpenId, User};
use tidings_store::Store;

use crate::apps::AppService;
use crate::ServiceError;

/// The most employees one page holds.
pub const MAX_EMPLOYEE_PAGE: u32 = 1000;

/// The fields an update names; the others stay.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct EmployeePatch {
    pub name: Option<String>,
    pub orgs: Option<Vec<String>>,
    pub devices: Option<Vec<Value>>,
}

#[derive(Clone)]
pub struct EmployeeService {
    store: Arc<dyn Store>,
    apps: AppService,
}

impl EmployeeService {
    pub(crate) fn new(store: Arc<dyn Store>, apps: AppService) -> Self {
        Self { store, apps }
    }

    async fn workspace(&self, appid: &AppId) -> Result<(), ServiceError> {
        if self.apps.get(appid).await?.kind != AppKind::Workspace {
            return Err(ServiceError::ApiUnauthorized("workspace apps only"));
        }
        Ok(())
    }

    /// Employees in client id order after `after`, all or those anywhere
    /// under `org`.
    pub async fn list(
        &self,
        appid: &AppId,
        org: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<User>, ServiceError> {
        self.workspace(appid).await?;
        let audience = match org {
            None => Audience::All { all: true },
            Some(o) => Audience::Workspace {
                client_ids: Vec::new(),
                scopes: vec![parse_org_path(o)?],
            },
        };
        Ok(self
            .store
            .audience_page(appid, &audience, after, limit.clamp(1, MAX_EMPLOYEE_PAGE))
            .await?)
    }

    pub async fn update(
        &self,
        appid: &AppId,
        client_id: &OpenId,
        patch: EmployeePatch,
    ) -> Result<User, ServiceError> {
        self.workspace(appid).await?;
        let current = self
            .store
            .get_user(appid, client_id)
            .await?
            .ok_or(ServiceError::NotFound("employee"))?;
        let mut fields = current.profile.clone();
        fields.insert("client_id".into(), Value::from(client_id.as_str()));
        let name = patch.name.or(current.nickname.clone()).unwrap_or_default();
        fields.insert("name".into(), Value::from(name));
        if let Some(orgs) = patch.orgs {
            fields.insert("orgs".into(), Value::from(orgs));
        }
        if let Some(devices) = patch.devices {
            fields.insert("devices".into(), Value::Array(devices));
        }
        let user = parse_employee(appid, fields, current.created_at)?;
        self.store.upsert_users(std::slice::from_ref(&user)).await?;
        Ok(user)
    }

    pub async fn remove(&self, appid: &AppId, client_id: &OpenId) -> Result<(), ServiceError> {
        self.workspace(appid).await?;
        if !self.store.delete_user(appid, client_id).await? {
            return Err(ServiceError::NotFound("employee"));
        }
        self.apps.forget_user(appid, client_id);
        Ok(())
    }
}
