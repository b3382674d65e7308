//! Reading each table of `shipshape.toml` into the model. Every key is read
//! before any required one is unwrapped, so one bad table reports all of its
//! problems; ids and references are recorded for `validate`.

mod monitor;
mod readiness;

use std::path::PathBuf;
use std::time::Duration;

use jiff::civil::Time;
use toml::Spanned;
use toml::de::DeTable;

use crate::convert::{
    Pem, boolean, choice, cidr, count, date, datetime, duration, duration_at_least, handoff,
    one_of, path, pem_file, percent, port, positive, setting, setting_map, size, socket_addr,
    store_url, string, string_map, text, timezone, url, url_setting,
};
use crate::model::*;
use crate::reader::{Ctx, Field, Table};
use crate::secret::Setting;
use crate::validate::{Ns, Scope};

use monitor::monitor;
use readiness::{readiness, service_readiness};

const HTTP: &[&str] = &["http", "https"];
const ONE_SECOND: Duration = Duration::from_secs(1);
const ONE_HOUR: Duration = Duration::from_secs(3600);
/// Where PagerDuty takes Events API v2 events.
const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// Reads the whole document.
pub(crate) fn catalog(ctx: &mut Ctx, document: &Spanned<DeTable>, path: PathBuf) -> Catalog {
    let mut root = Table::root(document);
    let server = root.opt(ctx, "server", |c, f| f.with_table(c, "server", server));
    let store = root.opt(ctx, "store", |c, f| f.with_table(c, "store", store));
    let alerting = root.opt(ctx, "alerting", |c, f| {
        f.with_table(c, "alerting", alerting)
    });
    let smtp = root.opt(ctx, "smtp", |c, f| f.with_table(c, "smtp", smtp));
    let sms_gateway = root.opt(ctx, "sms_gateway", |c, f| {
        f.with_table(c, "sms_gateway", gateway)
    });
    let voice_gateway = root.opt(ctx, "voice_gateway", |c, f| {
        f.with_table(c, "voice_gateway", gateway)
    });
    let catalog = Catalog {
        path,
        server: server.unwrap_or_default(),
        store: store.unwrap_or_else(|| default_store(ctx)),
        alerting: alerting.unwrap_or_default(),
        smtp,
        sms_gateway,
        voice_gateway,
        people: tables(ctx, &mut root, "person", person),
        teams: tables(ctx, &mut root, "team", team),
        schedules: tables(ctx, &mut root, "schedule", schedule),
        escalations: tables(ctx, &mut root, "escalation", escalation),
        routes: tables(ctx, &mut root, "route", route),
        notifiers: tables(ctx, &mut root, "notifier", notifier),
        services: tables(ctx, &mut root, "service", service),
        third_parties: tables(ctx, &mut root, "third_party", third_party),
        readiness: root
            .opt(ctx, "readiness", |c, f| {
                f.with_table(c, "readiness", readiness)
            })
            .unwrap_or_default(),
        status_page: root.opt(ctx, "status_page", |c, f| {
            f.with_table(c, "status_page", status_page)
        }),
    };
    root.finish(ctx);
    catalog
}

/// An array of tables under `key`, each read by `read`.
fn tables<'a, 'i, T>(
    ctx: &mut Ctx,
    parent: &mut Table<'a, 'i>,
    key: &'static str,
    read: impl Fn(&mut Ctx, &mut Table<'a, 'i>) -> Option<T>,
) -> Vec<T> {
    let name = qualified(parent, key);
    parent.list(ctx, key, |c, f| f.with_table(c, &name, &read))
}

/// `service.monitor` for a `monitor` table inside `service`.
fn qualified(parent: &Table, key: &str) -> String {
    match parent.name() {
        "the top level" => key.to_owned(),
        name => format!("{name}.{key}"),
    }
}

