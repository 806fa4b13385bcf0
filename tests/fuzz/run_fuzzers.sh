#!/usr/bin/env bash
# Builds every tests/fuzz/*_fuzz.cpp as a libFuzzer binary (ASan + UBSan) and runs each one for a
# bounded number of runs, starting from its seed corpus in tests/fuzz/corpus/<target>/ (the name
# without the _fuzz suffix; the full name works too).
# Exits non-zero if a source or target fails to build or any fuzzer finds a crash, leak, timeout
# or out-of-memory input; the reproducer is kept under <work_dir>/artifacts/<target>/.
#
#   run_fuzzers.sh <project_root> <work_dir>
#
# Environment: FUZZ_RUNS (default 1000000) bounds each target's runs. FUZZ_BUDGET_SECONDS
# (default 60, what the step took with two targets) is the wall-clock budget of the fuzzing phase:
# the targets run FUZZ_JOBS at a time and each wave gets an equal share, so a new target shortens
# the others instead of lengthening the step; FUZZ_SECONDS, when set, gives each target that time
# instead (longer local runs).
# FUZZ_JOBS (default 2, the core count of our CI machines) bounds parallel compiles and fuzzers;
# FUZZ_CXX (default clang++) and FUZZ_LDLIBS (default -lsimdjson -lprotobuf).
# proto/*.proto is compiled with protoc into <work_dir>/gen, as the CMake build does, and the
# generated code is built and linked like the sources.
# A target that needs more than src/protocol and src/util names the extra sources (globs relative
# to the project root) on a line of its own file: // fuzz-extra-sources: src/core/foo*.cpp
# <work_dir> is deleted and recreated on every run.
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
read -r -a ldlibs <<<"${FUZZ_LDLIBS:--lsimdjson -lprotobuf}"

if ! command -v "$cxx" >/dev/null; then
    echo "fuzz: $cxx not found (libFuzzer needs clang)" >&2
    exit 1
fi

# The work dir is removed recursively: refuse anything that could be a source or system tree.
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
rm -rf "$work_dir"
mkdir -p "$work_dir"/{obj,bin,logs,corpus,artifacts,gen}

failures=()

