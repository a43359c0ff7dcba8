//! Chunks in S3-compatible object storage: one object per chunk, under
//! `{prefix}{file id}/{seq}`. The database keeps every chunk's size and
//! SHA-256 either way, and a download checks the bytes against them.
//!
//! Objects of 512 KiB each rather than one object per file: S3's multipart
//! parts must be at least 5 MiB, and fixed small objects keep an upload's
//! and a download's memory one chunk, as in the database, and a range read
//! to the chunks it covers.

use std::sync::Arc;

use actix_web::web::Bytes;
use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::config::S3Settings;

#[derive(Clone)]
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Objects({}, {})", self.store, self.prefix)
    }
}

impl Objects {
    /// A client of the bucket. Each caller that runs on its own async
    /// runtime (the HTTP workers, the retention job) builds its own: a
    /// pooled connection belongs to the runtime that opened it.
    pub fn s3(settings: &S3Settings) -> anyhow::Result<Self> {
        // The usual AWS_* variables first (instance roles, profiles), then
        // what the configuration says.
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let (Some(id), Some(secret)) = (&settings.access_key_id, &settings.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
        }
        Ok(Self {
            store: Arc::new(builder.build()?),
            prefix: settings.prefix.clone(),
        })
    }

    fn file(&self, file_id: &str) -> Path {
        Path::from(format!("{}{file_id}", self.prefix))
    }

    fn key(&self, file_id: &str, seq: i32) -> Path {
        Path::from(format!("{}{file_id}/{seq:06}", self.prefix))
    }

    pub async fn put(&self, file_id: &str, seq: i32, bytes: Bytes) -> object_store::Result<()> {
        self.store
            .put(&self.key(file_id, seq), PutPayload::from_bytes(bytes))
            .await
            .map(drop)
    }

    pub async fn get(&self, file_id: &str, seq: i32) -> object_store::Result<Bytes> {
        self.store.get(&self.key(file_id, seq)).await?.bytes().await
    }

    /// Deletes every object of the file (those an interrupted upload left
    /// too); returns how many.
    pub async fn delete_file(&self, file_id: &str) -> object_store::Result<usize> {
        let keys: Vec<Path> = self
            .store
            .list(Some(&self.file(file_id)))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await?;
        for key in &keys {
            self.store.delete(key).await?;
        }
        Ok(keys.len())
    }
}
