// Handle-value reuse churn on the real kernel: close while the poll is pending, open a new
// socket (Wine hands the same value back), register it, and check that no completion ever
// reaches the wrong incarnation.
#include <catch.hpp>

#include <cstdio>
#include <set>

#include "sockets.h"

using namespace uvafd_test;

TEST_CASE("wine: 10,000 close-while-pending cycles with handle reuse", "[wine][churn]") {
  RealReactor r(32);
  constexpr int kCycles = 10000;
  std::vector<int> tags(kCycles);
  int current = -1;
  uint64_t wrong = 0, delivered = 0, reused_last = 0, reused_any = 0;
  std::set<SOCKET> seen;
  SOCKET last = INVALID_SOCKET;
  struct Ctx {
    int* current;
    uint64_t* wrong;
    uint64_t* delivered;
  } ctx{&current, &wrong, &delivered};
  auto cb = [](void* a, const uvafd_event* e) {
    auto* c = static_cast<Ctx*>(a);
    ++*c->delivered;
    if (!e->user_data || *static_cast<int*>(e->user_data) != *c->current) ++*c->wrong;
  };
  for (int i = 0; i < kCycles; ++i) {
    SOCKET s = udp_socket();
    if (s == last) ++reused_last;
    if (!seen.insert(s).second) ++reused_any;
    last = s;
    tags[size_t(i)] = i;
    uvafd_handle h = r.open(s, &tags[size_t(i)]);
    current = i;
    REQUIRE(r.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
    if (i % 4 == 0) send_to_self(s);  // some incarnations have data waiting (and never read)
    r.reactor->wait(0, cb, &ctx);     // arm; maybe deliver
    if (i % 3 == 0) r.reactor->wait(0, cb, &ctx);
    // Close the registration with its poll in flight (or just completed), then the socket; on
    // odd cycles the other way round (LOCAL_CLOSE races the cancel).
    if (i % 2) closesocket(s);
    REQUIRE(r.reactor->handle_close(h) == 0);
    current = -1;
    if (i % 2 == 0) closesocket(s);
  }
  CHECK(r.wait_until([&] { return r.stats().live_states == 0; }, 20000));
  const uvafd_stats st = r.stats();
  std::printf("churn: %d cycles, SOCKET value equal to the previous one %llu times, "
              "seen before %llu times; %llu events delivered, %llu to a wrong incarnation; "
              "helpers %llu, submits %llu, cancels %llu\n",
              kCycles, (unsigned long long)reused_last, (unsigned long long)reused_any,
              (unsigned long long)delivered, (unsigned long long)wrong,
              (unsigned long long)st.helpers, (unsigned long long)st.nt_submit,
              (unsigned long long)st.nt_cancel);
  CHECK(wrong == 0);
  CHECK(delivered > 0);
  CHECK(reused_any > kCycles / 2);  // reuse really happened: this test is about it
  CHECK(st.misrouted == 0);
  CHECK(r.audit->max_in_flight_per_socket() == 1);
}
