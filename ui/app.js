// The settings window's behaviour. Every control writes through a typed Rust command
// (src-tauri/src/settings_commands/) the moment it changes; Rust pushes changes made elsewhere
// (tray, dictation, downloads) back as events, and the controls are redrawn from them.
"use strict";

const { invoke } = window.__TAURI__.core;
const { listen } = window.__TAURI__.event;

/** Event names: src-tauri/src/settings_commands.rs, `events`. */
const EVENTS = {
  settings: "settings:changed",
  history: "settings:history-changed",
  level: "settings:level",
  progress: "settings:model-progress",
  finished: "settings:model-finished",
};

const $ = (id) => document.getElementById(id);
let settings = null;
let currentSection = "hotkey";

// ---------------------------------------------------------------- status line

function say(message, isError = false) {
  const status = $("status");
  status.textContent = message;
  status.classList.toggle("error", isError);
}

function sayError(error) {
  say(t("common.error", { error: String(error) }), true);
}

// ---------------------------------------------------------------- settings

/** Sends a partial settings object; the reply is the settings now in force. */
async function patch(change) {
  try {
    settings = await invoke("update_settings", { patch: change });
    say(t("common.saved"));
  } catch (error) {
    sayError(error);
    settings = await invoke("get_settings");
  }
  render();
}

/** Redraws every control from `settings` (a field being typed in is left alone). */
function render() {
  renderHotkey();
  renderOutput();
  renderText();
  renderApi();
  renderGeneral();
  renderHistorySettings();
  setValue($("mic-device"), settings.microphone.device ?? "");
}

/** Shows `value` in `el`, unless the user is typing there or has unapplied edits. */
function setValue(el, value) {
  if (document.activeElement !== el && el.dataset.edited !== "true") el.value = value;
}

/** Text areas applied by a button keep the user's edits until applied. */
function trackEdits(...ids) {
  for (const id of ids) {
    $(id).addEventListener("input", () => ($(id).dataset.edited = "true"));
  }
}

function applied(...ids) {
  for (const id of ids) delete $(id).dataset.edited;
}

function checkRadio(name, value) {
  const radio = document.querySelector(`input[name="${name}"][value="${value}"]`);
  if (radio) radio.checked = true;
}

function renderHotkey() {
  $("hotkey-current").textContent = settings.hotkey.accelerator;
  checkRadio("hotkey-mode", settings.hotkey.mode);
}

function renderOutput() {
  checkRadio("output-mode", settings.output.mode);
  setValue($("paste-delay"), settings.output.paste_delay_ms);
  $("trailing-space").checked = settings.output.trailing_space;
}

function renderText() {
  const text = settings.text;
  setValue($("casing"), text.casing);
  $("spoken-punctuation").checked = text.spoken_punctuation;
  $("itn-enabled").checked = text.itn.enabled;
  for (const box of document.querySelectorAll("[data-command]")) {
    box.checked = text.commands[box.dataset.command];
    box.disabled = !text.spoken_punctuation;
  }
  setValue($("hotwords"), text.hotwords.join("\n"));
  invoke("replacements_text").then((rules) => setValue($("replacements"), rules));
}

function renderApi() {
  $("api-enabled").checked = settings.api.enabled;
  setValue($("api-port"), settings.api.port);
  $("api-token").value = settings.api.token ?? "";
  setValue($("api-origins"), settings.api.allowed_origins.join("\n"));
}

function renderGeneral() {
  $("autostart").checked = settings.general.autostart;
  setValue($("ui-language"), settings.general.language);
  setValue($("overlay-style"), settings.overlay.style);
  setValue($("overlay-position"), settings.overlay.position);
  $("sounds-enabled").checked = settings.sounds.enabled;
  setValue($("sounds-volume"), Math.round(settings.sounds.volume * 100));
}

function renderHistorySettings() {
  $("history-enabled").checked = settings.history.enabled;
  setValue($("history-retention"), settings.history.retention_days);
  $("keep-recordings").checked = settings.history.keep_recordings;
}

