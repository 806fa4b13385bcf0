#!/usr/bin/env bash
# bench/profile.sh: where hubcast spends its instructions and its memory (issue 6, step 6).
#
#   bench/profile.sh fanout [SUBSCRIBERS]   callgrind, hubcast fan-out to one group (default 1,000), 64 B;
#                                           PROFILE_RELIABLE_SHARE=1 puts the members on the reliable
#                                           JSON subprotocol (loadgen --reliable-share)
#   bench/profile.sh ceiling [SUBSCRIBERS]  the same against the ceiling server, for comparison
#   bench/profile.sh connect [CONNECTIONS]  callgrind, a storm of authenticated connects (default 2,000)
#   bench/profile.sh idle [CONNECTIONS]     massif (heap) with idle connections (default 2,000)
#   bench/profile.sh perf [SERVER] [N]      perf record (cpu-clock, kernel included) of hubcast or the
#                                           ceiling in the fan-out at full speed: the user/kernel split
#
# callgrind counts instructions, not seconds, so the figures are repeatable on a busy machine.
# Collection is switched on only once every client is connected (fanout) and off before shutdown;
# the calls that handle one published message (hubcast's router::send_to_group, the ceiling's
# publish) times the subscribers, counted from the raw callgrind file, give the deliveries, hence
# instructions per delivery (neither server makes a call per delivery: both hand a member a turn's
# messages at once). callgrind sees user
# space only: the kernel's share (writev, epoll, TCP) is not in these counts. hubcast runs with one worker on core 0, the loadgen on core 1,
# loopback only. Output: build-bench/profile/<scenario>-<time>/ (raw files and top-N tables).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
scenario=${1:-fanout}
count=${2:-}
perf_server=hubcast
if [[ $scenario == perf ]]; then
    perf_server=${2:-hubcast}
    count=${3:-}
fi
build=${BENCH_BUILD_DIR:-$root/build-bench}/profile-build
out=${BENCH_BUILD_DIR:-$root/build-bench}/profile/$scenario-$(date -u +%H%M%S)
mkdir -p "$out"
key=bench-access-key-0123456789
# The first free port from 24180 (another process on it, with SO_REUSEPORT, would take connections).
port=24180
while [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]]; do port=$((port + 1)); done

# Release with symbols and line tables (-g), from the committed HEAD like bench/run.sh.
src=${BENCH_BUILD_DIR:-$root/build-bench}/profile-source
# Only files that changed get a new mtime, so an unchanged tree does not rebuild.
snapshot=$(mktemp -d)
git -C "$root" archive HEAD | tar -x -C "$snapshot"
mkdir -p "$src"
rsync -rc --delete "$snapshot"/ "$src"/
rm -rf "$snapshot"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-g -DHUBCAST_BUILD_TESTS=OFF \
    -DHUBCAST_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target hubcast hubcast-loadgen hubcast-ceiling 2>&1 | grep -E 'error' >&2 || true
hubcast=$build/hubcast
loadgen=$build/bench/hubcast-loadgen
echo "commit $(git -C "$root" rev-parse --short HEAD); load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/info.txt"

metric() { # name
    python3 - "$port" "$1" <<'PY'
import sys, urllib.request
try:
    text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=10).read().decode()
except Exception:
    print(-1); sys.exit()
for line in text.splitlines():
    if line.startswith(sys.argv[2] + " "):
        print(int(float(line.split()[1]))); break
else:
    print(0)
PY
}

wait_port() {
    for _ in $(seq 600); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "hubcast did not start" >&2
    exit 1
}

