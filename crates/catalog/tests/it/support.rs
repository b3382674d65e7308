//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use shipshape_catalog::{Catalog, Diagnostics, parse_str};

/// The crate's directory.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Parses `source` as if it were `/srv/ops/shipshape.toml`.
pub fn parse(source: &str) -> Result<Catalog, Diagnostics> {
    parse_str(source, Path::new("/srv/ops/shipshape.toml"))
}

/// The diagnostics of an invalid catalog; fails if it is valid.
pub fn errors(source: &str) -> Diagnostics {
    match parse(source) {
        Ok(_) => panic!("expected errors, but the catalog is valid"),
        Err(diagnostics) => diagnostics,
    }
}