/** Plain controls: each one's change becomes a patch. */
function wireSettings() {
  const on = (id, make) => $(id).addEventListener("change", (e) => patch(make(e.target)));
  const number = (el) => Number.parseInt(el.value, 10) || 0;
  for (const radio of document.querySelectorAll('input[name="hotkey-mode"]')) {
    radio.addEventListener("change", () => patch({ hotkey: { mode: radio.value } }));
  }
  for (const radio of document.querySelectorAll('input[name="output-mode"]')) {
    radio.addEventListener("change", () => patch({ output: { mode: radio.value } }));
  }
  on("paste-delay", (el) => ({ output: { paste_delay_ms: number(el) } }));
  on("trailing-space", (el) => ({ output: { trailing_space: el.checked } }));
  on("casing", (el) => ({ text: { casing: el.value } }));
  on("spoken-punctuation", (el) => ({ text: { spoken_punctuation: el.checked } }));
  on("itn-enabled", (el) => ({ text: { itn: { enabled: el.checked } } }));
  for (const box of document.querySelectorAll("[data-command]")) {
    box.addEventListener("change", () =>
      patch({ text: { commands: { [box.dataset.command]: box.checked } } }));
  }
  on("api-enabled", (el) => ({ api: { enabled: el.checked } }));
  on("api-port", (el) => ({ api: { port: number(el) } }));
  on("autostart", (el) => ({ general: { autostart: el.checked } }));
  on("overlay-style", (el) => ({ overlay: { style: el.value } }));
  on("overlay-position", (el) => ({ overlay: { position: el.value } }));
  on("sounds-enabled", (el) => ({ sounds: { enabled: el.checked } }));
  on("sounds-volume", (el) => ({ sounds: { volume: number(el) / 100 } }));
  on("history-enabled", (el) => ({ history: { enabled: el.checked } }));
  on("history-retention", (el) => ({ history: { retention_days: number(el) } }));
  on("keep-recordings", (el) => ({ history: { keep_recordings: el.checked } }));
  $("ui-language").addEventListener("change", async (e) => {
    await patch({ general: { language: e.target.value } });
    await loadInfo();
    say(t("common.saved")); // again, in the new language
  });
  $("origins-apply").addEventListener("click", () => {
    applied("api-origins");
    patch({ api: { allowed_origins: lines($("api-origins").value) } });
  });
}

function lines(text) {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
}

// ---------------------------------------------------------------- hotkey recorder

const MODIFIER_CODES = ["Control", "Alt", "Shift", "Meta", "Super", "OS", "AltGraph"];
let recording = false;
let candidate = null;

function showListening(on) {
  recording = on;
  $("hotkey-prompt").hidden = !on;
  $("hotkey-record").textContent = t(on ? "hotkey.recording" : "hotkey.record");
}

function startRecording() {
  showListening(true);
  $("hotkey-problems").hidden = true;
  $("hotkey-record").focus();
  // The global hotkey is let go meanwhile, so even the current combination reaches us.
  invoke("set_recorder_listening", { listening: true }).catch(sayError);
}

/** Brings the global hotkey back (after any new one is in place, so they cannot race). */
function releaseRecorder() {
  return invoke("set_recorder_listening", { listening: false }).catch(sayError);
}

/** The pressed combination in the accelerator syntax Rust parses ("Ctrl+Alt+KeyR"). */
function comboOf(event) {
  const parts = [];
  if (event.ctrlKey) parts.push("Ctrl");
  if (event.altKey) parts.push("Alt");
  if (event.shiftKey) parts.push("Shift");
  if (event.metaKey) parts.push("Super");
  parts.push(keyName(event));
  return parts.join("+");
}

/** The physical key ("KeyR"); from the character when the platform gives no code. */
function keyName(event) {
  if (event.code && event.code !== "Unidentified") return event.code;
  if (event.key === " ") return "Space";
  return event.key.length === 1 ? event.key.toUpperCase() : event.key;
}

