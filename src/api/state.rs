//! What every handler can reach.

use std::sync::Arc;

use crate::auth::{JwtKeys, Revocations};
use crate::config::Config;
use crate::db::DbPool;
use crate::pipeline::Pipeline;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub pipeline: Pipeline,
    pub config: Arc<Config>,
    pub jwt: JwtKeys,
    /// Sessions whose access tokens are refused.
    pub revocations: Arc<Revocations>,
}
