//! The models section: every catalog entry (and any model installed from elsewhere) with its
//! size, licence and installed state, and the jobs of the one model service (downloads with
//! progress and cancel, installs from a local archive or folder), which the tray shares:
//! progress and ends reach the window as events whoever started the job.

use std::path::PathBuf;
use std::sync::Arc;

use noi_models::{Catalog, ModelStore};
use serde::Serialize;
use tauri::State;

use super::{said, said_all};
use crate::desktop::Desktop;
use crate::model_service::Progress;

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
    /// The running download's latest progress (it may have been started in the tray).
    pub progress: Option<Progress>,
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

#[tauri::command(async)]
pub fn list_models(desktop: State<'_, Arc<Desktop>>) -> ModelList {
    let installed = ModelStore::open_default()
        .map(|store| store.installed())
        .unwrap_or_default();
    let running = desktop.models.running();
    let job = |id: &str| running.iter().find(|(job, _)| job == id);
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
                downloading: job(&m.id).is_some(),
                progress: job(&m.id).and_then(|(_, progress)| progress.clone()),
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
        active: desktop.settings().model.active,
        loaded: desktop
            .core
            .server
            .current_engine()
            .map(|e| e.info.id.clone()),
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
        progress: None,
    }
}

/// Starts downloading catalog model `id`; progress and the end arrive as events.
#[tauri::command(async)]
pub fn download_model(desktop: State<'_, Arc<Desktop>>, id: String) -> Result<(), String> {
    desktop
        .models
        .download(&id)
        .map_err(|problem| said(&desktop, problem))
}

/// Installs a local `.tar.bz2` archive or model folder (offline install).
#[tauri::command(async)]
pub fn install_model_file(desktop: State<'_, Arc<Desktop>>, path: String) -> Result<(), String> {
    desktop
        .models
        .install_path(PathBuf::from(path.trim()))
        .map_err(|problem| said(&desktop, problem))
}

/// Stops download `id` (whoever started it); its partial file stays for a resume. False
/// when none was running.
#[tauri::command(async)]
pub fn cancel_download(desktop: State<'_, Arc<Desktop>>, id: String) -> bool {
    desktop.models.cancel(&id)
}

/// Deletes installed model `id`; another installed one takes over when it was in use.
#[tauri::command(async)]
pub fn remove_model(desktop: State<'_, Arc<Desktop>>, id: String) -> Result<(), String> {
    desktop
        .remove_model(&id)
        .map_err(|problems| said_all(&desktop, problems))
}
