//! Marketing templates: a named, pre-filled use of an official account's
//! template (its first, keywords and remark with labels, values and colors),
//! with a jump target and default audience tags.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::app::AppId;
use crate::clock::Timestamp;
use crate::error::ParseError;
use crate::template::{Template, TemplateId};

/// A mini-program jump of an official account's card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiniProgramTarget {
    pub appid: String,
    pub pagepath: String,
}

/// One row of a marketing template's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentRow {
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// A marketing template as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketingTemplate {
    pub id: i64,
    pub appid: AppId,
    /// The official account's id as the marketing cloud names it.
    pub wechat_id: String,
    pub inner_title: String,
    pub title: String,
    pub template_id: TemplateId,
    /// Keyed by `first`, `keyword1`…, `remark`, in that order.
    pub content: Vec<(String, ContentRow)>,
    pub url: String,
    pub miniprogram: Option<MiniProgramTarget>,
    pub tags_id: Vec<i64>,
    pub topcolor: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl MarketingTemplate {
    /// The content as a JSON object, in row order.
    pub fn content_json(&self) -> Value {
        Value::Object(
            self.content
                .iter()
                .map(|(k, r)| (k.clone(), serde_json::to_value(r).expect("rows serialize")))
                .collect::<Map<String, Value>>(),
        )
    }

    /// The send's data: every row's value and color.
    pub fn data(&self) -> Value {
        Value::Object(
            self.content
                .iter()
                .map(|(k, r)| {
                    let mut v = serde_json::json!({"value": r.value});
                    if let Some(c) = &r.color {
                        v["color"] = Value::String(c.clone());
                    }
                    (k.clone(), v)
                })
                .collect(),
        )
    }
}

/// Maps a request's content onto the template's rows: `first` and `remark`
/// by name; `keywordN` as given; any other key (the vendor's example uses
/// `HandleType`) to the keyword whose name is its label, else to the next
/// keyword not yet filled. Labels default to the keyword names.
pub fn normalize_content(
    template: &Template,
    raw: &Value,
) -> Result<Vec<(String, ContentRow)>, ParseError> {
    let obj = raw
        .as_object()
        .ok_or_else(|| ParseError::new("content", "must be an object of {value, label} rows"))?;
    let keys = template.row_keys();
    let mut filled: Vec<Option<ContentRow>> = vec![None; keys.len()];
    let mut pending: Vec<ContentRow> = Vec::new();
    for (key, v) in obj {
        let row: ContentRow = serde_json::from_value(v.clone())
            .map_err(|e| ParseError::new("content", format!("{key}: {e}")))?;
        if row.value.chars().count() > crate::message::MAX_VALUE_CHARS {
            return Err(ParseError::new(
                "content",
                format!("{key}.value is longer than 200 characters"),
            ));
        }
        if let Some(c) = &row.color {
            crate::message::parse_color(c)?;
        }
        let at = template.keyword_index(key).or_else(|| {
            keys.iter().position(|(k, name)| {
                k.starts_with("keyword") && !row.label.is_empty() && *name == row.label
            })
        });
        match at {
            Some(i) if filled[i].is_none() => filled[i] = Some(row),
            Some(_) => {
                return Err(ParseError::new(
                    "content",
                    format!("{key} fills a row twice"),
                ))
            }
            None => pending.push(row),
        }
    }
    for row in pending {
        let free = keys
            .iter()
            .enumerate()
            .position(|(i, (k, _))| k.starts_with("keyword") && filled[i].is_none())
            .ok_or_else(|| ParseError::new("content", "more keywords than the template has"))?;
        filled[free] = Some(row);
    }
    Ok(keys
        .into_iter()
        .zip(filled)
        .map(|((key, name), row)| {
            let mut row = row.unwrap_or(ContentRow {
                label: String::new(),
                value: String::new(),
                color: None,
            });
            if row.label.is_empty() && key.starts_with("keyword") {
                row.label = name;
            }
            (key, row)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::library::TitleId;
    use crate::official::oa_title;

    fn meeting() -> Template {
        let t = oa_title("OPENTM200000001").unwrap();
        Template {
            template_id: TemplateId::generate(),
            appid: AppId::generate(),
            title_id: TitleId::parse(&t.id).unwrap(),
            title: t.title.clone(),
            keywords: t.keywords.clone(),
            created_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn the_vendor_example_maps_onto_the_rows() {
        let content = json!({
            "first": {"value": "11111111{{PROFILE-nickname}}", "label": ""},
            "HandleType": {"value": "222222222222", "label": "服务类型"},
            "remark": {"value": "66666666666666", "label": ""},
        });
        let rows = normalize_content(&meeting(), &content).unwrap();
        let keys: Vec<_> = rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["first", "keyword1", "keyword2", "remark"]);
        assert_eq!(rows[1].1.value, "222222222222");
        assert_eq!(rows[1].1.label, "服务类型");
        assert_eq!(
            rows[2].1.label, "会议时间",
            "an unfilled keyword keeps its name"
        );
        assert_eq!(rows[0].1.value, "11111111{{PROFILE-nickname}}");
    }

    #[test]
    fn labels_and_keys_pick_their_rows() {
        let content = json!({
            "when": {"value": "明天", "label": "会议时间"},
            "keyword1": {"value": "周会", "color": "#173177"},
        });
        let rows = normalize_content(&meeting(), &content).unwrap();
        assert_eq!(rows[1].1.value, "周会");
        assert_eq!(rows[2].1.value, "明天");
        assert!(normalize_content(
            &meeting(),
            &json!({"a": {"value": "1"}, "b": {"value": "2"}, "c": {"value": "3"}})
        )
        .is_err());
        assert!(normalize_content(
            &meeting(),
            &json!({"keyword1": {"value": "x", "color": "red"}})
        )
        .is_err());
    }
}
