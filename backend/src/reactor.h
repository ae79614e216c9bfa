// Reactor: one completion port, a pool of AFD helper handles, and the PinnedStates of every
// registration and wakeup source. Single-threaded except for wake(). See docs/architecture.md
// for the path of one event and docs/lifecycle.md for the rules each piece protects.
#pragma once

#include <atomic>
#include <cassert>
#include <functional>
#include <memory>
#include <vector>

#include "base_socket_index.h"
#include "helper_pool.h"
#include "kernel.h"
#include "lifecycle.h"
#include "pinned_state.h"
#include "state_slab.h"
#include "uvafd/reactor.h"

namespace uvafd {

// Deliberate defects for proving that the tests and the simulator's oracle can fail. They
// can be switched on only in the fuzzer's build of the core (UVAFD_TEST_FAULTS); in the library
// users link they are compile-time constants, all off.
struct FaultSwitches {
  // Accept a packet whatever its generation says, and a failed submit's error whatever
  // incarnation it was meant for.
  bool skip_generation_check = false;
  bool free_zombie_early = false;      // reclaim a closed state with its request in flight
  bool allow_second_poll = false;      // arm without waiting for the base socket's request
  bool drop_coalesced_wake = false;    // lose a wake that arrives while one is queued
  bool keep_failed_on_same_interest = false;  // retry a failed poll only when interest changes
  bool report_to_stopped = false;      // deliver a pending error to a registration paused since
  bool release_source_early = false;   // hand a closed source back with its packet in flight
  bool idle_on_delivery = false;       // an embedded source idle at delivery, not taken
};

class Reactor {
 public:
  using TraceFn = std::function<void(const PinnedState&, Lifecycle from, LifecycleEvent event,
                                     Lifecycle to)>;

  // The kernel must outlive the reactor.
  static int create(Kernel& kernel, const uvafd_options* options, std::unique_ptr<Reactor>* out);
  ~Reactor();

  int poll_open(KHandle socket, void* user_data, uvafd_handle* out);
  int poll_set_interest(uvafd_handle h, uint32_t events);
  int wakeup_open(void* user_data, uvafd_handle* out);
  int wake(uvafd_handle h);  // any thread
  // Embedded sources (sources.cpp): the caller's memory, none of the reactor's.
  int source_open(uvafd_source* src);
  int source_wake(uvafd_source* src);  // any thread
  int source_close(uvafd_source* src);
  int source_rearm(uvafd_source* src);
  int handle_close(uvafd_handle h);
  int wait(int64_t timeout_ms, uvafd_event_cb cb, void* arg);
  int poll_arm(uvafd_handle h);  // what the next wait would arm for h, now
  int arm_all();                 // what the next wait would arm first, now
  int close();

  bool closed() const { return closed_; }
  bool in_callback() const { return in_callback_; }
  uvafd_stats stats() const;

  KHandle port() const { return port_; }
  int set_port_hooks(const uvafd_port_hooks* hooks);

  void set_trace(TraceFn trace) { trace_ = std::move(trace); }
#ifdef UVAFD_TEST_FAULTS
  FaultSwitches& faults() { return faults_; }
#endif
  // The state a handle names, whatever its lifecycle (tests look inside).
  const PinnedState* peek(uvafd_handle h) const { return slab_.at(h.slot); }

 private:
  friend struct ReactorTestAccess;  // defined by test builds only (tests/support)
  Reactor(Kernel& kernel, KHandle port, const uvafd_options& options);

  // A Free state with room reserved for it on every list (reserve.h); nullptr: out of memory.
  PinnedState* acquire_state();
  PinnedState* live_state(uvafd_handle h, int* error);
  void transition(PinnedState* s, LifecycleEvent event);
  void reclaim(PinnedState* s);
  void close_state(PinnedState* s);

  void queue_update(PinnedState* s);
  void flush_updates();
  void update_one(PinnedState* s);
  void submit(PinnedState* s);
  void cancel(PinnedState* s);      // retried before the next wait if the kernel refuses
  bool try_cancel(PinnedState* s);  // false: the kernel refused (nothing was cancelled)
  void defer_error(PinnedState* s, int error);
  void retry_failed_cancels();
  void mark_socket_gone(PinnedState* s);
  PinnedState* request_holder(KHandle key) const;  // the state with a request on the socket
  void release_socket(KHandle key);  // nothing is in flight under `key` any more
  // A live registration names base's object (or, in *key, the key of a closed one whose poll
  // is in flight: the new registration is filed under it).
  bool another_handle_polled(KHandle base, KHandle* key);
  KHandle same_value_key(KHandle base);  // the key base's registrations are filed under

