//! Fields: the dotted paths an expectation tests (`status`,
//! `header.content-type`, `json.items[0].id`), and the schema that says
//! which fields exist and what type each holds.

use std::fmt;
use std::sync::LazyLock;

use crate::error::Failure;
use crate::value::write_quoted;

/// A field an expectation tests: a root name and the path below it.
///
/// `json.items[0].id` has root `json` and path `[Key("items"), Index(0),
/// Key("id")]`; `header.Content-Type` has root `header` and path
/// `[Key("content-type")]` (header names are lowercased when parsed);
/// `status` has an empty path. Displays in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Field {
    root: String,
    path: Vec<Segment>,
}

/// One step of a [`Field`]'s path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// A member or key: `.id`, `["weird key"]`.
    Key(String),
    /// A list index: `[0]`.
    Index(usize),
}

/// The type of value a field holds, checked against the operator and the
/// literal when an expectation is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// A number: `status`.
    Number,
    /// A length of time, compared with duration literals: `response_time`.
    Duration,
    /// A number of bytes, compared with sizes or plain byte counts: `body_size`.
    Size,
    /// Text: `body`, header values.
    Text,
    /// `true` or `false`: `cert.valid`.
    Bool,
    /// A list of text: `dns.answers`.
    TextList,
    /// Known only when evaluated: JSON. Anything parses; a mismatch fails
    /// the check.
    Any,
}

/// How a root field is addressed below its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// The root alone is the value: `status`.
    Value(FieldType),
    /// A fixed set of members: `timing.dns`, `cert.expires_in`.
    Members(Vec<(String, FieldType)>),
    /// Exactly one free name, matched case-insensitively (it is lowercased
    /// when parsed): `header.content-type`.
    Named(FieldType),
    /// A JSON document addressed by any path of keys and indexes:
    /// `json.items[0].id`, `json["weird key"]`.
    Json,
}

/// The fields an expectation may test: root names and their shapes.
///
/// [`Schema::builtin`] covers what Shipshape's probes report; a subject that
/// reports something else builds its own with [`Schema::new`] and
/// [`Schema::with`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schema {
    roots: Vec<(String, Shape)>,
}

impl Field {
    /// A field with the given root and path, as the parser would build it.
    pub fn new(root: impl Into<String>, path: Vec<Segment>) -> Self {
        Self {
            root: root.into(),
            path,
        }
    }

    /// The root name: `json` in `json.items[0].id`.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The path below the root; empty for `status`.
    pub fn path(&self) -> &[Segment] {
        &self.path
    }

    /// The first key below the root, if the path is exactly one key: the
    /// header name in `header.content-type`, the member in `timing.dns`.
    pub fn name(&self) -> Option<&str> {
        match self.path.as_slice() {
            [Segment::Key(name)] => Some(name),
            _ => None,
        }
    }
}

