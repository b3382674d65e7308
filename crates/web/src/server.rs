//! [`launch`]: serves the app on a listener the caller bound (port 0 works),
//! over plain HTTP or rustls, until a shutdown future resolves; then it stops
//! accepting and gives in-flight requests a bounded grace period.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use axum::Extension;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;

use crate::client::TlsTransport;
use crate::routes::app;
use crate::state::AppState;

/// How long in-flight requests may run on after shutdown is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// PEM files for HTTPS.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
}

/// Serves [`app`] on `listener` until `shutdown` resolves, then stops
/// accepting connections and lets in-flight requests finish (at most 10 s).
/// With `tls`, serves HTTPS with the certificate and key read from PEM files.
pub async fn launch(
    state: AppState,
    listener: std::net::TcpListener,
    tls: Option<TlsFiles>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    listener
        .set_nonblocking(true)
        .context("could not make the listener non-blocking")?;
    let local = listener
        .local_addr()
        .context("listener has no local address")?;
    let handle: Handle<SocketAddr> = Handle::new();
    let stopper = {
        let handle = handle.clone();
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections, finishing requests in flight");
            handle.graceful_shutdown(Some(SHUTDOWN_GRACE));
        })
    };
    let router = app(state);
    let served = match tls {
        None => {
            tracing::info!(address = %local, "serving HTTP");
            let service = router.into_make_service_with_connect_info::<SocketAddr>();
            axum_server::from_tcp(listener)
                .context("could not serve on the listener")?
                .handle(handle)
                .serve(service)
                .await
        }
        Some(files) => {
            install_crypto_provider();
            let config = RustlsConfig::from_pem_file(&files.cert, &files.key)
                .await
                .with_context(|| {
                    format!(
                        "could not load TLS certificate `{}` and key `{}`",
                        files.cert.display(),
                        files.key.display()
                    )
                })?;
            tracing::info!(address = %local, "serving HTTPS");
            let service = router
                .layer(Extension(TlsTransport))
                .into_make_service_with_connect_info::<SocketAddr>();
            axum_server::from_tcp_rustls(listener, config)
                .context("could not serve on the listener")?
                .handle(handle)
                .serve(service)
                .await
        }
    };
    stopper.abort();
    served.context("the HTTP server failed")
}

/// rustls needs one process-wide crypto provider; Shipshape builds with
/// `ring` only, and installs it unless a provider is already set.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another installer is fine: a provider is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
