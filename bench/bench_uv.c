/* The benchmark program: libuv's public API only, compiled once and linked twice (real libuv
 * 1.44.2 -> bench_uv_libuv.exe, uvafd -> bench_uv_uvafd.exe).
 *
 *   bench_uv.exe SCENARIO SECONDS [N] [MAX_EVENTS]
 *
 * Every scenario runs for a fixed duration (a uv_timer ends it), or until MAX_EVENTS events
 * when that is given (used to count kernel calls over a fixed number of events), and prints one
 * line "result lib=... scenario=... n=... value=... unit=... events=... seconds=... ...".
 * Linked with uvafd it also prints "nt lib=uvafd ..." with the reactor's own NT call counters
 * over the measured window (bench_lib_uvafd.c).
 *
 * Scenarios (see bench_common.h for the usage text):
 *   async N     N threads, each with its own uv_async_t; a thread sends, then waits (yielding)
 *               until its callback has run, then sends again: every send is one real wakeup.
 *               value: wakeups delivered per second.
 *   pingpong N  N loopback TCP pairs, both ends under uv_poll_t (UV_READABLE); the client sends
 *               16 bytes, the server echoes them, the client sends again. value: round trips/s.
 *   churn       per cycle: socket + connect + accept, uv_poll_init_socket + uv_poll_start, the
 *               peer sends one message, poll_cb reads it, uv_close, close_cb closes both
 *               sockets and starts the next cycle. value: cycles/s (SOCKET values are reused).
 *   close       uv_close on a uv_poll_t whose poll is in flight (armed on a quiet socket one
 *               iteration earlier), from the check phase; value: microseconds from uv_close to
 *               close_cb; also loop iterations (mean, max) between them.
 *   idle N      N idle UDP sockets registered with uv_poll_start(UV_READABLE), plus one pair's
 *               ping-pong. value: round trips/s.
 *   memory N    private bytes per registered and started poll handle over N handles (the
 *               sockets and the uv_poll_t structs are allocated before the first reading).
 *   memory_async N  private bytes per uv_async_t over N handles, with no wakeup in flight
 *               (the structs are allocated and touched before the first reading).
 *   tcp N       N loopback pairs of libuv's own uv_tcp_t (its IOCP path, not uv_poll_t): the
 *               client uv_writes 16 bytes, the server echoes them with uv_write, the client
 *               writes again. value: round trips/s. uvafd's loop core must not slow it. */
#include <uv.h>

#include "bench_window.h"

static struct {
  bench_args args;
  uv_loop_t loop;
  uv_timer_t timer;
  int finished;
  long long events;
  long long halves; /* ping-pong: pings echoed plus pongs received, while measuring */
  bench_window w;
  void (*on_finish)(void);
  char extra[512];
} g;

static void check_uv(int rc, const char* what) {
  if (rc != 0) bench_die("%s: %s", what, uv_strerror(rc));
}

