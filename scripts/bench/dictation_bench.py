#!/usr/bin/env python3
"""Dictation latency benchmark (issue 4): release-to-final time of Nói's DictationStream next
to the naive approach (decode the whole utterance at release), in the same run.

  .venv/bin/python scripts/bench/dictation_bench.py [--no-build] [--no-write] [--threads 2]
  .venv/bin/python scripts/bench/dictation_bench.py --hotwords [--lengths 5 10]

Utterances of about 5, 10, 30 and 60 s are built from the espeak-ng Vietnamese sentences in
testdata/audio (scripts/reference/make_test_audio.sh) joined by 0.3-0.8 s pauses (fixed seed),
fed at real-time pace in 20 ms chunks to both replica models with 2 ONNX Runtime threads, by
the release build of crates/noi-engine/examples/dictation_latency.rs. Reports p50/p95 of each
and writes the "Dictation latency" section of BENCHMARKS.md.

With --hotwords (issue 14): each model runs three times in the same run: without hotwords, with
the 20 phrases of scripts/bench/hotwords_vi.txt, and with a stand-in list of the same shape that
the replica can spell (see standin_hotwords), searched as the desktop app searches with a hotword
list (modified beam search, beam 4, the hotword graph); writes the "Dictation latency with
hotwords" section. The replicas have no bpe.model: one is made for their tokens.txt by
scripts/reference/make_hotword_models.py from-tokens.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
AUDIO = ROOT / "testdata" / "audio"
# Where the utterances (and the replicas' bpe.model) are written; NOI_BENCH_WORK moves it.
WORK = Path(os.environ.get("NOI_BENCH_WORK", ROOT / "testdata" / "bench" / "dictation"))
MODELS = {"M": "replica-zipformer-vi-int8-2025-04-20", "30M": "replica-zipformer-vi-30M-int8-2026-02-09"}
# target seconds -> how many different utterances of that length
LENGTHS = {5: 8, 10: 6, 30: 3, 60: 2}
SECTION = "## Dictation latency (issue 4)"
HOTWORDS_SECTION = "## Dictation latency with hotwords (issue 14)"
HOTWORDS = ROOT / "scripts" / "bench" / "hotwords_vi.txt"
TARGET_DIR = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
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


def replica_bpe(model_dir):
    """A bpe.model for the replica's tokens.txt (the replica folder has none)."""
    out = WORK / "bpe" / model_dir.name
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(ROOT / "scripts" / "reference" / "make_hotword_models.py"),
                    "from-tokens", "--tokens", str(model_dir / "tokens.txt"), "--out", str(out)],
                   check=True, capture_output=True)
    return out / "bpe.model"


def spellable(bpe_model, model_dir):
    """How many phrases of the list the model can spell (the engine skips the others), by
    python sentencepiece and tokens.txt: the same rule as the engine, computed independently."""
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=str(bpe_model))
    tokens = {line.rsplit(maxsplit=1)[0] for line in (model_dir / "tokens.txt").read_text().splitlines() if line.strip()}
    phrases = [line.rsplit(" :", 1)[0].strip() for line in HOTWORDS.read_text().splitlines() if line.strip()]
    upper = [unicodedata.normalize("NFC", unicodedata.normalize("NFC", p).upper()) for p in phrases]
    return sum(all(piece in tokens for piece in sp.encode(p, out_type=str)) for p in upper), len(phrases)


def standin_hotwords(model_dir, bpe_model):
    """The list's shape (20 phrases, the same word counts and scores) in words the replica can
    spell: its made-up vocabulary spells almost none of the real phrases, so the real list
    leaves its hotword graph nearly empty. Whole-word pieces (▁NAY422 …) that the bpe.model
    gives back whole, fixed seed."""
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=str(bpe_model))
    pieces = [line.rsplit(maxsplit=1)[0] for line in (model_dir / "tokens.txt").read_text().splitlines()]
    words = [p[1:] for p in pieces
             if p.startswith("▁") and any(c.isdigit() for c in p) and sp.encode(p[1:], out_type=str) == [p]]
    rng = random.Random(14)
    lines = []
    for line in HOTWORDS.read_text().splitlines():
        if not line.strip():
            continue
        phrase, _, score = line.partition(" :")
        made = " ".join(rng.choice(words).lower() for _ in phrase.split())
        lines.append(f"{made} :{score}" if score else made)
    path = WORK / f"hotwords_standin_{model_dir.name}.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_model(exe, model_dir, threads, utterances, extra):
    done = subprocess.run([str(exe), "--model-dir", str(model_dir), "--threads", str(threads), *extra,
                           *[str(p) for _, p in utterances]],
                          cwd=ROOT, check=True, capture_output=True, text=True)
    method = done.stderr.strip().splitlines()[-1].removeprefix("searching with ")
    return [json.loads(line) for line in done.stdout.splitlines()], method


