//! `repo.deploy-command` (one command deploys: a make/just target, a
//! script, a package.json script, a CI deploy job, Kamal) and
//! `repo.deploy-ignore` (the artifact leaves the rest of the repository
//! behind: `.dockerignore`, `.cfignore`, multi-stage builds).

use std::sync::LazyLock;

use regex::Regex;

use crate::Finding;

use super::deps::is_workflow;
use super::manifests::{self, Kind};
use super::walk::is_dockerfile;
use super::yaml::{self, Node};
use super::{Ctx, dir_of, file_name, item_of, join};

const COMMAND: &str = "repo.deploy-command";
const IGNORE: &str = "repo.deploy-ignore";

/// A target or recipe named deploy, release or ship (`deploy-prod` too).
static TARGET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^@?((?:deploy|release|ship)(?:[-_][A-Za-z0-9_-]+)?)\b[^:=\n]*:([^=]|$)")
        .expect("target pattern compiles")
});

/// One-line deploy commands of common platforms.
static ONE_LINER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(cf push|kamal deploy|fly deploy|flyctl deploy|heroku container:release)\b")
        .expect("one-liner pattern compiles")
});

fn deploy_word(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.contains("deploy") || lower.contains("release") || lower == "ship"
}

/// `repo.deploy-command`.
pub(crate) fn command(ctx: &Ctx<'_>) -> Vec<Finding> {
    let item = item_of(COMMAND);
    let mut found: Vec<String> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for rel in &ctx.inv.files {
        let rel = rel.as_str();
        let name = file_name(rel);
        let lower = name.to_ascii_lowercase();
        let dir = dir_of(rel);
        let text = ctx.inv.text(rel);
        // Scripts named deploy* at the root, in bin/, scripts/ or script/.
        if lower.starts_with("deploy")
            && !lower.ends_with(".md")
            && !lower.ends_with(".yml")
            && !lower.ends_with(".yaml")
            && matches!(dir, "" | "bin" | "scripts" | "script")
        {
            found.push(format!("{rel}:1: deploy script"));
        }
        if rel == "config/deploy.yml" {
            found.push(format!("{rel}:1: Kamal configuration (`kamal deploy`)"));
        }
        let Some(text) = text else { continue };
        let text = match text {
            Ok(text) => text,
            Err(why) => {
                if matches!(lower.as_str(), "makefile" | "justfile" | "package.json")
                    || is_workflow(rel)
                {
                    unknown.push(format!("{rel}: cannot read: {why}"));
                }
                continue;
            }
        };
        let makeish = matches!(
            lower.as_str(),
            "makefile" | "gnumakefile" | "justfile" | ".justfile"
        ) || lower.ends_with(".mk");
        if makeish {
            for (i, line) in text.lines().enumerate() {
                if let Some(caps) = TARGET.captures(line) {
                    found.push(format!("{rel}:{}: target `{}`", i + 1, &caps[1]));
                }
            }
        }
        if lower == "package.json" {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(doc) => {
                    if let Some(scripts) = doc.get("scripts").and_then(|s| s.as_object()) {
                        for name in ["deploy", "release", "ship"] {
                            if scripts.contains_key(name) {
                                let line = line_of(text, &format!("\"{name}\""));
                                found.push(format!("{rel}:{line}: npm script `{name}`"));
                            }
                        }
                    }
                }
                Err(err) => unknown.push(format!("{rel}: cannot parse: {err}")),
            }
        }
        if makeish
            || lower == "package.json"
            || lower.ends_with(".sh")
            || matches!(dir, "bin" | "scripts" | "script")
        {
            for (i, line) in text.lines().enumerate() {
                if let Some(m) = ONE_LINER.find(line) {
                    found.push(format!("{rel}:{}: `{}`", i + 1, m.as_str()));
                }
            }
        }
        let ci = is_workflow(rel) || rel == ".gitlab-ci.yml" || rel == ".circleci/config.yml";
        if ci {
            match yaml::parse(text) {
                Ok(docs) => {
                    for doc in &docs {
                        ci_jobs(rel, doc, &mut found);
                    }
                }
                Err(why) => unknown.push(format!("{rel}: cannot parse: {why}")),
            }
        }
    }
    if !found.is_empty() {
        let names: Vec<&str> = found
            .iter()
            .map(|f| f.split_once(": ").map_or(f.as_str(), |(_, what)| what))
            .take(3)
            .collect();
        return vec![
            Finding::pass(
                item,
                COMMAND,
                format!("deploy command found: {}", names.join(", ")),
            )
            .about(found[0].split(':').next().unwrap_or("").to_owned())
            .with_details(found),
        ];
    }
    if !unknown.is_empty() {
        return vec![
            Finding::unknown(
                item,
                COMMAND,
                "no deploy command found, but some build files cannot be read",
            )
            .with_details(unknown),
        ];
    }
    vec![Finding::fail(
        item,
        COMMAND,
        "no deploy command found (looked for a deploy/release/ship target in Makefile or \
         justfile, deploy* scripts at the root or in bin/ and scripts/, a package.json \
         `deploy` script, a deploy job in .github/workflows, .gitlab-ci.yml or \
         .circleci/config.yml, Kamal config/deploy.yml, `cf push` in scripts)",
    )]
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i + 1)
}

