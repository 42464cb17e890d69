//! The dictation coordinator: the one owner of Idle → Recording → Finishing (→ Error).
//!
//! Every door is a [`Message`]: the global hotkey (raw presses and releases with their event
//! times), Escape, the tray, the API and `noi-desktop --toggle|--start|--stop` ([`Command`]),
//! and the asynchronous parts reporting back (capture started or failed, final text ready,
//! injection done or failed). [`step`] is a pure function `(state, message, now) → (state,
//! effects)`; the shell executes the [`Effect`]s **in order** and feeds results back as
//! messages. Nothing else opens the microphone.
//!
//! # Sessions
//! Each recording gets a fresh [`Session`]. Reports carry it, and a report for any session but
//! the current one is ignored: that is how a final arriving after a cancel, or a capture
//! callback arriving after a stop, is made harmless without locks or flags in the shell.
//!
//! # Hotkey gestures
//! - **Deferred release.** X11 auto-repeat turns a held key into release/press pairs a few
//!   milliseconds apart. A release is therefore only *pending* until
//!   [`Timing::release_confirm`] (50 ms) passes with no press; the coordinator asks for a
//!   [`Effect::ScheduleTick`] and confirms it on the [`Message::Tick`]. A press inside the window
//!   cancels the pending release (it was auto-repeat). Decisions use the events' own times, so a
//!   late tick or a late press cannot change the outcome.
//! - **Debounce.** A press within [`Timing::debounce`] (30 ms) of the last accepted press or
//!   confirmed release is contact bounce or a duplicate delivery: it is ignored, with its release.
//! - **Modes** ([`HotkeyMode`]): *hold* records while the key is down; *toggle* starts on one
//!   press and stops on the next; *auto* starts on press, and on release stops if the key was
//!   held for at least [`Timing::tap_threshold`] (push-to-talk) or keeps recording if it was a
//!   tap (then the next press stops).
//! - **Busy.** A press while finishing is ignored (with [`Notice::Busy`]), and so is its
//!   release. Queueing it would deadlock: injection waits for the hotkey's modifiers to be up,
//!   and a held hotkey never lets it.
//!
//! # Races, and their answers
//! - Stop before the first capture callback: nothing was recorded, so the dictation is
//!   abandoned (stream cancelled, microphone closed) instead of finishing an empty stream.
//! - Double start (two API calls, tray and hotkey): the second is ignored.
//! - Cancel while decoding the final: the stream is cancelled and the late final ignored.
//!   Cancel while injecting is too late (the text is saved and on its way) and is ignored.
//! - The microphone failing mid-dictation: what was captured is still finished, saved and
//!   injected; the error shows afterwards. Failing before the first callback, or not starting
//!   within [`Timing::capture_start_timeout`], is an error at once.
//! - Escape cancels only while recording (the shell registers it on [`Effect::RegisterEscape`]
//!   and releases it on [`Effect::UnregisterEscape`], so it is not stolen from other apps).

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How the hotkey starts and stops a dictation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HotkeyMode {
    /// Push-to-talk: record while the key is held.
    Hold,
    /// Press to start, press again to stop.
    Toggle,
    /// A tap toggles, a longer hold is push-to-talk. The default: it serves both habits.
    /// An unknown value in a settings file falls back to this.
    #[default]
    #[serde(other)]
    Auto,
}

/// Timing of hotkey gestures and start-up. The defaults are the documented choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Presses closer than this to the previous accepted press or confirmed release are bounce
    /// or a duplicate delivery (e.g. an auto-repeat press queued behind the tick that already
    /// confirmed its release). 30 ms is below any human double press (~100 ms) and above
    /// switch bounce (~5–20 ms).
    pub debounce: Duration,
    /// How long a release waits for an auto-repeat press before it counts. X11 sends the fake
    /// pair within a few ms; 50 ms covers a loaded machine and is not felt as lag.
    pub release_confirm: Duration,
    /// Auto mode: holds shorter than this are taps. Taps measure ~60–200 ms; the shortest
    /// useful push-to-talk (one word after the microphone starts) is ~500 ms. 300 ms sits in
    /// between, leaning low: a slow tap taken for a hold only records nothing, whereas a short
    /// hold taken for a tap would leave the microphone on unexpectedly.
    pub tap_threshold: Duration,
    /// A microphone that has not delivered audio by then is reported as failed.
    pub capture_start_timeout: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            debounce: Duration::from_millis(30),
            release_confirm: Duration::from_millis(50),
            tap_threshold: Duration::from_millis(300),
            capture_start_timeout: Duration::from_secs(3),
        }
    }
}

/// What the coordinator needs from the settings. Passed to every [`step`], so a settings
/// change applies at the next message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Config {
    pub mode: HotkeyMode,
    pub timing: Timing,
}

/// One recording, from start to its final text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Session(pub u64);

/// A request from the tray, the API or the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Start,
    Stop,
    Toggle,
    Cancel,
}

