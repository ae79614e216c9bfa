/* uvafd's loop core for libuv on Windows (every version of cmake/libuv-versions.txt):
 * uv_loop_init, uv__loop_close and uv_run.
 *
 * libuv's own src/win/core.c is compiled here, included below, for everything in it that is
 * not the loop core: libuv's one-time initialisation, the registry of loops that
 * uv__wake_all_loops posts to, uv_update_time, uv_backend_timeout, uv_fileno and the socket
 * helpers. Its three loop-core functions are renamed out of the way (and never called); the
 * versions after the include replace them. They can use core.c's static helpers because they
 * are in the same translation unit.
 *
 * What changes against libuv: the loop's completion port is the reactor's, and the reactor's
 * batched dequeue (NtRemoveIoCompletionEx) is the only dequeue. Every packet is routed by who
 * owns its context: the reactor's own (AFD polls of uv_poll_t, wakeups of uv_async_t) are
 * handled by the reactor and reach poll.c and async.c as events; a NULL context is a bare
 * wakeup; anything else is the OVERLAPPED inside one of libuv's requests and goes to libuv's
 * pending queue exactly as libuv's uv__poll puts it there.
 *
 * One file for every supported libuv: where libuv's own loop core differs between versions, a
 * switch on UV_VERSION_HEX follows each version exactly (checked against 1.44.2's and 1.50.0's
 * src/win/core.c; the boundaries are the releases libuv's ChangeLog names):
 *  - 1.45: the loop metrics of uv_metrics_info (loop_count, events, events_waiting), the
 *    current_timeout the thread pool reads to count its events as waiting, and the phase order
 *    of uv_run (timers once before the loop in UV_RUN_DEFAULT, and after the endgames in every
 *    mode, instead of at the top of each iteration);
 *  - 1.46: struct uv__queue in place of the QUEUE macros. */

/* Included first so that the declarations keep their real names; only core.c's definitions
 * are renamed. */
#include "uv.h"
#include "internal.h"
#include "uv-common.h"

#define uv_loop_init uvafd__libuv_loop_init_replaced
#define uv__loop_close uvafd__libuv_loop_close_replaced
#define uv_run uvafd__libuv_run_replaced
/* libuv's code is compiled with libuv's flags elsewhere; here it sits in a file built with
 * ours, and GCC's -Wmaybe-uninitialized misreads its uv__poll (user_timeout is set whenever it
 * is read). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "win/core.c"
#pragma GCC diagnostic pop
#undef uv_loop_init
#undef uv__loop_close
#undef uv_run

#include "uvafd-loop.h"

#if UV_VERSION_HEX >= UVAFD_UV_METRICS_HEX
/* As libuv's uv__poll: every packet that reaches libuv's handles is one event, and one that
 * was already queued when the wait began (a wait of timeout 0) is one waiting too. */
static void uvafd__count_event(uv_loop_t* loop) {
  uv__metrics_inc_events(loop, 1);
  if (((uvafd_loop_fields_t*) loop->internal_fields)->wait_timeout == 0)
    uv__metrics_inc_events_waiting(loop, 1);
}
#else
#define uvafd__count_event(loop) ((void) 0)
#endif


