//! Rendering a send: the template's rows filled from the request's data,
//! checked once here for every dialect.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::{Page, Pages};
use crate::clock::Timestamp;
use crate::error::ParseError;
use crate::send_data::SendData;
use crate::template::Template;
use crate::user::OpenId;
use crate::{AppId, TemplateId};

/// The name of a workspace card's complain button.
pub const COMPLAINT_ACTION: &str = "投诉";

/// The longest keyword value, in characters.
pub const MAX_VALUE_CHARS: usize = 200;

/// One rendered row of a card: the keyword's name and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// `keyword1`, `keyword2`, ...
    pub key: String,
    pub name: String,
    pub value: String,
    /// `#RRGGBB`; absent means the client's default (black).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// A card's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub rows: Vec<Row>,
    /// Index into `rows` of the emphasized keyword.
    pub emphasis: Option<usize>,
}

/// A `#RRGGBB` color.
pub fn parse_color(raw: &str) -> Result<String, ParseError> {
    let hex = raw.strip_prefix('#').unwrap_or("");
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ParseError::new(
            "color",
            format!("{raw:?} is not a #RRGGBB color"),
        ));
    }
    Ok(raw.to_owned())
}

/// Fills `template` from a send's `data` object (`{"keyword1": {"value":
/// "...", "color": "#173177"}, ...}`), the message-wide default `color`, and
/// `emphasis_keyword` (`keywordN.DATA`). Missing keywords render empty, as
/// WeChat sends an empty template when data is left out.
pub fn render(
    template: &Template,
    data: Option<&Value>,
    color: Option<&str>,
    emphasis_keyword: Option<&str>,
) -> Result<Rendered, ParseError> {
    // `None` when `data` is not an object; null reads as no entries.
    let object = match data {
        None | Some(Value::Null) => Some(None),
        Some(Value::Object(map)) => Some(Some(map)),
        Some(_) => None,
    };
    let entries = object.map(|map| {
        map.into_iter()
            .flatten()
            .map(|(key, entry)| (key.as_str(), data_entry(key, entry)))
    });
    fill(template, entries, color, emphasis_keyword)
}

/// As [`render`], from `data` read straight from a request.
pub fn render_data(
    template: &Template,
    data: Option<SendData>,
    color: Option<&str>,
    emphasis_keyword: Option<&str>,
) -> Result<Rendered, ParseError> {
    let entries = data.unwrap_or_else(SendData::empty).into_entries();
    fill(template, entries, color, emphasis_keyword)
}

pub(crate) type Parts = Result<(String, Option<String>), ParseError>;

/// The rows of `template` filled from `entries` (`None`: `data` is not an
/// object); the one place where every send's data is checked.
fn fill<K: AsRef<str>>(
    template: &Template,
    entries: Option<impl Iterator<Item = (K, Parts)>>,
    color: Option<&str>,
    emphasis_keyword: Option<&str>,
) -> Result<Rendered, ParseError> {
    let default_color = color
        .filter(|c| !c.is_empty())
        .map(parse_color)
        .transpose()?;
    let mut rows: Vec<Row> = template
        .row_keys()
        .into_iter()
        .map(|(key, name)| Row {
            key,
            name,
            value: String::new(),
            color: default_color.clone(),
        })
        .collect();
    let entries =
        entries.ok_or_else(|| ParseError::new("data", "must be an object of keywordN entries"))?;
    for (key, parts) in entries {
        let key = key.as_ref();
        let i = template.keyword_index(key).ok_or_else(|| {
            ParseError::new(
                "data",
                format!(
                    "{key} is not a keyword of this template (keyword1..keyword{})",
                    rows.len()
                ),
            )
        })?;
        let (value, color) = parts?;
        rows[i].value = value;
        if let Some(c) = color {
            rows[i].color = Some(c);
        }
    }
    let emphasis = match emphasis_keyword.filter(|e| !e.is_empty()) {
        None => None,
        Some(raw) => {
            let key = raw.strip_suffix(".DATA").ok_or_else(|| {
                ParseError::new(
                    "emphasis_keyword",
                    format!("{raw:?} must look like keyword1.DATA"),
                )
            })?;
            Some(template.keyword_index(key).ok_or_else(|| {
                ParseError::new(
                    "emphasis_keyword",
                    format!("{raw:?} is not a keyword of this template"),
                )
            })?)
        }
    };
    Ok(Rendered { rows, emphasis })
}

