//! Measures the storage cost of monitoring data: simulates monitors checked
//! at a fixed interval (default 1,000 monitors every 30 s for 24 h, i.e.
//! 2.88 M checks, ~1 % failing, realistic latencies), writes them through
//! the real API in one batch per simulated second, packs closed hours as
//! the binary's hourly prune does (`Store::pack_closed_hours` once per
//! simulated hour, after the grace period), and prints the checks stored,
//! the database size, bytes per check (raw results plus failure reasons and
//! rollups), insert throughput and CPU time.
//!
//! The run ends with its last hour still hot (unpacked), which over a short
//! run weighs far more than in a store keeping 7 days; so the figures are
//! printed twice: as written, and once that hour has closed and been packed
//! (on PostgreSQL after a `VACUUM`, as autovacuum would do by then). On
//! PostgreSQL each hourly pack is also followed by `VACUUM check_results`:
//! in real time autovacuum has an hour to make the moved rows' space
//! reusable before the next hour's inserts, here it has seconds.
//!
//! ```text
//! cargo run --release -p shipshape-store --example bytes_per_check
//! cargo run --release -p shipshape-store --example bytes_per_check -- --postgres
//! ```
//!
//! Options: `--monitors N`, `--hours H`, `--interval-s S`, `--batch-s S`,
//! `--postgres` (a fresh schema on `SHIPSHAPE_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`).

use std::time::{Duration, Instant};

use jiff::Timestamp;
use shipshape_store::testing::{TestDb, postgres_url_for_fresh_schema, temp_sqlite};
use shipshape_store::{LocationId, MonitorName, PACK_GRACE, Resolution, Store, StoredResult};
use sqlx::{AnyConnection, Connection, Row};

/// 2025-01-01T00:00:00Z.
const START_MS: i64 = 1_735_689_600_000;

/// The tables monitoring data lives in.
const TABLES: [&str; 5] = [
    "check_results",
    "check_results_packed",
    "check_failures",
    "check_rollups",
    "monitor_events",
];

struct Options {
    monitors: usize,
    hours: i64,
    interval_ms: i64,
    batch_ms: i64,
    postgres: bool,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = parse_args()?;
    let db: TestDb = if options.postgres {
        postgres_url_for_fresh_schema().await
    } else {
        temp_sqlite()
    };
    let store = db.open().await;
    let names: Vec<MonitorName> = (0..options.monitors)
        .map(|i| MonitorName {
            service: format!("service-{}", i / 10),
            monitor: format!("monitor-{i}"),
        })
        .collect();
    let ids = store.register_monitors(&names, ts(START_MS)).await?;
    let location = store.register_locations(&["local"], ts(START_MS)).await?["local"];
    let monitors: Vec<Monitor> = names
        .iter()
        .enumerate()
        .map(|(i, name)| Monitor::new(ids[name], i, &options))
        .collect();

