//! The hotkey as the compositor or desktop spells it, and the commands that add and remove it
//! where Wayland offers no portal: sway's IPC commands, Hyprland's `hyprctl keyword`, GNOME's
//! custom keybinding (gsettings), KDE's service shortcut (kglobalshortcutsrc). Pure: the shell
//! runs what these return.
//!
//! sway's binding does not run a program: it is a `nop` whose press and release come back to
//! the running app as IPC `binding` events (hold-to-talk, and no process start on the latency
//! path). The line the user can keep in the config runs `noi-desktop --toggle` instead, which
//! also starts Nói when it is not running.

use crate::hotkey::{Accelerator, Key, Modifier, NamedKey};

/// The command of sway's press binding; the app matches IPC events on it.
pub const SWAY_PRESS_COMMAND: &str = "nop noi-desktop hotkey-press";
/// The command of sway's release binding.
pub const SWAY_RELEASE_COMMAND: &str = "nop noi-desktop hotkey-release";

/// GNOME's dconf path of Nói's custom keybinding.
pub const GNOME_BINDING_PATH: &str =
    "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/noi-dictate/";
const GNOME_MEDIA_KEYS: &str = "org.gnome.settings-daemon.plugins.media-keys";
/// KDE's service entry (a desktop file of this name in `~/.local/share/applications`).
pub const KDE_DESKTOP_FILE: &str = "noi-dictate.desktop";

/// The xkb keysym name of a key (what sway, Hyprland and GNOME accelerators use).
pub fn keysym_name(key: Key) -> String {
    match key {
        Key::Letter(c) => c.to_ascii_lowercase().to_string(),
        Key::Digit(d) => d.to_string(),
        Key::Function(n) => format!("F{n}"),
        Key::Named(named) => named_keysym(named).to_owned(),
    }
}

fn named_keysym(key: NamedKey) -> &'static str {
    match key {
        NamedKey::Space => "space",
        NamedKey::Enter => "Return",
        NamedKey::Tab => "Tab",
        NamedKey::Backspace => "BackSpace",
        NamedKey::Escape => "Escape",
        NamedKey::Insert => "Insert",
        NamedKey::Delete => "Delete",
        NamedKey::Home => "Home",
        NamedKey::End => "End",
        NamedKey::PageUp => "Prior",
        NamedKey::PageDown => "Next",
        NamedKey::ArrowUp => "Up",
        NamedKey::ArrowDown => "Down",
        NamedKey::ArrowLeft => "Left",
        NamedKey::ArrowRight => "Right",
        NamedKey::Backquote => "grave",
        NamedKey::Minus => "minus",
        NamedKey::Equal => "equal",
        NamedKey::BracketLeft => "bracketleft",
        NamedKey::BracketRight => "bracketright",
        NamedKey::Backslash => "backslash",
        NamedKey::Semicolon => "semicolon",
        NamedKey::Quote => "apostrophe",
        NamedKey::Comma => "comma",
        NamedKey::Period => "period",
        NamedKey::Slash => "slash",
        NamedKey::PrintScreen => "Print",
        NamedKey::ScrollLock => "Scroll_Lock",
        NamedKey::Pause => "Pause",
    }
}

/// `accelerator` in one desktop's spelling: its names for Ctrl, Alt, Shift and Super (in that
/// order), a separator, then the key as `key` names it.
fn spell(
    accelerator: &Accelerator,
    names: [&str; 4],
    separator: &str,
    key: impl Fn(Key) -> String,
) -> String {
    let mut parts: Vec<String> = accelerator
        .modifiers
        .iter()
        .map(|m| {
            match m {
                Modifier::Ctrl => names[0],
                Modifier::Alt => names[1],
                Modifier::Shift => names[2],
                Modifier::Super => names[3],
            }
            .to_owned()
        })
        .collect();
    parts.push(key(accelerator.key));
    parts.join(separator)
}

/// The trigger offered to the GlobalShortcuts portal (the XDG shortcuts format: `CTRL+ALT+space`,
/// Super is `LOGO`).
pub fn portal_trigger(accelerator: &Accelerator) -> String {
    spell(
        accelerator,
        ["CTRL", "ALT", "SHIFT", "LOGO"],
        "+",
        keysym_name,
    )
}

