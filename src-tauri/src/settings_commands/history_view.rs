//! The history section: recent transcripts with copy and delete, and clear all. On/off and
//! retention are ordinary settings (preferences.rs).

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use noi_desktop_core::history::{Delivery, Entry, History, TranscriptId};
use noi_desktop_core::messages::Problem;
use serde::Serialize;
use tauri::State;

use super::said;
use crate::desktop::Desktop;

/// At most this many entries are listed (the window is for recent ones).
const MAX_LISTED: usize = 200;

#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    pub id: i64,
    pub text: String,
    /// Milliseconds since the Unix epoch (the window formats it in the user's locale).
    pub created_ms: u64,
    pub duration_ms: u64,
    pub model: Option<String>,
    /// pending | injected | copied | failed
    pub delivery: &'static str,
    /// Why delivery failed.
    pub error: Option<String>,
}

impl From<Entry> for EntryView {
    fn from(entry: Entry) -> Self {
        let (delivery, error) = match entry.delivery {
            Delivery::Pending => ("pending", None),
            Delivery::Injected => ("injected", None),
            Delivery::Copied => ("copied", None),
            Delivery::Failed(why) => ("failed", Some(why)),
        };
        EntryView {
            id: entry.id.0,
            text: entry.text,
            created_ms: entry
                .created_at
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            duration_ms: entry.duration.as_millis() as u64,
            model: entry.model_id,
            delivery,
            error,
        }
    }
}

/// Runs `f` on the open history; an error when it could not be opened at start.
fn with_history<T>(
    desktop: &Desktop,
    f: impl FnOnce(&mut History) -> Result<T, noi_desktop_core::history::HistoryError>,
) -> Result<T, String> {
    let mut history = desktop
        .core
        .history
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let Some(history) = history.as_mut() else {
        return Err(said(desktop, Problem::HistoryUnavailable));
    };
    f(history).map_err(|e| said(desktop, Problem::History(e.to_string())))
}

#[tauri::command(async)]
pub fn list_history(
    desktop: State<'_, Arc<Desktop>>,
    limit: Option<usize>,
) -> Result<Vec<EntryView>, String> {
    let limit = limit.unwrap_or(50).min(MAX_LISTED);
    let entries = with_history(&desktop, |h| h.recent(limit))?;
    Ok(entries.into_iter().map(EntryView::from).collect())
}

/// Puts entry `id`'s text on the clipboard.
#[tauri::command(async)]
pub fn copy_history_entry(desktop: State<'_, Arc<Desktop>>, id: i64) -> Result<(), String> {
    let entry = with_history(&desktop, |h| h.get(TranscriptId(id)))?
        .ok_or_else(|| said(&desktop, Problem::TranscriptGone))?;
    desktop
        .core
        .injector
        .set_clipboard(&entry.text)
        .map_err(|e| said(&desktop, Problem::Clipboard(e.to_string())))
}

#[tauri::command(async)]
pub fn delete_history_entry(desktop: State<'_, Arc<Desktop>>, id: i64) -> Result<bool, String> {
    with_history(&desktop, |h| h.delete(TranscriptId(id)))
}

/// Deletes every transcript (and recording); returns how many.
#[tauri::command(async)]
pub fn clear_history(desktop: State<'_, Arc<Desktop>>) -> Result<usize, String> {
    with_history(&desktop, |h| h.clear())
}
