//! The DNS probe: one query of one record type, uncached, to the monitor's
//! resolver (or the default one), reporting the response code and the
//! answers. Also builds the resolvers the other probes share.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RecordType as Rtype;
use shipshape_catalog::{DnsCheck, RecordType};

use super::deadline::{Deadline, Phase};
use super::error::CheckerError;
use crate::result::{Details, DnsDetails};

/// Uncached resolvers for DNS checks: the default one and one per resolver
/// address monitors name, built on first use.
#[derive(Debug)]
pub(crate) struct DnsResolvers {
    /// The resolver of DNS checks that name none, or why there is none
    /// (no readable `/etc/resolv.conf`): said when such a check runs.
    default: Result<Arc<TokioResolver>, String>,
    by_addr: Mutex<HashMap<SocketAddr, Arc<TokioResolver>>>,
}

impl DnsResolvers {
    /// Queries go to `default_addr`, or the system's name servers.
    pub(crate) fn new(default_addr: Option<SocketAddr>) -> Result<Self, CheckerError> {
        let default = match build_resolver(default_addr, false) {
            Ok(resolver) => Ok(Arc::new(resolver)),
            Err(err) if default_addr.is_none() => Err(format!("DNS: {err}")),
            Err(err) => return Err(err),
        };
        Ok(Self {
            default,
            by_addr: Mutex::default(),
        })
    }

    fn get(&self, addr: Option<SocketAddr>) -> Result<Arc<TokioResolver>, String> {
        let Some(addr) = addr else {
            return self.default.clone();
        };
        let mut map = self.by_addr.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(resolver) = map.get(&addr) {
            return Ok(resolver.clone());
        }
        let resolver =
            Arc::new(build_resolver(Some(addr), false).map_err(|e| format!("DNS: {e}"))?);
        map.insert(addr, resolver.clone());
        Ok(resolver)
    }
}

/// Builds a hickory resolver for `addr` (UDP, then TCP), or from the
/// system configuration; `cache` keeps answers for their TTL.
pub(crate) fn build_resolver(
    addr: Option<SocketAddr>,
    cache: bool,
) -> Result<TokioResolver, CheckerError> {
    let mut builder = match addr {
        Some(addr) => {
            let mut server = NameServerConfig::udp_and_tcp(addr.ip());
            for connection in &mut server.connections {
                connection.port = addr.port();
            }
            let config = ResolverConfig::from_name_servers(vec![server]);
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
        }
        None => {
            TokioResolver::builder_tokio().map_err(|e| CheckerError::Resolver(e.to_string()))?
        }
    };
    let options = builder.options_mut();
    if !cache {
        options.cache_size = 0;
    }
    options.attempts = 1;
    builder
        .build()
        .map_err(|e| CheckerError::Resolver(e.to_string()))
}

/// Runs a DNS check, filling `details.dns`. Returns the `expect` answers
/// that were missing (as reasons); no answer at all is the error.
pub(crate) async fn probe(
    resolvers: &DnsResolvers,
    spec: &DnsCheck,
    deadline: &Deadline,
    details: &mut Details,
) -> Result<Vec<String>, String> {
    let resolver = resolvers.get(spec.resolver)?;
    let rtype = record_type(spec.record_type);
    let name: Cow<'_, str> = if spec.name.ends_with('.') {
        Cow::Borrowed(&spec.name)
    } else {
        Cow::Owned(format!("{}.", spec.name))
    };
    let (answer, took) = deadline
        .run(Phase::Query, resolver.lookup(name.as_ref(), rtype))
        .await?;
    super::net::add(&mut details.timing.dns, took);
    let (rcode, answers) = match answer {
        Ok(lookup) => {
            let answers = lookup
                .answers()
                .iter()
                .filter(|record| record.record_type() == rtype)
                .map(|record| record.data.to_string())
                .collect();
            (lookup.message().metadata.response_code, answers)
        }
        Err(NetError::Dns(DnsError::NoRecordsFound(none))) => (none.response_code, Vec::new()),
        Err(NetError::Dns(DnsError::ResponseCode(code))) => (code, Vec::new()),
        Err(NetError::Timeout) => {
            return Err(format!(
                "DNS: no answer for `{}` from the resolver",
                spec.name
            ));
        }
        Err(err) => return Err(format!("DNS: query for `{}` failed: {err}", spec.name)),
    };
    let missing: Vec<&str> = spec
        .expect
        .iter()
        .map(String::as_str)
        .filter(|want| !answers.iter().any(|got| same_answer(got, want)))
        .collect();
    let mut problems = Vec::new();
    if !missing.is_empty() {
        let missing: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
        problems.push(format!(
            "DNS: answer lacks {}; got [{}]",
            missing.join(", "),
            answers.join(", ")
        ));
    }
    details.dns = Some(DnsDetails {
        rcode: rcode_name(rcode).into_owned(),
        answers,
    });
    Ok(problems)
}

