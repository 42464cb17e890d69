#!/usr/bin/env python3
"""Cross-check sherpa-onnx against an independent numpy re-implementation on the tiny models.

    .venv/bin/python scripts/reference/check_tiny_model.py [WAV ...]   (default: testdata/audio/*.wav)

For every 16 kHz WAV (other rates are skipped: sherpa resamples them internally), whole (<= 20 s)
and as a 4 s cut starting mid-speech, it computes kaldi-native-fbank features (no padding of any
kind), runs the tiny encoder in numpy (make_tiny_model.py), then greedy search and modified beam
search (beam 4) as described in docs/engine.md ("Decoding"), and compares token ids, timestamps
and ys_log_probs with sherpa_onnx.OfflineRecognizer. Both tiny-model (fp32) and tiny-model-int8
are checked; the int8 one emulates onnxruntime's DynamicQuantizeLinear + MatMulInteger, so it
only agrees if the joiner is run ONCE per frame on all beam hypotheses together (the activation
scale is per call).
Agreement shows sherpa-onnx does exactly "fbank -> encoder -> search". Exit status 1 on mismatch.
"""
import glob
import math
import os
import sys

import numpy as np
import sherpa_onnx
import soundfile as sf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the repo
import make_tiny_model as tm  # noqa: E402

DATA = os.path.join(HERE, "../../crates/noi-engine/tests/data")
UNK, BEAM = 2, 4


def log_softmax(x):  # float32, the way sherpa-onnx's LogSoftmax does it
    x = x.astype(np.float32)
    m = x.max()
    return x - np.float32(m + np.log(np.exp(x - m).sum(dtype=np.float32)))


def linear_int8(x, wt, b):
    """onnxruntime: DynamicQuantizeLinear(x) (uint8, per call) x per-tensor int8 weights."""
    scale_w = np.float32(np.abs(wt).max() / 127.0)
    qw = np.clip(np.rint(wt / scale_w), -127, 127).astype(np.int32)
    lo, hi = min(0.0, float(x.min())), max(0.0, float(x.max()))
    scale_x = np.float32((hi - lo) / 255.0)
    zp = int(np.clip(np.rint(-lo / scale_x), 0, 255))
    qx = np.clip(np.rint(x / scale_x) + zp, 0, 255).astype(np.int32)
    return ((qx - zp) @ qw).astype(np.float32) * np.float32(scale_x * scale_w) + b


class Tiny:
    def __init__(self, int8):
        self.w = tm.make_weights()
        self.mu, self.sigma = tm.calibrate(self.w)
        self.int8 = int8

    def encoder(self, feats):
        h = tm.encoder_hidden(self.w, feats, self.mu, self.sigma)
        if self.int8:
            return linear_int8(h, self.w["enc_proj.w"], self.w["enc_proj.b"])
        return h @ self.w["enc_proj.w"] + self.w["enc_proj.b"]

    def joiner(self, enc, dec):  # [n, D] x [n, D] -> [n, V], ONE call for all n rows
        s = np.tanh(enc + dec)
        if self.int8:
            return linear_int8(s, self.w["out.w"].T, self.w["out.b"])
        return s @ self.w["out.w"].T + self.w["out.b"]

    def decoder(self, ctx):
        return tm.decoder(self.w, ctx)


def greedy(m, enc):
    ctx, ids, ts, lp = [-1, 0], [], [], []
    dec = m.decoder(ctx)
    for t in range(len(enc)):
        logp = log_softmax(m.joiner(enc[t][None], dec[None])[0])
        y = int(np.argmax(logp))
        if y not in (0, UNK):  # <unk> counts as blank
            ids.append(y), ts.append(t), lp.append(float(logp[y]))
            ctx = ctx[1:] + [y]
            dec = m.decoder(ctx)
    return ids, ts, lp


