//! The models section: every catalog entry (and any model installed from elsewhere) with its
//! size, licence and installed state; downloads with progress and cancel; installs from a
//! local archive or folder; removal.
//!
//! Downloads and installs run on their own threads. Progress goes out as
//! [`events::MODEL_PROGRESS`] (throttled to whole percents and phase changes) and the end as
//! [`events::MODEL_FINISHED`]; the command itself returns at once. A cancelled download keeps
//! its partial file, so downloading again resumes it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use noi_models::progress::OnEvent;
use noi_models::{
    Catalog, Event as InstallEvent, InstallOptions, Installed, Installer, ModelStore,
};
use serde::Serialize;
use tauri::{AppHandle, State};

use super::{emit, events};
use crate::core::AppCore;

/// One row of the models list.
#[derive(Debug, Clone, Serialize)]
pub struct ModelView {
    pub id: String,
    pub name: String,
    pub description: String,
    /// SPDX id, e.g. "Apache-2.0".
    pub license: String,
    /// A restriction worth reading before use ("non-commercial use only").
    pub license_note: Option<String>,
    /// Bytes to download, when the catalog pins them.
    pub download_size: Option<u64>,
    /// Bytes on disk once installed.
    pub installed_size: Option<u64>,
    pub installed: bool,
    /// False for a model installed from a file that the catalog does not list.
    pub in_catalog: bool,
    pub downloading: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelList {
    pub models: Vec<ModelView>,
    /// The settings' choice (none: the default installed model).
    pub active: Option<String>,
    /// The model the engine has loaded now.
    pub loaded: Option<String>,
    /// Set when the catalog could not be read (the installed models are still listed).
    pub catalog_error: Option<String>,
}

/// Progress of one install, for the progress bar.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub id: String,
    /// waiting | connecting | downloading | retrying | verifying | extracting
    pub phase: &'static str,
    pub done: u64,
    pub total: Option<u64>,
    /// 0–100 when the total is known.
    pub percent: Option<u8>,
    /// Why a retry is happening.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finished {
    /// The download's id, or for a file install the path given.
    pub id: String,
    /// The installed model's id on success.
    pub installed: Option<String>,
    pub cancelled: bool,
    pub error: Option<String>,
}

/// Cancel flags of the installs running now, by id.
static RUNNING: LazyLock<Mutex<HashMap<String, Arc<AtomicBool>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn running_ids() -> Vec<String> {
    RUNNING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .keys()
        .cloned()
        .collect()
}

#[tauri::command(async)]
pub fn list_models(core: State<'_, Arc<AppCore>>) -> ModelList {
    let installed = ModelStore::open_default()
        .map(|store| store.installed())
        .unwrap_or_default();
    let downloading = running_ids();
    let (catalog, catalog_error) = match Catalog::load_default() {
        Ok(catalog) => (Some(catalog), None),
        Err(error) => (None, Some(error.to_string())),
    };
    let mut models: Vec<ModelView> = catalog
        .iter()
        .flat_map(|c| &c.models)
        .map(|m| {
            let here = installed.iter().find(|i| i.id == m.id);
            ModelView {
                id: m.id.clone(),
                name: m.name.clone(),
                description: m.description.clone(),
                license: m.license.clone(),
                license_note: m.license_note.clone(),
                download_size: m.archive_size,
                installed_size: here.and_then(|i| i.size()).or(Some(m.installed_size())),
                installed: here.is_some(),
                in_catalog: true,
                downloading: downloading.contains(&m.id),
            }
        })
        .collect();
    let unlisted: Vec<ModelView> = installed
        .iter()
        .filter(|i| !models.iter().any(|m| m.id == i.id))
        .map(unlisted_view)
        .collect();
    models.extend(unlisted);
    ModelList {
        models,
        active: core.settings().model.active,
        loaded: core.server.current_engine().map(|e| e.info.id.clone()),
        catalog_error,
    }
}

