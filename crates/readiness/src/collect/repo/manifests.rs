//! Deploy manifests — Cloud Foundry `manifest.yml`, docker-compose files,
//! Kubernetes YAML, committed `.env` files — and the three collectors that
//! read them: `repo.manifest-secrets`, `repo.instances`, `repo.zones`.
//!
//! Decisions: in CF/compose/Kubernetes manifests a placeholder value
//! (`changeme`, `<set-me>`, `xxx`) under a secret-looking name is not
//! reported, since the real value is clearly injected elsewhere; in a
//! committed `.env` file it is, because the file itself is the wrong
//! channel. A `kind: Secret` with any literal `data`/`stringData` entry
//! fails whatever the key names. A manifest that does not parse makes its
//! items unknown, never pass.

use std::collections::{BTreeSet, HashMap};

use crate::Finding;

use super::secrets::{is_interpolation, is_placeholder, known_format, secret_name};
use super::yaml::{self, Node, Value};
use super::{ALLOW_SECRET_MARKER, Ctx, file_name, item_of, redact};

const SECRETS: &str = "repo.manifest-secrets";
const INSTANCES: &str = "repo.instances";
const ZONES: &str = "repo.zones";

/// Labels that mean "zone" in a topology key.
const ZONE_KEYS: &[&str] = &[
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone",
];

/// Which kind of deploy manifest a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    CloudFoundry,
    Compose,
    Kubernetes,
}

/// One manifest file, parsed or not.
pub(crate) struct Manifest {
    pub(crate) path: String,
    pub(crate) kind: Kind,
    pub(crate) docs: Result<Vec<Node>, String>,
    text: String,
}

impl Manifest {
    fn line_text(&self, line: usize) -> &str {
        self.text.lines().nth(line.saturating_sub(1)).unwrap_or("")
    }
}

/// Whether a file name is a Cloud Foundry manifest.
pub(crate) fn is_cf_manifest(rel: &str) -> bool {
    matches!(file_name(rel), "manifest.yml" | "manifest.yaml")
}

fn is_compose(rel: &str) -> bool {
    let name = file_name(rel).to_ascii_lowercase();
    (name.starts_with("docker-compose") || name.starts_with("compose"))
        && (name.ends_with(".yml") || name.ends_with(".yaml"))
}

fn is_yaml(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    lower.ends_with(".yml") || lower.ends_with(".yaml")
}

/// Every deploy manifest of the repository, parsed.
pub(crate) fn load(ctx: &Ctx<'_>) -> Vec<Manifest> {
    let mut out = Vec::new();
    for rel in ctx.inv.parsed_files() {
        if !is_yaml(rel) || rel.starts_with(".github/") || rel.contains("/.github/") {
            continue;
        }
        let kind = if is_cf_manifest(rel) {
            Kind::CloudFoundry
        } else if is_compose(rel) {
            Kind::Compose
        } else {
            Kind::Kubernetes
        };
        let (text, docs) = match ctx.inv.text(rel) {
            Some(Ok(text)) => {
                if kind == Kind::Kubernetes
                    && !(text.contains("apiVersion") && text.contains("kind"))
                {
                    continue;
                }
                let docs = yaml::parse(text).map_err(|e| {
                    if text.contains("{{") {
                        format!("{e} (a template: render it to check it)")
                    } else {
                        e
                    }
                });
                (text.to_owned(), docs)
            }
            Some(Err(why)) => {
                if kind == Kind::Kubernetes {
                    // Cannot tell whether it is a manifest at all.
                    continue;
                }
                (String::new(), Err(why.to_owned()))
            }
            None => continue,
        };
        // A `manifest.yml` without `applications` is not a CF manifest.
        if kind == Kind::CloudFoundry
            && let Ok(docs) = &docs
            && !docs
                .iter()
                .any(|d| d.get("applications").is_some() || d.get("env").is_some())
        {
            continue;
        }
        if kind == Kind::Kubernetes
            && let Ok(docs) = &docs
            && !docs.iter().any(|d| !k8s_objects(d).is_empty())
        {
            continue;
        }
        out.push(Manifest {
            path: rel.to_owned(),
            kind,
            docs,
            text,
        });
    }
    out
}

/// The Kubernetes objects of a document (a `List` is flattened).
fn k8s_objects(doc: &Node) -> Vec<&Node> {
    if doc.get("kind").and_then(Node::as_str) == Some("List") {
        return doc
            .get("items")
            .map(|items| items.items().iter().filter(|i| is_k8s(i)).collect())
            .unwrap_or_default();
    }
    if is_k8s(doc) { vec![doc] } else { Vec::new() }
}

