#!/usr/bin/env python3
"""Checks the layer rules of docs/architecture.md: a file under src/<layer>/ may include only
headers of the layers and third-party libraries its layer is allowed to use."""
import pathlib
import re
import sys

OWN_LAYERS = {
    "util": {"util"},
    "protocol": {"protocol", "util"},
    "auth": {"auth", "util"},
    "core": {"core", "protocol", "auth", "util"},
    "transport": {"transport", "protocol", "util"},
    "api": {"api", "core", "protocol", "auth", "util"},
    "upstream": {"upstream", "core", "protocol", "transport", "util"},
    "backplane": {"backplane", "core", "protocol", "util"},  # and hiredis, Asio
    "server": None,  # wiring: may use everything
}
# Third-party headers (prefix match on the include path) each layer must not use.
FORBIDDEN_THIRD_PARTY = {
    "util": ["boost/", "simdjson", "openssl/", "hiredis", "google/protobuf"],
    "protocol": ["boost/asio", "boost/beast", "openssl/", "hiredis"],
    "auth": ["boost/asio", "boost/beast", "hiredis", "simdjson"],
    "core": ["boost/asio", "boost/beast", "openssl/", "hiredis", "sys/socket", "netinet/"],
    "api": ["boost/asio", "boost/beast", "hiredis", "sys/socket"],
    # The backplane speaks RESP through hiredis over Asio sockets: no HTTP, TLS or JSON parser.
    "backplane": ["boost/beast", "openssl/", "simdjson", "google/protobuf", "toml++", "CLI/"],
}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def main(src: pathlib.Path) -> int:
    problems = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in {".hpp", ".cpp", ".h", ".cc"}:
            continue
        layer = path.relative_to(src).parts[0]
        allowed = OWN_LAYERS.get(layer)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            quote, header = match.groups()
            where = f"{path.relative_to(src.parent)}:{number}"
            if quote == '"':
                target = header.split("/")[0]
                if allowed is not None and target in OWN_LAYERS and target not in allowed:
                    problems.append(f"{where}: layer '{layer}' must not include \"{header}\"")
            else:
                for banned in FORBIDDEN_THIRD_PARTY.get(layer, []):
                    if header.startswith(banned):
                        problems.append(f"{where}: layer '{layer}' must not include <{header}>")
    for problem in problems:
        print(problem)
    print(f"checked layer includes under {src}: {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src")))
