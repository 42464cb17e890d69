//! How local tools find the desktop app's API: `api.json` (port, token, pid) in the config
//! dir, private to the user; the port choice ("9876, or the next free one"); and tokens.

use std::fs;
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::fsutil;

pub const API_FILE: &str = "api.json";

/// How many ports after the preferred one are tried before giving up.
pub const PORT_ATTEMPTS: u16 = 20;

/// The contents of `api.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiInfo {
    pub port: u16,
    pub token: String,
    /// The app's process id, so a client can tell a stale file (the app crashed) from a live one.
    pub pid: u32,
}

#[derive(Debug, Error)]
pub enum DiscoveryError {
    #[error(
        "cannot find a config directory for api.json: set NOI_CONFIG_DIR to a writable directory"
    )]
    NoConfigDir,
    #[error("cannot write {path}: {source}; check that the folder is writable")]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path} is not valid ({source}); start the Nói app again to rewrite it")]
    Invalid {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("the operating system's random generator failed ({0}); cannot make an API token")]
    Random(getrandom::Error),
    #[error(
        "ports {first}–{last} on 127.0.0.1 are all in use: free one, or set another API port in the settings"
    )]
    NoFreePort { first: u16, last: u16 },
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: io::Error },
}

/// `api.json` in the config dir.
pub fn default_path() -> Result<PathBuf, DiscoveryError> {
    let dir = fsutil::config_dir().ok_or(DiscoveryError::NoConfigDir)?;
    Ok(dir.join(API_FILE))
}

/// Writes `info` atomically with mode 0600 (it holds the token): readers never see a partial
/// file, and no other user can read it even for a moment.
pub fn write(path: &Path, info: &ApiInfo) -> Result<(), DiscoveryError> {
    let json = serde_json::to_vec_pretty(info).map_err(|source| DiscoveryError::Invalid {
        path: path.into(),
        source,
    })?;
    fsutil::atomic_write(path, &json, 0o600).map_err(|source| DiscoveryError::Write {
        path: path.into(),
        source,
    })
}

/// The file's contents; `None` when there is none (the app is not running).
pub fn read(path: &Path) -> Result<Option<ApiInfo>, DiscoveryError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(DiscoveryError::Read {
                path: path.into(),
                source,
            });
        }
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| DiscoveryError::Invalid {
            path: path.into(),
            source,
        })
}

/// Removes the file at quit, if it is still ours (a second instance may have replaced it).
pub fn remove_if_ours(path: &Path, pid: u32) -> Result<(), DiscoveryError> {
    match read(path) {
        Ok(Some(info)) if info.pid == pid => {
            fs::remove_file(path).map_err(|source| DiscoveryError::Write {
                path: path.into(),
                source,
            })
        }
        _ => Ok(()),
    }
}

/// A fresh API token: 32 random bytes from the OS, as 64 lowercase hex digits (safe in a
/// header, a URL query and a shell without quoting).
pub fn generate_token() -> Result<String, DiscoveryError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(DiscoveryError::Random)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// "The port, or the next free one": tries `preferred`, `preferred + 1`, … (at most `attempts`
/// ports, never past 65535) and returns the first that `bind` accepts, with what it returned.
///
/// Binding is the probe: the caller keeps the listener it got, so no other process can take
/// the port between the check and the use. Only "address in use" moves on to the next port;
/// any other error (e.g. permission denied) is returned as it is, since the next port would
/// fail the same way.
pub fn bind_first_free<T>(
    preferred: u16,
    attempts: u16,
    mut bind: impl FnMut(u16) -> io::Result<T>,
) -> Result<(u16, T), DiscoveryError> {
    let last = preferred.saturating_add(attempts.saturating_sub(1));
    for port in preferred..=last {
        match bind(port) {
            Ok(bound) => return Ok((port, bound)),
            Err(error) if error.kind() == io::ErrorKind::AddrInUse => continue,
            Err(source) => return Err(DiscoveryError::Bind { port, source }),
        }
    }
    Err(DiscoveryError::NoFreePort {
        first: preferred,
        last,
    })
}

