//! The repository collectors against the sample repositories in
//! `tests/fixtures/repos/`: each is copied into a temp dir (where
//! `dot-env` becomes `.env`), committed with git, then reviewed.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use shipshape_catalog::{Service, parse_str};
use shipshape_readiness::Finding;
use shipshape_readiness::collect::repo::{COLLECTORS, RepoOptions, RepoProgress, collect};

/// Secret values planted in the `bad` fixture: none may ever be reported.
const PLANTED: &[&str] = &[
    "hunter2hunter2",
    "s3ss10n-s3cr3t-v4lu3",
    "tok3n-v4lu3-abcdef123",
    "pgp4ssw0rd-literal",
    "k8s-str1pe-k3y-literal",
    "k8s-db-p4ss",
    "d0tenv-t0ken-literal-value",
    "AKIAIOSFODNN7EXAMPLE", // shipshape:allow-secret: a fake credential for the test
    "MIIEowIBAAKCAQEA",
    "q7Zp2LmX9vK4tR8wN1bY6cH3jF0sD5gAe+Qu",
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/repos")
        .join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let target = match name.strip_prefix("dot-") {
            Some(rest) => to.join(format!(".{rest}")),
            None => to.join(&name),
        };
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.org",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?} failed");
}

/// A copy of fixture `name` in a temp dir; committed unless `commit` is
/// false.
fn checkout(name: &str, commit: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(name), dir.path());
    if commit {
        git(dir.path(), &["init", "-q"]);
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-q", "-m", "init"]);
    }
    dir
}

/// A service parsed from a catalog snippet with these components.
fn service(components: &str) -> Service {
    let source = format!("[[service]]\nid = \"svc\"\n{components}");
    let catalog = parse_str(&source, Path::new("/tmp/shipshape.toml"))
        .unwrap_or_else(|d| panic!("catalog: {d}"));
    catalog.services[0].clone()
}

fn run(root: &Path, svc: &Service, opts: &RepoOptions) -> Vec<Finding> {
    collect(root, svc, opts, &|_: RepoProgress| {})
}

/// Findings per collector.
fn by_collector(findings: &[Finding]) -> BTreeMap<&str, Vec<&Finding>> {
    let mut map: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        map.entry(f.collector.as_str()).or_default().push(f);
    }
    map
}

/// The folded verdict of a collector: any fail, else any unknown, else pass.
fn folded(findings: &[Finding], collector: &str) -> &'static str {
    let mine: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.collector == collector)
        .collect();
    assert!(!mine.is_empty(), "no finding from {collector}");
    let labels: Vec<&str> = mine.iter().map(|f| f.verdict.label()).collect();
    if labels.contains(&"fail") {
        "fail"
    } else if labels.contains(&"unknown") {
        "unknown"
    } else {
        "pass"
    }
}

fn details(findings: &[Finding], collector: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.collector == collector)
        .flat_map(|f| f.details.clone())
        .collect()
}

fn reasons(findings: &[Finding], collector: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.collector == collector)
        .map(text_of)
        .collect()
}

fn text_of(f: &Finding) -> String {
    match &f.verdict {
        shipshape_readiness::Verdict::Pass { evidence } => evidence.clone(),
        shipshape_readiness::Verdict::Fail { reason }
        | shipshape_readiness::Verdict::Unknown { reason }
        | shipshape_readiness::Verdict::NotApplicable { reason } => reason.clone(),
        other => format!("{other:?}"),
    }
}

fn has(lines: &[String], needle: &str) -> bool {
    lines.iter().any(|l| l.contains(needle))
}

