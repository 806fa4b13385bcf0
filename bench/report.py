#!/usr/bin/env python3
"""Rewrites docs/benchmarks.md and its charts from one bench/run.sh result directory.

Usage: bench/report.py RESULT_DIR DOCS_DIR

Reads RESULT_DIR/results.jsonl (one loadgen JSON line per run, with the exact commands),
meta.txt, load.txt and micro.json; writes DOCS_DIR/benchmarks.md, DOCS_DIR/benchmarks/*.png (gnuplot)
and DOCS_DIR/benchmarks/results.jsonl (the raw lines the tables come from). The hand-written
analysis in bench/analysis.md is appended unchanged. Only measured figures are printed: a missing
run shows as "-".

Repeated runs: bench/run.sh runs each fan-out and window-sweep saturation cell R times and tags every
line with "repeat" (1..R) and "repeats" (R). Such a group (same scenario, server, label, subscribers,
payload, window and server command) is replaced by the one run with the median deliveries/s (the
lower median for an even count), the whole line, so its CPU and latency columns belong to that same
run; the min-max of the group is kept beside it ("spread") and shown in the tables and targets.
Lines without "repeat" (older result directories) are used as they are.

Partial runs: a run of some sections only (`BENCH_ONLY`, recorded as "only" in meta.txt) replaces
those sections and keeps the others as the last report recorded them: DOCS_DIR/benchmarks/
results.jsonl holds the raw lines of every section shown, and DOCS_DIR/benchmarks/runs.json says
which run (commit, date, machine, load) each section comes from. The machine table then has a
column per run.
"""
import json
import os
import shutil
import subprocess
import sys

SERVERS = ["hubcast", "nats", "mosquitto", "ceiling"]
DATA_DIR = "."  # gnuplot data files go to the result directory, not into docs/
NAMES = {"hubcast": "hubcast", "nats": "NATS (ws)", "mosquitto": "Mosquitto (ws)", "ceiling": "ceiling"}
# The sections of bench/run.sh (BENCH_ONLY), in its order.
SECTIONS = ["micro", "fanout", "window", "reliable", "scaling", "rooms", "echo", "events", "connect", "idle", "rest",
            "scaleout"]
META_KEYS = ("commit", "source", "date", "kernel", "cores", "cpu", "memory_gib", "nofile_hard", "nats", "mosquitto",
             "redis", "quick", "repeat", "priority")


def load(result_dir):
    rows = []
    with open(os.path.join(result_dir, "results.jsonl")) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    meta = {}
    meta_path = os.path.join(result_dir, "meta.txt")
    if os.path.exists(meta_path):
        for line in open(meta_path):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    loads = []
    load_path = os.path.join(result_dir, "load.txt")
    if os.path.exists(load_path):
        loads = [line.split() for line in open(load_path) if line.strip()]
    micro = None
    micro_path = os.path.join(result_dir, "micro.json")
    if os.path.exists(micro_path):
        micro = json.load(open(micro_path))
    return rows, meta, loads, micro


def section_of(r):
    """The bench/run.sh section that produced a result line."""
    scenario, label = r.get("scenario"), r.get("label") or ""
    if scenario in ("redis-publish", "scaleout-metrics") or label.startswith("scaleout"):
        return "scaleout"
    if scenario == "fanout":
        if label.startswith("window"):
            return "window"
        if label.startswith("reliable"):
            return "reliable"
        return "scaling" if label.startswith("workers") else "fanout"
    if scenario == "connect":
        return "scaling" if label.startswith("storm-workers") else "connect"
    if scenario in ("idle", "probe", "cap-log"):
        return "idle"
    if scenario in ("rest", "rest-probe"):
        return "rest"
    return scenario


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def merge_recorded(rows, meta, loads, micro, docs_dir):
    """The lines, micro-benchmarks and runs to report: this run's alone when it ran every section,
    otherwise this run's sections plus the other sections as docs_dir/benchmarks recorded them."""
    ran = [s for s in SECTIONS if s in meta.get("only", " ".join(SECTIONS)).split()]
    record = {"sections": ran, "meta": meta, "loads": loads}
    recorded = os.path.join(docs_dir, "benchmarks", "results.jsonl")
    if set(ran) == set(SECTIONS) or not os.path.exists(recorded):
        return rows, micro, [record]
    runs_path = os.path.join(docs_dir, "benchmarks", "runs.json")
    runs = []
    if os.path.exists(runs_path):
        for run in json.load(open(runs_path)):
            left = [s for s in run["sections"] if s not in ran]
            if left:
                runs.append(dict(run, sections=left))
    else:
        sys.stderr.write(f"report: {runs_path} is missing: the kept sections are shown without their run\n")
    kept = [r for r in read_jsonl(recorded) if section_of(r) not in ran]
    micro_path = os.path.join(docs_dir, "benchmarks", "micro.json")
    if "micro" not in ran and micro is None and os.path.exists(micro_path):
        micro = json.load(open(micro_path))
    # A run of no section (re-rendering what is recorded, e.g. after a report change) adds no run.
    return kept + rows, micro, runs + ([record] if ran else [])


def find(rows, **match):
    for r in rows:
        if all(r.get(k) == v for k, v in match.items()):
            return r
    return None


def median_runs(rows):
    """Replaces each group of repeated runs by its median run (see the module docstring). The median
    line gets "spread": {"runs", "of", "deliveries_per_s": [min, max], "deliveries_per_server_cpu_s":
    [min, max]}. Keeps the order of the rows (a group sits where its first run was)."""
    def key(r):
        return (r.get("scenario"), r.get("server"), r.get("label"), r.get("subscribers"), r.get("payload"),
                r.get("window"), r.get("server_command"))
    groups = {}
    for r in rows:
        if "repeat" in r:
            groups.setdefault(key(r), []).append(r)
    out, done = [], set()
    for r in rows:
        if "repeat" not in r:
            out.append(r)
            continue
        k = key(r)
        if k in done:
            continue
        done.add(k)
        # redis-benchmark lines (scale-out section) have requests/s where the loadgen's have deliveries/s.
        runs = sorted(groups[k], key=lambda x: x.get("deliveries_per_s", x.get("requests_per_s", 0)))
        m = dict(runs[(len(runs) - 1) // 2])
        spread = {"runs": len(runs), "of": max(x.get("repeats", len(runs)) for x in runs)}
        for f in ("deliveries_per_s", "deliveries_per_server_cpu_s", "requests_per_s"):
            vals = [x[f] for x in runs if x.get(f) is not None]
            if vals:
                spread[f] = [min(vals), max(vals)]
        m["spread"] = spread
        out.append(m)
    return out


def mega(x):
    """A rate in millions (or thousands) with 2 significant decimals: 2.54 M, 197 k."""
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.0f} k"
    return f"{x:.0f}"


def spread(r, key="deliveries_per_s", brackets=False):
    """min-max of `key` over the repeats of r ("-" for a single run), e.g. "2.31-2.62 M (3 runs)"."""
    sp = (r or {}).get("spread")
    if not sp or key not in sp:
        return "" if brackets else "-"
    lo, hi = sp[key]
    lo_s, hi_s = mega(lo), mega(hi)
    lo_num, lo_unit = lo_s.rsplit(" ", 1) if " " in lo_s else (lo_s, "")
    hi_num, hi_unit = hi_s.rsplit(" ", 1) if " " in hi_s else (hi_s, "")
    text = f"{lo_num}–{hi_s}" if lo_unit == hi_unit else f"{lo_s}–{hi_s}"
    runs = f"{sp['runs']} runs" if sp["runs"] == sp["of"] else f"{sp['runs']} of {sp['of']} runs"
    if sp["runs"] < 2:
        return "" if brackets else "-"
    return f" [{text}, {runs}]" if brackets else f"{text} ({runs})"


def num(x, digits=0):
    if x is None:
        return "-"
    if isinstance(x, float) and digits:
        return f"{x:,.{digits}f}"
    return f"{int(round(x)):,}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r, percent=False):
    if r is None:
        return "-"
    return f"{100 * r:.0f} %" if percent else f"{r:.2f}x"


def cores(r):
    if not r or "core_busy_pct" not in r:
        return "-"
    return "/".join(f"{c:.0f}" for c in r["core_busy_pct"])


def per_cpu(r, key):
    """`key` per second of the server's own CPU (the per-busy-core figure)."""
    if not r or not r.get("server_cpu_pct"):
        return None
    return r[key] / (r["server_cpu_pct"] / 100.0)


def get(r, key):
    return None if r is None else r.get(key)


def taskset_cpus(command):
    """The CPUs of `taskset -c LIST` in a recorded command (None when it has none)."""
    words = (command or "").split()
    if "-c" not in words or words.index("-c") + 1 >= len(words):
        return None
    cpus = set()
    for part in words[words.index("-c") + 1].split(","):
        lo, _, hi = part.partition("-")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return cpus


def shares_loadgen_core(r):
    """True when the run's server was pinned to a core the loadgen was pinned to."""
    server, loadgen = taskset_cpus(get(r, "server_command")), taskset_cpus(get(r, "command"))
    return bool(server and loadgen and server & loadgen)


def commands_block(rows, title="Commands"):
    seen = []
    for r in rows:
        if r is None:
            continue
        for key in ("server_command", "command"):
            c = r.get(key)
            if c and c not in seen:
                seen.append(c)
    if not seen:
        return ""
    body = "\n".join(seen)
    return f"<details><summary>{title}</summary>\n\n```sh\n{body}\n```\n</details>\n"


def gnuplot(script, out_png):
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, capture_output=True)
        return os.path.exists(out_png)
    except (OSError, subprocess.CalledProcessError) as e:
        sys.stderr.write(f"report: gnuplot failed for {out_png}: {e}\n")
        return False


