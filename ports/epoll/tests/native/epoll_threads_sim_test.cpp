// The epoll port's thread rule (epoll_port.h) on the simulated kernel, where ThreadSanitizer can
// watch it: the native-tsan tree (tools/test.sh) runs these under TSan, the native tree under
// ASan. Each case is a promise wepoll makes to threads sharing one port, with a waiter blocked
// in the reactor (no mu_) while other threads wait or change the set.
#include <catch.hpp>

#include <errno.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "afd_events.h"
#include "epoll_scene.h"

namespace {

using Scene = uvafd_test::EpollScene;
using uvafd_epoll::Port;

void pause_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace

// The second waiter reads the port's clock of reactor waits (refresh_stale_reports) while the
// first is in the reactor: the first must have advanced it under mu_, before it let go.
TEST_CASE("epoll threads sim: a second waiter while the first is in the reactor",
          "[epoll][threads]") {
  Scene sc;
  const SOCKET a = sc.k.socket_create(), b = sc.k.socket_create();
  REQUIRE(sc.ctl(EPOLL_CTL_ADD, a, EPOLLIN, 1) == 0);
  REQUIRE(sc.ctl(EPOLL_CTL_ADD, b, EPOLLIN, 2) == 0);
  // Two level-triggered reports, one taken: the other is a leftover for the next call.
  sc.k.socket_add_ready(a, uvafd::kAfdReceive);
  sc.k.socket_add_ready(b, uvafd::kAfdReceive);
  epoll_event out[4];
  int n = 0;
  for (int i = 0; i < 8 && n == 0; ++i) n = sc.port->wait(out, 1, 0);
  REQUIRE(n == 1);
  sc.k.socket_clear_ready(a, uvafd::kAfdReceive);
  sc.k.socket_clear_ready(b, uvafd::kAfdReceive);
  std::atomic<int> first{-2};
  std::thread waiter([&] {
    epoll_event got[4];
    first = sc.port->wait(got, 4, 2000);
  });
  pause_ms(50);  // the waiter is in the reactor by now
  // Its own 0 ms call: the leftover is stale (nothing is ready now) and another thread owns
  // the reactor, so it goes, unreported.
  CHECK(sc.port->wait(out, 4, 0) == 0);
  sc.k.socket_add_ready(b, uvafd::kAfdReceive);  // completes the waiter's poll
  waiter.join();
  CHECK(first == 1);
  sc.k.socket_close(a);
  sc.k.socket_close(b);
}

// ADD, MOD and DEL from another thread reach a waiter blocked forever: each wakes it
// (uvafd_wake), takes the reactor and hands it back.
TEST_CASE("epoll threads sim: ctl from another thread while a waiter blocks forever",
          "[epoll][threads]") {
  Scene sc;
  constexpr int kSockets = 16;
  std::vector<SOCKET> socks;
  for (int i = 0; i < kSockets; ++i) socks.push_back(sc.k.socket_create());
  std::atomic<bool> stop{false};
  std::mutex seen_mu;
  std::set<uint64_t> seen;
  std::thread waiter([&] {
    epoll_event got[8];
    while (!stop) {
      const int n = sc.port->wait(got, 8, -1);
      if (n < 0) break;
      std::lock_guard<std::mutex> lk(seen_mu);
      for (int i = 0; i < n; ++i) seen.insert(got[i].data.u64);
    }
  });
  for (int i = 0; i < kSockets; ++i) {
    REQUIRE(sc.ctl(EPOLL_CTL_ADD, socks[i], EPOLLIN | EPOLLONESHOT, 100 + i) == 0);
    REQUIRE(sc.ctl(EPOLL_CTL_MOD, socks[i], EPOLLIN | EPOLLONESHOT, i) == 0);
    sc.k.socket_add_ready(socks[i], uvafd::kAfdReceive);
  }
  // Every socket fires once (ONESHOT), with the tag MOD gave it.
  for (int tries = 0; tries < 400; ++tries) {
    {
      std::lock_guard<std::mutex> lk(seen_mu);
      if (seen.size() == size_t(kSockets)) break;
    }
    pause_ms(5);
  }
  for (int i = 0; i < kSockets; ++i) CHECK(sc.ctl(EPOLL_CTL_DEL, socks[i], 0, 0) == 0);
  stop = true;
  const SOCKET last = sc.k.socket_create();  // its report returns the waiter
  REQUIRE(sc.ctl(EPOLL_CTL_ADD, last, EPOLLIN, 999) == 0);
  sc.k.socket_add_ready(last, uvafd::kAfdReceive);
  waiter.join();
  sc.k.socket_close(last);
  std::lock_guard<std::mutex> lk(seen_mu);
  seen.erase(999);
  CHECK(seen.size() == size_t(kSockets));
  CHECK(*seen.begin() == 0);
  CHECK(*seen.rbegin() == uint64_t(kSockets - 1));
  for (SOCKET s : socks) sc.k.socket_close(s);
}

// Four waiters share level-triggered and ONESHOT sockets while a fifth thread flips their
// readiness: each ONESHOT firing goes to one waiter, and the port's lists stay consistent.
TEST_CASE("epoll threads sim: four waiters, leftovers and ONESHOT re-arms", "[epoll][threads]") {
  Scene sc;
  constexpr int kSockets = 32, kThreads = 4, kRounds = 40;
  std::vector<SOCKET> socks;
  for (int i = 0; i < kSockets; ++i) {
    socks.push_back(sc.k.socket_create());
    const uint32_t mode = i % 2 ? EPOLLONESHOT : 0;
    REQUIRE(sc.ctl(EPOLL_CTL_ADD, socks.back(), EPOLLIN | mode, i) == 0);
  }
  std::atomic<int> oneshots{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> waiters;
  for (int t = 0; t < kThreads; ++t)
    waiters.emplace_back([&] {
      epoll_event got[3];  // smaller than what is ready: leftovers for the next call
      while (!stop) {
        const int n = sc.port->wait(got, 3, 20);
        if (n < 0) return;
        for (int i = 0; i < n; ++i)
          if (got[i].data.u64 % 2) ++oneshots;
      }
    });
  int rearmed = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kSockets; ++i) sc.k.socket_add_ready(socks[i], uvafd::kAfdReceive);
    pause_ms(2);
    // The ONESHOT ones that fired are armed again, from this thread, while waiters wait.
    for (int i = 1; i < kSockets; i += 2)
      if (sc.ctl(EPOLL_CTL_MOD, socks[i], EPOLLIN | EPOLLONESHOT, i) == 0) ++rearmed;
    for (int i = 0; i < kSockets; i += 4) sc.k.socket_clear_ready(socks[i], uvafd::kAfdReceive);
  }
  stop = true;
  for (auto& w : waiters) w.join();
  CHECK(rearmed == kRounds * kSockets / 2);
  // A ONESHOT socket fires at most once per arming (the ADD's and each MOD's).
  CHECK(oneshots <= (kRounds + 1) * kSockets / 2);
  CHECK(oneshots > 0);
  CHECK(sc.port->broken_invariants() == 0);
  for (SOCKET s : socks) sc.k.socket_close(s);
}

