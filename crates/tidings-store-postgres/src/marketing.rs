//! The SQL of marketing templates, send statistics and settings.

use tidings_engine::{AppId, MarketingTemplate};
use tidings_store::rows::{MarketingRow, MARKETING_COLUMNS};
use tidings_store::{SendStats, StoreResult};
use tokio_postgres::Row;

use crate::{backend, PgStore};

fn marketing_row(r: &Row) -> MarketingRow {
    MarketingRow {
        id: r.get(0),
        appid: r.get(1),
        wechat_id: r.get(2),
        inner_title: r.get(3),
        title: r.get(4),
        template_id: r.get(5),
        content: r.get(6),
        url: r.get(7),
        miniprogram: r.get(8),
        tags_id: r.get(9),
        topcolor: r.get(10),
        created_at: r.get(11),
        updated_at: r.get(12),
    }
}

impl PgStore {
    pub(crate) async fn pg_put_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &value],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    pub(crate) async fn pg_send_stats(&self, send_id: i64) -> StoreResult<SendStats> {
        let client = self.client().await?;
        let read: i64 = client
            .query_one(
                "SELECT COUNT(*) FROM messages WHERE send_id = $1 AND read_at IS NOT NULL",
                &[&send_id],
            )
            .await
            .map_err(backend)?
            .get(0);
        let row = client
            .query_one(
                "SELECT COUNT(*), COUNT(DISTINCT openid) FROM clicks WHERE send_id = $1",
                &[&send_id],
            )
            .await
            .map_err(backend)?;
        Ok(SendStats {
            read,
            clicks: row.get(0),
            unique_clickers: row.get(1),
        })
    }

    pub(crate) async fn pg_insert_marketing(&self, t: &MarketingTemplate) -> StoreResult<i64> {
        let r = MarketingRow::from_template(t);
        let client = self.client().await?;
        Ok(client
            .query_one(
                "INSERT INTO marketing_templates (appid, wechat_id, inner_title, title, template_id, content, url,
                                                  miniprogram, tags_id, topcolor, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                &[&r.appid, &r.wechat_id, &r.inner_title, &r.title, &r.template_id, &r.content, &r.url, &r.miniprogram, &r.tags_id, &r.topcolor, &r.created_at, &r.updated_at],
            )
            .await
            .map_err(backend)?
            .get(0))
    }

    pub(crate) async fn pg_get_marketing(
        &self,
        appid: &AppId,
        id: i64,
    ) -> StoreResult<Option<MarketingTemplate>> {
        let client = self.client().await?;
        client
            .query_opt(
                &format!("SELECT {MARKETING_COLUMNS} FROM marketing_templates WHERE appid = $1 AND id = $2"),
                &[&appid.as_str(), &id],
            )
            .await
            .map_err(backend)?
            .map(|r| marketing_row(&r).into_template())
            .transpose()
    }

    pub(crate) async fn pg_update_marketing(&self, t: &MarketingTemplate) -> StoreResult<bool> {
        let r = MarketingRow::from_template(t);
        let client = self.client().await?;
        let n = client
            .execute(
                "UPDATE marketing_templates SET wechat_id = $3, inner_title = $4, title = $5, template_id = $6,
                     content = $7, url = $8, miniprogram = $9, tags_id = $10, topcolor = $11, updated_at = $12
                 WHERE appid = $1 AND id = $2",
                &[&r.appid, &r.id, &r.wechat_id, &r.inner_title, &r.title, &r.template_id, &r.content, &r.url, &r.miniprogram, &r.tags_id, &r.topcolor, &r.updated_at],
            )
            .await
            .map_err(backend)?;
        Ok(n > 0)
    }

    pub(crate) async fn pg_delete_marketing(&self, appid: &AppId, id: i64) -> StoreResult<bool> {
        let client = self.client().await?;
        let n = client
            .execute(
                "DELETE FROM marketing_templates WHERE appid = $1 AND id = $2",
                &[&appid.as_str(), &id],
            )
            .await
            .map_err(backend)?;
        Ok(n > 0)
    }

    pub(crate) async fn pg_list_marketing(
        &self,
        appid: &AppId,
        title: Option<&str>,
        tag: Option<i64>,
        offset: u32,
        limit: u32,
    ) -> StoreResult<(Vec<MarketingTemplate>, i64)> {
        let filter = "appid = $1
             AND ($2::text IS NULL OR strpos(title, $2) > 0 OR strpos(inner_title, $2) > 0)
             AND ($3::bigint IS NULL OR tags_id::jsonb @> to_jsonb($3::bigint))";
        let client = self.client().await?;
        let total: i64 = client
            .query_one(
                &format!("SELECT COUNT(*) FROM marketing_templates WHERE {filter}"),
                &[&appid.as_str(), &title, &tag],
            )
            .await
            .map_err(backend)?
            .get(0);
        let rows = client
            .query(
                &format!(
                    "SELECT {MARKETING_COLUMNS} FROM marketing_templates WHERE {filter} ORDER BY id DESC LIMIT $4 OFFSET $5"
                ),
                &[&appid.as_str(), &title, &tag, &i64::from(limit), &i64::from(offset)],
            )
            .await
            .map_err(backend)?;
        let items = rows
            .iter()
            .map(|r| marketing_row(r).into_template())
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((items, total))
    }
}
