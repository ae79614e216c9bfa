// The C API additions a second event loop needed (the epoll port): uvafd_poll_arm,
// and UVAFD_LOCAL_CLOSE accepted as interest. Through the reactor that c_api.cpp wraps one
// to one, on the simulated kernel, so each answer can be checked against what is in flight.
#include <catch.hpp>

#include "afd_events.h"
#include "reactor.h"
#include "sim_fixture.h"
#include "sim_kernel.h"

using namespace uvafd;
using namespace uvafd_test;

TEST_CASE("poll_arm: 1 when a poll is in flight afterwards, without a wait", "[sim][arm]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  const uint64_t submits = f.stats().nt_submit;
  CHECK(f.kernel.pending_on(s) == 0);  // set_interest only queues the update
  CHECK(f.reactor->poll_arm(h) == 1);
  CHECK(f.kernel.pending_on(s) == 1);  // armed now, not at the next wait
  CHECK(f.stats().nt_submit == submits + 1);
  // Already in flight: 1 again, and no second poll (at most one per base socket).
  CHECK(f.reactor->poll_arm(h) == 1);
  CHECK(f.stats().nt_submit == submits + 1);
  CHECK(f.wait() == 0);  // the wait finds it armed and submits nothing more
  CHECK(f.stats().nt_submit == submits + 1);
  CHECK(f.kernel.pending_on(s) == 1);
  // A socket closed before any wait is seen as closed: the armed poll completes.
  f.kernel.socket_close(s);
  REQUIRE(f.wait() == 1);
  CHECK(same(f.events[0].handle, h));
  CHECK(f.events[0].events == UVAFD_LOCAL_CLOSE);
  REQUIRE(f.reactor->handle_close(h) == 0);
}

TEST_CASE("poll_arm: 0 when no poll is in flight afterwards", "[sim][arm]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);

  SECTION("no interest") {
    CHECK(f.reactor->poll_arm(h) == 0);
    CHECK(f.kernel.pending_on(s) == 0);
  }
  SECTION("the poll failed") {
    REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
    f.kernel.fail_next_submit(kStatusObjectTypeMismatch);
    CHECK(f.reactor->poll_arm(h) == 0);
    CHECK(f.kernel.pending_on(s) == 0);
  }
  SECTION("an earlier registration's request still holds the base socket") {
    REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
    REQUIRE(f.reactor->poll_arm(h) == 1);
    f.kernel.set_async_cancel(true);  // the cancelled poll stays with the kernel for now
    REQUIRE(f.reactor->handle_close(h) == 0);
    uvafd_handle h2 = f.open(s);
    REQUIRE(f.reactor->poll_set_interest(h2, UVAFD_READABLE) == 0);
    CHECK(f.reactor->poll_arm(h2) == 0);
    CHECK(f.kernel.pending_on(s) == 1);  // only the zombie's
    f.kernel.complete_cancelled(16);
    f.kernel.set_async_cancel(false);
    f.wait();  // reaps the zombie
    CHECK(f.reactor->poll_arm(h2) == 1);
    CHECK(f.kernel.pending_on(s) == 1);
    h = h2;
  }
  REQUIRE(f.reactor->handle_close(h) == 0);
}

TEST_CASE("poll_arm: EBADF for a stale handle, EINVAL for a wakeup source, EBUSY in a callback",
          "[sim][arm]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  uvafd_handle w{};
  REQUIRE(f.reactor->wakeup_open(nullptr, &w) == 0);
  CHECK(f.reactor->poll_arm(w) == UVAFD_EINVAL);

  struct Ctx {
    Reactor* r;
    uvafd_handle h;
    int from_callback = 1234;
  } ctx{f.reactor.get(), h};
  REQUIRE(f.reactor->wake(w) == 0);
  const int n = f.reactor->wait(0, [](void* arg, const uvafd_event* e) {
    auto* c = static_cast<Ctx*>(arg);
    if (e->events & UVAFD_WAKEUP) c->from_callback = c->r->poll_arm(c->h);
  }, &ctx);
  CHECK(n == 1);
  CHECK(ctx.from_callback == UVAFD_EBUSY);

  REQUIRE(f.reactor->handle_close(h) == 0);
  CHECK(f.reactor->poll_arm(h) == UVAFD_EBADF);  // stale: its slot's generation moved on
  uvafd_handle reused = f.open(s);                 // may take the same slot
  CHECK(f.reactor->poll_arm(h) == UVAFD_EBADF);
  REQUIRE(f.reactor->handle_close(reused) == 0);
  REQUIRE(f.reactor->handle_close(w) == 0);
}

TEST_CASE("LOCAL_CLOSE as the only interest: a poll only a close completes", "[sim][arm]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_LOCAL_CLOSE) == 0);
  CHECK(f.reactor->poll_arm(h) == 1);
  CHECK(f.kernel.pending_on(s) == 1);
  // Every readiness there is: none of it is reported, and the poll stays in flight.
  f.kernel.socket_set_ready(s, kAfdReceive | kAfdSend | kAfdDisconnect | kAfdReceiveExpedited);
  for (int i = 0; i < 4; ++i) {
    CHECK(f.wait() == 0);
    CHECK(f.events.empty());
    CHECK(f.kernel.pending_on(s) == 1);
  }
  f.kernel.socket_close(s);
  REQUIRE(f.wait() == 1);
  CHECK(same(f.events[0].handle, h));
  CHECK(f.events[0].events == UVAFD_LOCAL_CLOSE);
  CHECK(f.wait() == 0);  // stopped for good
  REQUIRE(f.reactor->handle_close(h) == 0);
}

