//! The PostgreSQL backend: a connection pool, one transaction per write.
//! Several Tidings nodes may share the database; writes that must be
//! serialized per app lock the app's row.

mod console;
mod events;
mod governance;
mod marketing;
mod schema;
mod segments;
mod sends;
mod workspace;

use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tidings_engine::governance::{Complaint, Notice, Penalty, Proposal};
use tidings_engine::{
    App, AppId, Audience, Grant, InboxPass, LibraryTitle, MarketingTemplate, Message, OpenId,
    Platform, SecretHash, SendRecord, Tag, Template, TemplateId, Timestamp, TitleId, TokenHash,
    TokenLane, TokenRecord, User, Webhook, WorkspaceTemplate,
};
use tidings_store::rows::{encode_pages, AppRow, TokenRow, APP_COLUMNS, TOKEN_COLUMNS};
use tidings_store::{
    AppPatch, AttemptResult, Chunk, ChunkOutcome, Click, Delivery, DueDelivery, IssueOutcome,
    IssueToken, NewMessage, NewSend, SendOutcome, SendStats, Store, StoreError, StoreResult,
    TemplateInsert, TimelineBucket, Turn,
};
use tokio_postgres::error::SqlState;
use tokio_postgres::{NoTls, Row};

/// Connections per node.
const POOL_SIZE: usize = 16;
/// Any fixed number: the advisory lock that serializes migrations across nodes.
const MIGRATION_LOCK: i64 = 0x7469_6469_6e67;

pub struct PgStore {
    pool: Pool,
}

pub(crate) fn backend(e: tokio_postgres::Error) -> StoreError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        return StoreError::Conflict(e.to_string());
    }
    match e.as_db_error() {
        Some(db) => StoreError::Backend(format!(
            "{} ({}){}",
            db.message(),
            db.code().code(),
            db.detail().map(|d| format!(": {d}")).unwrap_or_default()
        )),
        None => StoreError::Backend(e.to_string()),
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Backend(format!("connection pool: {e}"))
}

fn app_row(r: &Row) -> AppRow {
    AppRow {
        appid: r.get(0),
        name: r.get(1),
        kind: r.get(2),
        pages: r.get(3),
        secret_hash: r.get(4),
        created_at: r.get(5),
        updated_at: r.get(6),
        disabled_at: r.get(7),
        daily_send_limit: r.get(8),
        banned_until: r.get(9),
    }
}

fn token_row(r: &Row) -> TokenRow {
    TokenRow {
        token_hash: r.get(0),
        appid: r.get(1),
        lane: r.get(2),
        generation: r.get(3),
        forced: r.get(4),
        issued_at: r.get(5),
        expires_at: r.get(6),
        superseded_at: r.get(7),
    }
}

impl PgStore {
    /// Connects with a `postgres://` URL and brings the schema up to date.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Backend(format!("invalid PostgreSQL URL: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| StoreError::Backend(format!("building the pool: {e}")))?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    pub(crate) async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_error)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let tx = client.transaction().await.map_err(backend)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(backend)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    BIGINT PRIMARY KEY,
                 name       TEXT NOT NULL,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .await
        .map_err(backend)?;
        for m in schema::MIGRATIONS {
            let applied = tx
                .query_opt(
                    "SELECT 1 FROM schema_migrations WHERE version = $1",
                    &[&m.version],
                )
                .await
                .map_err(backend)?
                .is_some();
            if !applied {
                tracing::info!(
                    version = m.version,
                    name = m.name,
                    "applying postgres migration"
                );
                tx.batch_execute(m.sql).await.map_err(backend)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    &[&m.version, &m.name],
                )
                .await
                .map_err(backend)?;
            }
        }
        tx.commit().await.map_err(backend)
    }

    async fn one_app(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> StoreResult<Option<App>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let stmt = client.prepare_cached(sql).await.map_err(backend)?;
        client
            .query_opt(&stmt, params)
            .await
            .map_err(backend)?
            .map(|r| app_row(&r).into_app())
            .transpose()
    }

    async fn one_token(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> StoreResult<Option<TokenRecord>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let stmt = client.prepare_cached(sql).await.map_err(backend)?;
        client
            .query_opt(&stmt, params)
            .await
            .map_err(backend)?
            .map(|r| token_row(&r).into_record())
            .transpose()
    }
}

