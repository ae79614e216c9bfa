// Linked into bench_uv_uvafd.exe only: reads the reactor's NT call counters behind a uv_loop_t.
// compat's private header gives the loop's LoopState (which holds the uvafd_reactor*); nothing
// in compat/ is changed.
#include "bench_lib.h"
#include "internal.h"

extern "C" const char* bench_lib_name(void) { return "uvafd"; }

extern "C" int bench_lib_nt_counters(uv_loop_t* loop, bench_nt_counters* out) {
  const uvafd_compat::LoopState* state = uvafd_compat::loop_state(loop);
  if (!state || !state->reactor) return 0;
  uvafd_stats s{};
  if (uvafd_reactor_stats(state->reactor, &s) != 0) return 0;
  out->submit = s.nt_submit;
  out->cancel = s.nt_cancel;
  out->post = s.nt_post;
  out->dequeue = s.nt_dequeue;
  out->other = s.nt_other;
  return 1;
}
