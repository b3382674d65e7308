//! Evaluator throughput: monitor results per second on one core, for a
//! fleet of 10,000 monitors (one in ten with an anomaly rule), each result
//! going through flap damping and, where set, the anomaly buckets — the
//! per-result work the monitoring writer does before anything is stored.
//!
//! `cargo bench -p shipshape-alert --bench evaluator`

use std::fmt::Write;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use shipshape_alert::engine::{Evaluator, EvaluatorPolicy, Health, MonitorKey};

const MONITORS: usize = 10_000;
const BATCH: usize = 100_000;

fn catalog() -> shipshape_catalog::Catalog {
    let mut toml = String::new();
    for s in 0..MONITORS / 10 {
        writeln!(toml, "[[service]]\nid = \"s{s}\"").unwrap();
        for m in 0..10 {
            let anomaly = if m == 0 {
                "anomaly = { metric = \"latency_p95\" }\n"
            } else {
                ""
            };
            writeln!(
                toml,
                "  [[service.monitor]]\n  id = \"m{m}\"\n  tcp = {{ host = \"127.0.0.1\", port = 9 }}\n  every = \"30s\"\n  {anomaly}"
            )
            .unwrap();
        }
    }
    shipshape_catalog::parse_str(&toml, Path::new("/bench/shipshape.toml")).unwrap()
}

fn bench(c: &mut Criterion) {
    let catalog = catalog();
    let start: Timestamp = "2026-11-30T09:00:00Z".parse().unwrap();
    let keys: Vec<MonitorKey> = (0..MONITORS)
        .map(|i| MonitorKey::new(format!("s{}", i / 10), format!("m{}", i % 10)))
        .collect();
    let mut evaluator = Evaluator::new(EvaluatorPolicy::default());
    evaluator.set_catalog(&catalog, start);
    for key in &keys {
        evaluator.observe_state(key, start, Health::Up, None);
    }
    let mut tick: i64 = 0;
    let mut group = c.benchmark_group("evaluator");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("observe_result x100k (10k monitors)", |b| {
        b.iter(|| {
            let mut emitted = 0usize;
            for i in 0..BATCH {
                tick += 1;
                let key = &keys[i % MONITORS];
                let at = start + SignedDuration::from_millis(tick * 3);
                // One result in 50 fails; latencies vary a little.
                let ok = tick % 50 != 0;
                let latency = 20.0 + (tick % 7) as f64;
                emitted += evaluator.observe_result(key, at, ok, Some(latency)).len();
            }
            black_box(emitted)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
