//! `shipshape validate`: parse and check a catalog, list every problem.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::ValidateArgs;

/// Runs the command: exit 0 when valid, 1 with all diagnostics when not.
pub async fn run(args: ValidateArgs) -> Result<ExitCode> {
    let path = &args.config.config;
    match shipshape_catalog::load(path) {
        Ok(catalog) => {
            let monitors: usize = catalog.services.iter().map(|s| s.monitors.len()).sum();
            println!(
                "{}: valid: {} service(s), {} monitor(s), {} people, {} team(s), {} schedule(s)",
                path.display(),
                catalog.services.len(),
                monitors,
                catalog.people.len(),
                catalog.teams.len(),
                catalog.schedules.len(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            eprintln!(
                "{}: {} problem(s) found",
                path.display(),
                diagnostics.0.len()
            );
            Ok(ExitCode::from(1))
        }
    }
}