fn dump(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "{} {} [{}] {}\n    {}",
                f.collector,
                f.verdict.label(),
                f.subject.as_deref().unwrap_or("-"),
                text_of(f),
                f.details.join("\n    ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn collectors_match_the_checklist() {
    for (collector, item) in COLLECTORS {
        let entry = shipshape_readiness::item(item).unwrap_or_else(|| panic!("no item {item}"));
        assert!(
            entry.collectors.contains(collector),
            "{item} does not list {collector}"
        );
    }
}

#[test]
fn good_repository_passes_every_collector() {
    let repo = checkout("good", true);
    let svc = service(
        "[[service.component]]\nid = \"good-web\"\ninstances = 2\nzones = [\"eu-1a\", \"eu-1b\"]\n",
    );
    let findings = run(repo.path(), &svc, &RepoOptions::default());
    for (collector, item) in COLLECTORS {
        assert_eq!(
            folded(&findings, collector),
            "pass",
            "{collector}:\n{}",
            dump(&findings)
        );
        assert!(
            findings
                .iter()
                .filter(|f| f.collector == *collector)
                .all(|f| f.item == *item)
        );
    }
    let map = by_collector(&findings);
    // One finding per ecosystem, Dockerfile and workflow.
    let deps: Vec<&str> = map["repo.dependencies"]
        .iter()
        .filter_map(|f| f.subject.as_deref())
        .collect();
    for subject in [
        "Cargo.toml",
        "web/package.json",
        "requirements.txt",
        "go.mod",
        "Gemfile",
        "Dockerfile",
        ".github/workflows/ci.yml",
    ] {
        assert!(deps.contains(&subject), "{subject} missing in {deps:?}");
    }
    // The HPA lifts good-worker to two; the anti-affinity counts for zones.
    assert!(has(
        &details(&findings, "repo.instances"),
        "HorizontalPodAutoscaler `good-worker`"
    ));
    assert!(has(
        &reasons(&findings, "repo.zones"),
        "`good-worker` spreads over zones (pod anti-affinity on zone)"
    ));
    assert!(has(
        &details(&findings, "repo.deploy-command"),
        "Makefile:6: target `deploy`"
    ));
    assert!(has(
        &details(&findings, "repo.deploy-command"),
        ".github/workflows/ci.yml:13: CI job `deploy`"
    ));
    assert!(has(
        &details(&findings, "repo.support-queue"),
        "https://github.com/example/good-service/issues"
    ));
    assert!(has(
        &details(&findings, "repo.recovery-doc"),
        "docs/operations.md:3: section \"Disaster recovery\""
    ));
    // The AKIA key in src/main.rs carries the opt-out marker.
    assert!(has(
        &reasons(&findings, "repo.committed-secrets"),
        "tracked text files"
    ));
}

#[test]
fn bad_repository_fails_every_collector() {
    let repo = checkout("bad", true);
    let svc = service("[[service.component]]\nid = \"bad-web\"\nzones = [\"eu-1a\"]\n");
    let findings = run(repo.path(), &svc, &RepoOptions::default());
    let all = dump(&findings);
    for (collector, _) in COLLECTORS {
        assert_eq!(folded(&findings, collector), "fail", "{collector}:\n{all}");
    }

    let deps = details(&findings, "repo.dependencies");
    for needle in [
        "Cargo.toml: no lockfile",
        "package.json: no lockfile",
        "py/pyproject.toml: no lockfile",
        "go.mod: no lockfile",
        "Gemfile: no lockfile",
        "requirements.txt:1: flask>=2.0 (not pinned with ==)",
        "requirements.txt:2: requests==2.31.0 (no --hash)",
        "requirements.txt:3: -e (editable install)",
        "Dockerfile:1: FROM python:3.12-slim (not pinned by @sha256: digest)",
        ".github/workflows/ci.yml:7: uses: actions/checkout@v4",
        ".github/workflows/ci.yml:8: uses: actions/setup-python@main",
    ] {
        assert!(has(&deps, needle), "missing `{needle}` in\n{all}");
    }

    let secrets = details(&findings, "repo.manifest-secrets");
    for needle in [
        "manifest.yml:6: DB_PASSWORD = hunt…",
        "manifest.yml:7: SESSION_SECRET",
        "docker-compose.yml:5: API_TOKEN",
        "docker-compose.yml:10: POSTGRES_PASSWORD",
        "k8s/app.yaml:18: STRIPE_API_KEY",
        "k8s/app.yaml:26: bad-web/stringData.db-url",
        ".env:2: ADMIN_PASSWORD",
        ".env:3: GITHUB_TOKEN",
    ] {
        assert!(has(&secrets, needle), "missing `{needle}` in\n{all}");
    }
    assert!(!has(&secrets, "LOG_LEVEL"), "{all}");

    let committed = details(&findings, "repo.committed-secrets");
    assert!(
        has(&committed, "config/aws.py:2: AWS access key id AKIA…"),
        "{all}"
    );
    assert!(has(&committed, "keys/id_rsa:1: private key block"), "{all}");
    // High entropy under a secret-looking name only.
    assert!(
        has(
            &committed,
            "config/settings.toml:2: high-entropy value signing_key = q7Zp…"
        ),
        "{all}"
    );
    assert!(
        has(
            &committed,
            "config/settings.toml:3: high-entropy value session_token = 9f86…"
        ),
        "{all}"
    );
    assert!(!has(&committed, "config/settings.toml:5:"), "{all}");
    assert!(!has(&committed, "config/settings.toml:6:"), "{all}");
    assert!(!has(&committed, "config/settings.toml:7:"), "{all}");

    assert!(has(
        &reasons(&findings, "repo.deploy-command"),
        "no deploy command found"
    ));
    let ignore = reasons(&findings, "repo.deploy-ignore");
    assert!(has(&ignore, "Dockerfile has no .dockerignore"), "{all}");
    assert!(
        has(
            &ignore,
            "manifest.yml pushes the folder without a .cfignore"
        ),
        "{all}"
    );

    let instances = details(&findings, "repo.instances");
    for needle in [
        "manifest.yml:2: application `bad-web` runs 1 instance(s) (not set: defaults to 1)",
        "docker-compose.yml:2: service `web` runs 1 instance(s)",
        "k8s/app.yaml:6: Deployment `bad-web` runs 1 instance(s)",
    ] {
        assert!(has(&instances, needle), "missing `{needle}` in\n{all}");
    }
    assert!(has(
        &reasons(&findings, "repo.zones"),
        "runs in one zone only (eu-1a)"
    ));
    assert!(has(
        &reasons(&findings, "repo.contact"),
        "no contact entry point documented"
    ));
}

#[test]
fn no_secret_value_is_ever_reported() {
    for (name, commit) in [("bad", true), ("bad", false), ("malformed", true)] {
        let repo = checkout(name, commit);
        let findings = run(repo.path(), &service(""), &RepoOptions::default());
        for f in &findings {
            let text = format!("{} {} {:?}", text_of(f), f.details.join(" "), f.subject);
            for secret in PLANTED {
                assert!(
                    !text.contains(secret),
                    "{name}: `{secret}` leaked in {text}"
                );
            }
        }
    }
}

#[test]
fn a_lockfile_that_is_not_committed_fails() {
    let repo = checkout("good", false);
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["rm", "-q", "--cached", "Cargo.lock"]);
    git(repo.path(), &["commit", "-q", "-m", "init"]);
    let findings = run(repo.path(), &service(""), &RepoOptions::default());
    let cargo = findings
        .iter()
        .find(|f| f.collector == "repo.dependencies" && f.subject.as_deref() == Some("Cargo.toml"))
        .expect("a Cargo finding");
    assert_eq!(cargo.verdict.label(), "fail");
    assert!(
        has(&cargo.details, "Cargo.lock exists but is not committed"),
        "{cargo:?}"
    );
}

