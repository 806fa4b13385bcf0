#!/usr/bin/env bash
# bench/run.sh: the benchmark suite behind `make bench` (issue 6). Starts each server under test
# on loopback with the same CPU pinning, drives it with bench/load/hubcast-loadgen, records one
# JSON line per run, then bench/report.py rewrites docs/benchmarks.md and its charts.
#
# Pinning: the server under test on core 0 (`taskset -c 0`; hubcast --workers 1, NATS
# GOMAXPROCS=1, mosquitto and the ceiling are single-threaded), the loadgen on core 1. The
# two-worker runs give hubcast cores 0-1 and so share core 1 with the loadgen (said in the report);
# the scaling section also runs two hubcast workers on core 0 alone, to measure what sharding costs.
#
# Descriptors: these machines cap open descriptors at 20,000 per process (a hard limit that cannot
# be raised). The loadgen holding N client sockets and the server holding N each stay under it:
# the largest run holds 19,000 idle connections. The descriptor-cap check adds a second loadgen
# process (1,500 more connections) so that the *server* reaches the cap while neither loadgen does.
#
# Network: loopback only. Every server binds 127.0.0.1 and the loadgen connects to 127.0.0.1.
#
# Source: by default the suite builds a snapshot of the committed HEAD (`git archive`), so every
# figure belongs to one exact commit even while others edit the working tree; BENCH_SOURCE=worktree
# builds the working tree instead (the commit is then marked "+dirty" if src/ differs).
#
# Shared machines: the kernel groups processes by session (sched_autogroup) and shares each core
# equally between busy groups, so `nice` alone does nothing against other people's builds.
# BENCH_PRIORITY=1 (root only) raises the nice value of this run's autogroup to -10 for the duration
# of the run and puts it back afterwards; the report records whether it was used. Off by default:
# it slows everyone else's work while it runs.
#
# Scale-out (BENCH_ONLY=scaleout): one Debian redis-server and two hubcast nodes on it, all three on
# core 0, the loadgen alone on core 1 as always; then redis-benchmark's PUBLISH against the same Redis.
# Why this pinning, and what it can and cannot show: bench/README.md, "Scale-out".
#
# Environment: BENCH_PRIORITY, BENCH_BUILD_DIR (default build-bench), BENCH_ONLY (space-separated subset of:
# micro fanout window reliable scaling rooms echo events connect idle rest scaleout), BENCH_QUICK=1 (short runs, to try the
# harness), BENCH_REPORT=0 (skip rewriting docs/benchmarks.md), BENCH_REPEAT (saturation runs per
# fan-out and window-sweep cell, default 3, 1 with BENCH_QUICK=1; report.py keeps the median).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build-bench}
all_sections="micro fanout window reliable scaling rooms echo events connect idle rest scaleout"
only=${BENCH_ONLY:-$all_sections}
quick=${BENCH_QUICK:-0}
source_mode=${BENCH_SOURCE:-head}
# Saturated closed-loop figures vary by tens of percent between runs on a shared VM: each fan-out
# and window-sweep saturation cell runs `repeat` times back to back against the same server process,
# every line carries "repeat" (1..R) and "repeats" (R), and report.py keeps the run with the median
# deliveries/s (the lower median for an even R) and shows the min-max of all R.
default_repeat=3
[[ $quick == 1 ]] && default_repeat=1
repeat=${BENCH_REPEAT:-$default_repeat}
if ! [[ $repeat =~ ^[1-9][0-9]*$ ]]; then
    echo "[bench] BENCH_REPEAT must be a positive integer (got '$repeat')" >&2
    exit 1
fi
raw=$build/bench-results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$raw"

# --- build --------------------------------------------------------------------------------------
if [[ $source_mode == head ]]; then
    source_dir=$build/source
    # Only files that changed get a new mtime, so an unchanged tree does not rebuild.
    snapshot=$(mktemp -d)
    git -C "$root" archive HEAD | tar -x -C "$snapshot"
    mkdir -p "$source_dir"
    rsync -rc --delete "$snapshot"/ "$source_dir"/
    rm -rf "$snapshot"
    commit=$(git -C "$root" rev-parse --short HEAD)
    object_dir=$build/head
