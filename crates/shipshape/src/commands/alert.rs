//! `shipshape alert backtest`: replays a monitor's stored results, or a
//! CSV series, through its alerting (`shipshape_alert::backtest`) and
//! prints what would have paged.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use jiff::{SignedDuration, Timestamp, Unit};
use shipshape_alert::backtest::{self, Backtest, BacktestError, CsvKind, Sample};
use shipshape_catalog::{Catalog, MonitorRef};
use shipshape_store::{MonitorName, Store};

use crate::cli::{AlertArgs, AlertCommand, BacktestArgs, CsvKindArg, OutputFormat};
use crate::commands::now;
use crate::load;

/// Results read per page from the store.
const PAGE: u32 = 10_000;
/// At most this many stored results are replayed (a week of a 1-second
/// monitor is 604,800).
const MAX_SAMPLES: usize = 2_000_000;

/// Runs an alert subcommand.
pub async fn run(args: AlertArgs) -> Result<ExitCode> {
    match args.command {
        AlertCommand::Backtest(args) => backtest_command(args).await,
    }
}

async fn backtest_command(args: BacktestArgs) -> Result<ExitCode> {
    let catalog = parse_catalog(&args)?;
    let (service, monitor) = monitor_of(&catalog, &args.monitor)?;
    let (samples, what) = match &args.csv {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("could not read {}", path.display()))?;
            let kind = match args.csv_kind {
                CsvKindArg::Auto => CsvKind::Auto,
                CsvKindArg::Latency => CsvKind::Latency,
                CsvKindArg::Updown => CsvKind::UpDown,
            };
            let samples = backtest::parse_csv(&text, kind)
                .map_err(|err| anyhow!("{}: {err}", path.display()))?;
            if samples.is_empty() {
                bail!("{} holds no rows to replay", path.display());
            }
            (samples, path.display().to_string())
        }
        None => {
            let now = now();
            let from = match &args.from {
                Some(text) => parse_time(text, now).context("--from")?,
                None => now - SignedDuration::from_hours(7 * 24),
            };
            let to = match &args.to {
                Some(text) => parse_time(text, now).context("--to")?,
                None => now,
            };
            if from >= to {
                bail!("the window is empty: --from {from} is not before --to {to}");
            }
            let (_, store) = load::catalog_and_store(&args.config).await?;
            let read = stored(&store, &service, &monitor, from, to).await;
            store.close().await;
            let (samples, capped) = read?;
            if samples.is_empty() {
                bail!(
                    "no stored results for `{}` between {} and {}: nothing to replay (widen --from/--to, or replay a series with --csv)",
                    args.monitor,
                    from.round(Unit::Second).unwrap_or(from),
                    to.round(Unit::Second).unwrap_or(to)
                );
            }
            if capped {
                eprintln!(
                    "note: only the first {MAX_SAMPLES} results of the window are replayed; narrow --from/--to to see the rest"
                );
            }
            (samples, "stored results".to_owned())
        }
    };
    let result = backtest::run(&catalog, &service, &monitor, &samples)?;
    let output = match args.format {
        OutputFormat::Json => format!("{}\n", serde_json::to_string_pretty(&result)?),
        OutputFormat::Text => text(&result, &what),
    };
    // A closed pipe (`| head`) is not an error worth a panic.
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(err).context("could not write the report")
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// Parses and validates the catalog file only (no secrets, no store).
fn parse_catalog(args: &BacktestArgs) -> Result<Catalog> {
    shipshape_catalog::load(&args.config.config).map_err(|diagnostics| {
        anyhow!(
            "the catalog has {} problem(s):\n{diagnostics}",
            diagnostics.0.len()
        )
    })
}

/// The `(service, monitor)` named by `reference` in the catalog, or an
/// error listing close names.
fn monitor_of(catalog: &Catalog, reference: &str) -> Result<(String, String)> {
    let (service, monitor) = reference.split_once('/').unwrap_or(("", reference));
    let found = catalog.monitor(&MonitorRef {
        service: service.to_owned(),
        monitor: monitor.to_owned(),
    });
    if found.is_none() {
        let close = backtest::close_monitors(catalog, reference);
        let err = BacktestError::UnknownMonitor {
            name: reference.to_owned(),
            close,
        };
        bail!("{err} (name it as `service/monitor`)");
    }
    Ok((service.to_owned(), monitor.to_owned()))
}

