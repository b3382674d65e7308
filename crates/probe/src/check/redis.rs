//! The Redis probe, on a small RESP2 client of its own over TCP (or TLS for
//! `rediss://`): `AUTH` with the URL's user and password if it has one,
//! `SELECT` the URL's database, `PING` expecting `PONG`, then `INFO
//! replication` for the role and, on a replica, the link to the primary.
//! Replies are bounded (line length, bulk size), every wait runs against
//! the check's deadline, and nothing sent (the password) is ever echoed in
//! a reason.

use jiff::Timestamp;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use url::Url;

use super::Checkers;
use super::deadline::{Deadline, Phase};
use super::net;
use crate::result::{DatastoreDetails, Details, Role};

/// Longest reply line read (status, error, integer, length header).
const MAX_LINE: usize = 4096;
/// Largest bulk reply read (`INFO replication` is well under 1 KiB).
const MAX_BULK: usize = 64 * 1024;
/// The default port.
const DEFAULT_PORT: u16 = 6379;

/// Runs a Redis check against `raw` (a `redis://` or `rediss://` URL),
/// filling `details.datastore`; the error is why it failed.
pub(crate) async fn probe(
    checkers: &Checkers,
    raw: &str,
    now: Timestamp,
    deadline: &Deadline,
    details: &mut Details,
) -> Result<(), String> {
    let target = Target::parse(raw)?;
    let stream = net::connect(
        &checkers.hosts,
        &target.host,
        target.port,
        deadline,
        details,
    )
    .await?;
    if !target.tls {
        return talk(Resp::new(stream), &target, deadline, details).await;
    }
    let config = checkers.tls.config(false);
    let (stream, session) = net::handshake(
        &checkers.tls,
        config,
        stream,
        &target.host,
        now,
        deadline,
        details,
    )
    .await?;
    let problem = session.problem.clone();
    details.tls = Some(session);
    if let Some(problem) = problem {
        return Err(format!("TLS: {problem}"));
    }
    talk(Resp::new(stream), &target, deadline, details).await
}

/// What the URL says: where, how, and as whom.
struct Target {
    tls: bool,
    host: String,
    port: u16,
    user: Option<String>,
    password: Option<String>,
    db: u32,
}

impl Target {
    /// Reads `redis://[user:password@]host[:port][/db]`; errors never
    /// include the URL.
    fn parse(raw: &str) -> Result<Self, String> {
        let url = Url::parse(raw).map_err(|e| format!("redis: invalid URL: {e}"))?;
        let tls = match url.scheme() {
            "redis" => false,
            "rediss" => true,
            other => {
                return Err(format!(
                    "redis: the URL scheme `{other}` is not for redis; use `redis://` or `rediss://`"
                ));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("redis: the URL has no host")?
            .to_owned();
        let user = Some(decode(url.username(), "user name")?).filter(|u| !u.is_empty());
        let password = url
            .password()
            .map(|p| decode(p, "password"))
            .transpose()?
            .filter(|p| !p.is_empty());
        let path = url.path().trim_start_matches('/');
        let db = if path.is_empty() {
            0
        } else {
            path.parse::<u32>().map_err(|_| {
                "redis: the URL path must be a database number, e.g. `redis://host:6379/0`"
                    .to_owned()
            })?
        };
        Ok(Self {
            tls,
            port: url.port().unwrap_or(DEFAULT_PORT),
            host,
            user,
            password,
            db,
        })
    }
}

/// Logs in, pings and reads the replication section.
async fn talk<S>(
    mut conn: Resp<S>,
    target: &Target,
    deadline: &Deadline,
    details: &mut Details,
) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if let Some(password) = &target.password {
        let mut auth: Vec<&[u8]> = vec![b"AUTH"];
        auth.extend(target.user.as_deref().map(str::as_bytes));
        auth.push(password.as_bytes());
        let reply = deadline.run(Phase::Auth, conn.call(&auth)).await?.0?;
        reply.ok("AUTH")?;
    }
    if target.db != 0 {
        let db = target.db.to_string();
        let select: [&[u8]; 2] = [b"SELECT", db.as_bytes()];
        let reply = deadline.run(Phase::Auth, conn.call(&select)).await?.0?;
        reply.ok("SELECT")?;
    }
    let (reply, took) = deadline.run(Phase::Reply, conn.call(&[b"PING"])).await?;
    net::add(&mut details.timing.first_byte, took);
    match reply? {
        Reply::Simple(pong) if pong == "PONG" => {}
        Reply::Error(error) => return Err(format!("redis: {}", printable(&error))),
        other => {
            return Err(format!(
                "redis: unexpected reply to PING: {}",
                other.describe()
            ));
        }
    }
    let info: [&[u8]; 2] = [b"INFO", b"replication"];
    let reply = deadline.run(Phase::Reply, conn.call(&info)).await?.0?;
    details.datastore = Some(match reply {
        Reply::Bulk(text) => replication(&String::from_utf8_lossy(&text)),
        // INFO renamed away or denied by an ACL: the server is up, its
        // role just cannot be read.
        Reply::Error(error) => DatastoreDetails {
            note: Some(format!("INFO: {}", printable(&error))),
            ..DatastoreDetails::new("redis")
        },
        other => DatastoreDetails {
            note: Some(format!("INFO: unexpected reply {}", other.describe())),
            ..DatastoreDetails::new("redis")
        },
    });
    Ok(())
}

/// Reads `role`, `master_link_status`, `master_last_io_seconds_ago` and
/// `master_link_down_since_seconds` from `INFO replication`.
fn replication(info: &str) -> DatastoreDetails {
    let field = |name: &str| {
        info.lines()
            .filter_map(|line| line.trim_end().split_once(':'))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value)
    };
    let seconds = |name: &str| {
        field(name)
            .and_then(|v| v.parse::<i64>().ok())
            .and_then(|s| u64::try_from(s).ok())
            .map(std::time::Duration::from_secs)
    };
    let mut details = DatastoreDetails::new("redis");
    match field("role") {
        Some("master") => details.role = Some(Role::Primary),
        Some("slave" | "replica") => {
            details.role = Some(Role::Replica);
            let up = field("master_link_status").map(|s| s == "up");
            details.link_up = up;
            details.replication_lag = match up {
                Some(true) => seconds("master_last_io_seconds_ago"),
                _ => seconds("master_link_down_since_seconds"),
            };
        }
        Some(other) => details.note = Some(format!("unknown role `{}`", printable(other))),
        None => details.note = Some("INFO replication has no `role`".into()),
    }
    details
}

