//! Reading a `[[service.monitor]]` table: the common keys and exactly one
//! check kind (`http`, `tcp`, `dns`, `tls`, `heartbeat`, `datastore`), with
//! the checks that tie them together (`timeout <= every`, `quorum`).

use std::ops::Range;
use std::time::Duration;

use super::{HTTP, ONE_SECOND, datastore_kind, datastore_url, refer, severity};
use crate::convert::Pem;
use crate::convert::{
    boolean, choice, count, duration, duration_at_least, expectation, ip_with_port, one_of,
    pem_file, port, positive, setting, setting_map, string, string_map, text, url_setting,
};
use crate::model::*;
use crate::reader::{Ctx, Field, Table};
use crate::secret::Setting;
use crate::units::format_duration;
use crate::validate::{Ns, Scope};

/// The keys naming a monitor's kind; exactly one must be present.
const MONITOR_KINDS: [&str; 6] = ["http", "tcp", "dns", "tls", "heartbeat", "datastore"];

/// The datastores of the service read so far, with their tables' spans.
type Datastores = [(Datastore, Range<usize>)];

/// One monitor of `service`, whose datastores are `datastores`.
pub(super) fn monitor(
    ctx: &mut Ctx,
    t: &mut Table,
    service: &str,
    datastores: &Datastores,
) -> Option<Monitor> {
    let id = t.req(ctx, "id", |c, f| {
        super::define(c, f, Ns::Monitor, Some(service))
    });
    let component = t.opt(ctx, "component", |c, f| {
        refer(c, f, Ns::Component, Scope::Service(service.to_owned()))
    });
    let kind = monitor_kind(
        ctx,
        t,
        service,
        datastores,
        id.as_deref().unwrap_or_default(),
    );
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
    let defaults = MonitorAlerting::default();
    let alert = MonitorAlerting {
        severity: t
            .opt(ctx, "severity", severity)
            .unwrap_or(defaults.severity),
        labels: t.opt(ctx, "labels", string_map).unwrap_or_default(),
        shadow: t.opt(ctx, "shadow", boolean).unwrap_or(defaults.shadow),
    };

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
        alert,
    })
}

fn monitor_kind(
    ctx: &mut Ctx,
    t: &mut Table,
    service: &str,
    datastores: &Datastores,
    id: &str,
) -> Option<MonitorKind> {
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
            f.with_table(c, "datastore", |c, t| {
                datastore_check(c, t, service, datastores)
            })
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
    let client_cert = client_cert(ctx, t, url.as_ref());
    Some(HttpCheck {
        url: url?,
        method: method.unwrap_or("GET").to_owned(),
        headers: headers.unwrap_or_default(),
        body,
        follow_redirects: follow_redirects.unwrap_or(true),
        max_redirects: max_redirects.unwrap_or(10),
        client_cert: client_cert.map(Box::new),
    })
}

/// `client_cert` and `client_key` of an `http` check: both or neither, for
/// an `https://` URL, each file readable and holding PEM of its kind.
fn client_cert(ctx: &mut Ctx, t: &mut Table, url: Option<&Setting>) -> Option<ClientCert> {
    let cert = t.opt(ctx, "client_cert", |c, f| pem_file(c, f, Pem::Certificate));
    let key = t.opt(ctx, "client_key", |c, f| match f.value.get_ref() {
        toml::de::DeValue::String(_) => pem_file(c, f, Pem::PrivateKey).map(ClientKey::File),
        _ => setting(c, f).map(ClientKey::Secret),
    });
    let (has_cert, has_key) = (t.has("client_cert"), t.has("client_key"));
    if has_cert != has_key {
        let (given, missing, what) = if has_cert {
            ("client_cert", "client_key", "its private key")
        } else {
            ("client_key", "client_cert", "the certificate chain")
        };
        ctx.error(
            &t.span_of(given),
            format!("`{given}` is set without `{missing}`"),
            Some(format!(
                "add `{missing} = \"PATH\"` with {what} (PEM); a client certificate needs both"
            )),
        );
        return None;
    }
    let plain_http = matches!(url, Some(Setting::Plain(u)) if u.starts_with("http:"));
    if has_cert && plain_http {
        ctx.error(
            &t.span_of("client_cert"),
            "`client_cert` is set for an `http://` URL",
            Some("a client certificate is presented over TLS only; use an `https://` URL".into()),
        );
        return None;
    }
    Some(ClientCert {
        cert: cert?,
        key: key?,
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
    let starttls = t.opt(ctx, "starttls", |c, f| {
        choice(c, f, &[("smtp", StartTls::Smtp)])
    });
    let default_port = match starttls {
        Some(StartTls::Smtp) => 587,
        None => 443,
    };
    Some(TlsCheck {
        host: host?,
        port: port.unwrap_or(default_port),
        starttls,
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

/// `datastore = { ref = "ID" }`, resolved to that datastore's kind and URL,
/// or `datastore = { kind = "…", url = "…" }`.
fn datastore_check(
    ctx: &mut Ctx,
    t: &mut Table,
    service: &str,
    datastores: &Datastores,
) -> Option<DatastoreCheck> {
    let reference = t.opt(ctx, "ref", |c, f| {
        refer(c, f, Ns::Datastore, Scope::Service(service.to_owned()))
    });
    let kind = t.opt(ctx, "kind", datastore_kind);
    let url = t.opt(ctx, "url", |c, f| datastore_url(c, f, kind));
    let inline = t.has("kind") || t.has("url");
    if t.has("ref") && inline {
        let extra = if t.has("kind") { "kind" } else { "url" };
        ctx.error(
            &t.span_of(extra),
            format!("`datastore` has both `ref` and `{extra}`"),
            Some(
                "use either `ref = \"ID\"` (a datastore of this service) or `kind` and `url`"
                    .into(),
            ),
        );
        return None;
    }
    if !t.has("ref") && !inline {
        ctx.error(
            &t.span(),
            "`datastore` names no datastore",
            Some("add `ref = \"ID\"` of a `[[service.datastore]]` of this service, or `kind = \"postgres\"` and `url = \"postgres://…\"`".into()),
        );
        return None;
    }
    if inline {
        for key in ["kind", "url"].into_iter().filter(|k| !t.has(k)) {
            ctx.error(
                &t.span(),
                format!("missing key `{key}` in `datastore`"),
                Some("an inline datastore needs both `kind` and `url`".into()),
            );
        }
        return Some(DatastoreCheck {
            datastore: String::new(),
            kind: kind?,
            url: url?,
        });
    }
    let id = reference?;
    // An unknown id is reported by `validate`; a datastore that did not
    // parse has reported its own errors.
    let (datastore, span) = datastores.iter().find(|(d, _)| d.id == id)?;
    let Some(url) = &datastore.url else {
        let line = ctx.line(span);
        ctx.error(
            &t.span_of("ref"),
            format!("datastore `{id}` has no `url`, so the monitor cannot connect to it"),
            Some(format!(
                "add `url = …` to datastore `{id}` on line {line}, e.g. `url = {{ secret = \"env:DB_URL\" }}`"
            )),
        );
        return None;
    };
    Some(DatastoreCheck {
        datastore: id,
        kind: datastore.kind,
        url: url.clone(),
    })
}

fn anomaly(ctx: &mut Ctx, t: &mut Table) -> Option<Anomaly> {
    let metric = t.req(ctx, "metric", |c, f| {
        one_of(c, f, &["latency_p95", "latency_p50", "error_rate"]).map(str::to_owned)
    });
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
