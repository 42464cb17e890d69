//! Captures what the library logs through `tracing` while a closure runs on this thread.
//!
//! One global subscriber per test binary, writing into a per-thread buffer, rather than a
//! scoped subscriber per test: tracing caches each log line's "is anyone interested" on its
//! first use, process-wide, and asks only the *current thread's* subscriber when a single one
//! is registered. A scoped subscriber therefore loses a warning that another test thread, with
//! no subscriber, happened to reach first (seen in CI: two tests decoding the same cut file).
//! A global subscriber answers the same on every thread, so the cache is always right.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Once;

thread_local! {
    /// `Some` while [`log_during`] runs on this thread.
    static CAPTURED: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Writes into this thread's capture buffer, or nowhere when nothing is capturing.
struct ThisThreadsBuffer;

impl Write for ThisThreadsBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with(|c| {
            if let Some(captured) = c.borrow_mut().as_mut() {
                captured.extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn install_global_subscriber() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(|| ThisThreadsBuffer)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global tracing subscriber in the test binary");
    });
}

/// Runs `f` and returns what was logged on this thread meanwhile, down to `debug`.
pub fn log_during(f: impl FnOnce()) -> String {
    install_global_subscriber();
    CAPTURED.with(|c| *c.borrow_mut() = Some(Vec::new()));
    f();
    let captured = CAPTURED.with(|c| c.borrow_mut().take()).unwrap_or_default();
    String::from_utf8(captured).expect("log output is UTF-8")
}
