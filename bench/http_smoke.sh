#!/usr/bin/env bash
# bench_http_smoke: the HTTP client (libcurl's multi API on uvafd's uv_poll_t) runs each of its
# scenarios once with 4 connections against the native servers (bench/http_server.c, built here
# with cc) and must print its result line (bench/smoke.sh); no timing is checked. Without curl's
# source there is no client: skipped (exit 77), saying why.
#   http_smoke.sh ROOT WINE_RUN [EXE]
set -u
root=$1 run=$2 exe=${3:-}
if [ -z "$exe" ] || [ ! -f "$exe" ]; then
  echo "skipped: no HTTP client was built: curl's source is not beside the build tree" \
       "(bench/fetch_curl.sh BUILD/third_party, then configure again; cmake/curl_baseline.cmake)"
  exit 77
fi
command -v cc >/dev/null || { echo "skipped: no native cc for the server"; exit 77; }
source "$root/bench/http.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/http-smoke.XXXXXX")
trap 'http_server_stop; rm -rf "$work"' EXIT
http_server_start "$work" || exit 1
# smoke.sh's check: the result line comes only after every connection has completed a checked
# request (the client stops at a failed check), then the short measured window.
"$root/bench/smoke.sh" bench_http_smoke "$run" "$exe" "http 4,http_wait 4"
