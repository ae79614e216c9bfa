// What the compat files share: the loop's private state, handle bookkeeping and the mapping of
// uvafd errors to libuv's. libuv's own private fields (include/uv/win.h) are reused as storage
// where they fit; everything else lives in LoopState, pointed to by uv_loop_t::internal_fields.
#pragma once

#include <cstdint>
#include <set>

#include "uv.h"
#include "uvafd/reactor.h"

namespace uvafd_compat {

// uv_handle_t::flags (private in libuv's ABI, so the bits are ours).
enum : unsigned {
  kHandleActive = 0x01,
  kHandleRef = 0x02,
  kHandleClosing = 0x04,  // uv_close called; close_cb not yet run
  kHandleClosed = 0x08,   // close_cb ran; the user may free the memory
  kHandleEndgameQueued = 0x10,
};

struct TimerOrder {
  // Equal deadlines run in start order (libuv's start_id).
  bool operator()(const uv_timer_t* a, const uv_timer_t* b) const {
    if (a->timeout != b->timeout) return a->timeout < b->timeout;
    return a->start_id < b->start_id;
  }
};

struct LoopState {
  uvafd_reactor* reactor = nullptr;
  std::set<uv_timer_t*, TimerOrder> timers;
  bool running = false;
};

inline LoopState* loop_state(const uv_loop_t* loop) {
  return static_cast<LoopState*>(loop->internal_fields);
}

// Handle bookkeeping, as libuv does it: a handle keeps the loop alive while it is active and
// referenced, and while it is closing.
void handle_init(uv_loop_t* loop, uv_handle_t* handle, uv_handle_type type);
void handle_start(uv_handle_t* handle);
void handle_stop(uv_handle_t* handle);
bool handle_is_closing(const uv_handle_t* handle);

// Timers.
void run_timers(uv_loop_t* loop);
int64_t next_timer_due(const uv_loop_t* loop);  // ms from loop->time, -1 if none
void timer_close(uv_timer_t* handle);

// Loop watchers.
void idle_invoke(uv_loop_t* loop);
void prepare_invoke(uv_loop_t* loop);
void check_invoke(uv_loop_t* loop);
void loop_watcher_close(uv_handle_t* handle);
void process_endgames(uv_loop_t* loop);

// Poll and async: closing, and delivering the reactor's events.
void poll_close(uv_poll_t* handle);
void async_close(uv_async_t* handle);
void dispatch_event(void* loop, const uvafd_event* event);

int error_from_uvafd(int uvafd_error);
uint64_t now_ms();

// A registration's identity kept in libuv's private fields of the handle.
template <typename Storage>
inline uvafd_handle* token_in(Storage* storage) {
  static_assert(sizeof(Storage) >= sizeof(uvafd_handle), "no room for the uvafd handle");
  return reinterpret_cast<uvafd_handle*>(storage);
}

}  // namespace uvafd_compat
