/* uvafd reactor: an AFD_POLL / I/O completion port reactor for Windows sockets.
 *
 * This is the embeddable C API of uvafd's backend. It has no libuv types; the libuv
 * compatibility layer (compat/) and any other event loop can sit on top of it.
 *
 * Threading: one thread at a time drives a reactor (every function except uvafd_wake and
 * uvafd_source_wake). Those two may be called from any thread, concurrently, lock-free.
 *
 * Identity: a registration is named by a uvafd_handle value (slot + 64-bit generation),
 * never by its SOCKET. A handle that was closed, or that names an earlier incarnation of a
 * reused slot, is rejected with UVAFD_EBADF; it can never reach the new registration.
 *
 * Errors are negative values (UVAFD_E*); uvafd_strerror() names them.
 */
#ifndef UVAFD_REACTOR_H_
#define UVAFD_REACTOR_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(UVAFD_BUILD_SHARED)
#define UVAFD_API __declspec(dllexport)
#elif defined(_WIN32) && defined(UVAFD_USE_SHARED)
#define UVAFD_API __declspec(dllimport)
#else
#define UVAFD_API
#endif

/* Error codes: the negated Linux errno values, so they read like libuv's on Unix. */
enum {
  UVAFD_OK = 0,
  UVAFD_EIO = -5,
  UVAFD_EBADF = -9,
  UVAFD_ENOMEM = -12,
  UVAFD_EBUSY = -16,
  UVAFD_EEXIST = -17,
  UVAFD_EINVAL = -22,
  UVAFD_ENOTSOCK = -88,
  UVAFD_ECONNABORTED = -103,
  UVAFD_ECONNRESET = -104,
  UVAFD_ETIMEDOUT = -110,
  UVAFD_ECANCELED = -125
};

/* Event bits. The first four have libuv's uv_poll_event values; they and UVAFD_ERROR and
   UVAFD_LOCAL_CLOSE are what uvafd_poll_set_interest accepts. */
enum {
  UVAFD_READABLE = 1,
  UVAFD_WRITABLE = 2,
  UVAFD_DISCONNECT = 4,
  UVAFD_PRIORITIZED = 8,
  /* Delivered only (UVAFD_LOCAL_CLOSE and UVAFD_ERROR are also interest, below): */
  UVAFD_WAKEUP = 0x10,      /* a wakeup source was woken (uvafd_wake) */
  UVAFD_LOCAL_CLOSE = 0x20, /* the socket was closed under a live registration; it is
                               stopped for good (its SOCKET value may already be reused) */
  UVAFD_ERROR = 0x40,       /* the socket reported ABORT or CONNECT_FAIL; as interest, also
                               without UVAFD_READABLE or UVAFD_WRITABLE (epoll's EPOLLERR) */
  UVAFD_CONNECT_FAILED = 0x80, /* with UVAFD_ERROR: it was CONNECT_FAIL, a refused or failed
                                  connect, not a reset (epoll reports the two differently) */
  UVAFD_RELEASED = 0x100 /* an embedded source closed with a wakeup in flight is the
                            caller's again (uvafd_source_close) */
};

#define UVAFD_INTEREST_MASK \
  (UVAFD_READABLE | UVAFD_WRITABLE | UVAFD_DISCONNECT | UVAFD_PRIORITIZED)

typedef struct uvafd_reactor uvafd_reactor;

/* A registration's identity. Copy it freely; compare both fields. */
typedef struct uvafd_handle {
  uint64_t generation; /* 0 is never a live generation */
  uint32_t slot;
  uint32_t reserved;
} uvafd_handle;

typedef struct uvafd_options {
  uint32_t helper_group_size; /* sockets per \Device\Afd helper handle; default 32 */
  uint32_t dequeue_batch;     /* completions dequeued per kernel call; default 256, min 1 */
  uint32_t teardown_timeout_ms; /* uvafd_reactor_close: how long to wait for the kernel to
                                   return every request before the remaining memory is
                                   deliberately leaked instead of freed; default 30000 */
} uvafd_options;

typedef struct uvafd_event {
  uvafd_handle handle;
  void* user_data;
  uint32_t events; /* UVAFD_* bits, already filtered by the registration's interest */
  int32_t status;  /* 0, or a UVAFD_E* error: polling this socket failed */
} uvafd_event;

typedef void (*uvafd_event_cb)(void* arg, const uvafd_event* event);

