//! Secret-bearing settings: a value written inline or as a reference
//! (`{ secret = "file:…" | "cmd:…" | "env:…" }`). The catalog only parses
//! references; the binary resolves them at start-up and fills the value in.

use std::fmt;
use std::path::PathBuf;

/// A resolved secret value. `Debug` and `Display` print `***`, never the
/// value; there is deliberately no `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a resolved value.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The value itself. Call only where it is sent to its destination.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `file:PATH` — the file's content (trailing newline trimmed by the
    /// resolver). The path is absolute: relative ones are resolved against
    /// the catalog file's directory.
    File(PathBuf),
    /// `cmd:COMMAND ARGS` — the command's standard output. The argv is split
    /// shell-words style; no shell is ever invoked.
    Command(Vec<String>),
    /// `env:NAME` — the environment variable `NAME`.
    Env(String),
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::File(path) => write!(f, "file:{}", path.display()),
            SecretSource::Command(argv) => write!(f, "cmd:{}", shell_words::join(argv)),
            SecretSource::Env(name) => write!(f, "env:{name}"),
        }
    }
}

/// A parsed secret reference and where it was written.
#[derive(Debug, Clone)]
pub struct SecretRef {
    /// Where to read the secret from.
    pub source: SecretSource,
    /// `file:line:col` of the reference, for resolution error messages.
    pub location: String,
}

/// Two references are equal when they read the same source; where they are
/// written does not matter (moving a line is not a change).
impl PartialEq for SecretRef {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// A free-form string setting that may be a secret.
#[derive(Clone)]
pub enum Setting {
    /// Written inline in the catalog.
    Plain(String),
    /// Written as `{ secret = "…" }`; `value` is filled in by the binary.
    Secret {
        /// The reference as written.
        reference: SecretRef,
        /// The resolved value, once the binary has resolved it.
        value: Option<Secret>,
    },
}

impl Setting {
    /// The usable value: the plain string, or the resolved secret
    /// (`None` while a secret is unresolved).
    pub fn value(&self) -> Option<&str> {
        match self {
            Setting::Plain(value) => Some(value),
            Setting::Secret { value, .. } => value.as_ref().map(Secret::expose),
        }
    }

    /// Whether this setting is a secret reference.
    pub fn is_secret(&self) -> bool {
        matches!(self, Setting::Secret { .. })
    }

    /// The secret reference, if this setting is one.
    pub fn secret_ref(&self) -> Option<&SecretRef> {
        match self {
            Setting::Plain(_) => None,
            Setting::Secret { reference, .. } => Some(reference),
        }
    }
}

/// Secret settings compare by reference only, never by resolved value, so a
/// freshly parsed catalog equals the running one with resolved secrets.
impl PartialEq for Setting {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Setting::Plain(a), Setting::Plain(b)) => a == b,
            (Setting::Secret { reference: a, .. }, Setting::Secret { reference: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl fmt::Debug for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Setting::Plain(value) => f.debug_tuple("Plain").field(value).finish(),
            Setting::Secret { reference, value } => f
                .debug_struct("Secret")
                .field("source", &reference.source)
                .field("resolved", &value.is_some())
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolved_secret_is_never_printed() {
        let setting = Setting::Secret {
            reference: SecretRef {
                source: SecretSource::Env("TOKEN".into()),
                location: "x.toml:1:1".into(),
            },
            value: Some(Secret::new("hunter2".into())),
        };
        assert!(!format!("{setting:?}").contains("hunter2"));
        assert!(!format!("{setting:#?}").contains("hunter2"));
        assert_eq!(setting.value(), Some("hunter2"));
    }
}
