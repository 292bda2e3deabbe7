//! The SQLite schema, one migration per version. Timestamps are epoch milliseconds.

use tidings_store::migrations::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "settings, apps, tokens",
        sql: r#"
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE apps (
    appid       TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('miniprogram', 'official_account', 'workspace')),
    pages       TEXT NOT NULL DEFAULT '[]',
    secret_hash TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    disabled_at INTEGER
) STRICT;

CREATE TABLE tokens (
    token_hash    TEXT PRIMARY KEY,
    appid         TEXT NOT NULL REFERENCES apps (appid),
    lane          TEXT NOT NULL CHECK (lane IN ('plain', 'stable')),
    generation    INTEGER NOT NULL,
    forced        INTEGER NOT NULL,
    issued_at     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    superseded_at INTEGER
) STRICT;

CREATE UNIQUE INDEX tokens_current ON tokens (appid, lane) WHERE superseded_at IS NULL;
CREATE INDEX tokens_issued ON tokens (appid, lane, forced, issued_at);
CREATE INDEX tokens_expiry ON tokens (expires_at) WHERE superseded_at IS NOT NULL;
"#,
    },
    Migration {
        version: 2,
        name: "library, templates, users, grants, messages",
        sql: r#"
ALTER TABLE apps ADD COLUMN daily_send_limit INTEGER;

CREATE TABLE library_titles (
    id       TEXT PRIMARY KEY,
    num      INTEGER NOT NULL UNIQUE,
    title    TEXT NOT NULL UNIQUE,
    keywords TEXT NOT NULL
) STRICT;

CREATE TABLE templates (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    template_id TEXT NOT NULL UNIQUE,
    appid       TEXT NOT NULL REFERENCES apps (appid),
    title_id    TEXT NOT NULL,
    title       TEXT NOT NULL,
    keywords    TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX templates_app ON templates (appid, seq);

CREATE TABLE users (
    appid      TEXT NOT NULL REFERENCES apps (appid),
    openid     TEXT NOT NULL,
    nickname   TEXT,
    profile    TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (appid, openid)
) STRICT;

CREATE TABLE grants (
    grant_id   TEXT PRIMARY KEY,
    appid      TEXT NOT NULL,
    openid     TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('form_submit', 'payment')),
    remaining  INTEGER NOT NULL CHECK (remaining >= 0),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    FOREIGN KEY (appid, openid) REFERENCES users (appid, openid)
) STRICT;

CREATE TABLE send_counters (
    appid     TEXT NOT NULL,
    day_start INTEGER NOT NULL,
    sent      INTEGER NOT NULL,
    PRIMARY KEY (appid, day_start)
) STRICT;

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    appid       TEXT NOT NULL,
    openid      TEXT NOT NULL,
    template_id TEXT NOT NULL,
    title       TEXT NOT NULL,
    rows        TEXT NOT NULL,
    emphasis    INTEGER,
    page        TEXT,
    grant_id    TEXT,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER
) STRICT;
CREATE INDEX messages_inbox ON messages (appid, openid, id);
"#,
    },
    Migration {
        version: 3,
        name: "tags, sends, message lifecycle, clicks",
        sql: r#"
CREATE TABLE tags (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    appid      TEXT NOT NULL REFERENCES apps (appid),
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (appid, name)
) STRICT;

CREATE TABLE user_tags (
    appid  TEXT NOT NULL,
    openid TEXT NOT NULL,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (tag_id, openid)
) STRICT;
CREATE INDEX user_tags_user ON user_tags (appid, openid);

CREATE TABLE sends (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    appid       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('single', 'segment')),
    template_id TEXT NOT NULL,
    title       TEXT NOT NULL,
    spec        TEXT NOT NULL,
    state       TEXT NOT NULL,
    expects     INTEGER NOT NULL DEFAULT 0,
    oks         INTEGER NOT NULL DEFAULT 0,
    fails       INTEGER NOT NULL DEFAULT 0,
    cursor      TEXT,
    claim       TEXT,
    lease_until INTEGER,
    created_at  INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER
) STRICT;
CREATE INDEX sends_app ON sends (appid, id);
CREATE INDEX sends_open ON sends (id) WHERE state IN ('queued', 'running');

