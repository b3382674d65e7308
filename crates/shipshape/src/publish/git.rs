//! Publishing to a branch of a Git repository (GitHub Pages style) with
//! the `git` command: a working clone is kept in a cache directory (one per
//! repository and branch); each publish fetches the branch (or starts it as
//! an orphan when the remote lacks it), replaces the files under `path`
//! with the export, commits when anything changed and pushes.
//!
//! A refresh that only renews the pages' "generated at" (nothing the public
//! sees changed) amends Shipshape's own last commit and pushes with a lease
//! instead of adding one, so keeping the copy fresh does not grow the
//! branch by a commit every few minutes. Git runs without a shell or a
//! terminal prompt, each command bounded by a timeout; errors name the
//! repository with any credentials in its URL redacted, and git's own
//! message.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::process::Command;

/// One git command, network ones included.
const GIT_TIMEOUT: Duration = Duration::from_secs(120);
/// The author and committer of every commit.
const AUTHOR_NAME: &str = "Shipshape";
const AUTHOR_EMAIL: &str = "shipshape@localhost";
/// Files at a branch's root that configure the host rather than belong to
/// the site, kept when the site replaces the root.
const KEEP_AT_ROOT: &[&str] = &[".git", "CNAME", ".nojekyll"];

/// Where to publish, resolved.
pub(super) struct Branch<'a> {
    /// URL or absolute path.
    pub repo: String,
    pub branch: &'a str,
    /// Directory inside the branch; `None` for its root.
    pub path: Option<&'a str>,
    pub message: &'a str,
}

/// What a publish did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Nothing differed from the branch; nothing pushed.
    Unchanged,
    /// A new commit was pushed.
    Committed(String),
    /// Shipshape's last commit was amended and pushed.
    Amended(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Unchanged => write!(f, "status page unchanged in the branch"),
            Outcome::Committed(id) => write!(f, "status page committed as {id} and pushed"),
            Outcome::Amended(id) => write!(f, "status page refreshed as {id} (amended) and pushed"),
        }
    }
}

/// Publishes the site in `site` to the branch, with its working clone
/// under `cache`. `refresh_only` says nothing the public sees changed since
/// the last publish, so Shipshape's own last commit may be amended.
pub(super) async fn publish(
    target: &Branch<'_>,
    site: &Path,
    cache: &Path,
    refresh_only: bool,
) -> Result<Outcome> {
    let work = cache.join(clone_name(&target.repo, target.branch));
    let git = Git {
        dir: work.clone(),
        repo: redact(&target.repo),
    };
    let result = run(&git, target, site, refresh_only).await;
    if result.is_err() {
        // Whatever state the clone was left in, the next try starts afresh.
        let _ = std::fs::remove_dir_all(&work);
    }
    result.with_context(|| {
        format!(
            "could not publish to branch `{}` of {}",
            target.branch, git.repo
        )
    })
}

async fn run(git: &Git, target: &Branch<'_>, site: &Path, refresh_only: bool) -> Result<Outcome> {
    let branch = target.branch;
    if !git.dir.join(".git").exists() {
        std::fs::create_dir_all(&git.dir)
            .with_context(|| format!("could not create {}", git.dir.display()))?;
        git.run(&["init", "--quiet"]).await?;
        git.run(&["remote", "add", "origin", &target.repo]).await?;
    } else {
        git.run(&["remote", "set-url", "origin", &target.repo])
            .await?;
    }
    let remote_ref = format!("refs/remotes/origin/{branch}");
    let heads = git
        .run(&[
            "ls-remote",
            "--heads",
            "origin",
            &format!("refs/heads/{branch}"),
        ])
        .await?;
    let exists = !heads.trim().is_empty();
    if exists {
        git.run(&[
            "fetch",
            "--quiet",
            // Two deep: amending the tip needs its parent.
            "--depth=2",
            "origin",
            &format!("+refs/heads/{branch}:{remote_ref}"),
        ])
        .await?;
        git.run(&["checkout", "--quiet", "--force", "-B", branch, &remote_ref])
            .await?;
    } else {
        git.run(&["symbolic-ref", "HEAD", &format!("refs/heads/{branch}")])
            .await?;
        let _ = git
            .run(&["update-ref", "-d", &format!("refs/heads/{branch}")])
            .await;
        git.run(&["read-tree", "--empty"]).await?;
    }
    git.run(&["clean", "--quiet", "-ffdx"]).await?;

    replace(&git.dir, target.path, site)?;
    let scope = target.path.unwrap_or(".");
    git.run(&["add", "--all", "--", scope]).await?;
    let status = git.run(&["status", "--porcelain"]).await?;
    if status.trim().is_empty() {
        return Ok(Outcome::Unchanged);
    }

    let amend = exists && refresh_only && git.head_is_ours(target.message).await;
    if amend {
        let old = git.run(&["rev-parse", "HEAD"]).await?;
        git.run(&[
            "commit",
            "--quiet",
            "--amend",
            "--no-verify",
            "-m",
            target.message,
        ])
        .await?;
        let lease = format!("--force-with-lease=refs/heads/{branch}:{}", old.trim());
        git.run(&[
            "push",
            "--quiet",
            &lease,
            "origin",
            &format!("HEAD:refs/heads/{branch}"),
        ])
        .await?;
    } else {
        git.run(&["commit", "--quiet", "--no-verify", "-m", target.message])
            .await?;
        git.run(&[
            "push",
            "--quiet",
            "origin",
            &format!("HEAD:refs/heads/{branch}"),
        ])
        .await?;
    }
    let id = git.run(&["rev-parse", "--short", "HEAD"]).await?;
    let id = id.trim().to_owned();
    Ok(if amend {
        Outcome::Amended(id)
    } else {
        Outcome::Committed(id)
    })
}

