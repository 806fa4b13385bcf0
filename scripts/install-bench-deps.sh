#!/usr/bin/env bash
# Installs what `make bench` needs besides the build dependencies (scripts/install-deps.sh):
# the peer servers measured side by side with hubcast (nats-server, mosquitto), gnuplot for the
# charts, valgrind for instruction-count profiles and linux-perf where Debian has it.
# Idempotent: quiet and fast when everything is present; runs `apt-get update` only when a
# package is missing. linux-perf is optional: perf may not work inside every VM anyway.
set -euo pipefail

required=(nats-server mosquitto gnuplot-nox valgrind libbenchmark-dev python3 procps util-linux rsync)
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
# Debian starts mosquitto as a service on install; the benchmarks start their own instance.
if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now mosquitto >/dev/null 2>&1 || true
fi
echo "install-bench-deps: done"
