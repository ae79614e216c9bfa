/* uvafd's epoll port: wepoll 1.5.8's public API (epoll(7) for Windows sockets) on the uvafd
 * reactor. A program written for wepoll includes this header instead and links
 * uvafd_epoll (static) or uvafd_epoll.dll; nothing else changes.
 *
 * Written from the documented API (wepoll's README, Linux's epoll(7), epoll_ctl(2),
 * epoll_wait(2)); the types and values are those wepoll 1.5.8 documents, so both libraries are
 * binary compatible. Differences from wepoll and from Linux: docs/porting.md ("The epoll port").
 */
#ifndef UVAFD_WEPOLL_H_
#define UVAFD_WEPOLL_H_

#include <stdint.h>

/* UVAFD_EPOLL_SHARED: the program links uvafd_epoll.dll. */
#if defined(_WIN32) && defined(UVAFD_EPOLL_BUILD_SHARED)
#define WEPOLL_EXPORT __declspec(dllexport)
#elif defined(_WIN32) && defined(UVAFD_EPOLL_SHARED)
#define WEPOLL_EXPORT __declspec(dllimport)
#else
#define WEPOLL_EXPORT
#endif

enum EPOLL_EVENTS {
  EPOLLIN = (int)(1U << 0),
  EPOLLPRI = (int)(1U << 1),
  EPOLLOUT = (int)(1U << 2),
  EPOLLERR = (int)(1U << 3),
  EPOLLHUP = (int)(1U << 4),
  EPOLLRDNORM = (int)(1U << 6),
  EPOLLRDBAND = (int)(1U << 7),
  EPOLLWRNORM = (int)(1U << 8),
  EPOLLWRBAND = (int)(1U << 9),
  EPOLLMSG = (int)(1U << 10), /* never reported */
  EPOLLRDHUP = (int)(1U << 13),
  EPOLLET = (int)(1U << 30), /* uvafd only: wepoll rejects it */
  EPOLLONESHOT = (int)(1U << 31)
};

#define EPOLLIN (1U << 0)
#define EPOLLPRI (1U << 1)
#define EPOLLOUT (1U << 2)
#define EPOLLERR (1U << 3)
#define EPOLLHUP (1U << 4)
#define EPOLLRDNORM (1U << 6)
#define EPOLLRDBAND (1U << 7)
#define EPOLLWRNORM (1U << 8)
#define EPOLLWRBAND (1U << 9)
#define EPOLLMSG (1U << 10)
#define EPOLLRDHUP (1U << 13)
#define EPOLLET (1U << 30)
#define EPOLLONESHOT (1U << 31)

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_MOD 2
#define EPOLL_CTL_DEL 3

typedef void* HANDLE;
typedef uintptr_t SOCKET;

typedef union epoll_data {
  void* ptr;
  int fd;
  uint32_t u32;
  uint64_t u64;
  SOCKET sock; /* Windows */
  HANDLE hnd;  /* Windows */
} epoll_data_t;

struct epoll_event {
  uint32_t events;   /* EPOLL* bits and flags */
  epoll_data_t data; /* returned as given */
};

#ifdef __cplusplus
extern "C" {
#endif

/* A new epoll port, or NULL (errno and GetLastError() set). size must be > 0 and is ignored;
 * flags must be 0. */
WEPOLL_EXPORT HANDLE epoll_create(int size);
WEPOLL_EXPORT HANDLE epoll_create1(int flags);

/* Closes the port: threads waiting in epoll_wait on it return -1 (EBADF); sockets are not
 * closed. 0, or -1 with errno set. */
WEPOLL_EXPORT int epoll_close(HANDLE ephnd);

/* EPOLL_CTL_ADD / MOD / DEL. 0, or -1 with errno (EBADF, EEXIST, ENOENT, EINVAL, ENOTSOCK,
 * ENOMEM) and GetLastError() set. Any thread, also while others wait. */
WEPOLL_EXPORT int epoll_ctl(HANDLE ephnd, int op, SOCKET sock, struct epoll_event* event);

/* Up to maxevents (> 0) events; timeout in milliseconds, -1 forever, 0 to poll. The number of
 * events (0 on timeout), or -1 with errno set. Several threads may wait on one port: each
 * event goes to one of them. */
WEPOLL_EXPORT int epoll_wait(HANDLE ephnd, struct epoll_event* events, int maxevents,
                             int timeout);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* UVAFD_WEPOLL_H_ */