  void process(const Completion& c, uvafd_event_cb cb, void* arg, int* delivered);
  void on_poll_packet(const Completion& c, uvafd_event_cb cb, void* arg, int* delivered);
  void on_wake_packet(const Completion& c, uvafd_event_cb cb, void* arg, int* delivered);
  void on_foreign_packet(const Completion& c, int* delivered);
  void on_source_packet(const Completion& c, uvafd_event_cb cb, void* arg, int* delivered);
  bool closed_source_done() const;  // one on the list has nothing in flight any more
  void release_closed_sources(uvafd_event_cb cb, void* arg, int* delivered);
  void unlink_closed_source(uvafd_source* src);
  void emit_source(uvafd_source* src, uint64_t generation, uint32_t events, uvafd_event_cb cb,
                   void* arg, int* delivered);
  void deliver_deferred(uvafd_event_cb cb, void* arg, int* delivered);
  void clear_deferred();
  void emit(PinnedState* s, uint32_t events, int status, uvafd_event_cb cb, void* arg,
            int* delivered);
  void reap_wake_zombies();
  // The caller's callbacks are C, but a C++ caller's may throw: the exception is held back
  // until the batch is done (every packet dequeued is processed, or its state would wait for
  // it for ever: a poll never re-armed, a wake bit never cleared) and the wait then returns
  // UVAFD_ENOMEM, the only error C++ code raises here. Free when nothing throws.
  template <typename F>
  void call_guarded(F&& f) {
    try {
      f();
    } catch (...) {
      callback_threw_ = true;
    }
  }
  // For the lists acquire_state reserved: growing one here would be a bug (an allocation
  // where failing is not allowed), so it is asserted instead of done.
  template <typename Vector, typename T>
  static void push_reserved(Vector& v, const T& value) {
    assert(v.size() < v.capacity());
    v.push_back(value);
  }
  int dequeue(int64_t timeout_ms, uint32_t* count);

  Kernel& kernel_;
  KHandle port_;
  uvafd_options options_;
  StateSlab slab_;
  HelperPool helpers_;
  BaseSocketIndex bases_;
  // The lists acquire_state reserves for every state it hands out hold a pointer and nothing
  // else (what an entry means is in the state: pinned_state.h), because the room is committed
  // memory for every registration, used or not.
  std::vector<PinnedState*> updates_;
  // Synchronous submit failures, delivered at the end of the wait that armed them.
  std::vector<PinnedState*> deferred_;
  std::vector<PinnedState*> cancel_retries_;  // cancels that failed
  // Closed wakeup states with a packet in flight: reserved for wakeup states only.
  std::vector<PinnedState*> wake_zombies_;
  size_t wakeup_states_ = 0;  // wakeup states opened and not yet reclaimed
  // Embedded sources closed with a wakeup in flight, linked through their own prev/next: the
  // caller's memory stays in place until its packet is dequeued (or its post failed).
  uvafd_source* closed_sources_ = nullptr;
  uint64_t next_source_generation_ = 1;
  // The key of every embedded source's packet: odd (the reactor's keys are), and derived from
  // this object's address, so no other code posts it by accident (uvafd/reactor.h).
  const uintptr_t source_key_ = reinterpret_cast<uintptr_t>(&closed_sources_) | 1;
  size_t borrowed_keys_ = 0;  // registrations filed under another value's key (almost always 0)
  std::vector<Completion> batch_;
  uvafd_port_hooks hooks_{};
  uint64_t wake_generation_mask_;  // the bits of a generation a wake packet carries back
  bool closed_ = false;
  bool closing_ = false;  // teardown's drain: foreign packets have nobody to go to
  bool in_callback_ = false;
  bool callback_threw_ = false;
  TraceFn trace_;
#ifdef UVAFD_TEST_FAULTS
  FaultSwitches faults_;
#else
  static constexpr FaultSwitches faults_{};  // every check on it folds away
#endif

  // Counters. The atomic ones are touched by wake() from other threads.
  uvafd_stats s_{};
  std::atomic<uint64_t> wakes_requested_{0}, wakes_coalesced_{0}, nt_post_{0};
  std::atomic<uint64_t> wake_packets_in_flight_{0};
};

}  // namespace uvafd
