//! Media in S3-compatible object storage (AWS S3, MinIO, SeaweedFS, Ceph, R2…): what several
//! servers behind one load balancer share, since none of them can read another's disk.
//!
//! Objects are written the way S3 makes atomic: a file that fits in one part is sent with a single
//! `PUT` once it was read whole; a larger one goes up as a multipart upload, part by part while it
//! is read, and only `CompleteMultipartUpload` makes it visible. A refusal (too large), a read
//! error or a dropped future aborts the upload, so its parts are freed and no object appears.
//! The size limit and the SHA-256 are applied to the bytes as they are read, before any is sent.

use super::{valid_key, MediaReader, MediaStore, MediaStoreError, StoreFuture, StoredObject};
use bytes::{Bytes, BytesMut};
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ClientOptions, MultipartUpload, ObjectStore, PutPayload, RetryConfig};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The size of each multipart part, and so the most a running upload holds in memory. S3 wants
/// at least 5 MiB for every part but the last; some stores (R2) also want them all the same size.
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// Where the bucket is and how to sign for it.
#[derive(Clone, Debug)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    /// `None`: AWS itself (`https://s3.<region>.amazonaws.com`).
    pub endpoint: Option<String>,
    /// `None`: the standard AWS chain (`AWS_*` variables, web identity, ECS or instance metadata).
    pub credentials: Option<S3Credentials>,
    /// `https://<endpoint>/<bucket>/<key>` rather than `https://<bucket>.<endpoint>/<key>`: what most
    /// self-hosted servers (MinIO, SeaweedFS) expect.
    pub path_style: bool,
    /// Plain HTTP to the endpoint (a server on the same host or private network).
    pub allow_http: bool,
    /// Keys are stored under `<prefix>/`, so that one bucket can hold several installations.
    pub prefix: Option<String>,
}

#[derive(Clone, Debug)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl S3Config {
    /// A bucket on AWS in `region`, credentials from the environment, no prefix.
    pub fn new(bucket: impl Into<String>, region: impl Into<String>) -> Self {
        S3Config {
            bucket: bucket.into(),
            region: region.into(),
            endpoint: None,
            credentials: None,
            path_style: false,
            allow_http: false,
            prefix: None,
        }
    }
}

#[derive(Debug)]
pub struct S3MediaStore {
    s3: AmazonS3,
    /// `<prefix>/`, or empty.
    prefix: String,
    /// For messages: `s3://bucket/prefix`.
    name: String,
}

impl S3MediaStore {
    /// Builds the client; makes no request (see [`S3MediaStore::check`]).
    pub fn new(config: &S3Config) -> Result<Self, MediaStoreError> {
        let prefix = match config.prefix.as_deref().map(|p| p.trim_matches('/')) {
            None | Some("") => String::new(),
            Some(p) if valid_key(p) => format!("{p}/"),
            Some(p) => return Err(MediaStoreError::InvalidKey(p.to_string())),
        };
        let mut builder =
            if config.credentials.is_some() { AmazonS3Builder::new() } else { AmazonS3Builder::from_env() };
        builder = builder
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_virtual_hosted_style_request(!config.path_style)
            .with_allow_http(config.allow_http)
            // A request that hangs must not hold an upload (or a worker) forever; transient
            // failures are retried, for at most a minute in all.
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(10))
                    .with_timeout(Duration::from_secs(120))
                    .with_allow_http(config.allow_http),
            )
            .with_retry(RetryConfig {
                max_retries: 4,
                retry_timeout: Duration::from_secs(60),
                ..RetryConfig::default()
            });
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint.trim_end_matches('/'));
        }
        if let Some(c) = &config.credentials {
            builder = builder
                .with_access_key_id(&c.access_key_id)
                .with_secret_access_key(c.secret_access_key.expose_secret());
        }
        let s3 = builder.build().map_err(storage_error)?;
        let name = format!("s3://{}/{prefix}", config.bucket);
        Ok(S3MediaStore { s3, prefix, name })
    }

    /// Lists the store's prefix once: fails if the endpoint cannot be reached, the bucket does not
    /// exist or the credentials may not read it. The server calls it before serving, so that a
    /// misconfigured bucket stops the start rather than every later upload.
    pub async fn check(&self) -> Result<(), MediaStoreError> {
        let prefix = self.prefix_path();
        self.s3.list_with_delimiter(prefix.as_ref()).await.map_err(storage_error)?;
        Ok(())
    }

    /// Every key stored under the prefix (an inventory: for audits, orphan sweeps and tests).
    pub async fn keys(&self) -> Result<Vec<String>, MediaStoreError> {
        let prefix = self.prefix_path();
        let objects: Vec<_> = self.s3.list(prefix.as_ref()).try_collect().await.map_err(storage_error)?;
        let mut keys: Vec<String> = objects
            .into_iter()
            .map(|meta| meta.location.as_ref().strip_prefix(&self.prefix).unwrap_or(meta.location.as_ref()).to_string())
            .collect();
        keys.sort();
        Ok(keys)
    }

    /// `s3://bucket/prefix/`, for logs and errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn prefix_path(&self) -> Option<Path> {
        (!self.prefix.is_empty()).then(|| Path::from(self.prefix.trim_end_matches('/')))
    }

    fn path(&self, key: &str) -> Result<Path, MediaStoreError> {
        if !valid_key(key) {
            return Err(MediaStoreError::InvalidKey(key.to_string()));
        }
        Path::parse(format!("{}{key}", self.prefix)).map_err(|_| MediaStoreError::InvalidKey(key.to_string()))
    }

    async fn write(
        &self,
        reader: &mut (dyn AsyncRead + Send + Unpin),
        max_size: u64,
    ) -> Result<StoredObject, MediaStoreError> {
        let key = super::new_key();
        let path = self.path(&key)?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut upload: Option<AbortOnDrop> = None;
        let sent = async {
            loop {
                let part = read_part(reader, &mut size, max_size).await?;
                hasher.update(&part);
                let last = part.len() < PART_SIZE;
                if last && upload.is_none() {
                    // The whole file in one part: a single PUT, atomic by itself.
                    return self.s3.put(&path, PutPayload::from(part)).await.map(drop).map_err(storage_error);
                }
                let running = match upload.as_mut() {
                    Some(running) => running,
                    None => upload.insert(AbortOnDrop::new(self.s3.put_multipart(&path).await.map_err(storage_error)?)),
                };
                if !part.is_empty() {
                    running.part(part).await?;
                }
                if last {
                    return running.complete().await;
                }
            }
        }
        .await;
        if let Err(e) = sent {
            // Aborted here rather than by the drop guard's task, so that the caller finds nothing
            // left once it has the error.
            if let Some(running) = upload.as_mut() {
                running.abort().await;
            }
            return Err(e);
        }
        Ok(StoredObject { key, size, sha256_hex: hex::encode(hasher.finalize()) })
    }
}

