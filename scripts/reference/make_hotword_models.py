#!/usr/bin/env python3
"""SentencePiece BPE models and goldens for the hotword tests (python `sentencepiece` is the
reference encoder; `ssentencepiece` is the encoder sherpa-onnx 2.0.1 itself uses for hotwords).

  .venv/bin/python scripts/reference/make_hotword_models.py goldens
      -> crates/noi-engine/tests/data/hotwords/ (committed): vi-bpe.model, vi-bpe.vocab (BPE
         trained on upper-case Vietnamese), tiny-bpe.model (pieces = the tiny model's tokens.txt)
         and encoding.json (phrases as users type them -> sentencepiece's pieces).
  .venv/bin/python scripts/reference/make_hotword_models.py from-tokens --tokens T --out DIR
      -> DIR/bpe.model whose first pieces are exactly tokens.txt (ids equal; see digit_helpers
         for the extra pieces after them), and DIR/bpe.vocab, the
         "piece<TAB>score" list sherpa-onnx's --bpe-vocab reads. Used for the replica models,
         whose folder is read-only and has no bpe.model.
  .venv/bin/python scripts/reference/make_hotword_models.py encode --model M [--vocab V] PHRASE...
      -> one JSON line per phrase: {"phrase", "pieces" (sentencepiece), "ssp" (ssentencepiece,
         encoded word by word as sherpa-onnx does, when --vocab is given)}

Phrases are normalised as the engine does before encoding: NFC, then upper case (the
vocabularies are upper case). Everything is deterministic.
"""
import argparse
import json
import os
import sys
import tempfile
import unicodedata

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GOLDEN_DIR = os.path.join(ROOT, "crates", "noi-engine", "tests", "data", "hotwords")
TINY_TOKENS = os.path.join(ROOT, "crates", "noi-engine", "tests", "data", "tiny-model", "tokens.txt")

# The espeak-ng sentences of make_test_audio.sh plus a few more, for the training corpus.
CORPUS = [
    "Hôm nay trời đẹp quá, chúng ta cùng nhau đi dạo trong công viên nhé.",
    "Tôi đang học cách lập trình một ứng dụng nhận dạng giọng nói tiếng Việt.",
    "Mẹ tôi thường nấu phở bò vào mỗi buổi sáng chủ nhật.",
    "Thành phố Hồ Chí Minh là trung tâm kinh tế lớn nhất của cả nước.",
    "Xin vui lòng gửi cho tôi bản báo cáo trước năm giờ chiều thứ sáu.",
    "Những cánh đồng lúa chín vàng trải dài tít tắp đến tận chân trời.",
    "Anh ấy đã đặt vé máy bay đi Đà Nẵng vào tuần sau, rồi sẽ ghé thăm Hội An và cố đô Huế.",
    "Cuộc họp sáng nay bàn về kế hoạch phát triển sản phẩm mới trong quý tới.",
    "Bà ngoại kể cho các cháu nghe chuyện cổ tích về cây khế và con chim thần.",
    "Hà Nội vào mùa thu có gió heo may và hương hoa sữa thoang thoảng khắp phố phường.",
    "Chúng tôi cần mua thêm rau, thịt, cá và một ít trái cây cho bữa tối.",
    "Giáo sư đã giải thích rất rõ ràng những khái niệm khó hiểu trong bài giảng.",
    "Đường phố đông đúc xe máy vào giờ cao điểm buổi chiều, ai cũng vội vã trở về nhà.",
    "Ngày mai tôi sẽ gọi điện thoại cho bác sĩ để hỏi về kết quả xét nghiệm.",
    "Con mèo nhỏ nằm ngủ say sưa bên cửa sổ đầy nắng, thỉnh thoảng lại vẫy đuôi.",
    "Việt Nam có hơn một trăm triệu dân và năm mươi tư dân tộc anh em.",
    "Rồi cũng hỗ trợ cho lâu lâu cũng cho gạo cho này kia.",
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý.",
    "Nghiêng ngả khuya khoắt nghệ thuật nguyên tắc quyết định thuyết phục.",
]

# Phrases as a user would type them: mixed case, decomposed (NFD) tone marks, extra spaces.
PHRASES = [
    "xin chào",
    "Hà Nội",
    "thành phố Hồ Chí Minh",
    "NGÀY MAI",
    unicodedata.normalize("NFD", "Đà Nẵng"),
    unicodedata.normalize("NFD", "nghiêng ngả"),
    "  quyết   định  ",
    "khuya khoắt",
    "Nguyễn Trần",
    "thuyết phục",
    "phở bò",
    "điện thoại",
    "a",
    "ương",
    "xét nghiệm",
    "Huế",
    "giọng nói tiếng Việt",
    "ZOO QUIZ",  # Z and Q are unseen or rare: unknown characters
]


def normalise(phrase):
    """What the engine does before encoding: NFC, upper case, NFC again."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", phrase).upper())


def corpus_text():
    keep = lambda ch: ch.isalpha() or ch.isspace()
    return ["".join(ch for ch in normalise(s) if keep(ch)).strip() for s in CORPUS]


def train(prefix, vocab_size):
    """A SentencePiece BPE model trained the way icefall trains its bpe.model."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write("\n".join(corpus_text()) + "\n")
        spm.SentencePieceTrainer.train(
            input=corpus, model_prefix=prefix, vocab_size=vocab_size, model_type="bpe",
            character_coverage=1.0, user_defined_symbols=["<blk>", "<sos/eos>"], unk_id=2,
            bos_id=-1, eos_id=-1, hard_vocab_limit=False, num_threads=1, minloglevel=2)


