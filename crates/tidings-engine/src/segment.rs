//! Segment sends: an audience, per-recipient personalization, and the state
//! of the job that delivers them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::AppId;
use crate::clock::Timestamp;
use crate::error::ParseError;
use crate::message::{check_value_length, render, Rendered};
use crate::template::{Template, TemplateId};
use crate::user::{OpenId, User};

/// At most this many openids in an explicit audience list.
pub const MAX_OPENID_LIST: usize = 10_000;

/// A tag's name: 1 to 30 characters, trimmed.
pub fn parse_tag_name(raw: &str) -> Result<String, ParseError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 30 || name.chars().any(char::is_control) {
        return Err(ParseError::new("name", "must be 1 to 30 characters"));
    }
    Ok(name.to_owned())
}

/// A tag of one app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub id: i64,
    #[serde(skip)]
    pub appid: AppId,
    pub name: String,
    pub created_at: Timestamp,
}

/// How a tag audience combines its tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    #[default]
    Any,
    All,
}

/// Who a segment send goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    OpenIds {
        openids: Vec<OpenId>,
    },
    Tags {
        tag_ids: Vec<i64>,
        #[serde(default)]
        r#match: Match,
    },
    All {
        all: bool,
    },
    /// A workspace push: these employees and everyone under these org paths.
    Workspace {
        client_ids: Vec<OpenId>,
        scopes: Vec<String>,
    },
}

impl Audience {
    pub fn check(&self) -> Result<(), ParseError> {
        match self {
            Audience::OpenIds { openids } if openids.is_empty() => {
                Err(ParseError::new("audience", "openids is empty"))
            }
            Audience::OpenIds { openids } if openids.len() > MAX_OPENID_LIST => {
                Err(ParseError::new(
                    "audience",
                    format!("at most {MAX_OPENID_LIST} openids; use a tag for more"),
                ))
            }
            Audience::Tags { tag_ids, .. } if tag_ids.is_empty() || tag_ids.len() > 20 => {
                Err(ParseError::new("audience", "tag_ids holds 1 to 20 tags"))
            }
            Audience::All { all: false } => Err(ParseError::new("audience", "all must be true")),
            Audience::Workspace { client_ids, scopes }
                if client_ids.is_empty() && scopes.is_empty() =>
            {
                Err(ParseError::new("client_ids", "name client_ids or scopes"))
            }
            Audience::Workspace { client_ids, .. } if client_ids.len() > MAX_OPENID_LIST => {
                Err(ParseError::new(
                    "client_ids",
                    format!("at most {MAX_OPENID_LIST} client_ids"),
                ))
            }
            Audience::Workspace { scopes, .. } if scopes.len() > 100 => {
                Err(ParseError::new("scopes", "at most 100 scopes"))
            }
            _ => Ok(()),
        }
    }
}

/// A send job's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendState {
    Queued,
    Running,
    Finished,
    Failed,
    Cancelled,
}

impl SendState {
    pub fn as_str(self) -> &'static str {
        match self {
            SendState::Queued => "queued",
            SendState::Running => "running",
            SendState::Finished => "finished",
            SendState::Failed => "failed",
            SendState::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Ok(match raw {
            "queued" => SendState::Queued,
            "running" => SendState::Running,
            "finished" => SendState::Finished,
            "failed" => SendState::Failed,
            "cancelled" => SendState::Cancelled,
            _ => return Err(ParseError::new("state", "unknown send state")),
        })
    }

    pub fn is_done(self) -> bool {
        matches!(
            self,
            SendState::Finished | SendState::Failed | SendState::Cancelled
        )
    }
}

/// What a segment send delivers, as submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendSpec {
    pub data: Option<Value>,
    pub page: Option<String>,
    pub url: Option<String>,
    pub color: Option<String>,
    pub emphasis_keyword: Option<String>,
    pub audience: Option<Audience>,
    /// An official account's card opening a mini-program page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miniprogram: Option<crate::marketing::MiniProgramTarget>,
    /// The marketing template the send came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketing_id: Option<i64>,
    /// A push to workspace message boxes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<crate::workspace_template::WorkspacePush>,
}

/// A send record: one single send, or a segment send job.
#[derive(Debug, Clone, PartialEq)]
pub struct SendRecord {
    pub id: i64,
    pub appid: AppId,
    /// `single` or `segment`.
    pub kind: String,
    pub template_id: TemplateId,
    pub title: String,
    pub spec: SendSpec,
    pub state: SendState,
    pub expects: i64,
    pub oks: i64,
    pub fails: i64,
    /// The last openid handed out, for keyset paging of the audience.
    pub cursor: Option<String>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// The token of the worker's current lease, while one holds it.
    pub claim: Option<String>,
    /// Marketing words found in what the send carried (governance).
    pub marketing_hits: i64,
}

/// Replaces `{{PROFILE-field}}` and `{{PROFILE-field|default}}` in every
/// `value` of a send's data with the recipient's field (`nickname`, or a
/// profile field); a missing field renders empty or as the default.
pub fn personalize(data: &Value, user: &User) -> Value {
    let mut out = data.clone();
    if let Value::Object(map) = &mut out {
        for entry in map.values_mut() {
            if let Some(Value::String(v)) = entry.get_mut("value") {
                *v = fill_placeholders(v, user);
            }
        }
    }
    out
}

const PLACEHOLDER: &str = "{{PROFILE-";

