/* The HTTP benchmark's client (issue 19's real HTTP client, in place of uSockets'
 * http_load_test): libcurl's multi API driven by libuv, in the way curl documents it
 * (docs/examples/multi-uv.c): curl tells us through CURLMOPT_SOCKETFUNCTION which sockets to
 * watch, each gets a uv_poll_t on that foreign socket, and through CURLMOPT_TIMERFUNCTION when to
 * call it back, one uv_timer_t; every event goes back to curl_multi_socket_action. Compiled
 * once and linked twice (bench_http_curl_libuv.exe, bench_http_curl_uvafd.exe), as bench_uv.c.
 *
 *   bench_http_curl.exe http|http_wait SECONDS [C] [MAX_REQUESTS]
 *
 * Keeps C GETs in flight against http://127.0.0.1:PORT/ (bench/http_server.c): for http PORT is
 * $UVAFD_BENCH_HTTP_PORT, a server that answers at once; for http_wait
 * $UVAFD_BENCH_HTTP_WAIT_PORT, one that answers a fixed delay later, as over a network, so that
 * curl finds no response yet when it first looks and waits for it in the loop (uv_poll_t);
 * over at most C connections, kept alive and reused (HTTP/1.1, CURLMOPT_MAX_TOTAL_CONNECTIONS):
 * as each transfer completes it is checked (status 200, the body of http_body.h) and added again.
 * Until every one of the C transfers has completed once (the connections are open) nothing is
 * measured; then the run lasts SECONDS
 * (a uv_timer ends it) or MAX_REQUESTS completed requests, and prints bench_uv.c's result line
 * (value in requests/s) and, linked with uvafd, its "nt" line, once the transfers in flight have
 * completed. With MAX_REQUESTS its events field counts every request of the process (the first C
 * and the ones completing after the window too), as bench/trace_count.sh counts every wineserver
 * request of the process: two runs' difference then divides like for like. A failed check ends
 * the program with exit 2: a benchmark of wrong answers measures nothing. */
#include <curl/curl.h>
#include <uv.h>

/* bench_common.h's helpers are static, for bench_uv.c and bench_floor.c; this uses a few. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "bench_window.h"
#pragma GCC diagnostic pop
#include "http_body.h"

/* One socket curl asked us to watch: curl_multi_assign keeps it with the socket. */
typedef struct watched_socket {
  uv_poll_t poll;
  curl_socket_t sock;
} watched_socket;

typedef struct transfer {
  CURL* easy;
  size_t body_len;
  int body_ok;
  int completed_once;
} transfer;

static struct {
  bench_args args;
  uv_loop_t loop;
  uv_timer_t curl_timer; /* CURLMOPT_TIMERFUNCTION's one timeout */
  uv_timer_t end_timer;  /* the run's duration */
  CURLM* multi;
  transfer* transfers;
  char url[64];
  long in_flight;
  long warmed_up; /* transfers that have completed at least once (each opened or found one) */
  long long events;    /* completed while measuring */
  long long all_requests; /* completed in the whole process */
  long long new_connections;
  long long polls_opened, socket_events, timeouts; /* while measuring: the loop's work */
  int measuring, finished;
  bench_window w;
} g;

static void check_uv(int rc, const char* what) {
  if (rc != 0) bench_die("%s: %s", what, uv_strerror(rc));
}

static void check_mcode(CURLMcode rc, const char* what) {
  if (rc != CURLM_OK) bench_die("%s: %s", what, curl_multi_strerror(rc));
}

/* ---- the result ------------------------------------------------------------------------- */

static void print_result(void) {
  double secs = g.w.t1 - g.w.t0;
  long long events = g.args.max_events > 0 ? g.all_requests : g.events;
  char extra[320];
  snprintf(extra, sizeof extra,
           "connections=%ld new_connections=%lld polls_opened=%lld socket_events=%lld "
           "timeouts=%lld measured=%lld",
           g.args.n, g.new_connections, g.polls_opened, g.socket_events, g.timeouts, g.events);
  bench_cpu_note(extra, sizeof extra, g.w.cpu1 - g.w.cpu0, (double)g.events);
  bench_result(bench_lib_name(), g.args.scenario, g.args.n,
               secs > 0 ? (double)g.events / secs : 0, "requests/s", events, secs, extra);
  bench_window_print_nt(&g.w, g.args.scenario, g.args.n, (double)g.events);
}

