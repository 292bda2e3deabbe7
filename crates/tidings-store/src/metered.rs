//! A decorator that times every store call, whatever the backend, as the
//! histogram `tidings_store_duration_seconds{op, backend}` and counts
//! failures as `tidings_store_errors_total{op, backend}`.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use async_trait::async_trait;
use metrics::Histogram;
use tidings_engine::governance::{Complaint, Notice, Penalty, Proposal};
use tidings_engine::{
    App, AppId, Audience, Grant, InboxPass, LibraryTitle, MarketingTemplate, Message, OpenId,
    Platform, SecretHash, SendRecord, Tag, Template, TemplateId, Timestamp, TitleId, TokenHash,
    TokenLane, TokenRecord, User, Webhook, WorkspaceTemplate,
};

use crate::{
    AppPatch, AttemptResult, Chunk, ChunkOutcome, Click, Delivery, DueDelivery, IssueOutcome,
    IssueToken, NewMessage, NewSend, SendOutcome, SendStats, Store, StoreResult, TemplateInsert,
    TimelineBucket, Turn,
};

pub struct Metered {
    inner: Arc<dyn Store>,
    /// Each call's histogram, taken from the recorder at the call's first
    /// use: a metric named by its labels is otherwise looked up in the
    /// recorder on every call (its key built, hashed and compared).
    durations: [OnceLock<Histogram>; OPS.len()],
}

impl Metered {
    /// Wraps `inner`. The metrics recorder, if any, is to be installed
    /// before: a call made earlier keeps the no-op handle it was given.
    pub fn wrap(inner: Arc<dyn Store>) -> Arc<dyn Store> {
        Arc::new(Self {
            inner,
            durations: [const { OnceLock::new() }; OPS.len()],
        })
    }

    async fn timed<T>(&self, op: Op, fut: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        let start = Instant::now();
        let out = fut.await;
        let name = OPS[op as usize];
        let backend = self.inner.backend();
        self.durations[op as usize]
            .get_or_init(|| {
                metrics::histogram!("tidings_store_duration_seconds", "op" => name, "backend" => backend)
            })
            .record(start.elapsed().as_secs_f64());
        if out.is_err() {
            metrics::counter!("tidings_store_errors_total", "op" => name, "backend" => backend)
                .increment(1);
        }
        out
    }
}

/// Writes the delegating, timed implementation of every store call.
macro_rules! metered {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        /// The store calls, in the order of [`OPS`].
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy)]
        enum Op { $($name),* }

        /// Each store call's name, its `op` label.
        const OPS: &[&str] = &[$(stringify!($name)),*];

        #[async_trait]
        impl Store for Metered {
            fn backend(&self) -> &'static str {
                self.inner.backend()
            }
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    self.timed(Op::$name, self.inner.$name($($arg),*)).await
                }
            )*
        }
    };
}

