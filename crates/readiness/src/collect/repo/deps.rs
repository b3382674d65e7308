//! `repo.dependencies`: every ecosystem found pins its dependencies — a
//! committed lockfile (Cargo, npm/yarn/pnpm, Python, Go, Ruby), `==`-pinned
//! and hashed requirements files, Docker base images by digest, and GitHub
//! Actions by commit SHA. One finding per package ecosystem, per
//! Dockerfile and per workflow file.
//!
//! Decisions: a lockfile may sit in the manifest's folder or an ancestor
//! (workspaces) for Cargo, npm and `pyproject.toml`; a `pyproject.toml`
//! also passes with a fully pinned `requirements*.txt` beside it; manifests
//! that declare no dependencies (package.json, pyproject.toml, go.mod)
//! need no lockfile.

use std::collections::HashSet;

use crate::Finding;

use super::walk::is_dockerfile;
use super::yaml::{self, Node, Value};
use super::{Ctx, dir_of, file_name, item_of, join};

const COLLECTOR: &str = "repo.dependencies";

/// A package ecosystem: its manifest and the lockfiles that pin it.
struct Ecosystem {
    name: &'static str,
    manifest: &'static str,
    locks: &'static [&'static str],
    /// Whether the lockfile may sit in an ancestor folder.
    ancestors: bool,
}

const ECOSYSTEMS: &[Ecosystem] = &[
    Ecosystem {
        name: "Cargo",
        manifest: "Cargo.toml",
        locks: &["Cargo.lock"],
        ancestors: true,
    },
    Ecosystem {
        name: "npm",
        manifest: "package.json",
        locks: &[
            "package-lock.json",
            "npm-shrinkwrap.json",
            "yarn.lock",
            "pnpm-lock.yaml",
        ],
        ancestors: true,
    },
    Ecosystem {
        name: "Python",
        manifest: "pyproject.toml",
        locks: &["poetry.lock", "uv.lock", "pdm.lock"],
        ancestors: true,
    },
    Ecosystem {
        name: "Python",
        manifest: "Pipfile",
        locks: &["Pipfile.lock"],
        ancestors: false,
    },
    Ecosystem {
        name: "Go",
        manifest: "go.mod",
        locks: &["go.sum"],
        ancestors: false,
    },
    Ecosystem {
        name: "Ruby",
        manifest: "Gemfile",
        locks: &["Gemfile.lock"],
        ancestors: false,
    },
];

/// What one ecosystem's manifests came to.
#[derive(Default)]
struct Tally {
    subject: Option<String>,
    fail: Vec<String>,
    unknown: Vec<String>,
    pass: Vec<String>,
}

impl Tally {
    fn finding(self, item: &str, name: &str) -> Finding {
        let subject = self.subject.unwrap_or_default();
        let finding = if !self.fail.is_empty() {
            Finding::fail(
                item,
                COLLECTOR,
                format!("{name} dependencies are not pinned: {}", first(&self.fail)),
            )
            .with_details(self.fail.into_iter().chain(self.unknown))
        } else if !self.unknown.is_empty() {
            Finding::unknown(
                item,
                COLLECTOR,
                format!("{name} dependencies: {}", first(&self.unknown)),
            )
            .with_details(self.unknown)
        } else {
            Finding::pass(
                item,
                COLLECTOR,
                format!(
                    "{name} dependencies pinned: {}",
                    distinct(&self.pass).join("; ")
                ),
            )
        };
        finding.about(subject)
    }
}

/// `lines` without repeats, in order (fourteen crates sharing one
/// `Cargo.lock` say so once).
fn distinct(lines: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for line in lines {
        if !out.contains(&line.as_str()) {
            out.push(line);
        }
    }
    out
}

fn first(lines: &[String]) -> String {
    let more = lines.len().saturating_sub(1);
    let head = lines[0]
        .split_once(": ")
        .map_or(lines[0].as_str(), |(_, rest)| rest);
    if more > 0 {
        format!("{head} (and {more} more)")
    } else {
        head.to_owned()
    }
}

