/* Linked into bench_uv_libuv.exe only: real libuv has no NT call counters. */
#include "bench_lib.h"

const char* bench_lib_name(void) { return "libuv"; }

int bench_lib_nt_counters(uv_loop_t* loop, bench_nt_counters* out) {
  (void)loop;
  (void)out;
  return 0;
}