#[test]
fn outside_git_lockfiles_are_unknown_and_all_files_are_scanned() {
    let repo = checkout("good", false);
    let findings = run(repo.path(), &service(""), &RepoOptions::default());
    let all = dump(&findings);
    assert_eq!(folded(&findings, "repo.dependencies"), "unknown", "{all}");
    assert!(has(
        &details(&findings, "repo.dependencies"),
        "not a git repository: cannot tell whether lockfiles are committed"
    ));
    // Digests and SHAs need no git: they still pass.
    let docker = findings
        .iter()
        .find(|f| f.subject.as_deref() == Some("Dockerfile") && f.collector == "repo.dependencies")
        .unwrap();
    assert!(docker.verdict.is_pass());
    let committed = reasons(&findings, "repo.committed-secrets");
    assert!(
        has(
            &committed,
            "walked text files (all of them: not a git repository"
        ),
        "{all}"
    );
}

#[test]
fn malformed_files_are_unknown_or_skipped_never_pass() {
    let repo = checkout("malformed", true);
    let root = repo.path();
    // Generated here, not committed: a 2 MiB file and symlink loops.
    let mut huge = "x".repeat(1024).repeat(2 * 1024);
    huge.push_str("\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"); // shipshape:allow-secret: a fake credential for the test
    fs::write(root.join("huge.txt"), huge).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(".", root.join("loop")).unwrap();
        std::os::unix::fs::symlink("b", root.join("a")).unwrap();
        std::os::unix::fs::symlink("a", root.join("b")).unwrap();
        std::os::unix::fs::symlink("..", root.join("assets/up")).unwrap();
    }
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "generated"]);

    let findings = run(root, &service(""), &RepoOptions::default());
    let all = dump(&findings);
    let deps = findings
        .iter()
        .filter(|f| f.collector == "repo.dependencies")
        .collect::<Vec<_>>();
    for subject in ["Cargo.toml", "package.json", ".github/workflows/ci.yml"] {
        let f = deps
            .iter()
            .find(|f| f.subject.as_deref() == Some(subject))
            .unwrap_or_else(|| panic!("no finding for {subject}:\n{all}"));
        assert_eq!(f.verdict.label(), "unknown", "{subject}:\n{all}");
    }
    assert!(
        has(
            &details(&findings, "repo.dependencies"),
            "Cargo.toml: cannot parse: line"
        ),
        "{all}"
    );
    // The binary requirements file is reported, not parsed as pinned.
    assert!(
        has(
            &details(&findings, "repo.dependencies"),
            "assets/requirements-binary.txt: cannot read: binary"
        ),
        "{all}"
    );
    for collector in [
        "repo.manifest-secrets",
        "repo.instances",
        "repo.deploy-ignore",
    ] {
        assert_eq!(
            folded(&findings, collector),
            "unknown",
            "{collector}:\n{all}"
        );
        assert!(
            has(&reasons(&findings, collector), "manifest.yml: cannot parse"),
            "{collector}:\n{all}"
        );
    }
    assert!(has(
        &reasons(&findings, "repo.manifest-secrets"),
        "docker-compose.yml: cannot parse"
    ));
    assert!(has(
        &reasons(&findings, "repo.manifest-secrets"),
        "k8s/app.yaml: cannot parse"
    ));
    assert!(has(
        &reasons(&findings, "repo.manifest-secrets"),
        "a template"
    ));
    // Huge and binary files are skipped and listed.
    let committed = details(&findings, "repo.committed-secrets");
    assert_eq!(folded(&findings, "repo.committed-secrets"), "pass", "{all}");
    assert!(has(&committed, "skipped huge.txt: too large"), "{all}");
    assert!(has(&committed, "skipped assets/logo.png: binary"), "{all}");
    // Nothing built on a broken manifest passes.
    for collector in [
        "repo.dependencies",
        "repo.manifest-secrets",
        "repo.instances",
        "repo.zones",
    ] {
        assert!(
            findings
                .iter()
                .filter(|f| f.collector == collector)
                .all(|f| !f.verdict.is_pass()),
            "{collector} passed on broken manifests:\n{all}"
        );
    }
}

