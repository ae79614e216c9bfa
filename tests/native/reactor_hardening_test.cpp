// Issue 11 on the simulated kernel: a wait of "forever", generations past 2^32 with a 32-bit
// ULONG_PTR, and one socket under two handle values.
#include <catch.hpp>

#include <chrono>
#include <cstdint>
#include <thread>

#include "afd_events.h"
#include "reactor.h"
#include "sim_fixture.h"
#include "sim_kernel.h"
#include "test_access.h"

using namespace uvafd;
using namespace uvafd_test;

TEST_CASE("sim: a wait of INT64_MAX blocks until a wake from another thread", "[sim][timeout]") {
  Fixture f;
  uvafd_handle w{};
  REQUIRE(f.reactor->wakeup_open(nullptr, &w) == 0);
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    f.reactor->wake(w);
  });
  // One call: it must block for the wake, not return at once (a wrapped timeout would).
  const int n = f.wait(INT64_MAX);
  waker.join();
  REQUIRE(n == 1);
  CHECK(f.events[0].events == UVAFD_WAKEUP);
  REQUIRE(f.reactor->handle_close(w) == 0);
}

TEST_CASE("sim: wakeups are delivered past 2^32 generations with a 32-bit ULONG_PTR",
          "[sim][wake][x86]") {
  Fixture f;
  // x86: NtSetIoCompletion's Information is 32 bits; the generation's high half is lost. The
  // reactor learns the width when it is made: make it again on this kernel.
  f.kernel.set_information_bits(32);
  REQUIRE(f.reactor->close() == 0);
  f.reactor.reset();
  REQUIRE(Reactor::create(f.kernel, nullptr, &f.reactor) == 0);
  StateSlabTestAccess::set_next_generation(ReactorTestAccess::slab(*f.reactor),
                                           (uint64_t(1) << 32) - 2);
  for (int i = 0; i < 4; ++i) {  // generations 2^32 - 2 ... 2^32 + 1
    uvafd_handle w{};
    REQUIRE(f.reactor->wakeup_open(nullptr, &w) == 0);
    INFO("generation " << w.generation);
    REQUIRE(f.reactor->wake(w) == 0);
    REQUIRE(f.wait() == 1);
    CHECK(f.events[0].events == UVAFD_WAKEUP);
    CHECK(same(f.events[0].handle, w));
    REQUIRE(f.reactor->wake(w) == 0);  // and again: the queued bit was given back
    REQUIRE(f.wait() == 1);
    CHECK(f.stats().misrouted == 0);
    REQUIRE(f.reactor->handle_close(w) == 0);
  }
  CHECK(f.stats().wakes_delivered == 8);
}

TEST_CASE("sim: a second handle to a registered socket is refused with EEXIST", "[sim][dup]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  const uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  CHECK(f.wait() == 0);
  const KHandle dup = f.kernel.socket_duplicate(s);
  REQUIRE(dup != s);
  uvafd_handle h2{};
  CHECK(f.reactor->poll_open(dup, nullptr, &h2) == UVAFD_EEXIST);
  CHECK(f.stats().live_states == 1);
  CHECK(f.kernel.pending_on(s) == 1);

  // A paused registration still owns the socket (its poll may be in flight).
  REQUIRE(f.reactor->poll_set_interest(h, 0) == 0);
  CHECK(f.reactor->poll_open(dup, nullptr, &h2) == UVAFD_EEXIST);

  // Closed: the duplicate may register, and its poll waits for nothing of the old one's
  // once that packet is back.
  REQUIRE(f.reactor->handle_close(h) == 0);
  CHECK(f.wait() == 0);
  CHECK(f.stats().zombies == 0);
  const uvafd_handle h3 = f.open(dup);
  REQUIRE(f.reactor->poll_set_interest(h3, UVAFD_READABLE) == 0);
  f.kernel.socket_add_ready(s, kAfdReceive);
  REQUIRE(f.wait() == 1);
  CHECK(same(f.events[0].handle, h3));
  REQUIRE(f.reactor->handle_close(h3) == 0);
  CHECK(f.kernel.counters().max_pending_per_socket == 1);
}

