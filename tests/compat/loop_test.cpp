// The libuv API on uvafd, under Wine: loop phases, run modes, reference counting, timers,
// close ordering, uv_loop_close, and poll/async through the libuv API.
#include <catch.hpp>

#include <winsock2.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "loop_fixture.h"
#include "uv.h"

using namespace compat_test;

namespace {

// For the LOCAL_CLOSE tests: a handle that wrongly stays active would keep uv_run from ever
// returning. The guard, an unreferenced 2 s timer, closes it then and counts that it had to.
struct PollGuard {
  uv_timer_t timer;
  uv_poll_t* poll;
  int fired = 0;
  PollGuard(uv_loop_t* loop, uv_poll_t* p) : poll(p) {
    REQUIRE(uv_timer_init(loop, &timer) == 0);
    timer.data = this;
    REQUIRE(uv_timer_start(&timer, [](uv_timer_t* t) {
      auto* g = static_cast<PollGuard*>(t->data);
      ++g->fired;
      uv_close(reinterpret_cast<uv_handle_t*>(g->poll), nullptr);
    }, 2000, 0) == 0);
    uv_unref(reinterpret_cast<uv_handle_t*>(&timer));
  }
};

}  // namespace


// Each libuv version's own phase order: up to 1.44 the timers run first in every iteration;
// from 1.45 (libuv's "change execution order of timers") they run after the closing phase, and
// UV_RUN_DEFAULT runs them once more before its first iteration.
TEST_CASE("compat: one iteration runs its phases in the order of the libuv it was built on",
          "[compat][loop]") {
  Loop l;
  uv_timer_t timer;
  uv_idle_t idle;
  uv_prepare_t prepare;
  uv_check_t check;
  uv_async_t async;
  REQUIRE(uv_timer_init(&l.loop, &timer) == 0);
  REQUIRE(uv_idle_init(&l.loop, &idle) == 0);
  REQUIRE(uv_prepare_init(&l.loop, &prepare) == 0);
  REQUIRE(uv_check_init(&l.loop, &check) == 0);
  REQUIRE(uv_async_init(&l.loop, &async, [](uv_async_t*) { log("poll:async"); }) == 0);
  REQUIRE(uv_timer_start(&timer, [](uv_timer_t*) { log("timer"); }, 0, 0) == 0);
  REQUIRE(uv_idle_start(&idle, [](uv_idle_t* h) {
    log("idle");
    uv_idle_stop(h);
  }) == 0);
  REQUIRE(uv_prepare_start(&prepare, [](uv_prepare_t* h) {
    log("prepare");
    uv_prepare_stop(h);
  }) == 0);
  REQUIRE(uv_check_start(&check, [](uv_check_t* h) {
    log("check");
    uv_close(reinterpret_cast<uv_handle_t*>(h), [](uv_handle_t*) { log("close_cb"); });
  }) == 0);
  uv_update_time(&l.loop);
  REQUIRE(uv_async_send(&async) == 0);
  uv_sleep(2);
  uv_run(&l.loop, UV_RUN_NOWAIT);
#if UV_VERSION_HEX >= 0x012d00
  const std::vector<std::string> expected = {"idle", "prepare", "poll:async", "check", "close_cb",
                                             "timer"};
#else
  const std::vector<std::string> expected = {"timer", "idle", "prepare", "poll:async", "check",
                                             "close_cb"};
#endif
  CHECK(l.events == expected);
}

