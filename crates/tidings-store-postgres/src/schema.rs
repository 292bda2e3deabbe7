//! The PostgreSQL schema, one migration per version. Timestamps are epoch milliseconds.

use tidings_store::migrations::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "settings, apps, tokens",
        sql: r#"
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE apps (
    appid       TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('miniprogram', 'official_account', 'workspace')),
    pages       TEXT NOT NULL DEFAULT '[]',
    secret_hash TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    disabled_at BIGINT
);

CREATE TABLE tokens (
    token_hash    TEXT PRIMARY KEY,
    appid         TEXT NOT NULL REFERENCES apps (appid),
    lane          TEXT NOT NULL CHECK (lane IN ('plain', 'stable')),
    generation    BIGINT NOT NULL,
    forced        BOOLEAN NOT NULL,
    issued_at     BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    superseded_at BIGINT
);

CREATE UNIQUE INDEX tokens_current ON tokens (appid, lane) WHERE superseded_at IS NULL;
CREATE INDEX tokens_issued ON tokens (appid, lane, forced, issued_at);
CREATE INDEX tokens_expiry ON tokens (expires_at) WHERE superseded_at IS NOT NULL;
"#,
    },
    Migration {
        version: 2,
        name: "library, templates, users, grants, messages",
        sql: r#"
ALTER TABLE apps ADD COLUMN daily_send_limit BIGINT;

CREATE TABLE library_titles (
    id       TEXT PRIMARY KEY,
    num      BIGINT NOT NULL UNIQUE,
    title    TEXT NOT NULL UNIQUE,
    keywords TEXT NOT NULL
);

CREATE TABLE templates (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    template_id TEXT NOT NULL UNIQUE,
    appid       TEXT NOT NULL REFERENCES apps (appid),
    title_id    TEXT NOT NULL,
    title       TEXT NOT NULL,
    keywords    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX templates_app ON templates (appid, seq);

CREATE TABLE users (
    appid      TEXT NOT NULL REFERENCES apps (appid),
    openid     TEXT NOT NULL,
    nickname   TEXT,
    profile    TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (appid, openid)
);

CREATE TABLE grants (
    grant_id   TEXT PRIMARY KEY,
    appid      TEXT NOT NULL,
    openid     TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('form_submit', 'payment')),
    remaining  BIGINT NOT NULL CHECK (remaining >= 0),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    FOREIGN KEY (appid, openid) REFERENCES users (appid, openid)
);

CREATE TABLE send_counters (
    appid     TEXT NOT NULL,
    day_start BIGINT NOT NULL,
    sent      BIGINT NOT NULL,
    PRIMARY KEY (appid, day_start)
);

CREATE TABLE messages (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appid       TEXT NOT NULL,
    openid      TEXT NOT NULL,
    template_id TEXT NOT NULL,
    title       TEXT NOT NULL,
    rows        TEXT NOT NULL,
    emphasis    BIGINT,
    page        TEXT,
    grant_id    TEXT,
    created_at  BIGINT NOT NULL,
    read_at     BIGINT
);
CREATE INDEX messages_inbox ON messages (appid, openid, id);
"#,
    },
    Migration {
        version: 3,
        name: "tags, sends, message lifecycle, clicks",
        sql: r#"
CREATE TABLE tags (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appid      TEXT NOT NULL REFERENCES apps (appid),
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (appid, name)
);

CREATE TABLE user_tags (
    appid  TEXT NOT NULL,
    openid TEXT NOT NULL,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (tag_id, openid)
);
CREATE INDEX user_tags_user ON user_tags (appid, openid);

CREATE TABLE sends (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appid       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('single', 'segment')),
    template_id TEXT NOT NULL,
    title       TEXT NOT NULL,
    spec        TEXT NOT NULL,
    state       TEXT NOT NULL,
    expects     BIGINT NOT NULL DEFAULT 0,
    oks         BIGINT NOT NULL DEFAULT 0,
    fails       BIGINT NOT NULL DEFAULT 0,
    cursor      TEXT,
    claim       TEXT,
    lease_until BIGINT,
    created_at  BIGINT NOT NULL,
    started_at  BIGINT,
    finished_at BIGINT
);
CREATE INDEX sends_app ON sends (appid, id);
CREATE INDEX sends_open ON sends (id) WHERE state IN ('queued', 'running');

