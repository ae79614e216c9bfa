# Sourced by bench/run.sh and bench/http_smoke.sh from $root: the HTTP benchmark's two halves.
# The client (bench_http_curl_*.exe, under Wine) exists only where curl's source was found
# (cmake/curl_baseline.cmake); the servers (bench/http_server.c) are built here with the native
# cc, run on Linux beside Wine and are ended by their PIDs. Two servers: one answers at once
# (scenario http), one UVAFD_BENCH_HTTP_DELAY_US (default 1000) after each request (http_wait).
#   http_server_start DIR   builds DIR/http_server, starts both, exports UVAFD_BENCH_HTTP_PORT
#                           and UVAFD_BENCH_HTTP_WAIT_PORT (Wine passes them on to the client);
#                           1 and why on stderr if it cannot
#   http_server_stop        ends them (safe to call when they are not running)
#   http_client_ready TREE  0 when the tree has both clients, else 1 and why on stderr
http_server_pids=()
http_delay_us=${UVAFD_BENCH_HTTP_DELAY_US:-1000}

# http_server_run DIR NAME DELAY_US: one server; prints its port.
http_server_run() {
  local dir=$1 name=$2 i port
  "$dir/http_server" "$3" >"$dir/$name.port" 2>>"$dir/http_server.log" &
  http_server_pids+=($!)
  for ((i = 0; i < 50; i++)); do
    port=$(sed -n 's/^port=//p' "$dir/$name.port")
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  echo "http: the native server did not start: $(head -n 3 "$dir/http_server.log")" >&2
  return 1
}

http_server_start() {
  local dir=$1 now wait
  mkdir -p "$dir"
  cc -O2 -o "$dir/http_server" "$root/bench/http_server.c" 2>"$dir/http_server.log" || {
    echo "http: the native server did not build: $(head -n 3 "$dir/http_server.log")" >&2
    return 1
  }
  # Not in $(...): the servers must be children of this shell, to be ended by PID.
  http_server_run "$dir" now 0 >"$dir/now.ready" || { http_server_stop; return 1; }
  http_server_run "$dir" wait "$http_delay_us" >"$dir/wait.ready" || { http_server_stop; return 1; }
  now=$(cat "$dir/now.ready") wait=$(cat "$dir/wait.ready")
  export UVAFD_BENCH_HTTP_PORT=$now UVAFD_BENCH_HTTP_WAIT_PORT=$wait
}

http_server_stop() {
  local pid
  for pid in "${http_server_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  http_server_pids=()
}

http_client_ready() {
  local tree=$1
  if [ ! -f "$tree/bench/bench_http_curl_uvafd.exe" ] || [ ! -f "$tree/bench/bench_http_curl_libuv.exe" ]; then
    echo "http: skipped: no curl client in $tree/bench (curl's source is not there:" \
         "bench/fetch_curl.sh, cmake/curl_baseline.cmake)" >&2
    return 1
  fi
}