static void close_quietly(uv_handle_t* h) {
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void finish(void) {
  if (g.finished) return;
  g.finished = 1;
  bench_window_close(&g.w, &g.loop);
  close_quietly((uv_handle_t*)&g.timer);
  if (g.on_finish) g.on_finish();
}

static void on_timer(uv_timer_t* t) {
  (void)t;
  finish();
}

static void begin_measure(void) {
  uint64_t ms = (uint64_t)(g.args.seconds * 1000.0);
  uv_update_time(&g.loop); /* setup may have taken long: the duration counts from now */
  check_uv(uv_timer_init(&g.loop, &g.timer), "uv_timer_init");
  check_uv(uv_timer_start(&g.timer, on_timer, ms ? ms : 1, 0), "uv_timer_start");
  g.events = 0;
  bench_window_open(&g.w, &g.loop);
}

/* One event counted; ends the run at MAX_EVENTS. */
static void count_event(void) {
  if (g.finished) return;
  ++g.events;
  if (g.args.max_events > 0 && g.events >= g.args.max_events) finish();
}

static void print_nt_line(void) {
  /* Ping-pong: per round trip from half trips, as the rate (see rate_result). */
  bench_window_print_nt(&g.w, g.args.scenario, g.args.n,
                        g.halves > 0 ? (double)g.halves / 2.0 : (double)g.events);
}

static void rate_result(const char* unit) {
  double secs = g.w.t1 - g.w.t0;
  double rate = secs > 0 ? (double)g.events / secs : 0;
  /* Ping-pong: round trips/s from half trips, so that N pairs moving in step (every pair's
   * pong in one stretch, every echo in the next) do not quantize the count to N. */
  if (g.halves > 0 && secs > 0) rate = (double)g.halves / 2.0 / secs;
  bench_cpu_note(g.extra, sizeof g.extra, g.w.cpu1 - g.w.cpu0,
                 g.halves > 0 ? (double)g.halves / 2.0 : (double)g.events);
  bench_result(bench_lib_name(), g.args.scenario, g.args.n, rate, unit, g.events, secs, g.extra);
  print_nt_line();
}

/* ---- async ------------------------------------------------------------------------------ */

static struct {
  uv_async_t* handles;
  volatile LONG* delivered;
  uv_thread_t* threads;
  volatile LONG stop;
  int threads_started;
} as;

static void async_cb(uv_async_t* h) {
  InterlockedIncrement(&as.delivered[(intptr_t)h->data]);
  count_event();
}

static void async_sender(void* arg) {
  intptr_t i = (intptr_t)arg;
  while (!as.stop) {
    LONG seen = as.delivered[i];
    if (uv_async_send(&as.handles[i]) != 0) bench_die("uv_async_send failed");
    while (as.delivered[i] == seen && !as.stop) SwitchToThread();
  }
}

static void async_finish(void) {
  long i;
  as.stop = 1;
  for (i = 0; i < as.threads_started; ++i) uv_thread_join(&as.threads[i]);
  for (i = 0; i < g.args.n; ++i) close_quietly((uv_handle_t*)&as.handles[i]);
}

static void run_async(void) {
  long i, n = g.args.n < 1 ? 1 : g.args.n;
  g.args.n = n;
  as.handles = calloc((size_t)n, sizeof *as.handles);
  as.delivered = calloc((size_t)n, sizeof *as.delivered);
  as.threads = calloc((size_t)n, sizeof *as.threads);
  if (!as.handles || !as.delivered || !as.threads) bench_die("out of memory");
  for (i = 0; i < n; ++i) {
    check_uv(uv_async_init(&g.loop, &as.handles[i], async_cb), "uv_async_init");
    as.handles[i].data = (void*)(intptr_t)i;
  }
  g.on_finish = async_finish;
  begin_measure();
  for (i = 0; i < n; ++i) {
    check_uv(uv_thread_create(&as.threads[i], async_sender, (void*)(intptr_t)i),
             "uv_thread_create");
    as.threads_started++;
  }
  uv_run(&g.loop, UV_RUN_DEFAULT);
  rate_result("wakeups/s");
}

/* ---- pingpong and idle ------------------------------------------------------------------ */

typedef struct pp_pair {
  uv_poll_t client_poll, server_poll;
  SOCKET c, s;
  int got;
} pp_pair;

static struct {
  pp_pair* pairs;
  long npairs;
  SOCKET* idle_socks;
  uv_poll_t* idle_polls;
  long nidle;
} pp;

static const char kPing[BENCH_MSG_LEN] = "ping-0123456789";

static void pp_server_cb(uv_poll_t* h, int status, int events) {
  pp_pair* p = h->data;
  char buf[256];
  int n;
  (void)events;
  if (status < 0) bench_die("server poll_cb status %s", uv_strerror(status));
  n = recv(p->s, buf, sizeof buf, 0);
  if (n > 0) {
    if (send(p->s, buf, n, 0) != n) bench_die("send(echo): %d", WSAGetLastError());
    if (!g.finished) g.halves++;
  } else if (n == 0 || WSAGetLastError() != WSAEWOULDBLOCK) {
    bench_die("recv(server): %d", n == 0 ? 0 : WSAGetLastError());
  }
}

static void pp_client_cb(uv_poll_t* h, int status, int events) {
  pp_pair* p = h->data;
  char buf[256];
  int n;
  (void)events;
  if (status < 0) bench_die("client poll_cb status %s", uv_strerror(status));
  n = recv(p->c, buf, sizeof buf, 0);
  if (n > 0) {
    p->got += n;
    while (p->got >= BENCH_MSG_LEN) {
      p->got -= BENCH_MSG_LEN;
      if (!g.finished) g.halves++;
      count_event();
      if (g.finished) return;
      if (send(p->c, kPing, BENCH_MSG_LEN, 0) != BENCH_MSG_LEN)
        bench_die("send(ping): %d", WSAGetLastError());
    }
  } else if (n == 0 || WSAGetLastError() != WSAEWOULDBLOCK) {
    bench_die("recv(client): %d", n == 0 ? 0 : WSAGetLastError());
  }
}

static void pp_finish(void) {
  long i;
  for (i = 0; i < pp.npairs; ++i) {
    close_quietly((uv_handle_t*)&pp.pairs[i].client_poll);
    close_quietly((uv_handle_t*)&pp.pairs[i].server_poll);
  }
  for (i = 0; i < pp.nidle; ++i) close_quietly((uv_handle_t*)&pp.idle_polls[i]);
}

static void idle_never_cb(uv_poll_t* h, int status, int events) {
  (void)h;
  (void)status;
  (void)events;
  bench_die("an idle socket reported an event");
}

static void run_pingpong(long npairs, long nidle) {
  struct sockaddr_in addr;
  SOCKET l;
  long i;
  double setup0 = bench_now_s(), reg_s, arm0;
  pp.npairs = npairs;
  pp.pairs = calloc((size_t)npairs, sizeof *pp.pairs);
  if (!pp.pairs) bench_die("out of memory");
  if (nidle > 0) {
    pp.idle_socks = calloc((size_t)nidle, sizeof *pp.idle_socks);
    pp.idle_polls = calloc((size_t)nidle, sizeof *pp.idle_polls);
    if (!pp.idle_socks || !pp.idle_polls) bench_die("out of memory");
    for (i = 0; i < nidle; ++i) {
      SOCKET s = bench_udp_socket();
      if (s == INVALID_SOCKET) break; /* a limit: run with what we have, and say so */
      pp.idle_socks[i] = s;
      check_uv(uv_poll_init_socket(&g.loop, &pp.idle_polls[i], s), "uv_poll_init_socket(idle)");
      check_uv(uv_poll_start(&pp.idle_polls[i], UV_READABLE, idle_never_cb), "uv_poll_start(idle)");
      pp.nidle = i + 1;
    }
  }
  reg_s = bench_now_s() - setup0;
  l = bench_listener(&addr);
  for (i = 0; i < npairs; ++i) {
    pp_pair* p = &pp.pairs[i];
    bench_tcp_pair(l, &addr, &p->c, &p->s);
    check_uv(uv_poll_init_socket(&g.loop, &p->client_poll, p->c), "uv_poll_init_socket");
    check_uv(uv_poll_init_socket(&g.loop, &p->server_poll, p->s), "uv_poll_init_socket");
    p->client_poll.data = p->server_poll.data = p;
    check_uv(uv_poll_start(&p->client_poll, UV_READABLE, pp_client_cb), "uv_poll_start");
    check_uv(uv_poll_start(&p->server_poll, UV_READABLE, pp_server_cb), "uv_poll_start");
  }
  closesocket(l);
  /* One iteration arms every registration (uvafd arms in the poll phase) before timing. */
  arm0 = bench_now_s();
  uv_run(&g.loop, UV_RUN_NOWAIT);
  snprintf(g.extra, sizeof g.extra,
           "pairs=%ld idle=%ld setup_s=%.3f idle_register_s=%.3f arm_s=%.3f",
           npairs, pp.nidle, bench_now_s() - setup0, reg_s, bench_now_s() - arm0);
  g.halves = 0;
  g.on_finish = pp_finish;
  begin_measure();
  for (i = 0; i < npairs; ++i)
    if (send(pp.pairs[i].c, kPing, BENCH_MSG_LEN, 0) != BENCH_MSG_LEN)
      bench_die("send(first ping): %d", WSAGetLastError());
  uv_run(&g.loop, UV_RUN_DEFAULT);
  for (i = 0; i < npairs; ++i) {
    closesocket(pp.pairs[i].c);
    closesocket(pp.pairs[i].s);
  }
  for (i = 0; i < pp.nidle; ++i) closesocket(pp.idle_socks[i]);
  if (nidle > 0) g.args.n = pp.nidle; /* report what was actually registered */
  rate_result("roundtrips/s");
}

/* ---- churn ------------------------------------------------------------------------------ */

static struct {
  SOCKET l, c, s, last_c;
  struct sockaddr_in addr;
  uv_poll_t poll;
  int got;
  long long reused;
} ch;

static void churn_start(void);

static void churn_close_cb(uv_handle_t* h) {
  (void)h;
  closesocket(ch.c);
  closesocket(ch.s);
  count_event();
  if (!g.finished) churn_start();
}

static void churn_cb(uv_poll_t* h, int status, int events) {
  char buf[256];
  int n;
  (void)events;
  if (status < 0) bench_die("churn poll_cb status %s", uv_strerror(status));
  n = recv(ch.c, buf, sizeof buf, 0);
  if (n > 0) {
    ch.got += n;
    if (ch.got >= BENCH_MSG_LEN) uv_close((uv_handle_t*)h, churn_close_cb);
  } else if (n == 0 || WSAGetLastError() != WSAEWOULDBLOCK) {
    bench_die("recv(churn): %d", n == 0 ? 0 : WSAGetLastError());
  }
}

static void churn_start(void) {
  bench_tcp_pair(ch.l, &ch.addr, &ch.c, &ch.s);
  if (ch.c == ch.last_c) ch.reused++;
  ch.last_c = ch.c;
  ch.got = 0;
  check_uv(uv_poll_init_socket(&g.loop, &ch.poll, ch.c), "uv_poll_init_socket(churn)");
  check_uv(uv_poll_start(&ch.poll, UV_READABLE, churn_cb), "uv_poll_start(churn)");
  if (send(ch.s, kPing, BENCH_MSG_LEN, 0) != BENCH_MSG_LEN)
    bench_die("send(churn): %d", WSAGetLastError());
}

static void run_churn(void) {
  ch.l = bench_listener(&ch.addr);
  ch.last_c = INVALID_SOCKET;
  g.on_finish = NULL; /* the cycle in progress completes; its close_cb starts no other */
  begin_measure();
  churn_start();
  uv_run(&g.loop, UV_RUN_DEFAULT);
  closesocket(ch.l);
  snprintf(g.extra, sizeof g.extra, "same_socket_value=%.3f",
           g.events > 1 ? (double)ch.reused / (double)g.events : 0.0);
  rate_result("cycles/s");
}

/* ---- close latency ---------------------------------------------------------------------- */

#define CLOSE_RING 8 /* quiet pairs used in turn, so a closed poll's kernel request has
                        long finished before its socket is polled again */

static struct {
  SOCKET c[CLOSE_RING], s[CLOSE_RING];
  uv_poll_t poll;
  uv_prepare_t prepare;
  uv_check_t check;
  uv_idle_t idle;
  enum { CL_START, CL_ARMED, CL_CLOSING } state;
  int ring;
  long long iter, iter_at_close, iter_sum, iter_max, iter_hist[3];
  uint64_t t_close, ns_sum, ns_max;
} cl;

static void cl_poll_cb(uv_poll_t* h, int status, int events) {
  (void)h;
  (void)status;
  (void)events;
  bench_die("close: the quiet socket reported an event");
}

static void cl_close_cb(uv_handle_t* h) {
  uint64_t ns = uv_hrtime() - cl.t_close;
  long long it = cl.iter - cl.iter_at_close;
  (void)h;
  cl.state = CL_START;
  if (g.finished) return;
  cl.ns_sum += ns;
  if (ns > cl.ns_max) cl.ns_max = ns;
  cl.iter_sum += it;
  if (it > cl.iter_max) cl.iter_max = it;
  cl.iter_hist[it < 2 ? it : 2]++;
  count_event();
}

static void cl_prepare_cb(uv_prepare_t* h) {
  (void)h;
  cl.iter++;
}

static void cl_idle_cb(uv_idle_t* h) { (void)h; }

/* The check phase runs after the poll phase: a poll started in iteration k is in flight by the
 * check phase of iteration k + 1 with either library. */
static void cl_check_cb(uv_check_t* h) {
  (void)h;
  if (g.finished) return;
  if (cl.state == CL_START) {
    cl.ring = (cl.ring + 1) % CLOSE_RING;
    check_uv(uv_poll_init_socket(&g.loop, &cl.poll, cl.c[cl.ring]), "uv_poll_init_socket(close)");
    check_uv(uv_poll_start(&cl.poll, UV_READABLE, cl_poll_cb), "uv_poll_start(close)");
    cl.state = CL_ARMED;
  } else if (cl.state == CL_ARMED) {
    cl.state = CL_CLOSING;
    cl.iter_at_close = cl.iter;
    cl.t_close = uv_hrtime();
    uv_close((uv_handle_t*)&cl.poll, cl_close_cb);
  }
}

static void cl_finish(void) {
  close_quietly((uv_handle_t*)&cl.prepare);
  close_quietly((uv_handle_t*)&cl.check);
  close_quietly((uv_handle_t*)&cl.idle);
  if (cl.state == CL_ARMED) close_quietly((uv_handle_t*)&cl.poll);
}

static void run_close(void) {
  struct sockaddr_in addr;
  SOCKET l = bench_listener(&addr);
  double secs, us = 0, iters = 0;
  int i;
  for (i = 0; i < CLOSE_RING; ++i) bench_tcp_pair(l, &addr, &cl.c[i], &cl.s[i]);
  closesocket(l);
  check_uv(uv_prepare_init(&g.loop, &cl.prepare), "uv_prepare_init");
  check_uv(uv_check_init(&g.loop, &cl.check), "uv_check_init");
  check_uv(uv_idle_init(&g.loop, &cl.idle), "uv_idle_init");
  check_uv(uv_prepare_start(&cl.prepare, cl_prepare_cb), "uv_prepare_start");
  check_uv(uv_check_start(&cl.check, cl_check_cb), "uv_check_start");
  check_uv(uv_idle_start(&cl.idle, cl_idle_cb), "uv_idle_start");
  g.on_finish = cl_finish;
  begin_measure();
  uv_run(&g.loop, UV_RUN_DEFAULT);
  for (i = 0; i < CLOSE_RING; ++i) {
    closesocket(cl.c[i]);
    closesocket(cl.s[i]);
  }
  secs = g.w.t1 - g.w.t0;
  if (g.events > 0) {
    us = (double)cl.ns_sum / 1000.0 / (double)g.events;
    iters = (double)cl.iter_sum / (double)g.events;
  }
  snprintf(g.extra, sizeof g.extra,
           "iters_mean=%.3f iters_max=%lld same_iter=%lld next_iter=%lld later=%lld us_max=%.1f",
           iters, cl.iter_max, cl.iter_hist[0], cl.iter_hist[1], cl.iter_hist[2],
           (double)cl.ns_max / 1000.0);
  bench_result(bench_lib_name(), g.args.scenario, 0, us, "us", g.events, secs, g.extra);
  print_nt_line();
}

/* ---- memory ----------------------------------------------------------------------------- */

static void run_memory(void) {
  long n = g.args.n < 1 ? 1 : g.args.n, made = 0, i;
  SOCKET* socks = calloc((size_t)n, sizeof *socks);
  uv_poll_t* polls = calloc((size_t)n, sizeof *polls);
  double p0, p1, c0, c1, t0;
  const char* source = "none";
  if (!socks || !polls) bench_die("out of memory");
  /* Touched now: the caller's own memory is not what is measured. */
  memset(polls, 0xab, (size_t)n * sizeof *polls);
  for (i = 0; i < n; ++i) {
    socks[i] = bench_udp_socket();
    if (socks[i] == INVALID_SOCKET) break;
    made = i + 1;
  }
  /* Warm up the loop (first-iteration allocations, a first registration's tables). */
  {
    static uv_poll_t warm; /* libuv may use it until close_cb: not on the stack */
    SOCKET s = bench_udp_socket();
    check_uv(uv_poll_init_socket(&g.loop, &warm, s), "uv_poll_init_socket(warm)");
    check_uv(uv_poll_start(&warm, UV_READABLE, idle_never_cb), "uv_poll_start(warm)");
    uv_run(&g.loop, UV_RUN_NOWAIT);
    uv_close((uv_handle_t*)&warm, NULL);
    uv_run(&g.loop, UV_RUN_DEFAULT); /* returns once the close has completed */
    closesocket(s);
  }
  t0 = bench_now_s();
  p0 = bench_private_bytes(&source);
  c0 = bench_committed_bytes();
  for (i = 0; i < made; ++i) {
    check_uv(uv_poll_init_socket(&g.loop, &polls[i], socks[i]), "uv_poll_init_socket(memory)");
    check_uv(uv_poll_start(&polls[i], UV_READABLE, idle_never_cb), "uv_poll_start(memory)");
  }
  uv_run(&g.loop, UV_RUN_NOWAIT); /* arm them all */
  p1 = bench_private_bytes(&source);
  c1 = bench_committed_bytes();
  g.w.t1 = bench_now_s();
  for (i = 0; i < made; ++i) uv_close((uv_handle_t*)&polls[i], NULL);
  uv_run(&g.loop, UV_RUN_DEFAULT);
  for (i = 0; i < made; ++i) closesocket(socks[i]);
  snprintf(g.extra, sizeof g.extra,
           "source=%s private_before=%.0f private_after=%.0f handle_struct=%u committed=%.3f",
           source, p0, p1, (unsigned)sizeof(uv_poll_t), made ? (c1 - c0) / (double)made : 0);
  bench_result(bench_lib_name(), g.args.scenario, made, made ? (p1 - p0) / (double)made : 0,
               "bytes/handle", made, g.w.t1 - t0, g.extra);
}

static void idle_async_cb(uv_async_t* h) { (void)h; }

static void run_memory_async(void) {
  long n = g.args.n < 1 ? 1 : g.args.n, i;
  uv_async_t* asyncs = calloc((size_t)n, sizeof *asyncs);
  double p0, p1, c0, c1, t0;
  const char* source = "none";
  if (!asyncs) bench_die("out of memory");
  memset(asyncs, 0xab, (size_t)n * sizeof *asyncs); /* the caller's memory: not measured */
  {
    static uv_async_t warm;
    check_uv(uv_async_init(&g.loop, &warm, idle_async_cb), "uv_async_init(warm)");
    uv_run(&g.loop, UV_RUN_NOWAIT);
    uv_close((uv_handle_t*)&warm, NULL);
    uv_run(&g.loop, UV_RUN_DEFAULT);
  }
  t0 = bench_now_s();
  p0 = bench_private_bytes(&source);
  c0 = bench_committed_bytes();
  for (i = 0; i < n; ++i)
    check_uv(uv_async_init(&g.loop, &asyncs[i], idle_async_cb), "uv_async_init(memory)");
  uv_run(&g.loop, UV_RUN_NOWAIT);
  p1 = bench_private_bytes(&source);
  c1 = bench_committed_bytes();
  g.w.t1 = bench_now_s();
  for (i = 0; i < n; ++i) uv_close((uv_handle_t*)&asyncs[i], NULL);
  uv_run(&g.loop, UV_RUN_DEFAULT);
  snprintf(g.extra, sizeof g.extra,
           "source=%s private_before=%.0f private_after=%.0f handle_struct=%u committed=%.3f",
           source, p0, p1, (unsigned)sizeof(uv_async_t), (c1 - c0) / (double)n);
  bench_result(bench_lib_name(), g.args.scenario, n, (p1 - p0) / (double)n, "bytes/handle", n,
               g.w.t1 - t0, g.extra);
  free(asyncs);
}

/* ---- tcp: libuv's own uv_tcp_t ------------------------------------------------------------ */

typedef struct tcp_pair {
  uv_tcp_t client, server_end;
  uv_write_t client_write, echo_write;
  char client_buf[256], server_buf[256];
  uv_buf_t echo_buf;
  int got;
} tcp_pair;

static struct {
  uv_tcp_t listener;
  tcp_pair* pairs;
  long npairs, accepted, connected;
} tp;

static void tcp_alloc_client(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  tcp_pair* p = h->data;
  (void)size;
  *buf = uv_buf_init(p->client_buf, sizeof p->client_buf);
}

static void tcp_alloc_server(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  tcp_pair* p = h->data;
  (void)size;
  *buf = uv_buf_init(p->server_buf, sizeof p->server_buf);
}

static void tcp_ping(tcp_pair* p) {
  uv_buf_t b = uv_buf_init((char*)kPing, BENCH_MSG_LEN);
  check_uv(uv_write(&p->client_write, (uv_stream_t*)&p->client, &b, 1, NULL), "uv_write(ping)");
}

static void tcp_server_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  tcp_pair* p = s->data;
  if (n < 0) {
    if (n == UV_EOF || g.finished) return;
    bench_die("server read: %s", uv_strerror((int)n));
  }
  if (n == 0) return;
  p->echo_buf = uv_buf_init(buf->base, (unsigned)n);
  check_uv(uv_write(&p->echo_write, s, &p->echo_buf, 1, NULL), "uv_write(echo)");
  if (!g.finished) g.halves++;
}

