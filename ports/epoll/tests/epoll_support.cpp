#include "epoll_support.h"

#include <catch.hpp>

#include <chrono>

#ifndef UVAFD_EPOLL_NO_STATS
int uvafd_epoll_stats(HANDLE ephnd, uvafd_stats* out, uint64_t* misrouted);
#endif

namespace ep {

void winsock_init() {
  static bool done = [] {
    WSADATA d;
    return WSAStartup(MAKEWORD(2, 2), &d) == 0;
  }();
  REQUIRE(done);
}

static sockaddr_in bind_loopback(SOCKET s) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  int len = sizeof a;
  REQUIRE(getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  return a;
}

static void nonblocking(SOCKET s) {
  u_long on = 1;
  REQUIRE(ioctlsocket(s, FIONBIO, &on) == 0);
}

TcpPair tcp_pair() {
  winsock_init();
  SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  REQUIRE(l != INVALID_SOCKET);
  sockaddr_in a = bind_loopback(l);
  REQUIRE(listen(l, 1) == 0);
  TcpPair p;
  p.a = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  REQUIRE(connect(p.a, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  p.b = accept(l, nullptr, nullptr);
  REQUIRE(p.b != INVALID_SOCKET);
  closesocket(l);
  nonblocking(p.a);
  nonblocking(p.b);
  return p;
}

SOCKET udp_socket() {
  winsock_init();
  SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  REQUIRE(s != INVALID_SOCKET);
  bind_loopback(s);
  nonblocking(s);
  return s;
}

void send_to_self(SOCKET s) {
  sockaddr_in a{};
  int len = sizeof a;
  REQUIRE(getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  const char byte = 'x';
  REQUIRE(sendto(s, &byte, 1, 0, reinterpret_cast<sockaddr*>(&a), len) == 1);
}

void abortive_close(SOCKET s) {
  linger l{1, 0};
  setsockopt(s, SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l), sizeof l);
  closesocket(s);
}

int drain(SOCKET s) {
  char buf[4096];
  int total = 0;
  for (;;) {
    const int n = recv(s, buf, sizeof buf, 0);
    if (n <= 0) return total;
    total += n;
  }
}

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
