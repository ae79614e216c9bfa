// BaseSocketIndex: every poll state, live or zombie, filed under a key for the socket object it
// polls (PinnedState::object_key). It exists for the rule that makes AFD reliable: at most one
// poll in flight per socket, across every incarnation and every handle value (two polls on one
// socket lose or swap events on Windows: trio#52, wepoll#35). The key is the base SOCKET value,
// except for a registration opened through another handle to a socket whose closed
// registration still has a poll in flight (DuplicateHandle, told by CompareObjectHandles in
// Reactor::another_handle_polled): it is filed under that registration's key, and waits for
// that poll as any other, then goes back under its own value (Reactor::release_socket). Keyed
// by value on purpose: after closesocket the value may name a new socket, and waiting for the
// old socket's last request before polling the new one is always safe.
//
// The facts about one base (which state has the request in flight, which live registration
// claims interest, which states wait) are read from the states' own flags, so there is no
// per-socket record to keep in step and nothing is allocated per socket: the index costs one
// link in each PinnedState plus one bucket pointer per state (docs/benchmarks.md, memory).
// Walks stay short: a base's chain holds its live registrations (one, normally: libuv leaves
// two handles on one socket undefined) and at most one zombie, since a poll zombie exists only
// while its request is in flight and a base has at most one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel.h"
#include "pinned_state.h"

namespace uvafd {

class BaseSocketIndex {
 public:
  BaseSocketIndex() = default;
  ~BaseSocketIndex();
  BaseSocketIndex(const BaseSocketIndex&) = delete;
  BaseSocketIndex& operator=(const BaseSocketIndex&) = delete;

  // `s->object_key` must be set and changes only through rekey() until erase(). False: out of
  // memory before the first bucket array existed.
  bool insert(PinnedState* s);
  void erase(PinnedState* s);
  void rekey(PinnedState* s, KHandle key);  // allocates nothing: the state keeps its place
  size_t size() const { return size_; }

  // Visits every state filed under `key` (other keys sharing the bucket are skipped).
  template <typename F>
  void for_each_on(KHandle key, F&& f) const {
    if (!buckets_) return;
    for (PinnedState* s = buckets_[bucket_of(key)]; s; s = s->next_on_base_bucket)
      if (s->object_key == key) f(s);
  }
  // The first state under `key` for which `pred` holds, or nullptr.
  template <typename P>
  PinnedState* find_on(KHandle key, P&& pred) const {
    if (!buckets_) return nullptr;
    for (PinnedState* s = buckets_[bucket_of(key)]; s; s = s->next_on_base_bucket)
      if (s->object_key == key && pred(s)) return s;
    return nullptr;
  }

 private:
  size_t bucket_of(KHandle key) const;
  void link(PinnedState* s);
  void grow();

  PinnedState** buckets_ = nullptr;
  size_t bucket_count_ = 0;  // a power of two, or 0 before the first insert
  size_t size_ = 0;
};

}  // namespace uvafd
