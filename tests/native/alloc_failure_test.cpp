// Issue 17: no C++ exception crosses the C API, and a failed allocation is UVAFD_ENOMEM with
// the reactor still usable. The C API (c_api.cpp) compiled natively on the simulated kernel
// (sim_nt_kernel.cpp), every allocation behind each call failed in turn (fail_alloc.h), under
// ASan: a leak or a use after free on an error path shows. tests/wine/alloc_failure_test.cpp
// runs the same sweeps on the real kernel.
#include <catch.hpp>

#include "afd_events.h"
#include "alloc_sweep.h"
#include "sim_kernel.h"

namespace uvafd_test {
uvafd::SimKernel& sim_world_kernel();
}

namespace {

using namespace uvafd_test;

struct SimWorld {
  uvafd::SimKernel& k = sim_world_kernel();
  uintptr_t open_socket() { return k.socket_create(); }
  void make_readable(uintptr_t s) { k.socket_add_ready(s, uvafd::kAfdReceive); }
  void close_socket(uintptr_t s) {
    if (k.socket_is_open(s)) k.socket_close(s);
  }
};

// A failed submit (its error deferred to the end of the wait) and a failed cancel (retried
// before the wait arms anything), on sockets of their own.
bool kernel_failures(SimWorld& w, Scene& sc) {
  bool ok = true;
  uvafd_handle retry{}, deferred{};
  const uintptr_t a = w.open_socket(), b = w.open_socket();
  ok &= uvafd_poll_open(sc.r, a, nullptr, &retry) == 0;
  ok &= uvafd_poll_set_interest(sc.r, retry, UVAFD_READABLE) == 0;
  ok &= uvafd_poll_arm(sc.r, retry) == 1;
  w.k.fail_next_cancel(uvafd::kStatusNoMemory);
  ok &= uvafd_handle_close(sc.r, retry) == 0;
  ok &= uvafd_poll_open(sc.r, b, nullptr, &deferred) == 0;
  ok &= uvafd_poll_set_interest(sc.r, deferred, UVAFD_READABLE) == 0;
  // Armed now (not by the wait, whose first submit could be the witness's): its error waits
  // for the end of the swept wait.
  w.k.fail_next_submit(uvafd::kStatusNoMemory);
  ok &= uvafd_poll_arm(sc.r, deferred) == 0;
  return ok;
}

}  // namespace

TEST_CASE("alloc sweep (sim): uvafd_reactor_create") {
  SimWorld w;
  CHECK(sweep_create(w) > 0);
}

TEST_CASE("alloc sweep (sim): uvafd_poll_open, first, at a helper boundary, growing the slab") {
  SimWorld w;
  CHECK(sweep_first_poll_open(w) > 0);
  CHECK(sweep_poll_open(w, 0) >= 0);
  CHECK(sweep_poll_open(w, 31) > 0);   // a new helper
  CHECK(sweep_poll_open(w, 255) > 0);  // a new slab chunk, helper and bucket array
}

TEST_CASE("alloc sweep (sim): uvafd_poll_open behind a duplicate's zombie") {
  // The same socket under a second value, whose first registration's poll is still in flight:
  // the new registration is filed under the first one's key and waits for it as for its own
  // value, so it allocates nothing beyond any poll_open (no list to grow).
  SimWorld w;
  uintptr_t dup = 0;
  uvafd_handle h{};
  const long points = sweep_scene(
      w, 0, 0,
      [&](Scene& sc) {
        const uintptr_t s = w.open_socket();
        dup = w.k.socket_duplicate(s);
        uvafd_handle first{};
        bool ok = uvafd_poll_open(sc.r, s, nullptr, &first) == 0;
        ok &= uvafd_poll_set_interest(sc.r, first, UVAFD_READABLE) == 0;
        ok &= uvafd_poll_arm(sc.r, first) == 1;
        ok &= uvafd_handle_close(sc.r, first) == 0;  // a zombie until its packet is back
        return ok;
      },
      [&](Scene& sc) { return uvafd_poll_open(sc.r, dup, nullptr, &h); },
      [&](Scene& sc) { return uvafd_poll_open(sc.r, dup, nullptr, &h); });
  CHECK(points == 0);
}

TEST_CASE("alloc sweep (sim): uvafd_wakeup_open growing the slab") {
  SimWorld w;
  CHECK(sweep_wakeup_open(w, 0) >= 0);
  CHECK(sweep_wakeup_open(w, 255) > 0);
}

TEST_CASE("alloc sweep (sim): set_interest, wake, handle_close and wait allocate nothing") {
  // These are the calls a loop makes every iteration and that libuv cannot fail (uv_close,
  // uv_run): everything they need was reserved when the state was opened.
  SimWorld w;
  CHECK(sweep_set_interest(w) == 0);
  CHECK(sweep_wake(w) == 0);
  CHECK(sweep_handle_close(w, false) == 0);
  CHECK(sweep_handle_close(w, true) == 0);
  CHECK(sweep_wait(w, [](Scene&) { return true; }) == 0);
  CHECK(sweep_wait(w, [&w](Scene& sc) { return kernel_failures(w, sc); }) == 0);
}

TEST_CASE("alloc sweep (sim): teardown with zombies and queued wakes") {
  SimWorld w;
  CHECK(sweep_teardown(w, false) == 0);
  CHECK(sweep_teardown(w, true) == 0);
}

TEST_CASE("C API: an exception from a C++ callback stops in the reactor, the batch is delivered") {
  // The caller's callbacks are C; a C++ caller's that throws must not unwind into C, cut the
  // batch short (a packet dequeued but never processed leaves its wake bit set, so that
  // source's every later wake is coalesced into nothing), nor leave the reactor answering
  // UVAFD_EBUSY.
  SimWorld w;
  uvafd_reactor* r = nullptr;
  REQUIRE(uvafd_reactor_create(nullptr, &r) == 0);
  static char tag1, tag2;
  uvafd_handle w1{}, w2{};
  REQUIRE(uvafd_wakeup_open(r, &tag1, &w1) == 0);
  REQUIRE(uvafd_wakeup_open(r, &tag2, &w2) == 0);
  REQUIRE(uvafd_wake(r, w1) == 0);
  REQUIRE(uvafd_wake(r, w2) == 0);
  static int thrown = 0;
  const auto throwing = [](void*, const uvafd_event*) {
    ++thrown;
    throw std::bad_alloc();
  };
  int rc = 0;
  for (int i = 0; i < 20 && rc >= 0; ++i) rc = uvafd_reactor_wait(r, 50, throwing, nullptr);
  CHECK(rc == UVAFD_ENOMEM);
  CHECK(thrown == 2);  // both packets were processed, in one batch
  // Both sources can be woken again, and are delivered.
  REQUIRE(uvafd_wake(r, w1) == 0);
  REQUIRE(uvafd_wake(r, w2) == 0);
  Seen seen;
  CHECK(wait_for(r, seen, &tag1, UVAFD_WAKEUP));
  CHECK(wait_for(r, seen, &tag2, UVAFD_WAKEUP));
  CHECK(uvafd_handle_close(r, w1) == 0);
  CHECK(uvafd_handle_close(r, w2) == 0);
  CHECK(still_usable(r, w));
  CHECK(tears_down(r));
}
