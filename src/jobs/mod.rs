//! Background loops started with the server, each on its own thread, each
//! stopped when the [`Shutdown`] is triggered (the application stops or is
//! dropped), and joined through [`Threads`] before the process exits.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
    pub fn wait(&self, period: Duration) -> bool {
        let (flag, signal) = &*self.0;
        let Ok(guard) = flag.lock() else { return true };
        match signal.wait_timeout_while(guard, period, |stopped| !*stopped) {
            Ok((stopped, _)) => *stopped,
            Err(_) => true,
        }
    }
}

/// The threads an application started, to be joined when it stops: a
/// process that exits while one of them is mid-query leaves its transaction
/// to the database to roll back, and (over TLS) races OpenSSL's exit-time
/// cleanup.
#[derive(Default)]
pub struct Threads(Vec<(&'static str, JoinHandle<()>)>);

impl Threads {
    pub fn add(&mut self, name: &'static str, handle: JoinHandle<()>) {
        self.0.push((name, handle));
    }

    /// Waits for every thread to end, until `deadline`; returns the names of
    /// those still running then (left to end with the process).
    pub fn join_until(self, deadline: Instant) -> Vec<&'static str> {
        let mut running = self.0;
        loop {
            let (ended, still): (Vec<_>, Vec<_>) =
                running.into_iter().partition(|(_, h)| h.is_finished());
            for (name, handle) in ended {
                if handle.join().is_err() {
                    tracing::error!(thread = name, "a background thread panicked");
                }
            }
            running = still;
            if running.is_empty() || Instant::now() >= deadline {
                return running.into_iter().map(|(name, _)| name).collect();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Runs `tick` every `period` until `shutdown`, on a thread added to
/// `threads`. A failing tick is logged and the loop goes on; while the
/// database cannot be reached, quietly.
pub fn spawn_periodic<F>(
    name: &'static str,
    period: Duration,
    shutdown: Shutdown,
    threads: &mut Threads,
    mut tick: F,
) -> std::io::Result<()>
where
    F: FnMut() -> anyhow::Result<()> + Send + 'static,
{
    let handle = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || loop {
            match tick() {
                Ok(()) => crate::metrics::jobs::succeeded(name),
                // Logged once per outage by the pool (see `db::health`).
                Err(e) if is_unreachable(&e) => {
                    tracing::debug!(job = name, error = %e, "background job waits for the database");
                }
                Err(e) => tracing::warn!(job = name, error = ?e, "background job failed"),
            }
            if shutdown.wait(period) {
                return;
            }
        })?;
    threads.add(name, handle);
    Ok(())
}

fn is_unreachable(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<crate::db::CheckoutError>(),
        Some(crate::db::CheckoutError::Unreachable(_))
    )
}