int uvafd__translate_error(int e) {
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


/* The reactor's port hooks: libuv's half of every wait. */

static void uvafd__on_dequeued(void* arg, uint32_t packets) {
  uv_loop_t* loop = (uv_loop_t*) arg;

  ((uvafd_loop_fields_t*) loop->internal_fields)->dequeued = packets;

  /* As libuv after GetQueuedCompletionStatusEx returns with packets: idle time ends and the
   * loop's clock moves before the first callback sees it. */
  uv__metrics_update_idle_time(loop);
  if (packets > 0)
    uv_update_time(loop);
}


static void uvafd__on_foreign_packet(void* arg, const uvafd_packet* packet) {
  /* Not the reactor's: a NULL context is a bare wakeup (uv__wake_all_loops); anything else is
   * the lpOverlapped of one of libuv's requests (the key is never read, as in libuv). */
  if (packet->context != NULL) {
    uvafd__count_event((uv_loop_t*) arg);
    uv__insert_pending_req((uv_loop_t*) arg,
                           uv__overlapped_to_req((OVERLAPPED*) packet->context));
  }
}


static void uvafd__on_event(void* arg, const uvafd_event* event) {
  uv_loop_t* loop = (uv_loop_t*) arg;
  uv_handle_t* handle;

  /* A closed registration delivers nothing, and a closed async handle only its release, so
   * the handle is still the user's. Each handle queues its own request on libuv's pending
   * queue here, in dequeue order with libuv's requests; the callbacks run in the
   * pending-request phase, as in libuv. */
  if (event->events & (UVAFD_WAKEUP | UVAFD_RELEASED)) {
    if (event->events & UVAFD_WAKEUP)
      uvafd__count_event(loop);
    uvafd__async_event(loop, event);
    return;
  }
  handle = (uv_handle_t*) event->user_data;
  if (handle->type == UV_POLL) {
    uvafd__count_event(loop);
    uvafd__poll_deliver(loop, (uv_poll_t*) handle, event);
  }
}


int uv_loop_init(uv_loop_t* loop) {
  uvafd_loop_fields_t* fields;
  uvafd_port_hooks hooks;
  struct heap* timer_heap;
  void* port;
  int err;

  /* Initialize libuv itself first */
  uv__once_init();

  fields = (uvafd_loop_fields_t*) uv__calloc(1, sizeof(*fields));
  if (fields == NULL)
    return UV_ENOMEM;

  /* The reactor's completion port is the loop's: libuv's handles associate with it and post
   * to it as they would to their own. */
  err = uvafd__translate_error(uvafd_reactor_create(NULL, &fields->reactor));
  if (err)
    goto fail_reactor;
  hooks.dequeued = uvafd__on_dequeued;
  hooks.foreign_packet = uvafd__on_foreign_packet;
  hooks.arg = loop;
  uvafd_reactor_set_port_hooks(fields->reactor, &hooks);
  uvafd_reactor_port(fields->reactor, &port);
  loop->iocp = (HANDLE) port;
  loop->internal_fields = fields;

  /* The metrics of 1.45 (loop_count, events, events_waiting) start at zero: fields is
   * calloc'ed, as libuv's memset does for them. */
  err = uv_mutex_init(&fields->libuv.loop_metrics.lock);
  if (err)
    goto fail_metrics_mutex_init;

  /* To prevent uninitialized memory access, loop->time must be initialized
   * to zero before calling uv_update_time for the first time.
   */
  loop->time = 0;
  uv_update_time(loop);

  uvafd__queue_init(&loop->wq);
  uvafd__queue_init(&loop->handle_queue);
  loop->active_reqs.count = 0;
  loop->active_handles = 0;

  loop->pending_reqs_tail = NULL;

  loop->endgame_handles = NULL;

  loop->timer_heap = timer_heap = uv__malloc(sizeof(*timer_heap));
  if (timer_heap == NULL) {
    err = UV_ENOMEM;
    goto fail_timers_alloc;
  }

  heap_init(timer_heap);

  loop->check_handles = NULL;
  loop->prepare_handles = NULL;
  loop->idle_handles = NULL;

  loop->next_prepare_handle = NULL;
  loop->next_check_handle = NULL;
  loop->next_idle_handle = NULL;

  /* uvafd's uv_poll_t needs no peer sockets. */
  memset(&loop->poll_peer_sockets, 0, sizeof loop->poll_peer_sockets);

#if UV_VERSION_HEX < UVAFD_UV_QUEUE_HEX
  /* Counters libuv 1.44 keeps; 1.50's uv.h still has the fields ("no longer used") and its
   * loop core no longer sets them. */
  loop->active_tcp_streams = 0;
  loop->active_udp_streams = 0;
#endif

  loop->timer_counter = 0;
  loop->stop_flag = 0;

  err = uv_mutex_init(&loop->wq_mutex);
  if (err)
    goto fail_mutex_init;

  err = uv_async_init(loop, &loop->wq_async, uv__work_done);
  if (err)
    goto fail_async_init;

  uv__handle_unref(&loop->wq_async);
  loop->wq_async.flags |= UV_HANDLE_INTERNAL;

  /* libuv returns uv__loops_add's ERROR_OUTOFMEMORY as it is: a positive Windows error code
   * where uv_loop_init promises a negative UV_E* one. Growing the registry of loops is all
   * that can fail there. */
  if (uv__loops_add(loop) != 0) {
    err = UV_ENOMEM;
    goto fail_loops_add;
  }

  return 0;

fail_loops_add:
  uvafd__async_release(loop, &loop->wq_async);

fail_async_init:
  uv_mutex_destroy(&loop->wq_mutex);

fail_mutex_init:
  uv__free(timer_heap);
  loop->timer_heap = NULL;

fail_timers_alloc:
  uv_mutex_destroy(&fields->libuv.loop_metrics.lock);

fail_metrics_mutex_init:
  uvafd_reactor_destroy(fields->reactor);
  loop->internal_fields = NULL;
  loop->iocp = INVALID_HANDLE_VALUE;

fail_reactor:
  uv__free(fields);
  return err;
}


void uv__loop_close(uv_loop_t* loop) {
  uvafd_loop_fields_t* fields;

  fields = (uvafd_loop_fields_t*) loop->internal_fields;
  uv__loops_remove(loop);

  /* As libuv: the internal async handle closes without another iteration. A wakeup packet
   * still queued for it is dequeued by the reactor's teardown below, while the loop (which
   * holds the handle) is still ours. */
  uvafd__async_release(loop, &loop->wq_async);

  uv_mutex_lock(&loop->wq_mutex);
  assert(uvafd__queue_empty(&loop->wq) && "thread pool work queue not empty!");
  assert(!uv__has_active_reqs(loop));
  uv_mutex_unlock(&loop->wq_mutex);
  uv_mutex_destroy(&loop->wq_mutex);

  uv__free(loop->timer_heap);
  loop->timer_heap = NULL;

  uv_mutex_destroy(&fields->libuv.loop_metrics.lock);

  /* Deterministic teardown: every AFD poll of a closed uv_poll_t is cancelled and drained, and
   * every queued wakeup dequeued, before the reactor's memory and the port go. */
  uvafd_reactor_destroy(fields->reactor);
  uv__free(fields);
  loop->internal_fields = NULL;
  loop->iocp = INVALID_HANDLE_VALUE;
}


static void uvafd__poll(uv_loop_t* loop, DWORD timeout) {
  uvafd_loop_fields_t* fields;
  int64_t wait_ms;
  int repeat;
  int r;
  uint64_t timeout_time;
  uint64_t user_timeout;
  int reset_timeout;

  fields = (uvafd_loop_fields_t*) loop->internal_fields;
  timeout_time = loop->time + timeout;
  user_timeout = 0;

  if (uv__get_internal_fields(loop)->flags & UV_METRICS_IDLE_TIME) {
    reset_timeout = 1;
    user_timeout = timeout;
    timeout = 0;
  } else {
    reset_timeout = 0;
  }

  for (repeat = 0; ; ) {
    /* Only need to set the provider_entry_time if timeout != 0. The function
     * will return early if the loop isn't configured with UV_METRICS_IDLE_TIME.
     */
    if (timeout != 0)
      uv__metrics_set_provider_entry_time(loop);

    /* The reactor re-arms what changed, dequeues one batch and routes it: its events call
     * back poll and async handles (after uvafd__on_dequeued updated the time), libuv's
     * requests go to the pending queue. */
    wait_ms = timeout == INFINITE ? -1 : (int64_t) timeout;
    fields->dequeued = 0;
    fields->wait_timeout = timeout;
#if UV_VERSION_HEX >= UVAFD_UV_METRICS_HEX
    /* As libuv: uv__work_done counts the thread pool's completions as waiting when the wait
     * that delivered them did not block. */
    fields->libuv.current_timeout = (int) timeout;
#endif
    r = uvafd_reactor_wait(fields->reactor, wait_ms, uvafd__on_event, loop);

    if (reset_timeout != 0) {
      timeout = user_timeout;
      reset_timeout = 0;
    }

    uv__metrics_update_idle_time(loop);

    if (r < 0) {
      /* Serious error: the port is gone. libuv gives up here too. */
      fprintf(stderr, "uvafd: waiting on the loop's completion port failed: %s\n",
              uvafd_strerror(r));
      abort();
    } else if (r == 0 && timeout == INFINITE) {
      /* Only the reactor's internal packets: keep waiting, forever. */
      continue;
    } else if (r == 0 && timeout > 0) {
      /* Nothing for libuv: the wait timed out, returned a little early, or dequeued only the
       * reactor's internal packets (a cancelled poll coming back to be re-armed). Make sure
       * the desired timeout target time is reached, so UV_RUN_ONCE never returns having run
       * nothing. */
      uv_update_time(loop);
      if (timeout_time > loop->time) {
        timeout = (DWORD)(timeout_time - loop->time);
        if (fields->dequeued == 0) {
          /* The kernel itself returned early. As libuv: from the third round on the timeout
           * grows exponentially, so a busy loop cannot happen (bounded, to stay defined).
           * Internal packets are work, not a spin, and add nothing. */
          timeout += repeat ? (1u << (repeat < 16 ? repeat - 1 : 15)) : 0;
          repeat++;
        }
        continue;
      }
    }
    break;
  }
}


int uv_run(uv_loop_t *loop, uv_run_mode mode) {
  uvafd_loop_fields_t* fields;
  DWORD timeout;
  int r;
  int can_sleep;

  /* A nested uv_run (from a callback) is undefined in libuv; uvafd refuses it instead of
   * re-entering the reactor's wait. */
  fields = (uvafd_loop_fields_t*) loop->internal_fields;
  if (fields->running)
    return UV_EBUSY;
  fields->running = 1;

  r = uv__loop_alive(loop);
  if (!r)
    uv_update_time(loop);

#if UV_VERSION_HEX >= UVAFD_UV_METRICS_HEX
  /* libuv 1.45's order: in UV_RUN_DEFAULT the timers run once before the loop (for backwards
   * compatibility), then after the endgames of each iteration, in every mode. The guard on r and
   * stop_flag came in 1.46 ("don't run timers if loop is stopped/unref'd"): exact for 1.50.0;
   * a 1.45.x row in cmake/libuv-versions.txt would need its own switch here. */
  if (mode == UV_RUN_DEFAULT && r != 0 && loop->stop_flag == 0) {
    uv_update_time(loop);
    uv__run_timers(loop);
  }
#endif

  while (r != 0 && loop->stop_flag == 0) {
#if UV_VERSION_HEX < UVAFD_UV_METRICS_HEX
    /* libuv 1.44's order: the timers first in each iteration. */
    uv_update_time(loop);
    uv__run_timers(loop);
#endif

    can_sleep = loop->pending_reqs_tail == NULL && loop->idle_handles == NULL;

    uv__process_reqs(loop);
    uv__idle_invoke(loop);
    uv__prepare_invoke(loop);

    timeout = 0;
    if ((mode == UV_RUN_ONCE && can_sleep) || mode == UV_RUN_DEFAULT)
      timeout = uv_backend_timeout(loop);

#if UV_VERSION_HEX >= UVAFD_UV_METRICS_HEX
    uv__metrics_inc_loop_count(loop);
#endif

    uvafd__poll(loop, timeout);

    /* Process immediate callbacks (e.g. write_cb) a small fixed number of
     * times to avoid loop starvation.*/
    for (r = 0; r < 8 && loop->pending_reqs_tail != NULL; r++)
      uv__process_reqs(loop);

    /* Run one final update on the provider_idle_time in case uv__poll*
     * returned because the timeout expired, but no events were received. This
     * call will be ignored if the provider_entry_time was either never set (if
     * the timeout == 0) or was already updated b/c an event was received.
     */
    uv__metrics_update_idle_time(loop);

    uv__check_invoke(loop);
    uv__process_endgames(loop);

#if UV_VERSION_HEX >= UVAFD_UV_METRICS_HEX
    uv_update_time(loop);
    uv__run_timers(loop);
#else
    if (mode == UV_RUN_ONCE) {
      /* UV_RUN_ONCE implies forward progress: at least one callback must have
       * been invoked when it returns. uvafd__poll() can return without doing
       * I/O (meaning: no callbacks) when its timeout expires - which means we
       * have pending timers that satisfy the forward progress constraint.
       *
       * UV_RUN_NOWAIT makes no guarantees about progress so it's omitted from
       * the check.
       */
      uv_update_time(loop);
      uv__run_timers(loop);
    }
#endif

    r = uv__loop_alive(loop);
    if (mode == UV_RUN_ONCE || mode == UV_RUN_NOWAIT)
      break;
  }

  /* The if statement lets the compiler compile it to a conditional store.
   * Avoids dirtying a cache line.
   */
  if (loop->stop_flag != 0)
    loop->stop_flag = 0;

  /* The program runs next, and may close a polled socket: what this iteration's callbacks
   * started or changed is submitted now (uvafd_poll_arm in poll.c says why), not at the next
   * wait. */
  uvafd_reactor_arm(fields->reactor);
  fields->running = 0;
  return r;
}
