//! The desktop tests' world: a private X server (Xvfb) with a window manager (openbox) and an
//! XEmbed tray (trayer), a private PulseAudio daemon whose 16 kHz mono null sink's monitor is
//! the default microphone, the real `noi-desktop` binary, a GTK text entry to dictate into,
//! and xdotool/xclip/pactl/paplay to drive them. Nothing is mocked.
//!
//! Each [`Desktop`] owns its processes and temp dir and kills them when dropped. Tests that need
//! one are serialised with [`exclusive`] (two cores; hotkey timing wants a quiet machine).

#![allow(dead_code)]

pub mod wayland;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn tiny_model() -> PathBuf {
    workspace_root().join("crates/noi-engine/tests/data/tiny-model")
}

pub const M_REPLICA: &str = "replica-zipformer-vi-int8-2025-04-20";

pub fn replica(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("NOI_SHARED_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/models"));
    require(dir.join(name), "replica model (../shared/models)")
}

/// Skips (None) or, with `NOI_REQUIRE_ALL=1` as in `.ci/run`, fails when an input is missing.
pub fn require(path: PathBuf, what: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    if std::env::var("NOI_REQUIRE_ALL").is_ok_and(|v| v == "1") {
        panic!("required test input missing: {what} ({})", path.display());
    }
    eprintln!("SKIPPED: {what} not found at {}", path.display());
    None
}

pub fn test_audio(name: &str) -> Option<PathBuf> {
    require(
        workspace_root().join("testdata/audio").join(name),
        "test audio (run scripts/reference/make_test_audio.sh)",
    )
}

/// One desktop test at a time in a test binary.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

const TOOLS: &[&str] = &[
    "Xvfb",
    "openbox",
    "trayer",
    "xdotool",
    "xclip",
    "pulseaudio",
    "pactl",
    "paplay",
    "xwininfo",
    "xprop",
    "dbus-daemon",
];

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A private X display and sound server.
pub struct Desktop {
    pub dir: tempfile::TempDir,
    pub display: String,
    pub pulse_server: String,
    /// A private session bus (single instance forwarding and the tray use D-Bus).
    pub bus: String,
    children: Vec<Child>,
}

impl Desktop {
    /// Starts Xvfb, openbox, trayer and PulseAudio (null sink "mic" at 16 kHz mono, its
    /// monitor the default source). None (skip) when a tool is missing outside CI.
    pub fn start() -> Option<Desktop> {
        let missing: Vec<_> = TOOLS.iter().filter(|t| !have(t)).collect();
        if !missing.is_empty() {
            let message =
                format!("desktop tools missing: {missing:?} (scripts/test.sh installs them)");
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
        let mut desktop = Desktop {
            display: String::new(),
            pulse_server: format!("unix:{}", dir.path().join("run/pulse.sock").display()),
            bus: format!("unix:path={}", dir.path().join("run/bus").display()),
            dir,
            children: Vec::new(),
        };
        desktop.spawn_bus();
        desktop.spawn_x();
        desktop.spawn_pulse();
        Some(desktop)
    }

    /// Xvfb picks a free display itself (`-displayfd`) and tells us which: no race with
    /// other tests or leftover sockets.
    fn spawn_x(&mut self) {
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("Xvfb's display number");
        self.display = format!(":{}", line.trim());
        self.children.push(xvfb);
        wait_for("X server", Duration::from_secs(10), || {
            self.command("xdotool")
                .arg("getdisplaygeometry")
                .output()
                .is_ok_and(|o| o.status.success())
        });
        // trayer docks through the window manager: start it once openbox is managing.
        self.spawn_until_ready("openbox", &[], |desktop| {
            desktop
                .command("xprop")
                .args(["-root", "_NET_SUPPORTING_WM_CHECK"])
                .stdout(Stdio::piped())
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("window id"))
        });
        self.spawn_until_ready(
            "trayer",
            &[
                "--edge",
                "top",
                "--align",
                "right",
                "--width",
                "10",
                "--height",
                "32",
                "--SetDockType",
                "true",
                "--expand",
                "true",
            ],
            |desktop| !desktop.window_ids("--class", "trayer").is_empty(),
        );
    }

