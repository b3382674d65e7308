//! The static export: the whole public site as files that work from any
//! static host under any path prefix (every link is relative) —
//! `index.html`, `history.html`, `incidents/{id}.html`,
//! `maintenance/{id}.html`, `style.css`, the JSON API under `api/v2/`
//! (every [`crate::json::ENDPOINTS`] entry), the feeds (`history.atom`,
//! `history.rss`) and the badges (`badge/status.svg` for the page,
//! `badge/components/{id}.svg` for a component's status,
//! `badge/uptime/{id}.svg` for its 90-day uptime).
//!
//! The site is built in a fresh directory next to `out` and then moved into
//! place in one step (on Linux the old and new directories are exchanged
//! atomically with `renameat2(RENAME_EXCHANGE)`; elsewhere, or on file
//! systems without it, the old copy is renamed aside first and removed only
//! after the new one is in place), so a reader never sees a half-written
//! site and a failed export leaves the previous copy untouched.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::SignedDuration;

use crate::html::{self, Links};
use crate::model::Snapshot;

/// How to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOptions {
    /// How old the copy may get before its pages tell readers (with a
    /// small inline script) that it may be out of date. Set it a little
    /// above the interval the export runs at.
    pub stale_after: SignedDuration,
}

impl Default for ExportOptions {
    /// Warn after 15 minutes.
    fn default() -> ExportOptions {
        ExportOptions {
            stale_after: SignedDuration::from_mins(15),
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExportReport {
    /// How many files.
    pub files: usize,
    /// How many bytes, all files together.
    pub bytes: u64,
}

/// Writes the site for `snapshot` to the directory `out`, replacing what
/// was there as a whole (see the module's documentation). The parent of
/// `out` is created if missing and must be writable (the new copy is built
/// there).
pub fn export(
    snapshot: &Snapshot,
    out: &Path,
    options: &ExportOptions,
) -> io::Result<ExportReport> {
    let name = out.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("cannot export to {}: no directory name", out.display()),
        )
    })?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let staging = Staging::create(&parent, &name.to_string_lossy())?;
    let report = write_site(snapshot, &staging.path, options)?;
    staging.swap_into(out)?;
    Ok(report)
}

/// Every file of the site, written under `root`.
fn write_site(
    snapshot: &Snapshot,
    root: &Path,
    options: &ExportOptions,
) -> io::Result<ExportReport> {
    let mut site = Site {
        root,
        report: ExportReport::default(),
    };
    let links = Links::static_copy(options.stale_after);

    site.write("index.html", html::page(snapshot, &links).as_bytes())?;
    site.write(
        "history.html",
        html::history_page(snapshot, &links).as_bytes(),
    )?;
    site.write("style.css", html::STYLESHEET.as_bytes())?;

    let mut done = std::collections::HashSet::new();
    for incident in &snapshot.incidents {
        if done.insert(incident.id)
            && let Some(page) = html::incident_page(snapshot, incident.id, &links)
        {
            site.write(&html::incident_file(incident.id), page.as_bytes())?;
        }
    }
    done.clear();
    for maintenance in &snapshot.maintenances {
        if done.insert(maintenance.id)
            && let Some(page) = html::maintenance_page(snapshot, maintenance.id, &links)
        {
            site.write(&html::maintenance_file(maintenance.id), page.as_bytes())?;
        }
    }

    for (path, render) in crate::json::ENDPOINTS {
        let path = path.trim_start_matches('/');
        let path = path.strip_prefix("api/v2/").unwrap_or(path);
        let body = serde_json::to_vec(&render(snapshot)).map_err(io::Error::other)?;
        site.write(&format!("api/v2/{path}"), &body)?;
    }

    site.write("history.atom", crate::feed::atom(snapshot).as_bytes())?;
    site.write("history.rss", crate::feed::rss(snapshot).as_bytes())?;

    site.write(
        "badge/status.svg",
        crate::badge::overall_badge(snapshot).as_bytes(),
    )?;
    for component in &snapshot.components {
        if let Some(svg) = crate::badge::component_badge(snapshot, &component.id) {
            site.write(
                &format!("badge/components/{}.svg", component.id),
                svg.as_bytes(),
            )?;
        }
        if let Some(svg) = crate::badge::uptime_badge_for(snapshot, &component.id, 90) {
            site.write(
                &format!("badge/uptime/{}.svg", component.id),
                svg.as_bytes(),
            )?;
        }
    }

    Ok(site.report)
}

/// Files being written under a root, counted.
struct Site<'a> {
    root: &'a Path,
    report: ExportReport,
}

impl Site<'_> {
    /// Writes `contents` to `relative` (a `/`-separated path under the
    /// root), creating directories as needed.
    fn write(&mut self, relative: &str, contents: &[u8]) -> io::Result<()> {
        let mut path = self.root.to_path_buf();
        for part in relative.split('/') {
            if part.is_empty() || part == "." || part == ".." {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("bad export path {relative:?}"),
                ));
            }
            path.push(part);
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&path, contents)?;
        self.report.files += 1;
        self.report.bytes += contents.len() as u64;
        Ok(())
    }
}

/// A fresh directory next to the destination, removed unless it was moved
/// into place.
struct Staging {
    path: PathBuf,
}

impl Staging {
    fn create(parent: &Path, name: &str) -> io::Result<Staging> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = parent.join(format!(".{name}.export-{}-{nanos}-{n}", std::process::id()));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(Staging { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Puts the staged site at `out`, replacing any previous copy.
    fn swap_into(self, out: &Path) -> io::Result<()> {
        match fs::symlink_metadata(out) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Once renamed, dropping `self` finds nothing to remove.
                return fs::rename(&self.path, out);
            }
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        if exchange(&self.path, out)? {
            // The staging path now holds the previous copy: dropping
            // `self` removes it.
            return Ok(());
        }
        // No atomic exchange: move the old copy aside, the new one in, and
        // only then remove the old one (put back if the move fails).
        let mut aside = self.path.clone().into_os_string();
        aside.push(".old");
        let aside = PathBuf::from(aside);
        fs::rename(out, &aside)?;
        if let Err(e) = fs::rename(&self.path, out) {
            let _ = fs::rename(&aside, out);
            return Err(e);
        }
        let _ = remove(&aside);
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = remove(&self.path);
    }
}

fn remove(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Exchanges `a` and `b` atomically; `Ok(false)` where that is not
/// supported.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;

    let invalid = |_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte");
    let a = CString::new(a.as_os_str().as_bytes()).map_err(invalid)?;
    let b = CString::new(b.as_os_str().as_bytes()).map_err(invalid)?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the
    // call; renameat2 only reads them.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => Ok(false),
        _ => Err(err),
    }
}

/// Exchanges `a` and `b` atomically; `Ok(false)` where that is not
/// supported.
#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<bool> {
    Ok(false)
}
