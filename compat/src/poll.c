/* uvafd's uv_poll_t for libuv 1.44.2 and 1.50.0: one reactor registration per handle, in place
 * of libuv's src/win/poll.c (two exclusive AFD polls through peer sockets, or a slow-poll
 * thread, and a close that waits for the kernel).
 *
 * The registration is opened at init and named by (slot, generation), kept in the handle's
 * private afd_poll_info_1, never by the SOCKET value: a socket closed and its value reused
 * can never reach this handle. The reactor keeps at most one AFD poll in flight per base
 * socket and re-arms it every iteration (level-triggered); the handle's poll is also submitted
 * after each poll_cb and in a uv_poll_start made outside uv_run, where libuv submits its own
 * (uvafd__poll_arm says why not in every uv_poll_start).
 *
 * When the reactor reports the socket, the handle's poll_req_1 goes on libuv's pending queue,
 * as libuv's completed poll request does, so poll_cb runs in the pending-request phase in
 * dequeue order with libuv's other requests. What was reported waits in the handle until then
 * (mask_events_1: the reactor's event bits; poll_req_1's overlapped.Internal: an error), and
 * submitted_events_1 says the request is queued: a closing handle waits for it before its
 * endgame, as libuv's waits for its requests in flight.
 *
 * Closing never waits for the kernel: a poll still in flight stays with the reactor as a
 * zombie, so close_cb runs in the closing phase of the same iteration and the caller may free
 * the uv_poll_t there. */

#include <assert.h>

#include "uv.h"
#include "internal.h"
#include "handle-inl.h"
#include "req-inl.h"

#include "uvafd-loop.h"

#define UVAFD_POLL_EVENTS (UV_READABLE | UV_WRITABLE | UV_DISCONNECT | UV_PRIORITIZED)

/* The uvafd_* bits with libuv's uv_poll_event values (reactor.h says so; checked here). */
typedef char uvafd__poll_bits_match[((int) UVAFD_READABLE == (int) UV_READABLE &&
                                     (int) UVAFD_WRITABLE == (int) UV_WRITABLE &&
                                     (int) UVAFD_DISCONNECT == (int) UV_DISCONNECT &&
                                     (int) UVAFD_PRIORITIZED == (int) UV_PRIORITIZED) ? 1 : -1];
typedef char uvafd__poll_token_fits[sizeof(((uv_poll_t*) 0)->afd_poll_info_1) >=
                                    sizeof(uvafd_handle) ? 1 : -1];

#define uvafd__poll_token(handle) uvafd__token_load(&(handle)->afd_poll_info_1)


/* Submits the handle's poll now instead of at the next wait, where libuv submits its own: right
 * after poll_cb, and in a uv_poll_start made outside uv_run (inside it, the iteration's wait
 * comes first and submits everything queued; uv_run arms what is left before it returns,
 * core.c). From then on a socket closed under the handle completes the poll with LOCAL_CLOSE,
 * so the handle stops (as libuv's) and its value, which a new socket may take meanwhile, is
 * never polled for it. A poll that cannot be submitted is reported on the next wait, as one
 * the wait itself submitted. Why not in every uv_poll_start: under Wine a poll submitted in a
 * callback, away from the dequeue, costs two more wineserver requests (a select and a
 * get_async_result, measured with curl's client: 19.0 per HTTP request against 17.0). */
static void uvafd__poll_arm(uv_poll_t* handle) {
  uvafd_poll_arm(uvafd__reactor(handle->loop), uvafd__poll_token(handle));
}


/* As libuv: a poll whose socket handle is invalid (STATUS_INVALID_HANDLE, libuv's
 * uv__ntstatus_to_winsock_error: WSAENOTSOCK) reports UV_ENOTSOCK. */
static int uvafd__poll_status(int uvafd_status) {
  return uvafd_status == UVAFD_EBADF ? UV_ENOTSOCK : uvafd__translate_error(uvafd_status);
}


int uv_poll_init(uv_loop_t* loop, uv_poll_t* handle, int fd) {
  return uv_poll_init_socket(loop, handle, (SOCKET) uv__get_osfhandle(fd));
}


int uv_poll_init_socket(uv_loop_t* loop, uv_poll_t* handle,
    uv_os_sock_t socket) {
  uvafd_handle token;
  u_long yes = 1;
  int err;

  if (socket == INVALID_SOCKET)
    return UV_EBADF;

  /* Set the socket to nonblocking mode, as libuv does: programs rely on it. */
  if (ioctlsocket(socket, FIONBIO, &yes) == SOCKET_ERROR)
    return uv_translate_sys_error(WSAGetLastError());

  /* Validates the socket (UV_ENOTSOCK for anything else) and finds its base socket. */
  err = uvafd_poll_open(uvafd__reactor(loop), (uintptr_t) socket, handle, &token);
  if (err)
    return uvafd__translate_error(err);

  uv__handle_init(loop, (uv_handle_t*) handle, UV_POLL);
  handle->socket = socket;
  handle->events = 0;
  handle->poll_cb = NULL;
  uvafd__token_store(&handle->afd_poll_info_1, token);

  handle->submitted_events_1 = 0;
  handle->mask_events_1 = 0;
  UV_REQ_INIT(&handle->poll_req_1, UV_POLL_REQ);
  handle->poll_req_1.data = handle;
  return 0;
}


