//! Command-line interface: every command, flag and environment variable.
//!
//! The help text is written for a newcomer: each command says what it does
//! and the most common next step.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Shipshape: production operations in one binary.
///
/// Watches your services, pages the right person once, runs a public status
/// page and scores each service's readiness for launch, from one catalog file
/// (`shipshape.toml`) and one embedded store.
///
/// New here? Run `shipshape demo` and open the URL it prints.
#[derive(Debug, Parser)]
#[command(name = "shipshape", version, propagate_version = true)]
pub struct Cli {
    /// How log lines are written to standard error.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "SHIPSHAPE_LOG_FORMAT")]
    pub log_format: LogFormat,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log line format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: web UI, API and every enabled subsystem.
    ///
    /// Reloads the catalog on SIGHUP and whenever the file changes; an invalid
    /// catalog is refused and the running one stays. SIGTERM or Ctrl-C stops
    /// gracefully.
    Serve(ServeArgs),
    /// Check a catalog file and list every problem with file:line:col.
    ///
    /// Exits 0 when the catalog is valid, 1 when it is not.
    Validate(ValidateArgs),
    /// Try Shipshape on your machine: a sample catalog, three sample upstream
    /// services on loopback, and an embedded store, with an admin login printed.
    Demo(DemoArgs),
    /// Manage user accounts.
    User(UserArgs),
    /// Manage API tokens.
    Token(TokenArgs),
    /// Manage the secret ping URLs of heartbeat monitors (cron and backup
    /// jobs call them when they finish).
    Heartbeat(HeartbeatArgs),
    /// Alerting tools: try a monitor's alert rules on past results before
    /// they page anyone (`shipshape alert backtest`).
    Alert(AlertArgs),
    /// The public status page: export it as a static site.
    Status(StatusArgs),
    /// Review each service's production readiness from live evidence: the
    /// repository, the catalog, Shipshape's own state and the public
    /// endpoints, against every item of the checklist.
    ///
    /// Exits 0 when every must-have passes, is attested or is n/a; 1 when
    /// one fails or is unknown (every item with `--strict`); 2 on a usage or
    /// catalog error. `--endpoint URL` scans one endpoint with no catalog,
    /// as `pshtt` does.
    Check(CheckArgs),
    /// Record, list or revoke attestations: a person's word that a practice
    /// no machine can check is in place (`shipshape attest add`).
    Attest(AttestArgs),
}

/// Where the catalog and the store are.
#[derive(Debug, Args, Clone)]
pub struct ConfigArg {
    /// The catalog file.
    #[arg(
        long,
        short = 'c',
        env = "SHIPSHAPE_CONFIG",
        default_value = "shipshape.toml"
    )]
    pub config: PathBuf,

    /// Store URL, `sqlite://PATH` or `postgres://…` (overrides `store.url`).
    #[arg(long, env = "SHIPSHAPE_STORE_URL", hide_env_values = true)]
    pub store_url: Option<String>,
}

/// Per-instance settings: they override the catalog's `[server]` so several
/// instances can share one catalog.
#[derive(Debug, Args, Clone, Default)]
pub struct InstanceArgs {
    /// Address to listen on, e.g. `0.0.0.0:8080` (overrides `server.listen`).
    #[arg(long, env = "SHIPSHAPE_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// Where this instance's probes run from, e.g. `us-east-1a` (overrides `server.location`).
    #[arg(long, env = "SHIPSHAPE_LOCATION")]
    pub location: Option<String>,
}

/// Arguments of `shipshape serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub instance: InstanceArgs,
}

/// Arguments of `shipshape validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigArg,
}

/// Arguments of `shipshape demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address for the web UI.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory for the demo's catalog and store; a new temporary directory
    /// when not given. Reuse it later with `shipshape serve --config DIR/shipshape.toml`.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Arguments of `shipshape user`.
#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

