//! The recording overlay (ui/overlay.html): a small undecorated, always-on-top window that
//! never takes keyboard focus (the app being dictated into keeps it, so the paste lands
//! there), not in the taskbar, at the bottom (or top) centre of the screen the pointer is on.
//!
//! It follows what the coordinator loop tells it ([`Overlay::begin`], [`Overlay::phase`],
//! [`Overlay::text`]); while a dictation runs a ticker thread redraws it at most
//! `overlay::MAX_REDRAWS_PER_SECOND` times a second (time and level move), and after the
//! dictation ends it lingers a moment and hides. What it decides (the live text, the rate,
//! the lingering) is `noi_desktop_core::overlay`'s.
//!
//! Privacy: the text goes to the local window only; nothing is logged.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use noi_desktop_core::overlay::{Phase, RedrawLimiter, View, shows_text, shows_window};
use noi_desktop_core::session::OverlayPlacement;
use noi_desktop_core::settings::{OverlayPosition, OverlayStyle};
use tauri::{
    AppHandle, Emitter, LogicalSize, Manager, PhysicalPosition, WebviewUrl, WebviewWindow,
    WebviewWindowBuilder,
};

pub const LABEL: &str = "overlay";
/// The event carrying a [`View`] to ui/overlay.js.
pub const VIEW_EVENT: &str = "overlay:view";
const WIDTH: f64 = 520.0;
const HEIGHT: f64 = 112.0;
/// How often the clock and the level meter move: four frames a second keep a muted
/// microphone obvious, and each frame is a software repaint of the window.
const TICK: Duration = Duration::from_millis(250);
/// Distance from the screen's edge.
const MARGIN: f64 = 48.0;
/// Test hook: every view shown is also written (JSON) to this file, so the desktop tests can
/// read what the overlay displayed. Unset in normal use.
const VIEW_DUMP_ENV: &str = "NOI_TEST_OVERLAY_DUMP";
/// The overlay window's title (sway's rule for it matches it).
const TITLE: &str = "Nói";

/// How the user wants the overlay (from the settings, read at each dictation's start).
#[derive(Debug, Clone, Copy)]
pub struct OverlayOptions {
    pub style: OverlayStyle,
    pub position: OverlayPosition,
    pub lang: &'static str,
}

struct Current {
    options: OverlayOptions,
    started: Instant,
    phase: Phase,
    done_at: Option<Instant>,
    committed: String,
    tentative: String,
    level: Arc<AtomicU32>,
    /// Each dictation's ticker checks that it is still the current one.
    generation: u64,
}

pub struct Overlay {
    app: AppHandle,
    placement: OverlayPlacement,
    current: Mutex<Option<Current>>,
    limiter: Mutex<RedrawLimiter>,
    /// The last view sent: one that would look the same is not sent again.
    shown: Mutex<Option<View>>,
    generation: Mutex<u64>,
}

impl Overlay {
    pub fn new(app: &AppHandle, placement: OverlayPlacement) -> Arc<Overlay> {
        #[cfg(target_os = "linux")]
        if placement == OverlayPlacement::SwayRule
            && let Err(error) = crate::wayland::sway::place_overlay(TITLE)
        {
            tracing::warn!("the overlay may take the focus under sway: {error}");
        }
        if placement == OverlayPlacement::None {
            tracing::info!(
                "no recording overlay on this Wayland desktop (it could take the focus)"
            );
        }
        Arc::new(Overlay {
            app: app.clone(),
            placement,
            current: Mutex::new(None),
            limiter: Mutex::new(RedrawLimiter::default()),
            shown: Mutex::new(None),
            generation: Mutex::new(0),
        })
    }

    /// A dictation is listening: shows the overlay (unless its style is off) and redraws it
    /// until the dictation is over. `level` is the microphone's level tap.
    pub fn begin(self: &Arc<Self>, options: OverlayOptions, level: Arc<AtomicU32>) {
        if !shows_window(options.style) || self.placement == OverlayPlacement::None {
            return;
        }
        let generation = {
            let mut generation = self.generation.lock().unwrap_or_else(|e| e.into_inner());
            *generation += 1;
            *generation
        };
        *self.lock() = Some(Current {
            options,
            started: Instant::now(),
            phase: Phase::Listening,
            done_at: None,
            committed: String::new(),
            tentative: String::new(),
            level,
            generation,
        });
        // Building the window waits for the main thread: not on the caller's (the
        // coordinator loop's) time.
        let overlay = Arc::clone(self);
        std::thread::Builder::new()
            .name("noi-overlay".into())
            .spawn(move || {
                overlay.show(options.position);
                overlay.redraw(true);
                overlay.tick_until_done(generation);
            })
            .map_err(|e| tracing::warn!("overlay: {e}"))
            .ok();
    }

    /// The dictation moved on (transcribing, inserted, copied, failed).
    pub fn phase(&self, phase: Phase) {
        {
            let mut current = self.lock();
            let Some(current) = current.as_mut() else {
                return;
            };
            if phase.is_done() {
                current.done_at = Some(Instant::now());
            }
            current.phase = phase;
        }
        self.redraw(true);
    }

