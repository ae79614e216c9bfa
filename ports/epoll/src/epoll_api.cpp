// wepoll's five functions: the registry of open ports (a HANDLE is looked up, never
// dereferenced, so a stale or random one is refused), and errno + GetLastError() on failure,
// decided as wepoll 1.5.8 decides them (its api.c and err.c): the operation's own error first,
// then, on any failure, a handle that is not a valid kernel handle overrides it with EBADF,
// because Linux's epoll_ctl checks its file descriptors before anything else.
//
// No C++ exception leaves these functions: every one is caught here and becomes -1 with
// ENOMEM (ERROR_NOT_ENOUGH_MEMORY), and the port stays usable (a C caller cannot catch it).
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <windows.h>

#include <errno.h>

#include <memory>
#include <mutex>
#include <new>
#include <unordered_map>

#include "epoll_port.h"

namespace {

using uvafd_epoll::Port;

std::mutex g_mu;
using Registry = std::unordered_map<void*, std::shared_ptr<Port>>;
// Keyed by the reactor's completion port HANDLE: a real kernel handle, unique while open.
// Never destroyed: a port may be closed from an atexit handler. In static storage, because an
// empty map allocates nothing: a failed allocation can fail one call, never every later one.
alignas(Registry) unsigned char g_registry_storage[sizeof(Registry)];
Registry* registry() {
  static Registry* ports = new (g_registry_storage) Registry();
  return ports;
}

// wepoll's err.c pairs each Windows error it sets with one errno; these are the ones a port
// sets (EIO is ours: a reactor failure wepoll has no equivalent for).
DWORD win_error_for(int e) {
  switch (e) {
    case EBADF: return ERROR_INVALID_HANDLE;
    case EEXIST: return ERROR_ALREADY_EXISTS;
    case ENOENT: return ERROR_NOT_FOUND;
    case EINVAL: return ERROR_INVALID_PARAMETER;
    case ENOTSOCK: return WSAENOTSOCK;
    case ENOMEM: return ERROR_NOT_ENOUGH_MEMORY;
    case EFAULT: return ERROR_NOACCESS;
    default: return ERROR_GEN_FAILURE;
  }
}

int fail_with(int e, DWORD win_error) {
  SetLastError(win_error);
  errno = e;
  return -1;
}

int fail(int e) { return fail_with(e, win_error_for(e)); }

// wepoll's ws_global_init: Winsock is started once for the process and never cleaned up, so a
// program that relies on the port's start (no WSAStartup of its own) keeps its sockets after
// epoll_close. A failed start is tried again by the next epoll_create. 0, or WSAStartup's
// error, which is GetLastError's; errno as wepoll's err.c maps the errors WSAStartup returns.
int start_winsock() {
  static std::mutex mu;
  static bool started = false;
  std::lock_guard<std::mutex> g(mu);
  if (started) return 0;
  WSADATA wsa;
  const int r = WSAStartup(MAKEWORD(2, 2), &wsa);
  started = r == 0;
  return r;
}

int errno_for_winsock_start(int wsa_error) {
  switch (wsa_error) {
    case WSASYSNOTREADY: return ENETDOWN;
    case WSAVERNOTSUPPORTED: return ENOSYS;
    case WSAEINPROGRESS: return EBUSY;
    case WSAEPROCLIM: return ENOMEM;
    case WSAEFAULT: return EFAULT;
    default: return EINVAL;
  }
}

// wepoll's err_check_handle: EBADF for a value that names no open handle. GetHandleInformation
// accepts INVALID_HANDLE_VALUE (the current process), hence the explicit test.
void check_handle(HANDLE h) {
  DWORD flags;
  if (h == INVALID_HANDLE_VALUE || !GetHandleInformation(h, &flags)) fail(EBADF);
}

std::shared_ptr<Port> find(HANDLE h) {
  std::lock_guard<std::mutex> g(g_mu);
  auto it = registry()->find(h);
  return it == registry()->end() ? nullptr : it->second;
}

HANDLE create() {
  std::unique_ptr<Port> owned;
  HANDLE h = nullptr;
  try {
    // The reactor looks up base sockets through winsock; a port can exist before the caller's
    // own WSAStartup.
    if (const int wsa_error = start_winsock()) {
      fail_with(errno_for_winsock_start(wsa_error), DWORD(wsa_error));
      return nullptr;
    }
    Port* raw = nullptr;
    const int err = Port::create(&raw);
    owned.reset(raw);
    if (err) {
      fail(err == UVAFD_ENOMEM ? ENOMEM : EIO);
      return nullptr;
    }
    h = owned->handle();
    // Ownership moves only when the control block exists: if it cannot be allocated, `owned`
    // still has the port and frees it once.
    std::shared_ptr<Port> shared(std::move(owned));
    std::lock_guard<std::mutex> g(g_mu);
    registry()->emplace(h, std::move(shared));  // on failure, `shared` frees the port once
  } catch (...) {
    fail(ENOMEM);
    return nullptr;
  }
  return h;
}

}  // namespace

