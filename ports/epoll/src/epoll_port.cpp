#include "epoll_port.h"

#include <errno.h>

#include <algorithm>
#include <chrono>
#include <new>

namespace uvafd_epoll {

namespace {

constexpr uint32_t kEpollIn = EPOLLIN | EPOLLRDNORM;
constexpr uint32_t kEpollOut = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
constexpr uint32_t kEpollPri = EPOLLPRI | EPOLLRDBAND;
// Reported whether asked for or not, as on Linux.
constexpr uint32_t kAlways = EPOLLERR | EPOLLHUP;

// Linux errno for a reactor error.
int errno_from(int uvafd_error) {
  switch (uvafd_error) {
    case UVAFD_EBADF: return EBADF;
    case UVAFD_ENOMEM: return ENOMEM;
    case UVAFD_EEXIST: return EEXIST;
    case UVAFD_EINVAL: return EINVAL;
    case UVAFD_ENOTSOCK: return ENOTSOCK;
    default: return EIO;
  }
}

// Errors always: Linux reports EPOLLERR and EPOLLHUP whatever was asked for, and wepoll polls
// for them in every case (its user_events), so a refused connect of a socket that asked only
// for EPOLLRDHUP, EPOLLPRI or nothing is still heard.
uint32_t interest_for(uint32_t epoll_events) {
  uint32_t interest = UVAFD_ERROR;
  if (epoll_events & kEpollIn) interest |= UVAFD_READABLE;
  if (epoll_events & kEpollOut) interest |= UVAFD_WRITABLE;
  if (epoll_events & EPOLLRDHUP) interest |= UVAFD_DISCONNECT;
  if (epoll_events & kEpollPri) interest |= UVAFD_PRIORITIZED;
  return interest;
}

// What Linux reports after connect() failed, and wepoll copies (its sock.c): no EPOLLHUP.
constexpr uint32_t kConnectFailed =
    EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLRDNORM | EPOLLWRNORM | EPOLLRDHUP;

// The reactor's READABLE already covers a peer's FIN and a reset (recv returns), WRITABLE a
// reset and a failed connect. A reset (ABORT) is what Linux reports as EPOLLERR | EPOLLHUP; a
// failed connect is kConnectFailed, whatever readable and writable the reactor derived from it.
uint32_t epoll_events_from(uint32_t events) {
  if (events & UVAFD_CONNECT_FAILED)
    return kConnectFailed | ((events & UVAFD_PRIORITIZED) ? kEpollPri : 0);
  uint32_t out = 0;
  if (events & UVAFD_READABLE) out |= kEpollIn;
  if (events & UVAFD_WRITABLE) out |= kEpollOut;
  if (events & UVAFD_DISCONNECT) out |= EPOLLRDHUP;
  if (events & UVAFD_PRIORITIZED) out |= kEpollPri;
  if (events & UVAFD_ERROR) out |= kAlways;
  return out;
}

// No exception may leave the port's entry points, and one thrown half-way through a reactor
// call would leave the port's own state (in_kernel_, a half-made entry) behind: whatever the
// reactor does on a failed allocation, here it is UVAFD_ENOMEM.
template <typename Call>
int guarded(Call&& call) noexcept {
  try {
    return call();
  } catch (...) {
    return UVAFD_ENOMEM;
  }
}

bool same(uvafd_handle a, uvafd_handle b) {
  return a.slot == b.slot && a.generation == b.generation;
}


}  // namespace

// One registered socket. Named by the reactor's handle, never by its SOCKET value: the map
// from values exists only to answer epoll_ctl, and an entry leaves it when its socket closes.
struct Entry {
  SOCKET sock;
  uvafd_handle handle{};
  uint32_t user_events = 0;  // as given to ADD / MOD
  epoll_data_t data{};
  uint32_t armed = 0;          // the interest last given to the reactor
  uint32_t pending = 0;        // EPOLL* bits received, not yet handed out
  uint32_t edge_reported = 0;  // EPOLLET: reactor bits reported, not polled until re-armed
  uint64_t edge_handed_at = 0; // EPOLLET: wait_calls_ when the report was handed out
  bool edge_handed = false;    // the report is out; polled again from a later epoll_wait on
  bool edge_listed = false;    // in edges_head_'s list (it may outlive edge_handed)
  uint64_t queued_at = 0;      // reactor_waits_ when its report was received
  bool oneshot_fired = false;  // EPOLLONESHOT: disabled until EPOLL_CTL_MOD
  bool queued = false;
  uint64_t deliveries = 0;     // readiness the reactor delivered (ADD's liveness test)
  bool proven_armed = false;   // its poll was in flight when ADD returned; nothing came since
  Entry* prev = nullptr;
  Entry* next = nullptr;
  Entry* edge_prev = nullptr;
  Entry* edge_next = nullptr;
  // Its registration could not be closed (a failed allocation): out of the set, its events
  // ignored, freed once a later close succeeds (the reactor still names it as user_data).
  bool doomed = false;
  // Dropped by the batch being applied: closed and out of the set, freed when apply() ends,
  // because a later event of the same batch may still name it (doomed_next links it).
  bool dropped = false;
  Entry* doomed_next = nullptr;
};

int Port::create(Port** out) {
  *out = nullptr;
  Port* p = new (std::nothrow) Port();
  if (!p) return UVAFD_ENOMEM;
  uvafd_options options;
  uvafd_options_init(&options);
  options.dequeue_batch = kBatch;  // batch_ holds what one wait can deliver
  int err = guarded([&] { return uvafd_reactor_create(&options, &p->reactor_); });
  if (!err) err = guarded([&] { return uvafd_wakeup_open(p->reactor_, nullptr, &p->wakeup_); });
  if (!err) err = uvafd_reactor_port(p->reactor_, &p->port_handle_);
  if (err) {
    delete p;
    return err;
  }
  *out = p;
  return 0;
}

Port::~Port() {
  if (reactor_) uvafd_reactor_destroy(reactor_);  // drains every request first
  for (auto& kv : by_socket_) delete kv.second;
  while (doomed_) {
    Entry* next = doomed_->doomed_next;
    delete doomed_;
    doomed_ = next;
  }
}

void Port::wait_out_of_kernel(Lock& lk) {
  constexpr auto kRetry = std::chrono::milliseconds(10);
  while (in_kernel_) {
    // A wake whose post failed (the kernel short of memory) brings nobody out, and the waiter
    // may wait forever: try again until one is queued.
    if (uvafd_wake(reactor_, wakeup_) == 0) cv_.wait(lk, [this] { return !in_kernel_; });
    else cv_.wait_for(lk, kRetry);
  }
}

bool Port::own(Lock& lk) {
  if (closing_) return false;
  if (in_kernel_) {
    ++ctl_waiting_;
    wait_out_of_kernel(lk);
    --ctl_waiting_;
    // Part of what close() and held-back waiters wait for: a ctl that returns EBADF now (the
    // port is closing) notifies nobody else, and close() may have looked before this.
    cv_.notify_all();
  }
  return !closing_;
}

int Port::reactor_wait(int64_t timeout_ms, Lock* unlocked_inside) {
  batch_size_ = 0;
  ++reactor_waits_;  // read by other waiters under mu_ (refresh_stale_reports)
  retry_doomed();
  // From here on only the owner's own state (batch_) is touched, until mu_ is taken back.
  if (unlocked_inside) unlocked_inside->unlock();
  const int rc = guarded([&] {
    return uvafd_reactor_wait(
        reactor_, timeout_ms,
        [](void* arg, const uvafd_event* event) {
          auto* self = static_cast<Port*>(arg);
          if (self->batch_size_ < kBatch) self->batch_[self->batch_size_++] = *event;
          else ++self->batch_overflow_;
        },
        this);
  });
  if (unlocked_inside) unlocked_inside->lock();
  return rc;
}

// Closes e's registration and frees it; if the reactor cannot close it now, e waits in doomed_
// (its events ignored) and the next reactor wait tries again.
void Port::release(Entry* e) {
  const int rc = guarded([&] { return uvafd_handle_close(reactor_, e->handle); });
  if (rc == 0 || rc == UVAFD_EBADF) {
    if (!applying_) {
      delete e;
      return;
    }
    e->dropped = true;
    e->doomed_next = dropped_;
    dropped_ = e;
    return;
  }
  e->doomed = true;
  e->doomed_next = doomed_;
  doomed_ = e;
}

void Port::retry_doomed() {
  Entry** link = &doomed_;
  while (*link) {
    Entry* e = *link;
    const int rc = guarded([&] { return uvafd_handle_close(reactor_, e->handle); });
    if (rc == 0 || rc == UVAFD_EBADF) {
      *link = e->doomed_next;
      delete e;
    } else {
      link = &e->doomed_next;
    }
  }
}

// The owner's part of a wait: what the reactor delivered becomes the set's state.
void Port::apply() {
  applying_ = true;
  for (uint32_t i = 0; i < batch_size_; ++i) {
    const uvafd_event& ev = batch_[i];
    if (ev.events & UVAFD_WAKEUP) continue;
    auto* e = static_cast<Entry*>(ev.user_data);
    if (!e || !same(e->handle, ev.handle)) {
      ++misrouted_;
      continue;
    }
    if (e->doomed || e->dropped) continue;
    bool gone = (ev.events & UVAFD_LOCAL_CLOSE) || ev.status == UVAFD_EBADF ||
                ev.status == UVAFD_ENOTSOCK;
#ifdef UVAFD_EPOLL_MUTANT_DROP_FAILED_POLL  // epoll_fuzz's mutant: drop on failure
    gone = gone || ev.status < 0;
#endif
    if (gone) {
      // The socket was closed: like Linux, it leaves the set by itself, and what it had not
      // handed out yet goes with it (its value may already be another socket's). A poll
      // refused because the value names no socket (closed between two waits, maybe reused by
      // a non-socket) means the same: wepoll's sock_update deletes it on ERROR_INVALID_HANDLE,
      // the Win32 error of both STATUS_INVALID_HANDLE and STATUS_OBJECT_TYPE_MISMATCH.
      drop(e);
      continue;
    }
    ++e->deliveries;
    e->proven_armed = false;
    if (ev.status < 0) {
      // Any other failure may be transient and the socket may still be there: wepoll's
      // sock_feed_event reports EPOLLERR and polls it again. The reactor re-arms a failed
      // poll only when its interest is set again, the same interest included.
      e->armed = 0;
      update_interest(e);
    }
    // A disarmed EPOLLONESHOT socket hears nothing, not even EPOLLERR (wepoll clears its
    // user_events when it fires). A report for it can only come from a disarm that failed:
    // try again, here, as the owner.
    if (e->oneshot_fired) {
      update_interest(e);
      continue;
    }
    const uint32_t report = ev.status < 0
                                ? uint32_t(EPOLLERR)
                                : epoll_events_from(ev.events) & (e->user_events | kAlways);
    if (!report) continue;
    if (e->user_events & EPOLLONESHOT) {
      e->oneshot_fired = true;
      update_interest(e);
    } else if (e->user_events & EPOLLET) {
      e->edge_reported |= ev.events & (UVAFD_INTEREST_MASK | UVAFD_ERROR);
      e->edge_handed = false;
      update_interest(e);
    }
    // A level-triggered report replaces an older one (which may be stale), and adds to one of
    // the same reactor wait.
    if (!(e->user_events & (EPOLLET | EPOLLONESHOT)) && e->queued_at != reactor_waits_)
      e->pending = 0;
    e->pending |= report;
    e->queued_at = reactor_waits_;
    enqueue(e);
  }
  applying_ = false;
  while (dropped_) {
    Entry* next = dropped_->doomed_next;
    delete dropped_;
    dropped_ = next;
  }
}

// Every packet already queued on the port is applied, a LOCAL_CLOSE included.
void Port::drain() {
  uvafd_stats before{}, after{};
  for (int round = 0; round < 64; ++round) {
    uvafd_reactor_stats(reactor_, &before);
    const int rc = reactor_wait(0);
    apply();
    uvafd_reactor_stats(reactor_, &after);
    if (rc < 0 || after.packets_dequeued == before.packets_dequeued) break;
  }
}

int Port::update_interest(Entry* e) {
  // UVAFD_LOCAL_CLOSE always: a disabled or paused socket keeps a poll in flight that only its
  // close completes, so its value never outlives it in by_socket_ (wepoll #34).
  uint32_t want = UVAFD_LOCAL_CLOSE;
  if (!e->oneshot_fired) want |= interest_for(e->user_events) & ~e->edge_reported;
  if (want == e->armed) return 0;
  // On failure `armed` stays as it was, so the next call tries again.
  const int rc = guarded([&] { return uvafd_poll_set_interest(reactor_, e->handle, want); });
  if (rc == 0) e->armed = want;
  return rc;
}

// EPOLLET: a report handed out in an earlier epoll_wait call is polled again from the next call
// on. Staying silent longer could lose an edge, because AFD cannot tell new data from old.
void Port::restore_edges() {
  for (Entry* e = edges_head_; e;) {
    Entry* next = e->edge_next;
    if (!e->edge_handed) {
      unlist_edge(e);  // a newer report of it came (apply): nothing to restore
    } else if (e->edge_handed_at < wait_calls_) {
      e->edge_handed = false;
      e->edge_reported = 0;
      unlist_edge(e);
      update_interest(e);
    }
    e = next;
  }
}

void Port::list_edge(Entry* e) {
  if (e->edge_listed) return;
  e->edge_listed = true;
  e->edge_prev = nullptr;
  e->edge_next = edges_head_;
  if (edges_head_) edges_head_->edge_prev = e;
  edges_head_ = e;
}

void Port::unlist_edge(Entry* e) {
  if (!e->edge_listed) return;
  e->edge_listed = false;
  if (e->edge_prev) e->edge_prev->edge_next = e->edge_next; else edges_head_ = e->edge_next;
  if (e->edge_next) e->edge_next->edge_prev = e->edge_prev;
  e->edge_prev = e->edge_next = nullptr;
}

// Linux re-polls a level-triggered socket when it hands it out. A level-triggered report that
// an earlier reactor wait received and no epoll_wait took (maxevents was smaller) may be stale
// by now. So, before leftovers are handed out, one reactor wait (0 ms; it re-arms every
// level-triggered socket, and a ready one completes at once) says what is still ready: those
// keep their place in the queue (older reports first, as Linux rotates its ready list), the
// others go. Without the reactor (another thread is in it), they go too: that thread's wait
// reports again whatever is still ready. EPOLLET and EPOLLONESHOT reports stay: their sockets
// are not polled again until the report is out.
void Port::refresh_stale_reports() {
  const uint64_t before_this_call = reactor_waits_;
  auto stale = [before_this_call](const Entry* e) {
    return !(e->user_events & (EPOLLET | EPOLLONESHOT)) && e->queued_at <= before_this_call;
  };
  bool any = false;
  for (Entry* e = ready_head_; e && !any; e = e->next) any = stale(e);
  if (!any) return;
  if (!in_kernel_ && ctl_waiting_ == 0) {
    // Applied even when the wait failed: the reactor still delivers what it had (an earlier
    // submit's error), and a failed poll is re-armed only once the port has seen it.
    reactor_wait(0);
    apply();
  }
  for (Entry* e = ready_head_; e;) {
    Entry* next = e->next;
    if (stale(e)) {
      e->pending = 0;
      dequeue(e);
    }
    e = next;
  }
}

void Port::enqueue(Entry* e) {
  if (e->queued) return;
  e->queued = true;
  e->next = nullptr;
  e->prev = ready_tail_;
  if (ready_tail_) ready_tail_->next = e; else ready_head_ = e;
  ready_tail_ = e;
}

void Port::dequeue(Entry* e) {
  if (!e->queued) return;
  e->queued = false;
  if (e->prev) e->prev->next = e->next; else ready_head_ = e->next;
  if (e->next) e->next->prev = e->prev; else ready_tail_ = e->prev;
  e->prev = e->next = nullptr;
}

void Port::drop(Entry* e) {
  dequeue(e);
  auto it = by_socket_.find(e->sock);
  if (it != by_socket_.end() && it->second == e) by_socket_.erase(it);
  unlist_edge(e);
  release(e);
}

// Any waiter, also one that does not own the reactor (another thread is in it): so nothing here
// calls the reactor. An EPOLLONESHOT report was disarmed when it was received (apply, as the
// owner), and a MOD since then took it off the queue.
int Port::take_ready(epoll_event* out, int maxevents) {
  int n = 0;
  while (n < maxevents && ready_head_) {
    Entry* e = ready_head_;
    dequeue(e);
    out[n].events = e->pending;
    out[n].data = e->data;
    e->pending = 0;
    if ((e->user_events & EPOLLET) && e->edge_reported && !e->edge_handed) {
      e->edge_handed = true;
      e->edge_handed_at = wait_calls_;
      list_edge(e);
    }
    ++n;
  }
  return n;
}

int Port::add(SOCKET sock, const epoll_event& ev) {
  auto known = by_socket_.find(sock);
  if (known != by_socket_.end()) {
    // Either the same socket (EEXIST) or a closed one and a new socket that got its value.
    // Every registration has a poll in flight while the caller runs, so a close has queued a
    // LOCAL_CLOSE by now, unless the poll had already completed (its packet queued) when the
    // socket was closed. Apply what is queued, then look.
    // Proven armed: its poll was in flight when ADD returned, and nothing came since.
    const bool unarmed = !known->second->proven_armed;
    const uint64_t before = known->second->deliveries;
    drain();
    known = by_socket_.find(sock);
    if (known != by_socket_.end()) {
      // Still there. If its poll was in flight through the drain, the socket is alive: a close
      // would have completed it. If not, nothing can prove the socket still exists, and
      // keeping it would let it poll whatever socket now has the value (wepoll #34): the old
      // registration goes, with its undelivered events.
      if (!unarmed && known->second->deliveries == before) return EEXIST;
      drop(known->second);
    }
  }
  auto* e = new (std::nothrow) Entry{sock};
  if (!e) return ENOMEM;
  int err = guarded([&] { return uvafd_poll_open(reactor_, sock, e, &e->handle); });
  if (err == UVAFD_EEXIST) {
    // A live registration names the same socket object under another value: maybe one whose
    // socket was closed and whose LOCAL_CLOSE is still queued. Apply what is queued and retry.
    drain();
    err = guarded([&] { return uvafd_poll_open(reactor_, sock, e, &e->handle); });
  }
  if (err) {
    delete e;
    return errno_from(err);
  }
  e->user_events = ev.events;
  e->data = ev.data;
  err = update_interest(e);
  if (err) {
    // EEXIST: another registration of the same base socket (a duplicated handle) has interest,
    // and AFD cannot poll one socket twice.
    release(e);
    return errno_from(err);
  }
  // Armed now, not at the next wait: a socket closed before then completes it (LOCAL_CLOSE).
  e->proven_armed = guarded([&] { return uvafd_poll_arm(reactor_, e->handle); }) == 1;
  try {
    by_socket_.emplace(sock, e);
  } catch (...) {
    release(e);
    return ENOMEM;
  }
  return 0;
}

int Port::mod(Entry* e, const epoll_event& ev) {
  const Entry before = *e;
  e->user_events = ev.events;
  e->data = ev.data;
#ifndef UVAFD_EPOLL_MUTANT_MOD_KEEPS_ONESHOT  // epoll_fuzz's mutant only (tests/native)
  e->oneshot_fired = false;
#endif
  e->edge_reported = 0;
  if (const int err = update_interest(e)) {
    // Nothing changed: the caller may try again.
    e->user_events = before.user_events;
    e->data = before.data;
    e->oneshot_fired = before.oneshot_fired;
    e->edge_reported = before.edge_reported;
    return errno_from(err);
  }
  e->edge_handed = false;
  unlist_edge(e);
  // Re-armed: a report received under the old mask is not handed out; the new poll reports
  // what is ready now, once (Linux re-polls a modified socket, and a ONESHOT one fires once).
  e->pending = 0;
  dequeue(e);
  e->proven_armed = false;
  return 0;
}

int Port::ctl(int op, SOCKET sock, const epoll_event* event) {
  if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL) return EINVAL;
  if (op != EPOLL_CTL_DEL && !event) return EFAULT;
  Lock lk(mu_);
  if (!own(lk)) return EBADF;
  int err = 0;
  if (op == EPOLL_CTL_ADD) {
    err = add(sock, *event);
  } else {
    auto it = by_socket_.find(sock);
    if (it == by_socket_.end()) {
      err = ENOENT;
    } else if (op == EPOLL_CTL_MOD) {
      err = mod(it->second, *event);
    } else {
      drop(it->second);
    }
  }
  lk.unlock();
  cv_.notify_all();  // waiters held back by ctl_waiting_
  return err;
}