async function onRecorderKey(event) {
  if (!recording) return;
  event.preventDefault();
  event.stopPropagation();
  if (MODIFIER_CODES.some((m) => event.key.startsWith(m))) return; // wait for the key
  showListening(false);
  if (event.code === "Escape" && !event.ctrlKey && !event.altKey && !event.metaKey) {
    await releaseRecorder();
    say(t("hotkey.cancelled"));
    return;
  }
  try {
    const check = await invoke("check_hotkey", { accelerator: comboOf(event) });
    candidate = check.accelerator;
    if (check.conflicts.length === 0) {
      await setHotkey(candidate);
      return;
    }
    $("hotkey-candidate").textContent = candidate;
    const list = $("hotkey-conflicts");
    list.replaceChildren(...check.conflicts.map((c) => {
      const li = document.createElement("li");
      li.textContent = c;
      return li;
    }));
    $("hotkey-problems").hidden = false;
    $("hotkey-use-anyway").focus();
  } catch (error) {
    sayError(error);
  } finally {
    await releaseRecorder();
  }
}

async function setHotkey(accelerator) {
  $("hotkey-problems").hidden = true;
  await patch({ hotkey: { accelerator } });
  if (settings.hotkey.accelerator === accelerator && !$("status").classList.contains("error")) {
    say(t("hotkey.saved", { combo: accelerator }));
  }
}

function wireHotkey() {
  // Starting twice is harmless; Escape is the way out (a toggle would let a stray Space press
  // on the focused button end the capture unseen).
  $("hotkey-record").addEventListener("click", () => recording || startRecording());
  // Capture phase on the window: the recorder sees keys before any control does.
  window.addEventListener("keydown", onRecorderKey, true);
  $("hotkey-use-anyway").addEventListener("click", () => candidate && setHotkey(candidate));
}

// ---------------------------------------------------------------- microphone

async function loadDevices() {
  const devices = await invoke("list_devices");
  const select = $("mic-device");
  const options = [new Option(t("mic.default"), "")];
  for (const d of devices) {
    const label = d.is_default ? t("mic.defaultMark", { name: d.name }) : d.name;
    options.push(new Option(label, d.name));
  }
  const chosen = settings.microphone.device;
  if (chosen && !devices.some((d) => d.name === chosen)) {
    options.push(new Option(t("mic.absent", { name: chosen }), chosen));
  }
  select.replaceChildren(...options);
  select.value = chosen ?? "";
}

async function startMeter() {
  try {
    const name = await invoke("start_level_meter", { device: settings.microphone.device });
    // The user may have moved on while the device opened: then it closes at once.
    if (currentSection !== "microphone" || document.hidden) {
      await stopMeter();
      return;
    }
    $("mic-status").textContent = t("mic.listening", { name });
    $("mic-status").classList.remove("error");
  } catch (error) {
    $("mic-status").textContent = String(error);
    $("mic-status").classList.add("error");
  }
}

function stopMeter() {
  $("mic-level").value = 0;
  return invoke("stop_level_meter");
}

function wireMicrophone() {
  $("mic-refresh").addEventListener("click", loadDevices);
  $("mic-device").addEventListener("change", async (e) => {
    await patch({ microphone: { device: e.target.value || null } });
    if (currentSection === "microphone") await startMeter();
  });
  listen(EVENTS.level, (e) => {
    // RMS of speech sits far below 1: a square-root scale makes the bar move visibly.
    $("mic-level").value = Math.min(1, Math.sqrt(e.payload.rms) * 1.5);
  });
}

// ---------------------------------------------------------------- models

let modelList = null;
const progressById = {};
/** Models whose install finished while the window was open: their bar shows 100 %. */
const finishedById = {};

function formatBytes(bytes) {
  if (bytes == null) return "?";
  const mb = bytes / 1_000_000;
  return mb >= 1000 ? `${(mb / 1000).toFixed(1)} GB` : `${Math.max(mb, 0.1).toFixed(mb < 10 ? 1 : 0)} MB`;
}

async function loadModels() {
  modelList = await invoke("list_models");
  // A download started in the tray shows here too, from its latest progress.
  for (const model of modelList.models) {
    if (model.progress && !progressById[model.id]) progressById[model.id] = model.progress;
  }
  const error = $("models-error");
  error.hidden = !modelList.catalog_error;
  error.textContent = modelList.catalog_error ?? "";
  $("model-list").replaceChildren(...modelList.models.map(modelCard));
}

function button(labelKey, className, onClick, params = {}) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = t(labelKey, params);
  b.addEventListener("click", onClick);
  return b;
}

