//! TLS for probes: one shared rustls client (ring provider, no session
//! resumption so every check sees the certificate) whose verifier defers the
//! chain decision until after the handshake. The check then verifies the
//! chain once itself and reads the leaf, so it can say *why* a certificate
//! is bad (expired on a date, for another host, self-signed) and still
//! report its expiry and issuer. Nothing is sent over a session whose chain
//! did not verify.

use std::net::IpAddr;
use std::sync::Arc;

use jiff::Timestamp;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};
use x509_parser::extensions::GeneralName;

use super::error::CheckerError;
use crate::result::{CertDetails, TlsDetails};

/// The shared TLS client state, built once.
#[derive(Debug)]
pub(crate) struct TlsClient {
    /// Offers ALPN `h2` and `http/1.1`, for HTTPS checks.
    http: Arc<ClientConfig>,
    /// Offers no ALPN, for TLS checks of any service.
    plain: Arc<ClientConfig>,
    /// The real chain verifier, run after the handshake.
    verifier: Arc<WebPkiServerVerifier>,
    /// The handshake-time verifier, for configs built later (client
    /// certificates).
    deferred: Arc<Deferred>,
    /// The crypto provider every config uses.
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl TlsClient {
    /// Trusts the webpki roots plus `extra_roots` (DER).
    pub(crate) fn new(extra_roots: &[Vec<u8>]) -> Result<Self, CheckerError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for (index, der) in extra_roots.iter().enumerate() {
            roots
                .add(CertificateDer::from(der.clone()))
                .map_err(|e| CheckerError::Root {
                    index,
                    reason: e.to_string(),
                })?;
        }
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| CheckerError::Tls(e.to_string()))?;
        let deferred = Arc::new(Deferred {
            inner: verifier.clone(),
        });
        let mut plain = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| CheckerError::Tls(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(deferred.clone())
            .with_no_client_auth();
        plain.resumption = Resumption::disabled();
        let mut http = plain.clone();
        http.alpn_protocols = http_alpn();
        Ok(Self {
            http: Arc::new(http),
            plain: Arc::new(plain),
            verifier,
            deferred,
            provider,
        })
    }

    /// An HTTPS client config like the shared one that also presents
    /// `chain` (leaf first) signed by `key` to servers that ask for a
    /// client certificate. Fails if the key does not fit the certificate.
    pub(crate) fn with_client_cert(
        &self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Arc<ClientConfig>, rustls::Error> {
        let mut config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(self.deferred.clone())
            .with_client_auth_cert(chain, key)?;
        config.resumption = Resumption::disabled();
        config.alpn_protocols = http_alpn();
        Ok(Arc::new(config))
    }

    /// The client config: with ALPN for HTTP, or without.
    pub(crate) fn config(&self, for_http: bool) -> Arc<ClientConfig> {
        if for_http {
            self.http.clone()
        } else {
            self.plain.clone()
        }
    }

    /// Describes an established session: version, ALPN, the leaf
    /// certificate, and whether its chain verifies for `server_name` at
    /// `now`.
    pub(crate) fn inspect(
        &self,
        conn: &ClientConnection,
        server_name: &ServerName<'_>,
        now: Timestamp,
    ) -> TlsDetails {
        let version = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
            _ => "unknown",
        };
        let alpn = conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        let Some((leaf, intermediates)) = conn.peer_certificates().and_then(<[_]>::split_first)
        else {
            return TlsDetails {
                version,
                alpn,
                cert: None,
                problem: Some("the server sent no certificate".into()),
            };
        };
        let unix = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            now.as_second().max(0).unsigned_abs(),
        ));
        let verdict = self
            .verifier
            .verify_server_cert(leaf, intermediates, server_name, &[], unix);
        let cert = parse_leaf(leaf, 1 + intermediates.len());
        let problem = verdict
            .err()
            .map(|err| describe_problem(&err, cert.as_ref(), server_name));
        TlsDetails {
            version,
            alpn,
            cert,
            problem,
        }
    }
}

/// The ALPN protocols an HTTPS check offers.
fn http_alpn() -> Vec<Vec<u8>> {
    vec![b"h2".to_vec(), b"http/1.1".to_vec()]
}

/// Accepts any chain during the handshake (the check verifies it right
/// after, with the same verifier) but checks handshake signatures for real.
#[derive(Debug)]
struct Deferred {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for Deferred {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Reads what a user wants to know from the leaf; `None` if it does not parse.
fn parse_leaf(der: &CertificateDer<'_>, chain_len: usize) -> Option<CertDetails> {
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    let time = |t: &x509_parser::time::ASN1Time| Timestamp::from_second(t.timestamp()).ok();
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => names.push((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => {
                    let ip = match bytes.len() {
                        4 => <[u8; 4]>::try_from(*bytes).ok().map(IpAddr::from),
                        16 => <[u8; 16]>::try_from(*bytes).ok().map(IpAddr::from),
                        _ => None,
                    };
                    names.extend(ip.map(|ip| ip.to_string()));
                }
                _ => {}
            }
        }
    }
    Some(CertDetails {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        names,
        not_before: time(&cert.validity().not_before)?,
        not_after: time(&cert.validity().not_after)?,
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        chain_len,
    })
}

/// Says why a chain failed, in the user's terms: `certificate expired
/// 2026-10-01`, ``certificate is for `other.test`, not `localhost` ``,
/// `self-signed certificate`.
fn describe_problem(
    err: &rustls::Error,
    cert: Option<&CertDetails>,
    server_name: &ServerName<'_>,
) -> String {
    let date = |t: Timestamp| t.strftime("%Y-%m-%d").to_string();
    let rustls::Error::InvalidCertificate(problem) = err else {
        return format!("certificate not verified: {err}");
    };
    match (problem, cert) {
        (CertificateError::Expired | CertificateError::ExpiredContext { .. }, Some(cert)) => {
            format!("certificate expired {}", date(cert.not_after))
        }
        (
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
            Some(cert),
        ) => {
            format!("certificate is not valid before {}", date(cert.not_before))
        }
        (
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            Some(cert),
        ) => {
            let host = server_name.to_str();
            if cert.names.is_empty() {
                format!(
                    "certificate names no host, not `{host}` (subject `{}`)",
                    cert.subject
                )
            } else {
                let names: Vec<String> = cert.names.iter().map(|n| format!("`{n}`")).collect();
                format!("certificate is for {}, not `{host}`", names.join(", "))
            }
        }
        (CertificateError::UnknownIssuer, Some(cert)) if cert.self_signed => {
            "self-signed certificate".into()
        }
        (CertificateError::UnknownIssuer, Some(cert)) => {
            format!("certificate issuer `{}` is not trusted", cert.issuer)
        }
        (CertificateError::BadSignature, _) => "certificate signature is invalid".into(),
        (CertificateError::Revoked, _) => "certificate is revoked".into(),
        (CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. }, _) => {
            "certificate is not for server authentication".into()
        }
        _ => format!("certificate not verified: {err}"),
    }
}
