// The wait timeout as NT takes it: relative, negative, in 100 ns units; forever when it does not
// fit (INT64_MAX as "forever" once overflowed into a time in the past and the loop spun).
#include <catch.hpp>

#include <cstdint>

#include "kernel.h"

using namespace uvafd;

TEST_CASE("timeout: milliseconds become a relative NT time, or forever", "[timeout]") {
  int64_t t = 12345;
  REQUIRE(nt_relative_timeout(0, &t));
  CHECK(t == 0);
  REQUIRE(nt_relative_timeout(1, &t));
  CHECK(t == -10000);
  REQUIRE(nt_relative_timeout(3600 * 1000, &t));
  CHECK(t == -36000000000LL);
  // The longest finite wait still converts exactly.
  REQUIRE(nt_relative_timeout(kMaxFiniteWaitMs, &t));
  CHECK(t == -kMaxFiniteWaitMs * 10000);
  CHECK(t < 0);
  // One more millisecond does not fit: forever, never a wrapped value.
  t = 12345;
  CHECK_FALSE(nt_relative_timeout(kMaxFiniteWaitMs + 1, &t));
  CHECK_FALSE(nt_relative_timeout(INT64_MAX, &t));
  CHECK_FALSE(nt_relative_timeout(INT64_MAX / 2, &t));
  CHECK(t == 12345);  // untouched when forever
  // Negative: forever, as documented for uvafd_reactor_wait.
  CHECK_FALSE(nt_relative_timeout(-1, &t));
  CHECK_FALSE(nt_relative_timeout(INT64_MIN, &t));
}
