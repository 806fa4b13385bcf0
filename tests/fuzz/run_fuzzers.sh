#!/usr/bin/env bash
# Builds every tests/fuzz/*_fuzz.cpp as a libFuzzer binary (ASan + UBSan, assertions on) and runs
# each one for a bounded number of runs, starting from its seed corpus in
# tests/fuzz/corpus/<target>/ (the name without the _fuzz suffix; the full name works too).
# Exits non-zero if a target fails to build or any fuzzer finds a crash, leak, timeout or
# out-of-memory input; the reproducer is kept under <work_dir>/artifacts/<target>/.
#
#   run_fuzzers.sh <project_root> <work_dir>
#
# The build lives in <work_dir>/build, a CMake build directory configured with clang and
# -DHUBCAST_BUILD_FUZZERS=ON (tests/fuzz/CMakeLists.txt): it is kept between runs and rebuilds only
# what changed. The run's corpus, logs and artifacts are recreated every run.
#
# Environment: FUZZ_RUNS (default 1000000; -1 for no limit) bounds each target's runs.
# FUZZ_BUDGET_SECONDS (default 60) is the wall-clock budget of the fuzzing phase: the targets run
# FUZZ_JOBS at a time and each wave gets an equal share, so a new target shortens the others
# instead of lengthening the step; FUZZ_SECONDS, when set, gives each target that time instead
# (longer local runs, `make fuzz`). FUZZ_JOBS (default 2, the core count of our CI machines) bounds
# parallel compiles and fuzzers. FUZZ_TARGETS (default: all) names the targets to build and run,
# space-separated, with or without the _fuzz suffix. FUZZ_CXX (default clang++) is the compiler.
# A target that needs more than src/protocol and src/util names the extra sources (globs relative
# to the project root) on a line of its own file: // fuzz-extra-sources: src/core/foo*.cpp
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 <project_root> <work_dir>" >&2
    exit 2
fi

project_root=$(cd "$1" && pwd)
work_arg=$2
runs=${FUZZ_RUNS:-1000000}
budget=${FUZZ_BUDGET_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}
cxx=${FUZZ_CXX:-clang++}

if ! command -v "$cxx" >/dev/null; then
    echo "fuzz: $cxx not found (libFuzzer needs clang)" >&2
    exit 1
fi

# Run outputs are removed recursively: refuse anything that could be a source or system tree.
mkdir -p "$work_arg"
work_dir=$(cd "$work_arg" && pwd)
case "$work_dir" in
/ | "$HOME" | "$project_root" | "$project_root/src" | "$project_root/tests" | "$project_root/tests/fuzz")
    echo "fuzz: refusing to use $work_dir as the work dir" >&2
    exit 2
    ;;
