// Embedded wakeup sources (sources.cpp) against SimKernel: coalescing (until the caller rearms a
// delivered source), identity, the release of a source closed with its packet in flight
// (dequeued, or never posted), teardown, a shared port's foreign packets, and senders racing
// the loop and a close.
#include <catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "reactor.h"
#include "sim_fixture.h"
#include "sim_kernel.h"
#include "test_access.h"
#include "wake_storm.h"

using namespace uvafd;
using namespace uvafd_test;

namespace {

// The source inside a caller's struct, as uv_async_t holds it: the events name the source,
// and the caller finds itself from there.
struct Caller {
  int id = 0;
  uvafd_source source{};
};

// The generation half of a source's word (uvafd/reactor.h: above two state bits).
uint64_t generation_of(const uvafd_source& src) { return uint64_t(src.word >> 2); }

int count(const std::vector<uvafd_event>& events, const uvafd_source* src, uint32_t bits) {
  int n = 0;
  for (const uvafd_event& e : events)
    if (e.user_data == src && e.events == bits) ++n;
  return n;
}

}  // namespace

TEST_CASE("source: wakes coalesce into one delivery naming the source", "[sim][source]") {
  Fixture f;
  Caller c;
  REQUIRE(f.reactor->source_open(&c.source) == 0);
  CHECK(f.wait() == 0);
  for (int i = 0; i < 5; ++i) REQUIRE(f.reactor->source_wake(&c.source) == 0);
  CHECK(f.kernel.queued_packets() == 1);  // one packet in flight per source
  REQUIRE(f.wait() == 1);
  CHECK(count(f.events, &c.source, UVAFD_WAKEUP) == 1);
  CHECK(f.events[0].handle.generation == generation_of(c.source));
  CHECK(f.wait() == 0);
  REQUIRE(f.reactor->source_rearm(&c.source) == 0);  // the caller acts on it: idle again
  REQUIRE(f.reactor->source_wake(&c.source) == 0);  // a new packet
  REQUIRE(f.wait() == 1);
  CHECK(f.stats().wakes_delivered == 2);
  CHECK(f.stats().live_states == 0);  // no reactor memory for it, woken or not
  REQUIRE(f.reactor->source_close(&c.source) == 0);
  CHECK(c.source.word == 0);
}

TEST_CASE("source: a wake sent after the rearm posts again", "[sim][source]") {
  Fixture f;
  Caller c;
  REQUIRE(f.reactor->source_open(&c.source) == 0);
  REQUIRE(f.reactor->source_wake(&c.source) == 0);
  struct Ctx {
    Reactor* r;
    uvafd_source* src;
    int rearm = 1, rc = 1;
  } ctx{f.reactor.get(), &c.source};
  // Rearmed and woken from the callback itself, as a loop that acts on it there would.
  REQUIRE(f.reactor->wait(0, [](void* a, const uvafd_event*) {
    auto* x = static_cast<Ctx*>(a);
    x->rearm = x->r->source_rearm(x->src);
    x->rc = x->r->source_wake(x->src);
  }, &ctx) == 1);
  CHECK(ctx.rearm == 0);
  CHECK(ctx.rc == 0);
  REQUIRE(f.wait() == 1);  // the source was idle before the wake: it was not lost
  CHECK(count(f.events, &c.source, UVAFD_WAKEUP) == 1);
  REQUIRE(f.reactor->source_close(&c.source) == 0);
}

// libuv's uv_async_t clears async_sent only just before async_cb: sends made after the loop
// dequeued the wakeup and before the callback runs are covered by that callback. A source idle
// again at delivery would post a second packet for them, and the caller would hear twice.
TEST_CASE("source: wakes between a delivery and its rearm post nothing and are covered by it",
          "[sim][source]") {
  Fixture f;
  Caller c;
  REQUIRE(f.reactor->source_open(&c.source) == 0);
  REQUIRE(f.reactor->source_wake(&c.source) == 0);
  REQUIRE(f.wait() == 1);
  for (int i = 0; i < 3; ++i) REQUIRE(f.reactor->source_wake(&c.source) == 0);
  CHECK(f.kernel.queued_packets() == 0);  // taken: coalesced into the delivery
  CHECK(f.wait() == 0);
  REQUIRE(f.reactor->source_rearm(&c.source) == 0);
  CHECK(f.reactor->source_rearm(&c.source) == UVAFD_EINVAL);  // not taken any more
  CHECK(f.wait() == 0);  // the rearm posts nothing by itself
  REQUIRE(f.reactor->source_wake(&c.source) == 0);
  CHECK(f.kernel.queued_packets() == 1);
  REQUIRE(f.wait() == 1);
  CHECK(f.stats().wakes_delivered == 2);
  REQUIRE(f.reactor->source_close(&c.source) == 0);
}

