#!/usr/bin/env bash
# The Debian package (make deb, docs/packaging.md), built from the already-built binary and checked
# as dpkg sees it: control fields, Depends, conffiles, files and modes; then extracted into a
# temporary root, whose binary must load the shipped configuration and refuse its placeholder key,
# and whose systemd unit must pass `systemd-analyze verify` and stay within an exposure of 2.0.
#   tests/package/deb_test.sh BINARY
set -euo pipefail

binary=$(realpath "$1")
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
expect_eq() { # what, expected, actual
    [[ "$2" == "$3" ]] || fail "$1: expected '$2', got '$3'"
}

package=$("$source_dir/packaging/debian/build-deb.sh" "$binary" "$work/out" | tail -n 1)
[[ -f "$package" ]] || { echo "FAIL: no package at '$package'" >&2; exit 1; }

# Control fields: the version is the binary's own, Depends names the package of every shared
# library the binary needs.
field() { dpkg-deb --field "$package" "$1"; }
expect_eq Package hubcast "$(field Package)"
expect_eq Version "$("$binary" --version | awk '{ print $2 }')" "$(field Version)"
expect_eq Architecture "$(dpkg --print-architecture)" "$(field Architecture)"
depends=$(field Depends)
for library in $(objdump -p "$binary" | awk '$1 == "NEEDED" { print $2 }'); do
    # Every reader here reads its input to the end: one that stopped early would end the writer
    # with SIGPIPE, which pipefail turns into a failure of the test (seen with ldconfig).
    path=$(/sbin/ldconfig -p | awk -v lib="$library" '$1 == lib && !seen { print $NF; seen = 1 }')
    owner=$(dpkg -S "$(realpath "$path")" 2>/dev/null | sed -n 1p | cut -d: -f1) ||
        owner=$(dpkg -S "$path" | sed -n 1p | cut -d: -f1)
    # The owner, or a name it provides (libspdlog1.10 provides libspdlog1.10-fmt9, which its shlibs
    # file names).
    names="$owner $(dpkg-query -W -f='${Provides}' "$owner" | sed 's/([^)]*)//g; s/,/ /g')"
    found=
    for name in $names; do
        [[ ", $depends," == *", $name "* || ", $depends," == *", $name,"* ]] && found=$name
    done
    [[ -n "$found" ]] || fail "Depends '$depends' names no package of $library (owned by $owner)"
done
dpkg-deb --info "$package" >/dev/null || fail "dpkg-deb --info"
expect_eq conffiles /etc/hubcast/hubcast.toml "$(dpkg-deb --ctrl-tarfile "$package" | tar -xOf - ./conffiles)"

# Files and modes, every one owned by root.
contents=$(dpkg-deb --contents "$package")
expect_file() { # mode path
    local line
    line=$(awk -v path="./$2" '$6 == path' <<<"$contents")
    [[ -n "$line" ]] || { fail "package lacks $2"; return; }
    expect_eq "mode of $2" "$1" "$(awk '{ print $1 }' <<<"$line")"
    expect_eq "owner of $2" root/root "$(awk '{ print $2 }' <<<"$line")"
}
expect_file -rwxr-xr-x usr/bin/hubcast
expect_file -rw------- etc/hubcast/hubcast.toml
expect_file -rw-r--r-- lib/systemd/system/hubcast.service
expect_file -rw-r--r-- usr/share/man/man1/hubcast.1.gz
expect_file -rw-r--r-- usr/share/lintian/overrides/hubcast
for doc in changelog.gz hubcast-help.txt hubcast-token-help.txt README.md docs/configuration.md docs/packaging.md \
    docs/webhooks.md; do
    expect_file -rw-r--r-- "usr/share/doc/hubcast/$doc"
done
others=$(awk '$1 !~ /^d/ && $6 != "./usr/bin/hubcast" && $6 !~ /^\.\/(etc\/hubcast\/hubcast\.toml|lib\/systemd\/system\/hubcast\.service|usr\/share\/(man\/man1\/hubcast\.1\.gz|lintian\/overrides\/hubcast|doc\/hubcast\/(docs\/)?[^/]+))$/ { print $6 }' <<<"$contents")
expect_eq "files besides the expected ones" "" "$others"

# The extracted root.
root=$work/root
dpkg -x "$package" "$root"
installed=$root/usr/bin/hubcast
readelf -S "$installed" | grep -q '\.symtab' && fail "usr/bin/hubcast is not stripped"
expect_eq "--help in the docs" "$("$installed" --help)" "$(cat "$root/usr/share/doc/hubcast/hubcast-help.txt")"
zcat "$root/usr/share/man/man1/hubcast.1.gz" | grep -qF -- '\-\-print\-config\-template' ||
    fail "the man page lacks the options of --help"

config=$root/etc/hubcast/hubcast.toml
printed=$("$installed" --config "$config" --print-config) || fail "the shipped configuration does not load"
grep -q '^access_keys = \[ .repl\*' <<<"$printed" || fail "--print-config shows no masked key: $printed"
set +e
# A server that wrongly starts is stopped by timeout (status 124) instead of hanging the test.
refusal=$(timeout 20 "$installed" --config "$config" --listen 127.0.0.1:0 2>&1 </dev/null)
status=$?
set -e
expect_eq "exit status with the placeholder key" 2 "$status"
[[ "$refusal" == *placeholder* ]] || fail "the placeholder key is not named: $refusal"