/// User subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user and print a one-time link where they set a password.
    Add {
        #[command(flatten)]
        config: ConfigArg,
        /// The user's email (their login name).
        email: String,
        /// Display name (defaults to the catalog person's name, or the email).
        #[arg(long)]
        name: Option<String>,
        /// Make the user an admin (shorthand for `--role admin`).
        #[arg(long, conflicts_with = "role")]
        admin: bool,
        /// The user's role.
        #[arg(long, value_enum, default_value_t = RoleArg::Viewer)]
        role: RoleArg,
    },
    /// List users.
    List {
        #[command(flatten)]
        config: ConfigArg,
    },
}

/// Arguments of `shipshape token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

/// Token subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it once (it is stored hashed).
    Create {
        #[command(flatten)]
        config: ConfigArg,
        /// What the token may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// A label shown in the token list.
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// List API tokens (never their values).
    List {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Revoke an API token by id; it stops working at once.
    Revoke {
        #[command(flatten)]
        config: ConfigArg,
        /// The token's id, from `shipshape token list`.
        id: i64,
    },
}

/// Arguments of `shipshape heartbeat`.
#[derive(Debug, Args)]
pub struct HeartbeatArgs {
    #[command(subcommand)]
    pub command: HeartbeatCommand,
}

/// Heartbeat subcommands. `MONITOR` is `service/monitor`, a heartbeat
/// monitor of the catalog.
#[derive(Debug, Subcommand)]
pub enum HeartbeatCommand {
    /// Create a ping URL for a heartbeat monitor and print it once (only its
    /// hash is stored). Existing URLs keep working until revoked.
    Issue {
        #[command(flatten)]
        config: ConfigArg,
        /// `service/monitor`.
        monitor: String,
        /// Revoke the monitor's existing URLs first (rotate).
        #[arg(long)]
        rotate: bool,
    },
    /// List ping URLs (never their tokens): when made, last used, revoked.
    List {
        #[command(flatten)]
        config: ConfigArg,
        /// Only this `service/monitor`.
        monitor: Option<String>,
    },
    /// Revoke every ping URL of a heartbeat monitor; pings with them are
    /// refused at once.
    Revoke {
        #[command(flatten)]
        config: ConfigArg,
        /// `service/monitor`.
        monitor: String,
    },
}

/// Arguments of `shipshape status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(subcommand)]
    pub command: StatusCommand,
}

