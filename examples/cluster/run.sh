#!/usr/bin/env bash
# A hubcast cluster on this machine: Debian's redis-server, NODES hubcast nodes sharing it
# (docs/scale-out.md) and Debian's nginx in front of them as a round-robin load balancer. Prints the
# connection string and a client URL of the balancer, then runs until Ctrl-C or SIGTERM, when it
# stops everything it started and removes its temporary folder.
#
#   examples/cluster/run.sh
#
# Environment:
#   PORT                the balancer's port on 127.0.0.1 (default 8080, as `make run`)
#   NODES               how many hubcast nodes (default 3)
#   HUBCAST_ACCESS_KEY  the access key of every node (default: a random one, printed)
#   HUBCAST_BINARY      the hubcast binary (default build/hubcast, built with `make server` if missing)
#
# Everything runs on loopback as the calling user: Redis listens on a unix socket only, the nodes on
# ports the kernel picks, and nginx reads a configuration generated into the temporary folder, with
# its pid file, logs and temporary files there too (no root, nothing under /etc/nginx).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
port=${PORT:-8080}
node_count=${NODES:-3}
binary=${HUBCAST_BINARY:-$root/build/hubcast}
start_timeout_s=15 # two shared cores, possibly busy compiling

if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
    echo "cluster: PORT must be a port number 1-65535, not '$port'" >&2
    exit 2
fi
if ! [[ $node_count =~ ^[0-9]+$ ]] || ((node_count < 1 || node_count > 16)); then
    echo "cluster: NODES must be 1-16, not '$node_count'" >&2
    exit 2
fi
for program in redis-server redis-cli nginx; do
    if ! command -v "$program" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$program ]]; then
        echo "cluster: $program is missing; scripts/install-deps.sh (or make deps) installs it" >&2
        exit 1
    fi
done
nginx_program=$(command -v nginx || echo /usr/sbin/nginx)
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "cluster: 127.0.0.1:$port is taken by another program; choose another PORT" >&2
    exit 1
fi
if [[ ! -x $binary ]]; then
    if [[ -n ${HUBCAST_BINARY:-} ]]; then
        echo "cluster: HUBCAST_BINARY=$binary is not an executable" >&2
        exit 1
    fi
    make -C "$root" --no-print-directory server
fi

if [[ -n ${HUBCAST_ACCESS_KEY:-} ]]; then
    key=$HUBCAST_ACCESS_KEY
else
    key=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/hubcast-cluster-XXXXXX")
pids=()
names=()

# Stops what was started, the balancer first (no new clients), the nodes next (each tells its
# clients and deletes its presence from Redis as it exits), Redis last. Each gets 5 s after SIGTERM.
stop_all() {
    local status=$1 i pid waited
    trap - INT TERM EXIT
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        pid=${pids[i]}
        kill -TERM "$pid" 2>/dev/null || continue
        for ((waited = 0; waited < 50; waited++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "cluster: ${names[i]} did not exit within 5 s of SIGTERM; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$dir"
    exit "$status"
}
trap 'stop_all 1' EXIT
trap 'echo; echo "cluster: stopping"; stop_all 0' INT TERM

fail() {
    echo "cluster: $1" >&2
    if [[ -n ${2:-} && -f $2 ]]; then
        echo "cluster: the last lines of $2:" >&2
        tail -n 20 "$2" >&2
    fi
    stop_all 1
}

# Runs the command "$@" until it succeeds, for at most start_timeout_s.
wait_until() {
    local deadline=$((SECONDS + start_timeout_s))
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
}

# Redis: a unix socket only, nothing saved.
redis_socket=$dir/redis.sock
redis-server --port 0 --unixsocket "$redis_socket" --unixsocketperm 700 --dir "$dir" --save '' \
    --appendonly no --daemonize no --logfile "$dir/redis.log" &
pids+=($!) names+=(redis-server)
redis_ready() { [[ $(redis-cli -s "$redis_socket" ping 2>/dev/null) == PONG ]]; }
wait_until redis_ready || fail "redis-server did not answer on $redis_socket" "$dir/redis.log"
echo "cluster: redis-server on unix://$redis_socket"

# The nodes: each on a port the kernel picks, which it prints.
node_ports=()
for ((i = 1; i <= node_count; i++)); do
    log=$dir/node$i.log
    # --trusted-proxy: nginx, on loopback, says who the client is (per-address limits) and which
    # scheme it used (nextLink).
    "$binary" --listen 127.0.0.1:0 --access-key "$key" --redis "unix://$redis_socket" --node-id "n$i" \
        --trusted-proxy 127.0.0.1 >"$log" 2>&1 &
    pids+=($!) names+=("node n$i")
done
for ((i = 1; i <= node_count; i++)); do
    log=$dir/node$i.log
    node_listening() { grep -q '^hubcast listening on http://127\.0\.0\.1:[0-9]*$' "$1"; }
    wait_until node_listening "$log" || fail "node n$i did not start" "$log"
    node_port=$(sed -n 's|^hubcast listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$log")
    node_ports+=("$node_port")
    node_key=$(sed -n 's|^hubcast node .* (node key \(.*\)) in the cluster on .*$|\1|p' "$log")
    echo "cluster: node n$i (node key $node_key) on http://127.0.0.1:$node_port"
done

# The balancer: nginx.conf.in says what each line is for (and docs/scale-out.md, "Behind a load
# balancer").
mkdir -p "$dir/nginx"
servers=""
for node_port in "${node_ports[@]}"; do
    servers+="        server 127.0.0.1:$node_port;"$'\n'
done
config=$(<"$root/examples/cluster/nginx.conf.in")
config=${config//@DIR@/$dir/nginx}
config=${config//@PORT@/$port}
config=${config//@SERVERS@$'\n'/$servers}
printf '%s\n' "$config" >"$dir/nginx/nginx.conf"
nginx_args=(-p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/error.log")
"$nginx_program" -t -q "${nginx_args[@]}" 2>>"$dir/nginx/error.log" ||
    fail "nginx refused the configuration $dir/nginx/nginx.conf" "$dir/nginx/error.log"
"$nginx_program" "${nginx_args[@]}" 2>>"$dir/nginx/error.log" &
pids+=($!) names+=(nginx)
# nginx writes its pid file once its listening socket is bound; it exits if the bind fails.
balancer_ready() { [[ -s $dir/nginx/nginx.pid ]] || ! kill -0 "${pids[-1]}" 2>/dev/null; }
if ! wait_until balancer_ready || ! kill -0 "${pids[-1]}" 2>/dev/null; then
    fail "nginx did not start listening on 127.0.0.1:$port" "$dir/nginx/error.log"
fi
echo "cluster: nginx on http://127.0.0.1:$port, round robin over the $node_count nodes"
echo "cluster: logs, the nginx configuration and the Redis socket in $dir (removed at exit)"
echo

endpoint="http://127.0.0.1:$port"
echo "Connection string: Endpoint=http://127.0.0.1;Port=$port;AccessKey=$key;Version=1.0;"
echo "Client URL (hub chat, user alice, may join and publish to any group, valid 60 minutes):"
echo "  $("$binary" token --endpoint "$endpoint" --access-key "$key" --hub chat --user alice \
    --role webpubsub.joinLeaveGroup --role webpubsub.sendToGroup --minutes 60)"
echo
echo "cluster: running; Ctrl-C stops everything"

# Runs until a signal arrives (the trap stops everything) or a process ends by itself (a failure).
set +e
wait -n
set -e
for ((i = 0; i < ${#pids[@]}; i++)); do
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
        echo "cluster: ${names[i]} exited; stopping everything" >&2
    fi
done
stop_all 1