/// A keyword's value is at most [`MAX_VALUE_CHARS`] characters.
pub(crate) fn check_value_length(key: &str, value: &str) -> Result<(), ParseError> {
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err(ParseError::new(
            "data",
            format!("{key}.value is longer than {MAX_VALUE_CHARS} characters"),
        ));
    }
    Ok(())
}

pub(crate) fn entry_not_an_object(key: &str) -> ParseError {
    ParseError::new("data", format!("{key} must be an object with a value"))
}

pub(crate) fn value_not_a_string(key: &str) -> ParseError {
    ParseError::new("data", format!("{key}.value must be a string"))
}

pub(crate) fn color_not_a_string(key: &str) -> ParseError {
    ParseError::new("data", format!("{key}.color must be a string"))
}

/// An entry's color, checked: `None` when empty.
pub(crate) fn entry_color(key: &str, c: &str) -> Result<Option<String>, ParseError> {
    if c.is_empty() {
        return Ok(None);
    }
    parse_color(c)
        .map(Some)
        .map_err(|e| ParseError::new("data", format!("{key}.color: {}", e.reason)))
}

fn data_entry(key: &str, entry: &Value) -> Parts {
    let obj = entry.as_object().ok_or_else(|| entry_not_an_object(key))?;
    let value = match obj.get("value") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(value_not_a_string(key)),
    };
    check_value_length(key, &value)?;
    let color = match obj.get("color") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) => entry_color(key, c)?,
        Some(_) => return Err(color_not_a_string(key)),
    };
    Ok((value, color))
}

/// A send's `page`: one of the app's pages, with an optional query string
/// (`index?foo=bar`). `None` when the card has no jump.
pub fn check_page(raw: Option<&str>, pages: &Pages) -> Result<Option<String>, ParseError> {
    let Some(raw) = raw.filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let path = raw.split_once('?').map_or(raw, |(p, _)| p);
    let page = Page::parse(path.trim_start_matches('/'))?;
    if !pages.contains(&page) {
        return Err(ParseError::new(
            "page",
            format!("{path:?} is not one of the app's pages"),
        ));
    }
    Ok(Some(raw.to_owned()))
}

