// The lifecycle of a PinnedState: one enum, one transition function. Every change of a
// state's lifecycle goes through lifecycle_next() (via Reactor::transition, which counts and
// traces it), so the table below is the whole truth about when memory may be reused.
//
//   Free ──Open──▶ Active ──CancelIssued──▶ CancelPending
//                    │  ▲                        │
//                    │  └──────KernelReleased────┘
//                    │ Close (kernel still holds memory)         Close (kernel holds memory)
//                    ├──────────────────────────▶ Zombie ◀──────── CancelPending
//                    │ Close (nothing in flight)    │ KernelReleased, nothing left
//                    └──────────────────────────▶ Dead ◀──┘
//                                                   │ Reclaim
//                                                  Free
//
// "Kernel still holds memory" means an AFD request is in flight (its IO_STATUS_BLOCK and
// AFD_POLL_INFO will be written when it completes) or a wakeup packet naming the state is
// queued. The specification's table missed CancelPending -> Zombie; here a closed state with
// anything in flight is a zombie whether or not the cancel was issued yet.
#pragma once

#include <cstdint>

namespace uvafd {

enum class Lifecycle : uint8_t {
  Free,           // on the free list: no incarnation
  Active,         // a live registration the user can name; 0 or 1 request in flight
  CancelPending,  // live; its request is being cancelled (to re-arm with a wider mask, or
                  // because another registration of the same socket waits to arm)
  Zombie,         // closed by the user; the kernel still holds its memory
  Dead,           // closed and released by the kernel: about to return to the free list
  Invalid         // returned for a forbidden transition; never stored
};

enum class LifecycleEvent : uint8_t {
  Open,            // a new incarnation starts (fresh generation)
  CancelIssued,    // NtCancelIoFileEx was called for the request in flight
  KernelReleased,  // the request's packet or the wakeup packet was dequeued
  Close,           // the user closed it, or teardown did
  Reclaim          // back to the free list
};

// `kernel_holds_memory` is evaluated after the event took effect (for KernelReleased: whether
// anything else is still in flight; for Close: whether a request or packet is in flight).
Lifecycle lifecycle_next(Lifecycle from, LifecycleEvent event, bool kernel_holds_memory);

const char* lifecycle_name(Lifecycle state);
const char* lifecycle_event_name(LifecycleEvent event);

// Live: the user can still name it.
constexpr bool lifecycle_is_live(Lifecycle s) {
  return s == Lifecycle::Active || s == Lifecycle::CancelPending;
}

}  // namespace uvafd