esac
if [[ "$project_root" == "$work_dir"/* ]]; then
    echo "fuzz: refusing a work dir that contains the project: $work_dir" >&2
    exit 2
fi
build_dir="$work_dir/build"
rm -rf "$work_dir"/{corpus,logs,artifacts}
mkdir -p "$work_dir"/{corpus,logs,artifacts} "$build_dir"

failures=()

shopt -s nullglob
all_targets=("$project_root"/tests/fuzz/*_fuzz.cpp)
shopt -u nullglob
if [[ ${#all_targets[@]} -eq 0 ]]; then
    echo "fuzz: no tests/fuzz/*_fuzz.cpp found" >&2
    exit 1
fi
targets=()
if [[ -n ${FUZZ_TARGETS:-} ]]; then
    for wanted in $FUZZ_TARGETS; do
        wanted=${wanted%_fuzz}_fuzz
        if [[ ! -f "$project_root/tests/fuzz/$wanted.cpp" ]]; then
            echo "fuzz: no target tests/fuzz/$wanted.cpp" >&2
            exit 2
        fi
        targets+=("$wanted")
    done
else
    for target in "${all_targets[@]}"; do
        targets+=("$(basename "$target" .cpp)")
    done
fi

build_start=$SECONDS
# Configured every run (about a second once cached): a new *_fuzz.cpp or fuzz-extra-sources line
# must become a target before it is asked for by name.
configure=(cmake -S "$project_root" -B "$build_dir")
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    echo "fuzz: configuring $build_dir with $cxx"
    # Debug: assertions stay on (no NDEBUG); the fuzz flags add -O1.
    configure+=(-DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Debug -DHUBCAST_BUILD_FUZZERS=ON
        -DHUBCAST_BUILD_TESTS=OFF)
fi
if ! "${configure[@]}" >"$work_dir/logs/configure.log" 2>&1; then
    echo "fuzz: FAILED to configure the fuzz build:" >&2
    tail -n 30 "$work_dir/logs/configure.log" >&2
    # A first configure that failed may leave a cache without the fuzz settings: start over next time.
    [[ ${#configure[@]} -gt 5 ]] && rm -f "$build_dir/CMakeCache.txt"
    exit 1
fi
echo "fuzz: building ${#targets[@]} targets in $build_dir (jobs=$jobs)"
built=()
for name in "${targets[@]}"; do
    if cmake --build "$build_dir" --target "$name" -j "$jobs" >"$work_dir/logs/build_$name.log" 2>&1; then
        built+=("$name")
    else
        echo "fuzz: FAILED to build $name:" >&2
        grep -E -m 20 'error|Error' "$work_dir/logs/build_$name.log" >&2 || tail -n 30 "$work_dir/logs/build_$name.log" >&2
        failures+=("build $name")
    fi
done
echo "fuzz: build took $((SECONDS - build_start)) s"

waves=$(((${#built[@]} + jobs - 1) / jobs))
[[ $waves -ge 1 ]] || waves=1
seconds=${FUZZ_SECONDS:-$((budget / waves))}
if [[ $seconds -lt 1 ]]; then
    seconds=1 # libFuzzer reads -max_total_time=0 as "no limit"
fi

# Runs "$@" in the background, keeping at most $jobs of them alive.
throttle() {
    while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do
        wait -n || true
    done
    "$@" &
}

run_one() { # name
    local name=$1
    local corpus="$work_dir/corpus/$name"
    # Seeds live in tests/fuzz/corpus/<target>/, <target> with or without the _fuzz suffix.
    local seeds="$project_root/tests/fuzz/corpus/${name%_fuzz}"
    [[ -d "$seeds" ]] || seeds="$project_root/tests/fuzz/corpus/$name"
    local start=$SECONDS
    mkdir -p "$corpus" "$work_dir/artifacts/$name"
    local corpus_dirs=("$corpus")
    # New inputs go to the first directory: the work copy, never the checked-in seeds.
    [[ -d "$seeds" ]] && corpus_dirs+=("$seeds")
    local status=0
    local seed_count=0
    [[ -d "$seeds" ]] && seed_count=$(find "$seeds" -type f | wc -l)
    echo "$seed_count" >"$work_dir/logs/seeds_$name"
    "$build_dir/fuzzers/$name" -runs="$runs" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work_dir/artifacts/$name/" "${corpus_dirs[@]}" \
        >"$work_dir/logs/run_$name.log" 2>&1 || status=$?
    echo "$status $((SECONDS - start))" >"$work_dir/logs/result_$name"
}

echo "fuzz: running ${#built[@]} targets (runs<=$runs, time<=${seconds}s each, $jobs at a time)"
for name in "${built[@]}"; do
    throttle run_one "$name"
done
wait

echo
echo "fuzz summary"
for name in "${built[@]}"; do
    read -r status elapsed <"$work_dir/logs/result_$name"
    log="$work_dir/logs/run_$name.log"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    # The last status line: "#N DONE cov: C ft: F corp: ..." (or the last pulse).
    coverage=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)
    rate=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | grep -oE 'exec/s: [0-9]+' || true)
    corpus_size=$(find "$work_dir/corpus/$name" -type f | wc -l)
    mapfile -t artifacts < <(find "$work_dir/artifacts/$name" -type f | head -n 5)
    if [[ $status -eq 0 && ${#artifacts[@]} -eq 0 ]]; then
        printf '  %-24s ok      %10s execs in %4s s (%s, %s; %s seeds, %s corpus files written)\n' "$name" \
            "${execs:-?}" "$elapsed" "${rate:-exec/s: ?}" "${coverage:-cov: ?}" \
            "$(cat "$work_dir/logs/seeds_$name")" "$corpus_size"
    else
        printf '  %-24s FAILED  exit %s after %s s\n' "$name" "$status" "$elapsed"
        [[ ${#artifacts[@]} -gt 0 ]] && printf '      reproducer: %s\n' "${artifacts[@]}"
        printf '      log: %s\n' "$log"
        grep -m 5 -E 'ERROR: |invariant failed|runtime error|SUMMARY' "$log" | sed 's/^/      /' || true
        failures+=("run $name")
    fi
done

if [[ ${#failures[@]} -gt 0 ]]; then
    echo "fuzz: ${#failures[@]} failure(s): ${failures[*]}"
    exit 1
fi
echo "fuzz: all ${#built[@]} targets clean"
