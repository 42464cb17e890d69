#!/usr/bin/env bash
# Makes the small audio fixtures that crates/noi-engine/tests/audio_decode.rs decodes: one per
# format, bit depth, rate and channel layout we claim to read, plus broken inputs that must give
# clear errors. The outputs are committed; rerun this only to change them.
#
# Needs: sox with libsox-fmt-all, ffmpeg, espeak-ng, python3
#   (apt-get install -y sox libsox-fmt-all ffmpeg espeak-ng).
# Tones are 440 Hz at half scale unless noted; durations are chosen so that frame counts are
# whole at every rate. Dither is off (-D) so PCM files hold the exact rounded sine.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/crates/noi-engine/tests/data/audio"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
rm -f "$out"/*

# sox: tone FILE RATE SECONDS [sox output options...]
tone() {
    local file="$1" rate="$2" secs="$3"
    shift 3
    sox -D -n -r "$rate" -c 1 "$@" "$file" synth "$secs" sine 440 vol 0.5
}

# ffmpeg, without the version strings and metadata that would make reruns differ.
encode() {
    local src="$1" dst="$2"
    shift 2
    ffmpeg -v error -y -i "$src" -map_metadata -1 -fflags +bitexact -flags:a +bitexact "$@" "$dst"
}

# --- PCM WAV at 16 kHz, every sample format -------------------------------------------------
tone "$out/s16_16k_mono.wav" 16000 1.0 -b 16 -e signed-integer
tone "$out/u8_16k_mono.wav" 16000 0.5 -b 8 -e unsigned-integer
tone "$out/s24_16k_mono.wav" 16000 0.5 -b 24 -e signed-integer
tone "$out/s32_16k_mono.wav" 16000 0.5 -b 32 -e signed-integer
tone "$out/f32_16k_mono.wav" 16000 0.5 -b 32 -e floating-point

# --- Other rates ------------------------------------------------------------------------------
tone "$out/s16_8k_mono.wav" 8000 0.5 -b 16 -e signed-integer
tone "$out/s16_44k1_mono.wav" 44100 0.4 -b 16 -e signed-integer
tone "$out/s16_48k_mono.wav" 48000 0.4 -b 16 -e signed-integer

# --- Channel layouts --------------------------------------------------------------------------
# Stereo: left 440 Hz, right 1000 Hz, so the mean is not either channel.
sox -D -n -r 16000 -c 2 -b 16 "$out/stereo_16k.wav" synth 0.5 sine 440 sine 1000 vol 0.5
# 5.1: six different tones.
sox -D -n -r 16000 -c 6 -b 16 "$out/six_ch_16k.wav" \
    synth 0.25 sine 200 sine 300 sine 440 sine 500 sine 700 sine 1000 vol 0.5

# --- Compressed formats -----------------------------------------------------------------------
tone "$tmp/t44.wav" 44100 1.0 -b 16 -e signed-integer
tone "$tmp/t48.wav" 48000 1.0 -b 16 -e signed-integer
tone "$tmp/t22.wav" 22050 0.5 -b 16 -e signed-integer
encode "$tmp/t44.wav" "$out/tone_44k1.flac" -t 0.5 -c:a flac
encode "$tmp/t44.wav" "$out/tone_44k1.mp3" -c:a libmp3lame -b:a 64k
# 100 ms pages (the default is one page per second or so), so that a cut file keeps most.
encode "$tmp/t48.wav" "$out/tone_48k.ogg" -c:a libvorbis -q:a 2 -page_duration 100000
encode "$tmp/t44.wav" "$out/tone_44k1.m4a" -c:a aac -b:a 64k
# Opus: a 16 kHz source (Opus still decodes at 48 kHz; the header's input rate is a record),
# in Ogg with 100 ms pages (so a cut file keeps most) and in WebM as browsers record it.
tone "$tmp/t16.wav" 16000 1.0 -b 16 -e signed-integer
encode "$tmp/t16.wav" "$out/tone_16k.opus" -c:a libopus -b:a 48k -page_duration 100000
encode "$tmp/t16.wav" "$out/tone_16k_opus.webm" -c:a libopus -b:a 48k
# Stereo Opus at 48 kHz: left 440 Hz, right 1000 Hz (the mean is neither), at a bitrate where
# libopus codes the channels apart (at low rates it may fold them into intensity stereo).
sox -D -n -r 48000 -c 2 -b 16 "$tmp/stereo48.wav" synth 0.5 sine 440 sine 1000 vol 0.5
encode "$tmp/stereo48.wav" "$out/stereo_48k.opus" -c:a libopus -b:a 128k -page_duration 100000
# Six channels at six levels whose mean is the usual half-scale tone.
sox -D -n -r 48000 -c 6 -b 16 "$tmp/six48.wav" \
    synth 0.2 sine 440 sine 440 sine 440 sine 440 sine 440 sine 440 vol 0.5 \
    remix 1v1.5 2v1.3 3v1.1 4v0.9 5v0.7 6v0.5
encode "$tmp/six48.wav" "$out/six_ch_48k.flac" -c:a flac
# Two OGG streams back to back (a "chained" file), the second at another rate.
encode "$tmp/t22.wav" "$tmp/t22.ogg" -c:a libvorbis -q:a 2
cat "$out/tone_48k.ogg" "$tmp/t22.ogg" >"$out/chained_48k_22k05.ogg"

# --- Speech -----------------------------------------------------------------------------------
espeak-ng -v vi -s 160 -w "$tmp/speech.wav" "xin chào"
# Padded or cut to exactly 1 s, whatever espeak-ng's speaking rate.
sox -V1 "$tmp/speech.wav" "$out/speech_vi_22k05.wav" pad 0 1 trim 0 1.0
# A sentence kept lossless (16 kHz FLAC), and the same as browsers' MediaRecorder records it:
# WebM/Opus at 48 kHz written live (unknown element sizes, no cues, no duration), 64 kb/s.
espeak-ng -v vi -s 175 -w "$tmp/sentence.wav" \
    "Hôm nay trời đẹp quá, chúng ta cùng nhau đi dạo trong công viên nhé."
sox -D -V1 "$tmp/sentence.wav" -r 16000 -b 16 "$tmp/sentence16.wav"
encode "$tmp/sentence16.wav" "$out/speech_vi_16k.flac" -c:a flac
encode "$tmp/sentence16.wav" "$out/speech_vi_opus.webm" -ar 48000 -c:a libopus -b:a 64k \
    -f webm -live 1

# --- Broken inputs ----------------------------------------------------------------------------
# Header says 1 s, data stops after 0.5 s and half a sample.
head -c 16045 "$out/s16_16k_mono.wav" >"$out/truncated.wav"
# Header only: says 1 s of data, has none.
head -c 44 "$out/s16_16k_mono.wav" >"$out/header_only.wav"
: >"$out/empty.wav"
printf 'This is a text file, not audio.\nIt only has a .wav name.\n' >"$out/text.wav"
python3 - "$out" <<'EOF'
import random, struct, sys
out = sys.argv[1]
random.seed(7)
open(f"{out}/random.bin", "wb").write(bytes(random.getrandbits(8) for _ in range(4096)))

def wav(channels, rate, frames=160):
    """A canonical 16-bit PCM header whose fields we can set to nonsense."""
    data = b"\x00\x00" * max(channels, 1) * frames
    block = 2 * channels
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, 16)
    chunks = b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    body = b"WAVE" + chunks
    return b"RIFF" + struct.pack("<I", len(body)) + body

open(f"{out}/zero_channels.wav", "wb").write(wav(0, 16000))
open(f"{out}/zero_rate.wav", "wb").write(wav(1, 0))
open(f"{out}/no_samples.wav", "wb").write(wav(1, 16000, frames=0))
EOF

du -ch "$out"/* | tail -1
