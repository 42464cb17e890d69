#!/usr/bin/env python3
"""Engine benchmark (issue 2): Nói's engine against sherpa-onnx 2.0.1 on the same models.

  .venv/bin/python scripts/bench/engine_bench.py [--repeat 3] [--no-build] [--no-write]

For both replica models (M, 30M) and 1 and 2 ONNX Runtime threads it measures, one process at a
time (never two in parallel):
  1. short clips (testdata/audio/vi_01..vi_14 and a 10 s clip joined with sox): `noi bench`
     whole-file time against sherpa-onnx accept_waveform + decode_stream, greedy search, and
     modified beam search with 2 threads;
  2. the 8-minute file: noi's whole time (read, VAD, features, encoder, search) against the sum of
     sherpa-onnx's times on exactly noi's segments; noi's peak RSS for that run;
  3. the 10 s clip with the M model, each engine in a fresh process that decodes only that clip:
     peak RSS; plus the model load times of every process run, and noi's VAD cost alone.
Every time is the fastest of --repeat runs. Peak RSS is the measured process's own ru_maxrss,
read with os.wait4 on that one child. CPU contention from other programs is measured with Linux
PSI around every process and reported per row: rerun when it is high. Prints a Markdown report and writes it to BENCHMARKS.md
under "## Engine (issue 2)". Needs sox, testdata/audio (made with
scripts/reference/make_test_audio.sh if missing) and the replica models in ../shared/models
(or $NOI_SHARED_MODELS).
"""
import argparse
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOI = ROOT / "target/release/noi"
ORT_LIB = ROOT / ".ort/onnxruntime/capi/libonnxruntime.so.1.32.0"
PY = ROOT / ".venv/bin/python"
SHERPA = ROOT / "scripts/reference/sherpa_decode.py"
AUDIO, WORK = ROOT / "testdata/audio", ROOT / "testdata/bench"  # both git-ignored
SHARED = Path(os.environ.get("NOI_SHARED_MODELS", ROOT.parent / "shared/models"))
MODELS = {"M": SHARED / "replica-zipformer-vi-int8-2025-04-20",
          "30M": SHARED / "replica-zipformer-vi-30M-int8-2026-02-09"}
SHORT = [AUDIO / f"vi_{i:02d}.wav" for i in range(1, 15)]
CLIP10 = WORK / "clip_10s.wav"  # vi_03 + vi_04 + vi_05 = 10.06 s
LONG = AUDIO / "long_8min.wav"
SECTION = "## Engine (issue 2)"
HEADER = """# Benchmarks

Measured figures for Nói; each section is written by the committed script named in it.

## How to reproduce

```sh
scripts/reference/make_test_audio.sh              # test audio in testdata/audio (git-ignored), once
.venv/bin/python scripts/bench/engine_bench.py    # builds noi, runs, rewrites "Engine (issue 2)"
```
"""


