//! What an install reports while it runs, for progress bars and logs.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Another process (or thread) is installing this model; we wait for it.
    WaitingForLock { id: String },
    /// A request is about to be sent; `from` > 0 when resuming a partial download.
    Connecting { url: String, from: u64 },
    /// Bytes of the archive on disk so far, and the total when known.
    Downloaded { done: u64, total: Option<u64> },
    /// An attempt failed in a way worth retrying; the next one starts after `delay`.
    Retrying {
        failures: u32,
        delay: Duration,
        reason: String,
    },
    /// Checking SHA-256 pins.
    Verifying,
    /// Unpacking the archive into a temporary folder.
    Extracting,
    /// The model is in place and verified.
    Installed { id: String, dir: PathBuf },
}

/// A progress callback; `&mut dyn` keeps the library free of generics at its edges.
pub type OnEvent<'a> = &'a mut dyn FnMut(Event);
