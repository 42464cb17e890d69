//! The tray icon and its menu (UX.md "Tray"): state icon; model picker over the installed
//! models plus "Download models…"; input-device picker; output mode; copy last transcript;
//! settings…; pause hotkey; quit. The first line of the menu says what the app is doing, or
//! what is wrong and how to fix it.
//!
//! The menu is rebuilt from a [`TrayModel`] whenever something in it changes (cheap: a dozen
//! items), so there is one place that decides what it shows.

use std::sync::{Arc, Mutex};

use noi_desktop_core::coordinator::{Indicator, Notice};
use noi_desktop_core::injection_rules::OutputMode;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Wry};

use crate::capture::DeviceInfo;
use crate::core::Ui;
use crate::models::ModelState;

pub const TRAY_ID: &str = "noi";

/// Menu item ids.
pub mod ids {
    pub const STATUS: &str = "status";
    pub const MODEL_PREFIX: &str = "model:";
    pub const DOWNLOAD_DEFAULT: &str = "download-default";
    pub const DOWNLOAD_MODELS: &str = "download-models";
    pub const DEVICE_DEFAULT: &str = "device-default";
    pub const DEVICE_PREFIX: &str = "device:";
    pub const OUTPUT_PREFIX: &str = "output:";
    pub const COPY_LAST: &str = "copy-last";
    pub const SETTINGS: &str = "settings";
    pub const PAUSE_HOTKEY: &str = "pause-hotkey";
    pub const QUIT: &str = "quit";
}

/// Everything the tray shows.
#[derive(Debug, Clone)]
pub struct TrayModel {
    pub indicator: Indicator,
    /// What the dictation is doing, or the error.
    pub detail: String,
    pub model: ModelState,
    pub installed: Vec<String>,
    pub devices: Vec<DeviceInfo>,
    /// The user's device choice (None: system default).
    pub device_choice: Option<String>,
    pub output: OutputMode,
    pub hotkey: String,
    /// Why the hotkey is not registered, if it is not.
    pub hotkey_error: Option<String>,
    pub hotkey_paused: bool,
}

impl TrayModel {
    /// The status line at the top of the menu.
    pub fn status_line(&self) -> String {
        match (&self.model, &self.hotkey_error) {
            (ModelState::NoneInstalled { .. }, _) => {
                "No speech model installed: download one below".into()
            }
            (ModelState::Downloading { id, percent }, _) => match percent {
                Some(p) => format!("Downloading {id}: {p} %"),
                None => format!("Downloading {id}…"),
            },
            (ModelState::Failed(reason), _) => format!("Model: {reason}"),
            (_, Some(error)) => format!("Hotkey {} not available: {error}", self.hotkey),
            _ if self.indicator == Indicator::Error => format!("Error: {}", self.detail),
            _ if self.hotkey_paused => "Hotkey paused".into(),
            _ => match self.indicator {
                Indicator::Recording => "Recording…".into(),
                Indicator::Busy => "Transcribing…".into(),
                _ => format!("Ready: hold {} and speak", self.hotkey),
            },
        }
    }

    /// The icon: a missing model or hotkey is an error too.
    pub fn icon(&self) -> Indicator {
        match (&self.model, &self.hotkey_error) {
            (ModelState::NoneInstalled { .. } | ModelState::Failed(_), _) => Indicator::Error,
            (ModelState::Downloading { .. }, _) if self.indicator == Indicator::Idle => {
                Indicator::Busy
            }
            (_, Some(_)) if self.indicator == Indicator::Idle => Indicator::Error,
            _ => self.indicator,
        }
    }
}

pub fn icon_image(indicator: Indicator) -> Image<'static> {
    let bytes: &[u8] = match indicator {
        Indicator::Idle => include_bytes!("../../icons/tray-idle.png"),
        Indicator::Recording => include_bytes!("../../icons/tray-recording.png"),
        Indicator::Busy => include_bytes!("../../icons/tray-busy.png"),
        Indicator::Error => include_bytes!("../../icons/tray-error.png"),
    };
    Image::from_bytes(bytes).expect("the tray icons are valid PNG files")
}

/// The tray, updated from any thread.
pub struct Tray {
    app: AppHandle,
    model: Mutex<TrayModel>,
}