int uv_poll_start(uv_poll_t* handle, int events, uv_poll_cb cb) {
  int err;

  /* libuv asserts these (and does anything at all in a release build): a clear error here. */
  if (handle->type != UV_POLL || (handle->flags & UV_HANDLE_CLOSING) ||
      (events & ~UVAFD_POLL_EVENTS) || (events != 0 && cb == NULL))
    return UV_EINVAL;

  /* Every call re-arms, the same events included: after an error (events became 0, as in
   * libuv) the same uv_poll_start resubmits. UV_EEXIST: another handle of the same socket
   * already polls it (undefined in libuv; see docs/compat.md). UV_EBADF: the socket was
   * closed under the handle; stopping it (events 0) still succeeds, as in libuv. */
  err = uvafd_poll_set_interest(uvafd__reactor(handle->loop), uvafd__poll_token(handle),
                                (uint32_t) events);
  if (err && !(events == 0 && err == UVAFD_EBADF))
    return uvafd__translate_error(err);

  handle->events = (unsigned char) events;
  handle->poll_cb = cb;

  if (events == 0) {
    uv__handle_stop(handle);
  } else {
    uv__handle_start(handle);
    if (!((uvafd_loop_fields_t*) handle->loop->internal_fields)->running)
      uvafd__poll_arm(handle);
  }
  return 0;
}


int uv_poll_stop(uv_poll_t* handle) {
  if (handle->type != UV_POLL)
    return UV_EINVAL;
  if (handle->flags & UV_HANDLE_CLOSING)
    return 0; /* uv_close stopped it already */

  /* EBADF when the socket was closed under the handle: it is stopped already. */
  uvafd_poll_set_interest(uvafd__reactor(handle->loop), uvafd__poll_token(handle), 0);
  handle->events = 0;
  uv__handle_stop(handle);
  return 0;
}


void uvafd__poll_deliver(uv_loop_t* loop, uv_poll_t* handle, const uvafd_event* event) {
  /* Kept until the request is processed; reports that arrive before then are merged. */
  handle->mask_events_1 |= (unsigned char) event->events;
  if (event->status < 0 && handle->poll_req_1.u.io.overlapped.Internal == 0)
    handle->poll_req_1.u.io.overlapped.Internal = (ULONG_PTR) (intptr_t) event->status;

  if (!handle->submitted_events_1) {
    handle->submitted_events_1 = 1;
    uv__insert_pending_req(loop, &handle->poll_req_1);
  }
}


void uv__process_poll_req(uv_loop_t* loop, uv_poll_t* handle, uv_req_t* req) {
  unsigned int reported;
  int status;
  int events;

  assert(handle->type == UV_POLL);
  assert(req == &handle->poll_req_1);

  reported = handle->mask_events_1;
  status = (int) (intptr_t) req->u.io.overlapped.Internal;
  handle->mask_events_1 = 0;
  req->u.io.overlapped.Internal = 0;
  handle->submitted_events_1 = 0;

  if (handle->flags & UV_HANDLE_CLOSING) {
    uv__want_endgame(loop, (uv_handle_t*) handle);
    return;
  }

  /* Stopped since the reactor reported it (maybe earlier in this batch): libuv reports only
   * while events != 0, and poll_cb may be NULL now (uv_poll_start(h, 0, NULL)). */
  if (handle->events == 0)
    return;

  if (status < 0) {
    /* As libuv: an error stops the watcher (events = 0, the handle stays active), and the
     * same uv_poll_start resubmits. The reactor's interest goes too, so that another handle
     * of the same socket may take it. */
    handle->events = 0;
    uvafd_poll_set_interest(uvafd__reactor(loop), uvafd__poll_token(handle), 0);
    handle->poll_cb(handle, uvafd__poll_status(status), 0);
    return;
  }

  events = (int) (reported & handle->events & UVAFD_POLL_EVENTS);

  if (reported & UVAFD_LOCAL_CLOSE) {
    /* The socket was closed under the handle: stop polling, as libuv does. Its value may
     * already name another socket; the registration will never poll it. */
    handle->events = 0;
    if (uv__is_active(handle))
      uv__handle_stop(handle);
  }

  if (events != 0)
    handle->poll_cb(handle, 0, events);

  /* Level-triggered: the poll is submitted again now that poll_cb has read what it wanted,
   * as libuv resubmits after its callback (the next wait would, too late for a socket the
   * program closes before then). */
  if (handle->events != 0 && !(handle->flags & UV_HANDLE_CLOSING))
    uvafd__poll_arm(handle);
}


int uv__poll_close(uv_loop_t* loop, uv_poll_t* handle) {
  handle->events = 0;
  uv__handle_closing(handle);

  /* Never waits for the kernel: a poll in flight makes a zombie in the reactor, freed by its
   * completion. A report still queued for the handle comes first (see above). */
  uvafd_handle_close(uvafd__reactor(loop), uvafd__poll_token(handle));
  if (!handle->submitted_events_1)
    uv__want_endgame(loop, (uv_handle_t*) handle);
  return 0;
}


void uv__poll_endgame(uv_loop_t* loop, uv_poll_t* handle) {
  assert(handle->flags & UV_HANDLE_CLOSING);
  assert(!(handle->flags & UV_HANDLE_CLOSED));

  assert(handle->submitted_events_1 == 0);

  uv__handle_close(handle);
}