/// A model installed from a file the catalog does not list: what its manifest says.
fn unlisted_view(model: &noi_models::InstalledModel) -> ModelView {
    let manifest = model.manifest.as_ref();
    ModelView {
        id: model.id.clone(),
        name: manifest.map_or_else(|| model.id.clone(), |m| m.name.clone()),
        description: manifest.map_or_else(String::new, |m| m.source.clone()),
        license: manifest.and_then(|m| m.license.clone()).unwrap_or_default(),
        license_note: None,
        download_size: None,
        installed_size: model.size(),
        installed: true,
        in_catalog: false,
        downloading: false,
    }
}

/// Starts downloading catalog model `id`; progress and the end arrive as events.
#[tauri::command(async)]
pub fn download_model(app: AppHandle, id: String) -> Result<(), String> {
    let cancel = register(&id)?;
    let catalog_id = id.clone();
    let job: Job = Box::new(move |installer: &Installer, on_event: OnEvent| {
        installer.download(&catalog_id, on_event)
    });
    spawn_job(app, id, job, cancel)
}

/// Installs a local `.tar.bz2` archive or model folder (offline install).
#[tauri::command(async)]
pub fn install_model_file(app: AppHandle, path: String) -> Result<(), String> {
    let path = PathBuf::from(path.trim());
    if !path.exists() {
        return Err(format!(
            "{} does not exist: give the path of a .tar.bz2 model archive or a model folder",
            path.display()
        ));
    }
    let job_id = path.display().to_string();
    let cancel = register(&job_id)?;
    let job: Job = Box::new(move |installer: &Installer, on_event: OnEvent| {
        installer.install_path(&path, None, on_event)
    });
    spawn_job(app, job_id, job, cancel)
}

/// Stops download `id`; its partial file stays for a resume. False when none was running.
#[tauri::command(async)]
pub fn cancel_download(id: String) -> bool {
    let flag = RUNNING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .cloned();
    flag.map(|f| f.store(true, Ordering::SeqCst)).is_some()
}

/// Deletes installed model `id`. When it was the active one, the next installed model (if
/// any) becomes active, so dictation keeps working.
#[tauri::command(async)]
pub fn remove_model(
    app: AppHandle,
    core: State<'_, Arc<AppCore>>,
    id: String,
) -> Result<(), String> {
    let store = ModelStore::open_default().map_err(|e| e.to_string())?;
    let catalog = Catalog::load_default().map_err(|e| e.to_string())?;
    let installer = Installer {
        store: &store,
        catalog: &catalog,
        options: InstallOptions::from_env(),
    };
    installer
        .remove(&id, &mut |_| {})
        .map_err(|e| e.to_string())?;
    let was_in_use = core.settings().model.active.as_deref() == Some(id.as_str())
        || core
            .server
            .current_engine()
            .is_some_and(|e| e.info.id == id);
    if was_in_use && let Some(next) = store.installed().into_iter().next() {
        let mut settings = core.settings();
        settings.model.active = Some(next.id);
        crate::app::apply_settings(&app, settings)?;
    }
    crate::app::models_changed(&app);
    Ok(())
}

/// Claims `id` for one install; an error when one is already running.
fn register(id: &str) -> Result<Arc<AtomicBool>, String> {
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    if running.contains_key(id) {
        return Err(format!("{id} is already being installed"));
    }
    let flag = Arc::new(AtomicBool::new(false));
    running.insert(id.to_owned(), Arc::clone(&flag));
    Ok(flag)
}

/// One install, run on the install thread with the installer and a progress callback.
type Job = Box<dyn FnOnce(&Installer, OnEvent) -> noi_models::Result<Installed> + Send>;