def percentile(values, q):
    return float(np.percentile(np.array(values), q, method="linear"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--hotwords", action="store_true",
                    help="compare without and with the hotword list (its own section)")
    ap.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS),
                    help="utterance lengths to run, seconds (of %s)" % list(LENGTHS))
    args = ap.parse_args()
    started = time.time()
    load_at_start = os.getloadavg()[0]
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "noi-engine", "--example",
                        "dictation_latency"], cwd=ROOT, check=True)
    exe = TARGET_DIR / "release" / "examples" / "dictation_latency"
    utterances = [(t, p) for t, p in build_utterances() if t in args.lengths]
    results, methods, spelled = {}, {}, {}
    for model, folder in MODELS.items():
        model_dir = ROOT.parent / "shared" / "models" / folder
        if not model_dir.is_dir():
            sys.exit(f"missing replica {model_dir}: the benchmark needs ../shared/models")
        modes = [("off", [])]
        if args.hotwords:
            bpe = replica_bpe(model_dir)
            spelled[model] = spellable(bpe, model_dir)
            modes.append(("on", ["--hotwords", str(HOTWORDS), "--bpe-model", str(bpe)]))
            standin = standin_hotwords(model_dir, bpe)
            modes.append(("on, stand-in", ["--hotwords", str(standin), "--bpe-model", str(bpe)]))
        for mode, extra in modes:
            log(f"{model}, hotwords {mode}: {len(utterances)} utterances at real-time pace")
            rows, methods[(model, mode)] = run_model(exe, model_dir, args.threads, utterances, extra)
            for (target, _), row in zip(utterances, rows):
                results.setdefault((model, mode, target), []).append(row)
    if args.hotwords:
        report = hotwords_report(args, results, methods, spelled, started, load_at_start)
    else:
        report = plain_report(args, results, started)
    print(report)
    if not args.no_write:
        write_section(HOTWORDS_SECTION if args.hotwords else SECTION, report)


def plain_report(args, results, started):

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
    for (model, _, target), rows in results.items():
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
    return "\n".join(md)


def hotwords_report(args, results, methods, spelled, started, load_at_start):
    lengths = " ".join(str(n) for n in args.lengths)
    md = [HOTWORDS_SECTION, "",
          f"`.venv/bin/python scripts/bench/dictation_bench.py --hotwords --lengths {lengths}` (took "
          f"{(time.time() - started) / 60:.1f} min; {time.strftime('%Y-%m-%d %H:%M %Z')}). The utterances "
          "and feed of \"Dictation latency\" above; each model runs three times in the same run: without "
          "hotwords (greedy search, as dictation does without a list), with the 20 phrases of "
          "`scripts/bench/hotwords_vi.txt` (names, places, terms), searched as the desktop app searches "
          "with a hotword list (`noi_engine::config`, `Decoding::Auto`: modified beam search, beam 4, "
          "with the hotword graph), and with a stand-in list (below). Naive decodes use the same search. "
          f"{args.threads} ONNX Runtime threads, release build. Machine load (1-min average, 2 cores): "
          f"{load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end. Milliseconds.", "",
          "| model | hotwords | search | utterance | n | audio s | streamed p50 | streamed p95 | naive p50 | naive p95 | target |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (model, mode, target), rows in results.items():
        fin = [r["final_secs"] for r in rows]
        nai = [r["naive_secs"] for r in rows]
        audio = sum(r["audio_secs"] for r in rows) / len(rows)
        p50 = percentile(fin, 50)
        target_note = ""
        if target in TARGETS:
            target_note = f"p50 ≤ {TARGETS[target] * 1000:.0f}: {'met' if p50 <= TARGETS[target] else '**missed**'}"
        md.append(f"| {model} | {mode} | {methods[(model, mode)]} | {target} s | {len(rows)} | {audio:.1f} | "
                  f"{p50 * 1000:.0f} | {percentile(fin, 95) * 1000:.0f} | {percentile(nai, 50) * 1000:.0f} | "
                  f"{percentile(nai, 95) * 1000:.0f} | {target_note} |")
    md += [""]
    for model, (ok, total) in spelled.items():
        md.append(f"- {model}: {ok} of the {total} phrases can be spelled with the replica's made-up "
                  "vocabulary (python sentencepiece on its generated bpe.model against tokens.txt); the "
                  "engine skips the others with a warning, as it would on a real model that lacks a piece.")
    md += ["- \"on, stand-in\": so that the graph holds a full list, the same 20 phrases (same word "
           "counts and scores) written in whole-word pieces of the replica's vocabulary (`NAY422 "
           "CUỘC610`…, fixed seed), which the replica can spell and emits. A real model spells the "
           "real list; its graph is then of this size.", ""]
    return "\n".join(md)


def write_section(section, report):
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text()
    if section in text:
        head, rest = text.split(section, 1)
        nxt = rest.find("\n## ")
        text = head + report + (rest[nxt + 1:] if nxt >= 0 else "")
    else:
        text = text.rstrip() + "\n\n" + report
    path.write_text(text)


if __name__ == "__main__":
    main()
