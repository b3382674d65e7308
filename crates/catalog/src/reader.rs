//! Walking the spanned TOML document: a [`Ctx`] collects diagnostics and
//! symbols, a [`Table`] hands out its keys as [`Field`]s and reports the keys
//! nobody asked for. Nothing here stops at the first error.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, LineIndex, did_you_mean};
use crate::validate::Symbols;

/// A spanned TOML value.
pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// Everything accumulated while reading one file.
pub(crate) struct Ctx<'s> {
    /// The file as given, for diagnostics.
    file: PathBuf,
    /// The catalog's directory (absolute), for relative paths.
    pub(crate) base_dir: PathBuf,
    lines: LineIndex<'s>,
    diagnostics: Vec<(usize, Diagnostic)>,
    /// Ids defined and referenced so far.
    pub(crate) symbols: Symbols,
}

impl<'s> Ctx<'s> {
    pub(crate) fn new(source: &'s str, file: &Path, base_dir: PathBuf) -> Self {
        Self {
            file: file.to_path_buf(),
            base_dir,
            lines: LineIndex::new(source),
            diagnostics: Vec::new(),
            symbols: Symbols::default(),
        }
    }

    /// Records an error at the start of `span`.
    pub(crate) fn error(
        &mut self,
        span: &Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let (line, col) = self.lines.position(span.start);
        let diagnostic = Diagnostic {
            file: self.file.clone(),
            line,
            col,
            message: message.into(),
            help,
        };
        self.diagnostics.push((span.start, diagnostic));
    }

    /// Records an error at the `index`-th character inside the string literal
    /// spanning `span` (e.g. a column inside an expectation).
    pub(crate) fn error_in_string(
        &mut self,
        span: &Range<usize>,
        index: usize,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let offset = self.lines.offset_in_string(span.start, index);
        self.error(&(offset..offset), message, help);
    }

    /// `file:line:col` of `span`.
    pub(crate) fn location(&self, span: &Range<usize>) -> String {
        self.lines.location(&self.file, span)
    }

    /// 1-based line of `span`.
    pub(crate) fn line(&self, span: &Range<usize>) -> usize {
        self.lines.position(span.start).0
    }

    /// The diagnostics in file order, without exact repeats.
    pub(crate) fn into_diagnostics(self) -> Vec<Diagnostic> {
        let mut diagnostics = self.diagnostics;
        diagnostics.sort_by_key(|(offset, _)| *offset);
        diagnostics.dedup();
        diagnostics.into_iter().map(|(_, d)| d).collect()
    }
}

/// One value of a table, with the key it was found under.
#[derive(Clone, Copy)]
pub(crate) struct Field<'a, 'i> {
    /// The key, or the key of the enclosing list for list items.
    pub(crate) key: &'a str,
    /// The value.
    pub(crate) value: &'a Value<'i>,
}

impl<'a, 'i> Field<'a, 'i> {
    pub(crate) fn span(&self) -> Range<usize> {
        self.value.span()
    }

    /// Reports that the value has the wrong type.
    pub(crate) fn type_error<T>(&self, ctx: &mut Ctx, expected: &str) -> Option<T> {
        let found = article(self.value.get_ref().type_str());
        ctx.error(
            &self.span(),
            format!("`{}` must be {expected}, not {found}", self.key),
            None,
        );
        None
    }

    /// Reports an invalid value.
    pub(crate) fn invalid<T>(
        &self,
        ctx: &mut Ctx,
        message: impl Into<String>,
        help: Option<&str>,
    ) -> Option<T> {
        ctx.error(&self.span(), message, help.map(str::to_owned));
        None
    }

    pub(crate) fn str(&self, ctx: &mut Ctx) -> Option<&'a str> {
        match self.value.get_ref() {
            DeValue::String(text) => Some(text.as_ref()),
            _ => self.type_error(ctx, "a string"),
        }
    }

    pub(crate) fn array(&self, ctx: &mut Ctx) -> Option<&'a [Value<'i>]> {
        match self.value.get_ref() {
            DeValue::Array(items) => Some(items.as_ref()),
            _ => self.type_error(ctx, "a list"),
        }
    }

    /// The items of a list, each as a field under the same key.
    pub(crate) fn items(&self, ctx: &mut Ctx) -> Vec<Field<'a, 'i>> {
        let key = self.key;
        self.array(ctx)
            .unwrap_or_default()
            .iter()
            .map(|value| Field { key, value })
            .collect()
    }

    /// Reads the value as a table named `name` with `read`, then reports
    /// its unknown keys.
    pub(crate) fn with_table<T>(
        &self,
        ctx: &mut Ctx,
        name: &str,
        read: impl FnOnce(&mut Ctx, &mut Table<'a, 'i>) -> Option<T>,
    ) -> Option<T> {
        let mut table = self.table(ctx, name)?;
        let out = read(ctx, &mut table);
        table.finish(ctx);
        out
    }

    /// The value as a table named `name` in messages.
    pub(crate) fn table(&self, ctx: &mut Ctx, name: &str) -> Option<Table<'a, 'i>> {
        match self.value.get_ref() {
            DeValue::Table(entries) => Some(Table {
                name: name.to_owned(),
                entries,
                span: self.span(),
                known: Vec::new(),
                lenient: false,
            }),
            _ => self.type_error(ctx, "a table"),
        }
    }
}

