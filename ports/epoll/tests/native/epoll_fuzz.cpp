// epoll_fuzz: random ADD/MOD/DEL/close/wait sequences on the epoll port (uvafd_epoll::Port, the
// code behind wepoll's five functions) running on the C API over the simulated kernel, checked
// against a model of Linux epoll(7). Deterministic per seed; a failure prints the seed and the
// command that replays it with a trace.
//
//   epoll_fuzz [--seeds N] [--first-seed S] [--steps N] [--trace] [--expect-caught-within N]
//
// The oracle (docs/testing.md), after every epoll_wait (maxevents 1..8, timeout 0):
//  1. it returns 0..maxevents events, each at most once, each naming a registration in the set
//     by its own data (never one removed by DEL, replaced by ADD, or closed, except below);
//  2. the bits are within the registration's mask and were ready (see the allowances);
//  3. EPOLLONESHOT: nothing after its report until MOD;
//  4. liveness: a level-triggered (or armed EPOLLONESHOT) socket with a wanted bit ready, and an
//     EPOLLET socket with a new edge (a wanted bit that went 0 -> 1, or was ready at ADD/MOD),
//     is reported within kLiveness waits;
//  5. a poll that fails in the kernel (injected: SimKernel::fail_next_completion) is one
//     EPOLLERR for its socket, which stays in the set and is polled again (wepoll 1.5.8);
//  6. ctl: ADD of a value in the set is EEXIST, MOD/DEL of one not in it ENOENT, any ctl of a
//     closed value fails (EBADF: epoll_api.cpp's handle check, which the fuzzer stands in for).
// Allowed differences, exactly those docs/porting.md section 9 documents:
//  - EPOLLET is reported again (once per epoll_wait call) while still ready: "not polled again
//    until an epoll_wait call begins after the report was handed out";
//  - a readiness that ended after the kernel recorded it may still be reported once (Linux
//    re-polls at delivery; AFD's completion is already queued, and an epoll_wait served from
//    the port's queue does not dequeue it), also across a MOD: so every reported bit was ready
//    at some time since ADD or MOD or, after a report, since the last epoll_wait that returned
//    nothing before it (only such a call surely dequeued everything; section 9's "a
//    level-triggered report no epoll_wait took" covers the port's own queue, not this);
//  - a socket closed without DEL: "a readiness the kernel recorded before the close may still
//    be returned once under the old data": bits ready before the close, and twice, not once
//    (a soak found it: a report already in the port's queue, handed out by a call that runs
//    no reactor wait, then a completion already in the kernel's queue; docs/porting.md);
//  - ADD of a value in the set may replace the registration instead of EEXIST ("EEXIST while
//    its poll has been in flight since it was added", which the model cannot see); the old
//    registration's data must then never be reported again;
//  - a closed socket's value reused by a new socket before the next epoll_wait is undefined
//    ("DEL before closesocket, as wepoll advises"): the fuzzer opens no socket until two
//    reactor waits have run since the last close (see op_close for why one is not enough).
// Built as epoll_fuzz on the port as users get it, and once per mutant on a copy compiled with
// a UVAFD_EPOLL_MUTANT_* switch, which the oracle must catch (ctest epoll_fuzz_catches_*):
// mod_keeps_oneshot (MOD forgets to re-arm) and drop_failed_poll (defect 5 put back).
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "afd_events.h"
#include "epoll_port.h"
#include "sim_kernel.h"

namespace uvafd_test {
uvafd::SimKernel& sim_world_kernel();
}

