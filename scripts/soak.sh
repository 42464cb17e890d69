#!/usr/bin/env bash
# Soak test (issue 17; not in CI): one `noi serve` on loopback with the 30M replica, 8
# WebSocket streams in real time and a REST client in a loop for 60 minutes
# (scripts/soak_client.py). It passes when there was no error, RSS at the end is within 10 %
# of its value after the first 5 minutes, and thread and file-descriptor counts stay flat.
# Prints the figures; the per-10-s samples go to a CSV (path printed).
#
# Usage: nice -n 10 scripts/soak.sh [--minutes N] [--warmup N] [--model DIR]
#   --minutes N   how long the clients run (default 60)
#   --warmup N    minutes before the RSS baseline is taken (default 5)
#   --model DIR   model folder (default: the 30M replica in ../shared/models)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$REPO_ROOT"

minutes=60
warmup=5
model="$REPO_ROOT/../shared/models/replica-zipformer-vi-30M-int8-2026-02-09"
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) minutes=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --model) model=$2; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "soak.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

ensure_build_tools
ensure_onnxruntime
# The dev profile optimises the engine's and the server's hot crates (Cargo.toml); the soak
# looks for leaks and errors, not speed.
cargo build --quiet -p noi-cli
noi="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/debug/noi"
python="$REPO_ROOT/.venv/bin/python"
clips=()
for i in 01 02 03 04 05 06 07 08 09 11 12 13 14; do
    clips+=("$REPO_ROOT/testdata/audio/vi_$i.wav")
done
for f in "$model/tokens.txt" "${clips[@]}" "$python"; do
    [ -e "$f" ] || { echo "soak.sh: missing $f (scripts/setup.sh, scripts/reference/make_test_audio.sh)" >&2; exit 1; }
done

work=$(mktemp -d)
log="$work/serve.log"
: >"$log"
NOI_LOG=info "$noi" serve --host 127.0.0.1 --port 0 --model-dir "$model" 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
port=""
for _ in $(seq 1 600); do
    port=$(sed -n 's|^noi: listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$log" | head -n 1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat "$log" >&2; echo "soak.sh: noi serve did not start" >&2; exit 1; }
echo "soak: noi serve (pid $server) on 127.0.0.1:$port, $minutes min, samples in $work/samples.csv"
status=0
"$python" "$REPO_ROOT/scripts/soak_client.py" --pid "$server" --http "http://127.0.0.1:$port" \
    --ws "ws://127.0.0.1:$port" --clips "${clips[@]}" --minutes "$minutes" --warmup "$warmup" \
    --csv "$work/samples.csv" || status=$?
if grep -qiE 'panick|ERROR' "$log"; then
    echo "FAIL: the server logged errors:"; grep -iE 'panick|ERROR' "$log" | head -n 20
    status=1
fi
echo "server log: $log"
exit "$status"
