// wepoll's five functions: the registry of open ports (a HANDLE is looked up, never
// dereferenced, so a stale or random one gets EBADF), and errno + GetLastError() on failure.
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
// Keyed by the reactor's completion port HANDLE: a real kernel handle, unique while open.
std::unordered_map<void*, std::shared_ptr<Port>>& registry() {
  static auto* ports = new std::unordered_map<void*, std::shared_ptr<Port>>();
  return *ports;  // never destroyed: a port may be closed from an atexit handler
}

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

int fail(int e) {
  errno = e;
  SetLastError(win_error_for(e));
  return -1;
}

std::shared_ptr<Port> find(HANDLE h) {
  std::lock_guard<std::mutex> g(g_mu);
  auto it = registry().find(h);
  return it == registry().end() ? nullptr : it->second;
}

HANDLE create() {
  // The reactor looks up base sockets through winsock; a port can exist before the caller's
  // own WSAStartup. Balanced in epoll_close.
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
    fail(ENOMEM);
    return nullptr;
  }
  Port* raw = nullptr;
  const int err = Port::create(&raw);
  if (err) {
    WSACleanup();
    fail(err == UVAFD_ENOMEM ? ENOMEM : EIO);
    return nullptr;
  }
  try {
    std::shared_ptr<Port> p(raw);
    std::lock_guard<std::mutex> g(g_mu);
    registry().emplace(p->handle(), p);
    return p->handle();
  } catch (const std::bad_alloc&) {
    delete raw;
    WSACleanup();
    fail(ENOMEM);
    return nullptr;
  }
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

int epoll_close(HANDLE ephnd) {
  std::shared_ptr<Port> p;
  {
    std::lock_guard<std::mutex> g(g_mu);
    auto it = registry().find(ephnd);
    if (it == registry().end()) return fail(EBADF);
    p = std::move(it->second);
    registry().erase(it);
  }
  p->close();  // waiters return; the reactor is torn down when the last caller lets go
  p.reset();
  WSACleanup();
  return 0;
}

int epoll_ctl(HANDLE ephnd, int op, SOCKET sock, struct epoll_event* event) {
  std::shared_ptr<Port> p = find(ephnd);
  if (!p) return fail(EBADF);
  const int err = p->ctl(op, sock, event);
  return err ? fail(err) : 0;
}

int epoll_wait(HANDLE ephnd, struct epoll_event* events, int maxevents, int timeout) {
  std::shared_ptr<Port> p = find(ephnd);
  if (!p) return fail(EBADF);
  if (maxevents <= 0) return fail(EINVAL);
  if (!events) return fail(EFAULT);
  const int n = p->wait(events, maxevents, timeout);
  return n < 0 ? fail(-n) : n;
}

}  // extern "C"

// For the port's own tests (not exported from the DLL): the reactor's counters of a port.
int uvafd_epoll_stats(HANDLE ephnd, uvafd_stats* out, uint64_t* misrouted) {
  std::shared_ptr<Port> p = find(ephnd);
  if (!p) return EBADF;
  return p->stats(out, misrouted);
}
