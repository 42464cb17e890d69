//! Hyprland's IPC (`hyprctl`'s socket): the focused window's class, and the hotkey's bindings
//! through `hyprctl keyword` (press runs `noi-desktop --start`, release `--stop`).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::Command;

use noi_desktop_core::desktop_shortcut::{hyprland_bind_commands, hyprland_unbind_commands};
use noi_desktop_core::hotkey::Accelerator;

use crate::x11_probe::FocusedWindow;

/// The request socket: `$XDG_RUNTIME_DIR/hypr/<sig>/.socket.sock` (Hyprland ≥ 0.40), else
/// `/tmp/hypr/<sig>/.socket.sock`.
fn socket() -> Option<PathBuf> {
    let signature = std::env::var("HYPRLAND_INSTANCE_SIGNATURE").ok()?;
    let runtime = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from);
    runtime
        .map(|dir| dir.join("hypr").join(&signature).join(".socket.sock"))
        .into_iter()
        .chain([PathBuf::from("/tmp/hypr")
            .join(&signature)
            .join(".socket.sock")])
        .find(|path| path.exists())
}

pub fn available() -> bool {
    socket().is_some_and(|path| UnixStream::connect(path).is_ok())
}

fn request(what: &str) -> Option<String> {
    let mut stream = UnixStream::connect(socket()?).ok()?;
    stream.write_all(what.as_bytes()).ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    Some(reply)
}

pub fn focused_window() -> Option<FocusedWindow> {
    let reply: serde_json::Value = serde_json::from_str(&request("j/activewindow")?).ok()?;
    let class = reply.get("class")?.as_str()?.to_owned();
    Some(FocusedWindow {
        id: reply.get("address")?.as_str()?.to_owned(),
        instance: reply
            .get("initialClass")
            .and_then(|c| c.as_str())
            .unwrap_or(&class)
            .to_owned(),
        x11: reply.get("xwayland").and_then(|x| x.as_bool()) == Some(true),
        class,
    })
}

fn hyprctl(commands: Vec<Vec<String>>) -> Result<(), String> {
    for args in commands {
        let output = Command::new("hyprctl")
            .args(&args)
            .output()
            .map_err(|e| format!("hyprctl: {e}"))?;
        let said = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() || !said.trim().eq_ignore_ascii_case("ok") {
            return Err(format!("hyprctl {args:?}: {}", said.trim()));
        }
    }
    Ok(())
}

pub fn bind(accelerator: &Accelerator, exe: &str) -> Result<(), String> {
    hyprctl(hyprland_bind_commands(accelerator, exe))
}

pub fn unbind(accelerator: &Accelerator) {
    if let Err(error) = hyprctl(hyprland_unbind_commands(accelerator)) {
        tracing::debug!("{error}");
    }
}