    /// A failure before the overlay was up (no microphone, no model): shown on its own.
    pub fn fail(self: &Arc<Self>, options: OverlayOptions, reason: String) {
        if self.lock().is_none() {
            self.begin(options, Arc::new(AtomicU32::new(0)));
        }
        self.phase(Phase::Error(reason));
    }

    /// The live words (post-processed), or the final text once it is known: shown at once
    /// (within the redraw limit).
    pub fn text(&self, committed: String, tentative: String) {
        {
            let mut current = self.lock();
            let Some(current) = current.as_mut() else {
                return;
            };
            if !shows_text(current.options.style) {
                return;
            }
            current.committed = committed;
            current.tentative = tentative;
        }
        self.redraw(false);
    }

    /// Moves the clock and the level meter four times a second (words and phases are drawn
    /// when they change), then hides the overlay once the dictation has lingered.
    fn tick_until_done(&self, generation: u64) {
        loop {
            std::thread::sleep(TICK);
            let (done_at, linger) = {
                let current = self.lock();
                match current.as_ref() {
                    Some(c) if c.generation == generation => (c.done_at, c.phase.linger()),
                    _ => return,
                }
            };
            if done_at.is_some_and(|at| at.elapsed() >= linger) {
                *self.lock() = None;
                self.hide();
                return;
            }
            self.redraw(false);
        }
    }

    /// Sends the current view to the window, within the redraw limit unless `phase_changed`.
    fn redraw(&self, phase_changed: bool) {
        let view = {
            let current = self.lock();
            let Some(current) = current.as_ref() else {
                return;
            };
            if !self
                .limiter
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .allow(Instant::now(), phase_changed)
            {
                return;
            }
            View {
                phase: current.phase.clone(),
                elapsed_ms: current.started.elapsed().as_millis() as u64,
                level: f32::from_bits(current.level.load(Ordering::Relaxed)),
                committed: current.committed.clone(),
                tentative: current.tentative.clone(),
                lang: current.options.lang,
            }
        };
        {
            let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
            if !phase_changed && shown.as_ref().is_some_and(|s| s.looks_like(&view)) {
                return;
            }
            *shown = Some(view.clone());
        }
        if let Some(path) = std::env::var_os(VIEW_DUMP_ENV)
            && let Ok(line) = serde_json::to_string(&view)
        {
            use std::io::Write;
            if let Ok(mut file) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = writeln!(file, "{line}");
            }
        }
        if let Err(error) = self.app.emit_to(LABEL, VIEW_EVENT, view) {
            tracing::debug!("overlay: {error}");
        }
    }

    fn show(&self, position: OverlayPosition) {
        let window = match self.app.get_webview_window(LABEL) {
            Some(window) => window,
            None => match self.build() {
                Ok(window) => window,
                Err(error) => {
                    tracing::warn!("cannot open the overlay: {error}");
                    return;
                }
            },
        };
        if let Some(at) = self.place(position) {
            let _ = window.set_position(at);
        }
        let _ = window.show();
    }

    fn hide(&self) {
        if let Some(window) = self.app.get_webview_window(LABEL) {
            let _ = window.hide();
        }
    }

    fn build(&self) -> tauri::Result<WebviewWindow> {
        WebviewWindowBuilder::new(&self.app, LABEL, WebviewUrl::App("overlay.html".into()))
            .title(TITLE)
            .inner_size(WIDTH, HEIGHT)
            .decorations(false)
            .transparent(true)
            .shadow(false)
            .always_on_top(true)
            .visible_on_all_workspaces(true)
            .skip_taskbar(true)
            .resizable(false)
            .focused(false)
            .focusable(false)
            .visible(false)
            .build()
    }

    /// Bottom (or top) centre of the monitor under the pointer, in physical pixels.
    fn place(&self, position: OverlayPosition) -> Option<PhysicalPosition<i32>> {
        let pointer = self.app.cursor_position().ok()?;
        let monitor = self
            .app
            .monitor_from_point(pointer.x, pointer.y)
            .ok()
            .flatten()
            .or_else(|| self.app.primary_monitor().ok().flatten())?;
        let scale = monitor.scale_factor();
        let size: LogicalSize<f64> = LogicalSize::new(WIDTH, HEIGHT);
        let (width, height) = (size.width * scale, size.height * scale);
        let (origin, area) = (monitor.position(), monitor.size());
        let x = f64::from(origin.x) + (f64::from(area.width) - width) / 2.0;
        let y = match position {
            OverlayPosition::Top => f64::from(origin.y) + MARGIN * scale,
            OverlayPosition::Bottom => {
                f64::from(origin.y) + f64::from(area.height) - height - MARGIN * scale
            }
        };
        Some(PhysicalPosition::new(x as i32, y as i32))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Current>> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }
}
