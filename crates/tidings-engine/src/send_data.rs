//! A single send's `data` (`{"keyword1": {"value": "...", "color":
//! "#173177"}, ...}`), read straight from the request body into what
//! rendering needs, with no JSON tree built on the way. Reading never
//! refuses a shape: what is wrong is kept, and
//! [`crate::message::render_data`] refuses it with the same message as
//! [`crate::message::render`] gives for the same `data` held as JSON.

use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::message::{
    check_value_length, color_not_a_string, entry_color, entry_not_an_object, value_not_a_string,
    Parts,
};

/// The `data` object's entries, by key as a JSON object keeps them (sorted,
/// the last of a repeated key winning); `None` when it is not an object.
/// Null reads as an object with no entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendData(pub(crate) Option<Vec<(String, Entry)>>);

/// One keyword's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    /// An object: its `value` (empty when absent or null) and `color`.
    Object { value: Field, color: Field },
    /// Anything else.
    NotAnObject,
}

/// A field of an entry, as it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    /// Absent or null.
    Missing,
    /// A string.
    Text(String),
    /// A number, as its JSON text (a `value` takes one, a `color` not).
    Number(String),
    /// A boolean, array or object.
    Other,
}

impl SendData {
    /// An object with no entries (what an absent or null `data` reads as).
    pub(crate) fn empty() -> Self {
        SendData(Some(Vec::new()))
    }

    /// Each entry's key with its value and color, or what is wrong with
    /// it; `None` when `data` is not an object.
    pub(crate) fn into_entries(self) -> Option<impl Iterator<Item = (String, Parts)>> {
        self.0.map(|entries| {
            entries.into_iter().map(|(key, entry)| {
                let parts = entry.into_parts(&key);
                (key, parts)
            })
        })
    }
}

impl Entry {
    fn into_parts(self, key: &str) -> Parts {
        let Entry::Object { value, color } = self else {
            return Err(entry_not_an_object(key));
        };
        let value = match value {
            Field::Missing => String::new(),
            Field::Text(s) | Field::Number(s) => s,
            Field::Other => return Err(value_not_a_string(key)),
        };
        check_value_length(key, &value)?;
        let color = match color {
            Field::Missing => None,
            Field::Text(c) => entry_color(key, &c)?,
            Field::Number(_) | Field::Other => return Err(color_not_a_string(key)),
        };
        Ok((value, color))
    }
}

/// Reads past every element of a sequence that is not wanted.
fn skip_all<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// The visitor methods for every shape but an object: a scalar or a
/// sequence reads as `$other`, null as `$null`.
macro_rules! not_an_object {
    ($other:expr, $null:expr) => {
        not_an_object!(@scalars $other; visit_bool: bool, visit_i64: i64, visit_u64: u64,
            visit_f64: f64, visit_str: &str);
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            skip_all(&mut seq)?;
            Ok($other)
        }
        fn visit_unit<Er>(self) -> Result<Self::Value, Er> {
            Ok($null)
        }
        fn visit_none<Er>(self) -> Result<Self::Value, Er> {
            Ok($null)
        }
    };
    (@scalars $value:expr; $($method:ident: $ty:ty),*) => {
        $(fn $method<Er>(self, _: $ty) -> Result<Self::Value, Er> {
            Ok($value)
        })*
    };
}

impl<'de> Deserialize<'de> for SendData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Data;
        impl<'de> Visitor<'de> for Data {
            type Value = SendData;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of keywordN entries")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SendData, A::Error> {
                let mut entries: Vec<(String, Entry)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let entry = map.next_value::<Entry>()?;
                    entries.push((key, entry));
                }
                // As a JSON object holds them: by key, the last one kept.
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                let mut kept: Vec<(String, Entry)> = Vec::with_capacity(entries.len());
                for (key, entry) in entries {
                    match kept.last_mut() {
                        Some(last) if last.0 == key => last.1 = entry,
                        _ => kept.push((key, entry)),
                    }
                }
                Ok(SendData(Some(kept)))
            }
            not_an_object!(SendData(None), SendData::empty());
        }
        d.deserialize_any(Data)
    }
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct E;
        impl<'de> Visitor<'de> for E {
            type Value = Entry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object with a value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
                let (mut value, mut color) = (Field::Missing, Field::Missing);
                while let Some(key) = map.next_key::<EntryKey>()? {
                    match key {
                        EntryKey::Value => value = map.next_value()?,
                        EntryKey::Color => color = map.next_value()?,
                        EntryKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Entry::Object { value, color })
            }
            not_an_object!(Entry::NotAnObject, Entry::NotAnObject);
        }
        d.deserialize_any(E)
    }
}

/// The key of an entry's field, read without a copy.
enum EntryKey {
    Value,
    Color,
    Other,
}

impl<'de> Deserialize<'de> for EntryKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct K;
        impl Visitor<'_> for K {
            type Value = EntryKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<Er>(self, v: &str) -> Result<EntryKey, Er> {
                Ok(match v {
                    "value" => EntryKey::Value,
                    "color" => EntryKey::Color,
                    _ => EntryKey::Other,
                })
            }
        }
        d.deserialize_str(K)
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct F;
        impl<'de> Visitor<'de> for F {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<Er>(self, v: &str) -> Result<Field, Er> {
                Ok(Field::Text(v.to_owned()))
            }
            fn visit_string<Er>(self, v: String) -> Result<Field, Er> {
                Ok(Field::Text(v))
            }
            fn visit_unit<Er>(self) -> Result<Field, Er> {
                Ok(Field::Missing)
            }
            fn visit_none<Er>(self) -> Result<Field, Er> {
                Ok(Field::Missing)
            }
            fn visit_i64<Er>(self, v: i64) -> Result<Field, Er> {
                Ok(Field::Number(serde_json::Number::from(v).to_string()))
            }
            fn visit_u64<Er>(self, v: u64) -> Result<Field, Er> {
                Ok(Field::Number(serde_json::Number::from(v).to_string()))
            }
            fn visit_f64<Er>(self, v: f64) -> Result<Field, Er> {
                Ok(serde_json::Number::from_f64(v)
                    .map_or(Field::Other, |n| Field::Number(n.to_string())))
            }
            fn visit_bool<Er>(self, _: bool) -> Result<Field, Er> {
                Ok(Field::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field, A::Error> {
                skip_all(&mut seq)?;
                Ok(Field::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Field::Other)
            }
        }
        d.deserialize_any(F)
    }
}