def terminal():
    try:
        out = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True).stderr
        out += subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True).stdout
    except OSError:
        return "png"
    return "pngcairo" if "pngcairo" in out else "png"


def chart_fanout(rows, chart_dir, payload):
    data_path = os.path.join(DATA_DIR, f"fanout-{payload}.dat")
    sizes = sorted({r["subscribers"] for r in rows if r.get("scenario") == "fanout" and r.get("label") == "saturation"})
    if not sizes:
        return None
    with open(data_path, "w") as f:
        f.write("# subscribers " + " ".join(SERVERS) + "\n")
        for n in sizes:
            vals = []
            for s in SERVERS:
                r = find(rows, scenario="fanout", server=s, label="saturation", subscribers=n, payload=payload)
                vals.append(str(r["deliveries_per_s"]) if r else "NaN")
            f.write(f"{n} " + " ".join(vals) + "\n")
    png = os.path.join(chart_dir, f"fanout-deliveries-{payload}b.png")
    plots = ", ".join(
        f"'{data_path}' using 1:{i + 2} with linespoints lw 2 title '{NAMES[s]}'" for i, s in enumerate(SERVERS))
    script = f"""set terminal {terminal()} size 900,520
set output '{png}'
set title 'Fan-out: deliveries/s by group size ({payload} B payload, window 16, server on one core)'
set logscale x
set xlabel 'subscribers in the group'
set ylabel 'deliveries/s'
set format y '%.1s%c'
set xrange [70:14000]
set key below
set grid
set xtics ({', '.join(str(n) for n in sizes)})
plot {plots}
"""
    return os.path.basename(png) if gnuplot(script, png) else None


def chart_cdf(rows, chart_dir, name, match, title):
    series = []
    for s in SERVERS:
        r = find(rows, server=s, **match)
        if r and r.get("cdf_us"):
            path = os.path.join(DATA_DIR, f"{name}-{s}.dat")
            with open(path, "w") as f:
                for q, us in r["cdf_us"]:
                    f.write(f"{max(us, 1.0)} {q}\n")
            series.append((s, path))
    if not series:
        return None
    png = os.path.join(chart_dir, f"{name}.png")
    plots = ", ".join(f"'{p}' using 1:2 with lines lw 2 title '{NAMES[s]}'" for s, p in series)
    script = f"""set terminal {terminal()} size 900,520
set output '{png}'
set title '{title}'
set logscale x
set xlabel 'latency (microseconds, log scale)'
set ylabel 'fraction of deliveries'
set key bottom right
set grid
set yrange [0:1]
plot {plots}
"""
    return os.path.basename(png) if gnuplot(script, png) else None


SCALEOUT_CONFIGS = [("scaleout-1node", "1 node, no Redis"), ("scaleout-1node-redis", "1 node + Redis"),
                    ("scaleout-2nodes", "2 nodes + Redis")]


def cluster_cpu(r):
    """CPU % of every process of the cluster under test: the node the loadgen names with
    --server-pid, the watched ones (node B, Redis)."""
    return r["server_cpu_pct"] + sum((r.get("watched_cpu_pct") or {}).values())


def per_message(r, key):
    """A Redis counter of the measured interval per message the loadgen published in it."""
    messages = r.get("messages_per_s", 0) * r.get("measured_s", 0)
    return r[key] / messages if messages and key in r else None


def loadgen_ns(r):
    """The loadgen's own CPU time per delivery, in ns: what measuring one delivery costs the
    measuring side (loadgen CPU % of one core over the run, divided by deliveries/s)."""
    if r and r.get("loadgen_ns_per_delivery") is not None:
        return r["loadgen_ns_per_delivery"]  # measured by the loadgen itself (its process CPU clock)
    if not r or not r.get("deliveries_per_s") or r.get("loadgen_cpu_pct") is None:
        return None
    return r["loadgen_cpu_pct"] * 1e7 / r["deliveries_per_s"]  # older lines: from its CPU %


def loadgen_cell(r):
    """`loadgen ns per delivery (core 1 busy %)`, marked when the loadgen's core was the bound."""
    if not r:
        return "-"
    busy = r.get("core_busy_pct") or []
    core = f" ({busy[1]:.0f} %)" if len(busy) > 1 else ""
    return f"{num(loadgen_ns(r))}{core}" + (" loadgen-bound" if loadgen_core_bound(r) else "")


def loadgen_core_bound(r):
    """The scale-out rule: the loadgen's core (core 1) above 90 % busy, whoever used it."""
    busy = r.get("core_busy_pct") or []
    return len(busy) > 1 and busy[1] > 90


