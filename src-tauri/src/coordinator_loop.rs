//! The thread that runs the coordinator: it feeds every [`Event`] to the pure
//! `noi_desktop_core::coordinator::step` and carries out the effects it returns, in order.
//! Slow effects (finishing a stream, injecting) run on their own threads and come back as
//! events, so the loop always answers the hotkey at once.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

use noi_desktop_core::coordinator::{
    self, Command, Coordinator, Effect, Indicator, Message, Notice, Session, Status, state_detail,
};
use noi_desktop_core::history::{Delivery, NewTranscript, Recording, TranscriptId, wav_from_f32};
use noi_desktop_core::injection_rules::{LastInsertion, Method, insertion_text, previous_tail};
use noi_desktop_core::messages::Lang;
use noi_desktop_core::overlay::Phase as OverlayPhase;
use noi_engine::dictation::{DictationEvent, DictationStream};
use noi_engine::transcript::text_of;

use crate::capture::{CaptureReport, Microphone, TARGET_RATE};
use crate::core::{AppCore, DeliveredHow, EngineAvailability, Event, Ui};
use crate::injector::InjectError;
use crate::overlay::OverlayOptions;
use crate::sound_cues::{self, Cue};

/// The dictation being recorded or finished.
struct Live {
    session: Session,
    microphone: Option<Microphone>,
    stream: Option<DictationStream>,
    recording: Vec<f32>,
    raw: String,
    target: Option<crate::x11_probe::FocusedWindow>,
    history_id: Option<TranscriptId>,
    /// The model was still loading when the stream should have started: the microphone keeps
    /// everything it hears, and the stream starts with all of it once the model is ready.
    awaiting_engine: bool,
    /// Released while waiting for the model: finish as soon as the stream has the audio.
    finish_when_ready: bool,
}

pub struct CoordinatorLoop {
    core: Arc<AppCore>,
    ui: Arc<dyn Ui>,
    coordinator: Coordinator,
    live: Option<Live>,
    timers: Vec<Instant>,
    last_insertion: Option<LastInsertion>,
}

impl CoordinatorLoop {
    pub fn new(core: Arc<AppCore>, ui: Arc<dyn Ui>) -> Self {
        let config = coordinator_config(&core);
        CoordinatorLoop {
            core,
            ui,
            coordinator: Coordinator::new(config),
            live: None,
            timers: Vec::new(),
            last_insertion: None,
        }
    }

