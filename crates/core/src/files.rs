//! Files that jobs produce and uploads waiting for a job: kept through `object_store`, a local
//! directory by default, so the same code runs on one box and in a cluster.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, PutPayload};

use crate::error::{Error, Result};

/// A handle to the file store.
#[derive(Clone)]
pub struct FileStore {
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore").finish_non_exhaustive()
    }
}

impl FileStore {
    /// Files under `dir` (created when missing).
    pub fn local(dir: &Path) -> Result<FileStore> {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::internal(format!(
                "creating the file directory {}: {e}",
                dir.display()
            ))
        })?;
        let store = LocalFileSystem::new_with_prefix(dir).map_err(|e| {
            Error::internal(format!("opening the file directory {}: {e}", dir.display()))
        })?;
        Ok(FileStore {
            store: Arc::new(store),
        })
    }

    /// The store a URL names: `s3://bucket[/prefix]` for S3-compatible storage (credentials,
    /// region and endpoint from the usual `AWS_*` environment variables, e.g. `AWS_ENDPOINT` and
    /// `AWS_ALLOW_HTTP=true` for MinIO), anything else a local directory.
    pub fn from_url(url: &str) -> Result<FileStore> {
        match url.strip_prefix("s3://") {
            Some(_) => {
                let store = object_store::aws::AmazonS3Builder::from_env()
                    .with_url(url)
                    .build()
                    .map_err(|e| {
                        Error::internal(format!("configuring the file store {url}: {e}"))
                    })?;
                Ok(FileStore {
                    store: Arc::new(store),
                })
            }
            None => Self::local(Path::new(url.strip_prefix("file://").unwrap_or(url))),
        }
    }

    /// Any object store (S3-compatible, in-memory for tests).
    pub fn from_store(store: Arc<dyn ObjectStore>) -> FileStore {
        FileStore { store }
    }

    /// The underlying store, for streaming writes.
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// Copies a stored file to a local temporary file, chunk by chunk (readers that need to
    /// seek, such as spreadsheet parsers, get a real file without the whole file in memory).
    pub async fn download_to_temp(&self, key: &str) -> Result<tempfile::NamedTempFile> {
        use futures::StreamExt;
        use std::io::Write;
        let result = self
            .store
            .get(&StorePath::from(key))
            .await
            .map_err(|e| match e {
                object_store::Error::NotFound { .. } => Error::NotFound("file"),
                other => Error::internal(format!("reading file {key}: {other}")),
            })?;
        let io = |e: std::io::Error| Error::internal(format!("copying file {key}: {e}"));
        let mut file = tempfile::NamedTempFile::new().map_err(io)?;
        let mut chunks = result.into_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| Error::internal(format!("reading file {key}: {e}")))?;
            file.write_all(&chunk).map_err(io)?;
        }
        file.flush().map_err(io)?;
        Ok(file)
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<()> {
        self.store
            .put(&StorePath::from(key), PutPayload::from(bytes))
            .await
            .map_err(|e| Error::internal(format!("storing file {key}: {e}")))?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Bytes> {
        let result = self
            .store
            .get(&StorePath::from(key))
            .await
            .map_err(|e| match e {
                object_store::Error::NotFound { .. } => Error::NotFound("file"),
                other => Error::internal(format!("reading file {key}: {other}")),
            })?;
        result
            .bytes()
            .await
            .map_err(|e| Error::internal(format!("reading file {key}: {e}")))
    }

    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.store.delete(&StorePath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Error::internal(format!("deleting file {key}: {e}"))),
        }
    }
}
