//! The embedded SQLite backend: one file, WAL journal, one writer thread
//! that group-commits (each group's WAL synced before its callers are
//! answered, `syncer.rs`), checkpoints beside it, and a small pool of
//! readers.

mod checkpointer;
mod chunk_insert;
mod console;
mod day_counts;
mod events;
mod governance;
mod kept;
mod marketing;
mod migrate;
mod queries;
mod readers;
mod schema;
mod segments;
mod sends;
mod syncer;
mod wal_batch;
mod webhook_answers;
mod workspace;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::Connection;
use tidings_engine::governance::{Complaint, Notice, Penalty, Proposal};
use tidings_engine::{
    App, AppId, Audience, Grant, InboxPass, LibraryTitle, MarketingTemplate, Message, OpenId,
    Platform, SecretHash, SendRecord, Tag, Template, TemplateId as WsId, TemplateId, Timestamp,
    TitleId, TokenHash, TokenLane, TokenRecord, User, Webhook, WorkspaceTemplate,
};
use tidings_store::{
    AppPatch, AttemptResult, Chunk, ChunkOutcome, Click, Delivery, DueDelivery, IssueOutcome,
    IssueToken, NewMessage, NewSend, SendOutcome, SendStats, Store, StoreError, StoreResult,
    TemplateInsert, TimelineBucket, Turn,
};

use readers::Readers;
use writer::Writer;

/// How many read connections a store opens.
const READERS: usize = 4;

/// Prepared statements each connection keeps: more than the store has
/// distinct statements, so none is compiled twice.
const STATEMENT_CACHE: usize = 256;

/// The writer connection's settings. Each write runs in its own savepoint
/// (group commit), so a statement that may change many rows keeps a
/// statement journal: in memory, not in a temporary file.
pub const WRITER_PRAGMAS: &str = "PRAGMA temp_store = MEMORY;";

/// Turns off SQLite's memory statistics, which take a process-wide lock on
/// every allocation; Tidings reads none of them. Takes effect only before
/// the process opens its first connection (later calls change nothing).
pub fn tune_library() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config is called with an option and the one int
        // argument it takes; before initialization nothing else runs in the
        // library, after it the call only returns SQLITE_MISUSE.
        unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
                0 as std::os::raw::c_int,
            );
        }
    });
}

pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    readers: Arc<Readers>,
}

