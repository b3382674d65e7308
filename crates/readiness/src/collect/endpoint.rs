//! Findings about a service's public endpoints, from `shipshape-scan`.
//!
//! [`findings`] turns one [`DomainReport`] into findings of the `endpoint.*`
//! collectors. The rule that matters: what the scan could not measure (the
//! domain not live, an endpoint timing out, a baseline field unknown) is an
//! `Unknown` with the reason, never a pass. Weak HSTS (max-age under a
//! year) fails `security.https-redirect`, following pshtt's "Domain Uses
//! Strong HSTS". An absent security.txt emits nothing (the repository may
//! name the contact point instead); a present one passes
//! `support.contact-point`.

use shipshape_scan::{DomainReport, Endpoint, Measured, ONE_YEAR, PathProbe};

use crate::Finding;

/// Collector ids this module emits.
pub const HTTPS: &str = "endpoint.https";
/// Collector of `security.headers`.
pub const HEADERS: &str = "endpoint.headers";
/// Collector of `security.cookies`.
pub const COOKIES: &str = "endpoint.cookies";
/// Collector of `security.no-exposed-files`.
pub const EXPOSED_FILES: &str = "endpoint.exposed-files";
/// Collector of `security.no-version-disclosure`.
pub const VERSION_DISCLOSURE: &str = "endpoint.version-disclosure";
/// Collector of `security.modern-tls`.
pub const TLS_VERSIONS: &str = "endpoint.tls-versions";
/// Collector of `support.contact-point` (endpoint side).
pub const SECURITY_TXT: &str = "endpoint.security-txt";

/// The findings one domain scan supports, each about the domain's
/// canonical URL (or the domain itself when nothing answered).
pub fn findings(report: &DomainReport) -> Vec<Finding> {
    let subject = if report.live {
        report.canonical_url.clone()
    } else {
        report.domain.clone()
    };
    let baseline_subject = report
        .baseline
        .url
        .clone()
        .unwrap_or_else(|| subject.clone());
    let https = canonical_https(report);
    let tls_subject = if https.connected {
        https.url.clone()
    } else {
        subject.clone()
    };
    let mut out = vec![
        tls_everywhere(report).about(&subject),
        https_redirect(report).about(&subject),
        headers(report).about(&baseline_subject),
        cookies(report).about(&baseline_subject),
        exposed_files(report).about(&baseline_subject),
        version_disclosure(report).about(&baseline_subject),
        modern_tls(report).about(tls_subject),
    ];
    if report.baseline.security_txt == Measured::Known(true) {
        out.push(
            Finding::pass(
                "support.contact-point",
                SECURITY_TXT,
                "/.well-known/security.txt names a Contact",
            )
            .about(&baseline_subject),
        );
    }
    out
}

/// The four endpoints, in pshtt's order.
fn all(report: &DomainReport) -> [&Endpoint; 4] {
    let e = &report.endpoints;
    [&e.http, &e.httpwww, &e.https, &e.httpswww]
}

/// The HTTPS endpoint of the canonical host.
fn canonical_https(report: &DomainReport) -> &Endpoint {
    let e = &report.endpoints;
    if e.httpswww.url == report.canonical_url || e.httpwww.url == report.canonical_url {
        &e.httpswww
    } else {
        &e.https
    }
}