/// Runs one install on its own thread with progress events; the end is an event too, after
/// which the tray's and the API's model lists follow.
fn spawn_job(app: AppHandle, id: String, job: Job, cancel: Arc<AtomicBool>) -> Result<(), String> {
    let thread_id = id.clone();
    std::thread::Builder::new()
        .name("noi-model-install".into())
        .spawn(move || {
            let result = run_job(&app, &thread_id, job, &cancel);
            RUNNING
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&thread_id);
            let cancelled = cancel.load(Ordering::SeqCst) && result.is_err();
            let finished = Finished {
                id: thread_id,
                installed: result.as_ref().ok().cloned(),
                cancelled,
                error: result.err().filter(|_| !cancelled),
            };
            if finished.installed.is_some() {
                crate::app::models_changed(&app);
            }
            emit(&app, events::MODEL_FINISHED, finished);
        })
        .map(|_| ())
        .map_err(|e| {
            RUNNING
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            e.to_string()
        })
}

fn run_job(
    app: &AppHandle,
    id: &str,
    job: Job,
    cancel: &Arc<AtomicBool>,
) -> Result<String, String> {
    let store = ModelStore::open_default().map_err(|e| e.to_string())?;
    let catalog = Catalog::load_default().map_err(|e| e.to_string())?;
    let mut options = InstallOptions::from_env();
    options.download.cancel = Some(Arc::clone(cancel));
    let installer = Installer {
        store: &store,
        catalog: &catalog,
        options,
    };
    let mut reporter = Reporter::new(app.clone(), id);
    let installed =
        job(&installer, &mut |event| reporter.report(event)).map_err(|e| e.to_string())?;
    Ok(installed.model.id)
}

/// Turns install events into progress events, skipping ones that would not move the bar.
struct Reporter {
    app: AppHandle,
    id: String,
    last: Option<(&'static str, Option<u8>)>,
}

impl Reporter {
    fn new(app: AppHandle, id: &str) -> Self {
        Reporter {
            app,
            id: id.to_owned(),
            last: None,
        }
    }

    fn report(&mut self, event: InstallEvent) {
        let progress = self.progress(event);
        let key = (progress.phase, progress.percent);
        if self.last == Some(key) && progress.detail.is_none() {
            return;
        }
        self.last = Some(key);
        emit(&self.app, events::MODEL_PROGRESS, progress);
    }

    fn progress(&self, event: InstallEvent) -> Progress {
        let mut progress = Progress {
            id: self.id.clone(),
            phase: "connecting",
            done: 0,
            total: None,
            percent: None,
            detail: None,
        };
        match event {
            InstallEvent::WaitingForLock { .. } => progress.phase = "waiting",
            InstallEvent::Connecting { from, .. } => progress.done = from,
            InstallEvent::Downloaded { done, total } => {
                progress.phase = "downloading";
                progress.done = done;
                progress.total = total;
                progress.percent = percent(done, total);
            }
            InstallEvent::Retrying { reason, .. } => {
                progress.phase = "retrying";
                progress.detail = Some(reason);
            }
            InstallEvent::Verifying => progress.phase = "verifying",
            InstallEvent::Extracting | InstallEvent::Installed { .. } => {
                progress.phase = "extracting"
            }
        }
        progress
    }
}

pub fn percent(done: u64, total: Option<u64>) -> Option<u8> {
    total
        .filter(|&t| t > 0)
        .map(|t| (done.saturating_mul(100) / t).min(100) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_whole_and_capped() {
        assert_eq!(percent(0, Some(200)), Some(0));
        assert_eq!(percent(199, Some(200)), Some(99));
        assert_eq!(percent(250, Some(200)), Some(100));
        assert_eq!(percent(5, None), None);
        assert_eq!(percent(5, Some(0)), None);
    }

    #[test]
    fn one_install_per_id_at_a_time() {
        let id = "test-register-twice";
        let _flag = register(id).unwrap();
        assert!(register(id).unwrap_err().contains("already"));
        RUNNING.lock().unwrap().remove(id);
        assert!(register(id).is_ok());
        RUNNING.lock().unwrap().remove(id);
    }
}
