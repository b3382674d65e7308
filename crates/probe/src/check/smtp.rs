//! STARTTLS for SMTP (RFC 3207): read the `220` greeting, send `EHLO`,
//! look for `STARTTLS` among the extensions, send `STARTTLS` and wait for
//! `220`; the caller then shakes hands over the same connection. Lines and
//! replies are bounded, every wait runs against the check's deadline, and
//! nothing the server sends after its last plain-text reply is accepted.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::deadline::{Deadline, Phase};
use super::net;
use crate::result::Details;

/// Longest reply line read (RFC 5321 allows 512 bytes; servers exceed it).
const MAX_LINE: usize = 4096;
/// Most lines in one multi-line reply.
const MAX_LINES: usize = 100;
/// The name given in `EHLO`.
const EHLO: &[u8] = b"EHLO shipshape\r\n";

/// Upgrades `stream` to the point where a TLS handshake starts, recording
/// the time to the greeting as `first_byte`.
pub(crate) async fn starttls(
    stream: &mut TcpStream,
    deadline: &Deadline,
    details: &mut Details,
) -> Result<(), String> {
    let mut smtp = Smtp {
        stream,
        buf: Vec::with_capacity(1024),
    };
    let (greeting, took) = deadline.run(Phase::StartTls, smtp.reply()).await?;
    net::add(&mut details.timing.first_byte, took);
    greeting?.expect(220)?;
    let ehlo = deadline.run(Phase::StartTls, smtp.command(EHLO)).await?.0?;
    ehlo.expect(250)?;
    let offered = ehlo.lines.iter().skip(1).any(|line| {
        line.split_ascii_whitespace()
            .next()
            .is_some_and(|keyword| keyword.eq_ignore_ascii_case("STARTTLS"))
    });
    if !offered {
        return Err("smtp: server does not offer STARTTLS".into());
    }
    let go = deadline
        .run(Phase::StartTls, smtp.command(b"STARTTLS\r\n"))
        .await?
        .0?;
    go.expect(220)?;
    if !smtp.buf.is_empty() {
        // Bytes sent before the handshake would be read as if they came
        // over TLS: a known injection (CVE-2011-0411), so refuse.
        return Err("smtp: the server sent data after its STARTTLS reply".into());
    }
    Ok(())
}

/// The plain-text side of the connection.
struct Smtp<'a> {
    stream: &'a mut TcpStream,
    /// Bytes read but not yet consumed.
    buf: Vec<u8>,
}

/// One (possibly multi-line) reply: its code and the text of each line.
struct Reply {
    code: u16,
    lines: Vec<String>,
}

impl Smtp<'_> {
    /// Sends `line` and reads the reply.
    async fn command(&mut self, line: &[u8]) -> Result<Reply, String> {
        self.stream
            .write_all(line)
            .await
            .map_err(|e| format!("smtp: sending failed: {}", net::describe_io(&e)))?;
        self.reply().await
    }

    /// Reads a reply: lines `CODE-text` up to the last, `CODE text`.
    async fn reply(&mut self) -> Result<Reply, String> {
        let mut lines = Vec::new();
        loop {
            let line = self.line().await?;
            let code = line
                .get(..3)
                .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| format!("smtp: malformed reply {}", quoted(&line)))?;
            let (last, text) = match line.as_bytes().get(3) {
                None => (true, ""),
                Some(b' ') => (true, line.get(4..).unwrap_or_default()),
                Some(b'-') => (false, line.get(4..).unwrap_or_default()),
                Some(_) => return Err(format!("smtp: malformed reply {}", quoted(&line))),
            };
            lines.push(text.to_owned());
            if last {
                return Ok(Reply { code, lines });
            }
            if lines.len() >= MAX_LINES {
                return Err(format!("smtp: a reply of more than {MAX_LINES} lines"));
            }
        }
    }

    /// Reads one line, without its line end.
    async fn line(&mut self) -> Result<String, String> {
        let mut chunk = [0u8; 1024];
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let rest = self.buf.split_off(end + 1);
                let mut line = std::mem::replace(&mut self.buf, rest);
                line.truncate(end);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buf.len() > MAX_LINE {
                return Err(format!("smtp: a reply line longer than {MAX_LINE} bytes"));
            }
            let n = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|e| format!("smtp: reading failed: {}", net::describe_io(&e)))?;
            if n == 0 {
                return Err("smtp: connection closed by the server".into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

impl Reply {
    /// `Ok` if the reply has `code`, else `smtp: unexpected reply 554 …`.
    fn expect(&self, code: u16) -> Result<(), String> {
        if self.code == code {
            return Ok(());
        }
        let text = self.lines.first().map(String::as_str).unwrap_or_default();
        let text = printable(text);
        Err(if text.is_empty() {
            format!("smtp: unexpected reply {}", self.code)
        } else {
            format!("smtp: unexpected reply {} {text}", self.code)
        })
    }
}

/// Server text made safe to show: control characters dropped, at most 120
/// characters.
fn printable(text: &str) -> String {
    const SHOWN: usize = 120;
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    let mut shown: String = clean.chars().take(SHOWN).collect();
    if shown.len() < clean.len() {
        shown.push('…');
    }
    shown.trim().to_owned()
}

fn quoted(line: &str) -> String {
    format!("`{}`", printable(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_is_cut_and_cleaned() {
        assert_eq!(printable("mx ready\u{7}"), "mx ready");
        assert_eq!(printable(&"x".repeat(200)).chars().count(), 121);
    }

    #[test]
    fn an_unexpected_reply_names_code_and_text() {
        let reply = Reply {
            code: 554,
            lines: vec!["5.7.1 no service here".into()],
        };
        assert_eq!(
            reply.expect(220),
            Err("smtp: unexpected reply 554 5.7.1 no service here".into())
        );
        assert_eq!(reply.expect(554), Ok(()));
    }
}
