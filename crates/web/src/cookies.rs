//! Reading the `Cookie` header and writing `Set-Cookie` values. Cookie values
//! here are always random tokens we minted (base64url), so no escaping is
//! needed; anything else in the header is ignored.

use axum::http::{HeaderMap, HeaderValue, header};

/// Name of the session cookie.
pub(crate) const SESSION: &str = "shipshape_session";
/// Name of the double-submit CSRF cookie used by the login and set-up forms.
pub(crate) const FORM_CSRF: &str = "shipshape_form_csrf";

/// The value of cookie `name`, if the request sent it.
pub(crate) fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value: `HttpOnly`, `Path=/`, the given `SameSite`, `Secure`
/// when asked, and `Max-Age` (0 deletes the cookie).
pub(crate) fn set(
    name: &str,
    value: &str,
    max_age_secs: i64,
    same_site: &str,
    secure: bool,
) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite={same_site}{secure}"
    );
    // Names and values are our own ASCII tokens; fall back to an empty cookie
    // rather than panic should that ever change.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_several_headers() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("shipshape_session=abc"),
        );
        assert_eq!(get(&headers, "b"), Some("2"));
        assert_eq!(get(&headers, SESSION), Some("abc"));
        assert_eq!(get(&headers, "missing"), None);
    }

    #[test]
    fn set_cookie_has_the_safety_attributes() {
        let value = set(SESSION, "tok", 60, "Lax", true);
        let text = value.to_str().expect("ascii");
        assert!(text.contains("HttpOnly"));
        assert!(text.contains("SameSite=Lax"));
        assert!(text.contains("Secure"));
        let relaxed = set(SESSION, "tok", 60, "Lax", false);
        assert!(!relaxed.to_str().expect("ascii").contains("Secure"));
    }
}
