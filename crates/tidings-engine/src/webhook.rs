//! Webhooks: event types, the Standard Webhooks signature, and the retry
//! schedule.

use std::net::IpAddr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::Serialize;
use sha2::Sha256;

use crate::app::AppId;
use crate::clock::Timestamp;
use crate::error::ParseError;

/// What a webhook can subscribe to.
pub const EVENT_TYPES: [&str; 7] = [
    "message.accepted",
    "message.delivered",
    "message.read",
    "message.clicked",
    "message.failed",
    "send.finished",
    "app.penalized",
];

pub fn parse_event_types(raw: &[String]) -> Result<Vec<String>, ParseError> {
    if raw.is_empty() {
        return Err(ParseError::new(
            "event_types",
            "name at least one event type",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        if !EVENT_TYPES.contains(&t.as_str()) {
            return Err(ParseError::new(
                "event_types",
                format!("{t:?} is not one of {}", EVENT_TYPES.join(", ")),
            ));
        }
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    Ok(out)
}

/// Seconds to wait before each retry, after the first attempt fails:
/// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; then the delivery is dead.
/// Each wait is stretched or shrunk by up to 20 % (jitter).
pub const RETRY_SCHEDULE_SECS: [i64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

/// When the next attempt is due after `attempts` failed ones, or `None`
/// when the delivery is dead. `jitter` is in [-1, 1].
pub fn next_attempt(attempts: u32, now: Timestamp, jitter: f64) -> Option<Timestamp> {
    let wait = *RETRY_SCHEDULE_SECS.get(attempts.checked_sub(1)? as usize)?;
    let ms = (wait as f64 * 1000.0 * (1.0 + 0.2 * jitter.clamp(-1.0, 1.0))) as i64;
    Some(Timestamp::from_millis(now.as_millis() + ms))
}

/// A signing secret: `whsec_` and 24 random bytes in base64.
pub fn new_secret() -> String {
    let mut b = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut b);
    format!("whsec_{}", STANDARD.encode(b))
}

/// The `webhook-signature` header value: `v1,` and the base64 HMAC-SHA256,
/// keyed by the secret's bytes, of `{id}.{timestamp}.{body}`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .unwrap_or_else(|_| secret.as_bytes().to_vec());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Addresses a webhook must not reach unless the operator allows them:
/// loopback, private, link-local, CGNAT, unique-local, unspecified, multicast.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// A webhook URL: http(s), at most 2048 bytes, with a host.
pub fn check_webhook_url(raw: &str) -> Result<String, ParseError> {
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .ok_or_else(|| ParseError::new("url", "must start with https:// or http://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty()
        || raw.len() > 2048
        || raw.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ParseError::new(
            "url",
            "must be an absolute URL with a host, at most 2048 bytes",
        ));
    }
    Ok(raw.to_owned())
}

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    pub id: i64,
    pub appid: AppId,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    pub event_types: Vec<String>,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        let t0 = Timestamp::from_millis(0);
        assert_eq!(next_attempt(1, t0, 0.0), Some(t0.plus_secs(5)));
        assert_eq!(next_attempt(2, t0, 0.0), Some(t0.plus_secs(300)));
        assert_eq!(next_attempt(7, t0, 0.0), Some(t0.plus_secs(36_000)));
        assert_eq!(next_attempt(8, t0, 0.0), None);
        let late = next_attempt(1, t0, 1.0).unwrap();
        assert_eq!(late, Timestamp::from_millis(6000));
    }

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn event_types_are_checked() {
        assert!(parse_event_types(&["message.read".into()]).is_ok());
        assert!(parse_event_types(&[]).is_err());
        assert!(parse_event_types(&["message.opened".into()]).is_err());
    }
}
