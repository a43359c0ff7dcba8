//! What every handler can reach.

use std::sync::Arc;

use crate::auth::{JwtKeys, Revocations};
use crate::config::Config;
use crate::db::DbPool;
use crate::pipeline::Pipeline;
use crate::services::sessions::SessionSettings;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub pipeline: Pipeline,
    pub config: Arc<Config>,
    pub jwt: JwtKeys,
    /// Sessions whose access tokens are refused.
    pub revocations: Arc<Revocations>,
    /// The live progress streams' fan-out.
    pub hub: crate::stream::Hub,
    /// Where documents' bytes are kept.
    pub storage: crate::storage::Storage,
}

impl AppState {
    /// What opening and renewing sessions needs of the server.
    pub fn sessions(&self) -> SessionSettings<'_> {
        SessionSettings {
            jwt: &self.jwt,
            refresh_ttl: self.config.refresh_token_ttl,
            revocations: &self.revocations,
        }
    }
}