static void tcp_client_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  tcp_pair* p = s->data;
  (void)buf;
  if (n < 0) {
    if (n == UV_EOF || g.finished) return;
    bench_die("client read: %s", uv_strerror((int)n));
  }
  p->got += (int)n;
  while (p->got >= BENCH_MSG_LEN) {
    p->got -= BENCH_MSG_LEN;
    if (!g.finished) g.halves++;
    count_event();
    if (g.finished) return;
    tcp_ping(p);
  }
}

static void tcp_start_measuring(void) {
  long i;
  g.halves = 0;
  begin_measure();
  for (i = 0; i < tp.npairs; ++i) tcp_ping(&tp.pairs[i]);
}

static void tcp_on_connection(uv_stream_t* server, int status) {
  tcp_pair* p;
  if (status < 0) bench_die("listen: %s", uv_strerror(status));
  if (tp.accepted == tp.npairs) bench_die("unexpected connection");
  p = &tp.pairs[tp.accepted++];
  check_uv(uv_tcp_init(&g.loop, &p->server_end), "uv_tcp_init(server end)");
  p->server_end.data = p;
  check_uv(uv_accept(server, (uv_stream_t*)&p->server_end), "uv_accept");
  uv_tcp_nodelay(&p->server_end, 1); /* Nagle would measure the TCP stack, not the loop */
  check_uv(uv_read_start((uv_stream_t*)&p->server_end, tcp_alloc_server, tcp_server_read),
           "uv_read_start(server)");
  if (tp.accepted == tp.npairs && tp.connected == tp.npairs) tcp_start_measuring();
}

