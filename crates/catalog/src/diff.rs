//! What changed between two catalogs, by id and section, so a reload can
//! log "2 monitors changed" and subsystems can restart only what changed.

use std::fmt;

use crate::model::*;

/// Ids added, removed and changed in one section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdChanges {
    /// Ids only in the new catalog.
    pub added: Vec<String>,
    /// Ids only in the old catalog.
    pub removed: Vec<String>,
    /// Ids in both whose definition differs.
    pub changed: Vec<String>,
}

impl IdChanges {
    /// Whether nothing changed in this section.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    fn between<T: PartialEq>(old: &[(String, T)], new: &[(String, T)]) -> Self {
        fn find<'a, T>(items: &'a [(String, T)], id: &str) -> Option<&'a T> {
            items.iter().find(|(other, _)| other == id).map(|(_, v)| v)
        }
        let mut changes = IdChanges::default();
        for (id, item) in new {
            match find(old, id) {
                None => changes.added.push(id.clone()),
                Some(previous) if previous != item => changes.changed.push(id.clone()),
                Some(_) => {}
            }
        }
        changes.removed = old
            .iter()
            .filter(|(id, _)| find(new, id).is_none())
            .map(|(id, _)| id.clone())
            .collect();
        changes
    }
}

/// Every difference between two catalogs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogDiff {
    /// `[server]` differs.
    pub server: bool,
    /// `[store]` differs.
    pub store: bool,
    /// People, by id.
    pub people: IdChanges,
    /// Teams, by id.
    pub teams: IdChanges,
    /// Schedules, by id.
    pub schedules: IdChanges,
    /// Escalations, by id.
    pub escalations: IdChanges,
    /// Routes, by position (`#1` is the first).
    pub routes: IdChanges,
    /// Notifiers, by id.
    pub notifiers: IdChanges,
    /// Services, by id, not counting changes to their monitors.
    pub services: IdChanges,
    /// Monitors, as `service/monitor`.
    pub monitors: IdChanges,
    /// Third parties, by id.
    pub third_parties: IdChanges,
    /// `[status_page]` differs.
    pub status_page: bool,
}

impl CatalogDiff {
    /// Whether the catalogs are equivalent.
    pub fn is_empty(&self) -> bool {
        !self.server
            && !self.store
            && !self.status_page
            && self.sections().all(|(_, _, c)| c.is_empty())
    }

    /// `(singular, plural, changes)` for each id section.
    fn sections(&self) -> impl Iterator<Item = (&'static str, &'static str, &IdChanges)> {
        [
            ("person", "people", &self.people),
            ("team", "teams", &self.teams),
            ("schedule", "schedules", &self.schedules),
            ("escalation", "escalations", &self.escalations),
            ("route", "routes", &self.routes),
            ("notifier", "notifiers", &self.notifiers),
            ("service", "services", &self.services),
            ("monitor", "monitors", &self.monitors),
            ("third party", "third parties", &self.third_parties),
        ]
        .into_iter()
    }
}

/// A short summary such as `1 service added, 2 monitors changed`.
impl fmt::Display for CatalogDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (flag, name) in [
            (self.server, "server"),
            (self.store, "store"),
            (self.status_page, "status page"),
        ] {
            if flag {
                parts.push(format!("{name} changed"));
            }
        }
        for (singular, plural, changes) in self.sections() {
            for (ids, verb) in [
                (&changes.added, "added"),
                (&changes.removed, "removed"),
                (&changes.changed, "changed"),
            ] {
                match ids.len() {
                    0 => {}
                    1 => parts.push(format!("1 {singular} {verb}")),
                    n => parts.push(format!("{n} {plural} {verb}")),
                }
            }
        }
        if parts.is_empty() {
            f.write_str("no changes")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// Compares two catalogs section by section.
pub fn diff(old: &Catalog, new: &Catalog) -> CatalogDiff {
    CatalogDiff {
        server: old.server != new.server,
        store: old.store != new.store,
        people: by_id(&old.people, &new.people, |p| &p.id),
        teams: by_id(&old.teams, &new.teams, |t| &t.id),
        schedules: by_id(&old.schedules, &new.schedules, |s| &s.id),
        escalations: by_id(&old.escalations, &new.escalations, |e| &e.id),
        routes: IdChanges::between(&numbered(&old.routes), &numbered(&new.routes)),
        notifiers: by_id(&old.notifiers, &new.notifiers, |n| &n.id),
        services: IdChanges::between(&services(old), &services(new)),
        monitors: IdChanges::between(&monitors(old), &monitors(new)),
        third_parties: by_id(&old.third_parties, &new.third_parties, |t| &t.id),
        status_page: old.status_page != new.status_page,
    }
}

fn by_id<T: PartialEq>(old: &[T], new: &[T], id: fn(&T) -> &String) -> IdChanges {
    fn keyed<T>(items: &[T], id: fn(&T) -> &String) -> Vec<(String, &T)> {
        items.iter().map(|item| (id(item).clone(), item)).collect()
    }
    IdChanges::between(&keyed(old, id), &keyed(new, id))
}

fn numbered(routes: &[Route]) -> Vec<(String, &Route)> {
    routes
        .iter()
        .enumerate()
        .map(|(i, route)| (format!("#{}", i + 1), route))
        .collect()
}

/// Services without their monitors, which are compared on their own.
fn services(catalog: &Catalog) -> Vec<(String, Service)> {
    catalog
        .services
        .iter()
        .map(|service| {
            let mut service = service.clone();
            service.monitors.clear();
            (service.id.clone(), service)
        })
        .collect()
}

fn monitors(catalog: &Catalog) -> Vec<(String, &Monitor)> {
    catalog
        .monitors()
        .map(|(service, monitor)| (format!("{}/{}", service.id, monitor.id), monitor))
        .collect()
}
