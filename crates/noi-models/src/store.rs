//! Where models live on disk, and what is installed.
//!
//! ```text
//! <data dir>/models/<id>/            an installed model (only ever appears by an atomic rename)
//! <data dir>/models/<id>/noi-model.json   its manifest: source, licence, size and SHA-256 per file
//! <data dir>/models/.partial/<id>.tar.bz2 a download in progress (resumed with Range)
//! <data dir>/models/.staging/…       archives being unpacked (same file system, so renames are atomic)
//! <data dir>/models/.locks/<id>.lock one installer per model
//! ```
//! The data dir is `NOI_DATA_DIR` when set, else the platform's (`~/.local/share/noi`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::catalog::{PinnedFile, is_valid_id};
use crate::error::{ModelError, Result, io};

pub const DATA_DIR_ENV: &str = "NOI_DATA_DIR";
pub const MANIFEST_FILE: &str = "noi-model.json";

/// Partial downloads untouched for this long are deleted when another install starts.
pub const STALE_PARTIAL_AGE: Duration = Duration::from_secs(30 * 24 * 3600);

#[derive(Debug, Clone)]
pub struct ModelStore {
    root: PathBuf,
}

/// What `noi-model.json` records about an installed model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub id: String,
    pub name: String,
    /// "catalog", or the archive or folder it was installed from.
    pub source: String,
    pub license: Option<String>,
    pub files: Vec<PinnedFile>,
}

#[derive(Debug, Clone)]
pub struct InstalledModel {
    pub id: String,
    pub dir: PathBuf,
    /// Absent for folders put there by hand.
    pub manifest: Option<Manifest>,
}

impl InstalledModel {
    /// Bytes of the model's files as recorded when installed.
    pub fn size(&self) -> Option<u64> {
        self.manifest
            .as_ref()
            .map(|m| m.files.iter().map(|f| f.size).sum())
    }
}

impl ModelStore {
    /// `$NOI_DATA_DIR`, else the platform data dir (`~/.local/share/noi` on Linux).
    pub fn open_default() -> Result<ModelStore> {
        if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(ModelStore::at(dir));
        }
        let dirs = directories::ProjectDirs::from("", "", "noi").ok_or(ModelError::NoDataDir)?;
        Ok(ModelStore::at(dirs.data_dir()))
    }

    /// A store rooted at `data_dir` (models go in `data_dir/models`).
    pub fn at(data_dir: impl Into<PathBuf>) -> ModelStore {
        ModelStore {
            root: data_dir.into(),
        }
    }

    pub fn models_dir(&self) -> PathBuf {
        self.root.join("models")
    }

    /// Where model `id` is (or would be) installed.
    pub fn model_dir(&self, id: &str) -> PathBuf {
        self.models_dir().join(id)
    }

    /// The folder of an installed model.
    pub fn path_of(&self, id: &str) -> Option<PathBuf> {
        let dir = self.model_dir(id);
        (is_valid_id(id) && dir.is_dir()).then_some(dir)
    }

    /// Installed models, sorted by id. Hidden folders (partials, staging) are not models.
    pub fn installed(&self) -> Vec<InstalledModel> {
        let Ok(entries) = std::fs::read_dir(self.models_dir()) else {
            return Vec::new();
        };
        let mut models: Vec<InstalledModel> = entries
            .flatten()
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|id| is_valid_id(id))
            .map(|id| self.describe(&id))
            .collect();
        models.sort_by(|a, b| a.id.cmp(&b.id));
        models
    }

    /// The ids of the installed models, sorted (what model pickers list).
    pub fn installed_ids(&self) -> Vec<String> {
        self.installed().into_iter().map(|m| m.id).collect()
    }

    pub fn get(&self, id: &str) -> Option<InstalledModel> {
        self.path_of(id).map(|_| self.describe(id))
    }

    fn describe(&self, id: &str) -> InstalledModel {
        let dir = self.model_dir(id);
        let manifest = read_manifest(&dir);
        InstalledModel {
            id: id.to_string(),
            dir,
            manifest,
        }
    }

    pub(crate) fn partial_path(&self, id: &str) -> PathBuf {
        self.models_dir()
            .join(".partial")
            .join(format!("{id}.tar.bz2"))
    }

    pub(crate) fn lock_path(&self, id: &str) -> PathBuf {
        self.models_dir().join(".locks").join(format!("{id}.lock"))
    }

    fn staging_root(&self) -> PathBuf {
        self.models_dir().join(".staging")
    }

    /// A fresh, empty folder to unpack model `id` into.
    pub(crate) fn new_staging(&self, id: &str) -> Result<PathBuf> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = self
            .staging_root()
            .join(format!("{id}.{}.{n}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
        Ok(dir)
    }

    /// Removes staging folders of `id` left by a crashed install. Call with the lock held.
    pub(crate) fn clean_staging(&self, id: &str) {
        let prefix = format!("{id}.");
        let Ok(entries) = std::fs::read_dir(self.staging_root()) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                std::fs::remove_dir_all(entry.path()).ok();
            }
        }
    }

    /// Deletes partial downloads nobody touched for `max_age` (abandoned downloads).
    pub fn clean_stale_partials(&self, max_age: Duration) -> Vec<PathBuf> {
        let now = SystemTime::now();
        let Ok(entries) = std::fs::read_dir(self.models_dir().join(".partial")) else {
            return Vec::new();
        };
        let stale: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| {
                let modified = e.metadata().and_then(|m| m.modified()).ok();
                modified.is_some_and(|m| is_stale(m, now, max_age))
            })
            .map(|e| e.path())
            .collect();
        for path in &stale {
            tracing::info!(path = %path.display(), "removing a stale partial download");
            std::fs::remove_file(path).ok();
        }
        stale
    }

    /// Moves a verified staging folder into place as model `id`, replacing any old copy.
    /// Each rename is atomic, so at every instant there is a complete model or none.
    pub(crate) fn commit(&self, staging: &Path, id: &str) -> Result<PathBuf> {
        let target = self.model_dir(id);
        let old = if target.exists() {
            let trash = self.new_staging(&format!("{id}.old"))?;
            std::fs::rename(&target, &trash).map_err(io("move aside", &target))?;
            Some(trash)
        } else {
            None
        };
        std::fs::rename(staging, &target).map_err(io("move into place", &target))?;
        if let Some(old) = old {
            std::fs::remove_dir_all(&old).ok();
        }
        Ok(target)
    }

    /// Deletes an installed model: first renamed away (atomic), then deleted.
    pub(crate) fn delete(&self, id: &str) -> Result<()> {
        let target = self.model_dir(id);
        let trash = self.new_staging(&format!("{id}.removed"))?;
        std::fs::rename(&target, &trash).map_err(io("remove", &target))?;
        std::fs::remove_dir_all(&trash).map_err(io("delete", &trash))?;
        std::fs::remove_file(self.partial_path(id)).ok();
        Ok(())
    }
}

