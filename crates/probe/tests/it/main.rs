//! Integration tests of the probe crate: every checker against real
//! servers on ephemeral loopback ports.

mod dns;
mod http;
mod schedule;
mod support;
mod tcp;
mod tls;
