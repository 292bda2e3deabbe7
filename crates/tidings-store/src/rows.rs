//! Rows as both backends read and write them: plain columns, converted to
//! and from domain types in one place.

use tidings_engine::{
    App, AppId, AppKind, AppName, Audience, Grant, LibraryTitle, MarketingTemplate, Match, Message,
    OpenId, Pages, SecretHash, SendRecord, SendSpec, SendState, Tag, Template, TemplateId,
    Timestamp, TitleId, TokenHash, TokenLane, TokenRecord, User, Webhook,
};
use tidings_engine::{Platform, SourceType, TemplateDraft, WorkspaceTemplate};

use crate::{AttemptResult, Click, Delivery, NewMessage, SendOutcome, StoreError, StoreResult};

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// The columns of `apps`, in the order every backend selects them.
pub const APP_COLUMNS: &str =
    "appid, name, kind, pages, secret_hash, created_at, updated_at, disabled_at, daily_send_limit, \
     banned_until";

/// An `apps` row as read.
#[derive(Debug, Clone)]
pub struct AppRow {
    pub appid: String,
    pub name: String,
    pub kind: String,
    pub pages: String,
    pub secret_hash: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub disabled_at: Option<i64>,
    pub daily_send_limit: Option<i64>,
    pub banned_until: Option<i64>,
}

impl AppRow {
    pub fn from_app(app: &App) -> Self {
        Self {
            appid: app.appid.as_str().to_owned(),
            name: app.name.as_str().to_owned(),
            kind: app.kind.as_str().to_owned(),
            pages: encode_pages(&app.pages),
            secret_hash: app.secret_hash.to_hex(),
            created_at: app.created_at.as_millis(),
            updated_at: app.updated_at.as_millis(),
            disabled_at: app.disabled_at.map(Timestamp::as_millis),
            daily_send_limit: app.daily_send_limit.map(i64::from),
            banned_until: app.banned_until.map(Timestamp::as_millis),
        }
    }

    pub fn into_app(self) -> StoreResult<App> {
        let pages: Vec<String> =
            serde_json::from_str(&self.pages).map_err(|e| corrupt("apps.pages", e))?;
        Ok(App {
            appid: AppId::parse(&self.appid).map_err(|e| corrupt("apps.appid", e))?,
            name: AppName::parse(&self.name).map_err(|e| corrupt("apps.name", e))?,
            kind: self
                .kind
                .parse::<AppKind>()
                .map_err(|e| corrupt("apps.kind", e))?,
            pages: Pages::parse_all(&pages).map_err(|e| corrupt("apps.pages", e))?,
            secret_hash: SecretHash::from_hex(&self.secret_hash)
                .map_err(|e| corrupt("apps.secret_hash", e))?,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
            disabled_at: self.disabled_at.map(Timestamp::from_millis),
            daily_send_limit: self
                .daily_send_limit
                .map(u32::try_from)
                .transpose()
                .map_err(|e| corrupt("apps.daily_send_limit", e))?,
            banned_until: self.banned_until.map(Timestamp::from_millis),
        })
    }
}

pub fn encode_pages(pages: &Pages) -> String {
    let raw: Vec<&str> = pages.as_slice().iter().map(|p| p.as_str()).collect();
    serde_json::to_string(&raw).expect("a list of strings always serializes")
}

/// The columns of `tokens`, in the order every backend selects them.
pub const TOKEN_COLUMNS: &str =
    "token_hash, appid, lane, generation, forced, issued_at, expires_at, superseded_at";

/// A `tokens` row as read.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub token_hash: String,
    pub appid: String,
    pub lane: String,
    pub generation: i64,
    pub forced: bool,
    pub issued_at: i64,
    pub expires_at: i64,
    pub superseded_at: Option<i64>,
}

