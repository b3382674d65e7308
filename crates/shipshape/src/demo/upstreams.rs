//! The demo's three sample upstream services, on loopback ports chosen by
//! the OS: one healthy, one slow, one that fails part of the time; and the
//! demo's pager inbox, a webhook receiver that prints each page the demo
//! people get (with its acknowledge link) on the console.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Result;
use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};

/// Base URLs of the running upstreams.
#[derive(Debug, Clone)]
pub struct Upstreams {
    /// Always answers quickly with 200.
    pub healthy: String,
    /// Answers with 200, but takes 0.3 to 2.4 seconds.
    pub slow: String,
    /// Fails with 503 for one minute in every five, and one request in ten otherwise.
    pub flaky: String,
    /// Takes the demo people's pages (`POST /{person}`) and prints them.
    pub inbox: String,
}

/// Starts the three upstreams; they run until the process exits.
pub async fn start() -> Result<Upstreams> {
    Ok(Upstreams {
        healthy: spawn(healthy()).await?,
        slow: spawn(slow()).await?,
        flaky: spawn(flaky()).await?,
        inbox: spawn(inbox()).await?,
    })
}

/// The pager inbox: prints `page → alice: FIRING …  acknowledge: URL`.
fn inbox() -> Router {
    Router::new().route(
        "/{person}",
        post(
            |Path(person): Path<String>, body: axum::Json<serde_json::Value>| async move {
                let page = &body.0;
                let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
                let kind = text(&page["kind"]).to_uppercase();
                let title = text(&page["incident"]["title"]);
                let ack = text(&page["ack_url"]);
                let person: String = person
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .take(32)
                    .collect();
                if ack.is_empty() {
                    println!("  page → {person}: {kind} {title}");
                } else {
                    println!("  page → {person}: {kind} {title}\n         acknowledge: {ack}");
                }
                StatusCode::ACCEPTED
            },
        ),
    )
}

async fn spawn(app: Router) -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::warn!(error = %err, "demo upstream stopped");
        }
    });
    Ok(format!("http://{addr}"))
}

const HOME: &str = "<!doctype html><title>Benefits</title><h1>Apply for benefits</h1>";

fn healthy() -> Router {
    Router::new()
        .route("/", get(|| async { Html(HOME) }))
        .route("/health", get(|| async { health_json() }))
}

fn slow() -> Router {
    let counter = Arc::new(AtomicU64::new(0));
    let handler = move || {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        async move {
            // A repeating pattern of delays from 300 ms to 2.4 s.
            tokio::time::sleep(Duration::from_millis(300 + (n % 8) * 300)).await;
            Html(HOME)
        }
    };
    Router::new()
        .route("/", get(handler.clone()))
        .route("/health", get(|| async { health_json() }))
}

fn flaky() -> Router {
    let counter = Arc::new(AtomicU64::new(0));
    let handler = move || {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        async move {
            let minute = unix_seconds() / 60;
            if minute % 5 == 4 || n % 10 == 9 {
                (StatusCode::SERVICE_UNAVAILABLE, "upstream unavailable").into_response()
            } else {
                health_json().into_response()
            }
        }
    };
    Router::new()
        .route("/", get(handler.clone()))
        .route("/health", get(handler))
}

fn health_json() -> impl IntoResponse {
    ([("content-type", "application/json")], r#"{"status":"ok"}"#)
}

/// The demo's outage schedule follows wall-clock minutes so a visitor sees
/// it change; this is sample traffic, not Shipshape logic.
fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A sample cron job: "runs" every 20 s and pings its heartbeat URL at
/// `server` + `path` (failing one run in ten, with a message), as a real job
/// would with `curl`.
pub async fn sample_job(server: std::net::SocketAddr, path: String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut runs = 0u64;
    let mut tick = tokio::time::interval(Duration::from_secs(20));
    loop {
        tick.tick().await;
        runs += 1;
        let query = if runs.is_multiple_of(10) {
            "?status=fail&msg=export%20failed%3A%20disk%20full&runtime=0.4"
        } else {
            "?runtime=1.2"
        };
        let request = format!(
            "POST {path}{query} HTTP/1.1\r\nHost: {server}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let ping = async {
            let mut stream = tokio::net::TcpStream::connect(server).await?;
            stream.write_all(request.as_bytes()).await?;
            let mut reply = Vec::new();
            stream.take(4096).read_to_end(&mut reply).await?;
            std::io::Result::Ok(reply)
        };
        match tokio::time::timeout(Duration::from_secs(10), ping).await {
            Ok(Ok(reply)) if reply.starts_with(b"HTTP/1.1 200") => {}
            Ok(Ok(reply)) => tracing::warn!(
                reply = %String::from_utf8_lossy(&reply[..reply.len().min(200)]),
                "demo job: heartbeat ping refused"
            ),
            Ok(Err(error)) => tracing::warn!(%error, "demo job: heartbeat ping failed"),
            Err(_) => tracing::warn!("demo job: heartbeat ping timed out"),
        }
    }
}
