// Real loopback sockets under Wine: what each kind of readiness reports, level triggering,
// closesocket under a live registration, and bad input through the C API.
#include <catch.hpp>

#include "sockets.h"

using namespace uvafd_test;

TEST_CASE("wine: readable, writable, disconnect", "[wine][events]") {
  RealReactor r;
  TcpPair p = tcp_pair();
  uvafd_handle h = r.open(p.b);
  REQUIRE(r.reactor->poll_set_interest(h, UVAFD_WRITABLE) == 0);
  CHECK(r.wait_event(h, UVAFD_WRITABLE) == UVAFD_WRITABLE);

  REQUIRE(r.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  r.wait(0);
  r.wait(0);
  CHECK(r.events.empty());  // nothing to read yet
  REQUIRE(send(p.a, "ping", 4, 0) == 4);
  CHECK(r.wait_event(h, UVAFD_READABLE) == UVAFD_READABLE);
  CHECK(recv_all(p.b) == 4);

  REQUIRE(r.reactor->poll_set_interest(h, UVAFD_READABLE | UVAFD_DISCONNECT) == 0);
  shutdown(p.a, SD_SEND);  // the peer's FIN
  const uint32_t ev = r.wait_event(h, UVAFD_DISCONNECT);
  CHECK((ev & UVAFD_DISCONNECT) != 0);
  CHECK((ev & UVAFD_READABLE) != 0);  // recv() returns 0: readable, as libuv reports it
  REQUIRE(r.reactor->handle_close(h) == 0);
  closesocket(p.a);
  closesocket(p.b);
}

TEST_CASE("wine: a peer reset is reported", "[wine][events]") {
  RealReactor r;
  TcpPair p = tcp_pair();
  uvafd_handle h = r.open(p.b);
  REQUIRE(r.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  r.wait(0);
  abortive_close(p.a);
  const uint32_t ev = r.wait_event(h, UVAFD_READABLE);
  CHECK((ev & UVAFD_READABLE) != 0);
  char c;
  CHECK(recv(p.b, &c, 1, 0) <= 0);  // the reset (or EOF) is what makes it readable
  REQUIRE(r.reactor->handle_close(h) == 0);
  closesocket(p.b);
}

TEST_CASE("wine: pausing read interest with unread data and resuming reports at once",
          "[wine][level]") {
  RealReactor r;
  TcpPair p = tcp_pair();
  uvafd_handle h = r.open(p.b);
  REQUIRE(send(p.a, "abc", 3, 0) == 3);
  REQUIRE(r.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  CHECK(r.wait_event(h, UVAFD_READABLE) == UVAFD_READABLE);
  // Level-triggered: unread data is reported again on the next iterations.
  CHECK(r.wait_event(h, UVAFD_READABLE, 1000) == UVAFD_READABLE);
  REQUIRE(r.reactor->poll_set_interest(h, 0) == 0);
  r.events.clear();
  for (int i = 0; i < 3; ++i) r.wait(20);
  CHECK(r.events.empty());  // paused
  REQUIRE(r.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  r.events.clear();
  r.wait(2000);
  // The re-armed poll completes at once: the first wait after resuming reports it (it may
  // first have to take back the paused poll, so allow a second short one).
  if (r.events.empty()) r.wait(2000);
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].events == UVAFD_READABLE);
  CHECK(recv_all(p.b) == 3);
  REQUIRE(r.reactor->handle_close(h) == 0);
  closesocket(p.a);
  closesocket(p.b);
}

TEST_CASE("wine: closesocket under a live registration is LOCAL_CLOSE and frees the state",
          "[wine][close]") {
  RealReactor r;
  TcpPair p = tcp_pair();
  uvafd_handle h = r.open(p.b);
  REQUIRE(r.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  r.wait(0);
  REQUIRE(r.stats().requests_in_flight == 1);
  closesocket(p.b);  // the user closes the socket we are polling
  CHECK(r.wait_event(h, UVAFD_LOCAL_CLOSE) == UVAFD_LOCAL_CLOSE);
  CHECK(r.stats().requests_in_flight == 0);
  CHECK(r.reactor->poll_set_interest(h, UVAFD_READABLE) == UVAFD_EBADF);
  REQUIRE(r.reactor->handle_close(h) == 0);
  CHECK(r.stats().live_states == 0);
  closesocket(p.a);
}

TEST_CASE("wine: bad input through the C API", "[wine][badinput]") {
  winsock_init();
  uvafd_reactor* r = nullptr;
  REQUIRE(uvafd_reactor_create(nullptr, &r) == 0);
  uvafd_handle h{};
  CHECK(uvafd_poll_open(r, uintptr_t(INVALID_SOCKET), nullptr, &h) == UVAFD_EBADF);
  // A file handle is not a socket.
  char path[MAX_PATH];
  GetTempPathA(MAX_PATH, path);
  strcat(path, "uvafd-not-a-socket.txt");
  HANDLE file = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS,
                            FILE_FLAG_DELETE_ON_CLOSE, nullptr);
  REQUIRE(file != INVALID_HANDLE_VALUE);
  CHECK(uvafd_poll_open(r, reinterpret_cast<uintptr_t>(file), nullptr, &h) == UVAFD_ENOTSOCK);
  CloseHandle(file);
  // A socket that was closed.
  SOCKET closed = udp_socket();
  closesocket(closed);
  CHECK(uvafd_poll_open(r, uintptr_t(closed), nullptr, &h) == UVAFD_ENOTSOCK);
  CHECK(uvafd_poll_open(r, 0x12345678, nullptr, &h) == UVAFD_ENOTSOCK);
  CHECK(uvafd_poll_open(nullptr, 1, nullptr, &h) == UVAFD_EINVAL);
  uvafd_stats st{};
  REQUIRE(uvafd_reactor_stats(r, &st) == 0);
  CHECK(st.live_states == 0);

  SOCKET s = udp_socket();
  REQUIRE(uvafd_poll_open(r, uintptr_t(s), nullptr, &h) == 0);
  CHECK(uvafd_poll_set_interest(r, h, 0x80) == UVAFD_EINVAL);
  CHECK(uvafd_wake(r, h) == UVAFD_EBADF);
  REQUIRE(uvafd_poll_set_interest(r, h, UVAFD_READABLE) == 0);
  CHECK(uvafd_reactor_wait(r, 0, nullptr, nullptr) == 0);
  REQUIRE(uvafd_handle_close(r, h) == 0);
  CHECK(uvafd_handle_close(r, h) == UVAFD_EBADF);  // double close
  CHECK(uvafd_poll_set_interest(r, h, UVAFD_READABLE) == UVAFD_EBADF);
  CHECK(std::string(uvafd_strerror(UVAFD_ENOTSOCK)) == "not a socket");

  uvafd_handle w{};
  REQUIRE(uvafd_wakeup_open(r, nullptr, &w) == 0);
  REQUIRE(uvafd_reactor_close(r) == 0);  // teardown
  REQUIRE(uvafd_reactor_stats(r, &st) == 0);
  CHECK(st.live_states == 0);
  CHECK(st.zombies == 0);
  CHECK(st.helpers == 0);
  // Use after teardown: refused, nothing touched.
  CHECK(uvafd_poll_open(r, uintptr_t(s), nullptr, &h) == UVAFD_EBADF);
  CHECK(uvafd_wake(r, w) == UVAFD_EBADF);
  CHECK(uvafd_handle_close(r, w) == UVAFD_EBADF);
  CHECK(uvafd_reactor_wait(r, 0, nullptr, nullptr) == UVAFD_EBADF);
  CHECK(uvafd_reactor_close(r) == UVAFD_EBADF);
  REQUIRE(uvafd_reactor_destroy(r) == 0);
  closesocket(s);
}

TEST_CASE("wine: the C API delivers events with user data", "[wine][capi]") {
  winsock_init();
  uvafd_reactor* r = nullptr;
  uvafd_options o;
  uvafd_options_init(&o);
  o.helper_group_size = 1;
  REQUIRE(uvafd_reactor_create(&o, &r) == 0);
  SOCKET a = udp_socket(), b = udp_socket();
  int tag_a = 1, tag_b = 2;
  uvafd_handle ha{}, hb{};
  REQUIRE(uvafd_poll_open(r, uintptr_t(a), &tag_a, &ha) == 0);
  REQUIRE(uvafd_poll_open(r, uintptr_t(b), &tag_b, &hb) == 0);
  REQUIRE(uvafd_poll_set_interest(r, ha, UVAFD_READABLE) == 0);
  REQUIRE(uvafd_poll_set_interest(r, hb, UVAFD_READABLE) == 0);
  send_to_self(b);
  std::vector<uvafd_event> got;
  for (int i = 0; i < 100 && got.empty(); ++i)
    uvafd_reactor_wait(r, 50, [](void* arg, const uvafd_event* e) {
      static_cast<std::vector<uvafd_event>*>(arg)->push_back(*e);
    }, &got);
  REQUIRE(got.size() == 1);
  CHECK(got[0].user_data == &tag_b);
  CHECK(got[0].events == UVAFD_READABLE);
  uvafd_stats st{};
  uvafd_reactor_stats(r, &st);
  CHECK(st.helpers == 2);  // group size 1: one helper handle per socket
  REQUIRE(uvafd_reactor_destroy(r) == 0);
  closesocket(a);
  closesocket(b);
}

TEST_CASE("wine: a refused connect is writable with UVAFD_ERROR, not a poll failure",
          "[wine][events]") {
  RealReactor r;
  // A port nobody listens on: bind a socket to learn a free port, then close it.
  SOCKET probe = udp_socket();
  sockaddr_in addr{};
  int len = sizeof addr;
  getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
  closesocket(probe);
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  set_nonblocking(s);
  CHECK(connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0);
  uvafd_handle h = r.open(s);
  REQUIRE(r.reactor->poll_set_interest(h, UVAFD_WRITABLE) == 0);
  bool got = r.wait_until([&] {
    for (const uvafd_event& e : r.events) {
      CHECK(e.status == 0);  // the socket's error is not the poll's
      if (e.events & UVAFD_WRITABLE) {
        CHECK((e.events & UVAFD_ERROR) != 0);
        CHECK((e.events & UVAFD_CONNECT_FAILED) != 0);  // not a reset: epoll tells them apart
        return true;
      }
    }
    r.events.clear();
    return false;
  });
  CHECK(got);
  int err = 0, err_len = sizeof err;
  getsockopt(s, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&err), &err_len);
  CHECK(err == WSAECONNREFUSED);
  REQUIRE(r.reactor->handle_close(h) == 0);
  closesocket(s);
}

TEST_CASE("wine: a second handle to a registered socket is refused with EEXIST", "[wine][dup]") {
  // Two handle values, one socket: two polls in flight on it would lose events on Windows
  // (wepoll#35); Wine forgives it, so the refusal itself is what is checked.
  RealReactor r;
  TcpPair p = tcp_pair();
  const uvafd_handle h = r.open(p.b);
  REQUIRE(r.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  r.wait(0);

  HANDLE dup = nullptr;
  REQUIRE(DuplicateHandle(GetCurrentProcess(), reinterpret_cast<HANDLE>(p.b), GetCurrentProcess(),
                          &dup, 0, FALSE, DUPLICATE_SAME_ACCESS));
  uvafd_handle refused{};
  // Windows: the same socket, refused. Wine's winsock does not take a DuplicateHandle copy for
  // a socket at all (SO_TYPE fails: ENOTSOCK). Either way it is not registered.
  const int rc = r.reactor->poll_open(reinterpret_cast<uintptr_t>(dup), nullptr, &refused);
  CHECK((rc == UVAFD_EEXIST || rc == UVAFD_ENOTSOCK));

  WSAPROTOCOL_INFOW info;
  REQUIRE(WSADuplicateSocketW(p.b, GetCurrentProcessId(), &info) == 0);
  const SOCKET copy = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                                 &info, 0, WSA_FLAG_OVERLAPPED);
  REQUIRE(copy != INVALID_SOCKET);
  CHECK(r.reactor->poll_open(static_cast<uvafd::KHandle>(copy), nullptr, &refused) ==
        UVAFD_EEXIST);
  // Another socket is still welcome, and the original keeps working.
  const uvafd_handle other = r.open(p.a);
  CHECK(r.stats().active == 2);
  REQUIRE(send(p.a, "x", 1, 0) == 1);
  CHECK(r.wait_event(h, UVAFD_READABLE) == UVAFD_READABLE);

  // Once the first registration is closed, the copy may be registered.
  REQUIRE(r.reactor->handle_close(h) == 0);
  r.wait_until([&] { return r.stats().zombies == 0; });
  const uvafd_handle h2 = r.open(copy);
  REQUIRE(r.reactor->poll_set_interest(h2, UVAFD_READABLE) == 0);
  CHECK(r.wait_event(h2, UVAFD_READABLE) == UVAFD_READABLE);  // the byte is still unread
  REQUIRE(r.reactor->handle_close(h2) == 0);
  REQUIRE(r.reactor->handle_close(other) == 0);
  closesocket(copy);
  CloseHandle(dup);
  closesocket(p.a);
  closesocket(p.b);
}
