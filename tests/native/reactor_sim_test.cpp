// The reactor against SimKernel: lifecycle, one-poll-per-socket, level triggering, wakeups and
// teardown, deterministic and under ASan/UBSan. The same rules are tested on real sockets
// under Wine in tests/wine/.
#include <catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "afd_events.h"
#include "reactor.h"
#include "sim_kernel.h"
#include "sim_fixture.h"
#include "wake_storm.h"

using namespace uvafd;
using namespace uvafd_test;


TEST_CASE("sim: readable, writable and disconnect are reported by interest", "[sim]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  CHECK(f.wait() == 0);  // armed, nothing ready
  CHECK(f.kernel.pending_on(s) == 1);
  f.kernel.socket_set_ready(s, kAfdSend);  // not wanted: the pending poll stays
  CHECK(f.wait() == 0);
  f.kernel.socket_add_ready(s, kAfdReceive);
  REQUIRE(f.wait() == 1);
  CHECK(same(f.events[0].handle, h));
  CHECK(f.events[0].events == UVAFD_READABLE);
  CHECK(f.events[0].status == 0);

  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE | UVAFD_WRITABLE | UVAFD_DISCONNECT) == 0);
  f.kernel.socket_add_ready(s, kAfdDisconnect);
  REQUIRE(f.wait() == 1);
  CHECK(f.events[0].events == (UVAFD_READABLE | UVAFD_WRITABLE | UVAFD_DISCONNECT));
  REQUIRE(f.reactor->handle_close(h) == 0);
}

TEST_CASE("sim: level-triggered, and pausing interest loses nothing", "[sim]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);
  f.kernel.socket_set_ready(s, kAfdReceive);  // data arrived before interest
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  for (int i = 0; i < 3; ++i) {  // still unread: reported on every iteration
    REQUIRE(f.wait() == 1);
    CHECK(f.events[0].events == UVAFD_READABLE);
  }
  REQUIRE(f.reactor->poll_set_interest(h, 0) == 0);
  CHECK(f.wait() == 0);
  CHECK(f.wait() == 0);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  REQUIRE(f.wait() == 1);  // at once, from readiness alone
  CHECK(f.events[0].events == UVAFD_READABLE);
  f.kernel.socket_clear_ready(s, kAfdReceive);  // the user read it all
  CHECK(f.wait() == 0);
  CHECK(f.wait() == 0);
  REQUIRE(f.reactor->handle_close(h) == 0);
}

TEST_CASE("sim: interest that the pending poll covers costs no kernel call", "[sim]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE | UVAFD_WRITABLE) == 0);
  f.wait();
  const uvafd_stats before = f.stats();
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);  // narrower: covered
  f.wait();
  CHECK(f.stats().nt_submit == before.nt_submit);
  CHECK(f.stats().nt_cancel == before.nt_cancel);
  f.kernel.socket_set_ready(s, kAfdSend);  // only what we no longer want
  CHECK(f.wait() == 0);                    // filtered
  CHECK(f.wait() == 0);                    // re-armed with the narrow mask: SEND is ignored
  CHECK(f.kernel.pending_on(s) == 1);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE | UVAFD_PRIORITIZED) == 0);  // wider
  f.wait();
  CHECK(f.stats().nt_cancel == before.nt_cancel + 1);
  f.wait();  // the cancellation came back: re-armed with the wider mask
  CHECK(f.kernel.pending_on(s) == 1);
  f.kernel.socket_add_ready(s, kAfdReceiveExpedited);
  REQUIRE(f.wait() == 1);
  CHECK(f.events[0].events == UVAFD_PRIORITIZED);
  REQUIRE(f.reactor->handle_close(h) == 0);
}

