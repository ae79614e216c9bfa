// HelperPool: the \Device\Afd helper handles that polls are submitted through. AFD's cost of
// cancelling grows with the number of polls pending on one handle (trio#1280), so sockets are
// spread over groups of `group_size`. A state keeps its helper until it is reclaimed, because
// a request can only be cancelled through the handle it was submitted on.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernel.h"

namespace uvafd {

struct Helper {
  KHandle handle = 0;
  uint32_t users = 0;  // states (live or zombie) assigned to this helper
};

class HelperPool {
 public:
  HelperPool(Kernel& kernel, KHandle port, uint32_t group_size);

  // A helper with room, opening a new one when all are full. Returns the NT status of a
  // failed open (and nullptr); kStatusNoMemory when the pool itself could not grow (nothing
  // was opened then).
  Helper* acquire(NtStatus* status);
  void release(Helper* helper);
  // Closes every helper handle. Only once no request is in flight on any of them.
  void close_all();
  size_t size() const { return helpers_.size(); }

 private:
  Kernel& kernel_;
  KHandle port_;
  uint32_t group_size_;
  std::vector<std::unique_ptr<Helper>> helpers_;
  std::vector<Helper*> with_room_;  // helpers whose users < group_size
};

}  // namespace uvafd