server_pid=0
loadgen_pid=0
cleanup() {
    ((loadgen_pid > 0)) && kill "$loadgen_pid" 2>/dev/null || true
    ((server_pid > 0)) && kill -TERM "$server_pid" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT

case $scenario in
fanout | ceiling | connect)
    if [[ $scenario == ceiling ]]; then
        server=("$build/bench/hubcast-ceiling" --port $port)
        adapter=ceiling
        # once per message; every subscriber gets each one (the loadgen's publisher is no member),
        # and the ceiling hands a turn's messages to a member at once, so nothing runs per delivery
        count_function=publish
        per_call=${count:-1000}
    else
        server=("$hubcast" --listen 127.0.0.1:$port --access-key $key --workers 1 --log-level warn)
        adapter=hubcast
        # once per published message, as for the ceiling: hubcast too hands a turn's messages to a
        # member at once (docs/architecture.md section 4, "Sends per turn"), so no call is made once
        # per delivery; every subscriber gets each message (the publisher is no member)
        count_function=hubcast::core::router::send_to_group
        per_call=${count:-1000}
    fi
    taskset -c 0 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/callgrind.out" \
        "${server[@]}" >"$out/server.out" 2>"$out/server.err" &
    server_pid=$!
    wait_port
    if [[ $scenario != connect ]]; then
        n=${count:-1000}
        reliable=()
        [[ $adapter == hubcast ]] && reliable=(--reliable-share "${PROFILE_RELIABLE_SHARE:-0}")
        taskset -c 1 "$loadgen" --server $adapter --port $port --access-key $key --scenario fanout \
            --subscribers "$n" --window 16 --warmup 600 --duration 1 --connect-timeout 300 "${reliable[@]}" \
            >"$out/loadgen.json" &
        loadgen_pid=$!
        # Every client connected: the loadgen's sockets to the port, counted from /proc/net/tcp.
        for _ in $(seq 3000); do
            established=$(awk -v p=$(printf '%04X' $port) '$3 ~ ":"p"$" && $4 == "01"' /proc/net/tcp | wc -l)
            ((established >= n + 1)) && break
            sleep 0.1
        done
        sleep 3
        callgrind_control -i on "$server_pid" >/dev/null
        sleep 15
        callgrind_control -i off "$server_pid" >/dev/null
        per=1
        unit=delivery
    else
        n=${count:-2000}
        callgrind_control -i on "$server_pid" >/dev/null
        taskset -c 1 "$loadgen" --server hubcast --port $port --access-key $key --scenario connect \
            --connections "$n" --connect-timeout 300 >"$out/loadgen.json"
        callgrind_control -i off "$server_pid" >/dev/null
        per=0
        unit=connection
    fi
    callgrind_control -d "$server_pid" >/dev/null
    sleep 1
    if ((loadgen_pid > 0)); then
        kill "$loadgen_pid" 2>/dev/null || true
    fi
    loadgen_pid=0
    kill -TERM "$server_pid"
    wait "$server_pid" || true
    server_pid=0
    dumps=("$out"/callgrind.out.*)
    file=${dumps[0]}
    callgrind_annotate --inclusive=no "$file" >"$out/exclusive-full.txt" 2>/dev/null
    callgrind_annotate --inclusive=yes "$file" >"$out/inclusive-full.txt" 2>/dev/null
    sed -n 1,70p "$out/exclusive-full.txt" >"$out/top-exclusive.txt"
    sed -n 1,90p "$out/inclusive-full.txt" >"$out/top-inclusive.txt"
    callgrind_annotate --tree=caller "$file" 2>/dev/null >"$out/tree-caller.txt"
    python3 - "$out" "$file" "${count_function:-none}" "$per" "$unit" "$n" "${per_call:-1}" <<'PY' | tee -a "$out/info.txt"
import re, sys
out, raw, function, per, unit, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
per_call = int(sys.argv[7])  # deliveries per call of `function`
top = open(f"{out}/top-exclusive.txt").read()
total = int(re.search(r"^([\d,]+) .*PROGRAM TOTALS", top, re.M).group(1).replace(",", ""))
# Calls of `function`, summed from the raw file's "cfn=(id) name" / "calls=N ..." pairs.
names, calls, target = {}, 0, None
for line in open(raw):
    m = re.match(r"^c?fn=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
    if m:
        if m.group(2):
            names[m.group(1)] = m.group(2)
        target = names.get(m.group(1), "") if line.startswith("cfn=") else None
        continue
    if line.startswith("calls=") and target is not None:
        if any(target.startswith(f + "(") or target.startswith("(anonymous namespace)::" + f + "(")
               for f in function.split(",")):
            calls += int(line.split()[0][6:])
        target = None
print(f"instructions in the window (user space): {total:,}")
if per:
    print(f"calls to {function}: {calls:,} ({per_call:,} deliveries each)")
    if calls:
        print(f"instructions per {unit}: {total / (calls * per_call):,.0f}")
else:
    print(f"connections: {n:,}; instructions per {unit}: {total / n:,.0f}")
PY
    sed -n 22,50p "$out/top-exclusive.txt"
    ;;
idle)
    n=${count:-2000}
    taskset -c 0 valgrind --tool=massif --pages-as-heap=no --massif-out-file="$out/massif.out" \
        "$hubcast" --listen 127.0.0.1:$port --access-key $key --workers 1 --log-level warn \
        >"$out/hubcast.out" 2>"$out/hubcast.err" &
    server_pid=$!
    wait_port
    taskset -c 1 "$loadgen" --server hubcast --port $port --access-key $key --server-pid "$server_pid" \
        --scenario idle --levels "$n" --settle 3 --connect-timeout 300 | tee "$out/loadgen.json"
    kill -TERM "$server_pid"
    wait "$server_pid" || true
    server_pid=0
    ms_print "$out/massif.out" >"$out/massif.txt" 2>/dev/null
    # The last detailed snapshot's top-level allocation sites, per idle connection, each with the
    # first frames in hubcast's own code.
    python3 - "$out/massif.txt" "$n" <<'PY' | tee -a "$out/info.txt"
