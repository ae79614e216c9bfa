// sim_fuzz: random workloads against the reactor on SimKernel, with an oracle checked after
// every step. Deterministic per seed: a failure prints its seed and the command that replays it
// with a trace of every operation and lifecycle transition.
//
//   sim_fuzz [--seeds N] [--first-seed S] [--seed S] [--steps N] [--trace]
//            [--fault NAME --expect-caught-within N] [--soak SECONDS]
//
// The oracle (docs/testing.md):
//  1. an event reaches only a live registration, through its own user data, and only one
//     that had interest when a wait began (so it could have armed the request behind it) and
//     still has it (one stopped by an earlier callback of the same batch hears nothing);
//  2. the kernel never writes into a state whose request the reactor no longer counts;
//  3. never two requests in flight on one socket;
//  4. interest on a ready socket is reported within a few quiet iterations, also after pauses
//     and after a failed poll is restarted with the same events;
//  5. every wake is followed by a delivery; one wake packet per source at most; an embedded
//     source delivered and not yet rearmed posts nothing and is delivered no second time (the
//     wakes are covered by the delivery); an embedded source closed with its packet in flight
//     is released exactly once, and no packet names an embedded source's memory after it is
//     released (the memory is reused);
//  6. teardown ends with nothing live, in flight or queued.
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "afd_events.h"
#include "reactor.h"
#include "sim_kernel.h"

using namespace uvafd;

namespace {

struct Options {
  uint64_t first_seed = 1;
  uint64_t seeds = 10000;
  int steps = 150;
  bool trace = false;
  std::string fault;
  uint64_t expect_caught_within = 0;
  double soak_seconds = 0;
};

constexpr int kQuietIterations = 6;
constexpr size_t kMaxSockets = 4, kMaxRegs = 8, kMaxWakers = 2;

class Run {
 public:
  Run(uint64_t seed, const Options& opt) : seed_(seed), opt_(opt), kernel_(seed), rng_(seed) {}
  ~Run() {
    // A failed run stops anywhere: let the kernel finish so that the reactor's teardown drains
    // instead of waiting for packets that are held forever.
    kernel_.set_hold_packets(false);
    kernel_.set_async_cancel(false);
    kernel_.complete_cancelled(SIZE_MAX);
    kernel_.release_packets(SIZE_MAX, false);
    reactor_.reset();
  }

  // Returns "" on success, else what the oracle saw.
  std::string go() {
    uvafd_options o;
    uvafd_options_init(&o);
    o.helper_group_size = 1 + uint32_t(rng_() % 3);
    o.dequeue_batch = 1 + uint32_t(rng_() % 8);
    o.teardown_timeout_ms = 2000;
    if (Reactor::create(kernel_, &o, &reactor_) != 0) return "create failed";
    FaultSwitches& f = reactor_->faults();
    if (opt_.fault == "skip_generation_check") f.skip_generation_check = true;
    else if (opt_.fault == "free_zombie_early") f.free_zombie_early = true;
    else if (opt_.fault == "allow_second_poll") f.allow_second_poll = true;
    else if (opt_.fault == "drop_coalesced_wake") f.drop_coalesced_wake = true;
    else if (opt_.fault == "keep_failed_on_same_interest") f.keep_failed_on_same_interest = true;
    else if (opt_.fault == "report_to_stopped") f.report_to_stopped = true;
    else if (opt_.fault == "release_source_early") f.release_source_early = true;
    else if (opt_.fault == "idle_on_delivery") f.idle_on_delivery = true;
    else if (!opt_.fault.empty()) return "unknown fault " + opt_.fault;
    kernel_.set_owner_check(
        [](void* c) { return static_cast<PinnedState*>(c)->request_in_flight(); });
    kernel_.set_hold_packets(rng_() % 2);
    kernel_.set_async_cancel(rng_() % 2);
    if (opt_.trace)
      reactor_->set_trace([](const PinnedState& s, Lifecycle from, LifecycleEvent e, Lifecycle to) {
        std::printf("    transition slot %u gen %llu: %s --%s--> %s\n", s.slot,
                    (unsigned long long)s.generation, lifecycle_name(from),
                    lifecycle_event_name(e), lifecycle_name(to));
      });
    for (step_ = 0; step_ < opt_.steps && failure_.empty(); ++step_) {
      one_step();
      check_counters();
      if (failure_.empty() && step_ % 25 == 24) quiet_check();
    }
    if (failure_.empty()) teardown();
    return failure_;
  }