else
    source_dir=$root
    commit=$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src || echo '+dirty')
    object_dir=$build/worktree
fi
echo "[bench] building $commit ($source_mode) in $object_dir" >&2
cmake -S "$source_dir" -B "$object_dir" -DCMAKE_BUILD_TYPE=Release -DHUBCAST_BUILD_TESTS=OFF \
    -DHUBCAST_BUILD_BENCH=ON >/dev/null
if ! cmake --build "$object_dir" -j "$(nproc)" --target hubcast hubcast-loadgen hubcast-ceiling hubcast-micro \
    >"$raw/build.log" 2>&1; then
    grep -E 'error' "$raw/build.log" | head -20 >&2
    echo "[bench] build failed (full log: $raw/build.log)" >&2
    exit 1
fi
build=$object_dir
results=$raw/results.jsonl
: >"$results"

key=bench-access-key-0123456789
# Ports: the first free ones from 24080 up (below the ephemeral range). A port somebody else
# listens on is skipped; with SO_REUSEPORT another process on the same port would silently take
# half of the connections, so start_server also checks that the listener is ours alone.
port_in_use() { [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]; }
next_port=24080
take_port() { # variable name
    while port_in_use "$next_port"; do next_port=$((next_port + 1)); done
    printf -v "$1" '%s' "$next_port"
    next_port=$((next_port + 1))
}
take_port port_hubcast
take_port port_nats_ws
take_port port_nats
take_port port_mqtt_ws
take_port port_mqtt
take_port port_ceiling
take_port port_handler
take_port port_node_a
take_port port_node_b
take_port port_redis
loadgen=$build/bench/hubcast-loadgen
window=16 # fan-out publisher window (closed loop): the same for every server

if [[ $quick == 1 ]]; then
    timing=(--warmup 0.3 --duration 1)
    fanout_sizes=(100 1000)
    payloads=(64)
else
    timing=(--warmup 0.5 --duration 2.5)
    fanout_sizes=(100 1000 10000)
    payloads=(64 1024)
fi

wants() { [[ " $only " == *" $1 "* ]]; }

priority=${BENCH_PRIORITY:-0}
if [[ $priority == 1 && -w /proc/$$/autogroup ]]; then
    original_autogroup_nice=$(awk '{print $NF}' /proc/$$/autogroup)
    echo -10 >/proc/$$/autogroup
    restore_priority() { echo "$original_autogroup_nice" >/proc/$$/autogroup 2>/dev/null || true; }
else
    priority=0
    restore_priority() { :; }
fi
log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

# --- machine state ------------------------------------------------------------------------------
record_load() { # label
    {
        printf '%s %s\n' "$1" "$(cut -d' ' -f1-3 /proc/loadavg)"
    } >>"$raw/load.txt"
    top -bn1 | head -15 >>"$raw/top.txt" 2>/dev/null || true
}

{
    echo "commit=$commit"
    echo "source=$source_mode"
    echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "kernel=$(uname -r)"
    echo "cores=$(nproc)"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "memory_gib=$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)"
    echo "nofile_hard=$(ulimit -Hn)"
    echo "nats=$(nats-server --version 2>&1 | head -1)"
    echo "mosquitto=$(mosquitto -h 2>&1 | head -1)"
    echo "redis=$(redis-server --version 2>&1 | head -1)"
    echo "only=$only"
    echo "quick=$quick"
    echo "repeat=$repeat"
    echo "priority=$([[ $priority == 1 ]] && echo 'autogroup nice -10 (BENCH_PRIORITY=1)' || echo 'normal')"
} >"$raw/meta.txt"

sed -e "s/@NATS_PORT@/$port_nats/" -e "s/@NATS_WS_PORT@/$port_nats_ws/" \
    "$root/bench/scripts/conf/nats.conf.in" >"$raw/nats.conf"
sed -e "s/@MQTT_PORT@/$port_mqtt/" -e "s/@MQTT_WS_PORT@/$port_mqtt_ws/" \
    "$root/bench/scripts/conf/mosquitto.conf.in" >"$raw/mosquitto.conf"

