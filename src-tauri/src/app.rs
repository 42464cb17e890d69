//! Wiring: the Tauri app, its plugins, the settings window's commands, and the [`Desktop`]
//! controller put into managed state once set-up has built it. Nothing here decides anything:
//! every call-back hands over to the controller.

use std::sync::Arc;

use anyhow::Context;
use tauri::{AppHandle, Manager, RunEvent};
use tauri_plugin_autostart::MacosLauncher;

use crate::desktop::Desktop;
use crate::launch_args::LaunchArgs;

/// Builds and runs the app until Quit.
pub fn run(args: LaunchArgs) -> anyhow::Result<()> {
    let app = tauri::Builder::default()
        // First, so a second launch forwards its command before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            if let Some(desktop) = desktop(app) {
                desktop.on_second_launch(&argv);
            }
        }))
        .plugin(tauri_plugin_global_shortcut::Builder::new().build())
        .plugin(tauri_plugin_autostart::init(
            MacosLauncher::LaunchAgent,
            None,
        ))
        .invoke_handler(crate::settings_commands::handler())
        .setup(move |app| {
            let on_menu = Box::new(|app: &AppHandle, id: &str| {
                if let Some(desktop) = desktop(app) {
                    desktop.on_menu(id);
                }
            });
            let desktop = Desktop::start(app.handle(), &args, on_menu)?;
            app.manage(desktop);
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"))
        .context("cannot start the desktop app")?;
    app.run(|app, event| match event {
        // Closing the settings window must not quit a tray app; only Quit (exit code set) does.
        RunEvent::ExitRequested { api, code, .. } if code.is_none() => api.prevent_exit(),
        RunEvent::Exit => {
            if let Some(desktop) = desktop(app) {
                desktop.shut_down();
            }
        }
        _ => {}
    });
    Ok(())
}

/// The controller, once set-up has made it (call-backs that fire earlier find none).
fn desktop(app: &AppHandle) -> Option<Arc<Desktop>> {
    app.try_state::<Arc<Desktop>>().map(|d| Arc::clone(&d))
}
