#!/usr/bin/env bash
# Shared set-up for scripts/run.sh and scripts/test.sh. Sourced, not run. Every step is
# idempotent: it checks first and installs only what is missing, so a second run is quick.
#
#   ensure_apt PKG...      Debian/Ubuntu packages (apt-get; sudo when not root)
#   ensure_onnxruntime     ONNX Runtime 1.32.0 from the PyPI wheel into .ort/ (git-ignored)
#   ensure_reference_venv  .venv/ with sherpa-onnx 2.0.1 and kaldi-native-fbank (test goldens)
#   ensure_rust            checks that cargo is there

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ORT_VERSION="1.32.0"
ORT_LIB="$REPO_ROOT/.ort/onnxruntime/capi/libonnxruntime.so.$ORT_VERSION"
VENV="$REPO_ROOT/.venv"
export ORT_DYLIB_PATH="$ORT_LIB"

say() { printf '\033[1m[noi setup]\033[0m %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=0
ensure_apt() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    if [ "$APT_UPDATED" -eq 0 ]; then
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

python_for_pip() {
    # Any python3 with pip will do; Debian's needs python3-pip and python3-venv.
    if ! python3 -m pip --version >/dev/null 2>&1 || ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        ensure_apt python3 python3-pip python3-venv
    fi
    command -v python3
}

ensure_onnxruntime() {
    [ -f "$ORT_LIB" ] && return 0
    say "installing ONNX Runtime $ORT_VERSION (PyPI wheel) into .ort/"
    local py
    py="$(python_for_pip)"
    rm -rf "$REPO_ROOT/.ort.partial"
    "$py" -m pip install --quiet --disable-pip-version-check --no-deps \
        --target "$REPO_ROOT/.ort.partial" "onnxruntime==$ORT_VERSION"
    # Move into place only when complete, so an interrupted install is retried next time.
    rm -rf "$REPO_ROOT/.ort"
    mv "$REPO_ROOT/.ort.partial" "$REPO_ROOT/.ort"
    [ -f "$ORT_LIB" ] || { say "error: $ORT_LIB missing after install"; exit 1; }
}

ensure_reference_venv() {
    # Bump the stamp when the list changes, so existing venvs get the new packages.
    local stamp="$VENV/.noi-reference-v5"
    [ -f "$stamp" ] && return 0
    say "setting up .venv: sherpa-onnx 2.0.1, kaldi-native-fbank (references), API client packages"
    local py
    py="$(python_for_pip)"
    [ -x "$VENV/bin/pip" ] || "$py" -m venv "$VENV"
    # openai, websockets, schemathesis: the API tests drive the server with real clients.
    # sentencepiece, simple-sentencepiece: hotword encoders (make_hotword_models.py).
    # selenium: the settings window's WebDriver test (through tauri-driver).
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "sherpa-onnx==2.0.1" "kaldi-native-fbank==1.23.0" "numpy" "onnx" "soundfile" \
        "openai==3.57.0" "websockets==17.4" "schemathesis==4.32.5" \
        "sentencepiece==0.2.3" "simple-sentencepiece==0.14" "selenium==4.51.0"
    touch "$stamp"
}

# tauri-driver: the WebDriver server in front of WebKitWebDriver for the settings window test.
ensure_tauri_driver() {
    ensure_rust
    command -v tauri-driver >/dev/null 2>&1 && return 0
    [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ] && return 0
    say "installing tauri-driver (cargo install, once)"
    nice -n 19 cargo install tauri-driver --locked --quiet
}

# cargo-fuzz, for scripts/fuzz.sh (not needed by the tests: they replay the corpora without it).
ensure_cargo_fuzz() {
    ensure_rust
    command -v cargo-fuzz >/dev/null 2>&1 && return 0
    [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo-fuzz" ] && return 0
    say "installing cargo-fuzz (cargo install, once)"
    nice -n 19 cargo install cargo-fuzz --locked --quiet
}

ensure_rust() {
    if ! command -v cargo >/dev/null 2>&1; then
        [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
    fi
    command -v cargo >/dev/null 2>&1 || {
        say "error: cargo not found. Install Rust 1.92 or newer from https://rustup.rs and run this again."
        exit 1
    }
}

# What building the engine needs: a C toolchain for crates with C parts, pkg-config, and cmake
# (the Opus decoder builds the libopus source shipped in the opusic-sys crate with it).
ensure_build_tools() {
    ensure_rust
    command -v cc >/dev/null 2>&1 || ensure_apt build-essential
    ensure_apt pkg-config ca-certificates cmake
}

# What building the desktop app (Tauri 2, WebKitGTK, tray, microphone, keystrokes) needs.
ensure_desktop_build_deps() {
    ensure_apt libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev \
        libssl-dev libasound2-dev
}

# What the desktop tests drive the app with: a private X server with a window manager and an
# XEmbed tray, a private PulseAudio with its ALSA plugin (the microphone), a D-Bus session bus
# (single instance), xdotool/xclip/xwininfo, ImageMagick for screenshots, a GTK entry
# (python3-gi) to dictate into, and xterm/urxvt (terminals that paste only the PRIMARY
# selection). The Wayland tests add a headless sway with XWayland, wtype (virtual keyboard),
# wl-clipboard (wl-copy/wl-paste), foot (a native Wayland terminal), xhost (x11-xserver-utils: lets root into XWayland), and
# the xdg-desktop-portal frontend with its wlroots and KDE backends and KDE's global-shortcut
# daemon (kglobalaccel5: libkf5globalaccel-bin): a real GlobalShortcuts portal for the app's
# portal client to talk to.
ensure_desktop_test_tools() {
    ensure_apt xvfb openbox trayer xdotool xclip x11-utils imagemagick dbus-daemon \
        pulseaudio pulseaudio-utils libasound2-plugins python3-gi gir1.2-gtk-3.0 \
        fonts-dejavu-core adwaita-icon-theme webkit2gtk-driver xterm rxvt-unicode \
        sway xwayland wtype wl-clipboard x11-xserver-utils xdg-desktop-portal \
        xdg-desktop-portal-wlr xdg-desktop-portal-kde libkf5globalaccel-bin foot
}