def scaleout_section(w, rows, raw_rows):
    cells = [r for r in rows if r.get("scenario") == "fanout" and section_of(r) == "scaleout"]
    bench = [r for r in rows if r.get("scenario") == "redis-publish"]
    if not cells and not bench:
        return
    w("## Scale-out over Redis\n")
    w("Two hubcast nodes and one Redis ([docs/scale-out.md](scale-out.md)) on this 2-core machine: Debian's "
      "redis-server, node A and node B all pinned to **core 0** (`taskset -c 0`, each node `--workers 1`), the "
      "loadgen alone on core 1 as in every other section. The publisher is on node A, the subscribers are dealt "
      "over A and B in turn (`--subscriber-ports A,B`), all in one group; 64 B payloads, closed loop with a "
      "window of 16. Each send is PUBLISHed once by node A and Redis hands one copy to each subscribed node, "
      "node A included (it drops its own). The same fan-out runs against one node with Redis (every send still "
      "PUBLISHed, the one copy back to node A) and one node without Redis.\n")
    w("Why all of the cluster on core 0: giving node B core 1 would put it beside the loadgen, which is close to "
      "its own core's limit in the larger fan-outs, and the figure would then measure neither. With the whole "
      "cluster on one core, its deliveries per cluster CPU-second (node A + node B + Redis, read from /proc over "
      "the measured interval) compare directly with one node's on the same core: the figures show **what "
      "scale-out costs, not what it gains** (a gain needs a core, or a machine, per node). `loadgen bound` "
      "says yes when the loadgen's core was above 90 % busy (compare `loadgen CPU %`: the rest of core 1 is "
      "other processes). Redis's counters (`INFO stats commandstats`) are read by the loadgen just before and "
      "after the measured interval, without the bytes of those two readings. What these figures mean for 10 "
      "and 100 nodes: [scale-out.md, Sizing](scale-out.md#sizing).\n")
    if cells:
        w("### Fan-out across nodes (closed loop, window 16)\n")
        w("| subscribers | configuration | deliveries/s | runs (min–max deliveries/s) | p50 µs | p99 µs | lost | "
          "node A CPU % | node B CPU % | Redis CPU % | cluster CPU % | deliveries per cluster CPU-s | "
          "loadgen CPU % | core 0/1 busy % | loadgen bound |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        sizes = sorted({r["subscribers"] for r in cells})
        for n in sizes:
            for label, name in SCALEOUT_CONFIGS:
                r = find(cells, label=label, subscribers=n)
                if not r:
                    continue
                watched = r.get("watched_cpu_pct") or {}
                cpu = cluster_cpu(r)
                w(f"| {n:,} | {name} | {num(r['deliveries_per_s'])} | {spread(r)} | {num(r['p50_us'])} | "
                  f"{num(r['p99_us'])} | {num(r['lost'])} | {r['server_cpu_pct']:.0f} | "
                  f"{num(watched.get('node-b')) if 'node-b' in watched else '-'} | {num(watched.get('redis'))} | "
                  f"{cpu:.0f} | {num(r['deliveries_per_s'] / (cpu / 100.0) if cpu else None)} | "
                  f"{r['loadgen_cpu_pct']:.0f} | {cores(r)} | {'yes' if loadgen_core_bound(r) else 'no'} |")
        w("")
        w("### What Redis did per published message\n")
        w("Redis's own counters over the measured interval divided by the messages the loadgen published in it "
          "(closed-loop runs above). Commands include the nodes' heartbeats; bytes are RESP on the wire, "
          "the hubcast envelope (scope, hub, group, origin node) around the 64 B payload included.\n")
        w("| subscribers | configuration | messages/s | PUBLISH per message | Redis commands per message | "
          "bytes into Redis per message | bytes out of Redis per message |")
        w("|---|---|---|---|---|---|---|")
        for n in sizes:
            for label, name in SCALEOUT_CONFIGS:
                r = find(cells, label=label, subscribers=n)
                if not r or "redis_commands" not in r or label == "scaleout-1node":  # no Redis in use
                    continue
                w(f"| {n:,} | {name} | {num(r['messages_per_s'])} | "
                  f"{num(per_message(r, 'redis_publish_calls'), 2)} | {num(per_message(r, 'redis_commands'), 2)} | "
                  f"{num(per_message(r, 'redis_net_input_bytes'))} | {num(per_message(r, 'redis_net_output_bytes'))} |")
        w("")
        latency = [r for r in cells if r.get("label", "").endswith("-latency50")]
        if latency:
            w("### Latency at 50 % of each configuration's saturated message rate (open loop)\n")
            w("| subscribers | configuration | offered msg/s | deliveries/s | p50 µs | p99 µs | p99.9 µs | max µs | "
              "lost | cluster CPU % | core 0/1 busy % |")
            w("|---|---|---|---|---|---|---|---|---|---|---|")
            for n in sizes:
                for label, name in SCALEOUT_CONFIGS:
                    r = find(latency, label=f"{label}-latency50", subscribers=n)
                    if r:
                        w(f"| {n:,} | {name} | {num(r['rate'])} | {num(r['deliveries_per_s'])} | {num(r['p50_us'])} | "
                          f"{num(r['p99_us'])} | {num(r['p999_us'])} | {num(r['max_us'])} | {num(r['lost'])} | "
                          f"{cluster_cpu(r):.0f} | {cores(r)} |")
            w("")
        metrics = [r for r in rows if r.get("scenario") == "scaleout-metrics"]
        if metrics:
            w("The nodes' own counters (`hubcast_backplane_*` on `/metrics`) after all runs of a configuration, "
              "against the messages the loadgen sent to node A in those runs:\n")
            w("| configuration | node | messages sent by the loadgen | published_total | received_total | "
              "publish_dropped_total | malformed_total |")
            w("|---|---|---|---|---|---|---|")
            for label, name in SCALEOUT_CONFIGS:
                sent = sum(r.get("sent", 0) for r in raw_rows if r.get("scenario") == "fanout"
                           and r.get("label") in (label, f"{label}-latency50") and not r.get("error"))
                for m in (r for r in metrics if r.get("label") == label):
                    v = m["metrics"]
                    w(f"| {name} | {m['node']} | {num(sent)} | {num(v.get('hubcast_backplane_published_total'))} | "
                      f"{num(v.get('hubcast_backplane_received_total'))} | "
                      f"{num(v.get('hubcast_backplane_publish_dropped_total'))} | "
                      f"{num(v.get('hubcast_backplane_malformed_total'))} |")
            w("")
        w(commands_block(cells, "Commands (scale-out fan-out)"))
    if bench:
        w("### Redis's own PUBLISH throughput (redis-benchmark)\n")
        w("`redis-benchmark` (Debian's redis-tools) on core 1 against the same redis-server on core 0: PUBLISH of a "
          "64-byte payload to `hubcast:0:group:chat:room` (the channel of group `room` in hub `chat`), 16 commands "
          "pipelined per connection, 50 connections (its default), with 0, 1, 2 and 10 subscribers on the channel "
          "(plain TCP connections drained by `cat` on core 1). Redis's CPU from /proc over the run: below 100 % "
          "the client side, which shares core 1 with the subscribers' readers, was the bound, and `PUBLISH per "
          "Redis CPU-s` estimates what one saturated Redis core does.\n")
        w("| subscribers | PUBLISH/s | runs (min–max) | p50 ms | p99 ms | Redis CPU % | PUBLISH per Redis CPU-s | "
          "bytes into Redis per PUBLISH | bytes out of Redis per PUBLISH | core 0/1 busy % |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        for r in sorted(bench, key=lambda r: r["subscribers"]):
            calls = r.get("redis_publish_calls") or 0
            w(f"| {r['subscribers']} | {num(r['requests_per_s'])} | {spread(r, 'requests_per_s')} | "
              f"{r.get('p50_latency_ms', 0):.2f} | {r.get('p99_latency_ms', 0):.2f} | {r['redis_cpu_pct']:.0f} | "
              f"{num(calls / (r['redis_cpu_pct'] / 100.0 * r['wall_s']) if r.get('redis_cpu_pct') else None)} | "
              f"{num(r['redis_net_input_bytes'] / calls if calls else None)} | "
              f"{num(r['redis_net_output_bytes'] / calls if calls else None)} | {cores(r)} |")
        w("")
        w(commands_block(bench, "Commands (redis-benchmark)"))


def main():
    global DATA_DIR
    result_dir, docs_dir = sys.argv[1], sys.argv[2]
    DATA_DIR = result_dir
    rows, meta, loads, micro = load(result_dir)
    rows, micro, runs = merge_recorded(rows, meta, loads, micro, docs_dir)
    raw_rows = rows
    run_of = {section: run for run in runs for section in run["sections"]}
    meta = run_of.get("fanout", runs[-1])["meta"]  # the fan-out text names its run's repeat count
    failed = [r for r in rows if r.get("error")]
    rows = median_runs([r for r in rows if not r.get("error")])
    repeated = any(r.get("spread", {}).get("of", 1) > 1 for r in rows)  # the spread columns are shown
    chart_dir = os.path.join(docs_dir, "benchmarks")
    os.makedirs(chart_dir, exist_ok=True)
    with open(os.path.join(chart_dir, "results.jsonl"), "w") as f:
        for r in raw_rows:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(chart_dir, "runs.json"), "w") as f:
        json.dump(runs, f, indent=1)
        f.write("\n")
    if micro:
        json.dump(micro, open(os.path.join(chart_dir, "micro.json"), "w"), indent=1)
    out = []
    w = out.append

    w("# Benchmarks\n")
    w("Generated by `make bench` (`bench/run.sh`, then `bench/report.py`): do not edit by hand, rerun it. "
      "The method, and how to tell whether the server or the loadgen was the bound, are in "
      "[bench/README.md](../bench/README.md). Raw lines: [benchmarks/results.jsonl](benchmarks/results.jsonl). "
      "The analysis at the end (profiles, what changed, what is left) is `bench/analysis.md`, appended as written.\n")

    w("## Machine and run\n")
    if len(runs) == 1:
        w("| item | value |\n|---|---|")
        for k in META_KEYS:
            if k in runs[0]["meta"]:
                w(f"| {k} | {runs[0]['meta'][k]} |")
    else:
        w("The sections come from more than one run of `make bench` (`BENCH_ONLY` runs some sections only; the "
          "others are kept as recorded). One column per run:\n")
        w("| item | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " |")
        w("|---|" + "---|" * len(runs))
        w("| sections | " + " | ".join(", ".join(run["sections"]) for run in runs) + " |")
        for k in META_KEYS:
            if any(k in run["meta"] for run in runs):
                w(f"| {k} | " + " | ".join(run["meta"].get(k, "-") for run in runs) + " |")
    w("")
    w("Pinning: the server under test runs on core 0 (`taskset -c 0`; hubcast `--workers 1`, NATS "
      "`GOMAXPROCS=1`; Mosquitto and the ceiling are single-threaded), the loadgen on core 1 "
      "(`taskset -c 1`, one thread). Every figure comes with both cores' busy time (`core 0/1 busy %`, "
      "from /proc/stat, which also counts anything else running on the machine) and the server's own "
      "CPU. Mosquitto runs with `allow_duplicate_messages true` (its default `false` makes every publish "
      "cost O(subscribers²) in 2.0.11).\n")
    loads = [parts for run in runs for parts in run["loads"]]
    if loads:
        w("Load average (1, 5, 15 min) when each group of runs started, as a check that the machine was quiet:\n")
        w("| runs | load average |\n|---|---|")
        for parts in loads:
            w(f"| {parts[0]} | {' '.join(parts[1:4])} |")
        w("")

    # ---------------------------------------------------------------------------------------------
    fan = [r for r in rows if r.get("scenario") == "fanout"]
    summary = []

    if fan:
        w("## Fan-out\n")
        w("One publisher, one group of N subscribers, closed loop with a window of 16 messages (at most 16 "
          "published and not yet delivered to every subscriber), so every server is compared at the same "
          "window. Deliveries/s are counted by the loadgen over the measured interval; the run then waits for "
          "every queue to drain (`lost` would count what never arrived). `per server CPU-s` divides the "
          "deliveries by the server's own CPU seconds: the per-busy-core figure to compare when the loadgen "
          "(core 1) is the bound.\n")
        if repeated:
            w("Each saturation cell ran several times back to back against the same server process "
              f"(`BENCH_REPEAT`, {meta.get('repeat', 'see the runs column')} here). The figures shown are those of the "
              "run with the **median deliveries/s**, all columns from that one run (its CPU, its latency, and the "
              "latency run at 50 % of its message rate). In square brackets and in the `runs (min–max …)` columns: "
              "the lowest and highest figure over all the runs of the cell, the run-to-run spread. The targets use "
              "the median runs.\n")
        payloads = sorted({r["payload"] for r in fan})
        for p in payloads:
            sizes = sorted({r["subscribers"] for r in fan if r["payload"] == p})
            w(f"### {p} B payload: saturation\n")
            w("| subscribers | " + " | ".join(f"{NAMES[s]} deliveries/s" for s in SERVERS) +
              " | hubcast / NATS | hubcast / ceiling |")
            w("|---|" + "---|" * (len(SERVERS) + 2))
            for n in sizes:
                rs = {s: find(rows, scenario="fanout", server=s, label="saturation", subscribers=n, payload=p) for s in SERVERS}
                d = {s: get(rs[s], "deliveries_per_s") for s in SERVERS}
                w(f"| {n:,} | " + " | ".join(num(d[s]) + spread(rs[s], brackets=True) for s in SERVERS) +
                  f" | {fmt_ratio(ratio(d['hubcast'], d['nats']))} | {fmt_ratio(ratio(d['hubcast'], d['ceiling']), True)} |")
            w("")
            w("Per busy server core, CPU and bounds of the same runs:\n")
            extra_head = (" deliveries/s | runs (min–max deliveries/s) | runs (min–max per server CPU-s) |"
                          if repeated else "")
            w("| subscribers | server |" + extra_head + " deliveries per server CPU-s | server CPU % | loadgen CPU % | loadgen CPU ns per delivery | core 0/1 busy % | loadgen bound | lost | p99 µs (saturated) |")
            w("|---|---|" + ("---|---|---|" if repeated else "") + "---|---|---|---|---|---|---|---|")
            for n in sizes:
                for s in SERVERS:
                    r = find(rows, scenario="fanout", server=s, label="saturation", subscribers=n, payload=p)
                    if r:
                        extra = (f" {num(r.get('deliveries_per_s'))} | {spread(r)} | {spread(r, 'deliveries_per_server_cpu_s')} |"
                                 if repeated else "")
                        w(f"| {n:,} | {NAMES[s]} |{extra} {num(r.get('deliveries_per_server_cpu_s'))} | {r['server_cpu_pct']:.0f} | "
                          f"{r['loadgen_cpu_pct']:.0f} | {num(loadgen_ns(r))} | {cores(r)} | {'yes' if loadgen_core_bound(r) else 'no'} | "
                          f"{num(r['lost'])} | {num(r['p99_us'])} |")
            w("")
            w(f"### {p} B payload: latency at 50 % of each server's saturated rate (open loop)\n")
            w("| subscribers | server | offered msg/s | deliveries/s | p50 µs | p99 µs | p99.9 µs | max µs | server CPU % | core 0/1 busy % |")
            w("|---|---|---|---|---|---|---|---|---|---|")
            for n in sizes:
                for s in SERVERS:
                    r = find(rows, scenario="fanout", server=s, label="latency50", subscribers=n, payload=p)
                    if r:
                        w(f"| {n:,} | {NAMES[s]} | {num(r['rate'])} | {num(r['deliveries_per_s'])} | {num(r['p50_us'])} | "
                          f"{num(r['p99_us'])} | {num(r['p999_us'])} | {num(r['max_us'])} | {r['server_cpu_pct']:.0f} | {cores(r)} |")
            w("")
            w(commands_block([r for r in fan if r["payload"] == p and r.get("label") in ("saturation", "latency50")],
                             f"Commands ({p} B)"))
            chart = chart_fanout(rows, chart_dir, p)
            if chart:
                w(f"![deliveries/s by group size, {p} B](benchmarks/{chart})\n")
        cdf = chart_cdf(rows, chart_dir, "latency-cdf-fanout-1000",
                        dict(scenario="fanout", label="latency50", subscribers=1000, payload=64),
                        "Latency CDF: fan-out to 1,000 subscribers at 50 % of saturation, 64 B")
        if cdf:
            w(f"![latency CDF, fan-out 1,000](benchmarks/{cdf})\n")

        for n in (1000, 10000):
            h = find(rows, scenario="fanout", server="hubcast", label="saturation", subscribers=n, payload=64)
            nt = find(rows, scenario="fanout", server="nats", label="saturation", subscribers=n, payload=64)
            c = find(rows, scenario="fanout", server="ceiling", label="saturation", subscribers=n, payload=64)
            def m(r, key):  # the median run's figure, with the spread of its runs
                return num(get(r, key)) + spread(r, key, brackets=True)
            summary.append((f"fan-out {n:,} x 64 B: ≥ 1.5x NATS deliveries/s",
                            f"{m(h, 'deliveries_per_s')} vs {m(nt, 'deliveries_per_s')}",
                            ratio(get(h, "deliveries_per_s"), get(nt, "deliveries_per_s")), 1.5, False))
            summary.append((f"fan-out {n:,} x 64 B: ≥ 1.5x NATS per server CPU-s",
                            f"{m(h, 'deliveries_per_server_cpu_s')} vs {m(nt, 'deliveries_per_server_cpu_s')}",
                            ratio(get(h, "deliveries_per_server_cpu_s"), get(nt, "deliveries_per_server_cpu_s")), 1.5, False))
            summary.append((f"fan-out {n:,} x 64 B: ≥ 70 % of the ceiling",
                            f"{m(h, 'deliveries_per_s')} vs {m(c, 'deliveries_per_s')}",
                            ratio(get(h, "deliveries_per_s"), get(c, "deliveries_per_s")), 0.7, True))
            summary.append((f"fan-out {n:,} x 64 B: ≥ 70 % of the ceiling per server CPU-s",
                            f"{m(h, 'deliveries_per_server_cpu_s')} vs {m(c, 'deliveries_per_server_cpu_s')}",
                            ratio(get(h, "deliveries_per_server_cpu_s"), get(c, "deliveries_per_server_cpu_s")), 0.7, True))

    # ---------------------------------------------------------------------------------------------
    sweep = [r for r in rows if r.get("scenario") == "fanout" and r.get("label", "").startswith("window")]
    if sweep:
        w("## Fan-out by publisher window\n")
        w("1,000 subscribers, 64 B, closed loop at several windows: a larger window lets every server "
          "write more frames per `writev` (and the loadgen read more per `read`), so a closed-loop figure "
          "is only comparable at the same window. Deliveries/s, and in brackets deliveries per server CPU-s.\n")
        if repeated:
            w("Each cell is the run with the median deliveries/s of several back-to-back runs (as in the "
              "fan-out tables); in square brackets the min–max deliveries/s of those runs.\n")
        windows = sorted({r["window"] for r in sweep})
        w("| window | " + " | ".join(NAMES[s] for s in SERVERS) +
          " | hubcast / NATS | hubcast / ceiling | per CPU-s: hubcast / ceiling |")
        w("|---|" + "---|" * (len(SERVERS) + 3))
        for wnd in windows:
            rs = {s: find(rows, scenario="fanout", label=f"window{wnd}", server=s) for s in SERVERS}
            cells = [f"{num(get(rs[s], 'deliveries_per_s'))} ({num(get(rs[s], 'deliveries_per_server_cpu_s'))})"
                     f"{spread(rs[s], brackets=True)}" for s in SERVERS]
            cpu_ratio = ratio(get(rs["hubcast"], "deliveries_per_server_cpu_s"),
                              get(rs["ceiling"], "deliveries_per_server_cpu_s"))
            w(f"| {wnd} | " + " | ".join(cells) +
              f" | {fmt_ratio(ratio(get(rs['hubcast'], 'deliveries_per_s'), get(rs['nats'], 'deliveries_per_s')))}"
              f" | {fmt_ratio(ratio(get(rs['hubcast'], 'deliveries_per_s'), get(rs['ceiling'], 'deliveries_per_s')), True)}"
              f" | {fmt_ratio(cpu_ratio, True)} |")
            if wnd in (64, 256) and rs["hubcast"] and rs["ceiling"]:
                summary.append((f"fan-out 1,000 x 64 B, window {wnd}: ≥ 70 % of the ceiling per server CPU-s",
                                f"{num(get(rs['hubcast'], 'deliveries_per_server_cpu_s'))} vs "
                                f"{num(get(rs['ceiling'], 'deliveries_per_server_cpu_s'))}", cpu_ratio, 0.7, True))
        w("")
        w("The loadgen's own cost in the same runs: its CPU ns per delivery and, in brackets, how busy its "
          "core (core 1) was; a cell at ≥ 90 % is marked loadgen-bound and shows the loadgen's limit, not "
          "the server's.\n")
        w("| window | " + " | ".join(NAMES[s] for s in SERVERS) + " |")
        w("|---|" + "---|" * len(SERVERS))
        for wnd in windows:
            w(f"| {wnd} | " + " | ".join(loadgen_cell(find(rows, scenario="fanout", label=f"window{wnd}", server=s))
                                        for s in SERVERS) + " |")
        w("")
        sized = sorted({(r["subscribers"], r["payload"], r["window"]) for r in sweep
                        if r.get("label", "").endswith(("-n10000", "-p1024"))})
        if sized:
            w("At the sizes the fan-out targets name (10,000 × 64 B and 1,000 × 1 KiB at windows 64 and 256), "
              "the same way; the last columns compare per server CPU-s, which holds when a cell is "
              "loadgen-bound (marked *lb*).\n")
            w("| subscribers × payload | window | " + " | ".join(NAMES[s] for s in SERVERS) +
              " | hubcast / NATS | hubcast / ceiling | per CPU-s: hubcast / ceiling |")
            w("|---|---|" + "---|" * (len(SERVERS) + 3))
            for n, payload, wnd in sized:
                label = f"window{wnd}-n10000" if n == 10000 else f"window{wnd}-p1024"
                rs = {s: find(rows, scenario="fanout", label=label, server=s) for s in SERVERS}
                cells = [f"{num(get(rs[s], 'deliveries_per_s'))} ({num(get(rs[s], 'deliveries_per_server_cpu_s'))})"
                         f"{' *lb*' if rs[s] and loadgen_core_bound(rs[s]) else ''}" for s in SERVERS]
                cpu_ratio = ratio(get(rs["hubcast"], "deliveries_per_server_cpu_s"),
                                get(rs["ceiling"], "deliveries_per_server_cpu_s"))
                raw = ratio(get(rs["hubcast"], "deliveries_per_s"), get(rs["ceiling"], "deliveries_per_s"))
                to_nats = ratio(get(rs["hubcast"], "deliveries_per_s"), get(rs["nats"], "deliveries_per_s"))
                w(f"| {n:,} × {payload} B | {wnd} | " + " | ".join(cells) +
                  f" | {fmt_ratio(to_nats)} | {fmt_ratio(raw, True)} | {fmt_ratio(cpu_ratio, True)} |")
                goal = 0.8 if payload == 1024 else 0.7
                summary.append((f"fan-out {n:,} x {payload} B, window {wnd}: ≥ {goal * 100:.0f} % of the ceiling per server CPU-s",
                                f"{num(get(rs['hubcast'], 'deliveries_per_server_cpu_s'))} vs "
                                f"{num(get(rs['ceiling'], 'deliveries_per_server_cpu_s'))}", cpu_ratio, goal, True))
                summary.append((f"fan-out {n:,} x {payload} B, window {wnd}: ≥ 2x NATS deliveries/s",
                                f"{num(get(rs['hubcast'], 'deliveries_per_s'))} vs {num(get(rs['nats'], 'deliveries_per_s'))}",
                                to_nats, 2.0, False))
            w("")
        w(commands_block(sweep))

    # ---------------------------------------------------------------------------------------------
    reliable = [r for r in rows if r.get("scenario") == "fanout" and r.get("label", "").startswith("reliable")]
    if reliable:
        w("## Reliable fan-out (the official client's default subprotocol)\n")
        w("hubcast, one worker, 1,000 subscribers, 64 B, closed loop: none, half or all of the members on "
          "`json.reliable.webpubsub.azure.v1`, acknowledging once 300 ids are unacknowledged or a second has "
          "passed (bench/README.md, \"Reliable fan-out\"). Deliveries/s, in brackets deliveries per server "
          "CPU-s; NATS (plain subscriptions) ran the same cells in the same run as the reference. A cell whose "
          "loadgen core was ≥ 90 % busy is marked loadgen-bound.\n")
        if repeated:
            w("Each cell is the run with the median deliveries/s of several back-to-back runs; in square brackets "
              "the min–max deliveries/s of those runs.\n")
        shares = ["0", "0.5", "1"]
        w("| window | none reliable | half reliable | all reliable | NATS (ws), same run | half / none | all / none "
          "| all reliable / NATS |")
        w("|---|---|---|---|---|---|---|---|")
        for wnd in sorted({r["window"] for r in reliable if r.get("server") == "hubcast"}):
            rs = {s: find(rows, scenario="fanout", label=f"reliable{s}-w{wnd}", server="hubcast") for s in shares}
            nats = find(rows, scenario="fanout", label=f"reliable-nats-w{wnd}", server="nats")
            cells = []
            for s in shares:
                bound = " loadgen-bound" if rs[s] is not None and loadgen_core_bound(rs[s]) else ""
                cells.append(f"{num(get(rs[s], 'deliveries_per_s'))} ({num(get(rs[s], 'deliveries_per_server_cpu_s'))})"
                             f"{spread(rs[s], brackets=True)}{bound}")
            bound = " loadgen-bound" if nats is not None and loadgen_core_bound(nats) else ""
            cells.append(f"{num(get(nats, 'deliveries_per_s'))} ({num(get(nats, 'deliveries_per_server_cpu_s'))})"
                         f"{spread(nats, brackets=True)}{bound}")
            none = get(rs["0"], "deliveries_per_s")
            w(f"| {wnd} | " + " | ".join(cells) +
              f" | {fmt_ratio(ratio(get(rs['0.5'], 'deliveries_per_s'), none), True)}"
              f" | {fmt_ratio(ratio(get(rs['1'], 'deliveries_per_s'), none), True)}"
              f" | {fmt_ratio(ratio(get(rs['1'], 'deliveries_per_s'), get(nats, 'deliveries_per_s')))} |")
        w("")
        w("The loadgen's own CPU ns per delivery in the same runs (in brackets its core's busy %):\n")
        w("| window | none reliable | half reliable | all reliable | NATS (ws) |")
        w("|---|---|---|---|---|")
        for wnd in sorted({r["window"] for r in reliable if r.get("server") == "hubcast"}):
            cells = [loadgen_cell(find(rows, scenario="fanout", label=f"reliable{s}-w{wnd}", server="hubcast"))
                     for s in shares]
            cells.append(loadgen_cell(find(rows, scenario="fanout", label=f"reliable-nats-w{wnd}", server="nats")))
            w(f"| {wnd} | " + " | ".join(cells) + " |")
        w("")
        w(commands_block(reliable))

    # ---------------------------------------------------------------------------------------------
    scaling = [r for r in rows if r.get("label") in ("workers1", "workers2")]
    storms = [r for r in rows if r.get("label") in ("storm-workers1", "storm-workers2")]
    one_core = [r for r in rows if r.get("label") in ("workers2-core0", "storm-workers2-core0")]
    def direct_met(two, r, goal):
        """The target needs a loadgen that is not the bottleneck: not establishable when the
        two-worker server shared the loadgen's core, whichever way the ratio went."""
        if r is None or not shares_loadgen_core(two):
            return None  # the ordinary yes / no
        why = "not establishable here: the two-worker server shares core 1 with the loadgen"
        return f"no ({why})" if r < goal else f"{why} (ratio ≥ {goal}, but not a measure of the target)"

    if scaling or storms or one_core:
        w("## Scaling with workers\n")
    if scaling:
        w("The same fan-out (64 B, window 16) against one and two workers (hubcast `--workers N`, NATS "
          "`GOMAXPROCS=N`). With two workers the server is pinned to cores 0-1 and so shares core 1 with the "
          "loadgen: on this 2-core machine a two-worker server and the loadgen cannot each have a core, so "
          "the raw ratio is bounded by the loadgen. `per server CPU-s` shows whether the second worker adds "
          "deliveries in proportion to the CPU it uses.\n")
        w("| server | subscribers | workers | deliveries/s | per server CPU-s | server CPU % | loadgen CPU % | core 0/1 busy % | loadgen bound |")
        w("|---|---|---|---|---|---|---|---|---|")
        for r in scaling:
            w(f"| {NAMES.get(r['server'], r['server'])} | {r['subscribers']:,} | {r['label'][7:]} | {num(r['deliveries_per_s'])} | "
              f"{num(r.get('deliveries_per_server_cpu_s'))} | {r['server_cpu_pct']:.0f} | {r['loadgen_cpu_pct']:.0f} | {cores(r)} | "
              f"{'yes' if loadgen_core_bound(r) else 'no'} |")
        w("")
        for n in (1000, 10000):
            one = find(rows, server="hubcast", label="workers1", subscribers=n)
            two = find(rows, server="hubcast", label="workers2", subscribers=n)
            if one and two:
                r = ratio(two["deliveries_per_s"], one["deliveries_per_s"])
                summary.append((f"2 workers ≥ 1.7x 1 worker (fan-out {n:,})",
                                f"{num(two['deliveries_per_s'])} vs {num(one['deliveries_per_s'])}"
                                f" (loadgen {two['loadgen_cpu_pct']:.0f} % of core 1)",
                                r, 1.7, False, direct_met(two, r, 1.7)))
    if storms:
        w("Connect storm (10,000 authenticated connections) against one and two hubcast workers: a "
          "connect costs the server more than the loadgen (tokens are minted before the clock starts), "
          "so this is the scenario where the loadgen is least likely to be the bound.\n")
        w("| workers | connections/s | per server CPU-s | server CPU % | loadgen CPU % | core 0/1 busy % | loadgen bound |")
        w("|---|---|---|---|---|---|---|")
        for r in storms:
            w(f"| {r['label'][13:]} | {num(r['connects_per_s'])} | {num(per_cpu(r, 'connects_per_s'))} | {r['server_cpu_pct']:.0f} | "
              f"{r['loadgen_cpu_pct']:.0f} | {cores(r)} | {'yes' if loadgen_core_bound(r) else 'no'} |")
        w("")
        one = find(rows, label="storm-workers1")
        two = find(rows, label="storm-workers2")
        if one and two:
            r = ratio(two["connects_per_s"], one["connects_per_s"])
            summary.append(("2 workers ≥ 1.7x 1 worker (connect storm)",
                            f"{num(two['connects_per_s'])}/s vs {num(one['connects_per_s'])}/s"
                            f" (loadgen {two['loadgen_cpu_pct']:.0f} % of core 1)",
                            r, 1.7, False, direct_met(two, r, 1.7)))
    if one_core:
        w("### Two workers on one core: what sharding costs\n")
        w("The same fan-outs and connect storm against `hubcast --workers 2` pinned to core 0 alone "
          "(`taskset -c 0`), the loadgen on core 1 as always. Two workers on one core do the work of one "
          "worker plus the cross-worker traffic (mailbox posts and drains, membership split between the "
          "shards), so deliveries (or connects) per server CPU-second of the two-worker run divided by "
          "the one-worker run's is the **sharding efficiency E**. With a core each and nothing shared on "
          "the hot path, two workers would deliver at most **2·E** times one worker: an upper bound, since "
          "one core cannot show contention between cores (cache lines moving between them, the mailbox "
          "lock, memory bandwidth; one core in turn adds context switches between the two workers, which a "
          "core each would not have). Compare only rows whose server was near 100 % of its core: the "
          "figure per CPU-second depends on how much each loop turn batches. See bench/README.md.\n")
        w("| workload | workers | server cores | rate/s | per server CPU-s | server CPU % | loadgen CPU % | core 0/1 busy % | loadgen bound | E | 2·E |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        workloads = [(f"fan-out {n:,} x 64 B", "deliveries_per_s", dict(label="workers1", subscribers=n),
                      dict(label="workers2-core0", subscribers=n)) for n in (1000, 10000)]
        workloads.append(("connect storm 10,000", "connects_per_s", dict(label="storm-workers1"),
                          dict(label="storm-workers2-core0")))
        unsaturated = False
        for name, key, match_one, match_two in workloads:
            one = find(rows, server="hubcast", **match_one)
            two = find(rows, server="hubcast", **match_two)
            if not two:
                continue
            e = ratio(per_cpu(two, key), per_cpu(one, key))
            mark = ""
            if e is not None and min(one["server_cpu_pct"], two["server_cpu_pct"]) < 90:
                mark, unsaturated = " *", True
            for r, workers, ee in ((one, "1", None), (two, "2", e)):
                if r is None:
                    continue
                cpus = taskset_cpus(r.get("server_command"))
                w(f"| {name} | {workers} | {','.join(str(c) for c in sorted(cpus)) if cpus else '-'} | {num(r[key])} | "
                  f"{num(per_cpu(r, key))} | {r['server_cpu_pct']:.0f} | {r['loadgen_cpu_pct']:.0f} | {cores(r)} | "
                  f"{'yes' if loadgen_core_bound(r) else 'no'} | {fmt_ratio(ee)}{mark if ee else ''} | "
                  f"{fmt_ratio(None if ee is None else 2 * ee)}{mark if ee else ''} |")
            if e is not None:
                summary.append((f"2 workers on one core vs 1 worker, per server CPU-s (sharding efficiency E; "
                                f"2·E estimates the two-core ratio) ({name})",
                                f"{num(per_cpu(two, key))} vs {num(per_cpu(one, key))} per server CPU-s; "
                                f"E = {e:.2f}, 2·E = {2 * e:.2f}",
                                e, None, False, "n/a (needs ≥ 3 cores)"))
        w("")
        if unsaturated:
            w("\\* One of the two runs had its server below 90 % of its core (the loadgen was the bound, or "
              "another process took part of core 0: see `core 0/1 busy %`). A server that is not saturated "
              "batches less per loop turn, so its figure per CPU-second, and this E, are less reliable.\n")
    if scaling or storms or one_core:
        w(commands_block(scaling + storms + one_core))

    # ---------------------------------------------------------------------------------------------
    rooms = [r for r in rows if r.get("scenario") == "rooms"]
    if rooms:
        w("## Rooms\n")
        w("10,000 connections in 1,000 groups of 10; every member publishes to its own group at a fixed "
          "aggregate rate (open loop, each message stamped with its intended send time); every message "
          "reaches the 10 members of the group, the publisher included.\n")
        w("| offered msg/s | server | deliveries/s | p50 µs | p99 µs | p99.9 µs | max µs | lost | server CPU % | loadgen CPU % | core 0/1 busy % |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        for rate in sorted({r["rate"] for r in rooms}):
            for s in SERVERS:
                r = find(rows, scenario="rooms", server=s, rate=rate)
                if r:
                    w(f"| {num(rate)} | {NAMES[s]} | {num(r['deliveries_per_s'])} | {num(r['p50_us'])} | {num(r['p99_us'])} | "
                      f"{num(r['p999_us'])} | {num(r['max_us'])} | {num(r['lost'])} | {r['server_cpu_pct']:.0f} | "
                      f"{r['loadgen_cpu_pct']:.0f} | {cores(r)} |")
            h = find(rows, scenario="rooms", server="hubcast", rate=rate)
            nt = find(rows, scenario="rooms", server="nats", rate=rate)
            if h and nt:
                summary.append((f"rooms at {num(rate)} msg/s: p99 ≤ NATS's (ratio: NATS p99 / hubcast p99)",
                                f"{num(h['p99_us'])} µs vs {num(nt['p99_us'])} µs",
                                ratio(nt["p99_us"], h["p99_us"]), 1.0, False))
        w("")
        top = max(r["rate"] for r in rooms)
        cdf = chart_cdf(rows, chart_dir, "latency-cdf-rooms", dict(scenario="rooms", rate=top),
                        f"Latency CDF: rooms, 1,000 groups of 10, {int(top):,} msg/s offered")
        if cdf:
            w(f"![latency CDF, rooms](benchmarks/{cdf})\n")
        w(commands_block(rooms))

    # ---------------------------------------------------------------------------------------------
    echo = [r for r in rows if r.get("scenario") == "echo"]
    if echo:
        w("## Echo\n")
        w("1,000 clients, each the only member of its own group, each with one message in flight (it "
          "publishes the next when its previous one comes back): the per-message cost of the request path.\n")
        w("| server | messages/s | p50 µs | p99 µs | server CPU % | loadgen CPU % | core 0/1 busy % | loadgen bound |")
        w("|---|---|---|---|---|---|---|---|")
        for s in SERVERS:
            r = find(rows, scenario="echo", server=s)
            if r:
                w(f"| {NAMES[s]} | {num(r['deliveries_per_s'])} | {num(r['p50_us'])} | {num(r['p99_us'])} | "
                  f"{r['server_cpu_pct']:.0f} | {r['loadgen_cpu_pct']:.0f} | {cores(r)} | {'yes' if loadgen_core_bound(r) else 'no'} |")
        w("")
        h, nt = find(rows, scenario="echo", server="hubcast"), find(rows, scenario="echo", server="nats")
        if h and nt:
            summary.append(("echo messages/s ≥ NATS's", f"{num(h['deliveries_per_s'])} vs {num(nt['deliveries_per_s'])}",
                            ratio(h["deliveries_per_s"], nt["deliveries_per_s"]), 1.0, False))
        w(commands_block(echo))

    # ---------------------------------------------------------------------------------------------
    events = [r for r in rows if r.get("scenario") == "events"]
    if events:
        w("## Event-handler round trip\n")
        w("100 clients send user events (`\"type\":\"event\"` with an ackId), each keeping W in flight; "
          "hubcast posts each to the hub's event handler as a CloudEvents webhook and acks the client "
          "once the handler has answered. The handler is Debian's nginx answering 204 at once, one "
          "process on core 1 beside the loadgen. A round trip is counted when its ack (success) "
          "arrives. Bound: the cell's busiest process; a handler or loadgen above 90 % is the bound "
          "and the cell says so.\n")
        w("| window per client | events/s (min-max) | per server CPU-s | p50 µs | p99 µs | server CPU % | "
          "loadgen CPU % | handler CPU % | core 0/1 busy % | bound |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        for r in sorted(events, key=lambda r: r["window"]):
            handler = r.get("watched_cpu_pct", {}).get("handler", 0.0)
            bound = ("handler" if handler > 90 else "loadgen" if loadgen_core_bound(r)
                     else "server" if r["server_cpu_pct"] > 90 else "none (closed loop)")
            w(f"| {r['window']} | {num(r['deliveries_per_s'])}{spread(r, brackets=True)} | "
              f"{num(r['deliveries_per_server_cpu_s'])} | {num(r['p50_us'])} | {num(r['p99_us'])} | "
              f"{r['server_cpu_pct']:.0f} | {r['loadgen_cpu_pct']:.0f} | {handler:.0f} | {cores(r)} | {bound} |")
        w("")
        best = max(events, key=lambda r: r["deliveries_per_s"])
        summary.append(("event-handler round trips/s on one worker ≥ 50,000", num(best["deliveries_per_s"]),
                        best["deliveries_per_s"] / 50000, 1.0, False))
        w(commands_block(events))

    # ---------------------------------------------------------------------------------------------
    # The storm-workers* lines are the scaling section's: only "storm" belongs here.
    storm = [r for r in rows if r.get("scenario") == "connect" and r.get("label") == "storm"]
    if storm:
        w("## Connect storm\n")
        w("N new connections, at most 256 handshakes outstanding, timed from the first connect until the "
          "last is ready (hubcast: `connected` received, after verifying each client's own HS256 token; "
          "NATS: PONG after CONNECT; Mosquitto: CONNACK; ceiling: 101). NATS and Mosquitto accept anonymous "
          "clients here, so they do less work per connection than hubcast.\n")
        w("| server | connections | ready | failed | seconds | connections/s | per server CPU-s | server CPU % | loadgen CPU % | core 0/1 busy % |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        for s in SERVERS:
            r = find(rows, scenario="connect", label="storm", server=s)
            if r:
                w(f"| {NAMES[s]} | {num(r['connections'])} | {num(r['ready'])} | {num(r['failed'])} | {r['connect_s']:.2f} | "
                  f"{num(r['connects_per_s'])} | {num(per_cpu(r, 'connects_per_s'))} | {r['server_cpu_pct']:.0f} | "
                  f"{r['loadgen_cpu_pct']:.0f} | {cores(r)} |")
        w("")
        h = find(rows, scenario="connect", label="storm", server="hubcast")
        if h:
            summary.append(("connect storm ≥ 20,000 authenticated connections/s on one worker",
                            f"{num(h['connects_per_s'])}/s (server at {h['server_cpu_pct']:.0f} % CPU, "
                            f"loadgen at {h['loadgen_cpu_pct']:.0f} %)", ratio(h["connects_per_s"], 20000), 1.0, False))
            summary.append(("connect storm ≥ 20,000/s per busy server core",
                            f"{num(per_cpu(h, 'connects_per_s'))} per server CPU-s",
                            ratio(per_cpu(h, "connects_per_s"), 20000), 1.0, False))
        w(commands_block(storm))

    # ---------------------------------------------------------------------------------------------
    idle = [r for r in rows if r.get("scenario") == "idle"]
    if idle:
        w("## Idle scale\n")
        w("Idle connections (connected, no group), the server's RSS read from /proc after a 2 s settle; "
          "per connection = (RSS − RSS before the first connection) / connections. Kernel socket memory "
          "is not in a process's RSS. **These machines cap open descriptors at 20,000 per process (hard "
          "limit)**: the top level, 19,000, keeps both the server and the loadgen under it.\n")
        levels = sorted({r["level"] for r in idle})
        w("| connections | " + " | ".join(f"{NAMES[s]} RSS MiB | {NAMES[s]} bytes/conn" for s in SERVERS) + " |")
        w("|---|" + "---|---|" * len(SERVERS))
        for lv in levels:
            cells = []
            for s in SERVERS:
                r = find(rows, scenario="idle", server=s, level=lv)
                if r and r.get("ready") == lv:
                    cells += [f"{r['rss_kib'] / 1024:.1f}", num(r["rss_per_connection_bytes"])]
                elif r:
                    cells += [f"{r['rss_kib'] / 1024:.1f}", f"{num(r['rss_per_connection_bytes'])} ({r['ready']:,} ready)"]
                else:
                    cells += ["-", "-"]
            w(f"| {lv:,} | " + " | ".join(cells) + " |")
        w("")
        h = find(rows, scenario="idle", server="hubcast", level=max(levels))
        if h:
            summary.append((f"idle RSS ≤ 4 KiB per connection at {max(levels):,} (ratio: 4 KiB / measured)",
                            f"{num(h['rss_per_connection_bytes'])} B"
                            + "".join(f", {NAMES[s]} {num(get(find(rows, scenario='idle', server=s, level=max(levels)), 'rss_per_connection_bytes'))} B"
                                      for s in ("nats", "mosquitto")),
                            ratio(4096, h["rss_per_connection_bytes"]), 1.0, False))
        w(commands_block(idle))

    cap = find(rows, scenario="probe", label="cap")
    cap_log = find(rows, scenario="cap-log")
    if cap or cap_log:
        w("## Descriptor cap\n")
        w("With 19,000 idle connections held by one loadgen process, a second loadgen process opens 1,500 "
          "more, so hubcast (not either loadgen) reaches the 20,000-descriptor cap.\n")
        if cap:
            w(f"- the 1,500 extra clients: {cap.get('ready', 0):,} upgraded, refusals by HTTP status "
              f"`{json.dumps(cap.get('statuses'))}` (0 = connection failed without an HTTP answer), all answered "
              f"within {cap.get('probe_s', 0):.1f} s")
        if cap_log:
            w(f"- hubcast log lines `open descriptor limit reached`: {cap_log['log_lines']}; "
              f"process alive afterwards: {'yes' if cap_log['alive_after'] else 'no'}")
        w("")
        w(commands_block([cap]))

    probe = find(rows, scenario="rest-probe")
    rest_rows = [r for r in rows if r.get("scenario") == "rest"]
    w("## REST\n")
    if rest_rows:
        w("App-server REST calls over HTTP/1.1 keep-alive connections (one request in flight each), each "
          "with a bearer token whose audience is the request URL, as the Azure server SDKs sign it. "
          "`:send` to all: every connected client gets each message, closed loop with 4 messages not yet "
          "delivered everywhere. Send to user: one user per request, round robin over all users.\n")
        w("| call | connected clients | HTTP connections | requests/s | deliveries/s | p50 µs | p99 µs | "
          "statuses | lost | server CPU % | loadgen CPU % | core 0/1 busy % |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rest_rows:
            w(f"| {r['rest_target']} | {num(r['connections'])} | {r['rest_connections']} | {num(r['requests_per_s'])} | "
              f"{num(r['deliveries_per_s'])} | {num(r['p50_us'])} | {num(r['p99_us'])} | `{json.dumps(r.get('statuses'))}` | "
              f"{num(r['lost'])} | {r['server_cpu_pct']:.0f} | {r['loadgen_cpu_pct']:.0f} | {cores(r)} |")
        w("")
        w(commands_block(rest_rows))
    else:
        w("Not measured: at this commit `POST /api/hubs/{hub}/:send` answers "
          f"{probe.get('status') if probe else 'nothing'} (the REST data plane has not landed). "
          "`bench/run.sh` probes for it on every run and measures it once it answers.\n")

    # ---------------------------------------------------------------------------------------------
    scaleout_section(w, rows, raw_rows)

    # ---------------------------------------------------------------------------------------------
    if micro:
        w("## Micro-benchmarks\n")
        w("Google Benchmark (`build-bench/head/bench/hubcast-micro`, pinned to core 1). Debian's "
          "libbenchmark reports itself as a debug build; that affects only its own bookkeeping, not the "
          "code measured, which is built Release.\n")
        w("| benchmark | ns per iteration (CPU) | items/s |")
        w("|---|---|---|")
        for b in micro.get("benchmarks", []):
            items = b.get("items_per_second")
            w(f"| `{b['name']}` | {b['cpu_time']:.1f} | {num(items) if items else '-'} |")
        w("")
        w("`core_send_to_group/N` counts deliveries (N per iteration); `frame_parser_feed/B` counts frames "
          "(64 per iteration); `reliable_*` and `plain_json` come from `reliable_fanout_bench.cpp` (the "
          "reliable subprotocol's splice against a copy per recipient and against the plain JSON frame). "
          "They ran during the same suite, so the machine's load applies to them too.\n")

    # ---------------------------------------------------------------------------------------------
    if summary:
        head = ["## Targets (issues 6 and 13)\n",
                "Ratios from the runs above (same run, same machine). `met` compares the ratio with the "
                "target; read it with the bound columns of the tables: where the loadgen was the bound the "
                "raw figure measures the loadgen."
                + (" Fan-out rows use the median runs; in square brackets the min–max of the repeated runs."
                   if repeated else "") + "\n",
                "| target | measured | ratio | met |", "|---|---|---|---|"]
        for name, measured, r, goal, pct, *override in summary:
            if override and override[0] is not None:
                met = override[0]
            else:
                met = "-" if r is None else ("yes" if r >= goal else "no")
            head.append(f"| {name} | {measured} | {fmt_ratio(r, pct)} | {met} |")
        head.append("")
        # The summary goes right after the machine section.
        idx = next(i for i, line in enumerate(out) if line.startswith("## ") and "Machine" not in line and i > 2)
        out[idx:idx] = head

    if failed:
        w("## Runs that failed\n")
        w("These runs produced no figure (the tables above show `-` for them):\n")
        for r in failed:
            w(f"- {r.get('scenario')} / {NAMES.get(r.get('server'), r.get('server'))} / {r.get('label')}: "
              f"{r.get('error')} — ready {r.get('ready')}, failed {r.get('failed')}, statuses "
              f"`{json.dumps(r.get('statuses'))}`, first error `{r.get('first_error')}`; command `{r.get('command')}`")
        w("")

    analysis = os.path.join(os.path.dirname(os.path.abspath(__file__)), "analysis.md")
    if os.path.exists(analysis):
        w(open(analysis).read())

    with open(os.path.join(docs_dir, "benchmarks.md"), "w") as f:
        f.write("\n".join(out).rstrip() + "\n")
    print(f"report: wrote {os.path.join(docs_dir, 'benchmarks.md')}")


if __name__ == "__main__":
    main()