 private:
  struct Sock {
    KHandle value;
    bool open;
    uint64_t object;  // handles of one socket (socket_duplicate) share it
  };
  struct Reg {
    uvafd_handle h;
    size_t sock;
    bool live = true;
    uint32_t interest = 0;
    // Had interest when a wait began, so that wait's flush could arm it. Interest set by a
    // callback arms nothing before the next wait: no event can be due to it before then.
    bool armable = false;
    bool gone = false;    // LOCAL_CLOSE delivered
    bool failed = false;  // an error was delivered; no re-arm until interest is set again
    int* tag;
    bool reported = false;  // an event with interest bits arrived during the quiet check
  };
  struct Waker {
    uvafd_handle h;
    bool live = true;
    uint64_t pending_wakes = 0;  // wakes since the last delivery began
    int* tag;
    uvafd_source* src = nullptr;  // an embedded source (the caller's memory) instead of h
    bool releasing = false;       // closed with its packet in flight: RELEASED is due
    bool taken = false;           // an embedded source delivered and not yet rearmed
  };

  void trace(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    if (!opt_.trace) return;
    va_list ap;
    va_start(ap, fmt);
    std::printf("  [step %d] ", step_);
    std::vprintf(fmt, ap);
    std::printf("\n");
    va_end(ap);
  }
  void fail(const std::string& why) {
    if (failure_.empty()) failure_ = "step " + std::to_string(step_) + ": " + why;
  }
  uint64_t pick(uint64_t n) { return n ? rng_() % n : 0; }
  bool chance(int percent) { return int(rng_() % 100) < percent; }

  int* new_tag() {
    tags_.push_back(int(tags_.size()));
    return &tags_.back();
  }

  Reg* reg_of(uvafd_handle h) {
    auto it = reg_index_.find({h.slot, h.generation});
    return it == reg_index_.end() ? nullptr : &regs_[it->second];
  }
  Waker* waker_of(uvafd_handle h) {
    for (Waker& w : wakers_)
      if (!w.src && w.h.slot == h.slot && w.h.generation == h.generation) return &w;
    return nullptr;
  }
  // The newest user of an embedded source's memory (memory is reused once released).
  Waker* waker_of_source(const void* src) {
    for (size_t i = wakers_.size(); i-- > 0;)
      if (wakers_[i].src == src) return &wakers_[i];
    return nullptr;
  }
  bool is_source(const void* p) const {
    for (const uvafd_source& src : sources_)
      if (&src == p) return true;
    return false;
  }
  // Memory the caller may use for a new source: never used, or released.
  uvafd_source* free_source() {
    for (uvafd_source& src : sources_) {
      const Waker* w = waker_of_source(&src);
      if (!w || (!w->live && !w->releasing)) return &src;
    }
    if (sources_.size() >= kMaxWakers + 2) return nullptr;
    sources_.emplace_back();
    return &sources_.back();
  }
  std::vector<size_t> live_regs() {
    std::vector<size_t> out;
    for (size_t i = 0; i < regs_.size(); ++i)
      if (regs_[i].live) out.push_back(i);
    return out;
  }
  std::vector<size_t> open_socks() {
    std::vector<size_t> out;
    for (size_t i = 0; i < socks_.size(); ++i)
      if (socks_[i].open) out.push_back(i);
    return out;
  }

