// What the libuv-layer tests share: a loop that closes every handle and must close cleanly at
// the end, a log of callback names, and loopback sockets made with plain winsock (the
// "foreign" sockets a uv_poll_t watches).
#pragma once

#include <catch.hpp>

#include <winsock2.h>

#include <string>
#include <vector>

#include "uv.h"

namespace compat_test {

inline std::vector<std::string>* g_log;

inline void log(const std::string& s) { g_log->push_back(s); }

struct Loop {
  uv_loop_t loop;
  std::vector<std::string> events;
  Loop() {
    g_log = &events;
    REQUIRE(uv_loop_init(&loop) == 0);
  }
  ~Loop() {
    uv_walk(&loop, [](uv_handle_t* h, void*) {
      if (!uv_is_closing(h)) uv_close(h, nullptr);
    }, nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
};

// Binds s to 127.0.0.1 on a port the system picks; returns the address.
inline sockaddr_in bind_loopback(SOCKET s) {
  WSADATA wsa;
  WSAStartup(MAKEWORD(2, 2), &wsa);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  int len = sizeof addr;
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  return addr;
}

inline void tcp_pair(SOCKET* a, SOCKET* b) {
  WSADATA wsa;
  WSAStartup(MAKEWORD(2, 2), &wsa);
  SOCKET l = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = bind_loopback(l);
  listen(l, 1);
  *a = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(connect(*a, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  *b = accept(l, nullptr, nullptr);
  closesocket(l);
}

}  // namespace compat_test