/// Status page subcommands.
#[derive(Debug, Subcommand)]
pub enum StatusCommand {
    /// Write the public status page as a static site (HTML, CSS, the
    /// Statuspage-compatible JSON under api/v2/, Atom and RSS feeds,
    /// badges) to a directory, replacing what was there atomically.
    Export {
        #[command(flatten)]
        config: ConfigArg,
        /// The directory to write.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Arguments of `shipshape check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Review only this service (default: every service in the catalog).
    #[arg(long, short = 's')]
    pub service: Option<String>,
    /// Output format: text (a terminal report), json, markdown (for a pull
    /// request comment), junit or sarif (for CI systems).
    #[arg(long, short = 'f', default_value = "text")]
    pub format: shipshape_readiness::report::Format,
    /// Run only what needs no network: the repository and catalog
    /// collectors.
    #[arg(long)]
    pub offline: bool,
    /// Fail (exit 1) on any item that is not satisfied, not just must-haves.
    #[arg(long)]
    pub strict: bool,
    /// Scan one endpoint with no catalog (HTTPS posture with pshtt's field
    /// names, and the security baseline), e.g. `https://example.gov/`.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Extra trusted CA certificates (PEM) for the endpoint scans.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Resolve HOST to ADDR instead of asking DNS, like curl's `--resolve`
    /// (repeatable), e.g. `--resolve example.gov:127.0.0.1`.
    #[arg(long, value_name = "HOST:ADDR")]
    pub resolve: Vec<String>,
    /// The port plain-HTTP probes use (default 80).
    #[arg(long, default_value_t = 80)]
    pub http_port: u16,
    /// The port HTTPS probes use (default 443).
    #[arg(long, default_value_t = 443)]
    pub https_port: u16,
    /// The limit on each network request of the scan, in seconds.
    #[arg(long, default_value_t = 5)]
    pub timeout: u64,
    /// Print the checklist (ids, must-haves, collectors) and exit.
    #[arg(long)]
    pub list: bool,
}

/// Arguments of `shipshape attest`.
#[derive(Debug, Args)]
pub struct AttestArgs {
    #[command(subcommand)]
    pub command: AttestCommand,
}

/// Attestation subcommands.
#[derive(Debug, Subcommand)]
pub enum AttestCommand {
    /// Record that a practice is in place for a service, on someone's word.
    Add {
        #[command(flatten)]
        config: ConfigArg,
        /// The service.
        service: String,
        /// The checklist item id, e.g. `security.launch-review`.
        item: String,
        /// Who vouches (name or e-mail).
        #[arg(long)]
        by: String,
        /// The day they vouched, YYYY-MM-DD (default: today).
        #[arg(long)]
        on: Option<String>,
        /// Where the record lives: minutes, ticket, runbook (http/https).
        #[arg(long)]
        link: Option<String>,
        /// The day it lapses, YYYY-MM-DD (default: one year after `--on`).
        #[arg(long, conflicts_with = "no_expiry")]
        expires: Option<String>,
        /// Never lapses.
        #[arg(long)]
        no_expiry: bool,
        /// What was checked.
        #[arg(long)]
        note: Option<String>,
    },
    /// List a service's attestations.
    List {
        #[command(flatten)]
        config: ConfigArg,
        /// The service.
        service: String,
    },
    /// Withdraw an attestation by its id (see `list`).
    Revoke {
        #[command(flatten)]
        config: ConfigArg,
        /// The service.
        service: String,
        /// The attestation id.
        id: i64,
    },
}

/// Arguments of `shipshape alert`.
#[derive(Debug, Args)]
pub struct AlertArgs {
    #[command(subcommand)]
    pub command: AlertCommand,
}

/// Alert subcommands.
#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// Replay a monitor's stored results (or a CSV series) through its
    /// expectations, confirmation, flap damping and anomaly rule, and print
    /// each moment an incident would have opened, flapped or resolved, with
    /// a summary. Nothing is paged or stored.
    ///
    /// Example: `shipshape alert backtest --monitor api/health --from -7d`,
    /// or `--csv latency.csv` with `timestamp,value` rows (RFC 3339 or unix
    /// seconds; milliseconds, or 0/1 for down/up).
    Backtest(BacktestArgs),
}

/// Arguments of `shipshape alert backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The monitor, `service/monitor`.
    #[arg(long)]
    pub monitor: String,
    /// Start of the window: RFC 3339 (`2026-11-20T00:00:00Z`) or relative
    /// to now (`-7d`, `-12h`, `-30m`). Default: 7 days ago. Stored results
    /// only.
    #[arg(long, allow_hyphen_values = true)]
    pub from: Option<String>,
    /// End of the window, like `--from`. Default: now.
    #[arg(long, allow_hyphen_values = true)]
    pub to: Option<String>,
    /// Replay this CSV file of `timestamp,value` rows instead of stored
    /// results (no store is opened).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// What the CSV values are; `auto`: 0/1 when every value is 0 or 1,
    /// else latency in milliseconds.
    #[arg(long, value_enum, default_value_t = CsvKindArg::Auto)]
    pub csv_kind: CsvKindArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// What a CSV series holds.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CsvKindArg {
    /// Decide from the values.
    Auto,
    /// Latency in milliseconds.
    Latency,
    /// 1 up, 0 down.
    Updown,
}

/// How a command prints its answer.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    /// For people.
    Text,
    /// One JSON document, for machines.
    Json,
}

/// A role, as given on the command line.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RoleArg {
    /// Reads everything.
    Viewer,
    /// Also acknowledges and resolves incidents.
    Responder,
    /// Also manages users, tokens and settings.
    Admin,
}

impl From<RoleArg> for shipshape_store::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Viewer => Self::Viewer,
            RoleArg::Responder => Self::Responder,
            RoleArg::Admin => Self::Admin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
