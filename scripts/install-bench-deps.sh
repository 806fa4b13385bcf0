#!/usr/bin/env bash
# Installs what `make bench` needs besides the build dependencies (scripts/install-deps.sh):
# the peer servers measured side by side with hubcast (nats-server, mosquitto), Redis and its
# redis-benchmark for the scale-out section (redis-server, redis-tools; scripts/install-deps.sh has
# them too, for the tests), curl to read the nodes' /metrics, gnuplot for the charts, valgrind for
# instruction-count profiles and linux-perf where Debian has it.
# Idempotent: quiet and fast when everything is present; runs `apt-get update` only when a
# package is missing. linux-perf is optional: perf may not work inside every VM anyway.
# Services: the benchmarks start their own Redis and Mosquitto on their own ports. As in
# scripts/install-deps.sh, a policy-rc.d refuses every service start while packages install (unless
# one exists already, which then decides alone), so that no Redis takes port 6379 and core time.
set -euo pipefail

required=(nats-server mosquitto redis-server redis-tools curl gnuplot-nox valgrind libbenchmark-dev python3 procps
    util-linux rsync)
optional=(linux-perf)

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for pkg in "${required[@]}" "${optional[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
    exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-bench-deps: installing ${missing[*]}"
policy_rc=/usr/sbin/policy-rc.d
if [[ ! -e $policy_rc ]]; then
    trap '"${sudo_cmd[@]}" rm -f "$policy_rc"' EXIT
    printf '#!/bin/sh\n# scripts/install-bench-deps.sh of hubcast: no service starts while it installs\nexit 101\n' |
        "${sudo_cmd[@]}" tee "$policy_rc" >/dev/null
    "${sudo_cmd[@]}" chmod 755 "$policy_rc"
fi
"${sudo_cmd[@]}" apt-get update -qq
for pkg in "${missing[@]}"; do
    if ! "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null; then
        for opt in "${optional[@]}"; do
            if [[ "$pkg" == "$opt" ]]; then
                echo "install-bench-deps: optional $pkg is not available; continuing without it"
                continue 2
            fi
        done
        echo "install-bench-deps: cannot install $pkg" >&2
        exit 1
    fi
done
# Debian enables mosquitto and redis-server as services on install; the benchmarks start their own.
# Only a service installed just now is disabled: a Redis that was here before is somebody's.
if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now mosquitto >/dev/null 2>&1 || true
    if [[ " ${missing[*]} " == *" redis-server "* ]]; then
        systemctl disable --now redis-server >/dev/null 2>&1 || true
    fi
fi
echo "install-bench-deps: done"