    /// Runs until [`Event::Quit`] (or every sender is gone).
    pub fn run(mut self, events: Receiver<Event>) {
        loop {
            let event = match self.next_timer() {
                Some(at) => events.recv_timeout(at.saturating_duration_since(Instant::now())),
                None => events.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match event {
                Ok(Event::Quit) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(event) => self.handle(event),
                Err(RecvTimeoutError::Timeout) => self.fire_due_timers(),
            }
            self.publish_status();
        }
        // Quitting mid-dictation: nothing half-done is left (microphone closed, stream dropped).
        if let Some(live) = self.live.take() {
            drop(live.microphone);
            if let Some(stream) = live.stream {
                stream.cancel();
            }
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Coordinator(message) => self.step(message),
            Event::Command(command, reply) => {
                self.step(Message::Command(command));
                if let Some(reply) = reply {
                    let _ = reply.send(self.coordinator.state().status());
                }
            }
            Event::Capture(session, report) => self.on_capture(session, report),
            Event::Decoded {
                session,
                raw,
                text,
                target,
            } => {
                if let Some(live) = self.live.as_mut().filter(|l| l.session == session) {
                    live.raw = raw;
                    live.target = target;
                }
                self.ui.overlay_text(text.clone(), String::new());
                self.step(Message::FinalReady { session, text });
            }
            Event::Delivered { session, result } => self.on_delivered(session, result),
            Event::SettingsChanged => {
                let config = coordinator_config(&self.core);
                self.coordinator.set_config(config);
            }
            Event::EngineChanged => self.on_engine_changed(),
            Event::Quit => {}
        }
    }

    fn on_capture(&mut self, session: Session, report: CaptureReport) {
        match report {
            CaptureReport::Started { device } => {
                tracing::info!("recording from \"{device}\"");
                self.step(Message::CaptureStarted { session });
                let level = self
                    .live_for(session)
                    .and_then(|l| l.microphone.as_ref())
                    .map(Microphone::level_tap);
                if let Some(level) = level {
                    self.ui.overlay_begin(self.overlay_options(), level);
                }
            }
            CaptureReport::Recovered { device } => {
                tracing::warn!("microphone replaced by \"{device}\"; the dictation goes on");
            }
            CaptureReport::Failed(reason) => self.step(Message::CaptureFailed { session, reason }),
        }
    }

    fn on_delivered(&mut self, session: Session, result: Result<DeliveredHow, InjectError>) {
        let result = result.map_err(|error| error.to_string());
        match &result {
            Ok(DeliveredHow::Injected) => self.ui.overlay_phase(OverlayPhase::Inserted),
            Ok(DeliveredHow::Copied) => self.ui.overlay_phase(OverlayPhase::Copied),
            Err(_) => {}
        }
        let delivery = match &result {
            Ok(DeliveredHow::Injected) => Delivery::Injected,
            Ok(DeliveredHow::Copied) => Delivery::Copied,
            Err(reason) => Delivery::Failed(reason.clone()),
        };
        if let Some(id) = self.live.as_ref().and_then(|l| l.history_id) {
            self.with_history(|history| history.mark_delivery(id, &delivery).map(|_| ()));
            self.ui.history_changed();
        }
        let copied = matches!(result, Ok(DeliveredHow::Copied));
        let message = match result {
            Ok(_) => Message::InjectionDone { session },
            Err(reason) => Message::InjectionFailed { session, reason },
        };
        self.step(message);
        if copied {
            self.ui.copied_not_pasted();
        }
        if matches!(
            self.coordinator.state().status(),
            Status::Idle | Status::Error
        ) {
            self.live = None;
        }
    }

    fn step(&mut self, message: Message) {
        let effects = self.coordinator.handle(message, Instant::now());
        for effect in effects {
            self.apply(effect);
        }
    }

    fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::OpenMicrophone(session) => self.open_microphone(session),
            Effect::StartStream(session) => self.start_stream(session),
            Effect::CloseMicrophone(session) => {
                if let Some(live) = self.live_for(session)
                    && let Some(microphone) = live.microphone.take()
                {
                    live.recording = microphone.close();
                }
            }
            Effect::FinishStream(session) => {
                let sounds = self.core.settings().sounds;
                if sounds.enabled {
                    self.ui.play_cue(Cue::Stop, sounds.volume);
                }
                self.finish_stream(session);
            }
            Effect::CancelStream(session) => {
                if let Some(live) = self.live_for(session)
                    && let Some(stream) = live.stream.take()
                {
                    std::thread::spawn(move || stream.cancel());
                }
                if self.live.as_ref().is_some_and(|l| l.session == session) {
                    self.live = None;
                }
            }
            Effect::SaveHistory { session, text } => self.save_history(session, &text),
            Effect::Inject { session, text } => self.inject(session, text),
            Effect::ShowState(indicator) => {
                let detail = state_detail(indicator, self.coordinator.state().failure());
                match indicator {
                    Indicator::Busy => self.ui.overlay_phase(OverlayPhase::Transcribing),
                    Indicator::Error => {
                        self.ui.overlay_fail(self.overlay_options(), detail.clone())
                    }
                    _ => {}
                }
                self.ui.show_state(indicator, &detail);
            }
            Effect::RegisterEscape => self.ui.set_escape_registered(true),
            Effect::UnregisterEscape => self.ui.set_escape_registered(false),
            Effect::ScheduleTick(at) => self.timers.push(at),
            Effect::Notify(notice) => {
                log_notice(&notice);
                let failed = matches!(
                    notice,
                    Notice::CaptureFailed(_) | Notice::EngineFailed(_) | Notice::InjectionFailed(_)
                );
                let sounds = self.core.settings().sounds;
                if failed && sounds.enabled {
                    self.ui.play_cue(Cue::Error, sounds.volume);
                }
                self.ui.notify(&notice);
            }
        }
    }

    fn live_for(&mut self, session: Session) -> Option<&mut Live> {
        self.live.as_mut().filter(|l| l.session == session)
    }

    fn open_microphone(&mut self, session: Session) {
        let events = self.core.events.clone();
        let settings = self.core.settings();
        // The start cue plays while the microphone opens; it hears nothing until the cue is
        // over, so the cue cannot reach the recording or the transcript.
        let ignore_until = settings.sounds.enabled.then(|| {
            self.ui.play_cue(Cue::Start, settings.sounds.volume);
            sound_cues::start_cue_quiet_at(Instant::now())
        });
        let device = settings.microphone.device;
        let microphone = Microphone::open(device, ignore_until, move |report| {
            let _ = events.send(Event::Capture(session, report));
        });
        self.live = Some(Live {
            session,
            microphone: Some(microphone),
            stream: None,
            recording: Vec::new(),
            raw: String::new(),
            target: None,
            history_id: None,
            awaiting_engine: false,
            finish_when_ready: false,
        });
    }

    fn start_stream(&mut self, session: Session) {
        if self.core.server.current_engine().is_some() {
            return self.begin_stream(session);
        }
        match self.core.engine_availability() {
            EngineAvailability::Loading | EngineAvailability::Ready => {
                tracing::info!("the model is still loading; the dictation's audio is kept");
                if let Some(live) = self.live_for(session) {
                    live.awaiting_engine = true;
                }
            }
            EngineAvailability::Unavailable(reason) => {
                self.step(Message::StreamFailed { session, reason })
            }
        }
    }

    /// A model finished loading (or failed to): a dictation that waited for it goes on.
    fn on_engine_changed(&mut self) {
        let Some(live) = self.live.as_ref().filter(|l| l.awaiting_engine) else {
            return;
        };
        let session = live.session;
        if self.core.server.current_engine().is_some() {
            self.begin_stream(session);
        } else if let EngineAvailability::Unavailable(reason) = self.core.engine_availability() {
            if let Some(live) = self.live_for(session) {
                live.awaiting_engine = false;
            }
            self.step(Message::StreamFailed { session, reason });
        }
    }

    /// Starts the dictation stream on the loaded model and hands it the microphone, or, when
    /// the microphone already closed (released while the model loaded), what it recorded.
    fn begin_stream(&mut self, session: Session) {
        let Some(engine) = self.core.server.current_engine() else {
            return;
        };
        let started = DictationStream::start(
            Arc::clone(&engine.recognizer),
            engine.config.dictation_config(),
            TARGET_RATE,
        );
        let mut stream = match started {
            Ok(stream) => stream,
            Err(error) => {
                return self.step(Message::StreamFailed {
                    session,
                    reason: error.to_string(),
                });
            }
        };
        if let Some(events) = stream.take_events() {
            self.spawn_live_text(events);
        }
        let Some(live) = self.live_for(session) else {
            return;
        };
        match &live.microphone {
            Some(microphone) => microphone.attach(stream.input()),
            None => stream.push(&live.recording),
        }
        live.stream = Some(stream);
        live.awaiting_engine = false;
        if std::mem::take(&mut live.finish_when_ready) {
            self.finish_stream(session);
        }
    }

    /// Forwards the stream's partial text to the overlay, written as the final will be (the
    /// live style only; the thread ends with the stream).
    fn spawn_live_text(&self, events: std::sync::mpsc::Receiver<DictationEvent>) {
        let settings = self.core.settings();
        if !noi_desktop_core::overlay::shows_text(settings.overlay.style) {
            return;
        }
        let ui = Arc::clone(&self.ui);
        let window = self
            .core
            .injector
            .focused_window()
            .map(|w| w.id)
            .unwrap_or_default();
        let previous =
            previous_tail(self.last_insertion.as_ref(), &window, Instant::now()).map(str::to_owned);
        std::thread::spawn(move || {
            for event in events {
                if let DictationEvent::Partial {
                    committed,
                    tentative,
                } = event
                {
                    let (settled, changing) = noi_desktop_core::overlay::live_text(
                        previous.as_deref(),
                        &committed,
                        &tentative,
                        &settings.text.options,
                    );
                    ui.overlay_text(settled, changing);
                }
            }
        });
    }

    /// The overlay's options from the settings now.
    fn overlay_options(&self) -> OverlayOptions {
        let settings = self.core.settings();
        let lang = Lang::for_choice(settings.general.language);
        OverlayOptions {
            style: settings.overlay.style,
            position: settings.overlay.position,
            lang: lang.code(),
        }
    }

    /// Decodes the tail on its own thread, then post-processes for the focused window.
    fn finish_stream(&mut self, session: Session) {
        if let Some(live) = self.live_for(session).filter(|l| l.awaiting_engine) {
            live.finish_when_ready = true;
            return;
        }
        let Some(stream) = self.live_for(session).and_then(|l| l.stream.take()) else {
            self.step(Message::FinalReady {
                session,
                text: String::new(),
            });
            return;
        };
        let core = Arc::clone(&self.core);
        let last = self.last_insertion.clone();
        std::thread::spawn(move || {
            let event = match stream.finish() {
                Ok(transcript) => {
                    let raw = text_of(&transcript.segments);
                    let target = core.injector.focused_window();
                    let window_id = target.as_ref().map(|w| w.id.as_str()).unwrap_or("");
                    let settings = core.settings();
                    let previous = previous_tail(last.as_ref(), window_id, Instant::now());
                    let text = insertion_text(
                        previous,
                        &raw,
                        &settings.text.options,
                        settings.output.trailing_space,
                    );
                    Event::Decoded {
                        session,
                        raw,
                        text,
                        target,
                    }
                }
                Err(error) => Event::Coordinator(Message::StreamFailed {
                    session,
                    reason: error.to_string(),
                }),
            };
            core.send(event);
        });
    }

    fn save_history(&mut self, session: Session, text: &str) {
        let settings = self.core.settings();
        if !settings.history.enabled {
            return;
        }
        let Some(live) = self.live.as_ref().filter(|l| l.session == session) else {
            return;
        };
        let transcript = NewTranscript {
            created_at: SystemTime::now(),
            text: text.to_owned(),
            raw_text: live.raw.clone(),
            duration: Duration::from_secs_f64(live.recording.len() as f64 / TARGET_RATE as f64),
            model_id: self.core.server.current_engine().map(|e| e.info.id.clone()),
            recording: settings
                .history
                .keep_recordings
                .then(|| Recording::Wav(wav_from_f32(&live.recording))),
        };
        let mut id = None;
        self.with_history(|history| {
            id = Some(history.insert(&transcript)?);
            Ok(())
        });
        if let Some(live) = self.live_for(session) {
            live.history_id = id;
        }
        self.ui.history_changed();
    }

    /// Injects on its own thread: it waits for the hotkey's modifiers to be released.
    fn inject(&mut self, session: Session, text: String) {
        let settings = self.core.settings();
        let target = self.live_for(session).and_then(|l| l.target.clone());
        let now = Instant::now();
        let window_id = target.as_ref().map(|w| w.id.clone()).unwrap_or_default();
        self.last_insertion = Some(LastInsertion::new(window_id, &text, now));
        let core = Arc::clone(&self.core);
        std::thread::spawn(move || {
            let injector = &core.injector;
            let result = injector
                .wait_for_modifiers_up(&settings.hotkey.accelerator)
                .and_then(|()| {
                    injector.deliver(
                        &text,
                        settings.output.mode,
                        target.as_ref(),
                        settings.output.paste_delay(),
                        settings.output.clipboard_restore_delay(),
                    )
                });
            // Copy-only is also what paste becomes where no key reaches the app (Wayland).
            let result = match result {
                Ok(Method::CopyOnly) => Ok(DeliveredHow::Copied),
                Ok(_) => Ok(DeliveredHow::Injected),
                Err(error) => Err(error),
            };
            core.send(Event::Delivered { session, result });
        });
    }

    fn with_history(
        &self,
        action: impl FnOnce(
            &noi_desktop_core::history::History,
        ) -> noi_desktop_core::history::Result<()>,
    ) {
        let history = self.core.history.lock().unwrap_or_else(|e| e.into_inner());
        match history.as_ref().map(action) {
            Some(Err(error)) => tracing::error!("history: {error}"),
            None => tracing::warn!("history is not available; the transcript was not saved"),
            Some(Ok(())) => {}
        }
    }

    fn next_timer(&self) -> Option<Instant> {
        self.timers.iter().min().copied()
    }

    fn fire_due_timers(&mut self) {
        let now = Instant::now();
        let due = self.timers.iter().filter(|&&t| t <= now).count();
        self.timers.retain(|&t| t > now);
        for _ in 0..due {
            self.step(Message::Tick);
        }
    }

    fn publish_status(&self) {
        self.core.publish_status(self.coordinator.state().status());
    }
}

fn coordinator_config(core: &AppCore) -> coordinator::Config {
    coordinator::Config {
        mode: core.settings().hotkey.mode,
        timing: coordinator::Timing::default(),
    }
}

/// Notices in the log, never with transcript text (none of them carries any).
fn log_notice(notice: &Notice) {
    match notice {
        Notice::Busy => tracing::info!("hotkey pressed while the last dictation is finishing"),
        Notice::NothingHeard => tracing::info!("nothing heard"),
        Notice::CaptureFailed(reason) => tracing::warn!("microphone: {reason}"),
        Notice::EngineFailed(reason) => tracing::error!("recognition: {reason}"),
        Notice::InjectionFailed(reason) => tracing::warn!("injection: {reason}"),
    }
}

/// Sends `command` to the loop and waits for the status after it (API and second launches).
pub fn command_and_wait(core: &AppCore, command: Command) -> Option<Status> {
    let (reply, answer) = std::sync::mpsc::channel();
    core.send(Event::Command(command, Some(reply)));
    answer.recv_timeout(Duration::from_secs(2)).ok()
}
