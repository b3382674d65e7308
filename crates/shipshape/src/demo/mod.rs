//! `shipshape demo`: a newcomer's first five minutes. Starts three sample
//! upstream services on loopback (healthy, slow, flaky), writes a sample
//! catalog that watches them into a directory, creates an admin login, and
//! runs the real server on an embedded store in that directory.

mod catalog;
mod upstreams;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use rand::distr::{Alphanumeric, SampleString};
use shipshape_store::{MonitorName, NewUser, Role, Store};
use shipshape_web::auth;

use crate::cli::{ConfigArg, DemoArgs, InstanceArgs};
use crate::commands::{now, serve};
use crate::load;

/// The demo's admin login name.
pub const ADMIN_EMAIL: &str = "admin@demo.shipshape.local";

/// Runs `shipshape demo`.
pub async fn run(args: DemoArgs) -> Result<ExitCode> {
    let dir = match args.dir {
        Some(dir) => dir,
        None => fresh_temp_dir()?,
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("could not create the demo directory `{}`", dir.display()))?;
    let dir = dir.canonicalize()?;

    let upstreams = upstreams::start().await?;
    let catalog_path = dir.join("shipshape.toml");
    std::fs::write(&catalog_path, catalog::render(&upstreams))
        .with_context(|| format!("could not write `{}`", catalog_path.display()))?;

    let config = ConfigArg {
        config: catalog_path.clone(),
        store_url: None,
    };
    let instance = InstanceArgs {
        listen: Some(args.listen),
        location: Some("demo".into()),
    };
    let catalog = load::catalog(&config, &instance).await?;
    let store = load::store(&catalog).await?;
    let password = reset_admin(&store).await?;
    let export = MonitorName {
        service: "benefits-api".into(),
        monitor: "nightly-export".into(),
    };
    store.revoke_heartbeat_tokens(&export, now()).await?;
    let (_, ping_token) = auth::issue_heartbeat_token(&store, &export, "demo", now()).await?;

    serve::serve(catalog, store, config, instance, move |base_url| {
        print_welcome(&dir, &catalog_path, base_url, &password, &upstreams);
        match base_url.trim_start_matches("http://").parse() {
            Ok(server) => {
                tokio::spawn(upstreams::sample_job(
                    server,
                    auth::heartbeat_path(&ping_token),
                ));
            }
            Err(_) => tracing::warn!(%base_url, "demo job not started: the server is not plain HTTP on an address"),
        }
    })
    .await
}

/// Creates the demo admin, or gives it a new password, and returns the password.
async fn reset_admin(store: &Store) -> Result<String> {
    let password = Alphanumeric.sample_string(&mut rand::rng(), 20);
    let hash = auth::hash_password(&password)?;
    match store.user_by_email(ADMIN_EMAIL).await? {
        Some(user) => store.set_password_hash(user.id, &hash).await?,
        None => {
            store
                .create_user(NewUser {
                    email: ADMIN_EMAIL.into(),
                    name: "Demo admin".into(),
                    role: Role::Admin,
                    password_hash: Some(hash),
                    created_at: now(),
                })
                .await?;
        }
    }
    Ok(password)
}

fn print_welcome(
    dir: &Path,
    catalog: &Path,
    base_url: &str,
    password: &str,
    upstreams: &upstreams::Upstreams,
) {
    println!();
    println!("Shipshape demo is running.");
    println!();
    println!("  Open      {base_url}/login");
    println!("  Public    {base_url}/status   (the status page; no login)");
    println!(
        "  Readiness {base_url}/readiness   (each service scored against the checklist; first review within a minute)"
    );
    println!("  Email     {ADMIN_EMAIL}");
    println!("  Password  {password}   (shown once; a new one is made at each demo start)");
    println!();
    println!("  Sample upstreams on loopback:");
    println!("    healthy  {}", upstreams.healthy);
    println!("    slow     {}", upstreams.slow);
    println!("    flaky    {}", upstreams.flaky);
    println!();
    println!("  Pages for the demo people (Alice, Bob) are printed below as they arrive.");
    println!();
    println!("  Catalog   {}", catalog.display());
    println!("  Data      {}", dir.display());
    println!(
        "  Try       shipshape token create --config {} --role viewer",
        catalog.display()
    );
    println!("  Later     shipshape serve --config {}", catalog.display());
    println!();
    println!("Press Ctrl-C to stop.");
}

/// A new, kept directory under the system temp dir.
fn fresh_temp_dir() -> Result<PathBuf> {
    let suffix = Alphanumeric
        .sample_string(&mut rand::rng(), 8)
        .to_lowercase();
    let dir = std::env::temp_dir().join(format!("shipshape-demo-{suffix}"));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
