//! Schema versions shared by the backends: each backend supplies the SQL of
//! every version in its own dialect, and records applied versions in
//! `schema_migrations`.

/// One schema version.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Schema v10, the same on both backends: a message with a link keeps the
/// link's secret, and its token is made from the message's id and the
/// secret (`crate::links`); `message_view` shows the secret last.
pub const LINK_SECRETS: Migration = Migration {
    version: 10,
    name: "tracking links named by their message: a secret kept instead of an indexed token",
    sql: concat!(
        "ALTER TABLE messages ADD COLUMN link_secret TEXT;\nDROP VIEW message_view;\n",
        crate::message_view_sql!(", m.link_secret")
    ),
};
