//! The microphone section: the devices present, and the live level meter (`level_meter`).

use std::sync::Arc;

use serde::Serialize;
use tauri::{AppHandle, State};

use super::said;
use crate::capture;
use crate::desktop::Desktop;

#[derive(Debug, Clone, Serialize)]
pub struct Device {
    pub name: String,
    pub is_default: bool,
}

#[tauri::command(async)]
pub fn list_devices() -> Vec<Device> {
    capture::list_devices()
        .into_iter()
        .map(|d| Device {
            name: d.name,
            is_default: d.is_default,
        })
        .collect()
}

/// Opens `device` (a name; none: the default one) for the meter; returns its name.
#[tauri::command(async)]
pub fn start_level_meter(
    app: AppHandle,
    desktop: State<'_, Arc<Desktop>>,
    device: Option<String>,
) -> Result<String, String> {
    desktop
        .meter
        .start(&app, device)
        .map_err(|problem| said(&desktop, problem))
}

/// Closes the meter's device (the window left the microphone section, or hid).
#[tauri::command(async)]
pub fn stop_level_meter(desktop: State<'_, Arc<Desktop>>) {
    desktop.meter.stop();
}