namespace {

using uvafd_epoll::Port;

constexpr int kSockets = 6;
// Waits a reportable socket may go unreported: maxevents may be 1, and each of kSockets ready
// sockets takes its turn (the port rotates its queue as Linux does), plus a stale re-check.
constexpr int kLiveness = 2 * kSockets + 4;
constexpr uint32_t kWanted = EPOLLIN | EPOLLOUT;
// NTSTATUS STATUS_UNSUCCESSFUL: a failed request that is not a closed handle.
constexpr uvafd::NtStatus kStatusUnsuccessful = static_cast<uvafd::NtStatus>(0xC0000001);

struct Options {
  uint64_t first_seed = 1;
  uint64_t seeds = 1000;
  int steps = 200;
  bool trace = false;
  uint64_t expect_caught_within = 0;
};

struct Failure {
  std::string why;
};

struct Reg {
  uint64_t tag = 0;       // the data given to ADD/MOD: unique per registration and MOD
  uint32_t events = 0;    // the mask as given
  bool fired = false;     // EPOLLONESHOT: reported, disarmed until MOD
  uint32_t seen = 0;      // wanted bits ready at some time since ADD/MOD/the last report
  bool edge = false;      // EPOLLET / armed ONESHOT: a readiness not reported yet
  bool reported_since_arm = false;
  int unreported_waits = 0;
};

struct Sock {
  SOCKET value = 0;
  bool open = false;
  uint32_t ready = 0;     // EPOLLIN / EPOLLOUT bits of the simulated socket
  uint32_t recent = 0;    // bits ready at some time since the last epoll_wait that returned 0
  bool registered = false;
  Reg reg;
};

class Run {
 public:
  Run(uint64_t seed, const Options& o) : rng_(seed), opt_(o), k_(uvafd_test::sim_world_kernel()) {}

  void go() {
    if (Port::create(&port_) != 0) fail("Port::create failed");
    for (int i = 0; i < kSockets; ++i) open_socket(i);
    for (int step = 0; step < opt_.steps; ++step) one_step();
    finish();
  }

  ~Run() {
    if (port_) {
      port_->close();
      delete port_;
    }
    for (Sock& s : socks_)
      if (s.open) k_.socket_close(s.value);
    k_.fail_next_completion(0);  // one not consumed must not reach the next seed
  }

 private:
  [[noreturn]] void fail(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    throw Failure{buf};
  }
  void trace(const char* fmt, ...) {
    if (!opt_.trace) return;
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
  }
  uint32_t pick(uint32_t n) { return uint32_t(rng_() % n); }

  static uint32_t afd_of(uint32_t epoll_bits) {
    return ((epoll_bits & EPOLLIN) ? uvafd::kAfdReceive : 0) |
           ((epoll_bits & EPOLLOUT) ? uvafd::kAfdSend : 0);
  }

  void open_socket(int i) {
    Sock& s = socks_[i];
    s = Sock{};
    s.value = k_.socket_create();
    s.open = true;
    trace("socket %d = %llu", i, (unsigned long long)s.value);
  }

  // Arms the model's registration as ADD and MOD do on Linux: whatever is ready now counts.
  void arm(Sock& s, uint32_t events) {
    s.reg.events = events;
    s.reg.tag = ++next_tag_;
    s.reg.fired = false;
    s.reg.seen = s.ready & events & kWanted;
    s.reg.edge = s.reg.seen != 0;
    s.reg.reported_since_arm = false;
    s.reg.unreported_waits = 0;
  }

  uint32_t random_mask() {
    static const uint32_t masks[] = {EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT, 0};
    uint32_t m = masks[pick(7) % 4];
    const uint32_t mode = pick(4);
    if (mode == 1) m |= EPOLLET;
    if (mode == 2) m |= EPOLLONESHOT;
    if (mode == 3) m |= EPOLLET | EPOLLONESHOT;
    return m;
  }

  // epoll_ctl as epoll_api.cpp makes it (not built here: Win32): a value that names no open
  // handle is EBADF before the port sees it (its check_handle, GetHandleInformation).
  int ctl(int op, const Sock& s, uint32_t events, uint64_t tag) {
    if (!k_.socket_is_open(s.value)) return EBADF;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    return port_->ctl(op, s.value, &ev);
  }

  // A closed socket's value that the simulated kernel gave to another socket since: a ctl on
  // it names that socket (as a reused fd on Linux), so the model does not send one.
  bool aliased(int i) const {
    if (socks_[i].open) return false;
    for (int j = 0; j < kSockets; ++j)
      if (j != i && socks_[j].open && socks_[j].value == socks_[i].value) return true;
    return false;
  }

