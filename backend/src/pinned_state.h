// PinnedState: everything the reactor and the kernel know about one registration or wakeup
// source. It lives in StateSlab at an address that never changes and is never returned to the
// allocator while the reactor exists, so a packet's ApcContext always points at a PinnedState;
// the generation and lifecycle then say whether the packet still means anything.
#pragma once

#include <atomic>
#include <cstdint>

#include "kernel.h"
#include "lifecycle.h"

namespace uvafd {

struct Helper;

enum class StateKind : uint8_t { Poll, Wakeup };

struct PinnedState {
  // --- Kernel-owned while `request_pending`: written by the kernel when the request
  // completes, so they must not be touched, moved or freed until its packet is dequeued.
  IoStatusBlock iosb{};
  AfdPollInfo poll_info{};

  // --- Identity: (this address, generation). Never the SOCKET value.
  uint64_t generation = 0;
  uint32_t slot = 0;
  StateKind kind = StateKind::Poll;
  Lifecycle lifecycle = Lifecycle::Free;

  // --- Poll registrations (reactor thread only).
  KHandle socket = 0;       // as the user gave it
  KHandle base_socket = 0;  // what AFD is asked to poll
  Helper* helper = nullptr;
  uint32_t interest = 0;        // what the user wants now (UVAFD_* bits)
  uint32_t submitted_mask = 0;  // AFD mask of the request in flight
  uint64_t request_generation = 0;  // generation that armed the request in flight
  bool request_pending = false;     // a request is in flight: iosb/poll_info are the kernel's
  bool cancel_issued = false;
  bool socket_gone = false;     // LOCAL_CLOSE seen: the SOCKET value may name another socket now
  bool poll_failed = false;     // last submit or completion failed; re-armed on new interest
  bool in_update_queue = false;
  bool waiting_for_base = false;

  // --- Wakeup sources. (generation << 1) | packet_queued. Other threads CAS the low bit
  // only while the high bits equal the generation they were given; close sets the high bits
  // to 0, so a late uvafd_wake from another thread fails instead of posting.
  std::atomic<uint64_t> wake_word{0};

  void* user_data = nullptr;  // back-link to the user's object; cleared on close
  PinnedState* next_free = nullptr;

  bool wake_packet_queued() const { return (wake_word.load(std::memory_order_acquire) & 1) != 0; }
  // Does the kernel hold any memory of this state right now?
  bool kernel_holds_memory() const { return request_pending || wake_packet_queued(); }
};

}  // namespace uvafd
