// The memory functions every compat file uses for the allocations libuv itself would make
// through its allocator, so that uv_replace_allocator() sees them. Implemented in misc.cpp.
//
// Semantics follow libuv's internal helpers:
//  - uv_malloc_(0) returns nullptr without calling the allocator;
//  - uv_realloc_(p, 0) frees p (through the allocator) and returns nullptr;
//  - uv_calloc_ passes its arguments straight through;
//  - uv_free_ accepts nullptr and preserves errno and GetLastError() across the call, since custom
//    free functions are not required to.
// Memory must be released with uv_free_ (not std::free): a program may have replaced the
// allocator.
#pragma once

#include <cstddef>

namespace uvafd_compat {

void* uv_malloc_(size_t size);
void* uv_calloc_(size_t count, size_t size);
void* uv_realloc_(void* ptr, size_t size);
void uv_free_(void* ptr);

}  // namespace uvafd_compat
