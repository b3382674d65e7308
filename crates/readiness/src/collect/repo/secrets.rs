//! `repo.committed-secrets`: known secret formats and high-entropy values
//! assigned to secret-looking names, in tracked text files. Also the
//! secret vocabulary `repo.manifest-secrets` shares (names, placeholders,
//! interpolation). Values are never reported, only a redacted hint.
//!
//! Skipped: lockfiles, binary files, minified files, and lines holding
//! [`ALLOW_SECRET_MARKER`](super::ALLOW_SECRET_MARKER).

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use crate::Finding;

use super::{ALLOW_SECRET_MARKER, Ctx, file_name, item_of, redact};

const COLLECTOR: &str = "repo.committed-secrets";

/// One secret found on one line.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) path: String,
    pub(crate) line: usize,
    /// What it looks like, e.g. `AWS access key id`.
    pub(crate) kind: &'static str,
    /// The redacted value.
    pub(crate) hint: String,
}

impl Hit {
    fn detail(&self) -> String {
        if self.hint.is_empty() {
            format!("{}:{}: {}", self.path, self.line, self.kind)
        } else {
            format!("{}:{}: {} {}", self.path, self.line, self.kind, self.hint)
        }
    }
}

/// Known formats: (what, pattern); the value is capture group 1 when there
/// is one, else the whole match.
const FORMATS: &[(&str, &str)] = &[
    ("AWS access key id", r"\b((?:AKIA|ASIA)[0-9A-Z]{16})\b"),
    (
        "AWS secret access key",
        r#"(?i)aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)"#,
    ),
    ("GitHub token", r"\b(gh[pousr]_[A-Za-z0-9]{36,})"),
    ("GitHub token", r"\b(github_pat_[A-Za-z0-9_]{22,})"),
    ("Slack token", r"\b(xox[baprs]-[A-Za-z0-9-]{10,})"),
    ("Stripe live key", r"\b([sr]k_live_[A-Za-z0-9]{16,})"),
    ("Google API key", r"\b(AIza[0-9A-Za-z_-]{35})"),
    (
        "private key block",
        // The header followed by key material (on the next line, or after
        // a literal `\n` in a string): a message that only names the header
        // is not a key.
        r"(?m)(-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----)(?:\\n|[ \t\r]*$)",
    ),
    (
        "JWT",
        r"\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})",
    ),
    (
        "password literal",
        r#"(?i)\b(?:password|passwd)\w*["']?\s*[:=]\s*["']([^"'\s]{4,})["']"#,
    ),
    (
        "credentials in URL",
        r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:([^\s@/]{3,})@[^\s]",
    ),
];

/// A secret-looking name assigned a value: group 1 the name, 2 the value.
const ASSIGNMENT: &str = r#"(?i)([A-Za-z0-9_.-]*(?:secret|token|passw|api_?key|apikey|access_?key|private_?key|credential|auth_?key|signing_?key|encryption_?key)[A-Za-z0-9_.-]*)["']?\s*(?::|=|:=|=>)\s*["']?([A-Za-z0-9+/=_.~-]{32,})"#;

static FORMAT_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(
        FORMATS
            .iter()
            .map(|(_, p)| *p)
            .chain(std::iter::once(ASSIGNMENT)),
    )
    .expect("secret patterns compile")
});

static FORMAT_RES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    FORMATS
        .iter()
        .map(|(_, p)| Regex::new(p).expect("secret pattern compiles"))
        .collect()
});

static ASSIGNMENT_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(ASSIGNMENT).expect("assignment pattern compiles"));

/// Lockfile names, never scanned (full of hashes).
const LOCKFILES: &[&str] = &[
    "Cargo.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    "Pipfile.lock",
    "go.sum",
    "Gemfile.lock",
    "composer.lock",
    "flake.lock",
    "packages.lock.json",
];

