#!/usr/bin/env python3
"""The settings window, driven as a person would, through WebDriver (selenium → tauri-driver →
WebKitWebDriver → the real noi-desktop), with every change checked in the settings file and in
behaviour. Run by src-tauri/tests/settings_window.rs inside its private desktop (Xvfb,
PulseAudio, D-Bus): the environment (DISPLAY, NOI_CONFIG_DIR, NOI_DATA_DIR, …) comes from there.

This script owns what the app must see at launch: a catalog pinning a replica model archive
(built here, sherpa-onnx layout) and a local HTTP server that serves it slowly enough for the
progress bar to be watched and the download cancelled. tauri-driver starts the app with
NOI_CATALOG and NOI_MODEL_MIRROR pointing at them.

Usage: driver.py --app BIN --tauri-driver BIN --replica DIR --tiny-model DIR --clip WAV
                 --artifacts DIR --text-target PY --work DIR
"""

import argparse
import bz2
import hashlib
import http.server
import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import threading
import time
import tomllib
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import (
    NoAlertPresentException,
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.support.select import Select

MODEL_ID = "zipformer-vi-30m-int8"
ARCHIVE = "sherpa-onnx-zipformer-vi-30M-int8-2026-02-09.tar.bz2"
PREFIX = "https://github.com/k2-fsa/sherpa-onnx/releases/download/"
OLD_HOTKEY = "ctrl+alt+space"
NEW_HOTKEY = "ctrl+alt+r"
SECTIONS = ["hotkey", "microphone", "models", "output", "text", "api", "general", "history"]

CONFIG = Path(os.environ["NOI_CONFIG_DIR"])
DATA = Path(os.environ["NOI_DATA_DIR"])


def log(message):
    print(f"[settings-window] {message}", flush=True)


# The window redraws lists (models, history) as events arrive: an element found a moment ago
# may be gone. Polls treat that as "not yet".
REDRAWN = (StaleElementReferenceException, NoSuchElementException)


def wait(what, ready, timeout=15.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = ready()
        except REDRAWN:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def run(*command):
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


# ------------------------------------------------------------------ model archive and server


def build_archive(replica: Path, work: Path):
    """The replica's files under a sherpa-onnx top folder, as .tar.bz2, and its catalog."""
    top = ARCHIVE.removesuffix(".tar.bz2")
    raw = io.BytesIO()
    pins = []
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for path in sorted(replica.iterdir()):
            data = path.read_bytes()
            info = tarfile.TarInfo(f"{top}/{path.name}")
            info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
            pins.append((path.name, len(data), hashlib.sha256(data).hexdigest()))
    archive = bz2.compress(raw.getvalue(), compresslevel=1)
    files = "\n".join(
        f'  {{ name = "{n}", size = {s}, sha256 = "{h}" }},' for n, s, h in pins
    )
    catalog = f"""default = "{MODEL_ID}"
release_prefix = "{PREFIX}"

[[model]]
id = "{MODEL_ID}"
name = "Zipformer Vietnamese 30M (int8)"
description = "A replica (random weights, real shapes) served by the test."
license = "CC-BY-NC-ND-4.0"
license_note = "Non-commercial use only."
url = "{PREFIX}asr-models/{ARCHIVE}"
archive_size = {len(archive)}
archive_sha256 = "{hashlib.sha256(archive).hexdigest()}"
files = [
{files}
]
"""
    (work / "catalog.toml").write_text(catalog, encoding="utf-8")
    return archive


class SlowArchive(http.server.BaseHTTPRequestHandler):
    """Serves the archive in small timed chunks (so progress is visible) and honours Range
    (so a cancelled download resumes)."""

    archive = b""
    chunk = 256 * 1024
    delay = 0.05

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path != f"/asr-models/{ARCHIVE}":
            self.send_error(404)
            return
        total = len(self.archive)
        start = 0
        wanted = self.headers.get("Range", "")
        if wanted.startswith("bytes=") and wanted.endswith("-"):
            start = int(wanted[6:-1])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(total - start))
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            for at in range(start, total, self.chunk):
                self.wfile.write(self.archive[at : at + self.chunk])
                self.wfile.flush()
                time.sleep(self.delay)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the app cancelled

    def log_message(self, *args):
        pass


def serve(archive):
    SlowArchive.archive = archive
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowArchive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


# ------------------------------------------------------------------ the app and its window


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_driver(tauri_driver, work):
    port, native = free_port(), free_port()
    out = open(work / "tauri-driver.log", "w")
    process = subprocess.Popen(
        [tauri_driver, "--port", str(port), "--native-port", str(native)],
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    wait("tauri-driver to listen", lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0)
    return process, port


def open_session(port, app):
    """The WebDriver session. The app has no window until asked for one (a tray app), and
    WebKit hands the driver the first webview, so a second launch opens the settings window
    while the session waits for it."""
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": app, "args": []})
    result = {}

    def connect():
        try:
            result["driver"] = webdriver.Remote(f"http://127.0.0.1:{port}", options=options)
        except Exception as error:  # reported below, with the app's state
            result["error"] = error

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    wait("the app's api.json", lambda: (CONFIG / "api.json").exists(), timeout=60)
    # A bare second launch forwards to the running app, which opens its settings window.
    subprocess.run([app], check=True, timeout=30)
    thread.join(timeout=90)
    if "driver" not in result:
        raise AssertionError(f"no WebDriver session: {result.get('error', 'timed out')}")
    driver = result["driver"]
    # Paths typed into a file input are local paths (the app runs here), not uploads to a grid.
    driver.file_detector = UselessFileDetector()
    return driver


def api_info():
    """api.json as the app last wrote it (None while the API is off)."""
    try:
        return json.loads((CONFIG / "api.json").read_text())
    except FileNotFoundError:
        return None


def api_status(port, path, token=None, origin=None):
    """The HTTP status of GET `path` on `port` (0 when nothing listens)."""
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if origin:
        headers["Origin"] = origin
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError):
        return 0


class Api:
    """The app's loopback API, for its dictation state. Port and token are read from api.json
    at each call: the settings window may have moved the port or made a new token."""

    def get(self, path):
        info = api_info()
        request = urllib.request.Request(
            f"http://127.0.0.1:{info['port']}{path}",
            headers={"Authorization": f"Bearer {info['token']}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            return json.loads(error.read() or b"{}")

    def state(self):
        return self.get("/v1/dictation/status").get("state")


def settings_file():
    return tomllib.loads((CONFIG / "settings.toml").read_text(encoding="utf-8"))


def clipboard():
    result = subprocess.run(
        ["timeout", "3", "xclip", "-selection", "clipboard", "-o"],
        capture_output=True,
        text=True,
    )
    return result.stdout if result.returncode == 0 else None


def set_clipboard(text):
    subprocess.run(["xclip", "-selection", "clipboard", "-i"], input=text, text=True, check=True)
    wait("the clipboard set", lambda: clipboard() == text)


class Window:
    """The settings window through WebDriver."""

    def __init__(self, driver, artifacts: Path):
        self.driver = driver
        self.artifacts = artifacts

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def click(self, css):
        def clicked():
            self.find(css).click()
            return True

        wait(f"a click on {css}", clicked, timeout=5)

    def section(self, name):
        self.click(f'button.nav[data-section="{name}"]')
        wait(f"section {name}", lambda: self.find(f"#section-{name}").is_displayed())

    def value(self, css):
        return self.find(css).get_property("value")

    def type_into(self, css, text):
        """Selects what the field holds and types over it, then leaves it (Tab), as a person
        would: one change event with the new value (WebDriver's clear() would send one with an
        empty value first)."""
        field = self.find(css)
        self.driver.execute_script("arguments[0].select();", field)
        field.send_keys(text + Keys.TAB)

    def fill(self, css, text):
        """Sets a text area's content (Vietnamese included) without typing it key by key."""
        self.driver.execute_script(
            "const el = document.querySelector(arguments[0]); el.value = arguments[1];"
            "el.dispatchEvent(new Event('input', { bubbles: true }));",
            css,
            text,
        )

    def choose(self, css, value):
        Select(self.find(css)).select_by_value(value)

    def status(self):
        return self.find("#status").text

    def shot(self, name):
        path = self.artifacts / f"settings-{name}.png"
        self.driver.save_screenshot(str(path))
        return path


def saved(what, check, timeout=5.0):
    """Waits until the settings file satisfies `check`."""
    try:
        return wait(f"{what} in settings.toml", lambda: check(settings_file()), timeout)
    except AssertionError as error:
        text = (CONFIG / "settings.toml").read_text(encoding="utf-8")
        raise AssertionError(f"{error}; the file holds:\n{text}") from None


# ------------------------------------------------------------------ the checks


def check_language(win):
    win.section("general")
    win.choose("#ui-language", "vi")
    saved("language vi", lambda s: s["general"]["language"] == "vi")
    wait("Vietnamese labels", lambda: win.find('button.nav[data-section="hotkey"]').text == "Phím tắt")
    assert win.driver.execute_script("return document.documentElement.lang") == "vi"
    # Messages made in Rust come in the window's language too: a refused port, a conflict.
    win.section("api")
    port = settings_file()["api"]["port"]
    win.type_into("#api-port", "80")
    wait("the port refused in Vietnamese", lambda: "cần quyền quản trị" in win.status())
    win.type_into("#api-port", str(port))
    saved("the port back", lambda s: s["api"]["port"] == port)
    win.section("hotkey")
    win.click("#hotkey-record")
    ActionChains(win.driver).key_down(Keys.CONTROL).send_keys("v").key_up(Keys.CONTROL).perform()
    wait("the conflict in Vietnamese", lambda: "phím dán" in win.find("#hotkey-conflicts").text)
    win.shot("vi-hotkey-conflict")
    for name in SECTIONS:
        win.section(name)
        win.shot(f"vi-{name}")
    win.section("general")
    win.choose("#ui-language", "en")
    saved("language en", lambda s: s["general"]["language"] == "en")
    wait("English labels", lambda: win.find('button.nav[data-section="hotkey"]').text == "Hotkey")


def check_every_control_is_labelled(win):
    unlabelled = win.driver.execute_script(
        """
        return [...document.querySelectorAll('input, select, textarea, button, meter, progress')]
          .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                        && !el.getAttribute('aria-labelledby') && !el.textContent.trim())
          .map(el => el.outerHTML.slice(0, 80));
        """
    )
    assert unlabelled == [], f"controls without a label: {unlabelled}"


def check_models(win, api):
    win.section("models")
    card = f'li[data-model="{MODEL_ID}"]'
    wait("the catalog entry", lambda: win.all(card))
    facts = win.find(card).text
    assert "CC-BY-NC-ND-4.0" in facts and "Non-commercial" in facts, facts
    assert not win.find(f"#use-{MODEL_ID}").is_enabled(), "not installed yet: not selectable"

    # Cancel part-way: the bar moved, then the download stops and nothing is installed.
    win.click(f"{card} .model-download")
    wait("progress above 0 %", lambda: (win.find(f"#progress-{MODEL_ID}").get_property("value") or 0) > 0)
    win.click(f"{card} .model-cancel")
    wait("the cancelled message", lambda: "cancel" in win.status().lower())
    wait("the download button back", lambda: win.all(f"{card} .model-download"))
    assert not (DATA / "models" / MODEL_ID).exists(), "a cancelled download installed the model"
    win.shot("models-cancelled")

    # Download (resuming): the bar is watched on its way and must end at 100 %.
    seen = set()
    win.click(f"{card} .model-download")

    def done():
        bar = win.all(f"#progress-{MODEL_ID}")
        if bar and bar[0].get_property("value") is not None:
            seen.add(int(bar[0].get_property("value")))
        return "is installed" in win.status()

    wait("the download to finish", done, timeout=120, interval=0.02)
    assert any(0 < p < 100 for p in seen), f"no intermediate progress seen: {sorted(seen)}"
    wait("the bar at 100 %", lambda: win.find(f"#progress-{MODEL_ID}").get_property("value") == 100)
    assert (DATA / "models" / MODEL_ID).is_dir()
    radio = wait("the model selectable", lambda: win.find(f"#use-{MODEL_ID}").is_enabled() and win.find(f"#use-{MODEL_ID}"))
    win.shot("models-downloaded")
    radio.click()
    saved("the active model", lambda s: s.get("model", {}).get("active") == MODEL_ID)
    wait("the model loaded", lambda: api.get("/health").get("status") == "ok", timeout=60)
    log(f"download ok, progress seen: {sorted(seen)}")


def open_tray_menu():
    x, y = wait("the tray icon", tray_icon)
    run("xdotool", "mousemove", str(x), str(y), "click", "1")
    time.sleep(1.0)  # the menu maps


def choose_first_tray_item():
    """The first item that can be chosen (the status line above it cannot)."""
    for key in ["Down", "Return"]:
        run("xdotool", "key", key)
        time.sleep(0.15)


def check_downloads_shared_with_the_tray(win):
    """One model service for the tray and the window. A download started in the tray (the
    first-run offer) shows in the open window with its progress and is cancelled there; one
    started in the window shows in the tray, whose first item then cancels it."""
    win.section("models")
    card = f'li[data-model="{MODEL_ID}"]'
    wait("the catalog entry", lambda: win.all(card))
    clear_status = lambda: win.driver.execute_script("document.getElementById('status').textContent = ''")

    # Tray → window.
    open_tray_menu()
    choose_first_tray_item()
    wait("the tray's download in the window", lambda: win.all(f"{card} .model-cancel"), timeout=20)
    wait("its progress in the window", lambda: (win.find(f"#progress-{MODEL_ID}").get_property("value") or 0) > 0)
    win.shot("models-tray-download")
    clear_status()
    win.click(f"{card} .model-cancel")
    wait("cancelled from the window", lambda: "cancel" in win.status().lower())
    wait("the download button back", lambda: win.all(f"{card} .model-download"))
    assert not (DATA / "models" / MODEL_ID).exists(), "a cancelled download installed the model"

    # Window → tray.
    clear_status()
    win.click(f"{card} .model-download")
    wait("progress above 0 %", lambda: (win.find(f"#progress-{MODEL_ID}").get_property("value") or 0) > 0)
    time.sleep(0.5)  # the tray's menu now leads with "Cancel download of …"
    open_tray_menu()
    subprocess.run(["import", "-window", "root", str(win.artifacts / "settings-tray-cancel.png")])
    choose_first_tray_item()
    wait("the window told of the tray's cancel", lambda: "cancel" in win.status().lower())
    wait("the download button back", lambda: win.all(f"{card} .model-download"))
    assert not (DATA / "models" / MODEL_ID).exists(), "a cancelled download installed the model"
    log("downloads shared: tray → window and window → tray, each cancelled on the other side")


def check_install_from_file_and_delete(win, tiny_model):
    """A model folder installed by path shows as installed from a file, selectable; Delete
    (confirmed) removes it from the list and the disk."""
    win.section("models")
    win.type_into("#model-file-path", tiny_model)
    win.click("#model-file-install")
    card = 'li[data-model="tiny-model"]'
    wait("the installed folder listed", lambda: win.all(card), timeout=60)
    wait("it selectable", lambda: win.find("#use-tiny-model").is_enabled())
    assert "Installed from a file" in win.find(card).text, win.find(card).text
    assert (DATA / "models" / "tiny-model").is_dir()
    win.shot("models-from-file")
    win.click(f"{card} .model-delete")
    accept_confirmation(win)
    wait("the model gone from the list", lambda: not win.all(card))
    assert not (DATA / "models" / "tiny-model").exists()
    # The active model was not the one deleted: it stays.
    assert settings_file()["model"]["active"] == MODEL_ID


def check_hotkey(win, api, target):
    win.section("hotkey")
    win.click("#mode-hold")
    saved("hold mode", lambda s: s["hotkey"]["mode"] == "hold")
    win.click("#hotkey-record")
    ActionChains(win.driver).key_down(Keys.CONTROL).key_down(Keys.ALT).send_keys("r").key_up(
        Keys.ALT
    ).key_up(Keys.CONTROL).perform()
    wait("the new hotkey shown", lambda: win.find("#hotkey-current").text == "Ctrl+Alt+R")
    saved("the new hotkey", lambda s: s["hotkey"]["accelerator"] == "Ctrl+Alt+R")

    # Behaviour: the new combination records, the old one no longer does.
    run("xdotool", "keydown", NEW_HOTKEY)
    wait("recording on the new hotkey", lambda: api.state() == "recording", timeout=5)
    run("xdotool", "keyup", NEW_HOTKEY)
    wait("idle again", lambda: api.state() == "idle", timeout=15)
    # And again: the new registration survives a dictation (Escape is grabbed and let go).
    assert_hotkey_records(api, "after one dictation")
    # The old combination, pressed in another app.
    focus(target)
    run("xdotool", "keydown", OLD_HOTKEY)
    time.sleep(1.0)
    state = api.state()
    run("xdotool", "keyup", OLD_HOTKEY)
    assert state == "idle", f"the old hotkey still works (state {state})"
    # No longer grabbed, the combination reaches openbox, which takes it for Alt+Space and
    # opens its window menu, grabbing the keyboard (no global hotkey works under a grab).
    # Escape closes it, as a person would.
    run("xdotool", "key", "Escape")
    assert_hotkey_records(api, "after the old hotkey was pressed")

    # A conflicting combination is reported and not taken without consent.
    win.click("#hotkey-record")
    ActionChains(win.driver).key_down(Keys.CONTROL).send_keys("v").key_up(Keys.CONTROL).perform()
    wait("the conflict shown", lambda: win.find("#hotkey-problems").is_displayed())
    assert "paste" in win.find("#hotkey-conflicts").text
    assert settings_file()["hotkey"]["accelerator"] == "Ctrl+Alt+R"
    win.shot("hotkey-conflict")
    assert_hotkey_records(api, "after a conflicting combination was refused")

    # While the recorder listens, the global hotkey is let go: the current combination pressed
    # on the keyboard starts no dictation, and the recorder can take it. (WebKit ignores real
    # key presses in a page under automation, so the recorder gets it through WebDriver.)
    win.driver.execute_script("document.getElementById('status').textContent = '';")
    win.click("#hotkey-record")
    wait("the recorder listening", lambda: win.find("#hotkey-prompt").is_displayed())
    time.sleep(0.3)  # the hotkey let go (an IPC round trip)
    run("xdotool", "keydown", NEW_HOTKEY)
    time.sleep(0.5)
    state = api.state()
    run("xdotool", "keyup", NEW_HOTKEY)
    assert state == "idle", f"the hotkey was not let go while the recorder listened ({state})"
    ActionChains(win.driver).key_down(Keys.CONTROL).key_down(Keys.ALT).send_keys("r").key_up(
        Keys.ALT
    ).key_up(Keys.CONTROL).perform()
    wait("the current combination recorded", lambda: win.status() == "Hotkey set to Ctrl+Alt+R.")
    assert_hotkey_records(api, "after the recorder let it go and took it back")


def assert_hotkey_records(api, when):
    run("xdotool", "keydown", NEW_HOTKEY)
    try:
        wait(f"recording on the new hotkey {when}", lambda: api.state() == "recording", timeout=5)
    finally:
        run("xdotool", "keyup", NEW_HOTKEY)
    wait("idle again", lambda: api.state() == "idle", timeout=15)


def text_target(script, title, work):
    out = work / f"{title}.txt"
    process = subprocess.Popen(["/usr/bin/python3", script, title, str(out)])
    window = wait(
        "the text target window",
        lambda: out.exists() and run("xdotool", "search", "--onlyvisible", "--name", title).split(),
    )[0]
    return process, out, window


def focus(window):
    run("xdotool", "windowactivate", "--sync", window)
    run("xdotool", "windowfocus", "--sync", window)


def dictate(api, window, clip):
    focus(window)
    run("xdotool", "keydown", NEW_HOTKEY)
    try:
        wait("recording", lambda: api.state() == "recording", timeout=5)
    except AssertionError:
        status = api.get("/v1/dictation/status")
        run("xdotool", "keyup", NEW_HOTKEY)
        raise AssertionError(f"the hotkey did not start a dictation; status {status}") from None
    subprocess.run(["paplay", "--device=mic", clip], check=True)
    time.sleep(0.3)
    run("xdotool", "keyup", NEW_HOTKEY)
    wait("the dictation done", lambda: api.state() == "idle", timeout=20)
    last = api.get("/v1/dictation/status").get("last_text")
    assert last and last.strip(), "no transcript"
    return last


def check_output(win, api, clip, target):
    win.section("output")
    win.click("#output-copy_only")
    saved("copy-only output", lambda s: s["output"]["mode"] == "copy_only")
    win.type_into("#paste-delay", "120")
    saved("paste delay", lambda s: s["output"]["paste_delay_ms"] == 120)
    win.click("#trailing-space")
    saved("trailing space", lambda s: s["output"]["trailing_space"] is True)
    win.click("#trailing-space")
    saved("no trailing space", lambda s: s["output"]["trailing_space"] is False)

    window, out = target
    set_clipboard("before")
    text = dictate(api, window, clip)
    wait("the text on the clipboard", lambda: clipboard() == text, timeout=5)
    assert out.read_text() == "", "copy-only typed or pasted into the app"

    win.section("output")
    win.click("#output-paste")
    saved("paste output", lambda s: s["output"]["mode"] == "paste")
    text = dictate(api, window, clip)
    wait("the text pasted into the app", lambda: out.read_text() == text, timeout=5)
    return text


def check_history(win, last_text):
    win.section("history")
    first = "#history-list li:first-child"
    wait("the last dictation first in history", lambda: last_text in win.find(first).text)
    set_clipboard("something else")
    win.click(f"{first} .history-copy")
    wait("the transcript on the clipboard", lambda: clipboard() == last_text)
    win.type_into("#history-retention", "7")
    saved("retention", lambda s: s["history"]["retention_days"] == 7)
    win.click("#keep-recordings")
    saved("keep recordings", lambda s: s["history"]["keep_recordings"] is True)
    count = len(win.all("#history-list li"))
    win.click(f"{first} .history-delete")
    wait("one entry deleted", lambda: len(win.all("#history-list li")) == count - 1)
    win.click("#history-enabled")
    saved("history off", lambda s: s["history"]["enabled"] is False)
    win.click("#history-enabled")
    saved("history on", lambda s: s["history"]["enabled"] is True)


def check_microphone(win, clip):
    win.section("microphone")
    wait("the meter's stream", lambda: run("pactl", "list", "short", "source-outputs").strip())
    player = subprocess.Popen(["paplay", "--device=mic", clip])
    try:
        wait("the level meter moving", lambda: (win.find("#mic-level").get_property("value") or 0) > 0.05, timeout=10)
    finally:
        player.wait()
    win.shot("microphone")
    options = [o.get_property("value") for o in win.all("#mic-device option")]
    assert "" in options and len(options) >= 2, f"device list: {options}"
    device = options[1]
    win.choose("#mic-device", device)
    saved("the device", lambda s: s.get("microphone", {}).get("device") == device)
    win.choose("#mic-device", "")
    saved("the system default", lambda s: "device" not in s.get("microphone", {}))
    # Privacy: leaving the section closes the microphone.
    win.section("output")
    try:
        wait("the meter closed", lambda: run("pactl", "list", "short", "source-outputs").strip() == "", timeout=5)
    except AssertionError:
        raise AssertionError("the microphone stayed open: " + run("pactl", "list", "source-outputs"))


def api_transcript(clip):
    """The embedded API's text for `clip` (POST /v1/transcribe)."""
    info = api_info()
    request = urllib.request.Request(
        f"http://127.0.0.1:{info['port']}/v1/transcribe",
        data=Path(clip).read_bytes(),
        headers={"Authorization": f"Bearer {info['token']}", "Content-Type": "audio/wav"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["text"]


def check_text(win, clip):
    win.section("text")
    # The embedded API writes text as the app's settings say, changed live.
    win.choose("#casing", "as_is")
    saved("casing as the model writes", lambda s: s["text"]["casing"] == "as_is")
    as_is = api_transcript(clip)
    win.choose("#casing", "lower")
    saved("lower case", lambda s: s["text"]["casing"] == "lower")
    lower = api_transcript(clip)
    assert as_is.strip() and as_is != lower, f"casing did not reach the API: {as_is!r}"
    assert lower == as_is.lower(), f"API text in lower case: {lower!r} (as the model: {as_is!r})"
    # Written Vietnamese (on by default) can be switched off.
    assert win.find("#itn-enabled").is_selected()
    win.click("#itn-enabled")
    saved("written Vietnamese off", lambda s: s["text"]["itn"]["enabled"] is False)
    win.click("#itn-enabled")
    saved("written Vietnamese on", lambda s: s["text"]["itn"]["enabled"] is True)
    win.click("#spoken-punctuation")
    saved("spoken punctuation", lambda s: s["text"]["spoken_punctuation"] is True)
    wait("the commands enabled", lambda: win.find('[data-command="newline"]').is_enabled())
    win.click('[data-command="newline"]')
    saved("newline command off", lambda s: s["text"]["commands"]["newline"] is False)
    win.fill("#replacements", "git húp | ghít húp => GitHub")
    win.click("#replacements-apply")
    saved(
        "a replacement",
        lambda s: s["text"]["replacements"] == [{"from": ["git húp", "ghít húp"], "to": "GitHub"}],
    )
    win.fill("#replacements", "=> nothing")
    win.click("#replacements-apply")
    wait("the parse error", lambda: "line 1" in win.find("#words-status").text)
    win.fill("#hotwords", "Hà Nội :2.0\nNguyễn Văn A")
    win.click("#hotwords-apply")
    saved("hotwords", lambda s: s["text"]["hotwords"] == ["Hà Nội :2.0", "Nguyễn Văn A"])
    win.click("#hotwords-export")
    path = wait("the export", lambda: win.find("#words-status").text.partition(" to ")[2].rstrip("."))
    assert Path(path).read_text(encoding="utf-8") == "Hà Nội :2.0\nNguyễn Văn A\n", path
    # Import: a plain text file through the file input.
    imported = Path(path).with_name("import-hotwords.txt")
    imported.write_text("Sài Gòn\n", encoding="utf-8")
    win.find("#hotwords-import").send_keys(str(imported))
    saved("imported hotwords", lambda s: s["text"]["hotwords"] == ["Sài Gòn"])


def accept_confirmation(win):
    def alert():
        try:
            return win.driver.switch_to.alert
        except NoAlertPresentException:
            return None

    wait("the confirmation dialog", alert, timeout=5).accept()


def check_api(win):
    """Every API setting is saved and in force at once: token, port, origins, on/off."""
    win.section("api")
    before = settings_file()["api"]["token"]
    first_port = api_info()["port"]
    assert win.find("#api-token").get_property("type") == "password"
    win.click("#token-show")
    assert win.value("#api-token") == before
    win.click("#token-regenerate")
    accept_confirmation(win)
    saved("a new token", lambda s: s["api"]["token"] != before and len(s["api"]["token"]) == 64)
    new_token = settings_file()["api"]["token"]
    wait("the new token shown", lambda: win.value("#api-token") == new_token)
    wait("api.json holds the new token", lambda: api_info()["token"] == new_token)
    assert api_status(first_port, "/v1/dictation/status", before) == 401, "the old token works"
    assert api_status(first_port, "/v1/dictation/status", new_token) == 200

    win.type_into("#api-port", "9911")
    saved("the port", lambda s: s["api"]["port"] == 9911)
    moved = wait("the API on the new port", lambda: api_info() and api_info()["port"] != first_port and api_info()["port"])
    assert 9911 <= moved <= 9931, moved
    assert api_status(moved, "/v1/dictation/status", new_token) == 200
    wait("the old port closed", lambda: api_status(first_port, "/health") == 0)
    wait("the port in use shown", lambda: win.find("#api-port-actual").text == str(moved))
    win.type_into("#api-port", "80")
    wait("the port refused", lambda: "1024" in win.status())
    assert settings_file()["api"]["port"] == 9911

    assert api_status(moved, "/v1/models", new_token, "https://example.org") == 403
    win.fill("#api-origins", "https://example.org")
    win.click("#origins-apply")
    saved("origins", lambda s: s["api"]["allowed_origins"] == ["https://example.org"])
    wait("the origin allowed", lambda: api_status(moved, "/v1/models", new_token, "https://example.org") == 200)

    win.click("#api-enabled")
    saved("API off", lambda s: s["api"]["enabled"] is False)
    wait("the API stopped", lambda: api_info() is None and api_status(moved, "/health") == 0)
    win.click("#api-enabled")
    saved("API on", lambda s: s["api"]["enabled"] is True)
    wait("the API back", lambda: api_info() is not None and api_status(api_info()["port"], "/health") == 200)


def check_autostart(win):
    win.section("general")
    autostart = Path(os.environ["XDG_CONFIG_HOME"]) / "autostart"
    win.click("#autostart")
    saved("start at login", lambda s: s["general"]["autostart"] is True)
    wait("the autostart entry", lambda: list(autostart.glob("*.desktop")))
    win.click("#autostart")
    saved("no start at login", lambda s: s["general"]["autostart"] is False)
    wait("the autostart entry gone", lambda: not list(autostart.glob("*.desktop")))


def tray_icon():
    """The centre of the first icon embedded in trayer (XEmbed children of its window)."""
    trayer = run("xdotool", "search", "--onlyvisible", "--class", "trayer").split()[0]
    for line in run("xwininfo", "-children", "-id", trayer).splitlines():
        # "     0x1e00003 (has no name): ()  24x24+0+0  +1258+4"
        fields = line.split()
        if len(fields) < 2 or not fields[-1].startswith("+") or "x" not in fields[-2]:
            continue
        w, h = (int(v) for v in fields[-2].split("+")[0].split("x"))
        x, y = (int(v) for v in fields[-1].lstrip("+").split("+"))
        if w > 1 and h > 1:
            return x + w // 2, y + h // 2
    return None


def check_tray_mirrors_the_window(win, artifacts):
    """The other way round: an output mode chosen in the tray shows in the open window, and
    the window's choice is ticked in the tray menu (screenshot)."""
    win.section("output")
    win.click("#output-copy_only")
    saved("copy-only output", lambda s: s["output"]["mode"] == "copy_only")
    x, y = wait("the tray icon", tray_icon)
    run("xdotool", "mousemove", str(x), str(y), "click", "1")
    time.sleep(1.0)  # the menu maps
    subprocess.run(["import", "-window", "root", str(artifacts / "settings-tray-menu.png")])
    # Model ▸, Microphone ▸, Output ▸ → Paste, Type.
    for key in ["Down", "Down", "Down", "Right", "Down", "Return"]:
        run("xdotool", "key", key)
        time.sleep(0.15)
    saved("type output (from the tray)", lambda s: s["output"]["mode"] == "type")
    wait("the window showing the tray's choice", lambda: win.find("#output-type").is_selected())


def main():
    parser = argparse.ArgumentParser()
    for name in ["app", "tauri-driver", "replica", "tiny-model", "clip", "artifacts", "text-target", "work"]:
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    work, artifacts = Path(args.work), Path(args.artifacts)
    artifacts.mkdir(parents=True, exist_ok=True)

    archive = build_archive(Path(args.replica), work)
    os.environ["NOI_CATALOG"] = str(work / "catalog.toml")
    os.environ["NOI_MODEL_MIRROR"] = serve(archive)
    log(f"archive {len(archive)} bytes at {os.environ['NOI_MODEL_MIRROR']}")
    driver_process, port = start_driver(args.tauri_driver, work)
    driver = None
    target_process = None
    try:
        driver = open_session(port, args.app)
        win = Window(driver, artifacts)
        wait("the window ready", lambda: driver.execute_script("return document.body.dataset.ready") == "true")
        api = Api()
        check_every_control_is_labelled(win)
        target_process, out, window = text_target(args.text_target, "noi-settings-target", work)
        target = (window, out)

        def output_and_history():
            check_history(win, check_output(win, api, args.clip, target))

        steps = [
            ("downloads shared with the tray", lambda: check_downloads_shared_with_the_tray(win)),
            ("models", lambda: check_models(win, api)),
            ("install from a file", lambda: check_install_from_file_and_delete(win, args.tiny_model)),
            ("hotkey", lambda: check_hotkey(win, api, window)),
            ("output and history", output_and_history),
            ("microphone", lambda: check_microphone(win, args.clip)),
            ("text", lambda: check_text(win, args.clip)),
            ("api", lambda: check_api(win)),
            ("autostart", lambda: check_autostart(win)),
            ("tray", lambda: check_tray_mirrors_the_window(win, artifacts)),
        ]
        for name, step in steps:
            log(f"checking {name}")
            step()
        for name in SECTIONS:
            win.section(name)
            win.shot(name)
        check_language(win)
        log("all checks passed")
    except (AssertionError, WebDriverException):
        if driver is not None:
            try:
                driver.save_screenshot(str(artifacts / "settings-failure.png"))
            except WebDriverException:
                pass
        raise
    finally:
        if driver is not None:
            try:
                driver.quit()
            except WebDriverException:
                pass
        if target_process is not None:
            target_process.kill()
        driver_process.terminate()
        driver_process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
