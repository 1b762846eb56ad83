"""CPU a botworker takes to start: spawn it as the master does (with its channel), read its
hello, send a welcome without bot settings, wait for its first heartbeat frame, then end it by
closing the channel. Prints the child's user+system CPU per start (median, min-max) over N
starts; given several binaries, runs them interleaved.

    python3 ops/bench/worker_start_cpu.py [-n 200] BOTWORKER [BOTWORKER ...]
"""

import argparse
import json
import os
import resource
import socket
import statistics
import struct
import subprocess


def frame(kind, payload):
    return struct.pack(">IB", len(payload) + 1, kind) + payload


def read_frame(sock):
    def exactly(count):
        data = b""
        while len(data) < count:
            chunk = sock.recv(count - len(data))
            if not chunk:
                raise EOFError("the worker closed its channel")
            data += chunk
        return data

    length, kind = struct.unpack(">IB", exactly(5))
    return kind, exactly(length - 1)


def start_once(binary):
    master, worker = socket.socketpair()
    env = dict(os.environ, BOTMASTER_BOT_ID="start-bench", BOTMASTER_IPC_FD=str(worker.fileno()), BOTMASTER_PROTOCOL="1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = subprocess.Popen(
        [binary], env=env, pass_fds=[worker.fileno()], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker.close()
    kind, _ = read_frame(master)
    assert kind == 0x01, f"expected a hello, got frame type {kind}"
    welcome = json.dumps({"protocol": 1, "heartbeat_interval_ms": 60000, "log_level": "info", "settings": {}}).encode()
    master.sendall(frame(0x02, welcome))
    kind, _ = read_frame(master)
    assert kind == 0x03, f"expected a heartbeat, got frame type {kind}"
    master.close()
    child.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("binaries", nargs="+")
    arguments = parser.parse_args()
    samples = {binary: [] for binary in arguments.binaries}
    for round_index in range(arguments.n):
        order = arguments.binaries if round_index % 2 == 0 else list(reversed(arguments.binaries))
        for binary in order:
            samples[binary].append(start_once(binary))
    print("| botworker | CPU per start, ms: median (min–max) |")
    print("| --- | --- |")
    for binary, values in samples.items():
        ms = [value * 1000 for value in values]
        print(f"| {binary} | {statistics.median(ms):.2f} ({min(ms):.2f}–{max(ms):.2f}) |")


if __name__ == "__main__":
    main()