/// A TOML table being read: every key asked for is known; the rest are
/// reported as unknown by [`Table::finish`].
pub(crate) struct Table<'a, 'i> {
    name: String,
    entries: &'a DeTable<'i>,
    span: Range<usize>,
    known: Vec<&'static str>,
    /// Set when the table's shape is unknowable (e.g. bad `type`), so that
    /// its other keys are not reported as unknown too.
    lenient: bool,
}

impl<'a, 'i> Table<'a, 'i> {
    /// The document root.
    pub(crate) fn root(document: &'a Spanned<DeTable<'i>>) -> Self {
        Table {
            name: "the top level".to_owned(),
            entries: document.get_ref(),
            span: document.span(),
            known: Vec::new(),
            lenient: false,
        }
    }

    /// Name of the table in messages.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The table's own span (its header or opening brace).
    pub(crate) fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// The field under `key`, if present; `key` becomes known either way.
    pub(crate) fn field(&mut self, key: &'static str) -> Option<Field<'a, 'i>> {
        self.known.push(key);
        self.entries
            .iter()
            .find(|(name, _)| name.get_ref() == key)
            .map(|(_, value)| Field { key, value })
    }

    /// Whether `key` is present (without making it known).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(name, _)| name.get_ref() == key)
    }

    /// Span of the value under `key`, or of the table if absent.
    pub(crate) fn span_of(&self, key: &str) -> Range<usize> {
        self.entries
            .iter()
            .find(|(name, _)| name.get_ref() == key)
            .map_or_else(|| self.span(), |(_, value)| value.span())
    }

    /// An optional key converted by `convert`.
    pub(crate) fn opt<T>(
        &mut self,
        ctx: &mut Ctx,
        key: &'static str,
        convert: impl FnOnce(&mut Ctx, Field<'a, 'i>) -> Option<T>,
    ) -> Option<T> {
        self.field(key).and_then(|field| convert(ctx, field))
    }

    /// A required key converted by `convert`; reports it when missing.
    pub(crate) fn req<T>(
        &mut self,
        ctx: &mut Ctx,
        key: &'static str,
        convert: impl FnOnce(&mut Ctx, Field<'a, 'i>) -> Option<T>,
    ) -> Option<T> {
        match self.field(key) {
            Some(field) => convert(ctx, field),
            None => {
                ctx.error(
                    &self.span,
                    format!("missing key `{key}` in `{}`", self.name),
                    Some(format!("add `{key} = …` to this table")),
                );
                None
            }
        }
    }

    /// A list under `key` (empty when absent), each item converted.
    pub(crate) fn list<T>(
        &mut self,
        ctx: &mut Ctx,
        key: &'static str,
        mut convert: impl FnMut(&mut Ctx, Field<'a, 'i>) -> Option<T>,
    ) -> Vec<T> {
        let items = self
            .field(key)
            .map(|field| field.items(ctx))
            .unwrap_or_default();
        items
            .into_iter()
            .filter_map(|item| convert(ctx, item))
            .collect()
    }

    /// Stops [`Table::finish`] from reporting unknown keys.
    pub(crate) fn ignore_rest(&mut self) {
        self.lenient = true;
    }

    /// Reports every key that was never asked for.
    pub(crate) fn finish(self, ctx: &mut Ctx) {
        if self.lenient {
            return;
        }
        for (key, _) in self.entries.iter() {
            let name: &str = key.get_ref();
            if self.known.contains(&name) {
                continue;
            }
            let help = did_you_mean(name, self.known.iter().copied()).or_else(|| {
                let mut known = self.known.clone();
                known.sort_unstable();
                known.dedup();
                Some(format!("known keys here: {}", known.join(", ")))
            });
            ctx.error(
                &key.span(),
                format!("unknown key `{name}` in `{}`", self.name),
                help,
            );
        }
    }
}

/// `an integer`, `a string`.
fn article(type_name: &str) -> String {
    let vowel = type_name.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {type_name}", if vowel { "an" } else { "a" })
}