def cpu_wait():
    """Seconds tasks have waited for a CPU so far (Linux PSI "some"); None without PSI."""
    try:
        with open("/proc/pressure/cpu") as f:
            return int(f.readline().split("total=")[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return None


CONTENTION = []  # per measured process: share of its wall time some task waited for a CPU


def run(cmd, env=None):
    """Runs cmd alone and waits; returns (stdout, stderr, peak RSS of that process in MB)."""
    wait0, t0 = cpu_wait(), time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)  # rusage of this child (and its own children)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{stderr}")
    if wait0 is not None:  # high values mean another program competed for the 2 cores
        CONTENTION.append((cpu_wait() - wait0) / (time.perf_counter() - t0))
    return stdout, stderr, usage.ru_maxrss * 1024 / 1e6  # ru_maxrss is in KiB on Linux


def contention(since):
    """Highest CPU contention (%) over the processes measured since index `since`."""
    return f"{100 * max(CONTENTION[since:], default=0):.0f}" if CONTENTION else "n/a"


def noi(model, files, threads, repeat, decoding="greedy"):
    """`noi bench`: (load seconds, {file: record}, peak RSS MB)."""
    env = dict(os.environ, ORT_DYLIB_PATH=os.environ.get("ORT_DYLIB_PATH", str(ORT_LIB)))
    out, _, rss = run([NOI, "bench", *files, "--model-dir", MODELS[model], "--threads", threads,
                       "--decoding", decoding, "--repeat", repeat], env)
    lines = [json.loads(line) for line in out.splitlines()]
    return lines[0]["seconds"], {Path(r["file"]).name: r for r in lines[1:]}, rss


def sherpa(model, threads, repeat, method="greedy_search", files=(), segments=None):
    """sherpa_decode.py: (load seconds, list of records with "seconds" = accept + decode, RSS)."""
    cmd = [PY, SHERPA, "--model-dir", MODELS[model], "--threads", threads, "--method", method,
           "--repeat", repeat, *files] + (["--segments", segments] if segments else [])
    out, err, rss = run(cmd)
    load = next(float(l.split()[-1]) for l in err.splitlines() if l.startswith("# load_seconds:"))
    recs = [json.loads(line) for line in out.splitlines()]
    for r in recs:
        r["seconds"] = r["accept_seconds"] + r["decode_seconds"]
    return load, recs, rss


def ort_version(lib):
    """Version string of an onnxruntime shared library (OrtGetApiBase()->GetVersionString())."""
    code = ("import ctypes, sys\nclass B(ctypes.Structure): _fields_ = [('a', ctypes.c_void_p),"
            " ('v', ctypes.CFUNCTYPE(ctypes.c_char_p))]\nf = ctypes.CDLL(sys.argv[1]).OrtGetApiBase\n"
            "f.restype = ctypes.POINTER(B)\nprint(f().contents.v().decode())")
    return subprocess.check_output([sys.executable, "-c", code, str(lib)], text=True).strip()


def machine():
    cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    sherpa_dir = Path(importlib.metadata.distribution("sherpa-onnx").locate_file("sherpa_onnx"))
    git = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}",
        "noi": f"{subprocess.check_output([NOI, '--version'], text=True).strip()} (git {git}), "
               f"{subprocess.check_output(['rustc', '--version'], text=True).strip()}, "
               f"ONNX Runtime {ort_version(ORT_LIB)}",
        "sherpa-onnx": f"{importlib.metadata.version('sherpa-onnx')} (Python {platform.python_version()}), "
                       f"bundled ONNX Runtime {ort_version(sherpa_dir / 'lib/libonnxruntime.so')}",
    }


