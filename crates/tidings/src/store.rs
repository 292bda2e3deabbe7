//! Chooses the backend from the database URL.

use std::sync::Arc;

use tidings_store::metered::Metered;
use tidings_store::Store;
use tidings_store_postgres::PgStore;
use tidings_store_sqlite::SqliteStore;

/// A parsed `--database-url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH` (relative) or `sqlite:///PATH` (absolute).
    Sqlite(std::path::PathBuf),
    /// `postgres://...` or `postgresql://...`.
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            anyhow::ensure!(
                !path.is_empty(),
                "sqlite URL needs a file path: sqlite://tidings.db"
            );
            return Ok(Self::Sqlite(path.into()));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        anyhow::bail!(
            "database URL must start with sqlite:// or postgres:// (got a URL of another scheme)"
        )
    }
}

/// Opens the store, runs migrations, and wraps it with timing metrics.
pub async fn open(url: &DatabaseUrl) -> anyhow::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = match url {
        DatabaseUrl::Sqlite(path) => {
            let path = path.clone();
            Arc::new(tokio::task::spawn_blocking(move || SqliteStore::open(path)).await??)
        }
        DatabaseUrl::Postgres(url) => Arc::new(PgStore::connect(url).await?),
    };
    Ok(Metered::wrap(store))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://tidings.db").unwrap(),
            DatabaseUrl::Sqlite("tidings.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/t.db").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/t.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://postgres@127.0.0.1/t").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
