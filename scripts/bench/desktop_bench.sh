#!/usr/bin/env bash
# The desktop benchmarks: release → text latency over 20 dictations, idle RSS and CPU with the
# M replica, no capture stream while idle (BENCHMARKS.md "Desktop app"); the recording
# overlay's CPU and latency cost, live vs off (BENCHMARKS.md "Recording overlay"). A name
# (desktop_benchmark, overlay_benchmark, wayland_benchmark) runs one of them; wayland_benchmark
# compares key release → text under headless sway with X11 in the same run (BENCHMARKS.md
# "Wayland"). Needs ../shared/models; installs the build and desktop test tools on first use.
# Run it on an otherwise idle machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../setup.sh"
# What the build and the desktop tests need, as scripts/test.sh installs it.
ensure_build_tools
ensure_desktop_build_deps
ensure_desktop_test_tools
ensure_onnxruntime
cd "$REPO_ROOT"
# PROFILE=release measures an optimised build (a separate ~20 min build); the default is the
# test profile, whose engine and number-crunching crates are fully optimised anyway.
cargo test ${PROFILE:+--profile "$PROFILE"} -p noi-desktop --test desktop_bench -- --ignored --nocapture "$@"