TEST_CASE("source: rearm is refused before a delivery, with a packet in flight, and after close",
          "[sim][source]") {
  Fixture f;
  Caller c;
  REQUIRE(f.reactor->source_open(&c.source) == 0);
  CHECK(f.reactor->source_rearm(&c.source) == UVAFD_EINVAL);  // idle
  REQUIRE(f.reactor->source_wake(&c.source) == 0);
  CHECK(f.reactor->source_rearm(&c.source) == UVAFD_EINVAL);  // its packet is in the port
  CHECK(f.kernel.queued_packets() == 1);
  REQUIRE(f.wait() == 1);
  // A taken source closes at once: its packet is out of the port, nothing can name it.
  REQUIRE(f.reactor->source_close(&c.source) == 0);
  CHECK(c.source.word == 0);
  CHECK(f.reactor->source_rearm(&c.source) == UVAFD_EBADF);
  CHECK(f.reactor->source_rearm(nullptr) == UVAFD_EINVAL);
  CHECK(f.wait() == 0);
}

TEST_CASE("source: closed with its packet queued, it is released by that packet", "[sim][source]") {
  Fixture f;
  Caller c;
  REQUIRE(f.reactor->source_open(&c.source) == 0);
  const uint64_t generation = generation_of(c.source);
  REQUIRE(f.reactor->source_wake(&c.source) == 0);
  REQUIRE(f.reactor->source_close(&c.source) == 1);  // in flight: not the caller's yet
  CHECK(f.reactor->source_wake(&c.source) == UVAFD_EBADF);
  CHECK(f.reactor->source_close(&c.source) == UVAFD_EBADF);
  REQUIRE(f.wait() == 1);
  REQUIRE(f.events.size() == 1);
  CHECK(f.events[0].events == UVAFD_RELEASED);  // no wakeup for a closed source
  CHECK(f.events[0].user_data == &c.source);
  CHECK(f.events[0].handle.generation == generation);
  CHECK(c.source.word == 0);
  CHECK(f.wait() == 0);

  // Reused at once, from the released memory: a new generation, nothing stale arrives.
  REQUIRE(f.reactor->source_open(&c.source) == 0);
  CHECK(generation_of(c.source) > generation);
  CHECK(f.wait() == 0);
  REQUIRE(f.reactor->source_close(&c.source) == 0);
}

TEST_CASE("source: a failed post gives the bit back; a closed source is released anyway",
          "[sim][source]") {
  Fixture f;
  Caller c;
  REQUIRE(f.reactor->source_open(&c.source) == 0);
  f.kernel.fail_next_post(kStatusNoMemory);
  CHECK(f.reactor->source_wake(&c.source) == UVAFD_ENOMEM);
  REQUIRE(f.reactor->source_wake(&c.source) == 0);  // the next wake posts
  REQUIRE(f.wait() == 1);
  REQUIRE(f.reactor->source_rearm(&c.source) == 0);

  // The race the list exists for: the sender has set the bit and its post then fails, after
  // the loop closed the source (here the bit is set by hand, as that sender would have).
  c.source.word |= 1;
  REQUIRE(f.reactor->source_close(&c.source) == 1);
  c.source.word &= ~uint64_t(1);  // the sender gives the bit back: no packet will come
  REQUIRE(f.wait(-1) == 1);       // not a wait forever: the list is looked at again
  CHECK(f.events[0].events == UVAFD_RELEASED);
  CHECK(c.source.word == 0);
}

TEST_CASE("source: other packets on the port stay foreign", "[sim][source]") {
  Fixture f;
  Caller c;
  REQUIRE(f.reactor->source_open(&c.source) == 0);
  std::vector<uvafd_packet> foreign;
  uvafd_port_hooks hooks{};
  hooks.foreign_packet = [](void* a, const uvafd_packet* p) {
    static_cast<std::vector<uvafd_packet>*>(a)->push_back(*p);
  };
  hooks.arg = &foreign;
  REQUIRE(f.reactor->set_port_hooks(&hooks) == 0);
  // Another library posts to the shared port with its own keys, even one naming our source's
  // memory: only the reactor's source key makes a packet the source's.
  REQUIRE(f.kernel.post_packet(f.reactor->port(), 0, &c.source, kStatusSuccess, 0) == 0);
  REQUIRE(f.kernel.post_packet(f.reactor->port(), kKeyWake, &c.source, kStatusSuccess, 0) == 0);
  REQUIRE(f.wait() == 2);
  CHECK(foreign.size() == 2);
  CHECK(f.events.empty());
  REQUIRE(f.reactor->source_close(&c.source) == 0);
}

