//! `shipshape attest`: record, list and revoke attestations — a person's
//! word that a practice no machine can check is in place.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use jiff::civil::Date;
use shipshape_catalog::Catalog;
use shipshape_readiness::review::Attestation;
use shipshape_store::{NewAttestation, Store};

use crate::cli::{AttestArgs, AttestCommand};
use crate::commands::{audit_cli, now};
use crate::load;

/// How long an attestation holds when no expiry is given.
const DEFAULT_VALIDITY_DAYS: i32 = 365;

/// Runs an attest subcommand.
pub async fn run(args: AttestArgs) -> Result<ExitCode> {
    match args.command {
        AttestCommand::Add {
            config,
            service,
            item,
            by,
            on,
            link,
            expires,
            no_expiry,
            note,
        } => {
            let (catalog, store) = load::catalog_and_store(&config).await?;
            known_service(&catalog, &service)?;
            known_item(&catalog, &item)?;
            let today = shipshape_readiness::run::today(&catalog, now());
            let on = match on {
                Some(text) => parse_date("--on", &text)?,
                None => today,
            };
            if on > today {
                bail!(
                    "`--on {on}` is in the future; an attestation records what was already checked"
                );
            }
            let expires = match (expires, no_expiry) {
                (_, true) => None,
                (Some(text), false) => Some(parse_date("--expires", &text)?),
                (None, false) => on
                    .checked_add(jiff::Span::new().days(DEFAULT_VALIDITY_DAYS))
                    .ok(),
            };
            if let Some(expires) = expires
                && expires <= on
            {
                bail!("`--expires {expires}` must be after `--on {on}`");
            }
            if let Some(link) = &link {
                let ok =
                    url::Url::parse(link).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
                if !ok {
                    bail!(
                        "`--link {link}` is not an http(s) URL; link the minutes, ticket or runbook"
                    );
                }
            }
            if by.trim().is_empty() {
                bail!("`--by` is empty: say who vouches");
            }
            let id = store
                .record_attestation(&NewAttestation {
                    service: service.clone(),
                    item: item.clone(),
                    attested_by: by.clone(),
                    attested_on: on,
                    link,
                    expires_on: expires,
                    note,
                    recorded_by: "cli".into(),
                    recorded_at: now(),
                })
                .await?;
            audit_cli(
                &store,
                "readiness.attest",
                &format!("{service}/{item}"),
                &format!("attestation {id} by {by}"),
            )
            .await?;
            println!(
                "recorded attestation {id}: {item} for {service}, by {by} on {on}{}",
                expires.map(|d| format!(", until {d}")).unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
        AttestCommand::List { config, service } => {
            let (catalog, store) = load::catalog_and_store(&config).await?;
            known_service(&catalog, &service)?;
            let list = store.attestations(&service).await?;
            if list.is_empty() {
                println!("no attestations for {service}");
            }
            for a in list {
                println!(
                    "{}\t{}\t{} on {}\t{}\t{}",
                    a.id,
                    a.item,
                    a.attested_by,
                    a.attested_on,
                    a.expires_on
                        .map_or_else(|| "no expiry".to_owned(), |d| format!("until {d}")),
                    a.link.unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AttestCommand::Revoke {
            config,
            service,
            id,
        } => {
            let (catalog, store) = load::catalog_and_store(&config).await?;
            known_service(&catalog, &service)?;
            if !store.revoke_attestation(&service, id, "cli", now()).await? {
                bail!("no attestation {id} for {service} (see `shipshape attest list {service}`)");
            }
            audit_cli(
                &store,
                "readiness.revoke",
                &service,
                &format!("attestation {id}"),
            )
            .await?;
            println!("revoked attestation {id}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A service's attestations in force or not, as the review folds them.
pub async fn for_review(store: &Store, service: &str) -> Result<Vec<Attestation>> {
    Ok(store
        .attestations(service)
        .await?
        .into_iter()
        .map(|a| Attestation {
            item: a.item,
            by: a.attested_by,
            on: a.attested_on,
            link: a.link,
            expires: a.expires_on,
            note: a.note,
        })
        .collect())
}

fn known_service(catalog: &Catalog, service: &str) -> Result<()> {
    if catalog.service(service).is_none() {
        let known: Vec<&str> = catalog.services.iter().map(|s| s.id.as_str()).collect();
        bail!(
            "no service `{service}` in the catalog; services: {}",
            known.join(", ")
        );
    }
    Ok(())
}

fn known_item(catalog: &Catalog, item: &str) -> Result<()> {
    if shipshape_readiness::item(item).is_some()
        || catalog.readiness.items.iter().any(|c| c.id == item)
    {
        return Ok(());
    }
    bail!("no checklist item `{item}`; `shipshape check --list` shows every id")
}

fn parse_date(flag: &str, text: &str) -> Result<Date> {
    text.parse::<Date>()
        .with_context(|| format!("`{flag} {text}` is not a date; write YYYY-MM-DD"))
}