/// sway's combo: `Ctrl+Mod1+space` (Alt is Mod1, Super is Mod4).
pub fn sway_combo(accelerator: &Accelerator) -> String {
    spell(
        accelerator,
        ["Ctrl", "Mod1", "Shift", "Mod4"],
        "+",
        keysym_name,
    )
}

/// sway IPC commands that bind the hotkey's press and release to the app's `nop` markers.
pub fn sway_bind_commands(accelerator: &Accelerator) -> Vec<String> {
    let combo = sway_combo(accelerator);
    vec![
        format!("bindsym --no-repeat {combo} {SWAY_PRESS_COMMAND}"),
        format!("bindsym --release {combo} {SWAY_RELEASE_COMMAND}"),
    ]
}

/// sway IPC commands that remove what [`sway_bind_commands`] added.
pub fn sway_unbind_commands(accelerator: &Accelerator) -> Vec<String> {
    let combo = sway_combo(accelerator);
    vec![
        format!("unbindsym {combo}"),
        format!("unbindsym --release {combo}"),
    ]
}

/// The line to keep in `~/.config/sway/config` so the hotkey works at every login.
pub fn sway_config_line(accelerator: &Accelerator, exe: &str) -> String {
    format!(
        "bindsym --no-repeat {} exec {exe} --toggle",
        sway_combo(accelerator)
    )
}

/// Hyprland's modifier list and key: `CTRL ALT`, `space`.
fn hyprland_mods_key(accelerator: &Accelerator) -> (String, String) {
    let mods = spell(accelerator, ["CTRL", "ALT", "SHIFT", "SUPER"], " ", |_| {
        String::new()
    });
    (mods.trim_end().to_owned(), keysym_name(accelerator.key))
}

/// `hyprctl` argument lists: press starts, release (`bindr`) stops.
pub fn hyprland_bind_commands(accelerator: &Accelerator, exe: &str) -> Vec<Vec<String>> {
    let (mods, key) = hyprland_mods_key(accelerator);
    [("bind", "--start"), ("bindr", "--stop")]
        .into_iter()
        .map(|(keyword, flag)| {
            vec![
                "keyword".to_owned(),
                keyword.to_owned(),
                format!("{mods},{key},exec,{exe} {flag}"),
            ]
        })
        .collect()
}

pub fn hyprland_unbind_commands(accelerator: &Accelerator) -> Vec<Vec<String>> {
    let (mods, key) = hyprland_mods_key(accelerator);
    vec![vec![
        "keyword".to_owned(),
        "unbind".to_owned(),
        format!("{mods},{key}"),
    ]]
}

/// Lines for `~/.config/hypr/hyprland.conf`.
pub fn hyprland_config_lines(accelerator: &Accelerator, exe: &str) -> String {
    let (mods, key) = hyprland_mods_key(accelerator);
    format!("bind = {mods}, {key}, exec, {exe} --start\nbindr = {mods}, {key}, exec, {exe} --stop")
}

/// GNOME's accelerator: `<Control><Alt>space`.
pub fn gnome_accelerator(accelerator: &Accelerator) -> String {
    let names = ["<Control>", "<Alt>", "<Shift>", "<Super>"];
    spell(accelerator, names, "", keysym_name)
}

/// `gsettings` argument lists that add Nói's custom keybinding, given the current value of
/// `custom-keybindings` (`gsettings get` output, e.g. `@as []` or `['/a/', '/b/']`).
pub fn gnome_bind_commands(
    accelerator: &Accelerator,
    exe: &str,
    current_list: &str,
) -> Vec<Vec<String>> {
    let schema = format!("{GNOME_MEDIA_KEYS}.custom-keybinding:{GNOME_BINDING_PATH}");
    let set = |key: &str, value: String| {
        vec![
            "set".to_owned(),
            schema.clone(),
            key.to_owned(),
            value.to_owned(),
        ]
    };
    vec![
        set("name", "Nói: dictate".to_owned()),
        set("command", format!("{exe} --toggle")),
        set("binding", gnome_accelerator(accelerator)),
        vec![
            "set".to_owned(),
            GNOME_MEDIA_KEYS.to_owned(),
            "custom-keybindings".to_owned(),
            gvariant_list(&with_path(&parse_gvariant_list(current_list), true)),
        ],
    ]
}

