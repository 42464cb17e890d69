//! `noi serve`: the loopback API (docs/api.md) over one loaded model, until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use noi_engine::Recognizer;
use noi_engine::config::EngineConfig;
use noi_server::policy::is_loopback_host;
use noi_server::{AppState, Engine, Limits, OriginPolicy, ServerConfig};

use crate::hotwords::HotwordArgs;
use crate::{ModelArgs, TextArgs};

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    hotwords: HotwordArgs,
    #[command(flatten)]
    text: TextArgs,
    /// Port to listen on (0: any free port; the chosen one is printed).
    #[arg(short, long, default_value_t = 9876)]
    port: u16,
    /// Address to bind. Loopback by default; anything else needs --bind-all.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Allow a non-loopback --host: anyone who can reach it can use the server.
    #[arg(long)]
    bind_all: bool,
    /// Require `Authorization: Bearer TOKEN` (or `?token=` on WebSocket URLs).
    #[arg(long, env = "NOI_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Another browser origin allowed to call the API (repeatable; loopback ones always are).
    #[arg(long = "allow-origin", value_name = "URL")]
    allow_origin: Vec<String>,
    /// Another `Host` name the server answers to (repeatable). Loopback names always are; with
    /// --bind-all, the --host address too. Others are refused (DNS rebinding).
    #[arg(long = "allow-host", value_name = "NAME")]
    allow_host: Vec<String>,
    /// Allow every browser origin.
    #[arg(long)]
    cors_allow_any: bool,
    /// Serve Prometheus metrics at /metrics.
    #[arg(long)]
    metrics: bool,
    /// Believe X-Forwarded-For / X-Real-IP (only behind your own reverse proxy).
    #[arg(long)]
    trust_proxy: bool,
    /// Whole-file transcriptions at once (more wait, up to 30 s, then get 503).
    #[arg(long, default_value_t = 4)]
    pool_size: usize,
    /// WebSocket idle timeout in seconds.
    #[arg(long, default_value_t = 300)]
    idle_timeout_secs: u64,
    /// Largest WebSocket frame in bytes (larger ones close the socket with 1009).
    #[arg(long, default_value_t = 512 * 1024)]
    ws_frame_max_bytes: usize,
    /// Largest REST request body in bytes.
    #[arg(long, default_value_t = 50 * 1024 * 1024)]
    body_limit_bytes: usize,
    /// Longest audio per REST request, in seconds.
    #[arg(long, default_value_t = 600)]
    max_audio_secs: u64,
    /// Requests per minute per client address; 0 turns the limit off.
    #[arg(long, default_value_t = 0)]
    rate_limit_per_minute: u32,
    /// Requests a client may make at once before the per-minute rate applies.
    #[arg(long, default_value_t = 10)]
    rate_limit_burst: u32,
    /// Longest WebSocket session in seconds; 0 means no limit.
    #[arg(long, default_value_t = 3600)]
    max_session_secs: u64,
    /// Seconds open streams get at shutdown to receive their finals.
    #[arg(long, default_value_t = 10)]
    shutdown_drain_secs: u64,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    if !is_loopback_host(&args.host) && !args.bind_all {
        anyhow::bail!(
            "refusing to listen on {}: it is not a loopback address, so other machines could \
             send audio here; pass --bind-all if that is what you want",
            args.host
        );
    }
    let config = server_config(&args)?;
    let engine_config = args.model.engine_config(args.hotwords.config());
    noi_engine::allocator::settle_for_a_long_running_process();
    let engine = load_engine(&args.model, &engine_config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("noi-server")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args, config, engine))?;
    // A decode cancelled at the end of the drain window stops at its next chunk; the process
    // need not wait for that (dropping the runtime would).
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    Ok(ExitCode::SUCCESS)
}

/// The engine, or None when no model is installed at all: the server then still answers
/// `/health` (degraded) and says `model_not_loaded`, with the fix, on every transcription.
/// Dictation streams and REST transcriptions search as `config` says (hotwords included).
fn load_engine(model: &ModelArgs, config: &EngineConfig) -> anyhow::Result<Option<Arc<Engine>>> {
    let resolved = match model.resolve() {
        Ok(resolved) => resolved,
        Err(error @ noi_models::ModelError::NoModelInstalled { .. }) => {
            say!("noi: warning: {error}; serving without a model until then");
            return Ok(None);
        }
        Err(error) => return Err(error.into()),
    };
    let recognizer = Recognizer::load(&resolved.dir, config.model_options())
        .with_context(|| format!("cannot load the model in {}", resolved.dir.display()))?;
    let decoding = crate::hotwords::resolve(config, &recognizer)?;
    tracing::info!(model = resolved.id, "decoding with {}", decoding.method);
    let engine = Engine::new(Arc::new(recognizer), resolved.id).with_config(decoding);
    Ok(Some(Arc::new(engine)))
}

/// Ids of the installed models, for `/v1/models`.
fn installed_models() -> Vec<String> {
    noi_models::ModelStore::open_default()
        .map(|store| store.installed().into_iter().map(|m| m.id).collect())
        .unwrap_or_default()
}

fn server_config(args: &ServeArgs) -> anyhow::Result<ServerConfig> {
    Ok(ServerConfig {
        token: args.token.clone().filter(|t| !t.is_empty()),
        origins: OriginPolicy {
            allowed: args.allow_origin.clone(),
            allow_any: args.cors_allow_any,
        },
        allowed_hosts: args
            .allow_host
            .iter()
            .chain(std::iter::once(&args.host))
            .cloned()
            .collect(),
        limits: Limits {
            body_limit_bytes: args.body_limit_bytes,
            max_audio_secs: args.max_audio_secs,
            ws_frame_max_bytes: args.ws_frame_max_bytes,
            idle_timeout: Duration::from_secs(args.idle_timeout_secs.max(1)),
            max_session: (args.max_session_secs > 0)
                .then(|| Duration::from_secs(args.max_session_secs)),
            shutdown_drain: Duration::from_secs(args.shutdown_drain_secs.max(1)),
            rate_limit_per_minute: args.rate_limit_per_minute,
            rate_limit_burst: args.rate_limit_burst,
            pool_size: args.pool_size.max(1),
            ..Limits::default()
        },
        metrics: args.metrics,
        trust_proxy: args.trust_proxy,
        text: args.text.options()?,
    })
}

async fn serve(
    args: ServeArgs,
    config: ServerConfig,
    engine: Option<Arc<Engine>>,
) -> anyhow::Result<()> {
    let host = args.host.trim_start_matches('[').trim_end_matches(']');
    let listener = tokio::net::TcpListener::bind((host, args.port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}:{}; is another server using the port? pick another \
                 with --port",
                args.host, args.port
            )
        })?;
    let address: SocketAddr = listener.local_addr()?;
    let state = AppState::new(engine, config);
    state.set_installed(installed_models());
    let state = Arc::new(state);
    // Scripts and tests read this line to find the port (with --port 0).
    say!("noi: listening on http://{address}");
    noi_server::serve(listener, state, noi_server::shutdown_signal())
        .await
        .context("the server stopped on an error")?;
    say!("noi: stopped");
    Ok(())
}