/// The default judgement without expectations: `NOERROR` with at least
/// one answer.
pub(crate) fn default_verdict(spec: &DnsCheck, dns: &DnsDetails) -> Option<String> {
    let name = &spec.name;
    let rtype = record_type(spec.record_type);
    match dns.rcode.as_str() {
        "NOERROR" if dns.answers.is_empty() => {
            Some(format!("DNS: no {rtype} records for `{name}`"))
        }
        "NOERROR" => None,
        "NXDOMAIN" => Some(format!("DNS: no such host `{name}`")),
        rcode => Some(format!("DNS: {rcode} for `{name}` {rtype}")),
    }
}

/// A response code as written in zone tools: `NOERROR`, `NXDOMAIN`, …
pub(crate) fn rcode_name(code: ResponseCode) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        ResponseCode::NoError => "NOERROR",
        ResponseCode::FormErr => "FORMERR",
        ResponseCode::ServFail => "SERVFAIL",
        ResponseCode::NXDomain => "NXDOMAIN",
        ResponseCode::NotImp => "NOTIMP",
        ResponseCode::Refused => "REFUSED",
        ResponseCode::YXDomain => "YXDOMAIN",
        ResponseCode::YXRRSet => "YXRRSET",
        ResponseCode::NXRRSet => "NXRRSET",
        ResponseCode::NotAuth => "NOTAUTH",
        ResponseCode::NotZone => "NOTZONE",
        other => return Cow::Owned(format!("RCODE{}", u16::from(other))),
    })
}

/// Whether an answer matches an expected value: names compare without the
/// trailing dot and case.
fn same_answer(got: &str, want: &str) -> bool {
    got.trim_end_matches('.')
        .eq_ignore_ascii_case(want.trim_end_matches('.'))
}

fn record_type(kind: RecordType) -> Rtype {
    match kind {
        RecordType::A => Rtype::A,
        RecordType::AAAA => Rtype::AAAA,
        RecordType::CNAME => Rtype::CNAME,
        RecordType::MX => Rtype::MX,
        RecordType::TXT => Rtype::TXT,
        RecordType::NS => Rtype::NS,
        RecordType::SOA => Rtype::SOA,
        RecordType::SRV => Rtype::SRV,
        RecordType::CAA => Rtype::CAA,
        RecordType::PTR => Rtype::PTR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> DnsCheck {
        DnsCheck {
            name: "www.example.test".into(),
            record_type: RecordType::A,
            resolver: None,
            expect: Vec::new(),
        }
    }

    #[test]
    fn answers_compare_without_the_root_dot_or_case() {
        assert!(same_answer("Mail.Example.test.", "mail.example.test"));
        assert!(!same_answer("192.0.2.1", "192.0.2.10"));
    }

    #[test]
    fn the_default_wants_noerror_with_answers() {
        let answer = |rcode: &str, answers: &[&str]| DnsDetails {
            rcode: rcode.into(),
            answers: answers.iter().map(|a| (*a).to_owned()).collect(),
        };
        assert_eq!(
            default_verdict(&spec(), &answer("NOERROR", &["192.0.2.1"])),
            None
        );
        assert_eq!(
            default_verdict(&spec(), &answer("NOERROR", &[])),
            Some("DNS: no A records for `www.example.test`".into())
        );
        assert_eq!(
            default_verdict(&spec(), &answer("SERVFAIL", &[])),
            Some("DNS: SERVFAIL for `www.example.test` A".into())
        );
        assert_eq!(rcode_name(ResponseCode::Unknown(99)), "RCODE99");
    }
}
