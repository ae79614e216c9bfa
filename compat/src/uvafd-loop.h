/* What uvafd's three parts of libuv share: the loop core (core.c), uv_poll_t (poll.c) and
 * uv_async_t (async.c). They sit among libuv's own src/win files and use its internal headers
 * (uv-common.h, internal.h, handle-inl.h, req-inl.h) exactly as those files do, for every libuv
 * version of cmake/libuv-versions.txt.
 *
 * The loop's reactor hangs off loop->internal_fields, behind libuv's own internal fields, which
 * libuv's code (metrics, uv_loop_configure) reads from the same pointer. */
#ifndef UVAFD_LOOP_H_
#define UVAFD_LOOP_H_

#include <string.h>

#include "uv.h"
#include "uv-common.h"
#include "uvafd/reactor.h"

/* The releases where libuv's internals that uvafd's three files touch changed (libuv's
 * ChangeLog; each checked against the two trees uvafd builds on, 1.44.2 and 1.50.0):
 * 1.45.0 added the loop metrics and moved the timers in uv_run, 1.46.0 replaced the QUEUE
 * macros with struct uv__queue. */
#define UVAFD_UV_METRICS_HEX 0x012d00 /* 1.45.0 */
#define UVAFD_UV_QUEUE_HEX 0x012e00   /* 1.46.0 */

#if UV_VERSION_HEX >= UVAFD_UV_QUEUE_HEX
#define uvafd__queue_init(q) uv__queue_init(q)
#define uvafd__queue_empty(q) uv__queue_empty(q)
#else
#define uvafd__queue_init(q) QUEUE_INIT(q)
#define uvafd__queue_empty(q) QUEUE_EMPTY(q)
#endif

typedef struct uvafd_loop_fields_s {
  uv__loop_internal_fields_t libuv; /* first: libuv's code casts internal_fields to this */
  uvafd_reactor* reactor;           /* its completion port is loop->iocp */
  int running;                      /* inside uv_run: a nested uv_run is refused */
  uint32_t dequeued;                /* packets the last reactor wait dequeued */
  DWORD wait_timeout;               /* the timeout of the wait in progress (loop metrics) */
} uvafd_loop_fields_t;

static __inline uvafd_reactor* uvafd__reactor(const uv_loop_t* loop) {
  return ((const uvafd_loop_fields_t*) loop->internal_fields)->reactor;
}

/* A registration's identity, kept in private fields of the libuv handle that libuv's Windows
 * build uses for its own machinery (libuv's layout is the ABI). Copied, never type-punned. */
static __inline uvafd_handle uvafd__token_load(const void* storage) {
  uvafd_handle token;
  memcpy(&token, storage, sizeof(token));
  return token;
}

static __inline void uvafd__token_store(void* storage, uvafd_handle token) {
  memcpy(storage, &token, sizeof(token));
}

int uvafd__translate_error(int uvafd_error);

/* The reactor's events (core.c): an async handle's (UVAFD_WAKEUP, UVAFD_RELEASED: user_data is
 * the source inside the handle), and a uv_poll_t's (user_data is the handle). */
void uvafd__poll_deliver(uv_loop_t* loop, uv_poll_t* handle, const uvafd_event* event);
void uvafd__async_event(uv_loop_t* loop, const uvafd_event* event);

/* uv__loop_close: the loop's internal async handle, closed without an iteration. */
void uvafd__async_release(uv_loop_t* loop, uv_async_t* handle);

#endif /* UVAFD_LOOP_H_ */
