//! One installer per model at a time, across processes: an advisory lock on
//! `models/.locks/<id>.lock`. The OS drops it when the holder exits, however it exits, so a
//! crash never leaves a model locked.

use std::fs::File;
use std::path::Path;

use crate::error::{Result, io};

/// Held while installing or removing one model; unlocked on drop.
#[derive(Debug)]
pub struct InstallLock {
    _file: File,
}

impl InstallLock {
    /// Takes the lock, calling `on_wait` once first if someone else holds it.
    pub fn acquire(path: &Path, on_wait: impl FnOnce()) -> Result<InstallLock> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io("create", parent))?;
        }
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(io("open the lock file", path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                on_wait();
                file.lock().map_err(io("lock", path))?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("lock", path)(e)),
        }
        Ok(InstallLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn a_second_holder_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locks/m.lock");
        let first = InstallLock::acquire(&path, || panic!("free lock")).unwrap();
        let (tx, rx) = mpsc::channel();
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut waited = false;
                let _lock = InstallLock::acquire(&path, || waited = true).unwrap();
                tx.send(waited).unwrap();
            })
        };
        assert!(
            rx.recv_timeout(Duration::from_millis(200)).is_err(),
            "must wait"
        );
        drop(first);
        assert!(
            rx.recv_timeout(Duration::from_secs(5)).unwrap(),
            "reported waiting"
        );
        waiter.join().unwrap();
    }
}
