//! The validated catalog model: one type per table of `shipshape.toml`.
//! Field doc comments are the user documentation of each key; the key name
//! is the field name unless the comment says otherwise.

use shipshape_expect::Expectation;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;

use crate::secret::Setting;

/// The whole validated catalog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    /// The file it was loaded from (absolute).
    pub path: PathBuf,
    /// `[server]`: how this instance serves HTTP.
    pub server: Server,
    /// `[store]`: where state is kept.
    pub store: StoreSettings,
    /// `[alerting]`: how incidents open, resolve and page.
    pub alerting: Alerting,
    /// `[smtp]`: the mail server email notifications go through.
    pub smtp: Option<Smtp>,
    /// `[sms_gateway]`: how `type = "sms"` contacts are reached.
    pub sms_gateway: Option<Gateway>,
    /// `[voice_gateway]`: how `type = "phone"` contacts are reached.
    pub voice_gateway: Option<Gateway>,
    /// `[[person]]`: everyone who can be paged or can sign in.
    pub people: Vec<Person>,
    /// `[[team]]`: groups of people that own services.
    pub teams: Vec<Team>,
    /// `[[schedule]]`: on-call rotations.
    pub schedules: Vec<Schedule>,
    /// `[[escalation]]`: who is notified, in which order, after how long.
    pub escalations: Vec<Escalation>,
    /// `[[route]]`: which escalation an incident follows; first match wins.
    pub routes: Vec<Route>,
    /// `[[notifier]]`: shared channels besides people's own contacts.
    pub notifiers: Vec<Notifier>,
    /// `[[service]]`: what is run, with its components, datastores and monitors.
    pub services: Vec<Service>,
    /// `[[third_party]]`: outside providers and what data they may receive.
    pub third_parties: Vec<ThirdParty>,
    /// `[readiness]`: the readiness review's schedule and the team's own
    /// checklist items.
    pub readiness: Readiness,
    /// `[status_page]`: the public status page, if any.
    pub status_page: Option<StatusPage>,
}

/// `[server]` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    /// `listen`: socket address to bind, e.g. `"127.0.0.1:8080"`.
    pub listen: Option<SocketAddr>,
    /// `public_url`: the base URL users reach this instance at.
    pub public_url: Option<url::Url>,
    /// `location`: where this instance's probes run from (the `--location`
    /// flag overrides it per instance).
    pub location: Option<String>,
    /// `trusted_proxies`: CIDRs whose `X-Forwarded-*` headers are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `tls = { cert, key }`: serve HTTPS with these PEM files.
    pub tls: Option<Tls>,
    /// `metrics = "public" | "token"`: whether `/metrics` is public (the
    /// default) or needs a viewer token.
    pub metrics_public: bool,
    /// `max_body`: largest accepted request body, e.g. `"1MiB"` (the default).
    pub max_body_bytes: u64,
    /// `request_timeout`: upper bound on handling one request (default `30s`).
    pub request_timeout: Duration,
    /// `probe_ca`: PEM file of CA certificates that HTTPS and TLS monitors
    /// trust besides the public roots (a private CA).
    pub probe_ca: Option<PathBuf>,
}

impl Default for Server {
    fn default() -> Self {
        Self {
            listen: None,
            public_url: None,
            location: None,
            trusted_proxies: Vec::new(),
            tls: None,
            metrics_public: true,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            probe_ca: None,
        }
    }
}

/// `[server] tls`: certificate and key files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// `cert`: PEM certificate chain (absolute path).
    pub cert: PathBuf,
    /// `key`: PEM private key (absolute path).
    pub key: PathBuf,
}

