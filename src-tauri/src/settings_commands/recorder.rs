//! What the hotkey recorder needs from the app: while it listens, the global hotkey is let go.
//! X delivers a grabbed combination to the grabber only, so without this the current hotkey
//! could not be recorded (it would start a dictation instead of reaching the window).
//!
//! The hotkey comes back when the recorder stops, or, should the window close while it
//! listens, when the settings watcher sees the window gone. A hotkey paused from the tray stays
//! paused.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tauri::{AppHandle, Manager};

use crate::core::AppCore;
use crate::hotkeys::Hotkeys;
use crate::tray::Tray;

/// Whether the recorder has let the hotkey go (and so must bring it back).
static LET_GO: AtomicBool = AtomicBool::new(false);

#[tauri::command(async)]
pub fn set_recorder_listening(app: AppHandle, listening: bool) -> Result<(), String> {
    if !listening {
        return resume(&app);
    }
    let (Some(hotkeys), Some(tray)) = (
        app.try_state::<Arc<Hotkeys>>(),
        app.try_state::<Arc<Tray>>(),
    ) else {
        return Err("the app is still starting".into());
    };
    if !tray.snapshot().hotkey_paused && !LET_GO.swap(true, Ordering::SeqCst) {
        hotkeys.pause();
        tracing::debug!("hotkey let go while the recorder listens");
    }
    Ok(())
}

/// Registers the settings' hotkey again if the recorder let it go.
pub fn resume(app: &AppHandle) -> Result<(), String> {
    if !LET_GO.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
    let (Some(core), Some(hotkeys)) = (
        app.try_state::<Arc<AppCore>>(),
        app.try_state::<Arc<Hotkeys>>(),
    ) else {
        return Ok(());
    };
    hotkeys.set_hotkey(&core.settings().hotkey.accelerator)
}
