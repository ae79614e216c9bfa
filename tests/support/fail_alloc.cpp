// The replaced global allocator behind fail_alloc.h. Counting is per thread so that other
// threads (a wake sender, Wine's own helpers) neither consume the armed count nor fail.
#include "fail_alloc.h"

#include <cstdlib>
#include <new>

namespace {

thread_local long g_armed_nth = 0;  // 0: never fail
thread_local long g_seen = 0;
thread_local bool g_fired = false;
thread_local int g_paused = 0;

// True when this allocation is the one that must fail.
bool should_fail() {
  if (g_armed_nth == 0 || g_paused) return false;
  ++g_seen;
  if (g_seen != g_armed_nth) return false;
  g_fired = true;
  return true;
}

void* allocate(std::size_t size) {
  if (should_fail()) return nullptr;
  return std::malloc(size ? size : 1);
}

}  // namespace

namespace uvafd_test {

void fail_nth_allocation(long nth) {
  g_armed_nth = nth;
  g_seen = 0;
  g_fired = false;
}

bool allocation_failure_fired() { return g_fired; }

long allocations_since_armed() { return g_seen; }

bool next_allocation_fails() { return should_fail(); }

AllocationFailuresPaused::AllocationFailuresPaused() { ++g_paused; }
AllocationFailuresPaused::~AllocationFailuresPaused() { --g_paused; }

}  // namespace uvafd_test

// Aligned forms are not replaced: nothing in uvafd over-aligns, and their defaults call
// aligned allocation directly, which these counts would then miss. A test that needs them adds
// them here.
void* operator new(std::size_t size) {
  void* p = allocate(size);
  if (!p) throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return allocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