# Generated from the schema at every run, so it always matches the installed libprotobuf.
shopt -s nullglob
protos=("$project_root"/proto/*.proto)
shopt -u nullglob
if [[ ${#protos[@]} -gt 0 ]] &&
    ! protoc --proto_path="$project_root" --cpp_out="$work_dir/gen" "${protos[@]}" >"$work_dir/logs/protoc.log" 2>&1; then
    echo "fuzz: FAILED to compile proto/*.proto:" >&2
    tail -n 30 "$work_dir/logs/protoc.log" >&2
    failures+=("protoc")
fi

common_flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=undefined -I "$project_root/src"
    -I "$work_dir/gen")
# The production build's CPU flags (HUBCAST_ARCH_FLAGS in CMakeLists.txt): simdjson chooses its
# kernel from them, so without them the fuzzers would test a kernel that never ships.
if [[ $(uname -m) == x86_64 ]]; then
    common_flags+=(-march=x86-64-v2 -mpclmul)
fi
lib_flags=("${common_flags[@]}" "-fsanitize=fuzzer-no-link,address,undefined")
link_flags=("${common_flags[@]}" "-fsanitize=fuzzer,address,undefined")

shopt -s nullglob
targets=("$project_root"/tests/fuzz/*_fuzz.cpp)
sources=("$project_root"/src/protocol/*.cpp "$project_root"/src/util/*.cpp "$work_dir"/gen/proto/*.pb.cc)
shopt -u nullglob
if [[ ${#targets[@]} -eq 0 ]]; then
    echo "fuzz: no tests/fuzz/*_fuzz.cpp found" >&2
    exit 1
fi

# Extra sources join the archive below, so only the targets that use them link them.
declare -A known_sources
for src in "${sources[@]}"; do
    known_sources[$src]=1
done
for target in "${targets[@]}"; do
    patterns=()
    read -r -a patterns < <(sed -n 's|^// fuzz-extra-sources:||p' "$target" | tr '\n' ' ') || true
    for pattern in "${patterns[@]}"; do
        shopt -s nullglob
        # shellcheck disable=SC2206 # the pattern is meant to be expanded
        matched=("$project_root"/$pattern)
        shopt -u nullglob
        if [[ ${#matched[@]} -eq 0 ]]; then
            echo "fuzz: $(basename "$target") names extra sources '$pattern' that match no file" >&2
            failures+=("extra sources of $(basename "$target" .cpp)")
        fi
        for src in "${matched[@]}"; do
            if [[ -z ${known_sources[$src]:-} ]]; then
                known_sources[$src]=1
                sources+=("$src")
            fi
        done
    done
done

waves=$(((${#targets[@]} + jobs - 1) / jobs))
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

compile() { # source object log
    if ! "$cxx" "${lib_flags[@]}" -c "$1" -o "$2" >"$3" 2>&1; then
        rm -f "$2"
    fi
}

# A source as the messages name it: src/<path>, or gen/<path> for generated code.
source_label() {
    case "$1" in
    "$project_root"/src/*) echo "src/${1#"$project_root"/src/}" ;;
    *) echo "gen/${1#"$work_dir"/gen/}" ;;
    esac
}

# Object (and log) base name of a source: its label with / as __ and no extension.
object_name() {
    local label
    label=$(source_label "$1")
    label=${label//\//__}
    echo "${label%.*}"
}

echo "fuzz: compiling ${#sources[@]} sources and ${#targets[@]} targets with $cxx (jobs=$jobs)"
build_start=$SECONDS
for src in "${sources[@]}"; do
    name=$(object_name "$src")
    throttle compile "$src" "$work_dir/obj/$name.o" "$work_dir/logs/compile_$name.log"
done
for target in "${targets[@]}"; do
    name=$(basename "$target" .cpp)
    throttle compile "$target" "$work_dir/obj/target__$name.o" "$work_dir/logs/compile_target__$name.log"
done
wait

lib_objects=()
for src in "${sources[@]}"; do
    name=$(object_name "$src")
    if [[ -f "$work_dir/obj/$name.o" ]]; then
        lib_objects+=("$work_dir/obj/$name.o")
    else
        echo "fuzz: FAILED to compile $(source_label "$src"):" >&2
        tail -n 30 "$work_dir/logs/compile_$name.log" >&2
        failures+=("compile $(source_label "$src")")
    fi
done
# An archive, so a target links only the objects it uses: a json fuzzer needs simdjson, the frame
# fuzzer does not need whatever another source pulls in.
archive="$work_dir/obj/libhubcast_fuzz.a"
rm -f "$archive"
if [[ ${#lib_objects[@]} -gt 0 ]]; then
    ar rcs "$archive" "${lib_objects[@]}"
fi

built=()
for target in "${targets[@]}"; do
    name=$(basename "$target" .cpp)
    object="$work_dir/obj/target__$name.o"
    if [[ ! -f "$object" ]]; then
        echo "fuzz: FAILED to compile tests/fuzz/$name.cpp:" >&2
        tail -n 30 "$work_dir/logs/compile_target__$name.log" >&2
        failures+=("compile $name")
        continue
    fi
    link_inputs=("$object")
    [[ -f "$archive" ]] && link_inputs+=("$archive")
    if "$cxx" "${link_flags[@]}" "${link_inputs[@]}" "${ldlibs[@]}" -o "$work_dir/bin/$name" \
        >"$work_dir/logs/link_$name.log" 2>&1; then
        built+=("$name")
    else
        echo "fuzz: FAILED to link $name:" >&2
        tail -n 30 "$work_dir/logs/link_$name.log" >&2
        failures+=("link $name")
    fi
done
echo "fuzz: build took $((SECONDS - build_start)) s"

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
    "$work_dir/bin/$name" -runs="$runs" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
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
    corpus_size=$(find "$work_dir/corpus/$name" -type f | wc -l)
    mapfile -t artifacts < <(find "$work_dir/artifacts/$name" -type f | head -n 5)
    if [[ $status -eq 0 && ${#artifacts[@]} -eq 0 ]]; then
        printf '  %-24s ok      %10s execs in %3s s (%s seeds, %s corpus files written)\n' "$name" \
            "${execs:-?}" "$elapsed" "$(cat "$work_dir/logs/seeds_$name")" "$corpus_size"
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
