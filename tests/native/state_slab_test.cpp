#include <catch.hpp>

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "state_slab.h"

using namespace uvafd;

TEST_CASE("slab: addresses are stable and generations never repeat", "[slab]") {
  StateSlab slab;
  std::vector<PinnedState*> states;
  std::set<uint64_t> generations;
  for (int i = 0; i < 1000; ++i) {  // several chunks
    PinnedState* s = slab.acquire();
    REQUIRE(s != nullptr);
    CHECK(slab.at(s->slot) == s);
    CHECK(slab.owns(s));
    CHECK(generations.insert(s->generation).second);
    states.push_back(s);
  }
  // Growing never moved an earlier state.
  for (PinnedState* s : states) CHECK(slab.at(s->slot) == s);
  // Recycled: same address, new generation.
  PinnedState* first = states[0];
  const uint64_t old_generation = first->generation;
  slab.release(first);
  PinnedState* again = slab.acquire();
  CHECK(again == first);
  CHECK(again->generation > old_generation);
  CHECK(generations.insert(again->generation).second);
}

TEST_CASE("slab: owns() rejects what is not a state", "[slab]") {
  StateSlab slab;
  PinnedState* s = slab.acquire();
  int on_stack = 0;
  CHECK_FALSE(slab.owns(&on_stack));
  CHECK_FALSE(slab.owns(reinterpret_cast<char*>(s) + 1));
  CHECK_FALSE(slab.owns(nullptr));
  CHECK(slab.at(StateSlab::kChunkSize * 5) == nullptr);  // never allocated
  CHECK(slab.at(0xFFFFFFFFu) == nullptr);
}

namespace {
// The cache lines [first, last] that `size` bytes at `p` occupy.
std::pair<uintptr_t, uintptr_t> lines_of(const void* p, size_t size) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  return {a / 64, (a + size - 1) / 64};
}
}  // namespace

TEST_CASE("slab: a wakeup source's send and delivery touch one cache line of its state", "[slab]") {
  // uvafd_wake reads and CASes wake_word; on_wake_packet reads kind, wake_word, lifecycle,
  // generation and user_data. With a million sources (libuv's million_async) every event is a
  // cache miss per line touched, on both threads: those fields share one line in every state.
  StateSlab slab;
  for (int i = 0; i < 600; ++i) {  // several chunks
    PinnedState* s = slab.acquire();
    REQUIRE(s != nullptr);
    const auto line = lines_of(&s->wake_word, sizeof s->wake_word);
    CHECK(line.first == line.second);
    for (auto field : {lines_of(&s->generation, sizeof s->generation),
                       lines_of(&s->user_data, sizeof s->user_data),
                       lines_of(&s->kind, sizeof s->kind),
                       lines_of(&s->owner, sizeof s->owner),
                       lines_of(&s->request, sizeof s->request),
                       lines_of(&s->slot, sizeof s->slot)}) {
      CHECK(field.first == line.first);
      CHECK(field.second == line.first);
    }
  }
}
