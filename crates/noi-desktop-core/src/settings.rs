//! The settings file: one typed struct, `~/.config/noi/settings.toml` (`$NOI_CONFIG_DIR` when
//! set).
//!
//! - Every field has a default (`#[serde(default)]` on every struct), so an old or partial
//!   file loads, and unknown fields (from a newer Nói) are ignored. Enums fall back to their
//!   default on an unknown value for the same reason.
//! - Saving is atomic (temp file + rename) and the file is private (0600): it holds the API
//!   token.
//! - A file that cannot be parsed is moved aside to `settings.toml.corrupt-<unix time>` and
//!   reported ([`SettingsError::Corrupt`]); it is never silently overwritten.
//!   [`SettingsStore::load_or_default`] gives defaults plus that error for the shell to show.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use noi_text::TextOptions;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::coordinator::HotkeyMode;
use crate::fsutil;
use crate::hotkey::Accelerator;
use crate::injection_rules::OutputMode;

pub const SETTINGS_FILE: &str = "settings.toml";

/// Everything the user can set.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub hotkey: HotkeySettings,
    pub microphone: MicrophoneSettings,
    pub output: OutputSettings,
    pub text: TextSettings,
    pub model: ModelSettings,
    pub api: ApiSettings,
    pub history: HistorySettings,
    pub general: GeneralSettings,
    pub overlay: OverlaySettings,
    pub sounds: SoundSettings,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HotkeySettings {
    /// Default Ctrl+Alt+Space (see [`crate::hotkey`] for why).
    pub accelerator: Accelerator,
    pub mode: HotkeyMode,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MicrophoneSettings {
    /// The chosen input device's name; `None` is the system default. Kept while the device is
    /// away, so it is used again when it returns.
    pub device: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutputSettings {
    pub mode: OutputMode,
    /// Between putting the text on the clipboard and sending the paste keys, so the clipboard
    /// owner change has reached the target.
    pub paste_delay_ms: u64,
    /// Before the old clipboard is put back: the target reads the clipboard asynchronously
    /// (X11: 300–800 ms for some apps).
    pub clipboard_restore_delay_ms: u64,
    /// A space after each dictation.
    pub trailing_space: bool,
}

impl Default for OutputSettings {
    fn default() -> Self {
        Self {
            mode: OutputMode::Paste,
            paste_delay_ms: 50,
            clipboard_restore_delay_ms: 600,
            trailing_space: false,
        }
    }
}

impl OutputSettings {
    pub fn paste_delay(&self) -> Duration {
        Duration::from_millis(self.paste_delay_ms)
    }

    pub fn clipboard_restore_delay(&self) -> Duration {
        Duration::from_millis(self.clipboard_restore_delay_ms)
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TextSettings {
    /// Casing, spoken punctuation (with a switch per command), custom replacements and ITN: the
    /// text pipeline's own options (noi-text), stored as they are.
    #[serde(flatten)]
    pub options: TextOptions,
    /// Hotwords, one phrase a line as in a sherpa-onnx hotwords file (`Hà Nội :2.0`).
    pub hotwords: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelSettings {
    /// The catalog id of the model to load; `None` is the default installed model.
    pub active: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiSettings {
    pub enabled: bool,
    /// The port tried first; the next free one is used when it is taken.
    pub port: u16,
    /// The bearer token; `None` until the first run generates one.
    pub token: Option<String>,
    /// Browser origins allowed besides loopback ones.
    pub allowed_origins: Vec<String>,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            port: 9876,
            token: None,
            allowed_origins: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HistorySettings {
    pub enabled: bool,
    /// Entries older than this many days are deleted; 0 keeps everything. (Not an `Option`:
    /// TOML has no null, so `None` would be written as a missing key and load as the default.)
    pub retention_days: u32,
    /// Keep each dictation's audio (16 kHz mono WAV). Off by default: audio is personal and
    /// large (~1.9 MB a minute).
    pub keep_recordings: bool,
}

impl Default for HistorySettings {
    fn default() -> Self {
        Self {
            enabled: true,
            retention_days: 30,
            keep_recordings: false,
        }
    }
}

impl HistorySettings {
    /// How long entries are kept; `None` is forever.
    pub fn retention(&self) -> Option<Duration> {
        (self.retention_days > 0)
            .then(|| Duration::from_secs(u64::from(self.retention_days) * 86_400))
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GeneralSettings {
    /// Start Nói at login.
    pub autostart: bool,
    pub language: UiLanguage,
}

/// The recording overlay: a small window that shows the dictation while it runs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OverlaySettings {
    pub style: OverlayStyle,
    pub position: OverlayPosition,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverlayStyle {
    /// State, time and level meter, no words.
    Minimal,
    /// No window.
    Off,
    /// State, time, level meter and the words as they come. Unknown values fall back to it.
    #[default]
    #[serde(other)]
    Live,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverlayPosition {
    Top,
    /// Bottom centre of the screen the pointer is on. Unknown values fall back to it.
    #[default]
    #[serde(other)]
    Bottom,
}

/// Short sounds when a dictation starts, stops and fails. Off by default: the start cue is
/// played while the microphone opens, and the microphone must ignore what it hears until the
/// cue is over (or the cue would be transcribed), so a cue costs the first ~0.4 s of speech
/// to anyone who starts talking at once; the overlay shows the same states silently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SoundSettings {
    pub enabled: bool,
    /// 0.0–1.0.
    pub volume: f32,
}

impl Default for SoundSettings {
    fn default() -> Self {
        SoundSettings {
            enabled: false,
            volume: 0.5,
        }
    }
}

/// The settings window's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UiLanguage {
    Vi,
    En,
    /// Vietnamese when the system locale is Vietnamese, else English.
    #[default]
    #[serde(other)]
    System,
}

impl UiLanguage {
    /// The language to show, given the system locale (`LANG`, e.g. `vi_VN.UTF-8`).
    pub fn resolve(self, system_locale: Option<&str>) -> UiLanguage {
        match self {
            UiLanguage::System => {
                let locale = system_locale.unwrap_or("").to_ascii_lowercase();
                if locale.starts_with("vi") {
                    UiLanguage::Vi
                } else {
                    UiLanguage::En
                }
            }
            chosen => chosen,
        }
    }
}

#[derive(Debug, Error)]
pub enum SettingsError {
    #[error(
        "cannot find a config directory for settings: set NOI_CONFIG_DIR to a writable directory"
    )]
    NoConfigDir,
    #[error("cannot read {path}: {source}; check the file's permissions")]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "{path} is not a valid settings file ({reason}); it was moved to {backup} and Nói uses \
         default settings: fix the file and move it back, or set your settings again"
    )]
    Corrupt {
        path: PathBuf,
        backup: PathBuf,
        reason: String,
    },
    #[error(
        "{path} is not a valid settings file ({reason}) and could not be moved aside ({source}); \
         fix or delete it"
    )]
    CorruptNotMoved {
        path: PathBuf,
        reason: String,
        source: io::Error,
    },
    #[error("cannot save settings to {path}: {source}; check that the folder is writable")]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot encode settings: {0}")]
    Encode(#[from] toml::ser::Error),
}

/// The settings file's location and its load/save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsStore {
    path: PathBuf,
}

impl SettingsStore {
    /// `settings.toml` in `$NOI_CONFIG_DIR`, else in the platform config dir.
    pub fn open_default() -> Result<Self, SettingsError> {
        let dir = fsutil::config_dir().ok_or(SettingsError::NoConfigDir)?;
        Ok(Self::in_dir(dir))
    }

    pub fn in_dir(dir: impl AsRef<Path>) -> Self {
        Self {
            path: dir.as_ref().join(SETTINGS_FILE),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved settings; defaults when there is no file yet (first run).
    pub fn load(&self) -> Result<Settings, SettingsError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Ok(Settings::default());
            }
            Err(source) => {
                // Not UTF-8 is a corrupt file; anything else (permissions) is not ours to move.
                if source.kind() == io::ErrorKind::InvalidData {
                    return Err(self.set_aside("the file is not UTF-8 text".into()));
                }
                let path = self.path.clone();
                return Err(SettingsError::Read { path, source });
            }
        };
        toml::from_str(&text).map_err(|error| self.set_aside(describe(&error, &text)))
    }

    /// [`load`](Self::load), but always with usable settings: defaults plus the error to show
    /// when the file could not be used.
    pub fn load_or_default(&self) -> (Settings, Option<SettingsError>) {
        match self.load() {
            Ok(settings) => (settings, None),
            Err(error) => {
                tracing::warn!("{error}");
                (Settings::default(), Some(error))
            }
        }
    }

    /// Writes the settings atomically, readable by the user only.
    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        let text = toml::to_string_pretty(settings)?;
        fsutil::atomic_write(&self.path, text.as_bytes(), 0o600).map_err(|source| {
            SettingsError::Write {
                path: self.path.clone(),
                source,
            }
        })
    }

    /// Moves the unreadable file aside so that saving defaults cannot destroy it.
    fn set_aside(&self, reason: String) -> SettingsError {
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let backup = self
            .path
            .with_file_name(format!("{SETTINGS_FILE}.corrupt-{stamp}"));
        let path = self.path.clone();
        match fs::rename(&self.path, &backup) {
            Ok(()) => SettingsError::Corrupt {
                path,
                backup,
                reason,
            },
            Err(source) => SettingsError::CorruptNotMoved {
                path,
                reason,
                source,
            },
        }
    }
}

