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