impl Tray {
    pub fn build(app: &AppHandle, model: TrayModel) -> tauri::Result<Arc<Tray>> {
        let menu = build_menu(app, &model)?;
        TrayIconBuilder::with_id(TRAY_ID)
            .icon(icon_image(model.icon()))
            .tooltip(format!("Nói: {}", model.status_line()))
            .menu(&menu)
            .show_menu_on_left_click(true)
            .on_menu_event(|app, event| crate::app::on_menu(app, event.id().as_ref()))
            .build(app)?;
        Ok(Arc::new(Tray {
            app: app.clone(),
            model: Mutex::new(model),
        }))
    }

    /// Changes the model and redraws what changed.
    pub fn update(&self, change: impl FnOnce(&mut TrayModel)) {
        let (before, after) = {
            let mut model = self.model.lock().unwrap_or_else(|e| e.into_inner());
            let before = model.clone();
            change(&mut model);
            (before, model.clone())
        };
        let Some(tray) = self.app.tray_by_id(TRAY_ID) else {
            return;
        };
        if before.icon() != after.icon() {
            let _ = tray.set_icon(Some(icon_image(after.icon())));
        }
        let _ = tray.set_tooltip(Some(format!("Nói: {}", after.status_line())));
        if menu_differs(&before, &after) {
            self.redraw_menu(&tray, &after);
        }
    }

    pub fn snapshot(&self) -> TrayModel {
        self.model.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn redraw_menu(&self, tray: &TrayIcon, model: &TrayModel) {
        match build_menu(&self.app, model) {
            Ok(menu) => {
                let _ = tray.set_menu(Some(menu));
            }
            Err(error) => tracing::warn!("tray menu: {error}"),
        }
    }
}

/// Whether anything the menu shows changed (the icon and tooltip are cheaper to set).
fn menu_differs(a: &TrayModel, b: &TrayModel) -> bool {
    a.status_line() != b.status_line()
        || a.model != b.model
        || a.installed != b.installed
        || a.devices != b.devices
        || a.device_choice != b.device_choice
        || a.output != b.output
        || a.hotkey_paused != b.hotkey_paused
}

fn build_menu(app: &AppHandle, model: &TrayModel) -> tauri::Result<Menu<Wry>> {
    let menu = Menu::new(app)?;
    menu.append(&MenuItem::with_id(
        app,
        ids::STATUS,
        model.status_line(),
        false,
        None::<&str>,
    )?)?;
    if let ModelState::NoneInstalled { offer } = &model.model {
        menu.append(&MenuItem::with_id(
            app,
            ids::DOWNLOAD_DEFAULT,
            offer.label(),
            true,
            None::<&str>,
        )?)?;
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&model_menu(app, model)?)?;
    menu.append(&device_menu(app, model)?)?;
    menu.append(&output_menu(app, model)?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(
        app,
        ids::COPY_LAST,
        "Copy last transcript",
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        ids::SETTINGS,
        "Settings…",
        true,
        None::<&str>,
    )?)?;
    menu.append(&CheckMenuItem::with_id(
        app,
        ids::PAUSE_HOTKEY,
        "Pause hotkey",
        true,
        model.hotkey_paused,
        None::<&str>,
    )?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(
        app,
        ids::QUIT,
        "Quit Nói",
        true,
        None::<&str>,
    )?)?;
    Ok(menu)
}

fn model_menu(app: &AppHandle, model: &TrayModel) -> tauri::Result<Submenu<Wry>> {
    let menu = Submenu::new(app, "Model", true)?;
    let active = match &model.model {
        ModelState::Loaded(id) => Some(id.as_str()),
        _ => None,
    };
    for id in &model.installed {
        menu.append(&CheckMenuItem::with_id(
            app,
            format!("{}{id}", ids::MODEL_PREFIX),
            id,
            true,
            active == Some(id.as_str()),
            None::<&str>,
        )?)?;
    }
    if model.installed.is_empty() {
        menu.append(&MenuItem::new(
            app,
            "(none installed)",
            false,
            None::<&str>,
        )?)?;
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(
        app,
        ids::DOWNLOAD_MODELS,
        "Download models…",
        true,
        None::<&str>,
    )?)?;
    Ok(menu)
}

fn device_menu(app: &AppHandle, model: &TrayModel) -> tauri::Result<Submenu<Wry>> {
    let menu = Submenu::new(app, "Microphone", true)?;
    menu.append(&CheckMenuItem::with_id(
        app,
        ids::DEVICE_DEFAULT,
        "System default",
        true,
        model.device_choice.is_none(),
        None::<&str>,
    )?)?;
    for device in &model.devices {
        let chosen = model.device_choice.as_deref() == Some(device.name.as_str());
        menu.append(&CheckMenuItem::with_id(
            app,
            format!("{}{}", ids::DEVICE_PREFIX, device.name),
            &device.name,
            true,
            chosen,
            None::<&str>,
        )?)?;
    }
    // A chosen device that is unplugged stays listed, so the choice is visible and kept.
    if let Some(choice) = &model.device_choice
        && !model.devices.iter().any(|d| &d.name == choice)
    {
        menu.append(&CheckMenuItem::with_id(
            app,
            format!("{}{choice}", ids::DEVICE_PREFIX),
            format!("{choice} (not connected)"),
            true,
            true,
            None::<&str>,
        )?)?;
    }
    Ok(menu)
}

fn output_menu(app: &AppHandle, model: &TrayModel) -> tauri::Result<Submenu<Wry>> {
    let menu = Submenu::new(app, "Output", true)?;
    for (mode, key, label) in [
        (OutputMode::Paste, "paste", "Paste"),
        (OutputMode::Type, "type", "Type"),
        (OutputMode::CopyOnly, "copy_only", "Copy only"),
    ] {
        menu.append(&CheckMenuItem::with_id(
            app,
            format!("{}{key}", ids::OUTPUT_PREFIX),
            label,
            true,
            model.output == mode,
            None::<&str>,
        )?)?;
    }
    Ok(menu)
}

/// The loop's view of the tray: state icon, Escape registration, notices.
pub struct TrayUi {
    pub tray: Arc<Tray>,
    pub hotkeys: Arc<crate::hotkeys::Hotkeys>,
}

impl Ui for TrayUi {
    fn show_state(&self, indicator: Indicator, detail: &str) {
        self.tray.update(|m| {
            m.indicator = indicator;
            m.detail = detail.to_owned();
        });
    }