/// toml's message on one line, with the line number ("line 3: invalid type…").
fn describe(error: &toml::de::Error, text: &str) -> String {
    let message = error.message().trim().replace('\n', " ");
    let line = |offset: usize| {
        1 + text.as_bytes()[..offset.min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    };
    match error.span() {
        Some(span) => format!("line {}: {message}", line(span.start)),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hotkey::Accelerator;
    use noi_text::Casing;

    fn store() -> (tempfile::TempDir, SettingsStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());
        (dir, store)
    }

    #[test]
    fn missing_file_gives_defaults() {
        let (_dir, store) = store();
        let settings = store.load().unwrap();
        assert_eq!(settings, Settings::default());
        assert_eq!(settings.hotkey.accelerator, Accelerator::default());
        assert_eq!(settings.hotkey.mode, HotkeyMode::Auto);
        assert_eq!(settings.output.mode, OutputMode::Paste);
        assert_eq!(settings.api.port, 9876);
        assert!(settings.history.enabled);
    }

    #[test]
    fn save_then_load_round_trips_everything() {
        let (_dir, store) = store();
        let mut settings = Settings::default();
        settings.hotkey.accelerator = "Super+Alt+V".parse().unwrap();
        settings.hotkey.mode = HotkeyMode::Hold;
        settings.microphone.device = Some("USB Audio Device Mono".into());
        settings.output.mode = OutputMode::Type;
        settings.output.trailing_space = true;
        settings.text.options.casing = Casing::Lower;
        settings.text.options.spoken_punctuation = true;
        settings.text.options.commands.newline = false;
        settings.text.options.replacements =
            noi_text::parse_replacements("git húp | ghít húp => GitHub").unwrap();
        settings.text.hotwords = vec!["Hà Nội :2.0".into(), "Nguyễn Văn A".into()];
        settings.model.active = Some("zipformer-vi-int8".into());
        settings.api.token = Some("abc123".into());
        settings.api.allowed_origins = vec!["https://example.org".into()];
        settings.history.retention_days = 0;
        settings.history.keep_recordings = true;
        settings.general.autostart = true;
        settings.general.language = UiLanguage::Vi;
        store.save(&settings).unwrap();
        assert_eq!(store.load().unwrap(), settings);
    }

    #[test]
    fn partial_and_old_files_load_with_defaults_for_the_rest() {
        let (_dir, store) = store();
        let old = "[hotkey]\nmode = \"toggle\"\n\n[text]\nspoken_punctuation = true\n";
        fs::write(store.path(), old).unwrap();
        let settings = store.load().unwrap();
        assert_eq!(settings.hotkey.mode, HotkeyMode::Toggle);
        assert_eq!(settings.hotkey.accelerator, Accelerator::default());
        assert!(settings.text.options.spoken_punctuation);
        assert!(settings.text.options.commands.period);
        assert_eq!(settings.output, OutputSettings::default());
    }

    #[test]
    fn itn_is_on_in_old_files_and_each_class_switches_in_the_text_section() {
        let (_dir, store) = store();
        // A file from before ITN: no [text.itn] at all.
        fs::write(store.path(), "[text]\ncasing = \"lower\"\n").unwrap();
        let itn = store.load().unwrap().text.options.itn;
        assert_eq!(itn, noi_text::ItnOptions::default());
        assert!(itn.enabled && itn.money && itn.date && itn.address);

        let file = "[text]\nspoken_punctuation = true\n\n[text.itn]\nmoney = false\n\
                    time = false\ndecimal_separator = \"point\"\n\
                    thousands_separator = \"none\"\n";
        fs::write(store.path(), file).unwrap();
        let text = store.load().unwrap().text;
        assert!(text.options.spoken_punctuation);
        let itn = text.options.itn;
        assert!(itn.enabled && !itn.money && !itn.time && itn.percent && itn.cardinal);
        assert_eq!(itn.decimal_separator, noi_text::DecimalSeparator::Point);
        assert_eq!(itn.thousands_separator, noi_text::ThousandsSeparator::None);

        fs::write(store.path(), "[text.itn]\nenabled = false\n").unwrap();
        assert!(!store.load().unwrap().text.options.itn.enabled);
    }

    #[test]
    fn unknown_fields_and_values_from_a_newer_version_are_ignored() {
        let (_dir, store) = store();
        let newer = "telemetry = false\n[hotkey]\nmode = \"double_tap\"\n\
                     [output]\nmode = \"braille\"\nhaptics = true\n[future_section]\nx = 1\n";
        fs::write(store.path(), newer).unwrap();
        let settings = store.load().unwrap();
        assert_eq!(settings.hotkey.mode, HotkeyMode::Auto);
        assert_eq!(settings.output.mode, OutputMode::Paste);
    }

    #[test]
    fn corrupt_file_is_moved_aside_and_reported() {
        let (dir, store) = store();
        let broken = "[hotkey]\naccelerator = \"Ctrl+Hyper\"\n";
        fs::write(store.path(), broken).unwrap();
        let (settings, error) = store.load_or_default();
        assert_eq!(settings, Settings::default());
        let Some(SettingsError::Corrupt { backup, reason, .. }) = error else {
            panic!("expected Corrupt, got {error:?}");
        };
        assert!(
            reason.contains("Hyper") && reason.starts_with("line 2"),
            "{reason}"
        );
        assert_eq!(fs::read_to_string(&backup).unwrap(), broken);
        assert!(backup.starts_with(dir.path()));
        assert!(
            !store.path().exists(),
            "the broken file is not left to be overwritten"
        );
        // Saving now cannot touch the backup.
        store.save(&settings).unwrap();
        assert_eq!(fs::read_to_string(&backup).unwrap(), broken);
    }

    #[test]
    fn invalid_toml_and_wrong_types_are_corrupt() {
        for text in ["[hotkey\nmode=", "[api]\nport = \"nine\"\n", "api = 5\n"] {
            let (_dir, store) = store();
            fs::write(store.path(), text).unwrap();
            let error = store.load().unwrap_err();
            assert!(
                matches!(error, SettingsError::Corrupt { .. }),
                "{text}: {error}"
            );
            assert!(error.to_string().contains("default settings"));
        }
    }

    #[test]
    fn non_utf8_file_is_corrupt() {
        let (_dir, store) = store();
        fs::write(store.path(), b"\xff\xfe[hotkey]").unwrap();
        assert!(matches!(
            store.load().unwrap_err(),
            SettingsError::Corrupt { .. }
        ));
    }

    #[cfg(unix)]
    #[test]
    fn saved_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let (_dir, store) = store();
        store.save(&Settings::default()).unwrap();
        let mode = fs::metadata(store.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn saved_file_is_readable_toml() {
        let (_dir, store) = store();
        store.save(&Settings::default()).unwrap();
        let text = fs::read_to_string(store.path()).unwrap();
        assert!(text.contains("accelerator = \"Ctrl+Alt+Space\""), "{text}");
        assert!(text.contains("[history]"), "{text}");
    }

    #[test]
    fn config_dir_override_wins_over_the_platform_dir() {
        let chosen = fsutil::dir_or_platform(Some("/tmp/noi-test-config".into()), || None);
        assert_eq!(chosen, Some(PathBuf::from("/tmp/noi-test-config")));
        let fallback =
            fsutil::dir_or_platform(Some("".into()), || Some("/home/u/.config/noi".into()));
        assert_eq!(
            fallback,
            Some(PathBuf::from("/home/u/.config/noi")),
            "empty means unset"
        );
    }

    #[test]
    fn ui_language_follows_the_system_locale() {
        assert_eq!(
            UiLanguage::System.resolve(Some("vi_VN.UTF-8")),
            UiLanguage::Vi
        );
        assert_eq!(
            UiLanguage::System.resolve(Some("en_US.UTF-8")),
            UiLanguage::En
        );
        assert_eq!(UiLanguage::System.resolve(None), UiLanguage::En);
        assert_eq!(UiLanguage::En.resolve(Some("vi_VN")), UiLanguage::En);
    }

    #[test]
    fn retention_in_days() {
        let history = HistorySettings::default();
        assert_eq!(history.retention(), Some(Duration::from_secs(30 * 86_400)));
        let forever = HistorySettings {
            retention_days: 0,
            ..history
        };
        assert_eq!(forever.retention(), None);
    }
}
