#!/usr/bin/env python3
"""Engine benchmark (issue 2): Nói's engine against sherpa-onnx 2.0.1 on the same models.

  .venv/bin/python scripts/bench/engine_bench.py [--repeat 3] [--rounds 2] [--no-build]
                                                 [--no-write] [--max-wait 120] [--retries 2]

For both replica models (M, 30M) and 1 and 2 ONNX Runtime threads it measures, one process at a
time (never two in parallel):
  1. short clips (testdata/audio/vi_01..vi_14 and a 10 s clip joined with sox): `noi bench`
     whole-file time against sherpa-onnx accept_waveform + decode_stream, greedy search, and
     modified beam search with 2 threads;
  2. the 8-minute file: noi's whole time (read, VAD, features, encoder, search) against the sum of
     sherpa-onnx's times on exactly noi's segments; noi's peak RSS for that run;
  3. the 10 s clip with the M model, each engine in a fresh process that decodes only that clip:
     peak RSS; plus the model load time of every process, and what noi's VAD alone costs.
Every time is the fastest of --repeat runs in one process; for the short clips, the fastest over
--rounds processes per engine run alternately (timings vary about ±10 % between processes even on
an idle machine, more than within one). Peak RSS is the measured process's own ru_maxrss,
read with os.wait4 on that one child. The machine may be shared: the CPU time other programs use
during each measurement is read from /proc/stat; before each noi/sherpa pair the script waits for
an idle machine (at most --max-wait s) and reruns a pair that others disturbed (at most --retries
times). Each table row shows how much CPU others took, so disturbed rows are visible.
Prints a Markdown report and writes it to BENCHMARKS.md under "## Engine (issue 2)". Needs sox,
testdata/audio (made with scripts/reference/make_test_audio.sh if missing) and the replica models
in ../shared/models (or $NOI_SHARED_MODELS).
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
SILENCE = WORK / "silence_480s.wav"  # noi's VAD alone: nothing in it to decode
LONG = AUDIO / "long_8min.wav"
MIB = 2 ** 20
QUIET = 0.10  # others' CPU use (in cores) above which a measurement counts as disturbed
SECTION = "## Engine (issue 2)"
HEADER = """# Benchmarks

Measured figures for Nói; each section is written by the committed script named in it.

## How to reproduce

```sh
scripts/reference/make_test_audio.sh              # test audio in testdata/audio (git-ignored), once
.venv/bin/python scripts/bench/engine_bench.py    # builds noi, runs, rewrites "Engine (issue 2)"
```
"""


def log(msg, _start=time.time()):
    print(f"[{time.time() - _start:5.0f} s] {msg}", file=sys.stderr, flush=True)


def cpu_used():
    """CPU seconds every program on the machine has used so far (/proc/stat: all but idle, iowait)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


OTHERS = []  # per measured process: CPU (in cores) that other programs used while it ran


def run(cmd, env=None):
    """Runs cmd alone and waits; returns (stdout, stderr, peak RSS of that process in bytes)."""
    used, t0 = cpu_used(), time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)  # rusage of this child (and its own children)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{stderr}")
    others = cpu_used() - used - usage.ru_utime - usage.ru_stime
    OTHERS.append(max(others, 0) / (time.perf_counter() - t0))
    return stdout, stderr, usage.ru_maxrss * 1024  # ru_maxrss is in KiB on Linux


def quietly(measure, max_wait, retries):
    """Runs measure() when the machine is idle, again if other programs took CPU during it.
    Returns (its result, others' CPU use during the kept attempt as "% of a core")."""
    for attempt in range(retries + 1):
        deadline = time.time() + max_wait
        while time.time() < deadline:  # wait for 2 s in which others use < QUIET of a core
            used = cpu_used()
            time.sleep(2)
            if cpu_used() - used < 2 * QUIET:
                break
        mark = len(OTHERS)
        result = measure()
        others = max(OTHERS[mark:])
        if others <= QUIET:
            break
        log(f"  disturbed: other programs used {others:.0%} of a core"
            + (", measuring again" if attempt < retries else ", keeping it"))
    return result, f"{100 * others:.0f}"


def noi(model, files, threads, repeat, decoding="greedy"):
    """`noi bench`: (load seconds, {file name: record}, peak RSS bytes)."""
    env = dict(os.environ, ORT_DYLIB_PATH=os.environ.get("ORT_DYLIB_PATH", str(ORT_LIB)))
    out, _, rss = run([NOI, "bench", *files, "--model-dir", MODELS[model], "--threads", threads,
                       "--decoding", decoding, "--repeat", repeat], env)
    lines = [json.loads(line) for line in out.splitlines()]
    return lines[0]["seconds"], {Path(r["file"]).name: r for r in lines[1:]}, rss


