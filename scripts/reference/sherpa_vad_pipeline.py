#!/usr/bin/env python3
"""Reference long-file pipeline: what a sherpa-onnx (2.0.1) user runs on a long recording.

  .venv/bin/python scripts/reference/sherpa_vad_pipeline.py --model-dir DIR [--threads 1]
      [--vad PATH] [--method greedy_search] WAV

sherpa-onnx's own VoiceActivityDetector (Silero, window 512, max_speech_duration 20 s, the
encoder's limit; other settings sherpa's defaults) followed by its OfflineRecognizer on each
speech segment as the VAD closes it, exactly as sherpa-onnx's examples do. The WAV (16 kHz,
16-bit mono) is read into memory before the clock starts: the time covers the VAD and
decoding only. Prints one JSON line: file, seconds (wall time of VAD + decoding), duration,
segments, tokens, load_seconds (model + VAD creation).
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import sherpa_onnx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sherpa_decode import find_model_file  # noqa: E402  (same model-file naming rules)

ROOT = Path(__file__).resolve().parents[2]
WINDOW = 512


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--method", default="greedy_search")
    ap.add_argument("--vad", default=str(ROOT / "crates/noi-engine/assets/silero_vad.onnx"))
    ap.add_argument("wav")
    args = ap.parse_args()

    data, sr = sf.read(args.wav, dtype="int16", always_2d=True)
    if sr != 16000 or data.shape[1] != 1:
        sys.exit("error: the reference pipeline takes 16 kHz mono WAV")
    samples = np.ascontiguousarray(data[:, 0].astype(np.float32) / 32768)

    t0 = time.perf_counter()
    d = args.model_dir
    rec = sherpa_onnx.OfflineRecognizer.from_transducer(
        encoder=find_model_file(d, "encoder"), decoder=find_model_file(d, "decoder"),
        joiner=find_model_file(d, "joiner"), tokens=str(Path(d) / "tokens.txt"),
        num_threads=args.threads, decoding_method=args.method)
    silero = sherpa_onnx.SileroVadModelConfig(model=args.vad, window_size=WINDOW,
                                              max_speech_duration=20.0)
    vad = sherpa_onnx.VoiceActivityDetector(
        sherpa_onnx.VadModelConfig(silero_vad=silero, sample_rate=16000, num_threads=1),
        buffer_size_in_seconds=60)
    load = time.perf_counter() - t0

    segments = tokens = 0

    def drain():
        nonlocal segments, tokens
        while not vad.empty():
            stream = rec.create_stream()
            stream.accept_waveform(16000, vad.front.samples)
            rec.decode_stream(stream)
            segments += 1
            tokens += len(stream.result.tokens)
            vad.pop()

    t0 = time.perf_counter()
    for at in range(0, len(samples), WINDOW):
        vad.accept_waveform(samples[at:at + WINDOW])
        drain()
    vad.flush()
    drain()
    seconds = time.perf_counter() - t0
    print(json.dumps({"file": args.wav, "seconds": seconds, "duration": len(samples) / 16000,
                      "segments": segments, "tokens": tokens, "load_seconds": load}))


if __name__ == "__main__":
    main()
