//! Which TLS versions a server accepts. TLS 1.2 and 1.3: a rustls
//! handshake offering only that version. TLS 1.0 and 1.1 (rustls cannot
//! speak them): a hand-built ClientHello of that version, then a look at
//! the first record back — a ServerHello of the same version means yes, an
//! alert, another version or a closed connection means no.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::fetch::{self, Ctx};
use crate::report::Measured;

/// An old protocol version, probed by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Legacy {
    Tls10,
    Tls11,
}

impl Legacy {
    fn wire(self) -> [u8; 2] {
        match self {
            Legacy::Tls10 => [3, 1],
            Legacy::Tls11 => [3, 2],
        }
    }
}

/// Whether the server at `ip:port` accepts a rustls handshake offering
/// only `version`.
pub(crate) async fn modern(
    ctx: &Ctx<'_>,
    ip: IpAddr,
    port: u16,
    host: &str,
    version: &'static rustls::SupportedProtocolVersion,
) -> Measured<bool> {
    let Some(budget) = ctx.budget() else {
        return Measured::Unknown("scan deadline exceeded".into());
    };
    let addr = SocketAddr::new(ip, port);
    let name = match fetch::server_name(host) {
        Ok(n) => n,
        Err(e) => return Measured::Unknown(e),
    };
    let (config, _) = ctx.trust.recording_config(Some(version));
    let attempt = async {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| Measured::Unknown(format!("connect {addr}: {}", fetch::io_text(&e))))?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        match connector.connect(name, tcp).await {
            Ok(_) => Ok(Measured::Known(true)),
            Err(e) => {
                let tls_refusal = e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                    .is_some()
                    || matches!(
                        e.kind(),
                        std::io::ErrorKind::UnexpectedEof
                            | std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::BrokenPipe
                    );
                if tls_refusal {
                    Ok(Measured::Known(false))
                } else {
                    Err(Measured::Unknown(format!(
                        "TLS handshake with {addr}: {}",
                        fetch::io_text(&e)
                    )))
                }
            }
        }
    };
    match tokio::time::timeout(budget, attempt).await {
        Ok(Ok(m) | Err(m)) => m,
        Err(_) => Measured::Unknown(format!("{addr}: timed out in the TLS handshake")),
    }
}

/// Whether the server at `ip:port` answers a `version` ClientHello with a
/// ServerHello of that version.
pub(crate) async fn legacy(
    ctx: &Ctx<'_>,
    ip: IpAddr,
    port: u16,
    host: &str,
    version: Legacy,
) -> Measured<bool> {
    let Some(budget) = ctx.budget() else {
        return Measured::Unknown("scan deadline exceeded".into());
    };
    let addr = SocketAddr::new(ip, port);
    let hello = client_hello(version, host);
    let attempt = async {
        let mut tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {}", fetch::io_text(&e)))?;
        tcp.write_all(&hello)
            .await
            .map_err(|e| format!("{addr}: cannot send the ClientHello: {e}"))?;
        let mut head = [0u8; 5];
        if let Err(e) = tcp.read_exact(&mut head).await {
            // A server that hangs up on an old ClientHello does not speak it.
            return match e.kind() {
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => {
                    Ok(false)
                }
                _ => Err(format!("{addr}: {e}")),
            };
        }
        match head[0] {
            // alert: handshake_failure, protocol_version…
            21 => Ok(false),
            22 => {
                let mut hs = [0u8; 6];
                if tcp.read_exact(&mut hs).await.is_err() {
                    return Ok(false);
                }
                // handshake type 2 = ServerHello; then 3 length bytes; then
                // the version the server chose.
                Ok(hs[0] == 2 && hs[4..6] == version.wire())
            }
            other => Err(format!(
                "{addr}: the reply is not TLS (first byte {other:#04x})"
            )),
        }
    };
    match tokio::time::timeout(budget, attempt).await {
        Ok(Ok(v)) => Measured::Known(v),
        Ok(Err(e)) => Measured::Unknown(e),
        Err(_) => Measured::Unknown(format!("{addr}: no reply to the ClientHello in time")),
    }
}

/// A ClientHello record offering only `version`, CBC and GCM suites an old
/// server would pick, SNI `host`, and the usual EC extensions.
fn client_hello(version: Legacy, host: &str) -> Vec<u8> {
    const SUITES: &[u16] = &[
        0xc02f, 0xc02b, 0xc013, 0xc014, 0xc009, 0xc00a, 0x0033, 0x0039, 0x002f, 0x0035, 0x000a,
        0x00ff,
    ];
    let mut body = Vec::new();
    body.extend_from_slice(&version.wire());
    // 32 random-enough bytes: no secrecy is needed, the handshake is
    // abandoned after the ServerHello.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    for i in 0..32u32 {
        body.push(((seed >> ((i % 16) * 8)) as u8) ^ (i as u8).wrapping_mul(31));
    }
    body.push(0); // session id
    push_u16(&mut body, (SUITES.len() * 2) as u16);
    for suite in SUITES {
        push_u16(&mut body, *suite);
    }
    body.extend_from_slice(&[1, 0]); // compression: null
    let mut ext = Vec::new();
    let is_name = host.parse::<IpAddr>().is_err() && !host.is_empty();
    if is_name {
        let name = host.as_bytes();
        let mut sni = Vec::new();
        push_u16(&mut sni, (name.len() + 3) as u16);
        sni.push(0);
        push_u16(&mut sni, name.len() as u16);
        sni.extend_from_slice(name);
        push_ext(&mut ext, 0x0000, &sni);
    }
    // supported_groups: x25519, secp256r1, secp384r1
    push_ext(&mut ext, 0x000a, &[0, 6, 0, 0x1d, 0, 0x17, 0, 0x18]);
    // ec_point_formats: uncompressed
    push_ext(&mut ext, 0x000b, &[1, 0]);
    push_u16(&mut body, ext.len() as u16);
    body.extend_from_slice(&ext);

    let mut handshake = vec![1];
    let len = body.len() as u32;
    handshake.extend_from_slice(&len.to_be_bytes()[1..]);
    handshake.extend_from_slice(&body);

    let mut record = vec![22, 3, 1];
    push_u16(&mut record, handshake.len() as u16);
    record.extend_from_slice(&handshake);
    record
}

fn push_u16(buf: &mut Vec<u8>, v: u16) {
    buf.extend_from_slice(&v.to_be_bytes());
}

fn push_ext(buf: &mut Vec<u8>, kind: u16, data: &[u8]) {
    push_u16(buf, kind);
    push_u16(buf, data.len() as u16);
    buf.extend_from_slice(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hello_lengths_add_up() {
        let hello = client_hello(Legacy::Tls11, "good.test");
        assert_eq!(hello[0], 22);
        let record_len = u16::from_be_bytes([hello[3], hello[4]]) as usize;
        assert_eq!(record_len, hello.len() - 5);
        assert_eq!(hello[5], 1);
        let hs_len = u32::from_be_bytes([0, hello[6], hello[7], hello[8]]) as usize;
        assert_eq!(hs_len, hello.len() - 9);
        assert_eq!(&hello[9..11], &[3, 2]);
    }
}
