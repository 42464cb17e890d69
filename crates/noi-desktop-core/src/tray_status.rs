//! What the tray says: the first line of its menu (what the app is doing, or what is wrong and
//! how to fix it) and which of the four icons it shows. The shell draws; this decides.

use crate::coordinator::Indicator;

/// The speech model, as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelState {
    /// Being loaded (the first second or two after launch, or after a switch).
    Loading,
    Loaded(String),
    /// Nothing installed: the tray offers the default model.
    NoneInstalled {
        offer: DownloadOffer,
    },
    /// Installed but not usable, with the reason.
    Failed(String),
}

/// The default model as offered on first run: what it is, how big, under which licence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadOffer {
    pub id: String,
    pub name: String,
    pub size_mb: u64,
    pub license: String,
}

impl DownloadOffer {
    /// The tray's menu text, e.g. "Download speech model zipformer-vi-int8 (61 MB, Apache-2.0)…".
    pub fn label(&self) -> String {
        format!(
            "Download speech model {} ({} MB, {})…",
            self.id, self.size_mb, self.license
        )
    }
}

/// A model download (or install) running now, from the tray or the settings window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadProgress {
    pub id: String,
    /// 0–100 when the size is known.
    pub percent: Option<u8>,
}

impl DownloadProgress {
    pub fn line(&self) -> String {
        match self.percent {
            Some(p) => format!("Downloading {}: {p} %", self.id),
            None => format!("Downloading {}…", self.id),
        }
    }
}

/// Everything the tray's status line and icon depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayStatus {
    pub indicator: Indicator,
    /// What the dictation is doing, or its error.
    pub detail: String,
    pub model: ModelState,
    pub download: Option<DownloadProgress>,
    pub hotkey: String,
    /// Why the hotkey is not registered, if it is not.
    pub hotkey_error: Option<String>,
    pub hotkey_paused: bool,
    /// The last text was copied but not pasted (no keystrokes reach the app on this desktop):
    /// the user must press Ctrl+V. Cleared by the next dictation.
    pub copied_not_pasted: bool,
}

impl TrayStatus {
    /// The first line of the menu. A dictation in progress comes first (the user is acting
    /// on it), then what blocks dictation, then downloads, then readiness.
    pub fn status_line(&self) -> String {
        match self.indicator {
            Indicator::Recording if self.model == ModelState::Loading => {
                return "Recording… (loading the speech model; your words are kept)".into();
            }
            Indicator::Recording => return "Recording…".into(),
            Indicator::Busy => return "Transcribing…".into(),
            _ => {}
        }
        if let Some(download) = &self.download
            && !matches!(self.model, ModelState::Loaded(_))
        {
            return download.line();
        }
        match (&self.model, &self.hotkey_error) {
            (ModelState::NoneInstalled { .. }, _) => {
                return "No speech model installed: download one below".into();
            }
            (ModelState::Loading, _) => return "Loading the speech model…".into(),
            (ModelState::Failed(reason), _) => return format!("Model: {reason}"),
            (_, Some(error)) => return format!("Hotkey {} not available: {error}", self.hotkey),
            _ => {}
        }
        if self.indicator == Indicator::Error {
            format!("Error: {}", self.detail)
        } else if let Some(download) = &self.download {
            download.line()
        } else if self.hotkey_paused {
            "Hotkey paused".into()
        } else if self.copied_not_pasted {
            "Copied — press Ctrl+V to paste".into()
        } else {
            format!("Ready: hold {} and speak", self.hotkey)
        }
    }

