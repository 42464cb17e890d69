//! The Wayland desktop tests' world: a private headless sway (wlroots) session with XWayland,
//! a private D-Bus session bus, a private PulseAudio whose 16 kHz mono null sink "mic" is the
//! default microphone, and wtype / wl-copy / wl-paste / swaymsg / xclip to drive them. Nothing
//! is mocked.
//!
//! Who runs as whom: sway refuses to run as root and the tests run as root, so sway alone runs
//! as an unprivileged system user ([`SWAY_USER`], created when missing) in a fresh 0700
//! runtime dir it owns. Everything else (the app under test, PulseAudio, dbus-daemon, the GTK
//! entry, xterm, wtype, wl-copy...) runs as the test's own user and connects to that user's
//! sockets, which root may. Run as another user than root, sway simply runs as that user.
//!
//! Facts about this session the tests rely on (checked by `tests/wayland_session.rs`):
//! - The seat has no keyboard unless a client provides one (`WLR_LIBINPUT_NO_DEVICES=1`). A
//!   client binds `wl_keyboard` only after the seat announces one, so the first keys of a
//!   virtual keyboard that just appeared are lost. The harness therefore keeps one virtual
//!   keyboard for the whole session (the "physical keyboard" a real desktop has).
//! - GTK 3 on Wayland never finds a key that sits on the highest keycode of the current keymap
//!   when it matches shortcuts (`gdk_wayland_keymap_get_entries_for_keyval` stops one short),
//!   and it matches them against the keymap current when it *handles* the key, not when the
//!   key was sent. wtype's keymap holds only the keys it types, so [`WaylandDesktop::shortcut`]
//!   adds a spare key after the shortcut and every [`WaylandDesktop::wtype`] waits a moment
//!   before the next keymap can replace its own.
//! - The Wayland clipboard (wlr-data-control, wl-copy / wl-paste) and XWayland's CLIPBOARD and
//!   PRIMARY are bridged both ways, but only while an XWayland window has the focus.
//! - Sway's IPC `binding` events report a bound key's press and, for `bindsym --release`, its
//!   release, each with the binding's command.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Session, TextTarget, wait_for, workspace_root};

/// The unprivileged user sway runs as when the tests run as root.
pub const SWAY_USER: &str = "noi-wayland-test";

/// The headless output's size.
pub const OUTPUT_SIZE: (u32, u32) = (1280, 800);

/// How long a client may take to handle keys before another keymap may replace theirs.
const KEYS_SETTLE: Duration = Duration::from_millis(150);

const TOOLS: &[&str] = &[
    "sway",
    "swaymsg",
    "wtype",
    "wl-copy",
    "wl-paste",
    "Xwayland",
    "xterm",
    "xhost",
    "xclip",
    "pulseaudio",
    "pactl",
    "paplay",
    "dbus-daemon",
    "setpriv",
    "useradd",
    "flock",
];

/// A private headless sway session with sound and a session bus.
pub struct WaylandDesktop {
    /// The test's private dir (home, config, data, the bus and sound sockets, logs): the
    /// test's user only.
    pub dir: tempfile::TempDir,
    /// The sway user's runtime dir (`XDG_RUNTIME_DIR` of every client).
    pub runtime_dir: tempfile::TempDir,
    /// `WAYLAND_DISPLAY`: the socket's name in [`Self::runtime_dir`].
    pub wayland_display: String,
    /// `SWAYSOCK`: sway's IPC socket.
    pub swaysock: PathBuf,
    /// `DISPLAY` of XWayland (for X11 clients only).
    pub x_display: String,
    pub pulse_server: String,
    pub bus: String,
    /// Children in start order; killed in reverse on drop.
    children: Vec<Child>,
}

impl WaylandDesktop {
    /// Starts the session with the harness's sway config. None (skip) when a tool is missing
    /// outside CI; panics then with `NOI_REQUIRE_ALL=1`.
    pub fn start() -> Option<WaylandDesktop> {
        WaylandDesktop::start_with_config("")
    }