  void op_add(int i) {
    Sock& s = socks_[i];
    if (aliased(i)) return;
    const uint32_t m = random_mask();
    const uint64_t tag = next_tag_ + 1;
    const int rc = ctl(EPOLL_CTL_ADD, s, m, tag);
    trace("ADD %d mask=%#x tag=%llu -> %d", i, m, (unsigned long long)tag, rc);
    if (!s.open) {
      if (rc == 0) fail("ADD of closed socket %d succeeded", i);
      return;
    }
    if (s.registered) {
      if (rc == EEXIST) return;
      // Documented: replaced unless its poll is proven in flight since ADD (which the model
      // cannot see: a poll of a value just replaced waits for the old one's cancellation).
      if (rc != 0) fail("ADD of registered socket %d: %d, expected EEXIST or 0", i, rc);
      forget(s);
    } else if (rc != 0) {
      fail("ADD of socket %d failed: %d", i, rc);
    }
    s.registered = true;
    arm(s, m);
  }

  void op_mod(int i) {
    Sock& s = socks_[i];
    if (aliased(i)) return;
    const uint32_t m = random_mask();
    const uint64_t tag = next_tag_ + 1;
    const int rc = ctl(EPOLL_CTL_MOD, s, m, tag);
    trace("MOD %d mask=%#x tag=%llu -> %d", i, m, (unsigned long long)tag, rc);
    if (!s.registered) {
      if (rc == 0) fail("MOD of socket %d not in the set succeeded", i);
      if (s.open && rc != ENOENT) fail("MOD of socket %d not in the set: %d, not ENOENT", i, rc);
      return;
    }
    if (rc != 0) fail("MOD of socket %d failed: %d", i, rc);
    retire(s.reg.tag);
    arm(s, m);
  }

  void op_del(int i) {
    Sock& s = socks_[i];
    if (aliased(i)) return;
    const int rc = ctl(EPOLL_CTL_DEL, s, 0, 0);
    trace("DEL %d -> %d", i, rc);
    if (!s.registered) {
      if (rc == 0) fail("DEL of socket %d not in the set succeeded", i);
      if (s.open && rc != ENOENT) fail("DEL of socket %d not in the set: %d, not ENOENT", i, rc);
      return;
    }
    if (rc != 0) fail("DEL of socket %d failed: %d", i, rc);
    forget(s);
  }

  void op_close(int i) {
    Sock& s = socks_[i];
    if (!s.open) {
      // Documented as undefined (docs/porting.md 9): a closed socket's value reused by a new
      // socket too soon. The simulated kernel reuses the lowest free value at once, so a new
      // socket waits for two epoll_wait calls that returned nothing (so ran the reactor) after
      // the last close: one is not enough when an ADD replaced the registration just before
      // the close (its new poll waits for the old one's cancellation and is first submitted
      // by the second reactor wait, on the reused value); a call served from the port's queue
      // runs no reactor wait.
      if (waits_since_close_ >= 2) open_socket(i);
      return;
    }
    trace("close %d", i);
    k_.socket_close(s.value);
    waits_since_close_ = 0;
    if (s.registered) {
      // Documented: one report recorded before the close may still come under the old data.
      closed_[s.reg.tag] = Closed{s.reg.events & kWanted & (s.reg.seen | s.ready | s.recent), 2};
      s.registered = false;
    }
    s.open = false;
  }

  void op_ready(int i, bool set) {
    Sock& s = socks_[i];
    if (!s.open) return;
    const uint32_t bit = pick(2) ? EPOLLIN : EPOLLOUT;
    trace("%s %d %s", set ? "ready" : "unready", i, bit == EPOLLIN ? "IN" : "OUT");
    if (set) {
      s.recent |= bit;
      if (!(s.ready & bit)) {
        s.ready |= bit;
        if (s.registered && (s.reg.events & bit)) {
          s.reg.seen |= bit;
          s.reg.edge = true;  // a new edge
          s.reg.unreported_waits = 0;
        }
      }
      k_.socket_add_ready(s.value, afd_of(bit));
    } else {
      s.ready &= ~bit;
      k_.socket_clear_ready(s.value, afd_of(bit));
      if (s.registered) s.reg.unreported_waits = 0;
    }
  }

