#include "loopback.h"

#include <catch.hpp>

namespace uvafd_test {

void winsock_init() {
  static bool done = false;
  if (done) return;
  WSADATA data;
  REQUIRE(WSAStartup(MAKEWORD(2, 2), &data) == 0);
  done = true;
}

namespace {

// Binds to 127.0.0.1 on a port the system picks; returns the address it got.
sockaddr_in bind_loopback(SOCKET s) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  int len = sizeof addr;
  REQUIRE(getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  return addr;
}

}  // namespace

void set_nonblocking(SOCKET s) {
  u_long on = 1;
  REQUIRE(ioctlsocket(s, FIONBIO, &on) == 0);
}

TcpPair tcp_pair() {
  winsock_init();
  SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  REQUIRE(listener != INVALID_SOCKET);
  sockaddr_in addr = bind_loopback(listener);
  REQUIRE(listen(listener, 1) == 0);
  TcpPair p;
  p.a = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  REQUIRE(p.a != INVALID_SOCKET);
  REQUIRE(connect(p.a, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  p.b = accept(listener, nullptr, nullptr);
  REQUIRE(p.b != INVALID_SOCKET);
  closesocket(listener);
  set_nonblocking(p.a);
  set_nonblocking(p.b);
  return p;
}

SOCKET udp_socket() {
  winsock_init();
  SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  REQUIRE(s != INVALID_SOCKET);
  bind_loopback(s);
  set_nonblocking(s);
  return s;
}

void send_to_self(SOCKET s) {
  sockaddr_in addr{};
  int len = sizeof addr;
  REQUIRE(getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const char byte = 'x';
  REQUIRE(sendto(s, &byte, 1, 0, reinterpret_cast<sockaddr*>(&addr), len) == 1);
}

void abortive_close(SOCKET s) {
  linger l{1, 0};
  setsockopt(s, SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l), sizeof l);
  closesocket(s);
}

int recv_all(SOCKET s) {
  char buf[4096];
  int total = 0;
  for (;;) {
    const int n = recv(s, buf, sizeof buf, 0);
    if (n <= 0) return total;
    total += n;
  }
}

}  // namespace uvafd_test