function modelCard(model) {
  const li = document.createElement("li");
  li.className = "card";
  li.dataset.model = model.id;
  const active = modelList.active ?? modelList.loaded;

  const head = document.createElement("label");
  head.className = "card-head";
  const radio = document.createElement("input");
  radio.type = "radio";
  radio.name = "active-model";
  radio.value = model.id;
  radio.id = `use-${model.id}`;
  radio.disabled = !model.installed;
  radio.checked = model.installed && active === model.id;
  radio.setAttribute("aria-label", t("models.use", { name: model.name }));
  radio.addEventListener("change", () => patch({ model: { active: model.id } }).then(loadModels));
  const name = document.createElement("strong");
  name.textContent = model.name;
  const id = document.createElement("code");
  id.textContent = model.id;
  head.append(radio, " ", name, " ", id);

  const facts = document.createElement("p");
  facts.className = "hint";
  const size = model.download_size != null
    ? t("models.size", { download: formatBytes(model.download_size), disk: formatBytes(model.installed_size) })
    : t("models.sizeDisk", { disk: formatBytes(model.installed_size) });
  const state = model.installed
    ? (modelList.loaded === model.id ? t("models.loaded") : t("models.installed"))
    : t("models.notInstalled");
  facts.textContent = [state, size, t("models.license", { license: model.license || "?" })].join(" · ");
  const parts = [head, facts];
  if (model.license_note) {
    const note = document.createElement("p");
    note.className = "note";
    note.textContent = model.license_note;
    parts.push(note);
  }
  if (model.description) {
    const description = document.createElement("p");
    description.className = "hint";
    description.textContent = model.in_catalog ? model.description : t("models.unlisted");
    parts.push(description);
  }

  const progress = document.createElement("progress");
  progress.max = 100;
  progress.id = `progress-${model.id}`;
  progress.setAttribute("aria-label", t("models.progressLabel", { name: model.name }));
  const progressText = document.createElement("span");
  progressText.className = "progress-text";
  progressText.id = `progress-text-${model.id}`;
  progressText.setAttribute("role", "status");
  const showProgress = model.downloading || progressById[model.id];
  progress.hidden = !showProgress;
  if (progressById[model.id]) applyProgress(progress, progressText, progressById[model.id]);
  if (!showProgress && model.installed && finishedById[model.id]) {
    progress.hidden = false;
    progress.value = 100;
    progressText.textContent = finishedById[model.id];
  }

  const actions = document.createElement("div");
  actions.className = "row";
  if (model.downloading) {
    actions.append(button("models.cancel", "model-cancel", () => invoke("cancel_download", { id: model.id })));
  } else if (!model.installed && model.in_catalog) {
    actions.append(button("models.download", "model-download", () => download(model.id)));
  }
  if (model.installed) {
    actions.append(button("models.delete", "model-delete danger", () => removeModel(model.id)));
  }
  parts.push(progress, progressText, actions);
  li.append(...parts);
  return li;
}

async function download(id) {
  try {
    progressById[id] = { phase: "connecting", percent: null, done: 0 };
    await invoke("download_model", { id });
  } catch (error) {
    delete progressById[id];
    sayError(error);
  }
  await loadModels();
}

async function removeModel(id) {
  if (!window.confirm(t("models.confirmDelete", { id }))) return;
  try {
    await invoke("remove_model", { id });
    delete finishedById[id];
    say(t("models.deleted", { id }));
  } catch (error) {
    sayError(error);
  }
  await loadModels();
}

function phaseText(p) {
  if (p.phase === "downloading") {
    return p.percent == null
      ? t("models.phase.downloadingBytes", { done: formatBytes(p.done) })
      : t("models.phase.downloading", { percent: p.percent });
  }
  return t(`models.phase.${p.phase}`, { detail: p.detail ?? "" });
}

function applyProgress(bar, text, p) {
  bar.hidden = false;
  // Checking and unpacking come after the last byte: the bar stays where the download left it.
  if (p.phase === "downloading") {
    if (p.percent == null) bar.removeAttribute("value");
    else bar.value = p.percent;
  }
  text.textContent = phaseText(p);
}

