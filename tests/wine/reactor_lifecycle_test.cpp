// Zombies, one poll per base socket and teardown on the real kernel under Wine.
#include <catch.hpp>

#include <thread>

#include "sockets.h"

using namespace uvafd_test;

TEST_CASE("wine: closing with a request in flight makes a zombie freed by the completion",
          "[wine][zombie]") {
  RealReactor r;
  SOCKET s = udp_socket();
  uvafd_handle h = r.open(s);
  REQUIRE(r.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  r.wait(0);
  REQUIRE(r.stats().requests_in_flight == 1);
  REQUIRE(r.reactor->handle_close(h) == 0);
  // The cancellation's packet has not been dequeued: the kernel still owns the memory.
  CHECK(r.stats().zombies == 1);
  CHECK(r.stats().live_states == 1);
  CHECK(r.stats().active == 0);
  CHECK(r.reactor->peek(h)->lifecycle() == uvafd::Lifecycle::Zombie);
  CHECK(r.wait_until([&] { return r.stats().live_states == 0; }));
  CHECK(r.stats().zombies == 0);
  CHECK(r.events.empty());  // nothing reached the closed registration
  closesocket(s);
}

TEST_CASE("wine: re-registering a socket whose zombie is pending keeps one poll in flight",
          "[wine][zombie]") {
  RealReactor r;
  SOCKET s = udp_socket();
  for (int round = 0; round < 50; ++round) {
    uvafd_handle h = r.open(s);
    REQUIRE(r.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
    r.wait(0);
    REQUIRE(r.reactor->handle_close(h) == 0);  // zombie, its cancel in flight
    uvafd_handle h2 = r.open(s);
    REQUIRE(r.reactor->poll_set_interest(h2, UVAFD_READABLE) == 0);
    r.wait(0);  // must not arm before the zombie's packet is back
    CHECK(r.audit->max_in_flight_per_socket() == 1);
    if (round % 5 == 0) {
      send_to_self(s);
      CHECK(r.wait_event(h2, UVAFD_READABLE) == UVAFD_READABLE);
      recv_all(s);
    }
    REQUIRE(r.reactor->handle_close(h2) == 0);
  }
  CHECK(r.wait_until([&] { return r.stats().live_states == 0; }));
  CHECK(r.audit->second_poll_violations() == 0);
  CHECK(r.stats().max_requests_per_base == 1);
  closesocket(s);
}

TEST_CASE("wine: teardown with active registrations, zombies and queued wakeups",
          "[wine][teardown]") {
  std::vector<SOCKET> sockets;
  std::vector<TcpPair> pairs;
  {
    RealReactor r(4);
    std::vector<uvafd_handle> handles;
    for (int i = 0; i < 24; ++i) {
      sockets.push_back(udp_socket());
      handles.push_back(r.open(sockets.back()));
      REQUIRE(r.reactor->poll_set_interest(handles.back(), UVAFD_READABLE) == 0);
    }
    for (int i = 0; i < 4; ++i) {
      pairs.push_back(tcp_pair());
      uvafd_handle h = r.open(pairs.back().b);
      REQUIRE(r.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);  // nothing to read: pending
    }
    r.wait(0);
    CHECK(r.stats().requests_in_flight == 28);
    CHECK(r.stats().helpers == 7);
    for (int i = 0; i < 8; ++i) REQUIRE(r.reactor->handle_close(handles[size_t(i)]) == 0);
    closesocket(sockets[8]);  // closed by the user under a live registration
    sockets[8] = INVALID_SOCKET;
    std::vector<uvafd_handle> wakers(3);
    for (auto& w : wakers) {
      REQUIRE(r.reactor->wakeup_open(nullptr, &w) == 0);
      REQUIRE(r.reactor->wake(w) == 0);
    }
    REQUIRE(r.reactor->handle_close(wakers[0]) == 0);  // zombie with a queued packet
    CHECK(r.stats().zombies >= 8);
    REQUIRE(r.reactor->close() == 0);
    const uvafd_stats s = r.stats();
    CHECK(s.live_states == 0);
    CHECK(s.zombies == 0);
    CHECK(s.requests_in_flight == 0);
    CHECK(s.wake_packets_in_flight == 0);
    CHECK(s.helpers == 0);
    CHECK(s.leaked_on_teardown == 0);
  }  // RealReactor's destructor checks the audit: nothing left in flight
  for (SOCKET s : sockets)
    if (s != INVALID_SOCKET) closesocket(s);
  for (auto& p : pairs) {
    closesocket(p.a);
    closesocket(p.b);
  }
}
