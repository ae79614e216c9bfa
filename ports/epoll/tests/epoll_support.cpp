#include "epoll_support.h"

#include <catch.hpp>

#include <chrono>

#ifndef UVAFD_EPOLL_NO_STATS
int uvafd_epoll_stats(HANDLE ephnd, uvafd_stats* out, uint64_t* misrouted);
#endif

namespace ep {


epoll_event ev(uint32_t events, uint64_t tag) {
  epoll_event e{};
  e.events = events;
  e.data.u64 = tag;
  return e;
}

std::vector<epoll_event> wait(HANDLE port, int timeout_ms, int maxevents) {
  std::vector<epoll_event> out(static_cast<size_t>(maxevents));
  const int n = epoll_wait(port, out.data(), maxevents, timeout_ms);
  REQUIRE(n >= 0);
  out.resize(size_t(n));
  return out;
}

uint32_t wait_for(HANDLE port, uint64_t tag, int timeout_ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    for (const epoll_event& e : wait(port, 50))
      if (e.data.u64 == tag) return e.events;
  }
  return 0;
}

bool stats(HANDLE port, uvafd_stats* out, uint64_t* misrouted) {
#ifdef UVAFD_EPOLL_NO_STATS
  (void)port, (void)out, (void)misrouted;
  return false;
#else
  return uvafd_epoll_stats(port, out, misrouted) == 0;
#endif
}

}  // namespace ep
