// Allocation failures in the port's entry points: the N-th allocation of a call
// fails, for every N the call makes; the call either succeeds or returns -1 / NULL with ENOMEM
// and ERROR_NOT_ENOUGH_MEMORY, never throws, never double-frees (epoll_create's defect 7), and
// the port works afterwards with nothing lost: the socket is still in the set (or, after a
// failed ADD, not in it) and its readiness is still reported.
#include <catch.hpp>

#include <errno.h>

#include "epoll_support.h"
#include "fail_alloc.h"

using namespace ep;
using uvafd_test::sweep_allocation_failures;

// Each attempt arms the n-th allocation of the call under test alone (after its setup), and, when
// the call made fewer than n, disarms it before checking, so that no allocation of the test's
// own fails; the sweep then sees nothing fired and stops.
template <typename Call>
auto only_in(long n, bool* fired, Call&& call) {
  uvafd_test::fail_nth_allocation(n);
  auto result = call();
  *fired = uvafd_test::allocation_failure_fired();
  if (!*fired) uvafd_test::fail_nth_allocation(0);
  return result;
}

namespace {

// What a failed call must leave behind.
bool failed_with_enomem() {
  const bool ok = errno == ENOMEM && GetLastError() == ERROR_NOT_ENOUGH_MEMORY;
  if (!ok) UNSCOPED_INFO("errno " << errno << " GetLastError " << GetLastError());
  return ok;
}

// The port works: a readable socket added now is reported, and DEL works.
bool port_works(HANDLE port) {
  SOCKET s = udp_socket();
  epoll_event e = ev(EPOLLIN, 4242);
  bool ok = epoll_ctl(port, EPOLL_CTL_ADD, s, &e) == 0;
  send_to_self(s);
  ok = ok && wait_for(port, 4242, 2000) == EPOLLIN;
  ok = ok && epoll_ctl(port, EPOLL_CTL_DEL, s, nullptr) == 0;
  closesocket(s);
  return ok;
}

}  // namespace

TEST_CASE("epoll alloc: epoll_create under every failing allocation", "[epoll][alloc]") {
  winsock_init();
  long failures_seen = 0;
  const long points = sweep_allocation_failures([&](long n, auto) {
    uvafd_test::fail_nth_allocation(0);  // the sweep armed it: not for the setup
    SetLastError(0);
    errno = 0;
    bool did_fire = false;
    HANDLE h = only_in(n, &did_fire, [] { return epoll_create1(0); });
    UNSCOPED_INFO("create, n " << n << (h ? " created" : " failed"));
    if (!h) {
      ++failures_seen;
      if (!did_fire || !failed_with_enomem()) return false;
      // Nothing was left half-made: a new port works.
      h = epoll_create1(0);
      if (!h) return false;
    }
    const bool ok = port_works(h) && epoll_close(h) == 0;
    return ok;
  });
  INFO("allocation points " << points << ", failed creates " << failures_seen);
  CHECK(points > 0);
  CHECK(failures_seen > 0);
}

