#!/usr/bin/python3
"""`make faults`: hubcast under hostile and broken peers, each an automated check with the answer
the server owes (docs/reliability.md, "Fault runs").

Every check runs against a hubcast of its own (started here, 127.0.0.1 only) while a canary
client keeps sending to its own group and timing the round trip: a check passes only if its
expected answer arrived, the server still runs, and the canary lost nothing and stayed under
CANARY_MAX_MS. Every wait has a deadline; the whole run takes about two minutes.

usage: faults.py HUBCAST_BINARY [check ...]    (checks: see CHECKS at the end)
"""

import base64
import hashlib
import hmac
import json
import os
import re
import resource
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

KEY = "hubcast-faults-access-key-0123456789abcdef"
# A canary round trip (publish to its own group, receive the message) above this fails the check.
# Generous because the machine is shared; undisturbed round trips take well under 5 ms.
CANARY_MAX_MS = float(os.environ.get("FAULTS_CANARY_MAX_MS", "500"))


# --- tokens and frames ---------------------------------------------------------------------------


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    mac = hmac.new(KEY.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(mac)}"


def client_token(port, hub, user, roles=(), groups=()):
    now = int(time.time())
    claims = {"aud": f"http://127.0.0.1:{port}/client/hubs/{hub}", "iat": now, "exp": now + 3600, "sub": user}
    if roles:
        claims["role"] = list(roles)
    if groups:
        claims["webpubsub.group"] = list(groups)
    return sign(claims)


def rest_token(port, target):
    now = int(time.time())
    return sign({"aud": f"http://127.0.0.1:{port}{target}", "iat": now, "exp": now + 3600})


def frame(opcode, payload, fin=True):
    if isinstance(payload, str):
        payload = payload.encode()
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n <= 0xFFFF:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload))


def parse_frames(buf):
    """Complete server frames in buf: [(opcode, payload)], and the bytes left over."""
    out = []
    while len(buf) >= 2:
        n = buf[1] & 0x7F
        at = 2
        if n == 126:
            if len(buf) < 4:
                break
            n = struct.unpack("!H", buf[2:4])[0]
            at = 4
        elif n == 127:
            if len(buf) < 10:
                break
            n = struct.unpack("!Q", buf[2:10])[0]
            at = 10
        if len(buf) < at + n:
            break
        out.append((buf[0] & 0x0F, buf[at : at + n]))
        buf = buf[at + n :]
    return out, buf


class ws:
    """A blocking WebSocket client for the checks (answers pings while it reads)."""

    def __init__(self, port, path, protocol="json.webpubsub.azure.v1", rcvbuf=None, timeout=5):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Protocol: {protocol}\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the upgrade")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ")[1])
        self.frames = []

    def send(self, obj):
        self.sock.sendall(frame(1, json.dumps(obj)))

    def next_text(self, deadline):
        """The next text frame as JSON, or None at the deadline or the close."""
        while True:
            while self.frames:
                op, payload = self.frames.pop(0)
                if op == 9:
                    self.sock.sendall(frame(10, payload))
                elif op == 1:
                    return json.loads(payload)
                elif op == 8:
                    self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                    return None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, OSError):
                return None
            if not chunk:
                return None
            frames, self.buf = parse_frames(self.buf + chunk)
            self.frames += frames

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --- the server ----------------------------------------------------------------------------------


