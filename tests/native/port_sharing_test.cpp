// The reactor's completion port shared with another library's requests (uvafd's libuv puts
// libuv's own requests on it): routing by ownership of the context, never by key.
#include <catch.hpp>

#include <vector>

#include "afd_events.h"
#include "sim_fixture.h"

using namespace uvafd;
using namespace uvafd_test;

namespace {

// Stands for a libuv uv_req_t: the OVERLAPPED a foreign completion names lives in it.
struct ForeignRequest {
  int tag;
};

struct Hooked : Fixture {
  std::vector<uvafd_packet> foreign;
  std::vector<uint32_t> dequeues;
  size_t events_when_dequeued = 0;

  Hooked() {
    uvafd_port_hooks hooks{};
    hooks.dequeued = [](void* arg, uint32_t packets) {
      auto* self = static_cast<Hooked*>(arg);
      self->dequeues.push_back(packets);
      self->events_when_dequeued = self->events.size();
    };
    hooks.foreign_packet = [](void* arg, const uvafd_packet* p) {
      static_cast<Hooked*>(arg)->foreign.push_back(*p);
    };
    hooks.arg = this;
    REQUIRE(reactor->set_port_hooks(&hooks) == 0);
  }
  void post(uintptr_t key, void* context) {
    REQUIRE(kernel.post_packet(reactor->port(), key, context, kStatusSuccess, 0) == 0);
  }
};

}  // namespace

TEST_CASE("port: a foreign packet carrying the reactor's own keys goes to the hook", "[port]") {
  Hooked f;
  ForeignRequest a{1}, b{2};
  f.post(kKeyAfd, &a);   // e.g. a SOCKET whose value equals the AFD key
  f.post(kKeyWake, &b);
  REQUIRE(f.wait() == 2);
  REQUIRE(f.foreign.size() == 2);
  CHECK(f.foreign[0].context == &a);
  CHECK(f.foreign[0].key == kKeyAfd);
  CHECK(f.foreign[1].context == &b);
  CHECK(f.events.empty());
  CHECK(f.stats().misrouted == 0);
  CHECK(f.stats().foreign_packets == 2);
  CHECK(f.stats().unknown_packets == 0);
}

TEST_CASE("port: the reactor's keys are odd, so no handle value or pointer equals them", "[port]") {
  CHECK(kKeyAfd % 2 == 1);
  CHECK(kKeyWake % 2 == 1);
}

TEST_CASE("port: a NULL-context packet is a bare wakeup handed to the hook", "[port]") {
  Hooked f;
  f.post(0, nullptr);  // what libuv's uv__wake_all_loops posts
  REQUIRE(f.wait(1000) == 1);
  REQUIRE(f.foreign.size() == 1);
  CHECK(f.foreign[0].context == nullptr);
  CHECK(f.stats().misrouted == 0);
}

TEST_CASE("port: without a hook foreign packets are counted and dropped", "[port]") {
  Fixture f;
  ForeignRequest a{1};
  REQUIRE(f.kernel.post_packet(f.reactor->port(), kKeyAfd, &a, kStatusSuccess, 0) == 0);
  REQUIRE(f.kernel.post_packet(f.reactor->port(), 0, nullptr, kStatusSuccess, 0) == 0);
  CHECK(f.wait() == 0);
  CHECK(f.stats().unknown_packets == 2);
  CHECK(f.stats().misrouted == 0);
}

