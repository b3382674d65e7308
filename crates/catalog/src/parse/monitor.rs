//! Reading a `[[service.monitor]]` table: the common keys and exactly one
//! check kind (`http`, `tcp`, `dns`, `tls`, `heartbeat`, `datastore`), with
//! the checks that tie them together (`timeout <= every`, `quorum`).

use std::time::Duration;

use super::{HTTP, ONE_SECOND, refer};
use crate::convert::{
    boolean, choice, count, duration, duration_at_least, expectation, ip_with_port, one_of, port,
    positive, setting, setting_map, string, text, url_setting,
};
use crate::model::*;
use crate::reader::{Ctx, Field, Table};
use crate::units::format_duration;
use crate::validate::{Ns, Scope};

/// The keys naming a monitor's kind; exactly one must be present.
const MONITOR_KINDS: [&str; 6] = ["http", "tcp", "dns", "tls", "heartbeat", "datastore"];

/// One monitor of `service`.
pub(super) fn monitor(ctx: &mut Ctx, t: &mut Table, service: &str) -> Option<Monitor> {
    let id = t.req(ctx, "id", |c, f| {
        super::define(c, f, Ns::Monitor, Some(service))
    });
    let component = t.opt(ctx, "component", |c, f| {
        refer(c, f, Ns::Component, Scope::Service(service.to_owned()))
    });
    let kind = monitor_kind(ctx, t, service, id.as_deref().unwrap_or_default());
    let every = t.opt(ctx, "every", |c, f| duration_at_least(c, f, ONE_SECOND));
    let timeout = t.opt(ctx, "timeout", |c, f| {
        duration_at_least(c, f, Duration::from_millis(1))
    });
    let confirm = t.opt(ctx, "confirm", positive);
    let recover = t.opt(ctx, "recover", positive);
    let expect = t.list(ctx, "expect", expectation);
    let anomaly = t.opt(ctx, "anomaly", |c, f| f.with_table(c, "anomaly", anomaly));
    let locations = t.list(ctx, "locations", text);
    let quorum = t.opt(ctx, "quorum", positive);

    if let Some(quorum) = quorum.filter(|q| *q as usize > locations.len()) {
        ctx.error(
            &t.span_of("quorum"),
            format!(
                "`quorum` is {quorum} but only {} locations are listed",
                locations.len()
            ),
            Some("lower `quorum` or add `locations`".into()),
        );
    }
    let kind = kind?;
    let every = match &kind {
        MonitorKind::Heartbeat(heartbeat) => {
            if t.has("every") {
                ctx.error(
                    &t.span_of("every"),
                    "`every` does not apply to a heartbeat monitor",
                    Some("set `heartbeat = { every = … }` instead".into()),
                );
            }
            heartbeat.every
        }
        _ => every.unwrap_or(Duration::from_secs(60)),
    };
    let timeout = match timeout {
        Some(timeout) if timeout > every && !matches!(kind, MonitorKind::Heartbeat(_)) => {
            ctx.error(
                &t.span_of("timeout"),
                format!(
                    "`timeout` (`{}`) is longer than `every` (`{}`)",
                    format_duration(timeout),
                    format_duration(every)
                ),
                Some(
                    "lower `timeout` or raise `every`; a check must finish before the next starts"
                        .into(),
                ),
            );
            return None;
        }
        Some(timeout) => timeout,
        None => every.min(Duration::from_secs(10)),
    };
    Some(Monitor {
        id: id?,
        component,
        kind,
        every,
        timeout,
        confirm: confirm.unwrap_or(1),
        recover: recover.unwrap_or(1),
        expect,
        anomaly,
        quorum,
        locations,
    })
}