/// `[store]` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreSettings {
    /// `url`: `sqlite://PATH` (the default is `sqlite://shipshape.db`, next to
    /// the catalog) or `postgres://…` for two or more instances. Relative
    /// sqlite paths are already made absolute.
    pub url: Setting,
    /// `raw_retention`: how long raw check results are kept (default `7d`,
    /// at least `1h`).
    pub raw_retention: Duration,
    /// `rollup_retention`: how long hour and day rollups and state history
    /// are kept (default `400d`, at least `raw_retention`).
    pub rollup_retention: Duration,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            url: Setting::Plain("sqlite://shipshape.db".into()),
            raw_retention: Duration::from_secs(7 * 86_400),
            rollup_retention: Duration::from_secs(400 * 86_400),
        }
    }
}

/// `[alerting]` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Alerting {
    /// `resolve_after`: how long every alert of an incident must stay clear
    /// before the incident resolves by itself (default `1m`); a failure
    /// within that time joins the same incident without a new page.
    pub resolve_after: Duration,
    /// `auto_resolve`: whether recovery resolves an incident (default
    /// `true`); `false` waits for a person to resolve it.
    pub auto_resolve: bool,
    /// `ack_link_ttl`: how long a one-click acknowledge link in a
    /// notification stays valid (default `24h`, at least `5m`).
    pub ack_link_ttl: Duration,
}

impl Default for Alerting {
    fn default() -> Self {
        Self {
            resolve_after: Duration::from_secs(60),
            auto_resolve: true,
            ack_link_ttl: Duration::from_secs(24 * 3600),
        }
    }
}

/// `[smtp]`: the outgoing mail server.
#[derive(Debug, Clone, PartialEq)]
pub struct Smtp {
    /// `host`: the server's name.
    pub host: String,
    /// `port` (default 587 for `starttls`, 465 for `tls`, 25 for `none`).
    pub port: u16,
    /// `tls`: `"starttls"` (the default, required), `"tls"` (implicit) or
    /// `"none"` (loopback relays only).
    pub tls: SmtpTls,
    /// `username`, if the server wants a login.
    pub username: Option<Setting>,
    /// `password` (a secret reference).
    pub password: Option<Setting>,
    /// `from`: the sender address.
    pub from: String,
    /// `ca`: PEM file of CA certificates trusted besides the public roots.
    pub ca: Option<PathBuf>,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text.
    None,
    /// `STARTTLS` after the greeting, required.
    StartTls,
    /// TLS from the first byte.
    Tls,
}

/// `[sms_gateway]` / `[voice_gateway]`: an HTTP request template for a
/// text-message or voice provider. `{{to}}`, `{{title}}`, `{{message}}`,
/// `{{ack_url}}`, `{{incident_url}}`, `{{kind}}` and `{{key}}` are replaced in
/// `url`, `headers` and `body`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gateway {
    /// `url`: where to send the request.
    pub url: Setting,
    /// `method` (default `POST`).
    pub method: String,
    /// `headers`: extra request headers (values may be secrets).
    pub headers: BTreeMap<String, Setting>,
    /// `body`: the request body template.
    pub body: String,
    /// `content_type` (default `application/json`); chooses how values are
    /// escaped in `body`.
    pub content_type: String,
}

/// `[[person]]`: someone who can be paged or sign in.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// `id`: unique id referenced by teams, schedules and escalations.
    pub id: String,
    /// `name`: display name (defaults to the id).
    pub name: String,
    /// `timezone`: the person's IANA time zone, e.g. `"Europe/Berlin"`.
    pub timezone: Option<TimeZone>,
    /// `contact`: how to reach them; a page goes to every working one at once.
    pub contacts: Vec<Channel>,
}

impl Person {
    /// Email addresses among the person's contacts (plain or resolved).
    pub fn emails(&self) -> Vec<&str> {
        self.contacts
            .iter()
            .filter_map(|contact| match contact {
                Channel::Email { to } => to.value(),
                _ => None,
            })
            .collect()
    }
}