impl TokenRow {
    pub fn into_record(self) -> StoreResult<TokenRecord> {
        Ok(TokenRecord {
            hash: TokenHash::from_hex(&self.token_hash)
                .map_err(|e| corrupt("tokens.token_hash", e))?,
            appid: AppId::parse(&self.appid).map_err(|e| corrupt("tokens.appid", e))?,
            lane: TokenLane::parse(&self.lane).map_err(|e| corrupt("tokens.lane", e))?,
            generation: self.generation,
            forced: self.forced,
            issued_at: Timestamp::from_millis(self.issued_at),
            expires_at: Timestamp::from_millis(self.expires_at),
            superseded_at: self.superseded_at.map(Timestamp::from_millis),
        })
    }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("rows serialize")
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, raw: &str) -> StoreResult<T> {
    serde_json::from_str(raw).map_err(|e| corrupt(what, e))
}

/// A `library_titles` row.
#[derive(Debug, Clone)]
pub struct LibraryRow {
    pub id: String,
    pub num: i64,
    pub title: String,
    pub keywords: String,
}

impl LibraryRow {
    pub fn from_title(t: &LibraryTitle) -> Self {
        Self {
            id: t.id.as_str().to_owned(),
            num: t.id.as_str()[2..].parse().unwrap_or(0),
            title: t.title.clone(),
            keywords: json(&t.keywords),
        }
    }

    pub fn into_title(self) -> StoreResult<LibraryTitle> {
        Ok(LibraryTitle {
            id: TitleId::parse(&self.id).map_err(|e| corrupt("library_titles.id", e))?,
            title: self.title,
            keywords: from_json("library_titles.keywords", &self.keywords)?,
        })
    }
}

pub const TEMPLATE_COLUMNS: &str = "template_id, appid, title_id, title, keywords, created_at";

/// A `templates` row.
#[derive(Debug, Clone)]
pub struct TemplateRow {
    pub template_id: String,
    pub appid: String,
    pub title_id: String,
    pub title: String,
    pub keywords: String,
    pub created_at: i64,
}

impl TemplateRow {
    pub fn from_template(t: &Template) -> Self {
        Self {
            template_id: t.template_id.as_str().to_owned(),
            appid: t.appid.as_str().to_owned(),
            title_id: t.title_id.as_str().to_owned(),
            title: t.title.clone(),
            keywords: json(&t.keywords),
            created_at: t.created_at.as_millis(),
        }
    }

    pub fn into_template(self) -> StoreResult<Template> {
        Ok(Template {
            template_id: TemplateId::parse(&self.template_id)
                .map_err(|e| corrupt("templates.template_id", e))?,
            appid: AppId::parse(&self.appid).map_err(|e| corrupt("templates.appid", e))?,
            title_id: TitleId::parse(&self.title_id)
                .map_err(|e| corrupt("templates.title_id", e))?,
            title: self.title,
            keywords: from_json("templates.keywords", &self.keywords)?,
            created_at: Timestamp::from_millis(self.created_at),
        })
    }
}

pub const USER_COLUMNS: &str = "appid, openid, nickname, profile, created_at";

/// A `users` row.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub appid: String,
    pub openid: String,
    pub nickname: Option<String>,
    pub profile: String,
    pub created_at: i64,
}

impl UserRow {
    pub fn from_user(u: &User) -> Self {
        Self {
            appid: u.appid.as_str().to_owned(),
            openid: u.openid.as_str().to_owned(),
            nickname: u.nickname.clone(),
            profile: json(&u.profile),
            created_at: u.created_at.as_millis(),
        }
    }

    pub fn into_user(self) -> StoreResult<User> {
        Ok(User {
            appid: AppId::parse(&self.appid).map_err(|e| corrupt("users.appid", e))?,
            openid: OpenId::parse(&self.openid).map_err(|e| corrupt("users.openid", e))?,
            nickname: self.nickname,
            profile: from_json("users.profile", &self.profile)?,
            created_at: Timestamp::from_millis(self.created_at),
        })
    }
}

