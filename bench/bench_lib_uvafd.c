/* Linked into bench_uv_uvafd.exe only: reads the reactor's NT call counters behind a uv_loop_t,
 * through the private loop fields of uvafd's libuv (compat/src/uvafd-loop.h). */
#include "bench_lib.h"
#include "uvafd-loop.h"

const char* bench_lib_name(void) { return "uvafd"; }

int bench_lib_nt_counters(uv_loop_t* loop, bench_nt_counters* out) {
  uvafd_stats s;
  if (loop->internal_fields == NULL || uvafd_reactor_stats(uvafd__reactor(loop), &s) != 0)
    return 0;
  out->submit = s.nt_submit;
  out->cancel = s.nt_cancel;
  out->post = s.nt_post;
  out->dequeue = s.nt_dequeue;
  out->other = s.nt_other;
  return 1;
}