/// A way to deliver a notification, tagged by `type`. Used both for a
/// person's `contact` list and for `[[notifier]]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Channel {
    /// `type = "email"`.
    Email {
        /// `to`: the address.
        to: Setting,
    },
    /// `type = "ntfy"`: push through an ntfy server.
    Ntfy {
        /// `server`: base URL (default `https://ntfy.sh`).
        server: Setting,
        /// `topic`: the topic to publish to.
        topic: Setting,
        /// `token`: access token, if the topic is protected.
        token: Option<Setting>,
    },
    /// `type = "webhook"`: a JSON POST.
    Webhook {
        /// `url`: where to POST.
        url: Setting,
        /// `token`: sent as a bearer token, if set.
        token: Option<Setting>,
        /// `headers`: extra request headers.
        headers: BTreeMap<String, Setting>,
        /// `secret`: signs each delivery with HMAC-SHA256
        /// (`X-Shipshape-Signature`), if set.
        secret: Option<Setting>,
    },
    /// `type = "slack"`: a Slack incoming webhook.
    Slack {
        /// `url`: the incoming-webhook URL.
        url: Setting,
    },
    /// `type = "pagerduty"`: hand off through PagerDuty Events v2.
    Pagerduty {
        /// `routing_key`: the integration key.
        routing_key: Setting,
        /// `url`: the Events API v2 endpoint (default
        /// `https://events.pagerduty.com/v2/enqueue`).
        url: Setting,
    },
    /// `type = "pushover"`.
    Pushover {
        /// `user`: the user or group key.
        user: Setting,
        /// `token`: the application token.
        token: Setting,
    },
    /// `type = "sms"`: a text message.
    Sms {
        /// `to`: the phone number.
        to: Setting,
    },
    /// `type = "phone"`: a voice call.
    Phone {
        /// `to`: the phone number.
        to: Setting,
    },
}

impl Channel {
    /// The `type` tag of this channel.
    pub fn kind(&self) -> &'static str {
        match self {
            Channel::Email { .. } => "email",
            Channel::Ntfy { .. } => "ntfy",
            Channel::Webhook { .. } => "webhook",
            Channel::Slack { .. } => "slack",
            Channel::Pagerduty { .. } => "pagerduty",
            Channel::Pushover { .. } => "pushover",
            Channel::Sms { .. } => "sms",
            Channel::Phone { .. } => "phone",
        }
    }
}

/// `[[team]]`: a group of people.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    /// `id`: unique id.
    pub id: String,
    /// `name`: display name (defaults to the id).
    pub name: String,
    /// `members`: person ids.
    pub members: Vec<String>,
    /// `deployers`: person ids allowed to deploy the team's services.
    pub deployers: Vec<String>,
}

/// `[[schedule]]`: an on-call rotation.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// `id`: unique id.
    pub id: String,
    /// `name`: display name (defaults to the id).
    pub name: String,
    /// `timezone`: IANA zone in which handoffs and dates are read.
    pub timezone: TimeZone,
    /// `rotation = {…}` (one layer) or `layers = [{…}, …]` (several; a later
    /// layer takes precedence over an earlier one where it is active).
    pub layers: Vec<Layer>,
    /// `overrides`: temporary replacements, which win over every layer.
    pub overrides: Vec<Override>,
}

/// One rotation layer of a schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// `name`: optional label for the layer.
    pub name: Option<String>,
    /// `members`: person ids, in turn order (at least one).
    pub members: Vec<String>,
    /// `every`: length of one turn, e.g. `"1w"` or `"12h"` (at least `1m`).
    pub every: Duration,
    /// `handoff`: when a turn changes, `"monday 09:00"` or `"09:00"`
    /// (default `"09:00"`).
    pub handoff: Handoff,
    /// `start`: the date the first member's first turn starts.
    pub start: Date,
}

/// When a turn changes hands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handoff {
    /// Day of the week, when the handoff is written with one.
    pub weekday: Option<Weekday>,
    /// Wall-clock time in the schedule's time zone.
    pub time: Time,
}