TEST_CASE("sim: closing with a request in flight makes a zombie freed by its completion", "[sim]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  int user = 0;
  uvafd_handle h = f.open(s, &user);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  f.wait();
  f.kernel.set_hold_packets(true);
  f.kernel.socket_set_ready(s, kAfdReceive);  // completes in the kernel; packet not yet ours
  REQUIRE(f.reactor->handle_close(h) == 0);
  CHECK(f.stats().zombies == 1);
  CHECK(f.stats().live_states == 1);
  CHECK(f.stats().active == 0);
  CHECK(f.reactor->peek(h)->lifecycle() == Lifecycle::Zombie);
  CHECK(f.wait() == 0);
  CHECK(f.stats().zombies == 1);  // nothing dequeued, memory still the kernel's
  f.kernel.release_packets(100, false);
  CHECK(f.wait() == 0);  // the packet frees the zombie and reaches nobody
  CHECK(f.stats().zombies == 0);
  CHECK(f.stats().live_states == 0);
  CHECK(f.reactor->handle_close(h) == UVAFD_EBADF);
  CHECK(f.reactor->poll_set_interest(h, UVAFD_READABLE) == UVAFD_EBADF);
}

TEST_CASE("sim: re-registering a socket whose zombie is pending never arms a second poll", "[sim]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle old_h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(old_h, UVAFD_READABLE) == 0);
  f.wait();
  REQUIRE(f.kernel.pending_on(s) == 1);
  // The cancel does not take (the kernel still holds the request, as after a lost race).
  f.kernel.fail_next_cancel(kStatusNotFound);
  REQUIRE(f.reactor->handle_close(old_h) == 0);
  uvafd_handle new_h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(new_h, UVAFD_READABLE) == 0);
  const uint64_t submits = f.kernel.counters().submits;
  CHECK(f.wait() == 0);
  CHECK(f.kernel.counters().submits == submits);  // waiting for the zombie
  CHECK(f.kernel.pending_on(s) == 1);
  CHECK(f.stats().zombies == 1);
  f.kernel.socket_set_ready(s, kAfdReceive);  // the zombie's request completes
  int n = 0;
  for (int i = 0; i < 3 && n == 0; ++i) n = f.wait();
  REQUIRE(n == 1);  // the new incarnation armed after the zombie's packet, and got the data
  CHECK(same(f.events[0].handle, new_h));
  CHECK(f.stats().zombies == 0);
  CHECK(f.kernel.counters().max_pending_per_socket == 1);
  REQUIRE(f.reactor->handle_close(new_h) == 0);
}

TEST_CASE("sim: two registrations of one socket; only one may have interest", "[sim]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle a = f.open(s), b = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(a, UVAFD_READABLE) == 0);
  CHECK(f.reactor->poll_set_interest(b, UVAFD_READABLE) == UVAFD_EEXIST);
  f.wait();
  REQUIRE(f.reactor->poll_set_interest(a, 0) == 0);  // a's poll stays pending, paused
  REQUIRE(f.reactor->poll_set_interest(b, UVAFD_WRITABLE) == 0);
  f.wait();  // b asks a's request to let go
  f.wait();  // and arms
  CHECK(f.kernel.pending_on(s) == 1);
  f.kernel.socket_set_ready(s, kAfdSend | kAfdReceive);
  REQUIRE(f.wait() == 1);
  CHECK(same(f.events[0].handle, b));
  CHECK(f.events[0].events == UVAFD_WRITABLE);
  REQUIRE(f.reactor->handle_close(a) == 0);
  REQUIRE(f.reactor->handle_close(b) == 0);
}

