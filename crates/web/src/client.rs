//! Who is on the other end: the client's address and whether it reached us
//! over HTTPS. `X-Forwarded-For` and `X-Forwarded-Proto` are believed only
//! when the TCP peer is one of the configured trusted proxies.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::config::{SecureCookies, WebConfig};
use crate::state::AppState;

/// Marker inserted into requests served over TLS by [`crate::launch`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct TlsTransport;

/// The client as far as we can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClientInfo {
    /// The client address (`None` when unknown, e.g. in-process tests).
    pub(crate) ip: Option<IpAddr>,
    /// Whether the client's connection used HTTPS (directly or at a trusted proxy).
    pub(crate) https: bool,
}

impl ClientInfo {
    /// Resolves the client from the TCP peer, the transport and the headers.
    pub(crate) fn resolve(
        peer: Option<IpAddr>,
        tls: bool,
        headers: &HeaderMap,
        trusted: &[IpNet],
    ) -> Self {
        let Some(peer) = peer else {
            return Self {
                ip: None,
                https: tls,
            };
        };
        if !is_trusted(peer, trusted) {
            return Self {
                ip: Some(peer),
                https: tls,
            };
        }
        let ip = forwarded_for(headers, trusted).unwrap_or(peer);
        let https = match forwarded_proto(headers) {
            Some(proto) => proto.eq_ignore_ascii_case("https"),
            None => tls,
        };
        Self {
            ip: Some(ip),
            https,
        }
    }

    /// The address as text for the audit log and rate-limit keys.
    pub(crate) fn source(&self) -> String {
        self.ip
            .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
    }

    /// Whether cookies set in reply to this request must carry `Secure`.
    pub(crate) fn secure_cookies(&self, config: &WebConfig) -> bool {
        match config.secure_cookies {
            SecureCookies::Always => true,
            SecureCookies::LoopbackHttpOnly => {
                let plain_loopback = !self.https && self.ip.is_some_and(|ip| ip.is_loopback());
                !plain_loopback
            }
        }
    }
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(client_of(parts, &state.config))
    }
}

/// The [`ClientInfo`] of a request, from its parts.
pub(crate) fn client_of(parts: &Parts, config: &WebConfig) -> ClientInfo {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let tls = parts.extensions.get::<TlsTransport>().is_some();
    ClientInfo::resolve(peer, tls, &parts.headers, &config.trusted_proxies)
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = canonical(ip);
    trusted.iter().any(|net| net.contains(&ip))
}

/// IPv4-mapped IPv6 addresses compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// The right-most address in `X-Forwarded-For` that is not a trusted proxy.
/// An unparsable entry stops the walk: what lies left of it cannot be trusted,
/// so the last trusted hop seen is returned instead.
fn forwarded_for(headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
    let mut last_trusted = None;
    for entry in entries.iter().rev() {
        let Ok(ip) = entry.parse::<IpAddr>() else {
            return last_trusted;
        };
        let ip = canonical(ip);
        if !is_trusted(ip, trusted) {
            return Some(ip);
        }
        last_trusted = Some(ip);
    }
    last_trusted
}

fn forwarded_proto(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("x-forwarded-proto")?.to_str().ok()?;
    value.split(',').next_back().map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &str, proto: Option<&str>) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(
            "x-forwarded-for",
            HeaderValue::from_str(xff).expect("header"),
        );
        if let Some(proto) = proto {
            map.insert(
                "x-forwarded-proto",
                HeaderValue::from_str(proto).expect("header"),
            );
        }
        map
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|net| net.parse().expect("net")).collect()
    }

    #[test]
    fn untrusted_peers_cannot_spoof_their_address() {
        let client = ClientInfo::resolve(
            Some("203.0.113.9".parse().expect("ip")),
            false,
            &headers("10.0.0.1", Some("https")),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(client.ip, Some("203.0.113.9".parse().expect("ip")));
        assert!(!client.https);
    }

    #[test]
    fn trusted_proxy_yields_the_rightmost_untrusted_address() {
        let client = ClientInfo::resolve(
            Some("10.0.0.2".parse().expect("ip")),
            false,
            &headers("6.6.6.6, 198.51.100.7, 10.0.0.5", Some("https")),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(client.ip, Some("198.51.100.7".parse().expect("ip")));
        assert!(client.https);
    }

    #[test]
    fn garbage_in_the_chain_stops_the_walk() {
        let client = ClientInfo::resolve(
            Some("10.0.0.2".parse().expect("ip")),
            false,
            &headers("6.6.6.6, nonsense, 10.0.0.5", None),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(client.ip, Some("10.0.0.5".parse().expect("ip")));
    }

    #[test]
    fn secure_cookies_relax_only_for_plain_http_on_loopback() {
        let config = WebConfig::default();
        let local = ClientInfo {
            ip: Some("127.0.0.1".parse().expect("ip")),
            https: false,
        };
        assert!(!local.secure_cookies(&config));
        let remote = ClientInfo {
            ip: Some("192.0.2.1".parse().expect("ip")),
            https: false,
        };
        assert!(remote.secure_cookies(&config));
        let unknown = ClientInfo {
            ip: None,
            https: false,
        };
        assert!(unknown.secure_cookies(&config));
        let strict = WebConfig {
            secure_cookies: SecureCookies::Always,
            ..WebConfig::default()
        };
        assert!(local.secure_cookies(&strict));
    }
}
