//! The tray icon and its menu (docs/desktop.md "Tray"): state icon; model picker over the installed
//! models plus "Download models…"; input-device picker; output mode; copy last transcript;
//! settings…; pause hotkey; quit. The first line of the menu says what the app is doing, or
//! what is wrong and how to fix it.
//!
//! The menu is rebuilt from a [`TrayModel`] whenever something in it changes (cheap: a dozen
//! items), so there is one place that decides what it shows.

use std::sync::{Arc, Mutex};

use noi_desktop_core::coordinator::Indicator;
use noi_desktop_core::injection_rules::OutputMode;
use noi_desktop_core::tray_status::{ModelState, TrayStatus};
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Wry};

use crate::capture::DeviceInfo;

pub const TRAY_ID: &str = "noi";

/// Menu item ids.
pub mod ids {
    pub const STATUS: &str = "status";
    pub const MODEL_PREFIX: &str = "model:";
    pub const DOWNLOAD_DEFAULT: &str = "download-default";
    pub const DOWNLOAD_MODELS: &str = "download-models";
    pub const CANCEL_DOWNLOAD_PREFIX: &str = "cancel-download:";
    pub const DEVICE_DEFAULT: &str = "device-default";
    pub const DEVICE_PREFIX: &str = "device:";
    pub const OUTPUT_PREFIX: &str = "output:";
    pub const COPY_LAST: &str = "copy-last";
    pub const SETTINGS: &str = "settings";
    pub const PAUSE_HOTKEY: &str = "pause-hotkey";
    pub const ADD_DESKTOP_SHORTCUT: &str = "add-desktop-shortcut";
    pub const QUIT: &str = "quit";
}

/// Everything the tray shows: the status (line and icon, decided in noi-desktop-core) and
/// the menus' choices.
#[derive(Debug, Clone)]
pub struct TrayModel {
    pub status: TrayStatus,
    pub installed: Vec<String>,
    pub devices: Vec<DeviceInfo>,
    /// The user's device choice (None: system default).
    pub device_choice: Option<String>,
    pub output: OutputMode,
    /// On Wayland: which backends are in use and what to do about a missing one (shown
    /// under the status line; empty on X11).
    pub session_lines: Vec<String>,
    /// Offer "Add desktop shortcut" (GNOME, KDE without the GlobalShortcuts portal).
    pub offer_desktop_shortcut: bool,
}

/// What a tray menu click does; handed in by the wiring.
pub type OnMenu = Box<dyn Fn(&AppHandle, &str) + Send + Sync>;

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
    /// The menu's first line, changed in place: rebuilding the menu for every download
    /// percent would close it under the user's pointer.
    status_item: Mutex<Option<MenuItem<Wry>>>,
}

impl Tray {
    pub fn build(app: &AppHandle, model: TrayModel, on_menu: OnMenu) -> tauri::Result<Arc<Tray>> {
        let (menu, status_item) = build_menu(app, &model)?;
        TrayIconBuilder::with_id(TRAY_ID)
            .icon(icon_image(model.status.icon()))
            .tooltip(format!("Nói: {}", model.status.status_line()))
            .menu(&menu)
            .show_menu_on_left_click(true)
            .on_menu_event(move |app, event| on_menu(app, event.id().as_ref()))
            .build(app)?;
        Ok(Arc::new(Tray {
            app: app.clone(),
            model: Mutex::new(model),
            status_item: Mutex::new(Some(status_item)),
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
        if before.status.status_line() != after.status.status_line() {
            // What the first line says, for the logs (and the tests, where no tray is shown).
            tracing::debug!("tray status: {}", after.status.status_line());
        }
        let Some(tray) = self.app.tray_by_id(TRAY_ID) else {
            return;
        };
        if before.status.icon() != after.status.icon() {
            let _ = tray.set_icon(Some(icon_image(after.status.icon())));
        }
        let _ = tray.set_tooltip(Some(format!("Nói: {}", after.status.status_line())));
        if menu_differs(&before, &after) {
            self.redraw_menu(&tray, &after);
        } else if before.status.status_line() != after.status.status_line() {
            let item = self.status_item.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(item) = item.as_ref() {
                let _ = item.set_text(after.status.status_line());
            }
        }
    }

    /// Says something for a moment in the tooltip (a notice after a dictation).
    pub fn say(&self, text: &str) {
        if let Some(tray) = self.app.tray_by_id(TRAY_ID) {
            let _ = tray.set_tooltip(Some(format!("Nói: {text}")));
        }
    }

    pub fn snapshot(&self) -> TrayModel {
        self.model.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn redraw_menu(&self, tray: &TrayIcon, model: &TrayModel) {
        match build_menu(&self.app, model) {
            Ok((menu, status_item)) => {
                let _ = tray.set_menu(Some(menu));
                *self.status_item.lock().unwrap_or_else(|e| e.into_inner()) = Some(status_item);
            }
            Err(error) => tracing::warn!("tray menu: {error}"),
        }
    }
}

/// Whether the menu's items changed (its first line is set in place; the icon and tooltip
/// are set on their own).
fn menu_differs(a: &TrayModel, b: &TrayModel) -> bool {
    let download = |m: &TrayModel| m.status.download.as_ref().map(|d| d.id.clone());
    a.status.model != b.status.model
        || download(a) != download(b)
        || a.installed != b.installed
        || a.devices != b.devices
        || a.device_choice != b.device_choice
        || a.output != b.output
        || a.status.hotkey_paused != b.status.hotkey_paused
}

/// The menu, and its first line (the status) to change in place.
fn build_menu(app: &AppHandle, model: &TrayModel) -> tauri::Result<(Menu<Wry>, MenuItem<Wry>)> {
    let menu = Menu::new(app)?;
    let status = MenuItem::with_id(
        app,
        ids::STATUS,
        model.status.status_line(),
        false,
        None::<&str>,
    )?;
    menu.append(&status)?;
    for line in &model.session_lines {
        menu.append(&MenuItem::new(app, line, false, None::<&str>)?)?;
    }
    if model.offer_desktop_shortcut {
        menu.append(&MenuItem::with_id(
            app,
            ids::ADD_DESKTOP_SHORTCUT,
            format!("Add desktop shortcut ({})", model.status.hotkey),
            true,
            None::<&str>,
        )?)?;
    }
    match (&model.status.model, &model.status.download) {
        (_, Some(download)) => menu.append(&MenuItem::with_id(
            app,
            format!("{}{}", ids::CANCEL_DOWNLOAD_PREFIX, download.id),
            format!("Cancel download of {}", download.id),
            true,
            None::<&str>,
        )?)?,
        (ModelState::NoneInstalled { offer }, None) => menu.append(&MenuItem::with_id(
            app,
            ids::DOWNLOAD_DEFAULT,
            offer.label(),
            true,
            None::<&str>,
        )?)?,
        _ => {}
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
        model.status.hotkey_paused,
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
    Ok((menu, status))
}

fn model_menu(app: &AppHandle, model: &TrayModel) -> tauri::Result<Submenu<Wry>> {
    let menu = Submenu::new(app, "Model", true)?;
    let active = match &model.status.model {
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
