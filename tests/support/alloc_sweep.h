// Allocation-failure sweeps over the reactor's C API, shared by the simulated kernel (natively,
// under ASan) and the real one (under Wine). A World gives sockets:
//   uintptr_t open_socket();          idle, nothing to read
//   void make_readable(uintptr_t s);  data arrives
//   void close_socket(uintptr_t s);
// Every attempt builds its reactor with failures paused, arms only the one call under test, and
// then, paused again, checks that the call either succeeded or failed with UVAFD_ENOMEM and no
// effect, and that the reactor still works: a registration made before still gets its event,
// a new one gets its, a wake is delivered, and teardown drains to nothing.
#pragma once

#include <catch.hpp>

#include <functional>
#include <vector>

#include "fail_alloc.h"
#include "uvafd/reactor.h"

namespace uvafd_test {

struct Seen {
  std::vector<uvafd_event> events;
  bool saw(const void* user_data, uint32_t bit) const {
    for (const uvafd_event& e : events)
      if (e.user_data == user_data && (e.events & bit)) return true;
    return false;
  }
  static void record(void* arg, const uvafd_event* e) {
    AllocationFailuresPaused paused;  // the test's own bookkeeping is not under test
    static_cast<Seen*>(arg)->events.push_back(*e);
  }
};

// Waits (paused) until `user_data` was reported with `bit`, at most ~2 s.
inline bool wait_for(uvafd_reactor* r, Seen& seen, const void* user_data, uint32_t bit) {
  AllocationFailuresPaused paused;
  for (int i = 0; i < 40; ++i) {
    if (seen.saw(user_data, bit)) return true;
    if (uvafd_reactor_wait(r, 50, &Seen::record, &seen) < 0) return false;
  }
  return seen.saw(user_data, bit);
}

// The reactor still works after a failed (or successful) call.
template <typename World>
bool still_usable(uvafd_reactor* r, World& world) {
  AllocationFailuresPaused paused;
  static char poll_tag, wake_tag;
  bool ok = true;
  Seen seen;
  const uintptr_t s = world.open_socket();
  uvafd_handle h{}, w{};
  ok &= uvafd_poll_open(r, s, &poll_tag, &h) == 0;
  ok &= uvafd_poll_set_interest(r, h, UVAFD_READABLE) == 0;
  ok &= uvafd_wakeup_open(r, &wake_tag, &w) == 0;
  world.make_readable(s);
  ok &= uvafd_wake(r, w) == 0;
  ok &= wait_for(r, seen, &poll_tag, UVAFD_READABLE);
  ok &= wait_for(r, seen, &wake_tag, UVAFD_WAKEUP);
  ok &= uvafd_handle_close(r, h) == 0;
  ok &= uvafd_handle_close(r, w) == 0;
  world.close_socket(s);
  CHECK(ok);
  return ok;
}

// Closes and checks that teardown left nothing: no live state, nothing leaked.
inline bool tears_down(uvafd_reactor* r) {
  AllocationFailuresPaused paused;
  bool ok = uvafd_reactor_close(r) == 0;
  uvafd_stats st{};
  uvafd_reactor_stats(r, &st);
  ok &= st.live_states == 0 && st.leaked_on_teardown == 0 && st.invalid_transitions == 0 &&
        st.misrouted == 0 && st.double_poll_violations == 0;
  ok &= uvafd_reactor_destroy(r) == 0;
  CHECK(ok);
  return ok;
}

// A reactor with `polls` registrations of one socket (no interest: they only fill the slab, the
// socket index and the helper pool up to a growth point), `wakeups` wakeup sources, and one
// witness registration, readable, that must keep getting its event.
struct Scene {
  uvafd_reactor* r = nullptr;
  uintptr_t filler = 0, witness_socket = 0;
  uvafd_handle witness{};
  std::vector<uvafd_handle> handles;
  static inline char witness_tag;

