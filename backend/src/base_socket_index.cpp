#include "base_socket_index.h"

#include <cassert>
#include <new>

namespace uvafd {

namespace {
constexpr size_t kInitialBuckets = 64;
}

BaseSocketIndex::~BaseSocketIndex() { delete[] buckets_; }

size_t BaseSocketIndex::bucket_of(KHandle key) const {
  // Handle values are multiples of 4 and mostly consecutive: drop the zero bits, then spread
  // with a Fibonacci multiply so neighbours land in different buckets.
  const uint64_t h = (uint64_t(key) >> 2) * 0x9E3779B97F4A7C15ull;
  return size_t(h >> 32) & (bucket_count_ - 1);
}

void BaseSocketIndex::grow() {
  const size_t count = bucket_count_ ? bucket_count_ * 2 : kInitialBuckets;
  auto* fresh = new (std::nothrow) PinnedState*[count]();
  // Out of memory: keep the old buckets. Chains get longer, nothing is lost.
  if (!fresh) return;
  PinnedState** old = buckets_;
  const size_t old_count = bucket_count_;
  buckets_ = fresh;
  bucket_count_ = count;
  for (size_t b = 0; b < old_count; ++b) {
    for (PinnedState* s = old[b]; s;) {
      PinnedState* next = s->next_on_base_bucket;
      link(s);
      s = next;
    }
  }
  delete[] old;
}

void BaseSocketIndex::link(PinnedState* s) {
  PinnedState*& head = buckets_[bucket_of(s->object_key)];
  s->next_on_base_bucket = head;
  head = s;
}

bool BaseSocketIndex::insert(PinnedState* s) {
  if (size_ >= bucket_count_) grow();
  if (!buckets_) return false;  // not even the first bucket array could be had
  link(s);
  ++size_;
  return true;
}

void BaseSocketIndex::rekey(PinnedState* s, KHandle key) {
  erase(s);
  s->object_key = key;
  link(s);
  ++size_;
}

void BaseSocketIndex::erase(PinnedState* s) {
  if (!buckets_) return;
  for (PinnedState** p = &buckets_[bucket_of(s->object_key)]; *p; p = &(*p)->next_on_base_bucket) {
    if (*p == s) {
      *p = s->next_on_base_bucket;
      s->next_on_base_bucket = nullptr;
      --size_;
      return;
    }
  }
  // Not found: its object_key changed behind rekey()'s back, or it was never filed. Either
  // would leave a dangling link behind.
  assert(!"BaseSocketIndex::erase: state not filed under its base");
}

}  // namespace uvafd