# --- servers ------------------------------------------------------------------------------------
server_pid=0
server_port=0
server_cmd=""
adapter=""

wait_port() {
    for _ in $(seq 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    log "server on port $1 did not start"
    return 1
}

start_server() { # name [workers [cpus]]
    # cpus: the taskset CPU list of the server. By default core 0 for one worker (and for the
    # single-threaded servers) and cores 0..workers-1 for more; the scaling section also runs two
    # hubcast workers on core 0 alone.
    local name=$1 workers=${2:-1} cpus=${3:-}
    if [[ -z $cpus ]]; then
        cpus=0
        ((workers > 1)) && cpus=0-$((workers - 1))
    fi
    case $name in
    hubcast)
        server_port=$port_hubcast adapter=hubcast
        server_cmd="taskset -c $cpus $build/hubcast --listen 127.0.0.1:$port_hubcast --access-key $key --workers $workers --log-level warn"
        $server_cmd >>"$raw/hubcast.out" 2>>"$raw/hubcast.log" &
        ;;
    hubcast-events)
        # The hub's user events go to the nginx handler of the events section.
        server_port=$port_hubcast adapter=hubcast
        server_cmd="taskset -c $cpus $build/hubcast --listen 127.0.0.1:$port_hubcast --access-key $key --workers $workers --log-level warn --config $raw/handler-hub.toml"
        $server_cmd >>"$raw/hubcast.out" 2>>"$raw/hubcast.log" &
        ;;
    nats)
        server_port=$port_nats_ws adapter=nats
        server_cmd="GOMAXPROCS=$workers taskset -c $cpus nats-server -c $raw/nats.conf"
        GOMAXPROCS=$workers taskset -c "$cpus" nats-server -c "$raw/nats.conf" >>"$raw/nats.log" 2>&1 &
        ;;
    mosquitto)
        server_port=$port_mqtt_ws adapter=mqtt
        server_cmd="taskset -c $cpus mosquitto -c $raw/mosquitto.conf"
        $server_cmd >>"$raw/mosquitto.log" 2>&1 &
        ;;
    ceiling)
        server_port=$port_ceiling adapter=ceiling
        server_cmd="taskset -c $cpus $build/bench/hubcast-ceiling --port $port_ceiling"
        $server_cmd >>"$raw/ceiling.log" 2>&1 &
        ;;
    esac
    server_pid=$!
    wait_port "$server_port"
    sleep 0.2
    # Every listener on the port must be the server we just started (nats-server is the pid itself;
    # the others are exec'd by taskset, so the pid is theirs too).
    local owners
    owners=$(ss -Hltnp "sport = :$server_port" | grep -o 'pid=[0-9]*' | sort -u | tr '\n' ' ')
    if [[ $owners != "pid=$server_pid " ]]; then
        log "port $server_port is shared with another process ($owners): refusing to measure"
        exit 1
    fi
}

stop_server() {
    if ((server_pid > 0)); then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=0
    fi
    sleep 0.3
}
# The scale-out section's processes (bench/README.md, "Scale-out"): Redis and the nodes.
redis_pid=0
node_pids=()
stop_cluster() {
    local pid
    for pid in "${node_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    node_pids=()
    server_pid=0
    sleep 0.3
}
stop_redis() {
    if ((redis_pid > 0)); then
        kill -TERM "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
        redis_pid=0
    fi
}
reader_pids=()
stop_readers() {
    local pid
    for pid in "${reader_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    reader_pids=()
}
handler_pid=0
stop_handler() {
    if ((handler_pid > 0)); then
        kill -TERM "$handler_pid" 2>/dev/null || true
        wait "$handler_pid" 2>/dev/null || true
        handler_pid=0
    fi
}
trap 'stop_server; stop_cluster; stop_readers; stop_redis; stop_handler; restore_priority' EXIT

