//! The SQL of workspace templates, employees' org paths and removing users.

use deadpool_postgres::GenericClient;
use tidings_engine::employee::employee_orgs;
use tidings_engine::{AppId, OpenId, TemplateId, User, WorkspaceTemplate};
use tidings_store::rows::{WsTemplateRow, WS_TEMPLATE_COLUMNS};
use tidings_store::StoreResult;
use tokio_postgres::Row;

use crate::{backend, PgStore};

fn ws_row(r: &Row) -> WsTemplateRow {
    WsTemplateRow {
        id: r.get(0),
        appid: r.get(1),
        source_type: r.get(2),
        title: r.get(3),
        tags: r.get(4),
        sample: r.get(5),
        actions: r.get(6),
        contents: r.get(7),
        operator: r.get(8),
        created_at: r.get(9),
        updated_at: r.get(10),
    }
}

/// Replaces the org paths of the employees among `users`, as two array
/// statements.
pub(crate) async fn replace_orgs<C: GenericClient>(tx: &C, users: &[User]) -> StoreResult<()> {
    let (mut appids, mut owners, mut members, mut paths) = (vec![], vec![], vec![], vec![]);
    for u in users {
        let Some(orgs) = employee_orgs(u) else {
            continue;
        };
        appids.push(u.appid.as_str());
        owners.push(u.openid.as_str());
        for org in orgs {
            members.push(u.openid.as_str());
            paths.push(org);
        }
    }
    let Some(appid) = appids.first() else {
        return Ok(());
    };
    tx.execute(
        "DELETE FROM employee_orgs WHERE appid = $1 AND openid = ANY($2)",
        &[appid, &owners],
    )
    .await
    .map_err(backend)?;
    tx.execute(
        "INSERT INTO employee_orgs (appid, openid, org_path)
         SELECT $1, o, p FROM UNNEST($2::text[], $3::text[]) AS t(o, p) ON CONFLICT DO NOTHING",
        &[appid, &members, &paths],
    )
    .await
    .map_err(backend)?;
    Ok(())
}

impl PgStore {
    pub(crate) async fn pg_delete_user(&self, appid: &AppId, openid: &OpenId) -> StoreResult<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let p: [&(dyn tokio_postgres::types::ToSql + Sync); 2] =
            [&appid.as_str(), &openid.as_str()];
        for sql in [
            "DELETE FROM employee_orgs WHERE appid = $1 AND openid = $2",
            "DELETE FROM user_tags WHERE appid = $1 AND openid = $2",
            "DELETE FROM grants WHERE appid = $1 AND openid = $2",
        ] {
            tx.execute(sql, &p).await.map_err(backend)?;
        }
        let n = tx
            .execute("DELETE FROM users WHERE appid = $1 AND openid = $2", &p)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(n > 0)
    }

    pub(crate) async fn pg_insert_ws_template(&self, t: &WorkspaceTemplate) -> StoreResult<()> {
        let r = WsTemplateRow::from_template(t);
        let client = self.client().await?;
        client
            .execute(
                &format!(
                    "INSERT INTO ws_templates ({WS_TEMPLATE_COLUMNS})
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                ),
                &[
                    &r.id,
                    &r.appid,
                    &r.source_type,
                    &r.title,
                    &r.tags,
                    &r.sample,
                    &r.actions,
                    &r.contents,
                    &r.operator,
                    &r.created_at,
                    &r.updated_at,
                ],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    pub(crate) async fn pg_get_ws_template(
        &self,
        id: &TemplateId,
    ) -> StoreResult<Option<WorkspaceTemplate>> {
        let client = self.client().await?;
        client
            .query_opt(
                &format!("SELECT {WS_TEMPLATE_COLUMNS} FROM ws_templates WHERE id = $1"),
                &[&id.as_str()],
            )
            .await
            .map_err(backend)?
            .map(|r| ws_row(&r).into_template())
            .transpose()
    }

    pub(crate) async fn pg_update_ws_template(&self, t: &WorkspaceTemplate) -> StoreResult<bool> {
        let r = WsTemplateRow::from_template(t);
        let client = self.client().await?;
        let n = client
            .execute(
                "UPDATE ws_templates SET source_type = $3, title = $4, tags = $5, sample = $6, actions = $7,
                     contents = $8, operator = $9, updated_at = $10
                 WHERE id = $1 AND appid = $2",
                &[&r.id, &r.appid, &r.source_type, &r.title, &r.tags, &r.sample, &r.actions, &r.contents, &r.operator, &r.updated_at],
            )
            .await
            .map_err(backend)?;
        Ok(n > 0)
    }

    pub(crate) async fn pg_list_ws_templates(
        &self,
        appid: &AppId,
        kw: Option<&str>,
        skip: u32,
        limit: u32,
    ) -> StoreResult<(Vec<WorkspaceTemplate>, i64)> {
        let filter =
            "appid = $1 AND ($2::text IS NULL OR strpos(title, $2) > 0 OR strpos(tags, $2) > 0)";
        let client = self.client().await?;
        let total: i64 = client
            .query_one(
                &format!("SELECT COUNT(*) FROM ws_templates WHERE {filter}"),
                &[&appid.as_str(), &kw],
            )
            .await
            .map_err(backend)?
            .get(0);
        let rows = client
            .query(
                &format!(
                    "SELECT {WS_TEMPLATE_COLUMNS} FROM ws_templates WHERE {filter}
                     ORDER BY seq DESC LIMIT $3 OFFSET $4"
                ),
                &[&appid.as_str(), &kw, &i64::from(limit), &i64::from(skip)],
            )
            .await
            .map_err(backend)?;
        let items = rows
            .iter()
            .map(|r| ws_row(r).into_template())
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((items, total))
    }
}
