// uv_loop_t on the uvafd reactor: init and close, the run phases in libuv's order, time.
#include "internal.h"  // uv.h: winsock2.h before windows.h
#include "allocator.h"

#include <windows.h>

#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <new>

namespace uvafd_compat {

uint64_t now_ms() {
  static LARGE_INTEGER frequency = [] {
    LARGE_INTEGER f;
    QueryPerformanceFrequency(&f);
    return f;
  }();
  LARGE_INTEGER counter;
  QueryPerformanceCounter(&counter);
  // Split to avoid overflowing counter * 1000.
  const uint64_t whole = uint64_t(counter.QuadPart) / uint64_t(frequency.QuadPart);
  const uint64_t rest = uint64_t(counter.QuadPart) % uint64_t(frequency.QuadPart);
  return whole * 1000 + rest * 1000 / uint64_t(frequency.QuadPart);
}

int error_from_uvafd(int e) {
  switch (e) {
    case 0: return 0;
    case UVAFD_EIO: return UV_EIO;
    case UVAFD_EBADF: return UV_EBADF;
    case UVAFD_ENOMEM: return UV_ENOMEM;
    case UVAFD_EBUSY: return UV_EBUSY;
    case UVAFD_EEXIST: return UV_EEXIST;
    case UVAFD_EINVAL: return UV_EINVAL;
    case UVAFD_ENOTSOCK: return UV_ENOTSOCK;
    case UVAFD_ECONNABORTED: return UV_ECONNABORTED;
    case UVAFD_ECONNRESET: return UV_ECONNRESET;
    case UVAFD_ETIMEDOUT: return UV_ETIMEDOUT;
    case UVAFD_ECANCELED: return UV_ECANCELED;
    default: return UV_EIO;
  }
}

namespace {

uv_loop_t default_loop_storage;
uv_loop_t* default_loop = nullptr;

bool loop_alive(const uv_loop_t* loop) {
  return loop->active_handles > 0 || loop->active_reqs.count > 0 ||
         loop->endgame_handles != nullptr;
}

}  // namespace

}  // namespace uvafd_compat

using namespace uvafd_compat;

extern "C" {

int uv_loop_init(uv_loop_t* loop) {
  if (!loop) return UV_EINVAL;
  void* data = loop->data;  // libuv keeps the user's data across init
  std::memset(loop, 0, sizeof(*loop));
  loop->data = data;
  auto* state = new (std::nothrow) LoopState;
  if (!state) return UV_ENOMEM;
  const int err = uvafd_reactor_create(nullptr, &state->reactor);
  if (err) {
    delete state;
    return error_from_uvafd(err);
  }
  loop->handle_queue[0] = loop->handle_queue;
  loop->handle_queue[1] = loop->handle_queue;
  loop->internal_fields = state;
  loop->time = now_ms();
  return 0;
}

int uv_loop_close(uv_loop_t* loop) {
  LoopState* state = loop ? loop_state(loop) : nullptr;
  if (!state) return UV_EINVAL;
  if (state->running || loop->active_reqs.count) return UV_EBUSY;
  // Any handle not yet through its close callback keeps the loop from closing.
  if (loop->handle_queue[0] != loop->handle_queue) return UV_EBUSY;
  // Deterministic teardown: the reactor cancels and drains whatever the kernel still holds
  // (zombies of closed poll handles, queued wakeups) before its memory goes.
  uvafd_reactor_destroy(state->reactor);
  delete state;
  void* data = loop->data;
  std::memset(loop, 0, sizeof(*loop));
  loop->data = data;
  if (loop == default_loop) default_loop = nullptr;
  return 0;
}

uv_loop_t* uv_default_loop(void) {
  if (default_loop) return default_loop;
  if (uv_loop_init(&default_loop_storage) != 0) return nullptr;
  default_loop = &default_loop_storage;
  return default_loop;
}

uv_loop_t* uv_loop_new(void) {
  auto* loop = static_cast<uv_loop_t*>(uv_malloc_(sizeof(uv_loop_t)));
  if (!loop) return nullptr;
  loop->data = nullptr;
  if (uv_loop_init(loop) != 0) {
    uv_free_(loop);
    return nullptr;
  }
  return loop;
}

void uv_loop_delete(uv_loop_t* loop) {
  if (uv_loop_close(loop) == 0 && loop != &default_loop_storage) uv_free_(loop);
}

size_t uv_loop_size(void) { return sizeof(uv_loop_t); }

int uv_loop_configure(uv_loop_t* loop, uv_loop_option option, ...) {
  if (!loop || !loop_state(loop)) return UV_EINVAL;
  switch (option) {
    case UV_LOOP_BLOCK_SIGNAL:  // no signals on Windows: libuv says the same
    case UV_METRICS_IDLE_TIME:  // uv_metrics_idle_time is not provided by uvafd
      return UV_ENOSYS;
    default:
      return UV_EINVAL;
  }
}

void* uv_loop_get_data(const uv_loop_t* loop) { return loop->data; }
void uv_loop_set_data(uv_loop_t* loop, void* data) { loop->data = data; }

int uv_loop_alive(const uv_loop_t* loop) { return loop_alive(loop); }

void uv_stop(uv_loop_t* loop) { loop->stop_flag = 1; }

uint64_t uv_now(const uv_loop_t* loop) { return loop->time; }

void uv_update_time(uv_loop_t* loop) {
  const uint64_t t = now_ms();
  if (t > loop->time) loop->time = t;  // never backwards
}

int uv_backend_fd(const uv_loop_t*) { return -1; }  // as libuv on Windows

int uv_backend_timeout(const uv_loop_t* loop) {
  if (loop->stop_flag == 0 && (loop->active_handles > 0 || loop->active_reqs.count > 0) &&
      loop->idle_handles == nullptr && loop->endgame_handles == nullptr) {
    const int64_t due = next_timer_due(loop);
    return due > INT32_MAX ? INT32_MAX : int(due);
  }
  return 0;
}

int uv_run(uv_loop_t* loop, uv_run_mode mode) {
  LoopState* state = loop_state(loop);
  if (!state) return UV_EINVAL;
  // uv_run is not reentrant (undefined in libuv); refuse instead of corrupting the phases.
  if (state->running) return UV_EBUSY;
  state->running = true;
  bool alive = loop_alive(loop);
  if (!alive) uv_update_time(loop);
  while (alive && loop->stop_flag == 0) {
    uv_update_time(loop);
    run_timers(loop);
    const bool can_sleep = loop->idle_handles == nullptr;
    idle_invoke(loop);
    prepare_invoke(loop);
    int64_t timeout = 0;
    if ((mode == UV_RUN_ONCE && can_sleep) || mode == UV_RUN_DEFAULT)
      timeout = uv_backend_timeout(loop);
    // The poll phase: the reactor re-arms what changed, waits, and calls back poll and async
    // handles through dispatch_event.
    uvafd_reactor_wait(state->reactor, timeout, &dispatch_event, loop);
    // As libuv does when its poll returns: callbacks from here on (check, close) see the time
    // after the wait, so a timer they start counts from now, not from the iteration's start.
    uv_update_time(loop);
    check_invoke(loop);
    process_endgames(loop);
    if (mode == UV_RUN_ONCE) {
      // Forward progress: a poll that timed out leaves due timers to run.
      uv_update_time(loop);
      run_timers(loop);
    }
    alive = loop_alive(loop);
    if (mode == UV_RUN_ONCE || mode == UV_RUN_NOWAIT) break;
  }
  loop->stop_flag = 0;
  state->running = false;
  return alive;
}

}  // extern "C"