TEST_CASE("sim: closesocket under a live registration reports LOCAL_CLOSE and stops it", "[sim]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  f.wait();
  f.kernel.socket_close(s);
  REQUIRE(f.wait() == 1);
  CHECK(f.events[0].events == UVAFD_LOCAL_CLOSE);
  // The value is free: the next socket gets it. The old registration must not poll it.
  const KHandle s2 = f.kernel.socket_create();
  CHECK(s2 == s);
  CHECK(f.reactor->poll_set_interest(h, UVAFD_READABLE) == UVAFD_EBADF);
  CHECK(f.wait() == 0);
  CHECK(f.kernel.pending_on(s2) == 0);
  uvafd_handle h2 = f.open(s2);
  REQUIRE(f.reactor->poll_set_interest(h2, UVAFD_READABLE) == 0);  // no EEXIST from the orphan
  f.kernel.socket_set_ready(s2, kAfdReceive);
  REQUIRE(f.wait() == 1);
  CHECK(same(f.events[0].handle, h2));
  REQUIRE(f.reactor->handle_close(h) == 0);
  REQUIRE(f.reactor->handle_close(h2) == 0);
  CHECK(f.stats().live_states == 0);
}

TEST_CASE("sim: a synchronous submit failure is reported once and queues nothing", "[sim]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);
  f.kernel.fail_next_submit(kStatusNoMemory);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  REQUIRE(f.wait(1000) == 1);  // does not block: the error is due now
  CHECK(f.events[0].status == UVAFD_ENOMEM);
  CHECK(f.events[0].events == 0);
  CHECK(f.stats().requests_in_flight == 0);
  CHECK(f.wait() == 0);  // not retried in a loop
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE | UVAFD_WRITABLE) == 0);
  f.kernel.socket_set_ready(s, kAfdSend);
  REQUIRE(f.wait() == 1);  // a new interest tries again
  CHECK(f.events[0].events == UVAFD_WRITABLE);
  REQUIRE(f.reactor->handle_close(h) == 0);
}

TEST_CASE("sim: bad input gets a clear error and changes nothing", "[sim]") {
  Fixture f;
  uvafd_handle h{};
  const KHandle file = f.kernel.file_create();
  CHECK(f.reactor->poll_open(file, nullptr, &h) == UVAFD_ENOTSOCK);
  CHECK(f.reactor->poll_open(~KHandle(0), nullptr, &h) == UVAFD_EBADF);
  CHECK(f.reactor->poll_open(0, nullptr, &h) == UVAFD_EBADF);
  const KHandle closed = f.kernel.socket_create();
  f.kernel.socket_close(closed);
  CHECK(f.reactor->poll_open(closed, nullptr, &h) == UVAFD_ENOTSOCK);
  CHECK(f.reactor->poll_open(f.kernel.socket_create(), nullptr, nullptr) == UVAFD_EINVAL);
  CHECK(f.stats().live_states == 0);

  const KHandle s = f.kernel.socket_create();
  h = f.open(s);
  CHECK(f.reactor->poll_set_interest(h, 0x100) == UVAFD_EINVAL);
  uvafd_handle forged = h;
  forged.generation += 1000;
  CHECK(f.reactor->poll_set_interest(forged, UVAFD_READABLE) == UVAFD_EBADF);
  CHECK(f.reactor->handle_close(forged) == UVAFD_EBADF);
  forged = h;
  forged.slot = 1u << 30;
  CHECK(f.reactor->handle_close(forged) == UVAFD_EBADF);
  CHECK(f.reactor->wake(forged) == UVAFD_EBADF);
  CHECK(f.reactor->wake(h) == UVAFD_EBADF);  // a poll registration is no wakeup source
  CHECK(f.reactor->handle_close(uvafd_handle{}) == UVAFD_EINVAL);
  REQUIRE(f.reactor->handle_close(h) == 0);
  CHECK(f.reactor->handle_close(h) == UVAFD_EBADF);  // double close
  // A recycled slot: the old handle names the old incarnation only.
  uvafd_handle h2 = f.open(s);
  CHECK(h2.slot == h.slot);
  CHECK(h2.generation != h.generation);
  CHECK(f.reactor->poll_set_interest(h, UVAFD_READABLE) == UVAFD_EBADF);
  CHECK(f.reactor->handle_close(h) == UVAFD_EBADF);
  CHECK(f.stats().active == 1);

  // Re-entry from a callback.
  uvafd_handle w{};
  REQUIRE(f.reactor->wakeup_open(nullptr, &w) == 0);
  REQUIRE(f.reactor->wake(w) == 0);
  struct Ctx {
    Reactor* r;
    int wait_rc = 1, close_rc = 1;
  } ctx{f.reactor.get()};
  REQUIRE(f.reactor->wait(0, [](void* a, const uvafd_event*) {
    auto* c = static_cast<Ctx*>(a);
    c->wait_rc = c->r->wait(0, nullptr, nullptr);
    c->close_rc = c->r->close();
  }, &ctx) == 1);
  CHECK(ctx.wait_rc == UVAFD_EBUSY);
  CHECK(ctx.close_rc == UVAFD_EBUSY);

  // After teardown, everything is refused.
  REQUIRE(f.reactor->close() == 0);
  CHECK(f.reactor->close() == UVAFD_EBADF);
  CHECK(f.reactor->wait(0, nullptr, nullptr) == UVAFD_EBADF);
  CHECK(f.reactor->poll_open(s, nullptr, &h) == UVAFD_EBADF);
  CHECK(f.reactor->poll_set_interest(h2, UVAFD_READABLE) == UVAFD_EBADF);
  CHECK(f.reactor->handle_close(h2) == UVAFD_EBADF);
  CHECK(f.reactor->wake(w) == UVAFD_EBADF);
  CHECK(f.reactor->wakeup_open(nullptr, &w) == UVAFD_EBADF);
}

