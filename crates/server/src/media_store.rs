//! Opening the media store the configuration names, before the server serves anything.

use crate::config::MediaStoreConfig;
use anyhow::Context;
use media::store::{LocalMediaStore, MediaStore, S3MediaStore};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How long the start waits for the bucket to answer (the client retries within it).
const S3_CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// The configured store. An S3 bucket is listed once first: a wrong endpoint, bucket or key stops
/// the start with the reason, rather than failing every upload and inbound file later. (`/readyz`
/// does not ask the bucket: S3 is shared by every server, so an outage would take them all out of
/// the load balancer at once, while media failures are already retried where they happen.)
pub async fn open(config: &MediaStoreConfig, data_dir: &Path) -> anyhow::Result<Arc<dyn MediaStore>> {
    match config {
        MediaStoreConfig::Local => {
            let dir = data_dir.join("media");
            let store =
                LocalMediaStore::new(&dir).with_context(|| format!("opening the media directory {}", dir.display()))?;
            Ok(Arc::new(store))
        }
        MediaStoreConfig::S3(s3) => {
            let store = S3MediaStore::new(s3).context("configuring the S3 media store (INBOX_S3_*)")?;
            let unreachable = || {
                format!(
                    "the S3 media store {} at {} cannot be listed (check INBOX_S3_ENDPOINT, INBOX_S3_BUCKET and the credentials)",
                    store.name(),
                    s3.endpoint.as_deref().unwrap_or("AWS"),
                )
            };
            tokio::time::timeout(S3_CHECK_TIMEOUT, store.check())
                .await
                .map_err(|_| anyhow::anyhow!("no answer in {} s", S3_CHECK_TIMEOUT.as_secs()))
                .with_context(unreachable)?
                .with_context(unreachable)?;
            tracing::info!(store = store.name(), "media in S3-compatible storage");
            Ok(Arc::new(store))
        }
    }
}
