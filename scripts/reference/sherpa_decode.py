#!/usr/bin/env python3
"""Reference decoder: run sherpa-onnx (2.0.1) offline transducer decoding and print JSON lines.

  .venv/bin/python scripts/reference/sherpa_decode.py --model-dir DIR [--method greedy_search|
      modified_beam_search] [--beam 4] [--threads 1] [--repeat K] [--batch]
      [--hotwords-file F --bpe-vocab V [--hotwords-score 1.5]] (WAV ... | --segments F.json)

Model files are found by sherpa naming ({encoder,decoder,joiner}[-epoch-..-avg-..][.int8].onnx,
int8 preferred unless --fp32) next to tokens.txt. WAVs must be 16-bit PCM: samples are
int16 / 32768 as float32, channels averaged in float32, and passed to accept_waveform with the
file's own sample rate (sherpa-onnx resamples anything that is not 16 kHz itself).
--segments takes a JSON list of {"wav": path, "segments": [[start_sample, end_sample], ...]}
(sample indices of the file, end exclusive); each segment is decoded as its own stream.
--hotwords-file (modified_beam_search only) biases the search towards its phrases, which
sherpa-onnx splits into pieces with --bpe-vocab ("piece score" lines, as spm_train's .vocab;
make_hotword_models.py writes one) and modeling_unit "bpe".

One JSON object per input (per segment) on stdout: file, segment, text, tokens (as sherpa gives
them: a leading "▁" is a space), token_ids, timestamps (s, float32), ys_log_probs (log-softmax
of each emitted token, both methods), durations/words/lang when sherpa fills them, num_samples,
sample_rate, decode_seconds (wall time of decode_stream(s) only, min over --repeat runs; with
--batch the time of the whole batch) and accept_seconds (create_stream + accept_waveform, where
sherpa resamples and computes fbank). Errors go to stderr plus a JSON line with "error"; the
exit status is 1 if any input failed. stderr also gets "# load_seconds: S", the wall time of
OfflineRecognizer.from_transducer (model load), for the benchmark.
"""
import argparse
import glob
import json
import os
import sys
import time

import numpy as np
import soundfile as sf
import sherpa_onnx


def find_model_file(model_dir, part, prefer_int8=True):
    """encoder/decoder/joiner file in sherpa naming; int8 first unless prefer_int8 is False."""
    cands = sorted(glob.glob(os.path.join(model_dir, f"{part}*.onnx")))
    if not cands:
        sys.exit(f"error: no {part}*.onnx in {model_dir}")
    int8 = [c for c in cands if c.endswith(".int8.onnx")]
    fp32 = [c for c in cands if not c.endswith(".int8.onnx")]
    pick = (int8 or fp32) if prefer_int8 else (fp32 or int8)
    if len(pick) > 1:
        sys.exit(f"error: ambiguous {part} files in {model_dir}: {pick}")
    return pick[0]


def read_wav(path):
    """int16 PCM -> float32 in [-1, 1), mono (mean of channels in float32), sample rate."""
    info = sf.info(path)
    if info.subtype != "PCM_16":
        raise ValueError(f"{path}: only 16-bit PCM WAV is supported (got {info.subtype})")
    data, sr = sf.read(path, dtype="int16", always_2d=True)
    samples = data.astype(np.float32) / 32768
    samples = samples[:, 0] if samples.shape[1] == 1 else np.mean(samples, axis=1, dtype=np.float32)
    return np.ascontiguousarray(samples, dtype=np.float32), sr


def load_jobs(args):
    """List of (file, segment or None, samples, sample_rate)."""
    jobs = []
    if args.segments:
        with open(args.segments, encoding="utf-8") as f:
            spec = json.load(f)
        for item in spec:
            samples, sr = read_wav(item["wav"])
            for s, e in item["segments"]:
                if not 0 <= s < e <= len(samples):
                    raise ValueError(f"{item['wav']}: bad segment [{s}, {e}] (file has {len(samples)} samples)")
                jobs.append((item["wav"], [s, e], samples[s:e], sr))
    for path in args.wavs:
        samples, sr = read_wav(path)
        jobs.append((path, None, samples, sr))
    return jobs


def result_json(job, res, token_ids, seconds, batch_size):
    path, seg, samples, sr = job
    out = {"file": path}
    if seg is not None:
        out["segment"] = seg
    out["text"] = res.text
    out["tokens"] = list(res.tokens)
    out["token_ids"] = [token_ids.get(t) for t in res.tokens]
    out["timestamps"] = list(res.timestamps)  # float32 values: 0.04f * frame in float
    out["ys_log_probs"] = list(res.ys_log_probs)
    for extra in ("durations", "words", "lang", "emotion", "event"):  # only when sherpa sets them
        v = getattr(res, extra, None)
        if v:
            out[extra] = list(v) if not isinstance(v, str) else v
    out.update(num_samples=len(samples), sample_rate=sr, decode_seconds=round(seconds, 6))
    if batch_size > 1:
        out["batch_size"] = batch_size
    return out


