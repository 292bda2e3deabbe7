//! The one storage trait. Each backend crate implements it; the storage test
//! suite (`crates/tidings/tests/store_suite.rs`) runs against every backend.

use async_trait::async_trait;
use thiserror::Error;
use tidings_engine::governance::{Complaint, Notice, Penalty, Proposal};
use tidings_engine::{
    App, AppId, AppName, Audience, Grant, GrantId, InboxPass, LibraryTitle, MarketingTemplate,
    Message, OpenId, Pages, Platform, Row, SecretHash, SendRecord, SendSpec, Tag, Template,
    TemplateId, Timestamp, TitleId, TokenHash, TokenLane, TokenRecord, User, Webhook,
    WorkspaceTemplate,
};

pub mod console_rows;
pub mod frame;
pub mod governance_rows;
pub mod links;
pub mod metered;
pub mod migrations;
pub mod rows;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A row with the same key exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database refused or failed; the message is for operators' logs.
    #[error("database error: {0}")]
    Backend(String),
    /// A stored value no longer parses: a bug or a hand-edited database.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The store is shutting down.
    #[error("store is closed")]
    Closed,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A change to an app's editable fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AppPatch {
    pub name: Option<AppName>,
    pub pages: Option<Pages>,
    pub daily_send_limit: Option<u32>,
}

/// Issue a token in an app's lane, superseding the lane's current token, in
/// one atomic step.
#[derive(Debug, Clone)]
pub struct IssueToken {
    pub appid: AppId,
    pub lane: TokenLane,
    pub hash: TokenHash,
    pub forced: bool,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    /// Issue only if the lane's current token has this generation (`Some(0)`:
    /// only if the lane has no current token). `None` issues unconditionally.
    pub expect_generation: Option<i64>,
    /// Refuse if this many tokens of the same lane and `forced` flag were
    /// issued at or after `since`.
    pub daily_limit: Option<DailyLimit>,
}

#[derive(Debug, Clone, Copy)]
pub struct DailyLimit {
    pub since: Timestamp,
    pub max: u32,
}

/// What `issue_token` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueOutcome {
    /// Stored as the lane's current token, with this generation.
    Issued { generation: i64 },
    /// `expect_generation` did not hold: another caller issued first.
    Raced,
    /// `daily_limit` was reached; nothing changed.
    LimitReached,
    /// No such app.
    NoApp,
}

/// A checked send, stored together with its grant use and the day's count.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub appid: AppId,
    pub openid: OpenId,
    pub template_id: TemplateId,
    pub title: String,
    pub rows: Vec<Row>,
    pub emphasis: Option<usize>,
    pub page: Option<String>,
    /// The form_id or prepay_id the send uses up one send of, if it needs one.
    pub grant: Option<GrantId>,
    pub created_at: Timestamp,
    /// The day counter to count the send in, and its ceiling.
    pub day_start: Timestamp,
    pub daily_limit: u32,
    /// The secret of the card's tracking link, when it has a jump target
    /// (the link's token is made from it and the message's id).
    pub link_secret: Option<String>,
    pub url: Option<String>,
    /// A caller's idempotency key: a send repeating one of the app's keys
    /// returns the first message instead of sending again.
    pub client_msg_id: Option<String>,
    /// Marketing words found in the data (kept on the send record).
    pub marketing_hits: i64,
}

/// What happened after a send went out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendStats {
    /// Messages read (or clicked, which reads them).
    pub read: i64,
    pub clicks: i64,
    pub unique_clickers: i64,
}

/// A segment send to create.
#[derive(Debug, Clone)]
pub struct NewSend {
    pub appid: AppId,
    pub template_id: TemplateId,
    pub title: String,
    pub spec: SendSpec,
    pub expects: i64,
    pub created_at: Timestamp,
    /// Create the send already claimed, under this token until this time,
    /// for a caller that delivers it at once; a crash leaves it to the
    /// workers when the lease runs out.
    pub lease: Option<(String, Timestamp)>,
    /// Marketing words found in the data (kept on the send record).
    pub marketing_hits: i64,
}