TEST_CASE("port: a request completing in the batch that closed a polled handle", "[port]") {
  Hooked f;
  const KHandle sa = f.kernel.socket_create();
  const KHandle sb = f.kernel.socket_create();
  int user_a = 0, user_b = 0;
  const uvafd_handle a = f.open(sa, &user_a);
  const uvafd_handle b = f.open(sb, &user_b);
  REQUIRE(f.reactor->poll_set_interest(a, UVAFD_READABLE) == 0);
  REQUIRE(f.reactor->poll_set_interest(b, UVAFD_READABLE) == 0);
  REQUIRE(f.wait() == 0);  // both armed
  REQUIRE(f.kernel.pending_requests() == 2);

  // One batch, in this order: A readable, B readable, a foreign request's completion.
  f.kernel.set_hold_packets(true);
  f.kernel.socket_set_ready(sa, kAfdReceive);
  f.kernel.socket_set_ready(sb, kAfdReceive);
  ForeignRequest req{7};
  f.post(0, &req);
  f.kernel.set_hold_packets(false);
  REQUIRE(f.kernel.release_packets(3, false) == 3);

  // A's callback closes B: B's completion, already dequeued in the same batch, must free B's
  // zombie and reach nobody; the foreign request still goes to the hook, after A's event.
  struct Ctx {
    Hooked* f;
    uvafd_handle b;
    std::vector<void*> users;
    size_t foreign_before_a = 0;
  } ctx{&f, b, {}, 0};
  const int n = f.reactor->wait(0, [](void* arg, const uvafd_event* e) {
    auto* c = static_cast<Ctx*>(arg);
    c->users.push_back(e->user_data);
    c->foreign_before_a = c->f->foreign.size();
    REQUIRE(c->f->reactor->handle_close(c->b) == 0);
  }, &ctx);
  CHECK(n == 2);  // A's event and the foreign packet
  REQUIRE(ctx.users.size() == 1);
  CHECK(ctx.users[0] == &user_a);
  CHECK(ctx.foreign_before_a == 0);  // dequeue order is kept
  REQUIRE(f.foreign.size() == 1);
  CHECK(f.foreign[0].context == &req);
  CHECK(f.stats().zombies == 0);
  CHECK(f.stats().live_states == 1);
  CHECK(f.stats().misrouted == 0);
  REQUIRE(f.reactor->handle_close(a) == 0);
}

TEST_CASE("port: the dequeued hook runs once per wait, before any callback", "[port]") {
  Hooked f;
  const KHandle s = f.kernel.socket_create();
  const uvafd_handle h = f.open(s);
  f.kernel.socket_set_ready(s, kAfdReceive);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  REQUIRE(f.wait() == 1);
  REQUIRE(f.dequeues.size() == 1);
  CHECK(f.dequeues[0] == 1);
  CHECK(f.events_when_dequeued == 0);
  REQUIRE(f.reactor->poll_set_interest(h, 0) == 0);
  CHECK(f.wait() == 0);
  CHECK(f.dequeues.size() == 2);  // also when the wait timed out
  REQUIRE(f.reactor->handle_close(h) == 0);
}

TEST_CASE("port: teardown drops foreign packets instead of calling the hook", "[port]") {
  Hooked f;
  const KHandle s = f.kernel.socket_create();
  const uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  REQUIRE(f.wait() == 0);  // armed: teardown has a request to cancel and drain
  ForeignRequest a{1};
  f.post(0, &a);
  REQUIRE(f.reactor->close() == 0);
  CHECK(f.foreign.empty());
  CHECK(f.stats().unknown_packets == 1);
}

TEST_CASE("port: hooks are refused inside a callback and after close", "[port]") {
  Hooked f;
  const KHandle s = f.kernel.socket_create();
  const uvafd_handle h = f.open(s);
  f.kernel.socket_set_ready(s, kAfdReceive);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  struct Ctx { Reactor* r; int result; } ctx{f.reactor.get(), 0};
  f.reactor->wait(0, [](void* arg, const uvafd_event*) {
    auto* c = static_cast<Ctx*>(arg);
    c->result = c->r->set_port_hooks(nullptr);
  }, &ctx);
  CHECK(ctx.result == UVAFD_EBUSY);
  REQUIRE(f.reactor->handle_close(h) == 0);
  REQUIRE(f.reactor->close() == 0);
  CHECK(f.reactor->set_port_hooks(nullptr) == UVAFD_EBADF);
}
