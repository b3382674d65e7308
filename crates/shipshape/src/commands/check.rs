//! `shipshape check`: the readiness review from the command line, for
//! people and for CI. Exit codes: 0 nothing blocks the launch, 1 something
//! does, 2 the command or the catalog is wrong.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use shipshape_catalog::{Catalog, Service};
use shipshape_readiness::report::{Format, render};
use shipshape_readiness::review::{Inputs, Mode, Report, builtin_items};
use shipshape_readiness::run::{RunOptions, check_catalog, review};
use shipshape_readiness::{CHECKLIST, Evidence, collect};
use shipshape_scan::ScanOptions;
use shipshape_store::Store;

use crate::cli::CheckArgs;
use crate::commands::{attest, now};
use crate::load;

/// Exit status for a usage or catalog error.
const USAGE: u8 = 2;

/// Runs `shipshape check`.
pub async fn run(args: CheckArgs) -> Result<ExitCode> {
    if args.list {
        print!("{}", checklist_listing());
        return Ok(ExitCode::SUCCESS);
    }
    let scan = match scan_options(&args) {
        Ok(scan) => scan,
        Err(message) => return Ok(usage_error(&message)),
    };
    if let Some(endpoint) = &args.endpoint {
        return Ok(check_endpoint(endpoint, &scan, &args).await);
    }
    let catalog = match load::parse_only(&args.config) {
        Ok(catalog) => catalog,
        Err(err) => return Ok(usage_error(&format!("{err:#}"))),
    };
    let problems = check_catalog(&catalog);
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Ok(usage_error(&format!(
            "the catalog has {} readiness problem(s):\n{}",
            list.len(),
            list.join("\n")
        )));
    }
    let services: Vec<&Service> = match &args.service {
        Some(id) => match catalog.services.iter().find(|s| &s.id == id) {
            Some(service) => vec![service],
            None => {
                let known: Vec<&str> = catalog.services.iter().map(|s| s.id.as_str()).collect();
                return Ok(usage_error(&format!(
                    "no service `{id}` in {}; services: {}",
                    args.config.config.display(),
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                )));
            }
        },
        None => catalog.services.iter().collect(),
    };
    if services.is_empty() {
        return Ok(usage_error(&format!(
            "{} declares no `[[service]]` to review",
            args.config.config.display()
        )));
    }
    let (store, no_store_reason) = open_existing_store(&catalog, &args).await;
    let mode = if args.offline {
        Mode::Offline
    } else {
        Mode::Full
    };
    let show_progress = std::io::stderr().is_terminal();
    let progress = move |line: &str| {
        if show_progress {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K… {line}");
            let _ = err.flush();
        }
    };
    let mut reports = Vec::new();
    for (n, service) in services.iter().enumerate() {
        progress(&format!(
            "[{}/{}] reviewing {}",
            n + 1,
            services.len(),
            service.id
        ));
        let attestations = match &store {
            Some(store) => attest::for_review(store, &service.id)
                .await
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let now = now();
        let opts = RunOptions {
            mode,
            store: store.as_ref(),
            no_store_reason: &no_store_reason,
            now,
            today: shipshape_readiness::run::today(&catalog, now),
            attestations,
            scan: scan.clone(),
            progress: &progress,
        };
        reports.push(review(&catalog, service, opts).await);
    }
    if show_progress {
        eprint!("\r\x1b[2K");
    }
    print_reports(&reports, &args);
    let code = reports
        .iter()
        .map(|r| r.exit_code(args.strict))
        .max()
        .unwrap_or(0);
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(USAGE)
}

fn print_reports(reports: &[Report], args: &CheckArgs) {
    let color = args.format == Format::Text
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let out = render(reports, args.format, color);
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}

