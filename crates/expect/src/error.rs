//! The parse error: where in the expression it went wrong (a 1-based
//! character column), what went wrong, and how to fix it.

/// Why an expectation could not be parsed.
///
/// `column` counts characters (not bytes) from 1 within the expression text,
/// so the catalog can add it to the column where the string starts in the
/// config file. The column of an error at the end of the text is one past its
/// last character.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ParseError {
    /// 1-based character column within the expression text.
    pub column: usize,
    /// What went wrong, lowercase, with the offending text in backticks.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
}

/// A parse failure located by byte offset; turned into a [`ParseError`] once
/// the source text is at hand.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) at: usize,
    pub(crate) message: String,
    pub(crate) help: Option<String>,
}

impl Failure {
    /// A failure at byte offset `at`.
    pub(crate) fn new(at: usize, message: impl Into<String>) -> Self {
        Self {
            at,
            message: message.into(),
            help: None,
        }
    }

    /// Adds a hint on how to fix it.
    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Locates the failure in `src` as a 1-based character column.
    pub(crate) fn locate(self, src: &str) -> ParseError {
        let column = src.char_indices().take_while(|(i, _)| *i < self.at).count() + 1;
        ParseError {
            column,
            message: self.message,
            help: self.help,
        }
    }
}
