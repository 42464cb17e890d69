//! Where Nói's files live, and writing them atomically.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Replaces the config dir (settings.toml, api.json); tests point it at a tempdir.
pub const CONFIG_DIR_ENV: &str = "NOI_CONFIG_DIR";
/// Replaces the data dir (history, models): noi-models' variable, so both find the same dir.
pub use noi_models::DATA_DIR_ENV;

/// `$NOI_CONFIG_DIR`, else the platform config dir (`~/.config/noi` on Linux).
pub fn config_dir() -> Option<PathBuf> {
    dir_or_platform(std::env::var_os(CONFIG_DIR_ENV), || {
        Some(project_dirs()?.config_dir().to_path_buf())
    })
}

/// `$NOI_DATA_DIR`, else the platform data dir (`~/.local/share/noi` on Linux).
pub fn data_dir() -> Option<PathBuf> {
    dir_or_platform(std::env::var_os(DATA_DIR_ENV), || {
        Some(project_dirs()?.data_dir().to_path_buf())
    })
}

/// The override when set and non-empty, else the platform's dir. Takes the variable's value
/// rather than reading it, so tests need not change the process environment (which races
/// with every other test thread that reads it).
pub fn dir_or_platform(
    override_dir: Option<OsString>,
    platform: impl FnOnce() -> Option<PathBuf>,
) -> Option<PathBuf> {
    match override_dir.filter(|dir| !dir.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => platform(),
    }
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "noi")
}

/// Writes `bytes` to `path` so that readers see the old file or the new one, never a torn
/// one: a temporary file in the same directory (same filesystem, so rename is atomic),
/// flushed to disk, then renamed over `path`. On Unix the file is created with `mode` from
/// the start, so a secret is never readable by others, not even briefly.
pub fn atomic_write(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = write_new(&tmp, bytes, mode).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    // The rename itself is durable once the directory entry is flushed.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path)?;
    // A leftover temp file from a crashed run keeps its old mode: set it explicitly.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(mode))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/file.txt");
        atomic_write(&path, b"one", 0o600).unwrap();
        atomic_write(&path, b"two", 0o600).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1, "temp file left behind");
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_sets_the_mode_even_over_a_leftover_temp_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.json");
        let leftover = dir
            .path()
            .join(format!(".secret.json.tmp-{}", std::process::id()));
        fs::write(&leftover, "old").unwrap();
        fs::set_permissions(&leftover, fs::Permissions::from_mode(0o644)).unwrap();
        atomic_write(&path, b"{}", 0o600).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