# Adds the exact commands, the load average and the fields of $run_extra (a JSON object, e.g. the
# repeat number) to each JSON line on stdin, appends the lines to results.jsonl and prints them.
run_extra='{}'
annotate() { # command
    python3 -c '
import json, sys
cmd, server_cmd, load, extra = sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4])
for line in sys.stdin:
    if not line.startswith("{"):
        continue
    d = json.loads(line)
    d.update(command=cmd, server_command=server_cmd, load1_before=load, **extra)
    print(json.dumps(d), flush=True)
' "$1" "$server_cmd" "$(cut -d' ' -f1 /proc/loadavg)" "$run_extra" | tee -a "$results"
}

# Runs the loadgen on core 1 against the current server.
lg() { # label args...
    local label=$1
    shift
    local cmd="taskset -c 1 $loadgen --server $adapter --port $server_port --server-pid $server_pid --access-key $key --label $label $*"
    $cmd | annotate "$cmd" || true
}

# Runs the same loadgen command `repeat` times back to back against the current server (each line
# tagged "repeat": i, "repeats": R) and prints the line of the run with the median deliveries/s:
# the same rule as report.py (sorted by deliveries/s, index (n-1)//2 of the runs that produced a
# figure). Prints nothing when no run did.
saturate() { # label args...
    local i line lines=""
    for ((i = 1; i <= repeat; i++)); do
        run_extra="{\"repeat\": $i, \"repeats\": $repeat}"
        line=$(lg "$@" | tail -1)
        run_extra='{}'
        lines+=$line$'\n'
    done
    printf '%s' "$lines" | python3 -c '
import json, sys
runs = []
for line in sys.stdin:
    if line.startswith("{"):
        d = json.loads(line)
        if not d.get("error") and "deliveries_per_s" in d:
            runs.append(d)
runs.sort(key=lambda d: d["deliveries_per_s"])
if runs:
    m = runs[(len(runs) - 1) // 2]
    rates = " ".join(format(d["deliveries_per_s"], ",") for d in runs)
    sys.stderr.write("[bench] deliveries/s of the %d run(s): %s; median %s\n"
                     % (len(runs), rates, format(m["deliveries_per_s"], ",")))
    print(json.dumps(m))
'
}

field() { # json-line key
    python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], 0))' "$1" "$2"
}

servers=(hubcast nats mosquitto ceiling)

# --- scenarios ----------------------------------------------------------------------------------
if wants micro; then
    log "micro-benchmarks"
    min_time=0.2
    [[ $quick == 1 ]] && min_time=0.05
    record_load micro
    taskset -c 1 "$build/bench/hubcast-micro" --benchmark_min_time="$min_time" \
        --benchmark_format=json --benchmark_out="$raw/micro.json" --benchmark_out_format=json >/dev/null
fi

if wants fanout; then
    for s in "${servers[@]}"; do
        start_server "$s"
        record_load "fanout-$s"
        for n in "${fanout_sizes[@]}"; do
            for p in "${payloads[@]}"; do
                log "fan-out $s subscribers=$n payload=$p: saturation (window $window), $repeat run(s)"
                line=$(saturate saturation --scenario fanout --subscribers "$n" --payload "$p" --window "$window" \
                    "${timing[@]}")
                # Half of the median run's message rate (the run report.py shows).
                rate=$(python3 -c 'import json,sys; print(int(json.loads(sys.argv[1]).get("messages_per_s",0)*0.5))' "$line" 2>/dev/null || echo 0)
                if ((rate > 0)); then
                    log "fan-out $s subscribers=$n payload=$p: latency at 50 % ($rate msg/s)"
                    lg latency50 --scenario fanout --subscribers "$n" --payload "$p" --rate "$rate" \
                        "${timing[@]}" >/dev/null
                fi
            done
        done
        stop_server
    done
fi