/// `repo.dependencies`.
pub(crate) fn collect(ctx: &Ctx<'_>) -> Vec<Finding> {
    let item = item_of(COLLECTOR);
    let mut out = Vec::new();
    let files: Vec<&str> = ctx.inv.files.iter().map(String::as_str).collect();

    // Python requirements files first: pyproject.toml may lean on them.
    let requirements: Vec<&str> = files
        .iter()
        .copied()
        .filter(|f| {
            let name = file_name(f);
            name.starts_with("requirements") && name.ends_with(".txt")
        })
        .collect();
    let mut pinned_dirs = HashSet::new();
    let mut python = Tally::default();
    for rel in &requirements {
        python.subject.get_or_insert_with(|| rel.to_string());
        match ctx.inv.text(rel) {
            Some(Ok(text)) => {
                let (count, bad) = check_requirements(rel, text);
                if bad.is_empty() {
                    pinned_dirs.insert(dir_of(rel));
                    python
                        .pass
                        .push(format!("{rel}: {count} requirements pinned with hashes"));
                } else {
                    python.fail.extend(bad);
                }
            }
            Some(Err(why)) => python.unknown.push(format!("{rel}: cannot read: {why}")),
            None => {}
        }
    }

    let mut names: Vec<&str> = Vec::new();
    let mut tallies: Vec<Tally> = Vec::new();
    for eco in ECOSYSTEMS {
        let index = match names.iter().position(|n| *n == eco.name) {
            Some(i) => i,
            None => {
                names.push(eco.name);
                tallies.push(if eco.name == "Python" {
                    std::mem::take(&mut python)
                } else {
                    Tally::default()
                });
                names.len() - 1
            }
        };
        let tally = &mut tallies[index];
        for rel in files
            .iter()
            .copied()
            .filter(|f| file_name(f) == eco.manifest)
        {
            tally.subject.get_or_insert_with(|| rel.to_owned());
            check_manifest(ctx, eco, rel, &pinned_dirs, tally);
        }
    }
    for (name, tally) in names.into_iter().zip(tallies) {
        if tally.subject.is_some() {
            out.push(tally.finding(item, name));
        }
    }

    for rel in files
        .iter()
        .copied()
        .filter(|f| is_dockerfile(file_name(f)))
    {
        out.push(match ctx.inv.text(rel) {
            Some(Ok(text)) => dockerfile(item, rel, text),
            Some(Err(why)) => {
                Finding::unknown(item, COLLECTOR, format!("{rel}: cannot read: {why}")).about(rel)
            }
            None => continue,
        });
    }

    for rel in files.iter().copied().filter(|f| is_workflow(f)) {
        out.push(match ctx.inv.text(rel) {
            Some(Ok(text)) => workflow(item, rel, text),
            Some(Err(why)) => {
                Finding::unknown(item, COLLECTOR, format!("{rel}: cannot read: {why}")).about(rel)
            }
            None => continue,
        });
    }

    if out.is_empty() {
        out.push(Finding::unknown(
            item,
            COLLECTOR,
            "no dependency manifest found (Cargo.toml, package.json, requirements*.txt, \
             pyproject.toml, Pipfile, go.mod, Gemfile, Dockerfile, .github/workflows)",
        ));
    }
    out
}

/// A GitHub Actions workflow: `.github/workflows/*.yml|yaml`.
pub(crate) fn is_workflow(rel: &str) -> bool {
    dir_of(rel) == ".github/workflows" && (rel.ends_with(".yml") || rel.ends_with(".yaml"))
}

fn check_manifest(
    ctx: &Ctx<'_>,
    eco: &Ecosystem,
    rel: &str,
    pinned_dirs: &HashSet<&str>,
    tally: &mut Tally,
) {
    let text = match ctx.inv.text(rel) {
        Some(Ok(text)) => text,
        Some(Err(why)) => {
            tally.unknown.push(format!("{rel}: cannot read: {why}"));
            return;
        }
        None => return,
    };
    match declares_dependencies(eco.manifest, text) {
        Err(why) => {
            tally.unknown.push(format!("{rel}: cannot parse: {why}"));
            return;
        }
        Ok(false) => {
            tally.pass.push(format!("{rel} declares no dependencies"));
            return;
        }
        Ok(true) => {}
    }
    let dir = dir_of(rel);
    let Some(lock) = find_lock(ctx, dir, eco) else {
        if eco.manifest == "pyproject.toml" && pinned_dirs.contains(dir) {
            tally
                .pass
                .push(format!("{rel}: pinned by the requirements files beside it"));
            return;
        }
        tally.fail.push(format!(
            "{rel}: no lockfile ({} missing)",
            eco.locks.join(" | ")
        ));
        return;
    };
    match ctx.git.is_tracked(&lock) {
        Some(true) => tally.pass.push(format!("{lock} committed")),
        Some(false) => tally.fail.push(format!(
            "{lock}: {} exists but is not committed",
            file_name(&lock)
        )),
        None => tally.unknown.push(format!(
            "{lock}: {}: cannot tell whether lockfiles are committed",
            ctx.git.why_unknown()
        )),
    }
}