    let cpu_before = cpu_time();
    let wall = Instant::now();
    let (checks, failures) = simulate(&store, db.url(), &monitors, location, &options).await?;
    let elapsed = wall.elapsed();
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after - before);

    // Touch the read paths once, so the figures come from a usable store.
    let day = store
        .latency_series(
            monitors[0].id,
            ts(START_MS),
            ts(START_MS + 86_400_000),
            Resolution::Hour,
        )
        .await?;

    println!("backend:              {:?}", store.backend());
    println!(
        "monitors × interval:  {} × {} s for {} h",
        options.monitors,
        options.interval_ms / 1_000,
        options.hours
    );
    println!("checks stored:        {checks} ({failures} failed)");
    println!("hour points, first:   {}", day.len());
    println!(
        "insert throughput:    {:.0} checks/s ({:.1} s wall, batches of {} s)",
        checks as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        options.batch_ms / 1_000
    );
    match cpu {
        Some(cpu) => println!(
            "client CPU time:      {:.1} s ({:.2} µs per check)",
            cpu.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / checks as f64
        ),
        None => println!("client CPU time:      unavailable (no /proc/self/stat)"),
    }

    let per_check = |bytes: u64| bytes as f64 / checks as f64;
    let end = START_MS + options.hours * 3_600_000;
    if options.postgres {
        let mut conn = AnyConnection::connect(db.url()).await?;
        println!("as written (the last hour hot):");
        print_pg_sizes(&mut conn, checks).await?;
        let moved = store
            .pack_closed_hours(ts(end + PACK_GRACE.as_millis() as i64))
            .await?;
        sqlx::raw_sql("VACUUM").execute(&mut conn).await?;
        println!("after the last hour closed ({moved} results packed) and VACUUM:");
        print_pg_sizes(&mut conn, checks).await?;
        conn.close().await?;
        store.close().await;
    } else {
        let path = store.sqlite_path().ok_or("no sqlite path")?.to_owned();
        store.close().await;
        let written = std::fs::metadata(&path)?.len();
        println!(
            "file as written:      {written} bytes = {:.2} bytes/check (the last hour hot; after checkpoint)",
            per_check(written)
        );
        let store = db.open().await;
        let moved = store
            .pack_closed_hours(ts(end + PACK_GRACE.as_millis() as i64))
            .await?;
        store.close().await;
        let closed = std::fs::metadata(&path)?.len();
        println!(
            "last hour packed:     {closed} bytes = {:.2} bytes/check ({moved} results packed; freed pages not returned)",
            per_check(closed)
        );
        let mut conn = AnyConnection::connect(db.url()).await?;
        print_dbstat(&mut conn, checks).await;
        sqlx::raw_sql("VACUUM").execute(&mut conn).await?;
        sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let vacuumed = std::fs::metadata(&path)?.len();
        println!(
            "file after VACUUM:    {vacuumed} bytes = {:.2} bytes/check",
            per_check(vacuumed)
        );
    }
    Ok(())
}

/// One simulated monitor: its id, when in the interval it runs, and how
/// it behaves.
struct Monitor {
    id: shipshape_store::MonitorId,
    offset_ms: i64,
    base_latency_ms: f64,
    http: bool,
}

impl Monitor {
    fn new(id: shipshape_store::MonitorId, i: usize, options: &Options) -> Self {
        let mut rng = Rng(i as u64 * 7_919 + 1);
        Monitor {
            id,
            offset_ms: i as i64 * options.interval_ms / options.monitors as i64,
            // 10 ms – 600 ms, log-uniform: local services to far-away APIs.
            base_latency_ms: 10.0 * 60f64.powf(rng.unit()),
            http: rng.unit() < 0.8,
        }
    }

    fn check(&self, at_ms: i64, location: LocationId, rng: &mut Rng) -> StoredResult {
        let failed = rng.unit() < 0.01;
        let (latency_ms, status_code, reason) = if failed {
            if rng.unit() < 0.5 {
                (10_000.0, None, Some("timeout after 10s".to_owned()))
            } else if self.http {
                let ms = self.base_latency_ms * 0.5;
                (ms, Some(503), Some("status == 200: got 503".to_owned()))
            } else {
                (
                    1.0 + rng.unit() * 3.0,
                    None,
                    Some("connect: connection refused".to_owned()),
                )
            }
        } else {
            let jitter = 0.8 + 0.4 * rng.unit();
            let spike = if rng.unit() < 0.02 {
                3.0 + 7.0 * rng.unit()
            } else {
                1.0
            };
            (
                self.base_latency_ms * jitter * spike,
                self.http.then_some(200),
                None,
            )
        };
        StoredResult {
            monitor: self.id,
            at: ts(at_ms),
            latency: Duration::from_secs_f64(latency_ms / 1_000.0),
            ok: !failed,
            status_code,
            location,
            reason,
        }
    }
}

