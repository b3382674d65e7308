//! [`WebConfig`]: the HTTP settings the web layer needs, taken from the
//! catalog's `[server]` table so the rest of the crate never reads the catalog
//! for transport concerns.

use std::time::Duration;

use ipnet::IpNet;
use shipshape_catalog::Catalog;

/// Largest request body accepted when the catalog leaves it unset (1 MiB).
const DEFAULT_MAX_BODY_BYTES: u64 = 1024 * 1024;
/// Upper bound on one request when the catalog leaves it unset.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// When session and CSRF cookies carry the `Secure` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecureCookies {
    /// Always; browsers then send them only over HTTPS.
    Always,
    /// Always, except for a request that came over plain HTTP from a loopback
    /// address (local development and tests without TLS).
    #[default]
    LoopbackHttpOnly,
}

/// HTTP settings for the web layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Public base URL, used to print absolute links (set-up links); `None`
    /// means links are relative to the host the browser used.
    pub public_url: Option<url::Url>,
    /// Proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Whether `/metrics` is public (otherwise it needs a viewer).
    pub metrics_public: bool,
    /// Largest accepted request body, for every route.
    pub max_body_bytes: u64,
    /// Upper bound on handling one request.
    pub request_timeout: Duration,
    /// When cookies carry `Secure`.
    pub secure_cookies: SecureCookies,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            public_url: None,
            trusted_proxies: Vec::new(),
            metrics_public: false,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            secure_cookies: SecureCookies::default(),
        }
    }
}

impl WebConfig {
    /// Takes the `[server]` settings of a catalog; zero values fall back to
    /// the defaults (1 MiB bodies, 30 s per request). Cookies are `Secure`
    /// except over plain HTTP on loopback.
    pub fn from_catalog(catalog: &Catalog) -> Self {
        let server = &catalog.server;
        let defaults = Self::default();
        Self {
            public_url: server.public_url.clone(),
            trusted_proxies: server.trusted_proxies.clone(),
            metrics_public: server.metrics_public,
            max_body_bytes: if server.max_body_bytes == 0 {
                defaults.max_body_bytes
            } else {
                server.max_body_bytes
            },
            request_timeout: if server.request_timeout.is_zero() {
                defaults.request_timeout
            } else {
                server.request_timeout
            },
            secure_cookies: SecureCookies::default(),
        }
    }

    /// An absolute (when `public_url` is set) or root-relative link to `path`,
    /// which must start with `/`.
    pub fn link(&self, path: &str) -> String {
        match &self.public_url {
            Some(base) => format!("{}{}", base.as_str().trim_end_matches('/'), path),
            None => path.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_limits_fall_back_to_defaults() {
        let config = WebConfig::from_catalog(&Catalog::default());
        assert_eq!(config.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert_eq!(config.request_timeout, DEFAULT_REQUEST_TIMEOUT);
        assert_eq!(config.secure_cookies, SecureCookies::LoopbackHttpOnly);
    }

    #[test]
    fn links_join_the_public_url_without_double_slashes() {
        let mut config = WebConfig::default();
        assert_eq!(config.link("/setup/x"), "/setup/x");
        config.public_url = Some("https://ops.example.org/".parse().expect("url"));
        assert_eq!(config.link("/setup/x"), "https://ops.example.org/setup/x");
    }
}
