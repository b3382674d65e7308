//! The TCP probe: connect, optionally send bytes, and read the reply when
//! there is something to look for in it (the `expect` text, or an
//! expectation on `tcp.received`).

use shipshape_catalog::TcpCheck;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Checkers;
use super::deadline::{Deadline, Phase};
use super::net;
use crate::result::{Details, TcpDetails};

/// Most reply bytes read.
const MAX_REPLY: usize = 64 * 1024;

/// Runs a TCP check. The reply is read only with `expect` (until it shows
/// up) or when `read_reply` asks for it because an expectation reads
/// `tcp.received` (then the first bytes are enough). Returns the reasons the reply
/// failed `expect`, if any; a connection failure or timeout is the error.
pub(crate) async fn probe(
    checkers: &Checkers,
    spec: &TcpCheck,
    read_reply: bool,
    deadline: &Deadline,
    details: &mut Details,
) -> Result<Vec<String>, String> {
    let mut stream =
        net::connect(&checkers.hosts, &spec.host, spec.port, deadline, details).await?;
    if let Some(send) = spec.send.as_deref().filter(|s| !s.is_empty()) {
        let (written, _) = deadline
            .run(Phase::Send, stream.write_all(send.as_bytes()))
            .await?;
        written.map_err(|e| format!("TCP: sending failed: {}", net::describe_io(&e)))?;
    }
    let expect = spec.expect.as_deref().filter(|e| !e.is_empty());
    if expect.is_none() && !read_reply {
        return Ok(Vec::new());
    }
    let needle = expect.map(str::as_bytes);
    let mut reply = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let mut closed = false;
    loop {
        let (read, took) = deadline.run(Phase::Reply, stream.read(&mut chunk)).await?;
        if reply.is_empty() {
            net::add(&mut details.timing.first_byte, took);
        }
        let n =
            read.map_err(|e| format!("TCP: reading the reply failed: {}", net::describe_io(&e)))?;
        if n == 0 {
            closed = true;
            break;
        }
        let room = MAX_REPLY - reply.len();
        reply.extend_from_slice(&chunk[..n.min(room)]);
        let found = needle.is_none_or(|needle| contains(&reply, needle));
        if found || reply.len() >= MAX_REPLY {
            break;
        }
    }
    let received = String::from_utf8_lossy(&reply).into_owned();
    let mut problems = Vec::new();
    if let Some(expect) = expect.filter(|e| !contains(&reply, e.as_bytes())) {
        let how = if closed {
            "the connection closed before"
        } else {
            "the reply does not contain"
        };
        problems.push(format!("TCP: {how} `{expect}`; got {}", snippet(&received)));
    }
    details.tcp = Some(TcpDetails { received });
    Ok(problems)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// The start of a reply, quoted, for a reason.
fn snippet(text: &str) -> String {
    const SHOWN: usize = 60;
    if text.is_empty() {
        return "nothing".into();
    }
    let cut: String = text.chars().take(SHOWN).collect();
    let more = if cut.len() < text.len() { "…" } else { "" };
    format!("{:?}{more}", cut)
}
