//! `shipshape heartbeat`: issue, list and revoke the ping URLs of heartbeat
//! monitors from the command line.

use std::process::ExitCode;

use anyhow::{Result, bail};
use shipshape_catalog::{Catalog, MonitorKind, MonitorRef};
use shipshape_store::{MonitorName, Store};
use shipshape_web::auth;

use crate::cli::{HeartbeatArgs, HeartbeatCommand};
use crate::commands::{audit_cli, base_url, now};
use crate::load;

/// Runs a heartbeat subcommand.
pub async fn run(args: HeartbeatArgs) -> Result<ExitCode> {
    match args.command {
        HeartbeatCommand::Issue {
            config,
            monitor,
            rotate,
        } => {
            let (catalog, store) = load::catalog_and_store(&config).await?;
            let name = heartbeat_monitor(&catalog, &monitor)?;
            if rotate {
                let revoked = revoke(&store, &name, &monitor).await?;
                eprintln!("revoked {revoked} earlier ping URL(s) of `{monitor}`");
            }
            let (token, plain) = auth::issue_heartbeat_token(&store, &name, "cli", now()).await?;
            audit_cli(
                &store,
                "heartbeat_token.create",
                &monitor,
                &format!("token id={}", token.id),
            )
            .await?;
            store.close().await;
            eprintln!(
                "ping URL #{} for `{monitor}`; it is shown only once. Call it when the job ends, e.g.\n  curl -fsS -m 10 --retry 3 \"<url>\"            (success)\n  curl -fsS -m 10 \"<url>?status=fail&msg=…\"   (failure)",
                token.id
            );
            println!("{}{}", base_url(&catalog), auth::heartbeat_path(&plain));
            Ok(ExitCode::SUCCESS)
        }
        HeartbeatCommand::List { config, monitor } => {
            let (catalog, store) = load::catalog_and_store(&config).await?;
            let name = monitor
                .as_deref()
                .map(|m| heartbeat_monitor(&catalog, m))
                .transpose()?;
            let tokens = store.heartbeat_tokens(name.as_ref()).await?;
            store.close().await;
            println!(
                "{:>5}  {:<32} {:<22} {:<22} state",
                "id", "monitor", "created", "last ping"
            );
            for t in tokens {
                let state = match t.revoked_at {
                    Some(at) => format!("revoked {at}"),
                    None => "active".into(),
                };
                let last = t
                    .last_used_at
                    .map_or_else(|| "never".into(), |at| at.to_string());
                println!(
                    "{:>5}  {:<32} {:<22} {:<22} {state}",
                    t.id,
                    format!("{}/{}", t.monitor.service, t.monitor.monitor),
                    t.created_at.to_string(),
                    last
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        HeartbeatCommand::Revoke { config, monitor } => {
            let (catalog, store) = load::catalog_and_store(&config).await?;
            let name = heartbeat_monitor(&catalog, &monitor)?;
            let revoked = revoke(&store, &name, &monitor).await?;
            store.close().await;
            println!("revoked {revoked} ping URL(s) of `{monitor}`");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Revokes every ping URL of `name` (shown as `monitor`), in the audit log
/// too; returns how many.
async fn revoke(store: &Store, name: &MonitorName, monitor: &str) -> Result<u64> {
    let revoked = store.revoke_heartbeat_tokens(name, now()).await?;
    audit_cli(
        store,
        "heartbeat_token.revoke",
        monitor,
        &format!("revoked={revoked}"),
    )
    .await?;
    Ok(revoked)
}

/// The heartbeat monitor named `reference` (`service/monitor`) in `catalog`.
fn heartbeat_monitor(catalog: &Catalog, reference: &str) -> Result<MonitorName> {
    let Some((service, monitor)) = reference.split_once('/') else {
        bail!(
            "`{reference}` is not `service/monitor`: name the monitor as `billing/nightly-backup`"
        );
    };
    let reference = MonitorRef {
        service: service.to_owned(),
        monitor: monitor.to_owned(),
    };
    match catalog.monitor(&reference).map(|m| &m.kind) {
        Some(MonitorKind::Heartbeat(_)) => Ok(MonitorName {
            service: reference.service,
            monitor: reference.monitor,
        }),
        Some(_) => bail!(
            "`{reference}` is not a heartbeat monitor: only monitors with `heartbeat = {{ every = … }}` have ping URLs"
        ),
        None => bail!(
            "no monitor `{reference}` in the catalog: see `shipshape validate` for what it defines"
        ),
    }
}