    fn set_escape_registered(&self, registered: bool) {
        self.hotkeys.set_escape(registered);
    }

    fn notify(&self, notice: &Notice) {
        let text = match notice {
            Notice::Busy => return,
            Notice::NothingHeard => "Nothing heard".to_owned(),
            Notice::CaptureFailed(r) => format!("Microphone: {r}"),
            Notice::EngineFailed(r) => format!("Recognition failed: {r}"),
            Notice::InjectionFailed(r) => format!("Not inserted: {r}"),
        };
        if let Some(tray) = self.tray.app.tray_by_id(TRAY_ID) {
            let _ = tray.set_tooltip(Some(format!("Nói: {text}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::DownloadOffer;

    fn model() -> TrayModel {
        TrayModel {
            indicator: Indicator::Idle,
            detail: String::new(),
            model: ModelState::Loaded("zipformer-vi-int8".into()),
            installed: vec!["zipformer-vi-int8".into()],
            devices: vec![],
            device_choice: None,
            output: OutputMode::Paste,
            hotkey: "Ctrl+Alt+Space".into(),
            hotkey_error: None,
            hotkey_paused: false,
        }
    }

    #[test]
    fn ready_line_names_the_hotkey() {
        assert_eq!(
            model().status_line(),
            "Ready: hold Ctrl+Alt+Space and speak"
        );
        assert_eq!(model().icon(), Indicator::Idle);
    }

    #[test]
    fn missing_model_is_an_error_with_an_offer() {
        let mut m = model();
        m.model = ModelState::NoneInstalled {
            offer: DownloadOffer {
                id: "zipformer-vi-int8".into(),
                name: "Zipformer".into(),
                size_mb: 71,
                license: "Apache-2.0".into(),
            },
        };
        assert_eq!(m.icon(), Indicator::Error);
        assert!(m.status_line().contains("No speech model"));
    }

    #[test]
    fn download_progress_shows_percent_and_busy_icon() {
        let mut m = model();
        m.model = ModelState::Downloading {
            id: "x".into(),
            percent: Some(42),
        };
        assert_eq!(m.status_line(), "Downloading x: 42 %");
        assert_eq!(m.icon(), Indicator::Busy);
    }

    #[test]
    fn hotkey_failure_is_shown_but_recording_wins_the_icon() {
        let mut m = model();
        m.hotkey_error = Some("taken by another app".into());
        assert_eq!(m.icon(), Indicator::Error);
        assert!(m.status_line().contains("taken by another app"));
        m.indicator = Indicator::Recording;
        assert_eq!(m.icon(), Indicator::Recording);
    }
}