TEST_CASE("sim: other sockets cost one handle count each, no comparison", "[sim][dup]") {
  Fixture f;
  std::vector<uvafd_handle> handles;
  for (int i = 0; i < 50; ++i) handles.push_back(f.open(f.kernel.socket_create()));
  // One handle_count per registration (the first had nobody to be compared with); nothing
  // compared, since no socket has a second handle.
  CHECK(f.kernel.counters().object_queries == 49);
  // A duplicated socket that is not registered yet is compared with the live registrations.
  const KHandle s = f.kernel.socket_create();
  const KHandle dup = f.kernel.socket_duplicate(s);
  const uvafd_handle h = f.open(dup);
  CHECK(f.kernel.counters().object_queries == 49 + 1 + 50);
  uvafd_handle refused{};
  CHECK(f.reactor->poll_open(s, nullptr, &refused) == UVAFD_EEXIST);
  // The same value twice stays allowed (only one may have interest: the index's rule).
  const uvafd_handle same_value = f.open(dup);
  REQUIRE(f.reactor->handle_close(same_value) == 0);
  REQUIRE(f.reactor->handle_close(h) == 0);
  for (const uvafd_handle& x : handles) REQUIRE(f.reactor->handle_close(x) == 0);
}

TEST_CASE("sim: duplicates are not told apart where the system cannot compare", "[sim][dup]") {
  Fixture f;
  f.kernel.set_can_compare_objects(false);  // before Windows 10: no CompareObjectHandles
  const KHandle s = f.kernel.socket_create();
  const uvafd_handle h = f.open(s);
  const uvafd_handle h2 = f.open(f.kernel.socket_duplicate(s));  // accepted: cannot tell
  CHECK(f.kernel.counters().object_queries == 0);  // and nothing asked
  REQUIRE(f.reactor->handle_close(h) == 0);
  REQUIRE(f.reactor->handle_close(h2) == 0);
}

TEST_CASE("sim: a registration whose socket is gone does not block a duplicate", "[sim][dup]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  const KHandle dup = f.kernel.socket_duplicate(s);
  const uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  f.wait();
  // Closing one handle of two does not close the socket: no LOCAL_CLOSE, the poll stays.
  f.kernel.socket_close(dup);
  CHECK(f.wait() == 0);
  CHECK(f.kernel.pending_on(s) == 1);
  f.kernel.socket_close(s);  // the last handle: LOCAL_CLOSE
  REQUIRE(f.wait() == 1);
  CHECK(f.events[0].events == UVAFD_LOCAL_CLOSE);
  const KHandle s2 = f.kernel.socket_create();
  const KHandle dup2 = f.kernel.socket_duplicate(s2);
  // h is live but gone; its value names s2 again and must not be compared as if it polled it.
  const uvafd_handle h2 = f.open(dup2);
  REQUIRE(f.reactor->poll_set_interest(h2, UVAFD_READABLE) == 0);
  f.kernel.socket_add_ready(s2, kAfdReceive);
  REQUIRE(f.wait() == 1);
  CHECK(same(f.events[0].handle, h2));
  REQUIRE(f.reactor->handle_close(h) == 0);
  REQUIRE(f.reactor->handle_close(h2) == 0);
}

namespace {

struct BehindZombie {
  KHandle s, dup;
  uvafd_handle h2;
};

// A socket `s` registered, armed and closed: a zombie, its cancelled poll still out. Then
// `dup`, another handle to the same socket, registered (h2) with read interest: closed, the
// first does not refuse it.
BehindZombie duplicate_behind_zombie(Fixture& f) {
  f.kernel.set_async_cancel(true);  // a cancelled poll comes back later, as on a busy system
  const KHandle s = f.kernel.socket_create();
  const KHandle dup = f.kernel.socket_duplicate(s);
  const uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  f.wait();
  REQUIRE(f.reactor->handle_close(h) == 0);
  CHECK(f.stats().zombies == 1);
  const uvafd_handle h2 = f.open(dup);
  REQUIRE(f.reactor->poll_set_interest(h2, UVAFD_READABLE) == 0);
  return BehindZombie{s, dup, h2};
}

}  // namespace

TEST_CASE("sim: a duplicate waits for the closed registration's poll of its socket",
          "[sim][dup]") {
  Fixture f;
  const auto [s, dup, h2] = duplicate_behind_zombie(f);  // must not arm beside the zombie's poll
  const uint64_t submits = f.kernel.counters().submits;
  CHECK(f.wait() == 0);
  CHECK(f.wait() == 0);
  CHECK(f.kernel.counters().submits == submits);
  CHECK(f.kernel.pending_on(s) == 1);
  f.kernel.complete_cancelled(SIZE_MAX);  // the zombie's packet comes back
  CHECK(f.wait() == 0);
  CHECK(f.stats().zombies == 0);
  CHECK(f.wait() == 0);  // armed now
  CHECK(f.kernel.pending_on(s) == 1);
  f.kernel.socket_add_ready(s, kAfdReceive);
  REQUIRE(f.wait() == 1);
  CHECK(same(f.events[0].handle, h2));
  CHECK(f.kernel.counters().max_pending_per_socket == 1);
  REQUIRE(f.reactor->handle_close(h2) == 0);
  f.kernel.set_async_cancel(false);
}

