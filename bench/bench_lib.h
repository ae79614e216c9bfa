/* What bench_uv.c asks of the library it is linked with, beyond libuv's API: its name and, for
 * uvafd only, the reactor's own NT call counters. bench_lib_libuv.c and bench_lib_uvafd.c each
 * define these; bench_uv.c itself is compiled once and linked with one or the other. */
#ifndef UVAFD_BENCH_LIB_H_
#define UVAFD_BENCH_LIB_H_

#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_nt_counters {
  unsigned long long submit, cancel, post, dequeue, other;
} bench_nt_counters;

const char* bench_lib_name(void);

/* 1 and *out filled when the library counts its NT calls (uvafd), 0 otherwise (libuv). */
int bench_lib_nt_counters(uv_loop_t* loop, bench_nt_counters* out);

#ifdef __cplusplus
}
#endif
#endif /* UVAFD_BENCH_LIB_H_ */
