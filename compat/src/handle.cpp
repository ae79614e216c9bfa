// Handle bookkeeping shared by every handle type, and the handle API (uv_close, ref counting,
// introspection).
#include <cstring>

#include "internal.h"

namespace uvafd_compat {

namespace {

// libuv's QUEUE layout: handle_queue[0] is next, [1] is prev; the loop's is the sentinel.
void*& q_next(void* q) { return static_cast<void**>(q)[0]; }
void*& q_prev(void* q) { return static_cast<void**>(q)[1]; }

void queue_insert_tail(void* head, void* q) {
  q_next(q) = head;
  q_prev(q) = q_prev(head);
  q_next(q_prev(head)) = q;
  q_prev(head) = q;
}

void queue_remove(void* q) {
  q_next(q_prev(q)) = q_next(q);
  q_prev(q_next(q)) = q_prev(q);
}

}  // namespace

void handle_init(uv_loop_t* loop, uv_handle_t* h, uv_handle_type type) {
  h->loop = loop;
  h->type = type;
  h->flags = kHandleRef;
  h->close_cb = nullptr;
  h->endgame_next = nullptr;
  queue_insert_tail(loop->handle_queue, h->handle_queue);
}

void handle_start(uv_handle_t* h) {
  if (h->flags & kHandleActive) return;
  h->flags |= kHandleActive;
  if (h->flags & kHandleRef) ++h->loop->active_handles;
}

void handle_stop(uv_handle_t* h) {
  if (!(h->flags & kHandleActive)) return;
  h->flags &= ~kHandleActive;
  if (h->flags & kHandleRef) --h->loop->active_handles;
}

bool handle_is_closing(const uv_handle_t* h) {
  return (h->flags & (kHandleClosing | kHandleClosed)) != 0;
}

// Runs close callbacks: libuv's endgame phase, last closed first.
void process_endgames(uv_loop_t* loop) {
  while (loop->endgame_handles) {
    uv_handle_t* h = loop->endgame_handles;
    loop->endgame_handles = h->endgame_next;
    h->endgame_next = nullptr;
    h->flags &= ~kHandleEndgameQueued;
    queue_remove(h->handle_queue);
    --loop->active_handles;  // counted since uv_close
    h->flags = (h->flags & ~kHandleClosing) | kHandleClosed;
    if (h->close_cb) h->close_cb(h);
  }
}

}  // namespace uvafd_compat

using namespace uvafd_compat;

extern "C" {

void uv_close(uv_handle_t* handle, uv_close_cb close_cb) {
  // Closing twice is undefined in libuv (an assertion); here the second call does nothing.
  if (!handle || handle_is_closing(handle)) return;
  switch (handle->type) {
    case UV_TIMER: timer_close(reinterpret_cast<uv_timer_t*>(handle)); break;
    case UV_IDLE:
    case UV_PREPARE:
    case UV_CHECK: loop_watcher_close(handle); break;
    case UV_POLL: poll_close(reinterpret_cast<uv_poll_t*>(handle)); break;
    case UV_ASYNC: async_close(reinterpret_cast<uv_async_t*>(handle)); break;
    default: return;  // not a handle type uvafd provides: nothing was initialised
  }
  handle->close_cb = close_cb;
  handle->flags |= kHandleClosing;
  // Until its close_cb runs, a closing handle keeps the loop alive (as in libuv, whether or
  // not it was referenced): it counts once in active_handles.
  handle_stop(handle);
  ++handle->loop->active_handles;
  // Never waits for the kernel: the reactor keeps a zombie for any request in flight, so
  // close_cb runs in this (or the next) iteration's closing phase.
  if (!(handle->flags & kHandleEndgameQueued)) {
    handle->flags |= kHandleEndgameQueued;
    handle->endgame_next = handle->loop->endgame_handles;
    handle->loop->endgame_handles = handle;
  }
}

int uv_is_active(const uv_handle_t* handle) {
  return (handle->flags & kHandleActive) && !handle_is_closing(handle);
}

int uv_is_closing(const uv_handle_t* handle) { return handle_is_closing(handle); }

void uv_ref(uv_handle_t* handle) {
  if (handle->flags & kHandleRef) return;
  handle->flags |= kHandleRef;
  if (handle->flags & kHandleActive) ++handle->loop->active_handles;
}

void uv_unref(uv_handle_t* handle) {
  if (!(handle->flags & kHandleRef)) return;
  handle->flags &= ~kHandleRef;
  if (handle->flags & kHandleActive) --handle->loop->active_handles;
}

int uv_has_ref(const uv_handle_t* handle) { return (handle->flags & kHandleRef) != 0; }

size_t uv_handle_size(uv_handle_type type) {
  switch (type) {
#define UVAFD_XX(uc, lc) \
  case UV_##uc:          \
    return sizeof(uv_##lc##_t);
    UV_HANDLE_TYPE_MAP(UVAFD_XX)
#undef UVAFD_XX
    default: return static_cast<size_t>(-1);
  }
}

uv_handle_type uv_handle_get_type(const uv_handle_t* handle) { return handle->type; }

const char* uv_handle_type_name(uv_handle_type type) {
  switch (type) {
#define UVAFD_XX(uc, lc) \
  case UV_##uc:          \
    return #lc;
    UV_HANDLE_TYPE_MAP(UVAFD_XX)
#undef UVAFD_XX
    case UV_FILE: return "file";
    default: return nullptr;
  }
}

void* uv_handle_get_data(const uv_handle_t* handle) { return handle->data; }
void uv_handle_set_data(uv_handle_t* handle, void* data) { handle->data = data; }
uv_loop_t* uv_handle_get_loop(const uv_handle_t* handle) { return handle->loop; }

void uv_walk(uv_loop_t* loop, uv_walk_cb walk_cb, void* arg) {
  // A snapshot: the callback may close handles (they stay queued until their close_cb runs).
  size_t n = 0;
  for (void* q = q_next(loop->handle_queue); q != loop->handle_queue; q = q_next(q)) ++n;
  uv_handle_t** all = new uv_handle_t*[n ? n : 1];
  size_t i = 0;
  for (void* q = q_next(loop->handle_queue); q != loop->handle_queue; q = q_next(q))
    all[i++] = reinterpret_cast<uv_handle_t*>(reinterpret_cast<char*>(q) -
                                              offsetof(uv_handle_t, handle_queue));
  for (i = 0; i < n; ++i) walk_cb(all[i], arg);
  delete[] all;
}

}  // extern "C"
