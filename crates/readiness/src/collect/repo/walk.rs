//! The one walk over a repository: lists files, keeps the text of the files
//! collectors parse (manifests, CI, docs), and scans tracked text files for
//! secrets on the way. Parallel, deadline-aware, never follows symlinks.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

use super::git::GitState;
use super::secrets::{self, Hit};
use super::{RepoOptions, RepoProgress, SKIPPED_DIRS, file_name};

/// How many bytes are looked at for a NUL to call a file binary.
const BINARY_SNIFF: usize = 8 * 1024;
/// Progress is reported every this many files.
const PROGRESS_EVERY: u64 = 256;

/// What the walk saw.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    /// Every regular file walked, relative to the root, sorted.
    pub(crate) files: Vec<String>,
    /// The text of the files collectors parse.
    pub(crate) texts: HashMap<String, String>,
    /// Files collectors would parse but that could not be read, and why.
    pub(crate) unread: HashMap<String, String>,
    /// Files whose content was not looked at: `path: reason`, sorted.
    pub(crate) skipped: Vec<String>,
    /// Secrets found in scanned files.
    pub(crate) secret_hits: Vec<Hit>,
    /// How many files were scanned for secrets.
    pub(crate) secret_scanned: u64,
    /// Problems the walker met (unreadable folders, loops), sorted.
    pub(crate) walk_errors: Vec<String>,
    /// Files visited.
    pub(crate) files_seen: u64,
    /// Whether the walk stopped at the deadline.
    pub(crate) deadline_hit: bool,
}

impl Inventory {
    /// The text of `rel`, or why it is missing (`None` when the file was
    /// not walked at all).
    pub(crate) fn text(&self, rel: &str) -> Option<Result<&str, &str>> {
        if let Some(text) = self.texts.get(rel) {
            return Some(Ok(text));
        }
        self.unread.get(rel).map(|why| Err(why.as_str()))
    }

    /// Walked files whose content collectors may ask for, in path order.
    pub(crate) fn parsed_files(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .map(String::as_str)
            .filter(|f| self.texts.contains_key(*f) || self.unread.contains_key(*f))
    }
}

/// Whether collectors need the text of this file.
pub(crate) fn is_interesting(rel: &str) -> bool {
    let name = file_name(rel);
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    const NAMES: &[&str] = &[
        "cargo.toml",
        "package.json",
        "pyproject.toml",
        "pipfile",
        "go.mod",
        "gemfile",
        "procfile",
        "makefile",
        "gnumakefile",
        "justfile",
        ".justfile",
        "security.txt",
    ];
    NAMES.contains(&lower.as_str())
        || matches!(
            ext,
            "yml" | "yaml" | "md" | "markdown" | "rst" | "adoc" | "mk"
        )
        || (lower.starts_with("requirements") && ext == "txt")
        || is_dockerfile(name)
        || name == ".env"
        || name.starts_with(".env.")
        || lower.starts_with("readme")
        || lower.starts_with("contact")
        || lower.starts_with("support")
        || lower.starts_with("security")
        || lower.starts_with("deploy")
        || rel.starts_with("bin/")
        || rel.starts_with("scripts/")
        || rel.starts_with("script/")
        || (ext == "sh" && !rel.contains('/'))
}

/// `Dockerfile`, `Dockerfile.*` and `*.Dockerfile` (not `*.dockerignore`).
pub(crate) fn is_dockerfile(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !lower.ends_with(".dockerignore")
        && (lower == "dockerfile"
            || lower.starts_with("dockerfile.")
            || lower.ends_with(".dockerfile"))
}

/// Walks `root` once.
pub(crate) fn walk(
    root: &Path,
    opts: &RepoOptions,
    git: &GitState,
    deadline: Instant,
    progress: &(dyn Fn(RepoProgress) + Sync),
) -> Inventory {
    let mut inv = Inventory::default();
    let exclude = match exclude_set(&opts.exclude) {
        Ok(set) => set,
        Err(err) => {
            inv.walk_errors.push(format!("bad exclude glob: {err}"));
            GlobSet::empty()
        }
    };
    let root_buf: PathBuf = root.to_path_buf();
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .follow_links(false)
        .require_git(false)
        .parents(true)
        .threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(8)))
        .filter_entry(move |entry| keep(&root_buf, &exclude, entry));
    let shared = Shared {
        root,
        max: opts.max_file_bytes,
        git,
        deadline,
        progress,
        seen: AtomicU64::new(0),
        read: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    };
    let (tx, rx) = mpsc::channel();
    builder.build_parallel().visit(&mut Builder {
        shared: &shared,
        tx,
    });
    for part in rx.try_iter() {
        merge(&mut inv, part);
    }
    inv.files_seen = shared.seen.load(Ordering::Relaxed);
    inv.deadline_hit = shared.stop.load(Ordering::Relaxed);
    inv.files.sort();
    inv.skipped.sort();
    inv.walk_errors.sort();
    inv.secret_hits
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    progress(RepoProgress {
        files_seen: inv.files_seen,
        files_read: shared.read.load(Ordering::Relaxed),
        bytes_read: shared.bytes.load(Ordering::Relaxed),
        done: true,
    });
    inv
}