metered! {
    fn ping(&self) -> StoreResult<()>;
    fn get_setting(&self, key: &str) -> StoreResult<Option<String>>;
    fn init_setting(&self, key: &str, value: &str) -> StoreResult<String>;
    fn put_setting(&self, key: &str, value: &str) -> StoreResult<()>;
    fn insert_app(&self, app: &App) -> StoreResult<()>;
    fn get_app(&self, appid: &AppId) -> StoreResult<Option<App>>;
    fn list_apps(&self, after: Option<&AppId>, limit: u32) -> StoreResult<Vec<App>>;
    fn update_app(&self, appid: &AppId, patch: &AppPatch, now: Timestamp) -> StoreResult<Option<App>>;
    fn set_app_secret(&self, appid: &AppId, secret: &SecretHash, now: Timestamp) -> StoreResult<Option<App>>;
    fn disable_app(&self, appid: &AppId, now: Timestamp) -> StoreResult<Option<App>>;
    fn issue_token(&self, req: &IssueToken) -> StoreResult<IssueOutcome>;
    fn get_token(&self, hash: &TokenHash) -> StoreResult<Option<TokenRecord>>;
    fn current_token(&self, appid: &AppId, lane: TokenLane) -> StoreResult<Option<TokenRecord>>;
    fn prune_tokens(&self, before: Timestamp) -> StoreResult<u64>;
    fn load_library(&self, titles: &[LibraryTitle]) -> StoreResult<u64>;
    fn library_page(&self, offset: u32, count: u32, search: &str) -> StoreResult<(Vec<LibraryTitle>, u64)>;
    fn library_title(&self, id: &TitleId) -> StoreResult<Option<LibraryTitle>>;
    fn insert_template(&self, template: &Template, max_per_app: u32) -> StoreResult<TemplateInsert>;
    fn get_template(&self, id: &TemplateId) -> StoreResult<Option<Template>>;
    fn list_templates(&self, appid: &AppId, offset: u32, count: u32) -> StoreResult<Vec<Template>>;
    fn delete_template(&self, appid: &AppId, id: &TemplateId) -> StoreResult<bool>;
    fn insert_user(&self, user: &User) -> StoreResult<()>;
    fn get_user(&self, appid: &AppId, openid: &OpenId) -> StoreResult<Option<User>>;
    fn insert_grant(&self, grant: &Grant) -> StoreResult<()>;
    fn send_message(&self, message: &Arc<NewMessage>) -> StoreResult<SendOutcome>;
    fn list_messages(&self, appid: &AppId, openid: &OpenId, platform: Option<Platform>, before: Option<i64>, limit: u32) -> StoreResult<Vec<Message>>;
    fn messages_after(&self, appid: &AppId, openid: &OpenId, platform: Option<Platform>, after: i64, limit: u32) -> StoreResult<Vec<Message>>;
    fn mark_read(&self, appid: &AppId, openid: &OpenId, id: i64, now: Timestamp) -> StoreResult<Option<Message>>;
    fn upsert_users(&self, users: &[User]) -> StoreResult<u64>;
    fn delete_user(&self, appid: &AppId, openid: &OpenId) -> StoreResult<bool>;
    fn analyze_users(&self) -> StoreResult<()>;
    fn create_tag(&self, appid: &AppId, name: &str, now: Timestamp) -> StoreResult<Tag>;
    fn list_tags(&self, appid: &AppId) -> StoreResult<Vec<Tag>>;
    fn rename_tag(&self, appid: &AppId, id: i64, name: &str) -> StoreResult<Option<Tag>>;
    fn delete_tag(&self, appid: &AppId, id: i64) -> StoreResult<bool>;
    fn tag_users(&self, appid: &AppId, tag_id: i64, openids: &[OpenId]) -> StoreResult<u64>;
    fn untag_users(&self, appid: &AppId, tag_id: i64, openids: &[OpenId]) -> StoreResult<u64>;
    fn create_send(&self, send: &NewSend) -> StoreResult<SendRecord>;
    fn get_send(&self, id: i64) -> StoreResult<Option<SendRecord>>;
    fn list_sends(&self, appid: &AppId, before: Option<i64>, limit: u32) -> StoreResult<Vec<SendRecord>>;
    fn cancel_send(&self, id: i64, now: Timestamp) -> StoreResult<Option<SendRecord>>;
    fn claim_send(&self, now: Timestamp, lease_until: Timestamp, claim: &str) -> StoreResult<Option<SendRecord>>;
    fn count_audience(&self, appid: &AppId, audience: &Audience) -> StoreResult<i64>;
    fn audience_page(&self, appid: &AppId, audience: &Audience, after: Option<&str>, limit: u32) -> StoreResult<Vec<User>>;
    fn commit_chunk(&self, chunk: &Chunk, turn: Turn) -> StoreResult<ChunkOutcome>;
    fn list_recipients(&self, send_id: i64, status: Option<&str>, after: Option<i64>, limit: u32) -> StoreResult<Vec<Message>>;
    fn message_by_link(&self, token: &str) -> StoreResult<Option<Message>>;
    fn record_click(&self, message: &Message, url: &str, user_agent: Option<&str>, now: Timestamp) -> StoreResult<Click>;
    fn list_clicks(&self, send_id: i64, after: Option<i64>, limit: u32) -> StoreResult<Vec<Click>>;
    fn send_timeline(&self, send_id: i64, bucket_ms: i64, max_buckets: u32) -> StoreResult<Vec<TimelineBucket>>;
    fn insert_inbox_pass(&self, pass: &InboxPass) -> StoreResult<()>;
    fn inbox_pass(&self, hash: &TokenHash) -> StoreResult<Option<InboxPass>>;
    fn create_webhook(&self, appid: &AppId, url: &str, secret: &str, event_types: &[String], now: Timestamp) -> StoreResult<Webhook>;
    fn list_webhooks(&self, appid: &AppId) -> StoreResult<Vec<Webhook>>;
    fn delete_webhook(&self, appid: &AppId, id: i64, now: Timestamp) -> StoreResult<bool>;
    fn claim_deliveries(&self, now: Timestamp, lease_until: Timestamp, claim: &str, limit: u32) -> StoreResult<Vec<DueDelivery>>;
    fn finish_delivery(&self, id: i64, claim: &str, result: &AttemptResult, now: Timestamp) -> StoreResult<()>;
    fn list_deliveries(&self, appid: &AppId, webhook_id: i64, after: Option<i64>, limit: u32) -> StoreResult<Vec<Delivery>>;
    fn replay_delivery(&self, appid: &AppId, id: i64, now: Timestamp) -> StoreResult<Option<Delivery>>;
    fn send_stats(&self, send_id: i64) -> StoreResult<SendStats>;
    fn insert_marketing(&self, t: &MarketingTemplate) -> StoreResult<i64>;
    fn get_marketing(&self, appid: &AppId, id: i64) -> StoreResult<Option<MarketingTemplate>>;
    fn update_marketing(&self, t: &MarketingTemplate) -> StoreResult<bool>;
    fn delete_marketing(&self, appid: &AppId, id: i64) -> StoreResult<bool>;
    fn list_marketing(&self, appid: &AppId, title: Option<&str>, tag: Option<i64>, offset: u32, limit: u32) -> StoreResult<(Vec<MarketingTemplate>, i64)>;
    fn insert_ws_template(&self, t: &WorkspaceTemplate) -> StoreResult<()>;
    fn get_ws_template(&self, id: &TemplateId) -> StoreResult<Option<WorkspaceTemplate>>;
    fn update_ws_template(&self, t: &WorkspaceTemplate) -> StoreResult<bool>;
    fn list_ws_templates(&self, appid: &AppId, kw: Option<&str>, skip: u32, limit: u32) -> StoreResult<(Vec<WorkspaceTemplate>, i64)>;
    fn create_proposal(&self, p: &Proposal) -> StoreResult<Proposal>;
    fn get_proposal(&self, id: i64) -> StoreResult<Option<Proposal>>;
    fn list_proposals(&self, state: Option<&str>, after: Option<i64>, limit: u32) -> StoreResult<Vec<Proposal>>;
    fn decide_proposal(&self, id: i64, approve: bool, now: Timestamp) -> StoreResult<Option<Proposal>>;
    fn create_complaint(&self, c: &Complaint) -> StoreResult<Complaint>;
    fn get_complaint(&self, id: i64) -> StoreResult<Option<Complaint>>;
    fn list_complaints(&self, state: Option<&str>, after: Option<i64>, limit: u32) -> StoreResult<Vec<Complaint>>;
    fn dismiss_complaint(&self, id: i64, now: Timestamp) -> StoreResult<Option<Complaint>>;
    fn confirm_complaint(&self, id: i64, now: Timestamp) -> StoreResult<Option<Penalty>>;
    fn list_penalties(&self, appid: &AppId) -> StoreResult<Vec<Penalty>>;
    fn insert_notice(&self, appid: &AppId, title: &str, body: &str, now: Timestamp) -> StoreResult<Notice>;
    fn list_notices(&self, appid: &AppId, before: Option<i64>, limit: u32) -> StoreResult<Vec<Notice>>;
}