/// Reads up to [`PART_SIZE`] bytes (fewer only at the end of the stream), counting them into
/// `size` and refusing as soon as it passes `max_size`.
async fn read_part(
    reader: &mut (dyn AsyncRead + Send + Unpin),
    size: &mut u64,
    max_size: u64,
) -> Result<Bytes, MediaStoreError> {
    let mut part =
        BytesMut::with_capacity(PART_SIZE.min(usize::try_from(max_size).unwrap_or(PART_SIZE).saturating_add(1)));
    while part.len() < PART_SIZE {
        let room = PART_SIZE - part.len();
        let n = (&mut *reader).take(room as u64).read_buf(&mut part).await?;
        if n == 0 {
            break;
        }
        *size += n as u64;
        if *size > max_size {
            return Err(MediaStoreError::TooLarge { max: max_size });
        }
    }
    Ok(part.freeze())
}

/// A running multipart upload, aborted unless completed: on an error, on a refusal and when the
/// future holding it is dropped half-way (then the abort runs as a task of its own).
struct AbortOnDrop {
    upload: Option<Box<dyn MultipartUpload>>,
}

impl AbortOnDrop {
    fn new(upload: Box<dyn MultipartUpload>) -> Self {
        AbortOnDrop { upload: Some(upload) }
    }

    async fn part(&mut self, part: Bytes) -> Result<(), MediaStoreError> {
        let Some(upload) = self.upload.as_mut() else { return Ok(()) };
        upload.put_part(PutPayload::from(part)).await.map_err(storage_error)
    }

    async fn abort(&mut self) {
        let Some(mut upload) = self.upload.take() else { return };
        if let Err(e) = upload.abort().await {
            tracing::warn!(error = %e, "could not abort a refused media upload");
        }
    }

    async fn complete(&mut self) -> Result<(), MediaStoreError> {
        let Some(upload) = self.upload.as_mut() else { return Ok(()) };
        upload.complete().await.map_err(storage_error)?;
        self.upload = None;
        Ok(())
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let Some(mut upload) = self.upload.take() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(e) = upload.abort().await {
                        // The parts stay until the bucket's lifecycle rule removes them (docs/operations.md).
                        tracing::warn!(error = %e, "could not abort a refused media upload");
                    }
                });
            }
            Err(_) => {
                tracing::warn!("a media upload was dropped outside a runtime; its parts are left to the lifecycle rule")
            }
        }
    }
}

/// Maps the client's errors: "no such key" is [`MediaStoreError::NotFound`] (by the caller, who
/// knows the key), anything else a storage failure.
fn storage_error(e: object_store::Error) -> MediaStoreError {
    MediaStoreError::Io(std::io::Error::other(e))
}

fn read_error(key: &str) -> impl Fn(object_store::Error) -> MediaStoreError + '_ {
    move |e| match e {
        object_store::Error::NotFound { .. } => MediaStoreError::NotFound(key.to_string()),
        other => storage_error(other),
    }
}

impl MediaStore for S3MediaStore {
    fn put_stream<'a>(
        &'a self,
        reader: &'a mut (dyn AsyncRead + Send + Unpin),
        max_size: u64,
    ) -> StoreFuture<'a, StoredObject> {
        Box::pin(self.write(reader, max_size))
    }

    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Bytes> {
        Box::pin(async move {
            let path = self.path(key)?;
            let found = self.s3.get(&path).await.map_err(read_error(key))?;
            found.bytes().await.map_err(read_error(key))
        })
    }

    fn open<'a>(&'a self, key: &'a str) -> StoreFuture<'a, (MediaReader, u64)> {
        Box::pin(async move {
            let path = self.path(key)?;
            let found = self.s3.get(&path).await.map_err(read_error(key))?;
            let len = found.meta.size;
            // The body is read as it arrives: a 100 MB file is never held whole.
            let stream = found.into_stream().map(|chunk| chunk.map_err(std::io::Error::other)).boxed();
            Ok((Box::pin(tokio_util::io::StreamReader::new(stream)) as MediaReader, len))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path(key)?;
            match self.s3.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(storage_error(e)),
            }
        })
    }

    fn exists<'a>(&'a self, key: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let path = self.path(key)?;
            match self.s3.head(&path).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(storage_error(e)),
            }
        })
    }
}
