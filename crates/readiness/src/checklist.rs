//! The checklist: every practice of the source list, as Shipshape words it.

/// Where the checklist comes from.
pub const SOURCE: &str =
    "18F, \"Good Production Practices\", https://engineering.18f.gov/production-ready/";

/// A practice area: one section of the source list, in its order.
/// Serialised as its [`Practice::id`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Practice {
    /// Keeping data safe and recoverable.
    Backups,
    /// Shipping new versions.
    Deployment,
    /// Helping users who have a problem.
    Support,
    /// Keeping and reading logs.
    Logs,
    /// Watching the service. The source defers this section to a separate
    /// page and lists no items under it, so no item belongs here yet.
    Monitoring,
    /// Getting a person to look when something breaks.
    Alerting,
    /// Telling users and downstream services how things stand.
    StatusCommunication,
    /// Protecting the service and its data.
    Security,
    /// Knowing how the service behaves under pressure.
    LoadTesting,
    /// Having enough capacity when it is needed.
    CapacityPlanning,
    /// Growing with demand.
    Scalability,
    /// Surviving the loss of parts.
    Resilience,
    /// Controlling who can reach which environment.
    AccessControl,
}

impl Practice {
    /// Every practice, in the source's order.
    pub const ALL: [Practice; 13] = [
        Practice::Backups,
        Practice::Deployment,
        Practice::Support,
        Practice::Logs,
        Practice::Monitoring,
        Practice::Alerting,
        Practice::StatusCommunication,
        Practice::Security,
        Practice::LoadTesting,
        Practice::CapacityPlanning,
        Practice::Scalability,
        Practice::Resilience,
        Practice::AccessControl,
    ];

    /// A human title, e.g. `Status communication`.
    pub fn title(self) -> &'static str {
        match self {
            Practice::Backups => "Backups",
            Practice::Deployment => "Deployment",
            Practice::Support => "Support",
            Practice::Logs => "Logs",
            Practice::Monitoring => "Monitoring",
            Practice::Alerting => "Alerting",
            Practice::StatusCommunication => "Status communication",
            Practice::Security => "Security",
            Practice::LoadTesting => "Load testing",
            Practice::CapacityPlanning => "Capacity planning",
            Practice::Scalability => "Scalability",
            Practice::Resilience => "Resilience",
            Practice::AccessControl => "Access control",
        }
    }

    /// A stable lowercase slug, e.g. `status-communication`; the prefix of
    /// every [`Item::id`] in this practice.
    pub fn id(self) -> &'static str {
        match self {
            Practice::Backups => "backups",
            Practice::Deployment => "deployment",
            Practice::Support => "support",
            Practice::Logs => "logs",
            Practice::Monitoring => "monitoring",
            Practice::Alerting => "alerting",
            Practice::StatusCommunication => "status-communication",
            Practice::Security => "security",
            Practice::LoadTesting => "load-testing",
            Practice::CapacityPlanning => "capacity-planning",
            Practice::Scalability => "scalability",
            Practice::Resilience => "resilience",
            Practice::AccessControl => "access-control",
        }
    }

    /// The items of this practice, in checklist order.
    pub fn items(self) -> impl Iterator<Item = &'static Item> {
        CHECKLIST.iter().filter(move |i| i.practice == self)
    }
}

/// How an item's verdict can be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// A collector can decide it from the running service, Shipshape's own
    /// catalog, or the service's repository.
    Automatic,
    /// Only a person can vouch for it.
    Attestation,
}

/// One checklist entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// Stable id, `practice.slug`, e.g. `backups.redundant-storage`.
    /// Reviews are stored against it: never rename one.
    pub id: &'static str,
    /// The practice this item belongs to.
    pub practice: Practice,
    /// Short imperative, e.g. "Keep live data on redundant storage".
    pub title: &'static str,
    /// Why it matters, in a sentence or two.
    pub rationale: &'static str,
    /// Whether the source marks it as a must-have.
    pub must: bool,
    /// How to get there.
    pub fix: &'static str,
    /// Who can decide it.
    pub evidence: Evidence,
    /// The collectors whose findings decide it, e.g. `repo.dependencies`.
    /// An attestation item may still list collectors: their failures
    /// override a person's word (a catalog that sends `pii` to a vendor not
    /// approved for it fails `security.vendors-approved` however attested).
    pub collectors: &'static [&'static str],
    /// Whether the item comes from the source list or is Shipshape's own
    /// addition.
    pub origin: Origin,
}