/// A delivered message, as the recipient's inbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    /// The send record this message belongs to.
    pub send_id: Option<i64>,
    /// delivered, read, clicked or failed.
    pub status: String,
    pub failed_reason: Option<String>,
    /// The tracking token of `/r/{token}`, when the card has a jump target.
    pub link_token: Option<String>,
    pub url: Option<String>,
    pub delivered_at: Option<Timestamp>,
    pub clicked_at: Option<Timestamp>,
    pub appid: AppId,
    pub openid: OpenId,
    pub template_id: TemplateId,
    pub title: String,
    pub rows: Vec<Row>,
    pub emphasis: Option<usize>,
    pub page: Option<String>,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
    /// A workspace card (header, rows of cells, actions), instead of rows.
    pub card: Option<Value>,
    /// The message boxes a workspace card landed in; empty for the others.
    pub platforms: Vec<crate::workspace::Platform>,
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::json;

    use super::*;
    use crate::library::builtin_library;
    use crate::send_data::SendData;
    use crate::template::Template;

    /// A template of three keywords of the library's second title.
    pub(crate) fn template() -> Template {
        let title = builtin_library().into_iter().nth(1).unwrap();
        Template {
            template_id: TemplateId::generate(),
            appid: AppId::generate(),
            title_id: title.id.clone(),
            title: title.title.clone(),
            keywords: Template::compose(&title, &[3, 4, 5]).unwrap(),
            created_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn renders_rows_in_template_order_with_colors_and_emphasis() {
        let data = json!({
            "keyword2": {"value": "2016年6月6日"},
            "keyword1": {"value": "TIT造舰厂", "color": "#173177"},
        });
        let r = render(
            &template(),
            Some(&data),
            Some("#000000"),
            Some("keyword1.DATA"),
        )
        .unwrap();
        assert_eq!(r.rows.len(), 3);
        assert_eq!(r.rows[0].name, "购买地点");
        assert_eq!(r.rows[0].value, "TIT造舰厂");
        assert_eq!(r.rows[0].color.as_deref(), Some("#173177"));
        assert_eq!(
            r.rows[1].color.as_deref(),
            Some("#000000"),
            "message-wide color"
        );
        assert_eq!(r.rows[2].value, "", "missing keywords render empty");
        assert_eq!(r.emphasis, Some(0));
    }

    #[test]
    fn refuses_what_the_template_does_not_have() {
        let t = template();
        let bad = [
            (json!({"keyword4": {"value": "x"}}), None, None),
            (json!({"first": {"value": "x"}}), None, None),
            (json!({"keyword1": "x"}), None, None),
            (json!({"keyword1": {"value": ["x"]}}), None, None),
            (json!({"keyword1": {"value": "x".repeat(201)}}), None, None),
            (
                json!({"keyword1": {"value": "x", "color": "red"}}),
                None,
                None,
            ),
            (json!([1, 2]), None, None),
            (json!({}), Some("#12345"), None),
            (json!({}), None, Some("keyword4.DATA")),
            (json!({}), None, Some("keyword1")),
        ];
        for (data, color, emphasis) in bad {
            assert!(
                render(&t, Some(&data), color, emphasis).is_err(),
                "{data} {color:?} {emphasis:?}"
            );
        }
        assert!(
            render(&t, None, None, None).is_ok(),
            "an empty template is allowed"
        );
    }

    /// `data` read straight from a request's text renders exactly as the
    /// same text read as a JSON tree: the same rows, or the same refusal.
    #[test]
    fn data_read_from_the_request_renders_as_the_json_tree_does() {
        let t = template();
        let bodies = [
            r##"null"##,
            r##"{}"##,
            r##"{"keyword2": {"value": "2016年6月6日"}, "keyword1": {"value": "厂", "color": "#173177"}}"##,
            r##"{"keyword1": {"value": 12}, "keyword2": {"value": -3.5e2}, "keyword3": {"value": null}}"##,
            r##"{"keyword1": {"value": "a"}, "keyword1": {"value": "b"}}"##,
            r##"{"keyword1": {"value": "a", "color": "", "extra": [1, {"x": 2}]}}"##,
            r##"{"keyword1": {}}"##,
            r##"{"keyword4": {"value": "x"}}"##,
            r##"{"keyword3": "x", "keyword1": {"value": ["x"]}}"##,
            r##"{"keyword1": {"value": true}}"##,
            r##"{"keyword1": {"value": "x", "color": "red"}}"##,
            r##"{"keyword1": {"value": "x", "color": 7}}"##,
            r##"{"keyword1": {"value": "x", "color": {"c": 1}}}"##,
            r##"{"keyword1": 5}"##,
            r##"{"keyword1": null}"##,
            r##"[1, 2]"##,
            r##""text""##,
            r##"3"##,
            r##"false"##,
        ];
        let long = format!(
            r#"{{"keyword1": {{"value": "{}", "color": "x"}}}}"#,
            "长".repeat(201)
        );
        for body in bodies.iter().copied().chain([long.as_str()]) {
            let tree: Value = serde_json::from_str(body).unwrap();
            let read: Option<SendData> = serde_json::from_str(body).unwrap();
            let expected = render(&t, Some(&tree), Some("#000000"), None);
            let got = render_data(&t, read, Some("#000000"), None);
            assert_eq!(got, expected, "{body}");
        }
        assert_eq!(
            render_data(&t, None, None, None),
            render(&t, None, None, None)
        );
    }

    #[test]
    fn pages_must_be_the_apps_with_an_optional_query() {
        let pages = Pages::parse_all(&["index", "pages/order/detail"]).unwrap();
        assert_eq!(
            check_page(Some("index?foo=bar"), &pages)
                .unwrap()
                .as_deref(),
            Some("index?foo=bar")
        );
        assert_eq!(
            check_page(Some("pages/order/detail"), &pages)
                .unwrap()
                .as_deref(),
            Some("pages/order/detail")
        );
        assert_eq!(check_page(None, &pages).unwrap(), None);
        assert_eq!(check_page(Some(""), &pages).unwrap(), None);
        assert!(check_page(Some("pages/other"), &pages).is_err());
        assert!(check_page(Some("index"), &Pages::default()).is_err());
    }

    #[test]
    fn link_tokens_name_their_message_and_keep_its_secret() {
        let secret = new_link_secret();
        assert_eq!(secret.len(), 20);
        assert_ne!(secret, new_link_secret());
        for id in [1, 42, 1 << 40, i64::MAX] {
            let token = link_token(id, &secret).unwrap();
            assert_eq!(token.len(), 31);
            assert!(is_link_token(&token), "{token}");
            assert_eq!(link_message_id(&token), Some(id));
            assert!(same_link_token(&token, &token));
        }
        let a = link_token(7, &secret).unwrap();
        let b = link_token(7, &new_link_secret()).unwrap();
        assert!(!same_link_token(&a, &b), "another secret, another token");
        assert!(tokens_sort_by_id(&secret));
        // Secrets this version did not make give no token.
        assert_eq!(link_token(7, "short"), None);
        assert_eq!(link_token(7, "AAAAAAAAAAAAAAAAAAAAAAAA"), None);
        // Earlier tokens keep their shape and name no message.
        for earlier in ["AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAA"] {
            assert!(is_link_token(earlier), "earlier tokens still follow");
            assert_eq!(link_message_id(earlier), None);
        }
        assert!(!is_link_token("AAAAAAAAAAAAAAAAAAAAAAA"));
        assert!(!is_link_token("AAAAAAAAAAAAAAAAAAAAA/AA"));
        assert_eq!(link_message_id("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/"), None);
    }

    fn tokens_sort_by_id(secret: &str) -> bool {
        let first = link_token(99, secret).unwrap();
        let second = link_token(100, secret).unwrap();
        first < second
    }
}

/// The URL-safe base64 characters in ASCII order, so that tokens sort as
/// the bytes they encode.
const SORTED_URL_SAFE: &str = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

fn sorted_base64() -> &'static base64::engine::GeneralPurpose {
    use base64::alphabet::Alphabet;
    use base64::engine::{general_purpose::NO_PAD, GeneralPurpose};
    use std::sync::LazyLock;
    static SORTED: LazyLock<GeneralPurpose> = LazyLock::new(|| {
        let alphabet = Alphabet::new(SORTED_URL_SAFE).expect("64 distinct characters");
        GeneralPurpose::new(&alphabet, NO_PAD)
    });
    &SORTED
}

