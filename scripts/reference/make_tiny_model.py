#!/usr/bin/env python3
"""Build a TINY synthetic offline transducer with the exact ONNX interface of the Vietnamese
Zipformer bundles (see docs/engine.md, "The model bundle"), for fast, exact tests of the Rust
engine.

    .venv/bin/python scripts/reference/make_tiny_model.py [--out-dir crates/noi-engine/tests/data]

Writes OUT/tiny-model/{encoder,decoder,joiner}.onnx + tokens.txt (fp32) and
OUT/tiny-model-int8/{encoder-epoch-12-avg-8.int8,decoder-epoch-12-avg-8,joiner-epoch-12-avg-8.int8}.onnx
+ tokens.txt, whose encoder/joiner use the same DynamicQuantizeLinear + MatMulInteger pattern as the
real int8 files (per-tensor symmetric int8 weights, like onnxruntime's quantize_dynamic).

The graphs mirror the icefall export (opset 13, IR 7):
  encoder: x[N,T,80] -> (x-MU)/SIGMA -> Conv1d(80->H, k=7, s=2) -> tanh -> Conv1d(H->H, k=2, s=2)
           -> Linear(H->D) = encoder_out[N,T',D];  encoder_out_lens = ((x_lens-7)//2+1)//2
           (T' = ((T-7)//2+1)//2 exactly; outputs inside encoder_out_lens never see batch padding).
           Like the real export it fails in onnxruntime for T < 9 (< 1360 samples) and for
           T > 2008 feature frames (> 321359 samples, "20 s"), via an all-zero length table.
  decoder: y[N,2] -> Embedding(clamp(y,0)) * (y>=0) -> grouped Conv1d over the 2 context ids
           -> ReLU -> Linear(D->D) = decoder_out[N,D]       (same ops as the real decoder)
  joiner:  Linear(tanh(encoder_out + decoder_out)) = logit[N,V]
Weights are seeded random, with a hand-wired loudness detector so that digital silence always gives
blank; encoder_out is centred on seeded synthetic "speech"; on the espeak clips of
make_test_audio.sh greedy search emits a token on ~35% of the frames (~30 different pieces, ▁NGÀY most).
Deterministic: same numpy/onnx/kaldi-native-fbank versions -> byte-identical files.
"""
import argparse
import os

import kaldi_native_fbank as knf
import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper, numpy_helper

SEED = 20250420
F, H, D, C = 80, 16, 16, 2  # feature dim, conv channels, joiner dim, context size
GROUPS = 4                  # decoder conv groups (real: 512 channels / 128 groups)
BLANK_BIAS = 28.0
MAX_CONV_FRAMES = 1001      # conv1 outputs (T-7)//2+1 frames; the real model fails past T = 2008
SIL_FEAT = float(np.log(np.finfo(np.float32).eps))  # fbank value of digital silence (-15.94)

# <blk>, <sos/eos>, <unk> then 47 upper-case pieces; "▁" (U+2581) starts a word.
PIECES = ("<blk> <sos/eos> <unk> ▁TÔI ▁LÀ ▁CÓ ▁KHÔNG ▁NGƯỜI ▁VIỆT ▁NAM ▁MỘT ▁HAI ▁BA ▁CỦA ▁VÀ "
          "▁ĐI ▁HÀ ▁NỘI ▁TRỜI ▁ĐẸP ▁NHÀ ▁ĂN ▁PHỞ ▁CHO ▁ĐÃ ▁SẼ ▁ĐƯỢC ▁NÀY ▁KIA ▁RỒI ▁CŨNG ▁HỖ ▁TRỢ "
          "▁LÂU ▁GẠO ▁NGÀY ▁MAI ▁HÔM ▁NƯỚC ▁THÀNH ▁PHỐ ▁ NG A Ư Ờ I ỆT ÁNH Ố").split()
V = len(PIECES)
assert V == 50 and len(set(PIECES)) == V


