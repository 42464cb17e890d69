//! Installing, verifying and removing models: the steps that turn a download, an archive or a
//! folder into `models/<id>/`. Nothing appears there until every file has been checked; a
//! failure at any step leaves either the previous model or none.

use std::path::{Path, PathBuf};

use crate::catalog::{Catalog, CatalogModel, MIRROR_ENV, PinnedFile, is_valid_id};
use crate::download::{self, DownloadOptions};
use crate::error::{ModelError, Result, io};
use crate::extract::{self, Selection, hash_file, is_runtime_file};
use crate::lock::InstallLock;
use crate::progress::{Event, OnEvent};
use crate::store::{
    InstalledModel, Manifest, ModelStore, STALE_PARTIAL_AGE, read_manifest, write_manifest,
};

#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    pub download: DownloadOptions,
    /// Base URL replacing the catalog's `release_prefix` (`NOI_MODEL_MIRROR`).
    pub mirror: Option<String>,
    /// Test hook: unpacking fails once this many bytes have been written.
    #[doc(hidden)]
    pub fail_extract_write_after: Option<u64>,
}

impl InstallOptions {
    /// Download settings from the environment (see [`DownloadOptions::from_env`]) and
    /// `NOI_MODEL_MIRROR`.
    pub fn from_env() -> Self {
        InstallOptions {
            download: DownloadOptions::from_env(),
            mirror: std::env::var(MIRROR_ENV).ok().filter(|m| !m.is_empty()),
            fail_extract_write_after: None,
        }
    }
}

/// How an install ended.
#[derive(Debug, Clone)]
pub struct Installed {
    pub model: InstalledModel,
    /// True when the model was already there (e.g. another process just installed it).
    pub already: bool,
}

pub struct Installer<'a> {
    pub store: &'a ModelStore,
    pub catalog: &'a Catalog,
    pub options: InstallOptions,
}