ALTER TABLE messages ADD COLUMN send_id INTEGER;
ALTER TABLE messages ADD COLUMN status TEXT NOT NULL DEFAULT 'delivered';
ALTER TABLE messages ADD COLUMN failed_reason TEXT;
ALTER TABLE messages ADD COLUMN link_token TEXT;
ALTER TABLE messages ADD COLUMN url TEXT;
ALTER TABLE messages ADD COLUMN delivered_at INTEGER;
ALTER TABLE messages ADD COLUMN clicked_at INTEGER;
CREATE UNIQUE INDEX messages_send_recipient ON messages (send_id, openid);
CREATE UNIQUE INDEX messages_link ON messages (link_token);
CREATE INDEX messages_send ON messages (send_id, id);

CREATE TABLE clicks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL,
    send_id    INTEGER,
    appid      TEXT NOT NULL,
    openid     TEXT NOT NULL,
    url        TEXT NOT NULL,
    at         INTEGER NOT NULL,
    user_agent TEXT
) STRICT;
CREATE INDEX clicks_send ON clicks (send_id, id);
"#,
    },
    Migration {
        version: 4,
        name: "webhooks, events, deliveries",
        sql: r#"
CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    appid       TEXT NOT NULL REFERENCES apps (appid),
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    event_types TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    disabled_at INTEGER
) STRICT;
CREATE INDEX webhooks_app ON webhooks (appid) WHERE disabled_at IS NULL;

CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    appid      TEXT NOT NULL,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        INTEGER NOT NULL REFERENCES events (id),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    claim           TEXT,
    lease_until     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, id);
"#,
    },
    Migration {
        version: 5,
        name: "client_msg_id, marketing templates",
        sql: r#"
ALTER TABLE sends ADD COLUMN client_msg_id TEXT;
CREATE UNIQUE INDEX sends_client_msg ON sends (appid, client_msg_id) WHERE client_msg_id IS NOT NULL;

CREATE TABLE marketing_templates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    appid       TEXT NOT NULL REFERENCES apps (appid),
    wechat_id   TEXT NOT NULL,
    inner_title TEXT NOT NULL,
    title       TEXT NOT NULL,
    template_id TEXT NOT NULL,
    content     TEXT NOT NULL,
    url         TEXT NOT NULL,
    miniprogram TEXT,
    tags_id     TEXT NOT NULL,
    topcolor    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX marketing_templates_app ON marketing_templates (appid, id);
"#,
    },
    Migration {
        version: 6,
        name: "workspace: employees' org paths, card templates, cards in messages",
        sql: r#"
ALTER TABLE messages ADD COLUMN card TEXT;
ALTER TABLE messages ADD COLUMN platforms TEXT;

CREATE TABLE employee_orgs (
    appid    TEXT NOT NULL,
    openid   TEXT NOT NULL,
    org_path TEXT NOT NULL,
    PRIMARY KEY (appid, org_path, openid)
) STRICT;
CREATE INDEX employee_orgs_user ON employee_orgs (appid, openid);

CREATE TABLE ws_templates (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    appid       TEXT NOT NULL REFERENCES apps (appid),
    source_type TEXT NOT NULL,
    title       TEXT NOT NULL,
    tags        TEXT NOT NULL,
    sample      TEXT NOT NULL,
    actions     TEXT NOT NULL,
    contents    TEXT NOT NULL,
    operator    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX ws_templates_app ON ws_templates (appid, seq);
"#,
    },
    Migration {
        version: 7,
        name: "governance: proposals, complaints, penalties, notices, bans, marketing hits",
        sql: r#"
ALTER TABLE apps ADD COLUMN banned_until INTEGER;
ALTER TABLE sends ADD COLUMN marketing_hits INTEGER NOT NULL DEFAULT 0;

CREATE TABLE proposals (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    appid      TEXT,
    title      TEXT NOT NULL,
    keywords   TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('approved', 'rejected', 'pending')),
    violations TEXT NOT NULL,
    title_id   TEXT,
    created_at INTEGER NOT NULL,
    decided_at INTEGER
) STRICT;
CREATE INDEX proposals_state ON proposals (state, id);

CREATE TABLE complaints (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    appid       TEXT NOT NULL,
    openid      TEXT NOT NULL,
    message_id  INTEGER NOT NULL UNIQUE,
    template_id TEXT NOT NULL,
    reason      TEXT NOT NULL,
    text        TEXT,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'dismissed')),
    created_at  INTEGER NOT NULL,
    decided_at  INTEGER
) STRICT;
CREATE INDEX complaints_state ON complaints (state, id);

