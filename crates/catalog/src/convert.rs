//! Converters from one TOML [`Field`] to a model value. Each reports its own
//! diagnostic and returns `None` on failure, so callers can keep reading.

use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use jiff::civil::{Date, DateTime};
use jiff::tz::{TimeZone, TimeZoneDatabase};
use shipshape_expect::Expectation;
use toml::de::DeValue;

use crate::diagnostic::did_you_mean;
use crate::model::Handoff;
use crate::reader::{Ctx, Field};
use crate::secret::{SecretRef, SecretSource, Setting};
use crate::units;

/// Any string.
pub(crate) fn string(ctx: &mut Ctx, field: Field) -> Option<String> {
    field.str(ctx).map(str::to_owned)
}

/// A monitor expectation such as `status == 200`, parsed now so an error
/// points at the column inside the expression.
pub(crate) fn expectation(ctx: &mut Ctx, field: Field) -> Option<Expectation> {
    let source = field.str(ctx)?;
    match Expectation::parse(source) {
        Ok(expectation) => Some(expectation),
        Err(err) => {
            ctx.error_in_string(
                &field.span(),
                err.column.saturating_sub(1),
                format!("invalid expectation `{source}`: {}", err.message),
                err.help,
            );
            None
        }
    }
}

/// A string that is not blank (names, titles).
pub(crate) fn text(ctx: &mut Ctx, field: Field) -> Option<String> {
    let value = field.str(ctx)?;
    if value.trim().is_empty() {
        return field.invalid(ctx, format!("`{}` is empty", field.key), None);
    }
    Some(value.to_owned())
}

/// `true` or `false`.
pub(crate) fn boolean(ctx: &mut Ctx, field: Field) -> Option<bool> {
    match field.value.get_ref() {
        DeValue::Boolean(value) => Some(*value),
        _ => field.type_error(ctx, "`true` or `false`"),
    }
}

/// A whole number `>= 0`.
pub(crate) fn count(ctx: &mut Ctx, field: Field) -> Option<u32> {
    let value = integer(ctx, field)?;
    if value < 0 {
        return field.invalid(
            ctx,
            format!("`{}` must not be negative, found `{value}`", field.key),
            None,
        );
    }
    u32::try_from(value).ok().or_else(|| {
        field.invalid(
            ctx,
            format!("`{}` is too large: `{value}`", field.key),
            None,
        )
    })
}

/// A whole number `>= 1`.
pub(crate) fn positive(ctx: &mut Ctx, field: Field) -> Option<u32> {
    let value = count(ctx, field)?;
    if value == 0 {
        return field.invalid(
            ctx,
            format!("`{}` must be at least 1, found `0`", field.key),
            None,
        );
    }
    Some(value)
}

/// A TCP port, 1–65535.
pub(crate) fn port(ctx: &mut Ctx, field: Field) -> Option<u16> {
    let value = integer(ctx, field)?;
    match u16::try_from(value) {
        Ok(port) if port > 0 => Some(port),
        _ => field.invalid(
            ctx,
            format!("invalid port `{value}`"),
            Some("use a port between 1 and 65535"),
        ),
    }
}

/// A duration such as `"30s"`.
pub(crate) fn duration(ctx: &mut Ctx, field: Field) -> Option<Duration> {
    let value = field.str(ctx)?;
    units::parse_duration(value)
        .map_err(|message| field.invalid::<()>(ctx, message, Some(units::DURATION_HELP)))
        .ok()
}

/// A size such as `"1MiB"`, or a number of bytes.
pub(crate) fn size(ctx: &mut Ctx, field: Field) -> Option<u64> {
    if let DeValue::Integer(_) = field.value.get_ref() {
        return count(ctx, field).map(u64::from);
    }
    let value = field.str(ctx)?;
    units::parse_size(value)
        .map_err(|message| field.invalid::<()>(ctx, message, Some(units::SIZE_HELP)))
        .ok()
}

/// A percentage such as `"99.9%"`.
pub(crate) fn percent(ctx: &mut Ctx, field: Field) -> Option<f64> {
    let value = field.str(ctx)?;
    units::parse_percent(value)
        .map_err(|message| {
            field.invalid::<()>(
                ctx,
                message,
                Some("write a percentage in (0%, 100%], e.g. `\"99.9%\"`"),
            )
        })
        .ok()
}

