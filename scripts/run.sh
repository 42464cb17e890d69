#!/usr/bin/env bash
# Runs Nói. With no arguments (or desktop flags such as --toggle): the desktop app, or, where
# there is no display, the local API alone (`noi serve`), saying so. With a `noi` subcommand
# (transcribe, serve, models, bench): the `noi` command, e.g. `scripts/run.sh transcribe FILE`.
# Installs what it needs on first use (build tools, ONNX Runtime, the desktop libraries), then
# builds and runs.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

ensure_build_tools
ensure_onnxruntime
cd "$REPO_ROOT"

run_noi() {
    cargo build --release --quiet -p noi-cli
    exec "$REPO_ROOT/target/release/noi" "$@"
}

case "${1:-}" in
    transcribe|serve|models|bench|help|--help|-h|--version|-V) run_noi "$@" ;;
esac

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    say "no display (DISPLAY/WAYLAND_DISPLAY unset): running the local API only, \`noi serve\`"
    run_noi serve "$@"
fi

ensure_desktop_build_deps
cargo build --release --quiet -p noi-desktop
exec "$REPO_ROOT/target/release/noi-desktop" "$@"