ALTER TABLE messages ADD COLUMN send_id BIGINT;
ALTER TABLE messages ADD COLUMN status TEXT NOT NULL DEFAULT 'delivered';
ALTER TABLE messages ADD COLUMN failed_reason TEXT;
ALTER TABLE messages ADD COLUMN link_token TEXT;
ALTER TABLE messages ADD COLUMN url TEXT;
ALTER TABLE messages ADD COLUMN delivered_at BIGINT;
ALTER TABLE messages ADD COLUMN clicked_at BIGINT;
CREATE UNIQUE INDEX messages_send_recipient ON messages (send_id, openid);
CREATE UNIQUE INDEX messages_link ON messages (link_token);
CREATE INDEX messages_send ON messages (send_id, id);

CREATE TABLE clicks (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id BIGINT NOT NULL,
    send_id    BIGINT,
    appid      TEXT NOT NULL,
    openid     TEXT NOT NULL,
    url        TEXT NOT NULL,
    at         BIGINT NOT NULL,
    user_agent TEXT
);
CREATE INDEX clicks_send ON clicks (send_id, id);
"#,
    },
    Migration {
        version: 4,
        name: "webhooks, events, deliveries",
        sql: r#"
CREATE TABLE webhooks (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appid       TEXT NOT NULL REFERENCES apps (appid),
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    event_types TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    disabled_at BIGINT
);
CREATE INDEX webhooks_app ON webhooks (appid) WHERE disabled_at IS NULL;

CREATE TABLE events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appid      TEXT NOT NULL,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id      BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        BIGINT NOT NULL REFERENCES events (id),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'dead')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    last_status     BIGINT,
    last_error      TEXT,
    claim           TEXT,
    lease_until     BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
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
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
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
    org_path TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (appid, org_path, openid)
);
CREATE INDEX employee_orgs_user ON employee_orgs (appid, openid);

CREATE TABLE ws_templates (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    appid       TEXT NOT NULL REFERENCES apps (appid),
    source_type TEXT NOT NULL,
    title       TEXT NOT NULL,
    tags        TEXT NOT NULL,
    sample      TEXT NOT NULL,
    actions     TEXT NOT NULL,
    contents    TEXT NOT NULL,
    operator    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX ws_templates_app ON ws_templates (appid, seq);
"#,
    },
    Migration {
        version: 7,
        name: "governance: proposals, complaints, penalties, notices, bans, marketing hits",
        sql: r#"
ALTER TABLE apps ADD COLUMN banned_until BIGINT;
ALTER TABLE sends ADD COLUMN marketing_hits BIGINT NOT NULL DEFAULT 0;

CREATE TABLE proposals (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appid      TEXT,
    title      TEXT NOT NULL,
    keywords   TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('approved', 'rejected', 'pending')),
    violations TEXT NOT NULL,
    title_id   TEXT,
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX proposals_state ON proposals (state, id);

CREATE TABLE complaints (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appid       TEXT NOT NULL,
    openid      TEXT NOT NULL,
    message_id  BIGINT NOT NULL UNIQUE,
    template_id TEXT NOT NULL,
    reason      TEXT NOT NULL,
    text        TEXT,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'dismissed')),
    created_at  BIGINT NOT NULL,
    decided_at  BIGINT
);
CREATE INDEX complaints_state ON complaints (state, id);

CREATE TABLE penalties (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appid        TEXT NOT NULL REFERENCES apps (appid),
    nth          BIGINT NOT NULL,
    action       TEXT NOT NULL,
    complaint_id BIGINT,
    template_id  TEXT,
    starts_at    BIGINT NOT NULL,
    ends_at      BIGINT,
    UNIQUE (appid, nth)
);

CREATE TABLE notices (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appid      TEXT NOT NULL REFERENCES apps (appid),
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
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
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
"#,
    },
    Migration {
        version: 9,
        name: "lean messages: a segment send's shared part kept once on the send",
        sql: concat!(
            r#"
ALTER TABLE sends ADD COLUMN frame TEXT, ADD COLUMN page TEXT, ADD COLUMN url TEXT,
                  ADD COLUMN card TEXT;
ALTER TABLE messages ALTER COLUMN template_id DROP NOT NULL, ALTER COLUMN title DROP NOT NULL;
DROP INDEX messages_send;
DROP INDEX messages_link;
CREATE UNIQUE INDEX messages_link ON messages (link_token) WHERE link_token IS NOT NULL;

"#,
            tidings_store::message_view_sql!()
        ),
    },
    tidings_store::migrations::LINK_SECRETS,
];
