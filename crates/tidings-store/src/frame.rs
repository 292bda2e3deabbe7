//! A segment send's messages, stored lean. The rows' keys, names and colors
//! are the same for every recipient of a send: that is the send's *frame*,
//! kept once on the send (`sends.frame`), with its title, template, page,
//! link and card. Each message keeps only its values,
//! `["TIT造舰厂","2026年11月21日","用户1的咖啡"]`. A message whose rows do
//! not fit its send's frame keeps them whole, as single sends' messages do.
//! Backends read messages through a view that fills the send's part in.

use serde::Deserialize;

/// The `message_view` view both backends read messages through (schema v9):
/// a message with its send's shared part filled in. A macro, so that each
/// backend's migration can `concat!` it into its SQL; a later migration
/// that adds a message column names it as the view's last column
/// (`message_view_sql!(", m.link_secret")`, schema v10).
#[macro_export]
macro_rules! message_view_sql {
    ($($extra:literal)?) => {
        concat!("
CREATE VIEW message_view AS
SELECT m.id, m.appid, m.openid,
       COALESCE(m.template_id, s.template_id) AS template_id,
       COALESCE(m.title, s.title) AS title,
       m.rows, m.emphasis,
       COALESCE(m.page, s.page) AS page,
       m.created_at, m.read_at, m.send_id, m.status, m.failed_reason, m.link_token,
       COALESCE(m.url, s.url) AS url,
       m.delivered_at, m.clicked_at,
       COALESCE(m.card, s.card) AS card,
       m.platforms, s.frame", $($extra,)? "
FROM messages m LEFT JOIN sends s ON s.id = m.send_id;
")
    };
}
use tidings_engine::Row;

use crate::{Chunk, StoreError, StoreResult};

/// One row of a frame: a row without its value.
#[derive(Debug, Deserialize, serde::Serialize, PartialEq, Eq)]
struct Slot {
    key: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    color: Option<String>,
}

impl Slot {
    fn fits(&self, row: &Row) -> bool {
        self.key == row.key && self.name == row.name && self.color == row.color
    }
}

/// A chunk's rows as stored.
#[derive(Debug)]
pub struct ChunkRows {
    /// The send's frame: the one it had, or else this chunk's; `None` while
    /// no recipient has had rows (failed ones, workspace cards).
    pub frame: Option<String>,
    /// Each message's `rows` column, in the chunk's order.
    pub rows: Vec<String>,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("sends.frame: {e}"))
}

/// Splits a chunk's rows against the send's stored frame (`stored`, read
/// before the chunk commits and checked again under the send's lock), or
/// against the chunk's first rows when the send has none yet.
pub fn chunk_rows(chunk: &Chunk, stored: Option<&str>) -> StoreResult<ChunkRows> {
    let frame: Option<Vec<Slot>> = match stored {
        Some(raw) => Some(serde_json::from_str(raw).map_err(corrupt)?),
        None => chunk
            .messages
            .iter()
            .find(|m| !m.rows.is_empty())
            .map(|m| m.rows.iter().map(slot).collect()),
    };
    let rows = chunk
        .messages
        .iter()
        .map(|m| match &frame {
            _ if m.rows.is_empty() => "[]".to_owned(),
            Some(f) if f.len() == m.rows.len() && f.iter().zip(&m.rows).all(|(s, r)| s.fits(r)) => {
                let values: Vec<&str> = m.rows.iter().map(|r| r.value.as_str()).collect();
                serde_json::to_string(&values).expect("strings serialize")
            }
            _ => serde_json::to_string(&m.rows).expect("rows serialize"),
        })
        .collect();
    let frame = match stored {
        Some(raw) => Some(raw.to_owned()),
        None => frame.map(|f| serde_json::to_string(&f).expect("frame serializes")),
    };
    Ok(ChunkRows { frame, rows })
}

