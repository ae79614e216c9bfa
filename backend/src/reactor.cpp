#include "reactor.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <new>

#include "afd_events.h"
#include "base_socket.h"
#include "reserve.h"

namespace uvafd {

namespace {

constexpr uint64_t kWakeQueuedBit = 1;
// While draining at teardown, how often to look again at states whose packet will never come
// (a wake whose NtSetIoCompletion failed) and to repeat cancels the kernel may have missed.
constexpr int64_t kDrainSliceMs = 100;

}  // namespace

int Reactor::create(Kernel& kernel, const uvafd_options* options, std::unique_ptr<Reactor>* out) {
  uvafd_options o;
  uvafd_options_init(&o);
  if (options) {
    if (options->helper_group_size) o.helper_group_size = options->helper_group_size;
    if (options->dequeue_batch) o.dequeue_batch = options->dequeue_batch;
    if (options->teardown_timeout_ms) o.teardown_timeout_ms = options->teardown_timeout_ms;
  }
  if (o.dequeue_batch > 65536 || o.helper_group_size > 65536) return UVAFD_EINVAL;
  KHandle port = 0;
  NtStatus st = kernel.create_port(&port);
  if (nt_error(st)) return kernel.error_from_status(st);
  // The constructor allocates (the slab's chunk table, the dequeue batch): if it cannot, no
  // reactor exists and the port must not outlive the call.
  Reactor* r = nullptr;
  try {
    r = new Reactor(kernel, port, o);
  } catch (const std::bad_alloc&) {
    kernel.close_handle(port);
    return UVAFD_ENOMEM;
  }
  out->reset(r);
  return 0;
}

Reactor::Reactor(Kernel& kernel, KHandle port, const uvafd_options& options)
    : kernel_(kernel),
      port_(port),
      options_(options),
      helpers_(kernel, port, options.helper_group_size),
      batch_(options.dequeue_batch) {
  s_.nt_other = 1;  // create_port
  const unsigned bits = kernel.information_bits();
  wake_generation_mask_ = bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
}

Reactor::~Reactor() { close(); }

// ---------------------------------------------------------------------------------------------
// Lifecycle

void Reactor::transition(PinnedState* s, LifecycleEvent event) {
  const RegState before{s->owner, s->request};
  const bool wake_queued = s->wake_packet_queued();  // read once: other threads change it
  const RegState after = reg_state_after(before, event, wake_queued);
  const Lifecycle from = lifecycle_of(before);
  const Lifecycle to = lifecycle_next(from, event, after.request != Request::Idle || wake_queued);
  if (trace_) trace_(*s, from, event, to);
  if (to == Lifecycle::Invalid) {
    ++s_.invalid_transitions;
    return;
  }
  assert(lifecycle_of(after) == to);  // the derivation agrees with the table (lifecycle_test)
  s->owner = after.owner;
  s->request = after.request;
  if (from == Lifecycle::Free) ++s_.live_states;
  if (to == Lifecycle::Free) --s_.live_states;
  if (lifecycle_is_live(from) && !lifecycle_is_live(to)) --s_.active;
  if (!lifecycle_is_live(from) && lifecycle_is_live(to)) ++s_.active;
  if (to == Lifecycle::Zombie && from != Lifecycle::Zombie) ++s_.zombies;
  if (from == Lifecycle::Zombie && to != Lifecycle::Zombie) --s_.zombies;
}

void Reactor::reclaim(PinnedState* s) {
  if (s->kind == StateKind::Poll) {
    if (s->object_key != s->base_socket) --borrowed_keys_;
    bases_.erase(s);
    helpers_.release(s->helper);
    s->helper = nullptr;
  } else {
    --wakeup_states_;  // off wake_zombies_ by now: its room may go to another source
  }
  transition(s, LifecycleEvent::Reclaim);
  // What a rare list's entry means ends with the incarnation (the identity rule, as the
  // generation check is for packets); the entry itself stays until its list's pass (the in_*
  // bits), which then finds nothing to do.
  if (!faults_.skip_generation_check) s->deferred_error = 0;
  s->cancel_wanted = false;
  s->user_data = nullptr;
  s->interest = s->submitted_mask = 0;
  s->base_socket = s->object_key = 0;
  s->socket_gone = s->poll_failed = false;
  s->waiting_for_base = s->claims_interest = false;
  if (!s->in_update_queue) slab_.release(s);
  // Otherwise the update queue still points at it; flush_updates releases it.
}

PinnedState* Reactor::acquire_state() {
  PinnedState* s = slab_.acquire();
  if (!s) return nullptr;
  // Every list a state can be on at once gets room for it now, while failing is still
  // allowed: a wait, a close and the teardown then never allocate, so they cannot fail half
  // way (an event lost, a zombie forgotten) or throw through the C API. Each list holds a state
  // at most once (its own in_* bit), so the slab's capacity bounds it; the list of closed
  // wakeup states is reserved by wakeup_open, for wakeup states only.
  const size_t n = slab_.capacity();
  if (!reserve_at_least(updates_, n) || !reserve_at_least(deferred_, n) ||
      !reserve_at_least(cancel_retries_, n)) {
    slab_.release(s);  // still Free: as if never acquired
    return nullptr;
  }
  return s;
}

PinnedState* Reactor::live_state(uvafd_handle h, int* error) {
  *error = UVAFD_EBADF;
  if (closed_) return nullptr;
  if (h.generation == 0) {
    *error = UVAFD_EINVAL;
    return nullptr;
  }
  PinnedState* s = slab_.at(h.slot);
  if (!s || s->generation != h.generation || s->owner != Owner::Live) return nullptr;
  *error = 0;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Registrations

int Reactor::poll_open(KHandle socket, void* user_data, uvafd_handle* out) {
  if (closed_) return UVAFD_EBADF;
  if (!out) return UVAFD_EINVAL;
  if (socket == 0 || socket == ~KHandle(0)) return UVAFD_EBADF;  // 0 or INVALID_SOCKET
  KHandle base = 0;
  if (int err = find_base_socket(kernel_, socket, &base, &s_.nt_other)) return err;
  KHandle key = base;
  if (another_handle_polled(base, &key)) return UVAFD_EEXIST;
  // A registration of this very value may be filed under a duplicate's zombie's key: this one
  // joins it, so that the wait and libuv's one-interest rule cover both.
  if (key == base && borrowed_keys_) key = same_value_key(base);
  PinnedState* s = acquire_state();
  if (!s) return UVAFD_ENOMEM;
  NtStatus st;
  Helper* helper = helpers_.acquire(&st);
  if (!helper) {
    slab_.release(s);
    if (st == kStatusNoMemory) return UVAFD_ENOMEM;  // the pool could not grow: no call made
    ++s_.nt_other;
    return kernel_.error_from_status(st);
  }
  s->kind = StateKind::Poll;
  s->base_socket = base;
  s->object_key = key;
  if (!bases_.insert(s)) {
    helpers_.release(helper);
    slab_.release(s);
    return UVAFD_ENOMEM;
  }
  if (key != base) ++borrowed_keys_;
  s->helper = helper;
  s->user_data = user_data;
  s->wake_word.store(0, std::memory_order_relaxed);  // a poll state can never be woken
  transition(s, LifecycleEvent::Open);
  *out = uvafd_handle{s->generation, s->slot, 0};
  return 0;
}

bool Reactor::another_handle_polled(KHandle base, KHandle* key) {
  // One socket under two handle values (DuplicateHandle, WSADuplicateSocket) would get two
  // polls in flight, which Windows answers by losing events (wepoll#35). The same value is the
  // BaseSocketIndex's business; another value naming the same object only the kernel can tell.
  // Comparing costs a kernel call per registration, so first ask whether the object has any
  // other handle at all: a socket nobody duplicated has exactly one, and then nothing is
  // compared. Without CompareObjectHandles (before Windows 10) nothing can be told
  // (docs/architecture.md).
  if (bases_.size() == 0 || !kernel_.can_compare_objects()) return false;  // nobody to compare
  ++s_.nt_other;
  if (kernel_.handle_count(base) == 1) return false;
  bool live = false, zombie = false;
  slab_.for_each([&](PinnedState& o) {
    if (live || o.kind != StateKind::Poll || o.base_socket == base) return;
    // A live registration that can still poll refuses the new one; a zombie whose poll is in
    // flight only delays it: the new one is filed under the zombie's key, and so waits for
    // that poll as for one on its own value. One told its socket is gone polls nothing.
    const bool can_poll = o.owner == Owner::Live && !o.socket_gone;
    const bool in_flight = o.owner == Owner::Closed && o.request_in_flight();
    if (!can_poll && !(in_flight && !zombie)) return;
    ++s_.nt_other;
    if (kernel_.same_object(o.base_socket, base) != 1) return;
    if (can_poll) {
      live = true;
    } else {
      zombie = true;
      *key = o.object_key;
    }
  });
  return live;
}

KHandle Reactor::same_value_key(KHandle base) {
  KHandle key = base;
  slab_.for_each([&](PinnedState& o) {
    if (o.kind == StateKind::Poll && o.owner != Owner::Free && o.base_socket == base)
      key = o.object_key;
  });
  return key;
}

int Reactor::poll_set_interest(uvafd_handle h, uint32_t events) {
  int err;
  PinnedState* s = live_state(h, &err);
  if (!s) return err;
  // UVAFD_LOCAL_CLOSE alone keeps a poll in flight that only a close completes: a loop that
  // pauses a socket still learns when its value stops naming that socket.
  if (s->kind != StateKind::Poll ||
      (events & ~uint32_t(UVAFD_INTEREST_MASK | UVAFD_ERROR | UVAFD_LOCAL_CLOSE)))
    return UVAFD_EINVAL;
  // The socket this registration named was closed; its value may already be another socket's.
  if (s->socket_gone) return UVAFD_EBADF;
  if (events) {
    // Per value, as libuv's rule is per SOCKET: a registration filed under another value's key
    // (waiting for that value's zombie) may be another socket's once the value was reused.
    const auto claims = [s](PinnedState* o) {
      return o != s && o->claims_interest && o->base_socket == s->base_socket;
    };
    if (bases_.find_on(s->object_key, claims)) return UVAFD_EEXIST;
    s->claims_interest = true;
  } else {
    s->claims_interest = false;
  }
  // Every call retries a failed poll, the same interest included: a transient failure must
  // not stop the registration for good (libuv resubmits when uv_poll_start is called again).
  if (!faults_.keep_failed_on_same_interest || events != s->interest) s->poll_failed = false;
  s->interest = uint8_t(events);
  queue_update(s);
  return 0;
}

int Reactor::wakeup_open(void* user_data, uvafd_handle* out) {
  if (closed_) return UVAFD_EBADF;
  if (!out) return UVAFD_EINVAL;
  PinnedState* s = acquire_state();
  if (!s) return UVAFD_ENOMEM;
  if (!reserve_at_least(wake_zombies_, wakeup_states_ + 1)) {
    slab_.release(s);  // still Free: as if never acquired
    return UVAFD_ENOMEM;
  }
  ++wakeup_states_;
  s->kind = StateKind::Wakeup;
  s->user_data = user_data;
  s->wake_word.store(s->generation << 1, std::memory_order_release);
  transition(s, LifecycleEvent::Open);
  *out = uvafd_handle{s->generation, s->slot, 0};
  return 0;
}

int Reactor::wake(uvafd_handle h) {
  // Any thread. Reads only the slab's chunk table (published with release) and the state's
  // wake_word, both valid for as long as the reactor object exists.
  if (h.generation == 0) return UVAFD_EINVAL;
  PinnedState* s = slab_.at(h.slot);
  if (!s) return UVAFD_EBADF;
  // The caller wrote what the wakeup announces before calling us; the reactor clears the
  // queued bit before it calls back and then reads that data. Both sides store, then load
  // (Dekker): without a full fence on each side, x86 and ARM64 may let the sender see the bit
  // still set while the callback reads the data as it was before (a lost wakeup). libuv's
  // sender gets the same fence from InterlockedExchange.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  uint64_t w = s->wake_word.load(std::memory_order_acquire);
  for (;;) {
    if ((w >> 1) != h.generation) return UVAFD_EBADF;  // closed, or another incarnation
    if (w & kWakeQueuedBit) {
      // One packet in flight per source: the reactor clears the bit before it calls back, so
      // this wake is covered by a delivery that has not started yet.
      wakes_requested_.fetch_add(1, std::memory_order_relaxed);
      wakes_coalesced_.fetch_add(1, std::memory_order_relaxed);
      return 0;
    }
    if (s->wake_word.compare_exchange_weak(w, w | kWakeQueuedBit, std::memory_order_acq_rel))
      break;
  }
  wakes_requested_.fetch_add(1, std::memory_order_relaxed);
  wake_packets_in_flight_.fetch_add(1, std::memory_order_relaxed);
  nt_post_.fetch_add(1, std::memory_order_relaxed);
  // The packet carries its own identity: ApcContext = the state, Information = generation.
  // Information is a ULONG_PTR: 32 bits on x86, where it carries the generation's low half
  // (on_wake_packet compares that much).
  NtStatus st = kernel_.post_packet(port_, kKeyWake, s, kStatusSuccess, uintptr_t(h.generation));
  if (!nt_error(st)) return 0;
  // No packet will come: give the bit back (if the source was closed meanwhile, the reactor
  // finds the zombie with nothing in flight and reclaims it).
  wake_packets_in_flight_.fetch_sub(1, std::memory_order_relaxed);
  s->wake_word.fetch_and(~kWakeQueuedBit, std::memory_order_acq_rel);
  return kernel_.error_from_status(st);
}

int Reactor::handle_close(uvafd_handle h) {
  int err;
  PinnedState* s = live_state(h, &err);
  if (!s) return err;
  close_state(s);
  return 0;
}

void Reactor::close_state(PinnedState* s) {
  s->user_data = nullptr;  // nothing is delivered for it from now on
  if (s->kind == StateKind::Wakeup) {
    // Generation 0 in the word: later wake() calls fail. The queued bit survives: if a packet
    // is in flight the state becomes a zombie until it is dequeued.
    uint64_t w = s->wake_word.load(std::memory_order_acquire);
    while (!s->wake_word.compare_exchange_weak(w, w & kWakeQueuedBit, std::memory_order_acq_rel)) {
    }
    transition(s, LifecycleEvent::Close);
    if (s->lifecycle() == Lifecycle::Zombie) push_reserved(wake_zombies_, s);
  } else {
    s->claims_interest = false;
    s->waiting_for_base = false;
    s->interest = 0;
    // Waiting for the socket to become ready could take forever: cancel.
    if (s->request == Request::Pending) cancel(s);
    transition(s, LifecycleEvent::Close);
    if (s->lifecycle() == Lifecycle::Zombie && faults_.free_zombie_early) {
      // Deliberate defect: forget the request and recycle memory the kernel still owns.
      s->request = Request::Idle;  // Closed and Idle: Dead
      --s_.requests_in_flight;
      --s_.zombies;
    }
  }
  if (s->lifecycle() == Lifecycle::Dead) reclaim(s);
}

// ---------------------------------------------------------------------------------------------
// Arming: interest is recomputed and re-armed before every wait (level-triggered on top of
// one-shot AFD polls). AFD completes a poll at once when the socket is already ready, so a
// paused interest loses nothing.

void Reactor::queue_update(PinnedState* s) {
  if (s->in_update_queue) return;
  s->in_update_queue = true;
  push_reserved(updates_, s);
}

void Reactor::retry_failed_cancels() {
  // In place, so that nothing is allocated: a cancel that fails again keeps its entry.
  size_t kept = 0;
  for (size_t i = 0; i < cancel_retries_.size(); ++i) {
    PinnedState* s = cancel_retries_[i];
    // Reclaimed since (cancel_wanted cleared), or its request came back by itself.
    if (s->cancel_wanted && s->request == Request::Pending && !try_cancel(s)) {
      cancel_retries_[kept++] = s;
      continue;
    }
    s->cancel_wanted = false;
    s->in_cancel_list = false;
  }
  cancel_retries_.resize(kept);
}

void Reactor::flush_updates() {
  retry_failed_cancels();
  // update_one may queue more (a waiter whose base was released); take them in this pass too.
  for (size_t i = 0; i < updates_.size(); ++i) {
    PinnedState* s = updates_[i];
    s->in_update_queue = false;
    if (s->owner == Owner::Free) {
      slab_.release(s);  // reclaimed while queued
      continue;
    }
    update_one(s);
  }
  updates_.clear();
}

void Reactor::update_one(PinnedState* s) {
  if (s->owner != Owner::Live || s->kind != StateKind::Poll) return;
  if (s->socket_gone || s->poll_failed) return;
  switch (s->request) {
    case Request::Cancelling:
      return;  // re-armed when the cancelled request's packet comes back (on_poll_packet)
    case Request::Pending:
      // A pending poll that already covers the interest stays: fewer kernel calls, and events
      // outside the interest are filtered at delivery. One that misses a wanted bit is
      // cancelled and re-armed when the cancellation comes back.
      if (s->interest && (afd_mask_for_interest(s->interest) & ~s->submitted_mask)) cancel(s);
      return;
    case Request::Idle: {
      if (!s->interest) return;
      PinnedState* holder = request_holder(s->object_key);
      if (holder && !faults_.allow_second_poll) {
        // One poll per socket. The holder is a zombie (maybe through another handle value), a
        // paused registration or an earlier incarnation: ask it to let go, and arm when its
        // packet comes back.
        if (holder->request == Request::Pending) cancel(holder);
        s->waiting_for_base = true;
        return;
      }
      submit(s);
      return;
    }
  }
}

void Reactor::submit(PinnedState* s) {
  const uint32_t mask = afd_mask_for_interest(s->interest);
  s->poll_info.timeout = std::numeric_limits<int64_t>::max();
  s->poll_info.number_of_handles = 1;
  s->poll_info.exclusive = 0;
  s->poll_info.handles[0].handle = s->base_socket;
  s->poll_info.handles[0].events = mask;
  s->poll_info.handles[0].status = 0;
  s->iosb.status = kStatusPending;
  s->iosb.information = 0;
  ++s_.nt_submit;
  // The memory is the kernel's from the moment of the call: a socket that is already ready
  // completes the request (and writes it) before the call returns.
  s->request = Request::Pending;
  const NtStatus st = kernel_.submit_poll(s->helper->handle, s, &s->iosb, &s->poll_info);
  if (nt_error(st)) {
    // No packet will be queued and the IO_STATUS_BLOCK was not written: judge by the return
    // value only. Report it on this wait; don't retry until the interest changes.
    s->request = Request::Idle;
    s->poll_failed = true;
    defer_error(s, kernel_.error_from_status(st));
    return;
  }
  // STATUS_PENDING, or STATUS_SUCCESS which still queues a packet.
  s->request_generation = s->generation;
  s->submitted_mask = uint16_t(mask);
  ++s_.requests_in_flight;
  // Audit from the states' flags (the same ones update_one reads, so it catches a bypass like
  // FaultSwitches::allow_second_poll, not a wrong flag). The independent count is the kernel
  // side's: SimKernel and the Wine tests' AuditKernel count requests per socket themselves.
  uint64_t on_base = 0;
  bases_.for_each_on(s->object_key,
                     [&on_base](PinnedState* o) { on_base += o->request_in_flight(); });
  if (on_base > 1) ++s_.double_poll_violations;
  s_.max_requests_per_base = std::max(s_.max_requests_per_base, on_base);
}

void Reactor::cancel(PinnedState* s) {
  if (try_cancel(s)) return;
  // Nothing was cancelled and the request may never complete by itself (an idle socket):
  // try again before the next wait, or a zombie could hold its socket forever. One entry per
  // state (an earlier incarnation's is taken over), so the reserved room always suffices.
  s->cancel_wanted = true;
  if (s->in_cancel_list) return;
  s->in_cancel_list = true;
  push_reserved(cancel_retries_, s);
}

bool Reactor::try_cancel(PinnedState* s) {
  ++s_.nt_cancel;
  // STATUS_NOT_FOUND: it completed already and its packet is queued. Either way the packet
  // comes, and only the packet gives the memory back.
  const NtStatus st = kernel_.cancel_request(s->helper->handle, &s->iosb);
  if (nt_error(st) && st != kStatusNotFound) return false;
  const Lifecycle l = s->lifecycle();
  if (l == Lifecycle::Active || l == Lifecycle::Zombie) transition(s, LifecycleEvent::CancelIssued);
  return true;
}

void Reactor::mark_socket_gone(PinnedState* s) {
  s->socket_gone = true;
  s->claims_interest = false;
}

PinnedState* Reactor::request_holder(KHandle key) const {
  return bases_.find_on(key, [](PinnedState* o) { return o->request_in_flight(); });
}

void Reactor::release_socket(KHandle key) {
  // Nothing is in flight under the key: whoever waited re-arms before the next wait. A
  // registration filed under another value's key (another_handle_polled) goes back under its
  // own: it waited only for that poll, and the value may name another socket once reused.
  const auto rearm = [this](PinnedState* w) {
    if (!w->waiting_for_base) return;
    w->waiting_for_base = false;
    queue_update(w);
  };
  for (;;) {
    PinnedState* w = bases_.find_on(key, [key](PinnedState* o) { return o->base_socket != key; });
    if (!w) break;
    bases_.rekey(w, w->base_socket);
    --borrowed_keys_;
    rearm(w);
  }
  bases_.for_each_on(key, rearm);
}

// ---------------------------------------------------------------------------------------------
// Dispatch

int Reactor::dequeue(int64_t timeout_ms, uint32_t* count) {
  *count = 0;
  ++s_.nt_dequeue;
  const NtStatus st =
      kernel_.dequeue_batch(port_, batch_.data(), uint32_t(batch_.size()), count, timeout_ms);
  // Wine leaves the count untouched on STATUS_TIMEOUT: never trust it then.
  if (st == kStatusTimeout) {
    *count = 0;
    return 0;
  }
  if (nt_error(st)) {
    *count = 0;
    return kernel_.error_from_status(st);
  }
  s_.packets_dequeued += *count;
  return 0;
}

int Reactor::poll_arm(uvafd_handle h) {
  int err;
  PinnedState* s = live_state(h, &err);
  if (!s) return err;
  if (s->kind != StateKind::Poll) return UVAFD_EINVAL;
  if (in_callback_) return UVAFD_EBUSY;
  update_one(s);  // stays queued: the next wait's update_one finds it armed and does nothing
  return s->request_in_flight() ? 1 : 0;
}

int Reactor::arm_all() {
  if (closed_) return UVAFD_EBADF;
  if (in_callback_) return UVAFD_EBUSY;
  flush_updates();
  return 0;
}

int Reactor::wait(int64_t timeout_ms, uvafd_event_cb cb, void* arg) {
  if (closed_) return UVAFD_EBADF;
  if (in_callback_) return UVAFD_EBUSY;
  flush_updates();
  reap_wake_zombies();
  if (!deferred_.empty()) timeout_ms = 0;
  if (closed_sources_) {
    // A closed source is released by its packet, or, when its sender's post failed, by the
    // sender giving the bit back, which wakes nobody: look again at least every slice.
    if (closed_source_done()) timeout_ms = 0;
    else if (timeout_ms < 0 || timeout_ms > kDrainSliceMs) timeout_ms = kDrainSliceMs;
  }
  uint32_t n = 0;
  const int err = dequeue(timeout_ms, &n);
  int delivered = 0;
  {
    // Cleared however the batch ends. Nothing in the batch allocates and a callback's
    // exception is held back (call_guarded), but a flag left set would refuse every later
    // call with UVAFD_EBUSY, so it is not left to that.
    struct InCallback {
      bool& flag;
      explicit InCallback(bool& f) : flag(f) { flag = true; }
      ~InCallback() { flag = false; }
    } in_callback(in_callback_);
    if (hooks_.dequeued) call_guarded([&] { hooks_.dequeued(hooks_.arg, n); });
    for (uint32_t i = 0; i < n; ++i) process(batch_[i], cb, arg, &delivered);
    deliver_deferred(cb, arg, &delivered);
    if (closed_sources_) release_closed_sources(cb, arg, &delivered);
  }
  if (callback_threw_) {
    callback_threw_ = false;
    return UVAFD_ENOMEM;
  }
  return err ? err : delivered;
}

void Reactor::process(const Completion& c, uvafd_event_cb cb, void* arg, int* delivered) {
  // The port may be shared (libuv's requests, another library's posts), and a foreign packet
  // can carry any key. Two things make a packet ours: the per-reactor source key, which no
  // other code can post (source_key_), for an embedded source whose context is the caller's
  // memory; otherwise a context inside our own state memory, whose key then only has to agree
  // with the state's kind.
  if (c.key == source_key_) return on_source_packet(c, cb, arg, delivered);
  if (!slab_.owns(c.context)) return on_foreign_packet(c, delivered);
  if (c.key == kKeyAfd) return on_poll_packet(c, cb, arg, delivered);
  if (c.key == kKeyWake) return on_wake_packet(c, cb, arg, delivered);
  ++s_.misrouted;  // our memory under a key we never gave out
}

void Reactor::on_foreign_packet(const Completion& c, int* delivered) {
  if (!hooks_.foreign_packet || closing_) {
    ++s_.unknown_packets;
    return;
  }
  ++s_.foreign_packets;
  ++*delivered;
  const uvafd_packet p{c.key, c.context, c.status, c.information};
  call_guarded([&] { hooks_.foreign_packet(hooks_.arg, &p); });
}

int Reactor::set_port_hooks(const uvafd_port_hooks* hooks) {
  if (closed_) return UVAFD_EBADF;
  if (in_callback_) return UVAFD_EBUSY;
  hooks_ = hooks ? *hooks : uvafd_port_hooks{};
  return 0;
}

void Reactor::on_poll_packet(const Completion& c, uvafd_event_cb cb, void* arg, int* delivered) {
  auto* s = static_cast<PinnedState*>(c.context);
  // Validate before anything is applied: a poll state (process() checked it is our memory), a
  // request in flight, armed by this very incarnation.
  if (s->kind != StateKind::Poll || !s->request_in_flight() ||
      (s->request_generation != s->generation && !faults_.skip_generation_check)) {
    ++s_.misrouted;
    return;
  }
  --s_.requests_in_flight;
  transition(s, LifecycleEvent::KernelReleased);
  // A failed cancel was for this request, now back: retried, it would cancel the next one.
  s->cancel_wanted = false;
  if (!request_holder(s->object_key)) release_socket(s->object_key);
  if (s->lifecycle() == Lifecycle::Dead) {
    reclaim(s);
    return;
  }
  if (s->lifecycle() != Lifecycle::Active) return;

  uint32_t afd = 0;
  int status = 0;
  if (c.status == kStatusSuccess) {
    // NumberOfHandles < 1: completed with no events (e.g. the poll timed out).
    // The per-handle status is the socket's own error (e.g. the refused connection behind
    // CONNECT_FAIL, measured on Wine), not a failure to poll: it surfaces as UVAFD_ERROR with
    // the events, and the caller reads SO_ERROR as with select().
    if (s->poll_info.number_of_handles >= 1) afd = s->poll_info.handles[0].events;
  } else if (c.status != kStatusCancelled) {
    status = kernel_.error_from_status(c.status);
  }
  const uint32_t seen = events_from_afd(afd);
  uint32_t events = seen & s->interest;
  if (events) events |= seen & (UVAFD_ERROR | UVAFD_CONNECT_FAILED);
  if (seen & UVAFD_LOCAL_CLOSE) {
    mark_socket_gone(s);
    events |= UVAFD_LOCAL_CLOSE;
  }
  if (status) s->poll_failed = true;
  queue_update(s);
  // A registration paused earlier (maybe by a callback of this very batch) hears nothing, not
  // even an error: its owner may have no callback any more (libuv reports only while events != 0).
  if ((s->interest || faults_.report_to_stopped) && (events || status))
    emit(s, events, status, cb, arg, delivered);
}

void Reactor::on_wake_packet(const Completion& c, uvafd_event_cb cb, void* arg, int* delivered) {
  auto* s = static_cast<PinnedState*>(c.context);
  if (s->kind != StateKind::Wakeup || !s->wake_packet_queued()) {
    ++s_.misrouted;
    return;
  }
  wake_packets_in_flight_.fetch_sub(1, std::memory_order_relaxed);
  if (s->lifecycle() == Lifecycle::Zombie) {
    s->wake_word.store(0, std::memory_order_release);
    transition(s, LifecycleEvent::KernelReleased);
    wake_zombies_.erase(std::remove(wake_zombies_.begin(), wake_zombies_.end(), s),
                        wake_zombies_.end());
    if (s->lifecycle() == Lifecycle::Dead) reclaim(s);
    return;
  }
  // Compared as far as a ULONG_PTR carries it (all 64 bits on x64, the low 32 on x86). The
  // truncation costs nothing: a live source's packet is always its own (a queued packet keeps
  // the state a zombie, so the slot cannot be reused under it), and anything else is a bug,
  // counted and dropped.
  if ((uint64_t(c.information) & wake_generation_mask_) !=
          (s->generation & wake_generation_mask_) &&
      !faults_.skip_generation_check) {
    ++s_.misrouted;
    return;
  }
  // Clear before calling back: a wake sent during the callback must post a new packet.
  if (!faults_.drop_coalesced_wake) s->wake_word.store(s->generation << 1, std::memory_order_release);
  // The other half of wake()'s fence: the clear is visible before the callback reads.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  transition(s, LifecycleEvent::KernelReleased);
  ++s_.wakes_delivered;
  const uint64_t generation = s->generation;
  emit(s, UVAFD_WAKEUP, 0, cb, arg, delivered);
  if (faults_.drop_coalesced_wake && s->generation == generation && s->owner == Owner::Live)
    s->wake_word.store(s->generation << 1, std::memory_order_release);
}

void Reactor::defer_error(PinnedState* s, int error) {
  // One entry per state: a second failure before the wait that reports the first (set_interest
  // and poll_arm again, or the slot reopened) replaces it, so the reserved room always
  // suffices.
  assert(error != 0);
  s->deferred_error = error ? error : UVAFD_EIO;  // 0 would read as "nothing to report"
  if (s->in_deferred_list) return;
  s->in_deferred_list = true;
  push_reserved(deferred_, s);
}

void Reactor::deliver_deferred(uvafd_event_cb cb, void* arg, int* delivered) {
  // Callbacks cannot add to the list (submits happen in flush_updates and poll_arm, neither
  // allowed from a callback), and the list keeps its capacity: it is cleared, never swapped.
  for (size_t i = 0; i < deferred_.size(); ++i) {
    PinnedState* s = deferred_[i];
    // The state may have been closed (and its slot reopened) by a callback of this very wait:
    // reclaim cleared its error.
    const int error = s->deferred_error;
    s->deferred_error = 0;
    if (!error || s->lifecycle() != Lifecycle::Active) continue;
    // Paused since: see on_poll_packet.
    if (!s->interest && !faults_.report_to_stopped) continue;
    emit(s, 0, error, cb, arg, delivered);
  }
  clear_deferred();
}

void Reactor::clear_deferred() {
  for (PinnedState* s : deferred_) {
    s->in_deferred_list = false;
    s->deferred_error = 0;
  }
  deferred_.clear();
}

void Reactor::emit(PinnedState* s, uint32_t events, int status, uvafd_event_cb cb, void* arg,
                   int* delivered) {
  ++s_.events_delivered;
  ++*delivered;
  if (!cb) return;
  const uvafd_event ev{uvafd_handle{s->generation, s->slot, 0}, s->user_data, events, status};
  call_guarded([&] { cb(arg, &ev); });
}

void Reactor::reap_wake_zombies() {
  // A zombie wakeup source whose sender's NtSetIoCompletion failed has nothing in flight and no
  // packet to wait for.
  for (size_t i = 0; i < wake_zombies_.size();) {
    PinnedState* s = wake_zombies_[i];
    if (s->wake_packet_queued()) {
      ++i;
      continue;
    }
    wake_zombies_[i] = wake_zombies_.back();
    wake_zombies_.pop_back();
    transition(s, LifecycleEvent::KernelReleased);
    if (s->lifecycle() == Lifecycle::Dead) reclaim(s);
  }
}

// ---------------------------------------------------------------------------------------------
// Teardown: nothing is freed while the kernel may still write into it.

int Reactor::close() {
  if (closed_) return UVAFD_EBADF;
  if (in_callback_) return UVAFD_EBUSY;
  closing_ = true;
  slab_.for_each([this](PinnedState& s) {
    if (s.owner == Owner::Live) close_state(&s);
  });
  flush_updates();  // releases states reclaimed while queued; arms nothing (none is live)
  clear_deferred();

  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.teardown_timeout_ms);
  int slices = 0;
  while (s_.zombies > 0 || closed_sources_) {
    reap_wake_zombies();
    int released = 0;  // the caller has no callback here: released sources are just forgotten
    release_closed_sources(nullptr, nullptr, &released);
    if (s_.zombies == 0 && !closed_sources_) break;
    retry_failed_cancels();
    if (Clock::now() >= deadline) {
      // The kernel kept some memory longer than we can wait. Leak it rather than free it; a
      // closed source's memory is the caller's, and the port it could be posted to is gone.
      s_.leaked_on_teardown = s_.zombies;
      for (uvafd_source* src = closed_sources_; src; src = src->next) ++s_.leaked_on_teardown;
      closed_sources_ = nullptr;
      if (s_.zombies) slab_.leak();
      break;
    }
    uint32_t n = 0;
    if (dequeue(kDrainSliceMs, &n) != 0) continue;
    int delivered = 0;  // stays 0: no state is live, so nothing is delivered
    for (uint32_t i = 0; i < n; ++i) process(batch_[i], nullptr, nullptr, &delivered);
    if (n == 0 && ++slices % 10 == 0) {
      // A second of silence: repeat the cancels (harmless if they already took).
      slab_.for_each([this](PinnedState& s) {
        if (s.kind == StateKind::Poll && s.owner == Owner::Closed && s.request_in_flight())
          cancel(&s);
      });
    }
  }
  flush_updates();
  s_.nt_other += helpers_.size() + 1;
  helpers_.close_all();
  kernel_.close_handle(port_);
  closed_ = true;
  return 0;
}

uvafd_stats Reactor::stats() const {
  uvafd_stats out = s_;
  out.helpers = helpers_.size();
  out.wake_packets_in_flight = wake_packets_in_flight_.load(std::memory_order_relaxed);
  out.wakes_requested = wakes_requested_.load(std::memory_order_relaxed);
  out.wakes_coalesced = wakes_coalesced_.load(std::memory_order_relaxed);
  out.nt_post = nt_post_.load(std::memory_order_relaxed);
  return out;
}

}  // namespace uvafd
