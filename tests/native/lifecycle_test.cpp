// The lifecycle table, checked exhaustively: every (state, event, kernel-holds-memory) triple
// has exactly the outcome docs/lifecycle.md gives it.
#include <catch.hpp>

#include "lifecycle.h"

using uvafd::Lifecycle;
using uvafd::LifecycleEvent;
using uvafd::lifecycle_next;

namespace {

constexpr Lifecycle kStates[] = {Lifecycle::Free, Lifecycle::Active, Lifecycle::CancelPending,
                                 Lifecycle::Zombie, Lifecycle::Dead};
constexpr LifecycleEvent kEvents[] = {LifecycleEvent::Open, LifecycleEvent::CancelIssued,
                                      LifecycleEvent::KernelReleased, LifecycleEvent::Close,
                                      LifecycleEvent::Reclaim};

struct Row {
  Lifecycle from;
  LifecycleEvent event;
  bool held;
  Lifecycle to;
};

// The allowed transitions; everything else must be Invalid.
const Row kAllowed[] = {
    {Lifecycle::Free, LifecycleEvent::Open, false, Lifecycle::Active},
    {Lifecycle::Active, LifecycleEvent::CancelIssued, true, Lifecycle::CancelPending},
    {Lifecycle::Active, LifecycleEvent::KernelReleased, false, Lifecycle::Active},
    {Lifecycle::Active, LifecycleEvent::KernelReleased, true, Lifecycle::Active},
    {Lifecycle::Active, LifecycleEvent::Close, false, Lifecycle::Dead},
    {Lifecycle::Active, LifecycleEvent::Close, true, Lifecycle::Zombie},
    {Lifecycle::CancelPending, LifecycleEvent::KernelReleased, false, Lifecycle::Active},
    {Lifecycle::CancelPending, LifecycleEvent::Close, false, Lifecycle::Dead},
    {Lifecycle::CancelPending, LifecycleEvent::Close, true, Lifecycle::Zombie},
    {Lifecycle::Zombie, LifecycleEvent::CancelIssued, true, Lifecycle::Zombie},
    {Lifecycle::Zombie, LifecycleEvent::KernelReleased, true, Lifecycle::Zombie},
    {Lifecycle::Zombie, LifecycleEvent::KernelReleased, false, Lifecycle::Dead},
    {Lifecycle::Dead, LifecycleEvent::Reclaim, false, Lifecycle::Free},
};

Lifecycle expected(Lifecycle from, LifecycleEvent ev, bool held) {
  for (const Row& r : kAllowed)
    if (r.from == from && r.event == ev && r.held == held) return r.to;
  return Lifecycle::Invalid;
}

}  // namespace

TEST_CASE("lifecycle: every transition matches the table", "[lifecycle]") {
  int checked = 0;
  for (Lifecycle from : kStates)
    for (LifecycleEvent ev : kEvents)
      for (bool held : {false, true}) {
        INFO(uvafd::lifecycle_name(from) << " + " << uvafd::lifecycle_event_name(ev)
                                         << " held=" << held);
        CHECK(lifecycle_next(from, ev, held) == expected(from, ev, held));
        ++checked;
      }
  CHECK(checked == 50);
}

TEST_CASE("lifecycle: memory the kernel holds is never reclaimed", "[lifecycle]") {
  // Whatever the path, Free (reuse) is reachable only from Dead, and Dead only when the kernel
  // holds nothing.
  for (Lifecycle from : kStates)
    for (LifecycleEvent ev : kEvents) {
      CHECK(lifecycle_next(from, ev, true) != Lifecycle::Dead);
      CHECK(lifecycle_next(from, ev, true) != Lifecycle::Free);
      if (lifecycle_next(from, ev, false) == Lifecycle::Free) CHECK(from == Lifecycle::Dead);
    }
}

TEST_CASE("lifecycle: a closed state never becomes live again", "[lifecycle]") {
  for (Lifecycle from : {Lifecycle::Zombie, Lifecycle::Dead})
    for (LifecycleEvent ev : kEvents)
      for (bool held : {false, true}) CHECK_FALSE(uvafd::lifecycle_is_live(lifecycle_next(from, ev, held)));
}

TEST_CASE("lifecycle: the two facts agree with the table", "[lifecycle]") {
  // Reactor::transition applies reg_state_after and keeps the result only where lifecycle_next
  // allows the step; the lifecycle derived from the result must then be the table's.
  using uvafd::Owner;
  using uvafd::RegState;
  using uvafd::Request;
  int allowed = 0;
  for (Owner o : {Owner::Free, Owner::Live, Owner::Closed})
    for (Request r : {Request::Idle, Request::Pending, Request::Cancelling})
      for (LifecycleEvent ev : kEvents)
        for (bool wake_queued : {false, true}) {
          // A wakeup source has no AFD request: nothing cancels it.
          if (ev == LifecycleEvent::CancelIssued && wake_queued) continue;
          const RegState before{o, r};
          const RegState after = uvafd::reg_state_after(before, ev, wake_queued);
          const bool held = after.request != Request::Idle || wake_queued;
          const Lifecycle to = lifecycle_next(uvafd::lifecycle_of(before), ev, held);
          INFO(int(o) << "/" << int(r) << " + " << uvafd::lifecycle_event_name(ev)
                      << " wake_queued=" << wake_queued);
          if (to == Lifecycle::Invalid) continue;
          CHECK(uvafd::lifecycle_of(after) == to);
          ++allowed;
        }
  CHECK(allowed > 0);
  // Each lifecycle is one combination, or a few that mean the same.
  CHECK(uvafd::lifecycle_of({Owner::Free, Request::Idle}) == Lifecycle::Free);
  CHECK(uvafd::lifecycle_of({Owner::Live, Request::Idle}) == Lifecycle::Active);
  CHECK(uvafd::lifecycle_of({Owner::Live, Request::Pending}) == Lifecycle::Active);
  CHECK(uvafd::lifecycle_of({Owner::Live, Request::Cancelling}) == Lifecycle::CancelPending);
  CHECK(uvafd::lifecycle_of({Owner::Closed, Request::Pending}) == Lifecycle::Zombie);
  CHECK(uvafd::lifecycle_of({Owner::Closed, Request::Cancelling}) == Lifecycle::Zombie);
  CHECK(uvafd::lifecycle_of({Owner::Closed, Request::Idle}) == Lifecycle::Dead);
  // A cancel with nothing in flight is refused, not turned into a request.
  CHECK(uvafd::reg_state_after({Owner::Live, Request::Idle}, LifecycleEvent::CancelIssued, false)
            .request == Request::Idle);
}