fn is_k8s(node: &Node) -> bool {
    node.get("apiVersion").and_then(Node::as_text).is_some()
        && node.get("kind").and_then(Node::as_text).is_some()
}

fn kind_of(obj: &Node) -> &str {
    obj.get("kind").and_then(Node::as_str).unwrap_or("")
}

fn name_of(obj: &Node) -> &str {
    obj.at(&["metadata", "name"])
        .and_then(Node::as_text)
        .unwrap_or("(unnamed)")
}

/// The pod spec of a workload or pod.
fn pod_spec(obj: &Node) -> Option<&Node> {
    match kind_of(obj) {
        "Pod" => obj.get("spec"),
        "CronJob" => obj.at(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => obj.at(&["spec", "template", "spec"]),
    }
}

// ---------------------------------------------------------------- secrets

struct SecretHit {
    line: usize,
    key: String,
    why: &'static str,
    hint: String,
}

/// Judges one `key = value` entry.
fn judge(key: &str, value: &str, in_dotenv: bool) -> Option<&'static str> {
    let value = value.trim();
    if value.is_empty() || is_interpolation(value) {
        return None;
    }
    if let Some(kind) = known_format(value) {
        return Some(kind);
    }
    if !secret_name(key) {
        return None;
    }
    if is_placeholder(value) {
        return in_dotenv.then_some("placeholder secret in a committed .env file");
    }
    Some("literal value for a secret-looking name")
}

fn hit(key: &str, value: &str, line: usize, why: &'static str) -> SecretHit {
    SecretHit {
        line,
        key: key.to_owned(),
        why,
        hint: redact(value.trim()),
    }
}

/// Entries of an env mapping (`KEY: value`) or list (`- KEY=value`).
fn env_entries(env: &Node) -> Vec<(String, String, usize)> {
    match &env.value {
        Value::Map(entries) => entries
            .iter()
            .filter_map(|(k, v)| {
                let key = k.as_str()?.to_owned();
                let value = v.as_text().unwrap_or("").to_owned();
                Some((key, value, v.line.max(k.line)))
            })
            .collect(),
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| {
                let s = i.as_text()?;
                let (k, v) = s.split_once('=')?;
                Some((k.to_owned(), v.to_owned(), i.line))
            })
            .collect(),
        Value::Scalar(..) => Vec::new(),
    }
}

fn manifest_secrets(m: &Manifest, docs: &[Node]) -> (usize, Vec<SecretHit>) {
    let mut checked = 0;
    let mut hits = Vec::new();
    let check = |entries: Vec<(String, String, usize)>, hits: &mut Vec<SecretHit>| {
        let n = entries.len();
        for (key, value, line) in entries {
            if let Some(why) = judge(&key, &value, false) {
                hits.push(hit(&key, &value, line, why));
            }
        }
        n
    };
    for doc in docs {
        match m.kind {
            Kind::CloudFoundry => {
                if let Some(env) = doc.get("env") {
                    checked += check(env_entries(env), &mut hits);
                }
                for app in doc.get("applications").map(Node::items).unwrap_or(&[]) {
                    if let Some(env) = app.get("env") {
                        checked += check(env_entries(env), &mut hits);
                    }
                }
            }
            Kind::Compose => {
                for (_, svc) in doc.get("services").map(Node::entries).unwrap_or(&[]) {
                    if let Some(env) = svc.get("environment") {
                        checked += check(env_entries(env), &mut hits);
                    }
                }
            }
            Kind::Kubernetes => {
                for obj in k8s_objects(doc) {
                    if kind_of(obj) == "Secret" {
                        for field in ["data", "stringData"] {
                            for (k, v) in obj.get(field).map(Node::entries).unwrap_or(&[]) {
                                checked += 1;
                                let value = v.as_text().unwrap_or("");
                                if value.trim().is_empty() || is_interpolation(value) {
                                    continue;
                                }
                                let key = k.as_str().unwrap_or("");
                                hits.push(hit(
                                    &format!("{}/{field}.{key}", name_of(obj)),
                                    value,
                                    v.line.max(k.line),
                                    "literal value in a committed Kubernetes Secret",
                                ));
                            }
                        }
                    }
                    let Some(spec) = pod_spec(obj) else { continue };
                    for list in ["containers", "initContainers"] {
                        for c in spec.get(list).map(Node::items).unwrap_or(&[]) {
                            let entries = c
                                .get("env")
                                .map(Node::items)
                                .unwrap_or(&[])
                                .iter()
                                .filter_map(|e| {
                                    let key = e.get("name")?.as_str()?.to_owned();
                                    let v = e.get("value")?;
                                    Some((key, v.as_text().unwrap_or("").to_owned(), v.line))
                                })
                                .collect();
                            checked += check(entries, &mut hits);
                        }
                    }
                }
            }
        }
    }
    hits.retain(|h| !m.line_text(h.line).contains(ALLOW_SECRET_MARKER));
    (checked, hits)
}

