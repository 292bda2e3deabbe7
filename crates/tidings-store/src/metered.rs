//! A decorator that times every store call, whatever the backend, as the
//! histogram `tidings_store_duration_seconds{op, backend}`.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use tidings_engine::{
    App, AppId, Grant, LibraryTitle, Message, OpenId, SecretHash, Template, TemplateId, Timestamp,
    TitleId, TokenHash, TokenLane, TokenRecord, User,
};

use crate::{
    AppPatch, IssueOutcome, IssueToken, NewMessage, SendOutcome, Store, StoreResult, TemplateInsert,
};

pub struct Metered {
    inner: Arc<dyn Store>,
}

impl Metered {
    pub fn wrap(inner: Arc<dyn Store>) -> Arc<dyn Store> {
        Arc::new(Self { inner })
    }

    async fn timed<T>(
        &self,
        op: &'static str,
        fut: impl Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        let start = Instant::now();
        let out = fut.await;
        metrics::histogram!(
            "tidings_store_duration_seconds",
            "op" => op,
            "backend" => self.inner.backend(),
        )
        .record(start.elapsed().as_secs_f64());
        if out.is_err() {
            metrics::counter!("tidings_store_errors_total", "op" => op, "backend" => self.inner.backend())
                .increment(1);
        }
        out
    }
}

#[async_trait]
impl Store for Metered {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    async fn ping(&self) -> StoreResult<()> {
        self.timed("ping", self.inner.ping()).await
    }
    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>> {
        self.timed("get_setting", self.inner.get_setting(key)).await
    }
    async fn init_setting(&self, key: &str, value: &str) -> StoreResult<String> {
        self.timed("init_setting", self.inner.init_setting(key, value))
            .await
    }
    async fn insert_app(&self, app: &App) -> StoreResult<()> {
        self.timed("insert_app", self.inner.insert_app(app)).await
    }
    async fn get_app(&self, appid: &AppId) -> StoreResult<Option<App>> {
        self.timed("get_app", self.inner.get_app(appid)).await
    }
    async fn list_apps(&self, after: Option<&AppId>, limit: u32) -> StoreResult<Vec<App>> {
        self.timed("list_apps", self.inner.list_apps(after, limit))
            .await
    }
    async fn update_app(
        &self,
        appid: &AppId,
        patch: &AppPatch,
        now: Timestamp,
    ) -> StoreResult<Option<App>> {
        self.timed("update_app", self.inner.update_app(appid, patch, now))
            .await
    }
    async fn set_app_secret(
        &self,
        appid: &AppId,
        secret: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<Option<App>> {
        self.timed(
            "set_app_secret",
            self.inner.set_app_secret(appid, secret, now),
        )
        .await
    }
    async fn disable_app(&self, appid: &AppId, now: Timestamp) -> StoreResult<Option<App>> {
        self.timed("disable_app", self.inner.disable_app(appid, now))
            .await
    }
    async fn issue_token(&self, req: &IssueToken) -> StoreResult<IssueOutcome> {
        self.timed("issue_token", self.inner.issue_token(req)).await
    }
    async fn get_token(&self, hash: &TokenHash) -> StoreResult<Option<TokenRecord>> {
        self.timed("get_token", self.inner.get_token(hash)).await
    }
    async fn current_token(
        &self,
        appid: &AppId,
        lane: TokenLane,
    ) -> StoreResult<Option<TokenRecord>> {
        self.timed("current_token", self.inner.current_token(appid, lane))
            .await
    }
    async fn prune_tokens(&self, before: Timestamp) -> StoreResult<u64> {
        self.timed("prune_tokens", self.inner.prune_tokens(before))
            .await
    }
    async fn load_library(&self, titles: &[LibraryTitle]) -> StoreResult<u64> {
        self.timed("load_library", self.inner.load_library(titles))
            .await
    }
    async fn library_page(&self, offset: u32, count: u32) -> StoreResult<(Vec<LibraryTitle>, u64)> {
        self.timed("library_page", self.inner.library_page(offset, count))
            .await
    }
    async fn library_title(&self, id: &TitleId) -> StoreResult<Option<LibraryTitle>> {
        self.timed("library_title", self.inner.library_title(id))
            .await
    }
    async fn insert_template(&self, t: &Template, max_per_app: u32) -> StoreResult<TemplateInsert> {
        self.timed(
            "insert_template",
            self.inner.insert_template(t, max_per_app),
        )
        .await
    }
    async fn get_template(&self, id: &TemplateId) -> StoreResult<Option<Template>> {
        self.timed("get_template", self.inner.get_template(id))
            .await
    }
    async fn list_templates(
        &self,
        appid: &AppId,
        offset: u32,
        count: u32,
    ) -> StoreResult<Vec<Template>> {
        self.timed(
            "list_templates",
            self.inner.list_templates(appid, offset, count),
        )
        .await
    }
    async fn delete_template(&self, appid: &AppId, id: &TemplateId) -> StoreResult<bool> {
        self.timed("delete_template", self.inner.delete_template(appid, id))
            .await
    }
    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        self.timed("insert_user", self.inner.insert_user(user))
            .await
    }
    async fn get_user(&self, appid: &AppId, openid: &OpenId) -> StoreResult<Option<User>> {
        self.timed("get_user", self.inner.get_user(appid, openid))
            .await
    }
    async fn insert_grant(&self, grant: &Grant) -> StoreResult<()> {
        self.timed("insert_grant", self.inner.insert_grant(grant))
            .await
    }
    async fn send_message(&self, message: &NewMessage) -> StoreResult<SendOutcome> {
        self.timed("send_message", self.inner.send_message(message))
            .await
    }
    async fn list_messages(
        &self,
        appid: &AppId,
        openid: &OpenId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        self.timed(
            "list_messages",
            self.inner.list_messages(appid, openid, before, limit),
        )
        .await
    }
    async fn mark_read(
        &self,
        appid: &AppId,
        openid: &OpenId,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<Option<Message>> {
        self.timed("mark_read", self.inner.mark_read(appid, openid, id, now))
            .await
    }
}