/// A handoff such as `"monday 09:00"`.
pub(crate) fn handoff(ctx: &mut Ctx, field: Field) -> Option<Handoff> {
    let value = field.str(ctx)?;
    units::parse_handoff(value)
        .map_err(|message| field.invalid::<()>(ctx, message, Some(units::HANDOFF_HELP)))
        .ok()
}

/// A calendar date, `"2026-11-30"` or a bare TOML date.
pub(crate) fn date(ctx: &mut Ctx, field: Field) -> Option<Date> {
    let value = date_text(ctx, field)?;
    let parsed = (value.len() == 10)
        .then(|| value.parse::<Date>().ok())
        .flatten();
    parsed.or_else(|| {
        field.invalid(
            ctx,
            format!("invalid date `{value}`"),
            Some("write `YYYY-MM-DD`, e.g. `\"2026-11-30\"`"),
        )
    })
}

/// A date (midnight) or a local date-time, `"2026-12-21T09:00"`.
pub(crate) fn datetime(ctx: &mut Ctx, field: Field) -> Option<DateTime> {
    let value = date_text(ctx, field)?;
    let parsed = if value.len() == 10 {
        value
            .parse::<Date>()
            .ok()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    } else {
        value.parse::<DateTime>().ok()
    };
    parsed.or_else(|| {
        field.invalid(
            ctx,
            format!("invalid date `{value}`"),
            Some("write `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, e.g. `\"2026-12-21\"`"),
        )
    })
}

/// A known IANA time zone, checked against the bundled database.
pub(crate) fn timezone(ctx: &mut Ctx, field: Field) -> Option<TimeZone> {
    let name = field.str(ctx)?;
    let db = tzdb();
    if let Ok(zone) = db.get(name) {
        return Some(zone);
    }
    let names: Vec<String> = db.available().map(|n| n.as_str().to_owned()).collect();
    let help = did_you_mean(name, names.iter().map(String::as_str))
        .unwrap_or_else(|| "use an IANA name such as `Europe/Berlin` or `UTC`".to_owned());
    field.invalid(ctx, format!("unknown time zone `{name}`"), Some(&help))
}

/// An absolute URL, e.g. `public_url`.
pub(crate) fn url(ctx: &mut Ctx, field: Field, schemes: &[&str]) -> Option<url::Url> {
    let value = field.str(ctx)?;
    check_url(ctx, field, value, schemes)
}

/// A setting whose plain value must be a URL with one of `schemes`.
pub(crate) fn url_setting(ctx: &mut Ctx, field: Field, schemes: &[&str]) -> Option<Setting> {
    let setting = setting(ctx, field)?;
    if let Setting::Plain(value) = &setting {
        check_url(ctx, field, value, schemes)?;
    }
    Some(setting)
}

/// `"IP:PORT"`.
pub(crate) fn socket_addr(ctx: &mut Ctx, field: Field) -> Option<SocketAddr> {
    let value = field.str(ctx)?;
    value.parse().ok().or_else(|| {
        field.invalid(
            ctx,
            format!("invalid socket address `{value}`"),
            Some("write `IP:PORT`, e.g. `\"127.0.0.1:8080\"` or `\"[::1]:8080\"`"),
        )
    })
}

/// `"IP"` or `"IP:PORT"`, with `default_port` when omitted.
pub(crate) fn ip_with_port(ctx: &mut Ctx, field: Field, default_port: u16) -> Option<SocketAddr> {
    let value = field.str(ctx)?;
    value
        .parse::<SocketAddr>()
        .ok()
        .or_else(|| value.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, default_port)))
        .or_else(|| {
            field.invalid(
                ctx,
                format!("invalid address `{value}`"),
                Some("write an IP address with an optional port, e.g. `\"1.1.1.1\"` or `\"1.1.1.1:53\"`"),
            )
        })
}

