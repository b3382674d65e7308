//! Getting a connection: resolve a host (IP literals and `localhost` skip
//! DNS; names go through one shared caching resolver), connect over TCP to
//! the first address that answers, and optionally shake hands over TLS.
//! Each step runs as a phase of the check's deadline and records its time.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use hickory_resolver::TokioResolver;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use jiff::Timestamp;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::cert::TlsClient;
use super::deadline::{Deadline, Phase};
use crate::result::{Details, TlsDetails};

/// How host names are turned into addresses.
#[derive(Debug)]
pub(crate) enum HostResolver {
    /// A hickory resolver with a cache, asking the configured name server.
    Hickory(Box<TokioResolver>),
    /// The operating system's `getaddrinfo` (on tokio's blocking pool): it
    /// follows /etc/hosts and nsswitch like every other program on the host.
    /// Measured at ~40 µs CPU per lookup of a hosts-file name, where
    /// hickory's system-config mode took ~270 µs CPU and ~100 ms wall when
    /// the configured name server did not answer.
    System,
}

/// Connects to `host:port` within the deadline, recording `dns` and
/// `connect` timings and the peer address in `details`.
pub(crate) async fn connect(
    resolver: &HostResolver,
    host: &str,
    port: u16,
    deadline: &Deadline,
    details: &mut Details,
) -> Result<TcpStream, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return connect_any(&[SocketAddr::new(ip, port)], deadline, details).await;
    }
    if bare.eq_ignore_ascii_case("localhost") {
        let loopback = [
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
        ];
        return connect_any(&loopback, deadline, details).await;
    }
    let (addrs, took) = deadline
        .run(Phase::Dns, resolve(resolver, bare, port))
        .await?;
    add(&mut details.timing.dns, took);
    connect_any(&addrs?, deadline, details).await
}

/// Shakes hands over TLS with `server_name` using `config` (one of
/// `tls`'s), and describes the session and certificate (verified as of
/// `now`). The session is returned even when the chain did not verify:
/// the caller decides, and must not send anything over it then.
pub(crate) async fn handshake(
    tls: &TlsClient,
    config: Arc<ClientConfig>,
    stream: TcpStream,
    host: &str,
    now: Timestamp,
    deadline: &Deadline,
    details: &mut Details,
) -> Result<(TlsStream<TcpStream>, TlsDetails), String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let server_name = match bare.parse::<IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(bare.to_owned())
            .map_err(|_| format!("TLS: `{host}` is not a valid server name"))?,
    };
    let connector = TlsConnector::from(config);
    let (stream, took) = deadline
        .run(Phase::Tls, connector.connect(server_name.clone(), stream))
        .await?;
    add(&mut details.timing.tls, took);
    let stream = stream.map_err(|e| describe_handshake_error(&e))?;
    let session = tls.inspect(stream.get_ref().1, &server_name, now);
    Ok((stream, session))
}

/// Adds `took` to a phase timing (phases add up across redirects).
pub(crate) fn add(slot: &mut Option<std::time::Duration>, took: std::time::Duration) {
    *slot = Some(slot.unwrap_or_default() + took);
}

/// Describes an IO error the way a user reads it: `connection refused`,
/// `connection reset`, without the OS error number.
pub(crate) fn describe_io(err: &io::Error) -> String {
    let phrase = match err.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused",
        io::ErrorKind::ConnectionReset => "connection reset by peer",
        io::ErrorKind::ConnectionAborted => "connection aborted",
        io::ErrorKind::HostUnreachable => "host unreachable",
        io::ErrorKind::NetworkUnreachable => "network unreachable",
        io::ErrorKind::AddrNotAvailable => "address not available",
        io::ErrorKind::TimedOut => "timed out",
        io::ErrorKind::UnexpectedEof => "connection closed by peer",
        io::ErrorKind::BrokenPipe => "connection closed by peer",
        _ => {
            let text = err.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text);
            return lowercase_first(text);
        }
    };
    phrase.to_owned()
}