# ---------------------------------------------------------------- weights + numpy reference
def make_weights():
    rng = np.random.default_rng(SEED)
    n = lambda *shape, s=1.0: (rng.standard_normal(shape) * s).astype(np.float32)
    w = {
        "conv1.w": n(H, F, 7, s=2.0 / np.sqrt(F * 7)), "conv1.b": n(H, s=0.1),
        "conv2.w": n(H, H, 2, s=1.5 / np.sqrt(H * 2)), "conv2.b": n(H, s=0.1),
        "enc_proj.w": n(H, D, s=2.5 / np.sqrt(H)), "enc_proj.b": n(D, s=0.1),
        "embedding": n(V, D, s=1.0),
        "dec_conv.w": n(D, D // GROUPS, C, s=1.0 / np.sqrt(C * D // GROUPS)),
        "dec_proj.w": n(D, D, s=0.5 / np.sqrt(D)), "dec_proj.b": n(D, s=0.1),
        "out.w": n(V, D, s=1.5), "out.b": n(V, s=0.2),
    }
    # Hand-wired "silence detector" in dimension 0, so that blank wins on silence but not on
    # speech: conv1 channel 0 = 3 * (mean normalised log-energy + 1.2) (digital silence is -1.86),
    # averaged over 2 frames by conv2 channel 0, negated into encoder_out[0]; decoder_out[0] = 0;
    # in the joiner only blank looks at dimension 0 (weight 20).
    # The other conv1 channels are made zero-mean over frequency: they see spectral shape, not
    # loudness, so different sounds give different tokens.
    w["conv1.w"] -= w["conv1.w"].mean(axis=1, keepdims=True)
    w["conv1.w"][0], w["conv1.b"][0] = 3.0 / (F * 7), 3.0 * 1.2
    w["conv2.w"][0], w["conv2.b"][0] = 0.0, 0.0
    w["conv2.w"][0, 0] = 0.5
    w["enc_proj.w"][:, 0], w["enc_proj.b"][0] = 0.0, 0.0
    w["enc_proj.w"][0, 0] = -3.0
    w["dec_proj.w"][0], w["dec_proj.b"][0] = 0.0, 0.0
    w["out.w"][:, 0] = 0.0
    w["out.w"][0, 0] = 20.0
    w["out.b"][2] += 1.0  # make <unk> win now and then: tests "<unk> counts as blank"
    return w


def fbank(samples):
    """Features exactly as sherpa-onnx computes them (docs/engine.md, "Features")."""
    o = knf.FbankOptions()
    o.frame_opts.dither = 0.0
    o.frame_opts.snip_edges = False
    o.frame_opts.samp_freq = 16000
    o.mel_opts.num_bins = F
    o.mel_opts.low_freq = 20.0
    o.mel_opts.high_freq = -400.0
    fb = knf.OnlineFbank(o)
    fb.accept_waveform(16000, samples.tolist())
    fb.input_finished()
    return np.array([fb.get_frame(i) for i in range(fb.num_frames_ready)], dtype=np.float32)


def conv1d(x, w, b, stride):  # x [C_in, T], w [C_out, C_in, k] -> [C_out, T_out]
    k = w.shape[2]
    t_out = (x.shape[1] - k) // stride + 1
    cols = np.stack([x[:, i * stride: i * stride + k] for i in range(t_out)])  # [T_out, C_in, k]
    return np.einsum("tck,ock->ot", cols, w) + b[:, None]


def encoder_hidden(w, feats, mu, sigma):  # feats [T, 80] -> [T', H]
    x = ((feats - mu) / sigma).T
    return conv1d(np.tanh(conv1d(x, w["conv1.w"], w["conv1.b"], 2)), w["conv2.w"], w["conv2.b"], 2).T


def encoder(w, feats, mu, sigma):  # feats [T, 80] -> [T', D]
    return encoder_hidden(w, feats, mu, sigma) @ w["enc_proj.w"] + w["enc_proj.b"]


def decoder(w, ctx):  # ctx: sequence of C ids (may contain -1) -> [D]
    e = np.stack([w["embedding"][max(c, 0)] * (c >= 0) for c in ctx]).T  # [D, C]
    g = D // GROUPS
    out = np.concatenate([np.einsum("ck,ock->o", e[i * g:(i + 1) * g], w["dec_conv.w"][i * g:(i + 1) * g])
                          for i in range(GROUPS)])
    return np.maximum(out, 0) @ w["dec_proj.w"].T + w["dec_proj.b"]


def joiner(w, enc, dec):
    return np.tanh(enc + dec) @ w["out.w"].T + w["out.b"]


def synthetic_speech(seconds=30.0, seed=SEED):
    """Seeded speech-like audio: voiced 'syllables' (harmonics of a wandering f0, formant-ish
    random amplitudes) and noise bursts, separated by short digital-silence gaps."""
    rng, sr, out = np.random.default_rng(seed + 1), 16000, []
    while sum(map(len, out)) < seconds * sr:
        n = int(rng.uniform(0.12, 0.35) * sr)
        t = np.arange(n) / sr
        if rng.random() < 0.75:
            f0 = rng.uniform(90, 260) * (1 + 0.2 * t / t[-1] * rng.uniform(-1, 1))
            ph = 2 * np.pi * np.cumsum(f0) / sr
            seg = sum(rng.uniform(0, 1) / k * np.sin(k * ph) for k in range(1, 25) if k * f0.max() < 7500)
        else:
            seg = rng.standard_normal(n) * 0.3
        seg = seg / (np.abs(seg).max() + 1e-9) * rng.uniform(0.05, 0.6) * np.hanning(n)
        out += [seg, np.zeros(int(rng.uniform(0.0, 0.25) * sr) * int(rng.random() < 0.4))]
    return np.round(np.concatenate(out) * 32767).astype(np.int16).astype(np.float32) / 32768


def calibrate(w):
    feats = fbank(synthetic_speech())
    speech = feats[feats.max(axis=1) > SIL_FEAT + 1]
    mu, sigma = float(np.round(speech.mean(), 2)), float(np.round(speech.std(), 2))
    # Centre encoder_out dims 1.. on speech frames and give them std 1.5, so tanh in the joiner
    # does not saturate into one constant pattern (which would emit one token all the time).
    h = encoder_hidden(w, feats, mu, sigma)
    z = h[h[:, 0] > 0] @ w["enc_proj.w"]
    w["enc_proj.w"][:, 1:] *= (1.5 / z[:, 1:].std(axis=0)).astype(np.float32)
    w["enc_proj.b"][1:] = -(h[h[:, 0] > 0] @ w["enc_proj.w"])[:, 1:].mean(axis=0)
    # Blank bias: fixed; with it ~35% of the frames of the espeak test clips emit a token.
    w["out.b"][0] = BLANK_BIAS
    # Blank must win on digital silence for every reachable decoder context.
    enc_sil = encoder(w, np.full((64, F), SIL_FEAT, np.float32), mu, sigma)[0]
    toks = [1] + list(range(3, V))  # anything but blank and <unk> can be emitted
    ctxs = [[-1, 0]] + [[a, b] for a in [0] + toks for b in toks]
    lg = np.stack([joiner(w, enc_sil, decoder(w, c)) for c in ctxs])
    assert (lg[:, 0] - lg[:, 1:].max(axis=1)).min() > 5.0, "silence would not decode to blank"
    return mu, sigma


# ---------------------------------------------------------------- ONNX graphs
def f32(x):
    return np.asarray(x, dtype=np.float32)


def linear(nodes, inits, x, wt, b, out, prefix, int8):
    """out = x @ wt + b (wt [in, out]); int8: onnxruntime quantize_dynamic pattern."""
    if not int8:
        inits += [numpy_helper.from_array(f32(wt), prefix + ".weight"), numpy_helper.from_array(f32(b), prefix + ".bias")]
        nodes += [helper.make_node("MatMul", [x, prefix + ".weight"], [out + "_mm"]),
                  helper.make_node("Add", [out + "_mm", prefix + ".bias"], [out])]
        return
    scale = np.float32(np.abs(wt).max() / 127.0)
    q = np.clip(np.rint(wt / scale), -127, 127).astype(np.int8)
    inits += [numpy_helper.from_array(q, prefix + ".weight_quantized"),
              numpy_helper.from_array(np.array(scale, np.float32), prefix + ".weight_scale"),
              numpy_helper.from_array(np.array(0, np.int8), prefix + ".weight_zero_point"),
              numpy_helper.from_array(f32(b), prefix + ".bias")]
    nodes += [
        helper.make_node("DynamicQuantizeLinear", [x], [x + "_q", x + "_scale", x + "_zp"]),
        helper.make_node("Mul", [x + "_scale", prefix + ".weight_scale"], [out + "_scales"]),
        helper.make_node("MatMulInteger", [x + "_q", prefix + ".weight_quantized", x + "_zp",
                                           prefix + ".weight_zero_point"], [out + "_i32"]),
        helper.make_node("Cast", [out + "_i32"], [out + "_f"], to=TP.FLOAT),
        helper.make_node("Mul", [out + "_f", out + "_scales"], [out + "_mm"]),
        helper.make_node("Add", [out + "_mm", prefix + ".bias"], [out]),
    ]


def save(nodes, inits, inputs, outputs, meta, path):
    g = helper.make_graph(nodes, "tiny", inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="noi-make_tiny_model")
    m.ir_version = 7
    helper.set_model_props(m, meta)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)