  // --- operations
  void op_socket_create() {
    auto open = open_socks();
    if (open.size() >= kMaxSockets) return;
    if (!open.empty() && chance(20)) {
      // A second handle to an open socket (DuplicateHandle, WSADuplicateSocket).
      const Sock original = socks_[open[pick(open.size())]];
      socks_.push_back(Sock{kernel_.socket_duplicate(original.value), true, original.object});
      trace("socket_duplicate(%llu) -> %llu", (unsigned long long)original.value,
            (unsigned long long)socks_.back().value);
      return;
    }
    socks_.push_back(Sock{kernel_.socket_create(), true, ++objects_});
    trace("socket_create -> %llu", (unsigned long long)socks_.back().value);
  }
  // The object an open handle value names now (0: none).
  uint64_t object_named_by(KHandle value) {
    for (const Sock& x : socks_)
      if (x.open && x.value == value) return x.object;
    return 0;
  }
  // A live registration of the same socket as socks_[si] under another handle value: the
  // reactor must refuse the new one.
  bool registered_elsewhere(size_t si) {
    for (const Reg& r : regs_)
      if (r.live && socks_[r.sock].open && socks_[r.sock].object == socks_[si].object &&
          socks_[r.sock].value != socks_[si].value)
        return true;
    return false;
  }
  // Whether the reactor may refuse it: as above, or a live registration whose socket was closed
  // (its LOCAL_CLOSE not yet dequeued) has a value that now names the same socket. The reactor
  // cannot tell that value's new owner from its old one until the packet comes.
  bool may_refuse(size_t si) {
    if (registered_elsewhere(si)) return true;
    for (const Reg& r : regs_)
      if (r.live && !r.gone && !socks_[r.sock].open &&
          socks_[r.sock].value != socks_[si].value &&
          object_named_by(socks_[r.sock].value) == socks_[si].object)
        return true;
    return false;
  }
  // A closed registration of this handle whose poll is still in flight (a zombie).
  bool zombie_on(size_t si) {
    for (const Reg& r : regs_) {
      if (r.live || r.sock != si) continue;
      const PinnedState* st = reactor_->peek(r.h);
      if (st->generation == r.h.generation && st->lifecycle() == Lifecycle::Zombie &&
          st->request_in_flight())
        return true;
    }
    return false;
  }
  void op_socket_close() {
    auto open = open_socks();
    if (open.empty()) return;
    const size_t si = open[pick(open.size())];
    Sock& s = socks_[si];
    // The contract (docs/architecture.md): a socket may be closed under a registration whose
    // poll is in flight (LOCAL_CLOSE stops it); any other registration of it is closed first,
    // since its next arm could name whatever socket gets the value next. A handle that is not
    // the socket's last brings no LOCAL_CLOSE at all: every registration through it goes first.
    bool last = true;
    for (size_t i = 0; i < socks_.size(); ++i)
      if (i != si && socks_[i].open && socks_[i].object == s.object) last = false;
    for (Reg& r : regs_) {
      if (!r.live || r.gone || r.sock != si) continue;
      // In flight means still pending in the kernel: a poll that completed, its packet not yet
      // dequeued, brings no LOCAL_CLOSE, and the registration would re-arm on the value.
      const PinnedState* st = reactor_->peek(r.h);
      const bool pending = st->request == Request::Pending &&
                           kernel_.packets_for(const_cast<PinnedState*>(st)) == 0;
      if (!last || !pending) {
        Reg* keep = &r;
        const int rc = reactor_->handle_close(keep->h);
        trace("close(slot %u) before closing its socket -> %d", keep->h.slot, rc);
        if (rc != 0) return fail("close failed");
        keep->live = false;
      }
    }
    // Not the last handle, with a closed registration's poll still out through it: once the
    // value is closed nobody can tell that poll's socket from the copy's, and a registration of
    // the copy would arm beside it (docs/architecture.md lists this among the undetectable).
    if (!last && zombie_on(si)) return;
    trace("closesocket %llu", (unsigned long long)s.value);
    kernel_.socket_close(s.value);
    s.open = false;
  }
  void op_readiness() {
    auto open = open_socks();
    if (open.empty()) return;
    const Sock& s = socks_[open[pick(open.size())]];
    static const uint32_t kBits[] = {kAfdReceive, kAfdSend, kAfdDisconnect, kAfdAbort,
                                     kAfdReceiveExpedited, kAfdAccept, kAfdConnectFail};
    const uint32_t bit = kBits[pick(7)];
    if (chance(60)) {
      trace("ready %llu +0x%x", (unsigned long long)s.value, bit);
      kernel_.socket_add_ready(s.value, bit);
    } else {
      trace("ready %llu -0x%x (the user read or wrote)", (unsigned long long)s.value, bit);
      kernel_.socket_clear_ready(s.value, bit);
    }
  }
  void op_open(bool in_callback) {
    if (live_regs().size() >= kMaxRegs) return;
    auto open = open_socks();
    uvafd_handle h{};
    if (open.empty() || chance(5)) {
      // Bad input: a closed value (unless reused) or a file.
      const KHandle bad = chance(50) ? kernel_.file_create() : KHandle(0x7ffc);
      const int rc = reactor_->poll_open(bad, nullptr, &h);
      trace("poll_open(bad %llu) -> %d", (unsigned long long)bad, rc);
      if (rc != UVAFD_ENOTSOCK) fail("poll_open on a non-socket returned " + std::to_string(rc));
      return;
    }
    const size_t si = open[pick(open.size())];
    int* tag = new_tag();
    const int rc = reactor_->poll_open(socks_[si].value, tag, &h);
    trace("poll_open(%llu)%s -> %d slot %u gen %llu", (unsigned long long)socks_[si].value,
          in_callback ? " in callback" : "", rc, h.slot, (unsigned long long)h.generation);
    // One socket under two values: refused exactly while another value's registration lives.
    const bool elsewhere = registered_elsewhere(si);
    if (rc == UVAFD_EEXIST && may_refuse(si)) return;
    if (rc == 0 && elsewhere) {
      fail("a second handle of a registered socket was accepted");
      reactor_->handle_close(h);
      return;
    }
    if (rc != 0) return fail("poll_open failed: " + std::to_string(rc));
    Reg r;
    r.h = h;
    r.sock = si;
    r.tag = tag;
    reg_index_[{h.slot, h.generation}] = regs_.size();
    regs_.push_back(r);
  }
  void op_interest(Reg* target = nullptr, bool start = false) {
    auto live = live_regs();
    if (live.empty()) return;
    Reg& r = target ? *target : regs_[live[pick(live.size())]];
    // Any non-empty set of the four interest bits and UVAFD_ERROR (bit 4 of the pick).
    const uint32_t bits = uint32_t(1 + pick(31));
    const uint32_t interest = !start && chance(25)
                                  ? 0
                                  : (bits & UVAFD_INTEREST_MASK) | (bits & 16 ? UVAFD_ERROR : 0);
    const int rc = reactor_->poll_set_interest(r.h, interest);
    trace("set_interest(slot %u, 0x%x) -> %d", r.h.slot, interest, rc);
    learn_gone_unheard(r, rc);
    if (r.gone) {
      if (rc != UVAFD_EBADF) fail("interest on a gone socket returned " + std::to_string(rc));
      return;
    }
    if (rc == UVAFD_EEXIST) {
      // Justified when another live registration of the same base value has interest and has
      // not been told (LOCAL_CLOSE) that its socket is gone.
      for (const Reg& o : regs_)
        if (&o != &r && o.live && !o.gone && o.interest &&
            socks_[o.sock].value == socks_[r.sock].value)
          return;
      return fail("EEXIST without another interested registration");
    }
    if (rc != 0) return fail("set_interest failed: " + std::to_string(rc));
    r.failed = false;  // every call re-arms, the same events included (libuv's uv_poll_start)
    r.interest = interest;
  }
  void op_close(bool in_callback, Reg* target = nullptr) {
    auto live = live_regs();
    if (live.empty()) return;
    Reg& r = target ? *target : regs_[live[pick(live.size())]];
    const int rc = reactor_->handle_close(r.h);
    trace("close(slot %u gen %llu)%s -> %d", r.h.slot, (unsigned long long)r.h.generation,
          in_callback ? " in callback" : "", rc);
    if (rc != 0) return fail("close failed: " + std::to_string(rc));
    r.live = false;
    // A closed handle is refused from now on, whatever happens to its slot.
    if (reactor_->handle_close(r.h) != UVAFD_EBADF) fail("double close accepted");
    if (reactor_->poll_set_interest(r.h, UVAFD_READABLE) != UVAFD_EBADF)
      fail("interest on a closed handle accepted");
  }
  void op_waker_open() {
    size_t live = 0;
    for (const Waker& w : wakers_) live += w.live;
    if (live >= kMaxWakers) return;
    Waker w;
    w.tag = new_tag();
    if (chance(50) && (w.src = free_source())) {
      const int rc = reactor_->source_open(w.src);
      w.h.generation = w.src->word >> 2;
      trace("source_open(%p) -> %d gen %llu", static_cast<void*>(w.src), rc,
            (unsigned long long)w.h.generation);
      if (rc != 0) return fail("source_open failed");
      if (kernel_.packets_for(w.src)) return fail("a packet names released source memory");
      wakers_.push_back(w);
      return;
    }
    w.src = nullptr;
    const int rc = reactor_->wakeup_open(w.tag, &w.h);
    trace("wakeup_open -> %d slot %u", rc, w.h.slot);
    if (rc != 0) return fail("wakeup_open failed");
    wakers_.push_back(w);
  }
  void op_wake() {
    std::vector<Waker*> live;
    for (Waker& w : wakers_)
      if (w.live) live.push_back(&w);
    if (live.empty()) return;
    Waker* w = live[pick(live.size())];
    if (w->src) {
      // A post the kernel refuses: the wake fails and leaves nothing in flight behind it.
      const bool refuse = chance(5);
      if (refuse) kernel_.fail_next_post(kStatusNoMemory);
      // In flight or taken: coalesced, nothing is posted.
      const bool was_in_flight = (w->src->word & 3) != 0;
      const int rc = reactor_->source_wake(w->src);
      trace("source_wake(%p)%s -> %d", static_cast<void*>(w->src), refuse ? " refused" : "", rc);
      if (refuse && !was_in_flight) {
        if (rc != UVAFD_ENOMEM) return fail("a refused post was not reported");
        if (w->src->word & 1) return fail("a refused post kept the in-flight bit");
        return;
      }
      if (refuse) kernel_.fail_next_post(0);  // coalesced: nothing was posted
      if (rc != 0) return fail("source_wake failed: " + std::to_string(rc));
      if (kernel_.packets_for(w->src) > 1) fail("two wake packets in flight for one source");
      if (w->taken) {
        // Covered by the delivery the caller has not acted on yet (libuv's async_sent).
        if (kernel_.packets_for(w->src)) fail("a wake to a taken source posted a packet");
        return;
      }
      ++w->pending_wakes;
      return;
    }
    const int rc = reactor_->wake(w->h);
    trace("wake(slot %u) -> %d", w->h.slot, rc);
    if (rc != 0) return fail("wake failed: " + std::to_string(rc));
    ++w->pending_wakes;
    const PinnedState* s = reactor_->peek(w->h);
    if (kernel_.packets_for(const_cast<PinnedState*>(s)) > 1)
      fail("two wake packets in flight for one source");
  }
  // The caller acts on a delivery: the source is idle again, and the next wake posts.
  void op_rearm() {
    std::vector<Waker*> live;
    for (Waker& w : wakers_)
      if (w.live && w.src) live.push_back(&w);
    if (live.empty()) return;
    rearm(live[pick(live.size())]);
  }
  void rearm(Waker* w) {
    const int rc = reactor_->source_rearm(w->src);
    trace("source_rearm(%p)%s -> %d", static_cast<void*>(w->src), w->taken ? "" : " untaken", rc);
    if (rc != (w->taken ? 0 : UVAFD_EINVAL)) return fail("rearm: " + std::to_string(rc));
    w->taken = false;
  }
  void op_waker_close() {
    std::vector<Waker*> live;
    for (Waker& w : wakers_)
      if (w.live) live.push_back(&w);
    if (live.empty()) return;
    Waker* w = live[pick(live.size())];
    if (w->src) {
      const int rc = reactor_->source_close(w->src);
      trace("source_close(%p) -> %d", static_cast<void*>(w->src), rc);
      if (rc != 0 && rc != 1) return fail("closing a source failed");
      if (w->taken && rc != 0) return fail("a taken source's close waits for a packet");
      w->live = false;
      w->taken = false;
      w->releasing = rc == 1;
      // 0: the memory is the caller's now, so no packet may name it; 1: its one packet.
      if (kernel_.packets_for(w->src) != size_t(rc)) fail("close misjudged the source's packet");
      if (reactor_->source_wake(w->src) != UVAFD_EBADF) fail("wake after close accepted");
      return;
    }
    const int rc = reactor_->handle_close(w->h);
    trace("close waker(slot %u) -> %d", w->h.slot, rc);
    if (rc != 0) return fail("closing a waker failed");
    w->live = false;
    if (reactor_->wake(w->h) != UVAFD_EBADF) fail("wake after close accepted");
  }
  void op_kernel() {
    const size_t cancelled = kernel_.complete_cancelled(pick(3));
    const size_t released = kernel_.release_packets(pick(4), chance(50));
    trace("kernel: %llu cancellations complete, %llu packets released",
          (unsigned long long)cancelled, (unsigned long long)released);
    if (chance(10)) kernel_.set_hold_packets(chance(50));
  }
  // A registration whose poll failed (a transient error) is started again with the same events,
  // as a libuv user calls uv_poll_start again. Its socket is made ready for what it wants, and
  // the quiet check then requires the event: the restart must have re-armed it.
  void op_restart() {
    std::vector<size_t> failed;
    for (size_t i = 0; i < regs_.size(); ++i) {
      const Reg& r = regs_[i];
      if (r.live && r.failed && !r.gone && r.interest && socks_[r.sock].open) failed.push_back(i);
    }
    if (failed.empty()) return;
    Reg& r = regs_[failed[pick(failed.size())]];
    restart(r, false);
    if (!failure_.empty()) return;
    uint32_t want = kAfdReceiveExpedited;
    if (r.interest & UVAFD_READABLE) want = kAfdReceive;
    else if (r.interest & UVAFD_WRITABLE) want = kAfdSend;
    else if (r.interest & UVAFD_DISCONNECT) want = kAfdDisconnect;
    else if (r.interest & UVAFD_ERROR) want = kAfdAbort;
    trace("ready %llu +0x%x for the restarted registration",
          (unsigned long long)socks_[r.sock].value, want);
    kernel_.socket_add_ready(socks_[r.sock].value, want);
    quiet_check();
  }
  void restart(Reg& r, bool in_callback) {
    const int rc = reactor_->poll_set_interest(r.h, r.interest);
    trace("restart(slot %u, same 0x%x)%s -> %d", r.h.slot, r.interest,
          in_callback ? " in callback" : "", rc);
    if (rc != 0) return fail("restarting a failed poll returned " + std::to_string(rc));
    r.failed = false;
  }
  // A paused registration hears nothing, LOCAL_CLOSE included: that its socket was closed under
  // its poll shows only as EBADF on the next interest change. Justified only for a closed socket.
  void learn_gone_unheard(Reg& r, int rc) {
    if (rc == UVAFD_EBADF && !r.gone && !socks_[r.sock].open) {
      trace("slot %u: its socket was closed while it was paused", r.h.slot);
      r.gone = true;
    }
  }
  // uv_poll_stop from a callback: the stopped registration may have an error or events later in
  // the same batch, and must hear none of them.
  // A live registration (not `current`) whose failed submit's error is still to be delivered in
  // this wait, or nullptr. Reads the reactor's own flag: the workload aims at the race.
  Reg* with_pending_error(const Reg* current) {
    std::vector<Reg*> out;
    for (Reg& r : regs_)
      if (r.live && &r != current && r.interest && !r.failed && reactor_->peek(r.h)->poll_failed)
        out.push_back(&r);
    return out.empty() ? nullptr : out[pick(out.size())];
  }
  void op_stop(Reg* target, const Reg* current) {
    std::vector<size_t> candidates;
    for (size_t i = 0; i < regs_.size(); ++i)
      if (regs_[i].live && regs_[i].interest && &regs_[i] != current) candidates.push_back(i);
    if (candidates.empty()) return;
    Reg& r = target ? *target : regs_[candidates[pick(candidates.size())]];
    const int rc = reactor_->poll_set_interest(r.h, 0);
    trace("stop(slot %u) in callback -> %d", r.h.slot, rc);
    learn_gone_unheard(r, rc);
    if (r.gone) {
      if (rc != UVAFD_EBADF) fail("stopping a gone registration returned " + std::to_string(rc));
      return;
    }
    if (rc != 0) return fail("stop failed: " + std::to_string(rc));
    r.interest = 0;
    r.failed = false;
  }
  void op_inject() {
    if (chance(70)) {
      trace("inject: next submit fails");
      kernel_.fail_next_submit(kStatusNoMemory);
    } else {
      trace("inject: next cancel fails");
      kernel_.fail_next_cancel(kStatusNoMemory);
    }
  }
  // A loop that submits between waits (libuv's uv_poll_start and the re-arm after poll_cb do):
  // what the next wait would arm for one registration, now. From a callback it is refused.
  void op_poll_arm(bool in_callback) {
    if (chance(30)) {
      // Everything the next wait would arm first (uv_run does it before it returns).
      for (Reg& r : regs_)
        if (r.live && r.interest) r.armable = true;
      const int rc = reactor_->arm_all();
      trace("arm_all%s -> %d", in_callback ? " in callback" : "", rc);
      if (rc != (in_callback ? UVAFD_EBUSY : 0)) fail("arm_all returned " + std::to_string(rc));
      return;
    }
    auto live = live_regs();
    if (live.empty()) return;
    Reg& r = regs_[live[pick(live.size())]];
    if (r.interest) r.armable = true;
    const int rc = reactor_->poll_arm(r.h);
    trace("poll_arm(slot %u)%s -> %d", r.h.slot, in_callback ? " in callback" : "", rc);
    if (in_callback ? rc != UVAFD_EBUSY : (rc != 0 && rc != 1))
      fail("poll_arm returned " + std::to_string(rc));
  }
  void op_wait() {
    for (Reg& r : regs_)
      if (r.live && r.interest) r.armable = true;
    const int rc = reactor_->wait(0, &Run::on_event, this);
    trace("wait -> %d", rc);
    if (rc < 0) fail("wait failed: " + std::to_string(rc));
  }