    /// [`WaylandDesktop::start`] with `extra` appended to sway's config (e.g. `bindsym` lines).
    pub fn start_with_config(extra: &str) -> Option<WaylandDesktop> {
        let missing: Vec<_> = TOOLS.iter().filter(|t| !super::have(t)).collect();
        if !missing.is_empty() {
            let message = format!(
                "Wayland desktop tools missing: {missing:?} (scripts/test.sh installs them)"
            );
            if std::env::var("NOI_REQUIRE_ALL").is_ok_and(|v| v == "1") {
                panic!("{message}");
            }
            eprintln!("SKIPPED: {message}");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        for sub in ["home", "run", "config", "data"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let owner = SessionOwner::get();
        let runtime_dir = owner.runtime_dir();
        let mut desktop = WaylandDesktop {
            pulse_server: format!("unix:{}", dir.path().join("run/pulse.sock").display()),
            bus: format!("unix:path={}", dir.path().join("run/bus").display()),
            dir,
            runtime_dir,
            wayland_display: String::new(),
            swaysock: PathBuf::new(),
            x_display: String::new(),
            children: Vec::new(),
        };
        desktop.spawn_sway(&owner, extra);
        desktop.start_xwayland(owner.switch_to.is_some());
        desktop.spawn_session_keyboard();
        desktop.spawn_bus();
        desktop.spawn_pulse();
        Some(desktop)
    }

    fn spawn_sway(&mut self, owner: &SessionOwner, extra: &str) {
        let run = self.runtime_dir.path().to_owned();
        let config = run.join("sway.config");
        std::fs::write(&config, sway_config(extra)).unwrap();
        owner.give(&config);
        let log = std::fs::File::create(self.dir.path().join("sway.log")).unwrap();
        let mut command = owner.command("sway");
        command
            .arg("--config")
            .arg(&config)
            .env("XDG_RUNTIME_DIR", &run)
            .env("HOME", &run)
            .env("WLR_BACKENDS", "headless")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .env("WLR_RENDERER", "pixman")
            .current_dir(&run)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let mut sway = command.spawn().expect("start sway");
        let deadline = Instant::now() + Duration::from_secs(15);
        let found = loop {
            if let Some(found) = sway_sockets(&run) {
                break found;
            }
            if let Ok(Some(status)) = sway.try_wait() {
                panic!("sway exited ({status}):\n{}", self.sway_log());
            }
            assert!(
                Instant::now() < deadline,
                "sway did not start:\n{}",
                self.sway_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        self.children.push(sway);
        (self.wayland_display, self.swaysock) = found;
        wait_for("sway's IPC", Duration::from_secs(10), || {
            self.command("swaymsg")
                .args(["-t", "get_version"])
                .status()
                .is_ok_and(|s| s.success())
        });
    }

    /// Sway starts XWayland on first use and only its own clients learn `DISPLAY`: ask sway
    /// to run a command that writes `DISPLAY` to a file and, when sway runs as another user,
    /// first lets root in (XWayland admits only sway's user).
    fn start_xwayland(&mut self, admit_root: bool) {
        let file = self.runtime_dir.path().join("x-display");
        let admit = if admit_root {
            "xhost +si:localuser:root >/dev/null && "
        } else {
            ""
        };
        let script = format!(
            "{admit}echo \"$DISPLAY\" > {tmp} && mv {tmp} {file}",
            tmp = file.with_extension("tmp").display(),
            file = file.display(),
        );
        self.swaymsg(&["exec", &script]);
        wait_for("XWayland's DISPLAY", Duration::from_secs(15), || {
            file.exists()
        });
        self.x_display = std::fs::read_to_string(&file).unwrap().trim().to_owned();
        assert!(
            self.x_display.starts_with(':'),
            "no XWayland display: {:?}",
            self.x_display
        );
    }

    /// One virtual keyboard for the whole session, as a real desktop has a physical one, so
    /// that clients hold a `wl_keyboard` before any test types (see the module's doc).
    fn spawn_session_keyboard(&mut self) {
        let keyboard = self
            .command("wtype")
            .args(["-s", "2000000000"])
            .spawn()
            .expect("start wtype");
        self.children.push(keyboard);
        wait_for("the session keyboard", Duration::from_secs(10), || {
            let seats: Value = serde_json::from_str(&self.swaymsg(&["-t", "get_seats"])).unwrap();
            // wl_seat capability bit 2: keyboard.
            seats[0]["capabilities"]
                .as_u64()
                .is_some_and(|c| c & 2 != 0)
        });
    }

    fn spawn_bus(&mut self) {
        let bus = self
            .command("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={}", self.bus))
            .spawn()
            .expect("start dbus-daemon");
        self.children.push(bus);
        let socket = self.dir.path().join("run/bus");
        wait_for("D-Bus socket", Duration::from_secs(10), || socket.exists());
    }

    fn spawn_pulse(&mut self) {
        let socket = self.dir.path().join("run/pulse.sock");
        // PulseAudio refuses a runtime dir that another user owns (sway's): give it ours.
        let pulse = self
            .command("pulseaudio")
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"))
            .args([
                "--daemonize=no",
                "--exit-idle-time=-1",
                "-n",
                "--disallow-exit",
                "--log-target=stderr",
            ])
            .arg(format!(
                "--load=module-native-protocol-unix auth-anonymous=1 socket={}",
                socket.display()
            ))
            .arg("--load=module-null-sink sink_name=mic rate=16000 channels=1 norewinds=1")
            .spawn()
            .expect("start pulseaudio");
        self.children.push(pulse);
        wait_for("PulseAudio", Duration::from_secs(10), || {
            self.command("pactl")
                .arg("info")
                .output()
                .is_ok_and(|o| o.status.success())
        });
        self.pactl(&["set-default-source", "mic.monitor"]);
    }

    /// A command with this session's environment for a native Wayland client: no `DISPLAY`,
    /// so toolkits cannot fall back to X11 unnoticed.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        let dir = self.dir.path();
        command
            .env("WAYLAND_DISPLAY", &self.wayland_display)
            .env("XDG_RUNTIME_DIR", self.runtime_dir.path())
            .env("SWAYSOCK", &self.swaysock)
            .env_remove("DISPLAY")
            .env("XDG_SESSION_TYPE", "wayland")
            .env("XDG_CURRENT_DESKTOP", "sway")
            .env("PULSE_SERVER", &self.pulse_server)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env("HOME", dir.join("home"))
            .env("XDG_CONFIG_HOME", dir.join("home/.config"))
            .env("XDG_DATA_HOME", dir.join("home/.local/share"))
            .env("NOI_CONFIG_DIR", dir.join("config"))
            .env("NOI_DATA_DIR", dir.join("data"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// [`Self::command`] plus XWayland's `DISPLAY`, as a desktop session gives every app
    /// (GTK and WebKit still prefer Wayland when both are set).
    pub fn command_with_x(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = self.command(program);
        command.env("DISPLAY", &self.x_display);
        command
    }

    /// A command for an X11 client of XWayland: `DISPLAY` and no `WAYLAND_DISPLAY`.
    pub fn x11_command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = self.command_with_x(program);
        command.env_remove("WAYLAND_DISPLAY");
        command
    }

    /// Runs `command` to success; its stdout.
    fn output(mut command: Command, what: &str) -> String {
        let output = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            output.status.success(),
            "{what} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Runs a Wayland-side program to success; its stdout.
    pub fn run(&self, program: &str, args: &[&str]) -> String {
        let mut command = self.command(program);
        command.args(args);
        WaylandDesktop::output(command, &format!("{program} {args:?}"))
    }

    /// `swaymsg ARGS` (raw JSON out); panics when sway reports a failure.
    pub fn swaymsg(&self, args: &[&str]) -> String {
        let out = self.run("swaymsg", &[&["--raw"], args].concat());
        if let Ok(Value::Array(replies)) = serde_json::from_str::<Value>(&out) {
            for reply in &replies {
                assert!(
                    reply["success"].as_bool() != Some(false),
                    "swaymsg {args:?}: {reply}"
                );
            }
        }
        out
    }

    pub fn pactl(&self, args: &[&str]) -> String {
        self.run("pactl", args)
    }

    /// The focused window (from `swaymsg -t get_tree`), if any.
    pub fn focused(&self) -> Option<Window> {
        let tree: Value = serde_json::from_str(&self.swaymsg(&["-t", "get_tree"])).unwrap();
        windows(&tree).into_iter().find(|w| w.focused)
    }

    /// The focused window's Wayland app_id, or its X11 class under XWayland.
    pub fn focused_app_id(&self) -> Option<String> {
        self.focused().and_then(|w| w.app_id.or(w.class))
    }

    /// Waits until the focused window's app_id, X11 class or title is `name`.
    pub fn wait_for_focus(&self, name: &str) {
        wait_for(&format!("{name} focused"), Duration::from_secs(10), || {
            self.focused().is_some_and(|w| w.is(name))
        });
    }

    /// Focuses the window titled exactly `title` and waits until it has the focus.
    pub fn focus_title(&self, title: &str) {
        self.swaymsg(&[&format!("[title=\"^{}$\"]", regex_escape(title)), "focus"]);
        self.wait_for_focus(title);
    }

    fn wait_for_window(&self, title: &str) {
        wait_for(
            &format!("the window {title:?}"),
            Duration::from_secs(15),
            || {
                let tree: Value = serde_json::from_str(&self.swaymsg(&["-t", "get_tree"])).unwrap();
                windows(&tree).iter().any(|w| w.title == title)
            },
        );
    }

    /// The GTK entry (`text_target.py`) as a native Wayland client, mapped and focused.
    pub fn spawn_text_target(&mut self, title: &str) -> TextTarget {
        let out = self.dir.path().join(format!("{title}.txt"));
        let child = self
            .command("/usr/bin/python3")
            .arg(workspace_root().join("src-tauri/tests/support/text_target.py"))
            .arg(title)
            .arg(&out)
            .env("GDK_BACKEND", "wayland")
            // No accessibility bus: it would outlive the entry.
            .env("NO_AT_BRIDGE", "1")
            .spawn()
            .expect("start the GTK text target (python3-gi)");
        let target = TextTarget {
            child,
            out,
            title: title.to_owned(),
        };
        self.wait_for_window(title);
        wait_for("the text target's file", Duration::from_secs(10), || {
            target.out.exists()
        });
        self.focus_title(title);
        target
    }

    /// An xterm under XWayland (it has no Wayland backend) titled `title` whose shell copies
    /// every byte typed or pasted into it, as it arrives (raw mode), to a file; focused.
    pub fn spawn_xterm(&mut self, title: &str) -> TextTarget {
        let mut xterm = self.x11_command("xterm");
        xterm.args(["-u8", "-title", title, "-e"]);
        self.spawn_terminal(xterm, title)
    }

    /// foot, a native Wayland terminal (app_id "foot"), as [`WaylandDesktop::spawn_xterm`].
    pub fn spawn_foot(&mut self, title: &str) -> TextTarget {
        let mut foot = self.command("foot");
        foot.args(["--title", title]);
        self.spawn_terminal(foot, title)
    }

    /// Runs `terminal` (its arguments up to the command to run) with a shell that copies what
    /// arrives to a file, waits for its window and focuses it.
    fn spawn_terminal(&mut self, mut terminal: Command, title: &str) -> TextTarget {
        let out = self.dir.path().join(format!("{title}.txt"));
        std::fs::write(&out, "").unwrap();
        let copy = format!("stty raw -echo; exec cat > '{}'", out.display());
        let child = terminal
            .args(["sh", "-c", &copy])
            .env("LC_ALL", "C.UTF-8")
            .spawn()
            .expect("start the terminal");
        let target = TextTarget {
            child,
            out,
            title: title.to_owned(),
        };
        self.wait_for_window(title);
        // The shell needs a moment to put the terminal in raw mode.
        std::thread::sleep(Duration::from_millis(500));
        self.focus_title(title);
        target
    }

    /// `wtype ARGS` into the focused window, then waits until the client may have handled the
    /// keys (a later keymap must not replace this one first: see the module's doc).
    pub fn wtype(&self, args: &[&str]) {
        self.run("wtype", args);
        std::thread::sleep(KEYS_SETTLE);
    }

    /// Types `text` (any Unicode) into the focused window.
    pub fn type_text(&self, text: &str) {
        self.wtype(&["--", text]);
    }

    /// Presses `key` with `modifiers` held (wtype names: ctrl, shift, alt, logo), followed by
    /// a spare key so that `key` is not the highest keycode of wtype's keymap (GTK 3 ignores
    /// that one for shortcuts).
    pub fn shortcut(&self, modifiers: &[&str], key: &str) {
        let mut args = Vec::new();
        for modifier in modifiers {
            args.extend(["-M", modifier]);
        }
        args.extend(["-k", key]);
        for modifier in modifiers.iter().rev() {
            args.extend(["-m", modifier]);
        }
        args.extend(["-k", "Shift_L"]);
        self.wtype(&args);
    }

    /// The Wayland clipboard's text (wl-paste), None when empty.
    pub fn clipboard(&self) -> Option<String> {
        self.paste(&[])
    }

    /// The Wayland primary selection's text (wl-paste --primary), None when empty.
    pub fn primary(&self) -> Option<String> {
        self.paste(&["--primary"])
    }

    fn paste(&self, args: &[&str]) -> Option<String> {
        let output = self
            .command("timeout")
            .args(["3", "wl-paste", "--no-newline"])
            .args(args)
            .stdout(Stdio::piped())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Sets the Wayland clipboard as another app would (wl-copy keeps serving it).
    pub fn set_clipboard(&self, text: &str) {
        self.copy(&[], text);
        wait_for("clipboard set", Duration::from_secs(5), || {
            self.clipboard().as_deref() == Some(text)
        });
    }

    /// Sets the Wayland primary selection as another app would.
    pub fn set_primary(&self, text: &str) {
        self.copy(&["--primary"], text);
        wait_for("primary selection set", Duration::from_secs(5), || {
            self.primary().as_deref() == Some(text)
        });
    }

    fn copy(&self, args: &[&str], text: &str) {
        // wl-copy forks a server and its parent exits once the selection is offered.
        let mut copy = self
            .command("wl-copy")
            .args(args)
            .stdin(Stdio::piped())
            .spawn()
            .expect("wl-copy");
        copy.stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        assert!(copy.wait().unwrap().success(), "wl-copy");
    }

    /// XWayland's selection `which` ("clipboard", "primary") as X11 apps see it.
    pub fn x_selection(&self, which: &str) -> Option<String> {
        let output = self
            .x11_command("timeout")
            .args(["3", "xclip", "-selection", which, "-o"])
            .stdout(Stdio::piped())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Sets XWayland's selection `which` as an X11 app would (xclip keeps serving it).
    pub fn set_x_selection(&self, which: &str, text: &str) {
        let mut xclip = self
            .x11_command("xclip")
            .args(["-selection", which, "-i"])
            .stdin(Stdio::piped())
            .spawn()
            .expect("xclip");
        xclip
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        assert!(xclip.wait().unwrap().success(), "xclip");
    }

    /// Plays a WAV into the null sink (the microphone) and waits until it has been played.
    pub fn play(&self, wav: &Path) {
        let status = self
            .command("paplay")
            .args(["--device=mic"])
            .arg(wav)
            .status()
            .expect("paplay");
        assert!(status.success(), "paplay {}", wav.display());
    }

    /// Starts collecting sway's `binding` IPC events; returns once subscribed.
    pub fn subscribe_bindings(&self) -> BindingEvents {
        BindingEvents::subscribe(&self.swaysock)
    }

    /// Sway's log so far (its stderr).
    pub fn sway_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sway.log")).unwrap_or_default()
    }
}

impl Drop for WaylandDesktop {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Session for WaylandDesktop {
    fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Both `WAYLAND_DISPLAY` and XWayland's `DISPLAY`, as sway gives the apps it starts.
    fn app_command(&self, program: &str) -> Command {
        self.command_with_x(program)
    }
}

/// A window in sway's tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Wayland app_id (None under XWayland).
    pub app_id: Option<String>,
    /// X11 class (XWayland windows only).
    pub class: Option<String>,
    pub title: String,
    pub focused: bool,
    /// "xdg_shell" or "xwayland".
    pub shell: String,
    /// Floating (not tiled).
    pub floating: bool,
}

impl Window {
    /// Whether `name` is this window's app_id, X11 class or title.
    pub fn is(&self, name: &str) -> bool {
        self.app_id.as_deref() == Some(name)
            || self.class.as_deref() == Some(name)
            || self.title == name
    }
}

/// Every window (a node with an app_id or X11 properties) in a `get_tree` reply.
pub fn windows(tree: &Value) -> Vec<Window> {
    let mut found = Vec::new();
    let mut pending = vec![tree];
    while let Some(node) = pending.pop() {
        let is_window = node["app_id"].is_string() || node["window_properties"].is_object();
        if is_window {
            found.push(Window {
                app_id: node["app_id"].as_str().map(String::from),
                class: node["window_properties"]["class"]
                    .as_str()
                    .map(String::from),
                title: node["name"].as_str().unwrap_or("").to_owned(),
                focused: node["focused"].as_bool() == Some(true),
                shell: node["shell"].as_str().unwrap_or("").to_owned(),
                floating: node["type"] == "floating_con",
            });
        }
        for key in ["nodes", "floating_nodes"] {
            if let Some(children) = node[key].as_array() {
                pending.extend(children);
            }
        }
    }
    found
}

/// Sway's `binding` events as they arrive: the bound commands, in order.
///
/// Spoken over sway's IPC socket directly: `swaymsg --monitor` does not say when its
/// subscription is in place, so keys pressed right after starting it could go unreported.
pub struct BindingEvents {
    socket: UnixStream,
    /// Each event's command and when it arrived.
    commands: Arc<Mutex<Vec<(Instant, String)>>>,
}

/// IPC message types (sway-ipc(7)); events have the high bit set.
const IPC_SUBSCRIBE: u32 = 2;
const IPC_EVENT_BINDING: u32 = 0x8000_0005;

impl BindingEvents {
    fn subscribe(swaysock: &Path) -> BindingEvents {
        let mut socket = UnixStream::connect(swaysock).expect("connect to sway's IPC");
        ipc_send(&mut socket, IPC_SUBSCRIBE, br#"["binding"]"#);
        let (kind, reply) = ipc_read(&mut socket).expect("sway's reply to subscribe");
        let subscribed = serde_json::from_slice::<Value>(&reply)
            .is_ok_and(|r| r["success"].as_bool() == Some(true));
        assert!(
            kind == IPC_SUBSCRIBE && subscribed,
            "subscribe: {}",
            String::from_utf8_lossy(&reply)
        );
        let commands = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&commands);
        let mut reader = socket.try_clone().unwrap();
        std::thread::spawn(move || {
            while let Some((kind, payload)) = ipc_read(&mut reader) {
                if kind != IPC_EVENT_BINDING {
                    continue;
                }
                let event: Value = serde_json::from_slice(&payload).unwrap_or_default();
                let command = event["binding"]["command"].as_str().unwrap_or("");
                sink.lock()
                    .unwrap()
                    .push((Instant::now(), command.to_owned()));
            }
        });
        BindingEvents { socket, commands }
    }

    pub fn commands(&self) -> Vec<String> {
        let events = self.commands.lock().unwrap();
        events.iter().map(|(_, command)| command.clone()).collect()
    }

    /// When the last event with `command` arrived (the key's press or release as sway saw it).
    pub fn last_at(&self, command: &str) -> Option<Instant> {
        let events = self.commands.lock().unwrap();
        events
            .iter()
            .rev()
            .find(|(_, c)| c == command)
            .map(|(at, _)| *at)
    }

    /// Waits until `count` events have arrived; all of them.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<String> {
        wait_for("binding events", timeout, || {
            self.commands.lock().unwrap().len() >= count
        });
        self.commands()
    }
}

impl Drop for BindingEvents {
    fn drop(&mut self) {
        // Ends the reader thread.
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
    }
}

/// Sends one IPC message: "i3-ipc", payload length and type (native byte order), payload.
fn ipc_send(socket: &mut UnixStream, kind: u32, payload: &[u8]) {
    let mut message = b"i3-ipc".to_vec();
    message.extend((payload.len() as u32).to_ne_bytes());
    message.extend(kind.to_ne_bytes());
    message.extend(payload);
    socket.write_all(&message).expect("write to sway's IPC");
}

/// Reads one IPC message (type, payload); None once the socket is closed.
fn ipc_read(socket: &mut UnixStream) -> Option<(u32, Vec<u8>)> {
    let mut header = [0u8; 14];
    socket.read_exact(&mut header).ok()?;
    if &header[..6] != b"i3-ipc" {
        return None;
    }
    let length = u32::from_ne_bytes(header[6..10].try_into().unwrap()) as usize;
    let kind = u32::from_ne_bytes(header[10..14].try_into().unwrap());
    let mut payload = vec![0u8; length];
    socket.read_exact(&mut payload).ok()?;
    Some((kind, payload))
}

/// The harness's sway config: one fixed-size headless output, no bar (so no tray: no
/// StatusNotifierWatcher), XWayland, focus moved only by the tests.
pub fn sway_config(extra: &str) -> String {
    let (width, height) = OUTPUT_SIZE;
    format!(
        "# Written by the Nói Wayland test harness (src-tauri/tests/support/wayland.rs).\n\
         output HEADLESS-1 resolution {width}x{height} position 0,0\n\
         xwayland enable\n\
         focus_follows_mouse no\n\
         mouse_warping none\n\
         focus_on_window_activation focus\n\
         default_border normal\n\
         {extra}\n"
    )
}

/// `(WAYLAND_DISPLAY, SWAYSOCK)` once sway has made both sockets in its runtime dir.
fn sway_sockets(run: &Path) -> Option<(String, PathBuf)> {
    let names: Vec<String> = std::fs::read_dir(run)
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    let wayland = names
        .iter()
        .find(|n| n.starts_with("wayland-") && !n.ends_with(".lock"))?;
    let ipc = names
        .iter()
        .find(|n| n.starts_with("sway-ipc.") && n.ends_with(".sock"))?;
    Some((wayland.clone(), run.join(ipc)))
}

/// Escapes `text` for a sway criteria regex.
pub fn regex_escape(text: &str) -> String {
    let mut escaped = String::new();
    for c in text.chars() {
        if "\\.^$|?*+()[]{}\"".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn current_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    // A file this process just made belongs to its effective user.
    let probe = tempfile::tempfile().unwrap();
    probe.metadata().unwrap().uid()
}

/// The user sway runs as: [`SWAY_USER`] when the tests run as root, else the test's user.
struct SessionOwner {
    /// uid and gid to switch to; None when the test's user runs sway itself.
    switch_to: Option<(u32, u32)>,
}

impl SessionOwner {
    fn get() -> SessionOwner {
        if current_uid() != 0 {
            return SessionOwner { switch_to: None };
        }
        ensure_sway_user();
        let id = |flag: &str| -> u32 {
            let out = Command::new("id").args([flag, SWAY_USER]).output().unwrap();
            String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
        };
        SessionOwner {
            switch_to: Some((id("-u"), id("-g"))),
        }
    }

    /// A fresh 0700 runtime dir owned by the session's user, in a place that user can reach
    /// (the temp dir, unless its parents shut others out, then /tmp).
    fn runtime_dir(&self) -> tempfile::TempDir {
        let base = std::env::temp_dir();
        let base = if self.switch_to.is_none() || others_can_enter(&base) {
            base
        } else {
            PathBuf::from("/tmp")
        };
        let dir = tempfile::Builder::new()
            .prefix("noi-wayland-")
            .tempdir_in(base)
            .unwrap();
        self.give(dir.path());
        dir
    }

    /// Hands `path` to the session's user.
    fn give(&self, path: &Path) {
        if let Some((uid, gid)) = self.switch_to {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
        }
    }

    /// `program` to be run as the session's user, with only the environment set on it.
    fn command(&self, program: &str) -> Command {
        let mut command = match self.switch_to {
            Some((uid, gid)) => {
                let mut command = Command::new("setpriv");
                command
                    .arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={gid}"))
                    .arg("--clear-groups")
                    .arg("--")
                    .arg(program);
                command
            }
            None => Command::new(program),
        };
        command
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("LANG", "C.UTF-8");
        command
    }
}

/// Creates [`SWAY_USER`] when missing; safe when several test binaries do it at once.
fn ensure_sway_user() {
    let script = format!(
        "id -u {SWAY_USER} >/dev/null 2>&1 || \
         useradd --system --create-home --shell /usr/sbin/nologin {SWAY_USER}"
    );
    let status = Command::new("flock")
        .args(["/tmp/noi-wayland-test-user.lock", "sh", "-c", &script])
        .status()
        .expect("flock");
    assert!(status.success(), "could not create the user {SWAY_USER}");
}

/// Whether every directory from / down to `dir` lets other users pass through.
fn others_can_enter(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    dir.ancestors()
        .all(|d| std::fs::metadata(d).is_ok_and(|m| m.permissions().mode() & 0o001 != 0))
}

/// The clip's length from its WAV header (16-bit mono PCM, 44-byte header).
pub fn clip_duration(clip: &Path) -> Duration {
    let header = std::fs::read(clip).unwrap();
    let rate = u32::from_le_bytes(header[24..28].try_into().unwrap());
    let bytes = header.len().saturating_sub(44);
    Duration::from_secs_f64(bytes as f64 / 2.0 / f64::from(rate))
}

/// What one dictation gave.
pub struct Dictation {
    /// From the key's release (sway's release event) to the target's text changing.
    pub latency: Duration,
    pub text: String,
}

impl WaylandDesktop {
    /// Holds Ctrl+Alt+Space (one wtype process: press, hold, release, as one keyboard does:
    /// sway tracks keys per keyboard), plays `clip` once the app records and calls
    /// `while_recording`; returns when sway reported the release, and that moment.
    pub fn speak_holding_the_hotkey(
        &self,
        app: &super::App,
        bindings: &BindingEvents,
        clip: &Path,
        while_recording: &mut dyn FnMut(),
    ) -> Instant {
        let events = bindings.commands().len();
        // Long enough for the microphone to open, the clip to play and a breath after it.
        let hold = clip_duration(clip) + Duration::from_millis(2500);
        let mut keys = self
            .command("wtype")
            .args(["-M", "ctrl", "-M", "alt", "-P", "space", "-s"])
            .arg(hold.as_millis().to_string())
            .args(["-p", "space", "-m", "alt", "-m", "ctrl"])
            .spawn()
            .expect("wtype");
        app.wait_state("recording", Duration::from_secs(5));
        self.play(clip);
        while_recording();
        assert!(keys.wait().unwrap().success(), "wtype");
        bindings.wait_for(events + 2, Duration::from_secs(5));
        bindings
            .last_at(SWAY_RELEASE)
            .expect("sway reported the release")
    }

    /// Speaks `clip` holding the hotkey ([`WaylandDesktop::speak_holding_the_hotkey`]) and waits
    /// for `target` to change after the release.
    pub fn dictate(
        &self,
        app: &super::App,
        bindings: &BindingEvents,
        target: &TextTarget,
        clip: &Path,
        while_recording: &mut dyn FnMut(),
    ) -> Dictation {
        let before = target.text();
        let released = self.speak_holding_the_hotkey(app, bindings, clip, while_recording);
        let deadline = released + Duration::from_secs(10);
        loop {
            let text = target.text();
            if text != before {
                let latency = released.elapsed();
                // Let a paste that arrives in pieces settle.
                std::thread::sleep(Duration::from_millis(50));
                return Dictation {
                    latency,
                    text: target.text(),
                };
            }
            assert!(
                Instant::now() < deadline,
                "nothing reached the target; log:\n{}",
                app.log()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// The command of the app's release binding (noi_desktop_core::desktop_shortcut).
const SWAY_RELEASE: &str = "nop noi-desktop hotkey-release";