/// A temporary replacement in a schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// `person`: who is on call instead.
    pub person: String,
    /// `from`: start, a date (`"2026-12-21"`, midnight) or date-time
    /// (`"2026-12-21T09:00"`) in the schedule's zone.
    pub from: DateTime,
    /// `until`: end (exclusive), same forms as `from`.
    pub until: DateTime,
    /// `note`: why.
    pub note: Option<String>,
}

/// `[[escalation]]`: an escalation policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    /// `id`: unique id referenced by routes.
    pub id: String,
    /// `steps`: notified in order until someone acknowledges.
    pub steps: Vec<EscalationStep>,
    /// `repeat`: how many times the whole list runs (default 1, at least 1).
    pub repeat: u32,
    /// `repeat_after`: the pause between the last step of a round and the
    /// first step of the next (default `5m`).
    pub repeat_after: Duration,
}

/// One step of an escalation.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationStep {
    /// `after`: delay after the incident opened (default `0s`).
    pub after: Duration,
    /// `notify`: `"schedule:ID"`, `"team:ID"`, `"person:ID"` or `"notifier:ID"`.
    pub notify: Vec<Target>,
}

/// Who an escalation step notifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `schedule:ID` — whoever is on call.
    Schedule(String),
    /// `team:ID` — every member.
    Team(String),
    /// `person:ID`.
    Person(String),
    /// `notifier:ID` — a shared channel.
    Notifier(String),
}

/// `[[route]]`: sends matching incidents to an escalation.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// `match`: conditions that must all hold (an empty match matches all).
    pub matcher: RouteMatch,
    /// `escalation`: escalation id.
    pub escalation: String,
    /// `continue`: keep evaluating later routes after this one matched.
    pub continue_matching: bool,
}

/// The `match` table of a route.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteMatch {
    /// `service`: service id.
    pub service: Option<String>,
    /// `component`: component id (of `service` if set, else of any service).
    pub component: Option<String>,
    /// `severity`: `"critical"`, `"warning"` or `"info"`.
    pub severity: Option<Severity>,
    /// `labels`: label values that must all match exactly.
    pub labels: BTreeMap<String, String>,
}

/// Incident severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// `info`.
    Info,
    /// `warning`.
    Warning,
    /// `critical`.
    Critical,
}

impl Severity {
    /// The lowercase name: `critical`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// Parses a name produced by [`Severity::as_str`].
    pub fn parse(name: &str) -> Option<Severity> {
        [Severity::Critical, Severity::Warning, Severity::Info]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// `[[notifier]]`: a shared channel, e.g. a team's Slack room.
#[derive(Debug, Clone, PartialEq)]
pub struct Notifier {
    /// `id`: unique id referenced as `notifier:ID`.
    pub id: String,
    /// `type` and its keys (see [`Channel`]).
    pub channel: Channel,
    /// `third_party`: the third party the channel sends data to.
    pub third_party: Option<String>,
}

/// `[[service]]`: something the team runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// `id`: unique id.
    pub id: String,
    /// `name`: display name (defaults to the id).
    pub name: String,
    /// `owner`: owning team id.
    pub owner: Option<String>,
    /// `tier`: e.g. `"critical"`.
    pub tier: Option<String>,
    /// `repo`: local checkout the readiness review reads (absolute path).
    pub repo: Option<PathBuf>,
    /// `data`: data classes the service handles, e.g. `["pii"]`.
    pub data: Vec<String>,
    /// `third_parties`: third-party ids the service sends data to.
    pub third_parties: Vec<String>,
    /// `depends_on`: service ids this one needs (no cycles).
    pub depends_on: Vec<String>,
    /// `slo`: service level objectives.
    pub slo: Option<Slo>,
    /// `endpoints`: the public URLs users reach the service on; the
    /// readiness review scans each and expects a monitor for each.
    pub endpoints: Vec<url::Url>,
    /// `[service.readiness]`: items that do not apply, paths to skip.
    pub readiness: ServiceReadiness,
    /// `[[service.component]]`.
    pub components: Vec<Component>,
    /// `[[service.datastore]]`.
    pub datastores: Vec<Datastore>,
    /// `[[service.monitor]]`.
    pub monitors: Vec<Monitor>,
}

/// `[service.readiness]`: how the readiness review treats one service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceReadiness {
    /// `not_applicable = { "ITEM" = "why" }`: items that do not apply, with
    /// the reason the report shows.
    pub not_applicable: Vec<NotApplicable>,
    /// `exclude`: globs (relative to `repo`) the repository collectors skip,
    /// e.g. test fixtures full of deliberate mistakes.
    pub exclude: Vec<String>,
}

