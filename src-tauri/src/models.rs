//! The app's speech model: loading the active one into the shared engine slot (dictation and
//! the API use the same), switching, and the first-run download of the default model.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use noi_engine::Recognizer;
use noi_engine::model::ModelOptions;
use noi_models::{Catalog, Event as InstallEvent, InstallOptions, Installer, ModelStore};
use noi_server::Engine;

use crate::core::AppCore;

/// What the tray shows about models.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelState {
    Loaded(String),
    /// Nothing installed: the tray offers the default model.
    NoneInstalled {
        offer: DownloadOffer,
    },
    Downloading {
        id: String,
        percent: Option<u8>,
    },
    Failed(String),
}

/// The default model as offered on first run: what it is, how big, under which licence.
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadOffer {
    pub id: String,
    pub name: String,
    pub size_mb: u64,
    pub license: String,
}

impl DownloadOffer {
    /// The tray's menu text, e.g. "Download the Vietnamese model (zipformer-vi-int8, 71 MB,
    /// Apache-2.0)…".
    pub fn label(&self) -> String {
        format!(
            "Download speech model {} ({} MB, {})…",
            self.id, self.size_mb, self.license
        )
    }
}

/// Ids of the installed models.
pub fn installed_ids() -> Vec<String> {
    ModelStore::open_default()
        .map(|store| store.installed().into_iter().map(|m| m.id).collect())
        .unwrap_or_default()
}

/// The catalog's default model, as an offer.
pub fn default_offer() -> Option<DownloadOffer> {
    let catalog = Catalog::load_default().ok()?;
    let model = catalog.get(&catalog.default)?;
    Some(DownloadOffer {
        id: model.id.clone(),
        name: model.name.clone(),
        size_mb: model.archive_size.unwrap_or(0).div_ceil(1_000_000),
        license: model.license_label(),
    })
}

/// Loads the model the settings name (or `--model-dir`, or the default installed one) into
/// the engine slot. Loading takes a second or two; call off the UI thread.
pub fn load_active(core: &AppCore) -> ModelState {
    core.server.set_installed(installed_ids());
    let active = core.settings().model.active;
    let resolved =
        noi_models::resolve_model(core.model_dir.as_deref(), active.as_deref()).or_else(|error| {
            match (&active, &error) {
                // A chosen model that was removed: fall back to whatever is installed.
                (Some(_), noi_models::ModelError::NotInstalled { .. }) => {
                    noi_models::resolve_model(None, None)
                }
                _ => Err(error),
            }
        });
    let resolved = match resolved {
        Ok(resolved) => resolved,
        Err(noi_models::ModelError::NoModelInstalled { .. }) => {
            core.server.set_engine(None);
            return match default_offer() {
                Some(offer) => {
                    tracing::warn!("No speech model installed; the tray offers {}", offer.id);
                    ModelState::NoneInstalled { offer }
                }
                None => ModelState::Failed("no model installed and no catalog".into()),
            };
        }
        Err(error) => return ModelState::Failed(error.to_string()),
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    match Recognizer::load(&resolved.dir, ModelOptions { threads }) {
        Ok(recognizer) => {
            let engine = Engine::new(Arc::new(recognizer), resolved.id.clone());
            core.server.set_engine(Some(Arc::new(engine)));
            tracing::info!("model {} loaded", resolved.id);
            ModelState::Loaded(resolved.id)
        }
        Err(error) => ModelState::Failed(format!(
            "cannot load the model in {}: {error}",
            resolved.dir.display()
        )),
    }
}

/// Downloads and installs catalog model `id`, reporting progress, then makes it active and
/// loads it. `cancel` stops the download (the partial file is kept for a later resume).
pub fn download_and_activate(
    core: &AppCore,
    id: &str,
    cancel: Arc<AtomicBool>,
    progress: &dyn Fn(ModelState),
) -> ModelState {
    let result = (|| -> Result<(), String> {
        let store = ModelStore::open_default().map_err(|e| e.to_string())?;
        let catalog = Catalog::load_default().map_err(|e| e.to_string())?;
        let mut options = InstallOptions::from_env();
        options.download.cancel = Some(Arc::clone(&cancel));
        let installer = Installer {
            store: &store,
            catalog: &catalog,
            options,
        };
        let mut last_percent = None;
        installer
            .download(id, &mut |event| {
                if let InstallEvent::Downloaded { done, total } = event {
                    let percent = total
                        .filter(|&t| t > 0)
                        .map(|t| (done.saturating_mul(100) / t).min(100) as u8);
                    if percent != last_percent {
                        last_percent = percent;
                        progress(ModelState::Downloading {
                            id: id.to_owned(),
                            percent,
                        });
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(())
    })();
    if let Err(error) = result {
        if cancel.load(Ordering::Relaxed) {
            return ModelState::Failed("download cancelled; choose it again to resume".into());
        }
        return ModelState::Failed(error);
    }
    let owned = id.to_owned();
    if let Err(error) = core.update_settings(|s| s.model.active = Some(owned)) {
        tracing::warn!("cannot save the settings: {error}");
    }
    load_active(core)
}
