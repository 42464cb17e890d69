//! What the hotkey recorder needs from the app: while it listens, the global hotkey is let go.
//! X delivers a grabbed combination to the grabber only, so without this the current hotkey
//! could not be recorded (it would start a dictation instead of reaching the window).
//!
//! The hotkey comes back when the recorder stops, or when the window closes while it
//! listens (the controller sees to both). A hotkey paused from the tray stays paused.

use std::sync::Arc;

use tauri::State;

use super::said;
use crate::desktop::Desktop;

#[tauri::command(async)]
pub fn set_recorder_listening(
    desktop: State<'_, Arc<Desktop>>,
    listening: bool,
) -> Result<(), String> {
    desktop
        .set_recorder_listening(listening)
        .map_err(|problem| said(&desktop, problem))
}