/// Runs every check of the simulated period in time order, inserting one
/// batch per `batch_ms`; returns (checks, failures).
async fn simulate(
    store: &Store,
    url: &str,
    monitors: &[Monitor],
    location: LocationId,
    options: &Options,
) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    let mut rng = Rng(42);
    let end = START_MS + options.hours * 3_600_000;
    let mut batch: Vec<StoredResult> = Vec::new();
    let mut batch_end = START_MS + options.batch_ms;
    let (mut checks, mut failures) = (0u64, 0u64);
    let grace_ms = PACK_GRACE.as_millis() as i64;
    let mut next_pack = START_MS + 3_600_000 + grace_ms;
    let mut cycle = START_MS;
    while cycle < end {
        for monitor in monitors {
            let at = cycle + monitor.offset_ms;
            if at >= batch_end {
                checks += store.insert_results(&batch).await?;
                batch.clear();
                if at >= next_pack {
                    let started = Instant::now();
                    let moved = store.pack_closed_hours(ts(at)).await?;
                    eprintln!(
                        "packed {moved} results at +{:.2} h in {:.2} s",
                        (at - START_MS) as f64 / 3_600_000.0,
                        started.elapsed().as_secs_f64()
                    );
                    next_pack += 3_600_000;
                    if options.postgres {
                        let mut conn = AnyConnection::connect(url).await?;
                        sqlx::raw_sql("VACUUM check_results")
                            .execute(&mut conn)
                            .await?;
                        conn.close().await?;
                    }
                }
                batch_end = at - (at - START_MS).rem_euclid(options.batch_ms) + options.batch_ms;
            }
            let result = monitor.check(at, location, &mut rng);
            failures += u64::from(!result.ok);
            batch.push(result);
        }
        cycle += options.interval_ms;
    }
    checks += store.insert_results(&batch).await?;
    Ok((checks, failures))
}

/// Per-table sizes (`pg_total_relation_size`: heap, indexes, TOAST and
/// free space) and their total.
async fn print_pg_sizes(
    conn: &mut AnyConnection,
    checks: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let per_check = |bytes: u64| bytes as f64 / checks as f64;
    let mut total = 0;
    for table in TABLES {
        let size: i64 = sqlx::query("SELECT pg_total_relation_size($1::regclass) AS size")
            .bind(table)
            .fetch_one(&mut *conn)
            .await?
            .try_get("size")?;
        let size = u64::try_from(size)?;
        total += size;
        println!(
            "  {table:<20} {size:>12} bytes  {:>6.2} B/check",
            per_check(size)
        );
    }
    println!(
        "  tables total:        {total} bytes = {:.2} bytes/check",
        per_check(total)
    );
    Ok(())
}

/// Per-table page usage from SQLite's `dbstat` table, when compiled in.
async fn print_dbstat(conn: &mut AnyConnection, checks: u64) {
    let rows = sqlx::query(
        "SELECT name, SUM(pgsize) AS bytes, SUM(unused) AS unused FROM dbstat \
         GROUP BY name ORDER BY bytes DESC LIMIT 8",
    )
    .fetch_all(&mut *conn)
    .await;
    let Ok(rows) = rows else {
        println!("(per-table sizes: dbstat not available)");
        return;
    };
    for row in rows {
        let name: String = row.try_get("name").unwrap_or_default();
        let bytes: i64 = row.try_get("bytes").unwrap_or_default();
        let unused: i64 = row.try_get("unused").unwrap_or_default();
        println!(
            "  {name:<36} {bytes:>12} bytes {:>6.2} B/check, {:>4.1} % unused",
            bytes as f64 / checks as f64,
            100.0 * unused as f64 / bytes.max(1) as f64
        );
    }
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        monitors: 1_000,
        hours: 24,
        interval_ms: 30_000,
        batch_ms: 1_000,
        postgres: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<i64, String> {
            let text = args.next().ok_or(format!("`{name}` needs a value"))?;
            text.parse::<i64>()
                .ok()
                .filter(|&v| v > 0)
                .ok_or(format!("`{name}` must be a positive integer, got `{text}`"))
        };
        match arg.as_str() {
            "--monitors" => options.monitors = value(&arg)? as usize,
            "--hours" => options.hours = value(&arg)?,
            "--interval-s" => options.interval_ms = value(&arg)? * 1_000,
            "--batch-s" => options.batch_ms = value(&arg)? * 1_000,
            "--postgres" => options.postgres = true,
            other => return Err(format!("unknown option `{other}`; see the file's header")),
        }
    }
    Ok(options)
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// User plus system CPU time of this process (Linux), from `/proc/self/stat`.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall, in clock ticks (100 per second).
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// A small deterministic random source (SplitMix64).
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}