fn monitor_kind(ctx: &mut Ctx, t: &mut Table, service: &str, id: &str) -> Option<MonitorKind> {
    let monitor = if id.is_empty() {
        "monitor".to_owned()
    } else {
        format!("monitor `{id}`")
    };
    let present: Vec<&str> = MONITOR_KINDS.into_iter().filter(|k| t.has(k)).collect();
    let kinds: Vec<MonitorKind> = [
        t.opt(ctx, "http", |c, f| {
            f.with_table(c, "http", http).map(MonitorKind::Http)
        }),
        t.opt(ctx, "tcp", |c, f| {
            f.with_table(c, "tcp", tcp).map(MonitorKind::Tcp)
        }),
        t.opt(ctx, "dns", |c, f| {
            f.with_table(c, "dns", dns).map(MonitorKind::Dns)
        }),
        t.opt(ctx, "tls", |c, f| {
            f.with_table(c, "tls", tls_check).map(MonitorKind::Tls)
        }),
        t.opt(ctx, "heartbeat", |c, f| {
            f.with_table(c, "heartbeat", heartbeat)
                .map(MonitorKind::Heartbeat)
        }),
        t.opt(ctx, "datastore", |c, f| {
            f.with_table(c, "datastore", |c, t| datastore_check(c, t, service))
                .map(MonitorKind::Datastore)
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    match present.as_slice() {
        [] => {
            ctx.error(
                &t.span(),
                format!("{monitor} has no check"),
                Some(
                    "add exactly one of `http`, `tcp`, `dns`, `tls`, `heartbeat`, `datastore`"
                        .into(),
                ),
            );
            None
        }
        [_] => kinds.into_iter().next(),
        [first, second, ..] => {
            ctx.error(
                &t.span_of(second),
                format!("{monitor} has two checks: `{first}` and `{second}`"),
                Some("a monitor checks one thing; split it into two monitors".into()),
            );
            None
        }
    }
}

fn http(ctx: &mut Ctx, t: &mut Table) -> Option<HttpCheck> {
    const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    let url = t.req(ctx, "url", |c, f| url_setting(c, f, HTTP));
    let method = t.opt(ctx, "method", |c, f| one_of(c, f, METHODS));
    let headers = t.opt(ctx, "headers", setting_map);
    let body = t.opt(ctx, "body", setting);
    let follow_redirects = t.opt(ctx, "follow_redirects", boolean);
    let max_redirects = t.opt(ctx, "max_redirects", count);
    Some(HttpCheck {
        url: url?,
        method: method.unwrap_or("GET").to_owned(),
        headers: headers.unwrap_or_default(),
        body,
        follow_redirects: follow_redirects.unwrap_or(true),
        max_redirects: max_redirects.unwrap_or(10),
    })
}

fn tcp(ctx: &mut Ctx, t: &mut Table) -> Option<TcpCheck> {
    let address = t.opt(ctx, "address", host_port);
    let send = t.opt(ctx, "send", string);
    let expect = t.opt(ctx, "expect", string);
    let (host, port) = if t.has("address") {
        if t.has("host") || t.has("port") {
            t.field("host");
            t.field("port");
            ctx.error(
                &t.span_of(if t.has("host") { "host" } else { "port" }),
                "`tcp` has both `address` and `host`/`port`",
                Some("use either `address = \"HOST:PORT\"` or `host` and `port`".into()),
            );
            return None;
        }
        address?
    } else {
        let host = t.req(ctx, "host", text);
        let port = t.req(ctx, "port", port);
        (host?, port?)
    };
    Some(TcpCheck {
        host,
        port,
        send,
        expect,
    })
}

/// `"HOST:PORT"` or `"[IPv6]:PORT"`.
fn host_port(ctx: &mut Ctx, field: Field) -> Option<(String, u16)> {
    let value = field.str(ctx)?;
    let parsed = value.rsplit_once(':').and_then(|(host, port)| {
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let port: u16 = port.parse().ok().filter(|p| *p > 0)?;
        (!host.is_empty()).then(|| (host.to_owned(), port))
    });
    parsed.or_else(|| {
        field.invalid(
            ctx,
            format!("invalid address `{value}`"),
            Some("write `HOST:PORT`, e.g. `\"db.internal:5432\"`"),
        )
    })
}

fn dns(ctx: &mut Ctx, t: &mut Table) -> Option<DnsCheck> {
    let name = t.req(ctx, "name", text);
    let record_type = t.opt(ctx, "record_type", |c, f| {
        use RecordType::*;
        choice(
            c,
            f,
            &[
                ("A", A),
                ("AAAA", AAAA),
                ("CNAME", CNAME),
                ("MX", MX),
                ("TXT", TXT),
                ("NS", NS),
                ("SOA", SOA),
                ("SRV", SRV),
                ("CAA", CAA),
                ("PTR", PTR),
            ],
        )
    });
    let resolver = t.opt(ctx, "resolver", |c, f| ip_with_port(c, f, 53));
    let expect = t.list(ctx, "expect", string);
    Some(DnsCheck {
        name: name?,
        record_type: record_type.unwrap_or(RecordType::A),
        resolver,
        expect,
    })
}

fn tls_check(ctx: &mut Ctx, t: &mut Table) -> Option<TlsCheck> {
    let host = t.req(ctx, "host", text);
    let port = t.opt(ctx, "port", port);
    Some(TlsCheck {
        host: host?,
        port: port.unwrap_or(443),
    })
}

fn heartbeat(ctx: &mut Ctx, t: &mut Table) -> Option<HeartbeatCheck> {
    let every = t.req(ctx, "every", |c, f| duration_at_least(c, f, ONE_SECOND));
    let grace = t.opt(ctx, "grace", duration);
    Some(HeartbeatCheck {
        every: every?,
        grace: grace.unwrap_or_default(),
    })
}

fn datastore_check(ctx: &mut Ctx, t: &mut Table, service: &str) -> Option<DatastoreCheck> {
    let datastore = t.req(ctx, "ref", |c, f| {
        refer(c, f, Ns::Datastore, Scope::Service(service.to_owned()))
    });
    Some(DatastoreCheck {
        datastore: datastore?,
    })
}

fn anomaly(ctx: &mut Ctx, t: &mut Table) -> Option<Anomaly> {
    let metric = t.req(ctx, "metric", text);
    let sensitivity = t.opt(ctx, "sensitivity", |c, f| {
        choice(
            c,
            f,
            &[
                ("low", Sensitivity::Low),
                ("medium", Sensitivity::Medium),
                ("high", Sensitivity::High),
            ],
        )
    });
    Some(Anomaly {
        metric: metric?,
        sensitivity: sensitivity.unwrap_or(Sensitivity::Medium),
    })
}
