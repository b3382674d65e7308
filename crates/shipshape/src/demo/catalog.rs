//! The demo's sample catalog: a small team with two services watching the
//! three sample upstreams. Written to `DIR/shipshape.toml` at each demo start
//! (the upstreams' ports change), so it can be read and edited like a real one.

use super::upstreams::Upstreams;

/// Renders the sample catalog for these upstreams.
pub fn render(upstreams: &Upstreams) -> String {
    TEMPLATE
        .replace("{healthy}", &upstreams.healthy)
        .replace("{slow}", &upstreams.slow)
        .replace("{flaky}", &upstreams.flaky)
        .replace("{inbox}", &upstreams.inbox)
        .replace(
            "{flaky_addr}",
            upstreams.flaky.trim_start_matches("http://"),
        )
}

const TEMPLATE: &str = r#"# Shipshape demo catalog — rewritten at each `shipshape demo` start.
# Edit it while the demo runs: the server reloads it when the file changes.

[server]
location = "demo"

[store]
url = "sqlite://shipshape.db"

[[person]]
id = "alice"
name = "Alice Rivera"
timezone = "America/New_York"
# The demo's pager inbox prints pages on the console; a real catalog lists
# email, ntfy, webhook, Slack or PagerDuty contacts (see examples/).
contact = [{ type = "webhook", url = "{inbox}/alice" }]

[[person]]
id = "bob"
name = "Bob Chen"
timezone = "Europe/Berlin"
contact = [{ type = "webhook", url = "{inbox}/bob" }]

[[team]]
id = "benefits"
name = "Benefits team"
members = ["alice", "bob"]
deployers = ["alice", "bob"]

[[schedule]]
id = "benefits-primary"
timezone = "America/New_York"
rotation = { members = ["alice", "bob"], every = "1w", handoff = "monday 09:00", start = "2026-11-30" }

[[escalation]]
id = "benefits"
steps = [
  { notify = ["schedule:benefits-primary"] },
  { after = "10m", notify = ["team:benefits"] },
]
repeat = 2

[alerting]
resolve_after = "1m"

[readiness]
every = "5m"

[[route]]
match = { service = "benefits-web" }
escalation = "benefits"

[[route]]
match = { service = "benefits-api" }
escalation = "benefits"

[[service]]
id = "benefits-web"
name = "Benefits website"
owner = "benefits"
tier = "critical"
depends_on = ["benefits-api"]
slo = { availability = "99.9%", latency_p95 = "800ms", window = "30d" }
# The readiness review scans these (`shipshape check`, and the Readiness
# page). The demo's upstreams speak plain HTTP, so the HTTPS items fail.
endpoints = ["{healthy}/"]

  [[service.component]]
  id = "web"
  instances = 2
  zones = ["demo-a", "demo-b"]

  [[service.monitor]]
  id = "home"
  component = "web"
  http = { url = "{healthy}/" }
  every = "15s"
  timeout = "5s"
  expect = ["status == 200", "body contains \"Apply\""]

  [[service.monitor]]
  id = "home-slow-mirror"
  component = "web"
  http = { url = "{slow}/" }
  every = "15s"
  timeout = "5s"
  expect = ["status == 200", "response_time < 1s"]

[[service]]
id = "benefits-api"
name = "Benefits API"
owner = "benefits"
tier = "critical"
endpoints = ["{flaky}/"]

  [service.readiness]
  not_applicable = { "access-control.cohorts" = "the API serves every client the same way" }

  [[service.component]]
  id = "api"
  instances = 2

  [[service.monitor]]
  id = "health"
  component = "api"
  http = { url = "{flaky}/health" }
  every = "10s"
  timeout = "3s"
  confirm = 2
  expect = ["status == 200", "json.status == \"ok\""]

  [[service.monitor]]
  id = "port"
  component = "api"
  tcp = { address = "{flaky_addr}" }
  every = "30s"

  # The demo runs a sample "nightly export" job that pings this monitor's
  # secret URL every 20 s; stop the demo's job and it goes down.
  [[service.monitor]]
  id = "nightly-export"
  heartbeat = { every = "20s", grace = "10s" }

[status_page]
title = "Benefits status (demo)"
components = [
  { name = "Website", monitors = ["benefits-web/home", "benefits-web/home-slow-mirror"] },
  { name = "API", monitors = ["benefits-api/health"] },
]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_catalog_is_valid() {
        let upstreams = Upstreams {
            healthy: "http://127.0.0.1:1".into(),
            slow: "http://127.0.0.1:2".into(),
            flaky: "http://127.0.0.1:3".into(),
            inbox: "http://127.0.0.1:4".into(),
        };
        let source = render(&upstreams);
        if let Err(diagnostics) =
            shipshape_catalog::parse_str(&source, std::path::Path::new("/demo/shipshape.toml"))
        {
            panic!("the demo catalog is invalid:\n{diagnostics}");
        }
    }
}
