// Test-only access to the reactor's insides. The library declares these as friends and never
// defines them, so no hook is compiled into what users link.
#pragma once

#include <cstdint>

#include "reactor.h"
#include "state_slab.h"

namespace uvafd {

struct StateSlabTestAccess {
  // The generation the next acquired state gets: lets a test cross 2^32 without 2^32 opens.
  static void set_next_generation(StateSlab& slab, uint64_t generation) {
    slab.next_generation_ = generation;
  }
};

struct ReactorTestAccess {
  static StateSlab& slab(Reactor& reactor) { return reactor.slab_; }
  // The room acquire_state reserves for every state, in bytes: memory a registration commits
  // whether or not a list ever holds it.
  static size_t reserved_list_bytes(Reactor& reactor) {
    const auto bytes = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
    return bytes(reactor.updates_) + bytes(reactor.deferred_) + bytes(reactor.cancel_retries_) +
           bytes(reactor.wake_zombies_);
  }
  static size_t wake_zombie_room(Reactor& reactor) { return reactor.wake_zombies_.capacity(); }
  // The generation the next embedded source gets: lets a test wrap it without 2^63 opens.
  static void set_next_source_generation(Reactor& reactor, uint64_t generation) {
    reactor.next_source_generation_ = generation;
  }
};

}  // namespace uvafd