int Port::wait(epoll_event* out, int maxevents, int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  Lock lk(mu_);
  if (closing_) return -EBADF;
  ++waiters_;
  ++wait_calls_;
  bool polled = false;
  refresh_stale_reports();
  int n = 0, error = 0;
  for (;;) {
    n = take_ready(out, maxevents);
    if (n > 0 || closing_) break;
    const bool expired = timeout_ms >= 0 && Clock::now() >= deadline;
    if (in_kernel_ || ctl_waiting_ > 0) {
      // Another thread owns the reactor: its events reach the queue when it comes back.
      if (expired || timeout_ms == 0) break;
      if (timeout_ms < 0) cv_.wait(lk); else cv_.wait_until(lk, deadline);
      continue;
    }
    if (expired && polled) break;
    restore_edges();
    int64_t wait_ms = -1;
    if (timeout_ms >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      wait_ms = std::max<int64_t>(0, left.count());
    }
    in_kernel_ = true;
    const int rc = reactor_wait(wait_ms, &lk);  // blocks without mu_
    apply();
    in_kernel_ = false;
    polled = true;
    cv_.notify_all();
    if (rc < 0) {
      error = errno_from(rc);
      break;
    }
  }
  --waiters_;
  if (n == 0 && closing_) error = EBADF;
  lk.unlock();
  cv_.notify_all();
  return n > 0 ? n : (error ? -error : 0);
}

