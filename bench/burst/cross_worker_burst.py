#!/usr/bin/env python3
"""Cross-worker burst: the server's memory during and after a fast publisher floods subscribers
that live on the other worker (issue 14, defect 5).

What it measures: hubcast runs with --workers 2. One publisher connection sends COUNT messages of
SIZE bytes to a group as fast as the socket takes them (no acks); SUBSCRIBERS members of that group
sit on the other worker (connection ids name their worker) and do not read during the burst, as a
slow consumer would. The server's VmRSS is sampled every 50 ms from /proc: before the burst, its
peak during the burst, and after every client has closed (AFTER seconds later). The mailbox
counters are read from /metrics when the server exports them.

Usage: bench/burst/cross_worker_burst.py BUILD/hubcast [--count N] [--size B] [--subscribers S]
       [--after SECONDS] [-- extra hubcast flags]
Prints one line of JSON. Needs nothing beyond Python 3 and the hubcast binary (tokens come from
`hubcast token`).
"""
import argparse
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request

KEY = "burst-bench-access-key-0123456789abcdef"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Client:
    """A minimal WebSocket client for the json.webpubsub.azure.v1 subprotocol (masked frames)."""

    def __init__(self, binary, port, user, roles=(), groups=()):
        args = [binary, "token", "--endpoint", f"http://127.0.0.1:{port}", "--access-key", KEY,
                "--hub", "bench", "--user", user]
        for role in roles:
            args += ["--role", role]
        for group in groups:
            args += ["--group", group]
        url = subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()
        path = url[url.index("/client/"):]
        self.sock = socket.create_connection(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n"
                           "Sec-WebSocket-Protocol: json.webpubsub.azure.v1\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(65536)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(head.decode(errors="replace"))
        connected = json.loads(self.read_frame())
        self.connection_id = connected["connectionId"]
        # Characters 8-10 of an id are its worker (src/core/router.cpp).
        self.worker = int.from_bytes(base64.urlsafe_b64decode(self.connection_id[8:11] + "="), "big")

    def read_frame(self):
        while True:
            if len(self.buffer) >= 2:
                length = self.buffer[1] & 0x7F
                offset = 2
                if length == 126:
                    length, offset = struct.unpack(">H", self.buffer[2:4])[0], 4
                elif length == 127:
                    length, offset = struct.unpack(">Q", self.buffer[2:10])[0], 10
                if len(self.buffer) >= offset + length:
                    payload = self.buffer[offset:offset + length]
                    self.buffer = self.buffer[offset + length:]
                    return payload
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("closed")
            self.buffer += chunk

    @staticmethod
    def frame(text):
        payload = text.encode()
        mask = os.urandom(4)
        if len(payload) < 126:
            header = struct.pack(">BB", 0x81, 0x80 | len(payload))
        elif len(payload) < 65536:
            header = struct.pack(">BBH", 0x81, 0x80 | 126, len(payload))
        else:
            header = struct.pack(">BBQ", 0x81, 0x80 | 127, len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return header + mask + masked

    def close(self):
        self.sock.close()


def metrics(port):
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        if line.startswith("hubcast_mailbox") or line.startswith("hubcast_memory"):
            name, value = line.split()
            values[name] = float(value)
    return values


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--count", type=int, default=300000)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--subscribers", type=int, default=1)
    parser.add_argument("--after", type=float, default=5.0)
    parser.add_argument("extra", nargs="*")
    options = parser.parse_args()

    server = subprocess.Popen([options.binary, "--listen", "127.0.0.1:0", "--access-key", KEY,
                               "--workers", "2", "--log-level", "warn", *options.extra],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    port = int(line.rsplit(":", 1)[1])
    time.sleep(0.3)
    baseline = rss_kib(server.pid)

    publisher = Client(options.binary, port, "publisher", roles=["webpubsub.sendToGroup"])
    subscribers, others = [], []
    while len(subscribers) < options.subscribers:
        c = Client(options.binary, port, f"member{len(subscribers) + len(others)}", groups=["flood"])
        (others if c.worker == publisher.worker else subscribers).append(c)
    for c in others:
        c.close()

    peak = baseline
    samples = []
    done = threading.Event()

    def sample():
        nonlocal peak
        start = time.monotonic()
        while not done.is_set():
            value = rss_kib(server.pid)
            peak = max(peak, value)
            samples.append((round(time.monotonic() - start, 2), value))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    body = "x" * options.size
    message = Client.frame(json.dumps({"type": "sendToGroup", "group": "flood", "dataType": "text",
                                       "data": body}))
    batch = message * 64
    began = time.monotonic()
    for _ in range(options.count // 64):
        publisher.sock.sendall(batch)
    burst_seconds = time.monotonic() - began
    during = metrics(port)
    for c in [publisher, *subscribers]:
        c.close()
    time.sleep(options.after)
    after = rss_kib(server.pid)
    closed = metrics(port)
    done.set()
    sampler.join()
    server.terminate()
    server.wait()
    print(json.dumps({
        "count": options.count // 64 * 64, "size": options.size, "subscribers": options.subscribers,
        "burst_seconds": round(burst_seconds, 2), "rss_before_mib": round(baseline / 1024, 1),
        "rss_peak_mib": round(peak / 1024, 1),
        f"rss_{options.after:g}s_after_close_mib": round(after / 1024, 1),
        "metrics_after_burst": during, "metrics_after_close": closed,
    }))


if __name__ == "__main__":
    sys.exit(main())