/// One recipient's message of a segment send chunk.
#[derive(Debug, Clone)]
pub struct ChunkMessage {
    pub openid: OpenId,
    pub rows: Vec<Row>,
    pub emphasis: Option<usize>,
    /// The secret of the card's tracking link, as for a single send.
    pub link_secret: Option<String>,
    /// Set when the recipient's message could not be made.
    pub failed_reason: Option<String>,
    /// The message boxes a workspace card lands in.
    pub platforms: Vec<Platform>,
}

/// A chunk of a segment send, committed with the job's cursor in one
/// transaction.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub send: SendRecord,
    pub messages: Vec<ChunkMessage>,
    /// The send's cursor this chunk starts after. A chunk commits only onto
    /// that cursor, so chunks committed concurrently land in order, and
    /// none after one that failed.
    pub from: Option<String>,
    /// The last openid of this chunk: where the next one starts.
    pub cursor: Option<String>,
    pub done: bool,
    pub now: Timestamp,
    pub lease_until: Timestamp,
}

/// A send's row as a chunk finds it under the send's lock.
#[derive(Debug)]
pub struct SendAtCommit {
    pub state: String,
    pub claim: Option<String>,
    pub frame: Option<String>,
    pub cursor: Option<String>,
}

impl Chunk {
    /// What this chunk answers instead of landing on the send as found
    /// under its lock (`None`: it may land), its rows split against
    /// `read_frame`. Only this claim's own chunks set the frame and move the
    /// cursor, one after the other: any other frame or cursor means a
    /// chunk before this one failed, or the claim changed hands.
    pub fn refusal(
        &self,
        found: Option<SendAtCommit>,
        read_frame: Option<&str>,
    ) -> Option<ChunkOutcome> {
        match found {
            Some(f) if f.state == "running" && f.claim == self.send.claim => {
                if f.frame.as_deref() == read_frame && f.cursor == self.from {
                    return None;
                }
                tracing::warn!(
                    send_id = self.send.id,
                    "a chunk does not follow the send's last one"
                );
                Some(ChunkOutcome::LeaseLost)
            }
            Some(f) if f.state == "cancelled" => Some(ChunkOutcome::Cancelled),
            _ => Some(ChunkOutcome::LeaseLost),
        }
    }
}

/// Resolves once the chunk before this one has finished committing,
/// whatever its outcome. Chunks of a send commit side by side; a backend
/// awaits its chunk's turn right before it takes the send's lock (or hands
/// the chunk to its writer), so that they land in order.
pub type Turn = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// What `commit_chunk` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkOutcome {
    /// Stored; the counts are of rows new to the store.
    Committed { oks: i64, fails: i64 },
    /// The send was cancelled meanwhile; nothing stored.
    Cancelled,
    /// Another worker took the send over (this one's lease ran out);
    /// nothing stored.
    LeaseLost,
}

/// A delivery due to be attempted, with what it needs.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: i64,
    pub attempts: u32,
    pub event_id: i64,
    pub event_type: String,
    pub payload: String,
    pub url: String,
    pub secret: String,
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum AttemptResult {
    Succeeded {
        status: u16,
    },
    /// Failed; try again at `next`.
    Retry {
        status: Option<u16>,
        error: String,
        next: Timestamp,
    },
    /// Failed for the last time.
    Dead {
        status: Option<u16>,
        error: String,
    },
}

/// A delivery as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: i64,
    pub event_type: String,
    pub state: String,
    pub attempts: u32,
    pub next_attempt_at: Option<Timestamp>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One bucket of a send's timeline: its start (ms) and what happened in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TimelineBucket {
    pub at: i64,
    pub sent: i64,
    pub read: i64,
    pub clicked: i64,
}

/// A followed tracking link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    pub id: i64,
    pub message_id: i64,
    pub send_id: Option<i64>,
    pub openid: OpenId,
    pub url: String,
    pub at: Timestamp,
    pub user_agent: Option<String>,
}

/// What `send_message` did. Anything but `Sent` changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    Sent {
        id: i64,
    },
    /// No such grant, another user's or app's, or expired.
    GrantUnknown,
    /// The grant's sends are used up.
    GrantUsedUp,
    /// The app's sends for the day reached its limit.
    LimitReached,
}