    /// Starts `program` and waits until `ready`; starts it again if it dies or hangs during
    /// start-up (openbox and trayer occasionally do on a busy X server).
    fn spawn_until_ready(
        &mut self,
        program: &str,
        args: &[&str],
        ready: impl Fn(&Desktop) -> bool,
    ) {
        // A loaded CI machine (a parallel build) has kept openbox from answering 3 × 10 s.
        for _attempt in 0..4 {
            let mut child = self
                .command(program)
                .args(args)
                .spawn()
                .unwrap_or_else(|e| panic!("start {program}: {e}"));
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if ready(self) {
                    self.children.push(child);
                    return;
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("{program} did not start");
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
        let pulse = self
            .command("pulseaudio")
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

    /// A command with this desktop's environment: display, sound server, private dirs.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        let dir = self.dir.path();
        command
            .env("DISPLAY", &self.display)
            .env_remove("WAYLAND_DISPLAY")
            .env("PULSE_SERVER", &self.pulse_server)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env("HOME", dir.join("home"))
            .env("XDG_RUNTIME_DIR", dir.join("run"))
            .env("XDG_CONFIG_HOME", dir.join("home/.config"))
            .env("XDG_DATA_HOME", dir.join("home/.local/share"))
            .env("NOI_CONFIG_DIR", dir.join("config"))
            .env("NOI_DATA_DIR", dir.join("data"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    pub fn run(&self, program: &str, args: &[&str]) -> String {
        let output = self
            .command(program)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn xdotool(&self, args: &[&str]) -> String {
        self.run("xdotool", args)
    }

    pub fn pactl(&self, args: &[&str]) -> String {
        self.run("pactl", args)
    }

    /// Visible windows matching an xdotool search.
    pub fn window_ids(&self, how: &str, pattern: &str) -> Vec<String> {
        let output = self
            .command("xdotool")
            .args(["search", "--onlyvisible", how, pattern])
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .map(String::from)
            .collect()
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

    /// Sets the CLIPBOARD to `text` as another app would (xclip keeps serving it).
    pub fn set_clipboard(&mut self, text: &str) {
        self.set_selection("clipboard", text);
        wait_for("clipboard set", Duration::from_secs(5), || {
            self.clipboard().as_deref() == Some(text)
        });
    }

    pub fn clipboard(&self) -> Option<String> {
        self.selection("clipboard")
    }

    /// Sets the PRIMARY selection to `text` as another app would (xclip keeps serving it).
    pub fn set_primary(&mut self, text: &str) {
        self.set_selection("primary", text);
    }

    pub fn primary(&self) -> Option<String> {
        self.selection("primary")
    }

    fn set_selection(&mut self, which: &str, text: &str) {
        use std::io::Write;
        let mut xclip = self
            .command("xclip")
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
        xclip.wait().unwrap();
    }

    fn selection(&self, which: &str) -> Option<String> {
        let output = self
            .command("timeout")
            .args(["3", "xclip", "-selection", which, "-o"])
            .stdout(Stdio::piped())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Screenshot of the whole screen, kept with the test's artefacts.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let dir = workspace_root().join("target/test-artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let _ = self
            .command("import")
            .args(["-window", "root"])
            .arg(&path)
            .status();
        path
    }

    /// Starts the GTK entry target and focuses it.
    pub fn text_target(&mut self, title: &str) -> TextTarget {
        let out = self.dir.path().join(format!("{title}.txt"));
        let child = self
            .command("/usr/bin/python3")
            .arg(workspace_root().join("src-tauri/tests/support/text_target.py"))
            .args([title])
            .arg(&out)
            .spawn()
            .expect("start the GTK text target (python3-gi)");
        let target = TextTarget {
            child,
            out,
            title: title.to_owned(),
        };
        wait_for("text target window", Duration::from_secs(15), || {
            !self.window_ids("--name", title).is_empty() && target.out.exists()
        });
        self.focus(&target);
        target
    }

    /// Starts an X terminal (`xterm`, `urxvt`) titled `title` whose shell copies every byte
    /// typed or pasted into it, as it arrives (raw mode), to a file; focuses it.
    pub fn terminal_target(&mut self, terminal: &str, title: &str) -> TextTarget {
        let out = self.dir.path().join(format!("{title}.txt"));
        std::fs::write(&out, "").unwrap();
        let copy = format!("stty raw -echo; exec cat > '{}'", out.display());
        let mut command = self.command(terminal);
        if terminal == "xterm" {
            command.arg("-u8");
        }
        let child = command
            .args(["-title", title, "-e", "sh", "-c", &copy])
            .env("LC_ALL", "C.UTF-8")
            .spawn()
            .unwrap_or_else(|e| panic!("start {terminal}: {e}"));
        let target = TextTarget {
            child,
            out,
            title: title.to_owned(),
        };
        wait_for("the terminal window", Duration::from_secs(15), || {
            !self.window_ids("--name", title).is_empty()
        });
        // The shell needs a moment to put the terminal in raw mode.
        std::thread::sleep(Duration::from_millis(500));
        self.focus(&target);
        target
    }

    pub fn focus(&self, target: &TextTarget) {
        let id = self.window_ids("--name", &target.title)[0].clone();
        self.xdotool(&["windowactivate", "--sync", &id]);
        self.xdotool(&["windowfocus", "--sync", &id]);
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The GTK entry; `text()` is what reached it.
pub struct TextTarget {
    child: Child,
    pub out: PathBuf,
    pub title: String,
}

impl TextTarget {
    pub fn text(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }
}

impl Drop for TextTarget {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A desktop session the app can run in: the X11 [`Desktop`] or the Wayland
/// [`wayland::WaylandDesktop`].
pub trait Session {
    /// The session's private dir (`config/`, `data/`, `home/` inside).
    fn dir(&self) -> &Path;
    /// A command with the environment the app under test gets in this session.
    fn app_command(&self, program: &str) -> Command;
}

impl Session for Desktop {
    fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn app_command(&self, program: &str) -> Command {
        self.command(program)
    }
}

/// The running app.
pub struct App {
    child: Child,
    pub log: Arc<Mutex<String>>,
    pub port: u16,
    pub token: String,
}

impl App {
    /// Writes `settings` (TOML) into the desktop's config dir and starts `noi-desktop`
    /// with `--model-dir model`; returns once its API answers and the model is loaded.
    pub fn start(desktop: &impl Session, settings: &str, model: &Path) -> App {
        let app = App::launch(desktop, settings, Some(model));
        wait_for("the model loaded", Duration::from_secs(60), || {
            app.get("/health").1["status"] == "ok"
        });
        app
    }

    /// Starts the app (with the installed models when `model` is None); returns once the
    /// API answers.
    pub fn launch(desktop: &impl Session, settings: &str, model: Option<&Path>) -> App {
        App::launch_with(desktop, settings, model, &[])
    }

    /// [`App::launch`] with extra environment variables.
    pub fn launch_with(
        desktop: &impl Session,
        settings: &str,
        model: Option<&Path>,
        env: &[(&str, &Path)],
    ) -> App {
        let config = desktop.dir().join("config");
        std::fs::write(config.join("settings.toml"), settings).unwrap();
        let api_file = config.join("api.json");
        let _ = std::fs::remove_file(&api_file);
        let mut command = desktop.app_command(env!("CARGO_BIN_EXE_noi-desktop"));
        if let Some(model) = model {
            command.arg("--model-dir").arg(model);
        }
        // `env` may override the log level (NOI_LOG=debug).
        command.env("NOI_LOG", "info");
        command.envs(env.iter().copied());
        let mut child = command
            .stderr(Stdio::piped())
            .spawn()
            .expect("start noi-desktop");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if std::env::var_os("NOI_TEST_ECHO").is_some() {
                    eprintln!("app: {line}");
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut app = App {
            child,
            log,
            port: 0,
            token: String::new(),
        };
        wait_for("api.json", Duration::from_secs(30), || {
            app.assert_running();
            api_file.exists()
        });
        let info: Value = serde_json::from_slice(&std::fs::read(&api_file).unwrap()).unwrap();
        app.port = info["port"].as_u64().unwrap() as u16;
        app.token = info["token"].as_str().unwrap().to_owned();
        wait_for("the API", Duration::from_secs(30), || {
            app.assert_running();
            app.get("/health").0 == 200
        });
        app
    }

    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "noi-desktop exited ({status}):\n{}",
                self.log.lock().unwrap()
            );
        }
    }

    /// Waits for the process to exit by itself; its status.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        self.request("GET", path)
    }

    pub fn post(&self, path: &str) -> (u16, Value) {
        self.request("POST", path)
    }

    fn request(&self, method: &str, path: &str) -> (u16, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        let auth = format!("Bearer {}", self.token);
        let response = match method {
            "GET" => agent.get(&url).header("Authorization", &auth).call(),
            _ => agent.post(&url).header("Authorization", &auth).send_empty(),
        };
        match response {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let body = response.body_mut().read_to_string().unwrap_or_default();
                (status, serde_json::from_str(&body).unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        }
    }

    /// The coordinator's state from `/v1/dictation/status`.
    pub fn state(&self) -> String {
        self.get("/v1/dictation/status").1["state"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    pub fn wait_state(&self, state: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let now = self.state();
            if now == state {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "state stayed {now:?}, wanted {state:?}; log:\n{}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Resident memory of a process, in MiB (`/proc/PID/status` VmRSS).
pub fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib / 1024.0
}

/// CPU time (user + system) a process has used so far, in seconds (`/proc/PID/stat`).
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses and may contain spaces.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // USER_HZ is 100 on every Linux this runs on.
    ticks / 100.0
}

/// CPU seconds of a process and all its descendants (WebKit renders in child processes).
pub fn tree_cpu_seconds(pid: u32) -> f64 {
    let mut total = 0.0;
    let mut pending = vec![pid];
    while let Some(parent) = pending.pop() {
        if std::path::Path::new(&format!("/proc/{parent}/stat")).exists() {
            total += cpu_seconds(parent);
        }
        pending.extend(children_of(parent));
    }
    total
}

fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                let after = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
                after.split_whitespace().nth(1) == Some(&parent.to_string())
            })
        })
        .collect()
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// 16-bit samples of a 16 kHz mono WAV (the test clips and history's recordings).
pub fn wav_samples(bytes: &[u8]) -> Vec<i16> {
    assert_eq!(&bytes[0..4], b"RIFF");
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if id == b"data" {
            let end = (at + 8 + size).min(bytes.len());
            return bytes[at + 8..end]
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
        }
        at += 8 + size + (size & 1);
    }
    panic!("no data chunk");
}

/// Where `needle` occurs in `haystack`, sample for sample.
pub fn find_samples(haystack: &[i16], needle: &[i16]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}