/// A CIDR such as `"10.0.0.0/8"` (a bare IP is a single-address network).
pub(crate) fn cidr(ctx: &mut Ctx, field: Field) -> Option<ipnet::IpNet> {
    let value = field.str(ctx)?;
    value
        .parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| value.parse::<IpAddr>().ok().map(ipnet::IpNet::from))
        .or_else(|| {
            field.invalid(
                ctx,
                format!("invalid cidr `{value}`"),
                Some("write a network such as `\"10.0.0.0/8\"` or `\"fd00::/8\"`"),
            )
        })
}

/// A path, made absolute against the catalog's directory.
pub(crate) fn path(ctx: &mut Ctx, field: Field) -> Option<PathBuf> {
    let value = text(ctx, field)?;
    Some(absolute(&ctx.base_dir, Path::new(&value)))
}

/// What a PEM file read by [`pem_file`] must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pem {
    /// One or more `CERTIFICATE` blocks.
    Certificate,
    /// One private key (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`).
    PrivateKey,
}

/// Largest PEM file accepted; certificate chains and keys are a few KiB.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// A path, made absolute, to a file that must be readable and hold PEM of
/// the given kind. This is the one place the catalog reads a file other
/// than itself: a wrong client certificate path is reported at load, at
/// the key that names it, rather than on every check. The content is not
/// kept (the checker loads it) and never shown.
pub(crate) fn pem_file(ctx: &mut Ctx, field: Field, kind: Pem) -> Option<PathBuf> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    let path = path(ctx, field)?;
    let shown = path.display();
    let (what, help) = match kind {
        Pem::Certificate => (
            "certificate",
            "the file must hold `-----BEGIN CERTIFICATE-----` blocks, leaf first",
        ),
        Pem::PrivateKey => (
            "private key",
            "the file must hold one `-----BEGIN PRIVATE KEY-----` block (or `RSA`/`EC PRIVATE KEY`)",
        ),
    };
    let read = std::fs::File::open(&path).and_then(|file| {
        use std::io::Read;
        let mut bytes = Vec::new();
        file.take(MAX_PEM_BYTES + 1).read_to_end(&mut bytes)?;
        Ok(bytes)
    });
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(error) => {
            let text = error.to_string();
            let text = text.split(" (os error").next().unwrap_or_default();
            let mut chars = text.chars();
            let reason: String = chars
                .next()
                .map(|first| first.to_lowercase().chain(chars).collect())
                .unwrap_or_default();
            return field.invalid(
                ctx,
                format!("cannot read `{}` file `{shown}`: {reason}", field.key),
                Some("give the path of a PEM file; a relative path is read from the catalog's directory"),
            );
        }
    };
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return field.invalid(
            ctx,
            format!("`{}` file `{shown}` is larger than 1MiB", field.key),
            Some(help),
        );
    }
    let found = match kind {
        Pem::Certificate => {
            let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(&bytes).collect();
            certs.is_ok_and(|certs| !certs.is_empty())
        }
        Pem::PrivateKey => PrivateKeyDer::from_pem_slice(&bytes).is_ok(),
    };
    if !found {
        return field.invalid(
            ctx,
            format!("`{}` file `{shown}` holds no PEM {what}", field.key),
            Some(help),
        );
    }
    Some(path)
}