/// `gsettings` argument lists that remove Nói's custom keybinding and nothing else.
pub fn gnome_unbind_commands(current_list: &str) -> Vec<Vec<String>> {
    vec![
        vec![
            "set".to_owned(),
            GNOME_MEDIA_KEYS.to_owned(),
            "custom-keybindings".to_owned(),
            gvariant_list(&with_path(&parse_gvariant_list(current_list), false)),
        ],
        vec![
            "reset-recursively".to_owned(),
            format!("{GNOME_MEDIA_KEYS}.custom-keybinding:{GNOME_BINDING_PATH}"),
        ],
    ]
}

fn with_path(paths: &[String], present: bool) -> Vec<String> {
    let mut paths: Vec<String> = paths
        .iter()
        .filter(|p| *p != GNOME_BINDING_PATH)
        .cloned()
        .collect();
    if present {
        paths.push(GNOME_BINDING_PATH.to_owned());
    }
    paths
}

/// The strings of a GVariant `as` as gsettings prints it: `@as []`, `['/a/', '/b/']`.
fn parse_gvariant_list(text: &str) -> Vec<String> {
    let inner = text
        .trim()
        .trim_start_matches("@as")
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']');
    inner
        .split(',')
        .map(|item| item.trim().trim_matches('\'').trim_matches('"').to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

fn gvariant_list(paths: &[String]) -> String {
    let items: Vec<String> = paths.iter().map(|p| format!("'{p}'")).collect();
    format!("[{}]", items.join(", "))
}

/// KDE's shortcut text: `Ctrl+Alt+Space` (Qt's key names: Meta for Super).
pub fn kde_shortcut(accelerator: &Accelerator) -> String {
    spell(accelerator, ["Ctrl", "Alt", "Shift", "Meta"], "+", |key| {
        key.to_string()
    })
}

/// The desktop file KDE's service shortcut launches.
pub fn kde_desktop_file(exe: &str) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=Nói: dictate\nExec={exe} --toggle\n\
         NoDisplay=true\nX-KDE-GlobalAccel-CommandShortcut=true\n"
    )
}