impl<'a> Installer<'a> {
    /// An installer over `store` and `catalog` with the environment's options
    /// ([`InstallOptions::from_env`]) and, when given, a flag that cancels its download (the
    /// partial file is kept for a resume). Every door builds its installer here.
    pub fn new(
        store: &'a ModelStore,
        catalog: &'a Catalog,
        cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    ) -> Installer<'a> {
        let mut options = InstallOptions::from_env();
        options.download.cancel = cancel;
        Installer {
            store,
            catalog,
            options,
        }
    }

    /// Downloads catalog model `id` (resuming a partial download) and installs it.
    pub fn download(&self, id: &str, on_event: OnEvent) -> Result<Installed> {
        let model = self.catalog.require(id)?;
        let _lock = self.lock(id, on_event)?;
        if let Some(installed) = self.already_installed(model) {
            return Ok(installed);
        }
        self.store.clean_stale_partials(STALE_PARTIAL_AGE);
        let partial = self.store.partial_path(id);
        let parent = partial.parent().expect("partials live in a folder");
        std::fs::create_dir_all(parent).map_err(io("create", parent))?;
        let url = self
            .catalog
            .download_url(model, self.options.mirror.as_deref());
        download::download(
            &url,
            &partial,
            model.archive_size,
            &self.options.download,
            on_event,
        )?;
        let result = self
            .check_archive(&partial, model, on_event)
            .and_then(|()| self.unpack(&partial, model_spec(model, "catalog"), on_event));
        // A bad archive is useless to resume from; one we failed to write out (our disk, not
        // the download) is kept so the next attempt need not fetch it again.
        let ours = matches!(&result, Err(ModelError::Io { .. }));
        if !ours {
            std::fs::remove_file(&partial).ok();
        }
        result.map(|model| Installed {
            model,
            already: false,
        })
    }

    /// Installs from a local `.tar.bz2` archive or a model folder. Matched against the catalog
    /// (by archive hash, archive name, or file names); a match must meet its pins, anything
    /// else must load in the engine. `id` overrides the id the model gets.
    pub fn install_path(
        &self,
        path: &Path,
        id: Option<&str>,
        on_event: OnEvent,
    ) -> Result<Installed> {
        if path.is_dir() {
            return self.install_folder(path, id, on_event);
        }
        if !path.is_file() {
            return Err(ModelError::NotAModel {
                path: path.to_path_buf(),
                reason: "it does not exist".into(),
            });
        }
        on_event(Event::Verifying);
        let (_, sha256) = hash_file(path)?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let entry = self.match_archive(&sha256, &file_name, path)?;
        let id = choose_id(id, entry.map(|m| m.id.as_str()), &file_name)?;
        let _lock = self.lock(&id, on_event)?;
        let source = path.display().to_string();
        let spec = match entry {
            Some(model) => ModelSpec {
                id: id.clone(),
                ..model_spec(model, &source)
            },
            None => ModelSpec::unlisted(&id, &source),
        };
        let model = self.unpack(path, spec, on_event)?;
        Ok(Installed {
            model,
            already: false,
        })
    }

    /// Re-hashes the files of installed model `id` against the catalog's pins (or, for a model
    /// not in the catalog, those recorded when it was installed).
    pub fn verify(&self, id: &str) -> Result<Vec<PinnedFile>> {
        let Some(dir) = self.store.path_of(id) else {
            return Err(self.not_installed(id));
        };
        let pins = match self.catalog.get(id) {
            Some(model) => model.files.clone(),
            None => read_manifest(&dir)
                .map(|m| m.files)
                .ok_or_else(|| ModelError::Damaged {
                    id: id.to_string(),
                    detail: format!(
                        "it has no {} recording its checksums",
                        crate::store::MANIFEST_FILE
                    ),
                })?,
        };
        check_files(&dir, &pins).map_err(|detail| ModelError::Damaged {
            id: id.to_string(),
            detail,
        })?;
        Ok(pins)
    }

    /// Removes installed model `id` (and its partial download). Waits for an install in progress.
    pub fn remove(&self, id: &str, on_event: OnEvent) -> Result<PathBuf> {
        if !is_valid_id(id) {
            return Err(ModelError::InvalidId { id: id.to_string() });
        }
        let _lock = self.lock(id, on_event)?;
        let dir = self
            .store
            .path_of(id)
            .ok_or_else(|| self.not_installed(id))?;
        self.store.delete(id)?;
        Ok(dir)
    }

    fn not_installed(&self, id: &str) -> ModelError {
        match self.catalog.get(id) {
            Some(_) => ModelError::NotInstalled { id: id.to_string() },
            None => ModelError::UnknownModel {
                id: id.to_string(),
                known: self.catalog.ids().join(", "),
            },
        }
    }

    fn lock(&self, id: &str, on_event: OnEvent) -> Result<InstallLock> {
        let lock = InstallLock::acquire(&self.store.lock_path(id), || {
            on_event(Event::WaitingForLock { id: id.to_string() })
        })?;
        // Anything staged for this id is a leftover of a crashed install: we hold the lock.
        self.store.clean_staging(id);
        Ok(lock)
    }

    /// Installed from the catalog with the same pins: nothing to do.
    fn already_installed(&self, model: &CatalogModel) -> Option<Installed> {
        let installed = self.store.get(&model.id)?;
        let manifest = installed.manifest.as_ref()?;
        (manifest.files == model.files).then_some(Installed {
            model: installed,
            already: true,
        })
    }

    fn check_archive(&self, archive: &Path, model: &CatalogModel, on_event: OnEvent) -> Result<()> {
        on_event(Event::Verifying);
        let (size, sha256) = hash_file(archive)?;
        let what = format!("the downloaded archive of {}", model.id);
        if let Some(expected) = model.archive_size.filter(|&s| s != size) {
            return Err(mismatch(what, format!("{size} bytes, expected {expected}")));
        }
        if let Some(expected) = model.archive_sha256.as_ref().filter(|&h| *h != sha256) {
            return Err(mismatch(
                what,
                format!("SHA-256 {sha256}, expected {expected}"),
            ));
        }
        Ok(())
    }

    fn match_archive(
        &self,
        sha256: &str,
        file_name: &str,
        path: &Path,
    ) -> Result<Option<&CatalogModel>> {
        let models = &self.catalog.models;
        if let Some(model) = models
            .iter()
            .find(|m| m.archive_sha256.as_deref() == Some(sha256))
        {
            return Ok(Some(model));
        }
        let Some(model) = models.iter().find(|m| m.archive_name() == file_name) else {
            return Ok(None);
        };
        if let Some(expected) = &model.archive_sha256 {
            // Named like a catalog archive but not it: refuse rather than guess.
            return Err(mismatch(
                format!(
                    "{} (named like the archive of {})",
                    path.display(),
                    model.id
                ),
                format!("SHA-256 {sha256}, expected {expected}"),
            ));
        }
        Ok(Some(model))
    }

    fn install_folder(
        &self,
        folder: &Path,
        id: Option<&str>,
        on_event: OnEvent,
    ) -> Result<Installed> {
        let names = runtime_files_in(folder)?;
        let entry = self.catalog.models.iter().find(|m| {
            m.files
                .iter()
                .filter(|f| is_runtime_file(&f.name))
                .all(|f| names.contains(&f.name))
        });
        let folder_name = folder
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let id = choose_id(id, entry.map(|m| m.id.as_str()), &folder_name)?;
        let _lock = self.lock(&id, on_event)?;
        let source = folder.display().to_string();
        let spec = match entry {
            Some(model) => ModelSpec {
                id: id.clone(),
                ..model_spec(model, &source)
            },
            None => ModelSpec::unlisted(&id, &source),
        };
        let staging = Staging::new(self.store, &id)?;
        on_event(Event::Extracting);
        let wanted: Vec<String> = match &spec.pins {
            Some(pins) => pins.iter().map(|f| f.name.clone()).collect(),
            None => names,
        };
        let mut files = Vec::new();
        for name in &wanted {
            files.push(copy_hashed(&folder.join(name), &staging.dir.join(name))?);
        }
        let model = self.finish(staging, spec, files, folder, on_event)?;
        Ok(Installed {
            model,
            already: false,
        })
    }

    /// Unpacks `archive` into staging, checks it, and moves it into place.
    fn unpack(&self, archive: &Path, spec: ModelSpec, on_event: OnEvent) -> Result<InstalledModel> {
        let staging = Staging::new(self.store, &spec.id)?;
        on_event(Event::Extracting);
        let selection = match &spec.pins {
            Some(pins) => Selection::Pinned(pins),
            None => Selection::RuntimeFiles,
        };
        let fault = self.options.fail_extract_write_after;
        let files = extract::extract(archive, &staging.dir, selection, fault)?;
        self.finish(staging, spec, files, archive, on_event)
    }

    /// Checks staged files (pins, or loading them in the engine), writes the manifest, commits.
    fn finish(
        &self,
        staging: Staging,
        spec: ModelSpec,
        files: Vec<PinnedFile>,
        source: &Path,
        on_event: OnEvent,
    ) -> Result<InstalledModel> {
        on_event(Event::Verifying);
        match &spec.pins {
            Some(pins) => compare_pins(&files, pins).map_err(|detail| {
                mismatch(
                    format!("{} (as model {})", source.display(), spec.id),
                    detail,
                )
            })?,
            None => validate_with_engine(&staging.dir, source)?,
        }
        let manifest = Manifest {
            id: spec.id.clone(),
            name: spec.name,
            source: spec.source,
            license: spec.license,
            files: sorted(spec.pins.unwrap_or(files)),
        };
        write_manifest(&staging.dir, &manifest)?;
        let dir = self.store.commit(&staging.take(), &spec.id)?;
        on_event(Event::Installed {
            id: spec.id.clone(),
            dir: dir.clone(),
        });
        Ok(InstalledModel {
            id: spec.id,
            dir,
            manifest: Some(manifest),
        })
    }
}

