//! `shipshape user`: add users (with a one-time set-up link) and list them.

use anyhow::{Context, Result};
use jiff::SignedDuration;
use shipshape_store::{NewUser, Role};
use shipshape_web::auth;
use std::process::ExitCode;

use crate::cli::{RoleArg, UserArgs, UserCommand};
use crate::commands::{audit_cli, base_url, now};
use crate::load;

/// How long a set-up link printed by `user add` stays valid.
const SETUP_LINK_TTL: SignedDuration = SignedDuration::from_hours(7 * 24);

/// Runs a user subcommand.
pub async fn run(args: UserArgs) -> Result<ExitCode> {
    match args.command {
        UserCommand::Add {
            config,
            email,
            name,
            admin,
            role,
        } => {
            let (catalog, store) = load::catalog_and_store(&config).await?;
            let role: Role = if admin { RoleArg::Admin } else { role }.into();
            let person = catalog.person_by_email(&email);
            let name = name
                .or_else(|| person.map(|p| p.name.clone()))
                .unwrap_or_else(|| email.clone());
            let at = now();
            let user = store
                .create_user(NewUser {
                    email: email.clone(),
                    name,
                    role,
                    password_hash: None,
                    created_at: at,
                })
                .await
                .with_context(|| format!("could not add `{email}`"))?;
            let token = auth::issue_setup_token(&store, Some(user.id), at, SETUP_LINK_TTL).await?;
            audit_cli(
                &store,
                "user.create",
                &user.email,
                &format!("role={role:?}"),
            )
            .await?;
            store.close().await;
            match person {
                Some(p) => eprintln!("`{}` is catalog person `{}`", user.email, p.id),
                None => eprintln!(
                    "`{}` is a local account (no catalog person has this email)",
                    user.email
                ),
            }
            println!(
                "{}/setup/{token}\n(one-time link to set a password, valid for 7 days)",
                base_url(&catalog)
            );
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::List { config } => {
            let (catalog, store) = load::catalog_and_store(&config).await?;
            for user in store.list_users().await? {
                let person = catalog
                    .person_by_email(&user.email)
                    .map(|p| p.id.as_str())
                    .unwrap_or("-");
                println!(
                    "{:>5}  {:<32} {:<10} person={person}{}",
                    user.id,
                    user.email,
                    format!("{:?}", user.role).to_lowercase(),
                    if user.password_hash.is_none() {
                        " (set-up pending)"
                    } else {
                        ""
                    }
                );
            }
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}
