//! The `shipshape` binary: parses arguments, loads the catalog, wires the
//! subsystems together and runs one command. Glue only: behaviour lives in
//! the library crates (see `ARCHITECTURE.md`).

mod cli;
mod cluster;
mod commands;
mod demo;
mod heartbeat_relay;
mod load;
mod logging;
mod monitoring;
mod publish;
mod readiness;
mod reload;
mod secrets;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log_writer = logging::init(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => commands::serve::run(args).await,
            Command::Validate(args) => commands::validate::run(args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::User(args) => commands::user::run(args).await,
            Command::Token(args) => commands::token::run(args).await,
            Command::Heartbeat(args) => commands::heartbeat::run(args).await,
            Command::Alert(args) => commands::alert::run(args).await,
            Command::Status(args) => commands::status::run(args).await,
            Command::Check(args) => commands::check::run(args).await,
            Command::Attest(args) => commands::attest::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