/// Where an item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// An item of the source list ([`SOURCE`]), in our own words.
    Source,
    /// A check Shipshape adds beyond the source list: it makes a practice
    /// of the source concrete (the source's monitoring page, its security
    /// headers) and never changes what counts as a must-have.
    Shipshape,
}

/// Looks an item up by its [`Item::id`].
pub fn item(id: &str) -> Option<&'static Item> {
    CHECKLIST.iter().find(|i| i.id == id)
}

use Evidence::{Attestation, Automatic};
use Origin::{Shipshape, Source};
use Practice::*;

/// The checklist: one entry per item of the source, in its order, with
/// Shipshape's own additions ([`Origin::Shipshape`]) in their practice.
pub const CHECKLIST: &[Item] = &[
    // ---- Backups -------------------------------------------------------
    Item {
        id: "backups.redundant-storage",
        practice: Backups,
        title: "Keep live data on redundant storage",
        rationale: "A single disk or database host is one failure away from losing everything written since the last copy.",
        must: true,
        fix: "Run databases and volumes on replicated storage: a managed database with a standby, a replicated volume, or object storage with multi-zone durability.",
        evidence: Automatic,
        collectors: &["catalog.datastore-replicas"],
        origin: Source,
    },
    Item {
        id: "backups.periodic-snapshots",
        practice: Backups,
        title: "Take scheduled snapshots of live data",
        rationale: "Redundancy copies mistakes too; only a snapshot taken before a bad write or deletion lets you go back.",
        must: true,
        fix: "Schedule snapshots (at least daily) of every database and volume, keep them somewhere the primary cannot delete, and add a Shipshape heartbeat monitor that the backup job pings when it finishes.",
        evidence: Automatic,
        collectors: &["state.backup-heartbeats"],
        origin: Source,
    },
    Item {
        id: "backups.point-in-time-recovery",
        practice: Backups,
        title: "Make restoring to any moment possible",
        rationale: "With snapshots alone, everything written since the last one is lost; continuous archiving narrows the loss to seconds.",
        must: false,
        fix: "Turn on write-ahead-log or binlog archiving (or the managed database's point-in-time restore) and note the retention window.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "backups.documented-recovery",
        practice: Backups,
        title: "Write down how to restore, step by step",
        rationale: "A restore usually happens under stress and by whoever is on call; an unwritten procedure lives in one head.",
        must: false,
        fix: "Keep a runbook with the exact commands to restore into a fresh environment, and link it from the service's catalog entry.",
        evidence: Automatic,
        collectors: &["repo.recovery-doc"],
        origin: Source,
    },
    Item {
        id: "backups.restore-tested-in-pipeline",
        practice: Backups,
        title: "Exercise the restore path on every delivery",
        rationale: "A backup that has never been restored is a hope, not a backup; running the restore routinely catches rot early.",
        must: false,
        fix: "Add a pipeline stage that restores the latest snapshot into a scratch environment and runs a smoke check against it.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    // ---- Deployment ----------------------------------------------------
    Item {
        id: "deployment.one-command",
        practice: Deployment,
        title: "Ship a release with one command",
        rationale: "Every manual step in a release is a step that can be skipped, reordered or mistyped.",
        must: false,
        fix: "Script the whole release (build, migrate, roll out, verify) behind one command or one pipeline button.",
        evidence: Automatic,
        collectors: &["repo.deploy-command"],
        origin: Source,
    },
    Item {
        id: "deployment.several-deployers",
        practice: Deployment,
        title: "Let more than one person release",
        rationale: "If only one person can ship, a fix waits for their holiday to end.",
        must: false,
        fix: "Give at least two people the access and the runbook, and have the second one do a real release.",
        evidence: Automatic,
        collectors: &["catalog.deployers"],
        origin: Source,
    },
    Item {
        id: "deployment.blue-green",
        practice: Deployment,
        title: "Switch traffic between two live versions",
        rationale: "Bringing the new version up beside the old one and flipping traffic makes releases and rollbacks near-instant.",
        must: false,
        fix: "Run the new version alongside the old, health-check it, then move the router; keep the old one until the new one is proven.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "deployment.automated-migrations",
        practice: Deployment,
        title: "Apply schema changes automatically",
        rationale: "Hand-run migrations drift between environments and get forgotten at release time.",
        must: false,
        fix: "Keep versioned migrations in the repository and have the release run them, refusing to start on a schema it does not know.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "deployment.snapshot-before-release",
        practice: Deployment,
        title: "Snapshot data as part of each release",
        rationale: "A release that corrupts data needs a copy taken just before it to roll back to.",
        must: false,
        fix: "Make the release script take a snapshot before migrating and record how to restore it if the release is rolled back.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "deployment.minimal-artifact",
        practice: Deployment,
        title: "Ship only what production needs",
        rationale: "Test fixtures, source trees and build tools in a production image widen the attack surface and leak internals.",
        must: false,
        fix: "Build in one stage and copy only the binary, assets and config into a slim runtime image; exclude the VCS directory and tests.",
        evidence: Automatic,
        collectors: &["repo.deploy-ignore"],
        origin: Source,
    },
    Item {
        id: "deployment.secrets-from-a-vault",
        practice: Deployment,
        title: "Fetch secrets from a credential store",
        rationale: "Secrets in environment variables leak into crash dumps, child processes and debug pages.",
        must: false,
        fix: "Read secrets at start-up from a secret manager or mounted files with tight permissions, not from the environment.",
        evidence: Automatic,
        collectors: &["repo.manifest-secrets"],
        origin: Source,
    },
    Item {
        id: "deployment.build-before-runtime",
        practice: Deployment,
        title: "Do all fetching and building before release",
        rationale: "An instance that downloads or compiles at start-up fails when a registry is down and can differ from what was tested.",
        must: false,
        fix: "Resolve, build and configure in the pipeline or staging, and start production instances from the finished artifact only.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "deployment.pinned-dependencies",
        practice: Deployment,
        title: "Lock dependency versions",
        rationale: "Floating versions make two builds of the same commit differ and let a bad upstream release in unnoticed.",
        must: false,
        fix: "Commit the lockfile (Cargo.lock, package-lock.json, …), pin base images by digest, and update through reviewed changes.",
        evidence: Automatic,
        collectors: &["repo.dependencies"],
        origin: Source,
    },
    // ---- Support -------------------------------------------------------
    Item {
        id: "support.documented-targets",
        practice: Support,
        title: "Publish the service-level objectives",
        rationale: "Without a stated target nobody can tell whether the service is doing well enough or when to stop feature work.",
        must: false,
        fix: "Declare an `slo` for the service in shipshape.toml and publish the same numbers where users can read them.",
        evidence: Automatic,
        collectors: &["catalog.slo"],
        origin: Source,
    },
    Item {
        id: "support.contact-point",
        practice: Support,
        title: "Give users one obvious place to report problems",
        rationale: "Reports scattered over personal inboxes and chat get lost or answered twice.",
        must: false,
        fix: "Pick one address or form, link it from the service and the status page, and make sure someone watches it.",
        evidence: Automatic,
        collectors: &["repo.contact", "endpoint.security-txt"],
        origin: Source,
    },
    Item {
        id: "support.escalation-paths",
        practice: Support,
        title: "Route infrastructure, application and API problems to the right team",
        rationale: "A report that lands with the wrong team waits while it is passed around.",
        must: false,
        fix: "Write down who owns which layer and encode it as Shipshape routes and escalation policies per component.",
        evidence: Automatic,
        collectors: &["repo.escalation-doc"],
        origin: Source,
    },
    Item {
        id: "support.public-queue",
        practice: Support,
        title: "Keep the support queue open to view",
        rationale: "A visible queue lets users see a problem is known and saves duplicate reports.",
        must: false,
        fix: "Use a public issue tracker or board for support requests, keeping personal data out of it.",
        evidence: Automatic,
        collectors: &["repo.support-queue"],
        origin: Source,
    },
    // ---- Logs ----------------------------------------------------------
    Item {
        id: "logs.durable-before-rotation",
        practice: Logs,
        title: "Ship logs to durable storage before they rotate",
        rationale: "Logs that only live on the instance vanish with it, usually just when an incident needs them.",
        must: true,
        fix: "Forward logs continuously to a central store with a retention policy, and alert when forwarding stops.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "logs.restricted-sensitive",
        practice: Logs,
        title: "Restrict logs holding sensitive data",
        rationale: "Logs often carry personal data and tokens; broad access to them is a breach waiting to happen.",
        must: true,
        fix: "Scrub what you can at the source, and grant access to the rest by role, with access itself logged.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "logs.fast-search",
        practice: Logs,
        title: "Make logs quick to search and filter",
        rationale: "During an incident, minutes spent copying files and grepping are minutes of outage.",
        must: false,
        fix: "Index logs in a search tool with structured fields so on-call can filter by service, level and request in seconds.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    // ---- Monitoring: the source defers to a separate page; Shipshape's own. -
    Item {
        id: "monitoring.every-endpoint-watched",
        practice: Monitoring,
        title: "Watch every public endpoint",
        rationale: "An endpoint nobody checks fails silently until a user complains.",
        must: false,
        fix: "Add a Shipshape monitor (HTTP, TLS or TCP) for every URL listed in the service's `endpoints`.",
        evidence: Automatic,
        collectors: &["state.endpoint-monitors"],
        origin: Shipshape,
    },
    // ---- Alerting ------------------------------------------------------
    Item {
        id: "alerting.failing-monitor-pages",
        practice: Alerting,
        title: "Make sure every failing monitor reaches a person",
        rationale: "A monitor nobody hears is decoration; the point of checking is that someone acts.",
        must: true,
        fix: "Give every monitor of the service a route to an escalation policy that ends at an on-call schedule, and send a test page.",
        evidence: Automatic,
        collectors: &["state.routes"],
        origin: Source,
    },
    Item {
        id: "alerting.flexible-targets",
        practice: Alerting,
        title: "Page by schedule, component and cover",
        rationale: "Pages to a fixed person fail during holidays and sleep; rotations and overrides keep someone reachable.",
        must: false,
        fix: "Define on-call schedules with overrides for absences in shipshape.toml, and route by component to the owning team.",
        evidence: Automatic,
        collectors: &["catalog.schedules"],
        origin: Source,
    },
    Item {
        id: "alerting.deviation-thresholds",
        practice: Alerting,
        title: "Alert on departures from normal behaviour",
        rationale: "Fixed limits either fire all the time or miss slow degradation; judging against the usual baseline catches what matters.",
        must: false,
        fix: "Enable anomaly rules on latency and error-rate monitors, and back-test them against history before relying on them.",
        evidence: Automatic,
        collectors: &["catalog.anomaly-rules"],
        origin: Source,
    },
    Item {
        id: "alerting.flap-damping",
        practice: Alerting,
        title: "Damp flapping checks",
        rationale: "A check bouncing between up and down floods people with pages until they stop reading them.",
        must: false,
        fix: "Require several consecutive failures before paging and turn on flap detection so a bouncing monitor becomes one incident.",
        evidence: Automatic,
        collectors: &["catalog.flap-damping"],
        origin: Source,
    },
    Item {
        id: "alerting.on-call-coverage",
        practice: Alerting,
        title: "Leave no gap in the on-call rota",
        rationale: "A page sent into an hour that no schedule covers reaches nobody.",
        must: false,
        fix: "Fill every hour of the next two weeks in the schedules the service's routes page, with overrides for absences.",
        evidence: Automatic,
        collectors: &["state.oncall-coverage"],
        origin: Shipshape,
    },
    Item {
        id: "alerting.test-page-recent",
        practice: Alerting,
        title: "Prove paging works with a recent test page",
        rationale: "Contact details and phone settings drift; only an acknowledged test page shows the path still reaches a person.",
        must: false,
        fix: "Send a test page from the On-call page (or `POST /api/v1/test-pages`) at least every 90 days and acknowledge it.",
        evidence: Automatic,
        collectors: &["state.test-page"],
        origin: Shipshape,
    },
    // ---- Status communication ------------------------------------------
    Item {
        id: "status-communication.status-page",
        practice: StatusCommunication,
        title: "Run a status page everyone can reach",
        rationale: "Users and dependent services need one place to learn whether a problem is on your side.",
        must: false,
        fix: "Publish Shipshape's status page for the service and list the components users care about.",
        evidence: Automatic,
        collectors: &["catalog.status-page"],
        origin: Source,
    },
    Item {
        id: "status-communication.off-infrastructure",
        practice: StatusCommunication,
        title: "Host the status page apart from the service",
        rationale: "A status page that shares the service's servers goes dark exactly when it is needed.",
        must: false,
        fix: "Serve the static export of the status page from a separate provider or region than the service.",
        evidence: Automatic,
        collectors: &["state.status-host"],
        origin: Source,
    },
    Item {
        id: "status-communication.history-and-maintenance",
        practice: StatusCommunication,
        title: "Show upcoming maintenance and past incidents",
        rationale: "A record of past outages builds trust, and advance notice of maintenance lets users plan around it.",
        must: false,
        fix: "Post every user-visible incident and planned maintenance window to the status page, and keep the history.",
        evidence: Automatic,
        collectors: &["catalog.status-page"],
        origin: Source,
    },
    Item {
        id: "status-communication.subscriptions",
        practice: StatusCommunication,
        title: "Let users subscribe to updates",
        rationale: "Users should not have to keep refreshing a page to find out the problem is fixed.",
        must: false,
        fix: "Offer the status page's Atom/RSS feeds (and e-mail if you can) and link them from the page.",
        evidence: Automatic,
        collectors: &["catalog.status-page"],
        origin: Source,
    },
    // ---- Security ------------------------------------------------------
    Item {
        id: "security.launch-review",
        practice: Security,
        title: "Hold a face-to-face security review before launch and big changes",
        rationale: "Talking the design through with security people finds risks no scanner looks for.",
        must: true,
        fix: "Book a review meeting with a security reviewer before launch and each major change, and keep the notes with the service.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "security.vendors-approved",
        practice: Security,
        title: "Confirm each third party may hold the data you send",
        rationale: "Sending data to an unapproved vendor can break law, contract or policy however secure the vendor is.",
        must: true,
        fix: "List every external service and what data it receives, and get each one approved for that data class.",
        evidence: Attestation,
        collectors: &["catalog.third-parties"],
        origin: Source,
    },
    Item {
        id: "security.automated-pentest",
        practice: Security,
        title: "Attack staging automatically on every delivery",
        rationale: "Automated attack tools catch common web flaws before they reach production.",
        must: false,
        fix: "Run a dynamic scanner such as OWASP ZAP against staging as a pipeline stage and fail on new high findings.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "security.production-vuln-scan",
        practice: Security,
        title: "Scan production continuously against fresh advisories",
        rationale: "New vulnerabilities are published daily; software that was clean at launch will not stay clean.",
        must: false,
        fix: "Scan running images and dependencies on a schedule with an up-to-date advisory feed, and route findings to the owning team.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "security.tls-everywhere",
        practice: Security,
        title: "Serve everything over TLS",
        rationale: "Unencrypted traffic can be read and altered by anyone on the path.",
        must: false,
        fix: "Put a valid certificate on every endpoint, automate renewal, and add a Shipshape TLS monitor to catch expiry.",
        evidence: Automatic,
        collectors: &["endpoint.https"],
        origin: Source,
    },
    Item {
        id: "security.https-redirect",
        practice: Security,
        title: "Send plain-HTTP visitors to HTTPS",
        rationale: "Old links and typed addresses still arrive over HTTP; redirecting them keeps those users on the encrypted site.",
        must: false,
        fix: "Answer every HTTP request with a permanent redirect to HTTPS and set an HSTS header.",
        evidence: Automatic,
        collectors: &["endpoint.https"],
        origin: Source,
    },
    Item {
        id: "security.headers",
        practice: Security,
        title: "Send the browser security headers",
        rationale: "Without a content security policy, nosniff, framing and referrer rules, a browser gives injected content and clickjacking a free hand.",
        must: false,
        fix: "Set Content-Security-Policy (with frame-ancestors), X-Content-Type-Options: nosniff and Referrer-Policy on every response.",
        evidence: Automatic,
        collectors: &["endpoint.headers"],
        origin: Shipshape,
    },
    Item {
        id: "security.cookies",
        practice: Security,
        title: "Mark cookies Secure, HttpOnly and SameSite",
        rationale: "A cookie without these flags can travel over plain HTTP, be read by injected script, or ride along on cross-site requests.",
        must: false,
        fix: "Set Secure, HttpOnly and SameSite=Lax (or Strict) on every cookie the service sets.",
        evidence: Automatic,
        collectors: &["endpoint.cookies"],
        origin: Shipshape,
    },
    Item {
        id: "security.no-exposed-files",
        practice: Security,
        title: "Expose no repository, environment or backup files",
        rationale: "A reachable `.git` directory, `.env` file, backup copy or directory listing hands out source code and credentials.",
        must: false,
        fix: "Serve only the built artifact, deny dotfiles and backup extensions at the web server, and turn off directory listings.",
        evidence: Automatic,
        collectors: &["endpoint.exposed-files"],
        origin: Shipshape,
    },
    Item {
        id: "security.no-version-disclosure",
        practice: Security,
        title: "Do not advertise server versions",
        rationale: "Version numbers in headers tell an attacker which published exploits to try first.",
        must: false,
        fix: "Drop or shorten the Server and X-Powered-By headers (e.g. nginx `server_tokens off`).",
        evidence: Automatic,
        collectors: &["endpoint.version-disclosure"],
        origin: Shipshape,
    },
    Item {
        id: "security.modern-tls",
        practice: Security,
        title: "Offer only TLS 1.2 and newer",
        rationale: "TLS 1.0 and 1.1 have known weaknesses and are deprecated (RFC 8996).",
        must: false,
        fix: "Disable TLS 1.0 and 1.1 at the load balancer or web server.",
        evidence: Automatic,
        collectors: &["endpoint.tls-versions"],
        origin: Shipshape,
    },
    Item {
        id: "security.no-committed-secrets",
        practice: Security,
        title: "Keep secrets out of the repository",
        rationale: "A credential in version control is readable by everyone with the repository, forever, even after it is deleted.",
        must: false,
        fix: "Remove the secret, rotate it, and load it from a secret store or a mounted file instead.",
        evidence: Automatic,
        collectors: &["repo.committed-secrets"],
        origin: Shipshape,
    },
    // ---- Load testing --------------------------------------------------
    Item {
        id: "load-testing.staging-load-tests",
        practice: LoadTesting,
        title: "Load-test your components in staging regularly",
        rationale: "Performance regressions slip in quietly; a routine load test catches them before users do.",
        must: false,
        fix: "Add a pipeline stage that drives representative traffic at staging and compares latency and errors against the last run.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "load-testing.upstream-capacity-known",
        practice: LoadTesting,
        title: "Know that your upstreams can take peak load",
        rationale: "Your service is only as fast as the slowest thing it calls at peak.",
        must: false,
        fix: "Ask each upstream for its tested limits, compare them with your expected peak, and load-test them yourself where you can.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    // ---- Capacity planning ---------------------------------------------
    Item {
        id: "capacity-planning.peak-planning",
        practice: CapacityPlanning,
        title: "Plan capacity for launches, news and deadlines",
        rationale: "Traffic spikes are predictable around launches, press and seasonal due dates; being caught short then is the costliest outage.",
        must: true,
        fix: "Keep a calendar of expected peaks, estimate the load for each, and scale up or rehearse ahead of them.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "capacity-planning.comparable-traffic",
        practice: CapacityPlanning,
        title: "Study traffic of similar services",
        rationale: "A comparable service's steady-state load is the best estimate you have before your own history exists.",
        must: false,
        fix: "Collect request rates and data sizes from a similar service and size the first deployment from them with headroom.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "capacity-planning.autoscaling",
        practice: CapacityPlanning,
        title: "Scale out and back in automatically",
        rationale: "Scaling on a meaningful signal absorbs spikes without paying for peak capacity all year.",
        must: false,
        fix: "Configure autoscaling on a signal that tracks the app's real load (queue depth, request rate), with floor and ceiling limits.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    // ---- Scalability ---------------------------------------------------
    Item {
        id: "scalability.two-instances-minimum",
        practice: Scalability,
        title: "Run at least two instances of every component",
        rationale: "With one instance, every crash, deploy or host reboot is an outage.",
        must: true,
        fix: "Set the minimum replica count of every component to two or more behind a health-checked load balancer.",
        evidence: Automatic,
        collectors: &["repo.instances"],
        origin: Source,
    },
    Item {
        id: "scalability.horizontal",
        practice: Scalability,
        title: "Let every component scale by adding instances",
        rationale: "Components that keep state in memory or on local disk cannot grow just by adding copies.",
        must: false,
        fix: "Move session and state into shared stores so any instance can serve any request, then prove it by running several.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "scalability.vertical-headroom",
        practice: Scalability,
        title: "Give scale-up-only components room under high load",
        rationale: "A component that can only grow by a bigger machine has a hard ceiling; running it near that ceiling leaves no margin.",
        must: false,
        fix: "Size such hosts so CPU, memory and I/O stay well below their limits at elevated traffic, and watch those metrics.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "scalability.vertical-isolated",
        practice: Scalability,
        title: "Put scale-up-only components on their own hosts",
        rationale: "Neighbours on a shared host compete for the resources a vertical component cannot get anywhere else.",
        must: false,
        fix: "Dedicate hosts (or reserved resources) to each component that can only scale vertically.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    // ---- Resilience ----------------------------------------------------
    Item {
        id: "resilience.multi-zone",
        practice: Resilience,
        title: "Spread instances over availability zones",
        rationale: "Instances packed into one zone all go down with it.",
        must: false,
        fix: "Use zone-spreading placement rules so instances of each component land in at least two zones.",
        evidence: Automatic,
        collectors: &["repo.zones"],
        origin: Source,
    },
    Item {
        id: "resilience.topology-agnostic",
        practice: Resilience,
        title: "Do not hard-code how upstreams are laid out",
        rationale: "Code that assumes a fixed number or placement of upstream instances breaks when they scale or fail over.",
        must: false,
        fix: "Reach upstreams through a stable name or load balancer, never through a list of instance addresses in the app.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "resilience.resilient-upstreams",
        practice: Resilience,
        title: "Depend only on upstreams that are equally redundant",
        rationale: "A redundant service that relies on a single-instance upstream inherits its single point of failure.",
        must: false,
        fix: "Check that each upstream runs several instances in several zones, or plan for its absence with caching or degradation.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    // ---- Access control ------------------------------------------------
    Item {
        id: "access-control.environment-exposure",
        practice: AccessControl,
        title: "Enforce who can reach pre-release environments",
        rationale: "Alpha, beta and idle blue-green environments leak unfinished features and data if they are more open than intended.",
        must: true,
        fix: "Decide the intended audience of each environment, enforce it at the edge, and monitor from outside that access is refused.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "access-control.standard-proxy",
        practice: AccessControl,
        title: "Control exposure in a standard, configurable proxy",
        rationale: "Access rules hand-written into the app are easy to get wrong and hard to audit.",
        must: false,
        fix: "Enforce environment access in a reverse proxy or gateway you configure, not in application code.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
    Item {
        id: "access-control.cohorts",
        practice: AccessControl,
        title: "Support A/B cohorts with sticky assignment",
        rationale: "Experiments and gradual rollouts need a user to stay on the same variant across requests.",
        must: false,
        fix: "Assign cohorts at the proxy by cookie or header and keep each user on their cohort.",
        evidence: Attestation,
        collectors: &[],
        origin: Source,
    },
];
