//! The enterprise workspace: an org tree, employees with devices, card
//! templates made of rows of aligned cells, and pushes to message boxes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ParseError;
use crate::message::parse_color;

/// An org path like `/122/234/`: slash-separated segments, slashes at both ends.
pub fn parse_org_path(raw: &str) -> Result<String, ParseError> {
    let inner = raw
        .strip_prefix('/')
        .and_then(|r| r.strip_suffix('/'))
        .ok_or_else(|| ParseError::new("orgs", format!("{raw:?} must look like /122/234/")))?;
    let ok = !inner.is_empty()
        && raw.len() <= 512
        && inner.split('/').all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !ok {
        return Err(ParseError::new(
            "orgs",
            format!("{raw:?} must look like /122/234/"),
        ));
    }
    Ok(raw.to_owned())
}

/// Where a message box lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Platform {
    #[serde(rename = "ANDROID")]
    Android,
    #[serde(rename = "IOS")]
    Ios,
    #[serde(rename = "PC")]
    Pc,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Android => "ANDROID",
            Platform::Ios => "IOS",
            Platform::Pc => "PC",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw.to_ascii_uppercase().as_str() {
            "ANDROID" => Ok(Platform::Android),
            "IOS" => Ok(Platform::Ios),
            "PC" => Ok(Platform::Pc),
            _ => Err(ParseError::new(
                "platforms",
                format!("{raw:?} is not ANDROID, IOS or PC"),
            )),
        }
    }

    /// What a push targets when it names no platform.
    pub const DEFAULT: [Platform; 2] = [Platform::Ios, Platform::Android];
}

/// A cell of a template row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    pub content: String,
    pub align: String,
}

/// A button of a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub name: String,
    pub value: String,
}

/// Checks a template's rows: 1 to 20 rows of 1 to 4 cells, aligned left,
/// right or center.
pub fn check_contents(rows: &[Vec<Cell>]) -> Result<(), ParseError> {
    if rows.is_empty() || rows.len() > 20 {
        return Err(ParseError::new("contents", "1 to 20 rows"));
    }
    for row in rows {
        if row.is_empty() || row.len() > 4 {
            return Err(ParseError::new("contents", "each row holds 1 to 4 cells"));
        }
        for cell in row {
            if !matches!(cell.align.as_str(), "left" | "right" | "center") {
                return Err(ParseError::new(
                    "contents.align",
                    format!("{:?} is not left, right or center", cell.align),
                ));
            }
            if cell.content.chars().count() > 500 {
                return Err(ParseError::new(
                    "contents.content",
                    "at most 500 characters a cell",
                ));
            }
        }
    }
    Ok(())
}

pub fn check_actions(actions: &[Action]) -> Result<(), ParseError> {
    if actions.len() > 5 {
        return Err(ParseError::new("actions", "at most 5 actions"));
    }
    for a in actions {
        if a.name.trim().is_empty() || a.name.chars().count() > 20 {
            return Err(ParseError::new("actions.name", "1 to 20 characters"));
        }
        crate::message::check_url(&a.value)
            .map_err(|e| ParseError::new("actions.value", e.reason))?;
    }
    Ok(())
}

/// The `{{name.DATA}}` variables of a template's cells, in order of first use.
pub fn variables(rows: &[Vec<Cell>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for cell in rows.iter().flatten() {
        let mut rest = cell.content.as_str();
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            if let Some(name) = after[..end].strip_suffix(".DATA") {
                if !name.is_empty() && !out.iter().any(|v| v == name) {
                    out.push(name.to_owned());
                }
            }
            rest = &after[end + 2..];
        }
    }
    out
}

/// One value of a push, with its style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataItem {
    pub key: String,
    #[serde(default)]
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font_size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_style: Option<String>,
}

/// Checks a push's data against the template's variables: known keys,
/// `#RRGGBB` colors, font sizes 8 to 72, text style normal or bold.
pub fn check_data(items: &[DataItem], vars: &[String]) -> Result<(), ParseError> {
    for d in items {
        if !vars.contains(&d.key) {
            return Err(ParseError::new(
                "data",
                format!("{} is not a variable of the template", d.key),
            ));
        }
        if let Some(c) = &d.color {
            parse_color(c).map_err(|e| ParseError::new("data.color", e.reason))?;
        }
        if let Some(f) = &d.font_size {
            let size: u32 = f
                .parse()
                .map_err(|_| ParseError::new("data.font_size", format!("{f:?} is not a number")))?;
            if !(8..=72).contains(&size) {
                return Err(ParseError::new("data.font_size", "8 to 72"));
            }
        }
        if let Some(s) = &d.text_style {
            if s != "normal" && s != "bold" {
                return Err(ParseError::new(
                    "data.text_style",
                    format!("{s:?} is not normal or bold"),
                ));
            }
        }
        if d.value.chars().count() > crate::message::MAX_VALUE_CHARS {
            return Err(ParseError::new("data.value", "at most 200 characters"));
        }
    }
    Ok(())
}