TEST_CASE("compat: UV_RUN_DEFAULT runs due timers before its first iteration from libuv 1.45",
          "[compat][loop]") {
  Loop l;
  uv_timer_t timer;
  uv_prepare_t prepare;
  REQUIRE(uv_timer_init(&l.loop, &timer) == 0);
  REQUIRE(uv_prepare_init(&l.loop, &prepare) == 0);
  REQUIRE(uv_timer_start(&timer, [](uv_timer_t*) { log("timer"); }, 0, 0) == 0);
  REQUIRE(uv_prepare_start(&prepare, [](uv_prepare_t* h) {
    log("prepare");
    uv_prepare_stop(h);
  }) == 0);
  uv_update_time(&l.loop);
  uv_sleep(2);
  CHECK(uv_run(&l.loop, UV_RUN_DEFAULT) == 0);
  // Both versions run a due timer before the first prepare callback in UV_RUN_DEFAULT (1.44 at
  // the top of the iteration, 1.45 before the loop); in UV_RUN_ONCE only 1.44 does.
  const std::vector<std::string> expected = {"timer", "prepare"};
  CHECK(l.events == expected);

  l.events.clear();
  REQUIRE(uv_timer_start(&timer, [](uv_timer_t*) { log("timer"); }, 0, 0) == 0);
  REQUIRE(uv_prepare_start(&prepare, [](uv_prepare_t* h) {
    log("prepare");
    uv_prepare_stop(h);
  }) == 0);
  uv_update_time(&l.loop);
  uv_sleep(2);
  uv_run(&l.loop, UV_RUN_ONCE);
#if UV_VERSION_HEX >= 0x012d00
  const std::vector<std::string> once = {"prepare", "timer"};
#else
  const std::vector<std::string> once = {"timer", "prepare"};
#endif
  CHECK(l.events == once);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare), nullptr);
  uv_run(&l.loop, UV_RUN_DEFAULT);
}

#if UV_VERSION_HEX >= 0x012d00
// uv_metrics_info (1.45): the loop core counts iterations and the events it hands to libuv's
// handles; the thread pool's completions beyond the first count as events of its wakeup.
TEST_CASE("compat: the loop core counts loop_count, events and events_waiting",
          "[compat][loop]") {
  Loop l;
  uv_metrics_t m;
  REQUIRE(uv_metrics_info(&l.loop, &m) == 0);
  CHECK(m.loop_count == 0);
  CHECK(m.events == 0);
  CHECK(m.events_waiting == 0);

  uv_async_t async;
  REQUIRE(uv_async_init(&l.loop, &async, [](uv_async_t* h) {
    log("async");
    uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
  }) == 0);
  REQUIRE(uv_async_send(&async) == 0);
  uv_sleep(2);
  // NOWAIT: a wait of timeout 0, so the queued wakeup was waiting when the wait began.
  uv_run(&l.loop, UV_RUN_NOWAIT);
  REQUIRE(uv_metrics_info(&l.loop, &m) == 0);
  CHECK(m.loop_count == 1);
  CHECK(m.events == 1);
  CHECK(m.events_waiting == 1);
  // The close finished in the same iteration: nothing is alive, and a run without an
  // iteration counts none.
  CHECK(uv_run(&l.loop, UV_RUN_DEFAULT) == 0);
  REQUIRE(uv_metrics_info(&l.loop, &m) == 0);
  CHECK(m.loop_count == 1);
  CHECK(m.events == 1);

  // A blocking wait: the wakeup from another thread arrives while the loop sleeps.
  uv_async_t late;
  REQUIRE(uv_async_init(&l.loop, &late, [](uv_async_t* h) {
    uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
  }) == 0);
  std::thread sender([&late] {
    uv_sleep(50);
    uv_async_send(&late);
  });
  uv_run(&l.loop, UV_RUN_ONCE);
  sender.join();
  REQUIRE(uv_metrics_info(&l.loop, &m) == 0);
  CHECK(m.events == 2);
  CHECK(m.events_waiting == 1);
  uv_run(&l.loop, UV_RUN_DEFAULT);
}
#endif