TEST_CASE("sim: handle-value churn never reaches the wrong incarnation", "[sim]") {
  Fixture f(4);
  struct Incarnation {
    int id;
  };
  std::vector<Incarnation> ids(10000);
  int current = -1, wrong = 0, delivered = 0;
  KHandle first_value = 0;
  size_t reused = 0;
  f.kernel.set_hold_packets(true);
  struct Ctx {
    int* current;
    int* wrong;
    int* delivered;
  } ctx{&current, &wrong, &delivered};
  auto cb = [](void* a, const uvafd_event* e) {
    auto* c = static_cast<Ctx*>(a);
    ++*c->delivered;
    if (static_cast<Incarnation*>(e->user_data)->id != *c->current) ++*c->wrong;
  };
  for (int i = 0; i < 10000; ++i) {
    const KHandle s = f.kernel.socket_create();
    if (i == 0) first_value = s;
    if (s == first_value) ++reused;
    ids[size_t(i)].id = i;
    uvafd_handle h = f.open(s, &ids[size_t(i)]);
    current = i;
    REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE | UVAFD_WRITABLE) == 0);
    f.reactor->wait(0, cb, &ctx);  // arms (or waits for the previous incarnation's zombie)
    if (i % 3 == 0) f.kernel.socket_set_ready(s, kAfdReceive);
    // Packets come late and out of order: a few at a time, sometimes all of them.
    f.kernel.release_packets(i % 4 == 0 ? SIZE_MAX : size_t(i % 5), true);
    f.reactor->wait(0, cb, &ctx);
    // Close while the poll is pending (or its packet still held); close the socket so the
    // next one gets the same value, sometimes before the registration (LOCAL_CLOSE).
    if (i % 2) f.kernel.socket_close(s);
    REQUIRE(f.reactor->handle_close(h) == 0);
    current = -1;
    if (i % 2 == 0) f.kernel.socket_close(s);
  }
  f.kernel.set_hold_packets(false);
  f.kernel.release_packets(SIZE_MAX, true);
  for (int i = 0; i < 10 && f.stats().zombies; ++i) f.wait(10);
  CHECK(wrong == 0);
  CHECK(reused > 9000);  // the lowest-free rule hands the value back nearly every time
  CHECK(f.stats().zombies == 0);
  CHECK(f.stats().misrouted == 0);
  INFO("delivered " << delivered);
  CHECK(delivered > 0);
}

