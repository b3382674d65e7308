//! Cross-table checks, run once the whole file is read: duplicate ids,
//! references to ids that do not exist, and `depends_on` cycles. Reading
//! records every definition and reference in [`Symbols`], with its span.

use std::collections::HashMap;
use std::ops::Range;

use crate::diagnostic::did_you_mean;
use crate::reader::Ctx;

/// A kind of id. Components, monitors and datastores are scoped to a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Ns {
    Person,
    Team,
    Schedule,
    Escalation,
    Notifier,
    Service,
    ThirdParty,
    Component,
    Monitor,
    Datastore,
}

impl Ns {
    fn name(self) -> &'static str {
        match self {
            Ns::Person => "person",
            Ns::Team => "team",
            Ns::Schedule => "schedule",
            Ns::Escalation => "escalation",
            Ns::Notifier => "notifier",
            Ns::Service => "service",
            Ns::ThirdParty => "third party",
            Ns::Component => "component",
            Ns::Monitor => "monitor",
            Ns::Datastore => "datastore",
        }
    }

    /// The table where ids of this kind are defined.
    fn table(self) -> &'static str {
        match self {
            Ns::Person => "[[person]]",
            Ns::Team => "[[team]]",
            Ns::Schedule => "[[schedule]]",
            Ns::Escalation => "[[escalation]]",
            Ns::Notifier => "[[notifier]]",
            Ns::Service => "[[service]]",
            Ns::ThirdParty => "[[third_party]]",
            Ns::Component => "[[service.component]]",
            Ns::Monitor => "[[service.monitor]]",
            Ns::Datastore => "[[service.datastore]]",
        }
    }
}

/// Where a referenced id must be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A top-level id.
    Global,
    /// An id within the named service.
    Service(String),
    /// An id within the named service, written `service/id`.
    Qualified(String),
    /// An id within any service.
    AnyService,
}

/// Every id definition, reference and dependency edge seen while reading.
#[derive(Default)]
pub(crate) struct Symbols {
    defs: Vec<Def>,
    refs: Vec<Ref>,
    edges: Vec<Edge>,
}

struct Def {
    ns: Ns,
    scope: Option<String>,
    id: String,
    span: Range<usize>,
}

struct Ref {
    ns: Ns,
    scope: Scope,
    id: String,
    key: String,
    span: Range<usize>,
}

struct Edge {
    from: String,
    to: String,
    span: Range<usize>,
}

impl Symbols {
    /// Records the definition of `id` (scoped to a service for scoped kinds).
    pub(crate) fn define(&mut self, ns: Ns, scope: Option<&str>, id: &str, span: Range<usize>) {
        self.defs.push(Def {
            ns,
            scope: scope.map(str::to_owned),
            id: id.to_owned(),
            span,
        });
    }

    /// Records a reference to `id` written under `key`.
    pub(crate) fn refer(&mut self, ns: Ns, scope: Scope, id: &str, key: &str, span: Range<usize>) {
        self.refs.push(Ref {
            ns,
            scope,
            id: id.to_owned(),
            key: key.to_owned(),
            span,
        });
    }

    /// Records that service `from` depends on `to`.
    pub(crate) fn depend(&mut self, from: &str, to: &str, span: Range<usize>) {
        self.edges.push(Edge {
            from: from.to_owned(),
            to: to.to_owned(),
            span,
        });
    }
}

/// Runs every cross-table check, reporting into `ctx`.
pub(crate) fn check(ctx: &mut Ctx) {
    let symbols = std::mem::take(&mut ctx.symbols);
    check_duplicates(ctx, &symbols);
    check_references(ctx, &symbols);
    check_cycles(ctx, &symbols);
}

fn check_duplicates(ctx: &mut Ctx, symbols: &Symbols) {
    let mut first: HashMap<(Ns, Option<&str>, &str), &Range<usize>> = HashMap::new();
    for def in &symbols.defs {
        let key = (def.ns, def.scope.as_deref(), def.id.as_str());
        let Some(previous) = first.get(&key) else {
            first.insert(key, &def.span);
            continue;
        };
        let within = def
            .scope
            .as_ref()
            .map(|service| format!(" in service `{service}`"))
            .unwrap_or_default();
        let line = ctx.line(previous);
        ctx.error(
            &def.span,
            format!("duplicate {} id `{}`{within}", def.ns.name(), def.id),
            Some(format!(
                "`{}` is first defined on line {line}; ids must be unique",
                def.id
            )),
        );
    }
}

