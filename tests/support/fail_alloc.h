// Test-only: makes the N-th operator new on the calling thread fail, so a test can sweep N over
// an API call and prove every allocation failure comes back as an error code (UVAFD_ENOMEM,
// UV_ENOMEM, ENOMEM) with the object still usable, never as an exception through the C ABI.
// Linked as an object library into test programs only: it replaces the global operator new,
// which must never happen in what users link.
#pragma once

namespace uvafd_test {

// From now on, the nth allocation on this thread (1 = the next one) fails: the throwing forms
// throw std::bad_alloc, the nothrow forms return nullptr. 0 disarms.
void fail_nth_allocation(long nth);
// Whether the armed failure has happened since the last fail_nth_allocation call.
bool allocation_failure_fired();
// Allocations on this thread since the last fail_nth_allocation call.
long allocations_since_armed();
// For an allocator other than operator new (libuv's uv__malloc through uv_replace_allocator):
// counts one allocation and says whether it is the one that must fail.
bool next_allocation_fails();

// While one exists on this thread, allocations are neither counted nor failed: a test double
// standing in for the kernel (whose memory is not operator new's), or a test's own set-up and
// checks inside an armed attempt.
class AllocationFailuresPaused {
 public:
  AllocationFailuresPaused();
  ~AllocationFailuresPaused();
  AllocationFailuresPaused(const AllocationFailuresPaused&) = delete;
  AllocationFailuresPaused& operator=(const AllocationFailuresPaused&) = delete;
};

// Sweeps n = 1, 2, ... : arms the n-th allocation to fail, calls attempt(), and stops at the
// first n where no allocation failed (attempt then ran to completion). attempt gets n and
// whether a failure fired during it, and says if the outcome was right. Returns how many
// failing points were checked, or -1 when attempt reported a wrong outcome (or max_n ran out).
template <typename Attempt>
long sweep_allocation_failures(Attempt&& attempt, long max_n = 10000) {
  for (long n = 1; n <= max_n; ++n) {
    fail_nth_allocation(n);
    bool ok = attempt(n, [] { return allocation_failure_fired(); });
    bool fired = allocation_failure_fired();
    fail_nth_allocation(0);
    if (!ok) return -1;
    if (!fired) return n - 1;
  }
  return -1;
}

}  // namespace uvafd_test
