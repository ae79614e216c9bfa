/* uvafd's uv_async_t for libuv 1.44.2, in place of libuv's src/win/async.c: a reactor wakeup
 * source per handle. uv_async_send posts at most one NtSetIoCompletion packet per handle until
 * the loop has taken it, from any thread, without a lock; the packet carries the source's
 * identity (state and 64-bit generation), so a send racing a close can never wake another
 * handle. The loop's internal wq_async, which the thread pool sends to, is one of these too.
 *
 * When the reactor delivers the wakeup, the handle's own async_req goes on libuv's pending
 * queue, as libuv's wakeup packet does: the callback runs in the pending-request phase, in
 * dequeue order with libuv's other requests. From there on this is libuv's async.c: async_sent
 * says the request is queued (loop thread only here: the coalescing of senders is the
 * reactor's), and a closing handle waits for it before its endgame.
 *
 * Closing never waits for the kernel: a packet still queued in the port keeps the reactor's
 * state as a zombie, and the uv_async_t is the user's again at close_cb. */

#include <assert.h>

#include "uv.h"
#include "internal.h"
#include "handle-inl.h"
#include "req-inl.h"

#include "uvafd-loop.h"

/* The source's identity lives in the request's OVERLAPPED, which no libuv code reads for a
 * UV_WAKEUP request queued by hand. */
typedef char uvafd__async_token_fits[sizeof(((uv_async_t*) 0)->async_req.u.io.overlapped) >=
                                     sizeof(uvafd_handle) ? 1 : -1];

#define uvafd__async_token(handle) uvafd__token_load(&(handle)->async_req.u.io.overlapped)


int uv_async_init(uv_loop_t* loop, uv_async_t* handle, uv_async_cb async_cb) {
  uvafd_handle token;
  uv_req_t* req;
  int err;

  err = uvafd_wakeup_open(uvafd__reactor(loop), handle, &token);
  if (err)
    return uvafd__translate_error(err);

  uv__handle_init(loop, (uv_handle_t*) handle, UV_ASYNC);
  handle->async_sent = 0;
  handle->async_cb = async_cb;

  req = &handle->async_req;
  UV_REQ_INIT(req, UV_WAKEUP);
  req->data = handle;
  /* Written before the handle is published to other threads; only read by them. */
  uvafd__token_store(&req->u.io.overlapped, token);

  uv__handle_start(handle);

  return 0;
}


int uv_async_send(uv_async_t* handle) {
  int err;

  if (handle->type != UV_ASYNC) {
    /* Can't set errno because that's not thread-safe. */
    return -1;
  }

  /* Coalesced in the reactor: one packet in flight per handle. */
  err = uvafd_wake(uvafd__reactor(handle->loop), uvafd__async_token(handle));

  /* A send to a closing handle is undefined in libuv (an assert); here the closed source
   * refuses it and nothing is posted. */
  if (err == UVAFD_EBADF)
    return 0;
  /* The thread pool ignores what uv_async_send returns: a lost wakeup of the loop's own
   * wq_async would strand every pending work callback. libuv treats a failed post as fatal
   * for every handle; uvafd tells the caller, except where nobody would listen. */
  if (err != 0 && handle == &handle->loop->wq_async)
    uv_fatal_error(ERROR_NOT_ENOUGH_QUOTA, "NtSetIoCompletion (the loop's wq_async)");
  return uvafd__translate_error(err);
}


void uvafd__async_deliver(uv_loop_t* loop, uv_async_t* handle) {
  /* Queued once: wakeups that arrive before the callback runs are covered by it. */
  if (!handle->async_sent) {
    handle->async_sent = 1;
    uv__insert_pending_req(loop, &handle->async_req);
  }
}


void uv__async_close(uv_loop_t* loop, uv_async_t* handle) {
  /* Later sends fail in the reactor; a packet in the port makes a zombie there, not here. */
  uvafd_handle_close(uvafd__reactor(loop), uvafd__async_token(handle));

  if (!handle->async_sent) {
    uv__want_endgame(loop, (uv_handle_t*) handle);
  }

  uv__handle_closing(handle);
}


void uv__async_endgame(uv_loop_t* loop, uv_async_t* handle) {
  if (handle->flags & UV_HANDLE_CLOSING &&
      !handle->async_sent) {
    assert(!(handle->flags & UV_HANDLE_CLOSED));
    uv__handle_close(handle);
  }
}


void uvafd__async_release(uv_loop_t* loop, uv_async_t* handle) {
  uvafd_handle_close(uvafd__reactor(loop), uvafd__async_token(handle));
  handle->async_sent = 0;
  handle->close_cb = NULL;
  uv__handle_closing(handle);
  uv__handle_close(handle);
}


void uv__process_async_wakeup_req(uv_loop_t* loop, uv_async_t* handle,
    uv_req_t* req) {
  assert(handle->type == UV_ASYNC);
  assert(req->type == UV_WAKEUP);

  handle->async_sent = 0;

  if (handle->flags & UV_HANDLE_CLOSING) {
    uv__want_endgame(loop, (uv_handle_t*)handle);
  } else if (handle->async_cb != NULL) {
    handle->async_cb(handle);
  }
}
