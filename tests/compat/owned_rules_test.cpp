// The rules of the three parts uvafd owns in libuv (docs/compat.md), under Wine: poll errors as
// libuv reports them, nothing for a stopped handle, UV_RUN_ONCE's forward progress, and what
// uvafd does where libuv is undefined.
#include <catch.hpp>

#include <winsock2.h>

#include "loop_fixture.h"
#include "uv.h"

using namespace compat_test;

TEST_CASE("owned: after a poll error events are 0 and the same uv_poll_start resubmits",
          "[compat][poll]") {
  Loop l;
  SOCKET a, b;
  tcp_pair(&a, &b);
  static uv_poll_t p;
  REQUIRE(uv_poll_init_socket(&l.loop, &p, b) == 0);
  static int errors = 0;
  static int events_after_error = -1;
  errors = 0;
  // Before the first submit (none is in flight to see the close): every submit now fails, an
  // error each time the handle is (re)started.
  closesocket(b);
  REQUIRE(uv_poll_start(&p, UV_READABLE, [](uv_poll_t* h, int status, int) {
    REQUIRE(status < 0);
    ++errors;
    events_after_error = h->events;
  }) == 0);
  uv_run(&l.loop, UV_RUN_NOWAIT);
  CHECK(errors == 1);
  CHECK(events_after_error == 0);
  CHECK(uv_is_active(reinterpret_cast<uv_handle_t*>(&p)) == 1);  // as libuv: still active
  uv_run(&l.loop, UV_RUN_NOWAIT);
  CHECK(errors == 1);  // stopped: no error storm
  REQUIRE(uv_poll_start(&p, UV_READABLE, p.poll_cb) == 0);  // the same events again
  uv_run(&l.loop, UV_RUN_NOWAIT);
  CHECK(errors == 2);  // resubmitted
  uv_close(reinterpret_cast<uv_handle_t*>(&p), nullptr);
  closesocket(a);
}

TEST_CASE("owned: a handle stopped with uv_poll_start(h, 0, NULL) earlier in the batch hears "
          "nothing", "[compat][poll]") {
  Loop l;
  SOCKET a1, b1, a2, b2;
  tcp_pair(&a1, &b1);
  tcp_pair(&a2, &b2);
  static uv_poll_t ready, failing;
  static int ready_calls = 0, failing_calls = 0;
  REQUIRE(uv_poll_init_socket(&l.loop, &ready, b1) == 0);
  REQUIRE(uv_poll_init_socket(&l.loop, &failing, b2) == 0);
  closesocket(b2);  // before its first submit, which fails: the error is due in the first batch
  REQUIRE(uv_poll_start(&failing, UV_READABLE, [](uv_poll_t*, int, int) {
    ++failing_calls;
  }) == 0);
  REQUIRE(uv_poll_start(&ready, UV_READABLE, [](uv_poll_t* h, int status, int) {
    ++ready_calls;
    CHECK(status == 0);
    // Stops the other handle, whose error is due in this very batch, and drops its callback.
    CHECK(uv_poll_start(&failing, 0, nullptr) == 0);
    uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
  }) == 0);
  REQUIRE(send(a1, "x", 1, 0) == 1);
  uv_run(&l.loop, UV_RUN_NOWAIT);
  CHECK(ready_calls == 1);
  CHECK(failing_calls == 0);
  uv_close(reinterpret_cast<uv_handle_t*>(&failing), nullptr);
  closesocket(a1);
  closesocket(b1);
  closesocket(a2);
}

TEST_CASE("owned: UV_RUN_ONCE waits again when the reactor's own packets end the wait early",
          "[compat][loop]") {
  Loop l;
  SOCKET a, b;
  tcp_pair(&a, &b);
  uv_poll_t p;
  REQUIRE(uv_poll_init_socket(&l.loop, &p, b) == 0);
  REQUIRE(uv_poll_start(&p, UV_READABLE, [](uv_poll_t*, int, int) {}) == 0);
  uv_run(&l.loop, UV_RUN_NOWAIT);  // armed for READABLE only; nothing to read
  // Widening the interest makes the reactor cancel and re-arm: the cancellation's packet ends
  // the next dequeue with nothing for libuv. UV_RUN_ONCE must still run the timer.
  REQUIRE(uv_poll_start(&p, UV_READABLE | UV_PRIORITIZED, p.poll_cb) == 0);
  static int fired = 0;
  uv_timer_t t;
  REQUIRE(uv_timer_init(&l.loop, &t) == 0);
  REQUIRE(uv_timer_start(&t, [](uv_timer_t*) { ++fired; }, 200, 0) == 0);
  uv_run(&l.loop, UV_RUN_ONCE);
  CHECK(fired == 1);
  closesocket(a);
  closesocket(b);
}

TEST_CASE("owned: a nested uv_run is refused with UV_EBUSY", "[compat][loop]") {
  Loop l;
  static int nested = 0;
  uv_idle_t idle;
  REQUIRE(uv_idle_init(&l.loop, &idle) == 0);
  REQUIRE(uv_idle_start(&idle, [](uv_idle_t* h) {
    nested = uv_run(h->loop, UV_RUN_NOWAIT);
    uv_idle_stop(h);
  }) == 0);
  uv_run(&l.loop, UV_RUN_DEFAULT);
  CHECK(nested == UV_EBUSY);
}

TEST_CASE("owned: uv_async_send between uv_close and close_cb posts nothing", "[compat][async]") {
  Loop l;
  static uv_async_t async;
  static int calls = 0, sends_after_close = 1;
  REQUIRE(uv_async_init(&l.loop, &async, [](uv_async_t*) { ++calls; }) == 0);
  uv_close(reinterpret_cast<uv_handle_t*>(&async), [](uv_handle_t* h) {
    (void)h;
  });
  sends_after_close = uv_async_send(&async);
  CHECK(uv_run(&l.loop, UV_RUN_DEFAULT) == 0);
  CHECK(sends_after_close == 0);
  CHECK(calls == 0);
}

TEST_CASE("owned: two uv_poll_t on one socket: the second start is UV_EEXIST", "[compat][poll]") {
  Loop l;
  SOCKET a, b;
  tcp_pair(&a, &b);
  uv_poll_t p1, p2;
  REQUIRE(uv_poll_init_socket(&l.loop, &p1, b) == 0);
  REQUIRE(uv_poll_init_socket(&l.loop, &p2, b) == 0);
  REQUIRE(uv_poll_start(&p1, UV_READABLE, [](uv_poll_t*, int, int) {}) == 0);
  CHECK(uv_poll_start(&p2, UV_READABLE, [](uv_poll_t*, int, int) {}) == UV_EEXIST);
  REQUIRE(uv_poll_stop(&p1) == 0);
  CHECK(uv_poll_start(&p2, UV_WRITABLE, [](uv_poll_t* h, int, int) { uv_poll_stop(h); }) == 0);
  uv_run(&l.loop, UV_RUN_DEFAULT);
  closesocket(a);
  closesocket(b);
}