/// Resolves `name` to socket addresses.
async fn resolve(
    resolver: &HostResolver,
    name: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, String> {
    match resolver {
        HostResolver::Hickory(resolver) => match resolver.lookup_ip(name).await {
            Ok(lookup) => Ok(lookup.iter().map(|ip| SocketAddr::new(ip, port)).collect()),
            Err(err) => Err(describe_lookup_error(&err, name)),
        },
        HostResolver::System => match tokio::net::lookup_host((name, port)).await {
            Ok(addrs) => Ok(addrs.collect()),
            Err(err) => Err(format!(
                "DNS: cannot resolve `{name}`: {}",
                describe_io(&err)
            )),
        },
    }
}

/// Tries each address in turn; the first that accepts wins.
async fn connect_any(
    addrs: &[SocketAddr],
    deadline: &Deadline,
    details: &mut Details,
) -> Result<TcpStream, String> {
    let mut last = None;
    for &addr in addrs {
        let (stream, took) = deadline
            .run(Phase::Connect, TcpStream::connect(addr))
            .await?;
        add(&mut details.timing.connect, took);
        match stream {
            Ok(stream) => {
                // Best effort: a probe writes one small request.
                let _ = stream.set_nodelay(true);
                details.peer = Some(addr);
                return Ok(stream);
            }
            Err(err) => last = Some((addr, err)),
        }
    }
    Err(match last {
        Some((addr, err)) => format!("connect: {} ({addr})", describe_io(&err)),
        None => "DNS: the name has no addresses".to_owned(),
    })
}

/// `DNS: no such host `x``, and the like.
fn describe_lookup_error(err: &NetError, name: &str) -> String {
    match err {
        NetError::Dns(DnsError::NoRecordsFound(none))
            if none.response_code == ResponseCode::NXDomain =>
        {
            format!("DNS: no such host `{name}`")
        }
        NetError::Dns(DnsError::NoRecordsFound(_)) => {
            format!("DNS: `{name}` has no address records")
        }
        NetError::Dns(DnsError::ResponseCode(code)) => {
            format!(
                "DNS: resolving `{name}` failed: {}",
                super::dns::rcode_name(*code)
            )
        }
        NetError::Timeout => format!("DNS: no answer for `{name}` from the name servers"),
        other => format!("DNS: resolving `{name}` failed: {other}"),
    }
}

/// Describes a failed handshake; a rustls error inside the IO error says
/// more than its wrapper.
fn describe_handshake_error(err: &io::Error) -> String {
    if let Some(alert) = describe_client_cert_alert(err) {
        return alert;
    }
    if let Some(inner) = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        return format!("TLS: handshake failed: {inner}");
    }
    format!("TLS: handshake failed: {}", describe_io(err))
}

/// Says so when the server refused the session over the client
/// certificate: it sent none that the server wanted (`certificate
/// required`), or the server did not accept the one sent. With TLS 1.3 the
/// client learns this only on its first read after the handshake, so HTTP
/// errors are checked for it too.
pub(crate) fn describe_client_cert_alert(err: &io::Error) -> Option<String> {
    use rustls::AlertDescription as Alert;
    const CLIENT_CERT_ALERTS: [Alert; 8] = [
        Alert::CertificateRequired,
        Alert::BadCertificate,
        Alert::UnsupportedCertificate,
        Alert::CertificateRevoked,
        Alert::CertificateExpired,
        Alert::CertificateUnknown,
        Alert::UnknownCA,
        Alert::AccessDenied,
    ];
    let alert = match err.get_ref()?.downcast_ref::<rustls::Error>() {
        Some(rustls::Error::AlertReceived(alert)) => *alert,
        Some(_) => return None,
        // HTTP/2 keeps only the text of an IO error: rustls's
        // `received fatal alert: CertificateRequired`.
        None => {
            let text = err.to_string();
            let name = text.strip_prefix("received fatal alert: ")?;
            CLIENT_CERT_ALERTS
                .into_iter()
                .find(|alert| format!("{alert:?}") == name)?
        }
    };
    match alert {
        Alert::CertificateRequired => Some(
            "TLS: the server requires a client certificate; set `client_cert` and `client_key`"
                .into(),
        ),
        Alert::BadCertificate
        | Alert::UnsupportedCertificate
        | Alert::CertificateRevoked
        | Alert::CertificateExpired
        | Alert::CertificateUnknown
        | Alert::UnknownCA
        | Alert::AccessDenied => Some(format!(
            "TLS: the server refused the client certificate (alert: {})",
            alert_name(alert)
        )),
        _ => None,
    }
}

/// An alert as the TLS specification names it: `unknown_ca`.
fn alert_name(alert: rustls::AlertDescription) -> String {
    let debug = format!("{alert:?}");
    let mut name = String::with_capacity(debug.len() + 4);
    for (i, c) in debug.char_indices() {
        if c.is_ascii_uppercase()
            && i > 0
            && !debug[..i].ends_with(|p: char| p.is_ascii_uppercase())
        {
            name.push('_');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_read_without_os_numbers() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(describe_io(&refused), "connection refused");
        // ENOENT: "No such file or directory (os error 2)".
        let other = io::Error::from_raw_os_error(2);
        assert_eq!(describe_io(&other), "no such file or directory");
    }
}