def sherpa(model, threads, repeat, method="greedy_search", files=(), segments=None):
    """sherpa_decode.py: (load seconds, records with "seconds" = accept + decode, peak RSS bytes)."""
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


def mib(rss, target=None):
    return f"{rss / MIB:.0f}" + ("" if target is None or rss <= target * MIB else " **(missed)**")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (fastest is kept)")
    ap.add_argument("--no-build", action="store_true", help="use target/release/noi as it is")
    ap.add_argument("--no-write", action="store_true", help="print the report, leave BENCHMARKS.md")
    ap.add_argument("--max-wait", type=float, default=120, help="s to wait for an idle machine")
    ap.add_argument("--retries", type=int, default=2, help="reruns of a disturbed measurement")
    ap.add_argument("--rounds", type=int, default=2,
                    help="processes per engine for the short clips (alternating; fastest kept)")
    args = ap.parse_args()
    rep = max(args.repeat, 1)
    started = time.time()
    pair = lambda measure: quietly(measure, args.max_wait, args.retries)

    # Inputs: release build, test audio, the 10 s clip and 8 minutes of digital silence.
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "noi-cli"], cwd=ROOT, check=True)
    if not all(p.exists() for p in SHORT + [LONG]):
        subprocess.run([ROOT / "scripts/reference/make_test_audio.sh"], check=True)
    WORK.mkdir(parents=True, exist_ok=True)
    sox = ["sox", "-D", "-R", "-V1"]
    subprocess.run(sox + [AUDIO / f"vi_0{i}.wav" for i in (3, 4, 5)] + [CLIP10], check=True)
    subprocess.run(sox + ["-r", "16000", "-c", "1", "-b", "16", "-n", SILENCE, "trim", "0", "480"],
                   check=True)
    clips = SHORT + [CLIP10]
    info = machine()

    short, long, loads = [], [], []  # result rows
    for model in MODELS:
        for threads in (1, 2):
            for decoding in ("greedy", "beam") if threads == 2 else ("greedy",):
                # 1. short clips, each file decoded in one piece by both engines
                log(f"{model}, {threads} thread(s), {decoding}: short clips")
                method = "greedy_search" if decoding == "greedy" else "modified_beam_search"
                # --rounds alternating processes per engine; per clip the fastest is kept
                rounds, others = pair(lambda: [(noi(model, clips, threads, rep, decoding),
                                                sherpa(model, threads, rep, method, files=clips))
                                               for _ in range(args.rounds)])
                loads += [(model, threads, n[0], s[0]) for n, s in rounds]
                fastest = lambda recs: min(recs, key=lambda r: r["seconds"])
                per = [(Path(r["file"]).name,
                        fastest(n[1][Path(r["file"]).name] for n, _ in rounds),
                        fastest(s[1][i] for _, s in rounds)) for i, r in enumerate(rounds[0][1][1])]
                short.append((model, threads, decoding, per, others))
            # 2. the 8-minute file: noi with its VAD, then sherpa on exactly noi's segments
            log(f"{model}, {threads} thread(s): 8-minute file")
            seg_file = WORK / f"segments_{model}_t{threads}.json"

            def measure_long():
                n = noi(model, [LONG], threads, rep)
                seg_file.write_text(json.dumps([{"wav": str(LONG), "segments": n[1][LONG.name]["segments"]}]))
                return n, sherpa(model, threads, rep, segments=seg_file)

            (n, s), others = pair(measure_long)
            loads.append((model, threads, n[0], s[0]))
            long.append((model, threads, n[1][LONG.name], s[1], n[2], others))

    # 3. memory: a fresh process per engine that decodes only the 10 s clip (M model, 2 threads)
    log("M: peak RSS on the 10 s clip; noi's VAD alone")
    (n, s, py_rss), _ = pair(lambda: (noi("M", [CLIP10], 2, 1), sherpa("M", 2, 1, files=[CLIP10]),
                                      run([PY, "-c", "import numpy, soundfile, sherpa_onnx"])[2]))
    loads.append(("M", 2, n[0], s[0]))
    clip10, noi_rss, sherpa_rss = n[1][CLIP10.name]["duration"], n[2], s[2]
    # What the VAD alone costs noi on 8 minutes (digital silence: no segment to decode).
    vad, vad_others = pair(lambda: noi("30M", [SILENCE], 1, rep)[1][SILENCE.name]["seconds"])
    elapsed = time.time() - started

    # ---- report ----
    cmd = ".venv/bin/python scripts/bench/engine_bench.py" + (f" --repeat {rep}" if rep != 3 else "") \
        + (f" --rounds {args.rounds}" if args.rounds != 2 else "")
    md = [SECTION, "",
          f"`{cmd}` (took {elapsed / 60:.1f} min; {time.strftime('%Y-%m-%d %H:%M %Z')}). Replica "
          "models (random weights, exact size and shape of the real bundles), one process at a "
          f"time, every time the fastest of {rep} runs in a process (short clips: of {args.rounds} "
          f"processes per engine, run alternately, as timings differ by about ±10 % from one "
          f"process to the next even on an idle machine). noi times the whole transcription of a "
          "file (read, resample, VAD for files > 20 s, features, encoder, search); sherpa-onnx "
          "times `accept_waveform` (features) + `decode_stream` (encoder, search) on samples "
          "already in memory, each minimised separately. Ratio = noi / sherpa-onnx, target ≤ 1.00. "
          "\"Others\" is the CPU that other programs on the machine used during the row's "
          "measurement, in % of one core (from /proc/stat): near 0 means an undisturbed figure. "
          "RSS in MiB (2^20 bytes).", "",
          *(f"- {k}: {v}" for k, v in info.items()), ""]

    md += ["### Short clips (each decoded in one piece)", "",
           "| model | threads | search | clips | audio s | noi s | sherpa-onnx s | ratio | same token count | others % |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for model, threads, decoding, per, others in short:
        audio = sum(n["duration"] for _, n, _ in per)
        t_noi, t_sh = sum(n["seconds"] for _, n, _ in per), sum(s["seconds"] for _, _, s in per)
        same = sum(n["tokens"] == len(s["tokens"]) for _, n, s in per)
        md.append(f"| {model} | {threads} | {decoding} | {len(per)} | {audio:.1f} | {t_noi:.3f} | "
                  f"{t_sh:.3f} | {ratio(t_noi, t_sh)} | {same}/{len(per)} | {others} |")
    md += ["", "Per clip, milliseconds noi / sherpa-onnx:", "",
           "| clip | s | " + " | ".join(f"{m} t{t} {d}" for m, t, d, *_ in short) + " |",
           "|---|---|" + "---|" * len(short)]
    for i, (name, n, _) in enumerate(short[0][3]):
        cells = [f"{p[i][1]['seconds'] * 1e3:.0f} / {p[i][2]['seconds'] * 1e3:.0f}" for *_, p, _ in short]
        md.append(f"| {name} | {n['duration']:.2f} | " + " | ".join(cells) + " |")

    md += ["", "### 8-minute file (greedy; sherpa-onnx decodes exactly noi's VAD segments)", "",
           "| model | threads | segments | noi s (RTF) | sherpa-onnx s (RTF) | ratio | same token count | noi peak RSS MiB (≤ 400) | others % |",
           "|---|---|---|---|---|---|---|---|---|"]
    for model, threads, rec, srecs, rss, others in long:
        t_sh, dur = sum(s["seconds"] for s in srecs), rec["duration"]
        same = "yes" if rec["tokens"] == sum(len(s["tokens"]) for s in srecs) else "no"
        md.append(f"| {model} | {threads} | {len(rec['segments'])} | {rec['seconds']:.2f} "
                  f"({rec['seconds'] / dur:.4f}) | {t_sh:.2f} ({t_sh / dur:.4f}) | "
                  f"{ratio(rec['seconds'], t_sh)} | {same} | {mib(rss, 400)} | {others} |")
    md += ["", f"noi's VAD alone (read + Silero VAD over 480 s of digital silence, nothing to decode; "
           f"30M model, 1 thread; others {vad_others} %): {vad:.2f} s. The sherpa-onnx column has no "
           "VAD: it decodes the segments noi found."]

    md += ["", "### Memory and model load", "",
           f"Peak RSS of a fresh process that loads the M model (2 threads) and decodes only the "
           f"{clip10:.2f} s clip once:", "",
           "| process | peak RSS MiB | target |", "|---|---|---|",
           f"| noi (`noi bench clip_10s.wav --repeat 1`) | {mib(noi_rss, 250)} | ≤ 250 |",
           f"| sherpa-onnx (Python, `sherpa_decode.py`) | {mib(sherpa_rss)} | |",
           f"| Python with numpy, soundfile, sherpa_onnx imported, no model | {mib(py_rss)} | |", "",
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