  void one_step() {
    const uint64_t r = pick(100);
    if (r < 8) op_socket_create();
    else if (r < 12) op_socket_close();
    else if (r < 24) op_readiness();
    else if (r < 34) op_open(false);
    else if (r < 46) op_interest();
    else if (r < 53) op_close(false);
    else if (r < 56) op_waker_open();
    else if (r < 61) op_wake();
    else if (r < 63) op_rearm();
    else if (r < 65) op_waker_close();
    else if (r < 75) op_kernel();
    else if (r < 80) op_inject();
    else if (r < 83) op_restart();
    else if (r < 86) op_poll_arm(false);
    else op_wait();
  }

  // --- oracle 1 (and the re-entrant half of the workload)
  static void on_event(void* arg, const uvafd_event* e) { static_cast<Run*>(arg)->event(e); }
  void event(const uvafd_event* e) {
    if (opt_.trace)
      std::printf("    event slot %u gen %llu events 0x%x status %d\n", e->handle.slot,
                  (unsigned long long)e->handle.generation, e->events, e->status);
    if (is_source(e->user_data)) {
      Waker* w = waker_of_source(e->user_data);
      if (!w) return fail("an event for source memory never opened");
      if (e->events == UVAFD_RELEASED) {
        if (w->live || !w->releasing) return fail("RELEASED for a source not waiting for it");
        w->releasing = false;
        if (kernel_.packets_for(w->src)) return fail("released with a packet still naming it");
      } else if (e->events == UVAFD_WAKEUP) {
        if (!w->live || e->handle.generation != w->h.generation)
          return fail("wakeup for a closed or earlier source");
        if (w->taken) return fail("a second delivery before the caller acted on the first");
        w->taken = true;
        w->pending_wakes = 0;
        ++deliveries_;
        // Acted on at once, in the callback, as often as later (op_rearm).
        if (!quiet_ && chance(50)) rearm(w);
      } else {
        return fail("a source event that is neither WAKEUP nor RELEASED");
      }
    } else if (e->events == UVAFD_WAKEUP) {
      Waker* w = waker_of(e->handle);
      if (!w || !w->live || e->user_data != w->tag) return fail("wakeup for a closed or foreign source");
      w->pending_wakes = 0;
      ++deliveries_;
    } else {
      Reg* r = reg_of(e->handle);
      if (!r || !r->live) return fail("event for a closed incarnation");
      if (e->user_data != r->tag) return fail("event with another registration's user data");
      if (!r->armable) return fail("event for a registration that could not have armed");
      if (!r->interest) return fail("event for a stopped registration");
      if (e->events & ~(r->interest | UVAFD_LOCAL_CLOSE | UVAFD_ERROR | UVAFD_CONNECT_FAILED))
        return fail("event outside the interest");
      if (e->events & UVAFD_LOCAL_CLOSE) {
        if (socks_[r->sock].open) return fail("LOCAL_CLOSE for an open socket");
        r->gone = true;
      }
      if (e->status < 0) r->failed = true;
      if (e->events & r->interest) r->reported = true;
      // A transient failure answered at once, from the callback, with the same events.
      if (e->status < 0 && !r->gone && !quiet_ && chance(50)) restart(*r, true);
    }
    // Re-entrant work, as a callback (or another thread, for wakes) may do. Not while the
    // quiet check measures liveness: it needs the workload to stand still.
    if (quiet_) return;
    const uint64_t x = pick(100);
    const Reg* current =
        e->events & (UVAFD_WAKEUP | UVAFD_RELEASED) ? nullptr : reg_of(e->handle);
    if (x < 10) op_wake();
    else if (x < 16) op_close(true);
    else if (x < 22) op_open(true);
    else if (x < 26) op_interest();
    else if (x < 36) {
      // Close and open again at once: the freed slot comes straight back with a new
      // generation, while this wait may still hold work (an error) for the old incarnation.
      op_close(true);
      op_open(true);
    } else if (x < 42) {
      // The same, aimed at a registration whose submit failed in this wait (its error is still
      // to come in this batch), and the new incarnation started at once: the error belongs to
      // the closed one and must not reach it.
      Reg* doomed = with_pending_error(current);
      if (!doomed) return;
      op_close(true, doomed);
      const size_t before = regs_.size();
      op_open(true);
      if (regs_.size() > before && chance(70)) op_interest(&regs_.back(), true);
    } else if (x < 48) {
      op_stop(chance(50) ? with_pending_error(current) : nullptr, current);
    } else if (x < 52) {
      // A failure for whatever is armed next: the flush of this wait's callback changes runs in
      // the next wait, whose error then comes after that batch's callbacks.
      kernel_.fail_next_submit(kStatusNoMemory);
      trace("inject in callback: next submit fails");
    } else if (x < 54) {
      op_poll_arm(true);
    }
  }

