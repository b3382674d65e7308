//! `shipshape token`: create, list and revoke API tokens from the command line.

use std::process::ExitCode;

use anyhow::{Result, bail};
use shipshape_web::auth;

use crate::cli::{TokenArgs, TokenCommand};
use crate::commands::{audit_cli, now};
use crate::load;

/// Runs a token subcommand.
pub async fn run(args: TokenArgs) -> Result<ExitCode> {
    match args.command {
        TokenCommand::Create { config, role, name } => {
            let (_, store) = load::catalog_and_store(&config).await?;
            let (token, plain) =
                auth::issue_api_token(&store, &name, role.into(), "cli", now()).await?;
            audit_cli(
                &store,
                "token.create",
                &token.id.to_string(),
                &format!("name={name} role={role:?}"),
            )
            .await?;
            store.close().await;
            eprintln!(
                "created token #{} `{}` ({:?}); it is shown only once — use it as `Authorization: Bearer <token>`:",
                token.id, token.name, token.role
            );
            println!("{plain}");
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::List { config } => {
            let (_, store) = load::catalog_and_store(&config).await?;
            let tokens = store.list_api_tokens().await?;
            println!(
                "{:>5}  {:<20} {:<10} {:<22} {:<22} state",
                "id", "name", "role", "created", "last used"
            );
            for t in tokens {
                let state = match t.revoked_at {
                    Some(at) => format!("revoked {at}"),
                    None => "active".into(),
                };
                let last = t
                    .last_used_at
                    .map(|at| at.to_string())
                    .unwrap_or_else(|| "never".into());
                println!(
                    "{:>5}  {:<20} {:<10} {:<22} {:<22} {state}",
                    t.id,
                    t.name,
                    format!("{:?}", t.role).to_lowercase(),
                    t.created_at.to_string(),
                    last
                );
            }
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Revoke { config, id } => {
            let (_, store) = load::catalog_and_store(&config).await?;
            let revoked = store.revoke_api_token(id, now()).await?;
            if !revoked {
                store.close().await;
                bail!("no active token with id {id}: see `shipshape token list`");
            }
            audit_cli(&store, "token.revoke", &id.to_string(), "").await?;
            store.close().await;
            println!("revoked token #{id}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
