"""Drives `POST /v1/audio/transcriptions` with OpenAI's official Python client.

    python openai_client.py BASE_URL AUDIO_FILE

Prints one JSON object: what each response_format returned, as the client parsed it.
"""
import json
import sys

from openai import OpenAI


def main():
    base_url, audio = sys.argv[1], sys.argv[2]
    client = OpenAI(base_url=base_url, api_key="not-needed-on-loopback", max_retries=0)
    out = {}
    with open(audio, "rb") as f:
        data = f.read()

    def call(**kw):
        return client.audio.transcriptions.create(
            model="whisper-1", file=("clip.wav", data, "audio/wav"), language="vi", **kw)

    out["json"] = call(response_format="json").text
    out["text"] = call(response_format="text")
    out["srt"] = call(response_format="srt")
    out["vtt"] = call(response_format="vtt")
    verbose = call(response_format="verbose_json", timestamp_granularities=["word", "segment"])
    out["verbose_json"] = {
        "text": verbose.text,
        "duration": verbose.duration,
        "language": verbose.language,
        "words": [{"word": w.word, "start": w.start, "end": w.end} for w in (verbose.words or [])],
        "segments": [{"start": s.start, "end": s.end, "text": s.text} for s in (verbose.segments or [])],
    }
    try:
        client.audio.transcriptions.create(model="whisper-1", file=("x.wav", b"not audio at all", "audio/wav"))
        out["bad_audio"] = "no error"
    except Exception as e:  # the client raises its typed API error
        out["bad_audio"] = {"class": type(e).__name__, "status": getattr(e, "status_code", None),
                            "code": (getattr(e, "body", None) or {}).get("code")}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