/// `kwriteconfig5` argument lists that set (or, with `None`, clear) the service shortcut in
/// `kglobalshortcutsrc`; kglobalaccel reads it when it (re)starts.
pub fn kde_shortcut_commands(accelerator: Option<&Accelerator>) -> Vec<Vec<String>> {
    let value = accelerator.map(kde_shortcut);
    let mut command = vec![
        "--file".to_owned(),
        "kglobalshortcutsrc".to_owned(),
        "--group".to_owned(),
        "services".to_owned(),
        "--group".to_owned(),
        KDE_DESKTOP_FILE.to_owned(),
        "--key".to_owned(),
        "_launch".to_owned(),
    ];
    match value {
        Some(value) => command.push(value),
        None => command.push("--delete".to_owned()),
    }
    vec![command]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accel(text: &str) -> Accelerator {
        text.parse().unwrap()
    }

    #[test]
    fn keysyms_are_xkb_names() {
        assert_eq!(keysym_name(accel("Ctrl+Alt+Space").key), "space");
        assert_eq!(keysym_name(accel("Ctrl+D").key), "d");
        assert_eq!(keysym_name(accel("Ctrl+Shift+F9").key), "F9");
        assert_eq!(keysym_name(accel("Super+PageUp").key), "Prior");
        assert_eq!(keysym_name(accel("Ctrl+`").key), "grave");
        assert_eq!(keysym_name(accel("Alt+7").key), "7");
    }

    #[test]
    fn the_portal_gets_the_xdg_shortcut_format() {
        assert_eq!(portal_trigger(&accel("Ctrl+Alt+Space")), "CTRL+ALT+space");
        assert_eq!(portal_trigger(&accel("Super+Shift+F9")), "SHIFT+LOGO+F9");
    }

    #[test]
    fn sway_binds_press_and_release_to_the_apps_markers() {
        let hotkey = accel("Ctrl+Alt+Space");
        assert_eq!(sway_combo(&hotkey), "Ctrl+Mod1+space");
        assert_eq!(
            sway_bind_commands(&hotkey),
            [
                "bindsym --no-repeat Ctrl+Mod1+space nop noi-desktop hotkey-press",
                "bindsym --release Ctrl+Mod1+space nop noi-desktop hotkey-release",
            ]
        );
        assert_eq!(
            sway_unbind_commands(&accel("Super+Shift+D")),
            ["unbindsym Shift+Mod4+d", "unbindsym --release Shift+Mod4+d"]
        );
        assert_eq!(
            sway_config_line(&hotkey, "/usr/bin/noi-desktop"),
            "bindsym --no-repeat Ctrl+Mod1+space exec /usr/bin/noi-desktop --toggle"
        );
    }

    #[test]
    fn hyprland_starts_on_press_and_stops_on_release() {
        let hotkey = accel("Ctrl+Alt+Space");
        assert_eq!(
            hyprland_bind_commands(&hotkey, "noi-desktop"),
            [
                ["keyword", "bind", "CTRL ALT,space,exec,noi-desktop --start"],
                ["keyword", "bindr", "CTRL ALT,space,exec,noi-desktop --stop"],
            ]
        );
        assert_eq!(
            hyprland_unbind_commands(&hotkey),
            [["keyword", "unbind", "CTRL ALT,space"]]
        );
        assert_eq!(
            hyprland_config_lines(&hotkey, "noi-desktop"),
            "bind = CTRL ALT, space, exec, noi-desktop --start\n\
             bindr = CTRL ALT, space, exec, noi-desktop --stop"
        );
    }

    #[test]
    fn gnome_adds_its_path_once_and_removes_only_its_own() {
        let hotkey = accel("Ctrl+Alt+Space");
        assert_eq!(gnome_accelerator(&hotkey), "<Control><Alt>space");
        let commands = gnome_bind_commands(&hotkey, "/usr/bin/noi-desktop", "@as []");
        let schema = format!("{GNOME_MEDIA_KEYS}.custom-keybinding:{GNOME_BINDING_PATH}");
        assert_eq!(
            commands[..3],
            [
                vec!["set", &schema, "name", "Nói: dictate"],
                vec!["set", &schema, "command", "/usr/bin/noi-desktop --toggle"],
                vec!["set", &schema, "binding", "<Control><Alt>space"],
            ]
        );
        assert_eq!(commands[3][3], format!("['{GNOME_BINDING_PATH}']"));
        // The user's own bindings stay; ours is not added twice.
        let theirs =
            "['/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/']";
        let with_ours = &gnome_bind_commands(&hotkey, "noi-desktop", theirs)[3][3];
        assert_eq!(
            with_ours,
            &format!(
                "['/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/', \
                 '{GNOME_BINDING_PATH}']"
            )
        );
        assert_eq!(
            &gnome_bind_commands(&hotkey, "noi-desktop", with_ours)[3][3],
            with_ours
        );
        let removed = gnome_unbind_commands(with_ours);
        assert_eq!(removed[0][3], theirs);
        assert_eq!(removed[1], ["reset-recursively".to_owned(), schema.clone()]);
        assert_eq!(
            gnome_unbind_commands(&format!("['{GNOME_BINDING_PATH}']"))[0][3],
            "[]"
        );
    }

    #[test]
    fn kde_writes_and_deletes_its_service_shortcut() {
        assert_eq!(kde_shortcut(&accel("Super+Shift+D")), "Shift+Meta+D");
        assert_eq!(
            kde_shortcut_commands(Some(&accel("Ctrl+Alt+Space")))[0],
            [
                "--file",
                "kglobalshortcutsrc",
                "--group",
                "services",
                "--group",
                "noi-dictate.desktop",
                "--key",
                "_launch",
                "Ctrl+Alt+Space"
            ]
        );
        assert_eq!(kde_shortcut_commands(None)[0].last().unwrap(), "--delete");
        assert!(
            kde_desktop_file("/usr/bin/noi-desktop").contains("Exec=/usr/bin/noi-desktop --toggle")
        );
    }
}