TEST_CASE("source: teardown waits for the packets of closed sources", "[sim][source]") {
  Fixture f;
  std::vector<Caller> callers(8);
  for (Caller& c : callers) {
    REQUIRE(f.reactor->source_open(&c.source) == 0);
    REQUIRE(f.reactor->source_wake(&c.source) == 0);
  }
  f.kernel.set_hold_packets(true);  // the packets come back only during the drain
  for (Caller& c : callers) REQUIRE(f.reactor->source_close(&c.source) == 1);
  f.kernel.set_hold_packets(false);
  f.kernel.release_packets(SIZE_MAX, true);
  REQUIRE(f.reactor->close() == 0);
  for (Caller& c : callers) CHECK(c.source.word == 0);
  CHECK(f.kernel.queued_packets() == 0);
  CHECK(f.stats().leaked_on_teardown == 0);
}

TEST_CASE("source: after teardown every call is refused", "[sim][source]") {
  Fixture f;
  Caller c;
  REQUIRE(f.reactor->close() == 0);
  CHECK(f.reactor->source_open(&c.source) == UVAFD_EBADF);
  CHECK(f.reactor->source_close(&c.source) == UVAFD_EBADF);
  CHECK(f.reactor->source_open(nullptr) == UVAFD_EBADF);
  Fixture g;
  CHECK(g.reactor->source_open(nullptr) == UVAFD_EINVAL);
  CHECK(g.reactor->source_wake(nullptr) == UVAFD_EINVAL);
  CHECK(g.reactor->source_close(nullptr) == UVAFD_EINVAL);
}

TEST_CASE("source: senders on four threads lose no wake", "[sim][source][threads]") {
  Fixture f;
  Caller c;
  REQUIRE(f.reactor->source_open(&c.source) == 0);
  constexpr int kThreads = 4, kPerThread = 20000;
  const WakeStorm storm = wake_storm_with(
      *f.reactor, [&] { return f.reactor->source_wake(&c.source); }, kThreads, kPerThread, 5,
      [&] { return f.reactor->source_rearm(&c.source); });
  CHECK(storm.rearm_errors == 0);
  CHECK(storm.errors == 0);
  CHECK(storm.sent == uint64_t(kThreads) * kPerThread);
  CHECK(storm.seen == storm.sent);  // the last wake was delivered after it
  CHECK(storm.deliveries == f.stats().wakes_delivered);
  REQUIRE(f.reactor->source_close(&c.source) == 0);
}

TEST_CASE("source: a close racing senders releases the memory exactly once",
          "[sim][source][threads]") {
  // Senders keep waking while the loop closes the source: close says 0 (nothing in flight, the
  // caller's at once) or 1 (one RELEASED later), never both, never neither; afterwards every
  // wake is refused and the word stays 0.
  for (int round = 0; round < 200; ++round) {
    Fixture f;
    Caller c;
    REQUIRE(f.reactor->source_open(&c.source) == 0);
    std::atomic<bool> stop{false};
    std::atomic<int> refused{0};
    std::vector<std::thread> senders;
    for (int t = 0; t < 2; ++t)
      senders.emplace_back([&] {
        while (!stop.load()) {
          const int rc = f.reactor->source_wake(&c.source);
          if (rc == UVAFD_EBADF) refused.fetch_add(1);
        }
      });
    // Rearmed at once, or left taken for the close (odd rounds) as a loop closing a handle
    // whose callback is still to come does.
    for (int i = 0; i < round % 7; ++i) {
      f.wait();
      if (round % 2 == 0 && count(f.events, &c.source, UVAFD_WAKEUP))
        REQUIRE(f.reactor->source_rearm(&c.source) == 0);
    }
    const int rc = f.reactor->source_close(&c.source);
    REQUIRE((rc == 0 || rc == 1));
    int released = 0;
    for (int i = 0; i < 50 && rc == 1 && !released; ++i) {
      f.wait(5);
      released += count(f.events, &c.source, UVAFD_RELEASED);
    }
    stop.store(true);
    for (auto& t : senders) t.join();
    CHECK(released == (rc == 1 ? 1 : 0));
    CHECK(c.source.word == 0);
    CHECK(f.wait() == 0);  // nothing more for it
  }
}

TEST_CASE("source: a generation that wraps skips 0, which means closed", "[sim][source]") {
  Fixture f;
  const uintptr_t top = ~uintptr_t(0) >> 2;  // the largest generation the word holds
  ReactorTestAccess::set_next_source_generation(*f.reactor, top);
  Caller a, b;
  REQUIRE(f.reactor->source_open(&a.source) == 0);
  CHECK(generation_of(a.source) == top);
  REQUIRE(f.reactor->source_open(&b.source) == 0);  // top + 1 wraps to 0: skipped
  CHECK(generation_of(b.source) == 1);
  for (Caller* c : {&a, &b}) {
    REQUIRE(f.reactor->source_wake(&c->source) == 0);
    REQUIRE(f.wait() == 1);
    CHECK(f.events[0].events == UVAFD_WAKEUP);
    CHECK(f.events[0].handle.generation == generation_of(c->source));
    REQUIRE(f.reactor->source_close(&c->source) == 0);
  }
}