def hotword_options(args):
    """from_transducer's hotword arguments (none without --hotwords-file)."""
    if not args.hotwords_file:
        return {}
    return dict(hotwords_file=args.hotwords_file, hotwords_score=args.hotwords_score,
                modeling_unit="bpe", bpe_vocab=args.bpe_vocab)


def main():
    ap = argparse.ArgumentParser(description="sherpa-onnx offline transducer reference decoder")
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--method", default="greedy_search", choices=["greedy_search", "modified_beam_search"])
    ap.add_argument("--beam", type=int, default=4, help="max active paths (modified_beam_search)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="decode K times, report the minimum time")
    ap.add_argument("--batch", action="store_true", help="decode all inputs with one decode_streams call")
    ap.add_argument("--fp32", action="store_true", help="prefer non-int8 model files")
    ap.add_argument("--segments", help="JSON list of {wav, segments: [[start, end], ...]}")
    ap.add_argument("--hotwords-file", default="", help="one phrase per line, optional ':SCORE' last")
    ap.add_argument("--hotwords-score", type=float, default=1.5)
    ap.add_argument("--bpe-vocab", default="", help="piece<TAB>score lines (needed by --hotwords-file)")
    ap.add_argument("wavs", nargs="*")
    args = ap.parse_args()
    if not args.wavs and not args.segments:
        ap.error("give WAV files and/or --segments")
    if args.hotwords_file and (args.method != "modified_beam_search" or not args.bpe_vocab):
        ap.error("--hotwords-file needs --method modified_beam_search and --bpe-vocab")

    try:  # read and check every input before loading the model
        jobs = load_jobs(args)
    except Exception as e:  # missing/unreadable WAV, bad JSON, bad segment
        sys.exit(f"error: {type(e).__name__}: {e}")

    d = args.model_dir
    files = {p: find_model_file(d, p, not args.fp32) for p in ("encoder", "decoder", "joiner")}
    tokens = os.path.join(d, "tokens.txt")
    print(f"# model: {json.dumps({k: os.path.basename(v) for k, v in files.items()})}", file=sys.stderr)
    t0 = time.perf_counter()
    rec = sherpa_onnx.OfflineRecognizer.from_transducer(
        encoder=files["encoder"], decoder=files["decoder"], joiner=files["joiner"], tokens=tokens,
        num_threads=args.threads, decoding_method=args.method, max_active_paths=args.beam,
        **hotword_options(args))
    print(f"# load_seconds: {time.perf_counter() - t0:.6f}", file=sys.stderr, flush=True)
    # sherpa-onnx reports pieces with a leading "▁" turned into a space (SymbolTable::Init); map
    # them back to ids the same way.
    token_ids = {}
    with open(tokens, encoding="utf-8") as f:
        for sym, i in (line.split() for line in f if line.strip()):
            token_ids[" " + sym[1:] if sym.startswith("\u2581") else sym] = int(i)


    def decode(group):
        """Decode the jobs in group (one decode_streams call if >1); min time over --repeat."""
        best, best_accept, streams = float("inf"), float("inf"), None
        for _ in range(args.repeat):
            streams = []
            t0 = time.perf_counter()
            for _, _, samples, sr in group:
                s = rec.create_stream()
                s.accept_waveform(sr, samples)  # resampling + fbank happen here, eagerly
                streams.append(s)
            t1 = time.perf_counter()
            if len(streams) == 1:
                rec.decode_stream(streams[0])
            else:
                rec.decode_streams(streams)
            best = min(best, time.perf_counter() - t1)
            best_accept = min(best_accept, t1 - t0)
        return [s.result for s in streams], best, best_accept

    failed = False
    groups = [jobs] if args.batch else [[j] for j in jobs]
    for group in groups:
        try:
            results, seconds, accept_seconds = decode(group)
        except Exception as e:  # sherpa/onnxruntime errors surface as RuntimeError
            failed = True
            for path, seg, samples, _ in group:
                msg = f"{type(e).__name__}: {e}".strip()
                print(f"error: {path} {seg or ''} ({len(samples)} samples): {msg}", file=sys.stderr)
                print(json.dumps({"file": path, "segment": seg, "num_samples": len(samples), "error": msg},
                                 ensure_ascii=False), flush=True)
            continue
        for job, res in zip(group, results):
            out = result_json(job, res, token_ids, seconds, len(group))
            out["accept_seconds"] = round(accept_seconds, 6)
            print(json.dumps(out, ensure_ascii=False), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