def build(w, mu, sigma, out_dir, names, int8):
    os.makedirs(out_dir, exist_ok=True)
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    vi = helper.make_tensor_value_info
    # encoder
    nodes = [
        helper.make_node("Sub", ["x", "mu"], ["x_c"]), helper.make_node("Div", ["x_c", "sigma"], ["x_n"]),
        helper.make_node("Transpose", ["x_n"], ["x_t"], perm=[0, 2, 1]),
        helper.make_node("Conv", ["x_t", "conv1.weight", "conv1.bias"], ["c0"], kernel_shape=[7], strides=[2]),
        # Length limit like the real export (positional encoding baked in for 1000 frames at the
        # 50 Hz stage): add an all-zero table sliced to the conv length; past 2008 feature
        # frames (321359 samples) the slice is too short and broadcasting fails in ONNX Runtime.
        helper.make_node("Shape", ["c0"], ["c0_shape"]),
        helper.make_node("Slice", ["c0_shape", "two1", "three"], ["c0_len"]),
        helper.make_node("Slice", ["pos_table", "zero1", "c0_len"], ["pos"]),
        helper.make_node("Add", ["c0", "pos"], ["c1"]),
        helper.make_node("Tanh", ["c1"], ["c1_t"]),
        helper.make_node("Conv", ["c1_t", "conv2.weight", "conv2.bias"], ["c2"], kernel_shape=[2], strides=[2]),
        helper.make_node("Transpose", ["c2"], ["h"], perm=[0, 2, 1]),
        # encoder_out_lens = ((x_lens - 7) // 2 + 1) // 2
        helper.make_node("Sub", ["x_lens", "seven"], ["l1"]), helper.make_node("Div", ["l1", "two"], ["l2"]),
        helper.make_node("Add", ["l2", "one"], ["l3"]), helper.make_node("Div", ["l3", "two"], ["encoder_out_lens"]),
    ]
    inits = [numpy_helper.from_array(f32(mu), "mu"), numpy_helper.from_array(f32(sigma), "sigma"),
             numpy_helper.from_array(w["conv1.w"], "conv1.weight"), numpy_helper.from_array(w["conv1.b"], "conv1.bias"),
             numpy_helper.from_array(w["conv2.w"], "conv2.weight"), numpy_helper.from_array(w["conv2.b"], "conv2.bias"),
             i64("seven", 7), i64("two", 2), i64("one", 1), i64("two1", [2]), i64("three", [3]), i64("zero1", [0]),
             numpy_helper.from_array(np.zeros(MAX_CONV_FRAMES, np.float32), "pos_table")]
    linear(nodes, inits, "h", w["enc_proj.w"], w["enc_proj.b"], "encoder_out", "encoder_proj", int8)
    meta = {"model_type": "zipformer2", "version": "1", "model_author": "k2-fsa",
            "comment": "non-streaming zipformer2"}
    if int8:
        meta = {"onnx.infer": "onnxruntime.quant", **meta}
    save(nodes, inits, [vi("x", TP.FLOAT, ["N", "T", F]), vi("x_lens", TP.INT64, ["N"])],
         [vi("encoder_out", TP.FLOAT, ["N", "T", D]), vi("encoder_out_lens", TP.INT64, ["N"])],
         meta, os.path.join(out_dir, names[0]))
    # decoder (never quantized, like the real bundles)
    nodes = [
        helper.make_node("Clip", ["y", "zero", ""], ["y_c"]),
        helper.make_node("Gather", ["decoder.embedding.weight", "y_c"], ["emb"]),
        helper.make_node("GreaterOrEqual", ["y", "zero"], ["valid"]),
        helper.make_node("Unsqueeze", ["valid", "axis_last"], ["valid_u"]),
        helper.make_node("Cast", ["valid_u"], ["valid_f"], to=TP.FLOAT),
        helper.make_node("Mul", ["emb", "valid_f"], ["emb_m"]),
        helper.make_node("Transpose", ["emb_m"], ["emb_t"], perm=[0, 2, 1]),
        helper.make_node("Conv", ["emb_t", "decoder.conv.weight"], ["dc"], kernel_shape=[C], group=GROUPS),
        helper.make_node("Transpose", ["dc"], ["dc_t"], perm=[0, 2, 1]),
        helper.make_node("Relu", ["dc_t"], ["dc_r"]),
        helper.make_node("Squeeze", ["dc_r", "axis_one"], ["dc_s"]),
        helper.make_node("Gemm", ["dc_s", "decoder_proj.weight", "decoder_proj.bias"], ["decoder_out"], transB=1),
    ]
    inits = [i64("zero", 0), i64("axis_last", [-1]), i64("axis_one", [1]),
             numpy_helper.from_array(w["embedding"], "decoder.embedding.weight"),
             numpy_helper.from_array(w["dec_conv.w"], "decoder.conv.weight"),
             numpy_helper.from_array(w["dec_proj.w"], "decoder_proj.weight"),
             numpy_helper.from_array(w["dec_proj.b"], "decoder_proj.bias")]
    save(nodes, inits, [vi("y", TP.INT64, ["N", C])], [vi("decoder_out", TP.FLOAT, ["N", D])],
         {"context_size": str(C), "vocab_size": str(V), "blank_id": "0", "unk_id": "0"},
         os.path.join(out_dir, names[1]))
    # joiner
    nodes = [helper.make_node("Add", ["encoder_out", "decoder_out"], ["s"]), helper.make_node("Tanh", ["s"], ["s_t"])]
    inits = []
    linear(nodes, inits, "s_t", w["out.w"].T, w["out.b"], "logit", "output_linear", int8)
    meta = {"joiner_dim": str(D)}
    if int8:
        meta = {"onnx.infer": "onnxruntime.quant", **meta}
    save(nodes, inits, [vi("encoder_out", TP.FLOAT, ["N", D]), vi("decoder_out", TP.FLOAT, ["N", D])],
         [vi("logit", TP.FLOAT, ["N", V])], meta, os.path.join(out_dir, names[2]))
    with open(os.path.join(out_dir, "tokens.txt"), "w", encoding="utf-8") as f:
        f.writelines(f"{p} {i}\n" for i, p in enumerate(PIECES))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(here, "../../crates/noi-engine/tests/data"))
    args = ap.parse_args()
    w = make_weights()
    mu, sigma = calibrate(w)
    print(f"mu={mu} sigma={sigma}")
    build(w, mu, sigma, os.path.join(args.out_dir, "tiny-model"), ["encoder.onnx", "decoder.onnx", "joiner.onnx"], False)
    build(w, mu, sigma, os.path.join(args.out_dir, "tiny-model-int8"),
          ["encoder-epoch-12-avg-8.int8.onnx", "decoder-epoch-12-avg-8.onnx", "joiner-epoch-12-avg-8.int8.onnx"], True)


if __name__ == "__main__":
    main()
