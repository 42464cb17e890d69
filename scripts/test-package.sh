#!/usr/bin/env bash
# Proves the packages from scripts/package.sh on a freshly bootstrapped Debian 12 system:
#
#  1. debootstrap --variant=minbase bookworm into a new folder (Debian's mirror);
#  2. `apt install ./noi_<version>_amd64.deb` inside it: dependencies come from Debian, nothing
#     else is copied in except the test inputs (a replica model folder, a Vietnamese clip, the
#     GTK entry script) under /opt/noi-test;
#  3. inside it (chroot with /proc, /dev, /tmp mounted), as an unprivileged user:
#     `noi --version`; `noi models install` of the replica; `noi transcribe` of vi_01.wav gives
#     the source build's text; `noi serve` answers /health and /v1/transcribe;
#  4. test tools from Debian (Xvfb, openbox, PulseAudio, xdotool, python3-gi: test inputs, not
#     package dependencies), then `noi-desktop` under Xvfb with a private PulseAudio whose null
#     sink is the microphone: a dictation through the API (token from ~/.config/noi/api.json)
#     pastes text into a GTK entry;
#  5. `apt purge noi` removes every file of the package's file list and leaves the user's
#     models and history;
#  6. the .rpm (`rpm -qlp`, `rpm -qRp`, Debian's rpm on the host): the same files, and every
#     library it requires maps to a package the .deb depends on and back.
#
# Needs root (debootstrap, chroot, mounts), Debian's mirror and about 5 minutes (most of it
# apt downloading WebKitGTK and friends). Not part of .ci/run (network, root); figures go to
# BENCHMARKS.md ("Packages").
#   scripts/test-package.sh [DEB [RPM]]     (default: dist/noi_<version>_amd64.deb, dist/*.rpm)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
START=$(date +%s)
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
MODELS="${NOI_SHARED_MODELS:-$REPO_ROOT/../shared/models}"
MODEL_ID="replica-zipformer-vi-int8-2025-04-20"
CLIP="$REPO_ROOT/testdata/audio/vi_01.wav"
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
DEB="${1:-$(ls -t dist/noi_*_amd64.deb | head -1)}"
RPM="${2:-$(ls -t dist/noi-*.x86_64.rpm | head -1)}"
DEB="$(realpath "$DEB")" RPM="$(realpath "$RPM")"

say() { printf '\033[1m[test-package %4ss]\033[0m %s\n' "$(($(date +%s) - START))" "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
pass() { say "ok: $*"; PASSED=$((PASSED + 1)); }
PASSED=0

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot)"
[ -d "$MODELS/$MODEL_ID" ] || fail "replica model missing: $MODELS/$MODEL_ID"
[ -f "$CLIP" ] || fail "test clip missing: $CLIP (scripts/reference/make_test_audio.sh)"
for tool in debootstrap rpm dpkg-deb; do
    command -v "$tool" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
done

