// Issue 17 through libuv: every allocation behind uv_loop_init, uv_poll_init(_socket),
// uv_poll_start, uv_async_init, uv_async_send, uv_close, uv_run and uv_loop_close failed in
// turn: operator new inside the reactor (fail_alloc.h) and libuv's own uv__malloc, through
// uv_replace_allocator, counted as one sequence. A failure must come back as UV_ENOMEM (the
// calls that return void, or that libuv says cannot fail, must not allocate at all), and the
// loop must stay usable: the same call then succeeds, a poll handle made before still gets its
// events, a new one and an async handle get theirs, and the loop closes cleanly.
#include <catch.hpp>

#include <io.h>
#include <winsock2.h>

#include <cstdlib>
#include <vector>

#include "fail_alloc.h"
#include "loopback.h"
#include "uv.h"

namespace {

using namespace uvafd_test;

void* failing_malloc(size_t size) { return next_allocation_fails() ? nullptr : std::malloc(size); }
void* failing_realloc(void* p, size_t size) {
  return next_allocation_fails() ? nullptr : std::realloc(p, size);
}
void* failing_calloc(size_t n, size_t size) {
  return next_allocation_fails() ? nullptr : std::calloc(n, size);
}

// libuv's one-time initialisation (uv__once_init: winsock, the console, the process title)
// aborts on failure by design, as libuv does everywhere: it runs here, with nothing failing,
// before any sweep, and is not swept.
void install_failing_allocator() {
  static bool done = [] {
    REQUIRE(uv_replace_allocator(failing_malloc, failing_realloc, failing_calloc, std::free) == 0);
    uv_loop_t warm;
    REQUIRE(uv_loop_init(&warm) == 0);
    REQUIRE(uv_loop_close(&warm) == 0);
    winsock_init();
    return true;
  }();
  (void) done;
}

struct PollSeen {
  int readable = 0;
  int errors = 0;
};

void on_poll(uv_poll_t* h, int status, int events) {
  auto* seen = static_cast<PollSeen*>(h->data);
  if (status < 0) ++seen->errors;
  if (events & UV_READABLE) ++seen->readable;
}

void on_async(uv_async_t* h) { ++*static_cast<int*>(h->data); }

// Runs the loop (paused) until `done` or ~2 s.
template <typename Done>
bool run_until(uv_loop_t* loop, Done&& done) {
  AllocationFailuresPaused paused;
  for (int i = 0; i < 100 && !done(); ++i) {
    uv_run(loop, UV_RUN_NOWAIT);
    if (!done()) Sleep(20);
  }
  return done();
}

// A loop whose reactor is one state short of a full slab chunk (`fillers` poll handles on UDP
// sockets and a witness poll handle, readable), so that the next poll handle grows it; and two
// async handles, which take no reactor memory (their sources are inside them).
struct UvScene {
  uv_loop_t loop;
  std::vector<uv_async_t*> asyncs;
  std::vector<uv_poll_t*> filler_polls;
  std::vector<SOCKET> filler_sockets;
  uv_poll_t witness;
  PollSeen witness_seen;
  TcpPair witness_pair;
  int async_count = 0;

  bool build(int fillers) {
    AllocationFailuresPaused paused;
    install_failing_allocator();
    if (uv_loop_init(&loop) != 0) return false;
    for (int i = 0; i < 2; ++i) {
      auto* a = new uv_async_t;
      a->data = &async_count;
      if (uv_async_init(&loop, a, on_async) != 0) return false;
      asyncs.push_back(a);
    }
    for (int i = 0; i < fillers; ++i) {
      const SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
      if (s == INVALID_SOCKET) return false;
      filler_sockets.push_back(s);
      auto* p = new uv_poll_t;
      filler_polls.push_back(p);
      if (uv_poll_init_socket(&loop, p, s) != 0) return false;
    }
    witness_pair = tcp_pair();
    witness.data = &witness_seen;
    if (uv_poll_init_socket(&loop, &witness, witness_pair.a) != 0) return false;
    if (uv_poll_start(&witness, UV_READABLE, on_poll) != 0) return false;
    return send(witness_pair.b, "x", 1, 0) == 1;
  }

