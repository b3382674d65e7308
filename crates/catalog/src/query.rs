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
        if let Some(smtp) = &mut self.smtp {
            out.extend(smtp.username.as_mut());
            out.extend(smtp.password.as_mut());
        }
        for gateway in [&mut self.sms_gateway, &mut self.voice_gateway]
            .into_iter()
            .flatten()
        {
            out.push(&mut gateway.url);
            out.extend(gateway.headers.values_mut());
        }
        for service in &mut self.services {
            out.extend(service.datastores.iter_mut().filter_map(|d| d.url.as_mut()));
            for monitor in &mut service.monitors {
                match &mut monitor.kind {
                    MonitorKind::Http(http) => {
                        out.push(&mut http.url);
                        out.extend(http.headers.values_mut());
                        out.extend(http.body.as_mut());
                        if let Some(ClientKey::Secret(key)) =
                            http.client_cert.as_deref_mut().map(|c| &mut c.key)
                        {
                            out.push(key);
                        }
                    }
                    // The monitor's copy of its datastore's URL is resolved
                    // on its own, so the checker needs nothing else.
                    MonitorKind::Datastore(check) => out.push(&mut check.url),
                    _ => {}
                }
            }
        }
        if let Some(page) = &mut self.status_page {
            for target in &mut page.publish {
                match target {
                    PublishTarget::S3 {
                        url,
                        access_key_id,
                        secret_access_key,
                        ..
                    } => {
                        out.push(url);
                        out.extend(access_key_id.as_mut());
                        out.extend(secret_access_key.as_mut());
                    }
                    PublishTarget::Git { repo, .. } => out.push(repo),
                    PublishTarget::Dir { .. } => {}
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
                secret,
            } => {
                out.push(url);
                out.extend(token.as_mut());
                out.extend(secret.as_mut());
                out.extend(headers.values_mut());
            }
            Channel::Slack { url } => out.push(url),
            Channel::Pagerduty { routing_key, url } => out.extend([routing_key, url]),
            Channel::Pushover { user, token } => out.extend([user, token]),
        }
    }
}

impl MonitorKind {
    /// A short description of what is checked, for lists and logs, e.g.
    /// `GET https://example.gov/`, `tcp db.internal:5432`. A URL written as a
    /// secret shows as `(secret url)`, never its value.
    pub fn target(&self) -> String {
        match self {
            MonitorKind::Http(http) => match &http.url {
                Setting::Plain(url) => format!("{} {url}", http.method),
                Setting::Secret { .. } => format!("{} (secret url)", http.method),
            },
            MonitorKind::Tcp(tcp) => format!("tcp {}:{}", tcp.host, tcp.port),
            MonitorKind::Dns(dns) => format!("dns {:?} {}", dns.record_type, dns.name),
            MonitorKind::Tls(tls) => format!("tls {}:{}", tls.host, tls.port),
            MonitorKind::Heartbeat(beat) => format!(
                "heartbeat every {} (grace {})",
                human_duration(beat.every),
                human_duration(beat.grace)
            ),
            MonitorKind::Datastore(store) => {
                let kind = store.kind.name();
                if !store.datastore.is_empty() {
                    return format!("{kind} datastore `{}`", store.datastore);
                }
                // Only the host and port: a URL may carry a password.
                match &store.url {
                    Setting::Plain(url) => match url::Url::parse(url) {
                        Ok(url) => match (url.host_str(), url.port()) {
                            (Some(host), Some(port)) => format!("{kind} {host}:{port}"),
                            (Some(host), None) => format!("{kind} {host}"),
                            (None, _) => format!("{kind} (no host)"),
                        },
                        Err(_) => format!("{kind} (invalid url)"),
                    },
                    Setting::Secret { .. } => format!("{kind} (secret url)"),
                }
            }
        }
    }
}

/// Formats a duration the way the catalog writes them: `30s`, `5m`, `1h30m`, `250ms`.
pub fn human_duration(duration: std::time::Duration) -> String {
    let millis = duration.as_millis();
    if millis == 0 {
        return "0s".into();
    }
    if !millis.is_multiple_of(1000) {
        return format!("{millis}ms");
    }
    let mut secs = duration.as_secs();
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::human_duration;
    use std::time::Duration;

    #[test]
    fn durations_print_as_written() {
        assert_eq!(human_duration(Duration::from_secs(30)), "30s");
        assert_eq!(human_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(human_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(human_duration(Duration::from_secs(86_400)), "1d");
    }
}