WORK="$(mktemp -d /var/tmp/noi-test-package.XXXXXX)"
ROOT="$WORK/root"
cleanup() {
    # Processes started inside the root (by pid: those whose root directory is ours).
    for proc in /proc/[0-9]*; do
        [ "$(readlink "$proc/root" 2>/dev/null)" = "$ROOT" ] && kill -9 "${proc#/proc/}" 2>/dev/null || true
    done
    sleep 1
    for m in tmp dev/shm dev/pts dev proc; do
        mountpoint -q "$ROOT/$m" && umount -l "$ROOT/$m"
    done
    [ -n "${KEEP_ROOT:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# The expected transcript, from the source build outside the root.
SOURCE_NOI="$TARGET_DIR/release/noi"
[ -x "$SOURCE_NOI" ] || fail "no source build at $SOURCE_NOI (scripts/package.sh builds it)"
EXPECTED="$(ORT_DYLIB_PATH="$REPO_ROOT/.ort/onnxruntime/capi/libonnxruntime.so.1.32.0" \
    "$SOURCE_NOI" transcribe --model-dir "$MODELS/$MODEL_ID" "$CLIP")"
[ -n "$EXPECTED" ] || fail "the source build transcribed nothing"
say "expected text (source build): $EXPECTED"

say "debootstrap --variant=minbase bookworm ($MIRROR)"
t0=$(date +%s)
debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/debootstrap.log"; fail "debootstrap"; }
T_BOOTSTRAP=$(($(date +%s) - t0))
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
mount --bind /dev/shm "$ROOT/dev/shm"
mount -t tmpfs -o mode=1777 tmpfs "$ROOT/tmp"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# The archive areas a Debian 12 installation uses: the release, its updates and security.
cat >"$ROOT/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES

in_root() {
    chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive "$@"
}
as_user() {
    chroot --userspec="$TESTER" "$ROOT" /usr/bin/env -i PATH=/usr/bin:/bin \
        HOME=/home/tester USER=tester LANG=C.UTF-8 XDG_RUNTIME_DIR=/tmp/run-tester "$@"
}

# Test inputs only: the package, the model folder, the clip, the GTK entry.
mkdir -p "$ROOT/opt/noi-test"
cp "$DEB" "$ROOT/opt/noi-test/"
cp -r "$MODELS/$MODEL_ID" "$ROOT/opt/noi-test/$MODEL_ID"
cp "$CLIP" "$ROOT/opt/noi-test/vi_01.wav"
cp src-tauri/tests/support/text_target.py "$ROOT/opt/noi-test/"
chmod -R a+rX "$ROOT/opt/noi-test"
in_root useradd -m -s /bin/bash tester
TESTER="$(in_root id -u tester):$(in_root id -g tester)"
in_root install -d -o tester -g tester -m 700 /tmp/run-tester

say "apt install ./$(basename "$DEB")"
in_root apt-get update -qq
t0=$(date +%s)
in_root apt-get install -y -qq "/opt/noi-test/$(basename "$DEB")" >"$WORK/install.log" 2>&1 ||
    { tail -30 "$WORK/install.log"; fail "apt install of the .deb"; }
T_INSTALL=$(($(date +%s) - t0))
PKG_COUNT=$(grep -c '^Setting up ' "$WORK/install.log" || true)
pass "installed with apt in ${T_INSTALL}s ($PKG_COUNT packages set up, dependencies from Debian)"

in_root dpkg -L noi | sort >"$WORK/deb-files"
for f in /usr/bin/noi /usr/bin/noi-desktop /usr/lib/noi/libonnxruntime.so.1.32.0 \
    /usr/lib/systemd/user/noi-serve.service /usr/share/applications/noi.desktop \
    /usr/share/metainfo/vn.noi.desktop.metainfo.xml /usr/share/doc/noi/copyright \
    /usr/share/icons/hicolor/128x128/apps/noi-desktop.png; do
    grep -qx "$f" "$WORK/deb-files" || fail "$f not in the package"
    [ -e "$ROOT$f" ] || fail "$f not installed"
done
pass "the package holds the binaries, ONNX Runtime, unit, desktop entry, icons, metainfo, copyright"
for exe in noi noi-desktop; do
    missing="$(in_root ldd "/usr/bin/$exe" | grep 'not found' || true)"
    [ -z "$missing" ] || fail "$exe: libraries not found after install: $missing"
done
# Enabling a user unit for everyone would link it in /etc/systemd/user/*.wants.
ls "$ROOT"/etc/systemd/user/*.wants/noi-serve.service >/dev/null 2>&1 &&
    fail "noi-serve.service is enabled by the package (it must only be installed)"
grep -qx 'ExecStart=/usr/bin/noi serve' "$ROOT/usr/lib/systemd/user/noi-serve.service" ||
    fail "noi-serve.service does not run noi serve"
pass "every linked library is present; noi-serve.service installed, not enabled"
grep -q "ONNX Runtime\|onnxruntime\|Microsoft" "$ROOT/usr/share/doc/noi/copyright" &&
    grep -q "Silero" "$ROOT/usr/share/doc/noi/copyright" &&
    grep -q "crate tauri " "$ROOT/usr/share/doc/noi/copyright" ||
    fail "the copyright file lacks ONNX Runtime, Silero VAD or the crates"

# --- CLI ---
VERSION_OUT="$(as_user noi --version)"
[ "$VERSION_OUT" = "$("$SOURCE_NOI" --version)" ] ||
    fail "noi --version in the root: '$VERSION_OUT', source build: '$("$SOURCE_NOI" --version)'"
grep -qE '^noi [0-9]+\.[0-9]+\.[0-9]+ \([0-9a-f]{7,}(-dirty)?\)$' <<<"$VERSION_OUT" ||
    fail "noi --version has no version and commit: $VERSION_OUT"
DESKTOP_VERSION="$(as_user noi-desktop --version)"
[ "${DESKTOP_VERSION#noi-desktop }" = "${VERSION_OUT#noi }" ] ||
    fail "noi-desktop --version '$DESKTOP_VERSION' differs from '$VERSION_OUT'"
pass "noi --version: $VERSION_OUT; noi-desktop --version: $DESKTOP_VERSION (no ORT_DYLIB_PATH)"

as_user noi models install "/opt/noi-test/$MODEL_ID" >"$WORK/models-install.log" 2>&1 ||
    { cat "$WORK/models-install.log"; fail "noi models install"; }
[ -f "$ROOT/home/tester/.local/share/noi/models/$MODEL_ID/tokens.txt" ] ||
    fail "the model is not in ~/.local/share/noi/models"
pass "noi models install: ~/.local/share/noi/models/$MODEL_ID"

t0=$(date +%s%N)
GOT="$(as_user noi transcribe /opt/noi-test/vi_01.wav)"
T_TRANSCRIBE_MS=$((($(date +%s%N) - t0) / 1000000))
[ "$GOT" = "$EXPECTED" ] || fail "noi transcribe in the root: '$GOT', source build: '$EXPECTED'"
pass "noi transcribe (first run ${T_TRANSCRIBE_MS} ms) = the source build's text"

# --- noi serve ---
as_user noi serve --port 18976 >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
t0=$(date +%s%N)
code=""
# Nothing but the package is installed yet: HTTP through bash's /dev/tcp.
for _ in $(seq 600); do
    if as_user bash -c 'exec 3<>/dev/tcp/127.0.0.1/18976 && printf "GET /health HTTP/1.0\r\n\r\n" >&3 && head -1 <&3' 2>/dev/null | grep -q " 200 "; then
        code=200
        break
    fi
    sleep 0.1
done
T_SERVE_MS=$((($(date +%s%N) - t0) / 1000000))
[ "$code" = 200 ] || { cat "$WORK/serve.log"; fail "noi serve did not answer /health"; }
pass "noi serve answers /health (${T_SERVE_MS} ms after start)"
# /v1/transcribe, an HTTP/1.0 POST of the clip through /dev/tcp.
as_user bash -c '
    size=$(stat -c %s /opt/noi-test/vi_01.wav)
    exec 3<>/dev/tcp/127.0.0.1/18976
    printf "POST /v1/transcribe HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\nContent-Length: %s\r\n\r\n" "$size" >&3
    cat /opt/noi-test/vi_01.wav >&3
    cat <&3' >"$WORK/transcribe.http"
head -1 "$WORK/transcribe.http" | grep -q " 200 " || { cat "$WORK/transcribe.http"; fail "/v1/transcribe status"; }
API_TEXT="$(sed '1,/^\r$/d' "$WORK/transcribe.http" | python3 -c 'import json,sys; print(json.load(sys.stdin)["text"])')"
[ "$API_TEXT" = "$EXPECTED" ] || fail "/v1/transcribe: '$API_TEXT', expected '$EXPECTED'"
pass "noi serve /v1/transcribe = the source build's text"
kill "$SERVE_PID" 2>/dev/null || true
wait "$SERVE_PID" 2>/dev/null || true

# --- the desktop app ---
say "installing the desktop test tools from Debian (test inputs, not package dependencies)"
in_root apt-get install -y -qq --no-install-recommends xvfb openbox xdotool pulseaudio \
    pulseaudio-utils libasound2-plugins python3-gi gir1.2-gtk-3.0 dbus-daemon trayer \
    fonts-dejavu-core adwaita-icon-theme curl >"$WORK/tools.log" 2>&1 || { tail -20 "$WORK/tools.log"; fail "test tools"; }
cat >"$ROOT/opt/noi-test/desktop.sh" <<'EOF'
#!/bin/bash
# Runs as the test user inside the root: a private X server, window manager, session bus and
# PulseAudio (null sink "mic" at 16 kHz mono, its monitor the default source), noi-desktop
# with the installed model, a GTK entry, and one dictation driven through the API.
set -euo pipefail
R=$XDG_RUNTIME_DIR
step() { echo "desktop: $*" >&2; }
Xvfb :42 -screen 0 1280x800x24 -nolisten tcp >/tmp/xvfb.log 2>&1 &
export DISPLAY=:42
for _ in $(seq 100); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.1; done
xdotool getdisplaygeometry >/dev/null
openbox >/tmp/openbox.log 2>&1 &
trayer --edge top --align right --width 10 --height 32 --SetDockType true >/tmp/trayer.log 2>&1 &
export DBUS_SESSION_BUS_ADDRESS="unix:path=$R/bus"
dbus-daemon --session --nofork --nopidfile --address="$DBUS_SESSION_BUS_ADDRESS" >/dev/null 2>&1 &
export PULSE_SERVER="unix:$R/pulse.sock"
pulseaudio --daemonize=no --exit-idle-time=-1 -n --disallow-exit --log-target=stderr \
    --load="module-native-protocol-unix auth-anonymous=1 socket=$R/pulse.sock" \
    --load="module-null-sink sink_name=mic rate=16000 channels=1 norewinds=1" >/tmp/pulse.log 2>&1 &
for _ in $(seq 100); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
pactl set-default-source mic.monitor
step "X, openbox, D-Bus and PulseAudio up"

t0=$(date +%s%N)
NOI_LOG=info noi-desktop >/tmp/noi-desktop.log 2>&1 &
API=$HOME/.config/noi/api.json
for _ in $(seq 600); do [ -s "$API" ] && break; sleep 0.1; done
[ -s "$API" ] || { cat /tmp/noi-desktop.log; echo "no api.json" >&2; exit 1; }
PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$API")
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$API")
api() { curl -s -H "Authorization: Bearer $TOKEN" -X "$1" "http://127.0.0.1:$PORT$2"; }
for _ in $(seq 600); do
    [ "$(api GET /health | python3 -c 'import json,sys; print(json.load(sys.stdin).get("status"))' 2>/dev/null)" = ok ] && break
    sleep 0.1
done
echo "FIRST_START_MS=$((($(date +%s%N) - t0) / 1000000))"
api GET /health | grep -q '"ok"' || { cat /tmp/noi-desktop.log; echo "the model did not load" >&2; exit 1; }
step "noi-desktop up, model loaded, API on port $PORT"

python3 /opt/noi-test/text_target.py noi-package-target /tmp/target.txt >/tmp/target.log 2>&1 &
for _ in $(seq 150); do
    WID=$(xdotool search --onlyvisible --name noi-package-target 2>/dev/null | head -1 || true)
    [ -n "$WID" ] && [ -f /tmp/target.txt ] && break
    sleep 0.1
done
xdotool windowactivate --sync "$WID" && xdotool windowfocus --sync "$WID"
state() { api GET /v1/dictation/status | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
wait_state() {
    for _ in $(seq 300); do [ "$(state)" = "$1" ] && return 0; sleep 0.1; done
    echo "state stayed $(state), wanted $1" >&2; cat /tmp/noi-desktop.log >&2; exit 1
}
api POST /v1/dictation/start >/dev/null
wait_state recording
paplay --device=mic /opt/noi-test/vi_01.wav
t1=$(date +%s%N)
api POST /v1/dictation/stop >/dev/null
for _ in $(seq 300); do [ -s /tmp/target.txt ] && break; sleep 0.1; done
echo "STOP_TO_TEXT_MS=$((($(date +%s%N) - t1) / 1000000))"
wait_state idle
sleep 1
echo "ENTRY=$(cat /tmp/target.txt)"
EOF
chmod a+rx "$ROOT/opt/noi-test/desktop.sh"
say "noi-desktop under Xvfb with a private PulseAudio, dictation through the API"
as_user /opt/noi-test/desktop.sh >"$WORK/desktop.out" 2>"$WORK/desktop.err" ||
    { cat "$WORK/desktop.err" "$WORK/desktop.out"; fail "the desktop test"; }
ENTRY="$(sed -n 's/^ENTRY=//p' "$WORK/desktop.out")"
T_FIRST_START_MS="$(sed -n 's/^FIRST_START_MS=//p' "$WORK/desktop.out")"
T_STOP_TO_TEXT_MS="$(sed -n 's/^STOP_TO_TEXT_MS=//p' "$WORK/desktop.out")"
[ -n "$ENTRY" ] || { cat "$WORK/desktop.err"; fail "nothing reached the GTK entry"; }
HISTORY="$(as_user python3 -c 'import os,sqlite3
db = sqlite3.connect(os.path.expanduser("~/.local/share/noi/history.sqlite3"))
print(db.execute("select text from transcripts order by id desc limit 1").fetchone()[0])' 2>&1)" ||
    fail "reading the history: $HISTORY"
[ "$ENTRY" = "$HISTORY" ] || fail "the entry holds '$ENTRY', the history '$HISTORY'"
pass "dictation through the API pasted into the GTK entry: '$ENTRY' (start to model loaded ${T_FIRST_START_MS} ms, stop to text ${T_STOP_TO_TEXT_MS} ms)"
# Stop everything the user runs before removing the package.
for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$ROOT" ] && kill "${proc#/proc/}" 2>/dev/null || true
done
sleep 2

# --- purge ---
in_root apt-get purge -y -qq noi >"$WORK/purge.log" 2>&1 || { cat "$WORK/purge.log"; fail "apt purge"; }
left=()
while read -r f; do
    [ -e "$ROOT$f" ] || continue
    # Shared folders stay (other packages own them or hold files in them); ours must go.
    if [ -d "$ROOT$f" ] && [[ "$f" != /usr/lib/noi* && "$f" != /usr/share/doc/noi* ]] &&
        { [ -n "$(ls -A "$ROOT$f")" ] || in_root dpkg -S "$f" >/dev/null 2>&1; }; then
        continue
    fi
    left+=("$f")
done <"$WORK/deb-files"
[ ${#left[@]} -eq 0 ] || fail "left after apt purge: ${left[*]}"
in_root dpkg -s noi >/dev/null 2>&1 && fail "noi still known to dpkg after purge"
[ -f "$ROOT/home/tester/.local/share/noi/models/$MODEL_ID/tokens.txt" ] || fail "purge removed the user's model"
[ -f "$ROOT/home/tester/.local/share/noi/history.sqlite3" ] || fail "purge removed the user's history"
pass "apt purge removed all $(wc -l <"$WORK/deb-files") listed paths it owned; the user's model and history stay"

# --- the .rpm ---
rpm -qlp "$RPM" 2>/dev/null | sort >"$WORK/rpm-contents"
# The .deb lists folders too; compare regular files (and the rpm lists only files).
dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./||; s|^|/|' | sort >"$WORK/deb-regular"
diff "$WORK/deb-regular" <(grep -v '^/usr/share/doc/noi/changelog' "$WORK/rpm-contents" | sort) >"$WORK/files.diff" ||
    { cat "$WORK/files.diff"; fail "the .rpm's files differ from the .deb's"; }
pass "the .rpm holds the same $(wc -l <"$WORK/deb-regular") files as the .deb"
rpm -qRp "$RPM" 2>/dev/null | sort >"$WORK/rpm-requires"
grep -q -- '-dev' "$WORK/rpm-requires" && fail "a -dev requirement in the .rpm"
DEPENDS="$(dpkg-deb -f "$DEB" Depends)"
grep -qE -- '-dev( |,|$)' <<<"$DEPENDS" && fail "a -dev package in the .deb's Depends: $DEPENDS"
# Each soname the .rpm requires is provided, on Debian, by a package the .deb depends on.
deb_pkgs="$(tr ',' '\n' <<<"$DEPENDS" | sed 's/(.*//; s/|.*//; s/ //g' | sort -u)"
used=()
while read -r soname; do
    lib="$(in_root dpkg -S "*/$soname" 2>/dev/null | grep -v -- '-dev' | head -1 | cut -d: -f1)"
    [ -n "$lib" ] || fail "no package in the root provides $soname"
    grep -qx "$lib" <<<"$deb_pkgs" || fail "the .rpm requires $soname ($lib on Debian), the .deb does not depend on $lib"
    used+=("$lib")
done < <(sed -n 's/^\(.*\.so[.0-9]*\)()(64bit)$/\1/p' "$WORK/rpm-requires")
for pkg in $deb_pkgs; do
    printf '%s\n' "${used[@]}" | grep -qx "$pkg" || fail "the .deb depends on $pkg, no library the .rpm requires maps to it"
done
pass "the .rpm's $(grep -c '()(64bit)$' "$WORK/rpm-requires") soname requirements map onto the .deb's $(wc -w <<<"$deb_pkgs") dependencies and back"

TOTAL=$(($(date +%s) - START))
cat <<EOF

== test-package.sh: all $PASSED checks passed in ${TOTAL}s ==
deb: $(basename "$DEB") $(stat -c %s "$DEB") bytes; rpm: $(basename "$RPM") $(stat -c %s "$RPM") bytes
debootstrap ${T_BOOTSTRAP}s; apt install of the .deb ${T_INSTALL}s ($PKG_COUNT packages)
first noi transcribe ${T_TRANSCRIBE_MS} ms; noi serve to /health ${T_SERVE_MS} ms
noi-desktop start to model loaded ${T_FIRST_START_MS} ms; dictation stop to text ${T_STOP_TO_TEXT_MS} ms
Depends: $DEPENDS
EOF
