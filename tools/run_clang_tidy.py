#!/usr/bin/env python3
"""Runs clang-tidy with the repository's .clang-tidy on the translation units under the given
folders (src/ for `make lint`), in parallel, using the build tree's compile_commands.json.

clang-tidy takes 10 to 25 s of CPU per file of this code base (Asio and Beast headers), so a full run
is minutes on two cores. A file that passed is remembered: its key is a hash of .clang-tidy, its
compile command and the contents of every file it includes from the repository (read from the
compiler's dependency file in the build tree). Only files whose key changed are checked again;
`--all` ignores what is remembered. Findings are printed and fail the run (exit 1)."""
import argparse
import concurrent.futures
import hashlib
import json
import os
import pathlib
import shlex
import subprocess
import sys
import time


def dependencies(entry: dict) -> list[pathlib.Path] | None:
    """The files the compiler read for this entry, from its .d file; None if it was not built yet."""
    args = shlex.split(entry["command"])
    if "-o" not in args:
        return None
    depfile = pathlib.Path(entry["directory"]) / (args[args.index("-o") + 1] + ".d")
    if not depfile.exists():
        return None
    text = depfile.read_text().replace("\\\n", " ")
    _, _, names = text.partition(":")
    return [pathlib.Path(entry["directory"], name).resolve() for name in names.split()]


def key_of(entry: dict, root: pathlib.Path, config: bytes) -> str | None:
    deps = dependencies(entry)
    if deps is None:
        return None
    digest = hashlib.sha256(config)
    digest.update(entry["command"].encode())
    # System headers change only with packages, which change the compile command's results too
    # rarely to matter; the repository's own files (and the generated protobuf code) are hashed.
    for dep in sorted({d for d in deps if d.is_relative_to(root)}):
        digest.update(str(dep).encode())
        try:
            digest.update(dep.read_bytes())
        except OSError:
            return None
    return digest.hexdigest()


def run_one(entry: dict, build_dir: pathlib.Path) -> tuple[str, int, str, float]:
    started = time.monotonic()
    result = subprocess.run(
        ["clang-tidy", "-p", str(build_dir), "--quiet", entry["file"]],
        capture_output=True,
        text=True,
    )
    # clang-tidy prints "N warnings generated." on stderr also for suppressed third-party warnings;
    # findings in our code come on stdout.
    return entry["file"], result.returncode, result.stdout, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-dir", default="build")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--all", action="store_true", help="check every file, remembered or not")
    parser.add_argument("folders", nargs="+")
    args = parser.parse_args()

    root = pathlib.Path.cwd().resolve()
    build_dir = pathlib.Path(args.build_dir).resolve()
    config = (root / ".clang-tidy").read_bytes()
    folders = [(root / f).resolve() for f in args.folders]
    entries = [
        e
        for e in json.loads((build_dir / "compile_commands.json").read_text())
        if any(pathlib.Path(e["file"]).resolve().is_relative_to(f) for f in folders)
    ]
    cache = build_dir / "clang-tidy-passed"
    cache.mkdir(exist_ok=True)

    todo = []
    for entry in entries:
        key = key_of(entry, root, config)
        if args.all or key is None or not (cache / key).exists():
            todo.append((entry, key))
    print(f"tidy: {len(todo)} of {len(entries)} files to check ({len(entries) - len(todo)} unchanged since they passed)",
          flush=True)

    started = time.monotonic()
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        keys = {}
        futures = []
        for entry, key in todo:
            future = pool.submit(run_one, entry, build_dir)
            keys[future] = key
            futures.append(future)
        for future in concurrent.futures.as_completed(futures):
            name, status, output, _ = future.result()
            if status != 0 or output.strip():
                failed += 1
                print(output, end="", flush=True)
                print(f"tidy: findings in {pathlib.Path(name).relative_to(root)}", flush=True)
            elif keys[future] is not None:
                (cache / keys[future]).touch()
    print(f"tidy: {len(todo) - failed} passed, {failed} with findings, in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
