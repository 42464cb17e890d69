#!/usr/bin/env bash
# Runs Nói's main job: the `noi` command (e.g. `scripts/run.sh transcribe FILE --model-dir DIR`).
# Installs what it needs on first use (build tools, ONNX Runtime), then builds and runs.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

ensure_build_tools
ensure_onnxruntime
cd "$REPO_ROOT"
cargo build --release --quiet -p noi-cli
exec "$REPO_ROOT/target/release/noi" "$@"
