//! Diagnostics: an error at `file:line:col` with an optional fix hint, and
//! the helpers that turn byte spans into positions and suggest close names.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// One problem in a catalog file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The catalog file, as it was given.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
    /// What is wrong: lowercase, values in backticks.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: error: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Every problem found in a catalog file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Whether `self` holds no diagnostic.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of diagnostics.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The diagnostics, in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Turns byte offsets of one source text into 1-based line and column.
pub(crate) struct LineIndex<'s> {
    source: &'s str,
    line_starts: Vec<usize>,
}

impl<'s> LineIndex<'s> {
    pub(crate) fn new(source: &'s str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            source,
            line_starts,
        }
    }

    /// The byte offset of the `index`-th decoded character of the TOML
    /// string literal that starts at `literal_start` (at its opening quote),
    /// following escapes in basic strings. Clamped into the text.
    pub(crate) fn offset_in_string(&self, literal_start: usize, index: usize) -> usize {
        let raw = self.source.get(literal_start..).unwrap_or_default();
        let (quote, basic) = if raw.starts_with("\"\"\"") {
            (3, true)
        } else if raw.starts_with("'''") {
            (3, false)
        } else {
            (1, raw.starts_with('"'))
        };
        let mut chars = raw.char_indices().skip(quote).peekable();
        for _ in 0..index {
            match chars.next() {
                Some((_, '\\')) if basic => {
                    let skip = match chars.next() {
                        Some((_, 'u')) => 4,
                        Some((_, 'U')) => 8,
                        _ => 0,
                    };
                    for _ in 0..skip {
                        chars.next();
                    }
                }
                Some(_) => {}
                None => break,
            }
        }
        let within = chars.peek().map_or(raw.len(), |(i, _)| *i);
        (literal_start + within).min(self.source.len())
    }

    /// 1-based `(line, col)` of `offset`, clamped into the text.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self
            .line_starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(0);
        let col = self
            .source
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (line.max(1), col + 1)
    }

    /// `file:line:col` of the start of `span`, for messages outside diagnostics.
    pub(crate) fn location(&self, file: &std::path::Path, span: &Range<usize>) -> String {
        let (line, col) = self.position(span.start);
        format!("{}:{line}:{col}", file.display())
    }
}

/// `did you mean `x`?` for the candidate closest to `wanted`, if close
/// enough: similar by Jaro-Winkler, or one edit (including a swap of two
/// neighbouring letters) away.
pub(crate) fn did_you_mean<'c>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    candidates
        .into_iter()
        .filter(|candidate| *candidate != wanted)
        .map(|candidate| {
            let edits = strsim::damerau_levenshtein(wanted, candidate);
            let similarity = strsim::jaro_winkler(wanted, candidate);
            (edits, similarity, candidate)
        })
        .filter(|(edits, similarity, _)| {
            *similarity >= 0.8 || (*edits <= 1 && wanted.chars().count() >= 3)
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(_, _, candidate)| format!("did you mean `{candidate}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let index = LineIndex::new("ab\nçd = 1\n");
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(3), (2, 1));
        assert_eq!(index.position(6), (2, 3));
        assert_eq!(index.position(999), (3, 1));
    }

    #[test]
    fn suggests_only_close_names() {
        let names = ["benefits", "identity"];
        assert_eq!(
            did_you_mean("benefit", names).as_deref(),
            Some("did you mean `benefits`?")
        );
        assert_eq!(did_you_mean("zzz", names), None);
        assert_eq!(
            did_you_mean("wbe", ["web"]).as_deref(),
            Some("did you mean `web`?")
        );
        assert_eq!(did_you_mean("a", ["b"]), None);
    }
}
