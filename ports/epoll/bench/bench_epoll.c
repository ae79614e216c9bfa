/* The epoll port's benchmark: one program written against the epoll API only
 * (wepoll.h's five functions), compiled once and linked twice: against wepoll 1.5.8's released
 * single file (bench_epoll_wepoll.exe) and against uvafd_epoll (bench_epoll_uvafd.exe).
 * ports/epoll/bench/run.sh runs both and writes docs/benchmarks-epoll.md.
 *
 *   bench_epoll_*.exe pingpong SECONDS N   N loopback TCP pairs, both ends EPOLLIN (round trips/s)
 *   bench_epoll_*.exe churn SECONDS        socket pair, ADD, one message, DEL, close (cycles/s)
 *   bench_epoll_*.exe idle SECONDS N       one pair's ping-pong beside N idle UDP sockets
 *
 * Every event's data names what it was registered for; an event for anything else (an idle
 * socket, an earlier churn cycle) ends the program with an error, so a result line is also a
 * proof that no event was misrouted during the run. */
#include "../../../bench/bench_common.h"

#include <errno.h>

#include "wepoll.h"

extern const char bench_epoll_lib[]; /* "uvafd" or "wepoll": the file linked beside this one */

#define MAX_EVENTS 256
#define TAG_IDLE (1ULL << 62) /* data.u64 of the idle sockets */

static const char kPing[BENCH_MSG_LEN] = "ping-pong-16byte";

static struct {
  bench_args args;
  HANDLE port;
  double t0, t1, cpu0, cpu1;
  long long events; /* cycles (churn) or half trips (ping-pong) */
  char extra[256];
} g;

static void begin_measure(void) {
  g.events = 0;
  g.cpu0 = bench_cpu_s();
  g.t0 = bench_now_s();
}

static void end_measure(void) {
  g.t1 = bench_now_s();
  g.cpu1 = bench_cpu_s();
}

/* Milliseconds left in the run, 0 when it is over. */
static int ms_left(void) {
  double left = g.t0 + g.args.seconds - bench_now_s();
  return left > 0 ? (int)(left * 1000.0) + 1 : 0;
}

static void ctl_or_die(int op, SOCKET s, uint32_t events, uint64_t tag) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.u64 = tag;
  if (epoll_ctl(g.port, op, s, op == EPOLL_CTL_DEL ? NULL : &ev) != 0)
    bench_die("epoll_ctl(%d) on %llu: errno %d, GetLastError %lu", op, (unsigned long long)s,
              errno, GetLastError());
}

static void result(const char* unit, double per_event_divisor) {
  double secs = g.t1 - g.t0;
  double events = (double)g.events / per_event_divisor;
  bench_cpu_note(g.extra, sizeof g.extra, g.cpu1 - g.cpu0, events);
  bench_result(bench_epoll_lib, g.args.scenario, g.args.n, secs > 0 ? events / secs : 0, unit,
               g.events, secs, g.extra);
}

/* ---- ping-pong and idle ------------------------------------------------------------------ */

typedef struct pair {
  SOCKET c, s;
  int got[2]; /* bytes of the current message received by the client [0] and the server [1] */
} pair;

static void pp_send(SOCKET s) {
  if (send(s, kPing, BENCH_MSG_LEN, 0) != BENCH_MSG_LEN)
    bench_die("send: %d", WSAGetLastError());
}

/* Reads what is readable on one end; each whole message received is answered (the server
 * echoes, the client sends the next ping) and counted as a half trip. */
static void pp_on_readable(pair* p, int server) {
  char buf[512];
  SOCKET s = server ? p->s : p->c;
  for (;;) {
    int n = recv(s, buf, sizeof buf, 0);
    if (n < 0) {
      if (WSAGetLastError() == WSAEWOULDBLOCK) return;
      bench_die("recv: %d", WSAGetLastError());
    }
    if (n == 0) bench_die("recv: the peer closed");
    p->got[server] += n;
    while (p->got[server] >= BENCH_MSG_LEN) {
      p->got[server] -= BENCH_MSG_LEN;
      ++g.events;
      pp_send(s);
    }
  }
}

