#!/usr/bin/env bash
# Builds the Debian package of hubcast from an already-built binary (make deb; docs/packaging.md).
#   packaging/debian/build-deb.sh BINARY OUT_DIR
# Prints the path of the .deb it wrote. DEB_MAINTAINER sets the Maintainer field.
#
# The package is laid out by hand and assembled by dpkg-deb: every file, mode and control field is
# in this one script, and nothing is compiled here (CPack would first build the whole build tree,
# tests included). Depends comes from dpkg-shlibdeps, as debhelper's packages get it.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 BINARY OUT_DIR" >&2
    exit 2
fi
binary=$(realpath "$1")
out_dir=$2
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
maintainer=${DEB_MAINTAINER:-hubcast maintainers <hubcast@localhost>}

version=$("$binary" --version | awk '{ print $2 }')
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
doc=$root/usr/share/doc/hubcast

# Files. Modes are set explicitly: the umask of whoever builds must not change the package.
install -d -m 0755 "$root/usr/bin" "$root/etc/hubcast" "$root/lib/systemd/system" "$doc/docs" \
    "$root/usr/share/man/man1" "$root/usr/share/lintian/overrides" "$root/DEBIAN"
# Stripped as dh_strip strips: no symbols, no compiler notes.
strip --strip-unneeded --remove-section=.comment --remove-section=.note -o "$root/usr/bin/hubcast" "$binary"
chmod 0755 "$root/usr/bin/hubcast"
# Root-only: it holds the access keys (the unit passes it to the service as a credential).
"$binary" --print-config-template >"$root/etc/hubcast/hubcast.toml"
chmod 0600 "$root/etc/hubcast/hubcast.toml"
install -m 0644 "$here/hubcast.service" "$root/lib/systemd/system/hubcast.service"

# Documentation: the man page and the --help text come from the binary itself.
help2man --no-info --no-discard-stderr --section=1 \
    --name="self-hosted real-time messaging server speaking the Azure Web PubSub protocols" \
    "$root/usr/bin/hubcast" | gzip -9n >"$root/usr/share/man/man1/hubcast.1.gz"
"$binary" --help >"$doc/hubcast-help.txt"
"$binary" token --help >"$doc/hubcast-token-help.txt"
# README's links (docs/NAME.md) and the pages' links to each other hold in the installed copy.
install -m 0644 "$source_dir/README.md" "$doc/"
install -m 0644 "$source_dir"/docs/*.md "$doc/docs/"
# Debian's changelog of this native package: one entry naming the commit it was built from.
commit=$(git -C "$source_dir" rev-parse --short HEAD 2>/dev/null || echo "an unversioned tree")
when=$(git -C "$source_dir" log -1 --format=%aD 2>/dev/null || date -R)
printf 'hubcast (%s) unstable; urgency=medium\n\n  * Built by make deb from hubcast %s.\n\n -- %s  %s\n' \
    "$version" "$commit" "$maintainer" "$when" | gzip -9n >"$doc/changelog.gz"
install -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/hubcast"
chmod 0644 "$root/usr/share/man/man1/hubcast.1.gz" "$doc"/*.* "$doc"/docs/*

# Depends: the packages of the shared libraries the binary links, at the versions it needs.
# dpkg-shlibdeps reads debian/control of a source tree, so it runs in a scratch one.
mkdir -p "$work/src/debian"
printf 'Source: hubcast\n\nPackage: hubcast\nArchitecture: any\n' >"$work/src/debian/control"
depends=$(cd "$work/src" && dpkg-shlibdeps -O --warnings=0 "$root/usr/bin/hubcast" | sed -n 's/^shlibs:Depends=//p')
if [[ -z "$depends" ]]; then
    echo "build-deb: dpkg-shlibdeps found no dependencies for $binary" >&2
    exit 1
fi

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: hubcast
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends
Section: net
Priority: optional
Description: self-hosted real-time messaging server (Azure Web PubSub protocols)
 hubcast serves WebSocket clients that speak the Azure Web PubSub subprotocols
 (json and protobuf, plain and reliable), the REST data plane the Azure server
 SDKs drive, and CloudEvents webhooks, so apps built with the official SDKs run
 against it by changing only the connection string.
 .
 This package installs the server, a hardened systemd unit (not started until
 the access key in /etc/hubcast/hubcast.toml is set) and the documentation.
CONTROL
echo /etc/hubcast/hubcast.toml >"$root/DEBIAN/conffiles"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"
(cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' |
    LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

mkdir -p "$out_dir"
package=$out_dir/hubcast_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$package" >/dev/null
echo "$package"