if wants window; then
    # In a closed loop the window sets the figure: the same fan-out at several windows.
    windows=(1 4 16 64 256)
    target_windows=(64 256)
    [[ $quick == 1 ]] && windows=(1 16) && target_windows=(64)
    for s in "${servers[@]}"; do
        start_server "$s"
        record_load "window-$s"
        for wnd in "${windows[@]}"; do
            log "window sweep $s: 1,000 subscribers, 64 B, window $wnd, $repeat run(s)"
            saturate "window$wnd" --scenario fanout --subscribers 1000 --payload 64 --window "$wnd" "${timing[@]}" >/dev/null
        done
        # The sizes of the fan-out targets at the windows they name: 10,000 x 64 B and 1,000 x 1 KiB.
        for wnd in "${target_windows[@]}"; do
            log "window sweep $s: 10,000 subscribers, 64 B, window $wnd, $repeat run(s)"
            saturate "window$wnd-n10000" --scenario fanout --subscribers 10000 --payload 64 --window "$wnd" \
                "${timing[@]}" >/dev/null
            log "window sweep $s: 1,000 subscribers, 1 KiB, window $wnd, $repeat run(s)"
            saturate "window$wnd-p1024" --scenario fanout --subscribers 1000 --payload 1024 --window "$wnd" \
                "${timing[@]}" >/dev/null
        done
        stop_server
    done
fi

if wants reliable; then
    # The official client's default subprotocol: subscribers on json.reliable.webpubsub.azure.v1
    # acknowledging as a client under load must (bench/load/adapters.hpp, reliable_ack_policy),
    # none, half and all of a 1,000-member group, at the windows of the sweep above and 256.
    reliable_windows=(16 64 256)
    [[ $quick == 1 ]] && reliable_windows=(64)
    start_server hubcast
    record_load reliable-hubcast
    for wnd in "${reliable_windows[@]}"; do
        for share in 0 0.5 1; do
            log "reliable fan-out: 1,000 subscribers, 64 B, window $wnd, reliable share $share, $repeat run(s)"
            saturate "reliable$share-w$wnd" --scenario fanout --subscribers 1000 --payload 64 --window "$wnd" \
                --reliable-share "$share" "${timing[@]}" >/dev/null
        done
    done
    stop_server
    # NATS in the same run, at the same windows: the reference of the reliable targets.
    start_server nats
    record_load reliable-nats
    for wnd in "${reliable_windows[@]}"; do
        log "reliable fan-out: NATS, 1,000 subscribers, 64 B, window $wnd, $repeat run(s)"
        saturate "reliable-nats-w$wnd" --scenario fanout --subscribers 1000 --payload 64 --window "$wnd" \
            "${timing[@]}" >/dev/null
    done
    stop_server
fi

