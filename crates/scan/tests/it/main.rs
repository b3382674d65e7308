//! Integration tests of `shipshape-scan` against loopback servers: the
//! pshtt field matrix and the security baseline.

mod baseline;
mod harness;
mod pshtt;
