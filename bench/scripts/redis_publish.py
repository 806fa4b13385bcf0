#!/usr/bin/env python3
"""One redis-benchmark run of PUBLISH against the Redis of the scale-out section, measured from outside.

Usage: redis_publish.py REDIS_PORT REDIS_PID LABEL -- COMMAND...

Runs COMMAND (a `redis-benchmark ... --csv PUBLISH <channel> <payload>` line, already pinned with
taskset by bench/run.sh), reads Redis's counters (`INFO stats commandstats`) and Redis's own CPU
(/proc/REDIS_PID/stat) and each core's busy time (/proc/stat) just before and just after it, and
prints one JSON line: redis-benchmark's requests/s and latency percentiles, the subscribers Redis
had on the channel, the PUBLISH commands and bytes Redis counted, and its CPU. The subscribers are
started (and stopped) by bench/run.sh: plain TCP connections read by `cat`, so that what is
measured is Redis, not a client that formats each message.
"""
import csv
import io
import json
import os
import socket
import subprocess
import sys
import time


def info(port):
    """total_commands_processed, cmdstat_publish calls, net input and output bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"*3\r\n$4\r\nINFO\r\n$5\r\nstats\r\n$12\r\ncommandstats\r\n")
        data = b""
        while b"\r\n" not in data:
            data += s.recv(65536)
        head, _, rest = data.partition(b"\r\n")
        size = int(head[1:])
        while len(rest) < size + 2:
            rest += s.recv(65536)
    values = {}
    for line in rest[:size].decode().splitlines():
        key, _, value = line.partition(":")
        if key == "cmdstat_publish":
            values["publish_calls"] = int(value.split(",")[0].split("=")[1])
        elif key in ("total_commands_processed", "total_net_input_bytes", "total_net_output_bytes"):
            values[key] = int(value)
    return values


def numsub(port, channel):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        request = f"*3\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n${len(channel)}\r\n{channel}\r\n"
        s.sendall(request.encode())
        data = b""
        while data.count(b"\r\n") < 4:
            data += s.recv(4096)
    return int(data.split(b"\r\n")[3][1:])


def ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def cores():
    out = []
    for line in open("/proc/stat"):
        if line.startswith("cpu") and line[3].isdigit():
            v = [int(x) for x in line.split()[1:]]
            idle = v[3] + v[4]
            out.append((sum(v) - idle, sum(v)))
    return out


def main():
    port, pid, label = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    command = sys.argv[sys.argv.index("--") + 1:]
    channel = command[command.index("PUBLISH") + 1]
    subscribers = numsub(port, channel)
    hz = os.sysconf("SC_CLK_TCK")
    before, t0, c0, at0 = info(port), ticks(pid), cores(), time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True)
    at1, t1, c1, after = time.monotonic(), ticks(pid), cores(), info(port)
    seconds = at1 - at0
    line = {"scenario": "redis-publish", "server": "redis", "label": label, "subscribers": subscribers,
            "payload": len(command[-1]), "channel": channel, "wall_s": round(seconds, 3),
            "redis_cpu_pct": round(100.0 * (t1 - t0) / hz / seconds, 1),
            "core_busy_pct": [round(100.0 * (b1 - b0) / max(1, a1 - a0), 1)
                              for (b0, a0), (b1, a1) in zip(c0, c1)]}
    rows = list(csv.reader(io.StringIO(run.stdout)))
    if run.returncode != 0 or len(rows) < 2:
        line["error"] = (run.stderr or run.stdout).strip()[-300:] or f"exit {run.returncode}"
        print(json.dumps(line))
        return 1
    result = dict(zip(rows[0], rows[1]))
    line["requests_per_s"] = float(result["rps"])
    for key in ("avg_latency_ms", "p50_latency_ms", "p99_latency_ms", "max_latency_ms"):
        if key in result:
            line[key] = float(result[key])
    # The later INFO's request and the earlier one's reply and command fall inside the difference
    # (Redis counts a reply when it writes it); they are a few kilobytes against hundreds of
    # megabytes and are left in.
    line["redis_publish_calls"] = after.get("publish_calls", 0) - before.get("publish_calls", 0)
    line["redis_commands"] = after["total_commands_processed"] - before["total_commands_processed"]
    line["redis_net_input_bytes"] = after["total_net_input_bytes"] - before["total_net_input_bytes"]
    line["redis_net_output_bytes"] = after["total_net_output_bytes"] - before["total_net_output_bytes"]
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