fn server(ctx: &mut Ctx, t: &mut Table) -> Option<Server> {
    let defaults = Server::default();
    Some(Server {
        listen: t.opt(ctx, "listen", socket_addr),
        public_url: t.opt(ctx, "public_url", |c, f| url(c, f, HTTP)),
        location: t.opt(ctx, "location", text),
        trusted_proxies: t.list(ctx, "trusted_proxies", cidr),
        tls: t.opt(ctx, "tls", |c, f| f.with_table(c, "tls", tls)),
        metrics_public: t
            .opt(ctx, "metrics", |c, f| {
                choice(c, f, &[("public", true), ("token", false)])
            })
            .unwrap_or(defaults.metrics_public),
        max_body_bytes: t
            .opt(ctx, "max_body", size)
            .unwrap_or(defaults.max_body_bytes),
        request_timeout: t
            .opt(ctx, "request_timeout", |c, f| {
                duration_at_least(c, f, ONE_SECOND)
            })
            .unwrap_or(defaults.request_timeout),
        probe_ca: t.opt(ctx, "probe_ca", |c, f| pem_file(c, f, Pem::Certificate)),
    })
}

fn tls(ctx: &mut Ctx, t: &mut Table) -> Option<Tls> {
    let cert = t.req(ctx, "cert", path);
    let key = t.req(ctx, "key", path);
    Some(Tls {
        cert: cert?,
        key: key?,
    })
}

fn store(ctx: &mut Ctx, t: &mut Table) -> Option<StoreSettings> {
    let defaults = StoreSettings::default();
    let url = t.opt(ctx, "url", store_url);
    let raw_retention = t
        .opt(ctx, "raw_retention", |c, f| {
            duration_at_least(c, f, ONE_HOUR)
        })
        .unwrap_or(defaults.raw_retention);
    let rollup_retention = t
        .opt(ctx, "rollup_retention", |c, f| {
            duration_at_least(c, f, raw_retention)
        })
        .unwrap_or(defaults.rollup_retention.max(raw_retention));
    let url = url.unwrap_or_else(|| default_store(ctx).url);
    Some(StoreSettings {
        url,
        raw_retention,
        rollup_retention,
    })
}

fn default_store(ctx: &Ctx) -> StoreSettings {
    let file = crate::convert::absolute(&ctx.base_dir, "shipshape.db".as_ref());
    StoreSettings {
        url: Setting::Plain(format!("sqlite://{}", file.display())),
        ..StoreSettings::default()
    }
}

fn alerting(ctx: &mut Ctx, t: &mut Table) -> Option<Alerting> {
    let defaults = Alerting::default();
    Some(Alerting {
        resolve_after: t
            .opt(ctx, "resolve_after", duration)
            .unwrap_or(defaults.resolve_after),
        auto_resolve: t
            .opt(ctx, "auto_resolve", boolean)
            .unwrap_or(defaults.auto_resolve),
        ack_link_ttl: t
            .opt(ctx, "ack_link_ttl", |c, f| {
                duration_at_least(c, f, Duration::from_secs(300))
            })
            .unwrap_or(defaults.ack_link_ttl),
    })
}

fn smtp(ctx: &mut Ctx, t: &mut Table) -> Option<Smtp> {
    let host = t.req(ctx, "host", text);
    let tls = t
        .opt(ctx, "tls", |c, f| {
            choice(
                c,
                f,
                &[
                    ("starttls", SmtpTls::StartTls),
                    ("tls", SmtpTls::Tls),
                    ("none", SmtpTls::None),
                ],
            )
        })
        .unwrap_or(SmtpTls::StartTls);
    let port = t.opt(ctx, "port", port).unwrap_or(match tls {
        SmtpTls::StartTls => 587,
        SmtpTls::Tls => 465,
        SmtpTls::None => 25,
    });
    let username = t.opt(ctx, "username", setting);
    let password = t.opt(ctx, "password", setting);
    let from = t.req(ctx, "from", email_address);
    let ca = t.opt(ctx, "ca", |c, f| pem_file(c, f, Pem::Certificate));
    Some(Smtp {
        host: host?,
        port,
        tls,
        username,
        password,
        from: from?,
        ca,
    })
}

/// An address such as `ops@example.gov` or `Shipshape <ops@example.gov>`.
fn email_address(ctx: &mut Ctx, field: Field) -> Option<String> {
    let value = text(ctx, field)?;
    let address = value
        .rsplit_once('<')
        .map_or(value.as_str(), |(_, rest)| rest.trim_end_matches('>'));
    match address.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') => Some(value),
        _ => field.invalid(
            ctx,
            format!("`{value}` is not an email address"),
            Some("write e.g. `\"Shipshape <ops@example.gov>\"`"),
        ),
    }
}