static void tcp_on_connect(uv_connect_t* req, int status) {
  tcp_pair* p = req->handle->data;
  if (status < 0) bench_die("connect: %s", uv_strerror(status));
  free(req);
  check_uv(uv_read_start((uv_stream_t*)&p->client, tcp_alloc_client, tcp_client_read),
           "uv_read_start(client)");
  tp.connected++;
  if (tp.accepted == tp.npairs && tp.connected == tp.npairs) tcp_start_measuring();
}

static void tcp_finish(void) {
  long i;
  for (i = 0; i < tp.npairs; ++i) {
    close_quietly((uv_handle_t*)&tp.pairs[i].client);
    if (i < tp.accepted) close_quietly((uv_handle_t*)&tp.pairs[i].server_end);
  }
  close_quietly((uv_handle_t*)&tp.listener);
}

static void run_tcp(long npairs) {
  struct sockaddr_in addr;
  int len = sizeof addr;
  long i;
  tp.npairs = npairs;
  tp.pairs = calloc((size_t)npairs, sizeof *tp.pairs);
  if (!tp.pairs) bench_die("out of memory");
  check_uv(uv_tcp_init(&g.loop, &tp.listener), "uv_tcp_init(listener)");
  check_uv(uv_ip4_addr("127.0.0.1", 0, &addr), "uv_ip4_addr");
  check_uv(uv_tcp_bind(&tp.listener, (const struct sockaddr*)&addr, 0), "uv_tcp_bind");
  check_uv(uv_tcp_getsockname(&tp.listener, (struct sockaddr*)&addr, &len), "uv_tcp_getsockname");
  check_uv(uv_listen((uv_stream_t*)&tp.listener, (int)npairs, tcp_on_connection), "uv_listen");
  for (i = 0; i < npairs; ++i) {
    uv_connect_t* req = malloc(sizeof *req);
    if (!req) bench_die("out of memory");
    check_uv(uv_tcp_init(&g.loop, &tp.pairs[i].client), "uv_tcp_init(client)");
    tp.pairs[i].client.data = &tp.pairs[i];
    uv_tcp_nodelay(&tp.pairs[i].client, 1);
    check_uv(uv_tcp_connect(req, &tp.pairs[i].client, (const struct sockaddr*)&addr,
                            tcp_on_connect), "uv_tcp_connect");
  }
  snprintf(g.extra, sizeof g.extra, "pairs=%ld", npairs);
  g.on_finish = tcp_finish;
  /* Measuring starts when every pair is connected and accepted (tcp_start_measuring). */
  uv_run(&g.loop, UV_RUN_DEFAULT);
  rate_result("roundtrips/s");
}