if wants scaling; then
    # One against two hubcast workers. With two cores, the two-worker server shares core 1 with
    # the loadgen: compare deliveries per server CPU-second too (see bench/README.md).
    # The third configuration, two workers on core 0 alone (label suffix -core0), does the work of
    # one worker plus the cross-worker traffic on the same core as the one-worker run: its figure
    # per server CPU-second against one worker's is the sharding efficiency E (bench/README.md).
    for config in 1:0 2:0-1 2:0; do
        w=${config%%:*} cpus=${config#*:} suffix=""
        ((w > 1)) && [[ $cpus == 0 ]] && suffix=-core0
        start_server hubcast "$w" "$cpus"
        record_load "scaling-hubcast-$w$suffix"
        for n in 1000 10000; do
            [[ $quick == 1 && $n == 10000 ]] && continue
            log "scaling: hubcast workers=$w cpus=$cpus subscribers=$n"
            lg "workers$w$suffix" --scenario fanout --subscribers "$n" --payload 64 --window "$window" "${timing[@]}" >/dev/null
        done
        # A connect costs the server (HTTP parse, token verify, upgrade) more than the loadgen (tokens
        # are minted before the clock starts): the scenario least bound by the loadgen.
        log "scaling: hubcast workers=$w cpus=$cpus connect storm"
        lg "storm-workers$w$suffix" --scenario connect --connections 10000 --connect-concurrency 256 >/dev/null
        stop_server
    done
    for w in 1 2; do
        start_server nats "$w"
        record_load "scaling-nats-$w"
        log "scaling: nats GOMAXPROCS=$w subscribers=1000"
        lg "workers$w" --scenario fanout --subscribers 1000 --payload 64 --window "$window" "${timing[@]}" >/dev/null
        stop_server
    done
fi

if wants rooms; then
    rates=(2000 8000)
    [[ $quick == 1 ]] && rates=(2000)
    for s in "${servers[@]}"; do
        start_server "$s"
        record_load "rooms-$s"
        for r in "${rates[@]}"; do
            log "rooms $s: 1,000 groups of 10, $r msg/s offered"
            lg "rate$r" --scenario rooms --connections 10000 --group-size 10 --rate "$r" --payload 64 \
                "${timing[@]}" >/dev/null
        done
        stop_server
    done
fi

if wants echo; then
    for s in "${servers[@]}"; do
        start_server "$s"
        record_load "echo-$s"
        log "echo $s: 1,000 clients, window 1"
        lg window1 --scenario echo --connections 1000 --window 1 --payload 64 "${timing[@]}" >/dev/null
        stop_server
    done
fi

if wants events; then
    # The event-handler round trip: a client `event` with an ackId -> the CloudEvents webhook ->
    # the handler's answer -> the client's ack. The handler is Debian's nginx answering 204 at once
    # (bench/scripts/conf/handler-nginx.conf.in), one process (no master) on core 1 beside the
    # loadgen, its CPU reported as `watched_cpu_pct.handler` so that a handler-bound cell shows.
    handler_dir=$raw/handler
    mkdir -p "$handler_dir"
    sed -e "s|@DIR@|$handler_dir|g" -e "s|@PORT@|$port_handler|g" \
        "$root/bench/scripts/conf/handler-nginx.conf.in" >"$handler_dir/nginx.conf"
    sed -e "s|@PORT@|$port_handler|g" "$root/bench/scripts/conf/handler-hub.toml.in" >"$raw/handler-hub.toml"
    taskset -c 1 /usr/sbin/nginx -e "$handler_dir/error.log" -p "$handler_dir" -c "$handler_dir/nginx.conf" \
        -g 'master_process off;' >>"$handler_dir/nginx.out" 2>&1 &
    handler_pid=$!
    wait_port "$port_handler"
    start_server hubcast-events
    record_load events-hubcast
    event_windows=(1 4 16)
    [[ $quick == 1 ]] && event_windows=(4)
    for wnd in "${event_windows[@]}"; do
        log "events: 100 clients, window $wnd per client, handler nginx, $repeat run(s)"
        saturate "events-w$wnd" --scenario events --connections 100 --window "$wnd" --payload 64 \
            --watch-pid "handler=$handler_pid" "${timing[@]}" >/dev/null
    done
    stop_server
    stop_handler
fi

if wants connect; then
    n=10000
    [[ $quick == 1 ]] && n=2000
    for s in "${servers[@]}"; do
        start_server "$s"
        record_load "connect-$s"
        log "connect storm $s: $n connections"
        lg storm --scenario connect --connections "$n" --connect-concurrency 256 >/dev/null
        stop_server
    done
fi

if wants idle; then
    levels=1000,5000,10000,19000
    [[ $quick == 1 ]] && levels=1000,5000
    for s in "${servers[@]}"; do
        start_server "$s"
        record_load "idle-$s"
        log "idle scale $s: $levels connections (each process stays under the 20,000-descriptor cap)"
        if [[ $s == hubcast && $quick != 1 ]]; then
            # Hold the 19,000, then a second loadgen process pushes the server to the cap.
            idle_out=$raw/idle-hubcast.jsonl
            cmd="taskset -c 1 $loadgen --server $adapter --port $server_port --server-pid $server_pid --access-key $key --label idle --scenario idle --levels $levels --hold 120"
            $cmd >"$idle_out" &
            idle_pid=$!
            for _ in $(seq 600); do
                grep -q '"level":19000' "$idle_out" 2>/dev/null && break
                sleep 0.1
            done
            grep '^{' "$idle_out" | annotate "$cmd" >/dev/null
            log "descriptor cap: 1,500 more connections from a second loadgen process"
            lg cap --scenario probe --connections 1500 --connect-concurrency 64 --connect-timeout 30 >/dev/null
            # The probe is over: release the 19,000 (the hold is only a ceiling on how long they stay).
            kill "$idle_pid" 2>/dev/null || true
            wait "$idle_pid" 2>/dev/null || true
            refusals=$(grep -c "open descriptor limit reached" "$raw/hubcast.log" || true)
            python3 - "$refusals" "$server_pid" >>"$results" <<'PY'
import json, sys
print(json.dumps({"scenario": "cap-log", "server": "hubcast", "label": "cap",
                  "log_lines": int(sys.argv[1]),
                  "alive_after": __import__("os").path.exists("/proc/" + sys.argv[2])}))
PY
        else
            lg idle --scenario idle --levels "$levels" >/dev/null
        fi
        stop_server
    done
fi

if wants rest; then
    start_server hubcast
    status=$(python3 - "$port_hubcast" <<'PY'
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{sys.argv[1]}/api/hubs/bench/:send?api-version=2022-11-01", data=b"x",
        method="POST"), timeout=5)
    print(200)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print(0)