fn gateway(ctx: &mut Ctx, t: &mut Table) -> Option<Gateway> {
    let url = t.req(ctx, "url", |c, f| url_setting(c, f, HTTP));
    let method = t
        .opt(ctx, "method", |c, f| {
            one_of(c, f, &["POST", "PUT", "GET"]).map(str::to_owned)
        })
        .unwrap_or_else(|| "POST".into());
    let headers = t.opt(ctx, "headers", setting_map).unwrap_or_default();
    let body = t.opt(ctx, "body", string).unwrap_or_default();
    let content_type = t
        .opt(ctx, "content_type", text)
        .unwrap_or_else(|| "application/json".into());
    Some(Gateway {
        url: url?,
        method,
        headers,
        body,
        content_type,
    })
}

fn person(ctx: &mut Ctx, t: &mut Table) -> Option<Person> {
    let id = t.req(ctx, "id", |c, f| define(c, f, Ns::Person, None));
    let name = t.opt(ctx, "name", text);
    let timezone = t.opt(ctx, "timezone", timezone);
    let contacts = t.list(ctx, "contact", |c, f| f.with_table(c, "contact", channel));
    let id = id?;
    Some(Person {
        name: name.unwrap_or_else(|| id.clone()),
        id,
        timezone,
        contacts,
    })
}

/// The keys of a channel, chosen by its `type`.
fn channel(ctx: &mut Ctx, t: &mut Table) -> Option<Channel> {
    const TYPES: &[&str] = &[
        "email",
        "ntfy",
        "webhook",
        "slack",
        "pagerduty",
        "pushover",
        "sms",
        "phone",
    ];
    let Some(kind) = t.req(ctx, "type", |c, f| one_of(c, f, TYPES)) else {
        t.ignore_rest();
        return None;
    };
    let channel = match kind {
        "email" => Channel::Email {
            to: t.req(ctx, "to", setting)?,
        },
        "ntfy" => {
            let server = t.opt(ctx, "server", |c, f| url_setting(c, f, HTTP));
            let topic = t.req(ctx, "topic", setting);
            let token = t.opt(ctx, "token", setting);
            Channel::Ntfy {
                server: server.unwrap_or_else(|| Setting::Plain("https://ntfy.sh".into())),
                topic: topic?,
                token,
            }
        }
        "webhook" => {
            let url = t.req(ctx, "url", |c, f| url_setting(c, f, HTTP));
            let token = t.opt(ctx, "token", setting);
            let headers = t.opt(ctx, "headers", setting_map).unwrap_or_default();
            let secret = t.opt(ctx, "secret", setting);
            Channel::Webhook {
                url: url?,
                token,
                headers,
                secret,
            }
        }
        "slack" => Channel::Slack {
            url: t.req(ctx, "url", |c, f| url_setting(c, f, HTTP))?,
        },
        "pagerduty" => {
            let routing_key = t.req(ctx, "routing_key", setting);
            let url = t.opt(ctx, "url", |c, f| url_setting(c, f, HTTP));
            Channel::Pagerduty {
                routing_key: routing_key?,
                url: url.unwrap_or_else(|| Setting::Plain(PAGERDUTY_EVENTS_URL.into())),
            }
        }
        "pushover" => {
            let user = t.req(ctx, "user", setting);
            let token = t.req(ctx, "token", setting);
            Channel::Pushover {
                user: user?,
                token: token?,
            }
        }
        "sms" => Channel::Sms {
            to: t.req(ctx, "to", setting)?,
        },
        _ => Channel::Phone {
            to: t.req(ctx, "to", setting)?,
        },
    };
    Some(channel)
}

fn team(ctx: &mut Ctx, t: &mut Table) -> Option<Team> {
    let id = t.req(ctx, "id", |c, f| define(c, f, Ns::Team, None));
    let name = t.opt(ctx, "name", text);
    let members = t.list(ctx, "members", |c, f| {
        refer(c, f, Ns::Person, Scope::Global)
    });
    let deployers = t.list(ctx, "deployers", |c, f| {
        refer(c, f, Ns::Person, Scope::Global)
    });
    let id = id?;
    Some(Team {
        name: name.unwrap_or_else(|| id.clone()),
        id,
        members,
        deployers,
    })
}