/// A rendered card: its header, rows of cells whose variables are filled
/// as styled spans, and its action buttons.
pub fn render_card(
    header: &Value,
    rows: &[Vec<Cell>],
    data: &[DataItem],
    actions: &[Action],
) -> Value {
    let rendered: Vec<Value> = rows
        .iter()
        .map(|row| {
            Value::Array(
                row.iter()
                    .map(|cell| serde_json::json!({"align": cell.align, "spans": spans(&cell.content, data)}))
                    .collect(),
            )
        })
        .collect();
    serde_json::json!({
        "top_title": header.get("top_title").cloned().unwrap_or(Value::Null),
        "top_color": header.get("top_color").cloned().unwrap_or(Value::Null),
        "top_avatar": header.get("top_avatar").cloned().unwrap_or(Value::Null),
        "rows": rendered,
        "actions": actions.iter().map(|a| serde_json::json!({"name": a.name, "url": a.value})).collect::<Vec<_>>(),
    })
}

fn spans(content: &str, data: &[DataItem]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = content;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        if start > 0 {
            out.push(serde_json::json!({"text": &rest[..start]}));
        }
        let name = after[..end].strip_suffix(".DATA").unwrap_or(&after[..end]);
        match data.iter().find(|d| d.key == name) {
            Some(d) => out.push(serde_json::json!({
                "text": d.value,
                "color": d.color,
                "font_size": d.font_size,
                "text_style": d.text_style.clone().unwrap_or_else(|| "normal".into()),
            })),
            None => out.push(serde_json::json!({"text": ""})),
        }
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        out.push(serde_json::json!({"text": rest}));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(content: &str, align: &str) -> Cell {
        Cell {
            content: content.into(),
            align: align.into(),
        }
    }

    #[test]
    fn org_paths_and_platforms() {
        assert!(parse_org_path("/122/234/").is_ok());
        for bad in ["122/234/", "/122/234", "//", "/a b/", ""] {
            assert!(parse_org_path(bad).is_err(), "{bad}");
        }
        assert_eq!(Platform::parse("ios").unwrap(), Platform::Ios);
        assert!(Platform::parse("WINDOWS").is_err());
    }

    #[test]
    fn variables_are_found_and_data_checked() {
        let rows = vec![
            vec![cell("我是第一行:{{data1.DATA}}", "center")],
            vec![cell("{{a.DATA}} {{data1.DATA}}", "left")],
        ];
        assert_eq!(variables(&rows), ["data1", "a"]);
        let ok = DataItem {
            key: "data1".into(),
            value: "x".into(),
            color: Some("#00ff00".into()),
            font_size: Some("12".into()),
            text_style: Some("bold".into()),
        };
        assert!(check_data(std::slice::from_ref(&ok), &variables(&rows)).is_ok());
        for bad in [
            DataItem {
                key: "nope".into(),
                ..ok.clone()
            },
            DataItem {
                color: Some("green".into()),
                ..ok.clone()
            },
            DataItem {
                font_size: Some("big".into()),
                ..ok.clone()
            },
            DataItem {
                text_style: Some("italic".into()),
                ..ok.clone()
            },
        ] {
            assert!(check_data(&[bad], &variables(&rows)).is_err());
        }
        assert!(check_contents(&[vec![cell("x", "middle")]]).is_err());
        assert!(check_contents(&rows).is_ok());
    }

    #[test]
    fn cards_fill_variables_as_styled_spans() {
        let rows = vec![vec![cell("单号:{{keyword1.DATA}}。", "right")]];
        let data = [DataItem {
            key: "keyword1".into(),
            value: "339208499".into(),
            color: Some("#00ff00".into()),
            font_size: Some("12".into()),
            text_style: None,
        }];
        let card = render_card(
            &serde_json::json!({"top_title": "流程大师"}),
            &rows,
            &data,
            &[],
        );
        assert_eq!(card["top_title"], "流程大师");
        let spans = &card["rows"][0][0]["spans"];
        assert_eq!(card["rows"][0][0]["align"], "right");
        assert_eq!(spans[0]["text"], "单号:");
        assert_eq!(spans[1]["text"], "339208499");
        assert_eq!(spans[1]["color"], "#00ff00");
        assert_eq!(spans[1]["text_style"], "normal");
        assert_eq!(spans[2]["text"], "。");
    }
}
