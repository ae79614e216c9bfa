// reserve_at_least: the one place the reactor turns std::vector's bad_alloc into a result. No
// C++ exception may leave the C API (reactor.h), and a call must fail with no effect or not at
// all, so every vector that could grow where failing is not allowed (inside a wait, a close or
// a teardown) is reserved here, by the call that opens the state it will hold, before anything
// is changed.
#pragma once

#include <cstddef>
#include <new>

namespace uvafd {

// Capacity for n elements, growing by half again at least so that reserving one state at a
// time stays amortised. False (and v unchanged) when the memory cannot be had.
template <typename Vector>
bool reserve_at_least(Vector& v, size_t n) noexcept {
  if (v.capacity() >= n) return true;
  const size_t grown = v.capacity() + v.capacity() / 2;
  try {
    v.reserve(n > grown ? n : grown);
  } catch (const std::bad_alloc&) {
    try {
      v.reserve(n);  // the extra half may be what did not fit
    } catch (const std::bad_alloc&) {
      return false;
    }
  } catch (...) {
    return false;  // length_error: as good as out of memory
  }
  return true;
}

}  // namespace uvafd