TEST_CASE("compat: run modes and reference counting", "[compat][loop]") {
  Loop l;
  CHECK(uv_run(&l.loop, UV_RUN_DEFAULT) == 0);  // nothing alive: returns at once
  CHECK(uv_loop_alive(&l.loop) == 0);
  uv_timer_t timer;
  REQUIRE(uv_timer_init(&l.loop, &timer) == 0);
  REQUIRE(uv_timer_start(&timer, [](uv_timer_t*) { log("fired"); }, 50, 0) == 0);
  CHECK(uv_loop_alive(&l.loop) == 1);
  CHECK(uv_run(&l.loop, UV_RUN_NOWAIT) == 1);  // not due yet, still alive
  CHECK(l.events.empty());
  CHECK(uv_run(&l.loop, UV_RUN_ONCE) == 0);  // blocks until the timer, which was the last
  CHECK(l.events.size() == 1);

  REQUIRE(uv_timer_start(&timer, [](uv_timer_t*) { log("never"); }, 10000, 0) == 0);
  CHECK(uv_has_ref(reinterpret_cast<uv_handle_t*>(&timer)) == 1);
  uv_unref(reinterpret_cast<uv_handle_t*>(&timer));
  CHECK(uv_has_ref(reinterpret_cast<uv_handle_t*>(&timer)) == 0);
  CHECK(uv_loop_alive(&l.loop) == 0);
  const uint64_t before = uv_now(&l.loop);
  CHECK(uv_run(&l.loop, UV_RUN_DEFAULT) == 0);  // an unreferenced timer keeps nothing alive
  CHECK(uv_now(&l.loop) - before < 5000);
  CHECK(uv_is_active(reinterpret_cast<uv_handle_t*>(&timer)) == 1);
  uv_ref(reinterpret_cast<uv_handle_t*>(&timer));
  CHECK(uv_loop_alive(&l.loop) == 1);
  uv_timer_stop(&timer);
  CHECK(uv_loop_alive(&l.loop) == 0);

  // uv_stop ends uv_run after the current iteration.
  uv_idle_t idle;
  uv_idle_init(&l.loop, &idle);
  uv_idle_start(&idle, [](uv_idle_t* h) {
    log("idle");
    uv_stop(h->loop);
  });
  l.events.clear();
  CHECK(uv_run(&l.loop, UV_RUN_DEFAULT) == 1);
  CHECK(l.events.size() == 1);
  CHECK(uv_backend_timeout(&l.loop) == 0);  // an active idle handle: no blocking
  uv_idle_stop(&idle);
}

TEST_CASE("compat: timers with equal deadlines run in start order; repeat and again",
          "[compat][timer]") {
  Loop l;
  uv_timer_t t[4];
  for (int i = 0; i < 4; ++i) {
    REQUIRE(uv_timer_init(&l.loop, &t[i]) == 0);
    t[i].data = reinterpret_cast<void*>(intptr_t(i));
  }
  auto cb = [](uv_timer_t* h) { log("t" + std::to_string(intptr_t(h->data))); };
  // Same timeout, started in the order 2, 0, 3: they must run 2, 0, 3.
  REQUIRE(uv_timer_start(&t[2], cb, 5, 0) == 0);
  REQUIRE(uv_timer_start(&t[0], cb, 5, 0) == 0);
  REQUIRE(uv_timer_start(&t[3], cb, 5, 0) == 0);
  REQUIRE(uv_timer_start(&t[1], cb, 1, 0) == 0);  // earlier deadline first
  uv_run(&l.loop, UV_RUN_DEFAULT);
  const std::vector<std::string> expected = {"t1", "t2", "t0", "t3"};
  CHECK(l.events == expected);

  CHECK(uv_timer_start(&t[0], nullptr, 1, 0) == UV_EINVAL);
  CHECK(uv_timer_again(&t[1]) == 0);  // no repeat: nothing to do
  l.events.clear();
  REQUIRE(uv_timer_start(&t[0], [](uv_timer_t* h) {
    log("tick");
    if (++*static_cast<int*>(h->loop->data) == 3) uv_timer_stop(h);
  }, 1, 2) == 0);
  int ticks = 0;
  l.loop.data = &ticks;
  CHECK(uv_timer_get_repeat(&t[0]) == 2);
  CHECK(uv_timer_get_due_in(&t[0]) <= 1);
  uv_run(&l.loop, UV_RUN_DEFAULT);
  CHECK(ticks == 3);
}

