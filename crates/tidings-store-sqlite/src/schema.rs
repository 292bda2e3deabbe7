//! The SQLite schema, one migration per version. Timestamps are epoch milliseconds.

use tidings_store::migrations::Migration;

pub const MIGRATIONS: &[Migration] = &[Migration {
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
}];
