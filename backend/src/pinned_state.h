// PinnedState: everything the reactor and the kernel know about one registration or wakeup
// source. It lives in StateSlab at an address that never changes and is never returned to the
// allocator while the reactor exists, so a packet's ApcContext always points at a PinnedState;
// the generation and lifecycle() then say whether the packet still means anything.
#pragma once

#include <atomic>
#include <cstdint>

#include "kernel.h"
#include "lifecycle.h"

namespace uvafd {

struct Helper;

enum class StateKind : uint8_t { Poll, Wakeup };

// Laid out to stay at 128 bytes: a registration costs this, one bucket pointer in the
// BaseSocketIndex, a pointer's room in each of the reactor's three reserved lists and what the
// kernel keeps per request (docs/architecture.md, docs/benchmarks.md, memory).
// Aligned to its cache line (StateSlab allocates the chunks so): the first line holds all that
// a wakeup source's send (uvafd_wake) and delivery (on_wake_packet, emit) read, so each touches
// one line of it; with a million sources every line touched is a cache miss on both threads.
struct alignas(64) PinnedState {
  // --- Identity: (this address, generation). Never the SOCKET value.
  uint64_t generation = 0;

  // --- Wakeup sources. (generation << 1) | packet_queued. Other threads CAS the low bit
  // only while the high bits equal the generation they were given; close sets the high bits
  // to 0, so a late uvafd_wake from another thread fails instead of posting.
  std::atomic<uint64_t> wake_word{0};

  void* user_data = nullptr;  // back-link to the user's object; cleared on close

  uint32_t slot = 0;
  uint16_t submitted_mask = 0;  // AFD mask of the request in flight (AFD bits fit in 9)
  uint8_t interest = 0;         // what the user wants now (UVAFD_* interest bits)
  StateKind kind = StateKind::Poll;
  Owner owner = Owner::Free;          // lifecycle.h: the two facts the lifecycle derives from
  Request request = Request::Idle;
  // One bit each (set in the constructor: C++17 has no initialisers for bit-fields), so that
  // the rare lists below cost their entry's pointer and nothing more.
  bool socket_gone : 1;       // LOCAL_CLOSE seen: the SOCKET value may name another socket now
  bool poll_failed : 1;       // last submit or completion failed; re-armed on new interest
  bool in_update_queue : 1;
  bool waiting_for_base : 1;  // wants to arm once its socket's request in flight comes back
  bool claims_interest : 1;   // the one live registration of its base value with interest
  // The reactor's two rare lists (a failed submit's error, a cancel that failed) hold a pointer
  // each; what the entry means lives here, for this incarnation only (reclaim clears it). The
  // in_* bits say the pointer is on the list: they are cleared only by the list's own pass, so
  // a state recycled meanwhile is never listed twice and the reserved room always suffices.
  bool in_deferred_list : 1;
  bool in_cancel_list : 1;
  bool cancel_wanted : 1;  // its cancel failed: try again before the next wait
  int32_t deferred_error = 0;  // a failed submit's error, reported by the wait (0: none)

  // --- Kernel-owned while `request` is not Idle: written by the kernel when the request
  // completes, so they must not be touched, moved or freed until its packet is dequeued.
  IoStatusBlock iosb{};
  AfdPollInfo poll_info{};

  uint64_t request_generation = 0;  // generation that armed the request in flight

  // --- Poll registrations (reactor thread only).
  KHandle base_socket = 0;  // what AFD is asked to poll
  // The key in BaseSocketIndex: one for every registration of one socket object, whatever
  // handle value it came through (base_socket_index.h). Resolved once, at poll_open.
  KHandle object_key = 0;
  Helper* helper = nullptr;
  // A state is filed in BaseSocketIndex (Open..Reclaim) or on StateSlab's free list (Free),
  // never both: one link serves both lists.
  union {
    PinnedState* next_on_base_bucket = nullptr;
    PinnedState* next_free;
  };

  PinnedState()
      : socket_gone(false), poll_failed(false), in_update_queue(false), waiting_for_base(false),
        claims_interest(false), in_deferred_list(false), in_cancel_list(false),
        cancel_wanted(false) {}

  bool wake_packet_queued() const { return (wake_word.load(std::memory_order_acquire) & 1) != 0; }
  // A poll state: its AFD request is the kernel's. A closed wakeup source: its packet (or the
  // failed post) is still to be seen (lifecycle.h).
  bool request_in_flight() const { return request != Request::Idle; }
  Lifecycle lifecycle() const { return lifecycle_of(RegState{owner, request}); }
};

static_assert(sizeof(PinnedState) <= 128, "a registration's pinned memory grew: see benchmarks.md");

}  // namespace uvafd
