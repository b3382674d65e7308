//! Resolves the catalog's secret references (`file:`, `cmd:`, `env:`) into
//! values, at start-up and on every reload.
//!
//! The catalog crate only parses references; reading files, running
//! commands and reading the environment happens here. Error messages name the
//! reference's `file:line:col` and what failed, never a value.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use shipshape_catalog::{Catalog, Secret, SecretRef, SecretSource, Setting};
use tokio::io::AsyncReadExt;
use tokio::process::Command;

/// How long a `cmd:` secret may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest secret accepted from a file or a command.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// Fills in every secret setting of `catalog`. Reports every failure, not just
/// the first.
pub async fn resolve_all(catalog: &mut Catalog) -> Result<()> {
    let mut failures = Vec::new();
    for setting in catalog.secret_settings_mut() {
        if let Setting::Secret { reference, value } = setting {
            match resolve(reference).await {
                Ok(secret) => *value = Some(secret),
                Err(err) => failures.push(format!("{}: error: {err:#}", reference.location)),
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        bail!("could not resolve secrets:\n{}", failures.join("\n"))
    }
}

/// Resolves one reference.
pub async fn resolve(reference: &SecretRef) -> Result<Secret> {
    let raw = match &reference.source {
        SecretSource::File(path) => {
            let meta = tokio::fs::metadata(path)
                .await
                .with_context(|| format!("secret file `{}` cannot be read", path.display()))?;
            if meta.len() > MAX_SECRET_BYTES {
                bail!(
                    "secret file `{}` is larger than {MAX_SECRET_BYTES} bytes",
                    path.display()
                );
            }
            tokio::fs::read_to_string(path).await.with_context(|| {
                format!(
                    "secret file `{}` cannot be read as UTF-8 text",
                    path.display()
                )
            })?
        }
        SecretSource::Env(name) => std::env::var(name).map_err(|_| {
            anyhow!(
                "environment variable `{name}` is not set (or not UTF-8); export it before starting"
            )
        })?,
        SecretSource::Command(argv) => run_command(argv).await?,
    };
    let value = raw.trim_end_matches(['\r', '\n']).trim();
    if value.is_empty() {
        bail!("secret resolved to an empty value");
    }
    Ok(Secret::new(value.to_owned()))
}

/// Runs a `cmd:` secret without a shell, with a timeout and an output cap.
async fn run_command(argv: &[String]) -> Result<String> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| anyhow!("secret command is empty"))?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("secret command `{program}` could not be started"))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("secret command `{program}` has no stdout"))?;
    let run = async {
        let mut out = Vec::new();
        (&mut stdout)
            .take(MAX_SECRET_BYTES + 1)
            .read_to_end(&mut out)
            .await?;
        let status = child.wait().await?;
        Ok::<_, std::io::Error>((status, out))
    };
    let (status, out) = tokio::time::timeout(COMMAND_TIMEOUT, run)
        .await
        .map_err(|_| {
            anyhow!(
                "secret command `{program}` did not finish within {} s",
                COMMAND_TIMEOUT.as_secs()
            )
        })?
        .with_context(|| format!("secret command `{program}` failed"))?;
    if !status.success() {
        bail!("secret command `{program}` exited with {status}");
    }
    if out.len() as u64 > MAX_SECRET_BYTES {
        bail!("secret command `{program}` printed more than {MAX_SECRET_BYTES} bytes");
    }
    String::from_utf8(out)
        .map_err(|_| anyhow!("secret command `{program}` printed non-UTF-8 output"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(source: SecretSource) -> SecretRef {
        SecretRef {
            source,
            location: "test.toml:1:1".into(),
        }
    }

    #[tokio::test]
    async fn command_secret_is_trimmed_and_never_runs_a_shell() {
        let secret = resolve(&reference(SecretSource::Command(vec![
            "printf".into(),
            "s3cret; echo injected\n".into(),
        ])))
        .await
        .unwrap();
        assert_eq!(secret.expose(), "s3cret; echo injected");
        assert_eq!(format!("{secret:?}"), "***");
    }

    #[tokio::test]
    async fn failing_command_names_the_program_not_the_output() {
        let err = resolve(&reference(SecretSource::Command(vec!["false".into()])))
            .await
            .unwrap_err();
        assert!(format!("{err:#}").contains("`false` exited"), "{err:#}");
    }

    #[tokio::test]
    async fn missing_env_var_says_what_to_do() {
        let err = resolve(&reference(SecretSource::Env(
            "SHIPSHAPE_TEST_SURELY_UNSET".into(),
        )))
        .await
        .unwrap_err();
        assert!(format!("{err:#}").contains("export it"), "{err:#}");
    }

    #[tokio::test]
    async fn file_secret_is_read_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "abc123\n").unwrap();
        let secret = resolve(&reference(SecretSource::File(path))).await.unwrap();
        assert_eq!(secret.expose(), "abc123");
    }
}
