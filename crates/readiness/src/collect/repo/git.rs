//! Which files git tracks: one `git ls-files -z` under a timeout, so the
//! collectors can tell "committed" from "lying in the checkout".

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Longest we wait for git, whatever the deadline.
const GIT_TIMEOUT: Duration = Duration::from_secs(10);

/// git's view of the repository.
#[derive(Debug)]
pub(crate) enum GitState {
    /// Inside a work tree: the tracked paths, relative to the root.
    Tracked(HashSet<String>),
    /// The root is not inside a git work tree.
    NotRepo,
    /// git could not answer (not installed, timed out, failed).
    Unavailable(String),
}

impl GitState {
    /// Whether `rel` is tracked; `None` when git cannot tell.
    pub(crate) fn is_tracked(&self, rel: &str) -> Option<bool> {
        match self {
            GitState::Tracked(set) => Some(set.contains(rel)),
            _ => None,
        }
    }

    /// Why tracking cannot be told, for reasons and evidence.
    pub(crate) fn why_unknown(&self) -> String {
        match self {
            GitState::Tracked(_) => String::new(),
            GitState::NotRepo => "not a git repository".to_owned(),
            GitState::Unavailable(why) => why.clone(),
        }
    }
}

/// Runs `git -C root ls-files -z`, waiting at most until `deadline` (and
/// never more than ten seconds).
pub(crate) fn tracked_files(root: &Path, deadline: Instant) -> GitState {
    let mut child = match Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z"])
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(err) => return GitState::Unavailable(format!("git could not be run: {err}")),
    };
    let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return GitState::Unavailable("git could not be run: no pipes".to_owned());
    };
    let out_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let limit = deadline.min(Instant::now() + GIT_TIMEOUT);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                break Err("git ls-files timed out".to_owned());
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("git ls-files failed: {err}"));
            }
        }
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    let status = match status {
        Ok(status) => status,
        Err(why) => return GitState::Unavailable(why),
    };
    if !status.success() {
        let err = String::from_utf8_lossy(&err);
        if err.contains("not a git repository") {
            return GitState::NotRepo;
        }
        let first = err.lines().next().unwrap_or("").trim().to_owned();
        return GitState::Unavailable(format!("git ls-files failed: {first}"));
    }
    let tracked = out
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    GitState::Tracked(tracked)
}