/// Finds a lockfile on disk (ignored files count: they are reported as not
/// committed, not as missing).
fn find_lock(ctx: &Ctx<'_>, dir: &str, eco: &Ecosystem) -> Option<String> {
    let mut dir = dir.to_owned();
    loop {
        for lock in eco.locks {
            let rel = join(&dir, lock);
            if ctx.root.join(&rel).is_file() {
                return Some(rel);
            }
        }
        if !eco.ancestors || dir.is_empty() {
            return None;
        }
        dir = dir_of(&dir).to_owned();
    }
}

fn toml_error(text: &str, err: &toml::de::Error) -> String {
    let line = err
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    match line {
        Some(line) => format!("line {line}: {}", err.message()),
        None => err.message().to_owned(),
    }
}

/// Parses a manifest and tells whether it declares any dependency.
fn declares_dependencies(manifest: &str, text: &str) -> Result<bool, String> {
    match manifest {
        "Cargo.toml" => {
            toml::from_str::<toml::Table>(text).map_err(|e| toml_error(text, &e))?;
            Ok(true)
        }
        "pyproject.toml" => {
            let doc = toml::from_str::<toml::Table>(text).map_err(|e| toml_error(text, &e))?;
            let nonempty = |v: Option<&toml::Value>| match v {
                Some(toml::Value::Array(a)) => !a.is_empty(),
                Some(toml::Value::Table(t)) => t.keys().any(|k| k != "python"),
                _ => false,
            };
            let project = doc.get("project").and_then(|p| p.as_table());
            let poetry = doc
                .get("tool")
                .and_then(|t| t.get("poetry"))
                .and_then(|p| p.as_table());
            Ok(nonempty(project.and_then(|p| p.get("dependencies")))
                || project
                    .and_then(|p| p.get("optional-dependencies"))
                    .and_then(|o| o.as_table())
                    .is_some_and(|t| t.values().any(|v| nonempty(Some(v))))
                || nonempty(poetry.and_then(|p| p.get("dependencies")))
                || doc
                    .get("dependency-groups")
                    .and_then(|g| g.as_table())
                    .is_some_and(|t| t.values().any(|v| nonempty(Some(v)))))
        }
        "package.json" => {
            let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
            if !doc.is_object() {
                return Err("not a JSON object".to_owned());
            }
            Ok(["dependencies", "devDependencies", "optionalDependencies"]
                .iter()
                .any(|k| {
                    doc.get(k)
                        .and_then(|d| d.as_object())
                        .is_some_and(|d| !d.is_empty())
                }))
        }
        "go.mod" => Ok(text.lines().any(|l| l.trim_start().starts_with("require"))),
        _ => Ok(true),
    }
}

/// Checks a requirements file: every requirement `==`-pinned with a
/// `--hash=`. Returns the number of requirements and the offending ones.
fn check_requirements(rel: &str, text: &str) -> (usize, Vec<String>) {
    let mut bad = Vec::new();
    let mut count = 0;
    let mut logical = String::new();
    let mut start = 0;
    let lines: Vec<&str> = text.lines().collect();
    for (i, raw) in lines.iter().enumerate() {
        if logical.is_empty() {
            start = i + 1;
        }
        let line = match raw.find(" #") {
            Some(at) => &raw[..at],
            None if raw.trim_start().starts_with('#') => "",
            None => raw,
        };
        let trimmed = line.trim_end();
        if let Some(head) = trimmed.strip_suffix('\\') {
            logical.push_str(head);
            logical.push(' ');
            if i + 1 < lines.len() {
                continue;
            }
        } else {
            logical.push_str(trimmed);
        }
        let req = std::mem::take(&mut logical);
        let req = req.trim();
        if req.is_empty() {
            continue;
        }
        const OPTIONS: &[&str] = &[
            "-r",
            "--requirement",
            "-c",
            "--constraint",
            "-i",
            "--index-url",
            "--extra-index-url",
            "-f",
            "--find-links",
            "--trusted-host",
            "--pre",
            "--no-binary",
            "--only-binary",
            "--require-hashes",
            "--prefer-binary",
            "--no-index",
        ];
        if OPTIONS.iter().any(|o| {
            req == *o || req.starts_with(&format!("{o} ")) || req.starts_with(&format!("{o}="))
        }) {
            continue;
        }
        count += 1;
        let spec = req.split_whitespace().next().unwrap_or(req);
        let why = if req.starts_with("-e") || req.starts_with("--editable") {
            Some("editable install")
        } else if !spec.contains("==") || spec.ends_with(".*") {
            Some("not pinned with ==")
        } else if !req.contains("--hash=") {
            Some("no --hash")
        } else {
            None
        };
        if let Some(why) = why {
            bad.push(format!("{rel}:{start}: {spec} ({why})"));
        }
    }
    (count, bad)
}

