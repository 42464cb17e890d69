//! Edits to the settings: the settings window sends *patches* (`{"output": {"mode": "type"}}`),
//! not whole settings. A patch is merged into the app's current settings, so a change made in
//! the tray a moment earlier is never overwritten by the window's older copy; the result is
//! then checked for what the types alone do not rule out.

use serde_json::Value;
use thiserror::Error;

use crate::settings::Settings;

/// The longest paste delay accepted: longer would feel broken.
pub const MAX_PASTE_DELAY_MS: u64 = 5_000;

/// Why an edit was refused. Nothing of it was applied.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SettingsProblem {
    /// The patch does not fit the settings' types (a bad hotkey, an unknown value…).
    #[error("invalid setting: {0}")]
    Invalid(String),
    #[error("port {0} needs administrator rights: choose one from 1024 to 65535")]
    PrivilegedPort(u16),
    #[error("a paste delay over 5000 ms would feel broken: choose 0–5000 ms")]
    PasteDelayTooLong,
    #[error("\"{0}\" is not an origin: write it as https://example.org")]
    NotAnOrigin(String),
}

/// `current` with `patch` merged in (objects key by key, anything else replaced), checked.
pub fn apply_patch(current: &Settings, patch: Value) -> Result<Settings, SettingsProblem> {
    let new = patched(current, patch)?;
    validate(&new)?;
    Ok(new)
}

/// `current` with `patch` merged in, not yet checked by [`validate`].
pub fn patched(current: &Settings, patch: Value) -> Result<Settings, SettingsProblem> {
    let mut value =
        serde_json::to_value(current).map_err(|e| SettingsProblem::Invalid(e.to_string()))?;
    merge(&mut value, patch);
    serde_json::from_value(value).map_err(|e| SettingsProblem::Invalid(e.to_string()))
}

fn merge(into: &mut Value, patch: Value) {
    match (into, patch) {
        (Value::Object(into), Value::Object(patch)) => {
            for (key, value) in patch {
                merge(into.entry(key).or_insert(Value::Null), value);
            }
        }
        (into, patch) => *into = patch,
    }
}

/// What the types alone do not rule out.
pub fn validate(settings: &Settings) -> Result<(), SettingsProblem> {
    let port = settings.api.port;
    if port != 0 && port < 1024 {
        return Err(SettingsProblem::PrivilegedPort(port));
    }
    if settings.output.paste_delay_ms > MAX_PASTE_DELAY_MS {
        return Err(SettingsProblem::PasteDelayTooLong);
    }
    let bare = settings
        .api
        .allowed_origins
        .iter()
        .find(|o| !(o.starts_with("http://") || o.starts_with("https://")));
    if let Some(origin) = bare {
        return Err(SettingsProblem::NotAnOrigin(origin.clone()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::injection_rules::OutputMode;
    use serde_json::json;

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let mut current = Settings::default();
        current.microphone.device = Some("USB".into());
        let new = apply_patch(&current, json!({"output": {"mode": "type"}})).unwrap();
        assert_eq!(new.output.mode, OutputMode::Type);
        assert_eq!(new.microphone.device.as_deref(), Some("USB"));
        assert_eq!(new.output.paste_delay_ms, current.output.paste_delay_ms);
    }

    #[test]
    fn a_bad_hotkey_in_a_patch_is_an_error_naming_it() {
        let error = patched(
            &Settings::default(),
            json!({"hotkey": {"accelerator": "Ctrl+Hyper"}}),
        )
        .unwrap_err();
        assert!(error.to_string().contains("Hyper"), "{error}");
    }

    #[test]
    fn privileged_ports_long_delays_and_bare_origins_are_refused() {
        let low = apply_patch(&Settings::default(), json!({"api": {"port": 80}}));
        assert_eq!(low.unwrap_err(), SettingsProblem::PrivilegedPort(80));
        let zero = apply_patch(&Settings::default(), json!({"api": {"port": 0}}));
        assert!(zero.is_ok(), "port 0 lets the system choose");
        let slow = apply_patch(
            &Settings::default(),
            json!({"output": {"paste_delay_ms": 5001}}),
        );
        assert_eq!(slow.unwrap_err(), SettingsProblem::PasteDelayTooLong);
        let origin = apply_patch(
            &Settings::default(),
            json!({"api": {"allowed_origins": ["https://ok.example", "example.org"]}}),
        );
        assert_eq!(
            origin.unwrap_err(),
            SettingsProblem::NotAnOrigin("example.org".into())
        );
    }

    #[test]
    fn null_clears_an_optional_setting() {
        let mut current = Settings::default();
        current.microphone.device = Some("USB".into());
        let new = apply_patch(&current, json!({"microphone": {"device": null}})).unwrap();
        assert_eq!(new.microphone.device, None);
    }
}