/// What we know about the model being installed.
struct ModelSpec {
    id: String,
    name: String,
    source: String,
    license: Option<String>,
    /// The catalog's files; None for a model the catalog does not know.
    pins: Option<Vec<PinnedFile>>,
}

impl ModelSpec {
    fn unlisted(id: &str, source: &str) -> ModelSpec {
        ModelSpec {
            id: id.to_string(),
            name: id.to_string(),
            source: source.to_string(),
            license: None,
            pins: None,
        }
    }
}

fn model_spec(model: &CatalogModel, source: &str) -> ModelSpec {
    ModelSpec {
        id: model.id.clone(),
        name: model.name.clone(),
        source: source.to_string(),
        license: Some(model.license_label()),
        pins: Some(model.files.clone()),
    }
}

/// A staging folder, deleted on drop unless taken for the final rename.
struct Staging {
    dir: PathBuf,
    keep: bool,
}

impl Staging {
    fn new(store: &ModelStore, id: &str) -> Result<Staging> {
        Ok(Staging {
            dir: store.new_staging(id)?,
            keep: false,
        })
    }

    fn take(mut self) -> PathBuf {
        self.keep = true;
        self.dir.clone()
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.keep {
            std::fs::remove_dir_all(&self.dir).ok();
        }
    }
}

fn mismatch(what: String, detail: String) -> ModelError {
    ModelError::Mismatch { what, detail }
}