  // The next poll to complete with events fails in the kernel instead (not a closed handle):
  // wepoll's rule, which the port follows, is EPOLLERR and a new poll.
  void op_fail_completion() {
    trace("fail the next completion");
    k_.fail_next_completion(kStatusUnsuccessful);
    ++errors_allowed_;
  }

  void forget(Sock& s) {
    retire(s.reg.tag);
    s.registered = false;
  }
  void retire(uint64_t tag) { retired_.insert(tag); }

  // Whether the model requires a report of s soon.
  static bool owed(const Sock& s) {
    if (!s.registered) return false;
    const Reg& r = s.reg;
    // Linux re-polls every item when it hands it out: a readiness gone by then owes nothing.
    const bool ready = (s.ready & r.events & kWanted) != 0;
    if (r.events & EPOLLONESHOT) return !r.fired && ready;
    if (r.events & EPOLLET) return r.edge && ready;
    return ready;
  }

  void op_wait() {
    const int maxevents = 1 + int(pick(8));
    epoll_event out[9];
    std::memset(out, 0xA5, sizeof out);
    const int n = port_->wait(out, maxevents, 0);
    if (n == 0) ++waits_since_close_;
    trace("wait max=%d -> %d", maxevents, n);
    if (n < 0 || n > maxevents) fail("epoll_wait(maxevents=%d) returned %d", maxevents, n);
    std::map<uint64_t, bool> got;
    for (int j = 0; j < n; ++j) {
      const uint64_t tag = out[j].data.u64;
      uint32_t bits = out[j].events;
      trace("  event tag=%llu events=%#x", (unsigned long long)tag, bits);
      if (got.count(tag)) fail("tag %llu reported twice in one wait", (unsigned long long)tag);
      got[tag] = true;
      Sock* s = nullptr;
      for (Sock& c : socks_)
        if (c.registered && c.reg.tag == tag) s = &c;
      if (!s) {
        auto it = closed_.find(tag);
        if (it != closed_.end() && bits) {
          uint32_t rest = bits;
          if ((rest & EPOLLERR) && errors_allowed_ > 0) {
            --errors_allowed_;  // the injected failure hit its last poll before the close
            rest &= ~uint32_t(EPOLLERR);
          }
          if ((rest & ~it->second.bits) == 0) {
            // One report the port had queued and one completion the kernel had queued.
            if (--it->second.reports == 0) closed_.erase(it);
            continue;
          }
        }
        fail("event %#x for tag %llu, which is not in the set", bits, (unsigned long long)tag);
      }
      Reg& r = s->reg;
      if (bits & EPOLLERR) {
        // The injected failure: reported once (maybe with a report queued before it), the
        // socket stays in the set, re-armed.
        if (errors_allowed_ == 0)
          fail("tag %llu: EPOLLERR with no failure injected", (unsigned long long)tag);
        --errors_allowed_;
        if ((r.events & EPOLLONESHOT) && r.fired)
          fail("tag %llu: EPOLLERR after EPOLLONESHOT fired", (unsigned long long)tag);
        bits &= ~uint32_t(EPOLLERR);
        if (!bits) {
          if (r.events & EPOLLONESHOT) r.fired = true;
          continue;
        }
      }
      if (bits & ~(r.events & kWanted))
        fail("tag %llu: events %#x outside its mask %#x", (unsigned long long)tag, bits,
             r.events);
      if (!bits) fail("tag %llu: an event with no bits", (unsigned long long)tag);
      if (r.events & EPOLLONESHOT) {
        if (r.fired) fail("tag %llu: EPOLLONESHOT reported again before MOD",
                          (unsigned long long)tag);
        if (bits & ~(r.seen | s->ready | s->recent))
          fail("tag %llu: oneshot bits %#x never ready", (unsigned long long)tag, bits);
        r.fired = true;
      } else if (r.events & EPOLLET) {
        if (bits & ~(r.seen | s->ready | s->recent))
          fail("tag %llu: edge bits %#x never ready", (unsigned long long)tag, bits);
        r.edge = false;
      } else if (bits & ~(r.seen | s->ready | s->recent)) {
        fail("tag %llu: level-triggered bits %#x not ready (ready %#x)",
             (unsigned long long)tag, bits, s->ready);
      }
      r.seen = (s->ready | s->recent) & r.events & kWanted;
      r.reported_since_arm = true;
      r.unreported_waits = 0;
    }
    for (size_t i = 0; i < socks_.size(); ++i) {
      Sock& s = socks_[i];
      // Only a call that returned nothing surely ran the reactor and dequeued every completion
      // recorded so far; one served from the port's queue may leave older ones in the kernel.
      if (n == 0) s.recent = s.ready;
      if (!owed(s) || got.count(s.reg.tag)) continue;
      if (++s.reg.unreported_waits > kLiveness)
        fail("socket %zu (tag %llu, mask %#x, ready %#x) unreported for %d waits", i,
             (unsigned long long)s.reg.tag, s.reg.events, s.ready, kLiveness);
    }
  }

