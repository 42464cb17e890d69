#!/usr/bin/env bash
# Builds Nói's Linux packages, a .deb and an .rpm, with Tauri's own bundler (`cargo tauri
# bundle`, tauri-cli pinned below), release profile, from a checkout (setup as in
# scripts/setup.sh: build dependencies from apt, ONNX Runtime from its PyPI wheel).
#
#   scripts/package.sh            → dist/noi_<version>_amd64.deb, dist/noi-<version>-1.x86_64.rpm
#
# Each package holds /usr/bin/noi-desktop, /usr/bin/noi, /usr/lib/noi/libonnxruntime.so.<v>
# (found by both binaries relative to themselves, crates/noi-engine/src/runtime.rs), the
# desktop entry and hicolor icons, AppStream metainfo, the systemd user unit noi-serve.service
# and a generated /usr/share/doc/noi/copyright. Dependencies are derived from the built
# binaries: dpkg-shlibdeps for the .deb, the ELF sonames (as rpm's own elfdeps writes them)
# for the .rpm. AppImage stays configured in the bundle settings but is not built: its
# bundler downloads linuxdeploy from GitHub, which this build machine cannot reach.
# The packages are tested by scripts/test-package.sh (a fresh Debian 12 root).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=setup.sh
source "$REPO_ROOT/scripts/setup.sh"
cd "$REPO_ROOT"

# Tauri's CLI, pinned: the version that matches the tauri 2.12 crates in Cargo.lock.
TAURI_CLI_VERSION="2.12.4"
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
export CARGO_TARGET_DIR="$TARGET_DIR"
DIST="${NOI_DIST_DIR:-$REPO_ROOT/dist}"
WORK="$TARGET_DIR/package"
TOOLS="$TARGET_DIR/tools"
ICON_SIZES=(32 48 64 128)

step() { printf '\033[1m[noi package]\033[0m %s\n' "$*" >&2; }

ensure_build_tools
ensure_desktop_build_deps
ensure_onnxruntime
# dpkg-shlibdeps (dpkg-dev), readelf (binutils), ImageMagick for the icon sizes.
ensure_apt dpkg-dev binutils
command -v convert >/dev/null || ensure_apt imagemagick

if ! "$TOOLS/bin/cargo-tauri" --version 2>/dev/null | grep -qx "tauri-cli $TAURI_CLI_VERSION"; then
    step "installing tauri-cli $TAURI_CLI_VERSION into $TOOLS (cargo install --locked, once)"
    nice -n 15 cargo install tauri-cli --version "=$TAURI_CLI_VERSION" --locked --root "$TOOLS"
fi

# The workspace's release profile keeps line tables (debug = 1) for profiling; the packages
# ship the same optimised code without debug info and stripped (a quarter of the size).
export CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=symbols
step "building noi-desktop and noi (release)"
# The features `cargo tauri build` would pass: custom-protocol serves ui/ from the binary.
(cd src-tauri && nice -n 15 cargo build --locked --release --bins --features tauri/custom-protocol)
nice -n 15 cargo build --locked --release -p noi-cli
BIN="$TARGET_DIR/release"

VERSION="$(cargo metadata --locked --no-deps --format-version 1 |
    python3 -c 'import json,sys; print({p["name"]: p["version"] for p in json.load(sys.stdin)["packages"]}["noi-desktop"])')"
for exe in noi noi-desktop; do
    "$BIN/$exe" --version | grep -q "^$exe $VERSION (" ||
        { step "error: $exe --version is not '$exe $VERSION (<commit>)'"; exit 1; }
done
step "version $VERSION ($("$BIN/noi" --version))"

rm -rf "$WORK"
mkdir -p "$WORK/icons" "$WORK/shlibdeps/debian" "$DIST"

# hicolor icons: the bundler files each PNG under its pixel size.
for size in "${ICON_SIZES[@]}"; do
    convert icons/icon.png -resize "${size}x${size}" PNG32:"$WORK/icons/${size}x${size}.png"
