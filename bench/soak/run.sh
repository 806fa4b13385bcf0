#!/usr/bin/env bash
# `make soak`: a bounded soak run of hubcast (docs/reliability.md). One server (two workers) on
# 127.0.0.1 and SOAK_PROCESSES hubcast-soak processes sharing SOAK_CONNECTIONS connections between
# them (each process may hold at most 20,000 descriptors here, so 19,000 connections need two),
# for SOAK_MINUTES minutes, then bench/soak/report.py checks the series and draws the chart.
#
# Environment (defaults in brackets):
#   SOAK_MINUTES [30]  SOAK_CONNECTIONS [19000]  SOAK_PROCESSES [2]  SOAK_WORKERS [2]
#   SOAK_RELIABLE [400, over all processes]  SOAK_CHURN [100 connections replaced per second, all processes]
#   SOAK_JOINS [100/s]  SOAK_GROUP_RATE [200/s]  SOAK_REST_RATE [40/s]  SOAK_RELIABLE_RATE [200/s]
#   SOAK_CUTS [8 reliable transports cut per second]  SOAK_INTERVAL [10 s per CSV row]
#   SOAK_BUILD_DIR [build-soak]  SOAK_OUT [$SOAK_BUILD_DIR/soak-<time>]
#   SOAK_DOCS [0; 1 rewrites the figures and chart in docs/reliability.md]
# Exit status: 0 when every check passed, 1 otherwise. Everything runs under `nice`.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
minutes=${SOAK_MINUTES:-30}
connections=${SOAK_CONNECTIONS:-19000}
processes=${SOAK_PROCESSES:-2}
workers=${SOAK_WORKERS:-2}
reliable=${SOAK_RELIABLE:-400}
churn=${SOAK_CHURN:-100}
joins=${SOAK_JOINS:-100}
group_rate=${SOAK_GROUP_RATE:-200}
rest_rate=${SOAK_REST_RATE:-40}
reliable_rate=${SOAK_RELIABLE_RATE:-200}
cuts=${SOAK_CUTS:-8}
interval=${SOAK_INTERVAL:-10}
build=${SOAK_BUILD_DIR:-$root/build-soak}
out=${SOAK_OUT:-$build/soak-$(date -u +%Y%m%dT%H%M%SZ)}
key=hubcast-soak-access-key-0123456789abcdef

log() { printf 'soak: %s\n' "$*" >&2; }

per_process() { # total -> share of one process (awk: fractional rates allowed)
    awk -v t="$1" -v p="$processes" 'BEGIN { printf "%g", t / p }'
}

# python3-matplotlib draws the chart (Debian's python3, whatever python3 is first on PATH).
if ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
    log "installing python3-matplotlib"
    sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-matplotlib >/dev/null
fi

log "building hubcast and hubcast-soak in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHUBCAST_BUILD_TESTS=OFF -DHUBCAST_BUILD_BENCH=ON >/dev/null
nice cmake --build "$build" -j 2 --target hubcast hubcast-soak >/dev/null

mkdir -p "$out"
log "results in $out"

server_pid=0
soak_pids=()
cleanup() {
    for pid in "${soak_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    if ((server_pid > 0)) && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        # Bounded: hubcast exits within 5 s of SIGTERM; KILL after 15.
        for _ in $(seq 150); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

nice "$build/hubcast" --listen 127.0.0.1:0 --access-key "$key" --workers "$workers" --log-level warn \
    >"$out/hubcast.out" 2>"$out/hubcast.log" &
server_pid=$!
port=""
for _ in $(seq 100); do
    port=$(sed -n 's|^hubcast listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$out/hubcast.out")
    [[ -n $port ]] && break
    sleep 0.1
done
if [[ -z $port ]]; then
    log "hubcast did not start: $(cat "$out/hubcast.log")"
    exit 1
fi
log "hubcast pid $server_pid on port $port; $connections connections from $processes processes for $minutes min"

# Every process stops by itself: --minutes, then at most 60 s of drain; `timeout` bounds the rest.
bound=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 + 420 }')
for ((i = 0; i < processes; i++)); do
    nice timeout -s KILL "$bound" "$build/bench/hubcast-soak" --port "$port" --access-key "$key" --id "$i" \
        --seed $((i + 1)) --connections "$((connections / processes))" \
        --reliable "$((reliable / processes))" --minutes "$minutes" --interval "$interval" \
        --churn "$(per_process "$churn")" --joins "$(per_process "$joins")" \
        --group-rate "$(per_process "$group_rate")" --rest-rate "$(per_process "$rest_rate")" \
        --reliable-rate "$(per_process "$reliable_rate")" --cuts "$(per_process "$cuts")" \
        --server-pid "$server_pid" --csv "$out/soak-$i.csv" >"$out/summary-$i.json" 2>"$out/soak-$i.log" &
    soak_pids+=("$!")
done
status=0
for pid in "${soak_pids[@]}"; do
    wait "$pid" || status=1
done
soak_pids=()
cat "$out"/summary-*.json
if ! kill -0 "$server_pid" 2>/dev/null; then
    log "hubcast is gone: it crashed during the run"
    status=1
fi
curl -s "http://127.0.0.1:$port/metrics" >"$out/metrics.txt" 2>/dev/null || true

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD 2>/dev/null || commit="$commit+changes"
report_args=("$out" --minutes "$minutes" --connections "$connections" --churn "$churn" --commit "$commit")
if [[ ${SOAK_DOCS:-0} == 1 ]]; then
    report_args+=(--docs "$root/docs/reliability.md")
fi
/usr/bin/python3 "$root/bench/soak/report.py" "${report_args[@]}" || status=1
if ((status == 0)); then
    log "passed"
else
    log "FAILED (see $out)"
fi
exit "$status"
