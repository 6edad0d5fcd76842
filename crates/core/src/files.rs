//! Files that jobs produce and uploads waiting for a job: kept through `object_store`, a local
//! directory by default, so the same code runs on one box and in a cluster.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, PutPayload, WriteMultipart};

use crate::error::{Error, Result};

/// The size of a part of a streamed upload ([`FileStore::put_file`]).
pub const PUT_PART_BYTES: usize = 8 << 20;
/// Parts of one streamed upload sent at once: memory is at most this many parts.
const PARTS_IN_FLIGHT: usize = 2;

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

    /// Stores a local file, streamed: parts of [`PUT_PART_BYTES`] are read and sent in turn (a
    /// multipart upload, a few parts in flight at most), so an export of hundreds of megabytes
    /// is never in memory whole. Returns the bytes stored.
    pub async fn put_file(&self, key: &str, path: &Path) -> Result<u64> {
        use tokio::io::AsyncReadExt;
        let io = |e: std::io::Error| Error::internal(format!("reading {}: {e}", path.display()));
        let store = |e: object_store::Error| Error::internal(format!("storing file {key}: {e}"));
        let mut file = tokio::fs::File::open(path).await.map_err(io)?;
        let size = file.metadata().await.map_err(io)?.len();
        if size <= PUT_PART_BYTES as u64 {
            // One request is enough (and S3 wants parts of 5 MiB at least, but the last).
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            file.read_to_end(&mut bytes).await.map_err(io)?;
            self.put(key, Bytes::from(bytes)).await?;
            return Ok(size);
        }
        let upload = self
            .store
            .put_multipart(&StorePath::from(key))
            .await
            .map_err(store)?;
        let mut upload = WriteMultipart::new_with_chunk_size(upload, PUT_PART_BYTES);
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let read = match file.read(&mut buffer).await {
                Ok(0) => break,
                Ok(read) => read,
                Err(e) => {
                    let _ = upload.abort().await;
                    return Err(io(e));
                }
            };
            if let Err(e) = upload.wait_for_capacity(PARTS_IN_FLIGHT).await {
                return Err(store(e));
            }
            upload.write(&buffer[..read]);
        }
        upload.finish().await.map_err(store)?;
        Ok(size)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[tokio::test]
    async fn a_file_larger_than_a_part_is_streamed_in_parts_and_stored_whole() {
        let store = FileStore::from_store(Arc::new(object_store::memory::InMemory::new()));
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        // Two and a half parts, each byte telling its offset, so a lost or swapped part shows.
        let size = PUT_PART_BYTES * 5 / 2;
        let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        file.write_all(&bytes).expect("written");
        let stored = store.put_file("exports/big.csv", file.path()).await;
        assert_eq!(stored.ok(), Some(size as u64));
        let read = store.get("exports/big.csv").await.expect("stored");
        assert!(read.as_ref() == bytes.as_slice(), "the stored file differs");

        let mut small = tempfile::NamedTempFile::new().expect("temp file");
        small.write_all(b"name\nIda\n").expect("written");
        assert_eq!(
            store.put_file("small.csv", small.path()).await.ok(),
            Some(9)
        );
        assert_eq!(
            store.get("small.csv").await.ok().as_deref(),
            Some(&b"name\nIda\n"[..])
        );
    }
}
