//! Loading what a command needs: the catalog (parsed, secrets resolved,
//! per-instance overrides applied) and the store it names.

use anyhow::{Context, Result, anyhow};
use shipshape_catalog::{Catalog, Setting};
use shipshape_store::{Store, StoreOptions};

use crate::cli::{ConfigArg, InstanceArgs};
use crate::secrets;

/// Loads and validates the catalog, resolves its secrets and applies the
/// overrides given on the command line. The error lists every problem found.
pub async fn catalog(config: &ConfigArg, instance: &InstanceArgs) -> Result<Catalog> {
    let mut catalog = parse(config)?;
    secrets::resolve_all(&mut catalog).await?;
    apply_overrides(&mut catalog, config, instance);
    Ok(catalog)
}

/// Applies command-line / environment settings that are per instance.
fn apply_overrides(catalog: &mut Catalog, config: &ConfigArg, instance: &InstanceArgs) {
    if let Some(listen) = instance.listen {
        catalog.server.listen = Some(listen);
    }
    if let Some(location) = &instance.location {
        catalog.server.location = Some(location.clone());
    }
    if let Some(url) = &config.store_url {
        catalog.store.url = Setting::Plain(url.clone());
    }
}

/// Opens the catalog's store, running migrations.
pub async fn store(catalog: &Catalog) -> Result<Store> {
    let url = catalog
        .store
        .url
        .value()
        .ok_or_else(|| anyhow!("the store url secret was not resolved"))?;
    Store::open(url, StoreOptions::default())
        .await
        .context("could not open the store named in `[store] url`")
}

/// Loads the catalog and opens its store: what the one-shot admin commands
/// need. Only the store URL's secret is resolved; the others are not needed.
pub async fn catalog_and_store(config: &ConfigArg) -> Result<(Catalog, Store)> {
    let mut catalog = parse(config)?;
    if let Setting::Secret { reference, value } = &mut catalog.store.url {
        *value = Some(
            secrets::resolve(reference)
                .await
                .with_context(|| format!("{}: the store url secret", reference.location))?,
        );
    }
    apply_overrides(&mut catalog, config, &InstanceArgs::default());
    let store = store(&catalog).await?;
    Ok((catalog, store))
}

/// Parses and validates the catalog without resolving any secret: what a
/// command that only reads the catalog needs.
pub fn parse_only(config: &ConfigArg) -> Result<Catalog> {
    parse(config)
}

/// Parses and validates the catalog file, listing every problem on failure.
fn parse(config: &ConfigArg) -> Result<Catalog> {
    shipshape_catalog::load(&config.config).map_err(|diagnostics| {
        anyhow!(
            "the catalog has {} problem(s):\n{diagnostics}",
            diagnostics.0.len()
        )
    })
}