def beam_search(m, enc):
    # hyp: key -> [ys (with the [-1, 0] context), log_prob, timestamps, ys_probs]
    hyps = {(-1, 0): [[-1, 0], 0.0, [], []]}
    for t in range(len(enc)):
        prev = list(hyps.values())
        decs = np.stack([m.decoder(h[0][-2:]) for h in prev])
        logits = m.joiner(np.repeat(enc[t][None], len(prev), axis=0), decs)
        flat = np.stack([log_softmax(lg) + np.float32(h[1]) for lg, h in zip(logits, prev)]).astype(np.float32).reshape(-1)
        hyps = {}
        for k in np.argsort(-flat, kind="stable")[:BEAM]:  # top-k over hyps x vocab
            h, y = prev[k // tm.V], int(k % tm.V)
            ys, ts, probs = list(h[0]), list(h[2]), list(h[3])
            if y not in (0, UNK):
                ys, ts, probs = ys + [y], ts + [t], probs + [float(flat[k]) - h[1]]
            key, lp = tuple(ys), float(flat[k])
            if key in hyps:  # identical token sequences merge by log-add (first one's fields kept)
                a = hyps[key][1]
                hyps[key][1] = max(a, lp) + math.log1p(math.exp(-abs(a - lp)))
            else:
                hyps[key] = [ys, lp, ts, probs]
    best = max(hyps.values(), key=lambda h: h[1] / len(h[0]))  # length-normalised, context counted
    return best[0][2:], best[2], best[3]


def check(recs, model, tok_id, name, x):
    bad = 0
    enc = model.encoder(tm.fbank(x))
    for method, fn in (("greedy_search", greedy), ("modified_beam_search", beam_search)):
        s = recs[method].create_stream()
        s.accept_waveform(16000, x)
        recs[method].decode_stream(s)
        r = s.result
        ids, ts, lp = fn(model, enc)
        got = [tok_id[t] for t in r.tokens]
        # timestamps are float32: 0.04f * frame, computed in float. The int8 emulation is not
        # bit-exact with onnxruntime's kernels (rare 1-step quantisation differences), hence the
        # looser log-prob tolerance there; ids and timestamps must match exactly.
        ok = (got == ids and np.array_equal(np.float32(r.timestamps), np.float32(0.04) * np.array(ts, np.float32))
              and np.allclose(r.ys_log_probs, lp, atol=0.05 if model.int8 else 2e-4))
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name:18s} {method:20s} {len(enc):4d} frames {len(ids):4d} tokens")
        if not ok:
            print("   sherpa:", got, list(r.timestamps)[:8], list(r.ys_log_probs)[:4])
            print("   numpy: ", ids, ts[:8], lp[:4])
    return bad


def main():
    wavs = sys.argv[1:] or sorted(glob.glob(os.path.join(HERE, "../../testdata/audio/*.wav")))
    bad = 0
    for variant, names, int8 in (("tiny-model", ("encoder", "decoder", "joiner"), False),
                                 ("tiny-model-int8", ("encoder-epoch-12-avg-8.int8", "decoder-epoch-12-avg-8",
                                                      "joiner-epoch-12-avg-8.int8"), True)):
        d = os.path.join(DATA, variant)
        print(f"== {variant}")
        model = Tiny(int8)
        tok_id = {}
        for line in open(os.path.join(d, "tokens.txt"), encoding="utf-8"):
            sym, i = line.split()
            tok_id[(" " + sym[1:]) if sym.startswith("\u2581") else sym] = int(i)  # as sherpa reports pieces
        recs = {m: sherpa_onnx.OfflineRecognizer.from_transducer(
            *(os.path.join(d, n + ".onnx") for n in names), tokens=os.path.join(d, "tokens.txt"),
            num_threads=1, decoding_method=m, max_active_paths=BEAM) for m in ("greedy_search", "modified_beam_search")}
        for path in wavs:
            data, sr = sf.read(path, dtype="int16", always_2d=True)
            if sr != 16000:
                print(f"skip {os.path.basename(path)} ({sr} Hz)")
                continue
            x = data.astype(np.float32) / 32768
            x = x[:, 0] if x.shape[1] == 1 else np.mean(x, axis=1, dtype=np.float32)
            # whole clip (<= 20 s) and a 4 s cut starting mid-speech, where the initial decoder
            # context, <unk> handling and the beam's final pick all make a difference
            n3 = len(x) // 3
            for name, xx in ((os.path.basename(path), x[: 20 * 16000]), ("  cut", x[n3: n3 + 64000])):
                bad += check(recs, model, tok_id, name, xx)
    print("ALL OK" if not bad else f"{bad} MISMATCHES")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
