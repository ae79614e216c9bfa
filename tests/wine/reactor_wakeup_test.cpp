// Cross-thread wakeups on NtSetIoCompletion: coalesced, never lost.
#include <catch.hpp>

#include <atomic>
#include <thread>

#include "sockets.h"
#include "test_access.h"
#include "wake_storm.h"

using namespace uvafd_test;

TEST_CASE("wine: wakeups from 4 threads are coalesced yet never lost", "[wine][wake]") {
  RealReactor r;
  uvafd_handle w{};
  REQUIRE(r.reactor->wakeup_open(&r, &w) == 0);
  constexpr int kThreads = 4, kPerThread = 5000;
  const WakeStorm storm = wake_storm(*r.reactor, w, kThreads, kPerThread, 100);
  CHECK(storm.errors == 0);
  CHECK(storm.sent == uint64_t(kThreads) * kPerThread);
  CHECK(storm.seen == storm.sent);
  const uvafd_stats s = r.stats();
  CHECK(s.wakes_requested == storm.sent);
  CHECK(s.nt_post + s.wakes_coalesced == s.wakes_requested);
  CHECK(s.nt_post == storm.deliveries);
  CHECK(s.wakes_coalesced > 0);  // four busy senders against one reactor must coalesce
  INFO("posts " << s.nt_post << ", coalesced " << s.wakes_coalesced);
  REQUIRE(r.reactor->handle_close(w) == 0);
}

TEST_CASE("wine: a wake packet carries a whole ULONG_PTR", "[wine][wake]") {
  // The generation travels in the packet's Information word, a ULONG_PTR: 64 bits on x64, 32
  // on x86. NtSetIoCompletion must give back every bit of it (GetQueuedCompletionStatusEx would
  // cut it to 32 bits on x64 too).
  int err = 0;
  auto k = uvafd::make_nt_kernel(&err);
  REQUIRE(k);
  uvafd::KHandle port = 0;
  REQUIRE(k->create_port(&port) == 0);
  const uintptr_t big = ~uintptr_t(0) ^ uintptr_t(0x6543210f);  // high bits set on both
  int marker = 0;
  REQUIRE(k->post_packet(port, uvafd::kKeyWake, &marker, 0, big) == 0);
  uvafd::Completion c[4];
  uint32_t n = 0;
  REQUIRE(k->dequeue_batch(port, c, 4, &n, 1000) == 0);
  REQUIRE(n == 1);
  CHECK(c[0].information == big);
  CHECK(c[0].context == &marker);
  CHECK(c[0].key == uvafd::kKeyWake);
  // STATUS_TIMEOUT with nothing queued: the count is ours to trust, not Wine's.
  n = 77;
  CHECK(k->dequeue_batch(port, c, 4, &n, 10) == uvafd::kStatusTimeout);
  CHECK(n == 0);
  k->close_handle(port);
}

TEST_CASE("wine: wakeups are delivered once generations pass 2^32", "[wine][wake][x86]") {
  // On x86 the packet carries only the generation's low 32 bits; a reactor comparing all 64
  // would drop every wake from the 2^32nd registration on as misrouted.
  RealReactor r;
  uvafd::StateSlabTestAccess::set_next_generation(uvafd::ReactorTestAccess::slab(*r.reactor),
                                                  (uint64_t(1) << 32) - 1);
  for (int i = 0; i < 3; ++i) {  // generations 2^32 - 1, 2^32, 2^32 + 1
    uvafd_handle w{};
    REQUIRE(r.reactor->wakeup_open(nullptr, &w) == 0);
    INFO("generation " << w.generation);
    REQUIRE(r.reactor->wake(w) == 0);
    r.events.clear();
    REQUIRE(r.wait(5000) == 1);
    CHECK(r.events[0].events == UVAFD_WAKEUP);
    CHECK(r.events[0].handle.generation == w.generation);
    CHECK(r.stats().misrouted == 0);
    REQUIRE(r.reactor->handle_close(w) == 0);
  }
  CHECK(r.stats().wakes_delivered == 3);
}

TEST_CASE("wine: a wait of INT64_MAX blocks until a wake from another thread",
          "[wine][wake][timeout]") {
  // INT64_MAX ms does not fit in NT's 100 ns units: it means forever. Wrapped, it became a
  // time in the past and the wait returned at once.
  RealReactor r;
  uvafd_handle w{};
  REQUIRE(r.reactor->wakeup_open(nullptr, &w) == 0);
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    r.reactor->wake(w);
  });
  const auto start = std::chrono::steady_clock::now();
  const int n = r.wait(INT64_MAX);  // one call, no retry loop
  const auto waited = std::chrono::steady_clock::now() - start;
  t.join();
  REQUIRE(n == 1);
  CHECK(r.events[0].events == UVAFD_WAKEUP);
  CHECK(waited >= std::chrono::milliseconds(200));
  REQUIRE(r.reactor->handle_close(w) == 0);
}

TEST_CASE("wine: a wake from another thread ends a blocking wait", "[wine][wake]") {
  RealReactor r;
  uvafd_handle w{};
  REQUIRE(r.reactor->wakeup_open(nullptr, &w) == 0);
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    r.reactor->wake(w);
  });
  const auto start = std::chrono::steady_clock::now();
  int n = 0;
  while (n == 0) n = r.wait(-1);  // blocks forever unless the wake arrives
  t.join();
  CHECK(n == 1);
  CHECK(r.events[0].events == UVAFD_WAKEUP);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(150));
  REQUIRE(r.reactor->handle_close(w) == 0);
}
