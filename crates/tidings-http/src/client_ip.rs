//! The caller's IP, for per-IP limits.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

/// Where the client's address is read from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClientIpSource {
    /// The TCP peer: right when clients connect directly.
    #[default]
    Peer,
    /// The last address of `X-Forwarded-For`, as appended by the reverse
    /// proxy in front of Tidings; the peer when the header is absent.
    ForwardedFor,
}

impl ClientIpSource {
    pub fn ip(self, parts: &Parts) -> IpAddr {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        if self == ClientIpSource::Peer {
            return peer;
        }
        parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|ip| ip.trim().parse().ok())
            .unwrap_or(peer)
    }
}
