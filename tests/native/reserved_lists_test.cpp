// The reactor's rare lists (failed submits, failed cancels, closed wakeup sources) have room
// reserved for every state, so that a wait or a close never allocates. That room is committed
// memory per registration (docs/benchmarks.md, scenario 6): a pointer per list, and the
// wakeup list only for wakeup sources. What an entry means lives in the state and ends with
// its incarnation (and a failed cancel's with the request it was for).
#include <catch.hpp>

#include <vector>

#include "afd_events.h"
#include "reactor.h"
#include "sim_fixture.h"
#include "sim_kernel.h"
#include "test_access.h"

using namespace uvafd;
using namespace uvafd_test;

TEST_CASE("sim: the room reserved per registration is a pointer per list it can be on",
          "[sim][memory]") {
  Fixture f;
  std::vector<uvafd_handle> polls;
  for (int i = 0; i < 1000; ++i) polls.push_back(f.open(f.kernel.socket_create()));
  const size_t capacity = ReactorTestAccess::slab(*f.reactor).capacity();
  // Three lists (updates, failed submits, failed cancels), each grown by half again at most.
  CHECK(ReactorTestAccess::reserved_list_bytes(*f.reactor) <= 3 * sizeof(void*) * capacity * 3 / 2);
  CHECK(ReactorTestAccess::wake_zombie_room(*f.reactor) == 0);  // no wakeup source yet

  std::vector<uvafd_handle> wakes(10);
  for (uvafd_handle& w : wakes) REQUIRE(f.reactor->wakeup_open(nullptr, &w) == 0);
  CHECK(ReactorTestAccess::wake_zombie_room(*f.reactor) >= wakes.size());
  CHECK(ReactorTestAccess::wake_zombie_room(*f.reactor) < polls.size());

  // Every wakeup source closed with its packet in flight: each needs its room at once.
  for (uvafd_handle& w : wakes) REQUIRE(f.reactor->wake(w) == 0);
  for (uvafd_handle& w : wakes) REQUIRE(f.reactor->handle_close(w) == 0);
  CHECK(f.stats().zombies == wakes.size());
  f.wait();
  CHECK(f.stats().zombies == 0);
  for (uvafd_handle& h : polls) REQUIRE(f.reactor->handle_close(h) == 0);
}

TEST_CASE("sim: a failed cancel's retry never reaches the slot's next incarnation", "[sim][memory]") {
  Fixture f;
  const KHandle a = f.kernel.socket_create();
  const uvafd_handle old_h = f.open(a);
  REQUIRE(f.reactor->poll_set_interest(old_h, UVAFD_READABLE) == 0);
  f.wait();
  f.kernel.fail_next_cancel(kStatusNoMemory);
  REQUIRE(f.reactor->handle_close(old_h) == 0);  // a zombie whose cancel is to be retried
  CHECK(f.stats().zombies == 1);
  // Its poll completes by itself; the retry before that wait fails too, so the entry outlives
  // the incarnation it was made for.
  f.kernel.socket_set_ready(a, kAfdReceive);
  f.kernel.fail_next_cancel(kStatusNoMemory);
  CHECK(f.wait() == 0);
  CHECK(f.stats().zombies == 0);

  // The same slot again, armed before the next wait's retry pass looks at the list.
  const KHandle b = f.kernel.socket_create();
  const uvafd_handle new_h = f.open(b);
  REQUIRE(new_h.slot == old_h.slot);
  REQUIRE(new_h.generation != old_h.generation);
  REQUIRE(f.reactor->poll_set_interest(new_h, UVAFD_READABLE) == 0);
  REQUIRE(f.reactor->poll_arm(new_h) == 1);  // 1: in flight now
  const uint64_t cancels = f.kernel.counters().cancels;
  CHECK(f.wait() == 0);
  CHECK(f.kernel.counters().cancels == cancels);  // the old entry cancelled nothing
  CHECK(f.stats().requests_in_flight == 1);
  f.kernel.socket_set_ready(b, kAfdReceive);
  REQUIRE(f.wait() == 1);
  CHECK(same(f.events[0].handle, new_h));
  CHECK(f.events[0].events == UVAFD_READABLE);
  REQUIRE(f.reactor->handle_close(new_h) == 0);
  f.kernel.socket_set_ready(b, kAfdReceive);
  f.wait();
}

TEST_CASE("sim: a failed cancel is not retried on a request armed after its own came back",
          "[sim][memory]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  const uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  f.wait();
  // A wider interest asks the pending poll to let go; that cancel fails, and the poll comes
  // back by itself in the same wait.
  f.kernel.socket_set_ready(s, kAfdReceive);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE | UVAFD_WRITABLE) == 0);
  f.kernel.fail_next_cancel(kStatusNoMemory);
  REQUIRE(f.wait() == 1);
  CHECK(f.events[0].events == UVAFD_READABLE);
  f.kernel.socket_clear_ready(s, kAfdReceive);
  // Armed again outside a wait, with the interest the cancel was for: nothing is left to
  // cancel, and the next wait's retry pass must leave this request alone.
  REQUIRE(f.reactor->poll_arm(h) == 1);
  const uint64_t cancels = f.kernel.counters().cancels;
  CHECK(f.wait() == 0);
  CHECK(f.kernel.counters().cancels == cancels);
  f.kernel.socket_set_ready(s, kAfdSend);
  REQUIRE(f.wait() == 1);
  CHECK(f.events[0].events == UVAFD_WRITABLE);
  REQUIRE(f.reactor->handle_close(h) == 0);
  f.wait();
}