/// A grant's columns as written.
pub struct GrantRow {
    pub grant_id: String,
    pub appid: String,
    pub openid: String,
    pub kind: &'static str,
    pub remaining: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

impl GrantRow {
    pub fn from_grant(g: &Grant) -> Self {
        Self {
            grant_id: g.id.as_str().to_owned(),
            appid: g.appid.as_str().to_owned(),
            openid: g.openid.as_str().to_owned(),
            kind: g.kind.as_str(),
            remaining: i64::from(g.remaining),
            created_at: g.created_at.as_millis(),
            expires_at: g.expires_at.as_millis(),
        }
    }
}

/// Why the conditional update that uses a grant did not take `msg`'s
/// grant, from the grant's stored state read after it. A grant that reads
/// usable was used up by a concurrent send in between.
pub fn grant_refusal(stored: Option<(String, String, i64, i64)>, msg: &NewMessage) -> SendOutcome {
    match stored {
        Some((appid, openid, remaining, expires_at))
            if appid == msg.appid.as_str() && openid == msg.openid.as_str() =>
        {
            if remaining > 0 && expires_at <= msg.created_at.as_millis() {
                SendOutcome::GrantUnknown
            } else {
                SendOutcome::GrantUsedUp
            }
        }
        _ => SendOutcome::GrantUnknown,
    }
}

/// The columns of the `message_view` view: a message with what its send
/// keeps once for all its recipients filled in (see [`crate::frame`]).
pub const MESSAGE_COLUMNS: &str = "id, appid, openid, template_id, title, rows, emphasis, page, \
     created_at, read_at, send_id, status, failed_reason, link_token, url, delivered_at, clicked_at, \
     card, platforms, frame, link_secret";

/// A `messages` row.
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: i64,
    pub appid: String,
    pub openid: String,
    pub template_id: Option<String>,
    pub title: Option<String>,
    pub rows: String,
    pub emphasis: Option<i64>,
    pub page: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub send_id: Option<i64>,
    pub status: String,
    pub failed_reason: Option<String>,
    pub link_token: Option<String>,
    pub url: Option<String>,
    pub delivered_at: Option<i64>,
    pub clicked_at: Option<i64>,
    pub card: Option<String>,
    pub platforms: Option<String>,
    /// The send's frame, when its messages keep only their values.
    pub frame: Option<String>,
    /// The tracking link's secret (schema v10); messages from before keep
    /// their whole token in `link_token` instead.
    pub link_secret: Option<String>,
}

/// A chunk message's `status` and `delivered_at`: a failed message was
/// never delivered.
pub fn chunk_status(failed: bool, now: i64) -> (&'static str, Option<i64>) {
    match failed {
        true => ("failed", None),
        false => ("delivered", Some(now)),
    }
}

/// The `platforms` column: `,IOS,ANDROID,`, so that one platform matches
/// `LIKE '%,IOS,%'`; `None` for messages that are not workspace cards.
pub fn platforms_column(platforms: &[Platform]) -> Option<String> {
    if platforms.is_empty() {
        return None;
    }
    let mut s = String::from(",");
    for p in platforms {
        s.push_str(p.as_str());
        s.push(',');
    }
    Some(s)
}

/// The `LIKE` pattern selecting one platform's messages.
pub fn platform_pattern(platform: Option<Platform>) -> Option<String> {
    platform.map(|p| format!("%,{},%", p.as_str()))
}

/// The `card` column of a send's messages.
pub fn card_column(spec: &SendSpec) -> Option<String> {
    spec.workspace.as_ref().map(|w| w.card.to_string())
}

impl MessageRow {
    pub fn rows_json(msg: &NewMessage) -> String {
        json(&msg.rows)
    }

