//! The errors of the few fallible set-up calls (reading a CA file or a
//! preload list). Scans themselves never fail: problems go in the report.

use std::path::PathBuf;

/// Why a scan input file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The file could not be read.
    #[error("cannot read `{path}`: {source}; check the path and its permissions")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The CA file holds no PEM certificate.
    #[error(
        "`{path}` holds no PEM certificate; give a file with `-----BEGIN CERTIFICATE-----` blocks"
    )]
    NoCertificates {
        /// The file.
        path: PathBuf,
    },
    /// A PEM block of the CA file is malformed.
    #[error("`{path}` has a malformed PEM certificate: {reason}; re-export the bundle as PEM")]
    BadPem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A certificate of the CA file is not a usable trust anchor.
    #[error(
        "certificate {index} of `{path}` is not a usable CA certificate: {reason}; remove it from the bundle"
    )]
    BadAnchor {
        /// The file.
        path: PathBuf,
        /// Its position, from 0.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The preload list is neither JSON nor one name per line.
    #[error(
        "`{path}` is not a preload list: {reason}; give Chromium's transport_security_state_static.json, a JSON array of names, or one name per line"
    )]
    BadPreloadList {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}
