// The recording overlay: draws each view the app sends (state, time, level, live words).
// It never asks the app for anything and never takes focus.
"use strict";

const LABELS = {
  en: {
    listening: "Listening",
    transcribing: "Transcribing…",
    inserted: "Inserted",
    copied: "Copied — press Ctrl+V",
    error: "Error",
  },
  vi: {
    listening: "Đang nghe",
    transcribing: "Đang chuyển thành chữ…",
    inserted: "Đã chèn",
    copied: "Đã sao chép — nhấn Ctrl+V",
    error: "Lỗi",
  },
};

const $ = (id) => document.getElementById(id);

function clock(ms) {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function draw(view) {
  const labels = LABELS[view.lang] ?? LABELS.en;
  document.documentElement.lang = view.lang;
  document.body.dataset.phase = view.phase;
  let state = labels[view.phase] ?? view.phase;
  if (view.phase === "error" && view.reason) state = `${labels.error}: ${view.reason}`;
  $("state").textContent = state;
  $("time").textContent = clock(view.elapsed_ms);
  // RMS of speech sits around 0.02–0.2: a square root spreads it over the bar.
  // The app's meter has 24 steps of sqrt(level) (noi_desktop_core::overlay::LEVEL_STEPS).
  $("level").style.width = `${Math.min(100, Math.round(Math.sqrt(view.level) * 24) * (100 / 24) * 1.8)}%`;
  const words = view.committed || view.tentative;
  document.body.dataset.text = words ? "some" : "none";
  $("committed").textContent = view.committed;
  $("tentative").textContent = view.tentative;
}

window.__TAURI__.event.listen("overlay:view", (event) => draw(event.payload));
