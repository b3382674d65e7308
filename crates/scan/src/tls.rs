//! TLS for scans: a certificate verifier that records what webpki thinks
//! of the chain (expired, self-signed, bad chain, bad hostname, publicly or
//! custom trusted) and lets the handshake finish anyway, so the headers of a
//! misconfigured site can still be read; and the one-version handshakes the
//! baseline uses to see which TLS versions a server accepts.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{Resumption, verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    SignatureScheme, SupportedProtocolVersion,
};
use x509_parser::extensions::GeneralName;

use crate::report::TlsInfo;

/// The trust stores a scan verifies against.
#[derive(Debug)]
pub(crate) struct Trust {
    provider: Arc<CryptoProvider>,
    public: RootCertStore,
    /// The custom store (`extra_roots`), when one was given.
    custom: Option<RootCertStore>,
    /// Extra roots that could not be used, as notes.
    pub rejected: Vec<String>,
}

impl Trust {
    /// The webpki roots, plus a custom store of `extra` when not empty.
    pub fn new(extra: &[CertificateDer<'static>]) -> Trust {
        let mut public = RootCertStore::empty();
        public.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let mut rejected = Vec::new();
        let custom = (!extra.is_empty()).then(|| {
            let mut store = RootCertStore::empty();
            for (i, der) in extra.iter().enumerate() {
                if let Err(e) = store.add(der.clone()) {
                    rejected.push(format!("custom root {i} ignored: {e}"));
                }
            }
            store
        });
        Trust {
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            public,
            custom,
            rejected,
        }
    }

    /// A client config (ALPN http/1.1, no resumption) whose verifier records
    /// its verdict instead of enforcing it, offering `versions` (all by
    /// default).
    pub fn recording_config(
        self: &Arc<Self>,
        versions: Option<&'static SupportedProtocolVersion>,
    ) -> (ClientConfig, Arc<Recorder>) {
        let recorder = Arc::new(Recorder {
            trust: self.clone(),
            outcome: Mutex::new(None),
        });
        let all: &[&'static SupportedProtocolVersion] =
            &[&rustls::version::TLS13, &rustls::version::TLS12];
        let one;
        let versions = match versions {
            Some(v) => {
                one = [v];
                &one[..]
            }
            None => all,
        };
        let mut config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(versions)
            .expect("the ring provider supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_no_client_auth();
        config.resumption = Resumption::disabled();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        (config, recorder)
    }

    /// Judges a chain the way pshtt reports it.
    fn classify(
        &self,
        leaf: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        now: UnixTime,
    ) -> TlsInfo {
        let mut info = TlsInfo {
            version: None,
            chain_length: 1 + intermediates.len(),
            subject: None,
            issuer: None,
            names: Vec::new(),
            not_after: None,
            expired: false,
            self_signed: false,
            bad_chain: false,
            bad_hostname: false,
            publicly_trusted: false,
            custom_trusted: None,
            missing_intermediate: false,
            problems: Vec::new(),
        };
        if let Ok((_, cert)) = x509_parser::parse_x509_certificate(leaf.as_ref()) {
            info.subject = Some(cert.subject().to_string());
            info.issuer = Some(cert.issuer().to_string());
            let not_after = cert.validity().not_after.timestamp();
            info.not_after = Some(not_after);
            info.expired = not_after <= now.as_secs() as i64;
            info.self_signed = cert.subject().as_raw() == cert.issuer().as_raw();
            if let Ok(Some(san)) = cert.subject_alternative_name() {
                for general in &san.value.general_names {
                    match general {
                        GeneralName::DNSName(dns) => info.names.push((*dns).to_owned()),
                        GeneralName::IPAddress(bytes) => {
                            let ip = match bytes.len() {
                                4 => <[u8; 4]>::try_from(*bytes).ok().map(IpAddr::from),
                                16 => <[u8; 16]>::try_from(*bytes).ok().map(IpAddr::from),
                                _ => None,
                            };
                            info.names.extend(ip.map(|ip| ip.to_string()));
                        }
                        _ => {}
                    }
                }
            }
        } else {
            info.problems
                .push("the leaf certificate does not parse".into());
        }
        let Ok(parsed) = ParsedCertificate::try_from(leaf) else {
            info.bad_chain = true;
            info.problems
                .push("webpki cannot parse the leaf certificate".into());
            return info;
        };
        if let Err(e) = verify_server_name(&parsed, name) {
            info.bad_hostname = true;
            info.problems.push(format!("hostname: {e}"));
        }
        let algs = self.provider.signature_verification_algorithms.all;
        let chain = |roots: &RootCertStore| {
            verify_server_cert_signed_by_trust_anchor(&parsed, roots, intermediates, now, algs)
        };
        let public = chain(&self.public);
        info.publicly_trusted = public.is_ok();
        let custom = self.custom.as_ref().map(chain);
        info.custom_trusted = custom.as_ref().map(Result::is_ok);
        // The verdict that counts is the one against the store in use: the
        // custom store when given (pshtt's STORE = "Custom"), else public.
        let used = custom.unwrap_or(public);
        if let Err(e) = used {
            let leaf_explains = match &e {
                rustls::Error::InvalidCertificate(
                    CertificateError::Expired | CertificateError::ExpiredContext { .. },
                ) => info.expired,
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
                    info.self_signed
                }
                _ => false,
            };
            if !leaf_explains {
                info.bad_chain = true;
            }
            info.problems.push(format!("chain: {e}"));
        }
        // pshtt: not self-signed and fewer than two certificates; narrowed
        // to chains that do not verify (a leaf issued straight by a trusted
        // root is not missing anything).
        info.missing_intermediate = !info.self_signed && info.chain_length < 2 && info.bad_chain;
        info
    }
}

/// A verifier for one connection: records the verdict, accepts the chain,
/// checks handshake signatures for real.
#[derive(Debug)]
pub(crate) struct Recorder {
    trust: Arc<Trust>,
    outcome: Mutex<Option<TlsInfo>>,
}

impl Recorder {
    /// The recorded verdict plus the session's version.
    pub fn info(&self, conn: &ClientConnection) -> TlsInfo {
        let mut info = self
            .outcome
            .lock()
            .map(|o| o.clone())
            .ok()
            .flatten()
            .unwrap_or_else(|| TlsInfo {
                version: None,
                chain_length: 0,
                subject: None,
                issuer: None,
                names: Vec::new(),
                not_after: None,
                expired: false,
                self_signed: false,
                bad_chain: true,
                bad_hostname: false,
                publicly_trusted: false,
                custom_trusted: None,
                missing_intermediate: false,
                problems: vec!["the server sent no certificate".into()],
            });
        info.version = conn.protocol_version().map(|v| match v {
            rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_owned(),
            rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_owned(),
            other => format!("{other:?}"),
        });
        info
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let info = self
            .trust
            .classify(end_entity, intermediates, server_name, now);
        if let Ok(mut slot) = self.outcome.lock() {
            *slot = Some(info);
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.trust.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.trust.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.trust
            .provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