TEST_CASE("compat: close callbacks run last-closed first, in the closing phase",
          "[compat][close]") {
  Loop l;
  uv_timer_t a, b;
  uv_idle_t c;
  uv_timer_init(&l.loop, &a);
  uv_timer_init(&l.loop, &b);
  uv_idle_init(&l.loop, &c);
  a.data = const_cast<char*>("a");
  b.data = const_cast<char*>("b");
  c.data = const_cast<char*>("c");
  auto cb = [](uv_handle_t* h) { log(static_cast<const char*>(h->data)); };
  uv_close(reinterpret_cast<uv_handle_t*>(&a), cb);
  uv_close(reinterpret_cast<uv_handle_t*>(&b), cb);
  uv_close(reinterpret_cast<uv_handle_t*>(&c), cb);
  CHECK(uv_is_closing(reinterpret_cast<uv_handle_t*>(&a)) == 1);
  CHECK(l.events.empty());  // not before the loop runs
  CHECK(uv_loop_alive(&l.loop) == 1);  // closing handles keep it alive
  CHECK(uv_loop_close(&l.loop) == UV_EBUSY);
  CHECK(uv_run(&l.loop, UV_RUN_NOWAIT) == 0);
  const std::vector<std::string> expected = {"c", "b", "a"};
  CHECK(l.events == expected);
}

TEST_CASE("compat: uv_loop_close is EBUSY while a handle is open and drains poll zombies",
          "[compat][close]") {
  SOCKET a, b;
  tcp_pair(&a, &b);
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  uv_poll_t poll;
  REQUIRE(uv_poll_init_socket(&loop, &poll, b) == 0);
  REQUIRE(uv_poll_start(&poll, UV_READABLE, [](uv_poll_t*, int, int) {}) == 0);
  CHECK(uv_run(&loop, UV_RUN_NOWAIT) == 1);  // armed: the request is in flight
  CHECK(uv_loop_close(&loop) == UV_EBUSY);
  static int closed = 0;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll), [](uv_handle_t*) { ++closed; });
  CHECK(uv_run(&loop, UV_RUN_NOWAIT) == 0);
  CHECK(closed == 1);  // close_cb did not wait for the kernel
  CHECK(uv_loop_close(&loop) == 0);  // the reactor cancels and drains the zombie here
  closesocket(a);
  closesocket(b);
}

TEST_CASE("compat: poll readable and writable on a TCP pair, and uv_poll_stop",
          "[compat][poll]") {
  Loop l;
  SOCKET a, b;
  tcp_pair(&a, &b);
  uv_poll_t pa, pb;
  REQUIRE(uv_poll_init_socket(&l.loop, &pa, a) == 0);
  REQUIRE(uv_poll_init_socket(&l.loop, &pb, b) == 0);
  // Where libuv asserts (docs/compat.md, "Undefined in libuv"): unknown bits, events without a
  // callback, a handle that is not a uv_poll_t.
  CHECK(uv_poll_start(&pa, 0x40, [](uv_poll_t*, int, int) {}) == UV_EINVAL);
  CHECK(uv_poll_start(&pa, UV_READABLE, nullptr) == UV_EINVAL);
  uv_timer_t not_poll;
  REQUIRE(uv_timer_init(&l.loop, &not_poll) == 0);
  CHECK(uv_poll_start(reinterpret_cast<uv_poll_t*>(&not_poll), UV_READABLE,
                      [](uv_poll_t*, int, int) {}) == UV_EINVAL);
  CHECK(uv_poll_stop(reinterpret_cast<uv_poll_t*>(&not_poll)) == UV_EINVAL);
  uv_close(reinterpret_cast<uv_handle_t*>(&not_poll), nullptr);
  CHECK(uv_is_active(reinterpret_cast<uv_handle_t*>(&pa)) == 0);
  static int readable = 0, writable = 0;
  REQUIRE(uv_poll_start(&pa, UV_WRITABLE, [](uv_poll_t* h, int status, int events) {
    CHECK(status == 0);
    if (events & UV_WRITABLE) ++writable;
    uv_poll_stop(h);
  }) == 0);
  REQUIRE(uv_poll_start(&pb, UV_READABLE, [](uv_poll_t* h, int status, int events) {
    CHECK(status == 0);
    if (events & UV_READABLE) ++readable;
    char buf[16];
    recv(reinterpret_cast<SOCKET>(h->data), buf, sizeof buf, 0);
    uv_poll_stop(h);
  }) == 0);
  pb.data = reinterpret_cast<void*>(b);
  REQUIRE(send(a, "x", 1, 0) == 1);
  CHECK(uv_run(&l.loop, UV_RUN_DEFAULT) == 0);  // both stop themselves: the loop ends
  CHECK(readable == 1);
  CHECK(writable == 1);
  CHECK(uv_is_active(reinterpret_cast<uv_handle_t*>(&pa)) == 0);
  closesocket(a);
  closesocket(b);
}

