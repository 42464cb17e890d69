#!/usr/bin/env python3
"""Long-file benchmark (issue 18): `noi` on long recordings against sherpa-onnx's own pipeline.

  .venv/bin/python scripts/bench/files_bench.py [--noi PATH] [--before PATH] [--no-build]
      [--no-write] [--models M,30M] [--threads 1,2] [--minutes 8,60 (or 2, a quick check)] [--max-wait 60] [--retries 0]

For each replica model, ONNX Runtime thread count and file (8 and 60 minutes of test speech with
pauses), one process at a time, never two in parallel:
  - sherpa-onnx 2.0.1: scripts/reference/sherpa_vad_pipeline.py, its VoiceActivityDetector (the
    same silero_vad.onnx, window 512) and OfflineRecognizer on each segment, the samples already
    in memory (its clock covers VAD + decoding only);
  - noi after: `noi bench FILE --threads N --profile`, with its automatic `--jobs` (one decode
    per N cores, at least 2 on 2 cores or more: 2 at 1 and at 2 threads here), whose clock
    covers reading, resampling, VAD, features, encoder and search;
  - noi before (with --before PATH, e.g. main's binary from before issue 18): the same command
    without the new options.
Each process runs once (the files are long enough to average out the noise); its peak RSS is
its own ru_maxrss (os.wait4). Before each row the script waits for an idle machine (at most
--max-wait s) and reruns a row that others disturbed (at most --retries times); the "others %"
column is the CPU other programs used during the row, in % of one core (from /proc/stat).
With --profile, noi also reports where its time went; the 8-minute M rows give the breakdown.
Writes "## Long files (issue 18)" in BENCHMARKS.md. Needs testdata/audio/long_8min.wav
(scripts/reference/make_test_audio.sh) and sox; makes testdata/bench/long_60min.wav from it.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import engine_bench as eb  # noqa: E402  (process runner, idle wait, machine info, formatting)

ROOT = eb.ROOT
PIPELINE = ROOT / "scripts/reference/sherpa_vad_pipeline.py"
LONG8 = eb.AUDIO / "long_8min.wav"
LONG60 = eb.WORK / "long_60min.wav"
SECTION = "## Long files (issue 18)"
TARGETS = {1: 0.75, 2: 0.6}  # noi / sherpa-onnx, per thread count (issue 18)
RSS_TARGET = 400  # MiB


def default_noi():
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release/noi"


def noi(binary, model, wav, threads, profile, jobs=None):
    env = dict(os.environ, ORT_DYLIB_PATH=os.environ.get("ORT_DYLIB_PATH", str(eb.ORT_LIB)))
    cmd = [binary, "bench", wav, "--model-dir", eb.MODELS[model], "--threads", threads,
           "--repeat", 1] + (["--profile"] if profile else []) + (["--jobs", jobs] if jobs else [])
    out, _, rss = eb.run(cmd, env)
    lines = [json.loads(line) for line in out.splitlines()]
    return lines[0], lines[1], rss


def sherpa(model, wav, threads):
    out, _, rss = eb.run([eb.PY, PIPELINE, "--model-dir", eb.MODELS[model], "--threads", threads, wav])
    return json.loads(out), rss


def make_60min():
    if not LONG60.exists():
        eb.WORK.mkdir(parents=True, exist_ok=True)
        # Eight copies of the 8-minute file (speech with pauses), cut at 60 minutes.
        subprocess.run(["sox", "-D", "-R", "-V1", *[LONG8] * 8, LONG60, "trim", "0", "3600"], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--noi", type=Path, default=default_noi(), help="noi binary to measure")
    ap.add_argument("--before", type=Path, help="noi binary from before the change (optional)")
    ap.add_argument("--no-build", action="store_true", help="use the --noi binary as it is")
    ap.add_argument("--no-write", action="store_true", help="print the report, leave BENCHMARKS.md")
    ap.add_argument("--models", default="M,30M")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--minutes", default="8,60")
    ap.add_argument("--max-wait", type=float, default=10, help="s to wait for an idle machine")
    ap.add_argument("--retries", type=int, default=0, help="reruns of a disturbed row")
    args = ap.parse_args()
    started = time.time()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "noi-cli"], cwd=ROOT, check=True)
    if not LONG8.exists():
        subprocess.run([ROOT / "scripts/reference/make_test_audio.sh"], check=True)
    files = {2: eb.AUDIO / "long_2min.wav", 8: LONG8, 60: LONG60}  # 2: a quick check of the script
    minutes = [int(m) for m in args.minutes.split(",")]
    if 60 in minutes:
        make_60min()
    eb.NOI = args.noi
    info = eb.machine()
    if args.before:
        info["noi before"] = subprocess.check_output([args.before, "--version"], text=True).strip()

    rows, profiles = [], []  # profiles: extra --jobs 1 runs, for the breakdown only
    # The 8-minute rows first; the report is rewritten after every row, so a run cut short
    # still leaves what it measured.
    for m in minutes:
        for model in args.models.split(","):
            for threads in [int(t) for t in args.threads.split(",")]:
                wav = files[m]
                eb.log(f"{model}, {threads} thread(s), {m} min")

                def measure():
                    s = sherpa(model, wav, threads)
                    n = noi(args.noi, model, wav, threads, True)
                    b = noi(args.before, model, wav, threads, profile=False) if args.before else None
                    return s, n, b

                (s, n, b), others = eb.quietly(measure, args.max_wait, args.retries)
                rows.append((model, threads, m, s, n, b, others))
                if m == minutes[0] and threads == 1:
                    # The same binary one decode at a time: where one decode's time goes.
                    profiles.append((model, threads, m, noi(args.noi, model, wav, threads, True, 1),
                                     f"{100 * eb.OTHERS[-1]:.0f}"))
                report(args, info, rows, profiles, time.time() - started)


def report(args, info, rows, profiles, elapsed):

    cmd = "CARGO_TARGET_DIR=… .venv/bin/python scripts/bench/files_bench.py" + (
        " --before <main's noi>" if args.before else "")
    md = [SECTION, "",
          f"`{cmd}` (took {elapsed / 60:.1f} min; {time.strftime('%Y-%m-%d %H:%M %Z')}). Replica "
          "models, greedy search, one process at a time, each run once. noi's time covers reading "
          "the WAV, resampling, VAD, features, encoder and search (`noi bench`, model load "
          "excluded); sherpa-onnx's covers its `VoiceActivityDetector` (same silero_vad.onnx, "
          "window 512, max speech 20 s) and `OfflineRecognizer` on each segment, the samples "
          "already in memory (`scripts/reference/sherpa_vad_pipeline.py`, load excluded). "
          f"Ratio = noi / sherpa-onnx, targets ≤ {TARGETS[1]} at 1 thread and ≤ {TARGETS[2]} at 2; "
          f"peak RSS target ≤ {RSS_TARGET} MiB. \"jobs\" is how many segments noi decoded at once "
          "(its automatic choice: one per that many cores, at least 2 on 2 cores). \"before\" is "
          "main's binary from before issue 18 (one decode at a time). Others = CPU used by other "
          "programs during the row, in % of one core.", "",
          *(f"- {k}: {v}" for k, v in info.items()), "",
          "| model | threads | file | segments noi / sherpa | sherpa-onnx s (RTF) | noi s (RTF) | jobs | ratio | "
          + ("noi before s | before ratio | " if args.before else "")
          + "RSS MiB sherpa / noi" + (" / before" if args.before else "") + " | others % |",
          "|---|---|---|---|---|---|---|---|" + ("---|---|" if args.before else "") + "---|---|"]
    for model, threads, m, (s, s_rss), (load, rec, rss), b, others in rows:
        dur = rec["duration"]
        cells = [model, str(threads), f"{m} min", f"{len(rec['segments'])} / {s['segments']}",
                 f"{s['seconds']:.1f} ({s['seconds'] / dur:.4f})",
                 f"{rec['seconds']:.1f} ({rec['seconds'] / dur:.4f})", str(load["jobs"]),
                 eb.ratio(rec["seconds"], s["seconds"], TARGETS[threads])]
        rss_cells = [eb.mib(s_rss), eb.mib(rss, RSS_TARGET)]
        if b:
            cells += [f"{b[1]['seconds']:.1f}", eb.ratio(b[1]["seconds"], s["seconds"], None)]
            rss_cells.append(eb.mib(b[2]))
        cells += [" / ".join(rss_cells), others]
        md.append("| " + " | ".join(cells) + " |")

    md += ["", "Where noi's time went (`noi bench --profile`, summed over threads; the cutter "
           "thread reads and runs the VAD, the workers decode): seconds", "",
           "| model | threads | file | jobs | wall | read | VAD | cutter waits for queue room | "
           "features | encoder | search | workers wait for a segment | workers wait for the engine | others % |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    measured = [(model, threads, m, n, others) for model, threads, m, _, n, _, others in rows]
    for model, threads, m, (load, rec, _), others in profiles + measured:
        p = rec["profile"]
        md.append(f"| {model} | {threads} | {m} min | {load['jobs']} | {rec['seconds']:.1f} | "
                  f"{p['read']:.2f} | {p['vad']:.2f} | {p['cutter_blocked']:.1f} | "
                  f"{p['features']:.2f} | {p['encoder']:.1f} | {p['search']:.1f} | "
                  f"{p['worker_idle']:.2f} | {p['gate_wait']:.2f} | {others} |")
    md += ["", f"The first {len(profiles)} rows are the same binary with `--jobs 1` at one thread: one "
           "reader/VAD thread beside one decoding thread, where one decode's time goes."]
    section = "\n".join(md) + "\n"
    print(section, flush=True)

    if not args.no_write:
        path = ROOT / "BENCHMARKS.md"
        text = path.read_text(encoding="utf-8")
        at = text.find(SECTION)
        if at < 0:
            text = text.rstrip("\n") + "\n\n" + section
        else:
            end = text.find("\n## ", at + len(SECTION))
            text = text[:at] + section + ("\n" + text[end + 1:] if end >= 0 else "")
        path.write_text(text, encoding="utf-8")
        eb.log(f"wrote {path}")


if __name__ == "__main__":
    main()