fn exclude_set(globs: &[String]) -> Result<GlobSet, globset::Error> {
    let mut set = GlobSetBuilder::new();
    for glob in globs {
        let glob = glob.trim_start_matches("./").trim_end_matches('/');
        set.add(GlobBuilder::new(glob).literal_separator(true).build()?);
    }
    set.build()
}

fn keep(root: &Path, exclude: &GlobSet, entry: &DirEntry) -> bool {
    if entry.depth() == 0 {
        return true;
    }
    let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
    if is_dir
        && let Some(name) = entry.file_name().to_str()
        && SKIPPED_DIRS.contains(&name)
    {
        return false;
    }
    if exclude.is_empty() {
        return true;
    }
    match entry.path().strip_prefix(root) {
        Ok(rel) => !exclude.is_match(rel),
        Err(_) => true,
    }
}

struct Shared<'s> {
    root: &'s Path,
    max: u64,
    git: &'s GitState,
    deadline: Instant,
    progress: &'s (dyn Fn(RepoProgress) + Sync),
    seen: AtomicU64,
    read: AtomicU64,
    bytes: AtomicU64,
    stop: AtomicBool,
}

struct Builder<'s> {
    shared: &'s Shared<'s>,
    tx: mpsc::Sender<Inventory>,
}

impl<'s> ParallelVisitorBuilder<'s> for Builder<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor {
            shared: self.shared,
            tx: self.tx.clone(),
            local: Inventory::default(),
        })
    }
}

struct Visitor<'s> {
    shared: &'s Shared<'s>,
    tx: mpsc::Sender<Inventory>,
    local: Inventory,
}

impl Drop for Visitor<'_> {
    fn drop(&mut self) {
        let _ = self.tx.send(std::mem::take(&mut self.local));
    }
}

impl ParallelVisitor for Visitor<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        let shared = self.shared;
        if shared.stop.load(Ordering::Relaxed) {
            return WalkState::Quit;
        }
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                self.local.walk_errors.push(err.to_string());
                return WalkState::Continue;
            }
        };
        let Some(kind) = entry.file_type() else {
            return WalkState::Continue;
        };
        if !kind.is_file() {
            return WalkState::Continue;
        }
        if Instant::now() >= shared.deadline {
            shared.stop.store(true, Ordering::Relaxed);
            return WalkState::Quit;
        }
        let seen = shared.seen.fetch_add(1, Ordering::Relaxed) + 1;
        if seen.is_multiple_of(PROGRESS_EVERY) {
            (shared.progress)(RepoProgress {
                files_seen: seen,
                files_read: shared.read.load(Ordering::Relaxed),
                bytes_read: shared.bytes.load(Ordering::Relaxed),
                done: false,
            });
        }
        let rel = match entry.path().strip_prefix(shared.root) {
            Ok(rel) => rel
                .to_string_lossy()
                .replace(std::path::MAIN_SEPARATOR, "/"),
            Err(_) => return WalkState::Continue,
        };
        self.look_at(entry.path(), rel);
        WalkState::Continue
    }
}

impl Visitor<'_> {
    fn look_at(&mut self, path: &Path, rel: String) {
        let shared = self.shared;
        let interesting = is_interesting(&rel);
        let scan = secrets::wants(&rel) && shared.git.is_tracked(&rel).unwrap_or(true);
        if !interesting && !scan {
            self.local.files.push(rel);
            return;
        }
        let size = fs::symlink_metadata(path).map(|m| m.len()).unwrap_or(0);
        let why_not = if size > shared.max {
            Some(format!("too large ({size} bytes > {} bytes)", shared.max))
        } else {
            None
        };
        let content = match why_not {
            Some(why) => Err(why),
            None => match fs::read(path) {
                Ok(bytes) => {
                    shared.read.fetch_add(1, Ordering::Relaxed);
                    shared
                        .bytes
                        .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    if bytes[..bytes.len().min(BINARY_SNIFF)].contains(&0) {
                        Err("binary".to_owned())
                    } else {
                        Ok(String::from_utf8_lossy(&bytes).into_owned())
                    }
                }
                Err(err) => Err(format!("unreadable: {err}")),
            },
        };
        match content {
            Ok(text) => {
                if scan {
                    self.local.secret_scanned += 1;
                    self.local.secret_hits.extend(secrets::scan(&rel, &text));
                }
                if interesting {
                    self.local.texts.insert(rel.clone(), text);
                }
            }
            Err(why) => {
                self.local.skipped.push(format!("{rel}: {why}"));
                if interesting {
                    self.local.unread.insert(rel.clone(), why);
                }
            }
        }
        self.local.files.push(rel);
    }
}

fn merge(into: &mut Inventory, part: Inventory) {
    into.files.extend(part.files);
    into.texts.extend(part.texts);
    into.unread.extend(part.unread);
    into.skipped.extend(part.skipped);
    into.secret_hits.extend(part.secret_hits);
    into.secret_scanned += part.secret_scanned;
    into.walk_errors.extend(part.walk_errors);
}