/// [`bind_first_free`] on real loopback sockets. Port 0 asks the OS for any free port; read
/// the listener's `local_addr` for the one it chose.
pub fn bind_loopback(preferred: u16) -> Result<(u16, TcpListener), DiscoveryError> {
    bind_first_free(preferred, PORT_ATTEMPTS, |port| {
        TcpListener::bind((Ipv4Addr::LOCALHOST, port))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_use() -> io::Error {
        io::Error::from(io::ErrorKind::AddrInUse)
    }

    #[test]
    fn preferred_port_when_free() {
        let mut tried = Vec::new();
        let (port, ()) = bind_first_free(9876, 20, |p| {
            tried.push(p);
            Ok(())
        })
        .unwrap();
        assert_eq!(port, 9876);
        assert_eq!(tried, [9876]);
    }

    #[test]
    fn next_free_port_when_taken() {
        let taken = [9876, 9877, 9878];
        let (port, bound) = bind_first_free(9876, 20, |p| {
            if taken.contains(&p) {
                Err(in_use())
            } else {
                Ok(format!("listener on {p}"))
            }
        })
        .unwrap();
        assert_eq!(port, 9879);
        assert_eq!(bound, "listener on 9879");
    }

    #[test]
    fn gives_up_after_the_attempts() {
        let mut count = 0;
        let error = bind_first_free::<()>(9876, 5, |_| {
            count += 1;
            Err(in_use())
        })
        .unwrap_err();
        assert_eq!(count, 5);
        assert!(matches!(
            error,
            DiscoveryError::NoFreePort {
                first: 9876,
                last: 9880
            }
        ));
        assert!(error.to_string().contains("9876–9880"), "{error}");
    }

    #[test]
    fn never_wraps_past_the_last_port() {
        let mut tried = Vec::new();
        let _ = bind_first_free::<()>(65534, 20, |p| {
            tried.push(p);
            Err(in_use())
        });
        assert_eq!(tried, [65534, 65535]);
    }

    #[test]
    fn other_bind_errors_stop_at_once() {
        let error = bind_first_free::<()>(80, 20, |_| {
            Err(io::Error::from(io::ErrorKind::PermissionDenied))
        })
        .unwrap_err();
        assert!(matches!(error, DiscoveryError::Bind { port: 80, .. }));
    }

    #[test]
    fn real_sockets_skip_a_taken_port() {
        // Take an OS-chosen port, then ask for it: the next free one must be returned.
        let (_, holder) = bind_loopback(0).unwrap();
        let taken = holder.local_addr().unwrap().port();
        if taken == u16::MAX {
            return; // no room above it to test the skip
        }
        let (port, listener) = bind_loopback(taken).unwrap();
        assert!(port > taken, "{port} should be after the taken {taken}");
        assert_eq!(listener.local_addr().unwrap().port(), port);
        assert!(listener.local_addr().unwrap().ip().is_loopback());
    }

    #[test]
    fn tokens_are_random_hex() {
        let a = generate_token().unwrap();
        let b = generate_token().unwrap();
        assert_eq!(a.len(), 64);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }

    #[test]
    fn api_json_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(API_FILE);
        assert_eq!(read(&path).unwrap(), None);
        let info = ApiInfo {
            port: 9877,
            token: generate_token().unwrap(),
            pid: std::process::id(),
        };
        write(&path, &info).unwrap();
        assert_eq!(read(&path).unwrap(), Some(info.clone()));
        let json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(json["port"], 9877);
        assert_eq!(json["token"], info.token.as_str());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn remove_only_our_own_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(API_FILE);
        let info = ApiInfo {
            port: 9876,
            token: "t".into(),
            pid: 4242,
        };
        write(&path, &info).unwrap();
        remove_if_ours(&path, 1).unwrap();
        assert!(path.exists(), "another instance's file stays");
        remove_if_ours(&path, 4242).unwrap();
        assert!(!path.exists());
        remove_if_ours(&path, 4242).unwrap();
    }

    #[test]
    fn garbage_api_json_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(API_FILE);
        fs::write(&path, "{\"port\": \"x\"").unwrap();
        let error = read(&path).unwrap_err();
        assert!(
            error.to_string().contains("start the Nói app again"),
            "{error}"
        );
    }
}
