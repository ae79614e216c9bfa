/* The measured window of the libuv programs (bench_uv.c, bench_http_curl.c): wall and CPU time at
 * its two ends and, linked with uvafd, the reactor's NT call counters, printed as the "nt" line.
 * Header-only (static functions), as bench_common.h. */
#ifndef UVAFD_BENCH_WINDOW_H_
#define UVAFD_BENCH_WINDOW_H_

#include "bench_common.h"
#include "bench_lib.h"

typedef struct bench_window {
  double t0, t1, cpu0, cpu1;
  int have_nt;
  bench_nt_counters nt0, nt1;
} bench_window;

static void bench_window_open(bench_window* w, uv_loop_t* loop) {
  bench_lib_nt_counters(loop, &w->nt0);
  w->cpu0 = bench_cpu_s();
  w->t0 = bench_now_s();
}

static void bench_window_close(bench_window* w, uv_loop_t* loop) {
  w->t1 = bench_now_s();
  w->cpu1 = bench_cpu_s();
  w->have_nt = bench_lib_nt_counters(loop, &w->nt1);
}

/* "nt lib=... scenario=... n=... submit=... ... per_event=..." over EVENTS events; nothing where
 * the library has no counters (libuv). */
static void bench_window_print_nt(const bench_window* w, const char* scenario, long n,
                                  double events) {
  unsigned long long s, c, p, d, o, total;
  if (!w->have_nt) return;
  s = w->nt1.submit - w->nt0.submit;
  c = w->nt1.cancel - w->nt0.cancel;
  p = w->nt1.post - w->nt0.post;
  d = w->nt1.dequeue - w->nt0.dequeue;
  o = w->nt1.other - w->nt0.other;
  total = s + c + p + d + o;
  printf("nt lib=%s scenario=%s n=%ld submit=%llu cancel=%llu post=%llu dequeue=%llu "
         "other=%llu total=%llu events=%.1f per_event=%.3f\n",
         bench_lib_name(), scenario, n, s, c, p, d, o, total, events,
         events > 0 ? (double)total / events : 0.0);
  fflush(stdout);
}

#endif /* UVAFD_BENCH_WINDOW_H_ */
