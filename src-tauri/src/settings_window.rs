//! The settings window (ui/): opened from the tray, or by launching the app again.

use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};

pub const LABEL: &str = "settings";

/// Shows the window, creating it the first time (it is hidden, not destroyed, when closed).
pub fn open(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(LABEL) {
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    let built = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html".into()))
        .title("Nói — Settings")
        .inner_size(760.0, 640.0)
        .build();
    if let Err(error) = built {
        tracing::error!("cannot open the settings window: {error}");
    }
}