  // The witness still reported, a new poll handle and an async handle work, and the loop
  // closes with everything drained.
  bool finish() {
    AllocationFailuresPaused paused;
    bool ok = true;
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&witness))) {
      witness_seen = PollSeen{};
      ok &= run_until(&loop, [&] { return witness_seen.readable > 0; });
      CHECK(ok);
    }

    TcpPair p = tcp_pair();
    uv_poll_t fresh;
    PollSeen fresh_seen;
    fresh.data = &fresh_seen;
    ok &= uv_poll_init_socket(&loop, &fresh, p.a) == 0;
    ok &= uv_poll_start(&fresh, UV_READABLE, on_poll) == 0;
    ok &= send(p.b, "y", 1, 0) == 1;
    uv_async_t a;
    int fired = 0;
    a.data = &fired;
    ok &= uv_async_init(&loop, &a, on_async) == 0;
    ok &= uv_async_send(&a) == 0;
    ok &= run_until(&loop, [&] { return fresh_seen.readable > 0 && fired > 0; });
    CHECK(ok);

    uv_walk(&loop, [](uv_handle_t* h, void*) {
      if (!uv_is_closing(h)) uv_close(h, nullptr);
    }, nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    const int closed = uv_loop_close(&loop);
    CHECK(closed == 0);
    ok &= closed == 0;
    for (uv_async_t* x : asyncs) delete x;
    for (uv_poll_t* x : filler_polls) delete x;
    for (SOCKET x : filler_sockets) closesocket(x);
    closesocket(p.a);
    closesocket(p.b);
    closesocket(witness_pair.a);
    closesocket(witness_pair.b);
    return ok;
  }
};

bool outcome_ok(int rc, bool fired) {
  AllocationFailuresPaused paused;
  const bool ok = rc == 0 || (rc == UV_ENOMEM && fired);
  if (!ok) FAIL_CHECK("armed call returned " << rc << " (allocation failure fired: " << fired << ")");
  return ok;
}

// Sweeps `call` (armed) over a fresh scene; `retry` (paused) must succeed after a failure.
template <typename Prepare, typename Call, typename Retry>
long sweep(int fillers, Prepare&& prepare, Call&& call, Retry&& retry) {
  return sweep_allocation_failures([&](long, auto fired) {
    UvScene sc;
    {
      AllocationFailuresPaused paused;
      REQUIRE(sc.build(fillers));
      REQUIRE(prepare(sc));
    }
    const int rc = call(sc);
    bool ok = outcome_ok(rc, fired());
    if (rc != 0) {
      AllocationFailuresPaused paused;
      const int again = retry(sc);
      CHECK(again == 0);
      ok &= again == 0;
    }
    ok &= sc.finish();
    return ok;
  });
}

bool nothing(UvScene&) { return true; }

}  // namespace

