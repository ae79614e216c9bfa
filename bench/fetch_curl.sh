#!/usr/bin/env bash
# Fetches curl's upstream tarball from Debian's source archive (the row of bench/curl-version.txt)
# and unpacks it into THIRD_PARTY/curl-VERSION, for the HTTP benchmark (bench/bench_http_curl.c);
# nothing of curl is copied into the repository. As tools/bootstrap.sh does for libuv: the
# tarball is refused unless its sha256 is the one Debian's source index states, and a failed or
# refused download leaves nothing behind. Already there: nothing to do.
#   fetch_curl.sh THIRD_PARTY      prints the tree's path; exit 1 (and why, on stderr) without it
set -u
third=$1
read -r version suite debian tarball < <(awk '/^[0-9]/ {print; exit}' \
  "$(dirname "$0")/curl-version.txt")
dir=$third/curl-$version
if [ -f "$dir/include/curl/curl.h" ]; then echo "$dir"; exit 0; fi
why() { echo "fetch_curl: $*; the HTTP benchmark is skipped" >&2; exit 1; }

expected=$("$(dirname "$0")/../tools/debian-sha256.sh" curl "$debian" "$tarball")
[ -n "$expected" ] || why "no source record of curl $debian (Debian $suite) names $tarball" \
  "(apt-cache showsrc curl; tools/bootstrap.sh adds deb-src entries for libuv's suite only)"
mkdir -p "$third" || why "cannot create $third"
work=$(mktemp -d "$third/.fetch-curl.XXXXXX") || why "cannot write to $third"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"  # apt's download user writes there
if [ -f "$third/$tarball" ]; then
  cp "$third/$tarball" "$work/"
elif ! (cd "$work" && apt-get source --tar-only -qq "curl=$debian" >/dev/null 2>&1); then
  why "apt-get source --tar-only curl=$debian failed"
fi
actual=$(sha256sum "$work/$tarball" 2>/dev/null | cut -d' ' -f1)
if [ "$actual" != "$expected" ]; then
  rm -f "$third/$tarball"
  why "REFUSED $tarball: its sha256 is ${actual:-unreadable}, Debian's source index says $expected"
fi
tar xzf "$work/$tarball" -C "$work" || why "cannot unpack $tarball"
[ -f "$work/curl-$version/include/curl/curl.h" ] || why "$tarball holds no curl-$version tree"
mv "$work/$tarball" "$third/$tarball"
rm -rf "$dir"
mv "$work/curl-$version" "$dir"
echo "fetch_curl: curl $version (sha256 $expected) in $dir" >&2
echo "$dir"