class server:
    def __init__(self, binary, args=(), config=None, nofile=None):
        self.dir = tempfile.mkdtemp(prefix="hubcast-faults-")
        cmd = [binary, "--listen", "127.0.0.1:0", "--access-key", KEY, "--workers", "2"] + list(args)
        if config:
            path = os.path.join(self.dir, "hubcast.toml")
            with open(path, "w") as f:
                f.write(config)
            cmd += ["--config", path]

        def limit():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.log_path = os.path.join(self.dir, "hubcast.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True, preexec_fn=limit)
        line = self.proc.stdout.readline()
        m = re.search(r":(\d+)$", line.strip())
        if not m:
            raise RuntimeError(f"hubcast did not start: {line!r} {open(self.log_path).read()}")
        self.port = int(m.group(1))

    def alive(self):
        return self.proc.poll() is None

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def log_text(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def metric(self, name):
        status, body = http(self.port, "GET", "/metrics")
        m = re.search(rf"^{name} (\d+)", body.decode(), re.M)
        return int(m.group(1)) if m else None

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()
        return self.proc.returncode


def http(port, method, target, headers=None, body=b"", timeout=10):
    """One request on a new connection; (status, body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        for k, v in (headers or {}).items():
            head += f"{k}: {v}\r\n"
        if body and "Transfer-Encoding" not in (headers or {}):
            head += f"Content-Length: {len(body)}\r\n"
        s.sendall(head.encode() + b"\r\n")
        try:
            s.sendall(body)
        except OSError:
            pass  # the server may answer and close before the whole body is sent
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0
        return status, rest
    finally:
        s.close()


class canary(threading.Thread):
    """Sends to its own group every 20 ms and times each message's return."""

    def __init__(self, port):
        super().__init__(daemon=True)
        path = "/client/hubs/canary?access_token=" + client_token(
            port, "canary", "canary", ["webpubsub.sendToGroup"], ["canary"]
        )
        self.client = ws(port, path)
        assert self.client.status == 101, self.client.status
        deadline = time.monotonic() + 5
        while (m := self.client.next_text(deadline)) is not None and m.get("event") != "connected":
            pass
        self.stop_flag = threading.Event()
        self.rtts = []
        self.lost = 0

    def run(self):
        n = 0
        while not self.stop_flag.is_set():
            n += 1
            sent = time.monotonic()
            try:
                self.client.send({"type": "sendToGroup", "group": "canary", "dataType": "text", "data": str(n)})
            except OSError:
                self.lost += 1
                return
            deadline = sent + 5
            got = False
            while (m := self.client.next_text(deadline)) is not None:
                if m.get("type") == "message" and m.get("data") == str(n):
                    got = True
                    break
            if not got:
                self.lost += 1
                return
            self.rtts.append((time.monotonic() - sent) * 1000)
            self.stop_flag.wait(0.02)

    def finish(self):
        self.stop_flag.set()
        self.join(timeout=10)
        self.client.close()
        rtts = sorted(self.rtts)
        p99 = rtts[int(0.99 * (len(rtts) - 1))] if rtts else 0
        return len(rtts), p99, (rtts[-1] if rtts else 0)


# --- checks --------------------------------------------------------------------------------------


class failed(Exception):
    pass


def expect(condition, what):
    if not condition:
        raise failed(what)


def check_slowloris(binary):
    """A handshake trickled one byte a second is closed at the request deadline (30 s)."""
    srv = server(binary)
    c = canary(srv.port)
    c.start()
    try:
        request = (
            f"GET /client/hubs/h?access_token=x HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Padding: " + "a" * 200
        ).encode()
        socks = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(20)]
        start = time.monotonic()
        closed_at = [None] * len(socks)
        i = 0
        while None in closed_at and time.monotonic() - start < 45:
            for k, s in enumerate(socks):
                if closed_at[k] is not None:
                    continue
                try:
                    s.settimeout(0)
                    if s.recv(1) == b"":
                        closed_at[k] = time.monotonic() - start
                        continue
                except BlockingIOError:
                    pass
                except OSError:
                    closed_at[k] = time.monotonic() - start
                    continue
                try:
                    s.send(request[i % len(request) : i % len(request) + 1])
                except OSError:
                    closed_at[k] = time.monotonic() - start
            i += 1
            time.sleep(1)  # the trickle itself: one byte a second
        for s in socks:
            s.close()
        expect(None not in closed_at, "a trickled handshake was still open after 45 s")
        expect(all(28 <= t <= 33 for t in closed_at), f"closed after {min(closed_at):.1f}-{max(closed_at):.1f} s, not at 30 s")
        return c, f"20 trickled handshakes closed after {min(closed_at):.1f}-{max(closed_at):.1f} s", srv
    except Exception:
        c.finish()
        srv.stop()
        raise


def check_slow_consumer(binary):
    """A client that stops reading is bounded (max_outbound_bytes) and closed with 1008."""
    srv = server(binary, ["--max-outbound-bytes", str(1 << 20)])
    c = canary(srv.port)
    c.start()
    try:
        rss_before = srv.rss_kib()
        sub = ws(srv.port, "/client/hubs/h?access_token=" + client_token(srv.port, "h", "sub", [], ["flood"]), rcvbuf=4096)
        pub = ws(srv.port, "/client/hubs/h?access_token=" + client_token(srv.port, "h", "pub", ["webpubsub.sendToGroup"]))
        data = "x" * 16384
        peak = rss_before
        start = time.monotonic()
        closed = None
        for k in range(4000):  # up to 64 MiB offered to a reader that never reads
            pub.sock.sendall(frame(1, json.dumps({"type": "sendToGroup", "group": "flood", "dataType": "text", "data": data})))
            if k % 100 == 0:
                peak = max(peak, srv.rss_kib())
                if srv.metric("hubcast_slow_consumer_closes_total"):
                    closed = time.monotonic() - start
                    break
        # Now read what the server queued before closing: the stream must end with a close frame 1008.
        deadline = time.monotonic() + 10
        code = None
        while (m := sub.next_text(deadline)) is not None:
            pass
        code = getattr(sub, "close_code", None)
        sub.close()
        pub.close()
        expect(closed is not None, "no slow-consumer close after 64 MiB offered")
        expect(code == 1008, f"the slow consumer's stream ended with {code}, not close 1008")
        grown = (peak - rss_before) / 1024
        expect(grown < 64, f"RSS grew {grown:.0f} MiB for one slow consumer")
        return c, f"closed with 1008 after {closed:.1f} s; RSS +{grown:.1f} MiB at most", srv
    except Exception:
        c.finish()
        srv.stop()
        raise


def check_half_frames_and_resets(binary):
    """Half-sent frames are closed at the keep-alive deadline; resets at any point leave nothing behind."""
    srv = server(binary, ["--keepalive-seconds", "1"])
    c = canary(srv.port)
    c.start()
    try:
        base = srv.metric("hubcast_websocket_sessions")
        fds_before = srv.fds()
        token = lambda u: "/client/hubs/h?access_token=" + client_token(srv.port, "h", u, ["webpubsub.sendToGroup"], ["g"])
        # 1. a frame announced with 1,000 bytes, 10 sent, then silence: the keep-alive closes it
        # (1008 PingTimeout after 3 silent intervals), and the socket goes after the close timeout.
        half = ws(srv.port, token("half"))
        half.sock.sendall(frame(1, "y" * 1000)[:16])
        start = time.monotonic()
        deadline = start + 15
        # Read without answering pings: a pong now would land inside the unfinished frame.
        code, closed_frame, buf = None, None, half.buf
        while code is None and time.monotonic() < deadline:
            half.sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                chunk = half.sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            frames, buf = parse_frames(buf + chunk)
            for op, payload in frames:
                if op == 8:
                    code = struct.unpack("!H", payload[:2])[0]
                    closed_frame = time.monotonic() - start
        half.sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            while half.sock.recv(65536):
                pass
            ended = time.monotonic() - start
        except OSError:
            ended = None
        half.close()
        expect(code == 1008 and closed_frame <= 4.5, f"a half-sent frame: close {code} after {closed_frame} s")
        expect(ended is not None and ended <= 10, f"a half-sent frame kept its socket open ({ended})")
        # 2. resets: 100 each after connect, mid-request, after the upgrade, mid-frame.
        for stage in ("connect", "request", "upgraded", "frame"):
            for k in range(100):
                if stage in ("connect", "request"):
                    s = socket.create_connection(("127.0.0.1", srv.port))
                    if stage == "request":
                        s.sendall(b"GET /client/hubs/h HTTP/1.1\r\nHost: 127.0.0.1\r\nUpg")
                else:
                    w = ws(srv.port, token(f"r{k}"))
                    s = w.sock
                    if stage == "frame":
                        s.sendall(frame(1, json.dumps({"type": "sendToGroup", "group": "g", "data": "z" * 500}))[:100])
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (srv.metric("hubcast_websocket_sessions") != base or srv.fds() > fds_before):
            time.sleep(0.1)
        sessions = srv.metric("hubcast_websocket_sessions")
        expect(sessions == base, f"{sessions} sessions after the resets, {base} before")
        expect(srv.fds() <= fds_before, f"{srv.fds()} descriptors after the resets, {fds_before} before")
        return c, f"half frame: close {code} after {closed_frame:.1f} s, socket gone after {ended:.1f} s (keep-alive 1 s); 400 resets left {sessions} sessions, {srv.fds()} descriptors", srv
    except Exception:
        c.finish()
        srv.stop()
        raise


def check_descriptor_exhaustion(binary):
    """At the descriptor limit accept pauses (503 to the surplus, one log line, no busy loop) and
    service resumes when descriptors free up."""
    srv = server(binary, ["--log-level", "info", "--keepalive-seconds", "0"], nofile=256)
    c = canary(srv.port)
    c.start()
    try:
        held = []
        statuses = {}
        for k in range(300):
            try:
                w = ws(srv.port, "/client/hubs/h?access_token=" + client_token(srv.port, "h", f"u{k}"), timeout=3)
                statuses[w.status] = statuses.get(w.status, 0) + 1
                if w.status == 101:
                    held.append(w)
                else:
                    w.close()
            except (ConnectionError, OSError, IndexError, ValueError):
                statuses[0] = statuses.get(0, 0) + 1
        expect(statuses.get(503, 0) > 0, f"no 503 at the limit: {statuses}")
        # Saturated, with a client retrying in a tight loop: the server's CPU must stay low.
        cpu0, t0 = srv.cpu_seconds(), time.monotonic()
        attempts = 0
        while time.monotonic() - t0 < 5:
            try:
                w = ws(srv.port, "/healthz", timeout=2)
                w.close()
            except (ConnectionError, OSError, IndexError, ValueError):
                pass
            attempts += 1
            time.sleep(0.01)
        cpu = 100 * (srv.cpu_seconds() - cpu0) / (time.monotonic() - t0)
        # Saturated with nobody connecting: idle.
        cpu1, t1 = srv.cpu_seconds(), time.monotonic()
        time.sleep(3)
        idle_cpu = 100 * (srv.cpu_seconds() - cpu1) / (time.monotonic() - t1)
        for w in held[:50]:
            w.close()
        deadline = time.monotonic() + 5
        resumed = None
        while time.monotonic() < deadline:
            try:
                w = ws(srv.port, "/client/hubs/h?access_token=" + client_token(srv.port, "h", "late"), timeout=2)
                if w.status == 101:
                    resumed = True
                    held.append(w)
                    break
                w.close()
            except (ConnectionError, OSError, IndexError, ValueError):
                pass
            time.sleep(0.1)
        for w in held:
            w.close()
        log = srv.log_text()
        limit_lines = len(re.findall(r"descriptor limit reached", log))
        detail = (
            f"statuses {statuses}; CPU {cpu:.1f} % under {attempts} retries, {idle_cpu:.1f} % idle at the limit; "
            f"{limit_lines} limit log line(s); resumed after freeing 50: {resumed}"
        )
        expect(resumed, "no upgrade succeeded after descriptors were freed: " + detail)
        expect(cpu < 20, f"server CPU too high while saturated: " + detail)
        expect(idle_cpu < 3, f"server busy while saturated and idle (a busy loop): " + detail)
        expect(limit_lines == 1, "want exactly one 'descriptor limit reached' log line: " + detail)
        return c, detail, srv
    except Exception:
        c.finish()
        srv.stop()
        raise


class handler_server(threading.Thread):
    """An event handler that allows the preflight and then hangs or floods every event."""

    def __init__(self, mode):
        super().__init__(daemon=True)
        self.mode = mode
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held = []
        self.stop_flag = threading.Event()

    def run(self):
        self.listener.settimeout(0.2)
        while not self.stop_flag.is_set():
            try:
                s, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return  # stop() closed the listener
            threading.Thread(target=self.serve, args=(s,), daemon=True).start()

    def serve(self, s):
        s.settimeout(30)
        buf = b""
        try:
            while not self.stop_flag.is_set():
                while b"\r\n\r\n" not in buf:
                    chunk = s.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                need = int(length.group(1)) if length else 0
                while len(buf) < need:
                    buf += s.recv(65536)
                buf = buf[need:]
                if head.startswith(b"OPTIONS"):
                    s.sendall(b"HTTP/1.1 200 OK\r\nWebHook-Allowed-Origin: *\r\nContent-Length: 0\r\n\r\n")
                elif self.mode == "hang":
                    self.held.append(s)
                    self.stop_flag.wait(60)
                    return
                else:  # flood: an answer far larger than any reply may be
                    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n")
                    chunk = b"[" * 65536
                    for _ in range(1600):
                        s.sendall(chunk)
                    return
        except OSError:
            return
        finally:
            if s not in self.held:
                s.close()

    def stop(self):
        self.stop_flag.set()
        for s in self.held:
            s.close()
        self.listener.close()


def check_event_handlers(binary):
    """A connect handler that hangs answers the upgrade 500 at connect_timeout_seconds; one that
    floods is cut off at the reply limit (500); user events behind a hung handler are bounded."""
    hang, flood = handler_server("hang"), handler_server("flood")
    hang.start()
    flood.start()
    config = f"""
[hubs.hang]
[[hubs.hang.event_handlers]]
url_template = "http://127.0.0.1:{hang.port}/hang/{{hub}}/"
system_events = ["connect"]
[hubs.flood]
[[hubs.flood.event_handlers]]
url_template = "http://127.0.0.1:{flood.port}/flood/{{hub}}/"
system_events = ["connect"]
[hubs.events]
[[hubs.events.event_handlers]]
url_template = "http://127.0.0.1:{hang.port}/events/{{hub}}/"
user_event_pattern = "*"
[upstream]
connect_timeout_seconds = 2
user_event_timeout_seconds = 30
max_queued_events = 4
"""
    srv = server(binary, config=config)
    c = canary(srv.port)
    c.start()
    try:
        rss_before = srv.rss_kib()
        t = time.monotonic()
        w = ws(srv.port, "/client/hubs/hang?access_token=" + client_token(srv.port, "hang", "a"), timeout=10)
        hang_s, hang_status = time.monotonic() - t, w.status
        w.close()
        t = time.monotonic()
        w = ws(srv.port, "/client/hubs/flood?access_token=" + client_token(srv.port, "flood", "b"), timeout=10)
        flood_s, flood_status = time.monotonic() - t, w.status
        w.close()
        grown = (srv.rss_kib() - rss_before) / 1024
        w = ws(srv.port, "/client/hubs/events?access_token=" + client_token(srv.port, "events", "c"))
        for k in range(1, 11):
            w.send({"type": "event", "event": "e", "dataType": "text", "data": "x", "ackId": k})
        deadline = time.monotonic() + 5
        refused = []
        while len(refused) < 5 and (m := w.next_text(deadline)) is not None:
            if m.get("type") == "ack" and not m.get("success"):
                refused.append(m["ackId"])
        w.close()
        expect(hang_status == 500 and 1.5 <= hang_s <= 4, f"hung connect handler: {hang_status} after {hang_s:.1f} s")
        expect(flood_status == 500 and flood_s <= 5, f"flooding connect handler: {flood_status} after {flood_s:.1f} s")
        expect(grown < 32, f"RSS grew {grown:.0f} MiB from a flooding handler")
        # One event in flight, 4 queued: events 6-10 are refused at once.
        expect(refused == [6, 7, 8, 9, 10], f"events refused behind a hung handler: {refused}")
        return c, (
            f"hung connect: {hang_status} after {hang_s:.1f} s; flood: {flood_status} after {flood_s:.1f} s, "
            f"RSS +{grown:.1f} MiB; events 6-10 refused behind a hung one"
        ), srv
    except Exception:
        c.finish()
        srv.stop()
        raise
    finally:
        hang.stop()
        flood.stop()


def check_rest_body_limit(binary):
    """A REST body over 1 MiB is answered 413, by Content-Length or chunked."""
    srv = server(binary)
    c = canary(srv.port)
    c.start()
    try:
        target = "/api/hubs/h/:send?api-version=2024-12-01"
        auth = {"Authorization": "Bearer " + rest_token(srv.port, target), "Content-Type": "text/plain"}
        ok, _ = http(srv.port, "POST", target, auth, b"x" * (1 << 20))
        over, _ = http(srv.port, "POST", target, auth, b"x" * ((1 << 20) + 1))
        body = b"".join(b"%x\r\n%s\r\n" % (65536, b"x" * 65536) for _ in range(17)) + b"0\r\n\r\n"
        chunked, _ = http(srv.port, "POST", target, dict(auth, **{"Transfer-Encoding": "chunked"}), body)
        expect(ok == 202, f"a 1 MiB body got {ok}, not 202")
        expect(over == 413, f"1 MiB + 1 got {over}, not 413")
        expect(chunked == 413, f"a chunked 1.06 MiB body got {chunked}, not 413")
        return c, f"1 MiB: {ok}; 1 MiB + 1: {over}; chunked 1.06 MiB: {chunked}", srv
    except Exception:
        c.finish()
        srv.stop()
        raise


CHECKS = {
    "slowloris": check_slowloris,
    "slow-consumer": check_slow_consumer,
    "half-frames-resets": check_half_frames_and_resets,
    "descriptors": check_descriptor_exhaustion,
    "event-handlers": check_event_handlers,
    "rest-body-limit": check_rest_body_limit,
}


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    names = sys.argv[2:] or list(CHECKS)
    results = []
    for name in names:
        start = time.monotonic()
        try:
            c, detail, srv = CHECKS[name](binary)
            # A short check still shows the server serving afterwards: at least 50 round trips.
            deadline = time.monotonic() + 5
            while len(c.rtts) < 50 and c.is_alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            sent, p99, worst = c.finish()
            alive = srv.alive()
            code = srv.stop()
            expect(alive, "hubcast exited during the check")
            expect(code == 0, f"hubcast exited {code} on SIGTERM")
            expect(c.lost == 0, "the canary lost a message")
            expect(sent > 0, "the canary exchanged nothing")
            expect(worst <= CANARY_MAX_MS, f"canary round trip reached {worst:.0f} ms")
            detail += f"; canary {sent} round trips, p99 {p99:.1f} ms, max {worst:.1f} ms"
            results.append((name, True, detail))
        except failed as e:
            results.append((name, False, str(e)))
        except Exception as e:  # a broken check is a failed check, named
            results.append((name, False, f"{type(e).__name__}: {e}"))
        print(f"{'PASS' if results[-1][1] else 'FAIL'} {name} ({time.monotonic() - start:.0f} s): {results[-1][2]}", flush=True)
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
