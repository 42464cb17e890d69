#!/usr/bin/env bash
# Writes the fuzz targets' seed inputs into fuzz/corpus/<target>/ (the corpora grow from
# them; scripts/fuzz.sh minimises what is committed). Needs ffmpeg for the audio seeds.
# Usage: fuzz/make_seeds.sh
set -euo pipefail
cd "$(dirname "$0")"
corpus=corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

seed() { # seed TARGET NAME: stdin → corpus/TARGET/seed-NAME
    mkdir -p "$corpus/$1"
    cat > "$corpus/$1/seed-$2"
}

# audio_reader: 0.12 s of tone in every container, prefixed by the hint byte the target reads
# (1 wav, 2 flac, 3 mp3, 4 ogg, 5 m4a, 6 webm, 7 opus; 0 no hint).
i=1
for spec in "wav|-c:a pcm_s16le" "flac|-c:a flac -compression_level 0" "mp3|-c:a libmp3lame -b:a 32k" \
    "ogg|-c:a libvorbis" "m4a|-c:a aac -b:a 32k" "webm|-c:a libopus -b:a 16k" "opus|-c:a libopus -b:a 16k"; do
    ext=${spec%%|*}
    # shellcheck disable=SC2086 # the codec arguments are words
    ffmpeg -loglevel error -y -f lavfi -i "sine=frequency=440:sample_rate=16000:duration=0.12" \
        ${spec#*|} "$tmp/x.$ext"
    { printf "\\x$(printf %02x $i)"; cat "$tmp/x.$ext"; } | seed audio_reader "$ext"
    { printf '\x00'; cat "$tmp/x.$ext"; } | seed audio_reader "$ext-nohint"
    i=$((i + 1))
done
ffmpeg -loglevel error -y -f lavfi -i "sine=frequency=440:sample_rate=8000:duration=0.05" \
    -ac 3 -c:a pcm_s24le "$tmp/3ch.wav"
{ printf '\x01'; cat "$tmp/3ch.wav"; } | seed audio_reader wav-3ch-s24

# ws_message: text frames (even first byte) and PCM frames (odd; the rest of the byte is the
# split point).
printf '\x00{"type":"stop"}' | seed ws_message stop
printf '\x00{"type":"configure","sample_rate":16000}' | seed ws_message configure
printf '\x00{"type":"configure","sample_rate":"44100"}' | seed ws_message configure-string
printf '\x00{"type":"configure","sample_rate":16000.5,"x":[1,{"y":null}]}' | seed ws_message configure-float
printf '\x07\x01\x02\x03\x04\x05\x06\x07\x08\x09' | seed ws_message pcm

# multipart_form: what the openai client sends, and one with its own Content-Type line.
printf -- '--XyZ\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--XyZ\r\nContent-Disposition: form-data; name="response_format"\r\n\r\nverbose_json\r\n--XyZ\r\nContent-Disposition: form-data; name="timestamp_granularities[]"\r\n\r\nword\r\n--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF....WAVE\r\n--XyZ--\r\n' \
    | seed multipart_form openai
printf 'ct:multipart/form-data; boundary="a b"\n--a b\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n--a b--\r\n' \
    | seed multipart_form content-type

# catalog_toml: the shipped catalog.
seed catalog_toml shipped < ../models/catalog.toml

# archive: a tar with a runtime file, a file that is skipped, a folder and a symlink.
mkdir -p "$tmp/m/model/test_wavs"
printf 'a 0\nb 1\n' > "$tmp/m/model/tokens.txt"
printf 'x' > "$tmp/m/model/test_wavs/0.wav"
tar -C "$tmp/m" -cf - model | seed archive plain
ln -s ../../etc/passwd "$tmp/m/model/encoder.onnx"
tar -C "$tmp/m" -cf - model | seed archive symlink

# hotwords_file and replacements_file: the formats' examples.
printf 'Hà Nội :2.0\nnói\n\n  trí tuệ nhân tạo  :1.5\n' | seed hotwords_file example
printf 'x :nan\n' | seed hotwords_file bad-score
printf '\xef\xbb\xbf# custom words\r\ngit hấp | ghít hấp => GitHub\nc sáp => C#\nxoá =>\n' | seed replacements_file example

# text_pipeline: the first byte picks options (bit 0 spoken punctuation, bit 1 ITN off,
# bits 2.. casing).
printf '\x01hôm nay ngày hai mươi lăm tháng mười hai năm hai nghìn không trăm hai mươi lăm chấm' | seed text_pipeline date
printf '\x00giá ba triệu năm trăm nghìn đồng phẩy giảm ba mươi phần trăm' | seed text_pipeline money
printf '\x05xin chào\nxuống dòng mở ngoặc ba phẩy năm đóng ngoặc' | seed text_pipeline after
printf '\x00Ho\xcc\xa3c sinh\xcc\x81' | seed text_pipeline decomposed
echo "seeds written to fuzz/$corpus/"