/// Deploy jobs and steps of a CI file.
fn ci_jobs(rel: &str, doc: &Node, found: &mut Vec<String>) {
    let jobs: Vec<(&Node, &Node)> = if rel == ".gitlab-ci.yml" {
        doc.entries()
            .iter()
            .filter(|(_, v)| v.is_map())
            .map(|(k, v)| (k, v))
            .collect()
    } else {
        doc.get("jobs")
            .map(|j| j.entries().iter().map(|(k, v)| (k, v)).collect())
            .unwrap_or_default()
    };
    for (key, job) in jobs {
        let id = key.as_str().unwrap_or("");
        if id.starts_with('.') {
            continue;
        }
        let name = job.get("name").and_then(Node::as_text).unwrap_or("");
        let stage = job.get("stage").and_then(Node::as_text).unwrap_or("");
        if deploy_word(id) || deploy_word(name) || stage.eq_ignore_ascii_case("deploy") {
            found.push(format!("{rel}:{}: CI job `{id}`", key.line));
            continue;
        }
        for step in job.get("steps").map(Node::items).unwrap_or(&[]) {
            if let Some(n) = step.get("name").and_then(Node::as_text)
                && deploy_word(n)
            {
                found.push(format!("{rel}:{}: CI step `{n}` in job `{id}`", step.line));
            }
        }
    }
}

/// `repo.deploy-ignore`.
pub(crate) fn ignore(ctx: &Ctx<'_>) -> Vec<Finding> {
    let item = item_of(IGNORE);
    let exists = |rel: &str| ctx.root.join(rel).is_file();
    let mut out = Vec::new();
    for rel in ctx.inv.files.iter().filter(|f| is_dockerfile(file_name(f))) {
        let dir = dir_of(rel);
        let candidates = [
            ".dockerignore".to_owned(),
            join(dir, ".dockerignore"),
            format!("{rel}.dockerignore"),
        ];
        if let Some(found) = candidates.iter().find(|c| exists(c)) {
            out.push(
                Finding::pass(
                    item,
                    IGNORE,
                    format!("{found} keeps the build context small"),
                )
                .about(rel.clone()),
            );
            continue;
        }
        match ctx.inv.text(rel) {
            Some(Ok(text)) => {
                let froms: Vec<usize> = text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| {
                        l.split_whitespace()
                            .next()
                            .is_some_and(|w| w.eq_ignore_ascii_case("FROM"))
                    })
                    .map(|(i, _)| i + 1)
                    .collect();
                if froms.len() >= 2 {
                    out.push(
                        Finding::pass(
                            item,
                            IGNORE,
                            format!(
                                "{rel} is a multi-stage build ({} FROM): only the last stage ships",
                                froms.len()
                            ),
                        )
                        .about(rel.clone())
                        .with_details(froms.iter().map(|l| format!("{rel}:{l}: FROM"))),
                    );
                } else {
                    out.push(
                        Finding::fail(
                            item,
                            IGNORE,
                            format!(
                                "{rel} has no .dockerignore and is a single-stage build: the whole repository goes into the image"
                            ),
                        )
                        .about(rel.clone()),
                    );
                }
            }
            Some(Err(why)) => out.push(
                Finding::unknown(item, IGNORE, format!("{rel}: cannot read: {why}"))
                    .about(rel.clone()),
            ),
            None => {}
        }
    }
    for m in manifests::load(ctx) {
        if m.kind != Kind::CloudFoundry {
            continue;
        }
        let dir = dir_of(&m.path);
        let candidates = [".cfignore".to_owned(), join(dir, ".cfignore")];
        if let Some(found) = candidates.iter().find(|c| exists(c)) {
            out.push(
                Finding::pass(item, IGNORE, format!("{found} keeps the pushed app small"))
                    .about(m.path.clone()),
            );
            continue;
        }
        match &m.docs {
            Ok(docs) => {
                let artifacts: Vec<String> = docs
                    .iter()
                    .flat_map(|d| d.get("applications").map(Node::items).unwrap_or(&[]))
                    .filter_map(|app| app.get("path"))
                    .filter_map(|p| {
                        let v = p.as_text()?;
                        let lower = v.to_ascii_lowercase();
                        [".jar", ".war", ".zip"]
                            .iter()
                            .any(|e| lower.ends_with(e))
                            .then(|| format!("{}:{}: path: {v}", m.path, p.line))
                    })
                    .collect();
                if artifacts.is_empty() {
                    out.push(
                        Finding::fail(
                            item,
                            IGNORE,
                            format!("{} pushes the folder without a .cfignore", m.path),
                        )
                        .about(m.path.clone()),
                    );
                } else {
                    out.push(
                        Finding::pass(item, IGNORE, format!("{} pushes a built artifact", m.path))
                            .about(m.path.clone())
                            .with_details(artifacts),
                    );
                }
            }
            Err(why) => out.push(
                Finding::unknown(
                    item,
                    IGNORE,
                    format!("{}: cannot parse: {why}; and no .cfignore", m.path),
                )
                .about(m.path.clone()),
            ),
        }
    }
    if out.is_empty() {
        for name in [".dockerignore", ".cfignore"] {
            if exists(name) {
                out.push(Finding::pass(item, IGNORE, format!("{name} present")).about(name));
            }
        }
    }
    if out.is_empty() {
        out.push(Finding::fail(
            item,
            IGNORE,
            "no .dockerignore or .cfignore and no multi-stage Dockerfile: nothing keeps \
             the deploy artifact minimal",
        ));
    }
    out
}
