#!/usr/bin/env bash
# Installs every Debian 12 package that hubcast's build, tests and tools need.
# Idempotent: quiet and fast when everything is present; runs `apt-get update` only when a
# package is missing. Node test tools are installed by `npm ci` in tests/sdk (see Makefile).
set -euo pipefail

packages=(
    build-essential cmake make pkg-config git
    g++ clang clang-format clang-tidy libclang-rt-14-dev
    libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
    libsimdjson-dev libtomlplusplus-dev libcli11-dev libhiredis-dev
    protobuf-compiler libprotobuf-dev libfmt-dev libspdlog-dev libssl-dev
    googletest libgtest-dev libgmock-dev libbenchmark-dev
    nodejs npm
    python3
)

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
# Node may come from outside Debian (a preinstalled toolchain); accept any node >= 18 with npm.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    filtered=()
    for pkg in "${missing[@]}"; do
        [[ "$pkg" == nodejs || "$pkg" == npm ]] || filtered+=("$pkg")
    done
    missing=("${filtered[@]+"${filtered[@]}"}")
fi

if ((${#missing[@]} == 0)); then
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