// epoll_close while an epoll_ctl waits for a waiter in the reactor to leave it: the waiter
// returns (closing), then the ctl and the close race for mu_. When the close looked first and
// went back to sleep for the ctl, the ctl's EBADF must still wake it, or epoll_close never
// returns. The wake packet is held in the kernel until all three are in place; the race itself
// is a coin flip, so it is run 24 times.
TEST_CASE("epoll threads sim: epoll_close returns while an epoll_ctl waits for the reactor",
          "[epoll][threads]") {
  for (int round = 0; round < 24; ++round) {
    INFO("round " << round);
    uvafd::SimKernel& k = uvafd_test::sim_world_kernel();
    Port* port = nullptr;
    REQUIRE(Port::create(&port) == 0);
    const SOCKET s = k.socket_create();
    std::thread waiter([&] {
      epoll_event got[4];
      port->wait(got, 4, -1);
    });
    pause_ms(5);  // in the reactor by now
    k.set_hold_packets(true);  // the ctl's wake stays in the kernel
    std::atomic<int> ctl_rc{-1};
    std::thread ctl([&] {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ctl_rc = port->ctl(EPOLL_CTL_ADD, s, &ev);
    });
    pause_ms(5);
    std::atomic<bool> closed{false};
    std::thread closer([&] {
      port->close();
      closed = true;
    });
    pause_ms(5);
    k.set_hold_packets(false);
    k.release_packets(SIZE_MAX, false);
    for (int i = 0; i < 400 && !closed; ++i) pause_ms(5);
    if (!closed) {
      // The threads cannot be joined: say so and end the program (a failure either way).
      FAIL_CHECK("epoll_close did not return within 2 s (round " << round << ")");
      std::fflush(nullptr);
      std::_Exit(3);
    }
    waiter.join();
    ctl.join();
    closer.join();
    CHECK((ctl_rc == 0 || ctl_rc == EBADF));
    delete port;
    k.socket_close(s);
  }
}

// The waiter in the reactor is brought out by a wakeup packet. When posting it fails (the
// kernel is short of memory), epoll_ctl and epoll_close must try again, not wait for a packet
// that will never come (found by review).
TEST_CASE("epoll threads sim: a failed wake is sent again", "[epoll][threads]") {
  for (const bool closing : {false, true}) {
    INFO((closing ? "epoll_close" : "epoll_ctl"));
    uvafd::SimKernel& k = uvafd_test::sim_world_kernel();
    Port* port = nullptr;
    REQUIRE(Port::create(&port) == 0);
    const SOCKET s = k.socket_create();
    std::thread waiter([&] {
      epoll_event got[4];
      port->wait(got, 4, -1);
    });
    pause_ms(5);  // in the reactor by now
    k.fail_next_post(uvafd::kStatusNoMemory);
    std::atomic<bool> done{false};
    std::thread caller([&] {
      if (closing) {
        port->close();
      } else {
        epoll_event ev{};
        ev.events = EPOLLIN;
        CHECK(port->ctl(EPOLL_CTL_ADD, s, &ev) == 0);
      }
      done = true;
    });
    for (int i = 0; i < 400 && !done; ++i) pause_ms(5);
    if (!done) {
      FAIL_CHECK("the call did not return within 2 s");
      std::fflush(nullptr);
      std::_Exit(3);
    }
    caller.join();
    if (!closing) port->close();
    waiter.join();
    delete port;
    k.socket_close(s);
  }
}
