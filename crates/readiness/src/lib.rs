//! Shipshape's production-readiness checklist, as data.
//!
//! A readiness review asks, item by item, whether a service is fit to run
//! in production. This crate holds the list of questions ([`CHECKLIST`],
//! grouped by [`Practice`]) and the shape of an answer ([`Verdict`]); it
//! does not collect evidence itself. Collectors decide the items marked
//! [`Evidence::Automatic`]; a person vouches for the ones marked
//! [`Evidence::Attestation`].
//!
//! The list follows 18F's "Good Production Practices"
//! (<https://engineering.18f.gov/production-ready/>, see [`SOURCE`]): one
//! entry per item of that list, in its order, rewritten in Shipshape's own
//! words with a rationale and a concrete fix. Items the source marks as
//! must-haves have [`Item::must`] set, and [`blocks_launch`] turns a
//! must-have that is not satisfied into a launch blocker.

#![warn(missing_docs)]

pub mod checklist;
pub mod collect;
pub mod finding;
pub mod report;
pub mod review;
pub mod run;
pub mod verdict;

pub use checklist::{CHECKLIST, Evidence, Item, Origin, Practice, SOURCE, item};
pub use finding::Finding;
pub use review::{
    Attestation, Inputs, ItemResult, Mode, PracticeScore, Report, ReviewItem, Summary,
};
pub use verdict::{Verdict, blocks_launch};
