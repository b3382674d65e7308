//! What the scheduler needs to know about one monitor: its key, timing,
//! confirm/recover/quorum settings and the host it loads, derived once per
//! catalog load from the catalog's [`Monitor`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use shipshape_catalog::{Catalog, Datastore, Monitor, MonitorKind, MonitorRef, Service};

/// The shortest interval between two checks of one monitor.
pub const MIN_EVERY: Duration = Duration::from_secs(1);

/// Identifies a monitor across reloads: `service/monitor`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonitorKey {
    /// Service id.
    pub service: String,
    /// Monitor id, unique within the service.
    pub monitor: String,
}

impl MonitorKey {
    /// The key of monitor `monitor` of service `service`.
    pub fn new(service: impl Into<String>, monitor: impl Into<String>) -> Self {
        Self {
            service: service.into(),
            monitor: monitor.into(),
        }
    }
}

impl fmt::Display for MonitorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.service, self.monitor)
    }
}

impl From<&MonitorRef> for MonitorKey {
    fn from(reference: &MonitorRef) -> Self {
        Self::new(&reference.service, &reference.monitor)
    }
}

/// A heartbeat monitor's window: a ping is expected every `every`, and
/// silence counts as a failure once `every + grace` has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatWindow {
    /// Expected interval between pings.
    pub every: Duration,
    /// Extra time allowed before a missing ping counts.
    pub grace: Duration,
}

impl HeartbeatWindow {
    /// How long after a ping the next one is overdue.
    pub fn deadline(&self) -> Duration {
        self.every.saturating_add(self.grace)
    }
}

/// One monitor as the scheduler sees it: settings normalised (interval at
/// least [`MIN_EVERY`], timeout at most the interval, counts at least 1), and
/// the catalog definition for the checker.
///
/// Two specs are equal when every setting is; a reload compares them to
/// find changed monitors.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorSpec {
    /// `service/monitor`.
    pub key: MonitorKey,
    /// Interval between planned starts (for a heartbeat, between pings).
    pub every: Duration,
    /// Upper bound on one check; an overrunning check is cut here.
    pub timeout: Duration,
    /// Consecutive failures (per location) before the monitor is down.
    pub confirm: u32,
    /// Consecutive successes (per location) before a down monitor is up.
    pub recover: u32,
    /// Locations that must agree the monitor is down (1 for one instance).
    pub quorum: u32,
    /// The host the check loads, lowercased, for the per-host concurrency
    /// cap; `None` when it cannot be known (an unresolved secret URL, the
    /// system resolver, a heartbeat).
    pub host: Option<String>,
    /// Set for heartbeat monitors, which are never run, only awaited.
    pub heartbeat: Option<HeartbeatWindow>,
    /// The catalog definition, for the checker.
    pub monitor: Arc<Monitor>,
    /// For a `datastore` monitor, the datastore it references.
    pub datastore: Option<Datastore>,
}

impl MonitorSpec {
    /// The spec of `monitor` of `service`.
    pub fn new(service: &Service, monitor: &Monitor) -> Self {
        let datastore = match &monitor.kind {
            MonitorKind::Datastore(check) => service
                .datastores
                .iter()
                .find(|d| d.id == check.datastore)
                .cloned(),
            _ => None,
        };
        let heartbeat = match &monitor.kind {
            MonitorKind::Heartbeat(beat) => Some(HeartbeatWindow {
                every: beat.every.max(MIN_EVERY),
                grace: beat.grace,
            }),
            _ => None,
        };
        let every = heartbeat
            .map_or(monitor.every, |beat| beat.every)
            .max(MIN_EVERY);
        Self {
            key: MonitorKey::new(&service.id, &monitor.id),
            every,
            timeout: monitor.timeout.min(every).max(Duration::from_millis(1)),
            confirm: monitor.confirm.max(1),
            recover: monitor.recover.max(1),
            quorum: monitor.quorum.unwrap_or(1).max(1),
            host: target_host(monitor, datastore.as_ref()),
            heartbeat,
            monitor: Arc::new(monitor.clone()),
            datastore,
        }
    }

    /// Whether the monitor is passive (a heartbeat) rather than run.
    pub fn is_heartbeat(&self) -> bool {
        self.heartbeat.is_some()
    }
}

/// The specs of every monitor of `catalog` that runs at `location`: those
/// whose `locations` list is empty (every instance) or names it. Sorted by
/// key.
pub fn specs_for_location(catalog: &Catalog, location: &str) -> Vec<MonitorSpec> {
    let mut specs: Vec<MonitorSpec> = catalog
        .monitors()
        .filter(|(_, monitor)| {
            monitor.locations.is_empty() || monitor.locations.iter().any(|l| l == location)
        })
        .map(|(service, monitor)| MonitorSpec::new(service, monitor))
        .collect();
    specs.sort_by(|a, b| a.key.cmp(&b.key));
    specs
}