static void run_pingpong(long npairs, long nidle) {
  struct sockaddr_in addr;
  struct epoll_event evs[MAX_EVENTS];
  SOCKET l, *idle = NULL;
  pair* pairs;
  long i, registered = 0;
  double setup0 = bench_now_s(), reg_s, arm0;
  int armed;
  pairs = calloc((size_t)npairs, sizeof *pairs);
  if (!pairs) bench_die("out of memory");
  if (nidle > 0) {
    idle = calloc((size_t)nidle, sizeof *idle);
    if (!idle) bench_die("out of memory");
    for (i = 0; i < nidle; ++i) {
      SOCKET s = bench_udp_socket();
      if (s == INVALID_SOCKET) break; /* a limit: run with what we have, and say so */
      idle[i] = s;
      ctl_or_die(EPOLL_CTL_ADD, s, EPOLLIN, TAG_IDLE | (uint64_t)i);
      registered = i + 1;
    }
  }
  reg_s = bench_now_s() - setup0;
  l = bench_listener(&addr);
  for (i = 0; i < npairs; ++i) {
    bench_tcp_pair(l, &addr, &pairs[i].c, &pairs[i].s);
    ctl_or_die(EPOLL_CTL_ADD, pairs[i].c, EPOLLIN, (uint64_t)i << 1);
    ctl_or_die(EPOLL_CTL_ADD, pairs[i].s, EPOLLIN, ((uint64_t)i << 1) | 1);
  }
  closesocket(l);
  if (nidle > 0) g.args.n = registered; /* report what was actually registered */
  /* wepoll submits its polls in epoll_wait, uvafd at EPOLL_CTL_ADD: one wait before timing
   * arms every socket with either library (nothing has been sent: it returns no event). */
  arm0 = bench_now_s();
  armed = epoll_wait(g.port, evs, MAX_EVENTS, 0);
  if (armed != 0) bench_die("the arming wait returned %d", armed);
  snprintf(g.extra, sizeof g.extra,
           "pairs=%ld idle=%ld setup_s=%.3f idle_register_s=%.3f arm_s=%.3f", npairs, registered,
           bench_now_s() - setup0, reg_s, bench_now_s() - arm0);
  begin_measure();
  for (i = 0; i < npairs; ++i) pp_send(pairs[i].c);
  for (;;) {
    int left = ms_left(), n, k;
    if (left == 0) break;
    n = epoll_wait(g.port, evs, MAX_EVENTS, left);
    if (n < 0) bench_die("epoll_wait: errno %d", errno);
    for (k = 0; k < n; ++k) {
      uint64_t tag = evs[k].data.u64;
      if (tag & TAG_IDLE) bench_die("an idle socket reported an event (%#x)", evs[k].events);
      if ((long)(tag >> 1) >= npairs) bench_die("an event with an unknown tag %llu", tag);
      if (evs[k].events & (EPOLLERR | EPOLLHUP)) bench_die("EPOLLERR/EPOLLHUP on a pair");
      pp_on_readable(&pairs[tag >> 1], (int)(tag & 1));
    }
  }
  end_measure();
  for (i = 0; i < npairs; ++i) {
    closesocket(pairs[i].c);
    closesocket(pairs[i].s);
  }
  for (i = 0; i < registered; ++i) closesocket(idle[i]);
  free(pairs);
  free(idle);
  /* Round trips from half trips: N pairs moving in step would quantize whole trips to N. */
  result("roundtrips/s", 2.0);
}

/* ---- churn ------------------------------------------------------------------------------- */

/* Per cycle: a new loopback pair, EPOLL_CTL_ADD of the client end, the server sends one
 * message, epoll_wait until the client's event (its data names the cycle), recv, EPOLL_CTL_DEL,
 * close both. Wine hands the closed values back at once, so the next cycle's client usually
 * has the same SOCKET value (same_socket_value): an event of an earlier cycle would carry an
 * older tag and end the run. */
static void run_churn(void) {
  struct sockaddr_in addr;
  struct epoll_event evs[MAX_EVENTS];
  SOCKET l = bench_listener(&addr), last_c = INVALID_SOCKET;
  long long reused = 0;
  uint64_t cycle = 0;
  begin_measure();
  while (ms_left() > 0) {
    SOCKET c, s;
    char buf[256];
    int got = 0, done = 0;
    bench_tcp_pair(l, &addr, &c, &s);
    if (c == last_c) ++reused;
    last_c = c;
    ++cycle;
    ctl_or_die(EPOLL_CTL_ADD, c, EPOLLIN, cycle);
    pp_send(s);
    while (!done) {
      int n = epoll_wait(g.port, evs, MAX_EVENTS, 5000), k;
      if (n < 0) bench_die("epoll_wait: errno %d", errno);
      if (n == 0) bench_die("churn: no event for cycle %llu in 5 s", (unsigned long long)cycle);
      for (k = 0; k < n; ++k) {
        if (evs[k].data.u64 != cycle)
          bench_die("churn: an event for cycle %llu in cycle %llu", evs[k].data.u64,
                    (unsigned long long)cycle);
        for (;;) {
          int r = recv(c, buf, sizeof buf, 0);
          if (r > 0) got += r;
          if (r > 0 && got < BENCH_MSG_LEN) continue;
          if (r <= 0 && WSAGetLastError() != WSAEWOULDBLOCK) bench_die("recv(churn)");
          break;
        }
        if (got >= BENCH_MSG_LEN) done = 1;
      }
    }
    ctl_or_die(EPOLL_CTL_DEL, c, 0, 0);
    closesocket(c);
    closesocket(s);
    ++g.events;
  }
  end_measure();
  closesocket(l);
  snprintf(g.extra, sizeof g.extra, "same_socket_value=%.3f",
           g.events > 1 ? (double)reused / (double)g.events : 0.0);
  result("cycles/s", 1.0);
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &g.args, 1);
  bench_wsa_init();
  g.port = epoll_create1(0);
  if (!g.port) bench_die("epoll_create1: errno %d", errno);
  if (!strcmp(g.args.scenario, "pingpong")) {
    run_pingpong(g.args.n < 1 ? 1 : g.args.n, 0);
  } else if (!strcmp(g.args.scenario, "idle")) {
    g.args.n = g.args.n < 0 ? 0 : g.args.n;
    run_pingpong(1, g.args.n);
  } else if (!strcmp(g.args.scenario, "churn")) {
    g.args.n = 0;
    run_churn();
  } else {
    bench_die("unknown scenario '%s' (pingpong N, churn, idle N)", g.args.scenario);
  }
  if (epoll_close(g.port) != 0) bench_die("epoll_close: errno %d", errno);
  WSACleanup();
  return 0;
}
