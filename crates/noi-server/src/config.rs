//! What the server is told at start: address, access rules, limits (phostt's flags and
//! defaults) and text options. The search method belongs to the loaded model ([`crate::Engine`]):
//! its hotword graph is built for that model's vocabulary.

use std::time::Duration;

use noi_text::TextOptions;

use crate::policy::OriginPolicy;

/// Input rates a stream may declare; anything else is `invalid_sample_rate`.
pub const SUPPORTED_RATES: [u32; 5] = [8000, 16000, 24000, 44100, 48000];

/// The rate a WebSocket stream assumes until told otherwise (phostt's default).
pub const DEFAULT_STREAM_RATE: u32 = 48000;

#[derive(Debug, Clone)]
pub struct Limits {
    pub body_limit_bytes: usize,
    /// Longest audio one REST request may hold.
    pub max_audio_secs: u64,
    pub ws_frame_max_bytes: usize,
    /// A WebSocket with no frame for this long gets its final and is closed.
    pub idle_timeout: Duration,
    /// Longest WebSocket session (None: no cap).
    pub max_session: Option<Duration>,
    /// How long open streams get to send their finals at shutdown.
    pub shutdown_drain: Duration,
    /// Requests per minute per client address; 0 turns rate limiting off.
    pub rate_limit_per_minute: u32,
    pub rate_limit_burst: u32,
    /// Whole-file transcriptions running at once (`pool_size` in /v1/models).
    pub pool_size: usize,
    /// How long a whole-file transcription waits for a free slot before `timeout`.
    pub queue_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_limit_bytes: 50 * 1024 * 1024,
            max_audio_secs: 600,
            ws_frame_max_bytes: 512 * 1024,
            idle_timeout: Duration::from_secs(300),
            max_session: Some(Duration::from_secs(3600)),
            shutdown_drain: Duration::from_secs(10),
            rate_limit_per_minute: 0,
            rate_limit_burst: 10,
            pool_size: 4,
            queue_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// Required bearer token, if any.
    pub token: Option<String>,
    pub origins: OriginPolicy,
    /// `Host` names accepted besides loopback ones (`--allow-host`; see `policy::host_allowed`).
    pub allowed_hosts: Vec<String>,
    pub limits: Limits,
    pub metrics: bool,
    /// Believe `X-Forwarded-For`/`X-Real-IP` (only behind a reverse proxy you run).
    pub trust_proxy: bool,
    pub text: TextOptions,
}
