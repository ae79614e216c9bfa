// Issue 17 on the real kernel: the allocation-failure sweeps of tests/support/alloc_sweep.h
// (every allocation behind each C API call failed in turn) with loopback TCP sockets under
// Wine. The simulated kernel's run (tests/native/alloc_failure_test.cpp) adds ASan and the
// kernel failures only it can force.
#include <catch.hpp>

#include <map>

#include "alloc_sweep.h"
#include "loopback.h"

namespace {

using namespace uvafd_test;

struct WineWorld {
  std::map<uintptr_t, SOCKET> peers;
  uintptr_t open_socket() {
    const TcpPair p = tcp_pair();
    peers[uintptr_t(p.a)] = p.b;
    return uintptr_t(p.a);
  }
  void make_readable(uintptr_t s) { REQUIRE(send(peers.at(s), "x", 1, 0) == 1); }
  void close_socket(uintptr_t s) {
    auto it = peers.find(s);
    if (it == peers.end()) return;
    closesocket(SOCKET(s));
    closesocket(it->second);
    peers.erase(it);
  }
};

}  // namespace

TEST_CASE("alloc sweep (Wine): uvafd_reactor_create") {
  WineWorld w;
  CHECK(sweep_create(w) > 0);
}

TEST_CASE("alloc sweep (Wine): uvafd_poll_open, first, at a helper boundary, growing the slab") {
  WineWorld w;
  CHECK(sweep_first_poll_open(w) > 0);
  CHECK(sweep_poll_open(w, 31) > 0);
  CHECK(sweep_poll_open(w, 255) > 0);
}

TEST_CASE("alloc sweep (Wine): uvafd_wakeup_open growing the slab") {
  WineWorld w;
  CHECK(sweep_wakeup_open(w, 255) > 0);
}

TEST_CASE("alloc sweep (Wine): set_interest, wake, handle_close and wait allocate nothing") {
  WineWorld w;
  CHECK(sweep_set_interest(w) == 0);
  CHECK(sweep_wake(w) == 0);
  CHECK(sweep_handle_close(w, false) == 0);
  CHECK(sweep_handle_close(w, true) == 0);
  CHECK(sweep_wait(w, [](Scene&) { return true; }) == 0);
}

TEST_CASE("alloc sweep (Wine): teardown with zombies and queued wakes") {
  WineWorld w;
  CHECK(sweep_teardown(w, false) == 0);
  CHECK(sweep_teardown(w, true) == 0);
}
