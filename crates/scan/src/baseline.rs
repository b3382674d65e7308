//! The security baseline of the endpoint a domain is used through:
//! security headers and cookies of its response, exposed files and
//! directory listings probed with GET, version disclosure, the TLS versions
//! its HTTPS host accepts, and security.txt. Each field is measured or
//! carries the reason it is not.

use futures::future::join_all;
use url::Url;

use crate::fetch::{self, Ctx};
use crate::pshtt;
use crate::report::{
    Baseline, CookieFlags, Endpoint, Endpoints, Measured, PathProbe, SecurityHeaders, TlsVersions,
};
use crate::versions::{self, Legacy};

/// Files whose exposure is checked.
pub const EXPOSED_FILES: &[&str] = &[
    "/.git/HEAD",
    "/.env",
    "/backup.zip",
    "/backup.sql",
    "/db.sql",
    "/index.php.bak",
    "/.DS_Store",
];

/// Directories checked for an autoindex listing.
pub const LISTING_DIRS: &[&str] = &["/", "/static/", "/assets/", "/uploads/", "/images/"];

/// Measures the baseline against the canonical endpoint if it is live,
/// else the HTTPS endpoint of the canonical host if that is.
pub(crate) async fn measure(ctx: &Ctx<'_>, e: &Endpoints) -> Baseline {
    let canonical = pshtt::canonical_endpoint(e);
    let https = if canonical.host == "www" {
        &e.httpswww
    } else {
        &e.https
    };
    let target = [canonical, https].into_iter().find(|ep| ep.live);
    let tls_versions = tls_versions(ctx, https).await;
    let Some(target) = target else {
        let why = format!("{}: not live: {}", canonical.url, error_of(canonical));
        return Baseline {
            url: None,
            headers: Measured::Unknown(why.clone()),
            cookies: Measured::Unknown(why.clone()),
            exposed_files: unknown_paths(EXPOSED_FILES, &why),
            directory_listing: unknown_paths(LISTING_DIRS, &why),
            version_disclosure: Measured::Unknown(why.clone()),
            tls_versions,
            security_txt: Measured::Unknown(why.clone()),
        };
    };
    let base = Url::parse(&target.url).ok();
    let probe = |path: &'static str, judge: fn(&fetch::Response) -> bool| {
        let base = base.clone();
        async move {
            let Some(url) = base.as_ref().and_then(|b| b.join(path).ok()) else {
                return PathProbe {
                    path: path.to_owned(),
                    status: None,
                    exposed: Measured::Unknown("cannot build the URL".into()),
                };
            };
            let fetched = fetch::get(ctx, &url, true).await;
            match fetched.response {
                Some(resp) => PathProbe {
                    path: path.to_owned(),
                    status: Some(resp.status),
                    exposed: Measured::Known(resp.status == 200 && judge(&resp)),
                },
                None => PathProbe {
                    path: path.to_owned(),
                    status: None,
                    exposed: Measured::Unknown(format!(
                        "{url}: {}",
                        fetched.error.unwrap_or_else(|| "no response".into())
                    )),
                },
            }
        }
    };
    let files = join_all(
        EXPOSED_FILES
            .iter()
            .map(|p| probe(p, file_exposed_judge(p))),
    );
    let listings = join_all(LISTING_DIRS.iter().map(|p| probe(p, is_listing)));
    let security_txt = probe("/.well-known/security.txt", has_contact);
    let (exposed_files, directory_listing, security_txt) =
        futures::join!(files, listings, security_txt);
    Baseline {
        url: Some(target.url.clone()),
        headers: Measured::Known(security_headers(target)),
        cookies: Measured::Known(target.set_cookies.iter().map(|c| cookie_flags(c)).collect()),
        exposed_files,
        directory_listing,
        version_disclosure: Measured::Known(version_disclosure(target)),
        tls_versions,
        security_txt: security_txt.exposed,
    }
}

/// Probes the four TLS versions on the canonical host's HTTPS endpoint.
async fn tls_versions(ctx: &Ctx<'_>, https: &Endpoint) -> TlsVersions {
    let (Some(ip), true) = (https.ip, https.connected) else {
        let why = format!("{}: not live: {}", https.url, error_of(https));
        return TlsVersions {
            tls1_0: Measured::Unknown(why.clone()),
            tls1_1: Measured::Unknown(why.clone()),
            tls1_2: Measured::Unknown(why.clone()),
            tls1_3: Measured::Unknown(why),
        };
    };
    let port = Url::parse(&https.url)
        .map(|u| ctx.port(&u))
        .unwrap_or(ctx.opts.https_port);
    let host = https.hostname.as_str();
    let (tls1_0, tls1_1, tls1_2, tls1_3) = futures::join!(
        versions::legacy(ctx, ip, port, host, Legacy::Tls10),
        versions::legacy(ctx, ip, port, host, Legacy::Tls11),
        versions::modern(ctx, ip, port, host, &rustls::version::TLS12),
        versions::modern(ctx, ip, port, host, &rustls::version::TLS13),
    );
    TlsVersions {
        tls1_0,
        tls1_1,
        tls1_2,
        tls1_3,
    }
}

