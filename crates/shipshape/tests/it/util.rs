//! Helpers: run the real binary in a fresh temp directory, capture its
//! output, find the port it bound, send it signals.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// The binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_shipshape"))
}

/// Runs the binary to completion in `dir`.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    bin()
        .args(args)
        .current_dir(dir)
        .env_remove("SHIPSHAPE_STORE_URL")
        .output()
        .expect("the shipshape binary runs")
}

/// A smallest valid catalog with one service.
pub fn catalog_with_services(ids: &[&str]) -> String {
    let mut toml = String::from("[store]\nurl = \"sqlite://shipshape.db\"\n");
    for id in ids {
        toml.push_str(&format!(
            "\n[[service]]\nid = \"{id}\"\nname = \"Service {id}\"\n\n  [[service.component]]\n  id = \"web\"\n"
        ));
    }
    toml
}

/// A running `shipshape` process whose output is captured.
pub struct Running {
    child: Child,
    output: Arc<Mutex<Vec<String>>>,
    /// The base URL it listens on.
    pub base: String,
}

impl Running {
    /// Starts `shipshape ARGS` in `dir` and waits for it to print the address it bound.
    pub fn start(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Running {
        let mut child = bin()
            .args(args)
            .current_dir(dir)
            .envs(envs.iter().copied())
            .env_remove("SHIPSHAPE_STORE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the shipshape binary starts");
        let output = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    output.lock().unwrap().push(line);
                }
            });
        }
        let mut running = Running {
            child,
            output,
            base: String::new(),
        };
        let line = running.wait_for_line("listening on ", Duration::from_secs(60));
        running.base = line
            .split("listening on ")
            .nth(1)
            .unwrap()
            .trim()
            .to_owned();
        running
    }

    /// Everything printed so far, stdout and stderr interleaved.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().join("\n")
    }

    /// Waits until a printed line contains `needle`, and returns it.
    pub fn wait_for_line(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(line) = self
                .output
                .lock()
                .unwrap()
                .iter()
                .find(|l| l.contains(needle))
            {
                return line.clone();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "shipshape exited ({status}) before printing `{needle}`:\n{}",
                    self.output()
                );
            }
            assert!(
                Instant::now() < deadline,
                "shipshape did not print `{needle}` within {limit:?}:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends a signal by name (`HUP`, `TERM`, …).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Kills it with SIGKILL (no graceful stop: nothing is released) and
    /// waits for the exit.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL is delivered");
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn stop(mut self) -> ExitStatus {
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "shipshape did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where tests leave artifacts (screenshots): `$SHIPSHAPE_TEST_ARTIFACTS`,
/// else `test-artifacts/` at the workspace root.
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("SHIPSHAPE_TEST_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Creates an API token through the CLI and returns it.
pub fn create_token(dir: &Path, role: &str) -> String {
    let out = run(
        dir,
        &[
            "token",
            "create",
            "--config",
            "shipshape.toml",
            "--role",
            role,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A blocking HTTP client with a timeout.
pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Polls `check` until it holds or `limit` passes.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    check()
}

/// A real SMTP server (Python's aiosmtpd, installed by
/// scripts/prepare-test-env.sh) on a free loopback port, storing mail in a
/// maildir; with `tls` (certificate and key files) it offers STARTTLS.
pub struct SmtpSink {
    child: Child,
    /// Where it listens on 127.0.0.1.
    pub port: u16,
    maildir: PathBuf,
}

impl SmtpSink {
    /// Starts it with its maildir under `dir`.
    pub fn start(dir: &Path, tls: Option<(&Path, &Path)>) -> SmtpSink {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = dir.join("maildir");
        let mut args: Vec<String> = ["-m", "aiosmtpd", "-n", "-l"].map(str::to_owned).to_vec();
        args.push(format!("127.0.0.1:{port}"));
        if let Some((cert, key)) = tls {
            args.extend([
                "--tlscert".to_owned(),
                cert.display().to_string(),
                "--tlskey".to_owned(),
                key.display().to_string(),
            ]);
        }
        args.extend([
            "-c".to_owned(),
            "aiosmtpd.handlers.Mailbox".to_owned(),
            maildir.display().to_string(),
        ]);
        let child = Command::new("python3")
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd runs (scripts/prepare-test-env.sh installs it)");
        assert!(
            eventually(Duration::from_secs(15), || std::net::TcpStream::connect((
                "127.0.0.1",
                port
            ))
            .is_ok()),
            "aiosmtpd did not start"
        );
        SmtpSink {
            child,
            port,
            maildir,
        }
    }

    /// Every message received so far, oldest first, with the time it was
    /// stored; headers unfolded and quoted-printable soft breaks and `=3D`
    /// undone, enough to read headers and find links.
    pub fn messages(&self) -> Vec<(String, std::time::SystemTime)> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut out: Vec<(String, std::time::SystemTime)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let at = e.metadata().ok()?.modified().ok()?;
                let text = std::fs::read_to_string(e.path())
                    .ok()?
                    .replace("\r\n", "\n")
                    .replace("\n ", " ")
                    .replace("\n\t", " ")
                    .replace("=\n", "")
                    .replace("=3D", "=");
                Some((text, at))
            })
            .collect();
        out.sort_by_key(|(_, at)| *at);
        out
    }

    /// The messages addressed to `to`, oldest first.
    pub fn mail_to(&self, to: &str) -> Vec<String> {
        self.messages()
            .into_iter()
            .map(|(text, _)| text)
            .filter(|text| text.lines().any(|l| l.starts_with("To:") && l.contains(to)))
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request a [`Sink`] received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: SystemTime,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A loopback HTTP receiver recording every request (answers 202).
pub struct Sink {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Received>>>,
}

impl Sink {
    pub fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let record = record.clone();
                std::thread::spawn(move || {
                    if let Some(received) = read_request(stream) {
                        record.lock().unwrap().push(received);
                    }
                });
            }
        });
        Sink { port, seen }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn at(&self, path: &str) -> Vec<Received> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

/// Reads one HTTP/1.1 request and answers 202.
fn read_request(stream: TcpStream) -> Option<Received> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let at = SystemTime::now();
    let mut stream = reader.into_inner();
    let _ = stream.write_all(
        b"HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
    );
    Some(Received {
        path,
        headers,
        body,
        at,
    })
}

/// Waits (up to `limit`) until `server` answers `/readyz` with 200; panics
/// with its log otherwise.
pub fn wait_ready(server: &Running, limit: Duration) {
    assert!(
        eventually(limit, || http()
            .get(format!("{}/readyz", server.base))
            .send()
            .is_ok_and(|r| r.status() == 200)),
        "not ready:\n{}",
        server.output()
    );
}