TEST_CASE("sim: wakeups from 4 threads are coalesced and never lost", "[sim][wake]") {
  Fixture f;
  uvafd_handle w{};
  REQUIRE(f.reactor->wakeup_open(&f, &w) == 0);
  constexpr int kThreads = 4, kPerThread = 20000;
  const uvafd_test::WakeStorm storm = uvafd_test::wake_storm(*f.reactor, w, kThreads, kPerThread, 5);
  CHECK(storm.errors == 0);
  CHECK(storm.sent == uint64_t(kThreads) * kPerThread);
  CHECK(storm.seen == storm.sent);
  const uvafd_stats s = f.stats();
  CHECK(s.wakes_requested == storm.sent);
  CHECK(s.nt_post + s.wakes_coalesced == s.wakes_requested);
  CHECK(s.nt_post == storm.deliveries);  // one delivery per packet, one packet per uncoalesced wake
  CHECK(s.wake_packets_in_flight == 0);
  REQUIRE(f.reactor->handle_close(w) == 0);
}

TEST_CASE("sim: a wakeup source closed with its packet queued is a zombie", "[sim][wake]") {
  Fixture f;
  uvafd_handle w{};
  REQUIRE(f.reactor->wakeup_open(nullptr, &w) == 0);
  REQUIRE(f.reactor->wake(w) == 0);
  REQUIRE(f.reactor->handle_close(w) == 0);
  CHECK(f.reactor->wake(w) == UVAFD_EBADF);
  CHECK(f.stats().zombies == 1);
  uvafd_handle w2{};
  REQUIRE(f.reactor->wakeup_open(nullptr, &w2) == 0);
  CHECK(w2.slot != w.slot);  // the zombie's slot is not reused while its packet is queued
  CHECK(f.wait() == 0);      // the stale packet is dropped, not delivered to anyone
  CHECK(f.stats().zombies == 0);
  REQUIRE(f.reactor->handle_close(w2) == 0);

  // A wake whose post fails leaves nothing in flight: the zombie is reclaimed anyway.
  REQUIRE(f.reactor->wakeup_open(nullptr, &w) == 0);
  f.kernel.fail_next_post(kStatusNoMemory);
  CHECK(f.reactor->wake(w) == UVAFD_ENOMEM);
  REQUIRE(f.reactor->wake(w) == 0);  // the bit was given back: the next wake posts
  REQUIRE(f.wait() == 1);
  REQUIRE(f.reactor->handle_close(w) == 0);
  CHECK(f.stats().live_states == 0);
}

TEST_CASE("sim: teardown drains active registrations, zombies and queued wakeups", "[sim]") {
  Fixture f(2);
  std::vector<KHandle> sockets;
  std::vector<uvafd_handle> handles;
  for (int i = 0; i < 20; ++i) {
    sockets.push_back(f.kernel.socket_create());
    handles.push_back(f.open(sockets.back()));
    REQUIRE(f.reactor->poll_set_interest(handles.back(), UVAFD_READABLE) == 0);
  }
  f.wait();
  CHECK(f.stats().helpers == 10);
  f.kernel.set_hold_packets(true);
  for (int i = 0; i < 5; ++i) REQUIRE(f.reactor->handle_close(handles[size_t(i)]) == 0);  // zombies
  f.kernel.socket_close(sockets[5]);  // the user closed a socket: LOCAL_CLOSE, held
  uvafd_handle w{};
  REQUIRE(f.reactor->wakeup_open(nullptr, &w) == 0);
  REQUIRE(f.reactor->wake(w) == 0);
  CHECK(f.stats().zombies == 5);
  f.kernel.set_hold_packets(false);
  f.kernel.release_packets(SIZE_MAX, true);
  REQUIRE(f.reactor->close() == 0);
  const uvafd_stats s = f.stats();
  CHECK(s.live_states == 0);
  CHECK(s.zombies == 0);
  CHECK(s.requests_in_flight == 0);
  CHECK(s.wake_packets_in_flight == 0);
  CHECK(s.leaked_on_teardown == 0);
  CHECK(f.kernel.queued_packets() == 0);
}

