//! One HTTP check, and one HTTPS check, each over a fresh connection to a
//! loopback hyper server on another thread: criterion's wall time per
//! check, then the CPU time the checking thread spends per check (the
//! figure the probe budget is set in: ≤ 0.4 ms for plain HTTP).
//!
//! Run with `cargo bench -p shipshape-probe --bench http_check`.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use shipshape_catalog::{HttpCheck, Monitor, MonitorKind, Setting};
use shipshape_clock::SystemClock;
use shipshape_probe::check::{CheckerOptions, Checkers};
use tokio::io::{AsyncRead, AsyncWrite};

/// Starts a hyper HTTP/1.1 server on its own thread and runtime, over TLS
/// if `tls` is given.
fn start_server(tls: Option<tokio_rustls::TlsAcceptor>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr"))
                .expect("send addr");
            while let Ok((stream, _)) = listener.accept().await {
                let tls = tls.clone();
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve(stream).await;
                            }
                        }
                        None => serve(stream).await,
                    }
                });
            }
        });
    });
    rx.recv().expect("server address")
}

async fn serve(io: impl AsyncRead + AsyncWrite + Unpin + Send + 'static) {
    let service = service_fn(|_: Request<hyper::body::Incoming>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
            b"{\"status\":\"ok\"}",
        ))))
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .await;
}

/// A TLS acceptor for `localhost` (HTTP/1.1 only) and the CA to trust.
fn test_tls() -> (tokio_rustls::TlsAcceptor, Vec<u8>) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Bench CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().expect("key");
    let ca_der = ca_params.self_signed(&ca_key).expect("ca").der().to_vec();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .expect("server cert");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (tokio_rustls::TlsAcceptor::from(Arc::new(config)), ca_der)
}

fn monitor(url: String) -> Monitor {
    Monitor {
        id: "bench".into(),
        component: None,
        kind: MonitorKind::Http(HttpCheck {
            url: Setting::Plain(url),
            method: "GET".into(),
            headers: Default::default(),
            body: None,
            follow_redirects: true,
            max_redirects: 10,
            client_cert: None,
        }),
        every: Duration::from_secs(60),
        timeout: Duration::from_secs(5),
        confirm: 1,
        recover: 1,
        expect: Vec::new(),
        anomaly: None,
        quorum: None,
        locations: Vec::new(),
        alert: Default::default(),
    }
}

/// CPU time consumed so far by the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

/// Benchmarks checks of `monitor`, then prints the checking thread's CPU
/// time per check over `checks` sequential checks.
fn bench_one(c: &mut Criterion, name: &str, checkers: &Checkers, monitor: &Monitor, checks: u32) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    c.bench_function(name, |b| {
        b.to_async(&runtime).iter(|| async {
            let result = checkers.run(monitor, &SystemClock).await;
            assert!(result.is_up(), "{:?}", result.outcome);
        });
    });
    let (cpu_before, wall_before) = (thread_cpu(), Instant::now());
    runtime.block_on(async {
        for _ in 0..checks {
            let result = checkers.run(monitor, &SystemClock).await;
            assert!(result.is_up(), "{:?}", result.outcome);
        }
    });
    let cpu = (thread_cpu() - cpu_before) / checks;
    let wall = wall_before.elapsed() / checks;
    println!(
        "{name}: client CPU {cpu:?} per check, wall {wall:?} per check ({checks} sequential checks)"
    );
}

fn http_check(c: &mut Criterion) {
    let addr = start_server(None);
    let checkers = Checkers::new(CheckerOptions::default()).expect("checkers");
    bench_one(
        c,
        "http_check_fresh_connection",
        &checkers,
        &monitor(format!("http://{addr}/health")),
        5_000,
    );

    let (acceptor, ca) = test_tls();
    let addr = start_server(Some(acceptor));
    let options = CheckerOptions {
        extra_roots: vec![ca],
        ..CheckerOptions::default()
    };
    let checkers = Checkers::new(options).expect("checkers");
    let url = format!("https://localhost:{}/health", addr.port());
    bench_one(
        c,
        "https_check_fresh_connection",
        &checkers,
        &monitor(url),
        1_000,
    );
}

criterion_group!(benches, http_check);
criterion_main!(benches);
