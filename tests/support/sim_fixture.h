// The reactor on a SimKernel, with the checks every sim test ends with (nothing left alive, no
// forbidden transition, no second poll, no misrouted packet, no write into memory the kernel
// does not own).
#pragma once

#include <catch.hpp>

#include <memory>
#include <vector>

#include "reactor.h"
#include "sim_kernel.h"

namespace uvafd_test {

using namespace uvafd;

struct Fixture {
  SimKernel kernel{7};
  std::unique_ptr<Reactor> reactor;
  std::vector<uvafd_event> events;

  explicit Fixture(uint32_t group_size = 32) {
    uvafd_options o;
    uvafd_options_init(&o);
    o.helper_group_size = group_size;
    o.teardown_timeout_ms = 2000;
    REQUIRE(Reactor::create(kernel, &o, &reactor) == 0);
    // The kernel may only write into a state whose request the reactor still counts in flight.
    kernel.set_owner_check([](void* context) {
      return static_cast<PinnedState*>(context)->request_in_flight();
    });
  }
  ~Fixture() {
    if (!reactor->closed()) reactor->close();
    const uvafd_stats s = reactor->stats();
    CHECK(s.live_states == 0);
    CHECK(s.invalid_transitions == 0);
    CHECK(s.double_poll_violations == 0);
    CHECK(s.misrouted == 0);
    CHECK(kernel.counters().second_poll_violations == 0);
    CHECK(kernel.counters().unowned_writes == 0);
    CHECK(kernel.pending_requests() == 0);
  }
  static void record(void* arg, const uvafd_event* e) {
    static_cast<Fixture*>(arg)->events.push_back(*e);
  }
  int wait(int64_t ms = 0) {
    events.clear();
    return reactor->wait(ms, &Fixture::record, this);
  }
  uvafd_handle open(KHandle socket, void* user_data = nullptr) {
    uvafd_handle h{};
    REQUIRE(reactor->poll_open(socket, user_data, &h) == 0);
    return h;
  }
  uvafd_stats stats() { return reactor->stats(); }
};

inline bool same(uvafd_handle a, uvafd_handle b) { return a.slot == b.slot && a.generation == b.generation; }


}  // namespace uvafd_test