fn check_references(ctx: &mut Ctx, symbols: &Symbols) {
    let service_exists = |id: &str| {
        symbols
            .defs
            .iter()
            .any(|d| d.ns == Ns::Service && d.id == id)
    };
    for reference in &symbols.refs {
        let in_scope = |def: &&Def| {
            def.ns == reference.ns
                && match &reference.scope {
                    Scope::Global | Scope::AnyService => true,
                    Scope::Service(s) | Scope::Qualified(s) => def.scope.as_deref() == Some(s),
                }
        };
        if symbols
            .defs
            .iter()
            .filter(in_scope)
            .any(|d| d.id == reference.id)
        {
            continue;
        }
        match &reference.scope {
            Scope::Service(service) if !service_exists(service) => continue,
            Scope::Qualified(service) if !service_exists(service) => {
                let services = symbols.defs.iter().filter(|d| d.ns == Ns::Service);
                let help = did_you_mean(service, services.map(|d| d.id.as_str()));
                ctx.error(
                    &reference.span,
                    format!("unknown service `{service}` in `{}`", reference.key),
                    help.or_else(|| Some("write `SERVICE/MONITOR` with ids of `[[service]]` and `[[service.monitor]]`".into())),
                );
                continue;
            }
            _ => {}
        }
        let (shown, help) = match &reference.scope {
            Scope::Qualified(service) => {
                let candidates: Vec<String> = symbols
                    .defs
                    .iter()
                    .filter(|d| d.ns == reference.ns)
                    .map(|d| format!("{}/{}", d.scope.as_deref().unwrap_or_default(), d.id))
                    .collect();
                let shown = format!("{service}/{}", reference.id);
                let help = did_you_mean(&shown, candidates.iter().map(String::as_str));
                (shown, help)
            }
            _ => {
                let candidates = symbols.defs.iter().filter(in_scope).map(|d| d.id.as_str());
                (
                    reference.id.clone(),
                    did_you_mean(&reference.id, candidates),
                )
            }
        };
        let within = match &reference.scope {
            Scope::Service(service) => format!(" of service `{service}`"),
            _ => String::new(),
        };
        let help = help
            .unwrap_or_else(|| format!("define it in a `{}` table{within}", reference.ns.table()));
        ctx.error(
            &reference.span,
            format!(
                "unknown {} `{shown}` in `{}`",
                reference.ns.name(),
                reference.key
            ),
            Some(help),
        );
    }
}

/// Reports each `depends_on` cycle once, at the edge that closes it.
fn check_cycles(ctx: &mut Ctx, symbols: &Symbols) {
    let mut graph: HashMap<&str, Vec<&Edge>> = HashMap::new();
    for edge in &symbols.edges {
        graph.entry(edge.from.as_str()).or_default().push(edge);
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    let mut starts: Vec<&str> = symbols.edges.iter().map(|e| e.from.as_str()).collect();
    starts.dedup();
    for start in starts {
        if marks.contains_key(start) {
            continue;
        }
        // Iterative depth-first search: the path so far and, for each node
        // on it, the index of its next edge to explore.
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        marks.insert(start, Mark::Visiting);
        while let Some(&(node, next)) = path.last() {
            let edges = graph.get(node).map(Vec::as_slice).unwrap_or_default();
            let Some(edge) = edges.get(next) else {
                marks.insert(node, Mark::Done);
                path.pop();
                continue;
            };
            if let Some(top) = path.last_mut() {
                top.1 += 1;
            }
            let to = edge.to.as_str();
            match marks.get(to) {
                None => {
                    marks.insert(to, Mark::Visiting);
                    path.push((to, 0));
                }
                Some(Mark::Visiting) => {
                    let from = path.iter().position(|(n, _)| *n == to).unwrap_or_default();
                    let cycle: Vec<String> = path
                        .iter()
                        .skip(from)
                        .map(|(n, _)| format!("`{n}`"))
                        .chain(std::iter::once(format!("`{to}`")))
                        .collect();
                    ctx.error(
                        &edge.span,
                        format!("dependency cycle: {}", cycle.join(" → ")),
                        Some("remove one of these `depends_on` entries; dependencies must form a tree".into()),
                    );
                }
                Some(Mark::Done) => {}
            }
        }
    }
}
