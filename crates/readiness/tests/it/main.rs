//! Readiness tests: the checklist covers the source list item for item, in
//! our own words, and verdicts mean what a review needs them to mean.

mod catalog;
mod checklist;
mod repo;
mod review;
mod state;
mod verdict;