/// Whether a file is scanned at all (by name): not a lockfile, not
/// minified, not a source map.
pub(crate) fn wants(rel: &str) -> bool {
    let name = file_name(rel);
    let lower = name.to_ascii_lowercase();
    !(LOCKFILES.contains(&name)
        || lower.ends_with(".lock")
        || lower.ends_with(".min.js")
        || lower.ends_with(".min.css")
        || lower.ends_with(".map")
        || lower.ends_with(".svg"))
}

/// Scans one text file.
pub(crate) fn scan(rel: &str, text: &str) -> Vec<Hit> {
    // Minified or generated: a first line longer than 5,000 characters.
    if text.lines().next().is_some_and(|l| l.len() > 5_000) {
        return Vec::new();
    }
    if !FORMAT_SET.is_match(text) {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.len() > 5_000 || line.contains(ALLOW_SECRET_MARKER) {
            continue;
        }
        let matched = FORMAT_SET.matches(line);
        if !matched.matched_any() {
            continue;
        }
        let mut found = false;
        for (i, (kind, _)) in FORMATS.iter().enumerate() {
            if !matched.matched(i) {
                continue;
            }
            for caps in FORMAT_RES[i].captures_iter(line) {
                let value = caps.get(1).or(caps.get(0)).map_or("", |m| m.as_str());
                if (*kind == "password literal" || *kind == "credentials in URL")
                    && (is_interpolation(value) || is_placeholder(value))
                {
                    continue;
                }
                hits.push(Hit {
                    path: rel.to_owned(),
                    line: index + 1,
                    kind,
                    hint: if *kind == "private key block" {
                        String::new()
                    } else {
                        redact(value)
                    },
                });
                found = true;
            }
        }
        if !found && matched.matched(FORMATS.len()) {
            for caps in ASSIGNMENT_RE.captures_iter(line) {
                let (Some(name), Some(value)) = (caps.get(1), caps.get(2)) else {
                    continue;
                };
                if secret_name(name.as_str()) && high_entropy(value.as_str()) {
                    hits.push(Hit {
                        path: rel.to_owned(),
                        line: index + 1,
                        kind: "high-entropy value",
                        hint: format!("{} = {}", name.as_str(), redact(value.as_str())),
                    });
                }
            }
        }
    }
    hits
}

/// The `repo.committed-secrets` collector: the hits gathered by the walk.
pub(crate) fn collect(ctx: &Ctx<'_>) -> Vec<Finding> {
    let item = item_of(COLLECTOR);
    let inv = ctx.inv;
    let scope = match ctx.git.is_tracked("") {
        Some(_) => format!("{} tracked text files", inv.secret_scanned),
        None => format!(
            "{} walked text files (all of them: {}, so tracked files cannot be told)",
            inv.secret_scanned,
            ctx.git.why_unknown()
        ),
    };
    let skipped: Vec<String> = inv.skipped.iter().map(|s| format!("skipped {s}")).collect();
    let errors: Vec<String> = inv
        .walk_errors
        .iter()
        .map(|e| format!("not walked: {e}"))
        .collect();
    if inv.secret_hits.is_empty() && !errors.is_empty() {
        return vec![
            Finding::unknown(
                item,
                COLLECTOR,
                format!(
                    "no secrets found in {scope}, but {} paths could not be walked",
                    errors.len()
                ),
            )
            .with_details(errors.into_iter().chain(skipped)),
        ];
    }
    if inv.secret_hits.is_empty() {
        let mut evidence = format!("no secrets found in {scope}");
        if !skipped.is_empty() {
            evidence.push_str(&format!(
                "; {} files not scanned (too large, binary or unreadable)",
                skipped.len()
            ));
        }
        return vec![Finding::pass(item, COLLECTOR, evidence).with_details(skipped)];
    }
    let mut out = Vec::new();
    let mut start = 0;
    let hits = &inv.secret_hits;
    while start < hits.len() {
        let path = &hits[start].path;
        let end = hits[start..]
            .iter()
            .position(|h| &h.path != path)
            .map_or(hits.len(), |n| start + n);
        let group = &hits[start..end];
        out.push(
            Finding::fail(
                item,
                COLLECTOR,
                format!(
                    "{} possible secret(s) committed in {path} (scanned {scope})",
                    group.len()
                ),
            )
            .about(path.clone())
            .with_details(group.iter().map(Hit::detail)),
        );
        start = end;
    }
    if !errors.is_empty() {
        out.push(
            Finding::unknown(
                item,
                COLLECTOR,
                format!("{} paths could not be walked", errors.len()),
            )
            .with_details(errors),
        );
    }
    out
}

