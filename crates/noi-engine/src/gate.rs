//! One decode at a time on the shared model (or one per session copy), needed work first.
//!
//! Many streams share one engine (the server's WebSocket clients, a dictation and a file at
//! once). The encoder already spreads one decode over the cores, so running decodes side by
//! side only makes each slower. What matters is order: a decode someone waits for (a closed
//! segment, the tail after release, a file) must never queue behind a tentative re-decode,
//! which only refreshes text on screen. So tentative decodes run only when the engine is idle
//! and nobody is waiting; otherwise they are skipped and tried again later.
//!
//! A model loaded with several session copies (`noi transcribe --jobs N`) has N slots: up to
//! N needed decodes run at once, still in arrival order.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};

#[derive(Debug)]
pub struct DecodeGate {
    state: Mutex<State>,
    freed: Condvar,
    /// Decodes that may run at once.
    slots: usize,
}

impl Default for DecodeGate {
    fn default() -> Self {
        Self::with_slots(1)
    }
}

#[derive(Debug, Default)]
struct State {
    /// Decodes running now.
    busy: usize,
    /// Tickets of the needed decodes waiting for the engine, oldest first: they run in the
    /// order they asked, so a stream that stopped first gets its final first.
    queue: VecDeque<u64>,
    next_ticket: u64,
}

impl DecodeGate {
    /// A gate letting `slots` (at least 1) needed decodes run at once.
    pub fn with_slots(slots: usize) -> Self {
        DecodeGate {
            state: Mutex::default(),
            freed: Condvar::new(),
            slots: slots.max(1),
        }
    }

    /// Runs a needed decode, waiting for a free slot if all are busy.
    pub fn run<T>(&self, decode: impl FnOnce() -> T) -> T {
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.queue.push_back(ticket);
        while state.busy >= self.slots || state.queue.front() != Some(&ticket) {
            state = self.freed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.queue.pop_front();
        state.busy += 1;
        if state.busy < self.slots {
            // The next waiter may fit in another free slot.
            self.freed.notify_all();
        }
        drop(state);
        let _release = Release(self);
        decode()
    }

    /// Runs an optional decode only if the engine is idle and no needed decode waits.
    pub fn try_run<T>(&self, decode: impl FnOnce() -> T) -> Option<T> {
        let mut state = self.lock();
        if state.busy > 0 || !state.queue.is_empty() {
            return None;
        }
        state.busy += 1;
        drop(state);
        let _release = Release(self);
        Some(decode())
    }

    /// Whether an optional decode would run now (a hint: it may change at once).
    pub fn is_idle(&self) -> bool {
        let state = self.lock();
        state.busy == 0 && state.queue.is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic inside a decode cannot leave the counters half-updated (Release runs).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Frees the engine when the decode ends, also if it panics.
struct Release<'a>(&'a DecodeGate);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.0.lock().busy -= 1;
        self.0.freed.notify_all();
    }
}

/// Stops a stream's optional decodes: the one running now (through ONNX Runtime's terminate
/// flag, so a release never waits for a tentative re-decode to end) and all later ones.
pub struct DecodeCancel {
    cancelled: std::sync::atomic::AtomicBool,
    run_options: ort::session::RunOptions,
}

impl DecodeCancel {
    pub fn new() -> crate::Result<Self> {
        let run_options = ort::session::RunOptions::new()
            .map_err(|e| crate::EngineError::inference("run options", e))?;
        Ok(DecodeCancel {
            cancelled: std::sync::atomic::AtomicBool::new(false),
            run_options,
        })
    }

    pub fn cancel(&self) {
        self.cancelled
            .store(true, std::sync::atomic::Ordering::SeqCst);
        // Failing to set the flag only means the current decode runs to its end.
        let _ = self.run_options.terminate();
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn run_options(&self) -> &ort::session::RunOptions {
        &self.run_options
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn optional_work_is_skipped_while_busy_or_awaited() {
        let gate = Arc::new(DecodeGate::default());
        assert_eq!(gate.try_run(|| 1), Some(1), "idle: runs");
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (finish_tx, finish_rx) = std::sync::mpsc::channel::<()>();
        let holder = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                gate.run(|| {
                    started_tx.send(()).unwrap();
                    finish_rx.recv().unwrap();
                })
            })
        };
        started_rx.recv().unwrap();
        assert_eq!(gate.try_run(|| 2), None, "busy: skipped");
        finish_tx.send(()).unwrap();
        holder.join().unwrap();
        assert_eq!(gate.try_run(|| 3), Some(3));
    }

    #[test]
    fn needed_work_runs_one_at_a_time() {
        let gate = Arc::new(DecodeGate::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let (gate, inside, most) = (gate.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        gate.run(|| {
                            let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_micros(200));
                            inside.fetch_sub(1, Ordering::SeqCst);
                        });
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_gate_with_two_slots_runs_two_needed_decodes_at_once_and_no_more() {
        let gate = Arc::new(DecodeGate::with_slots(2));
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..6)
            .map(|_| {
                let (gate, inside, most) = (gate.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        gate.run(|| {
                            let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(1));
                            inside.fetch_sub(1, Ordering::SeqCst);
                        });
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert!(gate.is_idle());
    }

    #[test]
    fn needed_work_runs_in_arrival_order() {
        let gate = Arc::new(DecodeGate::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let holder = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                gate.run(|| {
                    held_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                })
            })
        };
        held_rx.recv().unwrap();
        let mut waiters = Vec::new();
        for i in 0..5 {
            let (waiter_gate, order) = (Arc::clone(&gate), Arc::clone(&order));
            waiters.push(std::thread::spawn(move || {
                waiter_gate.run(|| order.lock().unwrap().push(i))
            }));
            // Each waiter has queued before the next one starts.
            while gate.lock().queue.len() < i + 1 {
                std::thread::yield_now();
            }
        }
        release_tx.send(()).unwrap();
        holder.join().unwrap();
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_panicking_decode_frees_the_engine() {
        let gate = Arc::new(DecodeGate::default());
        let g = Arc::clone(&gate);
        let _ = std::thread::spawn(move || g.run(|| panic!("decode failed"))).join();
        assert_eq!(gate.try_run(|| 7), Some(7));
    }
}