TEST_CASE("compat: poll on a file descriptor that is not a socket fails", "[compat][poll]") {
  Loop l;
  uv_poll_t p;
  CHECK(uv_poll_init(&l.loop, &p, -1) == UV_EBADF);
  CHECK(uv_poll_init_socket(&l.loop, &p, INVALID_SOCKET) == UV_EBADF);
  CHECK(uv_poll_init(&l.loop, &p, 0) != 0);  // stdin: a pipe or console, not a socket
}

TEST_CASE("compat: uv_async_send from threads is coalesced and never lost", "[compat][async]") {
  Loop l;
  uv_async_t async;
  static std::atomic<int> sent{0}, send_errors{0};
  static int seen = 0, calls = 0;
  sent = 0;
  REQUIRE(uv_async_init(&l.loop, &async, [](uv_async_t* h) {
    ++calls;
    seen = sent.load();
    if (seen == 4000) uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
  }) == 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        sent.fetch_add(1);
        if (uv_async_send(&async) != 0) send_errors.fetch_add(1);  // Catch2 is single-threaded
      }
    });
  for (auto& t : threads) t.join();
  uv_run(&l.loop, UV_RUN_DEFAULT);  // ends when the last send has been seen and the handle closed
  CHECK(send_errors == 0);
  CHECK(seen == 4000);
  CHECK(calls >= 1);
  CHECK(calls <= 4000);
}

// libuv clears async_sent just before async_cb, so a send made after the loop dequeued the
// wakeup and before the callback runs is covered by that callback ("called 5 times in a row
// before the callback is called, the callback will only be called once"). Here B's callback
// sends to A, whose wakeup was dequeued in the same batch and whose callback is still to come:
// libuv 1.50.0 under Wine, the same program, calls A once. A send from A's own callback (after
// the point where libuv clears the flag) makes a new callback in both.
TEST_CASE("compat: a send before async_cb runs is covered by it; one from async_cb is not",
          "[compat][async]") {
  Loop l;
  static uv_async_t a, b;
  static uv_timer_t t;
  static int a_calls = 0, b_calls = 0, resend_from_a = 0;
  a_calls = b_calls = 0;
  resend_from_a = 0;
  REQUIRE(uv_async_init(&l.loop, &a, [](uv_async_t* h) {
    ++a_calls;
    if (resend_from_a) {
      resend_from_a = 0;
      CHECK(uv_async_send(h) == 0);  // after the point libuv clears async_sent: a new callback
    }
  }) == 0);
  REQUIRE(uv_async_init(&l.loop, &b, [](uv_async_t*) {
    ++b_calls;
    CHECK(uv_async_send(&a) == 0);  // A's callback is due in this batch: covered by it
  }) == 0);
  REQUIRE(uv_timer_init(&l.loop, &t) == 0);
  REQUIRE(uv_timer_start(&t, [](uv_timer_t*) {
    CHECK(uv_async_send(&b) == 0);
    CHECK(uv_async_send(&a) == 0);
  }, 1, 0) == 0);
  for (int i = 0; i < 50 && b_calls == 0; ++i) uv_run(&l.loop, UV_RUN_ONCE);
  for (int i = 0; i < 5; ++i) uv_run(&l.loop, UV_RUN_NOWAIT);
  CHECK(b_calls == 1);
  CHECK(a_calls == 1);

  resend_from_a = 1;
  REQUIRE(uv_async_send(&a) == 0);
  for (int i = 0; i < 50 && a_calls < 3; ++i) uv_run(&l.loop, UV_RUN_ONCE);
  for (int i = 0; i < 5; ++i) uv_run(&l.loop, UV_RUN_NOWAIT);
  CHECK(a_calls == 3);
  uv_close(reinterpret_cast<uv_handle_t*>(&b), nullptr);
  uv_run(&l.loop, UV_RUN_NOWAIT);
  // A closed from B's callback while its own wakeup is dequeued and its callback still to
  // come: no callback, close_cb follows, nothing is left in the port.
  static int closed = 0;
  closed = 0;
  REQUIRE(uv_async_init(&l.loop, &b, [](uv_async_t* h) {
    uv_close(reinterpret_cast<uv_handle_t*>(&a), [](uv_handle_t*) { ++closed; });
    uv_close(reinterpret_cast<uv_handle_t*>(h), [](uv_handle_t*) { ++closed; });
  }) == 0);
  REQUIRE(uv_timer_start(&t, [](uv_timer_t* timer) {
    CHECK(uv_async_send(&b) == 0);
    CHECK(uv_async_send(&a) == 0);
    uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t*) { ++closed; });
  }, 1, 0) == 0);
  CHECK(uv_run(&l.loop, UV_RUN_DEFAULT) == 0);
  CHECK(closed == 3);
  CHECK(a_calls == 3);
}