# The unit, as systemd reads it. verify runs against the host's units (it needs targets such as
# sysinit.target, which an extracted root lacks) and checks that ExecStart's binary exists, so
# the unit's copy differs from the shipped one only in that path, which points into the root.
unit=$root/lib/systemd/system/hubcast.service
grep -q '^ExecStart=/usr/bin/hubcast ' "$unit" || fail "ExecStart does not start /usr/bin/hubcast"
sed "s#^ExecStart=/usr/bin/hubcast #ExecStart=$installed #" "$unit" >"$work/hubcast.service"
expect_eq "lines changed for verify" 1 "$(diff "$unit" "$work/hubcast.service" | grep -c '^>')"
# --man=no: the man page is checked above; the host has no hubcast(1) to find.
# verify exits 0 on a value it cannot parse (it logs "..., ignoring"): anything it says fails.
verified=$(systemd-analyze verify --man=no "$work/hubcast.service" 2>&1) || fail "systemd-analyze verify: $verified"
expect_eq "what systemd-analyze verify says" "" "$verified"
for directive in DynamicUser=yes LimitNOFILE=1048576 ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes \
    PrivateTmp=yes 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK' SystemCallFilter=@system-service \
    CapabilityBoundingSet=; do
    grep -qxF "$directive" "$unit" || fail "the unit lacks the line $directive"
done
# The exposure score systemd computes from the sandboxing (0 to 10; 1.3 when written).
systemd-analyze security --offline=yes --threshold=20 "$work/hubcast.service" >"$work/security.txt" 2>&1 ||
    fail "exposure above 2.0: $(tail -n 1 "$work/security.txt")"

# The system call filter, which systemd would enforce and this machine cannot (no systemd as PID 1):
# every call the extracted hubcast makes while it starts, answers a health check and a refused
# upgrade, and shuts down on SIGTERM must be in the unit's allowed groups and in none of its denied
# ones. strace writes the calls; each wait is bounded.
syscalls_of_group() { # @group: its calls, nested groups expanded
    systemd-analyze syscall-filter "$1" | sed -n '2,$p' | grep -v '^ *#' | tr -s ' ' '\n' | grep -v '^$' |
        while read -r call; do
            if [[ "$call" == @* ]]; then syscalls_of_group "$call"; else echo "$call"; fi
        done
}
allowed=$(for group in $(sed -n 's/^SystemCallFilter=\([^~]\)/\1/p' "$unit"); do syscalls_of_group "$group"; done | sort -u)
denied=$(for group in $(sed -n 's/^SystemCallFilter=~//p' "$unit"); do syscalls_of_group "$group"; done | sort -u)
coproc server { exec timeout 60 strace -f -qq -o "$work/strace.txt" "$installed" --config "$config" \
    --access-key test-key --listen 127.0.0.1:0 --workers 2 2>"$work/server.err"; }
server_pid=$server_PID
if read -r -t 20 -u "${server[0]}" listening && [[ "$listening" == "hubcast listening on http://"* ]]; then
    url=${listening#hubcast listening on }
    expect_eq "health under strace" 200 "$(curl -s -o /dev/null --max-time 10 -w '%{http_code}' "$url/api/health")"
    expect_eq "an upgrade without a token under strace" 401 "$(curl -s -o /dev/null --max-time 10 -w '%{http_code}' \
        -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
        -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$url/client/hubs/chat")"
else
    fail "hubcast did not start under strace: $(cat "$work/server.err")"
fi
# SIGTERM to hubcast (strace's child, timeout's grandchild); timeout ends it all after 60 s anyway.
hubcast_pid=$(pgrep -P "$(pgrep -P "$server_pid" strace)" hubcast || true)
[[ -n "$hubcast_pid" ]] && kill -TERM "$hubcast_pid"
wait "$server_pid" || fail "hubcast under strace did not exit with status 0 on SIGTERM"
made=$(awk '{ sub(/^[0-9]+ +/, ""); if (match($0, /^[a-z_0-9]+\(/)) print substr($0, 1, RLENGTH - 1) }' \
    "$work/strace.txt" | sort -u)
expect_eq "calls outside SystemCallFilter's groups" "" "$(comm -23 <(echo "$made") <(echo "$allowed") | xargs)"
expect_eq "calls in SystemCallFilter=~ groups" "" "$(comm -12 <(echo "$made") <(echo "$denied") | xargs)"
(($(wc -l <<<"$made") > 30)) || fail "strace saw only these calls: $(xargs <<<"$made")"

if ((failures > 0)); then
    echo "$failures failed" >&2
    exit 1
fi
echo "package: $(basename "$package") ($(du -k "$package" | cut -f1) KiB) checked;" \
    "$(wc -l <<<"$made") distinct system calls traced, all allowed by the unit"
