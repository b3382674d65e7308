//! How long the repository collectors take on a large checkout: 50,000
//! files (source in nested folders, a `node_modules` and a `vendor` folder
//! that must be skipped, a few manifests), committed once in setup.
//!
//! Run with `cargo bench -p shipshape-readiness --bench repo_scan`.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use shipshape_readiness::collect::repo::{RepoOptions, RepoProgress, collect};

/// Files in the generated repository.
const TOTAL: usize = 50_000;
/// Of which under `node_modules/` (git-ignored) and `vendor/` (committed).
const NODE_MODULES: usize = 6_000;
const VENDOR: usize = 4_000;

const SOURCE: &str = "//! Generated module.\n\nuse std::collections::HashMap;\n\n\
pub fn lookup(map: &HashMap<String, u32>, key: &str) -> Option<u32> {\n    \
let token_count = map.len();\n    let _ = token_count;\n    map.get(key).copied()\n}\n\n\
#[cfg(test)]\nmod tests {\n    #[test]\n    fn works() {\n        assert_eq!(1 + 1, 2);\n    }\n}\n";

const MANIFESTS: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        "[package]\nname = \"big\"\nversion = \"0.1.0\"\n\n[dependencies]\nserde = \"1\"\n",
    ),
    ("Cargo.lock", "version = 4\n"),
    (
        "web/package.json",
        "{\"name\":\"web\",\"scripts\":{\"deploy\":\"make deploy\"},\"dependencies\":{\"a\":\"1.0.0\"}}\n",
    ),
    ("web/package-lock.json", "{\"lockfileVersion\":3}\n"),
    (
        "Dockerfile",
        "FROM rust@sha256:0000000000000000000000000000000000000000000000000000000000000000 AS build\nFROM scratch\n",
    ),
    (
        "manifest.yml",
        "applications:\n  - name: big\n    instances: 2\n    env:\n      DB_PASSWORD: ((db))\n",
    ),
    (
        ".github/workflows/ci.yml",
        "jobs:\n  deploy:\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n",
    ),
    ("Makefile", "deploy:\n\tcf push\n"),
    (".gitignore", "node_modules/\n"),
    (
        "README.md",
        "# Big\n\n## Support\n\nhttps://github.com/example/big/issues\n",
    ),
];

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).expect("create dir");
    }
    fs::write(path, text).expect("write file");
}

fn generate(root: &Path) {
    for (rel, text) in MANIFESTS {
        write(root, rel, text);
    }
    for i in 0..NODE_MODULES {
        write(
            root,
            &format!("node_modules/pkg{}/lib/file{i}.js", i / 50),
            "module.exports = { token: 'AKIAIOSFODNN7EXAMPLE' };\n", // shipshape:allow-secret: a fake credential for the test
        );
    }
    for i in 0..VENDOR {
        write(
            root,
            &format!("vendor/crate{}/src/file{i}.rs", i / 40),
            SOURCE,
        );
    }
    let sources = TOTAL - NODE_MODULES - VENDOR - MANIFESTS.len();
    for i in 0..sources {
        write(
            root,
            &format!("src/area{}/module{}/file{i}.rs", i / 2_000, (i / 40) % 50),
            SOURCE,
        );
    }
}

fn git(root: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "user.name=Bench",
            "-c",
            "user.email=bench@example.org",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .status()
        .expect("run git");
    assert!(status.success(), "git {args:?} failed");
}

fn repo_scan(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    generate(root);
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "generated"]);
    let source = "[[service]]\nid = \"big\"\n";
    let catalog =
        shipshape_catalog::parse_str(source, &root.join("shipshape.toml")).expect("catalog parses");
    let service = &catalog.services[0];
    let opts = RepoOptions::default();

    // Sanity: the scan finishes and skips node_modules.
    let findings = collect(root, service, &opts, &|_: RepoProgress| {});
    assert!(
        findings
            .iter()
            .all(|f| !f.verdict.label().eq("unknown") || f.collector != "repo.committed-secrets"),
        "the scan did not finish: {findings:?}"
    );

    let mut group = c.benchmark_group("repo");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15));
    group.bench_function("collect_50k_files", |b| {
        b.iter(|| collect(root, service, &opts, &|_: RepoProgress| {}))
    });
    group.finish();
}

criterion_group!(benches, repo_scan);
criterion_main!(benches);