fn schedule(ctx: &mut Ctx, t: &mut Table) -> Option<Schedule> {
    let id = t.req(ctx, "id", |c, f| define(c, f, Ns::Schedule, None));
    let name = t.opt(ctx, "name", text);
    let timezone = t.req(ctx, "timezone", timezone);
    let rotation = t.opt(ctx, "rotation", |c, f| f.with_table(c, "rotation", layer));
    let mut layers = tables(ctx, t, "layers", layer);
    let overrides = tables(ctx, t, "overrides", schedule_override);
    match (t.has("rotation"), t.has("layers")) {
        (true, true) => ctx.error(
            &t.span_of("layers"),
            "a schedule has either `rotation` or `layers`, not both",
            Some("move the `rotation` into `layers`".into()),
        ),
        (false, false) => ctx.error(
            &t.span(),
            "schedule has no `rotation`",
            Some("add `rotation = { members = […], every = \"1w\", start = \"YYYY-MM-DD\" }` or `layers = [{ … }]`".into()),
        ),
        _ => {}
    }
    layers.splice(0..0, rotation);
    let id = id?;
    Some(Schedule {
        name: name.unwrap_or_else(|| id.clone()),
        id,
        timezone: timezone?,
        layers,
        overrides,
    })
}

fn layer(ctx: &mut Ctx, t: &mut Table) -> Option<Layer> {
    let name = t.opt(ctx, "name", text);
    let members = t.req(ctx, "members", |c, f| {
        let items = f.items(c);
        if items.is_empty() && f.value.get_ref().is_array() {
            return f.invalid(
                c,
                "rotation has no members",
                Some("list at least one person id"),
            );
        }
        let ids: Vec<String> = items
            .into_iter()
            .filter_map(|item| refer(c, item, Ns::Person, Scope::Global))
            .collect();
        Some(ids)
    });
    let every = t.req(ctx, "every", |c, f| {
        duration_at_least(c, f, Duration::from_secs(60))
    });
    let handoff = t.opt(ctx, "handoff", handoff);
    let start = t.req(ctx, "start", date);
    Some(Layer {
        name,
        members: members?,
        every: every?,
        handoff: handoff.unwrap_or(Handoff {
            weekday: None,
            time: Time::constant(9, 0, 0, 0),
        }),
        start: start?,
    })
}

fn schedule_override(ctx: &mut Ctx, t: &mut Table) -> Option<Override> {
    let person = t.req(ctx, "person", |c, f| refer(c, f, Ns::Person, Scope::Global));
    let from = t.req(ctx, "from", datetime);
    let until = t.req(ctx, "until", datetime);
    let note = t.opt(ctx, "note", string);
    let (from, until) = (from?, until?);
    if until <= from {
        ctx.error(
            &t.span_of("until"),
            format!("override ends (`{until}`) before it starts (`{from}`)"),
            Some("`until` must be after `from`".into()),
        );
        return None;
    }
    Some(Override {
        person: person?,
        from,
        until,
        note,
    })
}

fn escalation(ctx: &mut Ctx, t: &mut Table) -> Option<Escalation> {
    let id = t.req(ctx, "id", |c, f| define(c, f, Ns::Escalation, None));
    let steps = t.req(ctx, "steps", |c, f| {
        let items = f.items(c);
        if items.is_empty() && f.value.get_ref().is_array() {
            return f.invalid(
                c,
                "escalation has no steps",
                Some("add `{ notify = [\"schedule:ID\"] }`"),
            );
        }
        Some(
            items
                .into_iter()
                .filter_map(|item| item.with_table(c, "steps", step))
                .collect::<Vec<_>>(),
        )
    });
    let repeat = t.opt(ctx, "repeat", positive);
    let repeat_after = t.opt(ctx, "repeat_after", |c, f| {
        duration_at_least(c, f, Duration::from_secs(60))
    });
    Some(Escalation {
        id: id?,
        steps: steps?,
        repeat: repeat.unwrap_or(1),
        repeat_after: repeat_after.unwrap_or(Duration::from_secs(300)),
    })
}