/// Everything the coordinator reacts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// The global hotkey went down; `at` is the key event's time.
    HotkeyPressed {
        at: Instant,
    },
    /// The global hotkey went up; `at` is the key event's time.
    HotkeyReleased {
        at: Instant,
    },
    /// Escape (registered only while recording).
    Escape,
    Command(Command),
    /// A timer asked for with [`Effect::ScheduleTick`] fired.
    Tick,
    /// The first real audio callback of the session arrived.
    CaptureStarted {
        session: Session,
    },
    /// The microphone could not be opened, or it vanished.
    CaptureFailed {
        session: Session,
        reason: String,
    },
    /// The stream's final text, post-processed (empty when nothing was heard).
    FinalReady {
        session: Session,
        text: String,
    },
    /// Recognition failed.
    StreamFailed {
        session: Session,
        reason: String,
    },
    InjectionDone {
        session: Session,
    },
    InjectionFailed {
        session: Session,
        reason: String,
    },
}

/// The four tray icons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    Idle,
    Recording,
    Busy,
    Error,
}

/// Something to tell the user (tray notification, settings window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The hotkey was pressed while the previous dictation was still finishing.
    Busy,
    /// The dictation ended with no text.
    NothingHeard,
    CaptureFailed(String),
    EngineFailed(String),
    /// The text is in history; it did not reach the app.
    InjectionFailed(String),
}

/// What the shell must do, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Open the input device; report [`Message::CaptureStarted`] at the first real callback.
    OpenMicrophone(Session),
    /// Drain what the device has delivered into the stream, then close it (privacy indicator off).
    CloseMicrophone(Session),
    /// Create the session's dictation stream.
    StartStream(Session),
    /// Decode the tail and report [`Message::FinalReady`].
    FinishStream(Session),
    /// Drop the stream; no final is wanted.
    CancelStream(Session),
    /// Write the final to history. Always emitted before [`Effect::Inject`].
    SaveHistory {
        session: Session,
        text: String,
    },
    /// Put the text into the focused app; report [`Message::InjectionDone`] or
    /// [`Message::InjectionFailed`].
    Inject {
        session: Session,
        text: String,
    },
    ShowState(Indicator),
    RegisterEscape,
    UnregisterEscape,
    /// Send [`Message::Tick`] at (or after) this instant. Each request is independent (keep
    /// them all, do not replace one with the next); extra or early ticks are harmless.
    ScheduleTick(Instant),
    Notify(Notice),
}

/// What went wrong, kept while the tray shows the error icon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Capture(String),
    Engine(String),
    Injection(String),
}

impl Failure {
    /// The reason, as the tray's status line and the overlay show it.
    pub fn reason(&self) -> &str {
        match self {
            Failure::Capture(reason) | Failure::Engine(reason) | Failure::Injection(reason) => {
                reason
            }
        }
    }
}

/// The coarse state, for the API's `/v1/dictation/status` and the tray.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Idle,
    /// Microphone opening, no audio yet.
    Starting,
    Recording,
    /// Decoding the final.
    Finishing,
    /// Saving and inserting the text.
    Injecting,
    Error,
}

impl Status {
    /// The API's four state names (docs/api.md, `/v1/dictation/status`): starting counts as
    /// recording, injecting as finishing.
    pub fn api_name(self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Starting | Status::Recording => "recording",
            Status::Finishing | Status::Injecting => "finishing",
            Status::Error => "error",
        }
    }
}

/// The words the tray shows beside a state icon: what is happening, or the failure's reason.
pub fn state_detail(indicator: Indicator, failure: Option<&Failure>) -> String {
    match indicator {
        Indicator::Idle => "ready".into(),
        Indicator::Recording => "recording".into(),
        Indicator::Busy => "transcribing".into(),
        Indicator::Error => failure.map_or_else(|| "error".into(), |f| f.reason().to_owned()),
    }
}

/// How the hotkey relates to the current recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Started by a command: the next hotkey press stops it.
    Command,
    /// Started by a press that is (as far as we know) still held.
    Held { pressed_at: Instant },
    /// Toggled on: the next press stops it.
    Latched,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Idle,
    Error(Failure),
    Recording {
        session: Session,
        capturing: bool,
        start_deadline: Instant,
        role: Role,
    },
    Finishing {
        session: Session,
        injecting: bool,
        /// A capture failure to show once the captured part is delivered.
        then_error: Option<Failure>,
    },
}

/// The physical hotkey as far as the coordinator knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct KeyTracker {
    down: bool,
    pending_release: Option<Instant>,
    last_edge: Option<Instant>,
    /// The current press was ignored, so its release is too.
    swallowed: bool,
}

/// The coordinator's whole state. Start with [`State::default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    phase: Phase,
    key: KeyTracker,
    last_session: u64,
}

impl Default for State {
    fn default() -> Self {
        Self {
            phase: Phase::Idle,
            key: KeyTracker::default(),
            last_session: 0,
        }
    }
}

impl State {
    pub fn status(&self) -> Status {
        match &self.phase {
            Phase::Idle => Status::Idle,
            Phase::Error(_) => Status::Error,
            Phase::Recording {
                capturing: false, ..
            } => Status::Starting,
            Phase::Recording { .. } => Status::Recording,
            Phase::Finishing {
                injecting: false, ..
            } => Status::Finishing,
            Phase::Finishing { .. } => Status::Injecting,
        }
    }

    /// The session being recorded or finished, if any.
    pub fn session(&self) -> Option<Session> {
        match &self.phase {
            Phase::Recording { session, .. } | Phase::Finishing { session, .. } => Some(*session),
            Phase::Idle | Phase::Error(_) => None,
        }
    }

    /// The failure the error icon stands for.
    pub fn failure(&self) -> Option<&Failure> {
        match &self.phase {
            Phase::Error(failure) => Some(failure),
            _ => None,
        }
    }
}

