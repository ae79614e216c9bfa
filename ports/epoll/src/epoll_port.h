// One epoll port: a uvafd reactor, the set of registered sockets and the ready queue, and the
// serialisation that lets many threads call epoll_ctl / epoll_wait on a reactor that is
// single-threaded inside. Only the public C API (uvafd/reactor.h) is used.
//
// The threading rule (docs/porting.md, "The epoll port"):
//  - `mu_` guards everything here; the reactor is used by one thread at a time, the "owner".
//  - A waiter becomes the owner by setting `in_kernel_` under `mu_`, then blocks in
//    uvafd_reactor_wait WITHOUT `mu_`, so epoll_ctl and other waiters are never stuck behind
//    a blocking kernel call. Its callback only appends to `batch_`; the events are applied
//    to the set after the wait returns, under `mu_`, still as the owner.
//  - Anyone else holding `mu_` while `in_kernel_` is false may call the reactor (epoll_ctl,
//    epoll_close, a waiter applying its batch). epoll_ctl that finds a waiter in the kernel
//    wakes it (uvafd_wake, the one reactor call allowed from any thread) and waits for it to
//    leave; waiters do not re-enter the kernel while a ctl is waiting (`ctl_waiting_`).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "uvafd/reactor.h"
#include "wepoll.h"

namespace uvafd_epoll {

struct Entry;

class Port {
 public:
  // Returns 0 or a negative UVAFD_E* error.
  static int create(Port** out);
  ~Port();

  void* handle() const { return port_handle_; }

  // 0, or a positive errno value.
  int ctl(int op, SOCKET sock, const epoll_event* event);
  // >= 0 events, or a negated errno value.
  int wait(epoll_event* out, int maxevents, int timeout_ms);
  // Makes every waiter return, then tears the reactor down. Called once.
  void close();

  // Tests: the reactor's counters, taken as the owner.
  int stats(uvafd_stats* out, uint64_t* misrouted_here);
  // Tests: how many broken invariants of the set and its two lists (a listed entry that is
  // not registered, one listed twice, a flag that disagrees with its list). Must be 0.
  int broken_invariants();

  // Events one reactor wait can deliver: one per dequeued packet (no foreign packets here).
  static constexpr uint32_t kBatch = 256;

 private:
  Port() = default;
  using Lock = std::unique_lock<std::mutex>;

  bool own(Lock& lk);  // waits until no waiter is in the kernel; false if the port closed
  void wait_out_of_kernel(Lock& lk);  // wakes the waiter in the kernel until it has left
  // Fills batch_, as the owner holding mu_; with `unlocked_inside`, mu_ is released during the
  // blocking call only, after the bookkeeping other threads read under mu_.
  int reactor_wait(int64_t timeout_ms, Lock* unlocked_inside = nullptr);
  void apply();
  void refresh_stale_reports();
  void list_edge(Entry* e);
  void unlist_edge(Entry* e);
  void drain();
  int update_interest(Entry* e);  // 0 or the reactor's error
  void release(Entry* e);
  void retry_doomed();
  void restore_edges();
  void enqueue(Entry* e);
  void dequeue(Entry* e);
  void drop(Entry* e);
  int take_ready(epoll_event* out, int maxevents);
  int add(SOCKET sock, const epoll_event& ev);
  int mod(Entry* e, const epoll_event& ev);

  std::mutex mu_;
  std::condition_variable cv_;
  uvafd_reactor* reactor_ = nullptr;
  void* port_handle_ = nullptr;
  uvafd_handle wakeup_{};
  std::unordered_map<SOCKET, Entry*> by_socket_;
  Entry* ready_head_ = nullptr;
  Entry* ready_tail_ = nullptr;
  // EPOLLET entries whose report was handed out, an intrusive list (`edge_listed`): an entry
  // is in it once at most, and leaves it when it is freed.
  Entry* edges_head_ = nullptr;
  // What the last reactor wait delivered. A member, not allocated per wait: collecting an
  // event must not fail (it runs inside the reactor, where no exception may pass).
  uvafd_event batch_[kBatch];
  uint32_t batch_size_ = 0;
  Entry* doomed_ = nullptr;  // entries whose registration could not be closed yet
  Entry* dropped_ = nullptr;  // closed while a batch is applied; freed when apply() ends
  bool applying_ = false;
  uint64_t batch_overflow_ = 0;       // events that did not fit: must be 0
  uint64_t reactor_waits_ = 0;        // uvafd_reactor_wait calls begun (arming clock)
  uint64_t wait_calls_ = 0;           // epoll_wait calls begun: EPOLLET's clock
  uint64_t misrouted_ = 0;            // an event whose handle is not its entry's: must be 0
  int waiters_ = 0;
  int ctl_waiting_ = 0;
  bool in_kernel_ = false;
  bool closing_ = false;
};

}  // namespace uvafd_epoll