/// A segment send's card, rendered once for all its recipients: only the
/// rows whose value names a recipient's field are filled per recipient.
/// Each recipient's card is the one [`render`] makes of the [`personalize`]d
/// data.
pub struct SendRenderer<'a> {
    template: &'a Template,
    spec: &'a SendSpec,
    /// The card as rendered from the data as sent, and the rows holding
    /// placeholders; `None` when that does not render (a value that only
    /// fits once filled): each recipient's data is then rendered whole.
    shared: Option<(Rendered, Vec<usize>)>,
}

impl<'a> SendRenderer<'a> {
    pub fn new(template: &'a Template, spec: &'a SendSpec) -> Self {
        let mut renderer = Self {
            template,
            spec,
            shared: None,
        };
        renderer.shared = renderer.render(spec.data.as_ref()).ok().map(|card| {
            let slots = (0..card.rows.len())
                .filter(|&i| card.rows[i].value.contains(PLACEHOLDER))
                .collect();
            (card, slots)
        });
        renderer
    }

    /// The send's template rendered with `data` and the send's options.
    fn render(&self, data: Option<&Value>) -> Result<Rendered, ParseError> {
        render(
            self.template,
            data,
            self.spec.color.as_deref(),
            self.spec.emphasis_keyword.as_deref(),
        )
    }

    /// One recipient's card.
    pub fn for_user(&self, user: &User) -> Result<Rendered, ParseError> {
        let Some((card, slots)) = &self.shared else {
            let data = self.spec.data.as_ref().map(|d| personalize(d, user));
            return self.render(data.as_ref());
        };
        let mut card = card.clone();
        for &i in slots {
            let row = &mut card.rows[i];
            row.value = fill_placeholders(&row.value, user);
            check_value_length(&row.key, &row.value)?;
        }
        Ok(card)
    }
}

fn field(user: &User, name: &str) -> Option<String> {
    if name == "nickname" {
        return user.nickname.clone().filter(|n| !n.is_empty());
    }
    match user.profile.get(name)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn fill_placeholders(template: &str, user: &User) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find(PLACEHOLDER) {
        let after = &rest[start + PLACEHOLDER.len()..];
        let Some(end) = after.find("}}") else { break };
        out.push_str(&rest[..start]);
        let inner = &after[..end];
        let (name, default) = inner.split_once('|').unwrap_or((inner, ""));
        out.push_str(&field(user, name.trim()).unwrap_or_else(|| default.to_owned()));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user() -> User {
        User {
            appid: AppId::generate(),
            openid: OpenId::generate(),
            nickname: Some("小明".into()),
            profile: json!({"city": "广州", "level": 3})
                .as_object()
                .unwrap()
                .clone(),
            created_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn placeholders_take_profile_fields_or_defaults() {
        let data = json!({
            "keyword1": {"value": "{{PROFILE-nickname}}您好"},
            "keyword2": {"value": "{{PROFILE-city}}·{{PROFILE-level}}级", "color": "#173177"},
            "keyword3": {"value": "{{PROFILE-country|中国}}/{{PROFILE-street}}"},
            "keyword4": {"value": "no placeholder {{PROFILE-unclosed"},
        });
        let out = personalize(&data, &user());
        assert_eq!(out["keyword1"]["value"], "小明您好");
        assert_eq!(out["keyword2"]["value"], "广州·3级");
        assert_eq!(out["keyword2"]["color"], "#173177");
        assert_eq!(out["keyword3"]["value"], "中国/");
        assert_eq!(
            out["keyword4"]["value"],
            "no placeholder {{PROFILE-unclosed"
        );
    }

    #[test]
    fn audiences_parse_and_check() {
        let a: Audience =
            serde_json::from_value(json!({"tag_ids": [1, 2], "match": "all"})).unwrap();
        assert_eq!(
            a,
            Audience::Tags {
                tag_ids: vec![1, 2],
                r#match: Match::All
            }
        );
        let b: Audience = serde_json::from_value(json!({"all": true})).unwrap();
        assert!(b.check().is_ok());
        let c: Audience = serde_json::from_value(json!({"openids": []})).unwrap();
        assert!(c.check().is_err());
        assert!(serde_json::from_value::<Audience>(json!({"nobody": 1})).is_err());
    }

    #[test]
    fn a_send_renderer_makes_each_recipients_card_as_render_does() {
        let template = crate::message::tests::template();
        let long = "长".repeat(195);
        let specs = [
            json!({"data": {"keyword1": {"value": "{{PROFILE-nickname}}您好", "color": "#173177"},
                            "keyword2": {"value": "固定"}},
                   "emphasis_keyword": "keyword2.DATA", "color": "#000000"}),
            // Fits only once filled: rendered whole per recipient.
            json!({"data": {"keyword1": {"value": format!("{long}{{{{PROFILE-nickname}}}}")}}}),
            // Too long once filled.
            json!({"data": {"keyword1": {"value": format!("{long}{{{{PROFILE-city}}}}{long}")}}}),
            json!({"data": {"keyword9": {"value": "x"}}}),
            json!({}),
        ];
        let mut short = user();
        short.nickname = Some("小".into());
        for raw in specs {
            let spec: SendSpec = serde_json::from_value(raw.clone()).unwrap();
            let renderer = SendRenderer::new(&template, &spec);
            for u in [user(), short.clone()] {
                let data = spec.data.as_ref().map(|d| personalize(d, &u));
                let whole = render(
                    &template,
                    data.as_ref(),
                    spec.color.as_deref(),
                    spec.emphasis_keyword.as_deref(),
                );
                assert_eq!(renderer.for_user(&u).ok(), whole.ok(), "{raw}");
            }
        }
    }
}
