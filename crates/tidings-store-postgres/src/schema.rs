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
];
