// The state machine of a PinnedState: two facts that change independently, the lifecycle
// derived from them, and one transition function that every change goes through (via
// Reactor::transition, which counts and traces it). This file and lifecycle.cpp are the whole
// truth about when memory may be reused; docs/lifecycle.md draws it, tests/model checks it.
//
//   Owner:   Free ──Open──▶ Live ──Close──▶ Closed ──Reclaim (nothing held)──▶ Free
//   Request: Idle ──submit──▶ Pending ──CancelIssued──▶ Cancelling
//              ▲                 │                          │
//              └──KernelReleased─┴──────────────────────────┘   (the request's packet)
//
// A wakeup source's request is its atomic queued bit (wake_word), which other threads set;
// the reactor copies it into `request` only when the source is closed (a packet still to come
// makes it a zombie) and clears it when that packet, or the failed post, is seen.
#pragma once

#include <cstdint>

namespace uvafd {

enum class Owner : uint8_t { Free, Live, Closed };  // Live: the user can name it
enum class Request : uint8_t {
  Idle,       // nothing in flight: the IO_STATUS_BLOCK and AFD_POLL_INFO are ours
  Pending,    // in flight: the kernel writes them when it completes
  Cancelling  // in flight, NtCancelIoFileEx issued; only its packet gives the memory back
};
struct RegState {
  Owner owner = Owner::Free;
  Request request = Request::Idle;
};

// The lifecycle, as the table below and the counters (active, zombies) speak of it.
enum class Lifecycle : uint8_t {
  Free,           // Free
  Active,         // Live, Idle or Pending
  CancelPending,  // Live, Cancelling (to re-arm wider, or because another state waits to arm)
  Zombie,         // Closed, the kernel still holds its memory
  Dead,           // Closed, Idle: about to return to the free list
  Invalid         // returned for a forbidden transition; never a state
};

enum class LifecycleEvent : uint8_t {
  Open,            // a new incarnation starts (fresh generation)
  CancelIssued,    // NtCancelIoFileEx was called for the request in flight
  KernelReleased,  // the request's packet or the wakeup packet was dequeued
  Close,           // the user closed it, or teardown did
  Reclaim          // back to the free list
};

constexpr Lifecycle lifecycle_of(RegState r) {
  switch (r.owner) {
    case Owner::Free: return Lifecycle::Free;
    case Owner::Live:
      return r.request == Request::Cancelling ? Lifecycle::CancelPending : Lifecycle::Active;
    case Owner::Closed: return r.request == Request::Idle ? Lifecycle::Dead : Lifecycle::Zombie;
  }
  return Lifecycle::Invalid;
}

// What an event does to the two facts. `wake_queued`: a wakeup source's queued bit, read once.
constexpr RegState reg_state_after(RegState r, LifecycleEvent event, bool wake_queued) {
  switch (event) {
    case LifecycleEvent::Open: return RegState{Owner::Live, Request::Idle};
    case LifecycleEvent::CancelIssued:  // with nothing in flight, nothing (the checker refuses)
      if (r.request != Request::Idle) r.request = Request::Cancelling;
      return r;
    case LifecycleEvent::KernelReleased:  // unless a wakeup packet is still to come
      if (!wake_queued) r.request = Request::Idle;
      return r;
    case LifecycleEvent::Close:  // a closed wakeup source's queued packet is now its request
      return RegState{Owner::Closed, wake_queued ? Request::Pending : r.request};
    case LifecycleEvent::Reclaim: return RegState{Owner::Free, r.request};
  }
  return r;
}

// The checker: the lifecycle an event may lead to, or Invalid. `kernel_holds_memory` is
// evaluated after the event took effect (for KernelReleased: whether anything else is still
// in flight; for Close: whether a request or packet is in flight).
Lifecycle lifecycle_next(Lifecycle from, LifecycleEvent event, bool kernel_holds_memory);

const char* lifecycle_name(Lifecycle state);
const char* lifecycle_event_name(LifecycleEvent event);

constexpr bool lifecycle_is_live(Lifecycle s) {
  return s == Lifecycle::Active || s == Lifecycle::CancelPending;
}

}  // namespace uvafd