fn is_dotenv(rel: &str) -> bool {
    let name = file_name(rel);
    (name == ".env" || name.starts_with(".env."))
        && !matches!(
            name,
            ".env.example" | ".env.sample" | ".env.template" | ".env.dist" | ".env.defaults"
        )
}

fn dotenv_secrets(text: &str) -> (usize, Vec<SecretHit>) {
    let mut checked = 0;
    let mut hits = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || raw.contains(ALLOW_SECRET_MARKER) {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        checked += 1;
        if let Some(why) = judge(key.trim(), value, true) {
            hits.push(hit(key.trim(), value, i + 1, why));
        }
    }
    (checked, hits)
}

/// `repo.manifest-secrets`.
pub(crate) fn secrets(ctx: &Ctx<'_>) -> Vec<Finding> {
    let item = item_of(SECRETS);
    let mut out = Vec::new();
    let report = |path: &str, checked: usize, hits: Vec<SecretHit>, note: &str| {
        if hits.is_empty() {
            Finding::pass(
                item,
                SECRETS,
                format!("no literal secrets in {checked} environment entries{note}"),
            )
            .about(path)
        } else {
            Finding::fail(
                item,
                SECRETS,
                format!(
                    "{} plain secret(s) in {path}{note}: move them to a secret store",
                    hits.len()
                ),
            )
            .about(path)
            .with_details(
                hits.iter()
                    .map(|h| format!("{path}:{}: {} = {} ({})", h.line, h.key, h.hint, h.why)),
            )
        }
    };
    for m in load(ctx) {
        match &m.docs {
            Ok(docs) => {
                let (checked, hits) = manifest_secrets(&m, docs);
                out.push(report(&m.path, checked, hits, ""));
            }
            Err(why) => out.push(
                Finding::unknown(item, SECRETS, format!("{}: cannot parse: {why}", m.path))
                    .about(m.path.clone()),
            ),
        }
    }
    for rel in ctx.inv.parsed_files().filter(|r| is_dotenv(r)) {
        let note = match ctx.git.is_tracked(rel) {
            Some(false) => continue,
            Some(true) => String::new(),
            None => format!(" ({}: assuming it is committed)", ctx.git.why_unknown()),
        };
        match ctx.inv.text(rel) {
            Some(Ok(text)) => {
                let (checked, hits) = dotenv_secrets(text);
                out.push(report(rel, checked, hits, &note));
            }
            Some(Err(why)) => out.push(
                Finding::unknown(item, SECRETS, format!("{rel}: cannot read: {why}")).about(rel),
            ),
            None => {}
        }
    }
    if out.is_empty() {
        out.push(Finding::unknown(
            item,
            SECRETS,
            "no deploy manifest found (manifest.yml, docker-compose*.yml, compose*.yaml, \
             Kubernetes YAML, .env): cannot tell where secrets come from",
        ));
    }
    out
}

// -------------------------------------------------------------- instances

struct Unit {
    name: String,
    count: Option<u64>,
    line: usize,
    note: String,
}

fn units(m: &Manifest, docs: &[Node]) -> Vec<Unit> {
    let mut out = Vec::new();
    match m.kind {
        Kind::CloudFoundry => {
            for doc in docs {
                for app in doc.get("applications").map(Node::items).unwrap_or(&[]) {
                    let name = app
                        .get("name")
                        .and_then(Node::as_text)
                        .unwrap_or("(unnamed)");
                    let (count, line, note) = count_of(app.get("instances"), app.line);
                    out.push(Unit {
                        name: format!("application `{name}`"),
                        count,
                        line,
                        note,
                    });
                }
            }
        }
        Kind::Compose => {
            for doc in docs {
                for (k, svc) in doc.get("services").map(Node::entries).unwrap_or(&[]) {
                    let name = k.as_str().unwrap_or("(unnamed)");
                    let field = svc.at(&["deploy", "replicas"]).or(svc.get("scale"));
                    let (count, line, note) = count_of(field, k.line);
                    out.push(Unit {
                        name: format!("service `{name}`"),
                        count,
                        line,
                        note,
                    });
                }
            }
        }
        Kind::Kubernetes => {
            let objs: Vec<&Node> = docs.iter().flat_map(k8s_objects).collect();
            let hpas: Vec<&Node> = objs
                .iter()
                .copied()
                .filter(|o| kind_of(o) == "HorizontalPodAutoscaler")
                .collect();
            for obj in objs {
                let kind = kind_of(obj);
                if !matches!(kind, "Deployment" | "StatefulSet" | "ReplicaSet") {
                    continue;
                }
                let name = name_of(obj);
                let (mut count, mut line, mut note) =
                    count_of(obj.at(&["spec", "replicas"]), obj.line);
                for hpa in &hpas {
                    let target = hpa.at(&["spec", "scaleTargetRef"]);
                    if target.and_then(|t| t.get("name")).and_then(Node::as_str) == Some(name)
                        && target.and_then(|t| t.get("kind")).and_then(Node::as_str) == Some(kind)
                    {
                        let (min, min_line, min_note) =
                            count_of(hpa.at(&["spec", "minReplicas"]), hpa.line);
                        if let Some(min) = min
                            && min >= 2
                            && count.is_none_or(|c| c < min)
                        {
                            count = Some(min);
                            line = min_line;
                            note = format!(
                                " (minReplicas of HorizontalPodAutoscaler `{}`{min_note})",
                                name_of(hpa)
                            );
                        }
                    }
                }
                out.push(Unit {
                    name: format!("{kind} `{name}`"),
                    count,
                    line,
                    note,
                });
            }
        }
    }
    out
}

