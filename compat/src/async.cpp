// uv_async_t on a uvafd wakeup source: uv_async_send posts at most one NtSetIoCompletion packet
// per handle until the loop has called back, from any thread, without a lock.
#include "internal.h"

namespace uvafd_compat {

namespace {
uvafd_handle* token(uv_async_t* h) { return token_in(&h->async_req); }
}  // namespace

void async_close(uv_async_t* handle) {
  handle_stop(reinterpret_cast<uv_handle_t*>(handle));
  // A packet still queued keeps the reactor's state as a zombie until it is dequeued; the
  // user's uv_async_t is free to go at close_cb.
  uvafd_handle_close(loop_state(handle->loop)->reactor, *token(handle));
}

}  // namespace uvafd_compat

using namespace uvafd_compat;

extern "C" {

int uv_async_init(uv_loop_t* loop, uv_async_t* handle, uv_async_cb async_cb) {
  if (!loop || !handle || !loop_state(loop)) return UV_EINVAL;
  uvafd_handle h{};
  const int err = uvafd_wakeup_open(loop_state(loop)->reactor, handle, &h);
  if (err) return error_from_uvafd(err);
  handle_init(loop, reinterpret_cast<uv_handle_t*>(handle), UV_ASYNC);
  handle->async_cb = async_cb;
  handle->async_sent = 0;
  *token(handle) = h;
  handle_start(reinterpret_cast<uv_handle_t*>(handle));  // active from init, as in libuv
  return 0;
}

int uv_async_send(uv_async_t* handle) {
  const int err = uvafd_wake(loop_state(handle->loop)->reactor, *token(handle));
  // A send racing the handle's close is undefined in libuv; here it is dropped quietly.
  if (err == UVAFD_EBADF) return 0;
  return error_from_uvafd(err);
}

}  // extern "C"