pub fn is_stale(modified: SystemTime, now: SystemTime, max_age: Duration) -> bool {
    now.duration_since(modified).is_ok_and(|age| age > max_age)
}

pub(crate) fn read_manifest(dir: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(dir.join(MANIFEST_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

pub(crate) fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
    let path = dir.join(MANIFEST_FILE);
    let text = serde_json::to_string_pretty(manifest).expect("a manifest serialises");
    std::fs::write(&path, text + "\n").map_err(io("write", &path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staleness() {
        let now = SystemTime::now();
        let day = Duration::from_secs(86_400);
        assert!(is_stale(now - day * 31, now, STALE_PARTIAL_AGE));
        assert!(!is_stale(now - day, now, STALE_PARTIAL_AGE));
        // A clock that went backwards is not a reason to delete.
        assert!(!is_stale(now + day, now, STALE_PARTIAL_AGE));
    }

    #[test]
    fn only_valid_visible_folders_are_models() {
        let dir = tempfile::tempdir().unwrap();
        let store = ModelStore::at(dir.path());
        assert!(store.installed().is_empty(), "no models dir yet");
        for sub in ["b-model", "a-model", ".partial", ".staging", "Bad Name"] {
            std::fs::create_dir_all(store.models_dir().join(sub)).unwrap();
        }
        std::fs::write(store.models_dir().join("file.onnx"), "x").unwrap();
        let ids: Vec<String> = store.installed().into_iter().map(|m| m.id).collect();
        assert_eq!(ids, ["a-model", "b-model"]);
        assert!(store.path_of("a-model").is_some());
        assert!(store.path_of("../a-model").is_none());
        assert!(store.path_of(".partial").is_none());
    }

    #[test]
    fn old_partials_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = ModelStore::at(dir.path());
        let partial = store.partial_path("m");
        std::fs::create_dir_all(partial.parent().unwrap()).unwrap();
        std::fs::write(&partial, "abc").unwrap();
        assert!(store.clean_stale_partials(STALE_PARTIAL_AGE).is_empty());
        assert!(partial.exists());
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            store.clean_stale_partials(Duration::from_millis(1)),
            [partial.as_path()]
        );
        assert!(!partial.exists());
    }
}