/// Reads a count field: missing means 1; a non-number is undecidable.
fn count_of(field: Option<&Node>, fallback_line: usize) -> (Option<u64>, usize, String) {
    match field {
        None => (
            Some(1),
            fallback_line,
            " (not set: defaults to 1)".to_owned(),
        ),
        Some(node) if node.is_null() => {
            (Some(1), node.line, " (not set: defaults to 1)".to_owned())
        }
        Some(node) => match node.as_u64() {
            Some(n) => (Some(n), node.line, String::new()),
            None => (
                None,
                node.line,
                format!(" (`{}` is not a number)", node.as_str().unwrap_or("…")),
            ),
        },
    }
}

/// `repo.instances`.
pub(crate) fn instances(ctx: &Ctx<'_>) -> Vec<Finding> {
    let item = item_of(INSTANCES);
    let mut out = Vec::new();
    for m in load(ctx) {
        let docs = match &m.docs {
            Ok(docs) => docs,
            Err(why) => {
                out.push(
                    Finding::unknown(item, INSTANCES, format!("{}: cannot parse: {why}", m.path))
                        .about(m.path.clone()),
                );
                continue;
            }
        };
        let units = units(&m, docs);
        if units.is_empty() {
            continue;
        }
        let path = &m.path;
        let line_of = |u: &Unit| {
            let n = u
                .count
                .map_or_else(|| "unknown".to_owned(), |n| n.to_string());
            format!(
                "{path}:{}: {} runs {n} instance(s){}",
                u.line, u.name, u.note
            )
        };
        let few: Vec<String> = units
            .iter()
            .filter(|u| u.count.is_some_and(|n| n < 2))
            .map(line_of)
            .collect();
        let undecided: Vec<String> = units
            .iter()
            .filter(|u| u.count.is_none())
            .map(line_of)
            .collect();
        let finding = if !few.is_empty() {
            Finding::fail(
                item,
                INSTANCES,
                format!(
                    "{} of {} run fewer than 2 instances in {path}",
                    few.len(),
                    units.len()
                ),
            )
            .with_details(few.into_iter().chain(undecided))
        } else if !undecided.is_empty() {
            Finding::unknown(
                item,
                INSTANCES,
                format!("instance count cannot be read in {path}"),
            )
            .with_details(undecided)
        } else {
            Finding::pass(
                item,
                INSTANCES,
                format!("every unit in {path} runs at least 2 instances"),
            )
            .with_details(units.iter().map(line_of))
        };
        out.push(finding.about(path.clone()));
    }
    if !out.is_empty() {
        return out;
    }
    let components = &ctx.service.components;
    if components.is_empty() {
        return vec![Finding::unknown(
            item,
            INSTANCES,
            "no deployment manifest and no components in the catalog",
        )];
    }
    components
        .iter()
        .map(|c| {
            let subject = format!("component {}", c.id);
            if c.instances < 2 {
                Finding::fail(
                    item,
                    INSTANCES,
                    format!(
                        "component `{}` runs {} instance(s) (catalog; no deployment manifest in the repository)",
                        c.id, c.instances
                    ),
                )
                .about(subject)
            } else {
                Finding::pass(
                    item,
                    INSTANCES,
                    format!(
                        "component `{}` runs {} instances (catalog; no deployment manifest in the repository)",
                        c.id, c.instances
                    ),
                )
                .about(subject)
            }
        })
        .collect()
}