function onProgress(p) {
  const known = p.id in progressById;
  progressById[p.id] = p;
  // A job this window did not start (the tray's): redraw its row with a cancel button.
  if (!known && currentSection === "models") loadModels();
  const bar = document.getElementById(`progress-${p.id}`);
  const text = document.getElementById(`progress-text-${p.id}`);
  if (bar && text) applyProgress(bar, text, p);
  if (p.id === $("model-file-path").dataset.job) {
    applyProgress($("model-file-progress"), $("model-file-status"), p);
  }
}

async function onFinished(f) {
  delete progressById[f.id];
  let message;
  if (f.installed) {
    message = t("models.done", { id: f.installed });
  } else if (f.cancelled) {
    message = t("models.cancelled", { id: f.id });
  } else {
    message = t("models.failed", { id: f.id, error: f.error });
  }
  say(message, Boolean(f.error));
  if (f.id === $("model-file-path").dataset.job) {
    $("model-file-progress").hidden = true;
    $("model-file-status").textContent = message;
    delete $("model-file-path").dataset.job;
  }
  // The finished bar stays at its end state so the user sees 100 %, through every redraw
  // (installing the first model also changes the settings, which redraws the list).
  if (f.installed) finishedById[f.installed] = message;
  await loadModels();
}

async function installFile() {
  const path = $("model-file-path").value.trim();
  if (!path) return;
  try {
    $("model-file-path").dataset.job = path;
    $("model-file-status").textContent = t("models.phase.verifying");
    await invoke("install_model_file", { path });
  } catch (error) {
    delete $("model-file-path").dataset.job;
    $("model-file-status").textContent = String(error);
  }
}

function wireModels() {
  listen(EVENTS.progress, (e) => onProgress(e.payload));
  listen(EVENTS.finished, (e) => onFinished(e.payload));
  $("model-file-install").addEventListener("click", installFile);
}

// ---------------------------------------------------------------- text: word lists

async function applyReplacements() {
  try {
    settings = await invoke("set_replacements", { text: $("replacements").value });
    applied("replacements");
    $("words-status").textContent = t("text.applied");
  } catch (error) {
    $("words-status").textContent = t("common.error", { error });
  }
  render();
}

async function applyHotwords() {
  applied("hotwords");
  await patch({ text: { hotwords: lines($("hotwords").value) } });
  $("words-status").textContent = t("text.applied");
}

/** Reads a chosen text file into `textarea`, then applies it. */
function importInto(input, textarea, apply) {
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    textarea.value = await file.text();
    input.value = "";
    await apply();
  });
}

async function exportWords(kind) {
  try {
    const path = await invoke("export_words", { kind });
    $("words-status").textContent = t("text.exported", { path });
  } catch (error) {
    $("words-status").textContent = t("common.error", { error });
  }
}

function wireWords() {
  trackEdits("replacements", "hotwords", "api-origins");
  $("replacements-apply").addEventListener("click", applyReplacements);
  $("hotwords-apply").addEventListener("click", applyHotwords);
  importInto($("replacements-import"), $("replacements"), applyReplacements);
  importInto($("hotwords-import"), $("hotwords"), applyHotwords);
  $("replacements-export").addEventListener("click", () => exportWords("replacements"));
  $("hotwords-export").addEventListener("click", () => exportWords("hotwords"));
}

// ---------------------------------------------------------------- API

function wireApi() {
  $("token-show").addEventListener("click", () => {
    const token = $("api-token");
    const show = token.type === "password";
    token.type = show ? "text" : "password";
    $("token-show").setAttribute("aria-pressed", String(show));
    $("token-show").textContent = t(show ? "api.hide" : "api.show");
  });
  $("token-regenerate").addEventListener("click", async () => {
    if (!window.confirm(t("api.confirmRegenerate"))) return;
    try {
      settings = await invoke("regenerate_token");
      render();
      say(t("api.regenerated"));
    } catch (error) {
      sayError(error);
    }
  });
}

// ---------------------------------------------------------------- history

async function loadHistory() {
  let entries;
  try {
    entries = await invoke("list_history", { limit: 50 });
  } catch (error) {
    sayError(error);
    return;
  }
  $("history-empty").hidden = entries.length > 0;
  $("history-list").replaceChildren(...entries.map(historyItem));
}

