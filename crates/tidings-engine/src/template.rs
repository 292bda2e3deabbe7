//! Account templates: a library title with keywords chosen and ordered by
//! the app. The order is the template's: the first chosen keyword is
//! `keyword1`, and so on.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::app::AppId;
use crate::clock::Timestamp;
use crate::error::ParseError;
use crate::library::{Keyword, LibraryTitle, TitleId};

/// At most this many keywords in one template (WeChat's limit).
pub const MAX_KEYWORDS: usize = 10;
/// At most this many templates per app (WeChat's limit).
pub const MAX_TEMPLATES_PER_APP: u32 = 25;

/// A template id: opaque 43 URL-safe characters, like WeChat's, or a UUID
/// (`86007b6c-5cd1-4a9d-a5a6-f85ba8fdd03f`) for workspace templates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TemplateId(String);

impl TemplateId {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A random (version 4) UUID, in lower case.
    pub fn generate_uuid() -> Self {
        let mut b = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = hex::encode(b);
        Self(format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        ))
    }

    fn is_uuid(raw: &str) -> bool {
        raw.len() == 36
            && raw.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_hexdigit(),
            })
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        if Self::is_uuid(raw) {
            return Ok(Self(raw.to_ascii_lowercase()));
        }
        if raw.len() != 43
            || !raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ParseError::new("template_id", "not a template id"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TemplateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TemplateId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// An app's template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub template_id: TemplateId,
    pub appid: AppId,
    pub title_id: TitleId,
    pub title: String,
    /// In template order: index 0 is `keyword1`.
    pub keywords: Vec<Keyword>,
    pub created_at: Timestamp,
}

/// Why a keyword list cannot make a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComposeError {
    Empty,
    TooMany,
    Repeated(u32),
    NotInTitle(u32),
}

impl fmt::Display for ComposeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("keyword_id_list is empty"),
            Self::TooMany => write!(f, "keyword_id_list holds more than {MAX_KEYWORDS} keywords"),
            Self::Repeated(id) => write!(f, "keyword_id {id} is listed twice"),
            Self::NotInTitle(id) => write!(f, "keyword_id {id} is not a keyword of this title"),
        }
    }
}

impl Template {
    /// Picks the keywords, in the order given, from a library title.
    pub fn compose(
        title: &LibraryTitle,
        keyword_ids: &[u32],
    ) -> Result<Vec<Keyword>, ComposeError> {
        if keyword_ids.is_empty() {
            return Err(ComposeError::Empty);
        }
        if keyword_ids.len() > MAX_KEYWORDS {
            return Err(ComposeError::TooMany);
        }
        let mut out: Vec<Keyword> = Vec::with_capacity(keyword_ids.len());
        for &id in keyword_ids {
            if out.iter().any(|k| k.keyword_id == id) {
                return Err(ComposeError::Repeated(id));
            }
            out.push(
                title
                    .keyword(id)
                    .cloned()
                    .ok_or(ComposeError::NotInTitle(id))?,
            );
        }
        Ok(out)
    }

    /// `购买地点{{keyword1.DATA}}\n购买时间{{keyword2.DATA}}\n...`, as WeChat lists it.
    pub fn content(&self) -> String {
        self.keywords
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{}{{{{keyword{}.DATA}}}}\n", k.name, i + 1))
            .collect()
    }

    /// `购买地点:TIT造舰厂\n购买时间:2016年6月6日\n...`, as WeChat lists it.
    pub fn example(&self) -> String {
        self.keywords
            .iter()
            .map(|k| format!("{}:{}\n", k.name, k.example))
            .collect()
    }

    /// Whether this is an official account's template (from TM…/OPENTM…):
    /// its cards have a `first` row before the keywords and `remark` after.
    pub fn is_official_account(&self) -> bool {
        crate::official::is_oa_short_id(self.title_id.as_str())
    }

    /// The card's rows: (`key`, name), in order.
    pub fn row_keys(&self) -> Vec<(String, String)> {
        let keywords = self
            .keywords
            .iter()
            .enumerate()
            .map(|(i, k)| (keyword_key(i + 1), k.name.clone()));
        if self.is_official_account() {
            std::iter::once(("first".to_owned(), String::new()))
                .chain(keywords)
                .chain(std::iter::once(("remark".to_owned(), String::new())))
                .collect()
        } else {
            keywords.collect()
        }
    }

