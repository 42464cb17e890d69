#!/usr/bin/env bash
# Generate the synthetic Vietnamese test audio used by the reference tooling and the engine tests.
#
#   scripts/reference/make_test_audio.sh [OUT_DIR]      (default: testdata/audio, git-ignored)
#
# Needs espeak-ng, sox (apt-get install -y espeak-ng sox) and the repo venv (.venv, numpy +
# soundfile) for manifest.json. Deterministic and idempotent: espeak-ng is deterministic, sox runs
# with -D (no dither) and -R (repeatable), every output is rebuilt from scratch on each run.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${1:-$ROOT/testdata/audio}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$OUT/.work"
rm -rf "$WORK"
mkdir -p "$WORK"
SOX=(sox -D -R -V1)
silence() { "${SOX[@]}" -r 16000 -c 1 -b 16 -n "$1" trim 0 "$2"; }  # $1 out, $2 length (1.5 / 800s)

# Real Vietnamese sentences with tone marks (espeak-ng -v vi pronounces them).
SENT=(
  "Hôm nay trời đẹp quá, chúng ta cùng nhau đi dạo trong công viên nhé."
  "Tôi đang học cách lập trình một ứng dụng nhận dạng giọng nói tiếng Việt."
  "Mẹ tôi thường nấu phở bò vào mỗi buổi sáng chủ nhật."
  "Thành phố Hồ Chí Minh là trung tâm kinh tế lớn nhất của cả nước."
  "Xin vui lòng gửi cho tôi bản báo cáo trước năm giờ chiều thứ sáu."
  "Những cánh đồng lúa chín vàng trải dài tít tắp đến tận chân trời."
  "Anh ấy đã đặt vé máy bay đi Đà Nẵng vào tuần sau, rồi sẽ ghé thăm Hội An và cố đô Huế."
  "Cuộc họp sáng nay bàn về kế hoạch phát triển sản phẩm mới trong quý tới."
  "Bà ngoại kể cho các cháu nghe chuyện cổ tích về cây khế và con chim thần."
  "Hà Nội vào mùa thu có gió heo may và hương hoa sữa thoang thoảng khắp phố phường."
  "Chúng tôi cần mua thêm rau, thịt, cá và một ít trái cây cho bữa tối."
  "Giáo sư đã giải thích rất rõ ràng những khái niệm khó hiểu trong bài giảng."
  "Đường phố đông đúc xe máy vào giờ cao điểm buổi chiều, ai cũng vội vã trở về nhà sau một ngày làm việc mệt mỏi."
  "Ngày mai tôi sẽ gọi điện thoại cho bác sĩ để hỏi về kết quả xét nghiệm."
  "Con mèo nhỏ nằm ngủ say sưa bên cửa sổ đầy nắng, thỉnh thoảng lại vẫy đuôi như đang mơ một giấc mơ đẹp."
  "Việt Nam có hơn một trăm triệu dân và năm mươi tư dân tộc anh em, trải dài từ Hà Giang ở phía bắc đến mũi Cà Mau ở phía nam. Mỗi vùng miền đều có phong tục, món ăn và giọng nói riêng."
)
# Per-sentence voice / speed (-s, wpm) / pitch (-p, 0-99) for the single clips.
VOICE=(vi vi vi vi-vn-x-south vi vi-vn-x-central vi vi vi-vn-x-south vi vi vi-vn-x-central vi vi vi vi)
SPEED=(175 150 175 190 175 140 210 175 160 175 185 175 200 165 175 190)
PITCH=(50 50 30 50 70 50 50 40 50 60 50 50 50 35 80 50)

# meta.tsv: name<TAB>purpose<TAB>text ; read by the manifest step at the end.
META="$WORK/meta.tsv"
: > "$META"
meta() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$META"; }

# 1) one 16 kHz mono clip per sentence (raw espeak output is 22.05 kHz).
for i in "${!SENT[@]}"; do
  n=$(printf '%02d' $((i + 1)))
  espeak-ng -v "${VOICE[$i]}" -s "${SPEED[$i]}" -p "${PITCH[$i]}" -w "$WORK/raw_$n.wav" "${SENT[$i]}"
  "${SOX[@]}" "$WORK/raw_$n.wav" -r 16000 -c 1 -b 16 "$WORK/s16_$n.wav"
done
for n in 01 02 03 04 05 06 07 08 09 10 11 12 13 14; do
  cp "$WORK/s16_$n.wav" "$OUT/vi_$n.wav"
  meta "vi_$n.wav" "single sentence, espeak-ng ${VOICE[$((10#$n - 1))]} -s ${SPEED[$((10#$n - 1))]} -p ${PITCH[$((10#$n - 1))]}" "${SENT[$((10#$n - 1))]}"
done

# 2) stereo: left = sentence 15, right = same at -1 dB (0.891 gain): downmix is non-trivial.
"${SOX[@]}" "$WORK/s16_15.wav" -c 2 "$OUT/vi_15_stereo.wav" remix 1 1v0.891
meta vi_15_stereo.wav "16 kHz STEREO, right channel = left * 0.891; tests channel averaging" "${SENT[14]}"

# 3) other sample rates (the engine/sherpa must resample): 8 kHz and 44.1 kHz mono.
"${SOX[@]}" "$WORK/raw_16.wav" -r 8000 -c 1 -b 16 "$OUT/vi_16_8k.wav"
meta vi_16_8k.wav "8 kHz mono; tests resampling" "${SENT[15]}"
"${SOX[@]}" "$WORK/raw_10.wav" -r 44100 -c 1 -b 16 "$OUT/vi_10_44k.wav"
meta vi_10_44k.wav "44.1 kHz mono; tests resampling" "${SENT[9]}"

