//! Publishing to an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, …):
//! every file of the exported site is put under the URL's prefix with its
//! `Content-Type`, `index.html` last so a reader never gets a page linking
//! to files not there yet, then objects under the prefix that the site no
//! longer has are deleted. Every request is bounded; errors name the bucket
//! and key, never the credentials.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use futures::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{
    Attribute, Attributes, ClientOptions, ObjectStore, ObjectStoreExt, PutOptions, PutPayload,
    RetryConfig,
};

/// One request, retries included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Connecting to the endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// One attempt of a request.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where to upload, resolved.
pub(super) struct Bucket<'a> {
    /// `s3://bucket/prefix`.
    pub url: String,
    pub endpoint: Option<&'a url::Url>,
    pub region: &'a str,
    /// Access key id and secret access key; `None` for the `AWS_*`
    /// environment.
    pub credentials: Option<(String, String)>,
}

/// What an upload did.
#[derive(Debug, Default)]
pub(super) struct UploadReport {
    pub uploaded: usize,
    pub deleted: usize,
}

/// Uploads the site in `site` to the bucket (see the module's
/// documentation).
pub(super) async fn upload(bucket: &Bucket<'_>, site: &Path) -> Result<UploadReport> {
    let (name, prefix) = parse_url(&bucket.url)?;
    let store = client(bucket, &name)?;
    let location = |key: &str| format!("s3://{name}/{key}");

    let mut files = Vec::new();
    collect(site, site, &mut files)
        .with_context(|| format!("could not read the exported site in {}", site.display()))?;
    // index.html last.
    files.sort_by_key(|f| (f == "index.html", f.clone()));
    let mut report = UploadReport::default();
    let mut keys = BTreeSet::new();
    for file in &files {
        let key = object_key(&prefix, file)?;
        let body = tokio::fs::read(site.join(file))
            .await
            .with_context(|| format!("could not read {file} of the exported site"))?;
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, content_type(file).into());
        attributes.insert(Attribute::CacheControl, "max-age=60".into());
        let options = PutOptions {
            attributes,
            ..PutOptions::default()
        };
        bounded(store.put_opts(&key, PutPayload::from(body), options))
            .await
            .with_context(|| format!("could not upload {}", location(key.as_ref())))?;
        report.uploaded += 1;
        keys.insert(key);
    }

    let listed: Vec<Key> = {
        let list_prefix = (!prefix.is_empty()).then(|| Key::from(prefix.as_str()));
        let listing = store
            .list(list_prefix.as_ref())
            .map_ok(|meta| meta.location)
            .try_collect::<Vec<_>>();
        bounded(listing)
            .await
            .with_context(|| format!("could not list {}", location(&prefix)))?
    };
    for key in listed.into_iter().filter(|k| !keys.contains(k)) {
        bounded(store.delete(&key))
            .await
            .with_context(|| format!("could not delete {}", location(key.as_ref())))?;
        report.deleted += 1;
    }
    Ok(report)
}

/// `s3://bucket/prefix` into the bucket and the prefix (no slashes at
/// either end; empty for the bucket's root).
fn parse_url(url: &str) -> Result<(String, String)> {
    let parsed = url::Url::parse(url).map_err(|_| anyhow!("invalid bucket url"))?;
    if parsed.scheme() != "s3" {
        bail!("the bucket url must start with `s3://`");
    }
    let Some(bucket) = parsed.host_str().filter(|b| !b.is_empty()) else {
        bail!("the bucket url names no bucket");
    };
    let prefix = parsed.path().trim_matches('/').to_owned();
    Ok((bucket.to_owned(), prefix))
}

/// The S3 client: path-style requests to the endpoint (plain HTTP allowed
/// when the endpoint says `http://`), bounded and retried twice.
fn client(bucket: &Bucket<'_>, name: &str) -> Result<AmazonS3> {
    let mut builder = match &bucket.credentials {
        Some((id, key)) => AmazonS3Builder::new()
            .with_access_key_id(id)
            .with_secret_access_key(key),
        None => AmazonS3Builder::from_env(),
    };
    builder = builder
        .with_bucket_name(name)
        .with_region(bucket.region)
        .with_client_options(
            ClientOptions::new()
                .with_timeout(ATTEMPT_TIMEOUT)
                .with_connect_timeout(CONNECT_TIMEOUT),
        )
        .with_retry(RetryConfig {
            max_retries: 2,
            retry_timeout: REQUEST_TIMEOUT,
            ..RetryConfig::default()
        });
    if let Some(endpoint) = bucket.endpoint {
        builder = builder
            .with_endpoint(endpoint.as_str().trim_end_matches('/'))
            .with_allow_http(endpoint.scheme() == "http");
    }
    // The builder's errors may quote its configuration; say only which
    // bucket.
    builder.build().map_err(|_| {
        anyhow!(
            "could not set up the S3 client for bucket `{name}` (check `endpoint` and `region`)"
        )
    })
}

/// A request under [`REQUEST_TIMEOUT`] (plus a little for the last retry).
async fn bounded<T>(request: impl Future<Output = object_store::Result<T>>) -> Result<T> {
    match tokio::time::timeout(REQUEST_TIMEOUT + CONNECT_TIMEOUT, request).await {
        Ok(result) => result.map_err(|e| anyhow!(e)),
        Err(_) => bail!(
            "timed out after {}s",
            (REQUEST_TIMEOUT + CONNECT_TIMEOUT).as_secs()
        ),
    }
}

/// The object key of a site file under the prefix.
fn object_key(prefix: &str, file: &str) -> Result<Key> {
    let full = if prefix.is_empty() {
        file.to_owned()
    } else {
        format!("{prefix}/{file}")
    };
    Key::parse(&full).with_context(|| format!("invalid object key `{full}`"))
}

/// Every file under `dir`, as `/`-separated paths relative to `root`.
fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(root, &path, out)?;
        } else {
            let relative = path.strip_prefix(root).map_err(std::io::Error::other)?;
            let parts: Vec<_> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

/// The `Content-Type` of a site file, by extension.
pub(super) fn content_type(file: &str) -> &'static str {
    let extension = file.rsplit_once('.').map_or("", |(_, e)| e);
    match extension {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "atom" => "application/atom+xml",
        "rss" => "application/rss+xml",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "js" => "text/javascript; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_bucket_and_prefix() {
        assert_eq!(
            parse_url("s3://status/site/").unwrap(),
            ("status".into(), "site".into())
        );
        assert_eq!(
            parse_url("s3://status").unwrap(),
            ("status".into(), String::new())
        );
        assert!(parse_url("https://status/site").is_err());
    }

    #[test]
    fn files_get_their_content_types() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("api/v2/summary.json"), "application/json");
        assert_eq!(content_type("history.atom"), "application/atom+xml");
        assert_eq!(content_type("history.rss"), "application/rss+xml");
        assert_eq!(content_type("badge/status.svg"), "image/svg+xml");
    }

    #[test]
    fn keys_go_under_the_prefix() {
        assert_eq!(
            object_key("a/b", "index.html").unwrap().as_ref(),
            "a/b/index.html"
        );
        assert_eq!(object_key("", "style.css").unwrap().as_ref(), "style.css");
    }
}