extern "C" {

HANDLE epoll_create(int size) {
  if (size <= 0) {
    fail(EINVAL);
    return nullptr;
  }
  return create();
}

HANDLE epoll_create1(int flags) {
  if (flags != 0) {
    fail(EINVAL);
    return nullptr;
  }
  return create();
}

int epoll_close(HANDLE ephnd) try {
  std::shared_ptr<Port> p;
  {
    std::lock_guard<std::mutex> g(g_mu);
    Registry* ports = registry();
    auto it = ports->find(ephnd);
    if (it == ports->end()) {
      // A valid handle that is no epoll port is EINVAL, anything else EBADF (wepoll).
      fail(EINVAL);
      check_handle(ephnd);
      return -1;
    }
    p = std::move(it->second);
    ports->erase(it);
  }
  p->close();  // waiters return; the reactor is torn down when the last caller lets go
  p.reset();
  return 0;
} catch (...) {
  // A mutex that cannot be locked (std::system_error): nothing else here throws.
  return fail(ENOMEM);
}

int epoll_ctl(HANDLE ephnd, int op, SOCKET sock, struct epoll_event* event) {
  int err;
  try {
    std::shared_ptr<Port> p = find(ephnd);
    err = p ? p->ctl(op, sock, event) : EINVAL;
  } catch (...) {
    err = ENOMEM;
  }
  if (!err) return 0;
  fail(err);
  check_handle(ephnd);
  check_handle(reinterpret_cast<HANDLE>(sock));
  return -1;
}

int epoll_wait(HANDLE ephnd, struct epoll_event* events, int maxevents, int timeout) {
  // Before the handle, as wepoll does.
  if (maxevents <= 0) return fail(EINVAL);
  int n;
  try {
    std::shared_ptr<Port> p = find(ephnd);
    if (!p) {
      n = -EINVAL;
    } else if (!events) {
      n = -EFAULT;
    } else {
      n = p->wait(events, maxevents, timeout);
    }
  } catch (...) {
    n = -ENOMEM;
  }
  if (n >= 0) return n;
  fail(-n);
  check_handle(ephnd);
  return -1;
}

}  // extern "C"

// For the port's own tests (not exported from the DLL): the reactor's counters of a port.
int uvafd_epoll_stats(HANDLE ephnd, uvafd_stats* out, uint64_t* misrouted) {
  std::shared_ptr<Port> p = find(ephnd);
  if (!p) return EBADF;
  return p->stats(out, misrouted);
}

// For the port's own tests (not exported from the DLL): the port's broken invariants, 0 if none.
int uvafd_epoll_broken_invariants(HANDLE ephnd) {
  std::shared_ptr<Port> p = find(ephnd);
  return p ? p->broken_invariants() : -1;
}