/* ---- main ------------------------------------------------------------------------------- */

int main(int argc, char** argv) {
  int rc;
  bench_parse(argc, argv, &g.args, 1);
  bench_wsa_init();
  check_uv(uv_loop_init(&g.loop), "uv_loop_init");
  if (!strcmp(g.args.scenario, "async")) {
    run_async();
  } else if (!strcmp(g.args.scenario, "pingpong")) {
    run_pingpong(g.args.n < 1 ? 1 : g.args.n, 0);
  } else if (!strcmp(g.args.scenario, "idle")) {
    long nidle = g.args.n < 0 ? 0 : g.args.n;
    g.args.n = nidle;
    run_pingpong(1, nidle);
  } else if (!strcmp(g.args.scenario, "churn")) {
    run_churn();
  } else if (!strcmp(g.args.scenario, "close")) {
    run_close();
  } else if (!strcmp(g.args.scenario, "memory")) {
    run_memory();
  } else if (!strcmp(g.args.scenario, "memory_async")) {
    run_memory_async();
  } else if (!strcmp(g.args.scenario, "tcp")) {
    run_tcp(g.args.n < 1 ? 1 : g.args.n);
  } else {
    bench_die("unknown scenario '%s'", g.args.scenario);
  }
  rc = uv_loop_close(&g.loop);
  if (rc != 0) fprintf(stderr, "bench: uv_loop_close: %s\n", uv_strerror(rc));
  WSACleanup();
  return 0;
}