def read_tokens(path):
    pieces = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                piece, i = line.rstrip("\n").rsplit(maxsplit=1)
                pieces[int(i)] = piece
    return [pieces[i] for i in range(len(pieces))]


def from_tokens(tokens_path, out_model, out_vocab=None):
    """A bpe.model whose pieces are tokens.txt, id for id. Scores fall with the id (-id), as a
    BPE model ranks its merges; <blk> and <sos/eos> are user-defined, <unk> unknown, as in
    icefall's bpe.model. The normaliser comes from a trained model (nmt_nfkc)."""
    with tempfile.TemporaryDirectory() as tmp:
        train(os.path.join(tmp, "base"), 120)
        proto = pb.ModelProto()
        with open(os.path.join(tmp, "base.model"), "rb") as f:
            proto.ParseFromString(f.read())
    del proto.pieces[:]
    kinds = {"<blk>": pb.ModelProto.SentencePiece.USER_DEFINED,
             "<sos/eos>": pb.ModelProto.SentencePiece.USER_DEFINED,
             "<unk>": pb.ModelProto.SentencePiece.UNKNOWN}
    tokens = read_tokens(tokens_path)
    for i, piece in enumerate(tokens):
        p = proto.pieces.add()
        p.piece = piece
        p.score = -float(i)
        p.type = kinds.get(piece, pb.ModelProto.SentencePiece.NORMAL)
    for i, helper in enumerate(digit_helpers(tokens)):
        p = proto.pieces.add()
        p.piece = helper
        p.score = -float(len(tokens) + i)
        p.type = pb.ModelProto.SentencePiece.NORMAL
    proto.trainer_spec.vocab_size = len(proto.pieces)
    with open(out_model, "wb") as f:
        f.write(proto.SerializeToString())
    if out_vocab:
        write_vocab(out_model, out_vocab)


def digit_helpers(tokens):
    """The replicas' made-up tokens.txt has pieces like "▁MUỐN169": a word plus digits. BPE can
    only form them through intermediate pieces, so the model gets the digit strings ("1",
    "16", "169") as extra pieces after the real ones (ids past tokens.txt, lowest scores).
    Those are what the random replicas emit, so only such hotwords change their output."""
    known, helpers = set(tokens), []
    for piece in tokens:
        digits = piece[len(piece.rstrip("0123456789")):]
        for end in range(1, len(digits) + 1):
            for start in range(end):
                d = digits[start:end]
                if d not in known:
                    known.add(d)
                    helpers.append(d)
    return helpers


def write_vocab(model, out_vocab):
    """sherpa-onnx's --bpe-vocab format: "piece<TAB>score" per line (what spm_train writes)."""
    proto = pb.ModelProto()
    with open(model, "rb") as f:
        proto.ParseFromString(f.read())
    with open(out_vocab, "w", encoding="utf-8") as f:
        for p in proto.pieces:
            f.write(f"{p.piece}\t{p.score:g}\n")


def encode(model, phrases, vocab=None):
    sp = spm.SentencePieceProcessor(model_file=model)
    ssp = None
    if vocab:
        from ssentencepiece import Ssentencepiece
        ssp = Ssentencepiece(vocab)
    out = []
    for phrase in phrases:
        text = normalise(phrase)
        item = {"phrase": phrase, "pieces": sp.encode(text, out_type=str)}
        if ssp is not None:  # sherpa-onnx encodes each word on its own
            item["ssp"] = [p for w in text.split() for p in ssp.encode(w, out_type=str)]
        out.append(item)
    return out


def goldens():
    os.makedirs(GOLDEN_DIR, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        train(os.path.join(tmp, "vi-bpe"), 300)
        for ext in ("model", "vocab"):
            os.replace(os.path.join(tmp, f"vi-bpe.{ext}"), os.path.join(GOLDEN_DIR, f"vi-bpe.{ext}"))
    vi = os.path.join(GOLDEN_DIR, "vi-bpe.model")
    tiny = os.path.join(GOLDEN_DIR, "tiny-bpe.model")
    from_tokens(TINY_TOKENS, tiny)
    tiny_phrases = ["Hà Nội", "thành phố", "ngày mai", "Việt Nam", "phở", "người việt", "trời đẹp"]
    golden = {
        "generator": "scripts/reference/make_hotword_models.py goldens",
        "sentencepiece": spm.__version__,
        "models": {
            "vi-bpe.model": encode(vi, PHRASES),
            "tiny-bpe.model": encode(tiny, tiny_phrases),
        },
    }
    with open(os.path.join(GOLDEN_DIR, "encoding.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {GOLDEN_DIR}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("goldens")
    ft = sub.add_parser("from-tokens")
    ft.add_argument("--tokens", required=True)
    ft.add_argument("--out", required=True, help="directory for bpe.model and bpe.vocab")
    en = sub.add_parser("encode")
    en.add_argument("--model", required=True)
    en.add_argument("--vocab")
    en.add_argument("phrases", nargs="+")
    args = ap.parse_args()
    if args.cmd == "goldens":
        goldens()
    elif args.cmd == "from-tokens":
        os.makedirs(args.out, exist_ok=True)
        from_tokens(args.tokens, os.path.join(args.out, "bpe.model"), os.path.join(args.out, "bpe.vocab"))
    else:
        for item in encode(args.model, args.phrases, args.vocab):
            print(json.dumps(item, ensure_ascii=False))


if __name__ == "__main__":
    main()