  template <typename World>
  bool build(World& world, int polls, int wakeups, uint32_t helper_group = 32) {
    AllocationFailuresPaused paused;
    uvafd_options o;
    uvafd_options_init(&o);
    o.helper_group_size = helper_group;
    o.teardown_timeout_ms = 5000;
    if (uvafd_reactor_create(&o, &r) != 0) return false;
    filler = world.open_socket();
    for (int i = 0; i < polls; ++i) {
      uvafd_handle h{};
      if (uvafd_poll_open(r, filler, nullptr, &h) != 0) return false;
      handles.push_back(h);
    }
    for (int i = 0; i < wakeups; ++i) {
      uvafd_handle h{};
      if (uvafd_wakeup_open(r, nullptr, &h) != 0) return false;
      handles.push_back(h);
    }
    witness_socket = world.open_socket();
    if (uvafd_poll_open(r, witness_socket, &witness_tag, &witness) != 0) return false;
    if (uvafd_poll_set_interest(r, witness, UVAFD_READABLE) != 0) return false;
    world.make_readable(witness_socket);
    return true;
  }
  // The witness is still reported, the reactor still works, and teardown drains.
  template <typename World>
  bool finish(World& world) {
    bool ok;
    {
      AllocationFailuresPaused paused;
      Seen seen;
      ok = wait_for(r, seen, &witness_tag, UVAFD_READABLE);
      CHECK(ok);
    }
    ok &= still_usable(r, world);
    ok &= tears_down(r);
    AllocationFailuresPaused paused;
    world.close_socket(filler);
    world.close_socket(witness_socket);
    return ok;
  }
};

// One armed call: `call` returns a UVAFD code; on UVAFD_ENOMEM a failure must have fired and
// `retry` (paused) must then succeed.
inline bool outcome_ok(int rc, bool fired) {
  AllocationFailuresPaused paused;
  const bool ok = rc == 0 || (rc == UVAFD_ENOMEM && fired);
  if (!ok) FAIL_CHECK("armed call returned " << rc << " (allocation failure fired: " << fired << ")");
  return ok;
}

// Sweeps an armed call over a freshly built Scene each time. Returns the number of allocation
// failure points checked (-1: a wrong outcome).
template <typename World, typename Prepare, typename Call, typename Retry>
long sweep_scene(World& world, int polls, int wakeups, Prepare&& prepare, Call&& call,
                 Retry&& retry) {
  return sweep_allocation_failures([&](long, auto fired) {
    Scene scene;
    bool ok;
    {
      AllocationFailuresPaused paused;
      ok = scene.build(world, polls, wakeups);
      REQUIRE(ok);
      ok = prepare(scene);
      REQUIRE(ok);
    }
    const int rc = call(scene);  // armed: the only call whose allocations may fail
    ok = outcome_ok(rc, fired());
    if (rc != 0) {
      AllocationFailuresPaused paused;
      const int again = retry(scene);
      CHECK(again == 0);
      ok &= again == 0;
    }
    ok &= scene.finish(world);
    return ok;
  });
}

inline bool nothing(Scene&) { return true; }

}  // namespace uvafd_test