/// The transition function: pure, deterministic, no I/O.
pub fn step(config: &Config, state: State, message: Message, now: Instant) -> (State, Vec<Effect>) {
    let mut run = Step {
        config,
        state,
        now,
        effects: Vec::new(),
    };
    run.handle(message);
    (run.state, run.effects)
}

/// [`step`] with the state kept inside, for the shell's event loop.
#[derive(Debug, Clone, Default)]
pub struct Coordinator {
    config: Config,
    state: State,
}

impl Coordinator {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            state: State::default(),
        }
    }

    pub fn handle(&mut self, message: Message, now: Instant) -> Vec<Effect> {
        let state = std::mem::take(&mut self.state);
        let (state, effects) = step(&self.config, state, message, now);
        self.state = state;
        effects
    }

    /// Applies from the next message (a held key keeps its meaning until released).
    pub fn set_config(&mut self, config: Config) {
        self.config = config;
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn state(&self) -> &State {
        &self.state
    }
}

struct Step<'a> {
    config: &'a Config,
    state: State,
    now: Instant,
    effects: Vec<Effect>,
}

impl Step<'_> {
    fn handle(&mut self, message: Message) {
        match message {
            Message::HotkeyPressed { at } => self.key_down(at),
            Message::HotkeyReleased { at } => self.key_up(at),
            Message::Tick => self.tick(),
            Message::Escape => {
                if matches!(self.state.phase, Phase::Recording { .. }) {
                    self.cancel();
                }
            }
            Message::Command(command) => self.command(command),
            Message::CaptureStarted { session } => self.capture_started(session),
            Message::CaptureFailed { session, reason } => self.capture_failed(session, reason),
            Message::FinalReady { session, text } => self.final_ready(session, text),
            Message::StreamFailed { session, reason } => self.stream_failed(session, reason),
            Message::InjectionDone { session } => {
                if self.is_injecting(session) {
                    self.end_finishing();
                }
            }
            Message::InjectionFailed { session, reason } => {
                if self.is_injecting(session) {
                    self.effects
                        .push(Effect::Notify(Notice::InjectionFailed(reason.clone())));
                    self.fail(Failure::Injection(reason));
                }
            }
        }
    }

    // ---- hotkey gestures -------------------------------------------------------------

    fn key_down(&mut self, at: Instant) {
        let timing = self.config.timing;
        if let Some(released_at) = self.state.key.pending_release {
            if at.saturating_duration_since(released_at) <= timing.release_confirm {
                // Auto-repeat's fake release/press pair: the key never went up.
                self.state.key.pending_release = None;
                return;
            }
            // The tick is late, but the release was real: settle it first.
            self.confirm_release(released_at);
        }
        if self.state.key.down {
            return; // repeat press without a release (detectable auto-repeat)
        }
        self.state.key.down = true;
        let bounced = self
            .state
            .key
            .last_edge
            .is_some_and(|edge| at.saturating_duration_since(edge) < timing.debounce);
        if bounced {
            self.state.key.swallowed = true;
            return;
        }
        self.state.key.last_edge = Some(at);
        self.on_press(at);
    }

    fn key_up(&mut self, at: Instant) {
        let key = &mut self.state.key;
        if !key.down || key.pending_release.is_some() {
            return; // stray or duplicate release
        }
        key.pending_release = Some(at);
        self.effects.push(Effect::ScheduleTick(
            at + self.config.timing.release_confirm,
        ));
    }

    fn tick(&mut self) {
        if let Some(released_at) = self.state.key.pending_release {
            let due = released_at + self.config.timing.release_confirm;
            if self.now >= due {
                self.confirm_release(released_at);
            } else {
                // An early or unrelated tick: make sure one comes when the release is due.
                self.effects.push(Effect::ScheduleTick(due));
            }
        }
        if let Phase::Recording {
            session,
            capturing: false,
            start_deadline,
            ..
        } = self.state.phase
            && self.now >= start_deadline
        {
            let secs = self.config.timing.capture_start_timeout.as_secs_f32();
            let reason = format!("the microphone sent no audio within {secs:.1} s");
            self.capture_failed(session, reason);
        }
    }

    fn confirm_release(&mut self, at: Instant) {
        let key = &mut self.state.key;
        key.down = false;
        key.pending_release = None;
        if std::mem::take(&mut key.swallowed) {
            return;
        }
        key.last_edge = Some(at);
        self.on_release(at);
    }

    fn on_press(&mut self, at: Instant) {
        match self.state.phase {
            Phase::Idle | Phase::Error(_) => {
                let role = match self.config.mode {
                    HotkeyMode::Toggle => Role::Latched,
                    HotkeyMode::Hold | HotkeyMode::Auto => Role::Held { pressed_at: at },
                };
                self.start(role);
            }
            Phase::Recording { .. } => self.stop(),
            Phase::Finishing { .. } => {
                self.state.key.swallowed = true;
                self.effects.push(Effect::Notify(Notice::Busy));
            }
        }
    }

    fn on_release(&mut self, at: Instant) {
        let Phase::Recording {
            role: Role::Held { pressed_at },
            ..
        } = self.state.phase
        else {
            return;
        };
        let tap = at.saturating_duration_since(pressed_at) < self.config.timing.tap_threshold;
        match self.config.mode {
            HotkeyMode::Auto if tap => self.set_role(Role::Latched),
            HotkeyMode::Toggle => self.set_role(Role::Latched),
            HotkeyMode::Hold | HotkeyMode::Auto => self.stop(),
        }
    }

    fn set_role(&mut self, new_role: Role) {
        if let Phase::Recording { role, .. } = &mut self.state.phase {
            *role = new_role;
        }
    }

    // ---- commands --------------------------------------------------------------------

    fn command(&mut self, command: Command) {
        let phase = &self.state.phase;
        let idle = matches!(phase, Phase::Idle | Phase::Error(_));
        let recording = matches!(phase, Phase::Recording { .. });
        match command {
            Command::Start if idle => self.start(Role::Command),
            Command::Stop if recording => self.stop(),
            Command::Toggle if idle => self.start(Role::Command),
            Command::Toggle if recording => self.stop(),
            Command::Toggle => self.effects.push(Effect::Notify(Notice::Busy)),
            Command::Cancel => self.cancel(),
            Command::Start | Command::Stop => {} // already started, or nothing to stop
        }
    }

    // ---- transitions -----------------------------------------------------------------

    fn start(&mut self, role: Role) {
        self.state.last_session += 1;
        let session = Session(self.state.last_session);
        let start_deadline = self.now + self.config.timing.capture_start_timeout;
        self.state.phase = Phase::Recording {
            session,
            capturing: false,
            start_deadline,
            role,
        };
        // The icon stays as it is until audio flows: "recording" must mean recording.
        self.effects.extend([
            Effect::OpenMicrophone(session),
            Effect::StartStream(session),
            Effect::RegisterEscape,
            Effect::ScheduleTick(start_deadline),
        ]);
    }

    fn stop(&mut self) {
        let Phase::Recording {
            session, capturing, ..
        } = self.state.phase
        else {
            return;
        };
        if !capturing {
            // Stopped before any audio arrived: there is nothing to transcribe.
            self.abandon(session);
            return;
        }
        self.effects.extend([
            Effect::UnregisterEscape,
            Effect::CloseMicrophone(session),
            Effect::FinishStream(session),
            Effect::ShowState(Indicator::Busy),
        ]);
        self.state.phase = Phase::Finishing {
            session,
            injecting: false,
            then_error: None,
        };
    }

    fn cancel(&mut self) {
        match self.state.phase {
            Phase::Recording { session, .. } => self.abandon(session),
            Phase::Finishing {
                session,
                injecting: false,
                ..
            } => {
                self.effects.extend([
                    Effect::CancelStream(session),
                    Effect::ShowState(Indicator::Idle),
                ]);
                self.state.phase = Phase::Idle;
            }
            // Injecting: too late, the text is saved and on its way. Idle/Error: nothing to do.
            Phase::Finishing { .. } | Phase::Idle | Phase::Error(_) => {}
        }
    }

    /// Ends a recording without a final.
    fn abandon(&mut self, session: Session) {
        self.effects.extend([
            Effect::UnregisterEscape,
            Effect::CloseMicrophone(session),
            Effect::CancelStream(session),
            Effect::ShowState(Indicator::Idle),
        ]);
        self.state.phase = Phase::Idle;
    }

    fn capture_started(&mut self, session: Session) {
        if let Phase::Recording {
            session: current,
            capturing,
            ..
        } = &mut self.state.phase
            && *current == session
            && !*capturing
        {
            *capturing = true;
            self.effects.push(Effect::ShowState(Indicator::Recording));
        }
    }

    fn capture_failed(&mut self, session: Session, reason: String) {
        let Phase::Recording {
            session: current,
            capturing,
            ..
        } = self.state.phase
        else {
            return; // finishing: the microphone is already closed
        };
        if current != session {
            return;
        }
        self.effects
            .push(Effect::Notify(Notice::CaptureFailed(reason.clone())));
        if capturing {
            // Deliver what was captured; the error shows once it is in.
            self.stop();
            if let Phase::Finishing { then_error, .. } = &mut self.state.phase {
                *then_error = Some(Failure::Capture(reason));
            }
            return;
        }
        self.effects.extend([
            Effect::UnregisterEscape,
            Effect::CloseMicrophone(session),
            Effect::CancelStream(session),
        ]);
        self.fail(Failure::Capture(reason));
    }

    fn final_ready(&mut self, session: Session, text: String) {
        let Phase::Finishing {
            session: current,
            injecting,
            ..
        } = &mut self.state.phase
        else {
            return;
        };
        if *current != session || *injecting {
            return;
        }
        if text.trim().is_empty() {
            self.effects.push(Effect::Notify(Notice::NothingHeard));
            self.end_finishing();
            return;
        }
        *injecting = true;
        self.effects.extend([
            Effect::SaveHistory {
                session,
                text: text.clone(),
            },
            Effect::Inject { session, text },
        ]);
    }

    fn stream_failed(&mut self, session: Session, reason: String) {
        if self.state.session() != Some(session) || self.state.status() == Status::Injecting {
            return;
        }
        if matches!(self.state.phase, Phase::Recording { .. }) {
            self.effects.extend([
                Effect::UnregisterEscape,
                Effect::CloseMicrophone(session),
                Effect::CancelStream(session),
            ]);
        }
        self.effects
            .push(Effect::Notify(Notice::EngineFailed(reason.clone())));
        self.fail(Failure::Engine(reason));
    }

    fn is_injecting(&self, session: Session) -> bool {
        matches!(self.state.phase, Phase::Finishing { session: s, injecting: true, .. } if s == session)
    }

    fn end_finishing(&mut self) {
        let then_error = match &mut self.state.phase {
            Phase::Finishing { then_error, .. } => then_error.take(),
            _ => None,
        };
        match then_error {
            Some(failure) => self.fail(failure),
            None => {
                self.state.phase = Phase::Idle;
                self.effects.push(Effect::ShowState(Indicator::Idle));
            }
        }
    }

    fn fail(&mut self, failure: Failure) {
        self.state.phase = Phase::Error(failure);
        self.effects.push(Effect::ShowState(Indicator::Error));
    }
}

