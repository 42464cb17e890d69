//! sway's IPC (`$SWAYSOCK`): the hotkey as a pair of bindings whose press and release come
//! back as `binding` events, and the focused window's app id (terminal or not; X11 or not).

use std::time::Instant;

use noi_desktop_core::coordinator::Message;
use noi_desktop_core::desktop_shortcut::{
    SWAY_PRESS_COMMAND, SWAY_RELEASE_COMMAND, sway_bind_commands, sway_unbind_commands,
};
use noi_desktop_core::hotkey::Accelerator;
use swayipc::{Connection, Event as SwayEvent, EventType, ShellType};

use crate::x11_probe::FocusedWindow;

/// Whether sway's socket is set and answers (without `SWAYSOCK`, swayipc would start `sway
/// --get-socketpath`, which is not what a probe should do).
pub fn available() -> bool {
    std::env::var_os("SWAYSOCK").is_some() && Connection::new().is_ok()
}

/// Runs sway commands; the first refusal is the error.
fn run(commands: &[String]) -> Result<(), String> {
    let mut connection = Connection::new().map_err(|e| e.to_string())?;
    for command in commands {
        for outcome in connection.run_command(command).map_err(|e| e.to_string())? {
            outcome.map_err(|e| format!("sway refused \"{command}\": {e}"))?;
        }
    }
    Ok(())
}

/// Binds the hotkey's press and release to the app's markers, for this session.
pub fn bind(accelerator: &Accelerator) -> Result<(), String> {
    run(&sway_bind_commands(accelerator))
}

/// Removes the bindings [`bind`] added (sway answers an error for a binding that is gone,
/// which is no error here).
pub fn unbind(accelerator: &Accelerator) {
    for command in sway_unbind_commands(accelerator) {
        if let Err(error) = run(std::slice::from_ref(&command)) {
            tracing::debug!("{error}");
        }
    }
}

/// Hands the bindings' presses and releases (and Escape) to `deliver`, on its own thread, for
/// the app's life (the socket closes with sway); `deliver` answers false to stop.
pub fn listen(deliver: impl Fn(Message) -> bool + Send + 'static) -> Result<(), String> {
    let stream = Connection::new()
        .and_then(|c| c.subscribe([EventType::Binding]))
        .map_err(|e| e.to_string())?;
    std::thread::Builder::new()
        .name("sway-bindings".into())
        .spawn(move || {
            for event in stream {
                let Ok(SwayEvent::Binding(binding)) = event else {
                    continue;
                };
                let at = Instant::now();
                let message = match binding.binding.command.as_str() {
                    SWAY_PRESS_COMMAND => Message::HotkeyPressed { at },
                    SWAY_RELEASE_COMMAND => Message::HotkeyReleased { at },
                    ESCAPE_COMMAND => Message::Escape,
                    _ => continue,
                };
                if !deliver(message) {
                    break;
                }
            }
            tracing::warn!("sway's IPC closed; the hotkey is gone until Nói restarts");
        })
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The focused window: its app id (Wayland) or WM_CLASS (XWayland).
pub fn focused_window() -> Option<FocusedWindow> {
    let tree = Connection::new().ok()?.get_tree().ok()?;
    let node = tree.find_focused(|n| n.focused)?;
    let properties = node.window_properties.as_ref();
    let class = node
        .app_id
        .clone()
        .or_else(|| properties.and_then(|p| p.class.clone()))
        .unwrap_or_default();
    let instance = properties
        .and_then(|p| p.instance.clone())
        .unwrap_or_else(|| class.clone());
    Some(FocusedWindow {
        id: node.id.to_string(),
        class,
        instance,
        x11: node.shell == Some(ShellType::Xwayland),
    })
}

/// The command of the Escape binding held while recording.
const ESCAPE_COMMAND: &str = "nop noi-desktop escape";

/// Takes Escape while recording (cancel), gives it back after.
pub fn set_escape(registered: bool) {
    let command = if registered {
        format!("bindsym --no-repeat Escape {ESCAPE_COMMAND}")
    } else {
        "unbindsym Escape".to_owned()
    };
    if let Err(error) = run(&[command]) {
        tracing::debug!("Escape (un)binding: {error}");
    }
}

/// Makes this process's overlay window (title `title`) float, stick to every workspace, sit
/// near the bottom and never take the focus when it maps (sway tiles and focuses new windows).
/// One rule per command: sway splits an IPC command at its commas before `for_window` sees it.
pub fn place_overlay(title: &str) -> Result<(), String> {
    let criteria = format!("[pid={} title=\"^{title}$\"]", std::process::id());
    let mut commands = vec![format!("no_focus {criteria}")];
    for rule in [
        "floating enable",
        "sticky enable",
        "border none",
        "move position center",
        "move down 35 ppt",
    ] {
        commands.push(format!("for_window {criteria} {rule}"));
    }
    run(&commands)
}