fn step(ctx: &mut Ctx, t: &mut Table) -> Option<EscalationStep> {
    let after = t.opt(ctx, "after", duration);
    let notify = t.req(ctx, "notify", |c, f| {
        let items = f.items(c);
        if items.is_empty() && f.value.get_ref().is_array() {
            return f.invalid(
                c,
                "step notifies no one",
                Some("add a target such as `\"team:ID\"`"),
            );
        }
        Some(
            items
                .into_iter()
                .filter_map(|item| target(c, item))
                .collect::<Vec<_>>(),
        )
    });
    Some(EscalationStep {
        after: after.unwrap_or_default(),
        notify: notify?,
    })
}

fn target(ctx: &mut Ctx, field: Field) -> Option<Target> {
    const HELP: &str = "write `schedule:ID`, `team:ID`, `person:ID` or `notifier:ID`";
    let value = field.str(ctx)?;
    let (kind, id) = value.split_once(':').unwrap_or(("", value));
    let (ns, make): (Ns, fn(String) -> Target) = match kind {
        "schedule" => (Ns::Schedule, Target::Schedule),
        "team" => (Ns::Team, Target::Team),
        "person" => (Ns::Person, Target::Person),
        "notifier" => (Ns::Notifier, Target::Notifier),
        _ => return field.invalid(ctx, format!("invalid target `{value}`"), Some(HELP)),
    };
    ctx.symbols
        .refer(ns, Scope::Global, id, field.key, field.span());
    Some(make(id.to_owned()))
}

fn route(ctx: &mut Ctx, t: &mut Table) -> Option<Route> {
    let matcher = t.opt(ctx, "match", |c, f| f.with_table(c, "match", route_match));
    let escalation = t.req(ctx, "escalation", |c, f| {
        refer(c, f, Ns::Escalation, Scope::Global)
    });
    let continue_matching = t.opt(ctx, "continue", boolean);
    Some(Route {
        matcher: matcher.unwrap_or_default(),
        escalation: escalation?,
        continue_matching: continue_matching.unwrap_or(false),
    })
}

fn route_match(ctx: &mut Ctx, t: &mut Table) -> Option<RouteMatch> {
    let service = t.opt(ctx, "service", |c, f| {
        refer(c, f, Ns::Service, Scope::Global)
    });
    let scope = service.clone().map_or(Scope::AnyService, Scope::Service);
    Some(RouteMatch {
        component: t.opt(ctx, "component", |c, f| refer(c, f, Ns::Component, scope)),
        service,
        severity: t.opt(ctx, "severity", severity),
        labels: t.opt(ctx, "labels", string_map).unwrap_or_default(),
    })
}

/// `"critical"`, `"warning"` or `"info"`.
fn severity(ctx: &mut Ctx, field: Field) -> Option<Severity> {
    choice(
        ctx,
        field,
        &[
            ("critical", Severity::Critical),
            ("warning", Severity::Warning),
            ("info", Severity::Info),
        ],
    )
}

fn notifier(ctx: &mut Ctx, t: &mut Table) -> Option<Notifier> {
    let id = t.req(ctx, "id", |c, f| define(c, f, Ns::Notifier, None));
    let third_party = t.opt(ctx, "third_party", |c, f| {
        refer(c, f, Ns::ThirdParty, Scope::Global)
    });
    let channel = channel(ctx, t);
    Some(Notifier {
        id: id?,
        channel: channel?,
        third_party,
    })
}

fn service(ctx: &mut Ctx, t: &mut Table) -> Option<Service> {
    let id = t.req(ctx, "id", |c, f| define(c, f, Ns::Service, None));
    let scope = id.clone().unwrap_or_default();
    let name = t.opt(ctx, "name", text);
    let owner = t.opt(ctx, "owner", |c, f| refer(c, f, Ns::Team, Scope::Global));
    let tier = t.opt(ctx, "tier", text);
    let repo = t.opt(ctx, "repo", path);
    let data = t.list(ctx, "data", text);
    let third_parties = t.list(ctx, "third_parties", |c, f| {
        refer(c, f, Ns::ThirdParty, Scope::Global)
    });
    let depends_on = t.list(ctx, "depends_on", |c, f| {
        let to = refer(c, f, Ns::Service, Scope::Global)?;
        c.symbols.depend(&scope, &to, f.span());
        Some(to)
    });
    let slo = t.opt(ctx, "slo", |c, f| f.with_table(c, "slo", slo));
    let endpoints = t.list(ctx, "endpoints", |c, f| url(c, f, HTTP));
    let readiness = t.opt(ctx, "readiness", |c, f| {
        f.with_table(c, "service.readiness", service_readiness)
    });
    let components = tables(ctx, t, "component", |c, t| component(c, t, &scope));
    let datastores = tables(ctx, t, "datastore", |c, t| {
        datastore(c, t, &scope).map(|d| (d, t.span()))
    });
    let monitors = tables(ctx, t, "monitor", |c, t| monitor(c, t, &scope, &datastores));
    let datastores = datastores.into_iter().map(|(d, _)| d).collect();
    let id = id?;
    Some(Service {
        name: name.unwrap_or_else(|| id.clone()),
        id,
        owner,
        tier,
        repo,
        data,
        third_parties,
        depends_on,
        slo,
        endpoints,
        readiness: readiness.unwrap_or_default(),
        components,
        datastores,
        monitors,
    })
}

