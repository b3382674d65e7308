//! Client certificates for mutual TLS. The rustls config of each
//! (certificate, key) pair is built once and kept in [`ClientCerts`]; it is
//! rebuilt only when a file changes (size or modification time) or the
//! key's secret value does, so a renewed certificate is picked up without a
//! restart.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use rustls::ClientConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use shipshape_catalog::{ClientCert, ClientKey};

use super::cert::TlsClient;
use super::net;

/// Most client-certificate configs kept; past it the cache starts afresh
/// (only rotated secrets or many monitors with their own pairs get here).
const MAX_CACHED: usize = 64;
/// Largest certificate or key file read.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// The built client-certificate configs, by certificate and key.
#[derive(Debug, Default)]
pub(crate) struct ClientCerts {
    cache: Mutex<HashMap<CacheKey, Cached>>,
}

/// Which pair a config is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    cert: PathBuf,
    key: KeyId,
}

/// A key file, or a hash of a secret key's value (the value itself is
/// not kept twice).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyId {
    File(PathBuf),
    Secret(u64),
}

#[derive(Debug)]
struct Cached {
    stamp: Stamp,
    config: Arc<ClientConfig>,
}

/// What the files looked like when a config was built.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    cert: FileStamp,
    key: Option<FileStamp>,
}

/// Size and modification time of a file.
type FileStamp = (u64, Option<SystemTime>);

impl ClientCerts {
    /// The HTTPS client config presenting `spec`: from the cache when the
    /// files have not changed, otherwise read, checked and built. The error
    /// is a check failure reason, e.g. `TLS: cannot read client certificate
    /// `/etc/x.pem`: no such file or directory`.
    pub(crate) async fn config(
        &self,
        tls: &TlsClient,
        spec: &ClientCert,
    ) -> Result<Arc<ClientConfig>, String> {
        let (key_id, secret_key) = match &spec.key {
            ClientKey::File(path) => (KeyId::File(path.clone()), None),
            ClientKey::Secret(setting) => {
                let pem = setting
                    .value()
                    .ok_or("TLS: the client key is a secret that was not resolved")?;
                let mut hasher = DefaultHasher::new();
                pem.hash(&mut hasher);
                (KeyId::Secret(hasher.finish()), Some(pem))
            }
        };
        let key = CacheKey {
            cert: spec.cert.clone(),
            key: key_id,
        };
        let stamp = Stamp {
            cert: stat(&spec.cert, "client certificate").await?,
            key: match &key.key {
                KeyId::File(path) => Some(stat(path, "client key").await?),
                KeyId::Secret(_) => None,
            },
        };
        if let Some(cached) = self.lock().get(&key).filter(|c| c.stamp == stamp) {
            return Ok(cached.config.clone());
        }
        let cert_pem = read(&spec.cert, "client certificate").await?;
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<_, _>>()
            .ok()
            .filter(|chain: &Vec<_>| !chain.is_empty())
            .ok_or_else(|| {
                format!(
                    "TLS: client certificate `{}` holds no PEM certificate",
                    spec.cert.display()
                )
            })?;
        let private_key = match (&spec.key, secret_key) {
            (ClientKey::File(path), _) => {
                let pem = read(path, "client key").await?;
                PrivateKeyDer::from_pem_slice(&pem).map_err(|_| {
                    format!(
                        "TLS: client key `{}` holds no PEM private key",
                        path.display()
                    )
                })?
            }
            (ClientKey::Secret(_), Some(pem)) => PrivateKeyDer::from_pem_slice(pem.as_bytes())
                .map_err(|_| "TLS: the client key secret holds no PEM private key".to_owned())?,
            (ClientKey::Secret(_), None) => {
                return Err("TLS: the client key is a secret that was not resolved".into());
            }
        };
        let config = tls
            .with_client_cert(chain, private_key)
            .map_err(|err| describe_build_error(&err, &spec.cert))?;
        let mut cache = self.lock();
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(
            key,
            Cached {
                stamp,
                config: config.clone(),
            },
        );
        Ok(config)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Cached>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Size and modification time of `path`, or why it cannot be read.
async fn stat(path: &Path, what: &str) -> Result<FileStamp, String> {
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| cannot_read(path, what, &e))?;
    if meta.len() > MAX_PEM_BYTES {
        return Err(format!(
            "TLS: {what} `{}` is larger than 1MiB",
            path.display()
        ));
    }
    Ok((meta.len(), meta.modified().ok()))
}

/// The content of `path` (at most the cap).
async fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| cannot_read(path, what, &e))?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(format!(
            "TLS: {what} `{}` is larger than 1MiB",
            path.display()
        ));
    }
    Ok(bytes)
}

fn cannot_read(path: &Path, what: &str, err: &std::io::Error) -> String {
    format!(
        "TLS: cannot read {what} `{}`: {}",
        path.display(),
        net::describe_io(err)
    )
}

/// Why rustls would not take the pair.
fn describe_build_error(err: &rustls::Error, cert: &Path) -> String {
    match err {
        rustls::Error::InconsistentKeys(_) => format!(
            "TLS: the client key does not belong to client certificate `{}`",
            cert.display()
        ),
        other => format!(
            "TLS: client certificate `{}` is not usable: {other}",
            cert.display()
        ),
    }
}