// libuv asks for a closed async handle's endgame when its last wakeup request is processed, in
// dequeue order with the batch's other requests; endgames run last-queued first. Here A is
// closed with its wakeup in the port behind B's, and B's callback closes a timer and B itself:
// libuv 1.50.0 under Wine, the same program, runs the close callbacks a, b, t. Asking for A's
// endgame when its packet is dequeued (before B's callback) ran them b, t, a.
TEST_CASE("compat: a closed async handle's endgame is queued in dequeue order, as libuv's",
          "[compat][async]") {
  Loop l;
  static uv_async_t a, b;
  static uv_timer_t t, other;
  static std::string order;
  order.clear();
  REQUIRE(uv_async_init(&l.loop, &a, [](uv_async_t*) { order += 'A'; }) == 0);
  REQUIRE(uv_async_init(&l.loop, &b, [](uv_async_t* h) {
    order += 'B';
    uv_close(reinterpret_cast<uv_handle_t*>(&other), [](uv_handle_t*) { order += 't'; });
    uv_close(reinterpret_cast<uv_handle_t*>(h), [](uv_handle_t*) { order += 'b'; });
  }) == 0);
  REQUIRE(uv_timer_init(&l.loop, &other) == 0);
  REQUIRE(uv_timer_start(&other, [](uv_timer_t*) {}, 100000, 0) == 0);
  REQUIRE(uv_timer_init(&l.loop, &t) == 0);
  REQUIRE(uv_timer_start(&t, [](uv_timer_t* timer) {
    CHECK(uv_async_send(&b) == 0);
    CHECK(uv_async_send(&a) == 0);
    uv_close(reinterpret_cast<uv_handle_t*>(&a), [](uv_handle_t*) { order += 'a'; });
    uv_close(reinterpret_cast<uv_handle_t*>(timer), nullptr);
  }, 1, 0) == 0);
  CHECK(uv_run(&l.loop, UV_RUN_DEFAULT) == 0);
  CHECK(order == "Babt");
}