PY
)
    echo "{\"scenario\":\"rest-probe\",\"server\":\"hubcast\",\"label\":\"probe\",\"status\":$status}" >>"$results"
    if [[ $status != 404 && $status != 0 ]]; then
        n=10000
        [[ $quick == 1 ]] && n=1000
        log "REST: :send to all with $n connected clients (window 4)"
        lg rest-all --scenario rest --rest-target all --connections "$n" --rest-connections 4 --window 4 \
            --payload 64 "${timing[@]}" >/dev/null
        stop_server
        start_server hubcast
        log "REST: send to user, $n users, 8 HTTP connections"
        lg rest-user --scenario rest --rest-target user --connections "$n" --rest-connections 8 \
            --payload 64 "${timing[@]}" >/dev/null
    fi
    stop_server
fi

if wants scaleout; then
    # Scale-out over Redis (docs/scale-out.md): Redis, node A and node B all on core 0, the loadgen
    # alone on core 1. The publisher is on node A, the subscribers are dealt over A and B in turn,
    # all in one group. Compared with the same fan-out on one node with Redis (every send still
    # PUBLISHed, Redis hands it back to that node alone) and on one node without Redis. The loadgen
    # reads the CPU of every process of the cluster and Redis's own counters (INFO) around the
    # measured interval only.
    log "scale-out: redis-server on core 0 (port $port_redis)"
    taskset -c 0 redis-server --port "$port_redis" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$raw" --logfile "$raw/redis.log" &
    redis_pid=$!
    wait_port "$port_redis"
    redis_cmd="taskset -c 0 redis-server --port $port_redis --bind 127.0.0.1 --save '' --appendonly no"
    redis_url=redis://127.0.0.1:$port_redis/0
    start_node() { # port node-id with-redis(0|1)
        local cmd="taskset -c 0 $build/hubcast --listen 127.0.0.1:$1 --access-key $key --workers 1 --log-level warn"
        if (($3)); then
            cmd+=" --redis $redis_url --node-id $2"
        fi
        $cmd >>"$raw/hubcast-$2.out" 2>>"$raw/hubcast-$2.log" &
        local pid=$!
        node_pids+=("$pid")
        wait_port "$1"
        local owners
        owners=$(ss -Hltnp "sport = :$1" | grep -o 'pid=[0-9]*' | sort -u | tr '\n' ' ')
        if [[ $owners != "pid=$pid " ]]; then
            log "port $1 is shared with another process ($owners): refusing to measure"
            exit 1
        fi
        server_cmd+="${server_cmd:+; }$cmd"
    }
    # The nodes' backplane counters after each configuration, as a check of what crossed Redis.
    node_metrics() { # label port node-id
        curl -s "http://127.0.0.1:$2/metrics" | python3 -c '
import json, sys
label, node = sys.argv[1], sys.argv[2]
values = {}
for line in sys.stdin:
    if line.startswith("hubcast_backplane_"):
        name, _, value = line.rpartition(" ")
        values[name] = float(value)
print(json.dumps({"scenario": "scaleout-metrics", "server": "hubcast", "label": label, "node": node,
                  "metrics": values}))
' "$1" "$3" >>"$results"
    }
    scaleout_sizes=(1000 10000)
    [[ $quick == 1 ]] && scaleout_sizes=(1000)
    # label:nodes:redis. Node A takes the publisher (and half of the subscribers with two nodes).
    for config in scaleout-1node:1:0 scaleout-1node-redis:1:1 scaleout-2nodes:2:1; do
        IFS=: read -r label nodes with_redis <<<"$config"
        server_cmd="$redis_cmd"
        start_node "$port_node_a" a "$with_redis"
        server_pid=${node_pids[0]} server_port=$port_node_a adapter=hubcast
        watch=(--watch-pid "redis=$redis_pid" --redis-port "$port_redis")
        ports=$port_node_a
        if ((nodes == 2)); then
            start_node "$port_node_b" b 1
            watch=(--watch-pid "node-b=${node_pids[1]}" "${watch[@]}")
            ports=$port_node_a,$port_node_b
        fi
        sleep 0.5 # the nodes' first heartbeat and presence writes
        record_load "$label"
        for n in "${scaleout_sizes[@]}"; do
            log "scale-out $label: $n subscribers on port(s) $ports, publisher on node A, 64 B, window $window, $repeat run(s)"
            line=$(saturate "$label" --scenario fanout --subscribers "$n" --subscriber-ports "$ports" --payload 64 \
                --window "$window" "${watch[@]}" "${timing[@]}")
            rate=$(python3 -c 'import json,sys; print(int(json.loads(sys.argv[1]).get("messages_per_s",0)*0.5))' "$line" 2>/dev/null || echo 0)
            if ((rate > 0)); then
                log "scale-out $label: $n subscribers, latency at 50 % ($rate msg/s)"
                lg "$label-latency50" --scenario fanout --subscribers "$n" --subscriber-ports "$ports" --payload 64 \
                    --rate "$rate" "${watch[@]}" "${timing[@]}" >/dev/null
            fi
        done
        if ((with_redis)); then
            node_metrics "$label" "$port_node_a" a
            if ((nodes == 2)); then
                node_metrics "$label" "$port_node_b" b
            fi
        fi
        stop_cluster
    done
    server_cmd=""

    # Redis's own PUBLISH throughput on this machine: redis-benchmark on core 1 (Redis on core 0),
    # 16 commands pipelined per connection, 50 connections (its default), a 64-byte payload, to the
    # channel a group `room` of hub `chat` uses, with 0, 1, 2 and 10 subscribers on it. A subscriber
    # is a plain TCP connection read by `cat` on core 1 (Redis formats the message once per
    # subscriber; the reader only drains the socket).
    channel=hubcast:0:group:chat:room
    payload=$(printf 'x%.0s' $(seq 64))
    publishes=2000000
    [[ $quick == 1 ]] && publishes=200000
    for subs in 0 1 2 10; do
        while ((${#reader_pids[@]} < subs)); do
            (
                exec 3<>"/dev/tcp/127.0.0.1/$port_redis"
                printf 'SUBSCRIBE %s\r\n' "$channel" >&3
                exec taskset -c 1 cat <&3 >/dev/null
            ) &
            reader_pids+=("$!")
        done
        for _ in $(seq 100); do
            [[ $(redis-cli -p "$port_redis" PUBSUB NUMSUB "$channel" | tail -1) == "$subs" ]] && break
            sleep 0.05
        done
        record_load "redis-publish-$subs"
        for ((i = 1; i <= repeat; i++)); do
            log "redis-benchmark PUBLISH, $subs subscriber(s), run $i of $repeat"
            cmd="taskset -c 1 redis-benchmark -p $port_redis -n $publishes -P 16 --csv PUBLISH $channel $payload"
            server_cmd=$redis_cmd run_extra="{\"repeat\": $i, \"repeats\": $repeat}"
            python3 "$root/bench/scripts/redis_publish.py" "$port_redis" "$redis_pid" "publish-$subs" -- $cmd |
                annotate "$cmd" >/dev/null || true
            run_extra='{}'
        done
    done
    stop_readers
    server_cmd=""
    stop_redis
fi

log "results: $results"
if [[ ${BENCH_REPORT:-1} == 1 ]]; then
    python3 "$root/bench/report.py" "$raw" "$root/docs"
fi