/// Every pinned file present with its size and hash; reports all differences at once.
pub fn compare_pins(found: &[PinnedFile], pins: &[PinnedFile]) -> std::result::Result<(), String> {
    let problems: Vec<String> = pins
        .iter()
        .filter_map(|pin| match found.iter().find(|f| f.name == pin.name) {
            None => Some(format!("{} is missing", pin.name)),
            Some(f) if f.size != pin.size => Some(format!(
                "{} has {} bytes, expected {}",
                pin.name, f.size, pin.size
            )),
            Some(f) if f.sha256 != pin.sha256 => Some(format!(
                "{} has SHA-256 {}, expected {}",
                pin.name, f.sha256, pin.sha256
            )),
            Some(_) => None,
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Hashes the pinned files in `dir` and compares.
fn check_files(dir: &Path, pins: &[PinnedFile]) -> std::result::Result<(), String> {
    let found: Vec<PinnedFile> = pins
        .iter()
        .filter_map(|pin| {
            let (size, sha256) = hash_file(&dir.join(&pin.name)).ok()?;
            Some(PinnedFile {
                name: pin.name.clone(),
                size,
                sha256,
            })
        })
        .collect();
    compare_pins(&found, pins)
}

/// The id a local install gets: asked for, else the catalog's, else derived from the name.
fn choose_id(asked: Option<&str>, catalog: Option<&str>, name: &str) -> Result<String> {
    let id = match (asked, catalog) {
        (Some(id), _) | (None, Some(id)) => id.to_string(),
        (None, None) => derive_id(name),
    };
    if is_valid_id(&id) {
        Ok(id)
    } else {
        Err(ModelError::InvalidId { id })
    }
}

/// `sherpa-onnx-zipformer-xx-2025.tar.bz2` → `zipformer-xx-2025`.
pub fn derive_id(name: &str) -> String {
    let stem = name.strip_suffix(".tar.bz2").unwrap_or(name);
    let stem = stem.strip_prefix("sherpa-onnx-").unwrap_or(stem);
    let id: String = stem
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    id.trim_start_matches('.').to_string()
}

fn sorted(mut files: Vec<PinnedFile>) -> Vec<PinnedFile> {
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

fn runtime_files_in(folder: &Path) -> Result<Vec<String>> {
    let entries = std::fs::read_dir(folder).map_err(io("read", folder))?;
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| is_runtime_file(n))
        .collect();
    names.sort();
    Ok(names)
}

fn copy_hashed(from: &Path, to: &Path) -> Result<PinnedFile> {
    std::fs::copy(from, to).map_err(io("copy", from))?;
    let (size, sha256) = hash_file(to)?;
    let name = to
        .file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned();
    Ok(PinnedFile { name, size, sha256 })
}

/// A model the catalog does not vouch for must at least load as a transducer.
fn validate_with_engine(dir: &Path, source: &Path) -> Result<()> {
    let options = noi_engine::model::ModelOptions { threads: 1 };
    noi_engine::model::Transducer::load(dir, options)
        .map(drop)
        .map_err(|e| ModelError::NotAModel {
            path: source.to_path_buf(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(name: &str, size: u64, hash: char) -> PinnedFile {
        PinnedFile {
            name: name.into(),
            size,
            sha256: hash.to_string().repeat(64),
        }
    }

    #[test]
    fn pins_report_every_difference() {
        let pins = [pin("a", 1, 'a'), pin("b", 2, 'b'), pin("c", 3, 'c')];
        assert_eq!(compare_pins(&pins, &pins), Ok(()));
        let found = [pin("a", 1, 'a'), pin("b", 2, 'f'), pin("x", 3, 'c')];
        let err = compare_pins(&found, &pins).unwrap_err();
        assert!(err.contains("b has SHA-256 ffff"), "{err}");
        assert!(err.contains("c is missing"), "{err}");
        let short = [pin("a", 9, 'a')];
        assert!(
            compare_pins(&short, &pins[..1])
                .unwrap_err()
                .contains("9 bytes, expected 1")
        );
    }

    #[test]
    fn ids_for_local_installs() {
        assert_eq!(
            derive_id("sherpa-onnx-zipformer-vi-30M-int8-2026-02-09.tar.bz2"),
            "zipformer-vi-30m-int8-2026-02-09"
        );
        assert_eq!(derive_id("My Model"), "my-model");
        assert_eq!(derive_id(".hidden"), "hidden");
        assert_eq!(choose_id(Some("x"), Some("y"), "z").unwrap(), "x");
        assert_eq!(choose_id(None, Some("y"), "z").unwrap(), "y");
        assert_eq!(choose_id(None, None, "tiny-model").unwrap(), "tiny-model");
        assert!(matches!(
            choose_id(Some("../x"), None, "z"),
            Err(ModelError::InvalidId { .. })
        ));
        assert!(choose_id(None, None, "").is_err());
    }
}
