#!/usr/bin/env python3
"""Dictation latency benchmark (issue 4): release-to-final time of Nói's DictationStream next
to the naive approach (decode the whole utterance at release), in the same run.

  .venv/bin/python scripts/bench/dictation_bench.py [--no-build] [--no-write] [--threads 2]

Utterances of about 5, 10, 30 and 60 s are built from the espeak-ng Vietnamese sentences in
testdata/audio (scripts/reference/make_test_audio.sh) joined by 0.3-0.8 s pauses (fixed seed),
fed at real-time pace in 20 ms chunks to both replica models with 2 ONNX Runtime threads, by
the release build of crates/noi-engine/examples/dictation_latency.rs. Reports p50/p95 of each
and writes the "Dictation latency" section of BENCHMARKS.md.
"""
import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
AUDIO = ROOT / "testdata" / "audio"
WORK = ROOT / "testdata" / "bench" / "dictation"
MODELS = {"M": "replica-zipformer-vi-int8-2025-04-20", "30M": "replica-zipformer-vi-30M-int8-2026-02-09"}
# target seconds -> how many different utterances of that length
LENGTHS = {5: 8, 10: 6, 30: 3, 60: 2}
SECTION = "## Dictation latency (issue 4)"
TARGETS = {10: 0.150, 60: 0.200}  # p50 targets with the M replica


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def build_utterances():
    clips = [sf.read(AUDIO / f"vi_{i:02d}.wav", dtype="float32")[0] for i in range(1, 15)]
    rng = random.Random(20261127)
    WORK.mkdir(parents=True, exist_ok=True)
    made = []
    for target, count in LENGTHS.items():
        for k in range(count):
            parts, total = [], 0.0
            while True:
                clip = clips[rng.randrange(len(clips))]
                if parts and total + len(clip) / 16000 > target + 1.0:
                    break
                if parts:
                    pause = np.zeros(int(rng.uniform(0.3, 0.8) * 16000), dtype=np.float32)
                    parts.append(pause)
                    total += len(pause) / 16000
                parts.append(clip)
                total += len(clip) / 16000
                if total >= target - 1.0:
                    break
            path = WORK / f"utt_{target:02d}s_{k}.wav"
            sf.write(path, np.concatenate(parts), 16000, subtype="PCM_16")
            made.append((target, path))
    return made


def percentile(values, q):
    return float(np.percentile(np.array(values), q, method="linear"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    started = time.time()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "noi-engine", "--example",
                        "dictation_latency"], cwd=ROOT, check=True)
    exe = ROOT / "target" / "release" / "examples" / "dictation_latency"
    utterances = build_utterances()
    results = {}
    for model, folder in MODELS.items():
        model_dir = ROOT.parent / "shared" / "models" / folder
        if not model_dir.is_dir():
            sys.exit(f"missing replica {model_dir}: the benchmark needs ../shared/models")
        log(f"{model}: {len(utterances)} utterances at real-time pace")
        out = subprocess.run([str(exe), "--model-dir", str(model_dir), "--threads", str(args.threads),
                              *[str(p) for _, p in utterances]],
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout
        rows = [json.loads(line) for line in out.splitlines()]
        for (target, _), row in zip(utterances, rows):
            results.setdefault((model, target), []).append(row)

    md = [SECTION, "",
          f"`.venv/bin/python scripts/bench/dictation_bench.py` (took {(time.time() - started) / 60:.1f} min; "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}). Utterances built from the espeak-ng sentences in "
          "testdata/audio joined by 0.3-0.8 s pauses (fixed seed), fed to a `DictationStream` in 20 ms "
          f"chunks at real-time pace, replica models, {args.threads} ONNX Runtime threads, release "
          "build. **Streamed**: time from `finish()` (the user lets go) to the final transcript. "
          "**Naive**: the same audio decoded whole at release (cut at pauses only beyond the "
          "encoder's 20 s), what offline dictation apps do; measured in the same process right "
          "after. Milliseconds.", "",
          "| model | utterance | n | audio s | streamed p50 | streamed p95 | naive p50 | naive p95 | naive / streamed (p50) | target | same text |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (model, target), rows in results.items():
        fin = [r["final_secs"] for r in rows]
        nai = [r["naive_secs"] for r in rows]
        audio = sum(r["audio_secs"] for r in rows) / len(rows)
        p50 = percentile(fin, 50)
        target_note = ""
        if model == "M" and target in TARGETS:
            ok = p50 <= TARGETS[target]
            target_note = f"p50 ≤ {TARGETS[target] * 1000:.0f}: {'met' if ok else '**missed**'}"
        if model == "M" and target == 60:
            ratio_ok = percentile(nai, 50) / p50 >= 4
            target_note += f"; ≥ 4× naive: {'met' if ratio_ok else '**missed**'}"
        same = sum(1 for r in rows if r["same_text"])
        md.append(f"| {model} | {target} s | {len(rows)} | {audio:.1f} | {p50 * 1000:.0f} | "
                  f"{percentile(fin, 95) * 1000:.0f} | {percentile(nai, 50) * 1000:.0f} | "
                  f"{percentile(nai, 95) * 1000:.0f} | {percentile(nai, 50) / p50:.1f}× | {target_note} | "
                  f"{same}/{len(rows)} |")
    md += ["", "\"Same text\": the streamed transcript equals the naive one. It can differ where the "
           "stream cut at a pause that the naive decode of a ≤ 20 s utterance did not cut at: "
           "the segments differ, so a random-weight replica reads them differently. The stream's "
           "own final equals the offline decode of its own segments (tests/dictation.rs).", ""]
    report = "\n".join(md)
    print(report)
    if not args.no_write:
        path = ROOT / "BENCHMARKS.md"
        text = path.read_text()
        if SECTION in text:
            head, rest = text.split(SECTION, 1)
            nxt = rest.find("\n## ")
            text = head + report + (rest[nxt + 1:] if nxt >= 0 else "")
        else:
            text = text.rstrip() + "\n\n" + report
        path.write_text(text)


if __name__ == "__main__":
    main()
