//! Collectors: the code that looks at evidence and turns it into
//! [`Finding`](crate::Finding)s. One module per kind of evidence, matching
//! the prefix of the collector ids in [`crate::Item::collectors`]:
//! `catalog` (what the team declared), `state` (Shipshape's own view of the
//! running service), `endpoint` (the live public endpoints), `repo` (the
//! service's repository).

pub mod catalog;
pub mod endpoint;
pub mod repo;
pub mod state;