/* The measured window ends: no transfer is added again, the ones in flight complete. */
static void finish(void) {
  if (g.finished) return;
  g.finished = 1;
  bench_window_close(&g.w, &g.loop);
  uv_close((uv_handle_t*)&g.end_timer, NULL);
}

static void on_end_timer(uv_timer_t* t) {
  (void)t;
  finish();
}

static void begin_measure(void) {
  uint64_t ms = (uint64_t)(g.args.seconds * 1000.0);
  g.measuring = 1;
  uv_update_time(&g.loop);
  check_uv(uv_timer_init(&g.loop, &g.end_timer), "uv_timer_init");
  check_uv(uv_timer_start(&g.end_timer, on_end_timer, ms ? ms : 1, 0), "uv_timer_start");
  bench_window_open(&g.w, &g.loop);
}

/* ---- transfers -------------------------------------------------------------------------- */

static size_t on_body(char* data, size_t size, size_t count, void* user) {
  transfer* t = user;
  size_t len = size * count;
  if (t->body_len + len > BENCH_HTTP_BODY_LEN ||
      memcmp(data, BENCH_HTTP_BODY + t->body_len, len) != 0)
    t->body_ok = 0;
  t->body_len += len;
  return len;
}

static void start_transfer(transfer* t) {
  t->body_len = 0;
  t->body_ok = 1;
  check_mcode(curl_multi_add_handle(g.multi, t->easy), "curl_multi_add_handle");
}

static void setup_transfer(transfer* t) {
  t->easy = curl_easy_init();
  if (!t->easy) bench_die("curl_easy_init failed");
  curl_easy_setopt(t->easy, CURLOPT_URL, g.url);
  curl_easy_setopt(t->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(t->easy, CURLOPT_PROXY, "");  /* never a proxy from the environment */
  curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(t->easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
}

/* Every completed transfer: checked, counted, and (while the run lasts) added again. */
static void reap_completed(void) {
  CURLMsg* msg;
  int left;
  while ((msg = curl_multi_info_read(g.multi, &left)) != NULL) {
    transfer* t;
    long status = 0, connects = 0;
    if (msg->msg != CURLMSG_DONE) continue;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char**)&t);
    if (msg->data.result != CURLE_OK)
      bench_die("GET %s: %s", g.url, curl_easy_strerror(msg->data.result));
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects);
    if (status != 200 || !t->body_ok || t->body_len != BENCH_HTTP_BODY_LEN)
      bench_die("GET %s: status %ld, %zu body bytes (%s), expected 200 and %zu", g.url, status,
                t->body_len, t->body_ok ? "as sent" : "not as sent", BENCH_HTTP_BODY_LEN);
    check_mcode(curl_multi_remove_handle(g.multi, t->easy), "curl_multi_remove_handle");
    ++g.all_requests;
    if (!t->completed_once) {
      t->completed_once = 1;
      ++g.warmed_up;
    }
    if (g.measuring && !g.finished) {
      g.new_connections += connects;
      ++g.events;
      if (g.args.max_events > 0 && g.events >= g.args.max_events) finish();
    }
    if (!g.finished) {
      start_transfer(t);
    } else if (--g.in_flight == 0) {
      /* The last one: only curl's timer may keep the loop alive now. */
      uv_close((uv_handle_t*)&g.curl_timer, NULL);
    }
    if (!g.measuring && g.warmed_up == g.args.n) begin_measure();
  }
}

/* ---- curl's callbacks, libuv's handles -------------------------------------------------- */

static void on_socket_event(uv_poll_t* h, int status, int events) {
  watched_socket* w = h->data;
  int running, flags = 0;
  if (status < 0) flags |= CURL_CSELECT_ERR;
  if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  if (g.measuring && !g.finished) ++g.socket_events;
  /* w may be closed (CURL_POLL_REMOVE) inside the call; its memory lives to its close_cb. */
  check_mcode(curl_multi_socket_action(g.multi, w->sock, flags, &running),
              "curl_multi_socket_action");
  reap_completed();
}

static void on_curl_timeout(uv_timer_t* t) {
  int running;
  (void)t;
  if (g.measuring && !g.finished) ++g.timeouts;
  check_mcode(curl_multi_socket_action(g.multi, CURL_SOCKET_TIMEOUT, 0, &running),
              "curl_multi_socket_action(timeout)");
  reap_completed();
}

/* CURLMOPT_TIMERFUNCTION: -1 cancels the timeout; 0 means as soon as possible, which a 0 ms
 * uv_timer is (the next iteration's timers), never a call from inside this callback. */
