//! `shipshape alert backtest`: replaying a CSV series and stored results.

use std::path::Path;

use crate::util::run;

const CATALOG: &str = r#"
[store]
url = "sqlite://shipshape.db"

[[service]]
id = "api"
name = "API"

  [[service.monitor]]
  id = "health"
  http = { url = "https://api.example.org/health" }
  every = "1m"
  expect = ["status == 200", "response_time < 500ms"]
"#;

/// Writes the catalog and a CSV of 120 one-minute rows, rows 30..40 bad.
fn setup(dir: &Path, bad: &str, good: &str) {
    std::fs::write(dir.join("shipshape.toml"), CATALOG).unwrap();
    let mut csv = String::from("timestamp,value\n");
    for i in 0..120 {
        let value = if (30..40).contains(&i) { bad } else { good };
        csv.push_str(&format!("{},{value}\n", 1_795_142_400 + 60 * i));
    }
    std::fs::write(dir.join("series.csv"), csv).unwrap();
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn a_latency_csv_prints_each_moment_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), "900", "120");
    let out = run(
        dir.path(),
        &[
            "alert",
            "backtest",
            "--config",
            "shipshape.toml",
            "--monitor",
            "api/health",
            "--csv",
            "series.csv",
        ],
    );
    let text = stdout(&out);
    assert!(
        text.contains(
            "2026-11-20T03:10:00Z  OPENED    api/health is down: response_time < 500ms: got 900ms"
        ),
        "{text}"
    );
    assert!(text.contains("2026-11-20T03:22:00Z  RESOLVED  "), "{text}");
    assert!(
        text.contains(
            "summary: 1 page, 0 flapping episodes, 1 notification, 12m in alert, over 120 samples"
        ),
        "{text}"
    );
    // No store is needed for a CSV.
    assert!(!dir.path().join("shipshape.db").exists());
}

#[test]
fn an_up_down_csv_as_json() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), "0", "1");
    let out = run(
        dir.path(),
        &[
            "alert",
            "backtest",
            "--config",
            "shipshape.toml",
            "--monitor",
            "api/health",
            "--csv",
            "series.csv",
            "--format",
            "json",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let kinds: Vec<&str> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["opened", "resolved"]);
    assert_eq!(json["events"][0]["at"], "2026-11-20T03:10:00Z");
    assert_eq!(json["summary"]["pages"], 1);
    assert_eq!(json["summary"]["samples"], 120);
    assert_eq!(json["summary"]["time_in_alert_secs"], 720);
}

#[test]
fn unknown_monitors_and_bad_rows_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), "0", "1");
    let out = run(
        dir.path(),
        &[
            "alert",
            "backtest",
            "--config",
            "shipshape.toml",
            "--monitor",
            "api/helth",
            "--csv",
            "series.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no monitor `api/helth`"), "{err}");
    assert!(err.contains("did you mean `api/health`"), "{err}");

    std::fs::write(dir.path().join("bad.csv"), "1795142400,1\n1795142460,x\n").unwrap();
    let out = run(
        dir.path(),
        &[
            "alert",
            "backtest",
            "--config",
            "shipshape.toml",
            "--monitor",
            "api/health",
            "--csv",
            "bad.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.csv: line 2, column 12"), "{err}");
}

#[test]
fn an_empty_window_of_a_fresh_store_says_so() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), "0", "1");
    let out = run(
        dir.path(),
        &[
            "alert",
            "backtest",
            "--config",
            "shipshape.toml",
            "--monitor",
            "api/health",
            "--from",
            "-7d",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no stored results for `api/health` between"),
        "{err}"
    );
    assert!(err.contains("nothing to replay"), "{err}");
}
