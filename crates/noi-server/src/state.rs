//! What every handler shares: the engine (if a model is loaded), the configuration, the
//! whole-file transcription slots, metrics, and the shutdown signal.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock, RwLock};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use noi_engine::Recognizer;
use noi_engine::config::ResolvedConfig;
use noi_engine::search::SearchMethod;
use noi_text::TextOptions;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use utoipa::ToSchema;

use crate::config::ServerConfig;
use crate::metrics::Metrics;

/// The loaded model, how streams and files search it, and what the API says about it.
pub struct Engine {
    pub recognizer: Arc<Recognizer>,
    /// Search method and segmenter. Per model, not per server: a hotword graph is built for
    /// one model's vocabulary ([`noi_engine::config::EngineConfig::resolve`]).
    pub config: ResolvedConfig,
    pub info: ModelInfo,
}

#[derive(Debug, Clone)]
pub struct ModelInfo {
    /// Catalog id, or the folder name of a `--model-dir`.
    pub id: String,
    pub name: String,
    pub int8: bool,
    pub vocab_size: usize,
}

impl Engine {
    pub fn new(recognizer: Arc<Recognizer>, id: impl Into<String>) -> Self {
        let id = id.into();
        let model = recognizer.model();
        let info = ModelInfo {
            name: id.clone(),
            id,
            int8: model.files().encoder_is_int8(),
            vocab_size: model.dims().vocab_size,
        };
        Engine {
            recognizer,
            config: ResolvedConfig {
                method: SearchMethod::Greedy,
                segmenter: None,
            },
            info,
        }
    }

    /// Decodes with `config` (from [`noi_engine::config::EngineConfig::resolve`] for this
    /// model) instead of greedy search and the default segmenters.
    pub fn with_config(self, config: ResolvedConfig) -> Self {
        Engine { config, ..self }
    }
}

/// Dictation control for the desktop app's coordinator (`/v1/dictation/*`). `noi serve` has
/// none, and those routes answer 404 there.
pub trait DictationControl: Send + Sync {
    fn start(&self) -> Result<DictationStatus, String>;
    fn stop(&self) -> Result<DictationStatus, String>;
    fn cancel(&self) -> Result<DictationStatus, String>;
    fn status(&self) -> DictationStatus;
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DictationStatus {
    /// `idle`, `recording`, `finishing` or `error`.
    pub state: String,
    /// The last transcript's text, when there is one and the caller may see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_text: Option<String>,
}

/// Who may call the API: the bearer token and the browser origins besides loopback ones.
/// Starts as the [`ServerConfig`]'s; the desktop app changes it live from its settings.
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub token: Option<String>,
    pub origins: crate::policy::OriginPolicy,
}

pub struct AppState {
    /// The loaded model; the desktop app swaps it when the user picks another one or the first
    /// download finishes. Requests take their own `Arc`, so a swap never disturbs one running.
    engine: RwLock<Option<Arc<Engine>>>,
    /// Limits, decoding and text options. Its token and origins are only the starting
    /// [`Access`]: read them with [`AppState::access`].
    pub config: ServerConfig,
    access: RwLock<Access>,
    /// How text is written (casing, punctuation, replacements, written Vietnamese). Starts as
    /// the config's; the desktop app changes it live from its settings.
    text: RwLock<TextOptions>,
    /// Ids of the installed models (for /v1/models).
    installed: RwLock<Vec<String>>,
    /// Whole-file transcriptions running at once; streams do not take slots.
    pub slots: Arc<Semaphore>,
    pub metrics: Metrics,
    pub limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Cancelled when the server starts shutting down.
    pub shutdown: CancellationToken,
    /// Cancelled shortly before the drain window ends: whole-file requests still decoding
    /// stop and answer 503 `shutting_down`, rather than lose their connection unanswered.
    pub drain_ending: CancellationToken,
    /// Open streams, awaited (within the drain window) at shutdown.
    pub streams: TaskTracker,
    /// The desktop app's coordinator, set once after the app is wired (`noi serve`: none).
    dictation: OnceLock<Arc<dyn DictationControl>>,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    pub fn new(engine: Option<Arc<Engine>>, config: ServerConfig) -> Self {
        let limiter = rate_limiter(
            config.limits.rate_limit_per_minute,
            config.limits.rate_limit_burst,
        );
        AppState {
            engine: RwLock::new(engine),
            access: RwLock::new(Access {
                token: config.token.clone(),
                origins: config.origins.clone(),
            }),
            slots: Arc::new(Semaphore::new(config.limits.pool_size.max(1))),
            text: RwLock::new(config.text.clone()),
            config,
            installed: RwLock::new(Vec::new()),
            metrics: Metrics::new(),
            limiter,
            shutdown: CancellationToken::new(),
            drain_ending: CancellationToken::new(),
            streams: TaskTracker::new(),
            dictation: OnceLock::new(),
        }
    }

    /// The engine, or the `model_not_loaded` answer.
    pub fn engine(&self) -> Result<Arc<Engine>, crate::error::ApiError> {
        self.current_engine()
            .ok_or_else(crate::error::ApiError::model_not_loaded)
    }

    pub fn current_engine(&self) -> Option<Arc<Engine>> {
        self.engine
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the loaded model (`None`: unloaded, the server answers `model_not_loaded`).
    pub fn set_engine(&self, engine: Option<Arc<Engine>>) {
        *self.engine.write().unwrap_or_else(|e| e.into_inner()) = engine;
    }

    pub fn installed(&self) -> Vec<String> {
        self.installed
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_installed(&self, ids: Vec<String>) {
        *self.installed.write().unwrap_or_else(|e| e.into_inner()) = ids;
    }

    pub fn access(&self) -> Access {
        self.access
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the token and allowed origins; the next request is checked against them.
    pub fn set_access(&self, access: Access) {
        *self.access.write().unwrap_or_else(|e| e.into_inner()) = access;
    }

    /// The text options in force (read per request or partial).
    pub fn text_options(&self) -> TextOptions {
        self.text.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the text options; the next transcript or partial is written with them.
    pub fn set_text_options(&self, options: TextOptions) {
        *self.text.write().unwrap_or_else(|e| e.into_inner()) = options;
    }

    /// Connects dictation control (once; later calls are ignored).
    pub fn set_dictation(&self, control: Arc<dyn DictationControl>) {
        let _ = self.dictation.set(control);
    }

    pub fn dictation(&self) -> Option<&dyn DictationControl> {
        self.dictation.get().map(|c| c.as_ref())
    }

    pub fn model_id(&self) -> String {
        self.current_engine()
            .map_or_else(|| "none".to_owned(), |e| e.info.id.clone())
    }
}

fn rate_limiter(per_minute: u32, burst: u32) -> Option<DefaultKeyedRateLimiter<IpAddr>> {
    let per_minute = NonZeroU32::new(per_minute)?;
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Some(RateLimiter::keyed(
        Quota::per_minute(per_minute).allow_burst(burst),
    ))
}
