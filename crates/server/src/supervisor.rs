//! Background workers (the webhook journal's writer, the inbound worker, media fetch, profile fetch,
//! outbox…) run under a supervisor: a worker that panics is logged, counted and restarted after a
//! short backoff, and `/readyz` reports it as down meanwhile, so a load balancer can route around a
//! sick process.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Which workers are down right now (between a panic and their restart).
#[derive(Default, Debug)]
pub struct WorkerHealth {
    down: Mutex<BTreeSet<&'static str>>,
}

impl WorkerHealth {
    pub fn down(&self) -> Vec<&'static str> {
        self.down.lock().unwrap_or_else(|e| e.into_inner()).iter().copied().collect()
    }

    fn set(&self, name: &'static str, down: bool) {
        let mut set = self.down.lock().unwrap_or_else(|e| e.into_inner());
        if down {
            set.insert(name);
        } else {
            set.remove(name);
        }
    }
}

/// Runs the worker `start()` builds until it returns (it does when `stop` says so), starting a new
/// one each time it panics.
pub async fn supervise<F, Fut>(name: &'static str, health: Arc<WorkerHealth>, stop: watch::Receiver<bool>, start: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut backoff = FIRST_BACKOFF;
    loop {
        match tokio::spawn(start()).await {
            Ok(()) => return,
            Err(e) if e.is_panic() => {
                tracing::error!(worker = name, "worker panicked; restarting it");
                metrics::counter!("inbox_worker_restarts_total", "worker" => name).increment(1);
                health.set(name, true);
            }
            Err(_) => return,
        }
        if *stop.borrow() {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
        health.set(name, false);
    }
}

/// The loop of a polling worker: run `step` while it finds work (it returns how many items it
/// handled), then wait for `wakeup`, for `idle` (work left by a crashed process, retries coming due)
/// or for `shutdown`, whichever comes first.
pub async fn poll<F, Fut>(
    worker: &'static str,
    wakeup: &tokio::sync::Notify,
    idle: Duration,
    mut shutdown: watch::Receiver<bool>,
    mut step: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, store::StoreError>>,
{
    loop {
        match step().await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, worker, "worker: store error"),
        }
        tokio::select! {
            _ = wakeup.notified() => {}
            _ = tokio::time::sleep(idle) => {}
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn a_panicking_worker_is_restarted_and_reported_down_meanwhile() {
        let health = Arc::new(WorkerHealth::default());
        let (stop_tx, stop) = watch::channel(false);
        let runs = Arc::new(AtomicU32::new(0));
        let (entered_tx, mut entered) = tokio::sync::mpsc::unbounded_channel();
        let supervisor = {
            let (health, runs) = (health.clone(), runs.clone());
            tokio::spawn(supervise("flaky", health, stop.clone(), move || {
                let runs = runs.clone();
                let entered = entered_tx.clone();
                let mut stop = stop.clone();
                async move {
                    let n = runs.fetch_add(1, Ordering::SeqCst);
                    let _ = entered.send(n);
                    if n == 0 {
                        panic!("first run fails");
                    }
                    let _ = stop.wait_for(|s| *s).await;
                }
            }))
        };
        assert_eq!(entered.recv().await, Some(0));
        // Between the panic and the restart the worker is reported down…
        let mut seen_down = false;
        for _ in 0..100 {
            if health.down() == vec!["flaky"] {
                seen_down = true;
                break;
            }
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(seen_down, "the panicked worker was never reported down");
        // …then it runs again and is up.
        assert_eq!(entered.recv().await, Some(1));
        assert!(health.down().is_empty());
        let _ = stop_tx.send(true);
        supervisor.await.expect("the supervisor ends when told to stop");
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
