//! Store URLs: telling SQLite from PostgreSQL, turning a `sqlite:` path into
//! the URL sqlx expects, and redacting passwords before a URL is logged.

use std::path::PathBuf;

use crate::{Backend, Result, StoreError};

/// A parsed store URL.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// Which database.
    pub backend: Backend,
    /// The URL handed to sqlx.
    pub connect_url: String,
    /// The SQLite file (absolute), for SQLite only.
    pub sqlite_path: Option<PathBuf>,
    /// The URL as given, with any password replaced by `***`.
    pub redacted: String,
}

impl Target {
    /// Parses `sqlite://PATH`, `sqlite:PATH`, `postgres://…` or `postgresql://…`.
    pub fn parse(url: &str) -> Result<Target> {
        let unsupported = || StoreError::UnsupportedUrl(redact(url));
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let (path, params) = match rest.split_once('?') {
                Some((path, params)) => (path, Some(params)),
                None => (rest, None),
            };
            if path.is_empty() || path == ":memory:" {
                return Err(unsupported());
            }
            let path = std::path::absolute(path).map_err(|_| unsupported())?;
            let Some(path_str) = path.to_str() else {
                return Err(unsupported());
            };
            let mut connect_url = format!("sqlite://{}", encode_path(path_str));
            let mut params: Vec<&str> = params
                .unwrap_or_default()
                .split('&')
                .filter(|p| !p.is_empty())
                .collect();
            if !params.iter().any(|p| p.starts_with("mode=")) {
                params.push("mode=rwc");
            }
            connect_url.push('?');
            connect_url.push_str(&params.join("&"));
            Ok(Target {
                backend: Backend::Sqlite,
                connect_url,
                sqlite_path: Some(path),
                redacted: url.to_owned(),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Target {
                backend: Backend::Postgres,
                connect_url: url.to_owned(),
                sqlite_path: None,
                redacted: redact(url),
            })
        } else {
            Err(unsupported())
        }
    }
}

/// Returns `url` with the password in its user info and any `password=`
/// query parameter replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.find('/') {
        Some(i) => before_query.split_at(i),
        None => (before_query, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    let mut out = format!("{scheme}://{authority}{path}");
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// Escapes the characters that would end the path part of a `sqlite://` URL.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3F"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_password_in_userinfo_and_query() {
        assert_eq!(
            redact("postgres://app:s3cr%40t@db.example:5432/ship?sslmode=require"), // shipshape:allow-secret: a fake credential for the test
            "postgres://app:***@db.example:5432/ship?sslmode=require"
        );
        assert_eq!(
            redact("postgresql://app@db/ship?password=hunter2&application_name=x"),
            "postgresql://app@db/ship?password=***&application_name=x"
        );
        assert_eq!(redact("postgres://db/ship"), "postgres://db/ship");
        assert_eq!(redact("sqlite:///var/lib/x.db"), "sqlite:///var/lib/x.db");
    }

    #[test]
    fn parses_both_sqlite_forms() {
        let a = Target::parse("sqlite:///tmp/a b/x.db").unwrap();
        assert_eq!(a.backend, Backend::Sqlite);
        assert_eq!(a.sqlite_path.unwrap(), PathBuf::from("/tmp/a b/x.db"));
        assert_eq!(a.connect_url, "sqlite:///tmp/a b/x.db?mode=rwc");
        let b = Target::parse("sqlite:/tmp/y.db?mode=ro").unwrap();
        assert_eq!(b.connect_url, "sqlite:///tmp/y.db?mode=ro");
        let rel = Target::parse("sqlite://data/z.db").unwrap();
        assert!(rel.sqlite_path.unwrap().is_absolute());
    }

    #[test]
    fn rejects_other_schemes_without_leaking_passwords() {
        let err = Target::parse("mysql://u:pw@h/db").unwrap_err().to_string();
        assert!(err.contains("mysql://u:***@h/db"), "{err}");
        assert!(Target::parse("sqlite://").is_err());
        assert!(Target::parse("sqlite::memory:").is_err());
        let pg = Target::parse("postgresql://u:pw@h/db").unwrap();
        assert_eq!(pg.backend, Backend::Postgres);
        assert_eq!(pg.redacted, "postgresql://u:***@h/db");
    }
}