/// Every `FROM` pinned by digest.
fn dockerfile(item: &str, rel: &str, text: &str) -> Finding {
    let mut stages: HashSet<String> = HashSet::new();
    let mut unpinned = Vec::new();
    let mut args = Vec::new();
    let mut froms = 0;
    let mut logical = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if logical.is_empty() {
            start = i + 1;
        }
        if let Some(head) = raw.trim_end().strip_suffix('\\') {
            logical.push_str(head);
            logical.push(' ');
            continue;
        }
        logical.push_str(raw);
        let line = std::mem::take(&mut logical);
        let mut words = line.split_whitespace();
        if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("FROM")) {
            continue;
        }
        froms += 1;
        let rest: Vec<&str> = words.filter(|w| !w.starts_with("--")).collect();
        let Some(image) = rest.first().copied() else {
            args.push(format!("{rel}:{start}: FROM without an image"));
            continue;
        };
        let lower = image.to_ascii_lowercase();
        let earlier_stage = stages.contains(&lower);
        if rest.len() >= 3 && rest[1].eq_ignore_ascii_case("as") {
            stages.insert(rest[2].to_ascii_lowercase());
        }
        if lower == "scratch" || earlier_stage {
            continue;
        }
        if image.contains('$') {
            args.push(format!(
                "{rel}:{start}: FROM {image} (ARG-substituted: cannot tell whether it is pinned)"
            ));
        } else if !image.contains("@sha256:") {
            unpinned.push(format!(
                "{rel}:{start}: FROM {image} (not pinned by @sha256: digest)"
            ));
        }
    }
    let finding = if !unpinned.is_empty() {
        Finding::fail(
            item,
            COLLECTOR,
            format!(
                "{} base image(s) in {rel} not pinned by digest",
                unpinned.len()
            ),
        )
        .with_details(unpinned.into_iter().chain(args))
    } else if !args.is_empty() {
        Finding::unknown(
            item,
            COLLECTOR,
            format!("base image(s) in {rel} are chosen by ARG"),
        )
        .with_details(args)
    } else if froms == 0 {
        Finding::unknown(item, COLLECTOR, format!("{rel} has no FROM line"))
    } else {
        Finding::pass(
            item,
            COLLECTOR,
            format!("every base image in {rel} is pinned by digest ({froms} FROM)"),
        )
    };
    finding.about(rel)
}

/// Every `uses:` pinned to a full commit SHA.
fn workflow(item: &str, rel: &str, text: &str) -> Finding {
    let docs = match yaml::parse(text) {
        Ok(docs) => docs,
        Err(why) => {
            return Finding::unknown(item, COLLECTOR, format!("{rel}: cannot parse: {why}"))
                .about(rel)
                .with_details([format!("{rel}: cannot parse: {why}")]);
        }
    };
    let mut uses = Vec::new();
    for doc in &docs {
        find_uses(doc, &mut uses, 0);
    }
    let unpinned: Vec<String> = uses
        .iter()
        .filter(|(value, _)| !action_pinned(value))
        .map(|(value, line)| format!("{rel}:{line}: uses: {value} (not pinned to a commit SHA)"))
        .collect();
    let finding = if unpinned.is_empty() {
        Finding::pass(
            item,
            COLLECTOR,
            format!(
                "all {} action reference(s) in {rel} are pinned to a commit SHA or local",
                uses.len()
            ),
        )
    } else {
        Finding::fail(
            item,
            COLLECTOR,
            format!(
                "{} action reference(s) in {rel} not pinned to a commit SHA",
                unpinned.len()
            ),
        )
        .with_details(unpinned)
    };
    finding.about(rel)
}

fn find_uses(node: &Node, out: &mut Vec<(String, usize)>, depth: usize) {
    if depth > 64 {
        return;
    }
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                if k.as_str() == Some("uses")
                    && let Some(value) = v.as_text()
                {
                    out.push((value.to_owned(), v.line));
                } else {
                    find_uses(v, out, depth + 1);
                }
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| find_uses(i, out, depth + 1)),
        Value::Scalar(..) => {}
    }
}

fn action_pinned(value: &str) -> bool {
    if value.starts_with("./") {
        return true;
    }
    if let Some(image) = value.strip_prefix("docker://") {
        return image.contains("@sha256:");
    }
    match value.rsplit_once('@') {
        Some((_, r)) => r.len() == 40 && r.chars().all(|c| c.is_ascii_hexdigit()),
        None => false,
    }
}