fn slo(ctx: &mut Ctx, t: &mut Table) -> Option<Slo> {
    let availability = t.opt(ctx, "availability", percent);
    let latency_p95 = t.opt(ctx, "latency_p95", |c, f| {
        duration_at_least(c, f, Duration::from_millis(1))
    });
    let window = t.opt(ctx, "window", |c, f| {
        duration_at_least(c, f, Duration::from_secs(3600))
    });
    if !t.has("availability") && !t.has("latency_p95") {
        ctx.error(
            &t.span(),
            "`slo` sets no objective",
            Some("add `availability = \"99.9%\"` or `latency_p95 = \"500ms\"`".into()),
        );
    }
    Some(Slo {
        availability,
        latency_p95,
        window: window.unwrap_or(Duration::from_secs(30 * 86_400)),
    })
}

fn component(ctx: &mut Ctx, t: &mut Table, service: &str) -> Option<Component> {
    let id = t.req(ctx, "id", |c, f| define(c, f, Ns::Component, Some(service)));
    let instances = t.opt(ctx, "instances", positive);
    let zones = t.list(ctx, "zones", text);
    Some(Component {
        id: id?,
        instances: instances.unwrap_or(1),
        zones,
    })
}

fn datastore(ctx: &mut Ctx, t: &mut Table, service: &str) -> Option<Datastore> {
    let id = t.req(ctx, "id", |c, f| define(c, f, Ns::Datastore, Some(service)));
    let kind = t.req(ctx, "kind", datastore_kind);
    let url = t.opt(ctx, "url", |c, f| datastore_url(c, f, kind));
    let replicas = t.opt(ctx, "replicas", count);
    Some(Datastore {
        id: id?,
        kind: kind?,
        url,
        replicas: replicas.unwrap_or(0),
    })
}

/// `kind = "postgres" | "redis" | "mysql"` of a datastore.
fn datastore_kind(ctx: &mut Ctx, field: Field) -> Option<DatastoreKind> {
    choice(
        ctx,
        field,
        &[
            ("postgres", DatastoreKind::Postgres),
            ("redis", DatastoreKind::Redis),
            ("mysql", DatastoreKind::Mysql),
        ],
    )
}

/// A datastore's `url`: a secret, or a URL whose scheme fits `kind` (when
/// the kind is known).
fn datastore_url(ctx: &mut Ctx, field: Field, kind: Option<DatastoreKind>) -> Option<Setting> {
    const SCHEMES: &[&str] = &["postgres", "postgresql", "redis", "rediss", "mysql"];
    let setting = url_setting(ctx, field, SCHEMES)?;
    let (Setting::Plain(value), Some(kind)) = (&setting, kind) else {
        return Some(setting);
    };
    let scheme = value.split_once(':').map_or("", |(scheme, _)| scheme);
    let fits: &[&str] = match kind {
        DatastoreKind::Postgres => &["postgres", "postgresql"],
        DatastoreKind::Redis => &["redis", "rediss"],
        DatastoreKind::Mysql => &["mysql"],
    };
    if fits.contains(&scheme) {
        return Some(setting);
    }
    field.invalid(
        ctx,
        format!(
            "`url` is a `{scheme}://` URL but `kind` is `{}`",
            kind.name()
        ),
        Some(&format!(
            "write a `{}://` URL, or change `kind`",
            fits.first().copied().unwrap_or_default()
        )),
    )
}

