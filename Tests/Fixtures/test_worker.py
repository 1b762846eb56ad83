#!/usr/bin/env python3
"""A botmaster worker written from the protocol document alone, with ways to misbehave.

The end-to-end tests run it as a bot's `command` to prove the protocol is language-neutral
and to make a worker hang, crash, leak or send garbage on demand. Mode comes from argv[1]:

  normal   hello, heartbeats on the interval from the welcome, exit 0 on drain or EOF
  silent   hello, then never a heartbeat, and SIGTERM ignored (only SIGKILL ends it)
  crash    hello, then exit 3 after 100 ms
  garbage  hello, then a frame of an unknown type
  oversize hello, then a length prefix of 64 MiB
  leak     like normal, but first allocates and touches LEAK_MB megabytes (default 64)
  ackspam  like normal, but acknowledges webhook request ids 1..5000 as accepted, over and over
           (requests sent to other bots' workers: the master must not take them)
  stubborn like leak, but ignores drain frames and SIGTERM (only SIGKILL ends it)
  chatty   like normal, but a thread prints 100-byte lines to stdout flat out
  forger   like normal, but its hello's runtime holds a newline with a forged log line, a
           terminal escape and 200 KB of padding (the master must log it escaped and bounded)
  pager    like normal, but its heartbeats go to the heartbeat page (BOTMASTER_HEARTBEAT_FD),
           with messages = 42, instead of frames
  badpage  hello, then a heartbeat page holding two counters (no heartbeat), and no frames
"""
import json
import mmap
import os
import select
import signal
import struct
import sys
import threading
import time

HELLO, WELCOME, HEARTBEAT, CONFIG, LOG_LEVEL, DRAIN = 1, 2, 3, 4, 5, 6
UPDATE_ACK = 8


def send(fd, frame_type, payload=b""):
    data = struct.pack(">IB", len(payload) + 1, frame_type) + payload
    while data:
        data = data[os.write(fd, data):]


def read_frames(fd, buffer):
    chunk = os.read(fd, 65536)
    if not chunk:
        return None, buffer
    buffer += chunk
    frames = []
    while len(buffer) >= 4:
        (length,) = struct.unpack(">I", buffer[:4])
        if len(buffer) < 4 + length:
            break
        frames.append((buffer[4], buffer[5 : 4 + length]))
        buffer = buffer[4 + length :]
    return frames, buffer


class HeartbeatPage:
    """The page from the protocol document: 64-bit words in the host's order, word 0 the
    sequence (odd while writing), word 1 the count, then the counters."""

    def __init__(self):
        fd = int(os.environ["BOTMASTER_HEARTBEAT_FD"])
        self.page = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        os.close(fd)
        self.sequence = 0

    def write(self, counters):
        struct.pack_into("=Q", self.page, 0, self.sequence + 1)
        struct.pack_into("=Q%dQ" % len(counters), self.page, 8, len(counters), *counters)
        self.sequence += 2
        struct.pack_into("=Q", self.page, 0, self.sequence)


def print_flat_out():
    chunk = (b"x" * 99 + b"\n") * 640
    while True:
        os.write(1, chunk)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "normal"
    fd = int(os.environ["BOTMASTER_IPC_FD"])
    bot = os.environ["BOTMASTER_BOT_ID"]
    started = time.monotonic()
    hello = {"protocol": 1, "pid": os.getpid(), "bot": bot, "runtime": "test_worker.py/" + mode}
    if mode == "forger":
        hello["runtime"] = "x\n2026-01-01T00:00:00.000Z error FORGED by a worker\x1b[31m" + "y" * 200_000
    if mode in ("silent", "stubborn"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    hog = None
    if mode in ("leak", "stubborn"):
        hog = bytearray(int(os.environ.get("LEAK_MB", "64")) * 1024 * 1024)
        for i in range(0, len(hog), 4096):
            hog[i] = 1
    print(f"test_worker {bot} mode={mode} pid={os.getpid()}", flush=True)
    send(fd, HELLO, json.dumps(hello).encode())
    if mode == "chatty":
        threading.Thread(target=print_flat_out, daemon=True).start()
    if mode == "crash":
        time.sleep(0.1)
        sys.exit(3)
    if mode == "garbage":
        send(fd, 0x7F, b"nonsense")
    if mode == "oversize":
        os.write(fd, struct.pack(">I", 64 * 1024 * 1024))
    page = HeartbeatPage() if mode in ("pager", "badpage") else None
    if mode == "badpage":
        page.write([1, 2])
    interval = None
    next_beat = None
    buffer = b""
    while True:
        if mode == "ackspam":
            for request in range(1, 5001):
                send(fd, UPDATE_ACK, struct.pack(">QB", request, 0))
        timeout = None if next_beat is None else max(next_beat - time.monotonic(), 0)
        if mode == "ackspam":
            timeout = 0.01 if timeout is None else min(timeout, 0.01)
        readable, _, _ = select.select([fd], [], [], timeout)
        if readable:
            frames, buffer = read_frames(fd, buffer)
            if frames is None:
                print("master went away", flush=True)
                return
            for frame_type, payload in frames:
                message = json.loads(payload)
                if frame_type == WELCOME and mode not in ("silent", "badpage"):
                    interval = message["heartbeat_interval_ms"] / 1000
                    next_beat = time.monotonic()
                elif frame_type == DRAIN and mode == "stubborn":
                    print("ignoring the drain: " + message["reason"], flush=True)
                elif frame_type == DRAIN:
                    print("drained: " + message["reason"], flush=True)
                    return
        if next_beat is not None and time.monotonic() >= next_beat:
            uptime = int((time.monotonic() - started) * 1000)
            if page:
                page.write([uptime, 42, 0])
            else:
                send(fd, HEARTBEAT, struct.pack(">QQQ", uptime, 0, 0))
            next_beat = time.monotonic() + interval


if __name__ == "__main__":
    main()
