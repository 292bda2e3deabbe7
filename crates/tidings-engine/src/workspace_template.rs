//! Workspace card templates (title, tags, sample, actions, rows of aligned
//! cells) and what a push to message boxes carries.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::AppId;
use crate::clock::Timestamp;
use crate::error::ParseError;
use crate::message::parse_color;
use crate::template::TemplateId;
use crate::workspace::{
    check_actions, check_contents, check_data, render_card, variables, Action, Cell, DataItem,
    Platform,
};

/// Who made the app the template belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceType {
    #[serde(rename = "NATIVE")]
    Native,
    #[serde(rename = "ISV")]
    Isv,
}

impl SourceType {
    pub fn parse(raw: Option<&str>) -> Result<Self, ParseError> {
        match raw.map(str::to_ascii_uppercase).as_deref() {
            None | Some("") | Some("NATIVE") => Ok(SourceType::Native),
            Some("ISV") => Ok(SourceType::Isv),
            Some(_) => Err(ParseError::new("source_type", "NATIVE or ISV")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::Native => "NATIVE",
            SourceType::Isv => "ISV",
        }
    }
}

/// A template's editable fields, as created or updated.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct TemplateDraft {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub sample: String,
    #[serde(default)]
    pub actions: Vec<Action>,
    #[serde(default)]
    pub contents: Vec<Vec<Cell>>,
}

impl TemplateDraft {
    /// Title 1 to 64 characters, tags and sample at most 200, then the
    /// rows and actions.
    pub fn check(&self) -> Result<(), ParseError> {
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 64 {
            return Err(ParseError::new("title", "1 to 64 characters"));
        }
        if self.tags.chars().count() > 200 {
            return Err(ParseError::new("tags", "at most 200 characters"));
        }
        if self.sample.chars().count() > 200 {
            return Err(ParseError::new("sample", "at most 200 characters"));
        }
        check_contents(&self.contents)?;
        check_actions(&self.actions)
    }
}

/// A workspace app's card template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceTemplate {
    pub id: TemplateId,
    pub appid: AppId,
    pub source_type: SourceType,
    pub draft: TemplateDraft,
    /// Who created or last changed it (the app, through its token).
    pub operator: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The card header of a push.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct PushBody {
    pub template_id: Option<String>,
    #[serde(default)]
    pub top_color: Option<String>,
    #[serde(default)]
    pub top_avatar: Option<String>,
    #[serde(default)]
    pub top_title: Option<String>,
    #[serde(default)]
    pub data: Vec<DataItem>,
}

/// What a push delivers, kept with its send record: the card rendered once
/// (the material), where it goes, and the targets as requested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspacePush {
    pub material_id: String,
    pub platforms: Vec<Platform>,
    pub card: Value,
    /// The requested client ids, qualified by org path as plans show them.
    pub client_ids: Vec<String>,
}

/// Checks a push's header and data against the template and renders the
/// card every recipient gets.
pub fn render_push(template: &WorkspaceTemplate, body: &PushBody) -> Result<Value, ParseError> {
    if let Some(c) = body.top_color.as_deref().filter(|c| !c.is_empty()) {
        parse_color(c).map_err(|e| ParseError::new("top_color", e.reason))?;
    }
    if body
        .top_title
        .as_deref()
        .is_some_and(|t| t.chars().count() > 64)
    {
        return Err(ParseError::new("top_title", "at most 64 characters"));
    }
    if body.top_avatar.as_deref().is_some_and(|a| a.len() > 1024) {
        return Err(ParseError::new("top_avatar", "at most 1024 bytes"));
    }
    let d = &template.draft;
    check_data(&body.data, &variables(&d.contents))?;
    let header = serde_json::json!({
        "top_title": body.top_title.clone().unwrap_or_else(|| d.title.clone()),
        "top_color": body.top_color,
        "top_avatar": body.top_avatar,
    });
    Ok(render_card(&header, &d.contents, &body.data, &d.actions))
}

/// The platforms a push names, or the default (IOS and ANDROID).
pub fn parse_platforms(raw: &[String]) -> Result<Vec<Platform>, ParseError> {
    if raw.is_empty() {
        return Ok(Platform::DEFAULT.to_vec());
    }
    let mut out = Vec::new();
    for p in raw {
        let p = Platform::parse(p)?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn template() -> WorkspaceTemplate {
        let draft: TemplateDraft = serde_json::from_value(json!({
            "title": "接口模板2", "tags": "标签信息", "sample": "消息示例",
            "actions": [{"name": "查看详情", "value": "https://baidu.com"}],
            "contents": [[{"content": "我是第一行:{{data1.DATA}}", "align": "center"}]]
        }))
        .unwrap();
        draft.check().unwrap();
        WorkspaceTemplate {
            id: TemplateId::generate_uuid(),
            appid: AppId::generate(),
            source_type: SourceType::Native,
            draft,
            operator: "op".into(),
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn pushes_render_with_the_template_title_by_default() {
        let body: PushBody = serde_json::from_value(json!({
            "top_color": "#00ff00",
            "data": [{"key": "data1", "value": "v", "text_style": "bold"}]
        }))
        .unwrap();
        let card = render_push(&template(), &body).unwrap();
        assert_eq!(card["top_title"], "接口模板2");
        assert_eq!(card["rows"][0][0]["spans"][1]["text"], "v");
        assert_eq!(card["actions"][0]["name"], "查看详情");
        let bad = PushBody {
            top_color: Some("00ff00".into()),
            ..body
        };
        assert!(render_push(&template(), &bad).is_err());
    }

    #[test]
    fn platforms_default_and_source_types() {
        assert_eq!(parse_platforms(&[]).unwrap(), Platform::DEFAULT);
        assert_eq!(
            parse_platforms(&["pc".into(), "PC".into()]).unwrap(),
            [Platform::Pc]
        );
        assert!(parse_platforms(&["TV".into()]).is_err());
        assert_eq!(SourceType::parse(None).unwrap(), SourceType::Native);
        assert_eq!(SourceType::parse(Some("isv")).unwrap(), SourceType::Isv);
        assert!(SourceType::parse(Some("OTHER")).is_err());
    }

    #[test]
    fn uuid_template_ids() {
        let id = TemplateId::generate_uuid();
        assert_eq!(id.as_str().len(), 36);
        assert_eq!(TemplateId::parse(id.as_str()).unwrap(), id);
        assert!(TemplateId::parse("86007b6c-5cd1-4a9d-a5a6-f85ba8fdd03f").is_ok());
        assert!(TemplateId::parse("86007b6c-5cd1-4a9d-a5a6-f85ba8fdd03").is_err());
    }
}