    pub fn into_message(self) -> StoreResult<Message> {
        let rows = crate::frame::rows(&self.rows, self.frame.as_deref())?;
        Ok(Message {
            id: self.id,
            appid: AppId::parse(&self.appid).map_err(|e| corrupt("messages.appid", e))?,
            openid: OpenId::parse(&self.openid).map_err(|e| corrupt("messages.openid", e))?,
            template_id: TemplateId::parse(self.template_id.as_deref().unwrap_or_default())
                .map_err(|e| corrupt("messages.template_id", e))?,
            title: self.title.unwrap_or_default(),
            rows,
            emphasis: self.emphasis.map(|e| e as usize),
            page: self.page,
            created_at: Timestamp::from_millis(self.created_at),
            read_at: self.read_at.map(Timestamp::from_millis),
            send_id: self.send_id,
            status: self.status,
            failed_reason: self.failed_reason,
            link_token: self.link_token.or_else(|| {
                let secret = self.link_secret.as_deref()?;
                tidings_engine::message::link_token(self.id, secret)
            }),
            url: self.url,
            delivered_at: self.delivered_at.map(Timestamp::from_millis),
            clicked_at: self.clicked_at.map(Timestamp::from_millis),
            card: self
                .card
                .as_deref()
                .map(|c| from_json("messages.card", c))
                .transpose()?,
            platforms: self
                .platforms
                .as_deref()
                .unwrap_or("")
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|p| Platform::parse(p).map_err(|e| corrupt("messages.platforms", e)))
                .collect::<StoreResult<_>>()?,
        })
    }
}

pub const SEND_COLUMNS: &str = "id, appid, kind, template_id, title, spec, state, expects, oks, \
     fails, cursor, created_at, started_at, finished_at, claim, marketing_hits";

/// A `sends` row.
#[derive(Debug, Clone)]
pub struct SendRow {
    pub id: i64,
    pub appid: String,
    pub kind: String,
    pub template_id: String,
    pub title: String,
    pub spec: String,
    pub state: String,
    pub expects: i64,
    pub oks: i64,
    pub fails: i64,
    pub cursor: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub claim: Option<String>,
    pub marketing_hits: i64,
}

pub fn spec_json(spec: &SendSpec) -> String {
    json(spec)
}

/// The spec of a single send's record: what the card carried.
pub fn single_spec(m: &NewMessage) -> String {
    json(&SendSpec {
        data: None,
        page: m.page.clone(),
        url: m.url.clone(),
        color: None,
        emphasis_keyword: m.emphasis.map(|i| format!("keyword{}.DATA", i + 1)),
        audience: None,
        miniprogram: None,
        marketing_id: None,
        workspace: None,
    })
}

impl SendRow {
    pub fn into_send(self) -> StoreResult<SendRecord> {
        Ok(SendRecord {
            id: self.id,
            appid: AppId::parse(&self.appid).map_err(|e| corrupt("sends.appid", e))?,
            kind: self.kind,
            template_id: TemplateId::parse(&self.template_id)
                .map_err(|e| corrupt("sends.template_id", e))?,
            title: self.title,
            spec: from_json("sends.spec", &self.spec)?,
            state: SendState::parse(&self.state).map_err(|e| corrupt("sends.state", e))?,
            expects: self.expects,
            oks: self.oks,
            fails: self.fails,
            cursor: self.cursor,
            created_at: Timestamp::from_millis(self.created_at),
            started_at: self.started_at.map(Timestamp::from_millis),
            finished_at: self.finished_at.map(Timestamp::from_millis),
            claim: self.claim,
            marketing_hits: self.marketing_hits,
        })
    }
}

/// A `tags` row.
pub struct TagRow {
    pub id: i64,
    pub appid: String,
    pub name: String,
    pub created_at: i64,
}

impl TagRow {
    pub fn into_tag(self) -> StoreResult<Tag> {
        Ok(Tag {
            id: self.id,
            appid: AppId::parse(&self.appid).map_err(|e| corrupt("tags.appid", e))?,
            name: self.name,
            created_at: Timestamp::from_millis(self.created_at),
        })
    }
}

pub const CLICK_COLUMNS: &str = "id, message_id, send_id, openid, url, at, user_agent";

/// A `clicks` row.
pub struct ClickRow {
    pub id: i64,
    pub message_id: i64,
    pub send_id: Option<i64>,
    pub openid: String,
    pub url: String,
    pub at: i64,
    pub user_agent: Option<String>,
}

impl ClickRow {
    pub fn into_click(self) -> StoreResult<Click> {
        Ok(Click {
            id: self.id,
            message_id: self.message_id,
            send_id: self.send_id,
            openid: OpenId::parse(&self.openid).map_err(|e| corrupt("clicks.openid", e))?,
            url: self.url,
            at: Timestamp::from_millis(self.at),
            user_agent: self.user_agent,
        })
    }
}

