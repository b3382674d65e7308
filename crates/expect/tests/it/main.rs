//! Integration tests for `shipshape-expect`, one binary: property tests
//! that parsing and evaluating never panic, and the README's subject example.

mod properties;
mod subject;