// ------------------------------------------------------------------ zones

/// Whether a pod spec spreads across zones, and the line that says so.
fn zone_spread(spec: &Node) -> Option<(usize, &'static str)> {
    for c in spec
        .get("topologySpreadConstraints")
        .map(Node::items)
        .unwrap_or(&[])
    {
        if let Some(key) = c.get("topologyKey")
            && key.as_str().is_some_and(|k| ZONE_KEYS.contains(&k))
        {
            return Some((key.line, "topologySpreadConstraints on zone"));
        }
    }
    let anti = spec.at(&["affinity", "podAntiAffinity"])?;
    for field in [
        "requiredDuringSchedulingIgnoredDuringExecution",
        "preferredDuringSchedulingIgnoredDuringExecution",
    ] {
        for term in anti.get(field).map(Node::items).unwrap_or(&[]) {
            let term = term.get("podAffinityTerm").unwrap_or(term);
            if let Some(key) = term.get("topologyKey")
                && key.as_str().is_some_and(|k| ZONE_KEYS.contains(&k))
            {
                return Some((key.line, "pod anti-affinity on zone"));
            }
        }
    }
    None
}

/// `repo.zones`.
pub(crate) fn zones(ctx: &Ctx<'_>) -> Vec<Finding> {
    let item = item_of(ZONES);
    let mut out = Vec::new();
    let mut unspread = Vec::new();
    for m in load(ctx) {
        if m.kind != Kind::Kubernetes {
            continue;
        }
        let docs = match &m.docs {
            Ok(docs) => docs,
            Err(why) => {
                out.push(
                    Finding::unknown(item, ZONES, format!("{}: cannot parse: {why}", m.path))
                        .about(m.path.clone()),
                );
                continue;
            }
        };
        for obj in docs.iter().flat_map(k8s_objects) {
            let kind = kind_of(obj);
            if !matches!(
                kind,
                "Deployment" | "StatefulSet" | "ReplicaSet" | "DaemonSet"
            ) {
                continue;
            }
            let Some(spec) = pod_spec(obj) else { continue };
            match zone_spread(spec) {
                Some((line, how)) => out.push(
                    Finding::pass(
                        item,
                        ZONES,
                        format!("{kind} `{}` spreads over zones ({how})", name_of(obj)),
                    )
                    .about(m.path.clone())
                    .with_details([format!("{}:{line}: {how}", m.path)]),
                ),
                None => unspread.push((
                    m.path.clone(),
                    obj.line,
                    format!("{kind} `{}`", name_of(obj)),
                )),
            }
        }
    }
    let mut catalog_zoned = BTreeSet::new();
    for c in &ctx.service.components {
        let distinct: BTreeSet<&str> = c.zones.iter().map(String::as_str).collect();
        let subject = format!("component {}", c.id);
        match distinct.len() {
            0 => {}
            1 => out.push(
                Finding::fail(
                    item,
                    ZONES,
                    format!(
                        "component `{}` runs in one zone only ({}) per the catalog",
                        c.id, c.zones[0]
                    ),
                )
                .about(subject),
            ),
            _ => {
                catalog_zoned.insert(c.id.as_str());
                out.push(
                    Finding::pass(
                        item,
                        ZONES,
                        format!(
                            "component `{}` runs in {} zones per the catalog ({})",
                            c.id,
                            distinct.len(),
                            distinct.into_iter().collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .about(subject),
                );
            }
        }
    }
    // Workloads without a zone rule are undecided unless the catalog
    // vouches for a component of the same name.
    let mut by_path: HashMap<String, Vec<String>> = HashMap::new();
    for (path, line, what) in unspread {
        let name = what.split('`').nth(1).unwrap_or("");
        if catalog_zoned.contains(name) {
            continue;
        }
        by_path.entry(path.clone()).or_default().push(format!(
            "{path}:{line}: {what} has no zone spread constraint or anti-affinity"
        ));
    }
    let mut paths: Vec<_> = by_path.into_iter().collect();
    paths.sort();
    for (path, details) in paths {
        out.push(
            Finding::unknown(
                item,
                ZONES,
                format!(
                    "{} workload(s) in {path} do not ask to be spread over zones; whether the cluster spreads them cannot be told from the repository",
                    details.len()
                ),
            )
            .about(path)
            .with_details(details),
        );
    }
    if out.is_empty() {
        out.push(Finding::unknown(
            item,
            ZONES,
            "no zone evidence: no Kubernetes topologySpreadConstraints or anti-affinity on \
             zone, and no component zones in the catalog",
        ));
    }
    out
}
