//! "Add desktop shortcut": where Wayland offers no GlobalShortcuts portal, GNOME and KDE run a
//! command on a key of the user's choice. The commands are `noi_desktop_core::desktop_shortcut`'s;
//! this runs them (gsettings, kwriteconfig).

use std::path::PathBuf;
use std::process::Command;

use noi_desktop_core::desktop_shortcut::{
    KDE_DESKTOP_FILE, gnome_bind_commands, gnome_unbind_commands, kde_desktop_file,
    kde_shortcut_commands,
};
use noi_desktop_core::hotkey::Accelerator;
use noi_desktop_core::session::DesktopFamily;

const GNOME_LIST: [&str; 3] = [
    "get",
    "org.gnome.settings-daemon.plugins.media-keys",
    "custom-keybindings",
];

fn run(program: &str, args: &[String]) -> Result<String, String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn gnome_list() -> Result<String, String> {
    run("gsettings", &GNOME_LIST.map(String::from))
}

/// Adds (or, with `None`, removes) the shortcut that runs `exe --toggle`.
pub fn set(
    family: DesktopFamily,
    accelerator: Option<&Accelerator>,
    exe: &str,
) -> Result<(), String> {
    match family {
        DesktopFamily::Gnome => {
            let list = gnome_list()?;
            let commands = match accelerator {
                Some(accelerator) => gnome_bind_commands(accelerator, exe, &list),
                None => gnome_unbind_commands(&list),
            };
            commands
                .iter()
                .try_for_each(|args| run("gsettings", args).map(|_| ()))
        }
        DesktopFamily::Kde => {
            let file = applications_dir().join(KDE_DESKTOP_FILE);
            match accelerator {
                Some(_) => {
                    std::fs::create_dir_all(applications_dir()).map_err(|e| e.to_string())?;
                    std::fs::write(&file, kde_desktop_file(exe)).map_err(|e| e.to_string())?;
                }
                None => {
                    let _ = std::fs::remove_file(&file);
                }
            }
            let tool = ["kwriteconfig6", "kwriteconfig5"]
                .into_iter()
                .find(|tool| Command::new(tool).arg("--help").output().is_ok())
                .ok_or("kwriteconfig is not installed")?;
            kde_shortcut_commands(accelerator)
                .iter()
                .try_for_each(|args| run(tool, args).map(|_| ()))
        }
        _ => Err("this desktop has no shortcut service Nói knows".to_owned()),
    }
}

fn applications_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_default()
        .join("applications")
}
