#!/usr/bin/env python3
"""Write golden fbank matrices for noi-engine's `features` module.

The reference is the PyPI package `kaldi-native-fbank`, the library sherpa-onnx uses, configured
the way sherpa-onnx's OfflineStream configures it (see docs/engine.md, "Features"). For every
clip this writes `<name>.wav` (16 kHz mono PCM16, the exact input both sides read) and `<name>.fbank` into
crates/noi-engine/tests/data/fbank/, so the Rust test needs no Python.

`.fbank` layout, little endian: the 8 bytes b"NOIFBANK", u32 num_frames, u32 num_bins, then
num_frames * num_bins f32 values, row major (frame by frame).

knf (1.23) computes its FFT with kissfft in f32, so in mel bins 80 dB or more below a frame's
loudest its output carries rounding noise of a few 1e-3 in the log; the Rust test allows for that
on the hard-clipped clip only (see tests/fbank_golden.rs).

Run from anywhere:  .venv/bin/python scripts/reference/make_fbank_goldens.py
Needs espeak-ng and sox on PATH.
"""

import math
import struct
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import kaldi_native_fbank as knf
import numpy as np

REPO = Path(__file__).resolve().parents[2]
OUT_DIR = REPO / "crates" / "noi-engine" / "tests" / "data" / "fbank"
SAMPLE_RATE = 16000
MAX_SECONDS = 3.0


def sherpa_fbank_options() -> knf.FbankOptions:
    """The options sherpa-onnx's OfflineStream sets (FeatureExtractorConfig defaults)."""
    opts = knf.FbankOptions()
    opts.frame_opts.samp_freq = SAMPLE_RATE
    opts.frame_opts.frame_length_ms = 25.0
    opts.frame_opts.frame_shift_ms = 10.0
    # knf's own default is 3e-5; sherpa-onnx sets 0, and dither would make goldens random.
    opts.frame_opts.dither = 0.0
    opts.frame_opts.snip_edges = False
    opts.frame_opts.remove_dc_offset = True
    opts.frame_opts.preemph_coeff = 0.97
    opts.frame_opts.window_type = "povey"
    opts.frame_opts.round_to_power_of_two = True
    opts.mel_opts.num_bins = 80
    opts.mel_opts.low_freq = 20.0
    opts.mel_opts.high_freq = -400.0
    opts.mel_opts.is_librosa = False
    opts.use_energy = False
    opts.use_log_fbank = True
    opts.use_power = True
    return opts


def compute_fbank(samples: np.ndarray) -> np.ndarray:
    """All samples at once, then input_finished(): what sherpa-onnx does for an offline stream."""
    fbank = knf.OnlineFbank(sherpa_fbank_options())
    fbank.accept_waveform(SAMPLE_RATE, samples.astype(np.float32))
    fbank.input_finished()
    frames = [fbank.get_frame(i) for i in range(fbank.num_frames_ready)]
    if not frames:
        return np.zeros((0, 80), dtype=np.float32)
    return np.stack(frames).astype(np.float32)


def run(*cmd: str) -> None:
    subprocess.run(cmd, check=True)


def espeak_16k(text: str, out: Path, tmp: Path, via_8k: bool = False) -> None:
    """espeak-ng speaks at 22050 Hz; sox brings it to 16 kHz (optionally through 8 kHz).

    sox -R seeds its dither with a fixed number so reruns give identical WAVs; -V1 keeps its
    harmless clipping/trim warnings quiet.
    """
    raw = tmp / "espeak.wav"
    run("espeak-ng", "-v", "vi", "-w", str(raw), text)
    src = raw
    if via_8k:
        narrow = tmp / "narrow8k.wav"
        run("sox", "-V1", "-R", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(narrow))
        src = narrow
    run("sox", "-V1", "-R", str(src), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16",
        str(out), "trim", "0", str(MAX_SECONDS))


def read_pcm16(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert w.getframerate() == SAMPLE_RATE, path
        assert w.getnchannels() == 1 and w.getsampwidth() == 2, path
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def write_pcm16(path: Path, pcm: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.astype("<i2").tobytes())


def silence_and_clipping() -> np.ndarray:
    """Digital silence, a DC step, a hard-clipped loud chirp, silence again: the log floor,
    DC removal and saturated input in one clip."""
    sr = SAMPLE_RATE
    silence = np.zeros(sr // 2)
    dc = np.full(sr // 4, 1000.0)
    t = np.arange(sr // 2) / sr
    chirp = 3.0 * 32767 * np.sin(2 * math.pi * (200 * t + 3000 * t * t))
    tail = np.zeros(sr // 4)
    pcm = np.concatenate([silence, dc, chirp, tail])
    return np.clip(np.round(pcm), -32768, 32767).astype(np.int16)


def write_golden(path: Path, feats: np.ndarray) -> None:
    rows, cols = feats.shape
    with open(path, "wb") as f:
        f.write(b"NOIFBANK")
        f.write(struct.pack("<II", rows, cols))
        f.write(feats.astype("<f4").tobytes())


def make_clips(tmp: Path) -> list[str]:
    """Write every input WAV into OUT_DIR and return the clip names."""
    speech = OUT_DIR / "vi_speech.wav"
    espeak_16k("Xin chào, hôm nay trời đẹp quá, chúng ta đi dạo nhé.", speech, tmp)

    narrowband = OUT_DIR / "vi_8k_upsampled.wav"
    espeak_16k("Một hai ba bốn năm, điện thoại tám ki lô héc.", narrowband, tmp, via_8k=True)

    pcm = read_pcm16(speech)
    voiced = int(np.argmax(np.abs(pcm)))  # somewhere loud, so the short clips are not silence
    start = max(0, voiced - 150)
    # 300 samples: two frames, each reaching past one end of the signal.
    write_pcm16(OUT_DIR / "short_300.wav", pcm[start:start + 300])
    # 100 samples: one frame that needs repeated reflection (past both ends).
    write_pcm16(OUT_DIR / "tiny_100.wav", pcm[start:start + 100])

    write_pcm16(OUT_DIR / "silence_clipping.wav", silence_and_clipping())
    return ["vi_speech", "vi_8k_upsampled", "short_300", "tiny_100", "silence_clipping"]


def main() -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        names = make_clips(Path(tmp))
    for name in names:
        pcm = read_pcm16(OUT_DIR / f"{name}.wav")
        # Same scaling as the engine: int16 / 32768 into [-1, 1).
        feats = compute_fbank(pcm.astype(np.float32) / 32768.0)
        expected_frames = (len(pcm) + 80) // 160
        assert feats.shape == (expected_frames, 80), (name, feats.shape)
        write_golden(OUT_DIR / f"{name}.fbank", feats)
        print(f"{name}: {len(pcm)} samples -> {feats.shape[0]} frames")
    return 0


if __name__ == "__main__":
    sys.exit(main())
