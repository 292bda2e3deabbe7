//! Every request gets an id, shaped like WeChat's `rid` (three groups of
//! eight hex digits), returned as `x-request-id` and carried by logs.

use rand::Rng;

/// The id, held inline: copying it costs nothing.
#[derive(Debug, Clone, Copy)]
pub struct RequestId([u8; 26]);

impl RequestId {
    /// The time in seconds, then 64 random bits.
    pub fn generate() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(0);
        let random: u64 = rand::thread_rng().gen();
        let mut id = [b'-'; 26];
        hex(&mut id[0..8], u64::from(secs));
        hex(&mut id[9..17], random >> 32);
        hex(&mut id[18..26], random & 0xffff_ffff);
        Self(id)
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits and dashes are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Writes the low `4 * out.len()` bits of `v` as lowercase hex digits.
fn hex(out: &mut [u8], mut v: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in out.iter_mut().rev() {
        *b = DIGITS[(v & 0xf) as usize];
        v >>= 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_wechat_rids_and_differ() {
        let (a, b) = (RequestId::generate(), RequestId::generate());
        let parts: Vec<&str> = a.as_str().split('-').collect();
        assert_eq!(parts.len(), 3, "{a}");
        assert!(parts
            .iter()
            .all(|p| p.len() == 8 && p.bytes().all(|c| c.is_ascii_hexdigit())));
        assert_ne!(a.as_str(), b.as_str());
    }
}