done

step "generating /usr/share/doc/noi/copyright"
python3 packaging/linux/make_copyright.py "$REPO_ROOT" "$REPO_ROOT/.ort/onnxruntime" "$WORK/copyright"

ELF_FILES=("$BIN/noi-desktop" "$BIN/noi" "$ORT_LIB")

# .deb dependencies: dpkg-shlibdeps maps every library the ELF files link to the Debian
# package (and minimum version) that provides it.
printf 'Source: noi\n\nPackage: noi\nArchitecture: any\n' >"$WORK/shlibdeps/debian/control"
DEB_DEPENDS="$(cd "$WORK/shlibdeps" && dpkg-shlibdeps -O "${ELF_FILES[@]}" 2>"$WORK/shlibdeps.log" |
    sed -n 's/^shlibs:Depends=//p')"
[ -n "$DEB_DEPENDS" ] || { cat "$WORK/shlibdeps.log" >&2; step "error: dpkg-shlibdeps found nothing"; exit 1; }
if grep -q -- '-dev\b' <<<"$DEB_DEPENDS"; then
    step "error: a -dev package among the dependencies: $DEB_DEPENDS"
    exit 1
fi

step "bundling .deb and .rpm (tauri-cli $TAURI_CLI_VERSION)"
python3 - "$WORK/bundle.json" "$VERSION" "$DEB_DEPENDS" "$REPO_ROOT" "$WORK" "$BIN" "$ORT_LIB" \
    "${ICON_SIZES[@]}" <<'EOF'
# The bundle settings, merged by `cargo tauri bundle --config` over tauri.conf.json.
import json, re, subprocess, sys

out, version, deb_depends, repo, work, bin_dir, ort_lib = sys.argv[1:8]
sizes = sys.argv[8:]

def rpm_requires(path):
    """The sonames an ELF file links, with their symbol versions, written as rpm's elfdeps
    writes them: libfoo.so.1()(64bit), libc.so.6(GLIBC_2.34)(64bit)."""
    dynamic = subprocess.check_output(["readelf", "-d", "-W", path], text=True)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic)
    reqs = {f"{lib}()(64bit)" for lib in needed}
    versions = subprocess.check_output(["readelf", "-V", "-W", path], text=True)
    current = None
    for line in versions.splitlines():
        m = re.search(r"File: (\S+)", line)
        if m:
            current = m.group(1)
            continue
        m = re.search(r"Name: (\S+)\s+Flags", line)
        if m and current and not m.group(1).startswith("GLIBC_PRIVATE"):
            reqs.add(f"{current}({m.group(1)})(64bit)")
    return reqs

requires = set()
for elf in (f"{bin_dir}/noi-desktop", f"{bin_dir}/noi", ort_lib):
    requires |= rpm_requires(elf)

# Libraries loaded with dlopen are not NEEDED, so neither dpkg-shlibdeps nor rpm see them:
# the tray's AppIndicator (libappindicator-sys loads libayatana-appindicator3.so.1 at run
# time). Their sonames are string constants in the binaries; each one that a Debian package
# on this machine provides is a dependency too (found: libayatana-appindicator3.so.1 and its
# compatibility name libappindicator3.so.1, libX11.so.6 and libXi.so.6 loaded by x11-dl;
# candidates that nothing here provides are alternatives and skipped). Tauri's bundler adds
# webkit2gtk, gtk and the appindicator itself as well; the duplicates are harmless.
dlopened = {}
for exe in ("noi-desktop", "noi"):
    data = open(f"{bin_dir}/{exe}", "rb").read()
    # Rust packs string constants without terminators: match the soname shape anywhere;
    # only names a Debian package really provides count.
    # Every "lib" starts a candidate (overlapping: the constant before may run into it).
    found = {m.group(1).decode()
             for m in re.finditer(rb"(?=(lib[A-Za-z0-9_+-]+(?:\.[0-9]+)*\.so\.[0-9]+))", data)}
    for soname in sorted(found):
        if soname.startswith("libonnxruntime") or f"{soname}()(64bit)" in requires:
            continue
        owner = subprocess.run(["dpkg", "-S", f"*/{soname}"], capture_output=True, text=True)
        pkgs = sorted({l.split(":")[0] for l in owner.stdout.splitlines()
                       if not l.split(":")[0].endswith("-dev")})
        if owner.returncode == 0 and pkgs:
            dlopened[soname] = pkgs[0]
