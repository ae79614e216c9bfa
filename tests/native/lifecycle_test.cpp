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