TEST_CASE("compat: uv_walk, handle introspection, loop data", "[compat][loop]") {
  Loop l;
  uv_timer_t t;
  uv_idle_t i;
  uv_timer_init(&l.loop, &t);
  uv_idle_init(&l.loop, &i);
  static int walked = 0;
  uv_walk(&l.loop, [](uv_handle_t*, void* arg) { ++*static_cast<int*>(arg); }, &walked);
  CHECK(walked == 2);
  CHECK(uv_handle_get_type(reinterpret_cast<uv_handle_t*>(&t)) == UV_TIMER);
  CHECK(std::string(uv_handle_type_name(UV_POLL)) == "poll");
  CHECK(uv_handle_size(UV_POLL) == sizeof(uv_poll_t));
  CHECK(uv_handle_get_loop(reinterpret_cast<uv_handle_t*>(&t)) == &l.loop);
  uv_handle_set_data(reinterpret_cast<uv_handle_t*>(&t), &walked);
  CHECK(uv_handle_get_data(reinterpret_cast<uv_handle_t*>(&t)) == &walked);
  uv_loop_set_data(&l.loop, &walked);
  CHECK(uv_loop_get_data(&l.loop) == &walked);
  CHECK(uv_loop_size() == sizeof(uv_loop_t));
  CHECK(uv_loop_configure(&l.loop, UV_LOOP_BLOCK_SIGNAL, 0) == UV_ENOSYS);
  CHECK(uv_backend_fd(&l.loop) == -1);
  uv_loop_t* d = uv_default_loop();
  REQUIRE(d != nullptr);
  CHECK(uv_default_loop() == d);
  CHECK(uv_loop_close(d) == 0);
}

TEST_CASE("compat: closesocket under an active poll handle (libuv's poll_closesocket)",
          "[compat][poll]") {
  Loop l;
  // Connect to a port nobody listens on: the connect fails, which polls as writable.
  SOCKET probe = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = bind_loopback(probe);
  closesocket(probe);  // the port is free again: nobody listens there
  static SOCKET s;
  s = socket(AF_INET, SOCK_STREAM, 0);
  u_long on = 1;
  ioctlsocket(s, FIONBIO, &on);
  CHECK(connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0);
  static uv_poll_t handle;
  static int poll_calls = 0, close_calls = 0;
  REQUIRE(uv_poll_init_socket(&l.loop, &handle, s) == 0);
  REQUIRE(uv_poll_start(&handle, UV_WRITABLE, [](uv_poll_t* h, int status, int events) {
    ++poll_calls;
    CHECK(status == 0);
    CHECK((events & UV_WRITABLE) != 0);
    CHECK(uv_poll_start(h, UV_READABLE, h->poll_cb) == 0);
    closesocket(s);
    uv_close(reinterpret_cast<uv_handle_t*>(h), [](uv_handle_t*) { ++close_calls; });
  }) == 0);
  uv_run(&l.loop, UV_RUN_DEFAULT);
  CHECK(poll_calls == 1);
  CHECK(close_calls == 1);
}

TEST_CASE("compat: a poll on a socket closed before uv_poll_start reports UV_ENOTSOCK, as libuv",
          "[compat][poll]") {
  Loop l;
  SOCKET a, b;
  tcp_pair(&a, &b);
  uv_poll_t p;
  REQUIRE(uv_poll_init_socket(&l.loop, &p, b) == 0);
  closesocket(b);  // no poll in flight yet: nothing tells the registration
  static int status_seen = 1;
  REQUIRE(uv_poll_start(&p, UV_READABLE, [](uv_poll_t* h, int status, int) {
    status_seen = status;
    uv_poll_stop(h);
  }) == 0);
  uv_run(&l.loop, UV_RUN_DEFAULT);
  // libuv 1.50.0 under Wine, the same program: UV_ENOTSOCK (STATUS_INVALID_HANDLE's winsock
  // error).
  CHECK(status_seen == UV_ENOTSOCK);
  closesocket(a);
}

// libuv submits its poll in uv_poll_start, so closesocket before the loop runs completes it
// with LOCAL_CLOSE: the handle stops, poll_cb is not called, and uv_run returns. A poll armed
// only at the next wait would be submitted on a closed value (an error, and a loop that never
// ends), or on a new socket that took the value meanwhile.
TEST_CASE("compat: closesocket after uv_poll_start, before uv_run: the handle stops quietly, "
          "as libuv's", "[compat][poll]") {
  Loop l;
  SOCKET a, b;
  tcp_pair(&a, &b);
  static uv_poll_t p;
  static int poll_calls = 0;
  poll_calls = 0;
  REQUIRE(uv_poll_init_socket(&l.loop, &p, b) == 0);
  REQUIRE(uv_poll_start(&p, UV_READABLE, [](uv_poll_t*, int, int) { ++poll_calls; }) == 0);
  closesocket(b);
  PollGuard guard(&l.loop, &p);
  CHECK(uv_run(&l.loop, UV_RUN_DEFAULT) == 0);
  CHECK(poll_calls == 0);
  CHECK(guard.fired == 0);
  CHECK(uv_is_active(reinterpret_cast<uv_handle_t*>(&p)) == 0);
  // Stopping a handle whose socket is gone succeeds, as in libuv.
  CHECK(uv_poll_start(&p, 0, p.poll_cb) == 0);
  CHECK(uv_poll_stop(&p) == 0);
  closesocket(a);
}

