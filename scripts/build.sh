#!/usr/bin/env bash
# Configures (when needed) and builds hubcast in a few lines of output: what it is doing and how far
# it has got. The compiler's full output goes to a log file named on screen; when the build fails,
# its last lines are printed too.
#
#   scripts/build.sh BUILD_DIR BUILD_TYPE JOBS LOG [TARGET...]
#
# The tree is (re)configured when it has no cache yet or when its cache was made for another build
# type or without warnings as errors, so `make BUILD_TYPE=Debug` after a Release build takes effect.
# With no TARGET everything is built (tests included); `make run` names only `hubcast`.
set -euo pipefail
build_dir=$1 build_type=$2 jobs=$3 log=$4
shift 4
targets=("$@")
what=${targets[*]:-hubcast and its tests}

mkdir -p "$build_dir"
: >"$log"

fail() {
    echo
    echo "build: $1; the last lines of $log:" >&2
    tail -n 40 "$log" >&2
    echo "build: full log in $log" >&2
    exit 1
}

cache=$build_dir/CMakeCache.txt
if [[ ! -f $cache ]] || ! grep -qx "CMAKE_BUILD_TYPE:STRING=$build_type" "$cache" ||
    ! grep -qx "HUBCAST_WERROR:BOOL=ON" "$cache"; then
    echo "build: configuring $build_dir ($build_type)"
    cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" -DHUBCAST_WERROR=ON >>"$log" 2>&1 ||
        fail "configuring failed"
fi

# The Makefile generator prints "[ 42%] Building ..." lines; show each new tenth once, on one line.
# --no-print-directory: the nested makes' "Entering directory" lines say nothing useful.
printf 'build: building %s in %s (%s):' "$what" "$build_dir" "$build_type"
target_args=()
for target in "${targets[@]}"; do
    target_args+=(--target "$target")
done
set +e
MAKEFLAGS=--no-print-directory cmake --build "$build_dir" -j "$jobs" "${target_args[@]}" 2>&1 |
    tee -a "$log" | {
    shown=-1
    while IFS= read -r line; do
        if [[ $line =~ ^\[\ *([0-9]+)%\] ]]; then
            tenth=$((BASH_REMATCH[1] / 10 * 10))
            if ((tenth > shown)); then
                shown=$tenth
                printf ' %d%%' "$tenth"
            fi
        fi
    done
}
status=${PIPESTATUS[0]}
set -e
if ((status != 0)); then
    fail "building failed"
fi
echo " done"
