// uv_timer_t: deadlines in loop time (ms), ordered by (deadline, start order).
#include "internal.h"

namespace uvafd_compat {

void run_timers(uv_loop_t* loop) {
  LoopState* state = loop_state(loop);
  while (!state->timers.empty()) {
    uv_timer_t* t = *state->timers.begin();
    if (t->timeout > loop->time) break;
    uv_timer_stop(t);
    uv_timer_again(t);  // re-queues a repeating timer before its callback, as libuv does
    t->timer_cb(t);
  }
}

int64_t next_timer_due(const uv_loop_t* loop) {
  const LoopState* state = loop_state(loop);
  if (state->timers.empty()) return -1;
  const uv_timer_t* t = *state->timers.begin();
  return t->timeout <= loop->time ? 0 : int64_t(t->timeout - loop->time);
}

void timer_close(uv_timer_t* handle) { uv_timer_stop(handle); }

}  // namespace uvafd_compat

using namespace uvafd_compat;

extern "C" {

int uv_timer_init(uv_loop_t* loop, uv_timer_t* handle) {
  if (!loop || !handle || !loop_state(loop)) return UV_EINVAL;
  handle_init(loop, reinterpret_cast<uv_handle_t*>(handle), UV_TIMER);
  handle->timer_cb = nullptr;
  handle->timeout = 0;
  handle->repeat = 0;
  handle->start_id = 0;
  return 0;
}

int uv_timer_start(uv_timer_t* handle, uv_timer_cb cb, uint64_t timeout, uint64_t repeat) {
  if (!cb || handle_is_closing(reinterpret_cast<uv_handle_t*>(handle))) return UV_EINVAL;
  uv_timer_stop(handle);
  uv_loop_t* loop = handle->loop;
  uint64_t due = loop->time + timeout;
  if (due < timeout) due = UINT64_MAX;  // overflow: "never", as libuv clamps it
  handle->timer_cb = cb;
  handle->timeout = due;
  handle->repeat = repeat;
  handle->start_id = loop->timer_counter++;
  loop_state(loop)->timers.insert(handle);
  handle_start(reinterpret_cast<uv_handle_t*>(handle));
  return 0;
}

int uv_timer_stop(uv_timer_t* handle) {
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(handle))) return 0;
  loop_state(handle->loop)->timers.erase(handle);
  handle_stop(reinterpret_cast<uv_handle_t*>(handle));
  return 0;
}

int uv_timer_again(uv_timer_t* handle) {
  if (!handle->timer_cb) return UV_EINVAL;
  if (handle->repeat) {
    uv_timer_stop(handle);
    uv_timer_start(handle, handle->timer_cb, handle->repeat, handle->repeat);
  }
  return 0;
}

void uv_timer_set_repeat(uv_timer_t* handle, uint64_t repeat) { handle->repeat = repeat; }
uint64_t uv_timer_get_repeat(const uv_timer_t* handle) { return handle->repeat; }

uint64_t uv_timer_get_due_in(const uv_timer_t* handle) {
  if (!uv_is_active(reinterpret_cast<const uv_handle_t*>(handle))) return 0;
  return handle->timeout > handle->loop->time ? handle->timeout - handle->loop->time : 0;
}

}  // extern "C"
