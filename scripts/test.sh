#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests need on first use: build tools, ONNX
# Runtime, the desktop app's libraries and its test tools (Xvfb, PulseAudio, xdotool…),
# espeak-ng/sox/ffmpeg for test audio, and the reference venv (sherpa-onnx,
# kaldi-native-fbank) that parity tests compare against. Extra arguments go to `cargo test`.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

ensure_build_tools
ensure_desktop_build_deps
ensure_desktop_test_tools
ensure_apt espeak-ng sox libsox-fmt-all ffmpeg time
ensure_onnxruntime
ensure_reference_venv
ensure_tauri_driver
cd "$REPO_ROOT"

say "generating test audio (testdata/audio, skipped when up to date)"
scripts/reference/make_test_audio.sh testdata/audio >/dev/null

say "checking formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

say "running the tests"
cargo test --workspace "$@"