TEST_CASE("epoll alloc: epoll_ctl ADD, MOD and DEL under every failing allocation",
          "[epoll][alloc]") {
  winsock_init();
  HANDLE port = epoll_create1(0);
  REQUIRE(port);
  // Another socket already in the set: a failure must not disturb it.
  SOCKET bystander = udp_socket();
  epoll_event be = ev(EPOLLIN, 1);
  REQUIRE(epoll_ctl(port, EPOLL_CTL_ADD, bystander, &be) == 0);

  const long add_points = sweep_allocation_failures([&](long n, auto) {
    uvafd_test::fail_nth_allocation(0);  // the sweep armed it: not for the setup
    INFO("ADD, n " << n);
    SOCKET s = udp_socket();
    epoll_event e = ev(EPOLLIN, 77);
    errno = 0;
    bool did_fire = false;
    const int rc = only_in(n, &did_fire, [&] { return epoll_ctl(port, EPOLL_CTL_ADD, s, &e); });
    bool ok = true;
    if (rc != 0) {
      ok = did_fire && failed_with_enomem();
      // Not in the set: ADD again succeeds.
      ok = ok && epoll_ctl(port, EPOLL_CTL_ADD, s, &e) == 0;
    }
    send_to_self(s);
    ok = ok && wait_for(port, 77, 2000) == EPOLLIN;
    ok = ok && epoll_ctl(port, EPOLL_CTL_DEL, s, nullptr) == 0;
    closesocket(s);
    return ok;
  });
  INFO("allocation points in ADD: " << add_points);
  CHECK(add_points > 0);  // the entry and its map node at least

  SOCKET s = udp_socket();
  epoll_event e = ev(EPOLLOUT, 88);
  REQUIRE(epoll_ctl(port, EPOLL_CTL_ADD, s, &e) == 0);
  const long mod_points = sweep_allocation_failures([&](long n, auto) {
    uvafd_test::fail_nth_allocation(0);  // the sweep armed it: not for the setup
    INFO("MOD, n " << n);
    // Between OUT and IN: a MOD that failed leaves the old mask, one that worked the new one.
    const uint32_t now = (n % 2) ? EPOLLIN : EPOLLOUT;
    epoll_event m = ev(now, 88);
    errno = 0;
    bool did_fire = false;
    const int rc = only_in(n, &did_fire, [&] { return epoll_ctl(port, EPOLL_CTL_MOD, s, &m); });
    if (rc != 0 && !(did_fire && failed_with_enomem())) return false;
    if (rc != 0 && epoll_ctl(port, EPOLL_CTL_MOD, s, &m) != 0) return false;  // again
    if (now == EPOLLIN) send_to_self(s);
    const bool reported = wait_for(port, 88, 2000) == now;
    if (now == EPOLLIN) drain(s);
    return reported;
  });
  INFO("allocation points in MOD: " << mod_points);
  CHECK(mod_points >= 0);

  const long del_points = sweep_allocation_failures([&](long n, auto) {
    uvafd_test::fail_nth_allocation(0);  // the sweep armed it: not for the setup
    INFO("DEL, n " << n);
    SOCKET d = udp_socket();
    epoll_event de = ev(EPOLLIN, 99);
    if (epoll_ctl(port, EPOLL_CTL_ADD, d, &de) != 0) return false;
    errno = 0;
    bool did_fire = false;
    const int rc = only_in(n, &did_fire, [&] { return epoll_ctl(port, EPOLL_CTL_DEL, d, nullptr); });
    bool ok = rc == 0 || (did_fire && failed_with_enomem() &&
                          epoll_ctl(port, EPOLL_CTL_DEL, d, nullptr) == 0);
    // Gone from the set: its data is never reported.
    send_to_self(d);
    for (int i = 0; i < 2; ++i)
      for (const epoll_event& g : wait(port, 50)) {
        ok = ok && g.data.u64 != 99;
      }
    closesocket(d);
    return ok;
  });
  INFO("allocation points in DEL: " << del_points);
  CHECK(del_points >= 0);

  CHECK(port_works(port));
  closesocket(s);
  closesocket(bystander);
  CHECK(epoll_close(port) == 0);
}

TEST_CASE("epoll alloc: epoll_wait under every failing allocation loses no event",
          "[epoll][alloc]") {
  winsock_init();
  HANDLE port = epoll_create1(0);
  REQUIRE(port);
  SOCKET level = udp_socket(), oneshot = udp_socket();
  epoll_event le = ev(EPOLLIN, 1), oe = ev(EPOLLIN | EPOLLONESHOT, 2);
  REQUIRE(epoll_ctl(port, EPOLL_CTL_ADD, level, &le) == 0);
  REQUIRE(epoll_ctl(port, EPOLL_CTL_ADD, oneshot, &oe) == 0);
  const long points = sweep_allocation_failures([&](long n, auto) {
    uvafd_test::fail_nth_allocation(0);  // the sweep armed it: not for the setup
    INFO("wait, n " << n);
    send_to_self(level);
    send_to_self(oneshot);
    Sleep(20);
    epoll_event out[8];
    errno = 0;
    bool did_fire = false;
    int got = only_in(n, &did_fire, [&] { return epoll_wait(port, out, 8, 200); });
    if (got < 0 && !(did_fire && failed_with_enomem())) return false;
    // Both come, each once, whether the first wait failed or not.
    int seen_level = 0, seen_oneshot = 0;
    for (int round = 0; round < 20 && !(seen_level && seen_oneshot); ++round) {
      for (int i = 0; i < got; ++i) {
        seen_level += out[i].data.u64 == 1;
        seen_oneshot += out[i].data.u64 == 2;
      }
      if (seen_level && seen_oneshot) break;
      got = epoll_wait(port, out, 8, 100);
      if (got < 0) return false;
    }
    drain(level);
    drain(oneshot);
    epoll_event again = ev(EPOLLIN | EPOLLONESHOT, 2);
    if (epoll_ctl(port, EPOLL_CTL_MOD, oneshot, &again) != 0) return false;
    UNSCOPED_INFO("level " << seen_level << " oneshot " << seen_oneshot);
    return seen_level >= 1 && seen_oneshot == 1;
  });
  INFO("allocation points in epoll_wait: " << points);
  CHECK(points >= 0);
  CHECK(port_works(port));
  closesocket(level);
  closesocket(oneshot);
  CHECK(epoll_close(port) == 0);
}
