//! `shipshape status export`: writes the public status page as a static
//! site (HTML, CSS, the Statuspage-compatible JSON, feeds, badges) to a
//! directory, for any static host.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use jiff::SignedDuration;
use shipshape_status::export::{ExportOptions, export};

use crate::cli::{StatusArgs, StatusCommand};
use crate::commands::now;
use crate::load;

/// Runs a status subcommand.
pub async fn run(args: StatusArgs) -> Result<ExitCode> {
    match args.command {
        StatusCommand::Export { config, out } => {
            let (catalog, store) = load::catalog_and_store(&config).await?;
            let Some(page) = &catalog.status_page else {
                bail!(
                    "`{}` has no [status_page]; add one with its components, e.g.\n\n[status_page]\ntitle = \"Example status\"\ncomponents = [{{ name = \"Website\", monitors = [\"web/home\"] }}]",
                    config.config.display()
                );
            };
            let started = std::time::Instant::now();
            let snapshot = shipshape_pager::status_snapshot::build(&store, &catalog, now())
                .await?
                .context("the catalog has no [status_page]")?;
            let options = ExportOptions {
                stale_after: SignedDuration::try_from(page.stale_after)
                    .unwrap_or(SignedDuration::from_mins(15)),
            };
            let report = export(&snapshot, &out, &options)
                .with_context(|| format!("could not write the site to `{}`", out.display()))?;
            println!(
                "wrote {} files ({} bytes) to {} in {} ms",
                report.files,
                report.bytes,
                out.display(),
                started.elapsed().as_millis()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