/// One `not_applicable` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct NotApplicable {
    /// The checklist item id, `practice.slug`.
    pub item: String,
    /// Why it does not apply.
    pub reason: String,
    /// `file:line:col` of the entry, for the review's errors (the catalog
    /// checks the id's shape; the review knows which ids exist).
    pub location: String,
}

/// `[readiness]`: the review's schedule and the team's own items.
#[derive(Debug, Clone, PartialEq)]
pub struct Readiness {
    /// `every`: how often `shipshape serve` re-runs the live review
    /// (default `1h`, at least `1m`).
    pub every: Duration,
    /// `[[readiness.item]]`: checklist items the team adds.
    pub items: Vec<CustomItem>,
}

impl Default for Readiness {
    fn default() -> Self {
        Readiness {
            every: Duration::from_secs(3600),
            items: Vec::new(),
        }
    }
}

/// `[[readiness.item]]`: a checklist item a team adds. It is decided by
/// `command` when set (exit status 0 passes), else by an attestation.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomItem {
    /// `id`: `practice.slug`, e.g. `security.pen-test-2027`; the practice
    /// is one of [`READINESS_PRACTICES`].
    pub id: String,
    /// `title`: short imperative.
    pub title: String,
    /// `rationale`: why it matters (optional).
    pub rationale: String,
    /// `must`: whether a failure blocks the launch (default false).
    pub must: bool,
    /// `fix`: how to get there (optional).
    pub fix: String,
    /// `command`: a shell command run in the service's `repo` (or the
    /// catalog's directory) with a 60-second limit; exit 0 passes.
    pub command: Option<String>,
    /// `services`: the services it applies to (default: all).
    pub services: Vec<String>,
    /// `file:line:col` of the table.
    pub location: String,
}

/// The practice ids of the readiness checklist, in its order: the prefix
/// of every item id (`shipshape-readiness` keeps the same list).
pub const READINESS_PRACTICES: [&str; 13] = [
    "backups",
    "deployment",
    "support",
    "logs",
    "monitoring",
    "alerting",
    "status-communication",
    "security",
    "load-testing",
    "capacity-planning",
    "scalability",
    "resilience",
    "access-control",
];

/// `slo`: service level objectives.
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    /// `availability`: e.g. `"99.9%"`, as a percentage (`99.9`).
    pub availability: Option<f64>,
    /// `latency_p95`: 95th percentile latency target, e.g. `"500ms"`. At
    /// least one of `availability` and `latency_p95` is required.
    pub latency_p95: Option<Duration>,
    /// `window`: rolling window (default `30d`, at least `1h`).
    pub window: Duration,
}

/// `[[service.component]]`: a deployable part of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// `id`: unique within the service.
    pub id: String,
    /// `instances`: how many should run (default 1, at least 1).
    pub instances: u32,
    /// `zones`: zones it runs in.
    pub zones: Vec<String>,
}

/// `[[service.datastore]]`: a database the service uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Datastore {
    /// `id`: unique within the service.
    pub id: String,
    /// `kind`: `"postgres"`, `"redis"` or `"mysql"`.
    pub kind: DatastoreKind,
    /// `url`: connection URL (usually a secret).
    pub url: Option<Setting>,
    /// `replicas`: number of replicas besides the primary (default 0).
    pub replicas: u32,
}

/// The kind of a datastore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatastoreKind {
    /// `postgres`.
    Postgres,
    /// `redis`.
    Redis,
    /// `mysql`.
    Mysql,
}