fn third_party(ctx: &mut Ctx, t: &mut Table) -> Option<ThirdParty> {
    let id = t.req(ctx, "id", |c, f| define(c, f, Ns::ThirdParty, None));
    let name = t.opt(ctx, "name", text);
    let approved_for = t.list(ctx, "approved_for", text);
    let approved = t.opt(ctx, "approved", |c, f| {
        f.with_table(c, "approved", approval)
    });
    let id = id?;
    Some(ThirdParty {
        name: name.unwrap_or_else(|| id.clone()),
        id,
        approved_for,
        approved,
    })
}

fn approval(ctx: &mut Ctx, t: &mut Table) -> Option<Approval> {
    let by = t.req(ctx, "by", text);
    let on = t.req(ctx, "on", date);
    Some(Approval { by: by?, on: on? })
}

fn status_page(ctx: &mut Ctx, t: &mut Table) -> Option<StatusPage> {
    let title = t.req(ctx, "title", text);
    let components = tables(ctx, t, "components", status_component);
    let publish = tables(ctx, t, "publish", publish_target);
    let url = t.opt(ctx, "url", |c, f| url(c, f, HTTP));
    let timezone = t.opt(ctx, "timezone", timezone);
    let publish_every = t
        .opt(ctx, "publish_every", |c, f| {
            duration_at_least(c, f, Duration::from_secs(30))
        })
        .unwrap_or(Duration::from_secs(300));
    let stale_after = t
        .opt(ctx, "stale_after", |c, f| {
            duration_at_least(c, f, publish_every)
        })
        .unwrap_or(Duration::from_secs(900).max(publish_every * 2));
    Some(StatusPage {
        title: title?,
        components,
        publish,
        url,
        timezone,
        publish_every,
        stale_after,
    })
}

fn status_component(ctx: &mut Ctx, t: &mut Table) -> Option<StatusComponent> {
    let name = t.req(ctx, "name", text);
    let group = t.opt(ctx, "group", text);
    let monitors = t.list(ctx, "monitors", monitor_ref);
    Some(StatusComponent {
        name: name?,
        group,
        monitors,
    })
}

fn monitor_ref(ctx: &mut Ctx, field: Field) -> Option<MonitorRef> {
    let value = field.str(ctx)?;
    let Some((service, monitor)) = value
        .split_once('/')
        .filter(|(s, m)| !s.is_empty() && !m.is_empty())
    else {
        return field.invalid(
            ctx,
            format!("invalid monitor reference `{value}`"),
            Some("write `SERVICE/MONITOR`, e.g. `\"benefits-api/home\"`"),
        );
    };
    let scope = Scope::Qualified(service.to_owned());
    ctx.symbols
        .refer(Ns::Monitor, scope, monitor, field.key, field.span());
    Some(MonitorRef {
        service: service.to_owned(),
        monitor: monitor.to_owned(),
    })
}

fn publish_target(ctx: &mut Ctx, t: &mut Table) -> Option<PublishTarget> {
    let Some(kind) = t.req(ctx, "type", |c, f| one_of(c, f, &["dir", "s3", "git"])) else {
        t.ignore_rest();
        return None;
    };
    let third_party = t.opt(ctx, "third_party", |c, f| {
        refer(c, f, Ns::ThirdParty, Scope::Global)
    });
    let target = match kind {
        "dir" => PublishTarget::Dir {
            path: t.req(ctx, "path", path)?,
            third_party,
        },
        "git" => {
            let repo = t.req(ctx, "repo", git_repo);
            let branch = t
                .opt(ctx, "branch", git_branch)
                .unwrap_or_else(|| "gh-pages".to_owned());
            let path = t.opt(ctx, "path", branch_path).flatten();
            let message = t
                .opt(ctx, "message", text)
                .unwrap_or_else(|| "Update status page".to_owned());
            PublishTarget::Git {
                repo: repo?,
                branch,
                path,
                message,
                third_party,
            }
        }
        _ => {
            let bucket_url = t.req(ctx, "url", |c, f| url_setting(c, f, &["s3"]));
            let endpoint = t.opt(ctx, "endpoint", |c, f| url(c, f, HTTP));
            let region = t
                .opt(ctx, "region", text)
                .unwrap_or_else(|| "us-east-1".to_owned());
            let access_key_id = t.opt(ctx, "access_key_id", setting);
            let secret_access_key = t.opt(ctx, "secret_access_key", setting);
            let (has_id, has_key) = (t.has("access_key_id"), t.has("secret_access_key"));
            if has_id != has_key {
                let (given, missing) = if has_id {
                    ("access_key_id", "secret_access_key")
                } else {
                    ("secret_access_key", "access_key_id")
                };
                ctx.error(
                    &t.span_of(given),
                    format!("`{given}` is set without `{missing}`"),
                    Some(format!(
                        "add `{missing} = {{ secret = \"…\" }}`; credentials need both (or leave both out to use the `AWS_*` environment variables)"
                    )),
                );
                return None;
            }
            PublishTarget::S3 {
                url: bucket_url?,
                endpoint,
                region,
                access_key_id,
                secret_access_key,
                third_party,
            }
        }
    };
    Some(target)
}

