//! Shipshape's public status page, pure: a [`Snapshot`] of what the public
//! may see (components and their status, incidents posted for the public,
//! planned maintenance, 90 days of availability) and everything made from
//! it — Statuspage-compatible JSON (`json`), Atom and RSS feeds (`feed`),
//! SVG badges (`badge`), the server-rendered page (`html`) and the static
//! export of the whole site (`export`). No store, no network: the binary
//! builds the snapshot from the catalog and the store, the web server and
//! the exporter render it.

#![warn(missing_docs)]

pub mod badge;
pub mod export;
pub mod feed;
pub mod html;
pub mod json;
pub mod model;

pub use model::*;
