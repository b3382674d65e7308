//! Integration tests of the catalog: valid files parse, invalid ones report
//! every problem at the right place, diffs name what changed, and no input
//! panics.

mod diff;
mod fuzz;
mod invalid;
mod probes;
mod support;
mod valid;