/// The SQL that selects an audience's users after a cursor, for both
/// backends: `{p}N` stands for the Nth parameter (appid, cursor, limit, then
/// the audience's list as a JSON array); `text_list` and `int_list` are each
/// backend's way to unnest that array. Returns the query and its list.
pub fn audience_sql(
    audience: &Audience,
    columns: &str,
    text_list: &str,
    int_list: &str,
) -> (String, AudienceParams) {
    let cols: String = columns
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    match audience {
        Audience::All { .. } => (
            format!("SELECT {cols} FROM users u WHERE u.appid = {{p}}1 AND u.openid > {{p}}2 ORDER BY u.openid LIMIT {{p}}3"),
            AudienceParams::None,
        ),
        Audience::OpenIds { openids } => (
            format!(
                "SELECT {cols} FROM users u WHERE u.appid = {{p}}1 AND u.openid > {{p}}2 \
                 AND u.openid IN ({text_list}) ORDER BY u.openid LIMIT {{p}}3"
            ),
            AudienceParams::List(json(&openids.iter().map(|o| o.as_str()).collect::<Vec<_>>())),
        ),
        Audience::Tags { tag_ids, r#match } => {
            let having = match r#match {
                Match::Any => String::new(),
                Match::All => format!(" HAVING COUNT(DISTINCT t.tag_id) = {}", tag_ids.len()),
            };
            (
                format!(
                    "SELECT {cols} FROM users u JOIN user_tags t ON t.appid = u.appid AND t.openid = u.openid \
                     WHERE u.appid = {{p}}1 AND u.openid > {{p}}2 AND t.tag_id IN ({int_list}) \
                     GROUP BY {cols} {having} ORDER BY u.openid LIMIT {{p}}3"
                ),
                AudienceParams::List(json(tag_ids)),
            )
        }
        // One list holds both: client ids never start with a slash, org
        // paths always do. An org path `/1/2/` covers the paths in
        // [`/1/2/`, `/1/20`), which an index on (appid, org_path) serves.
        Audience::Workspace { client_ids, scopes } => {
            let mut list: Vec<&str> = client_ids.iter().map(|o| o.as_str()).collect();
            list.extend(scopes.iter().map(String::as_str));
            (
                format!(
                    "SELECT {cols} FROM users u WHERE u.appid = {{p}}1 AND u.openid > {{p}}2 \
                     AND u.openid IN (\
                       SELECT l.value FROM ({text_list}) l WHERE l.value NOT LIKE '/%' \
                       UNION SELECT o.openid FROM employee_orgs o JOIN ({text_list}) l \
                         ON l.value LIKE '/%' AND o.org_path >= l.value \
                         AND o.org_path < substr(l.value, 1, length(l.value) - 1) || '0' \
                       WHERE o.appid = {{p}}1) \
                     ORDER BY u.openid LIMIT {{p}}3"
                ),
                AudienceParams::List(json(&list)),
            )
        }
    }
}

/// The extra parameter an audience query takes.
#[derive(Debug, Clone)]
pub enum AudienceParams {
    None,
    /// A JSON array, bound as the 4th parameter.
    List(String),
}

/// The body of a message event, as webhooks receive it.
pub fn message_event(kind: &str, at: Timestamp, data: serde_json::Value) -> String {
    serde_json::json!({"type": kind, "timestamp": at.as_millis(), "data": data}).to_string()
}

/// The fields of a message that every message event carries.
pub fn message_data(
    message_id: i64,
    send_id: Option<i64>,
    appid: &str,
    openid: &str,
    template_id: &str,
    reason: Option<&str>,
) -> serde_json::Value {
    let mut v = serde_json::json!({
        "message_id": message_id,
        "send_id": send_id,
        "appid": appid,
        "openid": openid,
        "template_id": template_id,
    });
    if let Some(r) = reason {
        v["reason"] = serde_json::Value::String(r.to_owned());
    }
    v
}