/// Writes `root.key[0]["odd key"]`: keys that are not plain names are quoted.
impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.root)?;
        for segment in &self.path {
            match segment {
                Segment::Key(key) if is_name(key) => write!(f, ".{key}")?,
                Segment::Key(key) => {
                    f.write_str("[")?;
                    write_quoted(f, key)?;
                    f.write_str("]")?;
                }
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

impl FieldType {
    /// The type as a phrase for messages: `a number`, `text`, …
    pub fn describe(self) -> &'static str {
        match self {
            FieldType::Number => "a number",
            FieldType::Duration => "a duration",
            FieldType::Size => "a size",
            FieldType::Text => "text",
            FieldType::Bool => "a boolean",
            FieldType::TextList => "a list of text",
            FieldType::Any => "any value",
        }
    }
}

impl Schema {
    /// A schema with no fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// The fields Shipshape's probes report:
    ///
    /// | field | type |
    /// |---|---|
    /// | `status` | number |
    /// | `response_time` | duration |
    /// | `body` | text |
    /// | `body_size` | size |
    /// | `json.<path>` | JSON |
    /// | `header.<name>` | text |
    /// | `cert.expires_in` | duration |
    /// | `cert.issuer`, `cert.subject` | text |
    /// | `cert.valid` | boolean |
    /// | `tls.version` | text |
    /// | `dns.answers` | list of text |
    /// | `dns.rcode` | text |
    /// | `timing.dns`, `.connect`, `.tls`, `.first_byte`, `.total` | duration |
    /// | `tcp.received` | text |
    /// | `datastore.role` | text (`primary` or `replica`) |
    /// | `datastore.replica`, `.read_only`, `.link_up` | boolean |
    /// | `datastore.replication_lag` | duration |
    pub fn builtin() -> &'static Schema {
        static BUILTIN: LazyLock<Schema> = LazyLock::new(|| {
            use FieldType::{Bool, Duration, Number, Size, Text, TextList};
            let members = |list: &[(&str, FieldType)]| {
                Shape::Members(
                    list.iter()
                        .map(|(name, ty)| ((*name).to_owned(), *ty))
                        .collect(),
                )
            };
            Schema::new()
                .with("status", Shape::Value(Number))
                .with("response_time", Shape::Value(Duration))
                .with("body", Shape::Value(Text))
                .with("body_size", Shape::Value(Size))
                .with("json", Shape::Json)
                .with("header", Shape::Named(Text))
                .with(
                    "cert",
                    members(&[
                        ("expires_in", Duration),
                        ("issuer", Text),
                        ("subject", Text),
                        ("valid", Bool),
                    ]),
                )
                .with("tls", members(&[("version", Text)]))
                .with("dns", members(&[("answers", TextList), ("rcode", Text)]))
                .with(
                    "timing",
                    members(&[
                        ("dns", Duration),
                        ("connect", Duration),
                        ("tls", Duration),
                        ("first_byte", Duration),
                        ("total", Duration),
                    ]),
                )
                .with("tcp", members(&[("received", Text)]))
                .with(
                    "datastore",
                    members(&[
                        ("role", Text),
                        ("replica", Bool),
                        ("read_only", Bool),
                        ("link_up", Bool),
                        ("replication_lag", Duration),
                    ]),
                )
        });
        &BUILTIN
    }

    /// Adds a root field, replacing any root of the same name.
    pub fn with(mut self, root: impl Into<String>, shape: Shape) -> Self {
        let root = root.into();
        self.roots.retain(|(name, _)| *name != root);
        self.roots.push((root, shape));
        self
    }

    /// The root names, in the order they were added.
    pub fn roots(&self) -> impl Iterator<Item = &str> {
        self.roots.iter().map(|(name, _)| name.as_str())
    }

    /// The shape of a root field, if the schema has it.
    pub fn shape(&self, root: &str) -> Option<&Shape> {
        self.roots
            .iter()
            .find(|(name, _)| name == root)
            .map(|(_, shape)| shape)
    }

    /// Checks a parsed path against the schema: the root must exist and the
    /// path must fit its shape. Each segment comes with its byte offset in
    /// the source, for errors; `end` is the offset just past the root.
    pub(crate) fn resolve(
        &self,
        root: &str,
        root_at: usize,
        root_end: usize,
        mut path: Vec<(Segment, usize)>,
    ) -> Result<(Field, FieldType), Failure> {
        let Some(shape) = self.shape(root) else {
            return Err(Failure::new(root_at, format!("unknown field `{root}`"))
                .help(format!("known fields: {}", self.describe_roots())));
        };
        let ty =
            match shape {
                Shape::Json => FieldType::Any,
                Shape::Value(ty) => {
                    if let Some((_, at)) = path.first() {
                        return Err(Failure::new(*at, format!("`{root}` has no parts"))
                            .help(format!("write just `{root}`")));
                    }
                    *ty
                }
                Shape::Named(ty) => {
                    let example = format!("`{root}.<name>`, e.g. `{root}.content-type`");
                    match path.as_mut_slice() {
                        [] => {
                            return Err(Failure::new(root_end, format!("`{root}` needs a name"))
                                .help(format!("write {example}")));
                        }
                        [(Segment::Key(name), _)] => name.make_ascii_lowercase(),
                        [(Segment::Index(_), at), ..] => {
                            return Err(Failure::new(
                                *at,
                                format!("`{root}` takes a name, not an index"),
                            )
                            .help(format!("write {example}")));
                        }
                        [_, (_, at), ..] => {
                            return Err(Failure::new(*at, format!("`{root}.<name>` has no parts"))
                                .help(format!("write {example}")));
                        }
                    }
                    *ty
                }
                Shape::Members(members) => {
                    let known = || {
                        let names: Vec<_> = members
                            .iter()
                            .map(|(m, _)| format!("`{root}.{m}`"))
                            .collect();
                        format!("`{root}` has {}", names.join(", "))
                    };
                    let (member, at) = match path.first() {
                        None => {
                            return Err(Failure::new(root_end, format!("`{root}` needs a part"))
                                .help(known()));
                        }
                        Some((Segment::Index(_), at)) => {
                            return Err(Failure::new(
                                *at,
                                format!("`{root}` takes a part name, not an index"),
                            )
                            .help(known()));
                        }
                        Some((Segment::Key(member), at)) => (member, *at),
                    };
                    let Some((_, ty)) = members.iter().find(|(m, _)| m == member) else {
                        return Err(Failure::new(at, format!("unknown field `{root}.{member}`"))
                            .help(known()));
                    };
                    if let Some((_, at)) = path.get(1) {
                        return Err(Failure::new(*at, format!("`{root}.{member}` has no parts")));
                    }
                    *ty
                }
            };
        let field = Field {
            root: root.to_owned(),
            path: path.into_iter().map(|(s, _)| s).collect(),
        };
        Ok((field, ty))
    }

    /// The root names for a help message: `` `status`, `body`, `json.<path>` ``.
    fn describe_roots(&self) -> String {
        let names: Vec<String> = self
            .roots
            .iter()
            .map(|(name, shape)| match shape {
                Shape::Value(_) => format!("`{name}`"),
                Shape::Json => format!("`{name}.<path>`"),
                Shape::Named(_) => format!("`{name}.<name>`"),
                Shape::Members(_) => format!("`{name}.<part>`"),
            })
            .collect();
        names.join(", ")
    }
}

/// Whether a key can be written after a dot without quotes.
pub(crate) fn is_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_display_canonically() {
        let field = Field::new(
            "json",
            vec![
                Segment::Key("items".into()),
                Segment::Index(0),
                Segment::Key("weird key".into()),
                Segment::Key("q\"".into()),
            ],
        );
        assert_eq!(field.to_string(), r#"json.items[0]["weird key"]["q\""]"#);
        assert_eq!(Field::new("status", vec![]).to_string(), "status");
    }

    #[test]
    fn name_is_the_single_key() {
        assert_eq!(
            Field::new("header", vec![Segment::Key("x".into())]).name(),
            Some("x")
        );
        assert_eq!(Field::new("status", vec![]).name(), None);
    }

    #[test]
    fn with_replaces_a_root_of_the_same_name() {
        let schema = Schema::new()
            .with("up", Shape::Value(FieldType::Bool))
            .with("up", Shape::Value(FieldType::Number));
        assert_eq!(schema.roots().collect::<Vec<_>>(), ["up"]);
        assert_eq!(schema.shape("up"), Some(&Shape::Value(FieldType::Number)));
    }
}
