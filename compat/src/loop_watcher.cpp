// uv_idle_t, uv_prepare_t, uv_check_t: intrusive lists in libuv's own private fields. Started
// watchers go to the head of their list; invocation walks from the head with a "next" pointer
// kept in the loop, so a callback may stop any watcher, itself included.
#include "internal.h"

#define UVAFD_LOOP_WATCHER(name, NAME)                                                     \
  namespace uvafd_compat {                                                                 \
  void name##_invoke(uv_loop_t* loop) {                                                    \
    loop->next_##name##_handle = loop->name##_handles;                                     \
    while (loop->next_##name##_handle) {                                                   \
      uv_##name##_t* h = loop->next_##name##_handle;                                       \
      loop->next_##name##_handle = h->name##_next;                                         \
      h->name##_cb(h);                                                                     \
    }                                                                                      \
  }                                                                                        \
  }                                                                                        \
  extern "C" int uv_##name##_init(uv_loop_t* loop, uv_##name##_t* handle) {                \
    if (!loop || !handle || !uvafd_compat::loop_state(loop)) return UV_EINVAL;             \
    uvafd_compat::handle_init(loop, reinterpret_cast<uv_handle_t*>(handle), UV_##NAME);    \
    handle->name##_prev = handle->name##_next = nullptr;                                   \
    handle->name##_cb = nullptr;                                                           \
    return 0;                                                                              \
  }                                                                                        \
  extern "C" int uv_##name##_start(uv_##name##_t* handle, uv_##name##_cb cb) {             \
    auto* h = reinterpret_cast<uv_handle_t*>(handle);                                      \
    if (!cb || uvafd_compat::handle_is_closing(h)) return UV_EINVAL;                       \
    if (h->flags & uvafd_compat::kHandleActive) return 0;                                  \
    uv_loop_t* loop = handle->loop;                                                        \
    handle->name##_prev = nullptr;                                                         \
    handle->name##_next = loop->name##_handles;                                            \
    if (loop->name##_handles) loop->name##_handles->name##_prev = handle;                  \
    loop->name##_handles = handle;                                                         \
    handle->name##_cb = cb;                                                                \
    uvafd_compat::handle_start(h);                                                         \
    return 0;                                                                              \
  }                                                                                        \
  extern "C" int uv_##name##_stop(uv_##name##_t* handle) {                                 \
    auto* h = reinterpret_cast<uv_handle_t*>(handle);                                      \
    if (!(h->flags & uvafd_compat::kHandleActive)) return 0;                               \
    uv_loop_t* loop = handle->loop;                                                        \
    if (loop->next_##name##_handle == handle)                                              \
      loop->next_##name##_handle = handle->name##_next;                                    \
    if (handle->name##_prev)                                                               \
      handle->name##_prev->name##_next = handle->name##_next;                              \
    else                                                                                   \
      loop->name##_handles = handle->name##_next;                                          \
    if (handle->name##_next) handle->name##_next->name##_prev = handle->name##_prev;       \
    handle->name##_prev = handle->name##_next = nullptr;                                   \
    uvafd_compat::handle_stop(h);                                                          \
    return 0;                                                                              \
  }

UVAFD_LOOP_WATCHER(idle, IDLE)
UVAFD_LOOP_WATCHER(prepare, PREPARE)
UVAFD_LOOP_WATCHER(check, CHECK)

namespace uvafd_compat {

void loop_watcher_close(uv_handle_t* handle) {
  switch (handle->type) {
    case UV_IDLE: uv_idle_stop(reinterpret_cast<uv_idle_t*>(handle)); break;
    case UV_PREPARE: uv_prepare_stop(reinterpret_cast<uv_prepare_t*>(handle)); break;
    case UV_CHECK: uv_check_stop(reinterpret_cast<uv_check_t*>(handle)); break;
    default: break;
  }
}

}  // namespace uvafd_compat