  // --- oracles 2, 3 and the reactor's own counters, after every step
  void check_counters() {
    const SimKernel::Counters c = kernel_.counters();
    const uvafd_stats s = reactor_->stats();
    if (c.unowned_writes) fail("the kernel wrote into memory no request owns");
    if (c.second_poll_violations) fail("two requests in flight on one socket");
    if (s.misrouted) fail("a packet failed validation (misrouted)");
    if (s.invalid_transitions) fail("a lifecycle transition outside the table");
    if (s.double_poll_violations) fail("the reactor counted two requests on one socket");
  }

  // --- oracles 4 and 5: with the kernel quiet, interest on a ready socket and every pending
  // wake are reported within kQuietIterations.
  void quiet_check() {
    trace("quiet check");
    kernel_.set_hold_packets(false);
    for (Reg& r : regs_) r.reported = false;
    quiet_ = true;
    // The bound: a dequeue batch may be a single packet and packets are served in order, so
    // with N live sources one round of everyone's packets takes up to N waits; a re-arm after a
    // cancellation needs a second round.
    size_t sources = 0;
    for (const Reg& r : regs_) sources += r.live;
    for (const Waker& w : wakers_) sources += w.live || w.releasing;
    const size_t bound = kQuietIterations + 3 * sources;
    for (size_t i = 0; i < bound && failure_.empty(); ++i) {
      kernel_.complete_cancelled(SIZE_MAX);
      kernel_.release_packets(SIZE_MAX, false);
      op_wait();
    }
    quiet_ = false;
    if (!failure_.empty()) return;
    for (const Reg& r : regs_) {
      if (!r.live || r.gone || r.failed || !r.interest || !socks_[r.sock].open) continue;
      const uint32_t ready = kernel_.socket_ready(socks_[r.sock].value);
      if ((afd_mask_for_interest(r.interest) & ready & ~kAfdLocalClose) && !r.reported)
        return fail("interest " + std::to_string(r.interest) + " on a ready socket (slot " +
                    std::to_string(r.h.slot) + ") was not reported while quiet");
    }
    for (const Waker& w : wakers_) {
      if (w.live && w.pending_wakes) return fail("a wake was never delivered");
      if (w.releasing) return fail("a closed source was never released");
    }
    kernel_.set_hold_packets(chance(50));
  }