/// `url: error` for each endpoint that did not answer.
fn errors<'a>(endpoints: impl IntoIterator<Item = &'a Endpoint>) -> String {
    endpoints
        .into_iter()
        .filter(|ep| !ep.live)
        .map(|ep| {
            format!(
                "{}: {}",
                ep.url,
                ep.error.as_deref().unwrap_or("no HTTP response")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether an endpoint's failure says nothing about the server (a timeout
/// or the scan's deadline) rather than a refusal.
fn inconclusive(ep: &Endpoint) -> bool {
    ep.error
        .as_deref()
        .is_some_and(|e| e.contains("timed out") || e.contains("deadline"))
}

fn not_live(item: &str, collector: &str, report: &DomainReport) -> Finding {
    Finding::unknown(
        item,
        collector,
        format!("no endpoint answered: {}", errors(all(report))),
    )
}

fn tls_everywhere(report: &DomainReport) -> Finding {
    const ITEM: &str = "security.tls-everywhere";
    if !report.live {
        return not_live(ITEM, HTTPS, report);
    }
    let https = [&report.endpoints.https, &report.endpoints.httpswww];
    if !report.https_live {
        if https.iter().all(|ep| inconclusive(ep)) {
            return Finding::unknown(ITEM, HTTPS, errors(https));
        }
        return Finding::fail(ITEM, HTTPS, format!("HTTP only: {}", errors(https)));
    }
    let canonical = canonical_https(report);
    if report.domain_supports_https && report.valid_https {
        let version = canonical
            .tls
            .as_ref()
            .and_then(|t| t.version.clone())
            .unwrap_or_else(|| "TLS".into());
        return Finding::pass(
            ITEM,
            HTTPS,
            format!(
                "{} serves a valid certificate over {version}",
                canonical.url
            ),
        );
    }
    let mut reasons = Vec::new();
    if report.https_expired_cert {
        reasons.push("expired certificate".to_owned());
    }
    if report.https_self_signed_cert {
        reasons.push("self-signed certificate".to_owned());
    }
    if report.https_bad_chain {
        reasons.push("bad certificate chain".to_owned());
    }
    if report.https_bad_hostname {
        reasons.push(format!("certificate is not for {}", canonical.hostname));
    }
    if report.downgrades_https {
        reasons.push("https:// redirects to http://".to_owned());
    }
    if reasons.is_empty() {
        if !canonical.live {
            if inconclusive(canonical) {
                return Finding::unknown(ITEM, HTTPS, errors([canonical]));
            }
            reasons.push(format!("not live: {}", errors([canonical])));
        } else {
            reasons.push("HTTPS is not valid".to_owned());
        }
    }
    let details = canonical
        .tls
        .iter()
        .flat_map(|t| t.problems.iter().cloned())
        .collect::<Vec<_>>();
    Finding::fail(
        ITEM,
        HTTPS,
        format!("{}: {}", canonical.url, reasons.join("; ")),
    )
    .with_details(details)
}

fn https_redirect(report: &DomainReport) -> Finding {
    const ITEM: &str = "security.https-redirect";
    if !report.live {
        return not_live(ITEM, HTTPS, report);
    }
    let mut missing = Vec::new();
    let mut details = Vec::new();
    if !report.strictly_forces_https {
        for ep in [&report.endpoints.http, &report.endpoints.httpwww] {
            if ep.live && !ep.redirect_immediately_to_https {
                missing.push(match &ep.redirect_immediately_to {
                    Some(to) => format!("{} redirects to {to}, not to https://", ep.url),
                    None => format!("{} does not redirect to https://", ep.url),
                });
            }
        }
        if !report.https_live {
            missing.push("no HTTPS endpoint answers".to_owned());
        }
    }
    if !report.domain_supports_https {
        missing.push("HTTPS is not supported (see security.tls-everywhere)".to_owned());
    }
    if !report.defaults_to_https && !report.redirect {
        missing.push(format!("the canonical URL is {}", report.canonical_url));
    }
    match (report.hsts, report.hsts_max_age) {
        (Some(true), Some(age)) if age < ONE_YEAR => {
            let line = format!("HSTS max-age {age} is under a year ({ONE_YEAR})");
            details.push(line.clone());
            missing.push(line);
        }
        (Some(true), _) => {}
        (Some(false), _) => missing.push(match &report.hsts_header {
            Some(h) => format!("HSTS header `{h}` is not valid"),
            None => "no HSTS header over HTTPS".to_owned(),
        }),
        (None, _) => {
            if missing.is_empty() {
                return Finding::unknown(
                    ITEM,
                    HTTPS,
                    format!(
                        "HSTS not measured: no full HTTPS connection ({})",
                        errors([&report.endpoints.https, &report.endpoints.httpswww])
                    ),
                );
            }
        }
    }
    if missing.is_empty() {
        let age = report.hsts_max_age.unwrap_or_default();
        return Finding::pass(
            ITEM,
            HTTPS,
            format!("http:// redirects to https://; HSTS max-age {age}"),
        );
    }
    Finding::fail(ITEM, HTTPS, missing.join("; ")).with_details(details)
}

fn headers(report: &DomainReport) -> Finding {
    const ITEM: &str = "security.headers";
    let headers = match &report.baseline.headers {
        Measured::Known(h) => h,
        Measured::Unknown(why) => return Finding::unknown(ITEM, HEADERS, why.clone()),
    };
    let mut missing = Vec::new();
    if headers.content_security_policy.is_none() {
        missing.push("no Content-Security-Policy".to_owned());
    }
    if !headers.csp_frame_ancestors && headers.x_frame_options.is_none() {
        missing.push("no CSP frame-ancestors and no X-Frame-Options".to_owned());
    }
    if !headers.x_content_type_options_nosniff {
        missing.push("no X-Content-Type-Options: nosniff".to_owned());
    }
    if headers.referrer_policy.is_none() {
        missing.push("no Referrer-Policy".to_owned());
    }
    if missing.is_empty() {
        Finding::pass(
            ITEM,
            HEADERS,
            "Content-Security-Policy, framing rule, nosniff and Referrer-Policy are set",
        )
    } else {
        Finding::fail(ITEM, HEADERS, missing.join("; ")).with_details(missing)
    }
}

fn cookies(report: &DomainReport) -> Finding {
    const ITEM: &str = "security.cookies";
    let cookies = match &report.baseline.cookies {
        Measured::Known(c) => c,
        Measured::Unknown(why) => return Finding::unknown(ITEM, COOKIES, why.clone()),
    };
    if cookies.is_empty() {
        return Finding::pass(ITEM, COOKIES, "the response sets no cookies");
    }
    let bad: Vec<String> = cookies
        .iter()
        .filter(|c| !c.missing().is_empty())
        .map(|c| format!("{}: missing {}", c.name, c.missing().join(", ")))
        .collect();
    if bad.is_empty() {
        Finding::pass(
            ITEM,
            COOKIES,
            format!(
                "all {} cookies are Secure, HttpOnly and SameSite",
                cookies.len()
            ),
        )
    } else {
        Finding::fail(
            ITEM,
            COOKIES,
            format!("{} of {} cookies lack flags", bad.len(), cookies.len()),
        )
        .with_details(bad)
    }
}

fn exposed_files(report: &DomainReport) -> Finding {
    const ITEM: &str = "security.no-exposed-files";
    let b = &report.baseline;
    let base = b.url.as_deref().unwrap_or("").trim_end_matches('/');
    let mut exposed = Vec::new();
    let mut unknown = Vec::new();
    let mut check = |probes: &[PathProbe], what: &str| {
        for p in probes {
            match &p.exposed {
                Measured::Known(true) => exposed.push(format!("{what} {base}{}", p.path)),
                Measured::Known(false) => {}
                Measured::Unknown(why) => unknown.push(format!("{}: {why}", p.path)),
            }
        }
    };
    check(&b.exposed_files, "file served:");
    check(&b.directory_listing, "directory listing at");
    let total = b.exposed_files.len() + b.directory_listing.len();
    if !exposed.is_empty() {
        return Finding::fail(
            ITEM,
            EXPOSED_FILES,
            format!("{} exposed path(s)", exposed.len()),
        )
        .with_details(exposed);
    }
    if !unknown.is_empty() {
        let reason = if unknown.len() == total {
            b.exposed_files
                .first()
                .and_then(|p| p.exposed.reason())
                .unwrap_or("not probed")
                .to_owned()
        } else {
            format!("{} of {total} paths could not be probed", unknown.len())
        };
        return Finding::unknown(ITEM, EXPOSED_FILES, reason).with_details(unknown);
    }
    Finding::pass(
        ITEM,
        EXPOSED_FILES,
        format!("none of {total} probed paths exposes a file or a listing"),
    )
}

fn version_disclosure(report: &DomainReport) -> Finding {
    const ITEM: &str = "security.no-version-disclosure";
    match &report.baseline.version_disclosure {
        Measured::Unknown(why) => Finding::unknown(ITEM, VERSION_DISCLOSURE, why.clone()),
        Measured::Known(found) if found.is_empty() => Finding::pass(
            ITEM,
            VERSION_DISCLOSURE,
            "Server and X-Powered-By carry no version",
        ),
        Measured::Known(found) => Finding::fail(
            ITEM,
            VERSION_DISCLOSURE,
            format!("version disclosed: {}", found.join("; ")),
        )
        .with_details(found.clone()),
    }
}

fn modern_tls(report: &DomainReport) -> Finding {
    const ITEM: &str = "security.modern-tls";
    let v = &report.baseline.tls_versions;
    let old: Vec<&str> = [(&v.tls1_0, "TLS 1.0"), (&v.tls1_1, "TLS 1.1")]
        .into_iter()
        .filter(|(m, _)| **m == Measured::Known(true))
        .map(|(_, name)| name)
        .collect();
    if !old.is_empty() {
        return Finding::fail(ITEM, TLS_VERSIONS, format!("accepts {}", old.join(" and ")));
    }
    let unknown: Vec<String> = [
        (&v.tls1_0, "TLS 1.0"),
        (&v.tls1_1, "TLS 1.1"),
        (&v.tls1_2, "TLS 1.2"),
        (&v.tls1_3, "TLS 1.3"),
    ]
    .into_iter()
    .filter_map(|(m, name)| m.reason().map(|why| format!("{name}: {why}")))
    .collect();
    let modern = v.tls1_2 == Measured::Known(true) || v.tls1_3 == Measured::Known(true);
    if modern && v.tls1_0.known().is_some() && v.tls1_1.known().is_some() {
        let offered: Vec<&str> = [(&v.tls1_2, "1.2"), (&v.tls1_3, "1.3")]
            .into_iter()
            .filter(|(m, _)| **m == Measured::Known(true))
            .map(|(_, n)| n)
            .collect();
        return Finding::pass(
            ITEM,
            TLS_VERSIONS,
            format!(
                "refuses TLS 1.0 and 1.1; offers TLS {}",
                offered.join(" and ")
            ),
        );
    }
    if unknown.is_empty() {
        return Finding::fail(ITEM, TLS_VERSIONS, "accepts neither TLS 1.2 nor TLS 1.3");
    }
    Finding::unknown(ITEM, TLS_VERSIONS, unknown.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Verdict;

    /// A healthy report (pshtt case 1), as JSON, edited per test.
    fn healthy() -> serde_json::Value {
        let endpoint = |url: &str, protocol: &str, host: &str, hostname: &str| {
            let tls = if protocol == "https" {
                serde_json::json!({
                    "version": "TLSv1.3", "chain_length": 2, "subject": "CN=x.test",
                    "issuer": "CN=CA", "names": ["x.test"], "not_after": 4_000_000_000i64,
                    "expired": false, "self_signed": false, "bad_chain": false,
                    "bad_hostname": false, "publicly_trusted": true, "custom_trusted": null,
                    "missing_intermediate": false, "problems": []
                })
            } else {
                serde_json::Value::Null
            };
            let mut ep = serde_json::json!({
                "url": url, "protocol": protocol, "host": host, "hostname": hostname,
                "live": true, "ip": "127.0.0.1", "connected": true, "status": 200,
                "error": null, "unknown_error": false, "headers": {}, "set_cookies": [],
                "server_header": null, "server_version": null, "redirect": false,
                "redirect_immediately_to": null, "redirect_immediately_to_www": false,
                "redirect_immediately_to_https": protocol == "http",
                "redirect_immediately_to_http": false,
                "redirect_immediately_to_external": false,
                "redirect_immediately_to_subdomain": false, "redirect_chain": [],
            });
            let rest = serde_json::json!({
                "redirect_eventually_to": null, "redirect_eventually_to_https": false,
                "redirect_eventually_to_http": false, "redirect_eventually_to_external": false,
                "redirect_eventually_to_subdomain": false, "redirect_error": null,
                "https_valid": protocol == "https", "https_full_connection": protocol == "https",
                "hsts": null, "hsts_header": null, "hsts_max_age": null,
                "hsts_all_subdomains": false, "hsts_preload": false, "tls": tls,
            });
            ep.as_object_mut()
                .unwrap()
                .extend(rest.as_object().unwrap().clone());
            ep
        };
        let known = |v: serde_json::Value| serde_json::json!({ "known": v });
        let probes = |paths: &[&str]| {
            paths
                .iter()
                .map(|p| serde_json::json!({"path": p, "status": 404, "exposed": {"known": false}}))
                .collect::<Vec<_>>()
        };
        let mut top = serde_json::json!({
            "Domain": "x.test", "Base Domain": "x.test", "Canonical URL": "https://x.test/",
            "Live": true, "HTTPS Live": true, "HTTPS Full Connection": true, "Redirect": false,
            "Redirect To": null, "Valid HTTPS": true, "HTTPS Publicly Trusted": true,
            "HTTPS Custom Truststore Trusted": null, "Defaults to HTTPS": true,
            "Downgrades HTTPS": false, "Strictly Forces HTTPS": true, "HTTPS Bad Chain": false,
            "HTTPS Bad Hostname": false, "HTTPS Expired Cert": false,
            "HTTPS Self Signed Cert": false, "HSTS": true,
            "HSTS Header": "max-age=31536000; includeSubDomains; preload",
            "HSTS Max Age": 31_536_000, "HSTS Entire Domain": true, "HSTS Preload Ready": true,
            "HSTS Preload Pending": null, "HSTS Preloaded": null,
        });
        let more = serde_json::json!({
            "Base Domain HSTS Preloaded": null, "Domain Supports HTTPS": true,
            "Domain Enforces HTTPS": true, "Domain Uses Strong HSTS": true, "IP": "127.0.0.1",
            "Server Header": "nginx", "Server Version": null, "HTTPS Cert Chain Length": 2,
            "HTTPS Probably Missing Intermediate Cert": false, "Notes": "", "Unknown Error": false,
        });
        let endpoints = serde_json::json!({
            "http": endpoint("http://x.test/", "http", "root", "x.test"),
            "httpwww": endpoint("http://www.x.test/", "http", "www", "www.x.test"),
            "https": endpoint("https://x.test/", "https", "root", "x.test"),
            "httpswww": endpoint("https://www.x.test/", "https", "www", "www.x.test"),
        });
        let headers = known(serde_json::json!({
            "content_security_policy": "default-src 'self'; frame-ancestors 'none'",
            "csp_frame_ancestors": true, "x_content_type_options_nosniff": true,
            "x_frame_options": null, "referrer_policy": "no-referrer"
        }));
        let cookies = known(serde_json::json!([
            {"name": "sid", "secure": true, "http_only": true, "same_site": "Lax"}
        ]));
        let tls_versions = serde_json::json!({
            "tls1_0": {"known": false}, "tls1_1": {"known": false},
            "tls1_2": {"known": true}, "tls1_3": {"known": true}
        });
        let baseline = serde_json::json!({
            "url": "https://x.test/",
            "headers": headers,
            "cookies": cookies,
            "exposed_files": probes(&["/.git/HEAD", "/.env"]),
            "directory_listing": probes(&["/", "/static/"]),
            "version_disclosure": known(serde_json::json!([])),
            "tls_versions": tls_versions,
            "security_txt": {"known": true}
        });
        let map = top.as_object_mut().unwrap();
        map.extend(more.as_object().unwrap().clone());
        map.insert("endpoints".into(), endpoints);
        map.insert("baseline".into(), baseline);
        top
    }

    fn report(json: serde_json::Value) -> DomainReport {
        serde_json::from_value(json).expect("a DomainReport")
    }

    fn verdict<'a>(findings: &'a [Finding], item: &str) -> &'a Verdict {
        &findings
            .iter()
            .find(|f| f.item == item)
            .unwrap_or_else(|| panic!("no finding for {item}"))
            .verdict
    }

    fn text(v: &Verdict) -> String {
        format!("{v:?}")
    }

    #[test]
    fn healthy_domain_passes_everything() {
        let f = findings(&report(healthy()));
        assert_eq!(f.len(), 8);
        for finding in &f {
            assert!(
                matches!(finding.verdict, Verdict::Pass { .. }),
                "{}: {:?}",
                finding.item,
                finding.verdict
            );
            assert!(finding.subject.is_some());
        }
        let contact = f
            .iter()
            .find(|f| f.item == "support.contact-point")
            .unwrap();
        assert_eq!(contact.collector, SECURITY_TXT);
        assert_eq!(f[0].subject.as_deref(), Some("https://x.test/"));
    }

    #[test]
    fn not_live_is_unknown_never_pass() {
        let mut j = healthy();
        j["Live"] = false.into();
        j["HTTPS Live"] = false.into();
        for ep in ["http", "httpwww", "https", "httpswww"] {
            j["endpoints"][ep]["live"] = false.into();
            j["endpoints"][ep]["connected"] = false.into();
            j["endpoints"][ep]["error"] = "connect 127.0.0.1:80: connection refused".into();
        }
        j["baseline"]["url"] = serde_json::Value::Null;
        let why = serde_json::json!({"unknown": "https://x.test/: not live: connection refused"});
        for key in ["headers", "cookies", "version_disclosure", "security_txt"] {
            j["baseline"][key] = why.clone();
        }
        for key in ["tls1_0", "tls1_1", "tls1_2", "tls1_3"] {
            j["baseline"]["tls_versions"][key] = why.clone();
        }
        for list in ["exposed_files", "directory_listing"] {
            for p in j["baseline"][list].as_array_mut().unwrap() {
                p["exposed"] = why.clone();
            }
        }
        let f = findings(&report(j));
        assert_eq!(f.len(), 7, "no security.txt finding when unknown");
        for finding in &f {
            assert!(
                matches!(finding.verdict, Verdict::Unknown { .. }),
                "{}: {:?}",
                finding.item,
                finding.verdict
            );
            assert_eq!(finding.subject.as_deref(), Some("x.test"));
        }
        assert!(text(verdict(&f, "security.tls-everywhere")).contains("connection refused"));
    }

    #[test]
    fn http_only_fails_tls_everywhere() {
        let mut j = healthy();
        j["HTTPS Live"] = false.into();
        j["Valid HTTPS"] = false.into();
        j["Domain Supports HTTPS"] = false.into();
        for ep in ["https", "httpswww"] {
            j["endpoints"][ep]["live"] = false.into();
            j["endpoints"][ep]["error"] = "connect 127.0.0.1:443: Connection refused".into();
        }
        let f = findings(&report(j));
        let v = text(verdict(&f, "security.tls-everywhere"));
        assert!(v.contains("Fail") && v.contains("HTTP only"), "{v}");
    }

    #[test]
    fn https_timeout_is_unknown_not_http_only() {
        let mut j = healthy();
        j["HTTPS Live"] = false.into();
        for ep in ["https", "httpswww"] {
            j["endpoints"][ep]["live"] = false.into();
            j["endpoints"][ep]["error"] =
                "timed out after 5000 ms while in the TLS handshake".into();
        }
        let f = findings(&report(j));
        assert!(matches!(
            verdict(&f, "security.tls-everywhere"),
            Verdict::Unknown { .. }
        ));
    }

    #[test]
    fn certificate_problems_are_named() {
        for (field, words) in [
            ("HTTPS Expired Cert", "expired certificate"),
            ("HTTPS Self Signed Cert", "self-signed"),
            ("HTTPS Bad Chain", "bad certificate chain"),
            ("HTTPS Bad Hostname", "certificate is not for x.test"),
        ] {
            let mut j = healthy();
            j["Valid HTTPS"] = false.into();
            j[field] = true.into();
            let v = text(verdict(&findings(&report(j)), "security.tls-everywhere"));
            assert!(v.contains("Fail") && v.contains(words), "{field}: {v}");
        }
    }

    #[test]
    fn redirect_and_hsts_failures_say_what_is_missing() {
        let mut j = healthy();
        j["Strictly Forces HTTPS"] = false.into();
        j["Domain Enforces HTTPS"] = false.into();
        j["endpoints"]["http"]["redirect_immediately_to_https"] = false.into();
        j["HSTS"] = false.into();
        j["HSTS Header"] = serde_json::Value::Null;
        let v = text(verdict(&findings(&report(j)), "security.https-redirect"));
        assert!(
            v.contains("http://x.test/ does not redirect to https://"),
            "{v}"
        );
        assert!(v.contains("no HSTS header"), "{v}");

        let mut weak = healthy();
        weak["HSTS Max Age"] = 300.into();
        weak["Domain Uses Strong HSTS"] = false.into();
        let f = findings(&report(weak));
        let finding = f
            .iter()
            .find(|f| f.item == "security.https-redirect")
            .unwrap();
        assert!(text(&finding.verdict).contains("HSTS max-age 300 is under a year"));
        assert!(matches!(finding.verdict, Verdict::Fail { .. }));
        assert_eq!(finding.details.len(), 1);
    }

    #[test]
    fn baseline_failures() {
        let mut j = healthy();
        j["baseline"]["headers"]["known"]["content_security_policy"] = serde_json::Value::Null;
        j["baseline"]["headers"]["known"]["csp_frame_ancestors"] = false.into();
        j["baseline"]["cookies"]["known"][0]["secure"] = false.into();
        j["baseline"]["exposed_files"][0]["exposed"] = serde_json::json!({"known": true});
        j["baseline"]["directory_listing"][1]["exposed"] = serde_json::json!({"known": true});
        j["baseline"]["version_disclosure"] =
            serde_json::json!({"known": ["server: nginx/1.22.1"]});
        j["baseline"]["tls_versions"]["tls1_0"] = serde_json::json!({"known": true});
        j["baseline"]["security_txt"] = serde_json::json!({"known": false});
        let f = findings(&report(j));
        assert_eq!(f.len(), 7, "absent security.txt emits nothing");
        let headers = text(verdict(&f, "security.headers"));
        assert!(
            headers.contains("no Content-Security-Policy") && headers.contains("X-Frame-Options")
        );
        let cookies = f.iter().find(|f| f.item == "security.cookies").unwrap();
        assert_eq!(cookies.details, vec!["sid: missing Secure".to_owned()]);
        let files = f
            .iter()
            .find(|f| f.item == "security.no-exposed-files")
            .unwrap();
        assert!(matches!(files.verdict, Verdict::Fail { .. }));
        assert_eq!(
            files.details,
            vec![
                "file served: https://x.test/.git/HEAD".to_owned(),
                "directory listing at https://x.test/static/".to_owned()
            ]
        );
        assert!(text(verdict(&f, "security.no-version-disclosure")).contains("nginx/1.22.1"));
        assert!(text(verdict(&f, "security.modern-tls")).contains("accepts TLS 1.0"));
    }

    #[test]
    fn partially_probed_files_are_unknown() {
        let mut j = healthy();
        j["baseline"]["exposed_files"][1]["exposed"] =
            serde_json::json!({"unknown": "https://x.test/.env: timed out"});
        let f = findings(&report(j));
        assert!(matches!(
            verdict(&f, "security.no-exposed-files"),
            Verdict::Unknown { .. }
        ));
        let mut j = healthy();
        j["baseline"]["tls_versions"]["tls1_1"] = serde_json::json!({"unknown": "timed out"});
        let f = findings(&report(j));
        assert!(matches!(
            verdict(&f, "security.modern-tls"),
            Verdict::Unknown { .. }
        ));
    }

    #[test]
    fn collectors_match_the_checklist() {
        let f = findings(&report(healthy()));
        for finding in &f {
            let item = crate::item(&finding.item).expect("a checklist item");
            assert!(
                item.collectors.contains(&finding.collector.as_str()),
                "{} is not a collector of {}",
                finding.collector,
                finding.item
            );
        }
    }
}
