// BaseSocketIndex: every poll state, live or zombie, filed under the base SOCKET value it polls.
// It exists for the rule that makes AFD reliable: at most one poll in flight per base socket,
// across every incarnation (two polls on one socket lose or swap events on Windows: trio#52,
// wepoll#35). Keyed by value on purpose: after closesocket the value may name a new socket,
// and waiting for the old socket's last request before polling the new one is always safe.
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

  // `s->base_socket` must be set and must not change until erase(). False: out of memory
  // before the first bucket array existed.
  bool insert(PinnedState* s);
  void erase(PinnedState* s);
  size_t size() const { return size_; }

  // Visits every state filed under `base` (other bases sharing the bucket are skipped).
  template <typename F>
  void for_each_on(KHandle base, F&& f) const {
    if (!buckets_) return;
    for (PinnedState* s = buckets_[bucket_of(base)]; s; s = s->next_on_base_bucket)
      if (s->base_socket == base) f(s);
  }
  // The first state on `base` for which `pred` holds, or nullptr.
  template <typename P>
  PinnedState* find_on(KHandle base, P&& pred) const {
    if (!buckets_) return nullptr;
    for (PinnedState* s = buckets_[bucket_of(base)]; s; s = s->next_on_base_bucket)
      if (s->base_socket == base && pred(s)) return s;
    return nullptr;
  }

 private:
  size_t bucket_of(KHandle base) const;
  void grow();

  PinnedState** buckets_ = nullptr;
  size_t bucket_count_ = 0;  // a power of two, or 0 before the first insert
  size_t size_ = 0;
};

}  // namespace uvafd