impl DatastoreKind {
    /// The name written in the catalog: `postgres`, `redis` or `mysql`.
    pub fn name(self) -> &'static str {
        match self {
            DatastoreKind::Postgres => "postgres",
            DatastoreKind::Redis => "redis",
            DatastoreKind::Mysql => "mysql",
        }
    }
}

/// `[[service.monitor]]`: a check run on a schedule, or a heartbeat.
#[derive(Debug, Clone, PartialEq)]
pub struct Monitor {
    /// `id`: unique within the service; referenced as `"service/monitor"`.
    pub id: String,
    /// `component`: component id of the same service.
    pub component: Option<String>,
    /// Exactly one of `http`, `tcp`, `dns`, `tls`, `heartbeat`, `datastore`.
    pub kind: MonitorKind,
    /// `every`: interval between checks (default `1m`, at least `1s`). For a
    /// heartbeat this is `heartbeat.every`.
    pub every: Duration,
    /// `timeout`: per-check timeout (default `10s` or `every` if shorter;
    /// never longer than `every`).
    pub timeout: Duration,
    /// `confirm`: consecutive failures before the monitor is down (default 1).
    pub confirm: u32,
    /// `recover`: consecutive successes before it is up again (default 1).
    pub recover: u32,
    /// `expect`: assertions such as `"status == 200"`, parsed at load (see
    /// the `shipshape-expect` crate for the language).
    pub expect: Vec<Expectation>,
    /// `anomaly`: flag unusual values of a metric.
    pub anomaly: Option<Anomaly>,
    /// `quorum`: how many `locations` must agree before the monitor is down.
    pub quorum: Option<u32>,
    /// `locations`: where the check runs from (default: every instance).
    pub locations: Vec<String>,
    /// `severity`, `labels` and `shadow`: how its alerts are routed.
    pub alert: MonitorAlerting,
}

/// The alerting keys of a monitor.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorAlerting {
    /// `severity`: of the incidents it opens (default `"critical"`).
    pub severity: Severity,
    /// `labels`: extra labels routes and silences can match.
    pub labels: BTreeMap<String, String>,
    /// `shadow`: evaluated and recorded, never paging (default `false`).
    pub shadow: bool,
}

impl Default for MonitorAlerting {
    fn default() -> Self {
        Self {
            severity: Severity::Critical,
            labels: BTreeMap::new(),
            shadow: false,
        }
    }
}

/// What a monitor checks.
#[derive(Debug, Clone, PartialEq)]
pub enum MonitorKind {
    /// `http = {…}`.
    Http(HttpCheck),
    /// `tcp = {…}`.
    Tcp(TcpCheck),
    /// `dns = {…}`.
    Dns(DnsCheck),
    /// `tls = {…}`: certificate validity and expiry.
    Tls(TlsCheck),
    /// `heartbeat = {…}`: the job pings Shipshape; silence is failure.
    Heartbeat(HeartbeatCheck),
    /// `datastore = { ref = "ID" }` or `{ kind, url }`: connect to a
    /// datastore and run a trivial query.
    Datastore(DatastoreCheck),
}

impl MonitorKind {
    /// The key naming this kind.
    pub fn name(&self) -> &'static str {
        match self {
            MonitorKind::Http(_) => "http",
            MonitorKind::Tcp(_) => "tcp",
            MonitorKind::Dns(_) => "dns",
            MonitorKind::Tls(_) => "tls",
            MonitorKind::Heartbeat(_) => "heartbeat",
            MonitorKind::Datastore(_) => "datastore",
        }
    }
}