deb = [d.strip() for d in deb_depends.split(",")]
for soname, pkg in sorted(dlopened.items()):
    requires.add(f"{soname}()(64bit)")
    if not any(d.split(" ")[0] == pkg for d in deb):
        deb.append(pkg)
print("dlopened libraries: " + (", ".join(f"{s} ({p})" for s, p in sorted(dlopened.items())) or "none"),
      file=sys.stderr)
# The one library the package carries itself (dlopened at run time, so not NEEDED anyway).
requires = sorted(r for r in requires if not r.startswith("libonnxruntime"))

files = {
    "/usr/bin/noi": f"{bin_dir}/noi",
    "/usr/lib/noi/" + ort_lib.rsplit("/", 1)[1]: ort_lib,
    "/usr/lib/systemd/user/noi-serve.service": f"{repo}/packaging/linux/noi-serve.service",
    "/usr/share/metainfo/vn.noi.desktop.metainfo.xml":
        f"{repo}/packaging/linux/vn.noi.desktop.metainfo.xml",
    "/usr/share/doc/noi/copyright": f"{work}/copyright",
}
template = f"{repo}/packaging/linux/noi.desktop.hbs"
config = {
    # The package name (noi_<version>_amd64.deb): the bundler kebab-cases productName, and
    # "Nói" is not a valid Debian package name; the desktop entry still says "Nói".
    "productName": "noi",
    "version": version,
    "build": {"frontendDist": f"{repo}/ui"},
    "bundle": {
        "active": True,
        # AppImage stays configured; scripts/package.sh asks for deb and rpm only (the
        # AppImage bundler downloads linuxdeploy from GitHub).
        "targets": ["deb", "rpm", "appimage"],
        "icon": [f"{work}/icons/{s}x{s}.png" for s in sizes],
        "category": "Utility",
        "shortDescription": "On-device Vietnamese dictation",
        "longDescription": "Hold a hotkey, speak Vietnamese, let go, and the text lands in "
                           "the focused application. Includes the noi command-line tool and "
                           "a local HTTP API (systemd user unit noi-serve).",
        "publisher": "The Nói authors",
        "license": "Apache-2.0",
        "linux": {
            "deb": {"depends": deb,
                    "section": "utils", "files": files, "desktopTemplate": template},
            "rpm": {"depends": requires, "release": "1", "files": files,
                    "desktopTemplate": template},
        },
    },
}
with open(out, "w") as f:
    json.dump(config, f, indent=2)
EOF

# Tauri's CLI takes the folder holding tauri.conf.json and the app's Cargo.toml as the app;
# ours keeps its configuration at the repository root (docs/architecture.md), so the bundler
# gets a copy in src-tauri/ for the length of this run.
cp tauri.conf.json src-tauri/tauri.conf.json
trap 'rm -f "$REPO_ROOT/src-tauri/tauri.conf.json"' EXIT
(cd src-tauri && CI=true "$TOOLS/bin/cargo-tauri" bundle --bundles deb,rpm --config "$WORK/bundle.json")

DEB="$BIN/bundle/deb/noi_${VERSION}_amd64.deb"
RPM="$BIN/bundle/rpm/noi-${VERSION}-1.x86_64.rpm"
cp "$DEB" "$RPM" "$DIST/"
step "done:"
ls -l "$DIST/$(basename "$DEB")" "$DIST/$(basename "$RPM")" >&2