static int on_curl_timer(CURLM* multi, long timeout_ms, void* user) {
  (void)multi;
  (void)user;
  if (uv_is_closing((uv_handle_t*)&g.curl_timer)) return 0; /* after the last transfer */
  if (timeout_ms < 0) {
    uv_timer_stop(&g.curl_timer);
  } else {
    check_uv(uv_timer_start(&g.curl_timer, on_curl_timeout, (uint64_t)timeout_ms, 0),
             "uv_timer_start(curl)");
  }
  return 0;
}

static void free_watched(uv_handle_t* h) { free(h->data); }

/* CURLMOPT_SOCKETFUNCTION: which events of socket s curl waits for, or that it is done with it
 * (CURL_POLL_REMOVE comes before curl closes the socket, so the poll stops first). */
static int on_curl_socket(CURL* easy, curl_socket_t s, int what, void* user, void* socketp) {
  watched_socket* w = socketp;
  int events = 0;
  (void)easy;
  (void)user;
  if (what == CURL_POLL_REMOVE) {
    if (w) {
      uv_poll_stop(&w->poll);
      uv_close((uv_handle_t*)&w->poll, free_watched);
      curl_multi_assign(g.multi, s, NULL);
    }
    return 0;
  }
  if (!w) {
    w = malloc(sizeof *w);
    if (!w) bench_die("out of memory");
    w->sock = s;
    if (g.measuring && !g.finished) ++g.polls_opened;
    check_uv(uv_poll_init_socket(&g.loop, &w->poll, s), "uv_poll_init_socket");
    w->poll.data = w;
    curl_multi_assign(g.multi, s, w);
  }
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= UV_WRITABLE;
  check_uv(uv_poll_start(&w->poll, events, on_socket_event), "uv_poll_start");
  return 0;
}

/* ---- main ------------------------------------------------------------------------------- */

int main(int argc, char** argv) {
  const char* port_var;
  const char* port;
  long i;
  int rc;
  bench_parse(argc, argv, &g.args, 20);
  if (!strcmp(g.args.scenario, "http")) {
    port_var = "UVAFD_BENCH_HTTP_PORT";
  } else if (!strcmp(g.args.scenario, "http_wait")) {
    port_var = "UVAFD_BENCH_HTTP_WAIT_PORT";
  } else {
    bench_die("unknown scenario '%s' (http or http_wait)", g.args.scenario);
  }
  if (g.args.n < 1) g.args.n = 1;
  port = getenv(port_var);
  if (!port || !*port) bench_die("%s is not set (bench/http.sh sets it)", port_var);
  snprintf(g.url, sizeof g.url, "http://127.0.0.1:%s/", port);
  bench_wsa_init();
  if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) bench_die("curl_global_init failed");
  check_uv(uv_loop_init(&g.loop), "uv_loop_init");
  check_uv(uv_timer_init(&g.loop, &g.curl_timer), "uv_timer_init(curl)");

  g.multi = curl_multi_init();
  if (!g.multi) bench_die("curl_multi_init failed");
  curl_multi_setopt(g.multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
  curl_multi_setopt(g.multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
  /* C connections in all and C kept in the cache: every transfer after the first C reuses one. */
  curl_multi_setopt(g.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, g.args.n);
  curl_multi_setopt(g.multi, CURLMOPT_MAXCONNECTS, g.args.n);
  curl_multi_setopt(g.multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);

  g.transfers = calloc((size_t)g.args.n, sizeof *g.transfers);
  if (!g.transfers) bench_die("out of memory");
  for (i = 0; i < g.args.n; i++) {
    setup_transfer(&g.transfers[i]);
    start_transfer(&g.transfers[i]);
  }
  g.in_flight = g.args.n;
  check_uv(uv_run(&g.loop, UV_RUN_DEFAULT), "uv_run");
  if (!g.finished) bench_die("the loop ended before the run did");
  print_result();

  /* Every transfer is done, so curl watches no socket; cleanup closes the cached connections. */
  check_mcode(curl_multi_cleanup(g.multi), "curl_multi_cleanup");
  for (i = 0; i < g.args.n; i++) curl_easy_cleanup(g.transfers[i].easy);
  free(g.transfers);
  uv_run(&g.loop, UV_RUN_DEFAULT); /* the close callbacks of anything cleanup still removed */
  rc = uv_loop_close(&g.loop);
  if (rc != 0) fprintf(stderr, "bench: uv_loop_close: %s\n", uv_strerror(rc));
  curl_global_cleanup();
  WSACleanup();
  return 0;
}