/// Random bytes of a tracking link's secret.
const SECRET_BYTES: usize = 15;
/// Characters of a secret: 15 bytes in sorted base64.
const SECRET_LEN: usize = 20;
/// Characters of a message id (8 bytes) in sorted base64.
const ID_LEN: usize = 11;
/// Characters of a tracking token that names its message: the id's, then
/// the secret's.
const LOCATING_TOKEN_LEN: usize = ID_LEN + SECRET_LEN;

/// A fresh secret for a message's tracking link, 20 URL-safe characters
/// (120 random bits). The message keeps the secret; its link's token is
/// made from the message's id and the secret ([`link_token`]), so a click
/// finds its message by its id, and no index of tokens is kept.
pub fn new_link_secret() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; SECRET_BYTES];
    rand::thread_rng().fill_bytes(&mut bytes);
    sorted_base64().encode(bytes)
}

/// The token of `/r/{token}` for message `id` with link secret `secret`:
/// 31 URL-safe characters, the id then the secret. `None` for a secret
/// this version did not make.
pub fn link_token(id: i64, secret: &str) -> Option<String> {
    use base64::Engine;
    if secret.len() != SECRET_LEN || !url_safe(secret) {
        return None;
    }
    let mut token = String::with_capacity(LOCATING_TOKEN_LEN);
    sorted_base64().encode_string(id.to_be_bytes(), &mut token);
    token.push_str(secret);
    Some(token)
}