// uv_poll_start inside uv_run waits for the iteration's wait to submit it; when uv_run returns
// first (UV_RUN_NOWAIT, the start made by a timer after the wait), it submits what is left
// before it returns, so the program's closesocket is still seen as LOCAL_CLOSE.
TEST_CASE("compat: a poll started in a callback, then uv_run returns and the socket is closed: "
          "the handle stops quietly", "[compat][poll]") {
  Loop l;
  SOCKET a;
  static SOCKET b;
  tcp_pair(&a, &b);
  static uv_poll_t p;
  static int poll_calls = 0;
  poll_calls = 0;
  REQUIRE(uv_poll_init_socket(&l.loop, &p, b) == 0);
  uv_timer_t starter;
  REQUIRE(uv_timer_init(&l.loop, &starter) == 0);
  REQUIRE(uv_timer_start(&starter, [](uv_timer_t*) {
    CHECK(uv_poll_start(&p, UV_READABLE, [](uv_poll_t*, int, int) { ++poll_calls; }) == 0);
  }, 0, 0) == 0);
  for (int i = 0; i < 50 && !uv_is_active(reinterpret_cast<uv_handle_t*>(&p)); ++i)
    uv_run(&l.loop, UV_RUN_NOWAIT);
  REQUIRE(uv_is_active(reinterpret_cast<uv_handle_t*>(&p)));
  closesocket(b);
  PollGuard guard(&l.loop, &p);
  uv_run(&l.loop, UV_RUN_DEFAULT);
  CHECK(poll_calls == 0);
  CHECK(guard.fired == 0);
  CHECK(uv_is_active(reinterpret_cast<uv_handle_t*>(&p)) == 0);
  closesocket(a);
}

// libuv resubmits right after poll_cb, so a socket closed after its callback, before the next
// iteration, is told by LOCAL_CLOSE: the handle stops, with no error. A re-arm left to the next
// wait would submit on the closed value (or a new socket's) and report an error instead.
TEST_CASE("compat: a socket closed between poll_cb and the next iteration stops the handle "
          "without an error, as libuv's", "[compat][poll]") {
  Loop l;
  SOCKET a, b;
  tcp_pair(&a, &b);
  static uv_poll_t p;
  static int calls = 0, errors = 0;
  calls = errors = 0;
  REQUIRE(uv_poll_init_socket(&l.loop, &p, b) == 0);
  REQUIRE(send(a, "x", 1, 0) == 1);
  REQUIRE(uv_poll_start(&p, UV_READABLE, [](uv_poll_t* h, int status, int) {
    ++calls;
    if (status < 0) {
      ++errors;
      return;
    }
    char byte;
    recv(h->socket, &byte, 1, 0);  // nothing left: the poll submitted now stays pending
  }) == 0);
  while (calls == 0) uv_run(&l.loop, UV_RUN_ONCE);
  closesocket(b);  // the handle still started
  PollGuard guard(&l.loop, &p);
  uv_run(&l.loop, UV_RUN_DEFAULT);
  CHECK(errors == 0);
  CHECK(uv_is_active(reinterpret_cast<uv_handle_t*>(&p)) == 0);
  CHECK(guard.fired == 0);
  CHECK_FALSE(uv_is_closing(reinterpret_cast<uv_handle_t*>(&p)));  // stopped, not by the guard
  closesocket(a);
}
