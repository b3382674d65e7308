//! Lookups on a validated catalog: people by email, a person's teams,
//! monitors by `service/monitor`, and the secret settings the binary fills in.

use crate::model::*;
use crate::secret::Setting;

impl Catalog {
    /// The person with an email contact equal to `email`, ignoring case.
    pub fn person_by_email(&self, email: &str) -> Option<&Person> {
        self.people.iter().find(|person| {
            person
                .emails()
                .iter()
                .any(|e| e.eq_ignore_ascii_case(email))
        })
    }

    /// The teams `person_id` is a member of.
    pub fn teams_of(&self, person_id: &str) -> Vec<&Team> {
        self.teams
            .iter()
            .filter(|team| team.members.iter().any(|m| m == person_id))
            .collect()
    }

    /// The person with this id.
    pub fn person(&self, id: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }

    /// The service with this id.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    /// Every monitor with its service.
    pub fn monitors(&self) -> impl Iterator<Item = (&Service, &Monitor)> {
        self.services.iter().flat_map(|service| {
            service
                .monitors
                .iter()
                .map(move |monitor| (service, monitor))
        })
    }

    /// The monitor a `service/monitor` reference points at.
    pub fn monitor(&self, reference: &MonitorRef) -> Option<&Monitor> {
        self.service(&reference.service)?
            .monitors
            .iter()
            .find(|m| m.id == reference.monitor)
    }

    /// Every setting written as `{ secret = "…" }`, so the binary can
    /// resolve each reference and store the value.
    pub fn secret_settings_mut(&mut self) -> Vec<&mut Setting> {
        let mut out = Vec::new();
        out.push(&mut self.store.url);
        for person in &mut self.people {
            for contact in &mut person.contacts {
                contact.settings_mut(&mut out);
            }
        }
        for notifier in &mut self.notifiers {
            notifier.channel.settings_mut(&mut out);
        }
        for service in &mut self.services {
            out.extend(service.datastores.iter_mut().filter_map(|d| d.url.as_mut()));
            for monitor in &mut service.monitors {
                if let MonitorKind::Http(http) = &mut monitor.kind {
                    out.push(&mut http.url);
                    out.extend(http.headers.values_mut());
                    out.extend(http.body.as_mut());
                }
            }
        }
        if let Some(page) = &mut self.status_page {
            for target in &mut page.publish {
                if let PublishTarget::S3 { url, .. } = target {
                    out.push(url);
                }
            }
        }
        out.retain(|setting| setting.is_secret());
        out
    }
}

impl Channel {
    fn settings_mut<'a>(&'a mut self, out: &mut Vec<&'a mut Setting>) {
        match self {
            Channel::Email { to } | Channel::Sms { to } | Channel::Phone { to } => out.push(to),
            Channel::Ntfy {
                server,
                topic,
                token,
            } => {
                out.extend([server, topic]);
                out.extend(token.as_mut());
            }
            Channel::Webhook {
                url,
                token,
                headers,
            } => {
                out.push(url);
                out.extend(token.as_mut());
                out.extend(headers.values_mut());
            }
            Channel::Slack { url } => out.push(url),
            Channel::Pagerduty { routing_key } => out.push(routing_key),
            Channel::Pushover { user, token } => out.extend([user, token]),
        }
    }
}