#[cfg(test)]
mod naming_tests {
    use super::*;

    #[test]
    fn api_names_fold_the_inner_states() {
        assert_eq!(Status::Starting.api_name(), "recording");
        assert_eq!(Status::Injecting.api_name(), "finishing");
        assert_eq!(Status::Idle.api_name(), "idle");
        assert_eq!(Status::Error.api_name(), "error");
    }

    #[test]
    fn an_error_detail_is_the_failure_reason() {
        let failure = Failure::Capture("microphone unplugged".into());
        assert_eq!(
            state_detail(Indicator::Error, Some(&failure)),
            "microphone unplugged"
        );
        assert_eq!(state_detail(Indicator::Error, None), "error");
        assert_eq!(
            state_detail(Indicator::Busy, Some(&failure)),
            "transcribing"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a coordinator on a fake clock in milliseconds.
    struct Sim {
        coordinator: Coordinator,
        base: Instant,
    }

    impl Sim {
        fn new(mode: HotkeyMode) -> Self {
            Self {
                coordinator: Coordinator::new(Config {
                    mode,
                    ..Config::default()
                }),
                base: Instant::now(),
            }
        }
        fn at(&self, ms: u64) -> Instant {
            self.base + Duration::from_millis(ms)
        }
        fn send(&mut self, message: Message, now_ms: u64) -> Vec<Effect> {
            let now = self.at(now_ms);
            self.coordinator.handle(message, now)
        }
        fn press(&mut self, ms: u64) -> Vec<Effect> {
            let at = self.at(ms);
            self.send(Message::HotkeyPressed { at }, ms)
        }
        fn release(&mut self, ms: u64) -> Vec<Effect> {
            let at = self.at(ms);
            self.send(Message::HotkeyReleased { at }, ms)
        }
        fn tick(&mut self, ms: u64) -> Vec<Effect> {
            self.send(Message::Tick, ms)
        }
        fn command(&mut self, command: Command, ms: u64) -> Vec<Effect> {
            self.send(Message::Command(command), ms)
        }
        fn capture(&mut self, session: u64, ms: u64) -> Vec<Effect> {
            self.send(
                Message::CaptureStarted {
                    session: Session(session),
                },
                ms,
            )
        }
        fn final_text(&mut self, session: u64, text: &str, ms: u64) -> Vec<Effect> {
            let message = Message::FinalReady {
                session: Session(session),
                text: text.into(),
            };
            self.send(message, ms)
        }
        fn status(&self) -> Status {
            self.coordinator.state().status()
        }
    }

    const S1: Session = Session(1);

    #[test]
    fn hold_mode_full_dictation() {
        let mut sim = Sim::new(HotkeyMode::Hold);
        let started = sim.press(0);
        assert_eq!(
            started,
            [
                Effect::OpenMicrophone(S1),
                Effect::StartStream(S1),
                Effect::RegisterEscape,
                Effect::ScheduleTick(sim.at(3000)),
            ]
        );
        assert_eq!(sim.status(), Status::Starting);
        assert_eq!(
            sim.capture(1, 90),
            [Effect::ShowState(Indicator::Recording)]
        );
        assert_eq!(sim.release(4000), [Effect::ScheduleTick(sim.at(4050))]);
        assert_eq!(sim.status(), Status::Recording, "release not confirmed yet");
        assert_eq!(
            sim.tick(4050),
            [
                Effect::UnregisterEscape,
                Effect::CloseMicrophone(S1),
                Effect::FinishStream(S1),
                Effect::ShowState(Indicator::Busy),
            ]
        );
        assert_eq!(sim.status(), Status::Finishing);
        assert_eq!(
            sim.final_text(1, "Xin chào các bạn", 4400),
            [
                Effect::SaveHistory {
                    session: S1,
                    text: "Xin chào các bạn".into()
                },
                Effect::Inject {
                    session: S1,
                    text: "Xin chào các bạn".into()
                },
            ]
        );
        assert_eq!(sim.status(), Status::Injecting);
        let done = sim.send(Message::InjectionDone { session: S1 }, 4500);
        assert_eq!(done, [Effect::ShowState(Indicator::Idle)]);
        assert_eq!(sim.status(), Status::Idle);
    }

    #[test]
    fn x11_auto_repeat_pairs_do_not_stop_a_hold() {
        let mut sim = Sim::new(HotkeyMode::Hold);
        sim.press(0);
        sim.capture(1, 80);
        // Held for 2 s: auto-repeat starts after 500 ms, one fake pair every ~33 ms.
        let mut t = 500;
        while t < 2000 {
            sim.release(t);
            assert!(sim.press(t + 2).is_empty());
            sim.tick(t + 50); // the deferred tick finds no pending release
            assert_eq!(
                sim.status(),
                Status::Recording,
                "stopped by fake release at {t}"
            );
            t += 33;
        }
        sim.release(2000);
        assert_eq!(sim.status(), Status::Recording);
        sim.tick(2050);
        assert_eq!(sim.status(), Status::Finishing);
    }

    #[test]
    fn a_late_tick_does_not_turn_auto_repeat_into_a_release() {
        // The repeat press is judged by event times, even when it is processed late.
        let mut sim = Sim::new(HotkeyMode::Hold);
        sim.press(0);
        sim.capture(1, 80);
        sim.release(1000);
        let at = sim.at(1010);
        sim.send(Message::HotkeyPressed { at }, 1200);
        sim.tick(1200);
        assert_eq!(sim.status(), Status::Recording);
    }

    #[test]
    fn an_early_tick_reschedules_the_pending_release() {
        let mut sim = Sim::new(HotkeyMode::Hold);
        sim.press(0);
        sim.capture(1, 80);
        sim.release(1000);
        assert_eq!(sim.tick(1020), [Effect::ScheduleTick(sim.at(1050))]);
        assert_eq!(sim.status(), Status::Recording);
        assert!(sim.tick(1050).contains(&Effect::FinishStream(S1)));
    }

    #[test]
    fn a_release_then_a_press_past_the_window_is_two_gestures() {
        let mut sim = Sim::new(HotkeyMode::Hold);
        sim.press(0);
        sim.capture(1, 80);
        sim.release(1000);
        // The tick never came; a real press 200 ms later settles the release first.
        let effects = sim.press(1200);
        assert!(effects.contains(&Effect::FinishStream(S1)));
        assert_eq!(sim.status(), Status::Finishing);
    }

    #[test]
    fn press_bounce_is_ignored_with_its_release() {
        // Toggle: start, release confirmed by the tick at 150 ms. A press stamped 120 ms is
        // delivered only after that tick (a busy event queue): 20 ms after the release it is
        // bounce, and must not stop the recording.
        let mut sim = Sim::new(HotkeyMode::Toggle);
        sim.press(0);
        sim.capture(1, 80);
        sim.release(100);
        sim.tick(150);
        let at = sim.at(120);
        assert!(sim.send(Message::HotkeyPressed { at }, 160).is_empty());
        sim.release(170);
        assert!(
            sim.tick(220).is_empty(),
            "the bounce's release is ignored too"
        );
        assert_eq!(sim.status(), Status::Recording);
        // A real press later stops.
        assert!(sim.press(900).contains(&Effect::FinishStream(S1)));
    }

    #[test]
    fn duplicate_press_without_release_is_ignored() {
        let mut sim = Sim::new(HotkeyMode::Toggle);
        sim.press(0);
        sim.capture(1, 80);
        assert!(sim.press(600).is_empty(), "detectable auto-repeat");
        assert_eq!(sim.status(), Status::Recording);
    }

    #[test]
    fn toggle_mode_press_starts_next_press_stops() {
        let mut sim = Sim::new(HotkeyMode::Toggle);
        sim.press(0);
        sim.capture(1, 80);
        sim.release(120);
        sim.tick(170);
        assert_eq!(sim.status(), Status::Recording);
        sim.press(5000);
        assert_eq!(sim.status(), Status::Finishing);
        sim.release(5100);
        assert!(
            sim.tick(5150).is_empty(),
            "the stopping press's release does nothing"
        );
    }

    #[test]
    fn auto_mode_tap_toggles() {
        let mut sim = Sim::new(HotkeyMode::Auto);
        sim.press(0);
        sim.capture(1, 80);
        sim.release(150);
        sim.tick(200);
        assert_eq!(sim.status(), Status::Recording, "a tap latches");
        sim.press(6000);
        assert_eq!(sim.status(), Status::Finishing);
    }

    #[test]
    fn auto_mode_hold_is_push_to_talk() {
        let mut sim = Sim::new(HotkeyMode::Auto);
        sim.press(0);
        sim.capture(1, 80);
        sim.release(300); // exactly the threshold counts as a hold
        sim.tick(350);
        assert_eq!(sim.status(), Status::Finishing);
    }

    #[test]
    fn auto_mode_threshold_uses_release_time_not_tick_time() {
        let mut sim = Sim::new(HotkeyMode::Auto);
        sim.press(0);
        sim.capture(1, 80);
        sim.release(250);
        sim.tick(900); // a very late tick
        assert_eq!(sim.status(), Status::Recording, "250 ms was a tap");
    }

    #[test]
    fn hold_released_before_first_callback_abandons() {
        let mut sim = Sim::new(HotkeyMode::Hold);
        sim.press(0);
        sim.release(60);
        assert_eq!(
            sim.tick(110),
            [
                Effect::UnregisterEscape,
                Effect::CloseMicrophone(S1),
                Effect::CancelStream(S1),
                Effect::ShowState(Indicator::Idle),
            ]
        );
        assert_eq!(sim.status(), Status::Idle);
        // The late first callback of the abandoned session changes nothing.
        assert!(sim.capture(1, 130).is_empty());
        assert_eq!(sim.status(), Status::Idle);
    }

    #[test]
    fn api_stop_before_first_callback_abandons() {
        let mut sim = Sim::new(HotkeyMode::Auto);
        sim.command(Command::Start, 0);
        let effects = sim.command(Command::Stop, 10);
        assert!(effects.contains(&Effect::CancelStream(S1)));
        assert!(!effects.contains(&Effect::FinishStream(S1)));
        assert_eq!(sim.status(), Status::Idle);
    }

    #[test]
    fn double_start_is_one_session() {
        let mut sim = Sim::new(HotkeyMode::Auto);
        sim.command(Command::Start, 0);
        assert!(sim.command(Command::Start, 5).is_empty());
        sim.capture(1, 80);
        assert!(sim.command(Command::Start, 100).is_empty());
        assert_eq!(sim.coordinator.state().session(), Some(S1));
    }

    #[test]
    fn stop_and_toggle_when_idle_do_nothing() {
        let mut sim = Sim::new(HotkeyMode::Auto);
        assert!(sim.command(Command::Stop, 0).is_empty());
        assert!(sim.command(Command::Cancel, 0).is_empty());
        assert!(sim.send(Message::Escape, 0).is_empty());
        assert_eq!(sim.status(), Status::Idle);
    }

    #[test]
    fn hotkey_stops_a_recording_started_by_the_api() {
        let mut sim = Sim::new(HotkeyMode::Hold);
        sim.command(Command::Start, 0);
        sim.capture(1, 80);
        sim.press(2000);
        assert_eq!(sim.status(), Status::Finishing);
        sim.release(2100);
        assert!(sim.tick(2150).is_empty());
    }

    #[test]
    fn api_stop_while_hotkey_held_then_release_is_ignored() {
        let mut sim = Sim::new(HotkeyMode::Hold);
        sim.press(0);
        sim.capture(1, 80);
        sim.command(Command::Stop, 1000);
        assert_eq!(sim.status(), Status::Finishing);
        sim.release(1500);
        assert!(sim.tick(1550).is_empty());
        assert_eq!(sim.status(), Status::Finishing);
    }

    #[test]
    fn hotkey_while_finishing_is_busy_and_its_release_ignored() {
        let mut sim = Sim::new(HotkeyMode::Hold);
        sim.press(0);
        sim.capture(1, 80);
        sim.release(1000);
        sim.tick(1050);
        assert_eq!(sim.press(1100), [Effect::Notify(Notice::Busy)]);
        sim.final_text(1, "Một hai ba", 1200);
        sim.send(Message::InjectionDone { session: S1 }, 1300);
        assert_eq!(sim.status(), Status::Idle);
        sim.release(1400);
        assert!(sim.tick(1450).is_empty(), "release of the busy press");
        assert_eq!(sim.status(), Status::Idle);
        // The next press is a fresh dictation.
        assert!(
            sim.press(2000)
                .contains(&Effect::OpenMicrophone(Session(2)))
        );
    }

    #[test]
    fn toggle_command_while_finishing_reports_busy() {
        let mut sim = Sim::new(HotkeyMode::Toggle);
        sim.command(Command::Toggle, 0);
        sim.capture(1, 80);
        sim.command(Command::Toggle, 1000);
        assert_eq!(
            sim.command(Command::Toggle, 1100),
            [Effect::Notify(Notice::Busy)]
        );
    }

    #[test]
    fn escape_cancels_while_recording() {
        let mut sim = Sim::new(HotkeyMode::Toggle);
        sim.press(0);
        sim.capture(1, 80);
        let effects = sim.send(Message::Escape, 2000);
        assert_eq!(
            effects,
            [
                Effect::UnregisterEscape,
                Effect::CloseMicrophone(S1),
                Effect::CancelStream(S1),
                Effect::ShowState(Indicator::Idle),
            ]
        );
        assert_eq!(sim.status(), Status::Idle);
    }

    #[test]
    fn escape_during_finishing_is_not_ours() {
        let mut sim = Sim::new(HotkeyMode::Toggle);
        sim.command(Command::Start, 0);
        sim.capture(1, 80);
        sim.command(Command::Stop, 1000);
        assert!(sim.send(Message::Escape, 1010).is_empty());
        assert_eq!(sim.status(), Status::Finishing);
    }

    #[test]
    fn cancel_during_finishing_drops_the_late_final() {
        let mut sim = Sim::new(HotkeyMode::Toggle);
        sim.command(Command::Start, 0);
        sim.capture(1, 80);
        sim.command(Command::Stop, 1000);
        assert_eq!(
            sim.command(Command::Cancel, 1100),
            [Effect::CancelStream(S1), Effect::ShowState(Indicator::Idle)]
        );
        assert!(sim.final_text(1, "quá muộn", 1300).is_empty());
        assert_eq!(sim.status(), Status::Idle);
    }

    #[test]
    fn stale_final_from_a_cancelled_session_does_not_reach_the_next_one() {
        let mut sim = Sim::new(HotkeyMode::Toggle);
        sim.command(Command::Start, 0);
        sim.capture(1, 80);
        sim.command(Command::Stop, 1000);
        sim.command(Command::Cancel, 1100);
        sim.command(Command::Start, 1200);
        sim.capture(2, 1280);
        sim.command(Command::Stop, 3000);
        assert!(sim.final_text(1, "cũ", 3100).is_empty());
        let effects = sim.final_text(2, "mới", 3200);
        assert!(effects.contains(&Effect::Inject {
            session: Session(2),
            text: "mới".into()
        }));
    }

    #[test]
    fn cancel_while_injecting_is_too_late() {
        let mut sim = Sim::new(HotkeyMode::Toggle);
        sim.command(Command::Start, 0);
        sim.capture(1, 80);
        sim.command(Command::Stop, 1000);
        sim.final_text(1, "đã lưu", 1200);
        assert!(sim.command(Command::Cancel, 1210).is_empty());
        assert_eq!(sim.status(), Status::Injecting);
    }

    #[test]
    fn empty_final_returns_to_idle_without_history() {
        let mut sim = Sim::new(HotkeyMode::Toggle);
        sim.command(Command::Start, 0);
        sim.capture(1, 80);
        sim.command(Command::Stop, 1000);
        assert_eq!(
            sim.final_text(1, "  ", 1200),
            [
                Effect::Notify(Notice::NothingHeard),
                Effect::ShowState(Indicator::Idle)
            ]
        );
        assert_eq!(sim.status(), Status::Idle);
    }

    #[test]
    fn microphone_that_never_starts_times_out_into_error() {
        let mut sim = Sim::new(HotkeyMode::Toggle);
        sim.command(Command::Start, 0);
        assert!(sim.tick(2999).is_empty());
        let effects = sim.tick(3000);
        assert!(effects.contains(&Effect::CloseMicrophone(S1)));
        assert!(effects.contains(&Effect::ShowState(Indicator::Error)));
        assert_eq!(sim.status(), Status::Error);
        assert!(matches!(
            sim.coordinator.state().failure(),
            Some(Failure::Capture(reason)) if reason.contains("3.0 s")
        ));
    }

    #[test]
    fn capture_failure_before_audio_is_an_error_and_next_dictation_works() {
        let mut sim = Sim::new(HotkeyMode::Hold);
        sim.press(0);
        let reason = "device not found".to_string();
        let failed = sim.send(
            Message::CaptureFailed {
                session: S1,
                reason: reason.clone(),
            },
            50,
        );
        assert_eq!(
            failed,
            [
                Effect::Notify(Notice::CaptureFailed(reason)),
                Effect::UnregisterEscape,
                Effect::CloseMicrophone(S1),
                Effect::CancelStream(S1),
                Effect::ShowState(Indicator::Error),
            ]
        );
        sim.release(300);
        assert!(sim.tick(350).is_empty());
        assert_eq!(sim.status(), Status::Error);
        // The microphone is back: the next press starts session 2 and clears the error.
        assert!(
            sim.press(5000)
                .contains(&Effect::OpenMicrophone(Session(2)))
        );
        sim.capture(2, 5080);
        assert_eq!(sim.status(), Status::Recording);
    }

    #[test]
    fn microphone_vanishing_mid_dictation_still_delivers_the_captured_text() {
        let mut sim = Sim::new(HotkeyMode::Toggle);
        sim.command(Command::Start, 0);
        sim.capture(1, 80);
        let message = Message::CaptureFailed {
            session: S1,
            reason: "stream error".into(),
        };
        let effects = sim.send(message, 4000);
        assert!(effects.contains(&Effect::FinishStream(S1)));
        sim.final_text(1, "Phần đã ghi", 4300);
        let done = sim.send(Message::InjectionDone { session: S1 }, 4400);
        assert_eq!(done, [Effect::ShowState(Indicator::Error)]);
        assert_eq!(
            sim.coordinator.state().failure(),
            Some(&Failure::Capture("stream error".into()))
        );
    }

    #[test]
    fn injection_failure_is_reported_after_saving() {
        let mut sim = Sim::new(HotkeyMode::Toggle);
        sim.command(Command::Start, 0);
        sim.capture(1, 80);
        sim.command(Command::Stop, 1000);
        let effects = sim.final_text(1, "Văn bản", 1200);
        assert!(
            matches!(effects[0], Effect::SaveHistory { .. }),
            "history first"
        );
        let failed = sim.send(
            Message::InjectionFailed {
                session: S1,
                reason: "no focused window".into(),
            },
            1300,
        );
        assert_eq!(
            failed,
            [
                Effect::Notify(Notice::InjectionFailed("no focused window".into())),
                Effect::ShowState(Indicator::Error)
            ]
        );
    }

    #[test]
    fn engine_failure_while_recording_closes_everything() {
        let mut sim = Sim::new(HotkeyMode::Toggle);
        sim.command(Command::Start, 0);
        sim.capture(1, 80);
        let message = Message::StreamFailed {
            session: S1,
            reason: "model unloaded".into(),
        };
        let effects = sim.send(message, 500);
        assert!(effects.contains(&Effect::CloseMicrophone(S1)));
        assert_eq!(sim.status(), Status::Error);
    }

    #[test]
    fn step_is_pure() {
        let config = Config::default();
        let now = Instant::now();
        let message = Message::Command(Command::Start);
        let a = step(&config, State::default(), message.clone(), now);
        let b = step(&config, State::default(), message, now);
        assert_eq!(a, b);
    }

    #[test]
    fn mode_change_applies_to_the_next_release() {
        let mut sim = Sim::new(HotkeyMode::Hold);
        sim.press(0);
        sim.capture(1, 80);
        sim.coordinator.set_config(Config {
            mode: HotkeyMode::Toggle,
            ..Config::default()
        });
        sim.release(2000);
        sim.tick(2050);
        assert_eq!(sim.status(), Status::Recording, "now toggled on");
    }
}
