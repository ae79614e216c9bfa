// BaseSocketTable: per base SOCKET value, which state has an AFD request in flight and which
// live registration has interest. It enforces the rule that makes AFD reliable: at most one
// poll in flight per base socket, across every incarnation (two polls on one socket lose or
// swap events on Windows: trio#52, wepoll#35). Keyed by value on purpose: after closesocket
// the value may name a new socket, and waiting for the old socket's last request before
// polling the new one is always safe.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "kernel.h"

namespace uvafd {

struct PinnedState;

struct BaseEntry {
  PinnedState* in_flight = nullptr;   // the one state with a request on this socket
  PinnedState* interested = nullptr;  // the one live registration with interest
  uint32_t registrations = 0;         // live and zombie states naming this base
  uint32_t requests = 0;              // requests in flight: 0 or 1, counted independently
  std::vector<PinnedState*> waiters;  // want to arm once in_flight is released
};

class BaseSocketTable {
 public:
  BaseEntry& get(KHandle base) { return entries_[base]; }
  BaseEntry* find(KHandle base) {
    auto it = entries_.find(base);
    return it == entries_.end() ? nullptr : &it->second;
  }
  // Forgets the entry once nothing refers to it any more.
  void trim(KHandle base) {
    auto it = entries_.find(base);
    if (it != entries_.end() && it->second.registrations == 0 && it->second.requests == 0 &&
        it->second.waiters.empty())
      entries_.erase(it);
  }
  size_t size() const { return entries_.size(); }

 private:
  std::unordered_map<KHandle, BaseEntry> entries_;
};

}  // namespace uvafd