/// A Git repository: a URL (`https://`, `http://`, `ssh://`, `git://`,
/// `file://`), an scp-like `user@host:path`, or a local path made
/// absolute. A secret reference is taken as written.
fn git_repo(ctx: &mut Ctx, field: Field) -> Option<Setting> {
    let setting = setting(ctx, field)?;
    let Setting::Plain(value) = &setting else {
        return Some(setting);
    };
    if value.trim().is_empty() {
        return field.invalid(ctx, "`repo` is empty", None);
    }
    if value.contains("://") {
        url_setting(ctx, field, &["https", "http", "ssh", "git", "file"])?;
        return Some(setting);
    }
    let scp_like = value
        .split_once(':')
        .is_some_and(|(host, _)| !host.is_empty() && !host.contains('/'));
    if scp_like {
        return Some(setting);
    }
    Some(Setting::Plain(
        crate::convert::absolute(&ctx.base_dir, std::path::Path::new(value))
            .display()
            .to_string(),
    ))
}

/// A branch name Git accepts (checked conservatively).
fn git_branch(ctx: &mut Ctx, field: Field) -> Option<String> {
    let value = field.str(ctx)?;
    let valid = !value.is_empty()
        && !value.starts_with(['-', '/', '.'])
        && !value.ends_with(['/', '.'])
        && !value.ends_with(".lock")
        && !value.contains("..")
        && !value.contains("//")
        && !value.contains("@{")
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if !valid {
        return field.invalid(
            ctx,
            format!("invalid branch name `{value}`"),
            Some("use letters, digits, `-`, `_`, `.` and `/`, e.g. `\"gh-pages\"`"),
        );
    }
    Some(value.to_owned())
}

/// A relative directory inside a branch; `None` inside for the root.
fn branch_path(ctx: &mut Ctx, field: Field) -> Option<Option<String>> {
    let value = field.str(ctx)?;
    let trimmed = value.trim_matches('/');
    if trimmed.is_empty() || trimmed == "." {
        return Some(None);
    }
    let bad = value.starts_with('/')
        || value.contains('\\')
        || trimmed
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == ".." || part == ".git");
    if bad {
        return field.invalid(
            ctx,
            format!("invalid path `{value}` inside the branch"),
            Some("write a relative directory such as `\"status\"`, without `..` or `.git`"),
        );
    }
    Some(Some(trimmed.to_owned()))
}

/// An id being defined: recorded so duplicates and references can be checked.
fn define(ctx: &mut Ctx, field: Field, ns: Ns, scope: Option<&str>) -> Option<String> {
    let id = ident(ctx, field)?;
    ctx.symbols.define(ns, scope, &id, field.span());
    Some(id)
}

/// A reference to an id defined elsewhere, checked once the file is read.
fn refer(ctx: &mut Ctx, field: Field, ns: Ns, scope: Scope) -> Option<String> {
    let id = text(ctx, field)?;
    ctx.symbols.refer(ns, scope, &id, field.key, field.span());
    Some(id)
}

/// Ids are letters, digits, `-`, `_` and `.`, starting with a letter or
/// digit, so they can be written in `team:ID` and `SERVICE/MONITOR`.
fn ident(ctx: &mut Ctx, field: Field) -> Option<String> {
    let value = field.str(ctx)?;
    let mut chars = value.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return field.invalid(
            ctx,
            format!("invalid id `{value}`"),
            Some("use letters, digits, `-`, `_` and `.`, starting with a letter or digit"),
        );
    }
    Some(value.to_owned())
}
