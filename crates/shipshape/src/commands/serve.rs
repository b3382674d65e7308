//! `shipshape serve`: open the store, start the web server and every
//! subsystem, reload the catalog on change, stop gracefully on a signal.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use shipshape_catalog::Catalog;
use shipshape_clock::SystemClock;
use shipshape_pager::Pager;
use shipshape_store::Store;
use shipshape_web::{AppState, BuildInfo, TlsFiles, WebConfig, auth};
use tokio::sync::watch;

use crate::cli::{ConfigArg, InstanceArgs, ServeArgs};
use crate::cluster::Instance;
use crate::commands::{base_url, now};
use crate::monitoring::Monitoring;
use crate::{load, reload};

/// The probe location of an instance that names none.
pub const DEFAULT_LOCATION: &str = "local";

/// Where the server listens when neither the catalog nor the command line says.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080));

/// Runs `shipshape serve`.
pub async fn run(args: ServeArgs) -> Result<ExitCode> {
    let catalog = load::catalog(&args.config, &args.instance).await?;
    let store = load::store(&catalog).await?;
    serve(catalog, store, args.config, args.instance, |_| {}).await
}

/// Serves `catalog` until SIGTERM or Ctrl-C. `on_start` is given the base URL
/// once the socket is bound, before the first request is accepted.
pub async fn serve(
    catalog: Catalog,
    store: Store,
    config: ConfigArg,
    instance: InstanceArgs,
    on_start: impl FnOnce(&str),
) -> Result<ExitCode> {
    let listen = catalog.server.listen.unwrap_or(DEFAULT_LISTEN);
    let listener = std::net::TcpListener::bind(listen).with_context(|| {
        format!(
            "could not listen on `{listen}`: is another process using it? pick one with --listen"
        )
    })?;
    listener.set_nonblocking(true)?;
    let local_addr = listener.local_addr()?;
    let scheme = if catalog.server.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let web_config = WebConfig::from_catalog(&catalog);
    let base = match &catalog.server.public_url {
        Some(_) => base_url(&catalog),
        None => format!("{scheme}://{local_addr}"),
    };

    tracing::info!(
        store = %store.url_redacted(),
        services = catalog.services.len(),
        location = catalog.server.location.as_deref().unwrap_or("-"),
        "starting"
    );
    println!("shipshape: listening on {scheme}://{local_addr}");
    if let Some(token) = auth::ensure_setup_link(&store, now()).await? {
        println!(
            "shipshape: no admin yet — create the first admin account (one use, expires in 24 h):"
        );
        println!("  {base}/setup/{token}");
    }
    on_start(&base);

    let tls = catalog.server.tls.as_ref().map(|tls| TlsFiles {
        cert: tls.cert.clone(),
        key: tls.key.clone(),
    });
    let location = catalog
        .server
        .location
        .clone()
        .unwrap_or_else(|| DEFAULT_LOCATION.to_owned());
    let (catalog_tx, catalog_rx) = watch::channel(Arc::new(catalog));
    let reloader = reload::spawn(config, instance, catalog_tx);
    let clock = SystemClock::shared();

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let state = AppState::new(
        store.clone(),
        catalog_rx.clone(),
        clock.clone(),
        web_config,
        build_info(),
    );
    let pager = Pager::new(
        store.clone(),
        clock.clone(),
        catalog_rx.clone(),
        Some(base.clone()),
    )
    .await?;
    let instance = Instance::new(&location);
    tracing::info!(instance = %instance.id, "this instance");
    let heartbeat =
        instance.spawn_heartbeat(store.clone(), clock.clone(), stopped(stop_rx.clone()));
    let pager = pager.with_instance(instance.id.clone(), crate::cluster::MEMBER_TTL);
    let pager_waker = pager.waker();
    let members = instance.membership(store.clone(), clock.clone()).await;
    let monitoring = Monitoring::start(
        catalog_rx,
        store.clone(),
        clock,
        members,
        state.metrics.monitors().clone(),
        pager_waker.clone(),
        stopped(stop_rx.clone()),
    )
    .await?;
    let paging = pager.spawn(stopped(stop_rx.clone()));
    let status_changed = Arc::new(tokio::sync::Notify::new());
    let publishing = crate::publish::spawn(
        instance.clone(),
        store.clone(),
        state.catalog.clone(),
        state.clock.clone(),
        status_changed.clone(),
        stopped(stop_rx.clone()),
    );
    let readiness_requested = Arc::new(tokio::sync::Notify::new());
    let reviewing = crate::readiness::spawn(
        instance.clone(),
        store.clone(),
        state.catalog.clone(),
        state.clock.clone(),
        readiness_requested.clone(),
        pager_waker.clone(),
        stopped(stop_rx.clone()),
    );
    let relaying = crate::heartbeat_relay::spawn(
        store.clone(),
        state.clock.clone(),
        instance.id.clone(),
        monitoring.heartbeats(),
        stopped(stop_rx.clone()),
    );
    let state = state
        .with_instance(instance.id.clone())
        .with_heartbeats(monitoring.heartbeats())
        .with_pager(pager_waker)
        .with_status_publisher(status_changed)
        .with_readiness(readiness_requested);
    let result = shipshape_web::launch(state, listener, tls, stopped(stop_rx)).await;
    reloader.abort();
    monitoring.join().await;
    let _ = paging.await;
    let _ = publishing.await;
    let _ = reviewing.await;
    let _ = heartbeat.await;
    let _ = relaying.await;
    tokio::time::timeout(Duration::from_secs(10), store.close())
        .await
        .ok();
    result?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// This build's version and commit (`SHIPSHAPE_COMMIT` at build time, when set).
fn build_info() -> BuildInfo {
    BuildInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        commit: option_env!("SHIPSHAPE_COMMIT")
            .unwrap_or("unknown")
            .to_owned(),
    }
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received: shutting down"),
        _ = terminate => tracing::info!("SIGTERM received: shutting down"),
    }
}