    /// The row a data key fills (`keywordN`, and `first`/`remark` on an
    /// official account's template).
    pub fn keyword_index(&self, key: &str) -> Option<usize> {
        let offset = usize::from(self.is_official_account());
        if offset == 1 && key == "first" {
            return Some(0);
        }
        if offset == 1 && key == "remark" {
            return Some(self.keywords.len() + 1);
        }
        // Only the canonical spelling: digits, no sign, no leading zero.
        let digits = key.strip_prefix("keyword")?;
        if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: usize = digits.parse().ok()?;
        (n >= 1 && n <= self.keywords.len()).then(|| n - 1 + offset)
    }

    /// WeChat's official-account content:
    /// `{{first.DATA}}\n会议名称：{{keyword1.DATA}}\n…{{remark.DATA}}`.
    pub fn oa_content(&self) -> String {
        let mut s = String::from("{{first.DATA}}\n");
        for (i, k) in self.keywords.iter().enumerate() {
            s.push_str(&format!("{}：{{{{keyword{}.DATA}}}}\n", k.name, i + 1));
        }
        s.push_str("{{remark.DATA}}");
        s
    }

    /// The official-account example, from the library's examples.
    pub fn oa_example(&self, first: &str, remark: &str) -> String {
        let mut s = format!("{first}\n");
        for k in &self.keywords {
            s.push_str(&format!("{}：{}\n", k.name, k.example));
        }
        s.push_str(remark);
        s
    }
}

/// `keywordN`, the data key of a template's N-th keyword, written without
/// the formatting machinery: every send builds one a row.
fn keyword_key(n: usize) -> String {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n);
    let mut key = String::with_capacity("keyword".len() + digits.len());
    key.push_str("keyword");
    key.push_str(digits);
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::builtin_library;

    #[test]
    fn keyword_keys_are_written_in_decimal() {
        for n in [1, 9, 10, 12, 99, 100, 1234] {
            assert_eq!(keyword_key(n), format!("keyword{n}"));
        }
    }

    fn at0002() -> LibraryTitle {
        builtin_library().into_iter().nth(1).unwrap()
    }

    fn template(ids: &[u32]) -> Template {
        let title = at0002();
        Template {
            template_id: TemplateId::generate(),
            appid: AppId::generate(),
            title_id: title.id.clone(),
            title: title.title.clone(),
            keywords: Template::compose(&title, ids).unwrap(),
            created_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn content_and_example_follow_the_seed_format() {
        let t = template(&[3, 4, 5]);
        assert_eq!(
            t.content(),
            "购买地点{{keyword1.DATA}}\n购买时间{{keyword2.DATA}}\n物品名称{{keyword3.DATA}}\n"
        );
        assert_eq!(
            t.example(),
            "购买地点:TIT造舰厂\n购买时间:2016年6月6日\n物品名称:咖啡\n"
        );
        let reordered = template(&[5, 3]);
        assert_eq!(
            reordered.content(),
            "物品名称{{keyword1.DATA}}\n购买地点{{keyword2.DATA}}\n"
        );
    }

    #[test]
    fn composition_rules() {
        let title = at0002();
        assert_eq!(Template::compose(&title, &[]), Err(ComposeError::Empty));
        assert_eq!(
            Template::compose(&title, &[3, 3]),
            Err(ComposeError::Repeated(3))
        );
        assert_eq!(
            Template::compose(&title, &[3, 99]),
            Err(ComposeError::NotInTitle(99))
        );
        let many: Vec<u32> = (1..=11).collect();
        assert_eq!(Template::compose(&title, &many), Err(ComposeError::TooMany));
    }

    #[test]
    fn template_ids_are_43_url_safe_characters() {
        let id = TemplateId::generate();
        assert_eq!(id.as_str().len(), 43);
        assert_eq!(TemplateId::parse(id.as_str()).unwrap(), id);
        assert!(TemplateId::parse("wDYzYZVxobJivW9oMpSCpuvACOfJXQIoKUm0PY397Tc").is_ok());
        assert!(TemplateId::parse("short").is_err());
    }

    #[test]
    fn keyword_keys_map_to_positions() {
        let t = template(&[3, 4, 5]);
        assert_eq!(t.keyword_index("keyword1"), Some(0));
        assert_eq!(t.keyword_index("keyword3"), Some(2));
        assert_eq!(t.keyword_index("keyword4"), None);
        assert_eq!(t.keyword_index("keyword0"), None);
        assert_eq!(t.keyword_index("keyword01"), None);
        assert_eq!(t.keyword_index("keyword+1"), None);
        assert_eq!(t.keyword_index("keyword"), None);
        assert_eq!(t.keyword_index("first"), None);
    }
}
