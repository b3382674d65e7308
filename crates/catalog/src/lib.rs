//! The catalog: `shipshape.toml` parsed into typed structures and validated.
//!
//! This crate owns the config model ([`Catalog`] and everything under it),
//! its parsing and validation, and the [`Diagnostics`] a user sees when the
//! file is wrong: every problem in the file at once, each at `file:line:col`
//! with a fix hint. It also says what changed between two catalogs
//! ([`diff`]) so a reload can be logged and applied selectively.
//!
//! How it runs: [`load`] reads one file and hands it to [`parse_str`], which
//! walks the spanned TOML document table by table (`parse`), converting each
//! key (`convert`, `units`) and recording ids and references; cross-table
//! checks (duplicates, unknown references, dependency cycles) run once the
//! whole file has been read (`validate`).
//!
//! What it must never do: IO beyond reading the file it is given (no
//! network, no clock, no reading of referenced files — with one exception:
//! the client certificate and key files of HTTP monitors are read once at
//! load to check they hold PEM, so a wrong path is a diagnostic), resolve
//! secrets
//! (a [`Setting`] holds a [`SecretRef`]; the binary resolves it and fills the
//! value in through [`Catalog::secret_settings_mut`]), or panic on any input.

#![warn(missing_docs)]

mod convert;
mod diagnostic;
mod diff;
mod model;
mod parse;
mod query;
mod reader;
pub mod secret;
mod units;
mod validate;

use std::path::Path;

use toml::de::DeTable;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use diff::{CatalogDiff, IdChanges, diff};
pub use model::*;
pub use query::human_duration;
pub use secret::{Secret, SecretRef, SecretSource, Setting};
pub use shipshape_expect::Expectation;

use reader::Ctx;

/// Reads and validates the catalog at `path`. A file that cannot be read is
/// reported as a diagnostic at `path:1:1`.
pub fn load(path: &Path) -> Result<Catalog, Diagnostics> {
    match std::fs::read_to_string(path) {
        Ok(source) => parse_str(&source, path),
        Err(error) => Err(Diagnostics(vec![Diagnostic {
            file: path.to_path_buf(),
            line: 1,
            col: 1,
            message: format!("cannot read catalog: {error}"),
            help: Some(
                "check the path given with `--config`, and that the file is readable".into(),
            ),
        }])),
    }
}

/// Parses and validates catalog text. `path` names the file in diagnostics
/// and is the base against which relative paths in the catalog resolve.
pub fn parse_str(source: &str, path: &Path) -> Result<Catalog, Diagnostics> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let base_dir = absolute.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut ctx = Ctx::new(source, path, base_dir);

    let (document, errors) = DeTable::parse_recoverable(source);
    if !errors.is_empty() {
        for error in errors {
            let span = error.span().unwrap_or(0..0);
            let (message, help) = syntax_message(error.message());
            ctx.error(&span, message, help);
        }
        return Err(Diagnostics(ctx.into_diagnostics()));
    }

    let catalog = parse::catalog(&mut ctx, &document, absolute);
    validate::check(&mut ctx);
    let diagnostics = ctx.into_diagnostics();
    if diagnostics.is_empty() {
        Ok(catalog)
    } else {
        Err(Diagnostics(diagnostics))
    }
}

/// The TOML parser's message: first line as the message, the rest as help.
fn syntax_message(raw: &str) -> (String, Option<String>) {
    let mut lines = raw.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid toml");
    let rest: Vec<&str> = lines.collect();
    let help = (!rest.is_empty()).then(|| rest.join("; "));
    (format!("invalid toml: {first}"), help)
}