import re, sys
text, n = open(sys.argv[1]).read(), int(sys.argv[2])
lines = text[text.rfind("(heap allocation functions)"):].splitlines()[1:]
print(f"heap bytes per idle connection by allocation site (last detailed snapshot, / {n:,}):")
for i, line in enumerate(lines):
    m = re.match(r"^->([\d.]+)% \(([\d,]+)B\)", line)
    if not m:
        continue
    frames = []
    for deeper in lines[i + 1:]:
        if deeper.startswith("->") or len(frames) == 2:
            break
        if re.search(r"(hubcast::|ack_window|_session|shard)", deeper) and re.search(r"\.(cpp|hpp):\d+\)", deeper):
            frames.append(re.sub(r"^[| ]*->[\d.]+% \([\d,]+B\) 0x[0-9A-F]+: ", "", deeper)[:140])
    print(f"{int(m.group(2).replace(',', '')) / n:9.0f} B  {m.group(1)}%  " + (" <- ".join(frames) or line[:100]))
PY
    ;;
perf)
    # Not under valgrind: real speed, with the kernel's share. perf's hardware counters are not
    # available in these VMs, the cpu-clock software event is.
    n=${count:-1000}
    if [[ $perf_server == ceiling ]]; then
        server=("$build/bench/hubcast-ceiling" --port $port)
    else
        server=("$hubcast" --listen 127.0.0.1:$port --access-key $key --workers 1 --log-level warn)
    fi
    taskset -c 0 "${server[@]}" >"$out/server.out" 2>"$out/server.err" &
    server_pid=$!
    wait_port
    taskset -c 1 "$loadgen" --server "$perf_server" --port $port --access-key $key --server-pid "$server_pid" \
        --scenario fanout --subscribers "$n" --window 16 --warmup 2 --duration 6 >"$out/loadgen.json" &
    loadgen_pid=$!
    sleep 4
    perf record -e cpu-clock -F 2000 -g -p "$server_pid" -o "$out/perf.data" -- sleep 3 2>"$out/perf-record.txt"
    wait "$loadgen_pid" || true
    loadgen_pid=0
    perf report -i "$out/perf.data" --no-children --sort dso 2>/dev/null | grep -E '^ +[0-9]' >"$out/perf-dso.txt"
    perf report -i "$out/perf.data" --no-children -g none --sort sym 2>/dev/null | grep -E '^ +[0-9]' |
        sed -n 1,40p >"$out/perf-symbols.txt"
    echo "user/kernel split (share of samples):" | tee -a "$out/info.txt"
    tee -a "$out/info.txt" <"$out/perf-dso.txt"
    cat "$out/perf-symbols.txt"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("loadgen figures:", {k: d[k] for k in ("deliveries_per_s","server_cpu_pct","loadgen_cpu_pct","core_busy_pct")})' "$out/loadgen.json" | tee -a "$out/info.txt"
    ;;
*)
    echo "usage: bench/profile.sh fanout [N] | ceiling [N] | connect [N] | idle [N] | perf [hubcast|ceiling] [N]" >&2
    exit 2
    ;;
esac
echo "profile: $out"