#[test]
fn the_deadline_makes_everything_unknown() {
    let repo = checkout("good", true);
    let opts = RepoOptions {
        deadline: Duration::ZERO,
        ..RepoOptions::default()
    };
    let findings = run(repo.path(), &service(""), &opts);
    assert_eq!(findings.len(), COLLECTORS.len());
    for f in &findings {
        assert_eq!(f.verdict.label(), "unknown");
        assert!(
            text_of(f).starts_with("deadline reached after 0 files"),
            "{f:?}"
        );
    }
}

#[test]
fn a_missing_root_is_unknown_for_every_item() {
    let dir = tempfile::tempdir().unwrap();
    let findings = run(
        &dir.path().join("nope"),
        &service(""),
        &RepoOptions::default(),
    );
    assert_eq!(findings.len(), COLLECTORS.len());
    for (f, (collector, item)) in findings.iter().zip(COLLECTORS) {
        assert_eq!((f.collector.as_str(), f.item.as_str()), (*collector, *item));
        assert_eq!(f.verdict.label(), "unknown");
        assert!(text_of(f).contains("cannot be read"), "{f:?}");
    }
}

#[test]
fn without_manifests_the_catalog_decides_instances_and_zones() {
    let repo = checkout("plain", true);
    let findings = run(repo.path(), &service(""), &RepoOptions::default());
    let all = dump(&findings);
    assert!(
        has(
            &reasons(&findings, "repo.instances"),
            "no deployment manifest and no components in the catalog"
        ),
        "{all}"
    );
    assert_eq!(folded(&findings, "repo.zones"), "unknown");
    assert!(has(
        &reasons(&findings, "repo.dependencies"),
        "no dependency manifest found"
    ));
    assert_eq!(folded(&findings, "repo.manifest-secrets"), "unknown");

    let svc = service(
        "[[service.component]]\nid = \"api\"\ninstances = 3\nzones = [\"a\", \"b\"]\n\
         [[service.component]]\nid = \"cron\"\n",
    );
    let findings = run(repo.path(), &svc, &RepoOptions::default());
    let all = dump(&findings);
    assert_eq!(folded(&findings, "repo.instances"), "fail", "{all}");
    assert!(
        has(
            &reasons(&findings, "repo.instances"),
            "component `cron` runs 1 instance(s)"
        ),
        "{all}"
    );
    assert!(
        has(
            &reasons(&findings, "repo.instances"),
            "component `api` runs 3 instances"
        ),
        "{all}"
    );
    assert_eq!(folded(&findings, "repo.zones"), "pass", "{all}");
}

