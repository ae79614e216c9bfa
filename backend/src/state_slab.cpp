#include "state_slab.h"

#include <algorithm>
#include <new>
#include <type_traits>

#include "reserve.h"

namespace uvafd {

namespace {

constexpr size_t kAlign = alignof(PinnedState);
static_assert(std::is_trivially_destructible<PinnedState>::value, "chunks are freed as bytes");

// Plain new[] aligns to 16 bytes only, and the states must start on their cache line
// (pinned_state.h); the over-aligned operator new is avoided because the allocation-failure
// tests replace only the plain one. The padding's last byte says how far back the block starts.
PinnedState* new_chunk() {
  auto* raw = new (std::nothrow) unsigned char[sizeof(PinnedState) * StateSlab::kChunkSize + kAlign];
  if (!raw) return nullptr;
  const size_t pad = kAlign - reinterpret_cast<uintptr_t>(raw) % kAlign;  // 1..kAlign
  unsigned char* first = raw + pad;
  first[-1] = static_cast<unsigned char>(pad);
  auto* chunk = reinterpret_cast<PinnedState*>(first);
  for (uint32_t i = 0; i < StateSlab::kChunkSize; ++i) new (&chunk[i]) PinnedState();
  return chunk;
}

void delete_chunk(PinnedState* chunk) {
  auto* first = reinterpret_cast<unsigned char*>(chunk);
  delete[] (first - first[-1]);
}

}  // namespace

StateSlab::StateSlab() : chunks_(new std::atomic<PinnedState*>[kMaxChunks]) {
  for (uint32_t i = 0; i < kMaxChunks; ++i) chunks_[i].store(nullptr, std::memory_order_relaxed);
}

StateSlab::~StateSlab() {
  if (leaked_) return;  // the kernel may still write into these: never free them
  for (uint32_t c = 0; c < chunk_count_; ++c) {
    delete_chunk(chunks_[c].load(std::memory_order_relaxed));
  }
  delete[] chunks_;
}

bool StateSlab::grow() {
  if (chunk_count_ == kMaxChunks) return false;
  // The range table first: once the chunk is on the free list, owns() must know it, or a
  // packet for one of its states would be taken for a foreign one.
  if (!reserve_at_least(ranges_, size_t(chunk_count_) + 1)) return false;
  PinnedState* chunk = new_chunk();
  if (!chunk) return false;
  const uint32_t base = chunk_count_ * kChunkSize;
  // Push in reverse so that low slots are handed out first.
  for (uint32_t i = kChunkSize; i-- > 0;) {
    chunk[i].slot = base + i;
    chunk[i].next_free = free_list_;
    free_list_ = &chunk[i];
  }
  auto entry = std::make_pair(reinterpret_cast<uintptr_t>(chunk), chunk_count_);
  ranges_.insert(std::upper_bound(ranges_.begin(), ranges_.end(), entry), entry);
  chunks_[chunk_count_].store(chunk, std::memory_order_release);
  ++chunk_count_;
  return true;
}

PinnedState* StateSlab::acquire() {
  if (!free_list_ && !grow()) return nullptr;
  PinnedState* s = free_list_;
  free_list_ = s->next_free;
  s->next_free = nullptr;
  s->generation = next_generation_++;
  return s;
}

void StateSlab::release(PinnedState* s) {
  s->next_free = free_list_;
  free_list_ = s;
}

PinnedState* StateSlab::at(uint32_t slot) const {
  const uint32_t c = slot / kChunkSize;
  if (c >= kMaxChunks) return nullptr;
  PinnedState* chunk = chunks_[c].load(std::memory_order_acquire);
  return chunk ? &chunk[slot % kChunkSize] : nullptr;
}

bool StateSlab::owns(const void* p) const {
  const auto addr = reinterpret_cast<uintptr_t>(p);
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(),
                             std::make_pair(addr, UINT32_MAX));
  if (it == ranges_.begin()) return false;
  --it;
  const uintptr_t start = it->first;
  const uintptr_t end = start + sizeof(PinnedState) * kChunkSize;
  return addr < end && (addr - start) % sizeof(PinnedState) == 0;
}

}  // namespace uvafd