    /// The icon: a missing model or hotkey is an error too, a download or load is busy; a
    /// dictation's own state wins while it runs.
    pub fn icon(&self) -> Indicator {
        if matches!(self.indicator, Indicator::Recording | Indicator::Busy) {
            return self.indicator;
        }
        let downloading = self.download.is_some();
        match (&self.model, &self.hotkey_error) {
            (ModelState::NoneInstalled { .. }, _) if downloading => Indicator::Busy,
            (ModelState::NoneInstalled { .. } | ModelState::Failed(_), _) => Indicator::Error,
            (ModelState::Loading, _) => Indicator::Busy,
            (_, Some(_)) => Indicator::Error,
            _ => self.indicator,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> TrayStatus {
        TrayStatus {
            indicator: Indicator::Idle,
            detail: String::new(),
            model: ModelState::Loaded("zipformer-vi-int8".into()),
            download: None,
            hotkey: "Ctrl+Alt+Space".into(),
            hotkey_error: None,
            hotkey_paused: false,
            copied_not_pasted: false,
        }
    }

    fn offer() -> DownloadOffer {
        DownloadOffer {
            id: "zipformer-vi-int8".into(),
            name: "Zipformer".into(),
            size_mb: 61,
            license: "Apache-2.0".into(),
        }
    }

    #[test]
    fn a_copy_that_was_not_pasted_tells_the_user_to_press_ctrl_v() {
        let copied = TrayStatus {
            copied_not_pasted: true,
            ..ready()
        };
        assert_eq!(copied.status_line(), "Copied — press Ctrl+V to paste");
        let recording = TrayStatus {
            indicator: Indicator::Recording,
            ..copied.clone()
        };
        assert_eq!(recording.status_line(), "Recording…");
    }

    #[test]
    fn ready_line_names_the_hotkey() {
        assert_eq!(
            ready().status_line(),
            "Ready: hold Ctrl+Alt+Space and speak"
        );
        assert_eq!(ready().icon(), Indicator::Idle);
    }

    #[test]
    fn missing_model_is_an_error_with_an_offer() {
        let mut status = ready();
        status.model = ModelState::NoneInstalled { offer: offer() };
        assert_eq!(status.icon(), Indicator::Error);
        assert!(status.status_line().contains("No speech model"));
        assert_eq!(
            offer().label(),
            "Download speech model zipformer-vi-int8 (61 MB, Apache-2.0)…"
        );
    }

    #[test]
    fn first_download_shows_percent_and_busy_icon() {
        let mut status = ready();
        status.model = ModelState::NoneInstalled { offer: offer() };
        status.download = Some(DownloadProgress {
            id: "x".into(),
            percent: Some(42),
        });
        assert_eq!(status.status_line(), "Downloading x: 42 %");
        assert_eq!(status.icon(), Indicator::Busy);
    }

    #[test]
    fn a_download_beside_a_loaded_model_keeps_the_ready_icon() {
        let mut status = ready();
        status.download = Some(DownloadProgress {
            id: "x".into(),
            percent: None,
        });
        assert_eq!(status.status_line(), "Downloading x…");
        assert_eq!(status.icon(), Indicator::Idle);
    }

    #[test]
    fn loading_is_busy_and_says_so() {
        let mut status = ready();
        status.model = ModelState::Loading;
        assert_eq!(status.status_line(), "Loading the speech model…");
        assert_eq!(status.icon(), Indicator::Busy);
    }

    #[test]
    fn recording_while_the_model_loads_says_the_words_are_kept() {
        let mut status = ready();
        status.model = ModelState::Loading;
        status.indicator = Indicator::Recording;
        assert!(status.status_line().contains("loading the speech model"));
        assert_eq!(status.icon(), Indicator::Recording);
    }

    #[test]
    fn hotkey_failure_is_shown_but_recording_wins_the_icon() {
        let mut status = ready();
        status.hotkey_error = Some("taken by another app".into());
        assert_eq!(status.icon(), Indicator::Error);
        assert!(status.status_line().contains("taken by another app"));
        status.indicator = Indicator::Recording;
        assert_eq!(status.icon(), Indicator::Recording);
        assert_eq!(status.status_line(), "Recording…");
    }

    #[test]
    fn a_dictation_error_shows_its_reason() {
        let mut status = ready();
        status.indicator = Indicator::Error;
        status.detail = "no microphone".into();
        assert_eq!(status.status_line(), "Error: no microphone");
        assert_eq!(status.icon(), Indicator::Error);
    }
}