/// A RESP2 reply, as far as this client needs them.
#[derive(Debug, PartialEq)]
enum Reply {
    /// `+OK`.
    Simple(String),
    /// `-ERR …`.
    Error(String),
    /// `:42`.
    Integer(i64),
    /// `$n` then n bytes.
    Bulk(Vec<u8>),
    /// `$-1` or `*-1`.
    Nil,
}

impl Reply {
    /// `Ok` for `+OK`; the server's error, or what came instead, otherwise.
    fn ok(self, command: &str) -> Result<(), String> {
        match self {
            Reply::Simple(ok) if ok == "OK" => Ok(()),
            Reply::Error(error) => Err(format!("redis: {}", printable(&error))),
            other => Err(format!(
                "redis: unexpected reply to {command}: {}",
                other.describe()
            )),
        }
    }

    /// A short description for a reason.
    fn describe(&self) -> String {
        match self {
            Reply::Simple(text) => format!("`+{}`", printable(text)),
            Reply::Error(text) => format!("`-{}`", printable(text)),
            Reply::Integer(n) => format!("`:{n}`"),
            Reply::Bulk(bytes) => format!("a bulk string of {} bytes", bytes.len()),
            Reply::Nil => "nil".into(),
        }
    }
}

/// A RESP connection with a bounded read buffer.
struct Resp<S> {
    stream: S,
    /// Bytes read but not yet consumed.
    buf: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Resp<S> {
    fn new(stream: S) -> Self {
        Self {
            stream,
            buf: Vec::with_capacity(1024),
        }
    }

    /// Sends a command (an array of bulk strings) and reads its reply.
    async fn call(&mut self, args: &[&[u8]]) -> Result<Reply, String> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
        self.stream
            .write_all(&out)
            .await
            .map_err(|e| format!("redis: sending failed: {}", net::describe_io(&e)))?;
        self.reply().await
    }

    /// Reads one reply. Arrays and RESP3 types are not expected from the
    /// commands sent, and are refused.
    async fn reply(&mut self) -> Result<Reply, String> {
        let line = self.line().await?;
        let (kind, rest) = match line.split_first() {
            Some((kind, rest)) => (*kind, rest),
            None => return Err("redis: empty reply line".into()),
        };
        let text = || String::from_utf8_lossy(rest).into_owned();
        let number = || {
            std::str::from_utf8(rest)
                .ok()
                .and_then(|n| n.parse::<i64>().ok())
                .ok_or_else(|| format!("redis: malformed reply `{}`", printable(&text())))
        };
        match kind {
            b'+' => Ok(Reply::Simple(text())),
            b'-' => Ok(Reply::Error(text())),
            b':' => number().map(Reply::Integer),
            b'$' => match number()? {
                -1 => Ok(Reply::Nil),
                len if len < 0 => Err(format!("redis: malformed bulk length {len}")),
                len => {
                    let len = usize::try_from(len).unwrap_or(usize::MAX);
                    if len > MAX_BULK {
                        return Err(format!(
                            "redis: a reply of {len} bytes, more than the {MAX_BULK} read"
                        ));
                    }
                    let mut bulk = self.exact(len + 2).await?;
                    if !bulk.ends_with(b"\r\n") {
                        return Err("redis: malformed bulk reply".into());
                    }
                    bulk.truncate(len);
                    Ok(Reply::Bulk(bulk))
                }
            },
            b'*' if number()? == -1 => Ok(Reply::Nil),
            b'*' => Err("redis: unexpected array reply".into()),
            other => Err(format!(
                "redis: unexpected reply type `{}`",
                char::from(other).escape_default()
            )),
        }
    }