/// Whether a key name looks like it holds a secret: `PASSWORD`, `SECRET`,
/// `TOKEN`, `API_KEY`, `PRIVATE_KEY`, `CREDENTIALS`, … (not `*_FILE`,
/// `*_PATH` and the like, which point at one).
pub(crate) fn secret_name(key: &str) -> bool {
    let norm: String = key
        .chars()
        .map(|c| match c {
            '-' | '.' | ' ' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    const WORDS: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
        "AUTH_KEY",
        "SIGNING_KEY",
        "ENCRYPTION_KEY",
        "MASTER_KEY",
        "CLIENT_SECRET",
        "DB_PASS",
        "_PASS",
    ];
    const NOT: &[&str] = &[
        "_FILE", "_PATH", "_DIR", "_NAME", "_REF", "_ENV", "_HEADER", "_TTL", "_EXPIRY", "_LENGTH",
        "_TYPE", "_URL_ENV", "_ID_ENV",
    ];
    let looks = WORDS.iter().any(|w| norm.contains(w)) || norm == "PASS";
    looks && !NOT.iter().any(|s| norm.ends_with(s))
}

/// `${VAR}`, `$VAR`, `$(cmd)`, `((cf-var))`, `{{ template }}`, `#{…}`: a
/// value filled in elsewhere.
pub(crate) fn is_interpolation(value: &str) -> bool {
    let v = value.trim();
    v.starts_with("${")
        || v.starts_with("$(")
        || v.starts_with("((")
        || v.starts_with("{{")
        || v.starts_with("#{")
        || v.starts_with("%{")
        || (v.starts_with('$')
            && v.len() > 1
            && v[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// `changeme`, `<set-me>`, `xxx`, `TODO`, `example`, `***`: a value meant
/// to be replaced.
pub(crate) fn is_placeholder(value: &str) -> bool {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
    let lower = v.to_ascii_lowercase();
    (v.starts_with('<') && v.ends_with('>'))
        || (!v.is_empty()
            && v.chars()
                .all(|c| c == 'x' || c == 'X' || c == '*' || c == '.'))
        || [
            "changeme",
            "change-me",
            "change_me",
            "changethis",
            "replaceme",
            "replace-me",
            "replace_me",
            "todo",
            "tbd",
            "example",
            "placeholder",
            "redacted",
            "dummy",
            "secret",
            "password",
            "set-me",
            "setme",
            "none",
            "null",
        ]
        .contains(&lower.as_str())
        || lower.starts_with("your-")
        || lower.starts_with("your_")
        || lower.contains("example")
}

/// The known format a value matches, if any.
pub(crate) fn known_format(value: &str) -> Option<&'static str> {
    FORMATS
        .iter()
        .zip(FORMAT_RES.iter())
        .filter(|((kind, _), _)| *kind != "password literal")
        .find(|(_, re)| re.is_match(value))
        .map(|((kind, _), _)| *kind)
}

/// Shannon entropy in bits per character.
pub(crate) fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut total = 0u32;
    for b in s.bytes() {
        counts[b as usize] += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let total = f64::from(total);
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / total;
            -p * p.log2()
        })
        .sum()
}

/// Hex of 40+ characters with entropy ≥ 3.5, or base64-ish of 32+ with
/// entropy ≥ 4.5.
pub(crate) fn high_entropy(value: &str) -> bool {
    let hex = value.chars().all(|c| c.is_ascii_hexdigit());
    if hex {
        return value.len() >= 40 && entropy(value) >= 3.5;
    }
    let b64 = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+/=_-".contains(c));
    b64 && value.len() >= 32 && entropy(value) >= 4.5
}
