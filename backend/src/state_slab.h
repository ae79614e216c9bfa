// StateSlab: stable storage for PinnedStates. Chunks are allocated, never moved and freed only
// when the reactor is destroyed, so an address handed to the kernel stays valid even when the
// state is recycled. Recycling gives a new generation, which is what makes an old handle or a
// stale packet recognisable.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "pinned_state.h"

namespace uvafd {

class StateSlab {
 public:
  static constexpr uint32_t kChunkSize = 256;
  static constexpr uint32_t kMaxChunks = 16384;  // 4M states

  StateSlab();
  ~StateSlab();
  StateSlab(const StateSlab&) = delete;
  StateSlab& operator=(const StateSlab&) = delete;

  // Reactor thread. Returns nullptr when out of memory or slots. The state comes back with a
  // fresh generation and lifecycle Free.
  PinnedState* acquire();
  // Reactor thread. Only for a state whose lifecycle is Free again.
  void release(PinnedState* state);

  // Any thread: the state in `slot`, or nullptr if that slot was never allocated.
  PinnedState* at(uint32_t slot) const;
  // Reactor thread: is `p` the address of one of our states?
  bool owns(const void* p) const;

  // Reactor thread: visit every allocated state.
  template <typename F>
  void for_each(F&& f) {
    for (uint32_t c = 0; c < chunk_count_; ++c) {
      PinnedState* chunk = chunks_[c].load(std::memory_order_relaxed);
      for (uint32_t i = 0; i < kChunkSize; ++i) f(chunk[i]);
    }
  }

  // How many states the allocated chunks hold: the most that can be live at once.
  size_t capacity() const { return size_t(chunk_count_) * kChunkSize; }

  // Deliberately give up the memory instead of freeing it (teardown could not drain).
  void leak() { leaked_ = true; }

 private:
  friend struct StateSlabTestAccess;  // defined by test builds only (tests/support)
  bool grow();

  std::atomic<PinnedState*>* chunks_;  // kMaxChunks entries, published with release
  uint32_t chunk_count_ = 0;
  std::vector<std::pair<uintptr_t, uint32_t>> ranges_;  // chunk start address -> index, sorted
  PinnedState* free_list_ = nullptr;
  uint64_t next_generation_ = 1;
  bool leaked_ = false;
};

}  // namespace uvafd