/// The scanner settings from the flags.
fn scan_options(args: &CheckArgs) -> Result<ScanOptions, String> {
    let mut resolve = BTreeMap::new();
    for entry in &args.resolve {
        // HOST:ADDR, split at the first colon: a host name has none, an
        // IPv6 address (`host:::1` or `host:[::1]`) keeps its own.
        let (host, addr) = entry
            .split_once(':')
            .filter(|(host, addr)| !host.is_empty() && !addr.is_empty())
            .ok_or_else(|| {
                format!("`--resolve {entry}`: write HOST:ADDR, e.g. example.gov:127.0.0.1")
            })?;
        let ip: IpAddr = addr
            .trim_matches(['[', ']'])
            .parse()
            .map_err(|_| format!("`--resolve {entry}`: `{addr}` is not an IP address"))?;
        resolve.insert(host.to_ascii_lowercase(), ip);
    }
    let extra_roots = match &args.ca_file {
        Some(path) => shipshape_scan::load_ca_file(path).map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    if args.timeout == 0 || args.timeout > 120 {
        return Err(format!(
            "`--timeout {}`: give 1 to 120 seconds",
            args.timeout
        ));
    }
    Ok(ScanOptions {
        timeout: Duration::from_secs(args.timeout),
        resolve,
        http_port: args.http_port,
        https_port: args.https_port,
        extra_roots,
        ..ScanOptions::default()
    })
}

/// `--endpoint URL`: one endpoint, no catalog. JSON is the scanner's report
/// (pshtt's field names at the top level) plus the readiness findings.
async fn check_endpoint(endpoint: &str, scan: &ScanOptions, args: &CheckArgs) -> ExitCode {
    if std::io::stderr().is_terminal() {
        eprint!("… scanning {endpoint}");
    }
    let report = shipshape_scan::scan(endpoint, scan).await;
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
    let findings = collect::endpoint::findings(&report);
    let at = now();
    let mut items = builtin_items();
    items.retain(|i| findings.iter().any(|f| f.item == i.id));
    let review = Report::build(Inputs {
        service: report.domain.clone(),
        service_name: endpoint.to_owned(),
        at,
        today: at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date(),
        mode: Mode::Full,
        items,
        findings: findings.clone(),
        attestations: Vec::new(),
        not_applicable: BTreeMap::new(),
    });
    if args.format == Format::Json {
        let mut value = serde_json::to_value(&report).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.insert(
                "readiness".into(),
                serde_json::to_value(&review).unwrap_or_default(),
            );
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        print_reports(std::slice::from_ref(&review), args);
    }
    ExitCode::from(u8::try_from(review.exit_code(args.strict)).unwrap_or(1))
}

/// Opens the catalog's store only if it already exists: a review reads
/// Shipshape's state, it does not create a database.
async fn open_existing_store(catalog: &Catalog, args: &CheckArgs) -> (Option<Store>, String) {
    let url = args
        .config
        .store_url
        .clone()
        .or_else(|| catalog.store.url.value().map(str::to_owned));
    let Some(url) = url else {
        return (
            None,
            "the store url is a secret reference that `check` does not resolve; pass --store-url"
                .into(),
        );
    };
    if let Some(path) = url.strip_prefix("sqlite://") {
        let file = path.split('?').next().unwrap_or(path);
        if !Path::new(file).exists() {
            return (
                None,
                format!(
                    "no Shipshape store at {file} yet: run `shipshape serve` so Shipshape's own state can be checked"
                ),
            );
        }
    }
    let mut catalog = catalog.clone();
    catalog.store.url = shipshape_catalog::Setting::Plain(url);
    match load::store(&catalog).await {
        Ok(store) => (Some(store), String::new()),
        Err(err) => (None, format!("the store could not be opened: {err:#}")),
    }
}

/// `--list`: the checklist as a table.
fn checklist_listing() -> String {
    let mut out = String::from("id\tmust\tevidence\tcollectors\ttitle\n");
    for item in CHECKLIST {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            item.id,
            if item.must { "must" } else { "-" },
            match item.evidence {
                Evidence::Automatic => "automatic",
                Evidence::Attestation => "attestation",
            },
            if item.collectors.is_empty() {
                "-".to_owned()
            } else {
                item.collectors.join(",")
            },
            item.title
        ));
    }
    out
}