TEST_CASE("sim: a second registration of a duplicate's value joins it behind the zombie",
          "[sim][dup]") {
  // Once the zombie's own handle is closed the duplicate is its socket's only handle, and
  // nothing is compared for a new registration of it: it must still be filed with the first
  // registration of its value, for libuv's one-interest rule and for the wait.
  Fixture f;
  const auto [s, dup, h2] = duplicate_behind_zombie(f);
  f.kernel.socket_close(s);  // not the socket's last handle: no LOCAL_CLOSE
  const uvafd_handle h3 = f.open(dup);
  CHECK(f.reactor->poll_set_interest(h3, UVAFD_READABLE) == UVAFD_EEXIST);
  CHECK(f.wait() == 0);
  CHECK(f.kernel.pending_on(dup) == 1);  // the zombie's, still
  REQUIRE(f.reactor->handle_close(h2) == 0);
  REQUIRE(f.reactor->poll_set_interest(h3, UVAFD_READABLE) == 0);
  const uint64_t submits = f.kernel.counters().submits;
  CHECK(f.wait() == 0);
  CHECK(f.kernel.counters().submits == submits);  // waits for the zombie as h2 did
  f.kernel.set_async_cancel(false);
  f.kernel.complete_cancelled(SIZE_MAX);
  CHECK(f.wait() == 0);
  CHECK(f.wait() == 0);
  CHECK(f.stats().zombies == 0);
  f.kernel.socket_add_ready(dup, kAfdReceive);
  REQUIRE(f.wait() == 1);
  CHECK(same(f.events[0].handle, h3));
  CHECK(f.kernel.counters().max_pending_per_socket == 1);
  REQUIRE(f.reactor->handle_close(h3) == 0);
}

TEST_CASE("sim: a duplicate behind a zombie and a new socket on the zombie's value both poll",
          "[sim][dup]") {
  // The duplicate is filed under the zombie's value while its poll is out. Closing that value
  // lets socket() hand it back for another socket: a registration of that one is refused
  // nothing and waits, as any registration of a value with a zombie does; once the zombie is
  // gone the two sockets poll side by side, neither waiting for (or cancelling) the other.
  Fixture f;
  const auto [s, dup, h2] = duplicate_behind_zombie(f);
  CHECK(f.wait() == 0);
  f.kernel.socket_close(s);  // not the socket's last handle: no LOCAL_CLOSE
  const KHandle other = f.kernel.socket_create();
  REQUIRE(other == s);  // the value is handed back at once
  const uvafd_handle h3 = f.open(other);
  REQUIRE(f.reactor->poll_set_interest(h3, UVAFD_READABLE) == 0);  // not EEXIST: another socket
  CHECK(f.wait() == 0);
  CHECK(f.kernel.pending_on(other) == 0);  // waits for the zombie, as it would on its value
  f.kernel.set_async_cancel(false);
  f.kernel.complete_cancelled(SIZE_MAX);
  CHECK(f.wait() == 0);  // the zombie's packet
  CHECK(f.stats().zombies == 0);
  CHECK(f.wait() == 0);  // both armed
  const uint64_t submits = f.kernel.counters().submits;
  for (int i = 0; i < 4; ++i) CHECK(f.wait() == 0);
  CHECK(f.kernel.counters().submits == submits);  // armed once each, nothing cancelled since
  CHECK(f.kernel.pending_on(other) == 1);
  CHECK(f.kernel.pending_on(dup) == 1);
  f.kernel.socket_add_ready(other, kAfdReceive);
  f.kernel.socket_add_ready(dup, kAfdReceive);
  REQUIRE(f.wait() == 2);
  const bool h3_first = same(f.events[0].handle, h3);
  CHECK(same(f.events[h3_first ? 1 : 0].handle, h2));
  CHECK(same(f.events[h3_first ? 0 : 1].handle, h3));
  CHECK(f.kernel.counters().max_pending_per_socket == 1);
  REQUIRE(f.reactor->handle_close(h2) == 0);
  REQUIRE(f.reactor->handle_close(h3) == 0);
}