TEST_CASE("LOCAL_CLOSE with READABLE reports readability, then the close", "[sim][arm]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE | UVAFD_LOCAL_CLOSE) == 0);
  f.kernel.socket_set_ready(s, kAfdSend);  // not asked for
  CHECK(f.wait() == 0);
  f.kernel.socket_add_ready(s, kAfdReceive);
  REQUIRE(f.wait() == 1);
  CHECK(f.events[0].events == UVAFD_READABLE);
  f.kernel.socket_clear_ready(s, kAfdReceive);
  CHECK(f.wait() == 0);
  f.kernel.socket_close(s);
  REQUIRE(f.wait() == 1);
  CHECK(f.events[0].events == UVAFD_LOCAL_CLOSE);
  REQUIRE(f.reactor->handle_close(h) == 0);
}

TEST_CASE("set_interest: EINVAL for bits that are not interest", "[sim][arm]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);
  for (uint32_t bad : {uint32_t(UVAFD_WAKEUP), uint32_t(UVAFD_CONNECT_FAILED), 0x100u,
                       0x80000000u, uint32_t(UVAFD_READABLE | 0x80u)}) {
    INFO("bits " << bad);
    CHECK(f.reactor->poll_set_interest(h, bad) == UVAFD_EINVAL);
  }
  CHECK(f.reactor->poll_arm(h) == 0);  // nothing was taken
  CHECK(f.kernel.pending_on(s) == 0);
  REQUIRE(f.reactor->handle_close(h) == 0);
}

// An epoll socket hears EPOLLERR and EPOLLHUP whatever it asked for (Linux, wepoll's
// user_events): UVAFD_ERROR as interest polls ABORT and CONNECT_FAIL, and nothing else.
TEST_CASE("set_interest: UVAFD_ERROR alone hears a reset and a failed connect only",
          "[sim][arm]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_ERROR) == 0);
  REQUIRE(f.reactor->poll_arm(h) == 1);
  // Readable and writable are not asked for: the poll stays in flight.
  f.kernel.socket_add_ready(s, kAfdReceive | kAfdSend | kAfdDisconnect);
  CHECK(f.wait() == 0);
  CHECK(f.kernel.pending_on(s) == 1);

  SECTION("a failed connect") {
    f.kernel.socket_add_ready(s, kAfdConnectFail);
    REQUIRE(f.wait() == 1);
    CHECK(f.events[0].events == (UVAFD_ERROR | UVAFD_CONNECT_FAILED));
  }
  SECTION("a reset") {
    f.kernel.socket_add_ready(s, kAfdAbort);
    REQUIRE(f.wait() == 1);
    CHECK(f.events[0].events == UVAFD_ERROR);
  }
  REQUIRE(f.reactor->handle_close(h) == 0);
}

// uvafd_reactor_arm: everything the next wait would arm first, now (libuv's uv_run calls it
// before it returns, so a socket the program closes before the next run is seen as closed).
TEST_CASE("arm_all: arms every queued registration without a wait; refused in a callback and "
          "after close", "[sim][arm]") {
  Fixture f;
  const KHandle s1 = f.kernel.socket_create(), s2 = f.kernel.socket_create();
  uvafd_handle h1 = f.open(s1), h2 = f.open(s2);
  REQUIRE(f.reactor->poll_set_interest(h1, UVAFD_READABLE) == 0);
  REQUIRE(f.reactor->poll_set_interest(h2, UVAFD_WRITABLE) == 0);
  CHECK(f.kernel.pending_on(s1) + f.kernel.pending_on(s2) == 0);  // only queued
  CHECK(f.reactor->arm_all() == 0);
  CHECK(f.kernel.pending_on(s1) == 1);
  CHECK(f.kernel.pending_on(s2) == 1);
  const uint64_t submits = f.stats().nt_submit;
  CHECK(f.reactor->arm_all() == 0);  // nothing queued: nothing more
  CHECK(f.wait() == 0);
  CHECK(f.stats().nt_submit == submits);
  f.kernel.socket_close(s1);  // closed before any wait: seen as closed
  REQUIRE(f.wait() == 1);
  CHECK(same(f.events[0].handle, h1));
  CHECK(f.events[0].events == UVAFD_LOCAL_CLOSE);

  uvafd_handle w{};
  REQUIRE(f.reactor->wakeup_open(nullptr, &w) == 0);
  REQUIRE(f.reactor->wake(w) == 0);
  int from_callback = 1234;
  struct Ctx {
    Reactor* r;
    int* out;
  } ctx{f.reactor.get(), &from_callback};
  REQUIRE(f.reactor->wait(0, [](void* arg, const uvafd_event*) {
    auto* c = static_cast<Ctx*>(arg);
    *c->out = c->r->arm_all();
  }, &ctx) == 1);
  CHECK(from_callback == UVAFD_EBUSY);
  REQUIRE(f.reactor->handle_close(h1) == 0);
  REQUIRE(f.reactor->handle_close(h2) == 0);
  REQUIRE(f.reactor->handle_close(w) == 0);
  REQUIRE(f.reactor->close() == 0);
  CHECK(f.reactor->arm_all() == UVAFD_EBADF);
}
