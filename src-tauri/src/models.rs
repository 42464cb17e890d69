//! Loading the speech model into the shared engine slot (dictation and the API use the same
//! one), and the catalog's default model as the first-run offer. Installing is
//! `model_service`'s job.

use std::sync::Arc;

use noi_desktop_core::settings::Settings;
use noi_desktop_core::tray_status::{DownloadOffer, ModelState};
use noi_engine::Recognizer;
use noi_engine::config::{EngineConfig, HotwordConfig, ResolvedConfig};
use noi_models::{Catalog, ModelError, ModelStore};
use noi_server::Engine;

use crate::core::{AppCore, EngineAvailability};

/// Ids of the installed models.
pub fn installed_ids() -> Vec<String> {
    ModelStore::open_default()
        .map(|store| store.installed_ids())
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
/// the engine slot, and records whether dictation can run. Takes a second or two: call it off
/// the UI thread. A dictation started meanwhile keeps its audio until this ends.
pub fn load_active(core: &AppCore) -> ModelState {
    core.set_engine_availability(EngineAvailability::Loading);
    core.server.set_installed(installed_ids());
    let state = load(core);
    let availability = match &state {
        ModelState::Loaded(_) => EngineAvailability::Ready,
        ModelState::NoneInstalled { .. } => EngineAvailability::Unavailable(
            "no speech model is installed: choose \"Download speech model\" in the tray menu"
                .into(),
        ),
        ModelState::Failed(reason) => EngineAvailability::Unavailable(reason.clone()),
        ModelState::Loading => EngineAvailability::Loading,
    };
    core.set_engine_availability(availability);
    state
}

/// Test hook: loading takes this much longer (a slow disk, a large model), so the tests can
/// dictate while it loads.
const LOAD_DELAY_ENV: &str = "NOI_TEST_MODEL_LOAD_DELAY_MS";

fn load(core: &AppCore) -> ModelState {
    if let Some(delay) = std::env::var(LOAD_DELAY_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(delay));
    }
    let active = core.settings().model.active;
    let resolved =
        noi_models::resolve_model(core.model_dir.as_deref(), active.as_deref()).or_else(|error| {
            match (&active, &error) {
                // A chosen model that was removed: fall back to whatever is installed.
                (Some(_), ModelError::NotInstalled { .. }) => noi_models::resolve_model(None, None),
                _ => Err(error),
            }
        });
    let resolved = match resolved {
        Ok(resolved) => resolved,
        Err(ModelError::NoModelInstalled { .. }) => {
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
    let config = engine_config(&core.settings());
    match Recognizer::load(&resolved.dir, config.model_options()) {
        Ok(recognizer) => {
            let recognizer = Arc::new(recognizer);
            let search = resolve_search(&config, &recognizer);
            let engine = Engine::new(recognizer, resolved.id.clone()).with_config(search);
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

/// The engine configuration the settings ask for: greedy search, or modified beam search with
/// the hotword graph when the hotword list has phrases (noi_engine::config's rule).
fn engine_config(settings: &Settings) -> EngineConfig {
    EngineConfig {
        hotwords: HotwordConfig::from_phrases(settings.text.hotwords.clone()),
        ..EngineConfig::default()
    }
}

/// The search for `recognizer`'s model. Hotwords that cannot be used (no `bpe.model`, a
/// phrase it cannot spell) are reported and left out: dictation works without them.
fn resolve_search(config: &EngineConfig, recognizer: &Recognizer) -> ResolvedConfig {
    config.resolve(recognizer).unwrap_or_else(|error| {
        tracing::warn!("hotwords not used: {error}");
        EngineConfig::default()
            .resolve(recognizer)
            .expect("greedy search without hotwords always resolves")
    })
}

/// The hotword list changed: the loaded model gets the new search at once (no reload).
pub fn apply_hotwords(core: &AppCore) {
    let Some(engine) = core.server.current_engine() else {
        return;
    };
    let search = resolve_search(&engine_config(&core.settings()), &engine.recognizer);
    let updated =
        Engine::new(Arc::clone(&engine.recognizer), engine.info.id.clone()).with_config(search);
    core.server.set_engine(Some(Arc::new(updated)));
}