/// Runs one parameterless statement (a savepoint, a commit) through the
/// statement cache: parsed once, not at every call.
pub(crate) fn run_cached(c: &Connection, sql: &str) -> rusqlite::Result<()> {
    c.prepare_cached(sql)?.execute([]).map(|_| ())
}

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, msg)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(msg.unwrap_or_else(|| "constraint violated".into()))
        }
        other => StoreError::Backend(other.to_string()),
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up
    /// to date.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Backend(format!("creating {}: {e}", dir.display())))?;
        }
        tune_library();
        let mut conn = wal_batch::open(&path).map_err(backend)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )
        .map_err(backend)?;
        migrate::run(&mut conn, schema::MIGRATIONS)?;
        conn.execute_batch(WRITER_PRAGMAS).map_err(backend)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let readers = Readers::open(&path, READERS)?;
        let writer = Writer::start(conn, &path, |c| {
            if let Err(e) = webhook_answers::install(c) {
                tracing::warn!(error = %e, "webhook answers not kept; every send reads the table");
            }
        })
        .map_err(|e| StoreError::Backend(format!("starting the writer thread: {e}")))?;
        Ok(Self {
            path,
            writer,
            readers,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Transactions the writer has committed: fewer than writes when group
    /// commit batches them.
    pub fn commits(&self) -> u64 {
        self.writer.commits()
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        self.readers
            .read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(backend))
            .await
    }

    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>> {
        let key = key.to_owned();
        self.readers
            .lookup(move |c| queries::get_setting(c, &key))
            .await
    }

    async fn init_setting(&self, key: &str, value: &str) -> StoreResult<String> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.writer
            .write(move |c| queries::init_setting(c, &key, &value))
            .await
    }

    async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.writer
            .write(move |c| marketing::put_setting(c, &key, &value))
            .await
    }

    async fn insert_app(&self, app: &App) -> StoreResult<()> {
        let app = app.clone();
        self.writer
            .write(move |c| queries::insert_app(c, &app))
            .await
    }

    async fn get_app(&self, appid: &AppId) -> StoreResult<Option<App>> {
        let appid = appid.clone();
        self.readers
            .lookup(move |c| queries::get_app(c, &appid))
            .await
    }

    async fn list_apps(&self, after: Option<&AppId>, limit: u32) -> StoreResult<Vec<App>> {
        let after = after.cloned();
        self.readers
            .read(move |c| queries::list_apps(c, after.as_ref(), limit))
            .await
    }

    async fn update_app(
        &self,
        appid: &AppId,
        patch: &AppPatch,
        now: Timestamp,
    ) -> StoreResult<Option<App>> {
        let (appid, patch) = (appid.clone(), patch.clone());
        self.writer
            .write(move |c| queries::update_app(c, &appid, &patch, now))
            .await
    }

    async fn set_app_secret(
        &self,
        appid: &AppId,
        secret: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<Option<App>> {
        let (appid, secret) = (appid.clone(), *secret);
        self.writer
            .write(move |c| queries::set_app_secret(c, &appid, &secret, now))
            .await
    }

    async fn disable_app(&self, appid: &AppId, now: Timestamp) -> StoreResult<Option<App>> {
        let appid = appid.clone();
        self.writer
            .write(move |c| queries::disable_app(c, &appid, now))
            .await
    }

    async fn issue_token(&self, req: &IssueToken) -> StoreResult<IssueOutcome> {
        let req = req.clone();
        self.writer
            .write(move |c| queries::issue_token(c, &req))
            .await
    }

    async fn get_token(&self, hash: &TokenHash) -> StoreResult<Option<TokenRecord>> {
        let hash = *hash;
        self.readers
            .lookup(move |c| queries::get_token(c, &hash))
            .await
    }

    async fn current_token(
        &self,
        appid: &AppId,
        lane: TokenLane,
    ) -> StoreResult<Option<TokenRecord>> {
        let appid = appid.clone();
        self.readers
            .read(move |c| queries::current_token(c, &appid, lane))
            .await
    }

    async fn prune_tokens(&self, before: Timestamp) -> StoreResult<u64> {
        self.writer
            .write(move |c| queries::prune_tokens(c, before))
            .await
    }

    async fn load_library(&self, titles: &[LibraryTitle]) -> StoreResult<u64> {
        let titles = titles.to_vec();
        self.writer
            .write(move |c| sends::load_library(c, &titles))
            .await
    }

    async fn library_page(
        &self,
        offset: u32,
        count: u32,
        search: &str,
    ) -> StoreResult<(Vec<LibraryTitle>, u64)> {
        let search = search.to_owned();
        self.readers
            .read(move |c| console::library_page(c, offset, count, &search))
            .await
    }

    async fn library_title(&self, id: &TitleId) -> StoreResult<Option<LibraryTitle>> {
        let id = id.clone();
        self.readers
            .read(move |c| sends::library_title(c, &id))
            .await
    }

    async fn insert_template(&self, t: &Template, max_per_app: u32) -> StoreResult<TemplateInsert> {
        let t = t.clone();
        self.writer
            .write(move |c| sends::insert_template(c, &t, max_per_app))
            .await
    }

    async fn get_template(&self, id: &TemplateId) -> StoreResult<Option<Template>> {
        let id = id.clone();
        self.readers
            .lookup(move |c| sends::get_template(c, &id))
            .await
    }

    async fn list_templates(
        &self,
        appid: &AppId,
        offset: u32,
        count: u32,
    ) -> StoreResult<Vec<Template>> {
        let appid = appid.clone();
        self.readers
            .read(move |c| sends::list_templates(c, &appid, offset, count))
            .await
    }

    async fn delete_template(&self, appid: &AppId, id: &TemplateId) -> StoreResult<bool> {
        let (appid, id) = (appid.clone(), id.clone());
        self.writer
            .write(move |c| sends::delete_template(c, &appid, &id))
            .await
    }

    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        let user = user.clone();
        self.writer
            .write(move |c| sends::insert_user(c, &user))
            .await
    }

    async fn get_user(&self, appid: &AppId, openid: &OpenId) -> StoreResult<Option<User>> {
        let (appid, openid) = (appid.clone(), openid.clone());
        self.readers
            .lookup(move |c| sends::get_user(c, &appid, &openid))
            .await
    }

    async fn insert_grant(&self, grant: &Grant) -> StoreResult<()> {
        let grant = grant.clone();
        self.writer
            .write(move |c| sends::insert_grant(c, &grant))
            .await
    }

    async fn send_message(&self, message: &Arc<NewMessage>) -> StoreResult<SendOutcome> {
        let message = Arc::clone(message);
        let encoded = sends::Encoded::of(&message);
        self.writer
            .write_bare(move |c, kept| sends::send_message(c, kept, &message, &encoded))
            .await
    }

    async fn list_messages(
        &self,
        appid: &AppId,
        openid: &OpenId,
        platform: Option<Platform>,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        let (appid, openid) = (appid.clone(), openid.clone());
        self.readers
            .read(move |c| sends::list_messages(c, &appid, &openid, platform, before, limit))
            .await
    }

    async fn mark_read(
        &self,
        appid: &AppId,
        openid: &OpenId,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<Option<Message>> {
        let (appid, openid) = (appid.clone(), openid.clone());
        self.writer
            .write(move |c| sends::mark_read(c, &appid, &openid, id, now))
            .await
    }

    async fn messages_after(
        &self,
        appid: &AppId,
        openid: &OpenId,
        platform: Option<Platform>,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        let (appid, openid) = (appid.clone(), openid.clone());
        self.readers
            .read(move |c| segments::messages_after(c, &appid, &openid, platform, after, limit))
            .await
    }

    async fn upsert_users(&self, users: &[User]) -> StoreResult<u64> {
        let users = users.to_vec();
        self.writer
            .write(move |c| {
                let n = segments::upsert_users(c, &users)?;
                workspace::replace_orgs(c, &users)?;
                Ok(n)
            })
            .await
    }

    /// SQLite's planner serves keyset pages from the primary key whatever
    /// its statistics say; nothing to refresh.
    async fn analyze_users(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn delete_user(&self, appid: &AppId, openid: &OpenId) -> StoreResult<bool> {
        let (appid, openid) = (appid.clone(), openid.clone());
        self.writer
            .write(move |c| workspace::delete_user(c, &appid, &openid))
            .await
    }

    async fn create_tag(&self, appid: &AppId, name: &str, now: Timestamp) -> StoreResult<Tag> {
        let (appid, name) = (appid.clone(), name.to_owned());
        self.writer
            .write(move |c| segments::create_tag(c, &appid, &name, now))
            .await
    }

    async fn list_tags(&self, appid: &AppId) -> StoreResult<Vec<Tag>> {
        let appid = appid.clone();
        self.readers
            .read(move |c| segments::list_tags(c, &appid))
            .await
    }

    async fn rename_tag(&self, appid: &AppId, id: i64, name: &str) -> StoreResult<Option<Tag>> {
        let (appid, name) = (appid.clone(), name.to_owned());
        self.writer
            .write(move |c| segments::rename_tag(c, &appid, id, &name))
            .await
    }

    async fn delete_tag(&self, appid: &AppId, id: i64) -> StoreResult<bool> {
        let appid = appid.clone();
        self.writer
            .write(move |c| segments::delete_tag(c, &appid, id))
            .await
    }

    async fn tag_users(&self, appid: &AppId, tag_id: i64, openids: &[OpenId]) -> StoreResult<u64> {
        let (appid, openids) = (appid.clone(), openids.to_vec());
        self.writer
            .write(move |c| segments::tag_users(c, &appid, tag_id, &openids))
            .await
    }

    async fn untag_users(
        &self,
        appid: &AppId,
        tag_id: i64,
        openids: &[OpenId],
    ) -> StoreResult<u64> {
        let (appid, openids) = (appid.clone(), openids.to_vec());
        self.writer
            .write(move |c| segments::untag_users(c, &appid, tag_id, &openids))
            .await
    }

    async fn create_send(&self, send: &NewSend) -> StoreResult<SendRecord> {
        let send = send.clone();
        self.writer
            .write(move |c| segments::create_send(c, &send))
            .await
    }

    async fn get_send(&self, id: i64) -> StoreResult<Option<SendRecord>> {
        self.readers.read(move |c| segments::get_send(c, id)).await
    }

    async fn list_sends(
        &self,
        appid: &AppId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<SendRecord>> {
        let appid = appid.clone();
        self.readers
            .read(move |c| segments::list_sends(c, &appid, before, limit))
            .await
    }

    async fn cancel_send(&self, id: i64, now: Timestamp) -> StoreResult<Option<SendRecord>> {
        self.writer
            .write(move |c| segments::cancel_send(c, id, now))
            .await
    }

    async fn claim_send(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        claim: &str,
    ) -> StoreResult<Option<SendRecord>> {
        let claim = claim.to_owned();
        self.writer
            .write(move |c| segments::claim_send(c, now, lease_until, &claim))
            .await
    }

    async fn count_audience(&self, appid: &AppId, audience: &Audience) -> StoreResult<i64> {
        let (appid, audience) = (appid.clone(), audience.clone());
        self.readers
            .read(move |c| segments::count_audience(c, &appid, &audience))
            .await
    }

    async fn audience_page(
        &self,
        appid: &AppId,
        audience: &Audience,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<User>> {
        let (appid, audience, after) = (appid.clone(), audience.clone(), after.map(str::to_owned));
        self.readers
            .read(move |c| segments::audience_page(c, &appid, &audience, after.as_deref(), limit))
            .await
    }

    async fn commit_chunk(&self, chunk: &Chunk, turn: Turn) -> StoreResult<ChunkOutcome> {
        // Rows are split and serialized here, off the writer.
        let id = chunk.send.id;
        let frame = self
            .readers
            .lookup(move |c| segments::send_frame(c, id))
            .await?;
        let job = chunk_insert::StoredChunk::new(chunk, frame)?;
        turn.await;
        self.writer
            .write(move |c| segments::commit_chunk(c, &job))
            .await
    }

    async fn list_recipients(
        &self,
        send_id: i64,
        status: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        let status = status.map(str::to_owned);
        self.readers
            .read(move |c| segments::list_recipients(c, send_id, status.as_deref(), after, limit))
            .await
    }

    async fn message_by_link(&self, token: &str) -> StoreResult<Option<Message>> {
        let token = token.to_owned();
        self.readers
            .read(move |c| segments::message_by_link(c, &token))
            .await
    }

    async fn record_click(
        &self,
        message: &Message,
        url: &str,
        user_agent: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Click> {
        let (m, url, ua) = (
            message.clone(),
            url.to_owned(),
            user_agent.map(str::to_owned),
        );
        self.writer
            .write(move |c| segments::record_click(c, &m, &url, ua.as_deref(), now))
            .await
    }

    async fn list_clicks(
        &self,
        send_id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Click>> {
        self.readers
            .read(move |c| segments::list_clicks(c, send_id, after, limit))
            .await
    }

    async fn send_timeline(
        &self,
        send_id: i64,
        bucket_ms: i64,
        max_buckets: u32,
    ) -> StoreResult<Vec<TimelineBucket>> {
        self.readers
            .read(move |c| console::send_timeline(c, send_id, bucket_ms, max_buckets))
            .await
    }

    async fn insert_inbox_pass(&self, pass: &InboxPass) -> StoreResult<()> {
        let pass = pass.clone();
        self.writer
            .write(move |c| console::insert_inbox_pass(c, &pass))
            .await
    }

    async fn inbox_pass(&self, hash: &TokenHash) -> StoreResult<Option<InboxPass>> {
        let hash = *hash;
        self.readers
            .lookup(move |c| console::inbox_pass(c, &hash))
            .await
    }

    async fn create_webhook(
        &self,
        appid: &AppId,
        url: &str,
        secret: &str,
        event_types: &[String],
        now: Timestamp,
    ) -> StoreResult<Webhook> {
        let (appid, url, secret, types) = (
            appid.clone(),
            url.to_owned(),
            secret.to_owned(),
            event_types.to_vec(),
        );
        self.writer
            .write(move |c| events::create_webhook(c, &appid, &url, &secret, &types, now))
            .await
    }

    async fn list_webhooks(&self, appid: &AppId) -> StoreResult<Vec<Webhook>> {
        let appid = appid.clone();
        self.readers
            .read(move |c| events::list_webhooks(c, &appid))
            .await
    }

    async fn delete_webhook(&self, appid: &AppId, id: i64, now: Timestamp) -> StoreResult<bool> {
        let appid = appid.clone();
        self.writer
            .write(move |c| events::delete_webhook(c, &appid, id, now))
            .await
    }

    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        claim: &str,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>> {
        let claim = claim.to_owned();
        self.writer
            .write(move |c| events::claim_deliveries(c, now, lease_until, &claim, limit))
            .await
    }

    async fn finish_delivery(
        &self,
        id: i64,
        claim: &str,
        result: &AttemptResult,
        now: Timestamp,
    ) -> StoreResult<()> {
        let (claim, result) = (claim.to_owned(), result.clone());
        self.writer
            .write(move |c| events::finish_delivery(c, id, &claim, &result, now))
            .await
    }

    async fn list_deliveries(
        &self,
        appid: &AppId,
        webhook_id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        let appid = appid.clone();
        self.readers
            .read(move |c| events::list_deliveries(c, &appid, webhook_id, after, limit))
            .await
    }

    async fn replay_delivery(
        &self,
        appid: &AppId,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<Option<Delivery>> {
        let appid = appid.clone();
        self.writer
            .write(move |c| events::replay_delivery(c, &appid, id, now))
            .await
    }

    async fn send_stats(&self, send_id: i64) -> StoreResult<SendStats> {
        self.readers
            .read(move |c| marketing::send_stats(c, send_id))
            .await
    }

    async fn insert_marketing(&self, t: &MarketingTemplate) -> StoreResult<i64> {
        let t = t.clone();
        self.writer
            .write(move |c| marketing::insert_marketing(c, &t))
            .await
    }

    async fn get_marketing(
        &self,
        appid: &AppId,
        id: i64,
    ) -> StoreResult<Option<MarketingTemplate>> {
        let appid = appid.clone();
        self.readers
            .read(move |c| marketing::get_marketing(c, &appid, id))
            .await
    }

    async fn update_marketing(&self, t: &MarketingTemplate) -> StoreResult<bool> {
        let t = t.clone();
        self.writer
            .write(move |c| marketing::update_marketing(c, &t))
            .await
    }

    async fn delete_marketing(&self, appid: &AppId, id: i64) -> StoreResult<bool> {
        let appid = appid.clone();
        self.writer
            .write(move |c| marketing::delete_marketing(c, &appid, id))
            .await
    }

    async fn list_marketing(
        &self,
        appid: &AppId,
        title: Option<&str>,
        tag: Option<i64>,
        offset: u32,
        limit: u32,
    ) -> StoreResult<(Vec<MarketingTemplate>, i64)> {
        let (appid, title) = (appid.clone(), title.map(str::to_owned));
        self.readers
            .read(move |c| {
                marketing::list_marketing(c, &appid, title.as_deref(), tag, offset, limit)
            })
            .await
    }

    async fn insert_ws_template(&self, t: &WorkspaceTemplate) -> StoreResult<()> {
        let t = t.clone();
        self.writer
            .write(move |c| workspace::insert_ws_template(c, &t))
            .await
    }

    async fn get_ws_template(&self, id: &WsId) -> StoreResult<Option<WorkspaceTemplate>> {
        let id = id.clone();
        self.readers
            .read(move |c| workspace::get_ws_template(c, &id))
            .await
    }

    async fn update_ws_template(&self, t: &WorkspaceTemplate) -> StoreResult<bool> {
        let t = t.clone();
        self.writer
            .write(move |c| workspace::update_ws_template(c, &t))
            .await
    }

    async fn list_ws_templates(
        &self,
        appid: &AppId,
        kw: Option<&str>,
        skip: u32,
        limit: u32,
    ) -> StoreResult<(Vec<WorkspaceTemplate>, i64)> {
        let (appid, kw) = (appid.clone(), kw.map(str::to_owned));
        self.readers
            .read(move |c| workspace::list_ws_templates(c, &appid, kw.as_deref(), skip, limit))
            .await
    }

    async fn create_proposal(&self, p: &Proposal) -> StoreResult<Proposal> {
        let p = p.clone();
        self.writer
            .write(move |c| governance::create_proposal(c, &p))
            .await
    }

    async fn get_proposal(&self, id: i64) -> StoreResult<Option<Proposal>> {
        self.readers
            .read(move |c| governance::get_proposal(c, id))
            .await
    }

    async fn list_proposals(
        &self,
        state: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Proposal>> {
        let state = state.map(str::to_owned);
        self.readers
            .read(move |c| governance::list_proposals(c, state.as_deref(), after, limit))
            .await
    }

    async fn decide_proposal(
        &self,
        id: i64,
        approve: bool,
        now: Timestamp,
    ) -> StoreResult<Option<Proposal>> {
        self.writer
            .write(move |c| governance::decide_proposal(c, id, approve, now))
            .await
    }

    async fn create_complaint(&self, x: &Complaint) -> StoreResult<Complaint> {
        let x = x.clone();
        self.writer
            .write(move |c| governance::create_complaint(c, &x))
            .await
    }

    async fn get_complaint(&self, id: i64) -> StoreResult<Option<Complaint>> {
        self.readers
            .read(move |c| governance::get_complaint(c, id))
            .await
    }

    async fn list_complaints(
        &self,
        state: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Complaint>> {
        let state = state.map(str::to_owned);
        self.readers
            .read(move |c| governance::list_complaints(c, state.as_deref(), after, limit))
            .await
    }

    async fn dismiss_complaint(&self, id: i64, now: Timestamp) -> StoreResult<Option<Complaint>> {
        self.writer
            .write(move |c| governance::dismiss_complaint(c, id, now))
            .await
    }

    async fn confirm_complaint(&self, id: i64, now: Timestamp) -> StoreResult<Option<Penalty>> {
        self.writer
            .write(move |c| governance::confirm_complaint(c, id, now))
            .await
    }

    async fn list_penalties(&self, appid: &AppId) -> StoreResult<Vec<Penalty>> {
        let appid = appid.clone();
        self.readers
            .read(move |c| governance::list_penalties(c, &appid))
            .await
    }

    async fn insert_notice(
        &self,
        appid: &AppId,
        title: &str,
        body: &str,
        now: Timestamp,
    ) -> StoreResult<Notice> {
        let (appid, title, body) = (appid.clone(), title.to_owned(), body.to_owned());
        self.writer
            .write(move |c| governance::insert_notice(c, &appid, &title, &body, now))
            .await
    }

    async fn list_notices(
        &self,
        appid: &AppId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Notice>> {
        let appid = appid.clone();
        self.readers
            .read(move |c| governance::list_notices(c, &appid, before, limit))
            .await
    }
}