TEST_CASE("alloc sweep (libuv): uv_loop_init", "[compat][alloc]") {
  install_failing_allocator();
  const long points = sweep_allocation_failures([&](long, auto fired) {
    uv_loop_t loop;
    int rc = uv_loop_init(&loop);
    bool ok = outcome_ok(rc, fired());
    AllocationFailuresPaused paused;
    if (rc != 0) ok &= uv_loop_init(&loop) == 0;
    TcpPair p = tcp_pair();
    uv_poll_t poll;
    PollSeen seen;
    poll.data = &seen;
    ok &= uv_poll_init_socket(&loop, &poll, p.a) == 0;
    ok &= uv_poll_start(&poll, UV_READABLE, on_poll) == 0;
    ok &= send(p.b, "x", 1, 0) == 1;
    ok &= run_until(&loop, [&] { return seen.readable > 0; });
    uv_close(reinterpret_cast<uv_handle_t*>(&poll), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    ok &= uv_loop_close(&loop) == 0;
    closesocket(p.a);
    closesocket(p.b);
    CHECK(ok);
    return ok;
  });
  CHECK(points > 0);
}

TEST_CASE("alloc sweep (libuv): uv_poll_init_socket and uv_poll_init growing the reactor",
          "[compat][alloc]") {
  TcpPair p;
  uv_poll_t h;
  PollSeen seen;
  const auto prepare = [&](UvScene&) {
    p = tcp_pair();
    h.data = &seen;
    return true;
  };
  const auto started = [&](UvScene& sc) {
    // The handle made after a failure works too.
    seen = PollSeen{};
    int rc = uv_poll_start(&h, UV_READABLE, on_poll);
    if (rc == 0) rc = send(p.b, "z", 1, 0) == 1 ? 0 : -1;
    if (rc == 0) rc = run_until(&sc.loop, [&] { return seen.readable > 0; }) ? 0 : -1;
    return rc;
  };
  // 255 fillers + the witness fill a slab chunk of 256.
  long points = sweep(255, prepare, [&](UvScene& sc) {
    int rc = uv_poll_init_socket(&sc.loop, &h, p.a);
    if (rc == 0) {
      AllocationFailuresPaused paused;
      rc = started(sc);
    }
    return rc;
  }, [&](UvScene& sc) {
    int rc = uv_poll_init_socket(&sc.loop, &h, p.a);
    return rc ? rc : started(sc);
  });
  CHECK(points > 0);

  int fd = -1;
  points = sweep(255, [&](UvScene& sc) {
    prepare(sc);
    fd = _open_osfhandle(intptr_t(p.a), 0);
    return fd >= 0;
  }, [&](UvScene& sc) {
    int rc = uv_poll_init(&sc.loop, &h, fd);
    if (rc == 0) {
      AllocationFailuresPaused paused;
      rc = started(sc);
    }
    return rc;
  }, [&](UvScene& sc) {
    int rc = uv_poll_init(&sc.loop, &h, fd);
    return rc ? rc : started(sc);
  });
  CHECK(points > 0);
}

TEST_CASE("alloc sweep (libuv): uv_async_init allocates nothing", "[compat][alloc]") {
  // Its wakeup source is inside the handle (compat/src/async.c): no reactor memory, so no
  // failure point, even with the slab full to the last state.
  uv_async_t a;
  int fired = 0;
  const long points = sweep(255, [&](UvScene&) {
    a.data = &fired;
    return true;
  }, [&](UvScene& sc) {
    int rc = uv_async_init(&sc.loop, &a, on_async);
    if (rc == 0) {
      AllocationFailuresPaused paused;
      fired = 0;
      rc = uv_async_send(&a);
      if (rc == 0) rc = run_until(&sc.loop, [&] { return fired > 0; }) ? 0 : -1;
    }
    return rc;
  }, [](UvScene&) { return -1; });
  CHECK(points == 0);
}

TEST_CASE("alloc sweep (libuv): uv_poll_start, uv_async_send, uv_close, uv_run and "
          "uv_loop_close allocate nothing", "[compat][alloc]") {
  // libuv's uv_close and uv_run cannot report a failure, and uv_poll_start / uv_async_send run
  // on every iteration: everything they need was reserved when the handle was made.
  CHECK(sweep(255, nothing, [](UvScene& sc) {
    return uv_poll_start(&sc.witness, UV_READABLE | UV_WRITABLE, on_poll);
  }, [](UvScene&) { return 0; }) == 0);
  CHECK(sweep(255, nothing, [](UvScene& sc) { return uv_async_send(sc.asyncs[0]); },
              [](UvScene&) { return 0; }) == 0);
  // Closing a poll handle whose AFD poll is in flight (a zombie) and an async handle whose
  // wakeup is queued.
  CHECK(sweep(255, [](UvScene& sc) {
    uv_run(&sc.loop, UV_RUN_NOWAIT);  // arms the witness
    return uv_async_send(sc.asyncs[0]) == 0;
  }, [](UvScene& sc) {
    uv_close(reinterpret_cast<uv_handle_t*>(sc.asyncs[0]), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&sc.witness), nullptr);
    return 0;
  }, [](UvScene&) { return 0; }) == 0);
  // An iteration with reports, a queued wakeup, zombies and closing handles.
  CHECK(sweep(255, [](UvScene& sc) {
    uv_run(&sc.loop, UV_RUN_NOWAIT);
    uv_close(reinterpret_cast<uv_handle_t*>(sc.asyncs[0]), nullptr);
    return uv_async_send(sc.asyncs[1]) == 0;
  }, [](UvScene& sc) {
    uv_run(&sc.loop, UV_RUN_NOWAIT);
    return 0;
  }, [](UvScene&) { return 0; }) == 0);
  // uv_loop_close with a poll zombie and a queued wakeup to drain.
  install_failing_allocator();
  const long points = sweep_allocation_failures([&](long, auto fired) {
    uv_loop_t loop;
    uv_poll_t poll;
    uv_async_t a;
    TcpPair p;
    {
      AllocationFailuresPaused paused;
      REQUIRE(uv_loop_init(&loop) == 0);
      p = tcp_pair();
      REQUIRE(uv_poll_init_socket(&loop, &poll, p.a) == 0);
      REQUIRE(uv_poll_start(&poll, UV_READABLE, on_poll) == 0);
      REQUIRE(uv_async_init(&loop, &a, on_async) == 0);
      uv_run(&loop, UV_RUN_NOWAIT);
      REQUIRE(uv_async_send(&a) == 0);
      uv_close(reinterpret_cast<uv_handle_t*>(&poll), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&a), nullptr);
      uv_run(&loop, UV_RUN_NOWAIT);  // close callbacks: the reactor keeps the poll's zombie
    }
    const int rc = uv_loop_close(&loop);
    const bool ok = outcome_ok(rc, fired());
    AllocationFailuresPaused paused;
    closesocket(p.a);
    closesocket(p.b);
    return ok;
  });
  CHECK(points == 0);
}
