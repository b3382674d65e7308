//! Collectors: the code that looks at evidence and turns it into
//! [`Finding`](crate::Finding)s.

pub mod endpoint;
pub mod repo;
