//! End-to-end tests of the `shipshape` binary, driven as a user would: real
//! processes, real ports, real SQLite files, headless Chromium.

mod access;
mod alerting;
mod backtest;
mod browser;
mod chaos;
mod cli;
mod ha;
mod monitoring;
mod paging;
mod publish;
mod readiness;
mod secrets;
mod serve;
mod status;
mod store_outage;
mod subscribe;
mod util;
