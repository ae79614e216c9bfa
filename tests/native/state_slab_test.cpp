#include <catch.hpp>

#include <set>
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