/// `http = {…}`.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpCheck {
    /// `url`: `http://` or `https://` URL.
    pub url: Setting,
    /// `method`: HTTP method (default `GET`).
    pub method: String,
    /// `headers`: request headers.
    pub headers: BTreeMap<String, Setting>,
    /// `body`: request body.
    pub body: Option<Setting>,
    /// `follow_redirects`: follow 3xx responses (default true).
    pub follow_redirects: bool,
    /// `max_redirects`: redirects followed at most (default 10).
    pub max_redirects: u32,
    /// `client_cert` and `client_key`: a certificate presented to servers
    /// that ask for one (mutual TLS), on the first URL's origin only.
    /// Boxed: most checks have none.
    pub client_cert: Option<Box<ClientCert>>,
}

/// A client certificate for mutual TLS: `client_cert = "PATH"` and
/// `client_key = "PATH"` (or `client_key = { secret = "…" }`). Both files
/// are checked at load: readable, and holding PEM blocks of the right kind.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientCert {
    /// `client_cert`: the PEM certificate chain, leaf first (absolute path).
    pub cert: PathBuf,
    /// `client_key`: the PEM private key of the leaf.
    pub key: ClientKey,
}

/// Where a client certificate's private key comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientKey {
    /// `client_key = "PATH"`: a PEM file (absolute path).
    File(PathBuf),
    /// `client_key = { secret = "…" }`: the PEM text itself, resolved by the
    /// binary like every other secret (e.g. `file:/run/secrets/client.key`).
    Secret(Setting),
}

/// `tcp = {…}`: `host` and `port`, or `address = "host:port"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpCheck {
    /// `host`: host name or IP.
    pub host: String,
    /// `port`: TCP port.
    pub port: u16,
    /// `send`: bytes to send after connecting.
    pub send: Option<String>,
    /// `expect`: text the reply must contain.
    pub expect: Option<String>,
}

/// `dns = {…}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsCheck {
    /// `name`: the name to resolve.
    pub name: String,
    /// `record_type`: `A` (default), `AAAA`, `CNAME`, `MX`, `TXT`, `NS`,
    /// `SOA`, `SRV`, `CAA` or `PTR`.
    pub record_type: RecordType,
    /// `resolver`: `"IP"` or `"IP:PORT"` (default: the system resolver).
    pub resolver: Option<SocketAddr>,
    /// `expect`: values the answer must contain.
    pub expect: Vec<String>,
}

/// A DNS record type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs, clippy::upper_case_acronyms)]
pub enum RecordType {
    A,
    AAAA,
    CNAME,
    MX,
    TXT,
    NS,
    SOA,
    SRV,
    CAA,
    PTR,
}

/// `tls = {…}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsCheck {
    /// `host`: server name to connect to and verify.
    pub host: String,
    /// `port`: TCP port (default 443, or 587 with `starttls = "smtp"`).
    pub port: u16,
    /// `starttls`: the plain-text protocol spoken before the handshake,
    /// e.g. `"smtp"`; `None` for TLS from the first byte.
    pub starttls: Option<StartTls>,
}

/// A protocol that upgrades a plain-text connection to TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartTls {
    /// `smtp`: greeting, `EHLO`, `STARTTLS` (RFC 3207).
    Smtp,
}

/// `heartbeat = {…}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatCheck {
    /// `every`: expected interval between pings.
    pub every: Duration,
    /// `grace`: extra time allowed before a missing ping counts (default `0s`).
    pub grace: Duration,
}

/// `datastore = { ref = "ID" }` (a `[[service.datastore]]` of the same
/// service) or `datastore = { kind = "…", url = "…" }`. Either way the kind
/// and URL are resolved here, so the checker needs nothing else.
#[derive(Debug, Clone, PartialEq)]
pub struct DatastoreCheck {
    /// `ref`: the datastore id of the same service; empty when the monitor
    /// gives `kind` and `url` itself.
    pub datastore: String,
    /// The datastore's `kind`.
    pub kind: DatastoreKind,
    /// The datastore's `url` (usually a secret; never shown in messages).
    pub url: Setting,
}

/// `anomaly = {…}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    /// `metric`: `"latency_p95"`, `"latency_p50"` or `"error_rate"`, over
    /// five-minute buckets.
    pub metric: String,
    /// `sensitivity`: `"low"`, `"medium"` (default) or `"high"`.
    pub sensitivity: Sensitivity,
}

