#include "lifecycle.h"

namespace uvafd {

Lifecycle lifecycle_next(Lifecycle from, LifecycleEvent event, bool held) {
  using L = Lifecycle;
  using E = LifecycleEvent;
  switch (from) {
    case L::Free:
      if (event == E::Open && !held) return L::Active;
      break;
    case L::Active:
      // A cancel needs something to cancel.
      if (event == E::CancelIssued && held) return L::CancelPending;
      if (event == E::KernelReleased) return L::Active;
      if (event == E::Close) return held ? L::Zombie : L::Dead;
      break;
    case L::CancelPending:
      // The cancelled request came back; a live state has at most one request, so nothing
      // else can still be in flight.
      if (event == E::KernelReleased && !held) return L::Active;
      if (event == E::Close) return held ? L::Zombie : L::Dead;
      break;
    case L::Zombie:
      // Cancelling again (teardown retries) changes nothing: memory is still the kernel's.
      if (event == E::CancelIssued && held) return L::Zombie;
      if (event == E::KernelReleased) return held ? L::Zombie : L::Dead;
      break;
    case L::Dead:
      if (event == E::Reclaim && !held) return L::Free;
      break;
    case L::Invalid:
      break;
  }
  return L::Invalid;
}

const char* lifecycle_name(Lifecycle s) {
  switch (s) {
    case Lifecycle::Free: return "Free";
    case Lifecycle::Active: return "Active";
    case Lifecycle::CancelPending: return "CancelPending";
    case Lifecycle::Zombie: return "Zombie";
    case Lifecycle::Dead: return "Dead";
    case Lifecycle::Invalid: return "Invalid";
  }
  return "?";
}

const char* lifecycle_event_name(LifecycleEvent e) {
  switch (e) {
    case LifecycleEvent::Open: return "Open";
    case LifecycleEvent::CancelIssued: return "CancelIssued";
    case LifecycleEvent::KernelReleased: return "KernelReleased";
    case LifecycleEvent::Close: return "Close";
    case LifecycleEvent::Reclaim: return "Reclaim";
  }
  return "?";
}

}  // namespace uvafd
