#!/usr/bin/env bash
# Draws the app and tray icons into icons/ with ImageMagick (apt-get install imagemagick).
# The PNGs are committed; run this only to change them. RGBA PNG is what Tauri requires.
set -euo pipefail
cd "$(dirname "$0")/../icons"
# A microphone capsule on a coloured disc: green idle, red recording, amber busy, grey error
# with a cross.
draw() { # name colour [extra ImageMagick arguments...]
  local name=$1 colour=$2
  shift 2
  convert -size 64x64 xc:none \
    -fill "$colour" -draw 'circle 32,32 32,2' \
    -fill white -draw 'roundrectangle 24,12 40,38 8,8' \
    -stroke white -strokewidth 3 -fill none -draw 'arc 18,22 46,46 0,180' \
    -draw 'line 32,46 32,52' -draw 'line 24,53 40,53' \
    "$@" PNG32:"$name"
}
draw tray-idle.png '#2e7d32'
draw tray-recording.png '#d32f2f'
draw tray-busy.png '#f9a825'
draw tray-error.png '#616161' -stroke '#ffcdd2' -strokewidth 5 -draw 'line 14,14 50,50'
draw icon.png '#2e7d32'