void Port::close() {
  Lock lk(mu_);
  closing_ = true;
  cv_.notify_all();
  wait_out_of_kernel(lk);  // a waiter that sees closing_ never goes back in
  cv_.wait(lk, [this] { return !in_kernel_ && waiters_ == 0 && ctl_waiting_ == 0; });
}

int Port::stats(uvafd_stats* out, uint64_t* misrouted_here) {
  Lock lk(mu_);
  if (!own(lk)) return EBADF;
  uvafd_reactor_stats(reactor_, out);
  if (misrouted_here) *misrouted_here = misrouted_;
  return 0;
}

int Port::broken_invariants() {
  Lock lk(mu_);
  if (!own(lk)) return -1;
  int broken = batch_overflow_ ? 1 : 0;
  auto registered = [this](Entry* e) {
    auto it = by_socket_.find(e->sock);
    return it != by_socket_.end() && it->second == e;
  };
  size_t listed = 0, flagged = 0;
  for (Entry* e = edges_head_; e; e = e->edge_next) {
    ++listed;
    if (!registered(e) || !e->edge_listed) ++broken;
    if (listed > by_socket_.size()) return broken + 1;  // listed twice: a cycle
  }
  size_t queued = 0, flagged_queued = 0;
  for (Entry* e = ready_head_; e; e = e->next) {
    ++queued;
    if (!registered(e) || !e->queued) ++broken;
    if (queued > by_socket_.size()) return broken + 1;
  }
  for (auto& kv : by_socket_) {
    if (kv.second->edge_listed) ++flagged;
    if (kv.second->queued) ++flagged_queued;
  }
  if (flagged != listed || flagged_queued != queued) ++broken;
  return broken;
}

}  // namespace uvafd_epoll