async fn issue_token_in<C: GenericClient>(tx: &C, req: &IssueToken) -> StoreResult<IssueOutcome> {
    let appid = req.appid.as_str();
    let lane = req.lane.as_str();
    // Locking the app's row serializes token swaps of one app across nodes.
    let locked = tx
        .query_opt("SELECT 1 FROM apps WHERE appid = $1 FOR UPDATE", &[&appid])
        .await
        .map_err(backend)?;
    if locked.is_none() {
        return Ok(IssueOutcome::NoApp);
    }
    let current: i64 = tx
        .query_opt(
            "SELECT generation FROM tokens WHERE appid = $1 AND lane = $2 AND superseded_at IS NULL",
            &[&appid, &lane],
        )
        .await
        .map_err(backend)?
        .map_or(0, |r| r.get(0));
    if req.expect_generation.is_some_and(|g| g != current) {
        return Ok(IssueOutcome::Raced);
    }
    if let Some(limit) = req.daily_limit {
        let used: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM tokens
                 WHERE appid = $1 AND lane = $2 AND forced = $3 AND issued_at >= $4",
                &[&appid, &lane, &req.forced, &limit.since.as_millis()],
            )
            .await
            .map_err(backend)?
            .get(0);
        if used >= i64::from(limit.max) {
            return Ok(IssueOutcome::LimitReached);
        }
    }
    tx.execute(
        "UPDATE tokens SET superseded_at = $3 WHERE appid = $1 AND lane = $2 AND superseded_at IS NULL",
        &[&appid, &lane, &req.issued_at.as_millis()],
    )
    .await
    .map_err(backend)?;
    let generation = current + 1;
    tx.execute(
        &format!("INSERT INTO tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)"),
        &[
            &req.hash.to_hex(),
            &appid,
            &lane,
            &generation,
            &req.forced,
            &req.issued_at.as_millis(),
            &req.expires_at.as_millis(),
        ],
    )
    .await
    .map_err(backend)?;
    Ok(IssueOutcome::Issued { generation })
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StoreResult<()> {
        let client = self.pool.get().await.map_err(pool_error)?;
        client.execute("SELECT 1", &[]).await.map_err(backend)?;
        Ok(())
    }

    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        Ok(client
            .query_opt("SELECT value FROM settings WHERE key = $1", &[&key])
            .await
            .map_err(backend)?
            .map(|r| r.get(0)))
    }

    async fn init_setting(&self, key: &str, value: &str) -> StoreResult<String> {
        let client = self.pool.get().await.map_err(pool_error)?;
        client
            .execute(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                &[&key, &value],
            )
            .await
            .map_err(backend)?;
        Ok(client
            .query_one("SELECT value FROM settings WHERE key = $1", &[&key])
            .await
            .map_err(backend)?
            .get(0))
    }

    async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        self.pg_put_setting(key, value).await
    }

    async fn insert_app(&self, app: &App) -> StoreResult<()> {
        let row = AppRow::from_app(app);
        let client = self.pool.get().await.map_err(pool_error)?;
        client
            .execute(
                &format!(
                    "INSERT INTO apps ({APP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ),
                &[
                    &row.appid,
                    &row.name,
                    &row.kind,
                    &row.pages,
                    &row.secret_hash,
                    &row.created_at,
                    &row.updated_at,
                    &row.disabled_at,
                    &row.daily_send_limit,
                    &row.banned_until,
                ],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn get_app(&self, appid: &AppId) -> StoreResult<Option<App>> {
        self.one_app(
            &format!("SELECT {APP_COLUMNS} FROM apps WHERE appid = $1"),
            &[&appid.as_str()],
        )
        .await
    }

    async fn list_apps(&self, after: Option<&AppId>, limit: u32) -> StoreResult<Vec<App>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let after = after.map_or("", AppId::as_str);
        let rows = client
            .query(
                &format!("SELECT {APP_COLUMNS} FROM apps WHERE appid > $1 ORDER BY appid LIMIT $2"),
                &[&after, &i64::from(limit)],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(|r| app_row(r).into_app()).collect()
    }

    async fn update_app(
        &self,
        appid: &AppId,
        patch: &AppPatch,
        now: Timestamp,
    ) -> StoreResult<Option<App>> {
        let name = patch.name.as_ref().map(|n| n.as_str());
        let pages = patch.pages.as_ref().map(encode_pages);
        self.one_app(
            &format!(
                "UPDATE apps SET name = COALESCE($2, name), pages = COALESCE($3, pages),
                     daily_send_limit = COALESCE($5, daily_send_limit), updated_at = $4
                 WHERE appid = $1 RETURNING {APP_COLUMNS}"
            ),
            &[
                &appid.as_str(),
                &name,
                &pages,
                &now.as_millis(),
                &patch.daily_send_limit.map(i64::from),
            ],
        )
        .await
    }

    async fn set_app_secret(
        &self,
        appid: &AppId,
        secret: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<Option<App>> {
        self.one_app(
            &format!(
                "UPDATE apps SET secret_hash = $2, updated_at = $3 WHERE appid = $1 RETURNING {APP_COLUMNS}"
            ),
            &[&appid.as_str(), &secret.to_hex(), &now.as_millis()],
        )
        .await
    }

    async fn disable_app(&self, appid: &AppId, now: Timestamp) -> StoreResult<Option<App>> {
        self.one_app(
            &format!(
                "UPDATE apps SET disabled_at = COALESCE(disabled_at, $2), updated_at = $2
                 WHERE appid = $1 RETURNING {APP_COLUMNS}"
            ),
            &[&appid.as_str(), &now.as_millis()],
        )
        .await
    }

    async fn issue_token(&self, req: &IssueToken) -> StoreResult<IssueOutcome> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let tx = client.transaction().await.map_err(backend)?;
        let outcome = issue_token_in(&tx, req).await?;
        if matches!(outcome, IssueOutcome::Issued { .. }) {
            tx.commit().await.map_err(backend)?;
        }
        Ok(outcome)
    }

    async fn get_token(&self, hash: &TokenHash) -> StoreResult<Option<TokenRecord>> {
        self.one_token(
            &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE token_hash = $1"),
            &[&hash.to_hex()],
        )
        .await
    }

    async fn current_token(
        &self,
        appid: &AppId,
        lane: TokenLane,
    ) -> StoreResult<Option<TokenRecord>> {
        self.one_token(
            &format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens
                 WHERE appid = $1 AND lane = $2 AND superseded_at IS NULL"
            ),
            &[&appid.as_str(), &lane.as_str()],
        )
        .await
    }

    async fn prune_tokens(&self, before: Timestamp) -> StoreResult<u64> {
        let client = self.pool.get().await.map_err(pool_error)?;
        client
            .execute(
                "DELETE FROM tokens WHERE superseded_at IS NOT NULL AND expires_at < $1",
                &[&before.as_millis()],
            )
            .await
            .map_err(backend)
    }

    async fn load_library(&self, titles: &[LibraryTitle]) -> StoreResult<u64> {
        self.pg_load_library(titles).await
    }
    async fn library_page(
        &self,
        offset: u32,
        count: u32,
        search: &str,
    ) -> StoreResult<(Vec<LibraryTitle>, u64)> {
        self.pg_library_page(offset, count, search).await
    }
    async fn library_title(&self, id: &TitleId) -> StoreResult<Option<LibraryTitle>> {
        self.pg_library_title(id).await
    }
    async fn insert_template(&self, t: &Template, max_per_app: u32) -> StoreResult<TemplateInsert> {
        self.pg_insert_template(t, max_per_app).await
    }
    async fn get_template(&self, id: &TemplateId) -> StoreResult<Option<Template>> {
        self.pg_get_template(id).await
    }
    async fn list_templates(
        &self,
        appid: &AppId,
        offset: u32,
        count: u32,
    ) -> StoreResult<Vec<Template>> {
        self.pg_list_templates(appid, offset, count).await
    }
    async fn delete_template(&self, appid: &AppId, id: &TemplateId) -> StoreResult<bool> {
        self.pg_delete_template(appid, id).await
    }
    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        self.pg_insert_user(user).await
    }
    async fn get_user(&self, appid: &AppId, openid: &OpenId) -> StoreResult<Option<User>> {
        self.pg_get_user(appid, openid).await
    }
    async fn insert_grant(&self, grant: &Grant) -> StoreResult<()> {
        self.pg_insert_grant(grant).await
    }
    async fn send_message(&self, message: &Arc<NewMessage>) -> StoreResult<SendOutcome> {
        self.pg_send_message(message).await
    }
    async fn list_messages(
        &self,
        appid: &AppId,
        openid: &OpenId,
        platform: Option<Platform>,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        self.pg_list_messages(appid, openid, platform, before, limit)
            .await
    }
    async fn mark_read(
        &self,
        appid: &AppId,
        openid: &OpenId,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<Option<Message>> {
        self.pg_mark_read(appid, openid, id, now).await
    }
    async fn messages_after(
        &self,
        appid: &AppId,
        openid: &OpenId,
        platform: Option<Platform>,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        self.pg_messages_after(appid, openid, platform, after, limit)
            .await
    }
    async fn upsert_users(&self, users: &[User]) -> StoreResult<u64> {
        self.pg_upsert_users(users).await
    }
    /// Without statistics (a table filled since the last autovacuum
    /// analyze), PostgreSQL plans a keyset page as a bitmap scan and a sort
    /// of every later row: O(n) a page instead of an index range.
    async fn analyze_users(&self) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .batch_execute("ANALYZE users, user_tags, employee_orgs")
            .await
            .map_err(backend)
    }
    async fn delete_user(&self, appid: &AppId, openid: &OpenId) -> StoreResult<bool> {
        self.pg_delete_user(appid, openid).await
    }
    async fn create_tag(&self, appid: &AppId, name: &str, now: Timestamp) -> StoreResult<Tag> {
        self.pg_create_tag(appid, name, now).await
    }
    async fn list_tags(&self, appid: &AppId) -> StoreResult<Vec<Tag>> {
        self.pg_list_tags(appid).await
    }
    async fn rename_tag(&self, appid: &AppId, id: i64, name: &str) -> StoreResult<Option<Tag>> {
        self.pg_rename_tag(appid, id, name).await
    }
    async fn delete_tag(&self, appid: &AppId, id: i64) -> StoreResult<bool> {
        self.pg_delete_tag(appid, id).await
    }
    async fn tag_users(&self, appid: &AppId, tag_id: i64, openids: &[OpenId]) -> StoreResult<u64> {
        self.pg_tag_users(appid, tag_id, openids).await
    }
    async fn untag_users(
        &self,
        appid: &AppId,
        tag_id: i64,
        openids: &[OpenId],
    ) -> StoreResult<u64> {
        self.pg_untag_users(appid, tag_id, openids).await
    }
    async fn create_send(&self, send: &NewSend) -> StoreResult<SendRecord> {
        self.pg_create_send(send).await
    }
    async fn get_send(&self, id: i64) -> StoreResult<Option<SendRecord>> {
        self.pg_get_send(id).await
    }
    async fn list_sends(
        &self,
        appid: &AppId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<SendRecord>> {
        self.pg_list_sends(appid, before, limit).await
    }
    async fn cancel_send(&self, id: i64, now: Timestamp) -> StoreResult<Option<SendRecord>> {
        self.pg_cancel_send(id, now).await
    }
    async fn claim_send(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        claim: &str,
    ) -> StoreResult<Option<SendRecord>> {
        self.pg_claim_send(now, lease_until, claim).await
    }
    async fn count_audience(&self, appid: &AppId, audience: &Audience) -> StoreResult<i64> {
        self.pg_count_audience(appid, audience).await
    }
    async fn audience_page(
        &self,
        appid: &AppId,
        audience: &Audience,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<User>> {
        self.pg_audience_page(appid, audience, after, limit).await
    }
    async fn commit_chunk(&self, chunk: &Chunk, turn: Turn) -> StoreResult<ChunkOutcome> {
        self.pg_commit_chunk(chunk, turn).await
    }
    async fn list_recipients(
        &self,
        send_id: i64,
        status: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        self.pg_list_recipients(send_id, status, after, limit).await
    }
    async fn message_by_link(&self, token: &str) -> StoreResult<Option<Message>> {
        self.pg_message_by_link(token).await
    }
    async fn record_click(
        &self,
        message: &Message,
        url: &str,
        user_agent: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Click> {
        self.pg_record_click(message, url, user_agent, now).await
    }
    async fn list_clicks(
        &self,
        send_id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Click>> {
        self.pg_list_clicks(send_id, after, limit).await
    }
    async fn send_timeline(
        &self,
        send_id: i64,
        bucket_ms: i64,
        max_buckets: u32,
    ) -> StoreResult<Vec<TimelineBucket>> {
        self.pg_send_timeline(send_id, bucket_ms, max_buckets).await
    }
    async fn insert_inbox_pass(&self, pass: &InboxPass) -> StoreResult<()> {
        self.pg_insert_inbox_pass(pass).await
    }
    async fn inbox_pass(&self, hash: &TokenHash) -> StoreResult<Option<InboxPass>> {
        self.pg_inbox_pass(hash).await
    }
    async fn create_webhook(
        &self,
        appid: &AppId,
        url: &str,
        secret: &str,
        event_types: &[String],
        now: Timestamp,
    ) -> StoreResult<Webhook> {
        self.pg_create_webhook(appid, url, secret, event_types, now)
            .await
    }
    async fn list_webhooks(&self, appid: &AppId) -> StoreResult<Vec<Webhook>> {
        self.pg_list_webhooks(appid).await
    }
    async fn delete_webhook(&self, appid: &AppId, id: i64, now: Timestamp) -> StoreResult<bool> {
        self.pg_delete_webhook(appid, id, now).await
    }
    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        claim: &str,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>> {
        self.pg_claim_deliveries(now, lease_until, claim, limit)
            .await
    }
    async fn finish_delivery(
        &self,
        id: i64,
        claim: &str,
        result: &AttemptResult,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.pg_finish_delivery(id, claim, result, now).await
    }
    async fn list_deliveries(
        &self,
        appid: &AppId,
        webhook_id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        self.pg_list_deliveries(appid, webhook_id, after, limit)
            .await
    }
    async fn replay_delivery(
        &self,
        appid: &AppId,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<Option<Delivery>> {
        self.pg_replay_delivery(appid, id, now).await
    }
    async fn send_stats(&self, send_id: i64) -> StoreResult<SendStats> {
        self.pg_send_stats(send_id).await
    }
    async fn insert_marketing(&self, t: &MarketingTemplate) -> StoreResult<i64> {
        self.pg_insert_marketing(t).await
    }
    async fn get_marketing(
        &self,
        appid: &AppId,
        id: i64,
    ) -> StoreResult<Option<MarketingTemplate>> {
        self.pg_get_marketing(appid, id).await
    }
    async fn update_marketing(&self, t: &MarketingTemplate) -> StoreResult<bool> {
        self.pg_update_marketing(t).await
    }
    async fn delete_marketing(&self, appid: &AppId, id: i64) -> StoreResult<bool> {
        self.pg_delete_marketing(appid, id).await
    }
    async fn list_marketing(
        &self,
        appid: &AppId,
        title: Option<&str>,
        tag: Option<i64>,
        offset: u32,
        limit: u32,
    ) -> StoreResult<(Vec<MarketingTemplate>, i64)> {
        self.pg_list_marketing(appid, title, tag, offset, limit)
            .await
    }
    async fn insert_ws_template(&self, t: &WorkspaceTemplate) -> StoreResult<()> {
        self.pg_insert_ws_template(t).await
    }
    async fn get_ws_template(&self, id: &TemplateId) -> StoreResult<Option<WorkspaceTemplate>> {
        self.pg_get_ws_template(id).await
    }
    async fn update_ws_template(&self, t: &WorkspaceTemplate) -> StoreResult<bool> {
        self.pg_update_ws_template(t).await
    }
    async fn list_ws_templates(
        &self,
        appid: &AppId,
        kw: Option<&str>,
        skip: u32,
        limit: u32,
    ) -> StoreResult<(Vec<WorkspaceTemplate>, i64)> {
        self.pg_list_ws_templates(appid, kw, skip, limit).await
    }
    async fn create_proposal(&self, p: &Proposal) -> StoreResult<Proposal> {
        self.pg_create_proposal(p).await
    }
    async fn get_proposal(&self, id: i64) -> StoreResult<Option<Proposal>> {
        self.pg_get_proposal(id).await
    }
    async fn list_proposals(
        &self,
        state: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Proposal>> {
        self.pg_list_proposals(state, after, limit).await
    }
    async fn decide_proposal(
        &self,
        id: i64,
        approve: bool,
        now: Timestamp,
    ) -> StoreResult<Option<Proposal>> {
        self.pg_decide_proposal(id, approve, now).await
    }
    async fn create_complaint(&self, c: &Complaint) -> StoreResult<Complaint> {
        self.pg_create_complaint(c).await
    }
    async fn get_complaint(&self, id: i64) -> StoreResult<Option<Complaint>> {
        self.pg_get_complaint(id).await
    }
    async fn list_complaints(
        &self,
        state: Option<&str>,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Complaint>> {
        self.pg_list_complaints(state, after, limit).await
    }
    async fn dismiss_complaint(&self, id: i64, now: Timestamp) -> StoreResult<Option<Complaint>> {
        self.pg_dismiss_complaint(id, now).await
    }
    async fn confirm_complaint(&self, id: i64, now: Timestamp) -> StoreResult<Option<Penalty>> {
        self.pg_confirm_complaint(id, now).await
    }
    async fn list_penalties(&self, appid: &AppId) -> StoreResult<Vec<Penalty>> {
        self.pg_list_penalties(appid).await
    }
    async fn insert_notice(
        &self,
        appid: &AppId,
        title: &str,
        body: &str,
        now: Timestamp,
    ) -> StoreResult<Notice> {
        self.pg_insert_notice(appid, title, body, now).await
    }
    async fn list_notices(
        &self,
        appid: &AppId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Notice>> {
        self.pg_list_notices(appid, before, limit).await
    }
}