  void one_step() {
    const int i = int(pick(kSockets));
    switch (pick(16)) {
      case 0: case 1: op_add(i); break;
      case 2: op_mod(i); break;
      case 3: op_del(i); break;
      case 4: op_close(i); break;
      case 5: case 6: op_ready(i, true); break;
      case 7: op_ready(i, false); break;
      case 8:
        if (pick(4) == 0) op_fail_completion();
        else op_wait();
        break;
      default: op_wait(); break;
    }
    if (port_->broken_invariants() != 0) fail("the port's invariants are broken");
  }

  // Quiet waits until everything owed has been reported.
  void finish() {
    for (int w = 0; w < kLiveness + 2; ++w) op_wait();
  }

  std::mt19937_64 rng_;
  const Options& opt_;
  uvafd::SimKernel& k_;
  Port* port_ = nullptr;
  std::vector<Sock> socks_ = std::vector<Sock>(kSockets);
  struct Closed {
    uint32_t bits;  // ready before the close
    int reports;    // reports still allowed under its old data
  };
  std::map<uint64_t, Closed> closed_;
  std::set<uint64_t> retired_;
  uint64_t next_tag_ = 0;
  int waits_since_close_ = 2;
  int errors_allowed_ = 0;  // injected failed completions not reported yet
};

bool parse(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--trace") { o->trace = true; continue; }
    if (!v) return false;
    ++i;
    if (a == "--seeds") o->seeds = std::strtoull(v, nullptr, 10);
    else if (a == "--first-seed") o->first_seed = std::strtoull(v, nullptr, 10);
    else if (a == "--steps") o->steps = std::atoi(v);
    else if (a == "--expect-caught-within") o->expect_caught_within = std::strtoull(v, nullptr, 10);
    else return false;
  }
  return true;
}

bool run_seed(uint64_t seed, const Options& opt, std::string* why) {
  try {
    Run run(seed, opt);
    run.go();
  } catch (const Failure& f) {
    *why = f.why;
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse(argc, argv, &opt)) {
    std::fprintf(stderr, "usage: %s [--seeds N] [--first-seed S] [--steps N] [--trace] "
                         "[--expect-caught-within N]\n", argv[0]);
    return 2;
  }
  if (opt.expect_caught_within) {
    // A mutant: the oracle must catch it within that many seeds.
    for (uint64_t i = 0; i < opt.expect_caught_within; ++i) {
      std::string why;
      if (!run_seed(opt.first_seed + i, opt, &why)) {
        std::printf("caught at seed %llu: %s\n", (unsigned long long)(opt.first_seed + i),
                    why.c_str());
        return 0;
      }
    }
    std::printf("NOT caught within %llu seeds\n", (unsigned long long)opt.expect_caught_within);
    return 1;
  }
  for (uint64_t i = 0; i < opt.seeds; ++i) {
    const uint64_t seed = opt.first_seed + i;
    std::string why;
    if (!run_seed(seed, opt, &why)) {
      std::printf("seed %llu failed: %s\nreplay: %s --first-seed %llu --seeds 1 --steps %d "
                  "--trace\n", (unsigned long long)seed, why.c_str(), argv[0],
                  (unsigned long long)seed, opt.steps);
      return 1;
    }
  }
  std::printf("%llu seeds x %d steps: no failure\n", (unsigned long long)opt.seeds, opt.steps);
  return 0;
}
