//! The SQL of what the console and the recipient inbox read: a send's
//! timeline, inbox passes and library search.

use tidings_engine::{InboxPass, LibraryTitle, TokenHash};
use tidings_store::console_rows::InboxPassRow;
use tidings_store::{StoreResult, TimelineBucket};

use crate::sends::library_row;
use crate::{backend, PgStore};

impl PgStore {
    pub(crate) async fn pg_send_timeline(
        &self,
        send_id: i64,
        bucket_ms: i64,
        max_buckets: u32,
    ) -> StoreResult<Vec<TimelineBucket>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT at, SUM(sent)::BIGINT, SUM(rd)::BIGINT, SUM(clicked)::BIGINT FROM (
                     SELECT (created_at / $2) * $2 AS at, 1 AS sent, 0 AS rd, 0 AS clicked
                       FROM messages WHERE send_id = $1
                     UNION ALL
                     SELECT (read_at / $2) * $2, 0, 1, 0
                       FROM messages WHERE send_id = $1 AND read_at IS NOT NULL
                     UNION ALL
                     SELECT (clicked_at / $2) * $2, 0, 0, 1
                       FROM messages WHERE send_id = $1 AND clicked_at IS NOT NULL
                 ) AS events GROUP BY at ORDER BY at LIMIT $3",
                &[&send_id, &bucket_ms, &i64::from(max_buckets)],
            )
            .await
            .map_err(backend)?;
        Ok(rows
            .iter()
            .map(|r| TimelineBucket {
                at: r.get(0),
                sent: r.get(1),
                read: r.get(2),
                clicked: r.get(3),
            })
            .collect())
    }

    pub(crate) async fn pg_insert_inbox_pass(&self, p: &InboxPass) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO inbox_passes (hash, appid, openid, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &p.hash.to_hex(),
                    &p.appid.as_str(),
                    &p.openid.as_str(),
                    &p.created_at.as_millis(),
                    &p.expires_at.as_millis(),
                ],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    pub(crate) async fn pg_inbox_pass(&self, hash: &TokenHash) -> StoreResult<Option<InboxPass>> {
        self.client()
            .await?
            .query_opt(
                "SELECT hash, appid, openid, created_at, expires_at FROM inbox_passes WHERE hash = $1",
                &[&hash.to_hex()],
            )
            .await
            .map_err(backend)?
            .map(|r| {
                InboxPassRow {
                    hash: r.get(0),
                    appid: r.get(1),
                    openid: r.get(2),
                    created_at: r.get(3),
                    expires_at: r.get(4),
                }
                .into_pass()
            })
            .transpose()
    }

    /// Titles containing `search` (all when empty), a page of them and
    /// their count.
    pub(crate) async fn pg_library_page(
        &self,
        offset: u32,
        count: u32,
        search: &str,
    ) -> StoreResult<(Vec<LibraryTitle>, u64)> {
        let client = self.client().await?;
        let total: i64 = client
            .query_one(
                "SELECT COUNT(*) FROM library_titles WHERE $1 = '' OR strpos(title, $1) > 0",
                &[&search],
            )
            .await
            .map_err(backend)?
            .get(0);
        let rows = client
            .query(
                "SELECT id, num, title, keywords FROM library_titles
                  WHERE $1 = '' OR strpos(title, $1) > 0
                  ORDER BY num LIMIT $2 OFFSET $3",
                &[&search, &i64::from(count), &i64::from(offset)],
            )
            .await
            .map_err(backend)?;
        let titles = rows
            .iter()
            .map(|r| library_row(r).into_title())
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((titles, total as u64))
    }
}