/// One of a fixed set of words, mapped to a value.
pub(crate) fn choice<T: Copy>(
    ctx: &mut Ctx,
    field: Field,
    options: &[(&'static str, T)],
) -> Option<T> {
    let names: Vec<&'static str> = options.iter().map(|(name, _)| *name).collect();
    let word = one_of(ctx, field, &names)?;
    options
        .iter()
        .find(|(name, _)| *name == word)
        .map(|(_, value)| *value)
}

/// One of a fixed set of words.
pub(crate) fn one_of(
    ctx: &mut Ctx,
    field: Field,
    options: &[&'static str],
) -> Option<&'static str> {
    let value = field.str(ctx)?;
    if let Some(word) = options.iter().find(|name| **name == value) {
        return Some(word);
    }
    let help = did_you_mean(value, options.iter().copied()).unwrap_or_else(|| {
        let list: Vec<String> = options.iter().map(|name| format!("`{name}`")).collect();
        format!("use one of {}", list.join(", "))
    });
    field.invalid(
        ctx,
        format!("unknown `{}` value `{value}`", field.key),
        Some(&help),
    )
}

/// A duration of at least `min` (named `min_text` in messages).
pub(crate) fn duration_at_least(ctx: &mut Ctx, field: Field, min: Duration) -> Option<Duration> {
    let value = duration(ctx, field)?;
    if value < min {
        let shown = units::format_duration(value);
        let min = units::format_duration(min);
        return field.invalid(
            ctx,
            format!("`{}` must be at least `{min}`, found `{shown}`", field.key),
            None,
        );
    }
    Some(value)
}

/// A table of string values, e.g. route labels.
pub(crate) fn string_map(
    ctx: &mut Ctx,
    field: Field,
) -> Option<std::collections::BTreeMap<String, String>> {
    map(ctx, field, string)
}

/// A table of settings, e.g. HTTP headers.
pub(crate) fn setting_map(
    ctx: &mut Ctx,
    field: Field,
) -> Option<std::collections::BTreeMap<String, Setting>> {
    map(ctx, field, setting)
}

/// A free-form string setting: a plain string or `{ secret = "…" }`.
pub(crate) fn setting(ctx: &mut Ctx, field: Field) -> Option<Setting> {
    match field.value.get_ref() {
        DeValue::String(value) => Some(Setting::Plain(value.to_string())),
        DeValue::Table(_) => {
            let mut table = field.table(ctx, field.key)?;
            let reference = table.req(ctx, "secret", secret_ref);
            table.finish(ctx);
            Some(Setting::Secret {
                reference: reference?,
                value: None,
            })
        }
        _ => field.type_error(ctx, "a string or `{ secret = \"…\" }`"),
    }
}

/// Where a store URL may point, with sqlite paths made absolute.
pub(crate) fn store_url(ctx: &mut Ctx, field: Field) -> Option<Setting> {
    let setting = setting(ctx, field)?;
    let Setting::Plain(value) = &setting else {
        return Some(setting);
    };
    match resolve_store_url(&ctx.base_dir, value) {
        Some(url) => Some(Setting::Plain(url)),
        None => field.invalid(
            ctx,
            format!("unsupported store url `{value}`"),
            Some("use `sqlite://PATH` or `postgres://USER@HOST/DB`"),
        ),
    }
}

/// `base.join(path)` with `.` and `..` removed lexically.
pub(crate) fn absolute(base: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in base.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The `sqlite://` URL with its path made absolute, or a postgres URL as is.
fn resolve_store_url(base: &Path, value: &str) -> Option<String> {
    if value.starts_with("postgres://") || value.starts_with("postgresql://") {
        return url::Url::parse(value).ok().map(|_| value.to_owned());
    }
    let rest = value
        .strip_prefix("sqlite://")
        .or_else(|| value.strip_prefix("sqlite:"))?;
    let (file, query) = rest
        .split_once('?')
        .map_or((rest, None), |(f, q)| (f, Some(q)));
    if file.is_empty() {
        return None;
    }
    if file.starts_with(':') {
        return Some(value.to_owned());
    }
    let file = absolute(base, Path::new(file));
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    Some(format!("sqlite://{}{query}", file.display()))
}

fn integer(ctx: &mut Ctx, field: Field) -> Option<i64> {
    match field.value.get_ref() {
        DeValue::Integer(value) => i64::from_str_radix(value.as_str(), value.radix())
            .ok()
            .or_else(|| field.invalid(ctx, format!("`{}` is too large", field.key), None)),
        _ => field.type_error(ctx, "a whole number"),
    }
}

fn date_text(ctx: &mut Ctx, field: Field) -> Option<String> {
    match field.value.get_ref() {
        DeValue::Datetime(value) => Some(value.to_string()),
        DeValue::String(value) => Some(value.to_string()),
        _ => field.type_error(ctx, "a date"),
    }
}

fn check_url(ctx: &mut Ctx, field: Field, value: &str, schemes: &[&str]) -> Option<url::Url> {
    let help = || {
        let list: Vec<String> = schemes.iter().map(|s| format!("`{s}://`")).collect();
        format!("write an absolute URL starting with {}", list.join(" or "))
    };
    match url::Url::parse(value) {
        Ok(parsed) if schemes.contains(&parsed.scheme()) => Some(parsed),
        Ok(parsed) => field.invalid(
            ctx,
            format!(
                "unsupported scheme `{}` in `{}`",
                parsed.scheme(),
                field.key
            ),
            Some(&help()),
        ),
        Err(error) => field.invalid(
            ctx,
            format!("invalid url `{value}`: {error}"),
            Some(&help()),
        ),
    }
}

fn map<T>(
    ctx: &mut Ctx,
    field: Field,
    convert: fn(&mut Ctx, Field) -> Option<T>,
) -> Option<std::collections::BTreeMap<String, T>> {
    let DeValue::Table(entries) = field.value.get_ref() else {
        return field.type_error(ctx, "a table");
    };
    let mut out = std::collections::BTreeMap::new();
    for (key, value) in entries.iter() {
        let item = Field {
            key: key.get_ref(),
            value,
        };
        if let Some(value) = convert(ctx, item) {
            out.insert(key.get_ref().to_string(), value);
        }
    }
    Some(out)
}

fn secret_ref(ctx: &mut Ctx, field: Field) -> Option<SecretRef> {
    const HELP: &str = "write `file:PATH`, `cmd:COMMAND ARGS` or `env:NAME`";
    let value = field.str(ctx)?;
    let Some((scheme, rest)) = value.split_once(':') else {
        return field.invalid(
            ctx,
            format!("invalid secret reference `{value}`"),
            Some(HELP),
        );
    };
    let source = match scheme {
        "file" if rest.trim().is_empty() => {
            return field.invalid(ctx, "empty path in secret reference `file:`", Some(HELP));
        }
        "file" => SecretSource::File(absolute(&ctx.base_dir, Path::new(rest))),
        "cmd" => match shell_words::split(rest) {
            Ok(argv) if argv.is_empty() => {
                return field.invalid(ctx, "empty command in secret reference `cmd:`", Some(HELP));
            }
            Ok(argv) => SecretSource::Command(argv),
            Err(error) => {
                return field.invalid(
                    ctx,
                    format!("cannot split command `{rest}`: {error}"),
                    Some("close every quote; the command is split like a shell would, without running one"),
                );
            }
        },
        "env" if rest.is_empty() => {
            return field.invalid(
                ctx,
                "empty variable name in secret reference `env:`",
                Some(HELP),
            );
        }
        "env" if !is_env_name(rest) => {
            return field.invalid(
                ctx,
                format!("invalid environment variable name `{rest}`"),
                Some("use letters, digits and `_`, not starting with a digit"),
            );
        }
        "env" => SecretSource::Env(rest.to_owned()),
        other => {
            let help =
                did_you_mean(other, ["file", "cmd", "env"]).unwrap_or_else(|| HELP.to_owned());
            return field.invalid(ctx, format!("unknown secret scheme `{other}`"), Some(&help));
        }
    };
    Some(SecretRef {
        source,
        location: ctx.location(&field.span()),
    })
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn tzdb() -> &'static TimeZoneDatabase {
    static DB: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DB.get_or_init(TimeZoneDatabase::bundled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths_are_normalised() {
        let base = Path::new("/srv/ops");
        assert_eq!(
            absolute(base, Path::new("../app")),
            PathBuf::from("/srv/app")
        );
        assert_eq!(
            absolute(base, Path::new("./x/./y")),
            PathBuf::from("/srv/ops/x/y")
        );
        assert_eq!(absolute(base, Path::new("/etc/x")), PathBuf::from("/etc/x"));
    }

    #[test]
    fn store_urls() {
        let base = Path::new("/srv/ops");
        let resolve = |v| resolve_store_url(base, v);
        assert_eq!(
            resolve("sqlite://shipshape.db").as_deref(),
            Some("sqlite:///srv/ops/shipshape.db")
        );
        assert_eq!(
            resolve("sqlite:///var/x.db?mode=rwc").as_deref(),
            Some("sqlite:///var/x.db?mode=rwc")
        );
        assert_eq!(
            resolve("sqlite::memory:").as_deref(),
            Some("sqlite::memory:")
        );
        assert!(resolve("postgres://u@h/db").is_some());
        assert!(resolve("mysql://x").is_none());
        assert!(resolve("sqlite://").is_none());
    }
}