# 4) pure digital silence (3 s): a decoder should give (nearly) nothing; VAD finds no speech.
silence "$OUT/silence_3s.wav" 3
meta silence_3s.wav "3 s digital silence" ""

# 5) long clips: sentences (cycling through all 16) separated by digital-silence gaps.
#    Gaps cycle through 0.3-1.2 s with an occasional 2.0/3.5 s gap; the tail is padded with
#    silence so the file is exactly TOTAL seconds long.
GAPS=(0.30 0.70 1.20 0.45 0.90 0.35 2.00 0.60 1.05 0.50 0.80 3.50 0.40 1.10)
make_long() {  # $1 = output name, $2 = total seconds
  local name="$1" total=$(( $2 * 16000 )) parts=() texts="" k=0 len=0 slen glen g
  silence "$WORK/lead.wav" 8000s   # 0.5 s leading silence
  parts+=("$WORK/lead.wav"); len=8000
  while :; do
    i=$(( k % 16 )); g=${GAPS[$(( k % ${#GAPS[@]} ))]}
    slen=$(soxi -s "$WORK/s16_$(printf '%02d' $((i + 1))).wav")
    glen=$(awk "BEGIN{printf \"%d\", $g * 16000 + 0.5}")
    (( len + slen + glen + 8000 > total )) && break      # keep >= 0.5 s of tail silence
    silence "$WORK/gap_$k.wav" "${glen}s"
    parts+=("$WORK/s16_$(printf '%02d' $((i + 1))).wav" "$WORK/gap_$k.wav")
    len=$(( len + slen + glen )); texts+="${SENT[$i]} "; k=$(( k + 1 ))
  done
  "${SOX[@]}" "${parts[@]}" "$WORK/cat.wav"
  "${SOX[@]}" "$WORK/cat.wav" "$OUT/$name" pad 0 "$(( total - len ))s"
  echo "$texts"
}
t=$(make_long long_2min.wav 120)
meta long_2min.wav "2 min: sentences joined by 0.3-3.5 s digital-silence gaps (VAD segmentation)" "$t"
t=$(make_long long_8min.wav 480)
meta long_8min.wav "8 min: same construction as long_2min (benchmark)" "$t"

# 6) speaker never pauses: fast speech, all silence > 0.05 s cut out of every sentence
#    (sox silence effect), sentences butted together, tempo x1.15, trimmed to exactly 25 s.
PACK=()
for n in 02 04 06 08 10 12 14 16 01 03 05 07; do
  "${SOX[@]}" "$WORK/s16_$n.wav" "$WORK/packed_$n.wav" silence 1 0.01 -45d -1 0.05 -45d
  PACK+=("$WORK/packed_$n.wav")
done
"${SOX[@]}" "${PACK[@]}" "$WORK/packed.wav" tempo 1.15
"${SOX[@]}" "$WORK/packed.wav" "$OUT/packed_25s.wav" trim 0 25
meta packed_25s.wav "25 s with no pause > 0.1 s (speaker never pauses; forces a cut without silence)" ""

# 7) the encoder length limit: exactly 20.0 s and 20.1 s cut from the packed clip.
"${SOX[@]}" "$OUT/packed_25s.wav" "$OUT/limit_20p0s.wav" trim 0 320000s
meta limit_20p0s.wav "exactly 20.0 s (320000 samples): longest input the encoder accepts" ""
"${SOX[@]}" "$OUT/packed_25s.wav" "$OUT/limit_20p1s.wav" trim 0 321600s
meta limit_20p1s.wav "exactly 20.1 s (321600 samples): fails in the encoder (Reshape error)" ""

# manifest.json: name, purpose, text, duration, rate, channels, samples, longest pause, sha256.
"$PY" - "$OUT" "$META" <<'EOF'
import hashlib, json, sys
import numpy as np, soundfile as sf
out, meta = sys.argv[1], sys.argv[2]

def longest_pause(x, sr):
    """Longest run of 10 ms windows whose RMS is below -45 dBFS, in seconds."""
    if x.ndim > 1:
        x = x.mean(axis=1)
    w = sr // 100
    n = len(x) // w
    quiet = np.sqrt((x[: n * w].reshape(n, w) ** 2).mean(axis=1)) < 10 ** (-45 / 20)
    best = cur = 0
    for q in quiet:
        cur = cur + 1 if q else 0
        best = max(best, cur)
    return round(best * 0.01, 2)

files = []
for line in open(meta, encoding="utf-8"):
    name, purpose, text = line.rstrip("\n").split("\t")
    path = f"{out}/{name}"
    info = sf.info(path)
    x, sr = sf.read(path, dtype="float64")
    files.append({
        "file": name, "purpose": purpose, "text": text.strip(),
        "duration_s": round(info.frames / info.samplerate, 4), "sample_rate": info.samplerate,
        "channels": info.channels, "num_samples": info.frames, "subtype": info.subtype,
        "longest_pause_s": longest_pause(x, sr),
        "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
    })
json.dump({"generator": "scripts/reference/make_test_audio.sh", "files": files},
          open(f"{out}/manifest.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)
for f in files:
    print(f"{f['file']:20s} {f['duration_s']:8.3f} s {f['sample_rate']:6d} Hz "
          f"{f['channels']} ch  longest pause {f['longest_pause_s']:.2f} s")
EOF
rm -rf "$WORK"