/// How eagerly anomalies are flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high`.
    High,
}

/// `[[third_party]]`: an outside provider.
#[derive(Debug, Clone, PartialEq)]
pub struct ThirdParty {
    /// `id`: unique id.
    pub id: String,
    /// `name`: display name (defaults to the id).
    pub name: String,
    /// `approved_for`: data classes it may receive, e.g. `["internal"]`.
    pub approved_for: Vec<String>,
    /// `approved = { by, on }`: who approved it and when.
    pub approved: Option<Approval>,
}

/// A recorded approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// `by`: who approved.
    pub by: String,
    /// `on`: date of the approval.
    pub on: Date,
}

/// `[status_page]`.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusPage {
    /// `title`: page title.
    pub title: String,
    /// `components`: what users see, each backed by monitors.
    pub components: Vec<StatusComponent>,
    /// `publish`: where static copies of the page are written.
    pub publish: Vec<PublishTarget>,
    /// `url`: where the public reads the page (its links and feeds use it).
    pub url: Option<url::Url>,
    /// `timezone`: the IANA zone times are shown in (default `UTC`).
    pub timezone: Option<TimeZone>,
    /// `publish_every`: how often static copies are refreshed even when
    /// nothing changed (default `5m`, at least `30s`).
    pub publish_every: Duration,
    /// `stale_after`: when a static copy older than this flags itself as
    /// possibly out of date (default `15m`, at least `publish_every`).
    pub stale_after: Duration,
}

/// A component shown on the status page.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusComponent {
    /// `name`: shown to users.
    pub name: String,
    /// `group`: optional heading the component is listed under.
    pub group: Option<String>,
    /// `monitors`: `"service/monitor"` references.
    pub monitors: Vec<MonitorRef>,
}

/// A `"service/monitor"` reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonitorRef {
    /// Service id.
    pub service: String,
    /// Monitor id within the service.
    pub monitor: String,
}

impl std::fmt::Display for MonitorRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.service, self.monitor)
    }
}

/// Where the static status site is published, tagged by `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum PublishTarget {
    /// `type = "dir"`: a local directory.
    Dir {
        /// `path`: the directory (absolute).
        path: PathBuf,
        /// `third_party`: the provider serving it, if any.
        third_party: Option<String>,
    },
    /// `type = "s3"`: an S3-compatible bucket (AWS S3, MinIO, R2, …).
    S3 {
        /// `url`: `s3://bucket/prefix`.
        url: Setting,
        /// `endpoint`: the S3 API's base URL when not AWS's, e.g.
        /// `http://127.0.0.1:9000` (plain HTTP is allowed when written so).
        endpoint: Option<url::Url>,
        /// `region`: the bucket's region (default `us-east-1`).
        region: String,
        /// `access_key_id`: with `secret_access_key`, the credentials
        /// (both or neither; without them the usual `AWS_*` environment
        /// variables are used).
        access_key_id: Option<Setting>,
        /// `secret_access_key`: see `access_key_id`.
        secret_access_key: Option<Setting>,
        /// `third_party`: the provider hosting the bucket.
        third_party: Option<String>,
    },
    /// `type = "git"`: a branch of a Git repository (GitHub Pages style).
    Git {
        /// `repo`: a URL (`https://…`, `ssh://…`, `git@host:path`) or a
        /// local path (made absolute); may be a secret reference when the
        /// URL carries a token.
        repo: Setting,
        /// `branch`: the branch written (default `gh-pages`; created when
        /// missing).
        branch: String,
        /// `path`: the directory inside the branch the site goes to,
        /// relative, without `..` (`None`: the branch's root).
        path: Option<String>,
        /// `message`: the commit message (default `Update status page`).
        message: String,
        /// `third_party`: the provider serving it, if any.
        third_party: Option<String>,
    },
}