CREATE TABLE penalties (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    appid        TEXT NOT NULL REFERENCES apps (appid),
    nth          INTEGER NOT NULL,
    action       TEXT NOT NULL,
    complaint_id INTEGER,
    template_id  TEXT,
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER,
    UNIQUE (appid, nth)
) STRICT;

CREATE TABLE notices (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    appid      TEXT NOT NULL REFERENCES apps (appid),
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX notices_app ON notices (appid, id);
"#,
    },
    Migration {
        version: 8,
        name: "inbox passes",
        sql: r#"
CREATE TABLE inbox_passes (
    hash       TEXT PRIMARY KEY,
    appid      TEXT NOT NULL REFERENCES apps (appid),
    openid     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
"#,
    },
    Migration {
        version: 9,
        name: "lean messages: a segment send's shared part kept once on the send",
        sql: concat!(
            r#"
ALTER TABLE sends ADD COLUMN frame TEXT;
ALTER TABLE sends ADD COLUMN page TEXT;
ALTER TABLE sends ADD COLUMN url TEXT;
ALTER TABLE sends ADD COLUMN card TEXT;

CREATE TABLE messages_v9 (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    appid         TEXT NOT NULL,
    openid        TEXT NOT NULL,
    send_id       INTEGER,
    status        TEXT NOT NULL DEFAULT 'delivered',
    created_at    INTEGER NOT NULL,
    delivered_at  INTEGER,
    rows          TEXT NOT NULL,
    emphasis      INTEGER,
    read_at       INTEGER,
    clicked_at    INTEGER,
    failed_reason TEXT,
    link_token    TEXT,
    platforms     TEXT,
    template_id   TEXT,
    title         TEXT,
    page          TEXT,
    url           TEXT,
    card          TEXT,
    grant_id      TEXT
) STRICT;
INSERT INTO messages_v9 (id, appid, openid, send_id, status, created_at, delivered_at, rows, emphasis,
                         read_at, clicked_at, failed_reason, link_token, platforms, template_id, title,
                         page, url, card, grant_id)
SELECT id, appid, openid, send_id, status, created_at, delivered_at, rows, emphasis,
       read_at, clicked_at, failed_reason, link_token, platforms, template_id, title,
       page, url, card, grant_id
FROM messages;
DELETE FROM sqlite_sequence WHERE name = 'messages_v9';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'messages_v9', seq FROM sqlite_sequence WHERE name = 'messages';
DROP TABLE messages;
ALTER TABLE messages_v9 RENAME TO messages;
CREATE INDEX messages_inbox ON messages (appid, openid, id);
CREATE UNIQUE INDEX messages_send_recipient ON messages (send_id, openid);
CREATE UNIQUE INDEX messages_link ON messages (link_token) WHERE link_token IS NOT NULL;

"#,
            tidings_store::message_view_sql!()
        ),
    },
    tidings_store::migrations::LINK_SECRETS,
    Migration {
        version: 11,
        name: "messages and sends numbered by their largest id, and kept",
        // Before this SQL, `migrate::renumber` drops `message_view` and
        // rebuilds `sends` and `messages` as they are but for AUTOINCREMENT.
        sql: concat!(
            r#"
CREATE TRIGGER sends_kept BEFORE DELETE ON sends
BEGIN SELECT RAISE(ABORT, 'sends are kept: a send record is never deleted'); END;
CREATE TRIGGER messages_kept BEFORE DELETE ON messages
BEGIN SELECT RAISE(ABORT, 'messages are kept: a message is never deleted'); END;
"#,
            tidings_store::message_view_sql!(", m.link_secret")
        ),
    },
];