function historyItem(entry) {
  const li = document.createElement("li");
  li.dataset.id = entry.id;
  const time = new Date(entry.created_ms).toLocaleString(language === "vi" ? "vi-VN" : "en-GB");
  const when = document.createElement("time");
  when.dateTime = new Date(entry.created_ms).toISOString();
  when.textContent = time;
  const text = document.createElement("p");
  text.className = "transcript";
  text.textContent = entry.text;
  const parts = [when, text];
  if (entry.delivery === "failed") {
    const failed = document.createElement("p");
    failed.className = "error";
    failed.textContent = t("history.failed", { error: entry.error ?? "" });
    parts.push(failed);
  }
  const copy = button("history.copy", "history-copy", async () => {
    try {
      await invoke("copy_history_entry", { id: entry.id });
      say(t("history.copied"));
    } catch (error) {
      sayError(error);
    }
  });
  copy.setAttribute("aria-label", t("history.copyLabel", { time }));
  const remove = button("history.delete", "history-delete", async () => {
    try {
      await invoke("delete_history_entry", { id: entry.id });
    } catch (error) {
      sayError(error);
    }
    await loadHistory();
  });
  remove.setAttribute("aria-label", t("history.deleteLabel", { time }));
  const actions = document.createElement("div");
  actions.className = "row";
  actions.append(copy, remove);
  li.append(...parts, actions);
  return li;
}

function wireHistory() {
  $("history-clear").addEventListener("click", async () => {
    if (!window.confirm(t("history.confirmClear"))) return;
    try {
      const count = await invoke("clear_history");
      say(t("history.cleared", { count }));
    } catch (error) {
      sayError(error);
    }
    await loadHistory();
  });
  listen(EVENTS.history, loadHistory);
}

// ---------------------------------------------------------------- sections

/** Shows one section; the microphone is open only while its section is shown. */
async function show(section) {
  const leaving = currentSection;
  currentSection = section;
  for (const el of document.querySelectorAll("main > section")) {
    el.hidden = el.id !== `section-${section}`;
  }
  for (const nav of document.querySelectorAll("button.nav")) {
    if (nav.dataset.section === section) nav.setAttribute("aria-current", "page");
    else nav.removeAttribute("aria-current");
  }
  if (leaving === "microphone" && section !== "microphone") await stopMeter();
  if (section === "microphone") {
    await loadDevices();
    await startMeter();
  }
  if (section === "models") await loadModels();
  if (section === "history") await loadHistory();
  if (section === "api") await loadInfo();
}

function wireSections() {
  for (const nav of document.querySelectorAll("button.nav")) {
    nav.addEventListener("click", () => show(nav.dataset.section));
  }
  // Hidden or closed window: the microphone closes (Rust checks too).
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) stopMeter();
    else if (currentSection === "microphone") startMeter();
  });
  window.addEventListener("pagehide", () => stopMeter());
}

async function loadInfo() {
  const info = await invoke("ui_info");
  applyLanguage(info.language);
  $("settings-file").textContent = info.settings_file;
  showApiPort(info);
  showSession(info.session);
}

// Wayland: which backends carry the hotkey and the text, and what to do where one is missing.
function showSession(lines) {
  const list = $("session-info");
  list.replaceChildren(...lines.map((line) => {
    const item = document.createElement("li");
    item.textContent = line;
    return item;
  }));
  list.hidden = lines.length === 0;
}

function showApiPort(info) {
  $("api-port-actual").textContent = info.api_port ?? t("api.notListening");
}

// The API moves port or stops as soon as its settings change: show where it listens now.
async function refreshApiPort() {
  try {
    showApiPort(await invoke("ui_info"));
  } catch (error) {
    sayError(error);
  }
}

async function main() {
  settings = await invoke("get_settings");
  await loadInfo();
  wireSettings();
  wireHotkey();
  wireMicrophone();
  wireModels();
  wireWords();
  wireApi();
  wireHistory();
  wireSections();
  listen(EVENTS.settings, (e) => {
    settings = e.payload;
    render();
    refreshApiPort();
    if (currentSection === "models") loadModels();
  });
  render();
  await show(location.hash.slice(1) || "hotkey");
  document.body.dataset.ready = "true";
}

main().catch((error) => say(String(error), true));