/// Replaces what is under `path` (or the root, keeping [`KEEP_AT_ROOT`])
/// in the working tree `work` with the site.
fn replace(work: &Path, path: Option<&str>, site: &Path) -> Result<()> {
    let dest = match path {
        Some(path) => {
            let dest = work.join(path);
            if dest.exists() {
                remove(&dest)?;
            }
            dest
        }
        None => {
            for entry in std::fs::read_dir(work)? {
                let entry = entry?;
                let name = entry.file_name();
                if KEEP_AT_ROOT.iter().any(|keep| name == *keep) {
                    continue;
                }
                remove(&entry.path())?;
            }
            work.to_path_buf()
        }
    };
    copy_dir(site, &dest)
        .with_context(|| format!("could not copy the site into {}", dest.display()))
}

fn remove(path: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
    .with_context(|| format!("could not remove {}", path.display()))
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// A working clone and the repository's name for messages.
struct Git {
    dir: PathBuf,
    repo: String,
}

impl Git {
    /// Runs `git ARGS` in the working clone; its standard output, or an
    /// error with git's message.
    async fn run(&self, args: &[&str]) -> Result<String> {
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_AUTHOR_NAME", AUTHOR_NAME)
            .env("GIT_AUTHOR_EMAIL", AUTHOR_EMAIL)
            .env("GIT_COMMITTER_NAME", AUTHOR_NAME)
            .env("GIT_COMMITTER_EMAIL", AUTHOR_EMAIL)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if std::env::var_os("GIT_SSH_COMMAND").is_none() {
            command.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
        }
        let verb = args.first().copied().unwrap_or("");
        let child = command
            .spawn()
            .context("could not run `git` (is it installed?)")?;
        let output = match tokio::time::timeout(GIT_TIMEOUT, child.wait_with_output()).await {
            Ok(output) => output.with_context(|| format!("`git {verb}` failed"))?,
            Err(_) => bail!("`git {verb}` timed out after {}s", GIT_TIMEOUT.as_secs()),
        };
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            bail!(
                "`git {verb}` failed ({}): {}",
                output.status,
                trimmed(&redact_all(&stderr), 500)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Whether HEAD is a commit Shipshape made with `message`.
    async fn head_is_ours(&self, message: &str) -> bool {
        let Ok(head) = self.run(&["log", "-1", "--format=%ae%n%s"]).await else {
            return false;
        };
        let mut lines = head.lines();
        lines.next() == Some(AUTHOR_EMAIL) && lines.next() == message.lines().next().or(Some(""))
    }
}

/// The working clone's directory name: readable, and unique to the
/// repository and branch (FNV-1a of both).
fn clone_name(repo: &str, branch: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in repo.bytes().chain([0]).chain(branch.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let tail: String = redact(repo)
        .rsplit(['/', ':'])
        .find(|part| !part.is_empty())
        .unwrap_or("repo")
        .trim_end_matches(".git")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(40)
        .collect();
    let branch: String = branch
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    format!("git-{tail}-{branch}-{hash:016x}")
}

/// The repository for messages: a URL's user name and password replaced by
/// `***`.
pub(super) fn redact(repo: &str) -> String {
    match url::Url::parse(repo) {
        Ok(mut url) if repo.contains("://") => {
            if !url.username().is_empty() || url.password().is_some() {
                let _ = url.set_username("***");
                let _ = url.set_password(None);
            }
            url.to_string()
        }
        _ => repo.to_owned(),
    }
}

/// Git's messages with any `scheme://user:secret@` in them redacted.
fn redact_all(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '/'))
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(userinfo) => {
                out.push_str("***");
                rest = &tail[userinfo..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// `text` trimmed, at most `max` characters.
fn trimmed(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted() {
        assert_eq!(
            redact("https://x-access-token:ghp_secret@github.com/acme/status.git"), // shipshape:allow-secret: a fake credential for the test
            "https://***@github.com/acme/status.git"
        );
        assert_eq!(
            redact("git@github.com:acme/status.git"),
            "git@github.com:acme/status.git"
        );
        assert_eq!(redact("/srv/git/status.git"), "/srv/git/status.git");
        let message =
            "fatal: unable to access 'https://bot:ghp_secret@github.com/acme/s.git/': 403"; // shipshape:allow-secret: a fake credential for the test
        let redacted = redact_all(message);
        assert!(!redacted.contains("ghp_secret"), "{redacted}");
        assert!(
            redacted.contains("https://***@github.com/acme/s.git/"),
            "{redacted}"
        );
    }

    #[test]
    fn clone_names_differ_by_repo_and_branch() {
        let a = clone_name("/srv/git/status.git", "gh-pages");
        assert!(a.starts_with("git-status-gh-pages-"), "{a}");
        assert_ne!(a, clone_name("/srv/git/status.git", "main"));
        assert_ne!(a, clone_name("/srv/other/status.git", "gh-pages"));
    }

    #[test]
    fn long_messages_are_cut() {
        assert_eq!(trimmed("  short \n", 500), "short");
        assert_eq!(trimmed(&"x".repeat(600), 500).chars().count(), 500);
    }
}
