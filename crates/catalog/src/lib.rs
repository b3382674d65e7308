//! The catalog: `shipshape.toml` parsed into typed structures and validated.
//!
//! PLACEHOLDER — being written. The public names below are a contract other
//! crates code against; keep them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The whole validated catalog.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The file it was loaded from (absolute).
    pub path: PathBuf,
    /// `[server]`.
    pub server: Server,
    /// `[store]`.
    pub store: StoreSettings,
    /// `[[person]]`.
    pub people: Vec<Person>,
    /// `[[team]]`.
    pub teams: Vec<Team>,
    /// `[[service]]`.
    pub services: Vec<Service>,
}

/// `[server]` settings.
#[derive(Debug, Clone, Default)]
pub struct Server {
    /// Listen address.
    pub listen: Option<SocketAddr>,
    /// Public base URL.
    pub public_url: Option<url::Url>,
    /// Probe location of this instance.
    pub location: Option<String>,
    /// Proxies whose X-Forwarded-* headers are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// TLS certificate and key.
    pub tls: Option<Tls>,
    /// Whether `/metrics` is public (else it needs a viewer token).
    pub metrics_public: bool,
    /// Largest accepted request body.
    pub max_body_bytes: u64,
    /// Upper bound on handling one request.
    pub request_timeout: Duration,
}

/// TLS files.
#[derive(Debug, Clone)]
pub struct Tls {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// `[store]` settings.
#[derive(Debug, Clone, Default)]
pub struct StoreSettings {
    /// `sqlite://…` or `postgres://…` (relative sqlite paths already resolved).
    pub url: String,
}

/// A person.
#[derive(Debug, Clone)]
pub struct Person {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
}

impl Person {
    /// Email addresses among the person's contacts.
    pub fn emails(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// A team.
#[derive(Debug, Clone)]
pub struct Team {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Person ids.
    pub members: Vec<String>,
}

/// A service.
#[derive(Debug, Clone)]
pub struct Service {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Owning team id.
    pub owner: Option<String>,
    /// Tier, e.g. `critical`.
    pub tier: Option<String>,
    /// Components.
    pub components: Vec<Component>,
}

/// A component of a service.
#[derive(Debug, Clone)]
pub struct Component {
    /// Id, unique within the service.
    pub id: String,
    /// Instances that should run.
    pub instances: u32,
    /// Zones it runs in.
    pub zones: Vec<String>,
}