typedef struct uvafd_stats {
  uint64_t live_states;       /* registrations not yet returned to the free list */
  uint64_t active;            /* registrations the user can still name */
  uint64_t zombies;           /* closed, waiting for the kernel to return their memory */
  uint64_t requests_in_flight;
  uint64_t wake_packets_in_flight;
  uint64_t helpers;           /* open \Device\Afd helper handles */
  uint64_t misrouted;         /* packets that failed (state, generation, lifecycle) checks */
  uint64_t unknown_packets;   /* packets not ours that no foreign-packet hook took */
  uint64_t foreign_packets;   /* packets not ours handed to the foreign-packet hook */
  uint64_t double_poll_violations; /* a second request armed on one base socket: must be 0 */
  uint64_t invalid_transitions;    /* lifecycle transitions the table forbids: must be 0 */
  uint64_t max_requests_per_base;  /* high-water mark of requests in flight on one socket */
  uint64_t nt_submit, nt_cancel, nt_post, nt_dequeue, nt_other;
  uint64_t packets_dequeued;
  uint64_t events_delivered;
  /* requested: accepted wakes. requested, coalesced, nt_post and wake_packets_in_flight count
   * uvafd_wake only (an embedded source's sender touches no memory of the reactor's but the
   * port); delivered counts both kinds. */
  uint64_t wakes_requested, wakes_coalesced, wakes_delivered;
  uint64_t leaked_on_teardown; /* states abandoned because the kernel never returned them */
} uvafd_stats;

UVAFD_API void uvafd_options_init(uvafd_options* options);

/* options may be NULL for the defaults. */
UVAFD_API int uvafd_reactor_create(const uvafd_options* options, uvafd_reactor** out);

/* Registers a socket (any SOCKET, including one owned by another library). The reactor polls
 * its base socket through its own helper handles: it never touches the socket's own
 * completion port association. Starts with no interest. UVAFD_EEXIST when a live registration
 * already polls the same socket under another handle value (a DuplicateHandle or
 * WSADuplicateSocket copy), where the system can tell (Windows 10 and later). */
UVAFD_API int uvafd_poll_open(uvafd_reactor* r, uintptr_t socket, void* user_data,
                              uvafd_handle* out);

/* Level-triggered: while interest is set and the socket is ready, every uvafd_reactor_wait
 * reports it. 0 pauses; readiness present when interest comes back is reported at once.
 * UVAFD_LOCAL_CLOSE (alone or with other bits) is accepted as interest: by itself it keeps a
 * poll in flight that completes only when the socket is closed, so a paused socket that is
 * closed is still reported (UVAFD_LOCAL_CLOSE) before its value can be mistaken for another.
 * UVAFD_ERROR as interest reports a reset or a failed connect (UVAFD_ERROR, with
 * UVAFD_CONNECT_FAILED for the latter) even with no other interest: what epoll reports whatever
 * it was asked. Any other bit is UVAFD_EINVAL.
 * UVAFD_EEXIST when another registration of the same base socket already has interest. */
UVAFD_API int uvafd_poll_set_interest(uvafd_reactor* r, uvafd_handle h, uint32_t events);

/* A wakeup source: uvafd_wake(h) from any thread makes a later wait deliver UVAFD_WAKEUP for
 * h at least once. Wakes sent before that delivery are coalesced into it. */
UVAFD_API int uvafd_wakeup_open(uvafd_reactor* r, void* user_data, uvafd_handle* out);
UVAFD_API int uvafd_wake(uvafd_reactor* r, uvafd_handle h);

/* An embedded wakeup source: the same wakeups as uvafd_wakeup_open, in memory the caller
 * owns, so a source with no wakeup in flight costs the reactor nothing (libuv's uv_async_t
 * keeps one inside itself). Every field is the reactor's from uvafd_source_open until the
 * source is released (below); the caller only keeps the memory in place.
 *
 * Identity: (the source's address, a generation the reactor gives it at open: 62 bits on x64,
 * 30 on x86, where the word is pointer-sized so that it needs no more alignment than the
 * caller's struct has). A packet carries both; the memory is not released while a packet may
 * still name it, so a packet never reaches memory the caller has reused, and a generation that
 * wraps (after 2^30 opens on x86) cannot make it; it only stops being a check.
 *
 * uvafd_source_wake may be called from any thread, lock-free; it refuses (UVAFD_EBADF) once the
 * source is closed. A delivery is an event with UVAFD_WAKEUP, user_data = the source and
 * handle = {generation, 0}. The delivery leaves the source taken: wakes sent from then on are
 * coalesced into it too, posting nothing, until the caller calls uvafd_source_rearm, just
 * before it acts on the wakeup (libuv's uv_async_t clears async_sent just before async_cb, so
 * sends made while the callback is still to come are covered by it). Wakes sent after the
 * rearm make a new delivery. A taken source may be closed as it is (nothing of it is in the
 * port).
 *
 * uvafd_source_close: 0 when the source is the caller's again at once; 1 when a wakeup is
 * still in flight (posted, or being posted by another thread): a later wait then delivers
 * UVAFD_RELEASED for it (nothing else), and the memory is the caller's from that callback on.
 * Close every source before uvafd_reactor_close, which waits for the released ones. */
typedef struct uvafd_source {
  uintptr_t word;             /* (generation << 2) | idle 0, in flight 1, taken 2; 0: closed */
  struct uvafd_source* prev;  /* on the reactor's list while closed with a wakeup in flight */
  struct uvafd_source* next;
} uvafd_source;

UVAFD_API int uvafd_source_open(uvafd_reactor* r, uvafd_source* source);
UVAFD_API int uvafd_source_wake(uvafd_reactor* r, uvafd_source* source);
UVAFD_API int uvafd_source_close(uvafd_reactor* r, uvafd_source* source);
/* The loop thread: the taken source's wakeup is being acted on now; UVAFD_EINVAL when it is not
 * taken (no delivery since the last rearm), UVAFD_EBADF when closed. */