  // --- oracle 6
  void teardown() {
    trace("teardown");
    for (Waker& w : wakers_)
      if (w.src && w.live) {
        w.live = false;
        w.taken = false;
        w.releasing = reactor_->source_close(w.src) == 1;
      }
    kernel_.set_hold_packets(false);
    kernel_.set_async_cancel(false);
    kernel_.complete_cancelled(SIZE_MAX);
    kernel_.release_packets(SIZE_MAX, true);
    if (reactor_->close() != 0) return fail("teardown failed");
    const uvafd_stats s = reactor_->stats();
    if (s.live_states || s.zombies || s.requests_in_flight || s.wake_packets_in_flight)
      return fail("teardown left states or requests behind");
    if (s.leaked_on_teardown) return fail("teardown leaked");
    if (kernel_.pending_requests() || kernel_.queued_packets() || kernel_.held_packets())
      return fail("teardown left work in the kernel");
    // Every source was closed before the reactor (the rule the API states); the drain released
    // the ones with a packet in flight.
    for (const uvafd_source& src : sources_)
      if (src.word != 0) return fail("teardown left a closed source unreleased");
    check_counters();
  }

  uint64_t seed_;
  const Options& opt_;
  SimKernel kernel_;
  std::mt19937_64 rng_;
  std::unique_ptr<Reactor> reactor_;
  std::vector<Sock> socks_;
  std::vector<Reg> regs_;
  std::map<std::pair<uint32_t, uint64_t>, size_t> reg_index_;
  std::vector<Waker> wakers_;
  std::deque<uvafd_source> sources_;  // the caller's memory for embedded sources: stable
  std::deque<int> tags_;  // stable addresses: the user data the reactor hands back
  std::string failure_;
  int step_ = 0;
  uint64_t objects_ = 0;
  bool quiet_ = false;
  uint64_t deliveries_ = 0;
};

bool parse(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--seeds" && (v = next())) o->seeds = std::strtoull(v, nullptr, 10);
    else if (a == "--first-seed" && (v = next())) o->first_seed = std::strtoull(v, nullptr, 10);
    else if (a == "--seed" && (v = next())) {
      o->first_seed = std::strtoull(v, nullptr, 10);
      o->seeds = 1;
    } else if (a == "--steps" && (v = next())) o->steps = std::atoi(v);
    else if (a == "--trace") o->trace = true;
    else if (a == "--fault" && (v = next())) o->fault = v;
    else if (a == "--expect-caught-within" && (v = next()))
      o->expect_caught_within = std::strtoull(v, nullptr, 10);
    else if (a == "--soak" && (v = next())) o->soak_seconds = std::atof(v);
    else {
      std::fprintf(stderr, "usage: %s [--seeds N] [--first-seed S] [--seed S] [--steps N] "
                           "[--trace] [--fault NAME --expect-caught-within N] [--soak SECONDS]\n",
                   argv[0]);
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse(argc, argv, &opt)) return 2;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (opt.expect_caught_within) {
    // The oracle must be able to fail: with the fault on, some seed must be caught.
    for (uint64_t i = 0; i < opt.expect_caught_within; ++i) {
      const uint64_t seed = opt.first_seed + i;
      const std::string why = Run(seed, opt).go();
      if (!why.empty()) {
        std::printf("fault %s caught after %llu seeds (seed %llu, %s)\n", opt.fault.c_str(),
                    (unsigned long long)(i + 1), (unsigned long long)seed, why.c_str());
        std::printf("sim_fuzz: 1 passed, 0 failed\n");
        return 0;
      }
    }
    std::printf("fault %s NOT caught within %llu seeds\n", opt.fault.c_str(),
                (unsigned long long)opt.expect_caught_within);
    std::printf("sim_fuzz: 0 passed, 1 failed\n");
    return 1;
  }
  uint64_t passed = 0, failed = 0;
  std::mt19937_64 soak_rng(uint64_t(std::chrono::system_clock::now().time_since_epoch().count()));
  for (uint64_t i = 0;; ++i) {
    uint64_t seed;
    if (opt.soak_seconds > 0) {
      if (elapsed() >= opt.soak_seconds) break;
      seed = soak_rng();
    } else {
      if (i >= opt.seeds) break;
      seed = opt.first_seed + i;
    }
    if (opt.trace) std::printf("seed %llu\n", (unsigned long long)seed);
    const std::string why = Run(seed, opt).go();
    if (why.empty()) {
      ++passed;
      continue;
    }
    ++failed;
    std::printf("FAILED seed %llu: %s\n  replay: %s --seed %llu --steps %d --trace%s%s\n",
                (unsigned long long)seed, why.c_str(), argv[0], (unsigned long long)seed,
                opt.steps, opt.fault.empty() ? "" : " --fault ", opt.fault.c_str());
    if (failed >= 5) break;
  }
  std::printf("sim_fuzz: %.1f s, %d steps per seed\n", elapsed(), opt.steps);
  std::printf("sim_fuzz: %llu passed, %llu failed\n", (unsigned long long)passed,
              (unsigned long long)failed);
  return failed ? 1 : 0;
}