#[test]
fn vendored_and_excluded_folders_are_not_walked() {
    let repo = checkout("good", false);
    let root = repo.path();
    for dir in [
        "node_modules/pkg",
        "vendor/lib",
        "fixtures/leaky",
        "web/target",
    ] {
        fs::create_dir_all(root.join(dir)).unwrap();
        fs::write(
            root.join(dir).join("creds.txt"),
            "aws = AKIAIOSFODNN7EXAMPLE\n", // shipshape:allow-secret: a fake credential for the test
        )
        .unwrap();
        fs::write(root.join(dir).join("package.json"), "{ broken").unwrap();
    }
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "init"]);
    let opts = RepoOptions {
        exclude: vec!["fixtures/*".to_owned()],
        ..RepoOptions::default()
    };
    let seen = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let findings = collect(root, &service(""), &opts, &|p: RepoProgress| {
        seen.fetch_max(p.files_seen, Ordering::Relaxed);
        if p.done {
            done.store(true, Ordering::Relaxed);
        }
    });
    let all = dump(&findings);
    assert_eq!(folded(&findings, "repo.committed-secrets"), "pass", "{all}");
    assert_eq!(folded(&findings, "repo.dependencies"), "pass", "{all}");
    assert!(done.load(Ordering::Relaxed));
    assert!(seen.load(Ordering::Relaxed) >= 20);

    // Without the exclude, the leaky fixture is found.
    let findings = run(root, &service(""), &RepoOptions::default());
    assert!(has(
        &details(&findings, "repo.committed-secrets"),
        "fixtures/leaky/creds.txt:1: AWS access key id"
    ));
}
