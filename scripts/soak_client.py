"""The soak test's clients and sampler (scripts/soak.sh runs it against a `noi serve`).

8 WebSocket streams (each: 10-40 s of speech sent in real time with pauses, then `stop`,
then a new session) and one REST client in a loop (/v1/transcribe, every fifth call the
OpenAI endpoint), for --minutes. Every 10 s it records the server's resident memory, thread
and file-descriptor counts and CPU; at the end it prints the figures and whether they hold:
no error, RSS at the end within 10 % of its value after --warmup minutes, thread and fd counts
flat: the last 10 minutes' median at most LEAK_SLACK above the first 10 minutes' after
warm-up (a single sample catches requests in flight, so peaks say little; a leak of one per
session grows by hundreds an hour), and the idle count 35 s after the clients stop no higher
than the first window's peak. Exit status 0 when they hold, 1 when not. Loopback only.
"""
import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import urllib.request
import uuid
import wave

import websockets

STREAMS = 8
FRAME_MS = 100
# A final that has not come this long after `stop` counts as an error. Generous: on a shared
# machine the server can fall behind real time for a while; how late finals were is reported.
STOP_TIMEOUT = 120
# Pause between REST requests: one every few seconds next to the streams.
REST_PAUSE = 4


def read_clip(path):
    with wave.open(path, "rb") as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2, path
        return w.readframes(w.getnframes())


class Tally:
    def __init__(self):
        self.sessions = 0
        self.finals = 0
        self.rest = 0
        self.errors = []
        self.final_after_stop = []  # seconds from `stop` to the server's Close

    def error(self, what):
        self.errors.append(f"{time.strftime('%H:%M:%S')} {what}")
        print("ERROR", what, file=sys.stderr, flush=True)


async def one_session(ws_base, clips, rng, tally):
    pcm = bytearray()
    for _ in range(rng.randint(1, 3)):
        pcm += rng.choice(clips)
        pcm += bytes(2 * 16 * rng.randint(300, 1200))  # a pause
    async with websockets.connect(ws_base + "/v1/ws?sample_rate=16000", max_size=None) as ws:
        ready = json.loads(await ws.recv())
        if ready.get("type") != "ready":
            tally.error(f"no ready: {ready}")
            return
        messages = []

        async def reader():
            async for message in ws:
                messages.append(json.loads(message))

        reading = asyncio.create_task(reader())
        began = time.monotonic()
        frame = 2 * 16 * FRAME_MS
        for n, at in enumerate(range(0, len(pcm), frame)):
            delay = began + n * FRAME_MS / 1000 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await ws.send(bytes(pcm[at:at + frame]))
        await ws.send(json.dumps({"type": "stop"}))
        stopped = time.monotonic()
        closed_by = "server Close"
        try:
            await asyncio.wait_for(reading, timeout=STOP_TIMEOUT)
        except websockets.ConnectionClosed as e:
            closed_by = f"{type(e).__name__}: {e}"
        except asyncio.TimeoutError:
            tally.error(f"no close within {STOP_TIMEOUT} s of stop")
            return
        tally.final_after_stop.append(time.monotonic() - stopped)
        code = ws.close_code
    errors = [m for m in messages if m.get("type") == "error"]
    if errors:
        tally.error(f"stream errors: {errors}")
    if not messages or messages[-1].get("type") != "final":
        tally.error(f"stream did not end with a final: {messages[-3:]}")
    if code != 1000:
        tally.error(f"stream closed with {code} ({closed_by}; {len(pcm) / 32000:.0f} s sent, "
                    f"last message {messages[-1].get('type') if messages else None})")
    tally.sessions += 1
    tally.finals += sum(1 for m in messages if m.get("type") == "final")


async def streamer(i, ws_base, clips, deadline, tally):
    rng = random.Random(i)
    await asyncio.sleep(i * 0.7)  # staggered starts
    while time.monotonic() < deadline:
        try:
            await one_session(ws_base, clips, rng, tally)
        except Exception as e:  # noqa: BLE001 - every failure counts as an error
            tally.error(f"stream {i}: {type(e).__name__}: {e}")
            await asyncio.sleep(1)


def post(url, body, content_type):
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, response.read()


def multipart(wav):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
            "Content-Type: audio/wav\r\n\r\n").encode() + wav + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


async def rest_client(http_base, files, deadline, tally):
    n = 0
    while time.monotonic() < deadline:
        wav = files[n % len(files)]
        try:
            if n % 5 == 4:
                body, ctype = multipart(wav)
                status, answer = await asyncio.to_thread(
                    post, http_base + "/v1/audio/transcriptions", body, ctype)
            else:
                status, answer = await asyncio.to_thread(
                    post, http_base + "/v1/transcribe", wav, "audio/wav")
            if status != 200 or "text" not in json.loads(answer):
                tally.error(f"REST {status}: {answer[:200]!r}")
            tally.rest += 1
        except Exception as e:  # noqa: BLE001
            tally.error(f"REST: {type(e).__name__}: {e}")
        n += 1
        await asyncio.sleep(REST_PAUSE)