/// The host a monitor's check connects to, for the per-host cap.
fn target_host(monitor: &Monitor, datastore: Option<&Datastore>) -> Option<String> {
    let host = match &monitor.kind {
        MonitorKind::Http(http) => url_host(http.url.value()?)?,
        MonitorKind::Tcp(tcp) => tcp.host.clone(),
        MonitorKind::Tls(tls) => tls.host.clone(),
        MonitorKind::Dns(dns) => dns.resolver?.ip().to_string(),
        MonitorKind::Datastore(_) => url_host(datastore?.url.as_ref()?.value()?)?,
        MonitorKind::Heartbeat(_) => return None,
    };
    Some(host.to_ascii_lowercase())
}

/// The host part of a URL, if it parses and has one.
fn url_host(raw: &str) -> Option<String> {
    let parsed = url::Url::parse(raw).ok()?;
    parsed.host_str().map(str::to_owned)
}

#[cfg(test)]
pub(crate) mod tests {
    use shipshape_catalog::{HeartbeatCheck, HttpCheck, TcpCheck, secret::Setting};

    use super::*;

    /// A TCP monitor `id` on `host` every `every` seconds, confirm/recover 1.
    pub(crate) fn tcp_monitor(id: &str, host: &str, every: u64) -> Monitor {
        Monitor {
            id: id.into(),
            component: None,
            kind: MonitorKind::Tcp(TcpCheck {
                host: host.into(),
                port: 443,
                send: None,
                expect: None,
            }),
            every: Duration::from_secs(every),
            timeout: Duration::from_secs(every.min(10)),
            confirm: 1,
            recover: 1,
            expect: Vec::new(),
            anomaly: None,
            quorum: None,
            locations: Vec::new(),
            alert: Default::default(),
        }
    }

    /// A service `id` with `monitors`.
    pub(crate) fn service(id: &str, monitors: Vec<Monitor>) -> Service {
        Service {
            id: id.into(),
            name: id.into(),
            owner: None,
            tier: None,
            repo: None,
            data: Vec::new(),
            third_parties: Vec::new(),
            depends_on: Vec::new(),
            slo: None,
            endpoints: Vec::new(),
            readiness: Default::default(),
            components: Vec::new(),
            datastores: Vec::new(),
            monitors,
        }
    }

    /// The spec of a TCP monitor `svc/id` on `host` every `every` seconds.
    pub(crate) fn tcp_spec(id: &str, host: &str, every: u64) -> MonitorSpec {
        MonitorSpec::new(&service("svc", vec![]), &tcp_monitor(id, host, every))
    }

    /// The spec of a heartbeat monitor `svc/id`.
    pub(crate) fn heartbeat_spec(id: &str, every: u64, grace: u64) -> MonitorSpec {
        let mut monitor = tcp_monitor(id, "unused", every);
        monitor.kind = MonitorKind::Heartbeat(HeartbeatCheck {
            every: Duration::from_secs(every),
            grace: Duration::from_secs(grace),
        });
        MonitorSpec::new(&service("svc", vec![]), &monitor)
    }

    #[test]
    fn settings_are_normalised() {
        let mut monitor = tcp_monitor("m", "DB.Example.org", 0);
        monitor.timeout = Duration::from_secs(30);
        monitor.confirm = 0;
        monitor.quorum = Some(0);
        let spec = MonitorSpec::new(&service("s", vec![]), &monitor);
        assert_eq!(spec.key.to_string(), "s/m");
        assert_eq!(spec.every, MIN_EVERY);
        assert_eq!(spec.timeout, MIN_EVERY);
        assert_eq!((spec.confirm, spec.recover, spec.quorum), (1, 1, 1));
        assert_eq!(spec.host.as_deref(), Some("db.example.org"));
    }

    #[test]
    fn host_comes_from_the_url_and_is_unknown_for_unresolved_secrets() {
        let mut monitor = tcp_monitor("web", "x", 30);
        monitor.kind = MonitorKind::Http(HttpCheck {
            url: Setting::Plain("https://Status.Example.org:8443/health".into()),
            method: "GET".into(),
            headers: Default::default(),
            body: None,
            follow_redirects: true,
            max_redirects: 10,
            client_cert: None,
        });
        let spec = MonitorSpec::new(&service("s", vec![]), &monitor);
        assert_eq!(spec.host.as_deref(), Some("status.example.org"));
        assert_eq!(heartbeat_spec("beat", 60, 5).host, None);
    }

    #[test]
    fn specs_keep_only_monitors_of_this_location() {
        let mut elsewhere = tcp_monitor("b", "h", 30);
        elsewhere.locations = vec!["fra".into()];
        let mut here = tcp_monitor("c", "h", 30);
        here.locations = vec!["ams".into(), "fra".into()];
        let catalog = Catalog {
            services: vec![service(
                "s",
                vec![tcp_monitor("a", "h", 30), elsewhere, here],
            )],
            ..Catalog::default()
        };
        let keys: Vec<String> = specs_for_location(&catalog, "ams")
            .iter()
            .map(|spec| spec.key.to_string())
            .collect();
        assert_eq!(keys, ["s/a", "s/c"]);
    }
}
