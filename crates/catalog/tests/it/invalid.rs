//! Invalid catalogs: each kind of mistake is reported at the exact
//! `line:col` of the offending token, with a message naming it.

use crate::support::errors;

/// One invalid catalog and where its (only) error must be reported.
struct Case {
    name: &'static str,
    source: &'static str,
    line: usize,
    col: usize,
    /// Words the message or help must contain.
    words: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "expectation with a type error points inside the expression",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"home\"\n  http = { url = \"https://x.example/\" }\n  expect = [\"status == 200\", \"status == \\\"ok\\\"\"]\n",
        line: 7,
        col: 41,
        words: &["invalid expectation", "`status` is a number"],
    },
    Case {
        name: "expectation duration without a unit",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"home\"\n  http = { url = \"https://x.example/\" }\n  expect = ['response_time < 800']\n",
        line: 7,
        col: 30,
        words: &["invalid expectation", "800ms"],
    },
    Case {
        name: "toml syntax error",
        source: "[server]\nlisten = \"127.0.0.1:80\n",
        line: 2,
        col: 23,
        words: &["invalid toml", "expected `\"`"],
    },
    Case {
        name: "unknown key with suggestion",
        source: "[[person]]\nid = \"alice\"\nnmae = \"Alice\"\n",
        line: 3,
        col: 1,
        words: &["unknown key `nmae` in `person`", "did you mean `name`?"],
    },
    Case {
        name: "unknown table",
        source: "[sever]\nlisten = \"127.0.0.1:8080\"\n",
        line: 1,
        col: 2,
        words: &["unknown key `sever`", "did you mean `server`?"],
    },
    Case {
        name: "unknown key in a nested table",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"home\"\n  http = { url = \"https://x.example/\", methd = \"GET\" }\n",
        line: 6,
        col: 40,
        words: &["unknown key `methd` in `http`", "did you mean `method`?"],
    },
    Case {
        name: "wrong type",
        source: "[[team]]\nid = \"ops\"\nmembers = \"alice\"\n",
        line: 3,
        col: 11,
        words: &["`members` must be a list, not a string"],
    },
    Case {
        name: "missing required key",
        source: "[[person]]\nname = \"Alice\"\n",
        line: 1,
        col: 1,
        words: &["missing key `id` in `person`"],
    },
    Case {
        name: "duplicate top-level id",
        source: "[[person]]\nid = \"alice\"\n\n[[person]]\nid = \"alice\"\n",
        line: 5,
        col: 6,
        words: &["duplicate person id `alice`", "first defined on line 2"],
    },
    Case {
        name: "duplicate monitor within a service",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"home\"\n  tls = { host = \"x.example\" }\n\n  [[service.monitor]]\n  id = \"home\"\n  tls = { host = \"y.example\" }\n",
        line: 9,
        col: 8,
        words: &["duplicate monitor id `home` in service `api`", "line 5"],
    },
    Case {
        name: "unknown reference with suggestion",
        source: "[[team]]\nid = \"benefits\"\n\n[[service]]\nid = \"api\"\nowner = \"benefit\"\n",
        line: 6,
        col: 9,
        words: &[
            "unknown team `benefit` in `owner`",
            "did you mean `benefits`?",
        ],
    },
    Case {
        name: "unknown escalation target",
        source: "[[escalation]]\nid = \"e\"\nsteps = [{ notify = [\"schedule:primary\"] }]\n",
        line: 3,
        col: 22,
        words: &["unknown schedule `primary` in `notify`", "[[schedule]]"],
    },
    Case {
        name: "malformed escalation target",
        source: "[[escalation]]\nid = \"e\"\nsteps = [{ notify = [\"group:ops\"] }]\n",
        line: 3,
        col: 22,
        words: &["invalid target `group:ops`", "team:ID"],
    },
    Case {
        name: "duration with words",
        source: "[server]\nrequest_timeout = \"10 minutes\"\n",
        line: 2,
        col: 19,
        words: &["invalid duration `10 minutes`", "30s"],
    },
    Case {
        name: "negative duration",
        source: "[server]\nrequest_timeout = \"-5s\"\n",
        line: 2,
        col: 19,
        words: &["duration `-5s` is negative"],
    },
    Case {
        name: "raw retention too short",
        source: "[store]\nraw_retention = \"30m\"\n",
        line: 2,
        col: 17,
        words: &["`raw_retention` must be at least `1h`, found `30m`"],
    },
    Case {
        name: "rollups kept less than raw results",
        source: "[store]\nraw_retention = \"3d\"\nrollup_retention = \"2d\"\n",
        line: 3,
        col: 20,
        words: &["`rollup_retention` must be at least `3d`, found `2d`"],
    },
    Case {
        name: "bad size",
        source: "[server]\nmax_body = \"1 TiB\"\n",
        line: 2,
        col: 12,
        words: &["invalid size `1 TiB`", "MiB"],
    },
    Case {
        name: "bad url",
        source: "[server]\npublic_url = \"ops.example.gov\"\n",
        line: 2,
        col: 14,
        words: &["invalid url `ops.example.gov`", "https://"],
    },
    Case {
        name: "bad time zone with suggestion",
        source: "[[person]]\nid = \"alice\"\ntimezone = \"America/New_Yrok\"\n",
        line: 3,
        col: 12,
        words: &[
            "unknown time zone `America/New_Yrok`",
            "did you mean `America/New_York`?",
        ],
    },
    Case {
        name: "bad date",
        source: "[[third_party]]\nid = \"s3\"\napproved = { by = \"ISSO\", on = \"2026-02-30\" }\n",
        line: 3,
        col: 32,
        words: &["invalid date `2026-02-30`", "YYYY-MM-DD"],
    },
    Case {
        name: "bad handoff",
        source: "[[person]]\nid = \"a\"\n\n[[schedule]]\nid = \"s\"\ntimezone = \"UTC\"\nrotation = { members = [\"a\"], every = \"1w\", handoff = \"noon\", start = \"2026-11-30\" }\n",
        line: 7,
        col: 55,
        words: &["invalid handoff `noon`", "monday 09:00"],
    },
    Case {
        name: "percentage above 100",
        source: "[[service]]\nid = \"api\"\nslo = { availability = \"101%\" }\n",
        line: 3,
        col: 24,
        words: &["percentage `101%` is above 100%"],
    },
    Case {
        name: "bad cidr",
        source: "[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"10.0.0.0/33\"]\n",
        line: 2,
        col: 34,
        words: &["invalid cidr `10.0.0.0/33`"],
    },
    Case {
        name: "bad socket address",
        source: "[server]\nlisten = \"localhost:8080\"\n",
        line: 2,
        col: 10,
        words: &["invalid socket address `localhost:8080`", "IP:PORT"],
    },
    Case {
        name: "every below one second",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  tls = { host = \"x.example\" }\n  every = \"500ms\"\n",
        line: 7,
        col: 11,
        words: &["`every` must be at least `1s`, found `500ms`"],
    },
    Case {
        name: "every zero",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  tls = { host = \"x.example\" }\n  every = \"0s\"\n",
        line: 7,
        col: 11,
        words: &["`every` must be at least `1s`, found `0s`"],
    },
    Case {
        name: "confirm zero",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  tls = { host = \"x.example\" }\n  confirm = 0\n",
        line: 7,
        col: 13,
        words: &["`confirm` must be at least 1"],
    },
    Case {
        name: "recover zero",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  tls = { host = \"x.example\" }\n  recover = 0\n",
        line: 7,
        col: 13,
        words: &["`recover` must be at least 1"],
    },
    Case {
        name: "timeout longer than every",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  tls = { host = \"x.example\" }\n  every = \"10s\"\n  timeout = \"30s\"\n",
        line: 8,
        col: 13,
        words: &["`timeout` (`30s`) is longer than `every` (`10s`)"],
    },
    Case {
        name: "repeat zero",
        source: "[[person]]\nid = \"a\"\n\n[[escalation]]\nid = \"e\"\nsteps = [{ notify = [\"person:a\"] }]\nrepeat = 0\n",
        line: 7,
        col: 10,
        words: &["`repeat` must be at least 1"],
    },
    Case {
        name: "instances zero",
        source: "[[service]]\nid = \"api\"\n\n  [[service.component]]\n  id = \"web\"\n  instances = 0\n",
        line: 6,
        col: 15,
        words: &["`instances` must be at least 1"],
    },
    Case {
        name: "negative replicas",
        source: "[[service]]\nid = \"api\"\n\n  [[service.datastore]]\n  id = \"db\"\n  kind = \"postgres\"\n  replicas = -1\n",
        line: 7,
        col: 14,
        words: &["`replicas` must not be negative, found `-1`"],
    },
    Case {
        name: "quorum above locations",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  tls = { host = \"x.example\" }\n  locations = [\"a\", \"b\"]\n  quorum = 3\n",
        line: 8,
        col: 12,
        words: &["`quorum` is 3 but only 2 locations are listed"],
    },
    Case {
        name: "monitor without a kind",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  every = \"30s\"\n",
        line: 4,
        col: 3,
        words: &["monitor `m` has no check", "`heartbeat`"],
    },
    Case {
        name: "monitor with two kinds",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  http = { url = \"https://x.example/\" }\n  tls = { host = \"x.example\" }\n",
        line: 7,
        col: 9,
        words: &["monitor `m` has two checks: `http` and `tls`"],
    },
    Case {
        name: "empty rotation",
        source: "[[schedule]]\nid = \"s\"\ntimezone = \"UTC\"\nrotation = { members = [], every = \"1w\", start = \"2026-11-30\" }\n",
        line: 4,
        col: 24,
        words: &["rotation has no members"],
    },
    Case {
        name: "dependency cycle",
        source: "[[service]]\nid = \"a\"\ndepends_on = [\"b\"]\n\n[[service]]\nid = \"b\"\ndepends_on = [\"a\"]\n",
        line: 7,
        col: 15,
        words: &["dependency cycle: `a` → `b` → `a`"],
    },
    Case {
        name: "unknown status page monitor",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"home\"\n  tls = { host = \"x.example\" }\n\n[status_page]\ntitle = \"Status\"\ncomponents = [{ name = \"Web\", monitors = [\"api/hom\"] }]\n",
        line: 10,
        col: 43,
        words: &[
            "unknown monitor `api/hom` in `monitors`",
            "did you mean `api/home`?",
        ],
    },
    Case {
        name: "unknown service in status page reference",
        source: "[status_page]\ntitle = \"Status\"\ncomponents = [{ name = \"Web\", monitors = [\"nope/home\"] }]\n",
        line: 3,
        col: 43,
        words: &["unknown service `nope` in `monitors`"],
    },
    Case {
        name: "unknown component of the service",
        source: "[[service]]\nid = \"api\"\n\n  [[service.component]]\n  id = \"web\"\n\n  [[service.monitor]]\n  id = \"m\"\n  component = \"wbe\"\n  tls = { host = \"x.example\" }\n",
        line: 9,
        col: 15,
        words: &[
            "unknown component `wbe` in `component`",
            "did you mean `web`?",
        ],
    },
    Case {
        name: "unknown datastore in a datastore monitor",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  datastore = { ref = \"db\" }\n",
        line: 6,
        col: 23,
        words: &["unknown datastore `db` in `ref`", "[[service.datastore]]"],
    },
    Case {
        name: "datastore monitor whose datastore has no url",
        source: "[[service]]\nid = \"api\"\n\n  [[service.datastore]]\n  id = \"db\"\n  kind = \"postgres\"\n\n  [[service.monitor]]\n  id = \"m\"\n  datastore = { ref = \"db\" }\n",
        line: 10,
        col: 23,
        words: &[
            "datastore `db` has no `url`",
            "add `url = …` to datastore `db` on line 4",
        ],
    },
    Case {
        name: "datastore monitor with both ref and kind",
        source: "[[service]]\nid = \"api\"\n\n  [[service.datastore]]\n  id = \"db\"\n  kind = \"redis\"\n  url = \"redis://cache:6379\"\n\n  [[service.monitor]]\n  id = \"m\"\n  datastore = { ref = \"db\", kind = \"redis\" }\n",
        line: 11,
        col: 36,
        words: &["`datastore` has both `ref` and `kind`", "use either"],
    },
    Case {
        name: "datastore monitor naming no datastore",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  datastore = { }\n",
        line: 6,
        col: 15,
        words: &["`datastore` names no datastore", "ref = \"ID\""],
    },
    Case {
        name: "inline datastore without a url",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  datastore = { kind = \"redis\" }\n",
        line: 6,
        col: 15,
        words: &["missing key `url` in `datastore`"],
    },
    Case {
        name: "inline datastore url of another kind",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  datastore = { kind = \"postgres\", url = \"redis://cache:6379\" }\n",
        line: 6,
        col: 42,
        words: &[
            "`url` is a `redis://` URL but `kind` is `postgres`",
            "`postgres://`",
        ],
    },
    Case {
        name: "client certificate without its key",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  http = { url = \"https://x.example/\", client_key = { secret = \"env:KEY\" } }\n",
        line: 6,
        col: 53,
        words: &["`client_key` is set without `client_cert`", "needs both"],
    },
    Case {
        name: "unknown starttls protocol",
        source: "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  tls = { host = \"mx.example\", starttls = \"imap\" }\n",
        line: 6,
        col: 43,
        words: &["unknown `starttls` value `imap`", "`smtp`"],
    },
    Case {
        name: "unknown third party of a notifier",
        source: "[[notifier]]\nid = \"n\"\ntype = \"email\"\nto = \"ops@example.gov\"\nthird_party = \"mailgun\"\n",
        line: 5,
        col: 15,
        words: &["unknown third party `mailgun` in `third_party`"],
    },
    Case {
        name: "unknown secret scheme",
        source: "[store]\nurl = { secret = \"vault:db/url\" }\n",
        line: 2,
        col: 18,
        words: &["unknown secret scheme `vault`", "env:NAME"],
    },
    Case {
        name: "empty secret variable name",
        source: "[store]\nurl = { secret = \"env:\" }\n",
        line: 2,
        col: 18,
        words: &["empty variable name"],
    },
    Case {
        name: "unclosed quote in a secret command",
        source: "[store]\nurl = { secret = \"cmd:vault kv get 'x\" }\n",
        line: 2,
        col: 18,
        words: &["cannot split command"],
    },
    Case {
        name: "rotation and layers together",
        source: "[[person]]\nid = \"a\"\n\n[[schedule]]\nid = \"s\"\ntimezone = \"UTC\"\nrotation = { members = [\"a\"], every = \"1w\", start = \"2026-11-30\" }\nlayers = []\n",
        line: 8,
        col: 10,
        words: &["either `rotation` or `layers`"],
    },
    Case {
        name: "unknown contact type",
        source: "[[person]]\nid = \"a\"\ncontact = [{ type = \"carrier-pigeon\", to = \"roof\" }]\n",
        line: 3,
        col: 21,
        words: &["unknown `type` value `carrier-pigeon`", "`email`"],
    },
    Case {
        name: "override ending before it starts",
        source: "[[person]]\nid = \"a\"\n\n[[schedule]]\nid = \"s\"\ntimezone = \"UTC\"\nrotation = { members = [\"a\"], every = \"1w\", start = \"2026-11-30\" }\noverrides = [{ person = \"a\", from = \"2026-12-10\", until = \"2026-12-01\" }]\n",
        line: 8,
        col: 59,
        words: &["override ends", "`until` must be after `from`"],
    },
    Case {
        name: "readiness item of an unknown practice",
        source: "[readiness]\n\n[[readiness.item]]\nid = \"securty.pen-test\"\ntitle = \"Pen test\"\n",
        line: 4,
        col: 6,
        words: &["unknown practice `securty`", "security"],
    },
    Case {
        name: "not applicable without a reason",
        source: "[[service]]\nid = \"api\"\n\n  [service.readiness]\n  not_applicable = { \"backups.point-in-time-recovery\" = \" \" }\n",
        line: 5,
        col: 57,
        words: &["`backups.point-in-time-recovery` is empty"],
    },
    Case {
        name: "not applicable with a malformed item id",
        source: "[[service]]\nid = \"api\"\n\n  [service.readiness]\n  not_applicable = { \"pitr\" = \"stateless\" }\n",
        line: 5,
        col: 22,
        words: &["invalid readiness item id `pitr`", "PRACTICE.SLUG"],
    },
    Case {
        name: "endpoint that is not http",
        source: "[[service]]\nid = \"api\"\nendpoints = [\"ftp://files.example.gov/\"]\n",
        line: 3,
        col: 14,
        words: &["ftp"],
    },
    Case {
        name: "invalid id",
        source: "[[team]]\nid = \"ops team\"\n",
        line: 2,
        col: 6,
        words: &["invalid id `ops team`"],
    },
];

#[test]
fn each_mistake_is_reported_where_it_is() {
    let mut failures = Vec::new();
    for case in CASES {
        let diagnostics = errors(case.source);
        let found = diagnostics.iter().find(|d| {
            let text = d.to_string();
            d.line == case.line && d.col == case.col && case.words.iter().all(|w| text.contains(w))
        });
        if found.is_none() || diagnostics.len() != 1 {
            failures.push(format!(
                "{}: want one error at {}:{} with {:?}, got:\n{diagnostics}",
                case.name, case.line, case.col, case.words
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn display_has_file_position_and_help() {
    let diagnostics =
        errors("[[team]]\nid = \"benefits\"\n\n[[service]]\nid = \"api\"\nowner = \"benefit\"\n");
    assert_eq!(
        diagnostics.to_string(),
        "/srv/ops/shipshape.toml:6:9: error: unknown team `benefit` in `owner`\n  help: did you mean `benefits`?"
    );
}

#[test]
fn every_error_in_the_file_is_reported() {
    let source = "\
[server]
listen = \"nowhere\"
colour = \"blue\"

[[person]]
id = \"alice\"
timezone = \"Mars/Olympus\"

[[team]]
id = \"ops\"
members = [\"alice\", \"bob\"]

[[service]]
id = \"api\"
owner = \"opps\"

  [[service.monitor]]
  id = \"home\"
  http = { url = \"https://x.example/\" }
  confirm = 0

[status_page]
title = \"Status\"
components = [{ name = \"Web\", monitors = [\"api/away\"] }]
";
    let diagnostics = errors(source);
    let positions: Vec<(usize, usize)> = diagnostics.iter().map(|d| (d.line, d.col)).collect();
    assert_eq!(
        positions,
        [
            (2, 10),
            (3, 1),
            (7, 12),
            (11, 21),
            (15, 9),
            (20, 13),
            (24, 43)
        ],
        "{diagnostics}"
    );
}

#[test]
fn an_unreadable_file_is_a_diagnostic() {
    let missing = std::path::Path::new("/nonexistent/shipshape.toml");
    let diagnostics = match shipshape_catalog::load(missing) {
        Ok(_) => panic!("a missing file must not load"),
        Err(diagnostics) => diagnostics,
    };
    assert_eq!(diagnostics.len(), 1);
    assert!(
        diagnostics
            .to_string()
            .starts_with("/nonexistent/shipshape.toml:1:1: error: cannot read catalog")
    );
}