TEST_CASE("sim: teardown waits for packets that arrive late", "[sim]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  f.wait();
  f.kernel.set_hold_packets(true);
  std::thread late([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    f.kernel.release_packets(SIZE_MAX, false);
  });
  REQUIRE(f.reactor->close() == 0);  // blocks until the cancelled request's packet is back
  late.join();
  CHECK(f.stats().zombies == 0);
  CHECK(f.stats().leaked_on_teardown == 0);
}

TEST_CASE("sim: trace sees every transition", "[sim]") {
  Fixture f;
  std::vector<std::pair<Lifecycle, Lifecycle>> seen;
  f.reactor->set_trace([&](const PinnedState&, Lifecycle from, LifecycleEvent, Lifecycle to) {
    seen.emplace_back(from, to);
  });
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  f.wait();
  REQUIRE(f.reactor->handle_close(h) == 0);
  f.wait();
  const std::vector<std::pair<Lifecycle, Lifecycle>> expected = {
      {Lifecycle::Free, Lifecycle::Active},       {Lifecycle::Active, Lifecycle::CancelPending},
      {Lifecycle::CancelPending, Lifecycle::Zombie}, {Lifecycle::Zombie, Lifecycle::Dead},
      {Lifecycle::Dead, Lifecycle::Free}};
  CHECK(seen == expected);
}

TEST_CASE("sim: a failed poll is retried when the same interest is set again", "[sim]") {
  Fixture f;
  const KHandle s = f.kernel.socket_create();
  uvafd_handle h = f.open(s);
  f.kernel.fail_next_submit(kStatusNoMemory);  // transient
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  REQUIRE(f.wait() == 1);
  CHECK(f.events[0].status == UVAFD_ENOMEM);
  CHECK(f.kernel.pending_on(s) == 0);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);  // unchanged interest
  CHECK(f.wait() == 0);
  CHECK(f.kernel.pending_on(s) == 1);  // armed again
  f.kernel.socket_set_ready(s, kAfdReceive);
  REQUIRE(f.wait() == 1);
  CHECK(f.events[0].events == UVAFD_READABLE);
  REQUIRE(f.reactor->handle_close(h) == 0);
}

TEST_CASE("sim: a registration paused earlier in the batch hears no error", "[sim]") {
  Fixture f;
  const KHandle sa = f.kernel.socket_create();
  const KHandle sb = f.kernel.socket_create();
  int user_a = 0, user_b = 0;
  uvafd_handle a = f.open(sa, &user_a);
  uvafd_handle b = f.open(sb, &user_b);
  f.kernel.socket_set_ready(sa, kAfdReceive);
  // Armed in this order in the next wait: b's submit fails (its error is due in that wait), a's
  // completes at once and its callback pauses b before b's error is delivered.
  REQUIRE(f.reactor->poll_set_interest(b, UVAFD_READABLE) == 0);
  REQUIRE(f.reactor->poll_set_interest(a, UVAFD_READABLE) == 0);
  f.kernel.fail_next_submit(kStatusNoMemory);
  struct Ctx { Reactor* r; uvafd_handle b; std::vector<void*> users; } ctx{f.reactor.get(), b, {}};
  f.reactor->wait(0, [](void* arg, const uvafd_event* e) {
    auto* c = static_cast<Ctx*>(arg);
    c->users.push_back(e->user_data);
    if (e->events & UVAFD_READABLE) REQUIRE(c->r->poll_set_interest(c->b, 0) == 0);
  }, &ctx);
  REQUIRE(ctx.users.size() == 1);
  CHECK(ctx.users[0] == &user_a);
  REQUIRE(f.reactor->handle_close(a) == 0);
  REQUIRE(f.reactor->handle_close(b) == 0);
}
