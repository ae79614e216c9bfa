/* uvafd's uv_async_t for libuv 1.44.2 and 1.50.0, in place of libuv's src/win/async.c: an
 * embedded wakeup source of the reactor (uvafd_source) inside the handle's own async_req, so an
 * async handle costs nothing beyond the caller's struct, as in libuv. uv_async_send posts at
 * most one NtSetIoCompletion packet per handle until just before its async_cb runs (when libuv
 * clears async_sent: the sends made until then are covered by that callback), from any thread,
 * without a lock; the packet carries the source's identity (its address and generation). The
 * loop's internal wq_async, which the thread pool sends to, is one too.
 *
 * When the reactor delivers the wakeup, the handle's own async_req goes on libuv's pending
 * queue, as libuv's wakeup packet does: the callback runs in the pending-request phase, in
 * dequeue order with libuv's other requests. From there on this is libuv's async.c: async_sent
 * says the request is queued (loop thread only here: the coalescing of senders is the
 * reactor's), and a closing handle waits for it before its endgame.
 *
 * Closing waits for a packet still in the port, as libuv's close does (the packet names the
 * handle's memory, so the memory cannot be the user's before it is dequeued): the reactor
 * delivers UVAFD_RELEASED for it, the request goes on the pending queue as libuv's packet's
 * would, and close_cb follows in that iteration. Nothing else waits:
 * a handle with nothing in flight gets close_cb in the iteration of uv_close. */

#include <assert.h>
#include <stddef.h>

#include "uv.h"
#include "internal.h"
#include "handle-inl.h"
#include "req-inl.h"

#include "uvafd-loop.h"

/* async_sent's two facts, both the loop thread's: the request is on the pending queue (libuv's
 * own meaning), and a closed handle's packet is still in the port. */
#define UVAFD__ASYNC_QUEUED 1
#define UVAFD__ASYNC_IN_PORT 2

/* The source lives in the request's OVERLAPPED, which no libuv code reads for a UV_WAKEUP
 * request queued by hand; its word is pointer-sized (CASed from other threads), so the
 * handle's own alignment is enough. */
typedef char uvafd__async_source_fits[sizeof(((uv_async_t*) 0)->async_req.u.io.overlapped) >=
                                      sizeof(uvafd_source) ? 1 : -1];
typedef char uvafd__async_source_aligned[
    offsetof(uv_async_t, async_req.u.io.overlapped) % sizeof(void*) == 0 ? 1 : -1];

#define uvafd__async_source(handle) \
  ((uvafd_source*) &(handle)->async_req.u.io.overlapped)


static uv_async_t* uvafd__async_of(void* source) {
  return (uv_async_t*) ((char*) source - offsetof(uv_async_t, async_req.u.io.overlapped));
}


int uv_async_init(uv_loop_t* loop, uv_async_t* handle, uv_async_cb async_cb) {
  uv_req_t* req;
  int err;

  req = &handle->async_req;
  /* Before the source: 1.50.0's UV_REQ_INIT clears the OVERLAPPED's first word, which is the
   * source's. */
  UV_REQ_INIT(req, UV_WAKEUP);
  req->data = handle;
  /* Opened before the handle is published to other threads. Fails only on a closed loop. */
  err = uvafd_source_open(uvafd__reactor(loop), uvafd__async_source(handle));
  if (err)
    return uvafd__translate_error(err);

  uv__handle_init(loop, (uv_handle_t*) handle, UV_ASYNC);
  handle->async_sent = 0;
  handle->async_cb = async_cb;

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
  err = uvafd_source_wake(uvafd__reactor(handle->loop), uvafd__async_source(handle));

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


void uvafd__async_event(uv_loop_t* loop, const uvafd_event* event) {
  uv_async_t* handle = uvafd__async_of(event->user_data);

  /* UVAFD_RELEASED: the closed handle's last packet is out of the port; its memory is the
   * user's once the endgame has run. Either way the request goes on the pending queue, as
   * libuv's packet does, and is processed in dequeue order with the batch's other requests:
   * a wakeup's callback (the source stays taken until then, so the wakeups sent meanwhile post
   * nothing and are covered by it), or a closed handle's endgame (close callbacks run
   * last-queued first). */
  if (event->events & UVAFD_RELEASED)
    handle->async_sent &= ~UVAFD__ASYNC_IN_PORT;
  if (!(handle->async_sent & UVAFD__ASYNC_QUEUED)) {
    handle->async_sent |= UVAFD__ASYNC_QUEUED;
    uv__insert_pending_req(loop, &handle->async_req);
  }
}


void uv__async_close(uv_loop_t* loop, uv_async_t* handle) {
  /* Later sends are refused by the source. 1: a packet is in flight, and UVAFD_RELEASED
   * will say when it is out of the port. */
  if (uvafd_source_close(uvafd__reactor(loop), uvafd__async_source(handle)) == 1)
    handle->async_sent |= UVAFD__ASYNC_IN_PORT;

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
  /* Only the loop's wq_async, whose memory is the loop's: a packet still in flight is drained
   * by the reactor's teardown, which the loop's close runs before the loop is the user's. */
  uvafd_source_close(uvafd__reactor(loop), uvafd__async_source(handle));
  handle->async_sent = 0;
  handle->close_cb = NULL;
  uv__handle_closing(handle);
  uv__handle_close(handle);
}


void uv__process_async_wakeup_req(uv_loop_t* loop, uv_async_t* handle,
    uv_req_t* req) {
  assert(handle->type == UV_ASYNC);
  assert(req->type == UV_WAKEUP);

  handle->async_sent &= ~UVAFD__ASYNC_QUEUED;

  if (handle->flags & UV_HANDLE_CLOSING) {
    uv__want_endgame(loop, (uv_handle_t*)handle);
    return;
  }
  /* Where libuv clears async_sent: the sends since the delivery were coalesced into it, and
   * from here on a send posts again, for a callback after this one. */
  uvafd_source_rearm(uvafd__reactor(loop), uvafd__async_source(handle));
  if (handle->async_cb != NULL)
    handle->async_cb(handle);
}
