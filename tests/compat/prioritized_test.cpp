// UV_PRIORITIZED on Windows (docs/compat.md): libuv documents it for TCP out-of-band data and
// reports it on Unix (POLLPRI); libuv's Windows poll accepts it but never asks AFD for
// expedited data, so it never comes. uvafd reports it when, and only when, it was asked for.
// Checked with urgent data (send with MSG_OOB) on a loopback TCP pair under Wine.
#include <catch.hpp>

#include <winsock2.h>

#include "loop_fixture.h"
#include "uv.h"

using namespace compat_test;

namespace {

struct Reports {
  int calls = 0;
  int any = 0;  // every event bit reported, or'ed
  int last = 0;
};

void on_poll(uv_poll_t* h, int status, int events) {
  auto* r = static_cast<Reports*>(h->data);
  REQUIRE(status == 0);
  ++r->calls;
  r->any |= events;
  r->last = events;
}

// Runs ~ms milliseconds of loop iterations, or until stop().
template <typename Stop>
void run_for(uv_loop_t* loop, int ms, Stop&& stop) {
  for (int t = 0; t < ms && !stop(); t += 10) {
    uv_run(loop, UV_RUN_NOWAIT);
    Sleep(10);
  }
}

// A loopback pair whose end b is polled for `events`, with one urgent byte sent from a.
struct UrgentByteSent {
  Loop l;
  SOCKET a, b;
  uv_poll_t p;
  Reports r;
  explicit UrgentByteSent(int events) {
    tcp_pair(&a, &b);
    p.data = &r;
    REQUIRE(uv_poll_init_socket(&l.loop, &p, b) == 0);
    REQUIRE(uv_poll_start(&p, events, on_poll) == 0);
    REQUIRE(send(a, "!", 1, MSG_OOB) == 1);
  }
  ~UrgentByteSent() {
    uv_close(reinterpret_cast<uv_handle_t*>(&p), nullptr);
    closesocket(a);
    closesocket(b);
  }
};

}  // namespace

TEST_CASE("prioritized: urgent data is reported as UV_PRIORITIZED when asked for",
          "[compat][poll]") {
  UrgentByteSent t(UV_READABLE | UV_PRIORITIZED);
  Loop& l = t.l;
  Reports& r = t.r;
  run_for(&l.loop, 2000, [&] { return (r.any & UV_PRIORITIZED) != 0; });
  CHECK((r.any & UV_PRIORITIZED) != 0);
  // Level-triggered, as on Unix: it stays reported until the urgent byte is read out of band.
  char c = 0;
  REQUIRE(recv(t.b, &c, 1, MSG_OOB) == 1);
  CHECK(c == '!');
  run_for(&l.loop, 100, [] { return false; });
  r = Reports{};
  run_for(&l.loop, 300, [] { return false; });
  CHECK((r.any & UV_PRIORITIZED) == 0);
}

TEST_CASE("prioritized: without UV_PRIORITIZED urgent data is not reported, as in libuv",
          "[compat][poll]") {
  UrgentByteSent t(UV_READABLE);
  Loop& l = t.l;
  Reports& r = t.r;
  run_for(&l.loop, 500, [&] { return r.calls > 0; });
  CHECK((r.any & UV_PRIORITIZED) == 0);
  const int calls_for_urgent_data = r.calls;
  // Ordinary data still is, and without the bit.
  REQUIRE(send(t.a, "x", 1, 0) == 1);
  run_for(&l.loop, 2000, [&] { return (r.any & UV_READABLE) != 0; });
  CHECK((r.any & UV_READABLE) != 0);
  CHECK((r.any & UV_PRIORITIZED) == 0);
  UNSCOPED_INFO("callbacks for the urgent byte alone: " << calls_for_urgent_data);
  CHECK(calls_for_urgent_data == 0);
}
