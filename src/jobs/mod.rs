//! Background loops started with the server, each on its own thread, each
//! stopped when the [`Shutdown`] is triggered (the application is dropped).

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Clone, Default)]
pub struct Shutdown(Arc<(Mutex<bool>, Condvar)>);

impl Shutdown {
    pub fn trigger(&self) {
        let (flag, signal) = &*self.0;
        if let Ok(mut stopped) = flag.lock() {
            *stopped = true;
        }
        signal.notify_all();
    }

    /// Sleeps for `period`; returns true when shutdown was triggered meanwhile.
    fn wait(&self, period: Duration) -> bool {
        let (flag, signal) = &*self.0;
        let Ok(guard) = flag.lock() else { return true };
        match signal.wait_timeout_while(guard, period, |stopped| !*stopped) {
            Ok((stopped, _)) => *stopped,
            Err(_) => true,
        }
    }
}

/// Runs `tick` every `period` until `shutdown`. A failing tick is logged and
/// the loop goes on; while the database cannot be reached, quietly.
pub fn spawn_periodic<F>(
    name: &'static str,
    period: Duration,
    shutdown: Shutdown,
    mut tick: F,
) -> std::io::Result<JoinHandle<()>>
where
    F: FnMut() -> anyhow::Result<()> + Send + 'static,
{
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || loop {
            match tick() {
                Ok(()) => {}
                // Logged once per outage by the pool (see `db::health`).
                Err(e) if is_unreachable(&e) => {
                    tracing::debug!(job = name, error = %e, "background job waits for the database");
                }
                Err(e) => tracing::warn!(job = name, error = ?e, "background job failed"),
            }
            if shutdown.wait(period) {
                return;
            }
        })
}

fn is_unreachable(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<crate::db::CheckoutError>(),
        Some(crate::db::CheckoutError::Unreachable(_))
    )
}