    /// Reads one line, without its `\r\n`.
    async fn line(&mut self) -> Result<Vec<u8>, String> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let rest = self.buf.split_off(end + 2);
                let mut line = std::mem::replace(&mut self.buf, rest);
                line.truncate(end);
                return Ok(line);
            }
            if self.buf.len() > MAX_LINE {
                return Err(format!("redis: a reply line longer than {MAX_LINE} bytes"));
            }
            self.fill().await?;
        }
    }

    /// Reads exactly `n` bytes (after what is buffered).
    async fn exact(&mut self, n: usize) -> Result<Vec<u8>, String> {
        while self.buf.len() < n {
            self.fill().await?;
        }
        let rest = self.buf.split_off(n);
        Ok(std::mem::replace(&mut self.buf, rest))
    }

    /// Reads what the server sent next into the buffer.
    async fn fill(&mut self) -> Result<(), String> {
        let mut chunk = [0u8; 4096];
        let n = self
            .stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("redis: reading failed: {}", net::describe_io(&e)))?;
        if n == 0 {
            return Err("redis: connection closed by the server".into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

/// Percent-decodes a URL's user name or password.
fn decode(text: &str, what: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("redis: the URL's {what} is not UTF-8"))
}

/// Server text made safe to show: control characters dropped, a trailing
/// period removed, at most 200 characters.
fn printable(text: &str) -> String {
    const SHOWN: usize = 200;
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    let mut shown: String = clean.chars().take(SHOWN).collect();
    if shown.len() < clean.len() {
        shown.push('…');
    }
    shown.trim().trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_port_credentials_and_database() {
        let t = Target::parse("redis://app:p%40ss@cache.internal:6380/2").expect("parses"); // shipshape:allow-secret: a fake credential for the test
        assert_eq!((t.host.as_str(), t.port, t.db), ("cache.internal", 6380, 2));
        assert_eq!(t.user.as_deref(), Some("app"));
        assert_eq!(t.password.as_deref(), Some("p@ss"));
        assert!(!t.tls);
        let t = Target::parse("rediss://:secret@h").expect("parses");
        assert_eq!((t.port, t.db, t.tls), (6379, 0, true));
        assert_eq!((t.user, t.password.as_deref()), (None, Some("secret")));
    }

    #[test]
    fn bad_urls_never_echo_the_password() {
        for raw in [
            "redis://:hunter2@h/x",
            "postgres://:hunter2@h",
            "redis://:hunter2@",
        ] {
            let err = Target::parse(raw).err().expect("refused");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn replication_reads_role_link_and_lag() {
        let primary = replication("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
        assert_eq!(primary.role, Some(Role::Primary));
        assert_eq!(primary.replication_lag, None);
        let replica = replication(
            "role:slave\r\nmaster_host:10.0.0.1\r\nmaster_link_status:up\r\nmaster_last_io_seconds_ago:3\r\n",
        );
        assert_eq!(replica.role, Some(Role::Replica));
        assert_eq!(replica.link_up, Some(true));
        assert_eq!(
            replica.replication_lag,
            Some(std::time::Duration::from_secs(3))
        );
        let down = replication(
            "role:slave\r\nmaster_link_status:down\r\nmaster_last_io_seconds_ago:-1\r\nmaster_link_down_since_seconds:120\r\n",
        );
        assert_eq!(down.link_up, Some(false));
        assert_eq!(
            down.replication_lag,
            Some(std::time::Duration::from_secs(120))
        );
    }

    #[tokio::test]
    async fn replies_are_read_and_bounded() {
        let (client, mut server) = tokio::io::duplex(1 << 20);
        let mut conn = Resp::new(client);
        server
            .write_all(b"+OK\r\n-ERR bad\r\n:7\r\n$3\r\nabc\r\n$-1\r\n")
            .await
            .expect("write");
        assert_eq!(conn.reply().await, Ok(Reply::Simple("OK".into())));
        assert_eq!(conn.reply().await, Ok(Reply::Error("ERR bad".into())));
        assert_eq!(conn.reply().await, Ok(Reply::Integer(7)));
        assert_eq!(conn.reply().await, Ok(Reply::Bulk(b"abc".to_vec())));
        assert_eq!(conn.reply().await, Ok(Reply::Nil));
        server.write_all(b"$99999999\r\n").await.expect("write");
        assert!(conn.reply().await.is_err_and(|e| e.contains("more than")));
        server
            .write_all(&vec![b'+'; MAX_LINE + 10])
            .await
            .expect("write");
        assert!(conn.reply().await.is_err_and(|e| e.contains("longer than")));
    }
}