/// What `insert_template` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateInsert {
    Inserted,
    /// The app already has the maximum number of templates.
    LimitReached,
    NoApp,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`, for metrics and logs.
    fn backend(&self) -> &'static str;

    /// Succeeds when the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// Installation-wide settings (the admin key's hash, the token key).
    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>>;
    /// Stores `value` unless the key is set, and returns what is stored, so
    /// that nodes starting together agree on one value.
    async fn init_setting(&self, key: &str, value: &str) -> StoreResult<String>;
    /// Sets a setting, replacing any value.
    async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()>;

    async fn insert_app(&self, app: &App) -> StoreResult<()>;
    async fn get_app(&self, appid: &AppId) -> StoreResult<Option<App>>;
    /// Apps ordered by appid, after the given one.
    async fn list_apps(&self, after: Option<&AppId>, limit: u32) -> StoreResult<Vec<App>>;
    async fn update_app(
        &self,
        appid: &AppId,
        patch: &AppPatch,
        now: Timestamp,
    ) -> StoreResult<Option<App>>;
    async fn set_app_secret(
        &self,
        appid: &AppId,
        secret: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<Option<App>>;
    async fn disable_app(&self, appid: &AppId, now: Timestamp) -> StoreResult<Option<App>>;

    async fn issue_token(&self, req: &IssueToken) -> StoreResult<IssueOutcome>;
    async fn get_token(&self, hash: &TokenHash) -> StoreResult<Option<TokenRecord>>;
    /// The lane's newest, not superseded token.
    async fn current_token(
        &self,
        appid: &AppId,
        lane: TokenLane,
    ) -> StoreResult<Option<TokenRecord>>;
    /// Deletes tokens that expired before `before`; returns how many.
    async fn prune_tokens(&self, before: Timestamp) -> StoreResult<u64>;

    /// Adds the titles the store lacks (by id); returns how many were added.
    async fn load_library(&self, titles: &[LibraryTitle]) -> StoreResult<u64>;
    /// Titles in id order from `offset` whose title contains `search` (all
    /// when it is empty), and how many such titles there are.
    async fn library_page(
        &self,
        offset: u32,
        count: u32,
        search: &str,
    ) -> StoreResult<(Vec<LibraryTitle>, u64)>;
    async fn library_title(&self, id: &TitleId) -> StoreResult<Option<LibraryTitle>>;

    /// Adds a template unless its app has `max_per_app` already.
    async fn insert_template(
        &self,
        template: &Template,
        max_per_app: u32,
    ) -> StoreResult<TemplateInsert>;
    async fn get_template(&self, id: &TemplateId) -> StoreResult<Option<Template>>;
    /// An app's templates in the order they were added.
    async fn list_templates(
        &self,
        appid: &AppId,
        offset: u32,
        count: u32,
    ) -> StoreResult<Vec<Template>>;
    /// Deletes one of the app's templates; false when it has no such template.
    async fn delete_template(&self, appid: &AppId, id: &TemplateId) -> StoreResult<bool>;

    /// Adds a user; `Conflict` when the openid exists in the app.
    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    async fn get_user(&self, appid: &AppId, openid: &OpenId) -> StoreResult<Option<User>>;
    async fn insert_grant(&self, grant: &Grant) -> StoreResult<()>;

    /// Uses the grant, counts the send in the day's counter and stores the
    /// message, atomically: all three or none.
    async fn send_message(&self, message: &std::sync::Arc<NewMessage>) -> StoreResult<SendOutcome>;
    /// A user's messages, newest first, with ids below `before`; with a
    /// platform, only the workspace cards that landed on it.
    async fn list_messages(
        &self,
        appid: &AppId,
        openid: &OpenId,
        platform: Option<Platform>,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Message>>;
    /// A user's messages with ids above `after`, oldest first (live streams).
    async fn messages_after(
        &self,
        appid: &AppId,
        openid: &OpenId,
        platform: Option<Platform>,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<Message>>;
    /// Marks a message read (keeping the first read time).
    async fn mark_read(
        &self,
        appid: &AppId,
        openid: &OpenId,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<Option<Message>>;

    /// Adds or replaces users (by openid); returns how many were written.
    /// A user whose profile has `orgs` (an employee) has its org paths
    /// replaced by them in the same transaction.
    async fn upsert_users(&self, users: &[User]) -> StoreResult<u64>;
    /// Removes a user with its tags and org paths (its messages stay);
    /// false when there is no such user.
    async fn delete_user(&self, appid: &AppId, openid: &OpenId) -> StoreResult<bool>;
    /// Refreshes the planner's statistics of users and their tags and orgs
    /// after a bulk change (an import), so that audience pages keep using
    /// their indexes.
    async fn analyze_users(&self) -> StoreResult<()>;
    async fn create_tag(&self, appid: &AppId, name: &str, now: Timestamp) -> StoreResult<Tag>;
    async fn list_tags(&self, appid: &AppId) -> StoreResult<Vec<Tag>>;
    async fn rename_tag(&self, appid: &AppId, id: i64, name: &str) -> StoreResult<Option<Tag>>;
    async fn delete_tag(&self, appid: &AppId, id: i64) -> StoreResult<bool>;
    /// Tags those of the openids that are users of the app; returns how many
    /// were newly tagged.
    async fn tag_users(&self, appid: &AppId, tag_id: i64, openids: &[OpenId]) -> StoreResult<u64>;
    async fn untag_users(&self, appid: &AppId, tag_id: i64, openids: &[OpenId])
        -> StoreResult<u64>;

    async fn create_send(&self, send: &NewSend) -> StoreResult<SendRecord>;
    async fn get_send(&self, id: i64) -> StoreResult<Option<SendRecord>>;
    /// An app's sends, newest first, with ids below `before`.
    async fn list_sends(
        &self,
        appid: &AppId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<SendRecord>>;
    /// Cancels a queued or running send; returns it as it is after.
    async fn cancel_send(&self, id: i64, now: Timestamp) -> StoreResult<Option<SendRecord>>;
    /// Takes the oldest queued send, or a running one whose lease ran out,
    /// and leases it until `lease_until` under the token `claim`. Several
    /// nodes never take one send at once.
    async fn claim_send(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        claim: &str,
    ) -> StoreResult<Option<SendRecord>>;
    async fn count_audience(&self, appid: &AppId, audience: &Audience) -> StoreResult<i64>;
    /// Users of the audience with openids after `after`, in openid order.
    async fn audience_page(
        &self,
        appid: &AppId,
        audience: &Audience,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<User>>;
    async fn commit_chunk(&self, chunk: &Chunk, turn: Turn) -> StoreResult<ChunkOutcome>;
    /// A send's messages in id order after `after`, optionally of one status.
    async fn list_recipients(
        &self,
        send_id: i64,
        status: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Message>>;

    async fn message_by_link(&self, token: &str) -> StoreResult<Option<Message>>;
    /// Records a click and moves the message to `clicked`.
    async fn record_click(
        &self,
        message: &Message,
        url: &str,
        user_agent: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Click>;
    async fn list_clicks(
        &self,
        send_id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Click>>;
    /// A send's messages counted per `bucket_ms`: sent by their creation,
    /// read by their first read, clicked by their first click; oldest
    /// bucket first, at most `max_buckets`.
    async fn send_timeline(
        &self,
        send_id: i64,
        bucket_ms: i64,
        max_buckets: u32,
    ) -> StoreResult<Vec<TimelineBucket>>;

    async fn insert_inbox_pass(&self, pass: &InboxPass) -> StoreResult<()>;
    async fn inbox_pass(&self, hash: &TokenHash) -> StoreResult<Option<InboxPass>>;

    async fn create_webhook(
        &self,
        appid: &AppId,
        url: &str,
        secret: &str,
        event_types: &[String],
        now: Timestamp,
    ) -> StoreResult<Webhook>;
    async fn list_webhooks(&self, appid: &AppId) -> StoreResult<Vec<Webhook>>;
    /// Stops an endpoint; its deliveries stay listed.
    async fn delete_webhook(&self, appid: &AppId, id: i64, now: Timestamp) -> StoreResult<bool>;
    /// Leases up to `limit` pending deliveries that are due.
    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        claim: &str,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>>;
    async fn finish_delivery(
        &self,
        id: i64,
        claim: &str,
        result: &AttemptResult,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn list_deliveries(
        &self,
        appid: &AppId,
        webhook_id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>>;
    /// Makes a delivery of the app's due again from its first attempt.
    async fn replay_delivery(
        &self,
        appid: &AppId,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<Option<Delivery>>;

    async fn send_stats(&self, send_id: i64) -> StoreResult<SendStats>;

    /// Stores a new marketing template; returns its id.
    async fn insert_marketing(&self, t: &MarketingTemplate) -> StoreResult<i64>;
    async fn get_marketing(&self, appid: &AppId, id: i64)
        -> StoreResult<Option<MarketingTemplate>>;
    async fn update_marketing(&self, t: &MarketingTemplate) -> StoreResult<bool>;
    async fn delete_marketing(&self, appid: &AppId, id: i64) -> StoreResult<bool>;
    /// An app's marketing templates, newest first, optionally those whose
    /// title or inner title holds `title` and those with `tag`; and the total.
    async fn list_marketing(
        &self,
        appid: &AppId,
        title: Option<&str>,
        tag: Option<i64>,
        offset: u32,
        limit: u32,
    ) -> StoreResult<(Vec<MarketingTemplate>, i64)>;

    async fn insert_ws_template(&self, t: &WorkspaceTemplate) -> StoreResult<()>;
    async fn get_ws_template(&self, id: &TemplateId) -> StoreResult<Option<WorkspaceTemplate>>;
    /// Replaces a template's fields; false when it is not there.
    async fn update_ws_template(&self, t: &WorkspaceTemplate) -> StoreResult<bool>;
    /// An app's workspace templates, newest first, optionally those whose
    /// title or tags hold `kw`; and how many match in all.
    async fn list_ws_templates(
        &self,
        appid: &AppId,
        kw: Option<&str>,
        skip: u32,
        limit: u32,
    ) -> StoreResult<(Vec<WorkspaceTemplate>, i64)>;

    /// Stores a reviewed proposal; an approved one becomes a library title
    /// (the next `AT` number) in the same transaction.
    async fn create_proposal(&self, p: &Proposal) -> StoreResult<Proposal>;
    async fn get_proposal(&self, id: i64) -> StoreResult<Option<Proposal>>;
    /// Proposals by id, optionally of one state.
    async fn list_proposals(
        &self,
        state: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Proposal>>;
    /// Approves (adding the library title) or rejects a pending proposal;
    /// `None` when there is no pending proposal of that id.
    async fn decide_proposal(
        &self,
        id: i64,
        approve: bool,
        now: Timestamp,
    ) -> StoreResult<Option<Proposal>>;

    /// Stores a complaint; a message has one complaint, so a second one
    /// returns the first.
    async fn create_complaint(&self, c: &Complaint) -> StoreResult<Complaint>;
    async fn get_complaint(&self, id: i64) -> StoreResult<Option<Complaint>>;
    async fn list_complaints(
        &self,
        state: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Complaint>>;
    /// Dismisses a pending complaint; nothing else changes.
    async fn dismiss_complaint(&self, id: i64, now: Timestamp) -> StoreResult<Option<Complaint>>;
    /// Confirms a pending complaint and climbs the app's ladder, in one
    /// transaction: the penalty, the template deleted or the app banned,
    /// a notice and an `app.penalized` event. `None` when not pending.
    async fn confirm_complaint(&self, id: i64, now: Timestamp) -> StoreResult<Option<Penalty>>;
    async fn list_penalties(&self, appid: &AppId) -> StoreResult<Vec<Penalty>>;
    async fn insert_notice(
        &self,
        appid: &AppId,
        title: &str,
        body: &str,
        now: Timestamp,
    ) -> StoreResult<Notice>;
    /// An app's notices, newest first, with ids below `before`.
    async fn list_notices(
        &self,
        appid: &AppId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Notice>>;
}