fn slot(r: &Row) -> Slot {
    Slot {
        key: r.key.clone(),
        name: r.name.clone(),
        color: r.color.clone(),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    Values(Vec<String>),
    Whole(Vec<Row>),
}

/// A message's rows from its `rows` column and its send's frame.
pub fn rows(stored: &str, frame: Option<&str>) -> StoreResult<Vec<Row>> {
    let stored: Stored = serde_json::from_str(stored)
        .map_err(|e| StoreError::Corrupt(format!("messages.rows: {e}")))?;
    let values = match stored {
        Stored::Whole(rows) => return Ok(rows),
        Stored::Values(v) if v.is_empty() => return Ok(Vec::new()),
        Stored::Values(v) => v,
    };
    let frame: Vec<Slot> =
        serde_json::from_str(frame.ok_or_else(|| corrupt("missing for a message's values"))?)
            .map_err(corrupt)?;
    if frame.len() != values.len() {
        return Err(corrupt(format!(
            "{} rows for {} values",
            frame.len(),
            values.len()
        )));
    }
    Ok(frame
        .into_iter()
        .zip(values)
        .map(|(s, value)| Row {
            key: s.key,
            name: s.name,
            value,
            color: s.color,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use tidings_engine::{AppId, OpenId, SendRecord, SendSpec, SendState, TemplateId, Timestamp};

    use super::*;
    use crate::ChunkMessage;

    fn row(key: &str, value: &str, color: Option<&str>) -> Row {
        Row {
            key: key.into(),
            name: format!("{key} name"),
            value: value.into(),
            color: color.map(Into::into),
        }
    }

    fn chunk(rows: Vec<Vec<Row>>) -> Chunk {
        let spec: SendSpec = serde_json::from_value(serde_json::json!({})).unwrap();
        Chunk {
            send: SendRecord {
                id: 1,
                appid: AppId::generate(),
                kind: "segment".into(),
                template_id: TemplateId::generate(),
                title: "t".into(),
                spec,
                state: SendState::Running,
                expects: 0,
                oks: 0,
                fails: 0,
                cursor: None,
                created_at: Timestamp::from_millis(0),
                started_at: None,
                finished_at: None,
                claim: None,
                marketing_hits: 0,
            },
            messages: rows
                .into_iter()
                .enumerate()
                .map(|(i, rows)| ChunkMessage {
                    openid: OpenId::parse(&format!("user{i}")).unwrap(),
                    rows,
                    emphasis: None,
                    link_secret: None,
                    failed_reason: None,
                    platforms: Vec::new(),
                })
                .collect(),
            from: None,
            cursor: None,
            done: true,
            now: Timestamp::from_millis(0),
            lease_until: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn values_alone_round_trip_through_the_frame() {
        let a = vec![
            row("keyword1", "x", Some("#173177")),
            row("keyword2", "甲", None),
        ];
        let b = vec![
            row("keyword1", "y", Some("#173177")),
            row("keyword2", "乙", None),
        ];
        let split = chunk_rows(&chunk(vec![a.clone(), vec![], b.clone()]), None).unwrap();
        assert_eq!(split.rows, [r#"["x","甲"]"#, "[]", r#"["y","乙"]"#]);
        let frame = split.frame.as_deref();
        assert_eq!(rows(&split.rows[0], frame).unwrap(), a);
        assert_eq!(rows(&split.rows[1], frame).unwrap(), Vec::<Row>::new());
        assert_eq!(rows(&split.rows[2], frame).unwrap(), b);
    }

    #[test]
    fn rows_that_do_not_fit_the_stored_frame_are_kept_whole() {
        let first = chunk_rows(&chunk(vec![vec![row("keyword1", "x", None)]]), None).unwrap();
        let odd = vec![row("keyword1", "y", Some("#000000"))];
        let later = chunk_rows(&chunk(vec![odd.clone()]), first.frame.as_deref()).unwrap();
        assert_eq!(later.frame, first.frame, "the stored frame stays");
        assert!(later.rows[0].contains("#000000"), "{}", later.rows[0]);
        assert_eq!(rows(&later.rows[0], later.frame.as_deref()).unwrap(), odd);
        assert_eq!(rows(&later.rows[0], None).unwrap(), odd);
    }

    #[test]
    fn values_without_a_fitting_frame_are_corrupt() {
        assert!(rows(r#"["x"]"#, None).is_err());
        assert!(rows(r#"["x","y"]"#, Some(r#"[{"key":"k","name":"n"}]"#)).is_err());
        assert!(rows("{}", None).is_err());
    }
}
