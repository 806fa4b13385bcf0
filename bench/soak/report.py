#!/usr/bin/python3
"""Checks a soak run (bench/soak/run.sh) and draws its chart.

Reads soak-<i>.csv and summary-<i>.json from the result directory, writes soak.png (RSS,
descriptors and p99 latency over time) and report.md (the figures), and exits 1 when a check fails:

- warm-up: the first third of the run, at most 5 minutes, is not judged (connections ramp up,
  allocator pools and kernel buffers grow to their working size), nor are the last 15 s (the
  soak processes end a few seconds apart);
- RSS: the median of the last judged minute is at most 5 % or 16 MiB (whichever is larger) above the
  median of the first minute after warm-up;
- descriptors: every sample after warm-up is within 2 % of the connections (or 100) of the
  post-warm-up median (churn keeps a few hundred connections opening and closing at any moment);
- p99 latency: the median of the interval p99s in the last third after warm-up is at most twice
  the median in the first third plus 5 ms (other work on a shared machine shows up as spikes,
  which the medians tolerate; a queue that grows does not pass);
- each soak process reports no lost or repeated reliable message, no refused recovery, no failed
  connect, request or ack, and no connection dropped by the server.

With --docs FILE the figures replace the text between `<!-- soak:begin -->` and
`<!-- soak:end -->` in FILE and the chart is copied beside it (reliability/soak.png).
"""