/// The message a tracking token made by [`link_token`] names; `None` for
/// any other string, tokens of earlier versions included (those are found
/// by the token itself).
pub fn link_message_id(token: &str) -> Option<i64> {
    use base64::Engine;
    if token.len() != LOCATING_TOKEN_LEN || !url_safe(token) {
        return None;
    }
    let mut id = [0u8; 9];
    let n = sorted_base64()
        .decode_slice(&token[..ID_LEN], &mut id)
        .ok()?;
    (n == 8).then(|| i64::from_be_bytes(id[..8].try_into().expect("8 bytes")))
}

fn url_safe(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether a message's tracking token is the one followed, compared in
/// constant time: the token's secret part is what guards the link.
pub fn same_link_token(kept: &str, followed: &str) -> bool {
    use subtle::ConstantTimeEq;
    kept.as_bytes().ct_eq(followed.as_bytes()).into()
}

/// Whether `token` has the shape of a tracking token: 31 characters as
/// [`link_token`] makes them, or 24 or 22 (a time and random bits, or 128
/// random bits, as earlier versions made them, kept with their messages),
/// all URL-safe.
pub fn is_link_token(token: &str) -> bool {
    matches!(token.len(), 22 | 24 | LOCATING_TOKEN_LEN) && url_safe(token)
}

/// Where a followed link goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// A web page: answer with a redirect.
    Url(String),
    /// A mini-program page: shown as a landing page naming it.
    Page(String),
}

impl Message {
    /// Where the card's `index`th action button goes.
    pub fn action_target(&self, index: usize) -> Option<LinkTarget> {
        let url = self
            .card
            .as_ref()?
            .get("actions")?
            .get(index)?
            .get("url")?
            .as_str()?;
        Some(LinkTarget::Url(url.to_owned()))
    }

    /// Whether the card's `index`th action is its 投诉 (complain) button,
    /// which files a complaint with the platform instead of opening a page.
    pub fn is_complaint_action(&self, index: usize) -> bool {
        self.card
            .as_ref()
            .and_then(|c| {
                c.get("actions")?
                    .get(index)?
                    .get("name")?
                    .as_str()
                    .map(|n| n == COMPLAINT_ACTION)
            })
            .unwrap_or(false)
    }

    pub fn target(&self) -> Option<LinkTarget> {
        if self.card.is_some() {
            return self.action_target(0);
        }
        match (&self.url, &self.page) {
            (Some(url), _) => Some(LinkTarget::Url(url.clone())),
            (None, Some(page)) => Some(LinkTarget::Page(page.clone())),
            (None, None) => None,
        }
    }
}

/// A jump URL: absolute http or https, at most 1024 bytes.
pub fn check_url(raw: &str) -> Result<String, ParseError> {
    let ok = (raw.starts_with("https://") || raw.starts_with("http://"))
        && raw.len() <= 1024
        && raw.len() > "https://".len()
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(ParseError::new(
            "url",
            "must be an absolute http(s) URL of at most 1024 bytes",
        ));
    }
    Ok(raw.to_owned())
}
