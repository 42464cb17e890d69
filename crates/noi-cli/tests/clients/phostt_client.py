"""phostt's client flow with the `websockets` package, plus its REST and SSE calls with plain
HTTP (urllib), against a running server.

    python phostt_client.py HTTP_BASE WS_BASE AUDIO_16K_MONO_PCM16_WAV

Prints one JSON object with what the server sent.
"""
import asyncio
import json
import sys
import urllib.request
import wave

import websockets


async def stream(ws_base, pcm):
    got = {"messages": []}
    async with websockets.connect(ws_base + "/v1/ws") as ws:
        got["ready"] = json.loads(await ws.recv())
        await ws.send(json.dumps({"type": "configure", "sample_rate": 16000}))
        # phostt's examples send 100 ms frames as fast as they can.
        for i in range(0, len(pcm), 3200):
            await ws.send(pcm[i:i + 3200])
        await ws.send(json.dumps({"type": "stop"}))
        try:
            async for message in ws:
                got["messages"].append(json.loads(message))
        except websockets.ConnectionClosed:
            pass
        got["close_code"] = ws.close_code
    return got


def rest(http_base, body):
    out = {}
    with urllib.request.urlopen(http_base + "/health") as r:
        out["health"] = json.loads(r.read())
    with urllib.request.urlopen(http_base + "/v1/models") as r:
        out["models"] = json.loads(r.read())
    req = urllib.request.Request(http_base + "/v1/transcribe", data=body,
                                 headers={"Content-Type": "audio/wav"})
    with urllib.request.urlopen(req) as r:
        out["transcribe"] = json.loads(r.read())
    req = urllib.request.Request(http_base + "/v1/transcribe/stream", data=body,
                                 headers={"Content-Type": "audio/wav"})
    with urllib.request.urlopen(req) as r:
        out["sse_content_type"] = r.headers["Content-Type"]
        out["sse"] = [json.loads(line[5:]) for line in r.read().decode().splitlines()
                      if line.startswith("data:")]
    return out


def main():
    http_base, ws_base, audio = sys.argv[1:4]
    with wave.open(audio) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        pcm = w.readframes(w.getnframes())
    with open(audio, "rb") as f:
        body = f.read()
    out = {"ws": asyncio.run(stream(ws_base, pcm)), "rest": rest(http_base, body)}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