/// Event types as stored on a webhook: `,a,b,`, so `LIKE '%,a,%'` matches.
pub fn event_types_column(types: &[String]) -> String {
    format!(",{},", types.join(","))
}

pub fn event_types_from_column(raw: &str) -> Vec<String> {
    raw.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub const WEBHOOK_COLUMNS: &str = "id, appid, url, secret, event_types, created_at";

/// A `webhooks` row.
pub struct WebhookRow {
    pub id: i64,
    pub appid: String,
    pub url: String,
    pub secret: String,
    pub event_types: String,
    pub created_at: i64,
}

impl WebhookRow {
    pub fn into_webhook(self) -> StoreResult<Webhook> {
        Ok(Webhook {
            id: self.id,
            appid: AppId::parse(&self.appid).map_err(|e| corrupt("webhooks.appid", e))?,
            url: self.url,
            secret: self.secret,
            event_types: event_types_from_column(&self.event_types),
            created_at: Timestamp::from_millis(self.created_at),
        })
    }
}

/// The columns of a delivery listing (deliveries `d` joined with events `e`).
pub const DELIVERY_COLUMNS: &str = "d.id, d.webhook_id, d.event_id, e.type, d.state, d.attempts, \
     d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.updated_at";

/// A delivery listing row.
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: i64,
    pub event_type: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl DeliveryRow {
    pub fn into_delivery(self) -> Delivery {
        Delivery {
            id: self.id,
            webhook_id: self.webhook_id,
            event_id: self.event_id,
            event_type: self.event_type,
            state: self.state,
            attempts: self.attempts.max(0) as u32,
            next_attempt_at: self.next_attempt_at.map(Timestamp::from_millis),
            last_status: self.last_status.and_then(|s| u16::try_from(s).ok()),
            last_error: self.last_error,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        }
    }
}

/// The columns an attempt's end writes: state, next attempt, status, error.
pub fn attempt_columns(
    result: &AttemptResult,
) -> (&'static str, Option<i64>, Option<i64>, Option<String>) {
    match result {
        AttemptResult::Succeeded { status } => ("succeeded", None, Some(i64::from(*status)), None),
        AttemptResult::Retry {
            status,
            error,
            next,
        } => (
            "pending",
            Some(next.as_millis()),
            status.map(i64::from),
            Some(error.clone()),
        ),
        AttemptResult::Dead { status, error } => {
            ("dead", None, status.map(i64::from), Some(error.clone()))
        }
    }
}

fn data_of(m: &Message) -> serde_json::Value {
    message_data(
        m.id,
        m.send_id,
        m.appid.as_str(),
        m.openid.as_str(),
        m.template_id.as_str(),
        None,
    )
}

/// `message.read`, when this call is the one that read the message.
pub fn read_event(m: &Message, now: Timestamp) -> Option<String> {
    (m.read_at == Some(now)).then(|| message_event("message.read", now, data_of(m)))
}

/// `message.clicked`, for every click.
pub fn click_event(m: &Message, url: &str, now: Timestamp) -> String {
    let mut data = data_of(m);
    data["url"] = serde_json::Value::String(url.to_owned());
    message_event("message.clicked", now, data)
}

/// The events of one recipient of a chunk: accepted and delivered, or failed.
pub fn chunk_events(
    send: &SendRecord,
    id: i64,
    openid: &str,
    reason: Option<&str>,
    now: Timestamp,
) -> Vec<(&'static str, String)> {
    let data = message_data(
        id,
        Some(send.id),
        send.appid.as_str(),
        openid,
        send.template_id.as_str(),
        reason,
    );
    let kinds: &[&'static str] = if reason.is_some() {
        &["message.failed"]
    } else {
        &["message.accepted", "message.delivered"]
    };
    kinds
        .iter()
        .map(|k| (*k, message_event(k, now, data.clone())))
        .collect()
}

/// `send.finished`, with the send's final counts.
pub fn finished_event(
    send_id: i64,
    appid: &str,
    expects: i64,
    oks: i64,
    fails: i64,
    now: Timestamp,
) -> String {
    serde_json::json!({
        "type": "send.finished",
        "timestamp": now.as_millis(),
        "data": {"send_id": send_id, "appid": appid, "expects": expects, "oks": oks, "fails": fails},
    })
    .to_string()
}

pub const MARKETING_COLUMNS: &str =
    "id, appid, wechat_id, inner_title, title, template_id, content, \
     url, miniprogram, tags_id, topcolor, created_at, updated_at";

/// A `marketing_templates` row.
pub struct MarketingRow {
    pub id: i64,
    pub appid: String,
    pub wechat_id: String,
    pub inner_title: String,
    pub title: String,
    pub template_id: String,
    pub content: String,
    pub url: String,
    pub miniprogram: Option<String>,
    pub tags_id: String,
    pub topcolor: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl MarketingRow {
    pub fn from_template(t: &MarketingTemplate) -> Self {
        Self {
            id: t.id,
            appid: t.appid.as_str().to_owned(),
            wechat_id: t.wechat_id.clone(),
            inner_title: t.inner_title.clone(),
            title: t.title.clone(),
            template_id: t.template_id.as_str().to_owned(),
            content: json(&t.content),
            url: t.url.clone(),
            miniprogram: t.miniprogram.as_ref().map(json),
            tags_id: json(&t.tags_id),
            topcolor: t.topcolor.clone(),
            created_at: t.created_at.as_millis(),
            updated_at: t.updated_at.as_millis(),
        }
    }

    pub fn into_template(self) -> StoreResult<MarketingTemplate> {
        Ok(MarketingTemplate {
            id: self.id,
            appid: AppId::parse(&self.appid)
                .map_err(|e| corrupt("marketing_templates.appid", e))?,
            wechat_id: self.wechat_id,
            inner_title: self.inner_title,
            title: self.title,
            template_id: TemplateId::parse(&self.template_id)
                .map_err(|e| corrupt("marketing_templates.template_id", e))?,
            content: from_json("marketing_templates.content", &self.content)?,
            url: self.url,
            miniprogram: self
                .miniprogram
                .as_deref()
                .map(|m| from_json("marketing_templates.miniprogram", m))
                .transpose()?,
            tags_id: from_json("marketing_templates.tags_id", &self.tags_id)?,
            topcolor: self.topcolor,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

pub const WS_TEMPLATE_COLUMNS: &str =
    "id, appid, source_type, title, tags, sample, actions, contents, operator, created_at, updated_at";

/// A `ws_templates` row.
pub struct WsTemplateRow {
    pub id: String,
    pub appid: String,
    pub source_type: String,
    pub title: String,
    pub tags: String,
    pub sample: String,
    pub actions: String,
    pub contents: String,
    pub operator: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl WsTemplateRow {
    pub fn from_template(t: &WorkspaceTemplate) -> Self {
        Self {
            id: t.id.as_str().to_owned(),
            appid: t.appid.as_str().to_owned(),
            source_type: t.source_type.as_str().to_owned(),
            title: t.draft.title.clone(),
            tags: t.draft.tags.clone(),
            sample: t.draft.sample.clone(),
            actions: json(&t.draft.actions),
            contents: json(&t.draft.contents),
            operator: t.operator.clone(),
            created_at: t.created_at.as_millis(),
            updated_at: t.updated_at.as_millis(),
        }
    }

    pub fn into_template(self) -> StoreResult<WorkspaceTemplate> {
        Ok(WorkspaceTemplate {
            id: TemplateId::parse(&self.id).map_err(|e| corrupt("ws_templates.id", e))?,
            appid: AppId::parse(&self.appid).map_err(|e| corrupt("ws_templates.appid", e))?,
            source_type: SourceType::parse(Some(&self.source_type))
                .map_err(|e| corrupt("ws_templates.source_type", e))?,
            draft: TemplateDraft {
                title: self.title,
                tags: self.tags,
                sample: self.sample,
                actions: from_json("ws_templates.actions", &self.actions)?,
                contents: from_json("ws_templates.contents", &self.contents)?,
            },
            operator: self.operator,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}