import argparse
import csv
import json
import pathlib
import shutil
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load_rows(path):
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def median(values):
    return statistics.median(values) if values else 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--minutes", type=float, required=True)
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--churn", type=float, default=0)
    parser.add_argument("--docs", type=pathlib.Path)
    parser.add_argument("--commit", default="")
    args = parser.parse_args()

    series = {}
    for path in sorted(args.out.glob("soak-*.csv")):
        series[int(path.stem.split("-")[1])] = load_rows(path)
    summaries = []
    for path in sorted(args.out.glob("summary-*.json")):
        text = path.read_text().strip()
        summaries.append(json.loads(text) if text else {"ok": False, "first_error": "no summary"})
    if 0 not in series or not series[0]:
        print("soak report: no rows from process 0", file=sys.stderr)
        return 1

    total_s = args.minutes * 60
    warmup_s = min(300.0, total_s / 3)
    # Each process starts its clock when its own connections are up, so the processes end a few
    # seconds apart and the last rows of one see the other's connections closing: the last
    # 15 s are not judged.
    end_s = total_s - 15
    server = [r for r in series[0] if r["server_rss_kib"] > 0]
    after = [r for r in server if warmup_s <= r["elapsed_s"] <= end_s]
    failures = []

    # RSS.
    first_minute = [r["server_rss_kib"] for r in after if r["elapsed_s"] < warmup_s + 60]
    last_minute = [r["server_rss_kib"] for r in after if r["elapsed_s"] >= end_s - 60]
    rss_base = median(first_minute) / 1024
    rss_end = median(last_minute) / 1024
    rss_allowed = max(0.05 * rss_base, 16.0)
    if not first_minute or not last_minute:
        failures.append("too few samples after warm-up to judge RSS")
    elif rss_end - rss_base > rss_allowed:
        failures.append(f"RSS grew {rss_end - rss_base:.1f} MiB after warm-up (allowed {rss_allowed:.1f})")

    # Descriptors.
    fds = [r["server_fds"] for r in after]
    fd_base = median(fds)
    fd_allowed = max(0.02 * args.connections, 100)
    fd_worst = max((abs(v - fd_base) for v in fds), default=0)
    if fd_worst > fd_allowed:
        failures.append(f"descriptors moved {fd_worst:.0f} from {fd_base:.0f} (allowed {fd_allowed:.0f})")

    # p99 per process.
    p99_lines = []
    for pid, rows in sorted(series.items()):
        judged = [r["p99_us"] / 1000 for r in rows if warmup_s <= r["elapsed_s"] <= end_s and r["p99_us"] > 0]
        third = max(1, len(judged) // 3)
        early, late = median(judged[:third]), median(judged[-third:])
        allowed = 2 * early + 5
        p99_lines.append((pid, early, late, max(judged, default=0)))
        if not judged:
            failures.append(f"process {pid}: no latency samples after warm-up")
        elif late > allowed:
            failures.append(f"process {pid}: p99 went from {early:.1f} ms to {late:.1f} ms (allowed {allowed:.1f})")

    for s in summaries:
        if not s.get("ok"):
            failures.append(f"process {s.get('process', '?')}: {s.get('first_error', 'failed')}")

    # Chart: the judged span and the warm-up before it (not the staggered end and the drain).
    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
    shown = [r for r in server if r["elapsed_s"] <= end_s]
    minutes = [r["elapsed_s"] / 60 for r in shown]
    axes[0].plot(minutes, [r["server_rss_kib"] / 1024 for r in shown], color="tab:blue")
    axes[0].set_ylabel("server RSS (MiB)")
    axes[1].plot(minutes, [r["server_fds"] for r in shown], color="tab:green")
    axes[1].set_ylabel("server descriptors")
    for pid, rows in sorted(series.items()):
        rows = [r for r in rows if r["elapsed_s"] <= end_s]
        axes[2].plot([r["elapsed_s"] / 60 for r in rows], [r["p99_us"] / 1000 for r in rows], label=f"soak process {pid}")
    axes[2].set_ylabel("p99 latency (ms)")
    axes[2].set_xlabel("minutes")
    axes[2].legend(loc="upper right")
    for ax in axes:
        ax.axvline(warmup_s / 60, color="grey", linestyle="--", linewidth=0.8)
        ax.grid(True, alpha=0.3)
        # From zero, with room above the highest value so a flat line does not hide in the frame.
        top = max((max(line.get_ydata(), default=0) for line in ax.get_lines() if len(line.get_ydata()) > 1), default=1)
        ax.set_ylim(0, top * 1.12 or 1)
    fig.suptitle(f"hubcast soak: {args.connections} connections, {args.minutes:g} min (dashed: end of warm-up)")
    fig.tight_layout()
    chart = args.out / "soak.png"
    fig.savefig(chart, dpi=90)

    def total(key):
        return sum(int(s.get(key, 0)) for s in summaries)

    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    lines = [
        f"| figure | value |",
        f"|---|---|",
        f"| run | {args.out.name}, commit {args.commit or 'unknown'}, load average at the end {load} (2 cores) |",
        f"| connections held | {args.connections} ({len(series)} soak processes) |",
        f"| duration, warm-up | {args.minutes:g} min, {warmup_s / 60:g} min |",
        f"| connects / closes by churn | {total('connects')} / {total('closes')} |",
        f"| joins / leaves (acks ok, failed) | {total('joins')} / {total('leaves')} ({total('acks_ok')}, {total('acks_failed')}) |",
        f"| group sends / REST sends (REST ok) | {total('group_sent')} / {total('rest_sent')} ({total('rest_ok')}) |",
        f"| deliveries timed | {total('delivered')} |",
        f"| reliable messages sent / delivered / replays dropped by id | {total('reliable_sent')} / {total('reliable_delivered')} / {total('replayed')} |",
        f"| transport cuts / recoveries / refused | {total('cuts')} / {total('recovered')} / {total('recover_refused')} |",
        f"| reliable lost / repeated | {total('lost')} / {total('repeated')} |",
        f"| connect failures / dropped by the server | {total('connect_failures')} / {total('dropped')} |",
        f"| server RSS after warm-up, at the end | {rss_base:.1f} MiB, {rss_end:.1f} MiB (allowed +{rss_allowed:.1f}) |",
        f"| server descriptors after warm-up (worst deviation) | {fd_base:.0f} (±{fd_worst:.0f}, allowed ±{fd_allowed:.0f}) |",
    ]
    server_cpu = median([r["server_cpu_pct"] for r in after])
    soak_cpu = [median([r["self_cpu_pct"] for r in rows if warmup_s <= r["elapsed_s"] <= end_s]) for _, rows in sorted(series.items())]
    lines.append(
        f"| CPU after warm-up (median, % of one core): server, each soak process | {server_cpu:.0f} %, "
        + ", ".join(f"{v:.0f} %" for v in soak_cpu)
        + " |"
    )
    for pid, early, late, worst in p99_lines:
        lines.append(f"| p99 latency, process {pid}: first third, last third, worst interval | {early:.1f} ms, {late:.1f} ms, {worst:.1f} ms |")
    lines.append(f"| result | {'passed' if not failures else 'FAILED: ' + '; '.join(failures)} |")
    report = "\n".join(lines) + "\n"
    (args.out / "report.md").write_text(report)
    print(report)

    if args.docs:
        doc = args.docs.read_text()
        begin, end = "<!-- soak:begin -->", "<!-- soak:end -->"
        if begin in doc and end in doc:
            head, rest = doc.split(begin, 1)
            _, tail = rest.split(end, 1)
            args.docs.write_text(head + begin + "\n" + report + end + tail)
            target = args.docs.parent / "reliability" / "soak.png"
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(chart, target)
        else:
            print(f"soak report: {args.docs} has no soak markers; left alone", file=sys.stderr)

    for f in failures:
        print(f"soak check failed: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