UVAFD_API int uvafd_source_rearm(uvafd_reactor* r, uvafd_source* source);

/* Closes a registration or wakeup source. Nothing is delivered for it afterwards. Its memory
 * stays with the reactor (a zombie) until the kernel has returned it; the caller need not wait. */
UVAFD_API int uvafd_handle_close(uvafd_reactor* r, uvafd_handle h);

/* Arms what changed, waits up to timeout_ms (0: just poll; forever when negative or longer
 * than INT64_MAX / 10000 ms, INT64_MAX included), and calls cb for each event. Returns the number of events delivered plus foreign packets handed to the port
 * hook (0 on timeout; it may also return 0 early when only internal packets arrived: call
 * again for the rest of the time) or an error. cb may open, change and close
 * registrations; it may not call wait, close or destroy on the reactor (UVAFD_EBUSY). */
UVAFD_API int uvafd_reactor_wait(uvafd_reactor* r, int64_t timeout_ms, uvafd_event_cb cb,
                                 void* arg);

/* Arms h now, as the next uvafd_reactor_wait would (a poll for its interest, unless one is
 * in flight or another registration holds its base socket), without dequeuing. A loop that
 * registers a socket and returns to its caller before waiting calls it so that a socket
 * closed meanwhile is seen as LOCAL_CLOSE rather than its value polled again. Returns 1 when
 * a poll of h is in flight afterwards, 0 when not (no interest, a failed poll, or waiting for
 * an earlier registration's request on the same socket). Not from a callback (UVAFD_EBUSY). */
UVAFD_API int uvafd_poll_arm(uvafd_reactor* r, uvafd_handle h);

/* Arms now everything the next uvafd_reactor_wait would arm first (every registration whose
 * interest changed, or whose poll came back and is re-armed), without dequeuing: a loop that
 * returns to its caller calls it, for the reason uvafd_poll_arm gives. Not from a callback
 * (UVAFD_EBUSY). */
UVAFD_API int uvafd_reactor_arm(uvafd_reactor* r);

/* Teardown: closes every registration, cancels every request and drains the port until the
 * kernel holds no memory of ours, then closes the helper handles and the port. Afterwards
 * every call on r returns UVAFD_EBADF (r stays allocated until uvafd_reactor_destroy). */
UVAFD_API int uvafd_reactor_close(uvafd_reactor* r);

/* Closes r if needed and frees it. UVAFD_EBUSY (and nothing done) from inside a callback. */
UVAFD_API int uvafd_reactor_destroy(uvafd_reactor* r);

/* Sharing the completion port with other I/O (uvafd's libuv keeps libuv's own requests on it;
 * any loop may associate its own handles with it or post to it).
 *
 * A packet is the reactor's only when its ApcContext (Win32: lpOverlapped) points at the
 * reactor's own state memory, or when its key is the one this reactor gives its embedded
 * sources' packets: an odd value derived from the address of the reactor's own memory, which
 * no other code can post without reading it out of the reactor. Every other packet, whatever
 * its completion key, a NULL context included (a bare wakeup), is foreign: uvafd_reactor_wait
 * hands it to foreign_packet in dequeue order, interleaved with the reactor's own events, and
 * counts it in its return value.
 * The reactor's completion keys are odd, so no handle value and no pointer to an aligned object
 * can equal them; still, the two fixed keys never decide ownership (a context must be the
 * reactor's memory), only the per-reactor source key does. Without a foreign_packet hook, or
 * during uvafd_reactor_close, foreign packets are counted in unknown_packets and dropped. */
typedef struct uvafd_packet {
  uintptr_t key;          /* KeyContext */
  void* context;          /* ApcContext (lpOverlapped) */
  int32_t status;         /* NTSTATUS of the completion */
  uintptr_t information;  /* bytes transferred, or what NtSetIoCompletion posted */
} uvafd_packet;

typedef struct uvafd_port_hooks {
  /* Optional: once per wait, right after the kernel returned (packets may be 0) and before any
   * callback of that wait. A loop updates its clock here. */
  void (*dequeued)(void* arg, uint32_t packets);
  void (*foreign_packet)(void* arg, const uvafd_packet* packet);
  void* arg;
} uvafd_port_hooks;

/* The port's HANDLE. It stays the reactor's: closed by uvafd_reactor_close, never by others. */
UVAFD_API int uvafd_reactor_port(const uvafd_reactor* r, void** port);
/* hooks may be NULL to remove them. Not from inside a callback (UVAFD_EBUSY). */
UVAFD_API int uvafd_reactor_set_port_hooks(uvafd_reactor* r, const uvafd_port_hooks* hooks);

UVAFD_API int uvafd_reactor_stats(const uvafd_reactor* r, uvafd_stats* out);
UVAFD_API const char* uvafd_strerror(int error);

#ifdef __cplusplus
}
#endif
#endif /* UVAFD_REACTOR_H_ */
