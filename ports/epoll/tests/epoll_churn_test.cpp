// 10,000 sockets added and removed at random with immediate value reuse (Wine hands a closed
// value back at once): every event must name the current incarnation of a live socket, and
// readability only one that was sent data and has not read it since.
#include <catch.hpp>

#include <errno.h>

#include <map>
#include <random>

#include "epoll_support.h"

using namespace ep;

TEST_CASE("epoll churn: 10k sockets with value reuse, zero misrouted events", "[epoll][churn]") {
  HANDLE port = epoll_create1(0);
  REQUIRE(port);
  std::mt19937 rng(12345);
  struct Live {
    uint64_t tag;
    bool has_data;
  };
  std::map<SOCKET, Live> live;           // by value: the test's own view, one per value
  std::map<SOCKET, uint64_t> last_tag;   // value -> the tag of its last closed incarnation
  // Closed without EPOLL_CTL_DEL: a readiness the kernel recorded before the close may still
  // come once under the old data (docs/porting.md); never for one that had no data.
  std::map<uint64_t, bool> closed_quietly;
  int late = 0;
  uint64_t next_tag = 1;
  int created = 0, reused = 0, wrong = 0, events = 0, closed_without_del = 0;
  while (created < 10000) {
    const int op = int(rng() % 10);
    if (op < 4 || live.size() < 8) {
      SOCKET s = udp_socket();
      ++created;
      if (last_tag.count(s)) ++reused;
      const bool data = rng() % 2;
      epoll_event e = ev(EPOLLIN | ((rng() % 4 == 0) ? EPOLLONESHOT : 0u), next_tag);
      const int rc = epoll_ctl(port, EPOLL_CTL_ADD, s, &e);
      const int err = errno;
      INFO("errno " << err << " value " << s << " created " << created << " reused "
                    << last_tag.count(s) << " live " << live.count(s));
      REQUIRE(rc == 0);
      live[s] = Live{next_tag++, data};
      if (data) send_to_self(s);
    } else if (op < 8 && !live.empty()) {
      auto it = std::next(live.begin(), long(rng() % live.size()));
      if (rng() % 2)
        REQUIRE(epoll_ctl(port, EPOLL_CTL_DEL, it->first, nullptr) == 0);
      else {
        ++closed_without_del;  // it must leave the set by itself
        closed_quietly[it->second.tag] = it->second.has_data;
      }
      last_tag[it->first] = it->second.tag;
      closesocket(it->first);
      live.erase(it);
    } else {
      epoll_event out[16];
      const int n = epoll_wait(port, out, 16, 0);
      REQUIRE(n >= 0);
      for (int i = 0; i < n; ++i) {
        ++events;
        bool ok = false;
        for (auto& kv : live) {
          if (kv.second.tag != out[i].data.u64) continue;
          ok = kv.second.has_data;
          // Read it: a socket left readable is re-polled by every later wait (level-
          // triggered), which made this test cost minutes without proving more. Once read,
          // it has no data, so a second report for it counts as wrong.
          if (ok && drain(kv.first) > 0) kv.second.has_data = false;
        }
        auto q = closed_quietly.find(out[i].data.u64);
        if (!ok && q != closed_quietly.end() && q->second) {
          ++late;
          continue;
        }
        if (!ok) {
          ++wrong;
          UNSCOPED_INFO("event for tag " << out[i].data.u64 << " bits " << out[i].events);
        }
      }
    }
  }
  CHECK(wrong == 0);
  WARN("events " << events << ", late " << late << ", reused " << reused);
  CHECK(events > 0);
  CHECK(reused > 1000);  // values really were reused at once
  CHECK(closed_without_del > 1000);
  uvafd_stats st{};
  uint64_t misrouted = 0;
  if (stats(port, &st, &misrouted)) {
    CHECK(misrouted == 0);
    CHECK(st.misrouted == 0);
    CHECK(st.double_poll_violations == 0);
    CHECK(st.invalid_transitions == 0);
    CHECK(st.max_requests_per_base <= 1);
    CHECK(st.active == live.size() + 1);  // + the port's wakeup source
  }
  for (auto& kv : live) closesocket(kv.first);
  CHECK(epoll_close(port) == 0);
}
