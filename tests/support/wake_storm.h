// Wakes one source from several threads while the reactor thread waits, and records what the
// deliveries observed. Shared by the simulated and the real-kernel wakeup tests.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "reactor.h"

namespace uvafd_test {

struct WakeStorm {
  uint64_t sent = 0;        // wakes sent, in total
  uint64_t seen = 0;        // the count the last delivery observed
  uint64_t deliveries = 0;  // UVAFD_WAKEUP events
  int errors = 0;           // wake() calls that failed
  int rearm_errors = 0;     // rearm() calls that failed
};

// Each sender counts a wake *before* sending it (send: one wake, 0 on success); each delivery
// reads the count, after rearm (an embedded source is taken from its delivery until then; 0 on
// success). If no wake is lost, some delivery after the last send observes the final count.
template <typename Send>
WakeStorm wake_storm_with(uvafd::Reactor& r, Send send, int threads, int per_thread,
                          int64_t slice_ms, std::function<int()> rearm = {}) {
  std::atomic<uint64_t> sent{0};
  std::atomic<int> done{0}, errors{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t)
    senders.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        sent.fetch_add(1, std::memory_order_release);
        if (send() != 0) errors.fetch_add(1);
        if (i % 512 == 0) std::this_thread::yield();
      }
      done.fetch_add(1);
    });
  WakeStorm out;
  struct Ctx {
    std::atomic<uint64_t>* sent;
    WakeStorm* out;
    std::function<int()>* rearm;
  } ctx{&sent, &out, &rearm};
  auto cb = [](void* a, const uvafd_event* e) {
    auto* c = static_cast<Ctx*>(a);
    if (e->events != UVAFD_WAKEUP) return;
    ++c->out->deliveries;
    if (*c->rearm && (*c->rearm)() != 0) ++c->out->rearm_errors;
    c->out->seen = c->sent->load(std::memory_order_acquire);
  };
  while (done.load() < threads) r.wait(slice_ms, cb, &ctx);
  for (auto& t : senders) t.join();
  // The last wake must still produce a delivery that observes it.
  for (int i = 0; i < 100 && out.seen != sent.load(); ++i) r.wait(slice_ms, cb, &ctx);
  out.sent = sent.load();
  out.errors = errors.load();
  return out;
}

// The same storm on a reactor wakeup source (uvafd_wakeup_open).
inline WakeStorm wake_storm(uvafd::Reactor& r, uvafd_handle w, int threads, int per_thread,
                            int64_t slice_ms) {
  return wake_storm_with(r, [&r, w] { return r.wake(w); }, threads, per_thread, slice_ms);
}

}  // namespace uvafd_test