def proc_sample(pid):
    status = open(f"/proc/{pid}/status").read()
    field = lambda name: int(next(l.split()[1] for l in status.splitlines() if l.startswith(name)))
    stat = open(f"/proc/{pid}/stat").read()
    fields = stat[stat.rfind(")") + 2:].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    busy = (sum(total) - total[3] - total[4]) / os.sysconf("SC_CLK_TCK")
    return {"t": time.monotonic(), "rss_mb": field("VmRSS:") / 1024, "threads": field("Threads:"),
            "fds": len(os.listdir(f"/proc/{pid}/fd")), "cpu": cpu, "busy": busy}


async def sampler(pid, deadline, samples, csv):
    while True:
        samples.append(proc_sample(pid))
        s, t0 = samples[-1], samples[0]["t"]
        csv.write(f"{s['t'] - t0:.0f},{s['rss_mb']:.1f},{s['threads']},{s['fds']},{s['cpu']:.1f}\n")
        csv.flush()
        if time.monotonic() >= deadline:
            return
        await asyncio.sleep(min(10, max(0.1, deadline - time.monotonic())))


# Threads or fds the last window's median may sit above the first's (sessions in flight at
# the sampling instants differ between windows).
LEAK_SLACK = 2


def verdict(samples, tally, args):
    start = samples[0]["t"]
    after_warmup = [s for s in samples if s["t"] - start >= args.warmup * 60]
    if len(after_warmup) < 2:
        print("too short to judge")
        return False
    base, end = after_warmup[0], samples[-1]
    span = args.minutes * 60 - args.warmup * 60
    window = min(600, span / 3)
    first = [s for s in after_warmup if s["t"] - base["t"] <= window]
    last = [s for s in after_warmup if end["t"] - s["t"] <= window]
    rss_change = end["rss_mb"] / base["rss_mb"] - 1
    wall = end["t"] - start
    server_cpu = (end["cpu"] - samples[0]["cpu"]) / wall
    others = (end["busy"] - samples[0]["busy"]) / wall - server_cpu
    ok = True
    print(f"minutes {args.minutes}, warm-up {args.warmup}: {tally.sessions} WebSocket sessions "
          f"({tally.finals} finals), {tally.rest} REST requests, {len(tally.errors)} errors")
    print(f"RSS after warm-up {base['rss_mb']:.1f} MB, at the end {end['rss_mb']:.1f} MB "
          f"({rss_change:+.1%}); peak {max(s['rss_mb'] for s in samples):.1f} MB")
    for key in ("threads", "fds"):
        f_max, l_max = max(s[key] for s in first), max(s[key] for s in last)
        f_med, l_med = (statistics.median(s[key] for s in w) for w in (first, last))
        print(f"{key}: after warm-up {base[key]}, end {end[key]}, peak first {window / 60:.0f} min "
              f"{f_max}, peak last {window / 60:.0f} min {l_max}, min/median/max "
              f"{min(s[key] for s in after_warmup)}/{statistics.median(s[key] for s in after_warmup)}"
              f"/{max(s[key] for s in after_warmup)}")
        if l_med > f_med + LEAK_SLACK:
            print(f"FAIL: {key} grew (median {f_med} in the first window, {l_med} in the last)")
            ok = False
        if end[key] > f_max:
            print(f"FAIL: {key} idle at the end ({end[key]}) above the first window's peak")
            ok = False
    if tally.final_after_stop:
        waits = sorted(tally.final_after_stop)
        pick = lambda q: waits[min(len(waits) - 1, int(q * len(waits)))]
        print(f"stop → close: p50 {pick(0.5):.2f} s, p95 {pick(0.95):.2f} s, max {waits[-1]:.2f} s")
    print(f"CPU: server {server_cpu:.0%} of a core on average, others {others:.0%} "
          f"(of {os.cpu_count()} cores)")
    if abs(rss_change) > 0.10:
        print("FAIL: RSS moved more than 10 %")
        ok = False
    if tally.errors:
        print("FAIL: errors:", *tally.errors[:20], sep="\n  ")
        ok = False
    print("PASS" if ok else "FAIL")
    return ok


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--http", required=True)
    p.add_argument("--ws", required=True)
    p.add_argument("--clips", nargs="+", required=True)
    p.add_argument("--minutes", type=float, default=60)
    p.add_argument("--warmup", type=float, default=5)
    p.add_argument("--csv", required=True)
    args = p.parse_args()
    for base in (args.http, args.ws):
        host = base.split("//", 1)[1].split(":", 1)[0]
        assert host in ("127.0.0.1", "localhost"), "loopback only"
    clips = [read_clip(c) for c in args.clips]
    files = [open(c, "rb").read() for c in args.clips]
    deadline = time.monotonic() + args.minutes * 60
    tally, samples = Tally(), []
    with open(args.csv, "w") as csv:
        csv.write("seconds,rss_mb,threads,fds,cpu_s\n")
        await asyncio.gather(
            sampler(args.pid, deadline + 35, samples, csv),
            rest_client(args.http, files, deadline, tally),
            *(streamer(i, args.ws, clips, deadline, tally) for i in range(STREAMS)))
    return verdict(samples, tally, args)


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(main()) else 1)