fn unknown_paths(list: &[&str], why: &str) -> Vec<PathProbe> {
    list.iter()
        .map(|p| PathProbe {
            path: (*p).to_owned(),
            status: None,
            exposed: Measured::Unknown(why.to_owned()),
        })
        .collect()
}

fn error_of(ep: &Endpoint) -> &str {
    ep.error.as_deref().unwrap_or("no HTTP response")
}

fn security_headers(ep: &Endpoint) -> SecurityHeaders {
    let csp = ep.headers.get("content-security-policy").cloned();
    SecurityHeaders {
        csp_frame_ancestors: csp.as_deref().is_some_and(|c| {
            c.split(';')
                .any(|d| d.trim().to_ascii_lowercase().starts_with("frame-ancestors"))
        }),
        content_security_policy: csp,
        x_content_type_options_nosniff: ep
            .headers
            .get("x-content-type-options")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("nosniff")),
        x_frame_options: ep.headers.get("x-frame-options").cloned(),
        referrer_policy: ep.headers.get("referrer-policy").cloned(),
    }
}

/// Reads a `Set-Cookie` header's name and flags.
pub(crate) fn cookie_flags(header: &str) -> CookieFlags {
    let mut parts = header.split(';');
    let name = parts
        .next()
        .and_then(|nv| nv.split_once('=').map(|(n, _)| n).or(Some(nv)))
        .unwrap_or_default()
        .trim()
        .to_owned();
    let mut flags = CookieFlags {
        name,
        secure: false,
        http_only: false,
        same_site: None,
    };
    for attr in parts {
        let (key, value) = match attr.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (attr.trim(), None),
        };
        if key.eq_ignore_ascii_case("secure") {
            flags.secure = true;
        } else if key.eq_ignore_ascii_case("httponly") {
            flags.http_only = true;
        } else if key.eq_ignore_ascii_case("samesite") {
            flags.same_site = Some(value.unwrap_or_default().to_owned());
        }
    }
    flags
}

fn version_disclosure(ep: &Endpoint) -> Vec<String> {
    ["server", "x-powered-by"]
        .iter()
        .filter_map(|name| {
            let value = ep.headers.get(*name)?;
            pshtt::server_version(value).map(|_| format!("{name}: {value}"))
        })
        .collect()
}

fn file_exposed_judge(path: &str) -> fn(&fetch::Response) -> bool {
    match path {
        "/.git/HEAD" => git_head,
        "/.env" => dotenv,
        "/index.php.bak" => php_backup,
        _ => not_soft_404,
    }
}

/// The body or Content-Type says HTML: a soft-404 page, not the file.
fn looks_html(resp: &fetch::Response) -> bool {
    let content_type = resp
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let head = String::from_utf8_lossy(&resp.body[..resp.body.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start();
    content_type.contains("text/html")
        || head.starts_with("<!doctype")
        || head.starts_with("<html")
        || head.contains("<head")
        || head.contains("<body")
}

fn git_head(resp: &fetch::Response) -> bool {
    let text = String::from_utf8_lossy(&resp.body);
    let text = text.trim();
    text.starts_with("ref:") || (text.len() == 40 && text.chars().all(|c| c.is_ascii_hexdigit()))
}

fn dotenv(resp: &fetch::Response) -> bool {
    if looks_html(resp) {
        return false;
    }
    let text = String::from_utf8_lossy(&resp.body);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    !lines.is_empty()
        && lines.iter().all(|l| {
            let l = l.strip_prefix("export ").unwrap_or(l);
            l.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            })
        })
}

fn php_backup(resp: &fetch::Response) -> bool {
    String::from_utf8_lossy(&resp.body).contains("<?php") || not_soft_404(resp)
}

fn not_soft_404(resp: &fetch::Response) -> bool {
    !resp.body.is_empty() && !looks_html(resp)
}

fn is_listing(resp: &fetch::Response) -> bool {
    let text = String::from_utf8_lossy(&resp.body).to_ascii_lowercase();
    text.contains("<title>index of /")
        || text.contains("<h1>index of /")
        || text.contains("directory listing for /")
        || text.contains("<title>directory listing")
}

fn has_contact(resp: &fetch::Response) -> bool {
    !looks_html(resp)
        && String::from_utf8_lossy(&resp.body)
            .lines()
            .any(|l| l.trim_start().to_ascii_lowercase().starts_with("contact:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies() {
        let c = cookie_flags("sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax");
        assert_eq!(c.name, "sid");
        assert!(c.secure && c.http_only);
        assert_eq!(c.same_site.as_deref(), Some("Lax"));
        assert!(c.missing().is_empty());
        let bare = cookie_flags("theme=dark");
        assert_eq!(bare.missing(), vec!["Secure", "HttpOnly", "SameSite"]);
    }
}