def ratio(a, b, target=1.0):
    """a / b, in bold and flagged when above the target (None: no target)."""
    r = a / b
    return f"{r:.2f}" if target is None or r <= target else f"**{r:.2f} (missed)**"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (fastest is kept)")
    ap.add_argument("--no-build", action="store_true", help="use target/release/noi as it is")
    ap.add_argument("--no-write", action="store_true", help="print the report, leave BENCHMARKS.md")
    args = ap.parse_args()
    rep = max(args.repeat, 1)
    started, load_before = time.time(), os.getloadavg()
    log = lambda msg: print(f"[{time.time() - started:6.0f} s] {msg}", file=sys.stderr, flush=True)

    # Inputs: release build, test audio, the 10 s clip.
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "noi-cli"], cwd=ROOT, check=True)
    if not all(p.exists() for p in SHORT + [LONG]):
        subprocess.run([ROOT / "scripts/reference/make_test_audio.sh"], check=True)
    WORK.mkdir(parents=True, exist_ok=True)
    subprocess.run(["sox", "-D", "-R", "-V1", *(AUDIO / f"vi_0{i}.wav" for i in (3, 4, 5)), CLIP10],
                   check=True)
    clips = SHORT + [CLIP10]
    info = machine()

    short, long, loads = [], [], []  # result rows
    for model in MODELS:
        for threads in (1, 2):
            for decoding in ("greedy", "beam") if threads == 2 else ("greedy",):
                # 1. short clips, each file decoded in one piece by both engines
                log(f"{model} t{threads} {decoding}: short clips")
                method = "greedy_search" if decoding == "greedy" else "modified_beam_search"
                mark = len(CONTENTION)
                nl, nrecs, _ = noi(model, clips, threads, rep, decoding)
                sl, srecs, _ = sherpa(model, threads, rep, method, files=clips)
                loads.append((model, threads, nl, sl))
                per = [(Path(s["file"]).name, nrecs[Path(s["file"]).name], s) for s in srecs]
                short.append((model, threads, decoding, per, contention(mark)))
            # 2. the 8-minute file: noi with its VAD, sherpa on noi's segments
            log(f"{model} t{threads}: 8-minute file")
            mark = len(CONTENTION)
            nl, nrecs, rss = noi(model, [LONG], threads, rep)
            rec = nrecs[LONG.name]
            seg_file = WORK / f"segments_{model}_t{threads}.json"
            seg_file.write_text(json.dumps([{"wav": str(LONG), "segments": rec["segments"]}]))
            sl, srecs, _ = sherpa(model, threads, rep, segments=seg_file)
            loads.append((model, threads, nl, sl))
            long.append((model, threads, rec, srecs, rss, contention(mark)))

    # 3. memory: a fresh process per engine that decodes only the 10 s clip (M model, 2 threads)
    log("M: peak RSS on the 10 s clip")
    nl, nrecs, noi_rss = noi("M", [CLIP10], 2, 1)
    sl, _, sherpa_rss = sherpa("M", 2, 1, files=[CLIP10])
    _, _, py_rss = run([PY, "-c", "import numpy, soundfile, sherpa_onnx"])
    loads.append(("M", 2, nl, sl))
    # What the VAD alone costs noi on 8 minutes: digital silence, so no segment is decoded.
    log("noi: VAD alone on 480 s of silence")
    subprocess.run(["sox", "-D", "-R", "-V1", "-r", "16000", "-c", "1", "-b", "16", "-n",
                    WORK / "silence_480s.wav", "trim", "0", "480"], check=True)
    mark = len(CONTENTION)
    vad_only = noi("30M", [WORK / "silence_480s.wav"], 1, rep)[1]["silence_480s.wav"]["seconds"]
    vad_busy = contention(mark)
    elapsed, load_after = time.time() - started, os.getloadavg()

    # ---- report ----
    cmd = ".venv/bin/python scripts/bench/engine_bench.py" + (f" --repeat {rep}" if rep != 3 else "")
    md = [SECTION, "",
          f"`{cmd}` (took {elapsed / 60:.1f} min; {time.strftime('%Y-%m-%d %H:%M %Z')}). Replica models "
          "(random weights, exact size and shape of the real bundles), one process at a time, every "
          f"time the fastest of {rep} runs. "
          "\"CPU wait\" is the highest share of a measured process's wall time in which some task "
          "waited for a CPU (Linux PSI): near 0 on a quiet machine, high when another program "
          "competed for the cores, which makes that row's times unreliable. noi times the whole transcription of a file (read, "
          "resample, VAD for files > 20 s, features, encoder, search); sherpa-onnx times "
          "`accept_waveform` (features) + `decode_stream` (encoder, search) on samples already in "
          "memory, each minimised separately. Ratio = noi / sherpa-onnx, target ≤ 1.00.", "",
          *(f"- {k}: {v}" for k, v in info.items()),
          f"- load average (1 min) before / after: {load_before[0]:.2f} / {load_after[0]:.2f}", ""]

    md += ["### Short clips (each decoded in one piece)", "",
           "| model | threads | search | clips | audio s | noi s | sherpa-onnx s | ratio | same token count | CPU wait % |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for model, threads, decoding, per, busy in short:
        audio = sum(n["duration"] for _, n, _ in per)
        t_noi, t_sh = sum(n["seconds"] for _, n, _ in per), sum(s["seconds"] for _, _, s in per)
        same = sum(n["tokens"] == len(s["tokens"]) for _, n, s in per)
        md.append(f"| {model} | {threads} | {decoding} | {len(per)} | {audio:.1f} | {t_noi:.3f} | "
                  f"{t_sh:.3f} | {ratio(t_noi, t_sh)} | {same}/{len(per)} | {busy} |")
    md += ["", "Per clip, milliseconds noi / sherpa-onnx:", "",
           "| clip | s | " + " | ".join(f"{m} t{t} {d}" for m, t, d, *_ in short) + " |",
           "|---|---|" + "---|" * len(short)]
    for i, (name, n, _) in enumerate(short[0][3]):
        cells = [f"{p[i][1]['seconds'] * 1e3:.0f} / {p[i][2]['seconds'] * 1e3:.0f}" for *_, p, _ in short]
        md.append(f"| {name} | {n['duration']:.2f} | " + " | ".join(cells) + " |")

    md += ["", "### 8-minute file (greedy; sherpa-onnx decodes exactly noi's VAD segments)", "",
           "| model | threads | segments | noi s (RTF) | sherpa-onnx s (RTF) | ratio | same token count | noi peak RSS MB (≤ 400) | CPU wait % |",
           "|---|---|---|---|---|---|---|---|---|"]
    for model, threads, rec, srecs, rss, busy in long:
        t_sh, dur = sum(s["seconds"] for s in srecs), rec["duration"]
        same = "yes" if rec["tokens"] == sum(len(s["tokens"]) for s in srecs) else "no"
        md.append(f"| {model} | {threads} | {len(rec['segments'])} | {rec['seconds']:.2f} "
                  f"({rec['seconds'] / dur:.4f}) | {t_sh:.2f} ({t_sh / dur:.4f}) | "
                  f"{ratio(rec['seconds'], t_sh)} | {same} | {rss:.0f}{'' if rss <= 400 else ' **(missed)**'} | {busy} |")

    md += ["", f"noi's VAD alone (read + Silero on 480 s of digital silence, 30M model, 1 thread, "
           f"nothing decoded; CPU wait {vad_busy} %): {vad_only:.2f} s. sherpa-onnx's column has no "
           "VAD: it decodes segments noi found.", "", "### Memory and model load", "",
           "Peak RSS of a fresh process that loads the M model (2 threads) and decodes only the "
           f"{nrecs[CLIP10.name]['duration']:.2f} s clip once:", "",
           "| engine | peak RSS MB | target |", "|---|---|---|",
           f"| noi (`noi bench clip_10s.wav --repeat 1`) | {noi_rss:.0f} | ≤ 250"
           f"{'' if noi_rss <= 250 else ' **(missed)**'} |",
           f"| sherpa-onnx (Python, `sherpa_decode.py`) | {sherpa_rss:.0f} | |",
           f"| (Python + numpy + soundfile + sherpa_onnx imported, no model) | {py_rss:.0f} | |", "",
           "Model load (session creation; noi's includes the Silero VAD), fastest over the "
           "processes above:", "",
           "| model | threads | processes | noi s | sherpa-onnx s | ratio |", "|---|---|---|---|---|---|"]
    for model in MODELS:
        for threads in (1, 2):
            got = [(n, s) for m, t, n, s in loads if (m, t) == (model, threads)]
            n, s = min(g[0] for g in got), min(g[1] for g in got)
            md.append(f"| {model} | {threads} | {len(got)} | {n:.3f} | {s:.3f} | {ratio(n, s, None)} |")
    report = "\n".join(md) + "\n"
    print(report)

    if not args.no_write:  # replace our section of BENCHMARKS.md (or add it), keep the rest
        path = ROOT / "BENCHMARKS.md"
        text = path.read_text(encoding="utf-8") if path.exists() else HEADER
        at = text.find(SECTION)
        if at < 0:
            text = text.rstrip("\n") + "\n\n" + report
        else:
            end = text.find("\n## ", at + len(SECTION))
            text = text[:at] + report + ("\n" + text[end + 1:] if end >= 0 else "")
        path.write_text(text, encoding="utf-8")
        log(f"wrote {path}")


if __name__ == "__main__":
    main()
