//! Integration tests of the probe crate: every checker against real
//! servers on ephemeral loopback ports.

mod datastore;
mod dns;
mod http;
mod mtls;
mod schedule;
mod starttls;
mod support;
mod tcp;
mod tls;