namespace uvafd_test {

// --- The sweeps, one per C API call (each returns the number of failure points checked).

template <typename World>
long sweep_create(World& world) {
  return sweep_allocation_failures([&](long, auto fired) {
    uvafd_reactor* r = nullptr;
    const int rc = uvafd_reactor_create(nullptr, &r);
    bool ok = outcome_ok(rc, fired());
    if (rc != 0) {
      AllocationFailuresPaused paused;
      ok &= r == nullptr;
      ok &= uvafd_reactor_create(nullptr, &r) == 0;
      if (!r) return false;
    }
    ok &= still_usable(r, world);
    ok &= tears_down(r);
    return ok;
  });
}

// The first registration of a reactor: the socket index's first bucket array.
template <typename World>
long sweep_first_poll_open(World& world) {
  return sweep_allocation_failures([&](long, auto fired) {
    uvafd_reactor* r = nullptr;
    uintptr_t s;
    {
      AllocationFailuresPaused paused;
      REQUIRE(uvafd_reactor_create(nullptr, &r) == 0);
      s = world.open_socket();
    }
    uvafd_handle h{};
    int rc = uvafd_poll_open(r, s, nullptr, &h);
    bool ok = outcome_ok(rc, fired());
    AllocationFailuresPaused paused;
    if (rc != 0) ok &= uvafd_poll_open(r, s, nullptr, &h) == 0;
    ok &= uvafd_handle_close(r, h) == 0;
    world.close_socket(s);
    ok &= still_usable(r, world);
    ok &= tears_down(r);
    return ok;
  });
}

// A registration that makes the slab, the socket index and the helper pool grow, and the
// per-state queues with them (255 + the witness fill a slab chunk, eight helpers and the index's
// buckets).
template <typename World>
long sweep_poll_open(World& world, int polls) {
  uintptr_t s = 0;
  uvafd_handle h{};
  return sweep_scene(
      world, polls, 0,
      [&](Scene&) {
        s = world.open_socket();
        return true;
      },
      [&](Scene& sc) { return uvafd_poll_open(sc.r, s, nullptr, &h); },
      [&](Scene& sc) {
        int rc = uvafd_poll_open(sc.r, s, nullptr, &h);
        if (rc == 0) rc = uvafd_handle_close(sc.r, h);
        world.close_socket(s);
        return rc;
      });
}

template <typename World>
long sweep_wakeup_open(World& world, int wakeups) {
  uvafd_handle h{};
  return sweep_scene(
      world, 0, wakeups, nothing, [&](Scene& sc) { return uvafd_wakeup_open(sc.r, nullptr, &h); },
      [&](Scene& sc) { return uvafd_wakeup_open(sc.r, nullptr, &h); });
}

template <typename World>
long sweep_set_interest(World& world) {
  return sweep_scene(
      world, 255, 0, nothing,
      [&](Scene& sc) { return uvafd_poll_set_interest(sc.r, sc.handles[0], UVAFD_WRITABLE); },
      [&](Scene& sc) { return uvafd_poll_set_interest(sc.r, sc.handles[0], UVAFD_WRITABLE); });
}

template <typename World>
long sweep_wake(World& world) {
  return sweep_scene(
      world, 0, 255, nothing, [&](Scene& sc) { return uvafd_wake(sc.r, sc.handles[0]); },
      [&](Scene& sc) { return uvafd_wake(sc.r, sc.handles[0]); });
}

// Arms the first filler registration (a request in flight on an idle socket) and queues a wake
// on the first wakeup source, so that closing them makes zombies.
inline bool arm_and_queue(Scene& sc, int polls) {
  bool ok = uvafd_poll_set_interest(sc.r, sc.handles[0], UVAFD_READABLE) == 0;
  Seen seen;
  ok &= uvafd_reactor_wait(sc.r, 0, &Seen::record, &seen) >= 0;
  ok &= uvafd_wake(sc.r, sc.handles[size_t(polls)]) == 0;
  return ok;
}

// Closing a registration whose poll is in flight, and a wakeup source whose packet is queued.
template <typename World>
long sweep_handle_close(World& world, bool wakeup) {
  const int polls = 128, wakeups = 127;
  const size_t which = wakeup ? size_t(polls) : 0;
  return sweep_scene(
      world, polls, wakeups, [&](Scene& sc) { return arm_and_queue(sc, polls); },
      [&](Scene& sc) { return uvafd_handle_close(sc.r, sc.handles[which]); },
      [&](Scene& sc) { return uvafd_handle_close(sc.r, sc.handles[which]); });
}

// A wait with every kind of work pending: a report (the witness), a poll zombie, a wake zombie,
// a queued wake on a live source, and what `extra` adds (the simulated kernel: a failed submit,
// whose error is deferred to the end of the wait, and a failed cancel, retried before it).
template <typename World, typename Extra>
long sweep_wait(World& world, Extra&& extra) {
  const int polls = 128, wakeups = 127;
  Seen seen;
  return sweep_scene(
      world, polls, wakeups,
      [&](Scene& sc) {
        bool ok = arm_and_queue(sc, polls);
        ok &= uvafd_handle_close(sc.r, sc.handles[0]) == 0;                   // poll zombie
        ok &= uvafd_handle_close(sc.r, sc.handles[size_t(polls)]) == 0;       // wake zombie
        ok &= uvafd_wake(sc.r, sc.handles[size_t(polls) + 1]) == 0;           // queued wake
        ok &= extra(sc);
        seen.events.clear();
        return ok;
      },
      [&](Scene& sc) {
        const int rc = uvafd_reactor_wait(sc.r, 0, &Seen::record, &seen);
        return rc < 0 ? rc : 0;
      },
      [&](Scene&) { return 0; });  // nothing to retry: wait must not fail for memory
}

// Teardown with zombies and queued wakes pending: close, then destroy, each armed.
template <typename World>
long sweep_teardown(World& world, bool destroy_only) {
  const int polls = 128, wakeups = 127;
  return sweep_allocation_failures([&](long, auto fired) {
    Scene sc;
    {
      AllocationFailuresPaused paused;
      REQUIRE(sc.build(world, polls, wakeups));
      REQUIRE(arm_and_queue(sc, polls));
      REQUIRE(uvafd_handle_close(sc.r, sc.handles[0]) == 0);
      REQUIRE(uvafd_handle_close(sc.r, sc.handles[size_t(polls)]) == 0);
      REQUIRE(uvafd_wake(sc.r, sc.handles[size_t(polls) + 1]) == 0);
    }
    bool ok = true;
    if (!destroy_only) {
      const int rc = uvafd_reactor_close(sc.r);
      ok &= outcome_ok(rc, fired());
      AllocationFailuresPaused paused;
      uvafd_stats st{};
      uvafd_reactor_stats(sc.r, &st);
      ok &= st.live_states == 0 && st.leaked_on_teardown == 0 && st.invalid_transitions == 0;
      CHECK(ok);
    }
    const int rc = uvafd_reactor_destroy(sc.r);
    ok &= outcome_ok(rc, fired());
    AllocationFailuresPaused paused;
    world.close_socket(sc.filler);
    world.close_socket(sc.witness_socket);
    return ok;
  });
}

}  // namespace uvafd_test