/// Reads the monitor's stored results with `from <= at < to`, oldest
/// first, at most [`MAX_SAMPLES`]; says whether it stopped there.
async fn stored(
    store: &Store,
    service: &str,
    monitor: &str,
    from: Timestamp,
    to: Timestamp,
) -> Result<(Vec<Sample>, bool)> {
    let name = MonitorName {
        service: service.to_owned(),
        monitor: monitor.to_owned(),
    };
    let Some(record) = store
        .monitors()
        .await?
        .into_iter()
        .find(|record| record.name == name)
    else {
        return Ok((Vec::new(), false));
    };
    let mut samples = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .results_after(record.id, from, to, after, PAGE)
            .await?;
        let full = page.len() == PAGE as usize;
        if let Some(last) = page.last() {
            after = Some((last.at, last.location));
        }
        samples.extend(page.into_iter().map(|r| Sample {
            at: r.at,
            ok: r.ok,
            latency_ms: Some(r.latency.as_secs_f64() * 1000.0),
            reason: r.reason,
        }));
        if samples.len() >= MAX_SAMPLES {
            samples.truncate(MAX_SAMPLES);
            return Ok((samples, true));
        }
        if !full {
            return Ok((samples, false));
        }
    }
}

/// RFC 3339, `now`, or a time relative to now: `-7d`, `-12h`, `-30m`,
/// `-90s`, `-2w` (a leading `+` looks ahead).
fn parse_time(text: &str, now: Timestamp) -> Result<Timestamp> {
    let text = text.trim();
    if text == "now" {
        return Ok(now);
    }
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    let bad = || {
        anyhow!(
            "`{text}` is not a time: write RFC 3339 (`2026-11-20T00:00:00Z`) or a time relative to now (`-7d`, `-12h`, `-30m`)"
        )
    };
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => return Err(bad()),
    };
    let split = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let amount: i64 = rest[..split].parse().map_err(|_| bad())?;
    let unit = match &rest[split..] {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    let secs = amount.checked_mul(unit).ok_or_else(bad)?;
    now.checked_add(SignedDuration::from_secs(sign * secs))
        .map_err(|_| bad())
}

/// The text report: one line per event, then the summary.
fn text(result: &Backtest, what: &str) -> String {
    let mut out = String::new();
    let show = |at: Timestamp| at.round(Unit::Second).unwrap_or(at).to_string();
    for event in &result.events {
        out.push_str(&format!(
            "{}  {:<10}{}\n",
            show(event.at),
            event.kind.label(),
            event.detail
        ));
    }
    if result.events.is_empty() {
        out.push_str("nothing would have paged\n");
    }
    let summary = &result.summary;
    let window = match (summary.from, summary.to) {
        (Some(from), Some(to)) => format!(" from {} to {}", show(from), show(to)),
        _ => String::new(),
    };
    out.push_str(&format!(
        "\n{}: {} replayed{window}\nsummary: {}\n",
        result.monitor,
        what,
        summary.line()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_absolute_and_relative() {
        let now: Timestamp = "2026-11-29T12:00:00Z".parse().unwrap();
        assert_eq!(
            parse_time("-7d", now).unwrap(),
            "2026-11-22T12:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            parse_time("-30m", now).unwrap(),
            "2026-11-29T11:30:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(parse_time("now", now).unwrap(), now);
        assert_eq!(
            parse_time("2026-11-20T03:12:00Z", now).unwrap(),
            "2026-11-20T03:12:00Z".parse::<Timestamp>().unwrap()
        );
        assert!(parse_time("7d", now).is_err());
        assert!(parse_time("-7x", now).is_err());
        assert!(parse_time("-99999999999999999d", now).is_err());
    }
}
