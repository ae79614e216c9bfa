#include <catch.hpp>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "base_socket_index.h"

using namespace uvafd;

namespace {

std::set<PinnedState*> states_on(const BaseSocketIndex& index, KHandle base) {
  std::set<PinnedState*> out;
  index.for_each_on(base, [&out](PinnedState* s) { out.insert(s); });
  return out;
}

}  // namespace

TEST_CASE("base index: files states by key, several per key", "[base]") {
  BaseSocketIndex index;
  std::vector<PinnedState> states(6);
  const KHandle bases[] = {0x104, 0x108, 0x104, 0x10c, 0x104, 0x108};
  for (size_t i = 0; i < states.size(); ++i) {
    states[i].object_key = bases[i];
    REQUIRE(index.insert(&states[i]));
  }
  CHECK(index.size() == 6);
  CHECK(states_on(index, 0x104) == std::set<PinnedState*>{&states[0], &states[2], &states[4]});
  CHECK(states_on(index, 0x108) == std::set<PinnedState*>{&states[1], &states[5]});
  CHECK(states_on(index, 0x110).empty());

  states[2].request = Request::Pending;
  CHECK(index.find_on(0x104, [](PinnedState* s) { return s->request_in_flight(); }) == &states[2]);
  CHECK(index.find_on(0x108, [](PinnedState* s) { return s->request_in_flight(); }) == nullptr);

  index.erase(&states[2]);
  CHECK(index.size() == 5);
  CHECK(states_on(index, 0x104) == std::set<PinnedState*>{&states[0], &states[4]});
  CHECK(index.find_on(0x104, [](PinnedState* s) { return s->request_in_flight(); }) == nullptr);
  // Emptying a base leaves the others alone.
  index.erase(&states[0]);
  index.erase(&states[4]);
  CHECK(states_on(index, 0x104).empty());
  CHECK(states_on(index, 0x108) == std::set<PinnedState*>{&states[1], &states[5]});
  CHECK(index.size() == 3);
}

TEST_CASE("base index: growth and random churn agree with a reference map", "[base]") {
  BaseSocketIndex index;
  std::mt19937 rng(7);
  std::vector<PinnedState> pool(5000);
  std::multimap<KHandle, PinnedState*> reference;
  std::vector<PinnedState*> filed;
  std::vector<PinnedState*> spare;
  for (auto& s : pool) spare.push_back(&s);
  for (int step = 0; step < 40000; ++step) {
    const bool add = !spare.empty() && (filed.empty() || rng() % 3 != 0);
    if (add) {
      PinnedState* s = spare.back();
      spare.pop_back();
      // Few distinct values, multiples of 4 like real handles: many states share a base.
      s->object_key = 4 * (1 + rng() % 2000);
      REQUIRE(index.insert(s));
      reference.emplace(s->object_key, s);
      filed.push_back(s);
    } else {
      const size_t i = rng() % filed.size();
      PinnedState* s = filed[i];
      filed[i] = filed.back();
      filed.pop_back();
      index.erase(s);
      for (auto [it, end] = reference.equal_range(s->object_key); it != end; ++it)
        if (it->second == s) {
          reference.erase(it);
          break;
        }
      spare.push_back(s);
    }
    REQUIRE(index.size() == reference.size());
    if (step % 1000 == 0) {
      for (KHandle base = 4; base <= 4 * 2000; base += 4) {
        std::set<PinnedState*> expected;
        for (auto [it, end] = reference.equal_range(base); it != end; ++it)
          expected.insert(it->second);
        REQUIRE(states_on(index, base) == expected);
      }
    }
  }
}

TEST_CASE("base index: rekey moves a state under another key", "[base]") {
  // A registration filed under another value's key goes back under its own value.
  BaseSocketIndex index;
  std::vector<PinnedState> states(3);
  const KHandle keys[] = {0x104, 0x104, 0x108};
  for (size_t i = 0; i < states.size(); ++i) {
    states[i].object_key = keys[i];
    REQUIRE(index.insert(&states[i]));
  }
  index.rekey(&states[1], 0x10c);
  CHECK(states[1].object_key == 0x10c);
  CHECK(index.size() == 3);
  CHECK(states_on(index, 0x104) == std::set<PinnedState*>{&states[0]});
  CHECK(states_on(index, 0x10c) == std::set<PinnedState*>{&states[1]});
  index.rekey(&states[1], 0x108);
  CHECK(states_on(index, 0x108) == std::set<PinnedState*>{&states[1], &states[2]});
  CHECK(states_on(index, 0x10c).empty());
  index.erase(&states[1]);  // filed where rekey put it
  CHECK(states_on(index, 0x108) == std::set<PinnedState*>{&states[2]});
  CHECK(index.size() == 2);
}
