//! Employees of a workspace app: users whose openid is the workspace's
//! `client_id`, whose nickname is their name, and whose profile holds their
//! org paths (`orgs`) and devices (`devices`).

use serde_json::{Map, Value};

use crate::app::AppId;
use crate::clock::Timestamp;
use crate::error::ParseError;
use crate::user::{OpenId, User};
use crate::workspace::{parse_org_path, Platform};

/// At most this many orgs and devices per employee.
pub const MAX_ORGS: usize = 20;
pub const MAX_DEVICES: usize = 10;

/// Builds an employee from `{client_id, name, orgs: [...], devices: [...]}`;
/// a device is a platform name or `{platform, id}`. Other fields are kept in
/// the profile.
pub fn parse_employee(
    appid: &AppId,
    mut obj: Map<String, Value>,
    now: Timestamp,
) -> Result<User, ParseError> {
    let client_id = match obj.remove("client_id") {
        Some(Value::String(s)) => {
            OpenId::parse(&s).map_err(|e| ParseError::new("client_id", e.reason))?
        }
        Some(_) => return Err(ParseError::new("client_id", "must be a string")),
        None => return Err(ParseError::new("client_id", "is missing")),
    };
    let name = match obj.remove("name") {
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 64 => s,
        _ => {
            return Err(ParseError::new(
                "name",
                "must be a string of 1 to 64 characters",
            ))
        }
    };
    let orgs = orgs_of(obj.remove("orgs").unwrap_or(Value::Null))?;
    let devices = devices_of(obj.remove("devices").unwrap_or(Value::Array(Vec::new())))?;
    obj.insert("orgs".into(), Value::from(orgs));
    obj.insert("devices".into(), Value::Array(devices));
    Ok(User {
        appid: appid.clone(),
        openid: client_id,
        nickname: Some(name),
        profile: obj,
        created_at: now,
    })
}

/// Org paths: 1 to 20, each like `/122/234/`, repeats dropped.
pub fn orgs_of(raw: Value) -> Result<Vec<String>, ParseError> {
    let Value::Array(items) = raw else {
        return Err(ParseError::new(
            "orgs",
            "must be a list of org paths like /122/234/",
        ));
    };
    if items.is_empty() || items.len() > MAX_ORGS {
        return Err(ParseError::new(
            "orgs",
            format!("1 to {MAX_ORGS} org paths"),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let Value::String(s) = item else {
            return Err(ParseError::new("orgs", "org paths are strings"));
        };
        let path = parse_org_path(&s)?;
        if !out.contains(&path) {
            out.push(path);
        }
    }
    Ok(out)
}

/// Devices: each `"IOS"` or `{"platform": "IOS", "id": "..."}`, stored as
/// objects.
pub fn devices_of(raw: Value) -> Result<Vec<Value>, ParseError> {
    let Value::Array(items) = raw else {
        return Err(ParseError::new("devices", "must be a list"));
    };
    if items.len() > MAX_DEVICES {
        return Err(ParseError::new(
            "devices",
            format!("at most {MAX_DEVICES} devices"),
        ));
    }
    items
        .into_iter()
        .map(|item| {
            let (platform, id) = match item {
                Value::String(p) => (p, None),
                Value::Object(mut o) => {
                    let p = match o.remove("platform") {
                        Some(Value::String(p)) => p,
                        _ => return Err(ParseError::new("devices", "a device names its platform")),
                    };
                    let id = match o.remove("id") {
                        None | Some(Value::Null) => None,
                        Some(Value::String(id)) if id.len() <= 256 => Some(id),
                        _ => return Err(ParseError::new("devices", "a device id is a string")),
                    };
                    (p, id)
                }
                _ => {
                    return Err(ParseError::new(
                        "devices",
                        "a device is a platform or an object",
                    ))
                }
            };
            let platform =
                Platform::parse(&platform).map_err(|e| ParseError::new("devices", e.reason))?;
            let mut device = Map::new();
            device.insert("platform".into(), Value::from(platform.as_str()));
            if let Some(id) = id {
                device.insert("id".into(), Value::from(id));
            }
            Ok(Value::Object(device))
        })
        .collect()
}

/// The org paths stored in an employee's profile.
pub fn employee_orgs(user: &User) -> Option<Vec<String>> {
    let Value::Array(items) = user.profile.get("orgs")? else {
        return None;
    };
    Some(
        items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
    )
}

/// The platforms an employee has a device on.
pub fn employee_platforms(user: &User) -> Vec<Platform> {
    let mut out = Vec::new();
    if let Some(Value::Array(devices)) = user.profile.get("devices") {
        for d in devices {
            let raw = d.get("platform").and_then(Value::as_str).or(d.as_str());
            if let Some(p) = raw.and_then(|r| Platform::parse(r).ok()) {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// Where a push lands for an employee: the targeted platforms the employee
/// has a device on, in the push's order.
pub fn landing_platforms(user: &User, targeted: &[Platform]) -> Vec<Platform> {
    let has = employee_platforms(user);
    targeted
        .iter()
        .copied()
        .filter(|p| has.contains(p))
        .collect()
}

/// The first org path of an employee, as the workspace prefixes client ids
/// with it in push plans (`/232/301/c24b…`).
pub fn qualified_client_id(user: &User) -> String {
    let org = employee_orgs(user)
        .and_then(|o| o.into_iter().next())
        .unwrap_or_default();
    format!("{org}{}", user.openid)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn employees_parse_with_orgs_and_devices() {
        let u = parse_employee(
            &AppId::generate(),
            obj(json!({"client_id": "a86e83a26be44eb59806901cc8be5d5c", "name": "张三",
                "orgs": ["/122/234/", "/122/234/"], "devices": ["ios", {"platform": "PC", "id": "d1"}],
                "title": "经理"})),
            Timestamp::from_millis(0),
        )
        .unwrap();
        assert_eq!(u.nickname.as_deref(), Some("张三"));
        assert_eq!(employee_orgs(&u).unwrap(), ["/122/234/"]);
        assert_eq!(employee_platforms(&u), [Platform::Ios, Platform::Pc]);
        assert_eq!(u.profile["title"], "经理");
        assert_eq!(
            landing_platforms(&u, &Platform::DEFAULT),
            [Platform::Ios],
            "no ANDROID device"
        );
        assert_eq!(
            qualified_client_id(&u),
            "/122/234/a86e83a26be44eb59806901cc8be5d5c"
        );
    }

    #[test]
    fn bad_employees_are_refused() {
        let appid = AppId::generate();
        for bad in [
            json!({"name": "x", "orgs": ["/1/"]}),
            json!({"client_id": "a", "orgs": ["/1/"]}),
            json!({"client_id": "a", "name": "x", "orgs": []}),
            json!({"client_id": "a", "name": "x", "orgs": ["1/2"]}),
            json!({"client_id": "a", "name": "x", "orgs": ["/1/"], "devices": ["WINDOWS"]}),
            json!({"client_id": "a b", "name": "x", "orgs": ["/1/"]}),
        ] {
            assert!(
                parse_employee(&appid, obj(bad.clone()), Timestamp::from_millis(0)).is_err(),
                "{bad}"
            );
        }
    }
}
